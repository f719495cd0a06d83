"""The prediction server side by side with what one would pick instead, in one run.

Why (issue 10): the prediction tier moved to a maintained HTTP server (uvicorn) and gained
adaptive batching; this measures whether it kept the speed and went past the anchors. Three
systems serve the same XGBoost booster on loopback, one process each:

- **ours**: a real deployment of a throwaway local platform (Labs 1-4 through the lab steps
  engine), answering the workshop request ``POST /<model>/<version>/predict`` with every field
  validated, the features derived, warnings, the workshop's answer;
- **MLflow**: ``mlflow models serve --env-manager local`` on the same booster saved with
  ``mlflow.xgboost.save_model``, sent the 11 model features as ``dataframe_split`` (no ride to
  validate: it gets what our server derives). Skipped, with a message, where MLflow is not
  installed (``pip install -e '.[bench]'``);
- **floor**: a bare uvicorn + Starlette route (httptools, uvloop, one worker) that reads the
  body and calls ``inplace_predict`` on a preallocated row (for a batch: ``await request.json()``
  for the count, then a preallocated matrix of that many rows): HTTP plus the model call, nothing
  else. It is sent the same workshop body as ours.

Each is driven with wrk (where installed; else a bounded asyncio client, ``--client asyncio``) at
1 and 16 keep-alive connections with one ride per request and with 100 rides, then at 1
connection with batches of 1 to 10,000 rides. The systems are interleaved (each round runs every
system once per scenario, starting with a different one), so a burst of load from elsewhere on
the shared box hits all alike; the median of the rounds is printed with the ratios. Last, the
cold start of a deployment: create, then the first 200 of its predict URL.

    .venv/bin/python benchmarks/serving.py [--quick] [--rounds 3] [--duration 3] [--client wrk|asyncio]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

BATCH_SIZES = (1, 10, 100, 1000, 10_000)
START_TIMEOUT_S = 60.0
WRK_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Auth-Token"] = os.getenv("TOKEN")
local f = io.open(os.getenv("BODY"), "rb"); wrk.body = f:read("*a"); f:close()
"""


@dataclass
class System:
    name: str
    url: str
    bodies: dict[int, Path]  # rides per request -> body file
    token: str = ""


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int = 0


@dataclass
class Table:
    rows: dict[tuple[str, str], list[Result]] = field(default_factory=dict)

    def add(self, scenario: str, system: str, result: Result) -> None:
        self.rows.setdefault((scenario, system), []).append(result)

    def median(self, scenario: str, system: str) -> Result | None:
        got = self.rows.get((scenario, system))
        if not got:
            return None
        return Result(
            statistics.median(r.rps for r in got),
            statistics.median(r.p50_ms for r in got),
            statistics.median(r.p99_ms for r in got),
            sum(r.errors for r in got),
        )


# -- the systems -------------------------------------------------------------------------------------


def floor_main(port: int, model_file: str) -> None:
    """The floor: uvicorn + Starlette calling inplace_predict on a preallocated row."""
    import numpy as np
    import uvicorn
    import xgboost as xgb
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    booster = xgb.Booster()
    booster.load_model(model_file)
    booster.set_param({"nthread": 1})
    row = np.array([[1, 1, 9, 2, 8, 40.58, -73.99, 40.72, -74.0, 9.9, 1]], dtype=np.float64)
    matrices: dict[int, Any] = {1: row}

    async def predict(request: Request) -> JSONResponse:
        body = await request.body()
        n = 1
        if len(body) > 2048:  # a batch: how many rides (the only thing the floor reads)
            n = len((await request.json())["scoring_args"])
        x = matrices.get(n)
        if x is None:
            x = matrices[n] = np.repeat(row, n, axis=0)
        return JSONResponse({"prediction": booster.inplace_predict(x).tolist()})

    app = Starlette(routes=[Route("/predict", predict, methods=["POST"])])
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _process(
    cmd: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process in its own session, stopped (its whole group) whatever happens."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env, start_new_session=True
        )
    try:
        yield proc
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=10)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                continue


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = START_TIMEOUT_S) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s; see {log}")


