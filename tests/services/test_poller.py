"""The poller: chained polls, capped backoff while the platform is down, recovery, re-login."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from mlops_tui.services.errors import SessionExpired, Unreachable
from mlops_tui.services.local.adapter import LocalPlatform
from mlops_tui.services.poller import ConnectionState, Poller
from mlops_tui.services.types import Credentials


class HealthServer:
    """A real HTTP server on loopback answering /health, that can be stopped and restarted."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server: asyncio.Server | None = None
        self.requests = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while await reader.readline() not in (b"\r\n", b""):
            pass
        self.requests += 1
        body = json.dumps({"status": "ok", "version": "test", "pid": 1}).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def _until(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def test_backoff_is_exponential_and_capped() -> None:
    poller = Poller(backoff_base=1.0, backoff_cap=30.0)
    assert [poller.backoff(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


async def test_backoff_while_down_and_recovery_after_restart() -> None:
    server = HealthServer()
    await server.start()
    platform = LocalPlatform(Credentials(f"http://127.0.0.1:{server.port}", "t", "u", "pw"), timeout=1.0)
    poller = Poller(backoff_base=0.05, backoff_cap=0.2)
    states: list[ConnectionState] = []
    poller.subscribe(lambda state, detail: states.append(state))
    status = poller.add_source("health", platform.health, interval=0.05)
    poller.start()
    try:
        await _until(lambda: status.last_updated is not None)
        assert poller.state == ConnectionState.CONNECTED
        first_update = status.last_updated

        await server.stop()
        await _until(lambda: status.failures >= 4)
        assert poller.state == ConnectionState.RETRYING
        assert isinstance(status.last_error, Unreachable)
        assert status.next_delay == 0.2  # capped
        assert status.last_updated == first_update  # stale data keeps its time

        await server.start()
        await _until(lambda: poller.state == ConnectionState.CONNECTED, timeout=3.0)
        assert status.failures == 0 and status.last_error is None
        assert status.last_updated > first_update
        assert states[:3] == [ConnectionState.CONNECTED, ConnectionState.RETRYING, ConnectionState.CONNECTED]
    finally:
        await poller.stop()
        await platform.aclose()
        await server.stop()


async def test_chained_polls_never_overlap() -> None:
    running = 0
    overlaps = 0
    calls = 0

    async def slow() -> int:
        nonlocal running, overlaps, calls
        running += 1
        overlaps += running > 1
        calls += 1
        await asyncio.sleep(0.03)
        running -= 1
        return calls

    poller = Poller()
    poller.add_source("slow", slow, interval=0.0)
    poller.start()
    await _until(lambda: calls >= 5)
    await poller.stop()
    assert overlaps == 0


async def test_session_expired_leads_to_relogin_then_retry() -> None:
    logins = 0
    expired = True

    async def relogin() -> None:
        nonlocal logins, expired
        logins += 1
        expired = False

    async def fetch() -> str:
        if expired:
            raise SessionExpired("gone")
        return "data"

    poller = Poller(relogin=relogin)
    states: list[ConnectionState] = []
    poller.subscribe(lambda state, detail: states.append(state))
    poller.add_source("jobs", fetch, interval=10)
    assert await poller.poll_once("jobs") == "data"
    assert logins == 1
    assert states == [ConnectionState.RELOGIN, ConnectionState.CONNECTED]


async def test_failed_relogin_is_auth_failed() -> None:
    from mlops_tui.services.errors import AuthFailed

    async def relogin() -> None:
        raise AuthFailed("wrong password")

    async def fetch() -> str:
        raise SessionExpired("gone")

    poller = Poller(relogin=relogin)
    poller.add_source("jobs", fetch)
    with pytest.raises(AuthFailed):
        await poller.poll_once("jobs")
    assert poller.state == ConnectionState.AUTH_FAILED


async def test_a_poll_that_contacted_nothing_never_turns_the_badge_connected() -> None:
    """The latency probe has nothing to ask while no deployment is ready: its poll returns
    NOT_CONTACTED, which must not flip the state to connected while the platform is unreachable
    (it did: the badge said "connected" after a failed sign-in)."""
    from mlops_tui.services.poller import NOT_CONTACTED

    states: list[ConnectionState] = []
    probes = 0

    async def clusters() -> None:
        raise Unreachable("http://127.0.0.1:9 did not answer")

    async def probe() -> object:
        nonlocal probes
        probes += 1
        return NOT_CONTACTED

    poller = Poller(backoff_base=0.01, backoff_cap=0.02)
    poller.subscribe(lambda state, _detail: states.append(state))
    poller.add_source("clusters", clusters, interval=0.01)
    poller.add_source("latency", probe, interval=0.01)
    poller.start()
    try:
        await _until(lambda: probes >= 20)
    finally:
        await poller.stop()
    assert ConnectionState.CONNECTED not in states
    assert poller.state is ConnectionState.RETRYING
    assert poller.status("latency").value is None


async def test_idle_polling_slows_down_until_something_changes() -> None:
    """No data changed for ``idle_after`` seconds: every source waits ``idle_interval``; a source
    marked ``activity=False`` (a probe whose every answer differs) does not keep it awake; a
    refresh (a person acted) ends idle mode and polls every source at once."""
    polls = {"same": 0, "probe": 0}
    value = {"same": "unchanged"}

    async def same() -> str:
        polls["same"] += 1
        return value["same"]

    async def probe() -> int:
        polls["probe"] += 1
        return polls["probe"]  # differs every time

    poller = Poller(idle_after=0.3, idle_interval=60.0)
    poller.add_source("same", same, interval=0.05)
    poller.add_source("probe", probe, interval=0.05, activity=False)
    poller.start()
    try:
        await _until(lambda: poller.idle, timeout=5)
        await asyncio.sleep(0.2)  # the polls under way when it went idle
        before = dict(polls)
        await asyncio.sleep(0.5)  # ten polls each at the working pace
        assert polls == before, (before, polls)
        value["same"] = "changed"
        poller.refresh("same")  # an action: both poll again, and the change keeps it awake
        await _until(lambda: polls["probe"] > before["probe"] and polls["same"] > before["same"])
        assert not poller.idle
        await asyncio.sleep(0.15)
        assert polls["same"] >= before["same"] + 2  # the working pace again
    finally:
        await poller.stop()


async def test_a_source_that_does_not_tell_the_connection_never_changes_it() -> None:
    """The latency probe goes straight to a prediction server: its answers while the platform is
    down must not turn the state connected, and its failures must not turn it disconnected."""
    states: list[ConnectionState] = []
    probes = 0
    platform_up = False

    async def clusters() -> str:
        if not platform_up:
            raise Unreachable("http://127.0.0.1:9 did not answer")
        return "clusters"

    async def probe() -> str:
        nonlocal probes
        probes += 1
        if probes % 2:
            raise Unreachable("the prediction server did not answer")
        return "sample"

    poller = Poller(backoff_base=0.01, backoff_cap=0.02)
    poller.subscribe(lambda state, _detail: states.append(state))
    poller.add_source("clusters", clusters, interval=0.01)
    poller.add_source("latency", probe, interval=0.01, tells_connection=False)
    poller.start()
    try:
        await _until(lambda: probes >= 20)
        assert states == [ConnectionState.RETRYING]
        assert poller.status("latency").value == "sample"
        platform_up = True
        await _until(lambda: poller.state is ConnectionState.CONNECTED)
        states.clear()
        seen = probes
        await _until(lambda: probes >= seen + 20)
        assert states == []  # the probe's failures never said disconnected
    finally:
        await poller.stop()
