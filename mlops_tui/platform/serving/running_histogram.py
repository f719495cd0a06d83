"""Counts of the rides a prediction server scored, per bin of each feature, over a bounded window.

Fixed bins (the training data's, from the model's manifest: lab_scripts/feature_bins.py), counts
only: no ride is kept. Memory is three integer arrays of the total number of bins (about 130 for
the taxi model), whatever the traffic.

**The window: two blocks of :data:`BLOCK_RIDES` rides.** Rides are counted into the current block;
when it holds BLOCK_RIDES rides it becomes the previous block (the one before is dropped) and a new
current block starts. The window is the previous block plus the current one: the last 5,000 to
10,000 rides. Why this and not

- *all rides since the server started*: a deployment stays up for hours or days; drift that starts
  after a day of normal traffic would be diluted by that day and show late, or never;
- *exponential decay* (counts multiplied by a factor per ride): the same effect in memory, but the
  counts stop being whole rides, so the number of rides a PSI rests on (psi.MIN_RIDES) is no
  longer plain to see or to check;
- *a sliding window of the last N rides exactly*: it must remember each ride's bins to take them
  out again (N x features), which is what "counts only" rules out.

Splitting a batch at the block boundary keeps each block at exactly BLOCK_RIDES rides, so the
window never covers more than 2 x BLOCK_RIDES rides, however large the requests.

``total()`` counts every ride since the start, for Prometheus counters (Prometheus computes its
own windows from a counter, with ``increase()``).

Not thread-safe: the prediction server calls it from its event loop only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

BLOCK_RIDES = 5000


class RunningHistogram:
    """Per-feature bin counts of the last BLOCK_RIDES to 2 x BLOCK_RIDES rides (``sizes[f]``:
    the number of bins of feature f).

    Counts are numpy arrays, rides are counted with one ``numpy.bincount`` per block they fall in
    (the drift monitor hands them over a thousand at a time: ``drift.FLUSH_ROWS``).
    """

    def __init__(self, sizes: Sequence[int], block: int = BLOCK_RIDES, clock=time.time) -> None:
        if block < 1 or not sizes or min(sizes) < 1:
            raise ValueError("a running histogram needs at least one bin per feature and a block of 1+ rides")
        self.sizes = tuple(int(s) for s in sizes)
        self.block = int(block)
        self._clock = clock
        self._offsets = np.array([sum(self.sizes[:i]) for i in range(len(self.sizes))], dtype=np.int64)
        self._limits = np.array(self.sizes, dtype=np.int64)
        self._width = sum(self.sizes)
        self._current = np.zeros(self._width, dtype=np.int64)
        self._previous = np.zeros(self._width, dtype=np.int64)
        self._totals = np.zeros(self._width, dtype=np.int64)
        self._current_rides = 0
        self._previous_rides = 0
        self.total_rides = 0
        self._current_since: float | None = None
        self._previous_since: float | None = None
        self.last_at: float | None = None

    def add_rows(self, rows: Sequence[Sequence[int]], at: tuple[float, float] | None = None) -> None:
        """:meth:`add` for rows as lists. Raises ValueError (counting nothing) when a row does not
        have one bin per feature or a bin is out of range."""
        sizes = self.sizes
        for row in rows:
            if len(row) != len(sizes) or not all(0 <= b < n for b, n in zip(row, sizes, strict=True)):
                raise ValueError(f"a row of bins must hold one bin per feature within {list(sizes)}: {row}")
        if rows:
            self.add(np.array(rows, dtype=np.int64), at)

    def add(self, bins: np.ndarray, at: tuple[float, float] | None = None) -> None:
        """Count rides: ``bins`` is n x features, each the bin (0..sizes[f]-1) of the ride's feature f.
        ``at``: when the first and the last of them were seen (default: now); a block that
        starts within them is dated by the first.

        Raises ValueError when a row does not have one bin per feature or a bin is out of range.
        """
        bins = np.asarray(bins, dtype=np.int64)
        if bins.ndim != 2 or bins.shape[1] != len(self.sizes):
            raise ValueError(f"bins must be n x {len(self.sizes)}, got shape {bins.shape}")
        if not len(bins):
            return
        if (bins < 0).any() or (bins >= self._limits).any():
            raise ValueError("a bin index is outside its feature's bins")
        first, now = at or (self._clock(),) * 2
        flat = bins + self._offsets
        start = 0
        while start < len(flat):
            if self._current_rides >= self.block:
                self._rotate(first)
            if self._current_since is None:
                self._current_since = first
            take = min(len(flat) - start, self.block - self._current_rides)
            counts = np.bincount(flat[start : start + take].ravel(), minlength=self._width)
            self._current += counts
            self._totals += counts
            self._current_rides += take
            start += take
        self.total_rides += len(flat)
        self.last_at = now

    def _rotate(self, now: float) -> None:
        self._previous, self._current = self._current, np.zeros(self._width, dtype=np.int64)
        self._previous_rides, self._current_rides = self._current_rides, 0
        self._previous_since, self._current_since = self._current_since, now

    @property
    def window_rides(self) -> int:
        """Rides in the window (previous block + current block)."""
        return self._previous_rides + self._current_rides

    @property
    def window_since(self) -> float | None:
        """When the window's first ride was counted (a Unix time), None before any ride."""
        return self._previous_since if self._previous_rides else self._current_since

    def window(self, feature: int) -> list[int]:
        """The window's count of each bin of feature number ``feature``."""
        lo = self._offsets[feature]
        hi = lo + self.sizes[feature]
        return (self._previous[lo:hi] + self._current[lo:hi]).tolist()

    def total(self, feature: int) -> list[int]:
        """Every ride's count since the start, per bin of feature number ``feature``."""
        lo = self._offsets[feature]
        return self._totals[lo : lo + self.sizes[feature]].tolist()
