"""Training cost of the taxi model (``lab_scripts/train.py``) as the data grows.

Why: Lab 3 runs train.py on the shared training cluster; the default data is 20 000 synthetic rides,
but a student may bring a real TLC month (millions of rows). This runs train.py exactly as the
platform's engine does (``python -u -m <pkg>.train --data F --output D``, a child process) on
seeded synthetic data of 20k / 100k / 400k rows made with ``lab_scripts.synthetic``, and on the real
March 2019 sample in ``<repo>/../shared/data`` when it is there, and prints wall time, the child's
peak RSS (``os.wait4`` rusage of that one child, the per-child form of
``getrusage(RUSAGE_CHILDREN)``), the times train.py reports and the test metrics.

    .venv/bin/python benchmarks/training.py [--quick] [--rows 20000,100000] [--rounds 300] [--repeat 1]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
REAL_SAMPLE = REPO.parent / "shared" / "data" / "tlc-2019-03-sample.csv"
TRAIN_TIMEOUT_S = 900.0  # one training run is killed after this
FULL_ROWS = (20_000, 100_000, 400_000)
QUICK_ROWS = (20_000,)


def make_synthetic(rows: int, out: Path, seed: int = 0) -> tuple[float, int]:
    """Write ``rows`` synthetic rides (2019 layout) and their README with the synthetic CLI.

    In a child process, so this process never holds a big DataFrame: a forked child's peak RSS
    counts the parent's pages it was forked with.
    """
    cmd = [
        sys.executable,
        "-m",
        "mlops_tui.lab_scripts.synthetic",
        "--rows",
        str(rows),
        "--seed",
        str(seed),
        "--out",
        str(out),
    ]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, capture_output=True, timeout=TRAIN_TIMEOUT_S)
    return time.perf_counter() - t0, out.stat().st_size


def run_training(data: Path, output: Path, extra: list[str]) -> dict[str, Any]:
    """train.py as a child process; wall seconds, peak RSS, exit code and its ``@@mlops`` lines."""
    cmd = [
        sys.executable,
        "-u",
        "-m",
        "mlops_tui.lab_scripts.train",
        "--data",
        str(data),
        "--output",
        str(output),
        *extra,
    ]
    return run_child(cmd)


def run_child(cmd: list[str]) -> dict[str, Any]:
    """A command as a child process; wall seconds, peak RSS, exit code and its ``@@mlops`` lines."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    # A watchdog, so a silent hung child cannot block the read loop forever.
    watchdog = threading.Timer(TRAIN_TIMEOUT_S, _kill_group, (proc.pid,))
    watchdog.start()
    structured: dict[str, dict[str, Any]] = {}
    tail: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("@@mlops "):
                item = json.loads(line[len("@@mlops ") :])
                structured[item["type"]] = item
            else:
                tail = [*tail[-4:], line.rstrip()]
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        watchdog.cancel()
        if proc.returncode is None:
            _kill_group(proc.pid)
            proc.wait(10)
    return {
        "seconds": time.perf_counter() - t0,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # Linux: KiB
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "exit": proc.returncode,
        "metrics": structured.get("metrics", {}),
        "data": structured.get("data", {}),
        "tail": tail,
    }


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def _f(m: dict[str, Any], key: str, digits: int = 1) -> str:
    value = m.get(key)
    return f"{value:.{digits}f}" if isinstance(value, int | float) else "?"


def report(label: str, r: dict[str, Any]) -> None:
    m, d = r["metrics"], r["data"]
    if r["exit"] != 0:
        print(f"  {label:<26} FAILED (exit {r['exit']}): {' | '.join(r['tail'][-2:])}")
        return
    print(
        f"  {label:<24} wall {r['seconds']:6.1f} s  cpu {r['cpu_s']:6.1f} s  "
        f"peak RSS {r['peak_rss_mb']:5.0f} MB  rows used {d.get('used_rows', '?')} of {d.get('rows', '?')}"
    )
    print(
        f"  {'':<24} fit {m.get('train_seconds')} s of {m.get('total_seconds')} s in train.py, "
        f"best round {m.get('best_round')}/{m.get('rounds_run')}; test rmse {_f(m, 'rmse')} s, "
        f"mae {_f(m, 'mae')} s, r2 {_f(m, 'r2', 3)} (median baseline mae {_f(m, 'baseline_mae')} s)"
    )


def same_trees(a: Path, b: Path) -> bool:
    """Two saved XGBoost models hold the same trees (same splits, thresholds and leaf values)."""
    import xgboost as xgb

    first, second = xgb.Booster(), xgb.Booster()
    first.load_model(str(a))
    second.load_model(str(b))
    return first.get_dump(dump_format="json") == second.get_dump(dump_format="json")


