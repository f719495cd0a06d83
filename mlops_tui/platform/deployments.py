"""The deployment engine: one supervised prediction-server process per deployment.

The platform binds each deployment's listening socket itself and hands it to the server process
(``--fd``). So the port stays the same across restarts, and requests that arrive while a crashed
server is being restarted wait in the kernel's backlog instead of being refused.

A server that exits is restarted at once (backoff only when it keeps crashing before it is ready);
one that stops answering its health check is killed and restarted. A server that *refuses* to
serve (exit 3: checksum or XGBoost version mismatch, unloadable scoring code) is not retried: the
deployment goes to ``config error`` with its message.

Choice (design §5 leaves it open): the platform owns its servers. Stopping the platform stops them;
the next start restarts every deployment on its recorded port. The TUI is a separate process, so
closing it never stops a deployment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mlops_tui.platform import names
from mlops_tui.platform.db import Database, dumps, loads
from mlops_tui.platform.errors import conflict, invalid, not_found
from mlops_tui.platform.limits import apply_limits
from mlops_tui.platform.predictor import REFUSED
from mlops_tui.platform.registry import Registry
from mlops_tui.platform.state import StatePaths, utcnow, write_private

log = logging.getLogger("mlops_tui.platform.deployments")

READY_TIMEOUT_S = 120.0
HEALTH_EVERY_S = 5.0
HEALTH_FAILURES = 3
MAX_EARLY_CRASHES = 5

# A server runs for days (no CPU-time limit) but must not eat the host's memory, disk or files.
SERVER_LIMITS = {"cpu_seconds": None, "address_space": 8 << 30, "file_bytes": 1 << 30, "open_files": 4096}


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
    extra: dict[str, Any] = field(default_factory=dict)


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


def _tail_refusal(log_path: Path) -> str:
    try:
        lines = log_path.read_text(errors="replace").splitlines()[-50:]
    except OSError:
        return ""
    for line in reversed(lines):
        if line.startswith("REFUSED: "):
            return line.removeprefix("REFUSED: ")
    return next((ln for ln in reversed(lines) if ln.strip()), "")[:500]


class Supervisor:
    def __init__(self, db: Database, paths: StatePaths, registry: Registry, host: str = "127.0.0.1") -> None:
        self.db = db
        self.paths = paths
        self.registry = registry
        self.host = host
        self.managed: dict[tuple[str, str], Managed] = {}
        self._health: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    # -- JSON
    def deployment_json(self, row: dict[str, Any]) -> dict[str, Any]:
        """A row as ``services.types.Deployment`` JSON."""
        return {
            "name": row["name"],
            "model": row["model"],
            "version": row["version"],
            "state": row["state"],
            "url": f"http://{self.host}:{row['port']}/{row['model']}/{row['version']}/predict",
            "auth_token": row["token"],
            "restarts": row["restarts"],
            "message": row["message"],
            "created_at": row["created_at"],
            "pid": row["pid"],
            "port": row["port"],
        }

    def cluster_json(self, row: dict[str, Any]) -> dict[str, Any]:
        """The deployment seen as a KubeDirector deployment-engine cluster."""
        d = self.deployment_json(row)
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
                    "detail": row["message"],
                }
            ],
            "endpoints": [
                {"name": "predict", "url": d["url"], "auth_token": row["token"]},
                {"name": "metrics", "url": f"http://{self.host}:{row['port']}/metrics", "auth_token": None},
            ],
            "connections": {"configmaps": [row["model"]]},
            "message": row["message"],
            "created_at": row["created_at"],
        }

    # -- queries
    def list(self, tenant: str) -> list[dict[str, Any]]:
        return self.db.query("SELECT * FROM deployments WHERE tenant = ? ORDER BY name", (tenant,))

    def get(self, tenant: str, name: str) -> dict[str, Any]:
        row = self.db.one("SELECT * FROM deployments WHERE tenant = ? AND name = ?", (tenant, name))
        if row is None:
            raise not_found(f"no deployment {name!r} in this tenant", "name")
        return row

    # -- lifecycle
    async def start(self) -> None:
        self._client = httpx.AsyncClient(timeout=2.0, trust_env=False)
        rows = self.db.query(
            "SELECT d.*, t.namespace FROM deployments d JOIN tenants t ON t.name = d.tenant "
            "ORDER BY d.created_at"
        )
        for row in rows:
            if row["state"] == "config error" and "refused" in row["message"]:
                continue  # a refused bundle stays refused until redeployed
            config = self._config_path(row["namespace"], row["name"])
            if row["pid"] and _is_our_server(row["pid"], config):  # left over from a platform that died
                with contextlib.suppress(ProcessLookupError):
                    os.kill(row["pid"], signal.SIGKILL)
                await asyncio.sleep(0.05)
            try:
                sock = _bind(self.host, row["port"])
                msg = "restarting with the platform"
            except OSError:
                sock = _bind(self.host, 0)
                msg = f"port {row['port']} was taken by another program; now on port {sock.getsockname()[1]}"
                self.db.execute(
                    "UPDATE deployments SET port = ? WHERE tenant = ? AND name = ?",
                    (sock.getsockname()[1], row["tenant"], row["name"]),
                )
            self._set(row["tenant"], row["name"], state="creating", message=msg)
            self._launch(Managed(row["tenant"], row["name"], row["namespace"], sock, sock.getsockname()[1]))
        self._health = asyncio.create_task(self._health_loop(), name="deployment-health")

    async def stop(self) -> None:
        if self._health:
            self._health.cancel()
        await asyncio.gather(*(self._stop(m) for m in list(self.managed.values())), return_exceptions=True)
        if self._client:
            await self._client.aclose()

    def create(self, tenant: str, namespace: str, body: dict[str, Any]) -> dict[str, Any]:
        name = body["name"]
        try:
            names.check("cluster", name)
        except ValueError as exc:
            raise invalid(f"name {exc}", "name") from None
        if self.db.one(
            "SELECT 1 FROM deployments WHERE tenant = ? AND name = ?", (tenant, name)
        ) or self.db.one("SELECT 1 FROM clusters WHERE tenant = ? AND name = ?", (tenant, name)):
            raise conflict(f"a deployment or cluster named {name!r} already exists in this tenant", "name")
        version = self.registry.get(tenant, body["model"], int(body["version"]))
        sock = _bind(self.host, 0)
        port = sock.getsockname()[1]
        self.db.execute(
            "INSERT INTO deployments (tenant, name, model, version, port, token, state, message, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 'creating', 'starting the prediction server', ?)",
            (tenant, name, version["model"], version["version"], port, secrets.token_hex(16), utcnow()),
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
        repo = self.paths.tenant_repo(m.namespace)
        cfg = {
            "tenant": m.tenant,
            "name": m.name,
            "model": row["model"],
            "version": row["version"],
            "bundle_dir": str(repo / version["path"]),
            "scoring_path": str(repo / version["scoring_path"]),
            "checksums": loads(version["checksums"], {}),
            "scoring_checksums": loads(version.get("scoring_checksums"), {}),
            "token": row["token"],
            "host": self.host,
            "port": m.port,
        }
        path = self._config_path(m.namespace, m.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_private(path, dumps(cfg).encode())
        return path

    def _launch(self, m: Managed) -> None:
        self.managed[(m.tenant, m.name)] = m
        m.task = asyncio.create_task(self._supervise(m), name=f"deployment-{m.tenant}-{m.name}")

    def _set(self, tenant: str, name: str, **fields: Any) -> None:
        cols = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute(
            f"UPDATE deployments SET {cols} WHERE tenant = ? AND name = ?",
            (*fields.values(), tenant, name),
        )

    async def _supervise(self, m: Managed) -> None:
        early_crashes = 0
        try:
            config = self._write_config(m)
        except Exception as exc:
            self._set(m.tenant, m.name, state="config error", message=f"cannot configure: {exc}")
            return
        log_path = config.parent / "server.log"
        while not m.stopping:
            started = time.monotonic()
            with log_path.open("ab") as logf:
                logf.write(f"--- {utcnow()} starting prediction server on port {m.port}\n".encode())
                logf.flush()
                m.proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "mlops_tui.platform.predictor",
                    "--config",
                    str(config),
                    "--fd",
                    str(m.sock.fileno()),
                    pass_fds=(m.sock.fileno(),),
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=logf,
                    stderr=logf,
                    start_new_session=True,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            apply_limits(**SERVER_LIMITS, pid=m.proc.pid)  # right after exec; no preexec_fn (threads)
            self._set(m.tenant, m.name, pid=m.proc.pid)
            ready_task = asyncio.create_task(self._wait_ready(m))
            rc = await m.proc.wait()
            ready_task.cancel()
            if m.stopping:
                return
            m.ready = False
            if rc == REFUSED:
                reason = _tail_refusal(log_path)
                self._set(
                    m.tenant,
                    m.name,
                    state="config error",
                    pid=None,
                    message=f"the prediction server refused to serve: {reason}",
                )
                log.warning("deployment %s/%s refused: %s", m.tenant, m.name, reason)
                return
            row = self.db.one(
                "SELECT restarts FROM deployments WHERE tenant = ? AND name = ?", (m.tenant, m.name)
            )
            if row is None:
                return
            how = f"signal {signal.Signals(-rc).name}" if rc < 0 else f"exit code {rc}"
            self._set(
                m.tenant,
                m.name,
                state="creating",
                restarts=row["restarts"] + 1,
                pid=None,
                message=f"the prediction server died ({how}); restarting",
            )
            log.warning("deployment %s/%s died (%s); restarting", m.tenant, m.name, how)
            early_crashes = early_crashes + 1 if time.monotonic() - started < 10 else 0
            if early_crashes >= MAX_EARLY_CRASHES:
                self._set(
                    m.tenant,
                    m.name,
                    state="config error",
                    message=f"the prediction server crashed {early_crashes} times in a row at start "
                    f"({how}): see {log_path}",
                )
                return
            await asyncio.sleep(min(0.1 * (2**early_crashes), 2.0) if early_crashes else 0)

    async def _wait_ready(self, m: Managed) -> None:
        assert self._client is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        url = f"http://{self.host}:{m.port}/v2/health/ready"
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await self._client.get(url)).status_code == 200:
                    m.ready = True
                    m.health_failures = 0
                    self._set(m.tenant, m.name, state="configured", message="serving")
                    return
            await asyncio.sleep(0.05)
        self._set(m.tenant, m.name, message=f"not ready after {READY_TIMEOUT_S:.0f} s; restarting")
        self._kill(m)

    async def _health_loop(self) -> None:
        assert self._client is not None
        while True:
            await asyncio.sleep(HEALTH_EVERY_S)
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
                if m.health_failures >= HEALTH_FAILURES:
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
                os.killpg(m.proc.pid, sig)

    async def _stop(self, m: Managed) -> None:
        m.stopping = True
        if m.proc is not None and m.proc.returncode is None:
            self._kill(m, signal.SIGTERM)
            try:
                await asyncio.wait_for(m.proc.wait(), 5)
            except TimeoutError:
                self._kill(m)
                await m.proc.wait()
        if m.task is not None:
            m.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await m.task
        m.sock.close()