def mlflow_available() -> str | None:
    """None when ``mlflow models serve`` can run here, else why not."""
    try:
        import mlflow  # noqa: F401
    except ImportError:
        return "MLflow is not installed (pip install -e '.[bench]')"
    if shutil.which("mlflow", path=str(Path(sys.executable).parent)) is None:
        return f"no mlflow command beside {sys.executable}"
    return None


def save_mlflow_model(model_file: Path, dest: Path) -> None:
    code = (
        "import sys, xgboost as xgb, mlflow.xgboost\n"
        "b = xgb.Booster(); b.load_model(sys.argv[1])\n"
        "mlflow.xgboost.save_model(b, sys.argv[2], model_format='ubj')\n"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(model_file), str(dest)],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=300,
    )


# -- the requests ------------------------------------------------------------------------------------


def rides(n: int) -> list[dict[str, Any]]:
    """``n`` varied rides in the workshop's ``scoring_args`` form (the Lab 5 ride at other hours,
    days, months and distances), every one valid and consistent, so none draws a warning."""
    from mlops_tui.lab_scripts.features import WORKSHOP_EXAMPLE

    out = []
    for i in range(n):
        ride = dict(WORKSHOP_EXAMPLE)
        weekday, hour, month = int(i % 7 < 5), (7 + i) % 24, 1 + i % 6
        ride.update({f"month_{m}": int(m == month) for m in range(1, 7)})
        ride.update(hour=hour, weekday=weekday, distance=8 + i % 15, work=int(weekday and 8 <= hour < 18))
        out.append(ride)
    return out


def write_bodies(folder: Path, model_features: list[str]) -> tuple[dict[int, Path], dict[int, Path]]:
    """The workshop bodies (ours, floor) and MLflow's ``dataframe_split`` of the same rides."""
    from mlops_tui.lab_scripts.features import records_to_matrix

    workshop, mlflow = {}, {}
    for n in sorted({1, 100, *BATCH_SIZES}):
        batch = rides(n)
        args: Any = batch[0] if n == 1 else batch
        workshop[n] = folder / f"workshop-{n}.json"
        workshop[n].write_text(json.dumps({"use_scoring": True, "scoring_args": args}))
        x, _ = records_to_matrix(batch)
        mlflow[n] = folder / f"mlflow-{n}.json"
        mlflow[n].write_text(json.dumps({"dataframe_split": {"columns": model_features, "data": x.tolist()}}))
    return workshop, mlflow


# -- the drivers -------------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([0-9.]+)(us|ms|s)", text.strip())
    if not m:
        raise ValueError(f"not a wrk latency: {text!r}")
    return float(m.group(1)) * _UNITS[m.group(2)]


def run_wrk(system: System, rides_per_request: int, connections: int, duration: float, lua: Path) -> Result:
    env = {
        **os.environ,
        "BODY": str(system.bodies[rides_per_request]),
        "TOKEN": system.token or "-",
    }
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration:g}s", "--latency", "-s", str(lua), system.url],
        capture_output=True,
        text=True,
        env=env,
        timeout=duration + 60,
        stdin=subprocess.DEVNULL,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"(?m)^\s+50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"(?m)^\s+99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    if (
        m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    ) is not None:
        errors += sum(int(g) for g in m.groups())
    return Result(rps, p50, p99, errors)


