"""The platform process: wires the services together and serves the API (``serve``, ``add_user``).

``serve`` binds its socket itself (port 0 = any free port), so the real port is known before
``platform.json`` is written and the same socket can be reused on restart. Before it opens the
database it checks the state directory (:mod:`integrity`): a damaged or missing database next to
a platform's state is refused with one line (also left in ``platform.refused`` for ``status``),
never initialised over. Everything it creates is private (umask 077).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from mlops_tui import __version__
from mlops_tui.platform import bootstrap, workshop
from mlops_tui.platform.api import create_app
from mlops_tui.platform.auth import Auth
from mlops_tui.platform.clusters import Clusters
from mlops_tui.platform.db import Database
from mlops_tui.platform.deployments import ServingPolicy, Supervisor
from mlops_tui.platform.errors import ApiError, disk_full
from mlops_tui.platform.idle_guard import guarded
from mlops_tui.platform.integrity import StateRefused, check_state
from mlops_tui.platform.job_log import DEFAULT_MAX_MIB
from mlops_tui.platform.prediction_progress import PredictionProgress
from mlops_tui.platform.registry import Registry
from mlops_tui.platform.repo import FolderRule
from mlops_tui.platform.sandbox import Sandboxing, SandboxUnavailable
from mlops_tui.platform.state import (
    EXIT_STATE_REFUSED,
    HANDOVER_SIGNAL,
    AlreadyRunning,
    PlatformLock,
    StatePaths,
    private_umask,
    remove_info,
    utcnow,
    write_info,
    write_private,
)
from mlops_tui.platform.storage import StorageMonitor, is_disk_full
from mlops_tui.platform.training import TrainingEngine

log = logging.getLogger("mlops_tui.platform")


class Platform:
    """All services of one running platform, built around one database."""

    def __init__(
        self,
        paths: StatePaths,
        *,
        host: str = "127.0.0.1",
        workers: int = 2,
        session_ttl_minutes: float = 1440,
        serving: ServingPolicy | None = None,
        job_log_max_mib: int = DEFAULT_MAX_MIB,
    ) -> None:
        self.paths = paths
        self.host = host
        self.url = ""
        self.started_at = utcnow()
        self.db = Database(paths.db)
        self.storage = StorageMonitor(paths.root, self.db)
        self.auth = Auth(self.db, session_ttl_minutes)
        self.registry = Registry(self.db, paths)
        from mlops_tui.config import config_dir

        # What a sandbox never shows: the state (first), the credentials folder, the home directory.
        self.sandboxing = Sandboxing(self.shared, [paths.root, config_dir(), Path.home()])
        self.engine = TrainingEngine(
            self.db,
            paths,
            workers,
            storage=self.storage,
            sandboxing=self.sandboxing,
            folder_rule=self.folder_rule,
            log_max_bytes=job_log_max_mib << 20,
        )
        self.supervisor = Supervisor(self.db, paths, self.registry, host, serving)
        self.supervisor.sandboxing = self.sandboxing
        self.supervisor.caps = self.deployment_caps
        self.clusters = Clusters(self.db, paths, self.engine, self.supervisor, host)
        self.clusters.sandboxing = self.sandboxing
        self.clusters.folder_rule = self.folder_rule
        self.prediction_progress = PredictionProgress(self.db)
        self._storage_task: asyncio.Task[None] | None = None

    # -- workshop mode (issue 9)
    def shared(self) -> bool:
        """True when someone else's code may run here: a workshop, or more than one tenant or user.
        Jobs, prediction servers and notebooks then run sandboxed (``sandbox``)."""
        return workshop.settings(self.db) is not None or self.auth.principal_count() > 1

    def shared_as_workshop(self) -> bool:
        """True in workshop mode (attendees use the platform of the facilitator)."""
        return workshop.settings(self.db) is not None

    def folder_rule(self, tenant: str, user: str) -> FolderRule:
        """``user``'s view of ``tenant``'s repository (``repo.check_folder_access``)."""
        return FolderRule(user, self.auth.role_of(tenant, user), self.auth.attendee_folders(tenant))

    def deployment_caps(self) -> tuple[int | None, int | None]:
        """(per attendee, whole platform) caps on deployments: a workshop's, else none."""
        current = workshop.settings(self.db)
        if current is None:
            return None, None
        return current.max_deployments_per_attendee, current.max_deployments

    def bootstrap(self) -> None:
        bootstrap.first_start(self.db, self.paths)
        for tenant in self.auth.tenants():
            bootstrap.ensure_tenant(self.db, self.paths, tenant["name"], self.engine.workers)
        self.auth.purge_expired()

    async def start(self) -> None:
        self._storage_task = asyncio.create_task(self.storage.run(), name="storage-monitor")
        await self.engine.start()
        await self.supervisor.start()
        await self.clusters.start()

    async def stop(self, *, handover: bool = False) -> None:
        """Stop every service, then checkpoint and close the database (``platform.db`` is whole).

        The prediction servers stop too, unless ``handover`` (a restart: they serve on until the
        next platform takes them over)."""
        await self.clusters.stop()
        await self.supervisor.stop(handover=handover)
        await self.engine.stop()
        if self._storage_task is not None:
            self._storage_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._storage_task
        self.storage.check()  # a last chance for writes deferred by a full disk
        self.db.close()


