"""The deployment engine: one supervised prediction-server process per deployment.

The platform binds each deployment's listening socket itself and hands it to the server process
(``--fd``). So the port stays the same across restarts, and requests that arrive while a server
is being restarted wait in the kernel's backlog instead of being refused.

Supervision follows Kubernetes' restart policy ``Always`` (kubelet's CrashLoopBackOff):

- a server that exits is restarted for as long as the deployment exists: at once the first time,
  then after an exponential back-off (``ServingPolicy.backoff``: 1, 2, 4 … 40 s) while it keeps
  dying; a run that stays ready for ``stable_after`` (80 s) resets the count. During a back-off the
  deployment shows the member state ``crash loop back-off`` and a message ending "next try in N s";
- a server that stops answering its health check (3 failures, one every 5 s) is killed, and
  counts as a crash;
- ``config error`` is kept for a server that refuses to serve (exit 3: checksum, XGBoost version,
  unloadable scoring code) or that never became ready (5 failed starts in a row): "refused to
  start" is never the fate of a server that was serving.

While a deployment has no server (a back-off over 1 s, refused) the platform answers on its
socket with 503 and the reason (``not_serving``), so clients never hang on a port nobody accepts
on; a restart, and a back-off of up to 1 s, keep requests waiting in the backlog instead, to be
answered by the new server.

The platform owns its servers. Stopping it (``platform stop``: SIGTERM, SIGINT, SIGHUP) stops
them with it, at once. Restarting it (``platform restart``: ``HANDOVER_SIGNAL``) and a platform
that dies (SIGKILL, the OOM killer) leave them serving, and the next platform takes their
listening sockets over (``handover``), starts its own servers on them and stops the old ones
once the new ones are ready: a platform restart refuses no connection. Servers nobody takes over
stop after ``handover_grace`` (30 s). The TUI is a separate process, so closing it never stops a
deployment.

On a shared platform (more than one tenant or user) each server runs in a sandbox (:mod:`sandbox`)
that shows it its deployment folder and, read-only, the model bundle and scoring package of its
version; signals then go to the server's process group (the sandbox and the server in it). A
workshop caps the deployments that run at once, per attendee and on the whole platform
(``caps``): a create beyond a cap is 409 ``limit_reached`` saying which cap and what to do.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from mlops_tui.platform import child_output, handover, names
from mlops_tui.platform.access import ATTENDEE, Principal, hide_secret
from mlops_tui.platform.childenv import child_environment
from mlops_tui.platform.db import Database, dumps, loads
from mlops_tui.platform.errors import ApiError, conflict, invalid, not_found
from mlops_tui.platform.limits import apply_limits
from mlops_tui.platform.names import shown
from mlops_tui.platform.not_serving import NotServing
from mlops_tui.platform.predictor import REFUSED
from mlops_tui.platform.registry import Registry, unverifiable_code
from mlops_tui.platform.sandbox import (
    Confinement,
    Sandboxing,
    SandboxUnavailable,
    exit_status,
    signal_process,
    wait_for_command,
)
from mlops_tui.platform.state import StatePaths, utcnow, write_private
from mlops_tui.platform.storage import is_disk_full
from mlops_tui.services.terminal_text import plain

log = logging.getLogger("mlops_tui.platform.deployments")

REFUSED_PREFIX = "the prediction server refused to serve: "
# A back-off this short is waited out in the socket's backlog (a request is answered a little
# late); a longer one is answered 503 with Retry-After at once.
QUEUE_BACKOFF_S = 1.0
RETIRE_TIMEOUT_S = 10.0
DISK_RETRY_S = 1.0  # how often a server whose config cannot be written (disk full) tries again

# A server runs for days (no CPU-time limit) but must not eat the host's memory, disk or files.
SERVER_LIMITS = {"cpu_seconds": None, "address_space": 8 << 30, "file_bytes": 1 << 30, "open_files": 4096}


class Unservable(Exception):
    """The registered version cannot be served as it is (the message says why and what to do)."""


# A deployment's serving settings (``POST /deployments`` body), with their defaults: adaptive
# batching (serving/batching.py) takes up to max_batch_size rides per model call and waits up to
# max_batch_wait_ms for more when a call is not full.
SERVING_DEFAULTS: dict[str, int | float] = {"max_batch_size": 1024, "max_batch_wait_ms": 0.0}


def serving_settings(row: dict[str, Any]) -> dict[str, int | float]:
    """The serving settings of a deployment row, defaults filled in."""
    return {**SERVING_DEFAULTS, **loads(row.get("serving"), {})}


@dataclass(frozen=True)
class ServingPolicy:
    """How deployments are supervised; every figure in seconds. ``serve --restart-backoff``,
    ``--restart-backoff-max``, ``--handover-grace`` and ``--health-every`` set theirs (tests shorten them).
    ``public_host`` (``serve --public-host``): the host name deployment URLs give, where the
    platform listens on every interface (``workshop start --public-url`` passes its host)."""

    restart_backoff: float = 1.0
    restart_backoff_max: float = 40.0
    ready_timeout: float = 120.0
    health_every: float = 5.0
    health_failures: int = 3
    max_start_failures: int = 5
    handover_grace: float = 30.0
    public_host: str = ""

    @property
    def stable_after(self) -> float:
        """A run ready this long was no crash loop (twice the cap, as kubelet's 10 min for 5 min)."""
        return 2 * self.restart_backoff_max

    def backoff(self, crashes: int) -> float:
        """Delay before the next start after ``crashes`` crashes in a row: 0, then 1, 2, 4 … cap."""
        if crashes <= 1:
            return 0.0
        return min(self.restart_backoff * 2 ** (crashes - 2), self.restart_backoff_max)


@dataclass
class Managed:
    tenant: str
    name: str
    namespace: str
    sock: socket.socket
    port: int
    proc: asyncio.subprocess.Process | None = None
    task: asyncio.Task[None] | None = None
    stopping: bool = False
    health_failures: int = 0
    ready: bool = False
    ready_at: float = 0.0
    ever_ready: bool = False
    predecessor: int | None = None  # the previous platform's server on the same socket
    retry_at: float | None = None  # time.monotonic() of the next start during a back-off
    not_serving: NotServing | None = None
    sandboxed: bool = False  # the running server is in a sandbox (its exit status comes from bwrap)
    server_pid: int | None = None  # the server itself (in a sandbox: bwrap's command, not bwrap)

    def __post_init__(self) -> None:
        self.not_serving = NotServing(self.name, self.sock)


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.set_inheritable(True)
    return sock


def _is_our_server(pid: int, config: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"mlops_tui.platform.predictor" in cmdline and str(config).encode() in cmdline


def _open_log(path: Path, first_line: str) -> IO[bytes]:
    """The server's log, or /dev/null when the disk is full (the server must start all the same)."""
    logf: IO[bytes] | None = None
    try:
        logf = path.open("ab")
        logf.write(first_line.encode())
        logf.flush()
        return logf
    except OSError as exc:
        if logf is not None:
            with contextlib.suppress(OSError):
                logf.close()
        if not is_disk_full(exc):
            raise
        log.warning("disk full: %s cannot be written; the server's output is dropped", path)
        return open(os.devnull, "ab")


def _tail_refusal(log_path: Path) -> str:
    """Why the server refused to start: its last ``REFUSED: `` line, else its last line; from the
    end of its log only, sanitised (:mod:`child_output`); the caller adds its prefix and cuts."""
    lines = plain(child_output.read_tail(log_path)).split("\n")[-50:]
    for line in reversed(lines):
        if line.startswith("REFUSED: "):
            return line.removeprefix("REFUSED: ").strip()
    return child_output.last_line("\n".join(lines))


def _how(rc: int) -> str:
    if rc < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-rc).name}"
        return f"signal {-rc}"
    return f"exit code {rc}"


