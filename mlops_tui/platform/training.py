"""The training engine: a queue of jobs run by N workers, each job a supervised subprocess.

The queue is fair across owners (:mod:`fair_queue`): a free worker takes the next job of the owner
with the fewest jobs running, then of the owner served longest ago. Every queued job carries its
position and estimated start (``queue_position``, ``estimated_start_at``). On a shared platform
(more than one tenant or user) each job runs in a sandbox (:mod:`sandbox`) that shows it only its
working directory and the repository folders its owner may read and write.

A job runs ``python -m <pkg>.<entrypoint> --data <abs> --output <abs bundle> [--<param> <v>]...``
in its own working directory and process group, with its own environment and ``setrlimit`` limits.
Its stdout+stderr go to ``job.log``; ``@@mlops <json>`` lines in it become progress, rounds,
metrics and the data fingerprint. The database is the truth, so history survives restarts; a job
that was running when the platform died is marked failed on the next start.

A worker survives any error of one job (issue 8 §2). When the platform cannot record a job's
output for want of space (its log, its rounds), the job is stopped and ends failed with "disk
full" in its message; the end is written when space is back (shown meanwhile by ``get``/``list``).
While the storage is full the workers take no job from the queue, so queued jobs start by
themselves when space returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlops_tui.lab_scripts import params as training_params
from mlops_tui.platform import child_output, fair_queue, job_log, names
from mlops_tui.platform.db import Database, dumps, loads
from mlops_tui.platform.errors import conflict, invalid, not_found
from mlops_tui.platform.job_log import CappedLog, mib
from mlops_tui.platform.limits import apply_limits
from mlops_tui.platform.names import shown
from mlops_tui.platform.repo import EVERYTHING, FolderRule, Repo
from mlops_tui.platform.sandbox import (
    Confinement,
    Sandboxing,
    SandboxUnavailable,
    exit_status,
    signal_process,
)
from mlops_tui.platform.state import StatePaths, utcnow
from mlops_tui.platform.storage import StorageMonitor, is_disk_full

log = logging.getLogger("mlops_tui.platform.training")

FINAL = ("finished", "failed", "cancelled")
MARKER = b"@@mlops "
KILL_GRACE_S = 3.0
DEFAULT_LIMITS = {
    "cpu_seconds": 4 * 3600,  # RLIMIT_CPU: a runaway job cannot burn the host forever
    "file_bytes": 4 << 30,  # RLIMIT_FSIZE: nor fill the disk with one file
    "open_files": 1024,  # RLIMIT_NOFILE
    "address_space_floor": 8 << 30,  # RLIMIT_AS never below this (threads reserve address space)
}


def parse_memory(value: str) -> int:
    """``"2Gi"``/``"512Mi"``/``"1G"``/bytes → bytes (Kubernetes quantity subset)."""
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "K": 10**3, "M": 10**6, "G": 10**9}
    s = str(value).strip()
    for suffix, mult in units.items():
        if s.endswith(suffix):
            return int(float(s[: -len(suffix)]) * mult)
    return int(float(s))


def _epoch(iso: str | None) -> float | None:
    return datetime.fromisoformat(iso).timestamp() if iso else None


def job_json(row: dict[str, Any], queue: dict[int, fair_queue.Forecast] | None = None) -> dict[str, Any]:
    """A job row as ``services.types.Job`` JSON; a queued job gets its place from ``queue``
    (:meth:`TrainingEngine.queue_view`): ``queue_position`` (1 = next) and ``estimated_start_at``."""
    place = (queue or {}).get(row["id"]) if row["state"] == "queued" else None
    return {
        "id": str(row["id"]),
        "cluster": row["cluster"],
        "state": row["state"],
        "user": row["user"],
        "name": row["name"],
        "code": row["code"],
        "entrypoint": row["entrypoint"],
        "data": row["data"],
        "output": row["output"],
        "params": loads(row["params"], {}),
        "exit_code": row["exit_code"],
        "message": row["message"],
        "metrics": loads(row["metrics"], {}),
        "data_fingerprint": row["data_fingerprint"],
        "submitted_at": row["submitted_at"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "queue_position": place.position if place else None,
        "estimated_start_at": (
            datetime.fromtimestamp(place.start, UTC).isoformat(timespec="seconds") if place else None
        ),
    }


def _is_our_job(pid: int, job_id: int, state_root: Path) -> bool:
    """True if ``pid`` still runs job ``job_id`` of this platform (its environment says so)."""
    try:
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"MLOPS_JOB_ID={job_id}".encode() in env and f"MLOPS_STATE_DIR={state_root}".encode() in env


def _disk_full_message(where: str) -> str:
    return (
        f"disk full: the platform could not write {where}, so the job was stopped; free some space "
        "and submit it again"
    )


class _OutputLost(Exception):
    """The job's output could not be recorded (disk full); the job is stopped."""

    def __init__(self, where: str) -> None:
        super().__init__(where)
        self.where = where


