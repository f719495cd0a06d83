"""The bounded running histogram: fixed bins, counts only, a window of two blocks."""

from __future__ import annotations

import numpy as np
import pytest

from mlops_tui.platform.serving.running_histogram import RunningHistogram


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_counts_and_rotation_by_hand() -> None:
    clock = Clock()
    h = RunningHistogram([3, 2], block=4, clock=clock)  # two features: 3 bins and 2 bins
    h.add(np.array([[0, 1], [2, 1], [2, 0]]))
    assert (h.window(0), h.window(1), h.window_rides) == ([1, 0, 2], [1, 2], 3)
    assert h.window_since == 1001.0

    # 3 more: one fills the block (4 rides), the other two start a new block
    h.add(np.array([[1, 0], [1, 0], [0, 0]]))
    # previous block: [0,1] [2,1] [2,0] [1,0]; current: [1,0] [0,0]
    assert (h.window(0), h.window(1), h.window_rides) == ([2, 2, 2], [4, 2], 6)
    assert h.window_since == 1001.0  # the previous block's start

    # 7 more of [2, 1]: 2 complete the current block, 4 make the next, 1 starts another; the
    # window is then the last full block (4) and the new one (1)
    h.add(np.array([[2, 1]] * 7))
    assert (h.window(0), h.window(1), h.window_rides) == ([0, 0, 5], [0, 5], 5)
    assert h.window_since == 1003.0  # the full block [2,1] x 4 started within this call
    # since the start: every ride
    assert h.total_rides == 13
    assert (h.total(0), h.total(1)) == ([2, 2, 9], [4, 9])
    assert h.last_at == 1003.0


def test_the_window_stays_within_two_blocks_whatever_the_batches() -> None:
    rng = np.random.default_rng(7)
    h = RunningHistogram([24, 10], block=500)
    seen = 0
    for _ in range(200):
        n = int(rng.integers(1, 1500))  # requests far larger than a block too
        h.add(np.column_stack([rng.integers(0, 24, n), rng.integers(0, 10, n)]))
        seen += n
        assert h.block <= h.window_rides <= 2 * h.block or h.window_rides == seen
        assert sum(h.window(0)) == sum(h.window(1)) == h.window_rides
    assert h.total_rides == seen == sum(h.total(0))


def test_rows_and_batches_count_alike() -> None:
    rng = np.random.default_rng(3)
    bins = np.column_stack([rng.integers(0, 24, 300), rng.integers(0, 10, 300)])
    by_rows, by_batch = RunningHistogram([24, 10], block=70), RunningHistogram([24, 10], block=70)
    for start in range(0, 300, 3):
        by_rows.add_rows(bins[start : start + 3].tolist())
    for start in range(0, 300, 50):
        by_batch.add(bins[start : start + 50])
    for f in (0, 1):
        assert by_rows.window(f) == by_batch.window(f) and by_rows.total(f) == by_batch.total(f)
    assert by_rows.window_rides == by_batch.window_rides == 90  # 300 = 4 x 70 + 20


def test_bad_bins_are_refused() -> None:
    h = RunningHistogram([3, 2], block=10)
    with pytest.raises(ValueError, match="n x 2"):
        h.add(np.array([[0, 1, 2]]))
    with pytest.raises(ValueError, match="outside"):
        h.add(np.array([[3, 0]]))
    with pytest.raises(ValueError, match="outside"):
        h.add(np.array([[0, -1]]))
    with pytest.raises(ValueError, match="one bin per feature"):
        h.add_rows([[0, 1], [0, 2]])
    h.add(np.empty((0, 2), dtype=np.int64))
    h.add_rows([])
    assert h.window_rides == 0 and h.window_since is None
    with pytest.raises(ValueError):
        RunningHistogram([], block=10)
    with pytest.raises(ValueError):
        RunningHistogram([3], block=0)
