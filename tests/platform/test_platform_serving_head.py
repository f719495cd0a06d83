"""The request head on the real HTTP stack (uvicorn with serving.protocol): one that arrives whole
is answered; one begun but not complete within ``head_timeout`` is a 408, on a new connection
and on a kept-alive one alike (the timer is set only for a head that did not arrive whole)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import uvicorn

from mlops_tui.platform.connection_slots import ConnectionSlots
from mlops_tui.platform.serving.app import PredictionApp
from mlops_tui.platform.serving.batching import AdaptiveBatcher, BatchPolicy
from mlops_tui.platform.serving.metrics import ServingMetrics
from mlops_tui.platform.serving.protocol import Bounds, ServingState, bounded_protocol

HEAD_TIMEOUT = 1.0


class _Scorer:
    """Each ride's value is its ``distance``."""

    def prepare(self, rides: Any) -> tuple[np.ndarray, list[str]]:
        rides = [rides] if isinstance(rides, dict) else rides
        return np.array([[float(r["distance"])] for r in rides]), []

    def predict_prepared(self, x: np.ndarray) -> list[float]:
        return x[:, 0].tolist()


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    metrics = ServingMetrics("m", "1", 0.0)
    scorer = _Scorer()
    batcher = AdaptiveBatcher(scorer.predict_prepared, BatchPolicy(), metrics)
    app = PredictionApp({"model": "m", "version": "1", "token": "tok"}, scorer, {}, metrics, batcher)
    bounds = Bounds(head_timeout=HEAD_TIMEOUT)
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
    deadline = time.monotonic() + 10
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield sock.getsockname()
    srv.should_exit = True
    thread.join(5)


BODY = json.dumps({"scoring_args": {"distance": 3.5}}).encode()
REQUEST = (
    b"POST /m/1/predict HTTP/1.1\r\nhost: x\r\nx-auth-token: tok\r\ncontent-type: application/json\r\n"
    + f"content-length: {len(BODY)}\r\n\r\n".encode()
    + BODY
)


def _answer(c: socket.socket) -> tuple[int, dict[str, Any]]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += c.recv(65536)
    return int(head.split()[1]), json.loads(body)


def test_a_head_in_parts_within_the_timeout_is_answered(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=5) as c:
        for part in (REQUEST[:20], REQUEST[20:60], REQUEST[60:]):
            c.sendall(part)
            time.sleep(HEAD_TIMEOUT / 4)
        status, answer = _answer(c)
    assert status == 200 and answer["prediction"] == [3.5]


@pytest.mark.parametrize("kept_alive", [False, True])
def test_a_head_that_stops_arriving_is_a_408_after_the_timeout(
    server: tuple[str, int], kept_alive: bool
) -> None:
    with socket.create_connection(server, timeout=5) as c:
        if kept_alive:  # a first request arrives whole and is answered: no timer was needed
            c.sendall(REQUEST)
            assert _answer(c)[0] == 200
            time.sleep(HEAD_TIMEOUT * 1.2)  # idle between requests is not a head arriving late
        started = time.monotonic()
        c.sendall(REQUEST[:30])
        status, answer = _answer(c)
        took = time.monotonic() - started
    assert status == 408 and answer["field"] == "head" and "did not arrive" in answer["error"]
    assert HEAD_TIMEOUT * 0.9 <= took < HEAD_TIMEOUT + 2
