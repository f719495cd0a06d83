"""Start-up of the TUI: import cost, time to the first frame, and time to "connected".

Runs ``mlops-tui`` in a pseudo-terminal (100x30) like a person would, against a local platform
this script starts in a throw-away HOME, and times from ``exec`` to the first frame (the screen
tabs drawn) and to the connection badge saying "connected". It also checks that the heavy
libraries (pandas, numpy, xgboost, kubernetes, plotext) are not imported on the way.

    python benchmarks/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pty_support import ANSI, isolated_env, local_platform, start_tui, stop_tui

HEAVY = ("pandas", "numpy", "xgboost", "kubernetes", "plotext", "textual_plotext", "sklearn")


def import_cost(env: dict[str, str], runs: int) -> tuple[list[float], list[str]]:
    code = (
        "import time, sys; t = time.perf_counter(); import mlops_tui.app; "
        "d = time.perf_counter() - t; "
        f"print(d); print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    times, heavy = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        first, second = (
            out.stdout.splitlines()[:2] if "\n" in out.stdout.strip() else (out.stdout.strip(), "")
        )
        times.append(float(first))
        heavy = [m for m in second.split(",") if m]
    return times, heavy


def run_tui(env: dict[str, str], timeout: float = 60.0) -> tuple[float, float]:
    """Seconds from exec to the first frame and to "connected"."""
    pid, fd = start_tui(env, rows=30, columns=100)
    started = time.perf_counter()
    first_frame = connected = None
    screen = b""
    deadline = started + timeout
    try:
        while time.perf_counter() < deadline and connected is None:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            screen += chunk
            text = ANSI.sub(b"", screen)
            if first_frame is None and b"Guide" in text and b"Dash" in text:
                first_frame = time.perf_counter() - started
            if b"connected" in text and b"disconnected" not in text[-2000:]:
                connected = time.perf_counter() - started
    finally:
        stop_tui(pid, fd)
    if first_frame is None or connected is None:
        raise RuntimeError(f"no frame/connection within {timeout:.0f} s: {ANSI.sub(b'', screen)[-400:]!r}")
    return first_frame, connected


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="mlops-tui-bench-"))
    env = isolated_env(home)
    try:
        with local_platform(env, home):
            times, heavy = import_cost(env, args.runs)
            print(
                f"import mlops_tui.app:        median {statistics.median(times) * 1000:6.0f} ms  "
                f"min {min(times) * 1000:6.0f} ms  ({args.runs} runs)"
            )
            print(f"heavy modules imported:      {', '.join(heavy) or 'none'} (checked: {', '.join(HEAVY)})")

            run_tui(env)  # warm the file cache once
            frames, connects = [], []
            for _ in range(args.runs):
                frame, connected = run_tui(env)
                frames.append(frame)
                connects.append(connected)
            print(
                f"exec → first frame (100x30): median {statistics.median(frames) * 1000:6.0f} ms  "
                f"min {min(frames) * 1000:6.0f} ms  max {max(frames) * 1000:6.0f} ms"
            )
            print(
                f"exec → 'connected' badge:    median {statistics.median(connects) * 1000:6.0f} ms  "
                f"min {min(connects) * 1000:6.0f} ms  max {max(connects) * 1000:6.0f} ms"
            )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
