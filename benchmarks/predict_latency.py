"""Prediction latency of a real deployment, end to end and piece by piece.

Why: the workshop's Lab 5 is one ride sent to the prediction server; design §9 says one row should
cost well under a millisecond of server time if the server loads the scorer once and builds the
feature row without a DataFrame. This measures that on a throwaway local platform (its own temp
HOME and state dir): Labs 1-4 through the lab steps engine (the code behind ``mlops-tui lab run``),
then one-ride latency over keep-alive HTTP with a raw socket and with httpx (p50/p90/p99), a batch
of 100 rides, the server's own ``latency_ms``, the scorer alone in-process (``Scorer.load`` +
``predict``) and the cost of ``import xgboost`` in a fresh interpreter. The platform (and so its
prediction server) is always stopped at the end.

    .venv/bin/python benchmarks/predict_latency.py [--quick] [-n 2000] [--keep-tmp]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # tests/local_platform_support.py: the tests' platform runner

from local_platform_support import PlatformFactory, isolated_env  # noqa: E402

from mlops_tui.assistant import labs  # noqa: E402
from mlops_tui.assistant import workshop as ws  # noqa: E402
from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter  # noqa: E402

SERIES_TIME_CAP_S = 30.0  # no single measured series runs longer than this
WARMUP = 20
BLOCKS = 10


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary(name: str, ms: list[float], unit: str = "ms") -> str:
    if not ms:
        return f"  {name:<50} (no samples)"
    return (
        f"  {name:<50} n={len(ms):<5} p50 {pct(ms, 50):7.3f}  p90 {pct(ms, 90):7.3f}  "
        f"p99 {pct(ms, 99):7.3f}  min {min(ms):7.3f}  mean {statistics.fmean(ms):7.3f} {unit}"
    )


def measure(call: Callable[[], Any], n: int, cap_s: float = SERIES_TIME_CAP_S) -> list[float]:
    """Milliseconds per ``call()`` for up to ``n`` calls after a warm-up, stopping at ``cap_s``."""
    for _ in range(min(WARMUP, n)):
        call()
    out: list[float] = []
    deadline = time.monotonic() + cap_s
    for _ in range(n):
        t0 = time.perf_counter_ns()
        call()
        out.append((time.perf_counter_ns() - t0) / 1e6)
        if time.monotonic() > deadline:
            break
    return out


async def measure_interleaved(
    series: dict[str, tuple[Callable[[], Any], int]], cap_s: float = 2 * SERIES_TIME_CAP_S
) -> dict[str, list[float]]:
    """Milliseconds per call of each series, ``(call, n)``, run in ``BLOCKS`` alternating blocks.

    Interleaving makes a burst of load from elsewhere on the box hit every series alike. A call may
    return an awaitable (the async adapter); it is awaited inside the timing.
    """

    async def once(call: Callable[[], Any]) -> None:
        result = call()
        if inspect.isawaitable(result):
            await result

    for call, n in series.values():
        for _ in range(min(WARMUP, n)):
            await once(call)
    out: dict[str, list[float]] = {name: [] for name in series}
    deadline = time.monotonic() + cap_s
    for block in range(BLOCKS):
        for name, (call, n) in series.items():
            calls_in_block = n // BLOCKS + (1 if block < n % BLOCKS else 0)
            for _ in range(calls_in_block):
                t0 = time.perf_counter_ns()
                await once(call)
                out[name].append((time.perf_counter_ns() - t0) / 1e6)
        if time.monotonic() > deadline:
            break
    return out


class RawClient:
    """HTTP/1.1 over one keep-alive socket, by hand: the least client overhead there is."""

    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        self.path = parts.path
        self.host = parts.netloc
        self.token = token
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def post(self, body: bytes) -> dict[str, Any]:
        head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}\r\nX-Auth-Token: {self.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.sock.sendall(head + body)
        while b"\r\n\r\n" not in self.buf:
            self._recv()
        raw_head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = int(raw_head.split(b" ", 2)[1])
        length = 0
        for line in raw_head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.strip().lower() == b"content-length":
                length = int(value)
        while len(self.buf) < length:
            self._recv()
        payload, self.buf = self.buf[:length], self.buf[length:]
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {payload[:200]!r}")
        return json.loads(payload)

    def _recv(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the prediction server closed the connection")
        self.buf += chunk

    def close(self) -> None:
        self.sock.close()


def _fresh_connection(url: str, token: str, body: bytes) -> None:
    """One request on its own TCP connection (what a one-off curl pays)."""
    client = RawClient(url, token)
    try:
        client.post(body)
    finally:
        client.close()


def batch_records(n: int) -> list[dict[str, Any]]:
    """``n`` varied rides in the workshop's ``scoring_args`` form (hours and distances differ)."""
    rides = []
    for i in range(n):
        ride = dict(ws.EXAMPLE_SCORING_ARGS)
        ride.update(hour=i % 24, distance=1 + (i % 15), weekday=int(i % 7 < 5))
        ride["work"] = int(ride["weekday"] and 8 <= ride["hour"] < 18)
        rides.append(ride)
    return rides


