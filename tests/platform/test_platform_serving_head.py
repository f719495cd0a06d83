"""The request head on the real HTTP stack (uvicorn with serving.protocol): one that arrives whole
is answered; one begun but not complete within ``head_timeout`` is a 408, on a new connection
and on a kept-alive one alike (the timer is set only for a head that did not arrive whole)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from serving_support import served

from mlops_tui.platform.serving.protocol import Bounds

HEAD_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    with served(bounds=Bounds(head_timeout=HEAD_TIMEOUT)) as address:
        yield address


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