def side_by_side(rows: int, repeat: int, tmp: Path) -> None:
    """train.py against the plain script (``plain_xgboost.py``) on the same file, interleaved runs;
    medians and the ratios product / plain, and whether both wrote the same model."""
    from statistics import median

    from mlops_tui.lab_scripts.zones import DEFAULT_PATH

    data = tmp / f"side-by-side-{rows}.csv"
    gen_s, size = make_synthetic(rows, data)
    made = f"{size / 1e6:.0f} MB CSV, made in {gen_s:.1f} s"
    print(f"\nproduct vs plain script, {rows:,} synthetic rows ({made}):")
    product_cmd = [
        sys.executable,
        "-u",
        "-m",
        "mlops_tui.lab_scripts.train",
        "--data",
        str(data),
        "--output",
        str(tmp / "product"),
    ]
    plain_cmd = [
        sys.executable,
        "-u",
        str(Path(__file__).with_name("plain_xgboost.py")),
        str(data),
        str(DEFAULT_PATH),
        "2019-01",
        "2019-06",
        str(tmp / "plain.ubj"),
    ]
    runs: dict[str, list[dict[str, Any]]] = {"product": [], "plain": []}
    for _ in range(repeat):
        for name, cmd in (("product", product_cmd), ("plain", plain_cmd)):
            result = run_child(cmd)
            if result["exit"] != 0:
                print(f"  {name} FAILED (exit {result['exit']}): {' | '.join(result['tail'][-2:])}")
                return
            runs[name].append(result)
    wall = {k: median(r["seconds"] for r in v) for k, v in runs.items()}
    peak = {k: median(r["peak_rss_mb"] for r in v) for k, v in runs.items()}
    cpu = {k: median(r["cpu_s"] for r in v) for k, v in runs.items()}
    print(f"  {'':<28} {'wall':>8} {'cpu':>8} {'peak RSS':>10}   (median of {repeat})")
    label = {"product": "product (train.py, as a job)", "plain": "plain pandas+XGBoost script"}
    for name in ("product", "plain"):
        print(f"  {label[name]:<28} {wall[name]:7.2f}s {cpu[name]:7.2f}s {peak[name]:8.0f} MB")
    ratio = {k: d["product"] / d["plain"] for k, d in (("wall", wall), ("cpu", cpu), ("peak", peak))}
    print(
        f"  {'ratio product / plain':<28} {ratio['wall']:7.2f}x {ratio['cpu']:7.2f}x "
        f"{ratio['peak']:9.2f}x   (goal: at most 1.2x wall and memory)"
    )
    metrics = runs["product"][-1]["metrics"]
    before_fit = metrics.get("total_seconds", 0) - metrics.get("train_seconds", 0)
    print(
        f"  product: read+clean+features+evaluate {before_fit:.2f} s, fit {metrics.get('train_seconds')} s, "
        f"best round {metrics.get('best_round')}"
    )
    same = same_trees(tmp / "product" / "model.ubj", tmp / "plain.ubj")
    print(f"  identical model (every tree): {'yes' if same else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="20k synthetic rows and the real sample only")
    ap.add_argument("--rows", help="comma-separated synthetic sizes (default 20000,100000,400000)")
    ap.add_argument("--rounds", type=int, default=None, help="--rounds for train.py (default: its own, 300)")
    ap.add_argument("--repeat", type=int, default=1, help="train each data set this many times (1-5)")
    ap.add_argument(
        "--versus-plain",
        type=int,
        default=None,
        metavar="ROWS",
        help="rows of the product vs plain-script comparison (default 1000000; --quick 200000; 0 = skip)",
    )
    ap.add_argument("--only-versus-plain", action="store_true", help="run only that comparison")
    args = ap.parse_args(argv)
    args.repeat = max(1, min(5, args.repeat))
    sizes = (
        [int(x) for x in args.rows.split(",")] if args.rows else list(QUICK_ROWS if args.quick else FULL_ROWS)
    )
    extra = ["--rounds", str(args.rounds)] if args.rounds else []

    print(
        f"training: python {sys.version.split()[0]}, {os.cpu_count()} CPUs (train.py uses 2 threads), "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"train.py arguments: defaults{' ' + ' '.join(extra) if extra else ''} (early stopping 20)")
    tmp = Path(tempfile.mkdtemp(prefix="mlops-bench-train-"))
    versus = args.versus_plain if args.versus_plain is not None else (200_000 if args.quick else 1_000_000)
    try:
        if versus:
            side_by_side(versus, max(args.repeat, 3 if not args.quick else 1), tmp)
        if args.only_versus_plain:
            return 0
        print("\nsynthetic data (lab_scripts.synthetic, seed 0):")
        for rows in sizes:
            data = tmp / f"synthetic-{rows}.csv"
            gen_s, size = make_synthetic(rows, data)
            print(f"  generated {rows} rows in {gen_s:.1f} s (in a child process; {size / 1e6:.1f} MB CSV)")
            for i in range(args.repeat):
                label = f"synthetic {rows // 1000}k rows" + (f" #{i + 1}" if args.repeat > 1 else "")
                report(label, run_training(data, tmp / f"bundle-{rows}", extra))
        print(f"\nreal data ({REAL_SAMPLE}):")
        if REAL_SAMPLE.is_file():
            for i in range(args.repeat):
                label = "TLC 2019-03 sample" + (f" #{i + 1}" if args.repeat > 1 else "")
                report(label, run_training(REAL_SAMPLE, tmp / "bundle-real", extra))
        else:
            print("  skipped: the real sample is absent (it lives in <repo>/../shared/data)")
        total = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(
            f"\nall children (data generation included): peak RSS {total.ru_maxrss / 1024:.0f} MB, "
            f"cpu {total.ru_utime + total.ru_stime:.1f} s"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
