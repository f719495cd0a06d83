"""The local adapter's resilience paths against the real platform on loopback (no mocks):

- ``follow_log`` keeps following a long training job across a session that ends behind the
  adapter's back. The platform checks the session when a log stream opens, not while it streams,
  so the expiry only shows when the stream has to be reopened; a real TCP relay on loopback between
  the adapter and the platform cuts the connection (a dropped network), the adapter reopens from
  the last line it saw, gets 401, logs in again (``on_relogin``) and goes on, no line lost or doubled.
- ``predict`` after the deployment's prediction server was ``kill -9``-ed: the supervisor restarts
  it on the same (platform-held) listening socket, and the adapter promises a transparent retry on
  a dropped connection, so every call succeeds and no exception leaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from local_platform_support import (
    DEFAULT_DATA,
    DEFAULT_USER,
    V1,
    WORKSHOP_RIDE,
    LocalPlatform,
    wait_state,
)

from mlops_tui.services.local.adapter import LocalPlatform as Adapter
from mlops_tui.services.types import Credentials, JobSpec

pytestmark = pytest.mark.slow

BATCH = 1000  # rides in one prediction request: the most a prediction server takes in one


class Relay:
    """A TCP relay on loopback in front of a port; :meth:`cut` drops every open connection."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.server: asyncio.Server | None = None
        self.connections: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self.accepted = 0

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aenter__(self) -> Relay:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        self.cut()
        await self.server.wait_closed()

    def cut(self) -> None:
        for client, upstream in list(self.connections):
            client.transport.abort()
            upstream.transport.abort()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer, up_writer)
        self.connections.add(pair)

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()

        try:
            _done, pending = await asyncio.wait(
                [asyncio.create_task(pipe(reader, up_writer)), asyncio.create_task(pipe(up_reader, writer))],
                return_when=asyncio.FIRST_COMPLETED,
            )
            for task in pending:
                task.cancel()
        finally:
            self.connections.discard(pair)
            writer.transport.abort()
            up_writer.transport.abort()


