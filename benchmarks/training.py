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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="20k synthetic rows and the real sample only")
    ap.add_argument("--rows", help="comma-separated synthetic sizes (default 20000,100000,400000)")
    ap.add_argument("--rounds", type=int, default=None, help="--rounds for train.py (default: its own, 300)")
    ap.add_argument("--repeat", type=int, default=1, help="train each data set this many times (1-5)")
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
    try:
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
