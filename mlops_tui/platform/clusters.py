"""Clusters, KubeDirector style: notebook and training clusters, plus deployments seen as clusters.

A training cluster is a named door to the platform's shared training engine (its RESTServer
members are the engine's workers). A notebook cluster is a real ``jupyter lab`` process on a free
loopback port, rooted at the tenant's repository, with a generated token; where Jupyter is not
installed it goes to ``config error`` and says how to install it. The token reaches Jupyter in
its own environment entry (``JUPYTER_TOKEN``, which Jupyter Server reads), never on the command
line that ``ps`` shows every local user; the rest of its environment is ``childenv``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from mlops_tui.platform import child_output, names
from mlops_tui.platform.access import Principal, hide_secret, require_owner
from mlops_tui.platform.childenv import child_environment
from mlops_tui.platform.db import Database, dumps, loads
from mlops_tui.platform.deployments import Supervisor
from mlops_tui.platform.errors import conflict, invalid, not_found
from mlops_tui.platform.repo import EVERYTHING, FolderRule, Repo
from mlops_tui.platform.sandbox import Confinement, Sandboxing, SandboxUnavailable, signal_process
from mlops_tui.platform.state import StatePaths, utcnow
from mlops_tui.platform.training import TrainingEngine

log = logging.getLogger("mlops_tui.platform.clusters")

SHARED_TRAINING = "training-engine-shared"
APPS = {"notebook": "jupyter-notebook", "training": "training-engine", "deployment": "deployment-engine"}
NO_JUPYTER = "Jupyter is not installed on this host: pip install 'mlops-tui[jupyter]'"
NOTEBOOK_READY_TIMEOUT_S = 90.0


def jupyter_command() -> list[str] | None:
    """How to start Jupyter here: JupyterLab, else classic Notebook, else a ``jupyter`` on PATH."""
    if importlib.util.find_spec("jupyterlab") is not None:
        return [sys.executable, "-m", "jupyterlab"]
    if importlib.util.find_spec("notebook") is not None:
        return [sys.executable, "-m", "notebook"]
    exe = shutil.which("jupyter")
    return [exe, "lab"] if exe else None


def notebook_process(
    cmd: list[str], *, host: str, port: int, root_dir: Path, workdir: Path, token: str, cluster: str
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a notebook server; the token is only in the environment.

    ``cluster`` (``<tenant>/<name>``) marks the process as this cluster's (``MLOPS_CLUSTER``).
    """
    argv = [
        *cmd,
        "--no-browser",
        f"--ServerApp.ip={host}",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root_dir}",
    ]
    if os.geteuid() == 0:  # Jupyter refuses root without it; containers and CI often run as root
        argv.append("--allow-root")
    env = child_environment(
        {
            "HOME": str(workdir),
            "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
            "JUPYTER_TOKEN": token,
            "MLOPS_TENANT": cluster.split("/", 1)[0],
            "MLOPS_CLUSTER": cluster,
        }
    )
    return argv, env


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Clusters:
    def __init__(
        self,
        db: Database,
        paths: StatePaths,
        engine: TrainingEngine,
        supervisor: Supervisor,
        host: str = "127.0.0.1",
        base_url: str = "",
    ) -> None:
        self.db = db
        self.paths = paths
        self.engine = engine
        self.supervisor = supervisor
        self.host = host
        self.base_url = base_url
        self.notebooks: dict[tuple[str, str], asyncio.subprocess.Process] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.sandboxing: Sandboxing | None = None
        self.folder_rule: Callable[[str, str], FolderRule] = lambda tenant, user: EVERYTHING

    # -- JSON
    def cluster_json(self, row: dict[str, Any], viewer: Principal | None = None) -> dict[str, Any]:
        """A cluster row as ``services.types.Cluster`` JSON; an attendee ``viewer`` sees no one
        else's Jupyter token (nor the URL that carries it)."""
        members: list[dict[str, Any]] = []
        endpoints: list[dict[str, Any]] = []
        node = socket.gethostname()
        if row["kind"] == "training":
            members.append(
                {
                    "name": "LoadBalancer-0",
                    "role": "LoadBalancer",
                    "state": row["state"],
                    "node": node,
                    "pid": os.getpid(),
                    "restarts": 0,
                    "detail": "the platform's job queue",
                }
            )
            mine = {
                r["id"]
                for r in self.db.query(
                    "SELECT id FROM jobs WHERE tenant = ? AND state = 'running'", (row["tenant"],)
                )
            }
            count = self.engine.workers if row["name"] == SHARED_TRAINING else row["members"]
            for i in range(count):
                job = self.engine.busy.get(i) if i < self.engine.workers else None
                detail = "idle" if job is None else (f"running job {job}" if job in mine else "busy")
                proc = self.engine.running.get(job) if job in mine else None
                members.append(
                    {
                        "name": f"RESTServer-{i}",
                        "role": "RESTServer",
                        "state": row["state"],
                        "node": node,
                        "pid": proc.pid if proc else None,
                        "restarts": 0,
                        "detail": detail,
                    }
                )
            endpoints.append(
                {"name": "training-api", "url": f"{self.base_url}/api/mlops/v1/jobs", "auth_token": None}
            )
        else:
            members.append(
                {
                    "name": "controller-0",
                    "role": "controller",
                    "state": row["state"],
                    "node": node,
                    "pid": row["pid"],
                    "restarts": row["restarts"],
                    "detail": row["message"],
                }
            )
            mine = viewer is None or hide_secret(viewer, row["owner"], True)
            if row["port"] and row["state"] == "configured" and mine:
                endpoints.append(
                    {
                        "name": "jupyter-nb",
                        "auth_token": row["token"],
                        # no token in the URL: it is printed and shown; Jupyter asks for it
                        "url": f"http://{self.host}:{row['port']}/lab",
                    }
                )
        return {
            "name": row["name"],
            "kind": row["kind"],
            "app": APPS[row["kind"]],
            "state": row["state"],
            "members": members,
            "endpoints": endpoints,
            "connections": loads(row["connections"], {}),
            "message": row["message"],
            "created_at": row["created_at"],
            "cpu": row["cpu"],
            "memory": row["memory"],
            "owner": row["owner"],
        }

    def list(
        self, tenant: str, kind: str | None = None, viewer: Principal | None = None
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        if kind in (None, "notebook", "training"):
            rows = self.db.query("SELECT * FROM clusters WHERE tenant = ? ORDER BY name", (tenant,))
            out += [self.cluster_json(r, viewer) for r in rows if kind is None or r["kind"] == kind]
        if kind in (None, "deployment"):
            out += [self.supervisor.cluster_json(r, viewer) for r in self.supervisor.list(tenant)]
        return sorted(out, key=lambda c: c["name"])

    def get(self, tenant: str, name: str, viewer: Principal | None = None) -> dict[str, Any]:
        row = self.db.one("SELECT * FROM clusters WHERE tenant = ? AND name = ?", (tenant, name))
        if row is not None:
            return self.cluster_json(row, viewer)
        dep = self.db.one("SELECT * FROM deployments WHERE tenant = ? AND name = ?", (tenant, name))
        if dep is not None:
            return self.supervisor.cluster_json(dep, viewer)
        raise not_found(f"no cluster {names.shown(name)} in this tenant", "name")

    # -- create / delete
    def create(
        self, tenant: str, namespace: str, body: dict[str, Any], who: Principal | None = None
    ) -> dict[str, Any]:
        name, kind = body["name"], body["kind"]
        try:
            names.check("cluster", name)
        except ValueError as exc:
            raise invalid(f"name {exc}", "name") from None
        if kind == "deployment":
            raise invalid(
                "deployment clusters are created from a registered model: POST /api/mlops/v1/deployments",
                "kind",
            )
        if self.db.one("SELECT 1 FROM clusters WHERE tenant = ? AND name = ?", (tenant, name)) or self.db.one(
            "SELECT 1 FROM deployments WHERE tenant = ? AND name = ?", (tenant, name)
        ):
            raise conflict(f"a cluster named {names.shown(name)} already exists in this tenant", "name")
        if kind == "training":
            insert_cluster(
                self.db,
                tenant,
                name,
                "training",
                body["members"],
                body["cpu"],
                body["memory"],
                body["connections"],
                "configured",
                "jobs run on the platform's training engine",
                owner=who.user if who is not None else "",
            )
        else:
            insert_cluster(
                self.db,
                tenant,
                name,
                "notebook",
                1,
                body["cpu"],
                body["memory"],
                body["connections"],
                "creating",
                "starting Jupyter",
                token=secrets.token_hex(16),
                owner=who.user if who is not None else "",
            )
            self._spawn(self._run_notebook(tenant, namespace, name))
        return self.get(tenant, name, who)

    async def delete(self, tenant: str, name: str, who: Principal | None = None) -> None:
        row = self.db.one("SELECT * FROM clusters WHERE tenant = ? AND name = ?", (tenant, name))
        if row is None:
            dep = self.db.one("SELECT owner FROM deployments WHERE tenant = ? AND name = ?", (tenant, name))
            if dep is not None:
                if who is not None:
                    require_owner(who, dep["owner"], f"deployment {names.shown(name)}", "name")
                await self.supervisor.delete(tenant, name)
                return
            raise not_found(f"no cluster {names.shown(name)} in this tenant", "name")
        if who is not None:
            require_owner(who, row["owner"], f"cluster {names.shown(name)}", "name")
        if row["kind"] == "training":
            if name == SHARED_TRAINING:
                raise conflict(
                    f"{SHARED_TRAINING} is the tenant's shared training engine and cannot be deleted", "name"
                )
            active = self.db.one(
                "SELECT COUNT(*) AS n FROM jobs WHERE tenant = ? AND cluster = ? AND state IN "
                "('queued', 'running')",
                (tenant, name),
            )
            if active and active["n"]:
                raise conflict(
                    f"training cluster {names.shown(name)} still has {active['n']} queued or running jobs",
                    "name",
                )
        self.db.execute("DELETE FROM clusters WHERE tenant = ? AND name = ?", (tenant, name))
        proc = self.notebooks.pop((tenant, name), None)
        if proc is not None:
            await _terminate(proc)

    # -- notebooks
    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        """Restart the notebooks that were running when the platform stopped."""
        rows = self.db.query(
            "SELECT c.*, t.namespace FROM clusters c JOIN tenants t ON t.name = c.tenant "
            "WHERE c.kind = 'notebook'"
        )
        for row in rows:
            if row["pid"]:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    if _is_our_notebook(row["pid"], f"{row['tenant']}/{row['name']}"):
                        signal_process(row["pid"], signal.SIGKILL)
            self._set(
                row["tenant"], row["name"], state="creating", message="restarting with the platform", pid=None
            )
            self._spawn(self._run_notebook(row["tenant"], row["namespace"], row["name"]))

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*(_terminate(p) for p in self.notebooks.values()), return_exceptions=True)
        self.notebooks.clear()

    def _set(self, tenant: str, name: str, **fields: Any) -> None:
        """Record a notebook's state; on a full disk it is written when space is back."""
        cols = ", ".join(f"{k} = ?" for k in fields)
        self.db.execute_or_defer(
            f"UPDATE clusters SET {cols} WHERE tenant = ? AND name = ?",
            (*fields.values(), tenant, name),
        )

    def _sandboxed(
        self, row: dict[str, Any], namespace: str, argv: list[str], workdir: Path
    ) -> list[str] | None:
        """Jupyter in a sandbox on a shared platform: its folder, and the repository folders its
        owner may read and write (Jupyter's root is the repository, showing only those)."""
        if self.sandboxing is None:
            return None
        repo = Repo(self.paths.tenant_repo(namespace), self.folder_rule(row["tenant"], row["owner"]))
        readable, writable = repo.visible_paths()
        confinement = Confinement(
            cwd=repo.root, writable=(workdir, *writable), readable=tuple(readable), share_net=True
        )
        return self.sandboxing.wrap(argv, confinement)

    async def _run_notebook(self, tenant: str, namespace: str, name: str) -> None:
        cmd = jupyter_command()
        if cmd is None:
            self._set(tenant, name, state="config error", message=NO_JUPYTER)
            return
        row = self.db.one("SELECT * FROM clusters WHERE tenant = ? AND name = ?", (tenant, name))
        if row is None:
            return
        port = row["port"] or _free_port(self.host)
        workdir = self.paths.notebook_dir(namespace, name)
        workdir.mkdir(parents=True, exist_ok=True)
        argv, env = notebook_process(
            cmd,
            host=self.host,
            port=port,
            root_dir=self.paths.tenant_repo(namespace),
            workdir=workdir,
            token=row["token"],
            cluster=f"{tenant}/{name}",
        )
        try:
            argv = self._sandboxed(row, namespace, argv, workdir) or argv
        except SandboxUnavailable as exc:
            self._set(
                tenant,
                name,
                state="config error",
                message=f"cannot start Jupyter: this platform is shared, so notebooks run in a sandbox, "
                f"and none can be made here: {exc}",
            )
            return
        with (workdir / "jupyter.log").open("ab") as logf:
            try:
                proc = await asyncio.create_subprocess_exec(
                    *argv,
                    cwd=self.paths.tenant_repo(namespace),
                    env=env,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=logf,
                    stderr=logf,
                    start_new_session=True,
                )
            except OSError as exc:
                self._set(tenant, name, state="config error", message=f"cannot start Jupyter: {exc}")
                return
        self.notebooks[(tenant, name)] = proc
        self._set(tenant, name, pid=proc.pid, port=port)
        url = f"http://{self.host}:{port}/api/status?token={row['token']}"
        deadline = time.monotonic() + NOTEBOOK_READY_TIMEOUT_S
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline and proc.returncode is None:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(url)).status_code == 200:
                        self._set(tenant, name, state="configured", message="Jupyter is running")
                        break
                await asyncio.sleep(0.3)
            else:
                if proc.returncode is None:
                    await _terminate(proc)
                said = child_output.read_tail(workdir / "jupyter.log")
                self._set(
                    tenant,
                    name,
                    state="config error",
                    message=child_output.message("Jupyter did not start", said),
                )
                return
        rc = await proc.wait()
        if self.notebooks.get((tenant, name)) is proc:
            self.notebooks.pop((tenant, name), None)
            self._set(
                tenant,
                name,
                state="config error",
                pid=None,
                message=child_output.message(
                    f"Jupyter exited (code {rc})", child_output.read_tail(workdir / "jupyter.log")
                ),
            )


def insert_cluster(
    db: Database,
    tenant: str,
    name: str,
    kind: str,
    members: int,
    cpu: str,
    memory: str,
    connections: dict[str, Any],
    state: str,
    message: str,
    token: str | None = None,
    owner: str = "",
) -> None:
    """Record a cluster; ``owner`` '' is the platform's own (the shared training cluster)."""
    db.execute(
        "INSERT INTO clusters (tenant, name, kind, members, cpu, memory, connections, state, message, token, "
        "created_at, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tenant,
            name,
            kind,
            members,
            cpu,
            memory,
            dumps(connections),
            state,
            message,
            token,
            utcnow(),
            owner,
        ),
    )


def _is_our_notebook(pid: int, cluster: str) -> bool:
    """``pid`` is this cluster's notebook (its environment, readable only by us, says so)."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"MLOPS_CLUSTER={cluster}".encode() in environ


async def _terminate(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        signal_process(proc.pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), 5)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            signal_process(proc.pid, signal.SIGKILL)
        await proc.wait()
