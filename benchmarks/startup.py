"""Start-up of the TUI: import cost, time to the first frame, and time to "connected".

Runs ``mlops-tui`` in a pseudo-terminal (100x30) like a person would, against a local platform
this script starts in a throw-away HOME, and times from ``exec`` to the first frame (the screen
tabs drawn) and to the connection badge saying "connected". It also checks that the heavy
libraries (pandas, numpy, xgboost, kubernetes, plotext) are not imported on the way.

    python benchmarks/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from fcntl import ioctl
from pathlib import Path

HEAVY = ("pandas", "numpy", "xgboost", "kubernetes", "plotext", "textual_plotext", "sklearn")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][0-9A-B]")


def isolated_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPS_TUI_", "XDG_", "DBUS_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        MLOPS_TUI_CREDENTIALS="file",
        TERM="xterm-256color",
        COLORTERM="truecolor",
    )
    return env


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
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(sys.executable, [sys.executable, "-m", "mlops_tui.cli"], env)
    ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
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
        os.write(fd, b"\x11")  # ctrl+q
        end = time.perf_counter() + 10
        while time.perf_counter() < end:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            try:
                select.select([fd], [], [], 0.05)
                os.read(fd, 65536)
            except OSError:
                pass
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    if first_frame is None or connected is None:
        raise RuntimeError(f"no frame/connection within {timeout:.0f} s: {ANSI.sub(b'', screen)[-400:]!r}")
    return first_frame, connected


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="mlops-tui-bench-"))
    env = isolated_env(home)
    state = home / ".local" / "state" / "mlops-tui" / "platform"
    platform = None
    try:
        t0 = time.perf_counter()
        platform = subprocess.Popen(
            [sys.executable, "-m", "mlops_tui.platform", "serve", "--state-dir", str(state)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        info = state / "platform.json"
        while not info.exists():
            if platform.poll() is not None or time.perf_counter() - t0 > 120:
                raise RuntimeError("the local platform did not start")
            time.sleep(0.1)
        print(
            f"local platform up in {time.perf_counter() - t0:.1f} s at {json.loads(info.read_text())['url']}"
        )

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
        if platform is not None:
            platform.send_signal(signal.SIGTERM)
            try:
                platform.wait(20)
            except subprocess.TimeoutExpired:
                platform.kill()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
