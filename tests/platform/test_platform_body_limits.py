"""Every platform endpoint limits its request body before reading it (issue 8 §5)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from local_platform_support import REPLACE, V1, LocalPlatform, PlatformFactory

from mlops_tui.platform.body_limit import MAX_JSON_BODY

MIB = 1 << 20


def _peak_rss_mb(pid: int) -> float:
    """VmHWM: the most memory the process has ever held (so a brief spike cannot hide)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _chunks(total: int, size: int = MIB) -> Iterator[bytes]:
    block = b"x" * size
    for _ in range(total // size):
        yield block


def test_a_100_mib_login_body_is_refused_before_it_is_read(platform_factory: PlatformFactory) -> None:
    """Issue 8 §5: 100 MiB to POST /api/v2/session raised the platform from 76 MB to 388 MB."""
    p = platform_factory.new("body-limits")
    assert p.proc is not None
    before = _peak_rss_mb(p.proc.pid)
    host, port = p.url.removeprefix("http://").split(":")
    # The head alone declares 100 MiB: the answer comes without a byte of the body being sent.
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(
            b"POST /api/v2/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (100 * MIB)
        )
        answer = b"".join(iter(lambda: s.recv(65536), b"")).decode()  # until the platform closes
    assert answer.startswith("HTTP/1.1 413"), answer
    assert '"field":"body"' in answer and "64 KiB" in answer
    # The whole body, declared and then without a length (chunked): refused, never held in memory.
    declared = httpx.post(p.url + "/api/v2/session", content=b"{" + b" " * (100 * MIB) + b"}", timeout=60)
    assert declared.status_code == 413 and declared.json()["field"] == "body"
    try:
        chunked = httpx.post(p.url + "/api/v2/session", content=_chunks(100 * MIB), timeout=60)
        assert chunked.status_code == 413 and chunked.json()["field"] == "body"
    except httpx.TransportError:
        pass  # the platform may close before the client has sent everything: also refused
    assert _peak_rss_mb(p.proc.pid) - before < 20  # the body was never read into memory
    assert httpx.get(p.url + V1 + "/health", timeout=10).status_code == 200


def test_json_endpoints_take_small_bodies_and_uploads_the_repository_limit(
    local_platform: LocalPlatform,
) -> None:
    client = local_platform.login()
    try:
        big_json = {"model": "m", "job_id": "1", "description": "d" * (MAX_JSON_BODY + 1)}
        r = client.post(f"{V1}/models", json=big_json)
        assert r.status_code == 413 and r.json()["field"] == "body" and "64 KiB" in r.json()["error"]
        upload = client.put(f"{V1}/repo/data/body-limit-test.bin", params=REPLACE, content=b"\0" * (2 * MIB))
        assert upload.status_code == 201 and upload.json()["size"] == 2 * MIB
        assert client.delete(f"{V1}/repo/data/body-limit-test.bin").status_code == 204
    finally:
        client.close()
    t0 = time.monotonic()
    assert httpx.get(local_platform.url + V1 + "/health", timeout=10).status_code == 200
    assert time.monotonic() - t0 < 10
