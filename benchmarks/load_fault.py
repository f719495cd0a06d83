"""Predictions under load while things go wrong: the prediction server killed, the disk briefly
full, thousands of idle connections, a platform restart; and the cost of the worst request a
client may send.

Why: issue 8 asks that the platform loses nothing and hangs on nothing. A throwaway local platform
(its own temp HOME, default supervision settings, its state directory on a 128 MiB tmpfs that this
script mounts where it may) trains and deploys the taxi model; then closed-loop clients
(``--clients`` threads, keep-alive httpx, 5 s deadline per request) send the workshop's ride for a
fixed time in each of these windows, one after the other:

- ``baseline``: nothing goes wrong;
- ``server killed``: ``kill -9`` of the prediction server every 3 s (the first restart is
  immediate, the next ones back off: 1, 2 … s, answered 503 meanwhile);
- ``disk full``: the state directory's device filled to the last byte for 4 s
  (``tests/disk_full_support.py``: the tmpfs, and a file that takes all of it) while a training
  job with 10,000 rounds runs, and a second job is submitted while it is full. Besides the
  predictions it says what happened to training and to ``/health``. Mounting needs root
  (``CAP_SYS_ADMIN``); without it the column says "not measured" and why;
- ``4000 idle conns``: 4,000 connections opened without any token and left silent;
- ``platform restart``: ``mlops-tui platform restart`` mid-window (the servers are handed over);
- ``baseline again``: nothing goes wrong, to show how much the figures move between windows.

Each column counts requests answered 200, 503 (the deployment said it is not serving, with
Retry-After), refused connections, other errors (reset, timeout), and the latency of the 200s.
Then the worst requests: the server's own time (``latency_ms``) for 1,000 rides by zone id,
1,000 rides naming 16 zones by 8-word names (the most fuzzy matching a request may ask for),
1 MiB of unknown fields, and a 200 KB zone name (refused before any work).

    .venv/bin/python benchmarks/load_fault.py [--quick] [--clients 4] [--keep-tmp]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # tests/local_platform_support.py: the tests' platform runner

from disk_full_support import CannotMount, fill, mounted_tmpfs  # noqa: E402
from local_platform_support import (  # noqa: E402
    DEFAULT_USER,
    V1,
    WORKSHOP_RIDE,
    PlatformFactory,
    submit_training,
    upload_lab_code,
    wait_job,
    wait_state,
)

IDLE_CONNECTIONS = 4000
TMPFS_MIB = 128
FULL_FOR_S = 4.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


class Load:
    """``clients`` threads sending the workshop ride until stopped; outcomes and 200-latencies."""

    def __init__(self, dep: dict[str, Any], clients: int) -> None:
        self.dep = dep
        self.clients = clients
        self.outcomes: Counter[str] = Counter()
        self.latency_ms: list[float] = []
        self.events: list[tuple[float, str, float]] = []  # (time.monotonic() at the end, kind, ms)
        self.notes: list[str] = []  # what else happened in the window, printed under the table
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> Load:
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(self.clients)]
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(15)

    def _run(self) -> None:
        body = {"use_scoring": True, "scoring_args": WORKSHOP_RIDE}
        headers = {"X-Auth-Token": self.dep["auth_token"]}
        with httpx.Client(timeout=5.0) as client:
            while not self._stop.is_set():
                t0 = time.perf_counter()
                try:
                    r = client.post(self.dep["url"], json=body, headers=headers)
                    kind = str(r.status_code)
                except httpx.ConnectError as exc:
                    kind = "refused" if "refused" in str(exc).lower() else "connect error"
                except httpx.TimeoutException:
                    kind = "timeout"
                except httpx.HTTPError as exc:
                    kind = type(exc).__name__
                ms = (time.perf_counter() - t0) * 1000
                with self._lock:
                    self.events.append((time.monotonic(), kind, ms))
                    self.outcomes[kind] += 1
                    if kind == "200":
                        self.latency_ms.append(ms)
                if kind == "503":
                    time.sleep(0.05)  # a client told to come back later does not spin


def _train_and_deploy(factory: PlatformFactory, rounds: int) -> tuple[Any, httpx.Client, dict[str, Any], str]:
    plat = factory.new("bench")
    api = plat.login()
    code = upload_lab_code(api, DEFAULT_USER)
    job = wait_job(api, submit_training(api, code, rounds=rounds)["id"])
    assert job["state"] == "finished", job
    v = api.post(f"{V1}/models", json={"model": "bench-model", "job_id": job["id"]}).json()
    r = api.post(f"{V1}/deployments", json={"name": "bench", "model": v["model"], "version": v["version"]})
    assert r.status_code == 201, r.text
    dep = wait_state(api, f"{V1}/deployments/bench")
    assert dep["state"] == "configured", dep
    return plat, api, dep, code


def window_baseline(dep: dict[str, Any], seconds: float, clients: int, **_: Any) -> Load:
    with Load(dep, clients) as load:
        time.sleep(seconds)
    return load


def window_killed(dep: dict[str, Any], seconds: float, clients: int, api: httpx.Client, **_: Any) -> Load:
    end = time.monotonic() + seconds
    with Load(dep, clients) as load:
        while time.monotonic() < end:
            time.sleep(min(3.0, max(0.0, end - time.monotonic())))
            pid = api.get(f"{V1}/deployments/bench").json()["pid"]
            if pid and time.monotonic() < end:
                os.kill(pid, signal.SIGKILL)
    wait_state(api, f"{V1}/deployments/bench", states=("configured",), timeout=90)
    return load


def window_disk_full(
    dep: dict[str, Any],
    seconds: float,
    clients: int,
    api: httpx.Client,
    code: str,
    tmpfs: Path | None,
    **_: Any,
) -> Load | None:
    """The state directory's device full for ``FULL_FOR_S`` while clients predict, both training
    workers run a long job and a third job waits in the queue."""
    if tmpfs is None:
        return None
    long = {"rounds": 10_000, "early-stopping": 0, "max-depth": 8}  # minutes, a log line a round
    running = [submit_training(api, code, **long)["id"] for _ in range(2)]
    queued = submit_training(api, code, rounds=20)["id"]
    for job_id in running:
        _until(lambda j=job_id: api.get(f"{V1}/jobs/{j}/metrics").json()["rounds"], 90)
    seen: dict[str, float] = {}
    reasons: list[str] = []
    with Load(dep, clients) as load:
        start = time.monotonic()
        time.sleep((seconds - FULL_FOR_S) / 3)
        filler = fill(tmpfs / "filler")
        full_from = time.monotonic()
        late = api.post(f"{V1}/jobs", json=_job(code, rounds=20))  # submitted while the disk is full
        while time.monotonic() < full_from + FULL_FOR_S:
            health = api.get(f"{V1}/health").json()
            if health["status"] == "degraded" and "degraded" not in seen:
                seen["degraded"], reasons = time.monotonic(), health["reasons"]
            for job_id in running:
                if job_id not in seen and api.get(f"{V1}/jobs/{job_id}").json()["state"] != "running":
                    seen[job_id] = time.monotonic()
            seen.setdefault("queued", 0.0)
            if api.get(f"{V1}/jobs/{queued}").json()["state"] != "queued":
                seen["queued"] += 1  # it should not start while the disk is full
            time.sleep(0.05)
        filler.unlink()
        full_until, freed_at = time.monotonic(), datetime.now(UTC)
        _until(lambda: api.get(f"{V1}/health").json()["status"] == "ok", 30)
        seen["ok"] = time.monotonic()
        time.sleep(max(0.0, start + seconds - time.monotonic()))
    during = [(kind, ms) for t, kind, ms in load.events if full_from <= t <= full_until]
    kinds = Counter(kind for kind, _ in during)
    ok_ms = sorted(ms for kind, ms in during if kind == "200")
    failed = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()) if k != "200") or "nothing else"
    tail = (
        f"; p50 {pct(ok_ms, 50):.1f} ms, p99 {pct(ok_ms, 99):.1f} ms, max {ok_ms[-1]:.0f} ms" if ok_ms else ""
    )
    load.notes.append(
        f"the {FULL_FOR_S:.0f} s the disk was full ({TMPFS_MIB} MiB tmpfs, every byte taken): "
        f"{kinds['200']} predictions answered 200, {failed}{tail}"
    )
    said = (
        f"degraded {seen['degraded'] - full_from:.1f} s after the disk filled" if reasons else "not degraded"
    )
    load.notes.append(
        f"/health: {said} ({'; '.join(reasons)}); ok {seen['ok'] - full_until:.1f} s after space was freed"
    )
    for job_id in running:
        job = api.get(f"{V1}/jobs/{job_id}").json()
        when = f" {seen[job_id] - full_from:.1f} s after the disk filled" if job_id in seen else ""
        load.notes.append(f"training job {job_id} (running): {job['state']}{when}: {job['message']!r}")
    for job_id, how in ((queued, "queued before"), (late.json().get("id"), "submitted while")):
        if job_id is None:
            load.notes.append(f"a job {how} the disk was full: {late.status_code} {late.json()['error']!r}")
            continue
        done = wait_job(api, job_id, timeout=180)
        after = (datetime.fromisoformat(done["started_at"]) - freed_at).total_seconds()
        load.notes.append(
            f"job {job_id} {how} the disk was full: started {after:.1f} s after space was freed"
            + (" (it started while full!)" if how == "queued before" and seen["queued"] else "")
            + f": {done['state']}"
        )
    return load


def _job(code: str, **params: Any) -> dict[str, Any]:
    return {
        "cluster": "training-engine-shared",
        "code": code,
        "data": "data/NYCTaxi/synthetic-yellow-2019H1.csv",
        "output": f"models/{DEFAULT_USER}",
        "params": params,
    }


def _until(check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise RuntimeError(f"not within {timeout} s")


def window_idle(dep: dict[str, Any], seconds: float, clients: int, **_: Any) -> Load:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, IDLE_CONNECTIONS + 500)), hard))
    host, port = dep["url"].removeprefix("http://").split("/")[0].split(":")
    idle = []
    try:
        with Load(dep, clients) as load:
            for _ in range(IDLE_CONNECTIONS):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
                s.connect((host, int(port)))
                idle.append(s)
            time.sleep(seconds)
    finally:
        for s in idle:
            s.close()
    return load


def window_restart(
    dep: dict[str, Any], seconds: float, clients: int, plat: Any, api: httpx.Client, **_: Any
) -> Load:
    with Load(dep, clients) as load:
        time.sleep(seconds / 3)
        t0 = time.monotonic()
        done = plat.cli("platform", "restart")
        assert done.returncode == 0, done.stderr
        plat.adopt()  # the platform the command started: stopped with the others at the end
        load.notes.append(f"`mlops-tui platform restart` took {time.monotonic() - t0:.1f} s")
        wait_state(api, f"{V1}/deployments/bench", states=("configured",), timeout=90)
        time.sleep(seconds / 3)
    return load


def _server_ms(dep: dict[str, Any], rides: Any, tries: int) -> tuple[list[float], int]:
    """Server-reported ``latency_ms`` (or the client's time for a refused request) and the status."""
    out, status = [], 0
    with httpx.Client(timeout=30.0) as client:
        for _ in range(tries):
            t0 = time.perf_counter()
            r = client.post(
                dep["url"],
                content=json.dumps({"use_scoring": True, "scoring_args": rides}).encode(),
                headers={"X-Auth-Token": dep["auth_token"], "Content-Type": "application/json"},
            )
            status = r.status_code
            out.append(r.json()["latency_ms"] if r.status_code == 200 else (time.perf_counter() - t0) * 1000)
    return out, status


def worst_requests(dep: dict[str, Any], tries: int) -> None:
    from mlops_tui.lab_scripts.zones import load_zones

    ride = {"pickup_datetime": "2019-02-12T09:00:00", "pickup_zone": 68, "dropoff_zone": 144, "distance": 2.1}
    names = [z.zone for z in load_zones().located()]
    eight = [n for n in names if 3 <= len(n.split()) <= 8][:16]
    cases = {
        "1 ride (the workshop's)": WORKSHOP_RIDE,
        "1,000 rides by zone id": [{**ride, "pickup_zone": 1 + i % 263} for i in range(1000)],
        "1,000 rides, 16 zones named by text": [{**ride, "pickup_zone": eight[i % 16]} for i in range(1000)],
        "1,000 rides + 25 unknown fields each (~1 MiB)": [
            {**ride, **{f"note{j:02d}": "x" * 20 for j in range(25)}} for _ in range(1000)
        ],
        "a 200 KB zone name (refused: 422)": {**ride, "pickup_zone": " ".join(["word"] * 40_000)},
    }
    print("\nworst requests (server time: its latency_ms; for a refused one the client's round trip):")
    print(f"  {'request':<48} {'status':>6} {'bytes':>9} {'p50 ms':>8} {'max ms':>8}")
    for name, rides in cases.items():
        size = len(json.dumps({"use_scoring": True, "scoring_args": rides}))
        ms, status = _server_ms(dep, rides, tries)
        print(f"  {name:<48} {status:>6} {size:>9} {statistics.median(ms):8.1f} {max(ms):8.1f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="shorter windows (about 1 min in all)")
    ap.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    ap.add_argument("--keep-tmp", action="store_true", help="keep the temp HOME/state dir (for inspection)")
    args = ap.parse_args(argv)
    seconds = 6.0 if args.quick else 15.0
    print(
        f"load_fault: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.clients} clients, "
        f"{seconds:.0f} s per window, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    root = Path(tempfile.mkdtemp(prefix="mlops-bench-fault-"))
    columns: dict[str, Load | None] = {}
    with contextlib.ExitStack() as stack:
        try:  # the state directory on a disk of its own, to fill it
            tmpfs: Path | None = stack.enter_context(mounted_tmpfs(root / "tmpfs", TMPFS_MIB))
            not_full = ""
        except CannotMount as exc:
            tmpfs, not_full = None, str(exc)
        factory = PlatformFactory(tmpfs or root)
        stack.callback(factory.close)  # before the tmpfs is unmounted
        plat, api, dep, code = _train_and_deploy(factory, rounds=20 if args.quick else 60)
        print(f"platform at {plat.url}, deployment on port {dep['port']}, state dir {plat.state_dir}")
        windows = {
            "baseline": window_baseline,
            "server killed": window_killed,
            "disk full": window_disk_full,
            f"{IDLE_CONNECTIONS} idle conns": window_idle,
            "platform restart": window_restart,
            "baseline again": window_baseline,  # the spread of a shared machine
        }
        for name, run in windows.items():
            print(f"  window {name!r} ...", flush=True)
            columns[name] = run(dep, seconds, args.clients, api=api, plat=plat, code=code, tmpfs=tmpfs)
            api = plat.login()  # a restart keeps sessions, but the client's connection may be gone
        _print_columns(columns, seconds, not_full)
        worst_requests(dep, 3 if args.quick else 10)
        restarts = api.get(f"{V1}/deployments/bench").json()["restarts"]
        print(f"\nthe deployment was restarted {restarts} times in all (the kills)")
    if args.keep_tmp:
        print(f"kept {root}" + (" (the tmpfs is unmounted: its files are gone)" if tmpfs else ""))
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 0


def _print_columns(columns: dict[str, Load | None], seconds: float, not_full: str) -> None:
    names = list(columns)
    width = max(16, *(len(n) + 2 for n in names))
    others = sorted(
        {k for load in columns.values() if load for k in load.outcomes} - {"200", "503", "refused"}
    )
    rows: list[tuple[str, list[str]]] = []

    def cells(get: Any) -> list[str]:
        return ["not measured" if columns[n] is None else get(columns[n]) for n in names]

    rows.append(("answered 200", cells(lambda load: str(load.outcomes["200"]))))
    rows.append(("answered 503 (not serving)", cells(lambda load: str(load.outcomes["503"]))))
    rows.append(("connection refused", cells(lambda load: str(load.outcomes["refused"]))))
    for kind in others:
        rows.append((f"failed: {kind}", cells(lambda load, k=kind: str(load.outcomes[k]))))
    rows.append(("200s per second", cells(lambda load: f"{load.outcomes['200'] / seconds:.0f}")))
    rows.append(
        ("p50 of 200s, ms", cells(lambda load: f"{pct(load.latency_ms, 50):.1f}" if load.latency_ms else "-"))
    )
    rows.append(
        ("p99 of 200s, ms", cells(lambda load: f"{pct(load.latency_ms, 99):.1f}" if load.latency_ms else "-"))
    )
    rows.append(
        ("max of 200s, ms", cells(lambda load: f"{max(load.latency_ms):.0f}" if load.latency_ms else "-"))
    )
    print(f"\n{'':<28}" + "".join(f"{n:>{width}}" for n in names))
    for label, values in rows:
        print(f"{label:<28}" + "".join(f"{v:>{width}}" for v in values))
    for name, load in columns.items():
        if load is None:
            print(f"  {name}: not measured ({not_full})")
        for note in load.notes if load else ():
            print(f"  {name}: {note}")


if __name__ == "__main__":
    sys.exit(main())