async def _asyncio_client(system: System, body: bytes, connections: int, duration: float) -> Result:
    """Keep-alive HTTP/1.1 by hand on ``connections`` sockets for ``duration`` s (no wrk)."""
    parts = urlsplit(system.url)
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
        f"X-Auth-Token: {system.token or '-'}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + duration

    async def one_connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                writer.write(head + body)
                status_head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", status_head).group(1))  # type: ignore[union-attr]
                await reader.readexactly(length)
                latencies.append((time.perf_counter() - t0) * 1000)
                if not status_head.startswith(b"HTTP/1.1 200"):
                    errors += 1
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    elapsed = time.monotonic() - started
    latencies.sort()
    return Result(
        len(latencies) / elapsed,
        latencies[len(latencies) // 2],
        latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        errors,
    )


# -- the run -----------------------------------------------------------------------------------------


def measure(
    systems: list[System],
    scenarios: list[tuple[str, int, int]],
    rounds: int,
    duration: float,
    client: str,
    lua: Path,
) -> Table:
    table = Table()
    for r in range(rounds):
        for scenario, n, conns in scenarios:
            order = systems[r % len(systems) :] + systems[: r % len(systems)]
            for system in order:
                if client == "wrk":
                    result = run_wrk(system, n, conns, duration, lua)
                else:
                    result = asyncio.run(
                        _asyncio_client(system, system.bodies[n].read_bytes(), conns, duration)
                    )
                table.add(scenario, system.name, result)
        print(f"  round {r + 1}/{rounds} done (load average {os.getloadavg()[0]:.2f})", flush=True)
    return table


def report(table: Table, scenarios: list[tuple[str, int, int]], systems: list[System]) -> None:
    names = [s.name for s in systems]
    print(
        f"\n| scenario | {' | '.join(f'{n} req/s, p50, p99' for n in names)} | ours / floor | ours / MLflow |"
    )
    print(f"|---|{'---|' * len(names)}---|---|")
    for scenario, n, _ in scenarios:
        cells, got = [], {}
        for name in names:
            res = table.median(scenario, name)
            got[name] = res
            if res is None:
                cells.append("")
                continue
            rows = f" ({res.rps * n:,.0f} rides/s)" if n > 1 else ""
            err = f", {res.errors} errors" if res.errors else ""
            cells.append(f"{res.rps:,.0f}{rows}, {res.p50_ms:.2f} ms, {res.p99_ms:.2f} ms{err}")
        print(f"| {scenario} | {' | '.join(cells)} | {_ratio(got, 'floor')} | {_ratio(got, 'MLflow')} |")


def _ratio(got: dict[str, Result | None], other: str) -> str:
    ours, them = got.get("ours"), got.get(other)
    return f"{ours.rps / them.rps:.2f}x" if ours and them and them.rps else "n/a"


def cold_starts(api: Any, model: str, version: int, runs: int) -> list[float]:
    """Seconds from ``POST /deployments`` to the first 200 of the new deployment's predict URL."""
    import httpx

    from mlops_tui.services.local.adapter import API

    body = json.dumps({"use_scoring": True, "scoring_args": rides(1)[0]})
    out = []
    for i in range(runs):
        name = f"bench-cold-{i}"
        t0 = time.perf_counter()
        r = api.post(f"{API}/deployments", json={"name": name, "model": model, "version": version})
        r.raise_for_status()
        dep = r.json()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                got = httpx.post(
                    dep["url"], content=body, headers={"X-Auth-Token": dep["auth_token"]}, timeout=2
                )
                if got.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.005)
        out.append(time.perf_counter() - t0)
        api.delete(f"{API}/deployments/{name}").raise_for_status()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one round of 2 s per measurement (about 2 min)")
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 3, quick 1)")
    ap.add_argument(
        "--duration", type=float, default=None, help="seconds per measurement (default 3, quick 2)"
    )
    ap.add_argument(
        "--client", choices=("wrk", "asyncio"), default="wrk" if shutil.which("wrk") else "asyncio"
    )
    ap.add_argument("--keep-tmp", action="store_true")
    ap.add_argument("--floor", nargs=2, metavar=("PORT", "MODEL_FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.floor:
        floor_main(int(args.floor[0]), args.floor[1])
        return 0
    rounds = args.rounds or (1 if args.quick else 3)
    duration = args.duration or (2.0 if args.quick else 3.0)
    print(
        f"serving: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; client {args.client}"
        + ("" if args.client == "wrk" else " (wrk not installed)")
    )
    from local_platform_support import PlatformFactory, isolated_env
    from predict_latency import run_labs

    from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter

    root = Path(tempfile.mkdtemp(prefix="mlops-bench-serving-"))
    factory = PlatformFactory(root)
    saved_env = dict(os.environ)
    try:
        plat = factory.new("bench")
        env = isolated_env(plat.home)  # (read before the environment is cleared)
        os.environ.clear()
        os.environ.update(env)
        assert plat.credentials is not None

        async def labs() -> dict[str, Any]:
            adapter = LocalAdapter(plat.credentials)
            try:
                return await run_labs(adapter, plat.credentials.user, plat.credentials.tenant, None)
            finally:
                await adapter.aclose()

        made = asyncio.run(labs())
        dep, version = made["deployment"], made["version"]
        bundle = plat.state_dir / "repo" / made["namespace"] / version.path
        manifest = json.loads((bundle / "manifest.json").read_text())
        model_file = bundle / manifest["model_file"]
        print(
            f"deployment {dep.name} serves {dep.model} v{dep.version} "
            f"({manifest['metrics'].get('best_round', '?')} best rounds); bundle {bundle}"
        )
        workshop, mlflow_bodies = write_bodies(root, list(manifest["features"]))
        lua = root / "post.lua"
        lua.write_text(WRK_LUA)
        systems = [System("ours", dep.url, workshop, dep.auth_token or "")]
        with ExitStack() as stack:
            port = _free_port()
            log = root / "floor.log"
            proc = stack.enter_context(
                _process([sys.executable, __file__, "--floor", str(port), str(model_file)], log)
            )
            _wait_http(f"http://127.0.0.1:{port}/predict", proc, log)
            systems.append(System("floor", f"http://127.0.0.1:{port}/predict", workshop))
            why_not = mlflow_available()
            if why_not is None:
                save_mlflow_model(model_file, root / "mlflow-model")
                port = _free_port()
                log = root / "mlflow.log"
                env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"}
                cmd = [
                    str(Path(sys.executable).parent / "mlflow"),
                    "models",
                    "serve",
                    "-m",
                    str(root / "mlflow-model"),
                    "-p",
                    str(port),
                    "-h",
                    "127.0.0.1",
                    "--env-manager",
                    "local",
                    "-w",
                    "1",
                ]
                proc = stack.enter_context(_process(cmd, log, env))
                _wait_http(f"http://127.0.0.1:{port}/ping", proc, log)
                systems.append(System("MLflow", f"http://127.0.0.1:{port}/invocations", mlflow_bodies))
            else:
                print(f"MLflow skipped: {why_not}")
            scenarios = [
                ("1 ride, 1 connection", 1, 1),
                ("1 ride, 16 connections", 1, 16),
                ("100 rides, 1 connection", 100, 1),
                ("100 rides, 16 connections", 100, 16),
                *((f"batch of {n:,}, 1 connection", n, 1) for n in BATCH_SIZES if n not in (1, 100)),
            ]
            print(f"\n{rounds} interleaved round(s), {duration:g} s per measurement, {len(systems)} systems:")
            table = measure(systems, scenarios, rounds, duration, args.client, lua)
            report(table, scenarios, systems)
            stats = _batch_stats(dep)
            print(
                f"\nours, adaptive batching over the whole run: {stats['rows']:,} rides in "
                f"{stats['calls']:,} model calls ({stats['rows'] / max(1, stats['calls']):.1f} per call)"
            )
        api = plat.login()
        starts = cold_starts(api, dep.model, dep.version, 3)
        print(
            f"\ndeployment cold start (POST /deployments -> first 200), {len(starts)} runs: "
            + ", ".join(f"{s:.2f} s" for s in starts)
            + f"; median {statistics.median(starts):.2f} s"
        )
        api.close()
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        factory.close()
        if args.keep_tmp:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return 0


def _batch_stats(dep: Any) -> dict[str, int]:
    import httpx

    base = dep.url.rsplit("/", 3)[0]
    doc = httpx.get(f"{base}/v2/models/{dep.model}/stats", timeout=5).json()["model_stats"][0]
    return {"rows": doc["inference_count"], "calls": doc["execution_count"]}


if __name__ == "__main__":
    sys.exit(main())