def import_xgboost_seconds(runs: int) -> tuple[list[float], list[float], str]:
    """Wall seconds of ``import xgboost`` in fresh interpreters, and of an empty interpreter."""
    code = "import time; t = time.perf_counter(); import xgboost; print(time.perf_counter() - t)"
    inner, whole = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", code],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        whole.append(time.perf_counter() - t0)
        inner.append(float(done.stdout.strip()))
    mods = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, xgboost; print(' '.join(m for m in ('sklearn', 'scipy', "
            "'pandas') if m in sys.modules))",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.strip()
    return inner, whole, mods


async def run_labs(adapter: LocalAdapter, user: str, tenant: str, rounds: int | None) -> dict[str, Any]:
    """Labs 1-4 with the lab steps engine; returns the per-step wall times and what they made."""
    ctx = labs.LabContext(user=user, tenant=tenant)
    if rounds is not None:
        ctx.train_params["rounds"] = rounds
    timings: list[tuple[str, float]] = []
    metrics: dict[str, Any] = {}
    for step in labs.steps(1):
        if step.lab > 4:
            continue
        t0 = time.perf_counter()
        async for event in labs.run_step(step, adapter, ctx):
            if event.kind == labs.EventKind.RESULT and "metrics" in event.data:
                metrics = dict(event.data["metrics"])
        timings.append((step.id, time.perf_counter() - t0))
    dep = await adapter.get_deployment(ctx.deployment)
    version = await adapter.get_version(ctx.model, ctx.model_version or 1)
    session = adapter.session
    return {
        "timings": timings,
        "deployment": dep,
        "version": version,
        "metrics": metrics,
        "namespace": session.namespace if session else "",
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer requests and training rounds (about 1 min)")
    ap.add_argument(
        "-n",
        type=int,
        default=None,
        help="one-ride requests per series (default 2000, quick 300)",
    )
    ap.add_argument("--keep-tmp", action="store_true", help="keep the temp HOME/state dir (for inspection)")
    args = ap.parse_args(argv)
    n = args.n or (300 if args.quick else 2000)
    n_batch = max(20, n // 10)
    rounds = 60 if args.quick else None  # None: train.py's default (300, early stopping)

    print(
        f"predict_latency: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    root = Path(tempfile.mkdtemp(prefix="mlops-bench-predict-"))
    factory = PlatformFactory(root)
    try:
        t0 = time.perf_counter()
        plat = factory.new("bench")
        print(f"platform started in {time.perf_counter() - t0:.1f} s at {plat.url} (state {plat.state_dir})")
        # This process talks to the platform as the tests' isolated user would (no real HOME, keyring).
        os.environ.clear()
        os.environ.update(isolated_env(plat.home))
        assert plat.credentials is not None
        figures = asyncio.run(_bench_platform(plat, n, n_batch, rounds))
        _bench_scorer(figures["bundle"], n, n_batch)
    finally:
        t0 = time.perf_counter()
        factory.close()
        print(f"\nplatform stopped in {time.perf_counter() - t0:.1f} s")
        if args.keep_tmp:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    runs = 3 if args.quick else 5
    inner, whole, mods = import_xgboost_seconds(runs)
    print(f"\nimport xgboost in a fresh interpreter ({runs} runs; also imports: {mods or 'nothing heavy'}):")
    print(f"  import statement   median {statistics.median(inner):.3f} s  min {min(inner):.3f} s")
    print(f"  whole interpreter  median {statistics.median(whole):.3f} s  min {min(whole):.3f} s")
    return 0


async def _bench_platform(plat: Any, n: int, n_batch: int, rounds: int | None) -> dict[str, Any]:
    creds = plat.credentials
    adapter = LocalAdapter(creds)
    try:
        t0 = time.perf_counter()
        made = await run_labs(adapter, creds.user, creds.tenant, rounds)
        print(
            f"\nLabs 1-4 in {time.perf_counter() - t0:.1f} s "
            f"(training rounds: {rounds or 'default'}); per step:"
        )
        for step_id, secs in made["timings"]:
            print(f"  {step_id:<20} {secs:6.2f} s")
        m = made["metrics"]
        if m:
            print(
                f"  model: rmse {m.get('rmse')} s, mae {m.get('mae')} s, r2 {m.get('r2')}, "
                f"best round {m.get('best_round')}"
            )
        dep = made["deployment"]
        assert dep.ready and dep.auth_token, dep
        print(f"deployment {dep.name}: {dep.url}")

        one = json.dumps({"use_scoring": True, "scoring_args": dict(ws.EXAMPLE_SCORING_ARGS)}).encode()
        many = json.dumps({"use_scoring": True, "scoring_args": batch_records(100)}).encode()

        import httpx

        headers = {"X-Auth-Token": dep.auth_token, "Content-Type": "application/json"}
        raw = RawClient(dep.url, dep.auth_token)
        client = httpx.Client(timeout=10, headers=headers)
        server: dict[str, list[float]] = {"raw": [], "adapter": [], "raw batch": []}

        def raw_post(body: bytes, key: str) -> None:
            server[key].append(float(raw.post(body)["latency_ms"]))

        async def adapter_one() -> None:
            pred = await adapter.predict(dep.name, [dict(ws.EXAMPLE_SCORING_ARGS)])
            server["adapter"].append(float(pred.response.get("latency_ms", "nan")))

        try:
            print(f"\n(the ride: {raw.post(one)['output'].strip()})")
            one_ride = await measure_interleaved(
                {
                    "raw socket, keep-alive": (lambda: raw_post(one, "raw"), n),
                    "raw socket, new connection per request": (
                        lambda: _fresh_connection(dep.url, dep.auth_token, one),
                        max(50, n // 4),
                    ),
                    "httpx.Client (sync), keep-alive": (
                        lambda: client.post(dep.url, content=one).raise_for_status(),
                        n,
                    ),
                    "app adapter Platform.predict (async httpx)": (adapter_one, n),
                }
            )
            batch = await measure_interleaved(
                {
                    "raw socket, keep-alive": (lambda: raw_post(many, "raw batch"), n_batch),
                    "httpx.Client (sync), keep-alive": (
                        lambda: client.post(dep.url, content=many).raise_for_status(),
                        n_batch,
                    ),
                }
            )
        finally:
            raw.close()
            client.close()

        print(
            f"one ride per request, loopback, client wall ms (warm-up {WARMUP} not counted; "
            f"the series interleaved in {BLOCKS} blocks):"
        )
        for name, ms in one_ride.items():
            print(summary(name, ms))
            key = "raw" if name.startswith("raw socket, keep") else "adapter" if "adapter" in name else ""
            if key:
                print(summary("  server-reported latency_ms", server[key][-len(ms) :]))
        print("\nbatch of 100 rides per request (ms per request):")
        for name, ms in batch.items():
            print(summary(name, ms))
            if name.startswith("raw"):
                print(summary("  server-reported latency_ms", server["raw batch"][-len(ms) :]))
        raw_batch = batch["raw socket, keep-alive"]
        print(f"  per ride (raw, p50): {pct(raw_batch, 50) / 100 * 1000:.1f} µs")

        mv = made["version"]
        bundle = plat.state_dir / "repo" / made["namespace"] / mv.path
        return {"bundle": bundle}
    finally:
        await adapter.aclose()


def _bench_scorer(bundle: Path, n: int, n_batch: int) -> None:
    """The scorer without HTTP: what the server's own time is made of."""
    from mlops_tui.lab_scripts.scoring import Scorer

    print(f"\nscorer in-process (bundle {bundle.name}):")
    t0 = time.perf_counter()
    scorer = Scorer.load(bundle)
    load_s = time.perf_counter() - t0
    print(f"  Scorer.load: {load_s * 1000:.0f} ms (includes loading XGBoost's library)")
    t0 = time.perf_counter()
    Scorer.load(bundle)
    print(f"  Scorer.load again (library loaded): {(time.perf_counter() - t0) * 1000:.1f} ms")
    ride = [dict(ws.EXAMPLE_SCORING_ARGS)]
    rides = batch_records(100)
    print(summary("predict 1 ride", measure(lambda: scorer.predict(ride), n)))
    from mlops_tui.lab_scripts import features

    x, _ = features.records_to_matrix(ride, scorer.zones)
    print(
        summary(
            "  of which: features.records_to_matrix",
            measure(lambda: features.records_to_matrix(ride, scorer.zones), n),
        )
    )
    print(summary("  of which: Scorer.predict_prepared", measure(lambda: scorer.predict_prepared(x), n)))
    print(
        summary(
            "  (XGBoost's inplace_predict instead)", measure(lambda: scorer.booster.inplace_predict(x), n)
        )
    )
    print(
        summary(
            "  of which: Scorer._range_warnings",
            measure(lambda: scorer._range_warnings(x), n),
        )
    )
    print(summary("predict 100 rides", measure(lambda: scorer.predict(rides), n_batch)))
    x100, _ = features.records_to_matrix(rides, scorer.zones)
    print(
        summary(
            "  of which: features.records_to_matrix",
            measure(lambda: features.records_to_matrix(rides, scorer.zones), n_batch),
        )
    )
    print(
        summary(
            "  of which: Scorer.predict_prepared",
            measure(lambda: scorer.predict_prepared(x100), n_batch),
        )
    )
    print(
        summary(
            "  (XGBoost's inplace_predict instead)",
            measure(lambda: scorer.booster.inplace_predict(x100), n_batch),
        )
    )


if __name__ == "__main__":
    sys.exit(main())