async def _until(what: str, condition: Callable[[], bool], timeout: float, task: asyncio.Task[Any]) -> None:
    """Wait for ``condition``; fail (with the task's own error if it ended) rather than hang."""
    deadline = time.monotonic() + timeout
    while not condition():
        if task.done():
            task.result()  # raises what the task raised
            raise AssertionError(f"the awaited task ended before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.05)


def _rounds(lines: list[str]) -> list[int]:
    out = []
    for line in lines:
        if line.startswith("@@mlops "):
            data = json.loads(line.removeprefix("@@mlops "))
            if data.get("type") == "round":
                out.append(int(data["round"]))
    return out


async def test_follow_log_goes_on_across_a_session_expiry(
    local_platform: LocalPlatform, api: httpx.Client, lab_code: str
) -> None:
    creds = local_platform.credentials
    assert creds is not None
    relogins: list[float] = []
    async with (
        Relay(local_platform.port) as relay,
        Adapter(
            Credentials(relay.url, creds.tenant, creds.user, creds.password),
            on_relogin=lambda: relogins.append(time.monotonic()),
        ) as p,
    ):
        spec = JobSpec(
            cluster="training-engine-shared",
            code=lab_code,
            data=DEFAULT_DATA,
            output=f"models/{DEFAULT_USER}",
            params={"rounds": 10000, "early-stopping": 0},
            name="resilience-follow",
        )
        job = await p.submit_job(spec)
        lines: list[str] = []

        async def follow() -> None:
            async for line in p.follow_log(job.id):
                lines.append(line)

        task = asyncio.create_task(follow())
        try:
            # The job may wait for a worker and loads its data first: generous, the rest is quick.
            await _until("three training rounds", lambda: len(_rounds(lines)) >= 3, 120, task)
            stale = p.session
            assert stale is not None and relogins == []

            # The session ends behind the adapter's back, then the network drops the stream.
            stale_header = {"X-BDS-SESSION": stale.id}
            gone = httpx.delete(local_platform.url + stale.id, headers=stale_header, timeout=10)
            assert gone.status_code == 204, gone.text
            assert httpx.get(f"{local_platform.url}{V1}/jobs", headers=stale_header).status_code == 401
            seen = len(lines)
            before = relay.accepted
            relay.cut()

            await _until(
                "new log lines after a transparent re-login",
                lambda: len(relogins) == 1 and len(_rounds(lines[seen:])) >= 5,
                30,
                task,
            )
            assert relay.accepted > before  # the stream really was reopened
            assert p.session is not None and p.session.id != stale.id
            assert (await p.get_job(job.id)).state.value == "running"

            cancelled = await p.cancel_job(job.id)
            assert cancelled.state.value in ("cancelled", "running")  # cancel kills the process group
            await asyncio.wait_for(task, 30)  # the iterator ends once the job is final
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
                api.post(f"{V1}/jobs/{job.id}/cancel")

        assert relogins and len(relogins) == 1
        ops = [(c.op, c.status) for c in p.calls]
        reopened = ops.index(("follow_log", 401))
        assert ops[reopened : reopened + 3] == [("follow_log", 401), ("login", 201), ("follow_log", 200)], ops
        final = api.get(f"{V1}/jobs/{job.id}").json()
        assert final["state"] == "cancelled", final
        # Reopened from the last line seen: the lines followed are exactly the job's log.
        full = api.get(f"{V1}/jobs/{job.id}/log", params={"follow": False}).text.split("\n")
        if full and full[-1] == "":
            full.pop()
        assert lines == full
        rounds = _rounds(lines)
        assert rounds == list(range(rounds[0], rounds[0] + len(rounds))), "a round was lost or doubled"


@pytest.fixture
def own_deployment(api: httpx.Client, registered_version: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A deployment of its own (the shared one's restart count and crash backoff stay untouched)."""
    body = {
        "name": "resilience-serving",
        "model": registered_version["model"],
        "version": registered_version["version"],
    }
    r = api.post(f"{V1}/deployments", json=body)
    assert r.status_code == 201, r.text
    dep = wait_state(api, f"{V1}/deployments/resilience-serving")
    assert dep["state"] == "configured", dep
    yield dep
    api.delete(f"{V1}/deployments/resilience-serving")


def _restarted(api: httpx.Client, path: str, old: dict[str, Any]) -> dict[str, Any]:
    now = wait_state(api, path, timeout=30)
    assert now["state"] == "configured" and now["pid"] not in (None, old["pid"]), now
    assert now["restarts"] == old["restarts"] + 1 and now["url"] == old["url"], now
    return now


async def test_predict_survives_a_killed_prediction_server(
    local_platform: LocalPlatform, api: httpx.Client, own_deployment: dict[str, Any]
) -> None:
    name = own_deployment["name"]
    path = f"{V1}/deployments/{name}"
    creds = local_platform.credentials
    assert creds is not None
    async with Adapter(creds) as p:
        first = await p.predict(name, [WORKSHOP_RIDE])  # also leaves a kept-alive connection
        expected = pytest.approx(first.values[0])
        assert first.values[0] > 0

        # 1. Killed while answering: the server is frozen (SIGSTOP), a batch is sent on the kept-alive
        # connection, and the server is killed with the request in hand.
        dep = api.get(path).json()
        os.kill(dep["pid"], signal.SIGSTOP)
        batch = asyncio.create_task(p.predict(name, [WORKSHOP_RIDE] * BATCH))
        await asyncio.sleep(0.5)
        assert not batch.done()
        os.kill(dep["pid"], signal.SIGKILL)
        answer = await asyncio.wait_for(batch, 60)  # transparent: no Unreachable, nothing else
        assert len(answer.values) == BATCH and all(v == expected for v in answer.values)
        # The dropped connection was seen, the deployment refreshed, and the call retried.
        tail = [(c.op, c.status) for c in p.calls][-3:]
        assert tail == [("predict", None), ("get_deployment", 200), ("predict", 200)], tail
        dep = _restarted(api, path, dep)

        # 2. Killed between calls: the kept-alive connection is dead. The call goes through at once
        # or after one retry on a fresh connection (the platform keeps the port's listening socket,
        # so a connection made during the restart waits in the backlog for the new server).
        os.kill(dep["pid"], signal.SIGKILL)
        again = await asyncio.wait_for(p.predict(name, [WORKSHOP_RIDE]), 30)
        assert again.values[0] == expected and again.status == 200
        _restarted(api, path, dep)
