"""A prediction server on the real HTTP stack (uvicorn with ``serving.protocol``), in a thread of
the test process, around a scorer whose value for each ride is its ``distance``: for tests of what
the HTTP layer bounds (body and head timeouts), without a trained model or a platform."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import uvicorn

from mlops_tui.platform.connection_slots import ConnectionSlots
from mlops_tui.platform.serving.app import Limits, PredictionApp
from mlops_tui.platform.serving.batching import AdaptiveBatcher, BatchPolicy
from mlops_tui.platform.serving.metrics import ServingMetrics
from mlops_tui.platform.serving.protocol import Bounds, ServingState, bounded_protocol

START_TIMEOUT_S = 10.0


class DistanceScorer:
    """Each ride's value is its ``distance``."""

    def prepare(self, rides: Any) -> tuple[np.ndarray, list[str]]:
        rides = [rides] if isinstance(rides, dict) else rides
        return np.array([[float(r["distance"])] for r in rides]), []

    def predict_prepared(self, x: np.ndarray) -> list[float]:
        return x[:, 0].tolist()


@contextlib.contextmanager
def served(limits: Limits | None = None, bounds: Bounds | None = None) -> Iterator[tuple[str, int]]:
    """``(host, port)`` of model ``m`` version ``1`` (token ``tok``) while the block runs."""
    metrics = ServingMetrics("m", "1", 0.0)
    scorer = DistanceScorer()
    batcher = AdaptiveBatcher(scorer.predict_prepared, BatchPolicy(), metrics)
    cfg = {"model": "m", "version": "1", "token": "tok"}
    app = PredictionApp(cfg, scorer, {}, metrics, batcher, *((limits,) if limits is not None else ()))
    bounds = bounds or Bounds()
    state = ServingState(bounds, ConnectionSlots(bounds.max_connections))
    batcher.requests_in_progress = lambda: state.slots.busy
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    config = uvicorn.Config(
        app, http=bounded_protocol(state), lifespan="off", log_config=None, access_log=False
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(srv.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield sock.getsockname()
    finally:
        srv.should_exit = True
        thread.join(5)