class TrainingEngine:
    def __init__(
        self,
        db: Database,
        paths: StatePaths,
        workers: int = 2,
        python: str = sys.executable,
        storage: StorageMonitor | None = None,
        sandboxing: Sandboxing | None = None,
        folder_rule: Callable[[str, str], FolderRule] | None = None,
        log_max_bytes: int = job_log.DEFAULT_MAX_MIB << 20,
    ) -> None:
        self.db = db
        self.log_max_bytes = log_max_bytes  # per job (job_log.CappedLog)
        self._truncated: set[int] = set()  # running jobs whose log reached the cap
        self.paths = paths
        self.workers = max(1, workers)
        self.python = python
        self.storage = storage
        self.sandboxing = sandboxing
        self.folder_rule = folder_rule or (lambda tenant, user: EVERYTHING)
        self._ended: dict[int, dict[str, Any]] = {}  # final states not yet written (disk full)
        if storage is not None:
            storage.on_recover.append(self._notify)
        self._work = asyncio.Event()  # set when a job may be waiting for a worker
        self._claimed: set[int] = set()  # taken by a worker, not yet marked running
        self.running: dict[int, asyncio.subprocess.Process] = {}
        self.busy: dict[int, int] = {}  # worker index -> job id
        # job id -> "cancelled by <who> at <time>": what its log and message end with
        self._cancelled: dict[int, str] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.changed = asyncio.Event()  # set whenever a job changes state (log followers wait on it)

    # -- lifecycle
    async def start(self) -> None:
        self._recover()
        for i in range(self.workers):
            self._tasks.append(asyncio.create_task(self._worker(i), name=f"training-worker-{i}"))

    def _recover(self) -> None:
        for row in self.db.query("SELECT id, pid FROM jobs WHERE state = 'running'"):
            pid = row["pid"]
            if pid and _is_our_job(pid, row["id"], self.paths.root):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    signal_process(pid, signal.SIGKILL)
            self._finish(
                row["id"],
                "failed",
                None,
                "the platform stopped while this job was running; its output is incomplete: submit it again",
            )
        self._work.set()  # queued jobs stay queued across restarts; the workers take them in turn

    async def stop(self) -> None:
        """Kill running jobs (marked failed: their output is incomplete); queued ones wait for next start."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for job_id, proc in list(self.running.items()):
            self._killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(proc.wait(), 5)
            self._finish(
                job_id, "failed", None, "the platform was stopped while this job was running: submit it again"
            )
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- API side
    def _with_end(self, row: dict[str, Any]) -> dict[str, Any]:
        """``row`` with its final state if the job ended but the disk could not take it yet."""
        ended = self._ended.get(row["id"])
        if ended is None:
            return row
        if row["state"] in FINAL:  # written since: the database is the truth again
            self._ended.pop(row["id"], None)
            return row
        return {**row, **ended}

    def state(self, job_id: int) -> str | None:
        row = self.db.one("SELECT id, state FROM jobs WHERE id = ?", (job_id,))
        return self._with_end(row)["state"] if row else None

    def get(self, tenant: str, job_id: str) -> dict[str, Any]:
        if not names.job_id(str(job_id)):
            raise not_found(f"no job {shown(job_id)} in this tenant", "id")
        row = self.db.one("SELECT * FROM jobs WHERE id = ? AND tenant = ?", (int(job_id), tenant))
        if row is None:
            raise not_found(f"no job {shown(job_id)} in this tenant", "id")
        return self._with_end(row)

    def list(self, tenant: str) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT * FROM jobs WHERE tenant = ? ORDER BY id DESC", (tenant,))
        return [self._with_end(r) for r in rows]

    # -- the queue
    def _queue_state(self) -> tuple[list[fair_queue.Waiting], list[dict[str, Any]], dict[Any, float]]:
        rows = self.db.query(
            "SELECT id, tenant, user, state, started_at FROM jobs WHERE state IN ('queued', 'running') "
            "ORDER BY id"
        )
        queued = [
            fair_queue.Waiting(r["id"], (r["tenant"], r["user"]))
            for r in rows
            if r["state"] == "queued" and r["id"] not in self._claimed and r["id"] not in self._ended
        ]
        active = [r for r in rows if r["state"] == "running" or r["id"] in self._claimed]
        last = {
            (r["tenant"], r["user"]): _epoch(r["last"]) or 0.0
            for r in self.db.query(
                "SELECT tenant, user, MAX(started_at) AS last FROM jobs WHERE started_at IS NOT NULL "
                "GROUP BY tenant, user"
            )
        }
        return queued, active, last

    def _take(self) -> int | None:
        """The job a free worker runs next (fair across owners); it is claimed at once."""
        queued, active, last = self._queue_state()
        pick = fair_queue.next_job(queued, [(r["tenant"], r["user"]) for r in active], last)
        if pick is None:
            return None
        self._claimed.add(pick.id)
        return pick.id

    def typical_duration(self) -> float:
        """Median run time (s) of the last jobs that finished on this platform (failed ones left out:
        a job refused at once by its data would make every estimate a second)."""
        rows = self.db.query(
            "SELECT started_at, finished_at FROM jobs WHERE state = 'finished' "
            "AND started_at IS NOT NULL AND finished_at IS NOT NULL ORDER BY id DESC LIMIT ?",
            (fair_queue.RECENT_JOBS,),
        )
        return fair_queue.typical_duration(
            _epoch(r["finished_at"]) - _epoch(r["started_at"])  # type: ignore[operator]
            for r in rows
        )

    def queue_view(self) -> dict[int, fair_queue.Forecast]:
        """Job id → position and estimated start of every queued job (all tenants share the workers)."""
        queued, active, last = self._queue_state()
        if not queued:
            return {}
        now = datetime.now(UTC).timestamp()
        busy = [fair_queue.Busy((r["tenant"], r["user"]), _epoch(r["started_at"]) or now) for r in active]
        places = fair_queue.forecast(
            queued, busy, last, workers=self.workers, now=now, typical_s=self.typical_duration()
        )
        return {f.id: f for f in places}

    def submit(
        self, tenant: str, namespace: str, user: str, spec: dict[str, Any], rule: FolderRule = EVERYTHING
    ) -> dict[str, Any]:
        """Queue a job. ``rule``: the submitter's folder rule (an attendee's code and data must be
        readable by them, its output folder writable: else 403 naming the folder's owner)."""
        repo = Repo(self.paths.tenant_repo(namespace), rule)
        cluster = self.db.one(
            "SELECT kind, state FROM clusters WHERE tenant = ? AND name = ?", (tenant, spec["cluster"])
        )
        if cluster is None or cluster["kind"] != "training":
            raise not_found(f"no training cluster {shown(spec['cluster'])} in this tenant", "cluster")
        if cluster["state"] != "configured":
            raise conflict(
                f"training cluster {shown(spec['cluster'])} is {cluster['state']}, not configured", "cluster"
            )
        entrypoint = spec.get("entrypoint") or "train"
        try:
            names.check("identifier", entrypoint)
        except ValueError as exc:
            raise invalid(f"entrypoint {exc}", "entrypoint") from None
        code_dir = repo.resolve(spec["code"], "code", write=False)
        if not code_dir.exists():
            raise not_found(
                f"code {shown(spec['code'])} is not in the project repository (upload the code first)", "code"
            )
        if not code_dir.is_dir():
            raise conflict(
                f"code {shown(spec['code'])} is a file, not a directory of the project repository", "code"
            )
        if not names.IDENTIFIER.fullmatch(code_dir.name):
            raise invalid(
                f"code {shown(spec['code'])}: its last segment must be a Python package name", "code"
            )
        if (
            not (code_dir / f"{entrypoint}.py").is_file()
            and not (code_dir / entrypoint / "__main__.py").is_file()
        ):
            raise not_found(f"entrypoint: no {entrypoint}.py in {shown(spec['code'])}", "entrypoint")
        data_path = repo.resolve(spec["data"], "data", write=False)
        if not data_path.exists():
            raise not_found(f"data {shown(spec['data'])} does not exist in the project repository", "data")
        output = repo.clean(spec["output"], "output")
        repo.resolve(output, "output", write=True)
        try:
            params = training_params.check_job_params(entrypoint, spec.get("params") or {})
        except training_params.ParamError as exc:
            raise invalid(str(exc), exc.name) from None
        cur = self.db.execute(
            "INSERT INTO jobs (tenant, user, cluster, name, code, entrypoint, data, output, params, state,"
            " submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
            (
                tenant,
                user,
                spec["cluster"],
                spec.get("name") or "",
                repo.clean(spec["code"], "code"),
                entrypoint,
                repo.clean(spec["data"], "data"),
                output,
                dumps(params),
                utcnow(),
            ),
        )
        job_id = int(cur.lastrowid)  # type: ignore[arg-type]
        bundle = f"{output}/job-{job_id}"
        self.db.execute("UPDATE jobs SET output = ? WHERE id = ?", (bundle, job_id))
        jd = self.paths.job_dir(job_id)
        jd.mkdir(parents=True, exist_ok=True)
        (jd / "job.log").touch()
        self._work.set()
        self._notify()
        return self.get(tenant, str(job_id))

    async def cancel(self, tenant: str, job_id: str, by: str = "") -> dict[str, Any]:
        """Cancel a queued or running job; ``by``: who asked (the job's message and the last line
        of its log say ``cancelled by <who> at <time>``, so an attendee whose job the facilitator
        cancelled is told who). What the job prints while it is stopped (Python's traceback of
        the interrupted code) is not kept: it is the platform's doing, not the job's error."""
        row = self.get(tenant, job_id)
        jid = row["id"]
        if row["state"] in FINAL:
            raise conflict(f"job {jid} is already {row['state']}", "id")
        said = f"cancelled by {by or 'the platform'} at {datetime.now(UTC):%H:%M:%S} UTC"
        if row["state"] == "queued":
            self.db.execute(
                "UPDATE jobs SET state = 'cancelled', message = ?, finished_at = ? "
                "WHERE id = ? AND state = 'queued'",
                (f"{said}, before it started", utcnow(), jid),
            )
        proc = self.running.get(jid)
        if proc is not None:
            self._cancelled[jid] = said
            self._killpg(proc.pid, signal.SIGTERM)
            asyncio.get_running_loop().call_later(KILL_GRACE_S, self._killpg, proc.pid, signal.SIGKILL)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(proc.wait()), KILL_GRACE_S + 2)
            for _ in range(50):  # the worker records the final state right after the exit
                if self.state(jid) in FINAL:
                    break
                await asyncio.sleep(0.02)
        self._notify()
        return self.get(tenant, job_id)

    def metrics(self, tenant: str, job_id: str) -> dict[str, Any]:
        row = self.get(tenant, job_id)
        rounds = [
            {"round": r["round"], **loads(r["data"], {})}
            for r in self.db.query("SELECT * FROM job_rounds WHERE job_id = ? ORDER BY round", (row["id"],))
        ]
        return {"job_id": str(row["id"]), "final": loads(row["metrics"], {}), "rounds": rounds}

    def log_path(self, job_id: int) -> Path:
        return self.paths.job_dir(job_id) / "job.log"

    # -- workers
    def _notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    async def _healthy_storage(self) -> None:
        if self.storage is not None:
            await self.storage.wait_healthy()

    async def _worker(self, index: int) -> None:
        """Run queued jobs one after another, the fair queue's pick each time; nothing one job does
        ends this loop."""
        while not self._stopping:
            await self._healthy_storage()  # a job started on a full disk would only fail
            self._work.clear()
            try:
                job_id = self._take()
            except Exception:  # the database is unusable for now: try again shortly
                log.exception("the training queue cannot be read")
                job_id = None
            if job_id is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._work.wait(), 1.0)
                continue
            try:
                row = self.db.one("SELECT * FROM jobs WHERE id = ?", (job_id,))
                if row is None or row["state"] != "queued":
                    continue
                self.busy[index] = job_id
                await self._run(row)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a platform bug or a storage fault must not kill the worker
                if is_disk_full(exc):
                    message = _disk_full_message(
                        f"the job's files in {self.paths.job_dir(job_id)} or its state"
                    )
                else:
                    log.exception("job %s crashed the engine", job_id)
                    message = f"the training engine failed to run the job: {getattr(exc, 'message', exc)}"
                self._finish(job_id, "failed", None, message)
            finally:
                self.busy.pop(index, None)
                self._claimed.discard(job_id)
                self._work.set()  # a worker is free: another may take the next job at once

    def _argv_env(self, row: dict[str, Any]) -> tuple[list[str], dict[str, str], Path]:
        ns = self.db.one("SELECT namespace FROM tenants WHERE name = ?", (row["tenant"],))["namespace"]  # type: ignore[index]
        repo = Repo(self.paths.tenant_repo(ns))
        code_dir = repo.resolve(row["code"], "code")
        bundle = repo.resolve(row["output"], "output")
        bundle.parent.mkdir(parents=True, exist_ok=True)
        argv = [
            self.python,
            "-u",
            "-m",
            f"{code_dir.name}.{row['entrypoint']}",
            "--data",
            str(repo.resolve(row["data"], "data")),
            "--output",
            str(bundle),
        ]
        for key, value in loads(row["params"], {}).items():
            argv += [f"--{key}", str(value)]
        cluster = self.db.one(
            "SELECT cpu FROM clusters WHERE tenant = ? AND name = ?", (row["tenant"], row["cluster"])
        )
        threads = str(max(1, int(float((cluster or {}).get("cpu") or 1))))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "HOME": str(self.paths.job_dir(row["id"])),
            "PYTHONPATH": str(code_dir.parent),
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "OMP_NUM_THREADS": threads,
            "MLOPS_JOB_ID": str(row["id"]),
            "MLOPS_TENANT": row["tenant"],
            "MLOPS_USER": row["user"],
            "MLOPS_REPO": str(repo.root),
            "MLOPS_STATE_DIR": str(self.paths.root),
        }
        return argv, env, bundle

    def _limits(self, row: dict[str, Any]) -> dict[str, Any]:
        """``limits.apply_limits`` arguments for a job: address space from its cluster's memory."""
        memory = self.db.one(
            "SELECT memory FROM clusters WHERE tenant = ? AND name = ?", (row["tenant"], row["cluster"])
        )
        try:
            mem = parse_memory((memory or {}).get("memory") or "2Gi")
        except ValueError:
            mem = 2 << 30
        return {
            "cpu_seconds": DEFAULT_LIMITS["cpu_seconds"],
            "address_space": max(mem * 4, DEFAULT_LIMITS["address_space_floor"]),
            "file_bytes": DEFAULT_LIMITS["file_bytes"],
            "open_files": DEFAULT_LIMITS["open_files"],
        }

    def _sandboxed(self, row: dict[str, Any], argv: list[str], limits: dict[str, Any]) -> list[str] | None:
        """The job's command in a sandbox (None on one user's own platform): its working directory
        and the repository folders its owner may read (read-only) and write (writable)."""
        if self.sandboxing is None:
            return None
        ns = self.db.one("SELECT namespace FROM tenants WHERE name = ?", (row["tenant"],))["namespace"]  # type: ignore[index]
        repo = Repo(self.paths.tenant_repo(ns), self.folder_rule(row["tenant"], row["user"]))
        readable, writable = repo.visible_paths()
        jd = self.paths.job_dir(row["id"])
        try:
            return self.sandboxing.wrap(
                argv, Confinement(cwd=jd, writable=(jd, *writable), readable=tuple(readable)), limits
            )
        except SandboxUnavailable as exc:
            raise SandboxUnavailable(
                f"this platform is shared, so jobs run in a sandbox, and none can be made here: {exc}"
            ) from None

    async def _run(self, row: dict[str, Any]) -> None:
        job_id = row["id"]
        jd = self.paths.job_dir(job_id)
        jd.mkdir(parents=True, exist_ok=True)
        logf = (jd / "job.log").open("ab")
        proc: asyncio.subprocess.Process | None = None
        lost: str | None = None
        try:
            try:
                argv, env, _bundle = self._argv_env(row)
                limits = self._limits(row)
                sandboxed = self._sandboxed(row, argv, limits)
            except Exception as exc:
                if is_disk_full(exc):
                    raise
                msg = getattr(exc, "message", str(exc))
                with contextlib.suppress(OSError):
                    logf.write(self.paths.shower.text(f"cannot start: {msg}\n").encode())
                self._finish(job_id, "failed", None, f"cannot start: {msg}")
                return
            logf.write(self.paths.shower.text(f"$ python {' '.join(argv[1:])}\n").encode())
            logf.flush()
            proc = await asyncio.create_subprocess_exec(
                *(sandboxed or argv),
                cwd=jd,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                # in the sandbox, prlimit applies the same limits to the job itself
                preexec_fn=None if sandboxed else lambda: apply_limits(**limits),
            )
            self.running[job_id] = proc
            started = self.db.execute(
                "UPDATE jobs SET state = 'running', pid = ?, started_at = ?, message = 'running' "
                "WHERE id = ? AND state = 'queued'",
                (proc.pid, utcnow(), job_id),
            ).rowcount
            if not started:  # cancelled between dequeue and start
                self._killpg(proc.pid, signal.SIGKILL)
            self._notify()
            last_raw, lost = await self._pump(job_id, proc, logf)
            rc = await proc.wait()
            if sandboxed:
                rc = exit_status(rc)  # bwrap reports a signal N as 128+N
        except BaseException:
            if proc is not None and proc.returncode is None:  # never leave a job running unsupervised
                self._killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(proc.wait()), KILL_GRACE_S)
            raise
        finally:
            with contextlib.suppress(OSError):  # buffered log bytes may not fit on a full disk
                logf.close()
            self.running.pop(job_id, None)
        # The message is built from the sanitised last line, then prefixed, then cut (child_output).
        last_human = child_output.last_line(last_raw)
        cut = f" (log truncated at {mib(self.log_max_bytes)})" if job_id in self._truncated else ""
        self._truncated.discard(job_id)
        if job_id in self._cancelled:
            said = self._cancelled.pop(job_id)
            with contextlib.suppress(OSError), open(self.log_path(job_id), "ab") as end:
                end.write(f"{said}\n".encode())
            self._finish(job_id, "cancelled", rc, f"{said}{cut}")
        elif lost is not None:
            self._finish(job_id, "failed", rc, _disk_full_message(lost))
        elif rc == 0:
            self._finish(job_id, "finished", rc, f"finished{cut}")
        elif "No space left on device" in last_human or "Disk quota exceeded" in last_human:
            message = child_output.message(f"disk full: exit code {rc}{cut}", last_human)
            self._finish(job_id, "failed", rc, message)
        elif rc < 0:
            sig = signal.Signals(-rc).name
            hint = " (CPU time limit)" if -rc == signal.SIGXCPU else ""
            self._finish(
                job_id, "failed", rc, child_output.message(f"killed by {sig}{hint}{cut}", last_human)
            )
        else:
            self._finish(job_id, "failed", rc, child_output.message(f"exit code {rc}{cut}", last_human))

    async def _pump(
        self, job_id: int, proc: asyncio.subprocess.Process, logf: Any
    ) -> tuple[bytes, str | None]:
        """Copy the child's output to the log as it comes and parse structured lines.

        Returns the last human line as written (raw bytes: the likely error message, sanitised by
        the caller once, not every line) and, when the output could not be recorded for want of
        space, what could not be written (the job is then killed, and its output drained until it
        exits so the pipe never blocks it). An unfinished line (progress frames drawn with ``\r``
        and no ``\n``) is kept to its last ``child_output.PARTIAL_MAX`` bytes.
        """
        assert proc.stdout is not None
        buf = b""
        last_human = b""
        lost: str | None = None
        capped = CappedLog(logf, self.log_max_bytes)
        while True:
            chunk = await proc.stdout.read(65536)
            if not chunk:
                break
            if lost is not None or job_id in self._cancelled:
                continue  # drained, not kept: the stopped job's traceback is no error of its own
            try:
                if capped.write(chunk):
                    self._truncated.add(job_id)
                    log.info("job %s: log truncated at %s; the job goes on", job_id, mib(capped.cap))
                    self.db.execute(
                        "UPDATE jobs SET message = ? WHERE id = ?", (self._truncated_note(), job_id)
                    )
                buf += chunk
                *lines, buf = buf.split(b"\n")
                buf = child_output.bounded_partial(buf)
                for line in lines:
                    last_human = self._line(job_id, line) or last_human
            except Exception as exc:
                if not is_disk_full(exc):
                    raise
                if isinstance(exc, OSError):
                    lost = f"the job's log {self.log_path(job_id)}"
                else:
                    lost = f"the job's progress to the database {self.db.path}"
                if self.storage is not None:
                    self.storage.report(self.log_path(job_id) if isinstance(exc, OSError) else self.db.path)
                log.warning("job %s: %s: stopping it", job_id, _disk_full_message(lost))
                self._killpg(proc.pid, signal.SIGKILL)
        if lost is None:
            with contextlib.suppress(OSError):
                if buf:
                    capped.write(b"\n")
                capped.finish()
            with contextlib.suppress(Exception):
                last_human = self._line(job_id, buf) or last_human
        return last_human, lost

    def _truncated_note(self) -> str:
        return f"running; its log is truncated at {mib(self.log_max_bytes)} (the job goes on)"

    def _line(self, job_id: int, line: bytes) -> bytes:
        """Parse a structured line (its effect goes to the database) and return b""; return a
        human line as it is when it has more than blanks (the caller keeps the last one)."""
        if not line.startswith(MARKER):
            return line if line.strip() else b""
        try:
            event = json.loads(line[len(MARKER) :])
        except ValueError:
            return b""
        if not isinstance(event, dict):
            return b""
        kind = event.get("type")
        if kind == "progress":
            pct = event.get("pct")
            text = f"{event.get('stage', 'running')}" + (
                f" {pct:.0f}%" if isinstance(pct, int | float) else ""
            )
            self.db.execute("UPDATE jobs SET message = ? WHERE id = ?", (text[:200], job_id))
        elif kind == "data" and isinstance(event.get("fingerprint"), str):
            self.db.execute(
                "UPDATE jobs SET data_fingerprint = ? WHERE id = ?", (event["fingerprint"], job_id)
            )
        elif kind == "round" and isinstance(event.get("round"), int):
            data = {
                k: v for k, v in event.items() if k not in ("type", "round") and isinstance(v, int | float)
            }
            self.db.execute(
                "INSERT OR REPLACE INTO job_rounds (job_id, round, data) VALUES (?, ?, ?)",
                (job_id, event["round"], dumps(data)),
            )
        elif kind == "metrics":
            metrics = {
                k: v
                for k, v in event.items()
                if k != "type" and isinstance(v, int | float) and not isinstance(v, bool)
            }
            self.db.execute("UPDATE jobs SET metrics = ? WHERE id = ?", (dumps(metrics), job_id))
        return b""

    def _finish(self, job_id: int, state: str, rc: int | None, message: str) -> None:
        """Record a job's end; never raises (on a full disk it is written when space is back)."""
        now = utcnow()
        message = self.paths.shower.text(message)  # read by attendees: no path of the platform's files
        try:
            written = self.db.execute_or_defer(
                "UPDATE jobs SET state = ?, exit_code = ?, message = ?, finished_at = ? "
                "WHERE id = ? AND state IN ('queued', 'running')",
                (state, rc, message[:1000], now, job_id),
            )
        except Exception:
            log.exception("cannot record the end of job %s (%s: %s)", job_id, state, message)
            written = False
        if not written:
            end = {"state": state, "exit_code": rc, "message": message[:1000], "finished_at": now}
            self._ended[job_id] = end
        self._notify()

    @staticmethod
    def _killpg(pid: int, sig: int) -> None:
        """The job's process group, or in a sandbox the job itself (``sandbox.signal_process``)."""
        signal_process(pid, sig)