class _Server(uvicorn.Server):
    """uvicorn re-raises a caught SIGTERM after serving, which would skip our cleanup; don't.

    SIGINT, SIGTERM and SIGHUP stop the platform and its prediction servers (``platform stop``);
    :data:`HANDOVER_SIGNAL` stops it for a restart (``platform restart``): ``handover`` is set and
    the servers keep serving for the next platform to take over.
    """

    handover = False

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in sigs}
        original[HANDOVER_SIGNAL] = signal.signal(HANDOVER_SIGNAL, self._handle_restart)
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)

    def _handle_restart(self, sig: int, frame: Any) -> None:
        self.handover = True
        self.handle_exit(sig, frame)


def _setup_logging(paths: StatePaths) -> None:
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the health checks would flood the log
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    logfile = paths.logs / "platform.log"
    fh = logging.FileHandler(logfile)
    logfile.chmod(0o600)  # the launcher may have created it before this process set its umask
    fh.setFormatter(fmt)
    root.addHandler(fh)
    try:  # the launcher sends our stderr to the same file: don't log every line twice
        same = os.path.samestat(os.fstat(2), os.stat(logfile))
    except OSError:
        same = False
    if not same:
        sh = logging.StreamHandler(sys.stderr)
        sh.setFormatter(fmt)
        root.addHandler(sh)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(256)
    sock.setblocking(False)
    return sock


async def _run(platform: Platform, sock: socket.socket, tls: tuple[str, str] | None = None) -> None:
    port = sock.getsockname()[1]
    host = platform.supervisor.public_host
    platform.url = f"{'https' if tls else 'http'}://{host}:{port}"
    platform.clusters.base_url = platform.url
    server: _Server | None = None
    try:
        await platform.start()
        config = uvicorn.Config(
            create_app(platform),
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=3,
            timeout_keep_alive=30,
            http=guarded(AutoHTTPProtocol),  # silent connections cannot take every descriptor
            ssl_certfile=tls[0] if tls else None,
            ssl_keyfile=tls[1] if tls else None,
        )
        server = _Server(config)
        write_info(
            platform.paths, url=platform.url, port=port, started_at=platform.started_at, version=__version__
        )
        log.info(
            "local platform %s listening on %s (state %s, pid %d)",
            __version__,
            platform.url,
            platform.paths.root,
            os.getpid(),
        )
        await server.serve(sockets=[sock])
    finally:
        remove_info(platform.paths)
        handover = server is not None and server.handover
        log.info(
            "stopping for a restart: the prediction servers serve on until the next platform takes them over"
            if handover
            else "stopping, with the prediction servers"
        )
        await platform.stop(handover=handover)
        log.info("local platform stopped")


