"""Chained polling of platform data with a global connection state (design §4).

Each *source* (clusters, jobs, models, ...) is one fetch coroutine polled by its own task: the next
poll is scheduled only after the previous one finished, so a slow platform is never hammered. While
the platform is unreachable the delay grows exponentially up to a cap; the first success resets it.
A :class:`SessionExpired` leads to one re-login through the platform, then the poll is retried.

*Idle mode*: when no source's data has changed for ``idle_after`` seconds, every source waits at
least ``idle_interval`` between polls; the first change (or :meth:`Poller.activity`, e.g. a person
switching screens, or :meth:`Poller.refresh` after an action) ends it and polls every source at
once. Why: an attendee leaves the dashboard open for hours while nothing happens, and a class of 40
shares one 2-core jump host; polling at the working pace all that time was about 1 % of one core
per idle TUI plus its share of the platform (``benchmarks/attendee_footprint.py``).

Only sources that call the platform itself tell the connection state. A source added with
``tells_connection=False`` (the latency probe, which goes straight to a prediction server that
keeps serving while the platform is frozen or gone) is polled and backed off like the others, but
neither its successes nor its failures ever change the state: a live deployment must not turn the
badge "connected" while every call to the platform times out.

The TUI subscribes with callbacks (plain functions, called on the event loop); nothing here
imports Textual.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from mlops_tui.services.errors import AuthFailed, PasswordRefused, PlatformError, SessionExpired, Unreachable

log = logging.getLogger(__name__)


class _NotContacted:
    """The type of :data:`NOT_CONTACTED`."""

    def __repr__(self) -> str:
        return "NOT_CONTACTED"


NOT_CONTACTED: Any = _NotContacted()
"""What a fetch returns when it had nothing to ask the platform this time (e.g. a latency probe with
no ready deployment): the poll counts neither as a success (the connection state is left as it is,
so a badge never turns "connected" on a call that was not made) nor as a failure."""


class ConnectionState(StrEnum):
    CONNECTED = "connected"
    RETRYING = "disconnected-retrying"
    RELOGIN = "session re-login"
    AUTH_FAILED = "auth failed"  # the stored credentials no longer work: a person must log in
    UNKNOWN = "unknown"


@dataclass
class SourceStatus:
    """What a panel shows about its data: when it was last fresh and the last error, if any."""

    name: str
    interval: float
    last_updated: datetime | None = None
    last_error: PlatformError | None = None
    failures: int = 0
    next_delay: float = 0.0
    value: Any = None


ResultCallback = Callable[[str, Any], None]
ErrorCallback = Callable[[str, PlatformError], None]
StateCallback = Callable[[ConnectionState, str], None]


@dataclass
class _Source:
    status: SourceStatus
    fetch: Callable[[], Awaitable[Any]]
    on_result: ResultCallback | None
    on_error: ErrorCallback | None
    activity: bool = True  # a change of its data ends idle mode (not for probes that always differ)
    tells_connection: bool = True
    task: asyncio.Task[None] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class Poller:
    """Polls sources; ``relogin`` (e.g. ``platform.login``) is awaited on a SessionExpired."""

    def __init__(
        self,
        *,
        relogin: Callable[[], Awaitable[Any]] | None = None,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        idle_after: float | None = None,
        idle_interval: float = 10.0,
    ) -> None:
        self._relogin = relogin
        self.idle_after = idle_after
        self.idle_interval = idle_interval
        self._last_change = time.monotonic()
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sources: dict[str, _Source] = {}
        self._subscribers: list[StateCallback] = []
        self.state = ConnectionState.UNKNOWN
        self.state_detail = ""
        self._relogin_lock = asyncio.Lock()
        self._running = False

    # -- configuration -------------------------------------------------------------------------

    def add_source(
        self,
        name: str,
        fetch: Callable[[], Awaitable[Any]],
        *,
        interval: float = 2.0,
        on_result: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
        activity: bool = True,
        tells_connection: bool = True,
    ) -> SourceStatus:
        """Poll ``fetch`` every ``interval`` seconds (after the previous poll ended). ``activity``
        False: changes of its data do not end idle mode (a latency probe, whose every answer
        differs). ``tells_connection`` False: its outcome never changes the connection state (see
        the module)."""
        if name in self._sources:
            raise ValueError(f"source {name} already added")
        source = _Source(SourceStatus(name, interval), fetch, on_result, on_error, activity, tells_connection)
        self._sources[name] = source
        if self._running:
            source.task = asyncio.create_task(self._run(source), name=f"poll:{name}")
        return source.status

    def subscribe(self, callback: StateCallback) -> Callable[[], None]:
        """Call ``callback(state, detail)`` on every connection-state change; returns an unsubscribe."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def status(self, name: str) -> SourceStatus:
        return self._sources[name].status

    @property
    def sources(self) -> dict[str, SourceStatus]:
        return {name: s.status for name, s in self._sources.items()}

    # -- running -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start polling every source (needs a running event loop)."""
        self._running = True
        for source in self._sources.values():
            if source.task is None or source.task.done():
                source.task = asyncio.create_task(self._run(source), name=f"poll:{source.status.name}")

    async def stop(self) -> None:
        self._running = False
        tasks = [s.task for s in self._sources.values() if s.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for source in self._sources.values():
            source.task = None

    @property
    def idle(self) -> bool:
        """No data changed for ``idle_after`` seconds: sources poll at ``idle_interval`` at most."""
        return self.idle_after is not None and time.monotonic() - self._last_change >= self.idle_after

    def activity(self) -> None:
        """Something happened (data changed, a person acted): leave idle mode, polling every
        source at once if it was idle."""
        was_idle = self.idle
        self._last_change = time.monotonic()
        if was_idle:
            for source in self._sources.values():
                source.wake.set()

    def refresh(self, name: str | None = None) -> None:
        """Poll now (one source or all) instead of waiting for the delay, e.g. after an action."""
        self.activity()
        for source_name, source in self._sources.items():
            if name is None or name == source_name:
                source.wake.set()

    async def poll_once(self, name: str) -> Any:
        """One poll of ``name`` with the same error handling; returns the value or raises."""
        return await self._poll(self._sources[name])

    # -- internals -----------------------------------------------------------------------------

    def _set_state(self, state: ConnectionState, detail: str = "") -> None:
        if state == self.state and detail == self.state_detail:
            return
        if state != self.state:  # a change of state is an event; a new countdown in its detail is not
            log.info("connection: %s -> %s%s", self.state, state, f" ({detail})" if detail else "")
        self.state, self.state_detail = state, detail
        for callback in list(self._subscribers):
            callback(state, detail)

    def backoff(self, failures: int) -> float:
        """Delay after ``failures`` consecutive unreachable polls: base·2^(n-1), capped."""
        return min(self.backoff_cap, self.backoff_base * 2 ** max(0, failures - 1))

    async def _poll(self, source: _Source) -> Any:
        status = source.status
        try:
            try:
                value = await source.fetch()
            except SessionExpired:
                await self._do_relogin()
                value = await source.fetch()
        except (Unreachable, AuthFailed, SessionExpired) as exc:
            status.failures += 1
            status.last_error = exc
            status.next_delay = self.backoff(status.failures)
            if isinstance(exc, Unreachable) and source.tells_connection:
                detail = f"{exc.message}; retrying in {status.next_delay:.0f} s"
                self._set_state(ConnectionState.RETRYING, detail)
            if isinstance(exc, PasswordRefused) and source.tells_connection:
                self._set_state(ConnectionState.AUTH_FAILED, exc.message)
            if source.on_error:
                source.on_error(status.name, exc)
            raise
        except PlatformError as exc:
            status.last_error = exc
            status.failures = 0
            status.next_delay = status.interval
            if source.on_error:
                source.on_error(status.name, exc)
            raise
        if value is NOT_CONTACTED:
            status.next_delay = status.interval
            return None
        if source.activity and value != status.value:
            self.activity()
        status.failures = 0
        status.last_error = None
        status.value = value
        status.last_updated = datetime.now(UTC)
        status.next_delay = status.interval
        if source.tells_connection:
            self._set_state(ConnectionState.CONNECTED)
        if source.on_result:
            source.on_result(status.name, value)
        return value

    async def _do_relogin(self) -> None:
        if self._relogin is None:
            self._set_state(ConnectionState.AUTH_FAILED, "the session expired")
            raise SessionExpired("the session expired and there is no way to log in again here")
        async with self._relogin_lock:
            self._set_state(ConnectionState.RELOGIN, "logging in again with the stored credentials")
            try:
                await self._relogin()
            except (AuthFailed, SessionExpired) as exc:
                self._set_state(ConnectionState.AUTH_FAILED, exc.message)
                raise
        self._set_state(ConnectionState.CONNECTED)

    async def _run(self, source: _Source) -> None:
        while True:
            source.wake.clear()
            with contextlib.suppress(PlatformError):
                await self._poll(source)
            delay = source.status.next_delay or source.status.interval
            if self.idle:
                delay = max(delay, self.idle_interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(source.wake.wait(), timeout=delay)