class Supervisor:
    def __init__(
        self,
        db: Database,
        paths: StatePaths,
        registry: Registry,
        host: str = "127.0.0.1",
        policy: ServingPolicy | None = None,
    ) -> None:
        self.db = db
        self.paths = paths
        self.registry = registry
        self.host = host
        self.policy = policy or ServingPolicy()
        self.managed: dict[tuple[str, str], Managed] = {}
        self._health: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None
        self.sandboxing: Sandboxing | None = None
        # (per attendee, whole platform) caps on deployments; None: no cap (a personal platform)
        self.caps: Any = lambda: (None, None)
        # The lifeline the servers watch (see handover): the platform alone holds its write end.
        self._lifeline_r, self._lifeline_w = os.pipe()

    # -- JSON
    def _backoff_left(self, tenant: str, name: str) -> int | None:
        m = self.managed.get((tenant, name))
        if m is None or m.retry_at is None:
            return None
        return max(0, math.ceil(m.retry_at - time.monotonic()))

    def deployment_json(self, row: dict[str, Any], viewer: Principal | None = None) -> dict[str, Any]:
        """A row as ``services.types.Deployment`` JSON (a back-off's message counts down); an
        attendee ``viewer`` does not get the auth token of someone else's deployment."""
        message = row["message"]
        left = self._backoff_left(row["tenant"], row["name"])
        if left is not None:
            message = f"{message}; next try in {left} s"
        return {
            "name": row["name"],
            "model": row["model"],
            "version": row["version"],
            "state": row["state"],
            "url": f"http://{self.public_host}:{row['port']}/{row['model']}/{row['version']}/predict",
            "auth_token": row["token"] if viewer is None else hide_secret(viewer, row["owner"], row["token"]),
            "restarts": row["restarts"],
            "message": message,
            "created_at": row["created_at"],
            "pid": row["pid"],
            "port": row["port"],
            "owner": row["owner"],
            **serving_settings(row),
        }

    @property
    def public_host(self) -> str:
        """The host name in deployment URLs: the listening host, or, when the platform listens on
        every interface (0.0.0.0 / ::) for attendees on other hosts, the public host it was given
        (``serve --public-host``), else this machine's name (``socket.getfqdn()``)."""
        if self.host in ("0.0.0.0", "::", ""):
            return self.policy.public_host or socket.getfqdn()
        return f"[{self.host}]" if ":" in self.host else self.host

    def cluster_json(self, row: dict[str, Any], viewer: Principal | None = None) -> dict[str, Any]:
        """The deployment seen as a KubeDirector deployment-engine cluster."""
        d = self.deployment_json(row, viewer)
        if self._backoff_left(row["tenant"], row["name"]) is not None:
            member_state = "crash loop back-off"  # kubelet's CrashLoopBackOff
        else:
            member_state = {"configured": "configured", "config error": "config error"}.get(
                row["state"], "creating"
            )
        return {
            "name": row["name"],
            "kind": "deployment",
            "app": "deployment-engine",
            "state": row["state"],
            "members": [
                {
                    "name": "LoadBalancer-0",
                    "role": "LoadBalancer",
                    "state": member_state,
                    "node": socket.gethostname(),
                    "pid": row["pid"],
                    "restarts": row["restarts"],
                    "detail": d["message"],
                }
            ],
            "endpoints": [
                {"name": "predict", "url": d["url"], "auth_token": d["auth_token"]},
                {
                    "name": "metrics",
                    "url": f"http://{self.public_host}:{row['port']}/metrics",
                    "auth_token": None,
                },
            ],
            "connections": {"configmaps": [row["model"]]},
            "message": d["message"],
            "created_at": row["created_at"],
            "owner": row["owner"],
        }

    # -- queries
    def list(self, tenant: str) -> list[dict[str, Any]]:
        return self.db.query("SELECT * FROM deployments WHERE tenant = ? ORDER BY name", (tenant,))

    def get(self, tenant: str, name: str) -> dict[str, Any]:
        row = self.db.one("SELECT * FROM deployments WHERE tenant = ? AND name = ?", (tenant, name))
        if row is None:
            raise not_found(f"no deployment {shown(name)} in this tenant", "name")
        return row

    # -- lifecycle
    async def start(self) -> None:
        """Take over every deployment: the previous platform's servers hand their sockets over."""
        self._client = httpx.AsyncClient(timeout=2.0, trust_env=False)
        rows = self.db.query(
            "SELECT d.*, t.namespace FROM deployments d JOIN tenants t ON t.name = d.tenant "
            "ORDER BY d.created_at"
        )
        for row in rows:
            config = self._config_path(row["namespace"], row["name"])
            sock, predecessor = None, None
            if row["pid"] and _is_our_server(row["pid"], config):  # left by the previous platform
                sock = await asyncio.to_thread(
                    handover.claim, config.parent, row["pid"], lifeline=self._lifeline_r
                )
                if sock is not None:
                    predecessor = row["pid"]
                else:  # an older server without a control socket: replace it the hard way
                    with contextlib.suppress(ProcessLookupError):
                        signal_process(row["pid"], signal.SIGKILL)
                    await asyncio.sleep(0.05)
            msg = "restarting with the platform"
            if sock is None:
                try:
                    sock = _bind(self.host, row["port"])
                except OSError:
                    sock = _bind(self.host, 0)
                    msg = (
                        f"port {row['port']} was taken by another program; now on port "
                        f"{sock.getsockname()[1]}"
                    )
                    self.db.execute(
                        "UPDATE deployments SET port = ? WHERE tenant = ? AND name = ?",
                        (sock.getsockname()[1], row["tenant"], row["name"]),
                    )
            m = Managed(row["tenant"], row["name"], row["namespace"], sock, sock.getsockname()[1])
            m.predecessor = predecessor
            if row["state"] == "config error" and row["message"].startswith(REFUSED_PREFIX):
                self.managed[(m.tenant, m.name)] = m  # a refused bundle stays refused until redeployed
                await self._refuse(m, row["message"])
                continue
            if predecessor is not None:
                self._set(
                    m.tenant,
                    m.name,
                    state="updating",
                    message="the platform restarted: starting its own server; the old one serves meanwhile",
                )
            else:
                self._set(m.tenant, m.name, state="creating", message=msg)
            self._launch(m)
        self._health = asyncio.create_task(self._health_loop(), name="deployment-health")

    async def stop(self, *, handover: bool = False) -> None:
        """Stop supervising, and stop the servers (each answers what it has, then exits; all at
        once, so a stop takes at most ``_stop``'s bound however many deployments there are).

        ``handover`` (a platform restart): the servers serve on, on their sockets, until the next
        platform takes them over (``handover.claim``), so no connection is refused meanwhile.
        """
        if self._health:
            self._health.cancel()
        managed = list(self.managed.values())
        if handover:
            for m in managed:
                m.stopping = True
                if m.task is not None:
                    m.task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await m.task
                if m.not_serving is not None:
                    m.not_serving.stop()
                m.sock.close()
        else:
            await asyncio.gather(*(self._stop(m) for m in managed), return_exceptions=True)
            for m in managed:
                self._set(m.tenant, m.name, pid=None)
        if self._client:
            await self._client.aclose()

    def _check_caps(self, tenant: str, who: Principal | None) -> None:
        """409 ``limit_reached`` when a new deployment would pass a workshop cap (``caps``)."""
        per_attendee, total = self.caps()
        if total is not None:
            n = self.db.one("SELECT COUNT(*) AS n FROM deployments")["n"]  # type: ignore[index]
            if n >= total:
                raise ApiError(
                    409,
                    "limit_reached",
                    f"the platform already runs {n} deployments, the most it may run at once ({total}, set "
                    "by the facilitator so the host keeps up): delete a deployment you no longer need, or "
                    "ask the facilitator to raise it (mlops-tui workshop start --max-deployments N)",
                    "name",
                )
        if per_attendee is not None and who is not None and who.role == ATTENDEE:
            mine = [
                r["name"]
                for r in self.db.query(
                    "SELECT name FROM deployments WHERE tenant = ? AND owner = ? ORDER BY name",
                    (tenant, who.user),
                )
            ]
            if len(mine) >= per_attendee:
                raise ApiError(
                    409,
                    "limit_reached",
                    f"{who.user} already runs {len(mine)} deployment{'s' * (len(mine) != 1)} "
                    f"({', '.join(mine)}), the most one attendee may run in this workshop ({per_attendee}, "
                    "set by the facilitator): delete one first, then deploy again",
                    "name",
                )

    def create(
        self, tenant: str, namespace: str, body: dict[str, Any], who: Principal | None = None
    ) -> dict[str, Any]:
        """Start a deployment of a registered version, owned by ``who`` (None: the platform itself)."""
        name = body["name"]
        try:
            names.check("cluster", name)
        except ValueError as exc:
            raise invalid(f"name {exc}", "name") from None
        if self.db.one(
            "SELECT 1 FROM deployments WHERE tenant = ? AND name = ?", (tenant, name)
        ) or self.db.one("SELECT 1 FROM clusters WHERE tenant = ? AND name = ?", (tenant, name)):
            raise conflict(
                f"a deployment or cluster named {shown(name)} already exists in this tenant", "name"
            )
        version = self.registry.get(tenant, body["model"], int(body["version"]))
        if who is not None and who.role == ATTENDEE:
            self.registry.require_model_owner(tenant, version["model"], who, "deploy")
        why_not = unverifiable_code(version)
        if why_not is not None:
            raise conflict(why_not, "version")
        self._check_caps(tenant, who)
        serving = {k: body[k] for k in SERVING_DEFAULTS if body.get(k) is not None}
        sock = _bind(self.host, 0)
        port = sock.getsockname()[1]
        self.db.execute(
            "INSERT INTO deployments (tenant, name, model, version, port, token, state, message, created_at,"
            " owner, serving)"
            " VALUES (?, ?, ?, ?, ?, ?, 'creating', 'starting the prediction server', ?, ?, ?)",
            (
                tenant,
                name,
                version["model"],
                version["version"],
                port,
                secrets.token_hex(16),
                utcnow(),
                who.user if who is not None else "",
                dumps(serving),
            ),
        )
        self._launch(Managed(tenant, name, namespace, sock, port))
        return self.get(tenant, name)

    async def delete(self, tenant: str, name: str) -> None:
        self.get(tenant, name)
        m = self.managed.pop((tenant, name), None)
        if m is not None:
            await self._stop(m)
        self.db.execute("DELETE FROM deployments WHERE tenant = ? AND name = ?", (tenant, name))

    # -- supervision
    def _config_path(self, namespace: str, name: str) -> Path:
        return self.paths.deployment_dir(namespace, name) / "deployment.json"

    def _write_config(self, m: Managed) -> Path:
        row = self.get(m.tenant, m.name)
        version = self.registry.get(m.tenant, row["model"], row["version"])
        why_not = unverifiable_code(version)
        if why_not is not None:
            raise Unservable(why_not)
        repo = self.paths.tenant_repo(m.namespace)
        cfg = {
            "tenant": m.tenant,
            "name": m.name,
            "model": row["model"],
            "version": row["version"],
            "bundle_dir": str(repo / version["path"]),
            "state_dir": str(self.paths.root),  # for paths in answers: shown_paths
            "repo_root": str(self.paths.repo_root),
            "scoring_path": str(repo / version["scoring_path"]),
            "checksums": loads(version["checksums"], {}),
            "scoring_checksums": loads(version.get("scoring_checksums"), {}),
            "token": row["token"],
            "host": self.host,
            "port": m.port,
            "handover_grace_s": self.policy.handover_grace,
            **serving_settings(row),
        }
        path = self._config_path(m.namespace, m.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, dumps(cfg).encode())
        return path

    def _launch(self, m: Managed) -> None:
        self.managed[(m.tenant, m.name)] = m
        m.task = asyncio.create_task(self._supervise(m), name=f"deployment-{m.tenant}-{m.name}")

    def _set(self, tenant: str, name: str, **fields: Any) -> None:
        """Record a server's state; on a full disk it is written when space is back (never raises 507)."""
        if isinstance(fields.get("message"), str):  # read by attendees: no path of the platform's files
            fields["message"] = self.paths.shower.text(fields["message"])
        cols = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute_or_defer(
            f"UPDATE deployments SET {cols} WHERE tenant = ? AND name = ?",
            (*fields.values(), tenant, name),
        )

    async def _refuse(self, m: Managed, message: str) -> None:
        """``config error`` for good (until redeployed); the socket answers 503 with the reason.

        The state says so only once it is true: the previous platform's server (which shares the
        socket) is retired first, so nobody who reads ``config error`` still gets a prediction."""
        await self._retire_predecessor(m)
        assert m.not_serving is not None
        await m.not_serving.start(message)
        self._set(m.tenant, m.name, state="config error", pid=None, message=message)

    def _confinement(self, m: Managed, config: Path) -> Confinement:
        """What a sandboxed server sees: its folder (writable: the hand-over control socket) and,
        read-only, its version's model bundle and scoring package."""
        row = self.get(m.tenant, m.name)
        version = self.registry.get(m.tenant, row["model"], row["version"])
        repo = self.paths.tenant_repo(m.namespace)
        readable = [repo / version["path"], (repo / version["scoring_path"]).parent]
        return Confinement(
            cwd=config.parent,
            writable=(config.parent,),
            readable=tuple(p for p in readable if p.exists()),
            die_with_parent=False,  # servers outlive the platform until the next one takes over
        )

    async def _spawn(
        self, m: Managed, config: Path, log_path: Path
    ) -> tuple[asyncio.subprocess.Process, int]:
        """Start a server on the deployment's socket; returns it and the read end of its readiness pipe.

        On a shared platform it runs in a sandbox (``sandbox``), limits applied inside by
        ``prlimit``; raises :class:`SandboxUnavailable` when none can be made. Either way the
        server's pid as recorded here (``m.server_pid``: in a sandbox the command's, not bwrap's)
        is written to its ``--pid-fd`` pipe: inside a sandbox its own pid is 1, and its answers
        must name the process the deployment shows (``predictor.host_pid``).
        """
        confinement = self._confinement(m, config) if self.sandboxing is not None else None
        ready_r, ready_w = os.pipe()  # the server writes "ready" once it serves
        pid_r, pid_w = os.pipe()  # the platform writes the server's host pid (predictor.host_pid)
        argv = [
            sys.executable,
            "-m",
            "mlops_tui.platform.predictor",
            "--config",
            str(config),
            "--fd",
            str(m.sock.fileno()),
            "--owner",
            str(os.getpid()),
            "--ready-fd",
            str(ready_w),
            "--pid-fd",
            str(pid_r),
        ]
        try:
            sandboxed = None
            if self.sandboxing is not None and confinement is not None:
                sandboxed = self.sandboxing.wrap(argv, confinement, SERVER_LIMITS)
        except BaseException:
            for fd in (ready_r, ready_w, pid_r, pid_w):
                os.close(fd)
            raise
        env = {
            "HOME": str(config.parent),
            "PYTHONUNBUFFERED": "1",
            "OMP_NUM_THREADS": "1",
            handover.LIFELINE_ENV: str(self._lifeline_r),
        }
        try:
            with _open_log(log_path, f"--- {utcnow()} starting prediction server on port {m.port}\n") as logf:
                proc = await asyncio.create_subprocess_exec(
                    *(sandboxed or argv),
                    pass_fds=(m.sock.fileno(), ready_w, pid_r, self._lifeline_r),
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=logf,
                    stderr=logf,
                    start_new_session=True,
                    cwd=config.parent,
                    env=child_environment(env),
                )
        except BaseException:
            for fd in (ready_r, pid_w):
                os.close(fd)
            raise
        finally:
            os.close(ready_w)
            os.close(pid_r)
        m.sandboxed = sandboxed is not None
        m.server_pid = proc.pid
        try:
            if not m.sandboxed:
                apply_limits(**SERVER_LIMITS, pid=proc.pid)  # right after exec; no preexec_fn (threads)
            else:  # the pid people see (and kill) is the server's own, not its sandbox's
                m.server_pid = await wait_for_command(proc.pid) or proc.pid
            with contextlib.suppress(OSError):  # a server already gone reads nothing
                os.write(pid_w, f"{m.server_pid}\n".encode())
        except BaseException:  # (cancelled: the platform is stopping)
            os.close(ready_r)
            raise
        finally:
            os.close(pid_w)
        return proc, ready_r

    async def _supervise(self, m: Managed) -> None:
        policy = self.policy
        while True:
            try:
                config = self._write_config(m)
                break
            except Unservable as exc:  # e.g. deployed before the registry pinned scoring code
                await self._refuse(m, REFUSED_PREFIX + str(exc))
                return
            except Exception as exc:
                if not is_disk_full(exc) or m.stopping:
                    await self._refuse(m, f"{REFUSED_PREFIX}cannot configure it: {exc}")
                    return
                self._set(m.tenant, m.name, state="creating", message=f"waiting for disk space: {exc}")
                await asyncio.sleep(DISK_RETRY_S)
        log_path = config.parent / "server.log"
        crashes = 0  # in a row, since the last stable run
        start_failures = 0  # in a row, before the server was ever ready
        while not m.stopping:
            try:
                m.proc, ready_fd = await self._spawn(m, config, log_path)
            except SandboxUnavailable as exc:
                await self._refuse(
                    m,
                    f"cannot start the prediction server: this platform is shared, so it runs in a "
                    f"sandbox, and none can be made here: {exc}",
                )
                return
            self._set(m.tenant, m.name, pid=m.server_pid)
            with os.fdopen(ready_fd, "rb", buffering=0) as ready_pipe:
                ready_task = asyncio.create_task(self._wait_ready(m, ready_pipe))
                rc = await m.proc.wait()
                if m.sandboxed:
                    rc = exit_status(rc)  # bwrap reports a signal N as 128+N
                ready_task.cancel()
                await asyncio.gather(ready_task, return_exceptions=True)
            if m.stopping:
                return
            was_ready, ran_for = m.ready, time.monotonic() - m.ready_at
            m.ready = False
            if rc == REFUSED:
                reason = _tail_refusal(log_path)
                log.warning("deployment %s/%s refused: %s", m.tenant, m.name, reason)
                said = reason or f"no reason in its log {log_path}"
                await self._refuse(m, child_output.message(REFUSED_PREFIX.rstrip(": "), said))
                return
            how = _how(rc)
            if not m.ever_ready:
                start_failures += 1
                if start_failures >= policy.max_start_failures:
                    await self._refuse(
                        m,
                        f"the prediction server never became ready: {start_failures} failed starts in a "
                        f"row (last: {how}); see {log_path}",
                    )
                    return
            crashes = 1 if was_ready and ran_for >= policy.stable_after else crashes + 1
            row = self.db.one(
                "SELECT restarts FROM deployments WHERE tenant = ? AND name = ?", (m.tenant, m.name)
            )
            if row is None:
                return
            delay = policy.backoff(crashes)
            log.warning(
                "deployment %s/%s died (%s, %d in a row); restarting in %.2f s",
                m.tenant,
                m.name,
                how,
                crashes,
                delay,
            )
            if delay <= 0:
                self._set(
                    m.tenant,
                    m.name,
                    state="creating",
                    restarts=row["restarts"] + 1,
                    pid=None,
                    message=f"the prediction server died ({how}); restarting",
                )
                continue
            message = (
                f"crash loop back-off: the prediction server died {crashes} times in a row (last: {how})"
            )
            self._set(
                m.tenant, m.name, state="creating", restarts=row["restarts"] + 1, pid=None, message=message
            )
            assert m.not_serving is not None
            m.retry_at = time.monotonic() + delay
            if delay > QUEUE_BACKOFF_S:  # answer at once rather than keep clients waiting that long
                await m.not_serving.start(message, retry_after=delay)
            try:
                await asyncio.sleep(delay)
            finally:
                m.retry_at = None
                m.not_serving.stop()

    async def _wait_ready(self, m: Managed, ready_pipe: Any) -> None:
        """Wait for the server's "ready" line on its readiness pipe (its model is loaded and it
        accepts). Not an HTTP probe: during a hand-over the previous server answers on the same
        socket, and must not be taken for the new one."""
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), ready_pipe)
        try:
            async with asyncio.timeout(self.policy.ready_timeout):
                line = await reader.readline()
        except TimeoutError:
            self._set(
                m.tenant, m.name, message=f"not ready after {self.policy.ready_timeout:.0f} s; restarting"
            )
            self._kill(m)
            return
        finally:
            transport.close()
        if line.strip() != b"ready" or m.stopping:
            return  # it exited before it was ready: _supervise sees the exit
        m.ready = m.ever_ready = True
        m.ready_at = time.monotonic()
        m.health_failures = 0
        self._set(m.tenant, m.name, state="configured", message="serving")
        await self._retire_predecessor(m)

    async def _retire_predecessor(self, m: Managed) -> None:
        """Stop the previous platform's server (SIGTERM: it finishes what it is answering)."""
        pid, m.predecessor = m.predecessor, None
        if pid is None:
            return
        config = self._config_path(m.namespace, m.name)
        # The server's process group, or on a shared platform the server in its sandbox.
        signal_process(pid, signal.SIGTERM)
        deadline = time.monotonic() + RETIRE_TIMEOUT_S
        while time.monotonic() < deadline and _is_our_server(pid, config):
            await asyncio.sleep(0.1)
        if _is_our_server(pid, config):
            signal_process(pid, signal.SIGKILL)

    async def _health_loop(self) -> None:
        assert self._client is not None
        while True:
            await asyncio.sleep(self.policy.health_every)
            for m in list(self.managed.values()):
                if not m.ready or m.stopping:
                    continue
                try:
                    ok = (
                        await self._client.get(f"http://{self.host}:{m.port}/v2/health/live")
                    ).status_code == 200
                except httpx.HTTPError:
                    ok = False
                m.health_failures = 0 if ok else m.health_failures + 1
                if m.health_failures >= self.policy.health_failures:
                    log.warning(
                        "deployment %s/%s failed %d health checks; killing it",
                        m.tenant,
                        m.name,
                        m.health_failures,
                    )
                    self._kill(m)

    @staticmethod
    def _kill(m: Managed, sig: int = signal.SIGKILL) -> None:
        if m.proc is not None and m.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                signal_process(m.proc.pid, sig)

    async def _stop(self, m: Managed) -> None:
        """Stop a deployment's server now (the deployment is deleted, or the platform stops)."""
        m.stopping = True
        if m.task is not None:
            m.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await m.task
        if m.not_serving is not None:
            m.not_serving.stop()
        if m.proc is not None and m.proc.returncode is None:
            self._kill(m, signal.SIGTERM)
            try:
                await asyncio.wait_for(m.proc.wait(), 5)
            except TimeoutError:
                self._kill(m)
                await m.proc.wait()
        await self._retire_predecessor(m)
        m.sock.close()
