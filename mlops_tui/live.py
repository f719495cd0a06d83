"""The app's live link to a platform: connect (start the local platform, log in), poll, reconnect.

Textual-free: the app hands in callbacks and gets :class:`ConnectionStatus`, data per topic and the
current platform back. Blocking steps (keyring, starting the platform, reading its URL file) run in
threads; the event loop never waits on them.

Topics polled: ``clusters``, ``jobs``, ``registry`` (models with their versions) and
``deployments``; ``broadcast`` (the facilitator's message, workshop accounts only); ``class`` (the
facilitator's class view, only while the Class screen is shown: ``class_enabled``); ``latency``
is a probe (the workshop's example ride, every few seconds) against the person's own ready
deployment (else the first they may use) while someone watches the dashboard; ``drift`` is the
drift report of each of the person's own ready deployments (at most ``MAX_DRIFT_DEPLOYMENTS``),
also only while the dashboard is shown, as a dict by deployment name; ``health`` is the platform's
``/health`` (where the adapter has it: the local platform), whose ``degraded`` reasons (disk full,
naming the path) go into the connection status, so the header badge and the dashboard show them.
One small unauthenticated GET every 5 s; it is not published as data.

When nothing has changed for ``IDLE_AFTER`` seconds the poller goes idle: every topic is polled at
most every ``INTERVALS["idle"]`` seconds until something changes or the person acts
(``services.poller``). The registry is listed with one call per poll; a model's versions are fetched
again only when its entry changed (its ``updated_at``, version count or latest version), and all of
them every ``REGISTRY_FULL_S`` seconds and after a refresh: a class of 40 shares one registry, and
fetching 40 version lists every 5 s for each of 40 idle TUIs would keep the platform busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mlops_tui.config import Profile
from mlops_tui.services import errors
from mlops_tui.services.platform import Platform
from mlops_tui.services.poller import NOT_CONTACTED, ConnectionState, Poller
from mlops_tui.services.terminal_text import plain
from mlops_tui.services.types import Deployment, DeploymentDrift, Model, ModelVersion
from mlops_tui.widgets.connection import ConnectionStatus, Link

log = logging.getLogger(__name__)

INTERVALS = {
    "clusters": 3.0,
    "jobs": 2.0,
    "registry": 5.0,
    "deployments": 3.0,
    "latency": 5.0,
    "drift": 10.0,  # a window of thousands of rides moves slowly
    "health": 5.0,
    "broadcast": 10.0,
    "class": 5.0,
    "idle": 15.0,  # the least wait between polls of every topic while idle (footprint: issue 9)
}
IDLE_AFTER = 30.0  # seconds without a change of data before polling slows to INTERVALS["idle"]
REGISTRY_FULL_S = 60.0  # every version list fetched again at least this often
MAX_DRIFT_DEPLOYMENTS = 8  # drift reports asked for per poll (one platform call each)
# Session roles that take part in a workshop (services.types.Session.role): they hear the broadcast.
WORKSHOP_ROLES = ("attendee", "facilitator")

# Topics whose answers come from elsewhere than the platform (a prediction server keeps serving
# while the platform is frozen, killed or stopped): they never change the connection badge.
NOT_THE_PLATFORM = frozenset({"latency"})


@dataclass(frozen=True)
class RegistryEntry:
    model: Model
    versions: tuple[ModelVersion, ...]


@dataclass(frozen=True)
class LatencySample:
    at: datetime
    deployment: str
    latency_ms: float
    value: float | None = None
    source: str = "probe"  # probe | predict (a person's own request)


class LiveLink:
    """Owns the current platform and its poller; reports through the three callbacks."""

    def __init__(
        self,
        *,
        on_status: Callable[[ConnectionStatus], None],
        on_data: Callable[[str, Any], None],
        on_platform: Callable[[Platform | None], None],
        clock: Callable[[], datetime],
        intervals: dict[str, float] | None = None,
        probe: Callable[[], dict[str, Any] | None] | None = None,
    ) -> None:
        self._on_status = on_status
        self._on_data = on_data
        self._on_platform = on_platform
        self.clock = clock
        self.intervals = {**INTERVALS, **(intervals or {})}
        self.platform: Platform | None = None
        self.profile: Profile | None = None
        self.poller: Poller | None = None
        self.status = ConnectionStatus()
        self.degraded: tuple[str, ...] = ()  # the platform's reasons while /health says degraded
        self.probe_enabled = False
        self.drift_enabled = False  # the dashboard is shown: poll the deployments' drift
        self.class_enabled = False  # the Class screen is shown: poll the class view
        self._probe_record = probe
        self._versions: dict[str, tuple[Model, tuple[ModelVersion, ...]]] = {}
        self._registry_full_at = float("-inf")
        self._rediscovering = False
        self._relogging = False
        self._probe_failure: str | None = None  # the last latency-probe failure logged

    # -- status ---------------------------------------------------------------------------------

    def _set(self, link: Link, detail: str = "", retry_at: datetime | None = None) -> None:
        # The detail quotes the platform's errors; the header shows it.
        self.status = ConnectionStatus(link, retry_at, plain(detail), self.degraded)
        self._on_status(self.status)

    def set_connecting(self, detail: str) -> None:
        self._set(Link.CONNECTING, detail)

    # -- connect / disconnect ---------------------------------------------------------------------

    async def open(
        self, profile: Profile | None, *, start: bool = True, password: str | None = None
    ) -> Platform:
        """Resolve ``profile`` (may start the local platform), build its adapter; no login yet."""
        from mlops_tui.services import factory

        if start and profile is not None and profile.platform == "local" and not profile.url:
            self.set_connecting("starting the local platform")
        try:
            if profile is None:
                raise errors.InvalidInput("no profile to connect with", field="profile")
            resolved = await asyncio.to_thread(factory.resolve, profile, start=start, password=password)
            return await asyncio.to_thread(factory.build_platform, resolved, on_relogin=self._relogin_started)
        except Exception as exc:
            # Nothing retries a failed open: the badge must not stay "connecting" beside the error;
            # a working platform stays as it was (the attempt never replaced it).
            if self.platform is None:
                self._set(Link.OFFLINE, getattr(exc, "message", "") or str(exc))
            raise

    async def attach(self, platform: Platform, profile: Profile | None = None, *, poll: bool = True) -> None:
        """Log ``platform`` in and start polling it. It replaces the current platform only once its
        login succeeded: a refused attempt (wrong password, unreachable URL) raises and leaves the
        working session, its polling and its stored credentials exactly as they were."""
        replacing = self.platform is not None
        if getattr(platform, "on_relogin", False) is None:  # built elsewhere (tests): tell us too
            platform.on_relogin = self._relogin_started  # type: ignore[attr-defined]
        if not replacing:
            self._set(Link.CONNECTING, "logging in")
        try:
            if platform.session is None:
                await platform.login()
        except errors.Unreachable as exc:
            if replacing:  # keep what works; the caller says why the attempt failed
                with contextlib.suppress(Exception):
                    await platform.aclose()
                raise
            self.profile = profile
            self._set(Link.DISCONNECTED, exc.message, self.clock() + timedelta(seconds=2))
            self.platform = platform
            self._on_platform(platform)
            if poll:
                self._start_poller()
            return
        except BaseException:
            if not replacing:
                self._set(Link.OFFLINE, "not logged in")
            with contextlib.suppress(Exception):
                await platform.aclose()
            raise
        await self.close()  # the old session goes only now, for one that works
        self.profile = profile
        self.platform = platform
        self._set(Link.CONNECTED)
        self._on_platform(platform)
        if poll:
            self._start_poller()

    async def close(self) -> None:
        poller, platform = self.poller, self.platform
        self.poller = None
        self.platform = None
        if poller is not None:
            await poller.stop()
        if platform is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(platform.aclose(), 5)
            self._on_platform(None)
        self.degraded = ()
        self._set(Link.OFFLINE)

    async def logout(self) -> None:
        if self.platform is not None:
            with contextlib.suppress(errors.PlatformError):
                await self.platform.logout()
        await self.close()

    # -- polling ---------------------------------------------------------------------------------

    def _start_poller(self) -> None:
        poller = Poller(relogin=self._relogin, idle_after=IDLE_AFTER, idle_interval=self.intervals["idle"])
        self.poller = poller
        self._versions.clear()
        self._registry_full_at = float("-inf")
        # The probe asks a prediction server, not the platform: it never tells the connection.
        for topic, fetch, activity in (
            ("clusters", self._fetch_clusters, True),
            ("jobs", self._fetch_jobs, True),
            ("registry", self._fetch_registry, True),
            ("deployments", self._fetch_deployments, True),
            ("broadcast", self._fetch_broadcast, True),
            ("class", self._fetch_class, False),  # its time stamps and prediction counts always move
            ("latency", self._fetch_latency, False),  # every answer differs
            ("drift", self._fetch_drift, False),  # its counts move with every prediction
            ("health", self._fetch_health, False),
        ):
            poller.add_source(
                topic,
                fetch,
                interval=self.intervals[topic],
                on_result=self._result,
                on_error=self._error,
                activity=activity,
                tells_connection=topic not in NOT_THE_PLATFORM,
            )
        poller.subscribe(self._poller_state)
        poller.start()

    def refresh(self, topic: str | None = None) -> None:
        if topic in (None, "registry"):
            self._registry_full_at = float("-inf")  # after an action: every version list again
        if self.poller is not None:
            self.poller.refresh(topic)

    def activity(self) -> None:
        """A person acted (e.g. switched screens): leave idle polling."""
        if self.poller is not None:
            self.poller.activity()

    def _require(self) -> Platform:
        if self.platform is None:
            raise errors.Unreachable("not connected to a platform")
        return self.platform

    async def _fetch_clusters(self) -> Any:
        return await self._require().list_clusters()

    async def _fetch_jobs(self) -> Any:
        return await self._require().list_jobs()

    async def _fetch_deployments(self) -> Any:
        return await self._require().list_deployments()

    async def _fetch_registry(self) -> Any:
        """Models and their versions; a model's versions are asked for again only when its entry
        changed, or every ``REGISTRY_FULL_S`` seconds (see the module's docstring)."""
        platform = self._require()
        models = await platform.list_models()
        full = time.monotonic() - self._registry_full_at >= REGISTRY_FULL_S
        stale = [m for m in models if full or self._versions.get(m.name, (None,))[0] != m]
        fetched = await asyncio.gather(*(platform.list_versions(m.name) for m in stale))
        if full:
            self._registry_full_at = time.monotonic()
            self._versions.clear()
        for m, v in zip(stale, fetched, strict=True):
            self._versions[m.name] = (m, tuple(sorted(v, key=lambda mv: mv.version)))
        names = {m.name for m in models}
        for gone in [name for name in self._versions if name not in names]:
            del self._versions[gone]
        return [RegistryEntry(m, self._versions[m.name][1]) for m in models]

    async def _fetch_broadcast(self) -> Any:
        """The facilitator's message, for workshop accounts (None when there is none). A platform
        that keeps no broadcast (Kubernetes) is not asked again."""
        platform = self._require()
        session = platform.session
        if session is None or session.role not in WORKSHOP_ROLES:
            return NOT_CONTACTED
        try:
            return await platform.broadcast()
        except errors.NotSupported:
            return NOT_CONTACTED

    async def _fetch_class(self) -> Any:
        """The class view, while the Class screen is shown (``class_enabled``)."""
        if not self.class_enabled:
            return NOT_CONTACTED
        return await self._require().class_view()

    async def _fetch_latency(self) -> Any:
        """One prediction of the example ride on the first ready deployment (None when there is none)."""
        if not self.probe_enabled or self._probe_record is None:
            return NOT_CONTACTED
        record = self._probe_record()
        deployments = self.poller.status("deployments").value if self.poller else None
        platform = self._require()
        if deployments is None:  # not polled yet (just launched): ask, rather than wait a round
            deployments = await platform.list_deployments()
        user = platform.credentials.user
        # One's own first: in a workshop the list holds the whole class's deployments, whose
        # tokens an attendee does not get (auth_token None).
        ready: list[Deployment] = sorted(
            (d for d in deployments if d.ready and (d.auth_token is not None or d.owner in ("", user))),
            key=lambda d: d.owner != user,
        )
        if record is None or not ready:
            return NOT_CONTACTED
        started = time.perf_counter()
        try:
            prediction = await platform.predict(ready[0].name, [record], probe=True)
        except (
            errors.InvalidInput,
            errors.Forbidden,
            errors.NotFound,
            errors.PlatformFailure,
            errors.Unreachable,
        ) as exc:
            # The deployment refused, or its server is away: a probe failure, not the platform's
            # connection (the other sources, which call the platform itself, tell that).
            failure = f"latency probe on {ready[0].name} failed: {exc}"
            if failure != self._probe_failure:  # logged when it starts or changes, not every poll
                log.info("%s", failure)
                self._probe_failure = failure
            return NOT_CONTACTED
        if self._probe_failure is not None:
            log.info("latency probe on %s works again", ready[0].name)
            self._probe_failure = None
        latency = prediction.latency_ms or (time.perf_counter() - started) * 1000
        return LatencySample(self.clock(), ready[0].name, latency, prediction.value)

    async def _fetch_drift(self) -> Any:
        """The drift report of each of one's own ready deployments, by name (while the dashboard
        is shown). One the platform does not find (deleted meanwhile, or a platform older than
        drift monitoring) gets an unavailable report saying so."""
        if not self.drift_enabled:
            return NOT_CONTACTED
        platform = self._require()
        deployments = self.poller.status("deployments").value if self.poller else None
        if deployments is None:
            deployments = await platform.list_deployments()
        user = platform.credentials.user
        mine = [d for d in deployments if d.ready and d.owner in ("", user)][:MAX_DRIFT_DEPLOYMENTS]

        async def one(d: Deployment) -> DeploymentDrift:
            try:
                return await platform.deployment_drift(d.name)
            except errors.NotFound as exc:
                return DeploymentDrift(d.name, d.model, d.version, reason=exc.message)

        reports = await asyncio.gather(*(one(d) for d in mine))
        return {r.deployment: r for r in reports}

    async def _fetch_health(self) -> Any:
        """``/health`` where the adapter has it (the local platform); nothing to ask otherwise."""
        health = getattr(self._require(), "health", None)
        return NOT_CONTACTED if health is None else await health()

    def _refusal(self) -> errors.AuthFailed | None:
        """The adapter's refusal of its stored password (it never sends it again), if any."""
        return getattr(self.platform, "refused", None) if self.platform is not None else None

    def _result(self, topic: str, value: Any) -> None:
        if self._refusal() is not None:
            pass  # a call without a session (``/health``) answered: still not logged in
        elif self.status.link in (Link.RELOGIN, Link.CONNECTING) and topic not in NOT_THE_PLATFORM:
            # A transparent re-login by the adapter: the poller never saw a state change.
            self._set(Link.CONNECTED)
        if topic == "health":
            self._health(value)
            return
        if topic == "latency" and value is None:
            return
        self._on_data(topic, value)

    def _health(self, answer: Any) -> None:
        """Carry ``/health``'s ``degraded`` reasons (sanitised: they quote paths) into the status."""
        reasons: tuple[str, ...] = ()
        if isinstance(answer, dict) and answer.get("status") == "degraded":
            reasons = tuple(plain(str(r)) for r in answer.get("reasons") or ()) or ("degraded",)
        if reasons != self.degraded:
            self.degraded = reasons
            self._set(self.status.link, self.status.detail, self.status.retry_at)

    def _error(self, topic: str, exc: errors.PlatformError) -> None:
        self._on_data(f"error:{topic}", exc)

    # -- connection state ----------------------------------------------------------------------

    def _poller_state(self, state: ConnectionState, detail: str) -> None:
        detail = plain(detail)  # before a prefix of ours goes in front
        refused = self._refusal()
        if refused is not None and state is not ConnectionState.RETRYING:
            # Neither a call without a session (``/health``) nor a re-login attempt may say
            # "connected" or "re-logging in": the password is refused until a new one is typed.
            self._relogging = False
            self._set(Link.REFUSED, refused.message)
        elif state is ConnectionState.CONNECTED:
            self._relogging = False
            self._set(Link.CONNECTED)
        elif state is ConnectionState.RETRYING:
            delays = [
                s.next_delay for s in (self.poller.sources.values() if self.poller else ()) if s.failures
            ]
            retry_at = self.clock() + timedelta(seconds=min(delays) if delays else 1.0)
            self._set(Link.DISCONNECTED, detail, retry_at)
            self._rediscover()
        elif state is ConnectionState.RELOGIN:
            self._set(Link.RELOGIN, detail)
        elif state is ConnectionState.AUTH_FAILED:
            self._set(Link.OFFLINE, f"log in again: {detail}")

    def refresh_retry_countdown(self) -> None:
        """Keep the badge's "retrying in Ns" honest while the platform stays away."""
        if self.status.link is Link.DISCONNECTED and self.poller is not None:
            self._poller_state(ConnectionState.RETRYING, self.status.detail)

    def _relogin_started(self) -> None:
        if self._refusal() is not None:
            return  # no attempt follows: the adapter raises its refusal at once
        self._relogging = True
        self._set(Link.RELOGIN, "logging in again with the stored credentials")

    async def _relogin(self) -> Any:
        self._relogin_started()
        return await self._require().login()

    def _rediscover(self) -> None:
        """A local platform restarted on another port: follow it to its new URL."""
        profile = self.profile
        if self._rediscovering or profile is None or profile.platform != "local" or profile.url:
            return
        self._rediscovering = True
        asyncio.get_running_loop().create_task(self._follow_local_platform())

    async def _follow_local_platform(self) -> None:
        from mlops_tui import config
        from mlops_tui.services.local.launcher import running_url

        try:
            url = await asyncio.to_thread(running_url, config.platform_state_dir())
            platform = self.platform
            if url is None or platform is None or url.rstrip("/") == platform.credentials.url.rstrip("/"):
                return
            new = await self.open(self.profile, start=False)
            await new.login()
            old = self.platform
            self.platform = new
            self._on_platform(new)
            if self.poller is not None:
                self.poller.refresh()
            if old is not None:
                with contextlib.suppress(Exception):
                    await old.aclose()
        except errors.PlatformError as exc:
            log.info("could not follow the local platform: %s", exc)
        finally:
            self._rediscovering = False


def now_utc() -> datetime:
    return datetime.now(UTC)
