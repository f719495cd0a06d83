"""The body of a request on the real HTTP stack (uvicorn with serving.protocol): a body that has
arrived is read without a timer; one that stops arriving is a 408 once ``body_timeout`` is spent
(counted from the first wait, over every later wait)."""

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
from mlops_tui.platform.serving.app import Limits, PredictionApp
from mlops_tui.platform.serving.batching import AdaptiveBatcher, BatchPolicy
from mlops_tui.platform.serving.metrics import ServingMetrics
from mlops_tui.platform.serving.protocol import Bounds, ServingState, bounded_protocol

BODY_TIMEOUT = 0.6


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
    cfg = {"model": "m", "version": "1", "token": "tok"}
    app = PredictionApp(cfg, scorer, {}, metrics, batcher, Limits(body_timeout=BODY_TIMEOUT))
    bounds = Bounds()
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


def _exchange(addr: tuple[str, int], parts: list[bytes], pause: float) -> tuple[int, dict[str, Any], float]:
    body_length = sum(len(p) for p in parts[1:])
    head = (
        f"POST /m/1/predict HTTP/1.1\r\nhost: x\r\nx-auth-token: tok\r\n"
        f"content-type: application/json\r\ncontent-length: {body_length}\r\n\r\n"
    ).encode()
    with socket.create_connection(addr, timeout=5) as c:
        started = time.monotonic()
        c.sendall(head + parts[0])
        for part in parts[1:]:
            time.sleep(pause)
            c.sendall(part)
        data = b""
        while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < _length(data):
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        took = time.monotonic() - started
    head_text, body = data.split(b"\r\n\r\n", 1)
    return int(head_text.split()[1]), json.loads(body), took


def _length(data: bytes) -> int:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def test_a_body_in_the_first_segment_is_answered(server: tuple[str, int]) -> None:
    body = json.dumps({"scoring_args": {"distance": 2.5}}).encode()
    status, answer, _ = _exchange(server, [b"", body], 0)
    assert status == 200 and answer["prediction"] == [2.5]


def test_a_body_in_parts_within_the_timeout_is_answered(server: tuple[str, int]) -> None:
    body = json.dumps({"scoring_args": {"distance": 4.0}}).encode()
    status, answer, _ = _exchange(server, [b"", body[:10], body[10:20], body[20:]], BODY_TIMEOUT / 4)
    assert status == 200 and answer["prediction"] == [4.0]


def test_a_body_that_stops_arriving_is_a_408_after_the_timeout(server: tuple[str, int]) -> None:
    body = json.dumps({"scoring_args": {"distance": 4.0}}).encode()
    # three parts, each in time for a per-part timer: the timeout bounds the whole body
    parts = [b"", body[:5], body[5:10], body[10:15]]
    status, answer, took = _exchange(server, parts, BODY_TIMEOUT * 0.45)
    assert status == 408 and answer["field"] == "body" and "did not arrive" in answer["error"]
    assert BODY_TIMEOUT <= took < BODY_TIMEOUT + 2
