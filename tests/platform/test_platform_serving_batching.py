"""Adaptive batching (serving/batching.py) in process: a lone request is scored at once, requests
under way together share a model call, each getting its own rows' values; the metrics count both."""

from __future__ import annotations

import asyncio

import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from mlops_tui.platform.serving.batching import AdaptiveBatcher, BatchPolicy
from mlops_tui.platform.serving.metrics import ServingMetrics


class _Model:
    """Each row's value is its first column; every call is recorded with its rows."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, rows: np.ndarray) -> list[float]:
        self.calls.append(len(rows))
        return rows[:, 0].tolist()


def _samples(metrics: ServingMetrics, name: str) -> float:
    text = metrics.exposition("text/plain")[0].decode()
    return next(s.value for f in text_string_to_metric_families(text) for s in f.samples if s.name == name)


def _rows(*values: float) -> np.ndarray:
    return np.array([[v, 0.0] for v in values])


def test_a_lone_request_is_scored_at_once_and_counted_after_its_answer() -> None:
    async def run() -> None:
        model, metrics = _Model(), ServingMetrics("m", "1", 0.1)
        batcher = AdaptiveBatcher(model, BatchPolicy(), metrics)
        batcher.requests_in_progress = lambda: 1
        task = asyncio.get_running_loop().create_task(batcher.score(_rows(7.0)))
        await asyncio.sleep(0)  # one turn: the task ran to its end, without a turn of its own
        assert task.done() and task.result() == ([7.0], 1) and model.calls == [1]
        assert _samples(metrics, "mlops_batch_rows_count") == 0  # recorded once the answer is out
        await asyncio.sleep(0)
        assert _samples(metrics, "mlops_batch_rows_count") == 1
        assert _samples(metrics, "mlops_batch_queue_seconds_count") == 1
        assert _samples(metrics, "mlops_predicted_records_total") == 1

    asyncio.run(run())


def test_a_lone_request_of_many_rows_is_scored_on_the_event_loop() -> None:
    """No thread hand-off when nobody else could be served meanwhile (ALONE_ROWS)."""
    import threading

    from mlops_tui.platform.serving.batching import ALONE_ROWS, THREAD_ROWS

    async def run(in_progress: int) -> list[str]:
        threads: list[str] = []

        def model(rows: np.ndarray) -> list[float]:
            threads.append(threading.current_thread().name)
            return rows[:, 0].tolist()

        batcher = AdaptiveBatcher(model, BatchPolicy(max_batch_size=4096), ServingMetrics("m", "1", 0.1))
        batcher.requests_in_progress = lambda: in_progress
        values, _ = await batcher.score(_rows(*range(ALONE_ROWS)))
        assert values == list(map(float, range(ALONE_ROWS)))
        return threads

    assert ALONE_ROWS > THREAD_ROWS
    assert asyncio.run(run(1)) == [threading.main_thread().name]
    assert asyncio.run(run(2)) != [threading.main_thread().name]  # others under way: the thread


def test_requests_under_way_together_share_one_model_call() -> None:
    async def run() -> None:
        model, metrics = _Model(), ServingMetrics("m", "1", 0.1)
        batcher = AdaptiveBatcher(model, BatchPolicy(), metrics)
        batcher.requests_in_progress = lambda: 3
        got = await asyncio.gather(
            batcher.score(_rows(1.0)), batcher.score(_rows(2.0, 3.0)), batcher.score(_rows(4.0))
        )
        assert got == [([1.0], 4), ([2.0, 3.0], 4), ([4.0], 4)] and model.calls == [4]
        assert _samples(metrics, "mlops_batch_rows_count") == 1
        assert _samples(metrics, "mlops_predicted_records_total") == 4

    asyncio.run(run())


def test_without_a_count_of_requests_or_with_a_wait_every_request_queues() -> None:
    async def run(policy: BatchPolicy, in_progress: int | None) -> list[int]:
        model = _Model()
        batcher = AdaptiveBatcher(model, policy, ServingMetrics("m", "1", 0.1))
        if in_progress is not None:
            batcher.requests_in_progress = lambda: in_progress
        await asyncio.gather(batcher.score(_rows(1.0)), batcher.score(_rows(2.0)))
        return model.calls

    assert asyncio.run(run(BatchPolicy(), None)) == [2]
    assert asyncio.run(run(BatchPolicy(max_wait_s=0.01), 1)) == [2]  # the deployment asked to wait
