"""Wall time of ``mlops-tui lab run``: a person's first run, and a re-run of Lab 5 afterwards.

Why: ``lab run`` in a fresh HOME is the workshop's whole path (start the platform, make the user
and the default data, log in, notebook, upload, train, register, deploy, predict) and the first
thing a new user times with a stopwatch. Each fresh run gets its own temp HOME (so its own
platform, state and credentials file) and runs the real command as a subprocess; ``--from-lab 5``
then runs on the last one's still-running (warm) platform: CLI start-up, login, one prediction.
Every platform started here is stopped afterwards (``mlops-tui platform stop``, then the
launcher's stop as a fallback), and a run that hangs is killed after ``RUN_TIMEOUT_S``.

    .venv/bin/python benchmarks/lab_run.py [--quick] [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from mlops_tui.services.local import launcher

RUN_TIMEOUT_S = 300.0
STEP_RE = re.compile(r"^-- \[\d+/\d+\] .* \(([\w-]+)\)$")
OK_RE = re.compile(r"^\s+ok \(([\d.]+) s\)$")


def cli() -> list[str]:
    """The installed ``mlops-tui`` next to this interpreter, else ``python -m mlops_tui.cli``."""
    script = Path(sys.executable).with_name("mlops-tui")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "mlops_tui.cli"]


def home_env(home: Path) -> dict[str, str]:
    """A fresh user's environment: this HOME only, no XDG overrides, no D-Bus (so no keyring)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MLOPS_TUI_", "DBUS_"))}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", COLUMNS="120")
    return env


def state_dir(home: Path) -> Path:
    return home / ".local" / "state" / "mlops-tui" / "platform"


@dataclass
class Run:
    seconds: float
    exit: int | None
    first_line_s: float | None  # CLI start + platform start (the first line names the platform)
    steps: dict[str, float] = field(default_factory=dict)
    tail: list[str] = field(default_factory=list)


def lab_run(home: Path, *args: str) -> Run:
    """``mlops-tui lab run ARGS`` in ``home``, its output read line by line as it comes."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [*cli(), "lab", "run", *args],
        env=home_env(home),
        cwd=home,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    watchdog = threading.Timer(RUN_TIMEOUT_S, _kill_group, (proc.pid,))
    watchdog.start()
    first: float | None = None
    steps: dict[str, float] = {}
    current = ""
    tail: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            if first is None and line.startswith("mlops-tui lab run:"):
                first = time.perf_counter() - t0
            if m := STEP_RE.match(line):
                current = m.group(1)
            elif (m := OK_RE.match(line)) and current:
                steps[current] = float(m.group(1))
            tail = [*tail[-5:], line]
        code: int | None = proc.wait(30)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            _kill_group(proc.pid)
            proc.wait(10)
    return Run(time.perf_counter() - t0, code, first, steps, tail)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def stop_platform(home: Path) -> float:
    """Stop the platform of ``home`` (it stops its deployments); seconds taken."""
    t0 = time.perf_counter()
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(
            [*cli(), "platform", "stop"],
            env=home_env(home),
            cwd=home,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=60,
        )
    launcher.stop_platform(state_dir(home))  # no-op when the CLI stopped it
    return time.perf_counter() - t0


def show(label: str, run: Run) -> None:
    if run.exit != 0:
        print(
            f"  {label:<22} FAILED (exit {run.exit}) after {run.seconds:.1f} s: {' | '.join(run.tail[-3:])}"
        )
        return
    first = f"{run.first_line_s:.1f} s" if run.first_line_s is not None else "?"
    steps = ", ".join(f"{k} {v:.1f}" for k, v in run.steps.items())
    print(f"  {label:<22} {run.seconds:6.1f} s   (first line after {first}; steps s: {steps})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="one fresh run and one warm Lab 5 run")
    ap.add_argument("--runs", type=int, default=None, help="fresh runs, and warm runs (default 3; quick 1)")
    args = ap.parse_args(argv)
    runs = max(1, min(5, args.runs or (1 if args.quick else 3)))

    print(
        f"lab_run: {' '.join(cli())}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    root = Path(tempfile.mkdtemp(prefix="mlops-bench-labrun-"))
    homes: list[Path] = []
    fresh: list[Run] = []
    warm: list[Run] = []
    try:
        print(f"\nmlops-tui lab run, fresh HOME each time (platform start and set-up included), {runs}x:")
        for i in range(runs):
            home = root / f"home-{i + 1}"
            home.mkdir()
            homes.append(home)
            run = lab_run(home)
            fresh.append(run)
            show(f"fresh run {i + 1}", run)
            if i < runs - 1:
                print(f"  {'':<22} (its platform stopped in {stop_platform(home):.1f} s)")
        if fresh[-1].exit == 0:
            print(f"\nmlops-tui lab run --from-lab 5 on the warm platform of the last run, {runs}x:")
            for i in range(runs):
                run = lab_run(homes[-1], "--from-lab", "5")
                warm.append(run)
                show(f"warm Lab 5 run {i + 1}", run)
        else:
            print("\nskipped --from-lab 5: the last fresh run failed")
    finally:
        for home in homes:
            with contextlib.suppress(Exception):
                stop_platform(home)
        shutil.rmtree(root, ignore_errors=True)

    ok_fresh = [r.seconds for r in fresh if r.exit == 0]
    ok_warm = [r.seconds for r in warm if r.exit == 0]
    print("\nsummary:")
    for label, ok, all_ in (("fresh lab run", ok_fresh, fresh), ("--from-lab 5 (warm)", ok_warm, warm)):
        if ok:
            print(
                f"  {label:<20} median {statistics.median(ok):6.1f} s  min {min(ok):6.1f} s  "
                f"max {max(ok):6.1f} s  ({len(ok)}/{len(all_)} ok)"
            )
    return 0 if ok_fresh and len(ok_fresh) == len(fresh) and len(ok_warm) == len(warm) else 1


if __name__ == "__main__":
    sys.exit(main())