def serve(
    state_dir: str | os.PathLike[str] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    workers: int = 2,
    session_ttl_minutes: float = 1440,
    serving: ServingPolicy | None = None,
    tls: tuple[str, str] | None = None,
    job_log_max_mib: int = DEFAULT_MAX_MIB,
) -> int:
    """Run the platform in the foreground until SIGINT/SIGTERM; returns the exit code.

    ``job_log_max_mib``: each job's log is kept up to this size, then its last lines (``job_log``).

    ``tls`` (certificate file, key file, PEM) serves HTTPS (``workshop start --listen … --cert …
    --key …``, for attendees on other hosts). 1: another platform holds the state directory, the
    port, the disk or the certificate refused; :data:`EXIT_STATE_REFUSED` (65): the state directory
    failed its check (one line on stderr).
    """
    os.umask(0o077)  # the state, job outputs and logs are this user's alone (jump hosts are shared)
    paths = StatePaths.resolve(state_dir)
    paths.ensure()
    lock = PlatformLock(paths)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        print(f"mlops-tui platform: {exc}", file=sys.stderr)
        return 1
    try:
        _setup_logging(paths)
        try:
            check_state(paths.root)
        except StateRefused as exc:
            return _refuse(paths, str(exc))
        paths.refused.unlink(missing_ok=True)
        if host not in ("127.0.0.1", "localhost", "::1"):
            log.warning("listening on %s: other machines can reach this platform", host)
        if tls is not None:
            why = _check_tls(*tls)
            if why:
                print(f"mlops-tui platform: cannot serve HTTPS: {why}", file=sys.stderr)
                return 1
        try:
            sock = _bind(host, port)
        except OSError as exc:
            print(f"mlops-tui platform: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
            return 1
        try:
            platform = Platform(
                paths,
                host=host,
                workers=workers,
                session_ttl_minutes=session_ttl_minutes,
                serving=serving,
                job_log_max_mib=job_log_max_mib,
            )
            platform.bootstrap()
            asyncio.run(_run(platform, sock, tls))
        except (ApiError, OSError) as exc:  # disk full, or a database or file that cannot be used
            if isinstance(exc, ApiError):
                why = exc.message
            elif is_disk_full(exc):
                why = disk_full(str(exc.filename or paths.root)).message
            else:
                why = f"{exc.strerror or exc}: {exc.filename or paths.root}"
            log.error("cannot start: %s", why)
            print(f"mlops-tui platform: cannot start: {why}", file=sys.stderr)
            return 1
        return 0
    finally:
        lock.release()


def _check_tls(cert: str, key: str) -> str | None:
    """Why ``cert``/``key`` cannot serve HTTPS (unreadable, not PEM, not a pair), or None."""
    import ssl

    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        return f"{cert} / {key}: {getattr(exc, 'strerror', None) or exc}"
    return None


def _refuse(paths: StatePaths, message: str) -> int:
    """Say why the state directory was refused: stderr, the log, and ``platform.refused``."""
    log.error("%s", message)
    with contextlib.suppress(OSError):
        write_private(paths.refused, f"{utcnow()} {message}\n".encode())
    print(f"mlops-tui platform: {message}", file=sys.stderr)
    return EXIT_STATE_REFUSED


class UserExists(Exception):
    """``add_user`` of a user who exists, without ``reset``: nothing was changed."""


def add_user(
    state_dir: str | os.PathLike[str] | None, tenant: str, user: str, password: str, *, reset: bool = False
) -> bool:
    """Add ``user`` (and ``tenant`` if new) straight in the database; True if the user is new.

    A local admin action (no HTTP): it works whether or not the platform is running. An existing
    user's password is changed only with ``reset`` (else :class:`UserExists`, nothing changed: a
    silent change left the stored credential refused). Raises ``ValueError`` naming what is wrong with a name,
    :class:`StateRefused` when the state directory fails its check (it is never initialised over),
    and :class:`SandboxUnavailable` (saying what to install) when the new user or tenant would make
    the platform shared (someone else's code would run in it) where no sandbox can be made.
    """
    paths = StatePaths.resolve(state_dir)
    with private_umask():
        paths.ensure()
        check_state(paths.root)
        db = Database(paths.db)
        try:
            auth = Auth(db)
            new_tenant = auth.namespace(tenant) is None
            new_user = (
                new_tenant
                or db.one("SELECT 1 FROM users WHERE tenant = ? AND name = ?", (tenant, user)) is None
            )
            if not new_user and not reset:
                raise UserExists(
                    f"user {user} already exists in tenant {tenant}; its password was not changed"
                )
            tenants = len(auth.tenants()) + int(new_tenant)
            if new_user and max(auth.user_count() + 1, tenants) > 1:
                try:
                    workshop.require_sandbox(paths)
                except SandboxUnavailable as exc:
                    raise SandboxUnavailable(
                        f"adding {user} to tenant {tenant} would let a second user run code on this "
                        f"platform, and {exc}"
                    ) from None
            auth.ensure_tenant(tenant)
            created = auth.set_user(tenant, user, password)  # first: a user makes the database non-empty
            bootstrap.ensure_tenant(db, paths, tenant)
            return created
        except ApiError as exc:  # e.g. a tenant whose namespace another tenant has: a plain ValueError here
            raise ValueError(exc.body()["error"]) from None
        finally:
            db.close()


def state_dir_of(path: str | None) -> Path:
    return StatePaths.resolve(path).root
