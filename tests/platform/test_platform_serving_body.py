"""The body of a request on the real HTTP stack (uvicorn with serving.protocol): a body that has
arrived is read without a timer; one that stops arriving is a 408 once ``body_timeout`` is spent
(counted from the first wait, over every later wait)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from serving_support import served

from mlops_tui.platform.serving.app import Limits

BODY_TIMEOUT = 0.6


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    with served(limits=Limits(body_timeout=BODY_TIMEOUT)) as address:
        yield address


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
