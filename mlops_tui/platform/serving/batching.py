"""Adaptive batching: rides of requests that arrive while the model is busy are scored together.

One model call costs about as much for 1 row as for 50 (XGBoost's fixed cost per call, about
80 µs here, is most of a small call), so under concurrent load a server that scores each request
on its own spends most of its time on that fixed cost. Triton's dynamic batcher and MLServer's
adaptive batching stack requests into one call; so does this, the same way:

- a request's rows wait in a queue; a model call takes everything queued (up to
  ``max_batch_size`` rows, never splitting a request), stacks it, and gives each request exactly
  its own rows' values back, in order;
- the call is made in the same turn of the event loop as the requests that queued: a lone client
  waits for nobody. Requests that arrive during a call are queued and make the next call
  together;
- ``max_wait`` (0 by default) lets a call that is not full wait up to that long for more rows,
  trading latency for larger batches (Triton's ``max_queue_delay``);
- a request that is the only one under way on the server (``requests_in_progress``, counted by
  the HTTP protocol from the first byte of a request to the end of its answer), while the model
  is idle and ``max_wait`` is 0, is scored at once, without queue, future or turn of the event
  loop: nobody could join its call. Its metrics are recorded once its answer is written (a
  callback of the next turn).

A call of fewer than THREAD_ROWS rows runs on the event loop, as a plain callback (no task per
call): it is short (about 0.05 ms), and a thread hand-off would cost about as much again. A larger
one runs in a thread of its own (XGBoost releases the GIL while it scores): the event loop reads,
validates and answers other requests meanwhile, on the second core (measured: 100-ride requests
on 16 connections went from about 0.7x to about 1.2x the bare floor's requests per second).
A lone request's call of up to ALONE_ROWS rows (about 0.7 ms) runs on the event loop too: with
nobody else under way the thread has nothing to overlap, and its hand-off cost a 100-ride request
at one connection about a third of its time. One call at a time either way: requests that arrive
during a call make the next one.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops_tui.platform.serving.metrics import ServingMetrics

DEFAULT_MAX_BATCH_SIZE = 1024  # rows per model call (one request of more rows is one call)
DEFAULT_MAX_WAIT_S = 0.0
THREAD_ROWS = 64  # a model call of this many rows runs in a thread (XGBoost releases the GIL)
ALONE_ROWS = 2000  # ... unless its request is the only one under way and it has at most this many


@dataclass(frozen=True)
class BatchPolicy:
    """Per deployment (``max_batch_size``, ``max_batch_wait_ms`` in its configuration)."""

    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    max_wait_s: float = DEFAULT_MAX_WAIT_S


@dataclass
class _Waiting:
    rows: np.ndarray
    future: asyncio.Future[tuple[list[float], int]]
    since: float


class AdaptiveBatcher:
    def __init__(
        self, predict: Callable[[np.ndarray], list[float]], policy: BatchPolicy, metrics: ServingMetrics
    ) -> None:
        self.predict = predict
        self.policy = policy
        self.metrics = metrics
        self._queue: deque[_Waiting] = deque()
        self._queued_rows = 0
        self._scheduled: asyncio.Handle | None = None  # the next model call, once one is due
        self._loop: asyncio.AbstractEventLoop | None = None
        self._busy = False  # a model call runs in the thread
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="model")
        # the server's requests under way, this one included (None: unknown, every call queues)
        self.requests_in_progress: Callable[[], int] | None = None

    async def score(self, rows: np.ndarray) -> tuple[list[float], int]:
        """The values of ``rows`` (n x features), and the rows of the model call that scored them.
        An exception of the model call is raised to every request of that call."""
        loop = self._running_loop()
        if (
            len(rows) <= ALONE_ROWS
            and self.policy.max_wait_s == 0  # (a deployment that asks to wait for company waits)
            and not self._queue
            and not self._busy
            and self._scheduled is None
            and self.requests_in_progress is not None
            and self.requests_in_progress() <= 1
        ):
            start = time.perf_counter()
            values = self.predict(rows)
            loop.call_soon(self._record_alone, rows, time.perf_counter() - start)
            return values, len(rows)
        future: asyncio.Future[tuple[list[float], int]] = loop.create_future()
        self._queue.append(_Waiting(rows, future, time.perf_counter()))
        self._queued_rows += len(rows)
        full = self._queued_rows >= self.policy.max_batch_size
        if self._busy:
            pass  # the call in the thread schedules the next when it ends
        elif self._scheduled is None or (full and isinstance(self._scheduled, asyncio.TimerHandle)):
            if self._scheduled is not None:
                self._scheduled.cancel()
            # call_soon: the requests already running in this turn of the event loop queue up first
            wait = 0.0 if full else self.policy.max_wait_s
            self._scheduled = loop.call_later(wait, self._run) if wait > 0 else loop.call_soon(self._run)
        return await future

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        """The event loop, asked once: Python 3.11's ``asyncio.get_running_loop()`` makes a
        ``getpid()`` system call each time (to notice a fork), and where system calls are dear (a
        sandboxed host: 9 µs each here) it was 2 % of a one-ride request's time (py-spy)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            loop = self._loop = asyncio.get_running_loop()
        return loop

    def _run(self) -> None:
        """One model call on what is queued; the next, if more is queued, in the next turn (the
        requests that arrived during this call queue up meanwhile)."""
        self._scheduled = None
        if not self._queue:
            return
        batch = self._take()
        start = time.perf_counter()
        for item in batch:
            self.metrics.queued(start - item.since)
        rows = batch[0].rows if len(batch) == 1 else np.concatenate([item.rows for item in batch])
        if len(rows) >= THREAD_ROWS:  # in the thread: the event loop reads and answers meanwhile
            self._busy = True
            done = self._running_loop().run_in_executor(self._thread, self.predict, rows)
            done.add_done_callback(lambda f: self._threaded(batch, rows, start, f))
            return
        try:
            values = self.predict(rows)
        except Exception as exc:
            self._fail(batch, exc)
        else:
            self._deliver(batch, rows, values, start)
        if self._queue:
            self._scheduled = self._running_loop().call_soon(self._run)

    def _record_alone(self, rows: np.ndarray, seconds: float) -> None:
        self.metrics.queued(0.0)
        self.metrics.model_call(rows, seconds)

    def _threaded(self, batch: list[_Waiting], rows: np.ndarray, start: float, done: Any) -> None:
        self._busy = False
        exc = done.exception()
        if exc is not None:
            self._fail(batch, exc)
        else:
            self._deliver(batch, rows, done.result(), start)
        if self._queue:
            self._scheduled = self._running_loop().call_soon(self._run)

    def _take(self) -> list[_Waiting]:
        batch = [self._queue.popleft()]
        rows = len(batch[0].rows)
        while self._queue and rows + len(self._queue[0].rows) <= self.policy.max_batch_size:
            item = self._queue.popleft()
            batch.append(item)
            rows += len(item.rows)
        self._queued_rows -= rows
        return batch

    @staticmethod
    def _fail(batch: list[_Waiting], exc: BaseException) -> None:
        for item in batch:
            if not item.future.done():
                item.future.set_exception(exc)

    def _deliver(self, batch: list[_Waiting], rows: np.ndarray, values: list[float], start: float) -> None:
        self.metrics.model_call(rows, time.perf_counter() - start)
        offset = 0
        for item in batch:
            n = len(item.rows)
            if not item.future.done():  # (a request whose client left is cancelled)
                item.future.set_result((values[offset : offset + n], len(rows)))
            offset += n
