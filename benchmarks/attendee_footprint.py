"""The footprint of one idle workshop attendee on the jump host: their TUI and their prediction server.

Why (issue 9): a class of 40 shares one 2-core, 8 GB jump host, so each idle attendee may cost at
most about 100 MB of memory and 1 % of one core in all (8 GB / 40 is 200 MB with room for the
platform, the training jobs and the system; 2 cores / 40 is 5 %, most of it kept for training). An
attendee leaves the TUI open on the dashboard for hours and keeps one prediction server running.

What it does, all real: starts a workshop platform (``mlops-tui workshop start --attendees 1``), lets
the attendee ``join`` and run Labs 1-5 (``lab run``: a trained model, a deployment, a prediction),
then opens ``mlops-tui`` in tmux at 80x24 in the attendee's HOME, switches to the dashboard, waits
for it to settle and measures for ``--seconds`` (60):

- memory: RSS and PSS (``/proc/<pid>/smaps_rollup``; PSS shares the pages of libraries between the
  processes that map them, the fair share of a class on one host) of the TUI and of every process
  of the attendee's prediction server (bubblewrap's and the server's);
- CPU: ``utime + stime`` of ``/proc/<pid>/stat`` at the start and the end of the window, as % of
  one core; the workshop platform's own CPU over the same window is printed beside (it answers the
  idle attendee's polls: multiply by the class to see what polling costs the platform);
- what the processes hold: the native libraries of site-packages they map (numpy, pandas, xgboost…).

``--baseline-python PY`` runs the same measurement with another installation first (e.g. a venv
with the code before a change: ``git worktree add /tmp/base <rev>; python3 -m venv /tmp/base/.venv;
/tmp/base/.venv/bin/pip install -q /tmp/base``) and prints both side by side.

    .venv/bin/python benchmarks/attendee_footprint.py [--quick] [--seconds 60] [--baseline-python PY]

Needs bubblewrap (a workshop platform runs every server in a sandbox) and tmux. Every process it
starts is stopped; temp directories are removed unless ``--keep-tmp``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GOAL_MB, GOAL_CPU = 100.0, 1.0
SETTLE_S = 15.0


@dataclass
class Sample:
    """One process group measured over a window: memory at its end, CPU over it."""

    rss_mb: float = 0.0
    pss_mb: float = 0.0
    cpu_pct: float = 0.0
    pids: list[int] = field(default_factory=list)
    libraries: list[str] = field(default_factory=list)


@dataclass
class Footprint:
    python: str
    tui: Sample
    server: Sample
    platform: Sample
    seconds: float

    @property
    def attendee_pss(self) -> float:
        return self.tui.pss_mb + self.server.pss_mb

    @property
    def attendee_cpu(self) -> float:
        return self.tui.cpu_pct + self.server.cpu_pct


def env_for(home: Path) -> dict[str, str]:
    """One person's environment: their HOME only (no XDG overrides, no D-Bus, so no keyring)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MLOPS_TUI_", "DBUS_", "TMUX"))}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", TERM="xterm-256color", LANG="C.UTF-8")
    return env


def run(python: str, home: Path, *args: str, stdin: str | None = None, timeout: float = 300) -> str:
    done = subprocess.run(
        [python, "-m", "mlops_tui.cli", *args],
        env=env_for(home),
        cwd=home,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"mlops-tui {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done.stdout


# -- /proc ------------------------------------------------------------------------------------------


def cpu_ticks(pid: int) -> int:
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of proc(5))
    return 0


def memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB from smaps_rollup."""
    values = {"Rss": 0, "Pss": 0}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0])
    return values["Rss"], values["Pss"]


def libraries(pid: int) -> set[str]:
    """The site-packages distributions whose native libraries the process maps."""
    found: set[str] = set()
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            match = re.search(r"site-packages/([A-Za-z0-9_]+)", line)
            if match and (".so" in line):
                found.add(match.group(1).split(".libs")[0].rstrip("_") or match.group(1))
    return found


def pids_with(needle: str) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if needle.encode() in (entry / "cmdline").read_bytes():
                out.append(int(entry.name))
    return sorted(out)


def measure(groups: dict[str, list[int]], seconds: float) -> dict[str, Sample]:
    start = {name: sum(cpu_ticks(p) for p in pids) for name, pids in groups.items()}
    t0 = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - t0
    out = {}
    for name, pids in groups.items():
        ticks = sum(cpu_ticks(p) for p in pids) - start[name]
        mem = [memory_kb(p) for p in pids]
        libs = sorted(set().union(*(libraries(p) for p in pids))) if pids else []
        out[name] = Sample(
            rss_mb=sum(m[0] for m in mem) / 1024,
            pss_mb=sum(m[1] for m in mem) / 1024,
            cpu_pct=100.0 * ticks / CLOCK_TICKS / wall,
            pids=pids,
            libraries=libs,
        )
    return out


# -- tmux -------------------------------------------------------------------------------------------


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=30).stdout


def wait_screen(session: str, needle: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = tmux("capture-pane", "-p", "-t", session)
        if needle in text:
            return text
        time.sleep(0.3)
    raise RuntimeError(f"the TUI never showed {needle!r}:\n{text}")


# -- one measurement --------------------------------------------------------------------------------


def footprint(python: str, root: Path, seconds: float, verbose: bool = False) -> Footprint:
    facilitator, attendee = root / "facilitator", root / "student01"
    state = facilitator / "workshop"
    for home in (facilitator, attendee):
        home.mkdir(parents=True, exist_ok=True)
    run(
        python,
        facilitator,
        "workshop",
        "start",
        "--attendees",
        "1",
        "--workers",
        "1",
        "--state-dir",
        str(state),
    )
    session = f"footprint-{os.getpid()}"
    try:
        line = next(
            ln for ln in (state / "handout.txt").read_text().splitlines() if ln.startswith("student01")
        )
        _, password, command = line.split(maxsplit=2)
        run(python, attendee, *command.split()[1:], "--password-stdin", stdin=password + "\n")
        run(python, attendee, "lab", "run", "--param", "rounds=20", timeout=600)
        platform = pids_with(f"--state-dir\0{state}") or pids_with(str(state / "platform"))
        servers = [p for p in pids_with(str(state)) if p not in platform and b"predictor" in _cmd(p)]
        servers += [
            p for p in pids_with(str(state)) if p not in platform and p not in servers and b"bwrap" in _cmd(p)
        ]
        env = env_for(attendee)
        tmux(
            "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
            "env", *(f"{k}={v}" for k, v in env.items()), python, "-m", "mlops_tui.cli",
        )  # fmt: skip
        wait_screen(session, "connected", 60)
        tmux("send-keys", "-t", session, "2")
        wait_screen(session, "Deployments", 20)
        tui = int(tmux("list-panes", "-t", session, "-F", "#{pane_pid}").split()[0])
        time.sleep(SETTLE_S)
        samples = measure({"tui": [tui], "server": servers, "platform": platform}, seconds)
        if verbose:
            print(tmux("capture-pane", "-p", "-t", session))
        return Footprint(python, samples["tui"], samples["server"], samples["platform"], seconds)
    finally:
        tmux("kill-session", "-t", session)
        with contextlib.suppress(Exception):
            run(python, facilitator, "workshop", "stop", "--state-dir", str(state), timeout=60)


def _cmd(pid: int) -> bytes:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    return b""


def report(results: list[tuple[str, Footprint]]) -> None:
    names = [name for name, _ in results]
    width = max(12, *(len(n) for n in names))
    print(f"one idle attendee (dashboard open, {results[0][1].seconds:.0f} s window):")
    print(f"  {'':<34}" + "".join(f"{n:>{width + 2}}" for n in names))

    def row(label: str, values: list[str]) -> None:
        print(f"  {label:<34}" + "".join(f"{v:>{width + 2}}" for v in values))

    fps = [fp for _, fp in results]
    row("TUI RSS / PSS MB", [f"{f.tui.rss_mb:.0f} / {f.tui.pss_mb:.0f}" for f in fps])
    row("TUI CPU % of one core", [f"{f.tui.cpu_pct:.2f}" for f in fps])
    row("prediction server RSS / PSS MB", [f"{f.server.rss_mb:.0f} / {f.server.pss_mb:.0f}" for f in fps])
    row("prediction server CPU %", [f"{f.server.cpu_pct:.2f}" for f in fps])
    row(f"attendee in all PSS MB (goal {GOAL_MB:.0f})", [f"{f.attendee_pss:.0f}" for f in fps])
    row(f"attendee in all CPU % (goal {GOAL_CPU:.0f})", [f"{f.attendee_cpu:.2f}" for f in fps])
    row("platform CPU % (its polls)", [f"{f.platform.cpu_pct:.2f}" for f in fps])
    row("platform RSS MB", [f"{f.platform.rss_mb:.0f}" for f in fps])
    for name, fp in results:
        print(f"  {name}: TUI maps {', '.join(fp.tui.libraries) or '-'}")
        print(f"  {name}: server maps {', '.join(fp.server.libraries) or '-'} (pids {fp.server.pids})")
    last = fps[-1]
    print(
        f"  a class of 40 such attendees: {40 * last.attendee_pss / 1024:.1f} GB, "
        f"{40 * last.attendee_cpu:.0f} % of one core (jump host: 8 GB, 200 %)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a 20 s window")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--baseline-python", help="an interpreter with the code to compare against")
    ap.add_argument("--keep-tmp", action="store_true")
    ap.add_argument("--verbose", action="store_true", help="print the dashboard as measured")
    args = ap.parse_args()
    if shutil.which("bwrap") is None or shutil.which("tmux") is None:
        print("needs bubblewrap (bwrap) and tmux")
        return 2
    seconds = 20.0 if args.quick else args.seconds
    root = Path(tempfile.mkdtemp(prefix="mlops-footprint-"))
    try:
        results = []
        if args.baseline_python:
            results.append(
                ("before", footprint(args.baseline_python, root / "before", seconds, args.verbose))
            )
        results.append(
            (
                "now" if results else "this code",
                footprint(sys.executable, root / "now", seconds, args.verbose),
            )
        )
        report(results)
        return 0
    finally:
        if not args.keep_tmp:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
