"""One request, or one client, cannot take a prediction server down (issue 8 §5).

On the private ``fault_platform``: huge fields are refused before any work while other clients
are served, a body is read only after the token is checked, and thousands of idle connections
leave valid predictions and the server's health untouched.
"""

from __future__ import annotations

import resource
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fault_support import HEALTH_EVERY_S, FaultPlatform, predict
from local_platform_support import V1

from mlops_tui.platform.predictor import MAX_CONNECTIONS
from mlops_tui.platform.serving.app import Limits

MAX_RIDES = Limits().max_rides
RIDE = {"pickup_datetime": "2019-02-12T09:00:00", "pickup_zone": 68, "dropoff_zone": 144, "distance": 2.1}
IDLE = 4200  # the case: 4,200 idle connections without any token


@pytest.fixture(scope="module")
def dep(fault_platform: FaultPlatform) -> Iterator[dict[str, Any]]:
    d = fault_platform.deploy("limits")
    assert d["state"] == "configured", d
    yield d
    fault_platform.delete("limits")


def _host_port(dep: dict[str, Any]) -> tuple[str, int]:
    host, port = dep["url"].removeprefix("http://").split("/")[0].split(":")
    return host, int(port)


def test_a_200_kb_zone_name_is_a_422_and_blocks_nobody(dep: dict[str, Any]) -> None:
    """Issue 8 §5: a 100,000-word pickup_zone blocked the server for 9 s (every client waited)."""
    huge = {**RIDE, "pickup_zone": " ".join(["word"] * 40_000)}  # 200 KB
    answers: list[httpx.Response] = []
    attackers = [
        threading.Thread(target=lambda: answers.append(predict(dep, timeout=5, ride=huge))) for _ in range(3)
    ]
    for t in attackers:
        t.start()
    served = [predict(dep, timeout=5) for _ in range(5)]  # meanwhile: a deadline, not a measurement
    for t in attackers:
        t.join(10)
    assert all(r.status_code == 200 for r in served)
    assert len(answers) == 3
    for r in answers:
        assert r.status_code == 422 and r.json()["field"] == "scoring_args.pickup_zone"
        assert "at most 64" in r.json()["error"] and len(r.text) < 1000  # nothing echoed
    many = predict(dep, timeout=5, ride=[RIDE] * (MAX_RIDES + 1))
    assert many.status_code == 422 and many.json()["field"] == "scoring_args"
    assert str(MAX_RIDES) in many.json()["error"]
    over = MAX_RIDES + 1
    infer = {
        "inputs": [
            {"name": k, "datatype": "BYTES", "shape": [over], "data": [v] * over} for k, v in RIDE.items()
        ]
    }
    base = dep["url"].rsplit("/", 3)[0]
    r = httpx.post(
        f"{base}/v2/models/{dep['model']}/infer",
        json=infer,
        headers={"X-Auth-Token": dep["auth_token"]},
        timeout=5,
    )
    assert r.status_code == 422 and r.json()["field"] == "inputs[0]" and str(MAX_RIDES) in r.json()["error"]


def test_a_body_without_a_token_is_never_read(dep: dict[str, Any]) -> None:
    with socket.create_connection(_host_port(dep), timeout=5) as s:
        path = dep["url"].split("/", 3)[3]
        s.sendall(f"POST /{path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n".encode())
        answer = s.recv(4096).decode()  # the body is never sent: the answer comes anyway
    assert answer.startswith("HTTP/1.1 401") and "X-Auth-Token" in answer
    deep = b'{"use_scoring": true, "scoring_args": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = httpx.post(dep["url"], content=deep, headers={"X-Auth-Token": dep["auth_token"]}, timeout=5)
    assert r.status_code in (400, 413) and r.json()["field"] == "body"


def _raise_open_files(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _closed_by_peer(sockets: list[socket.socket]) -> int:
    """Sockets the server has closed (end of file or reset), or turned away (a 503, then closed)."""
    closed = 0
    for s in sockets:
        try:
            s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)  # b"" (closed) or the 503 it was sent
            closed += 1
        except BlockingIOError:
            pass  # still open, nothing to read
        except OSError:
            closed += 1  # reset
    return closed


def test_thousands_of_idle_connections_starve_no_valid_client(
    fault_platform: FaultPlatform, dep: dict[str, Any]
) -> None:
    """Issue 8 §5: 4,200 idle connections without a token exhausted the server's file descriptors;
    valid predictions timed out for about 15 s per round until the supervisor restarted it."""
    limit = _raise_open_files(IDLE + 500)
    if limit < IDLE + 200:
        pytest.skip(f"this process may open only {limit} files; the case needs {IDLE} idle sockets")
    fp = fault_platform
    before = fp.get("limits")
    idle: list[socket.socket] = []
    try:
        for _ in range(IDLE):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")  # close = reset, fast
            s.connect(_host_port(dep))
            idle.append(s)
        # Long enough for the supervisor to kill a server that fails its health checks (3 in a row).
        deadline = time.monotonic() + 4 * HEALTH_EVERY_S + 1
        rounds = 0
        while time.monotonic() < deadline or rounds < 20:
            assert predict(dep, timeout=5).status_code == 200  # a deadline per request, no timing
            assert httpx.get(fp.platform.url + V1 + "/health", timeout=5).status_code == 200
            rounds += 1
            time.sleep(0.1)
        fds = len(list(Path(f"/proc/{dep['pid']}/fd").iterdir()))
        assert fds < MAX_CONNECTIONS + 100, fds  # bounded, far under its open-file limit (4096)
        assert _closed_by_peer(idle) >= IDLE - MAX_CONNECTIONS - 50  # idle ones gave way to new ones
        after = fp.get("limits")
        assert after["state"] == "configured" and after["pid"] == before["pid"]
        assert after["restarts"] == before["restarts"]  # never killed for failed health checks
    finally:
        for s in idle:
            s.close()
    assert predict(dep, timeout=5).status_code == 200
    metrics = httpx.get(dep["url"].rsplit("/", 3)[0] + "/metrics", timeout=5).text
    assert 'endpoint="predict",status="200"' in metrics


def test_idle_connections_cannot_starve_the_platform_api(fault_platform: FaultPlatform) -> None:
    """The same fault on the platform's own API (uvicorn does not time out a silent connection)."""
    from mlops_tui.platform.idle_guard import MAX_CONNECTIONS as API_MAX

    count = 3000
    if _raise_open_files(count + 500) < count + 200:
        pytest.skip(f"this process may not open {count} sockets")
    fp = fault_platform
    host, port = fp.platform.url.removeprefix("http://").split(":")
    idle: list[socket.socket] = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            s.connect((host, int(port)))
            idle.append(s)
        for _ in range(10):
            assert httpx.get(fp.platform.url + V1 + "/health", timeout=5).status_code == 200
            assert fp.api.get(f"{V1}/deployments", timeout=5).status_code == 200
        fds = len(list(Path(f"/proc/{fp.platform.proc.pid}/fd").iterdir()))  # type: ignore[union-attr]
        assert fds < API_MAX + 200, fds
        assert _closed_by_peer(idle) >= count - API_MAX - 50
    finally:
        for s in idle:
            s.close()
