"""The footprint of one idle workshop attendee on the jump host: their TUI and their prediction server.

Why (issue 9): a class of 40 shares one 2-core, 8 GB jump host, so each idle attendee may cost at
most about 100 MB of memory and 1 % of one core in all (8 GB / 40 is 200 MB with room for the
platform, the training jobs and the system; 2 cores / 40 is 5 %, most of it kept for training). An
attendee leaves the TUI open on the dashboard for hours and keeps one prediction server running.

What it does, all real: a workshop platform with a class of ``--class-size`` attendees who ran Labs
1-5 (``tests/workshop_class_support.py``: ``workshop start``, ``join``, ``lab run``, so the registry,
job list and clusters the TUI polls are a class's), then ``mlops-tui`` in tmux at 80x24 in
student01's HOME, Lab 5 done on its prediction form (one ride sent), switched to the dashboard,
left alone for ``SETTLE_S`` and measured for ``--seconds`` (60):

- memory: RSS, PSS and USS (``/proc/<pid>/smaps_rollup``) of the TUI and of every process of the
  attendee's prediction server (bubblewrap's and the server's). PSS shares each library page between
  the processes that map it; USS (private pages) is what one more attendee adds to a class, whose
  TUIs and servers map the same libraries;
- CPU: ``utime + stime`` of ``/proc/<pid>/stat`` at the start and the end of the window, as % of
  one core; the workshop platform's own CPU over the same window is printed beside (it answers the
  idle attendee's polls: multiply by the class to see what polling costs the platform);
- what the processes hold: the native libraries of site-packages they map (numpy, pandas, xgboost…).

``--baseline-python PY`` runs the same measurement with another installation first (the code before
a change: ``git archive REV | tar -x -C /tmp/base; python3 -m venv /tmp/base/.venv;
/tmp/base/.venv/bin/pip install -q /tmp/base``) and prints both side by side.
``benchmarks/workshop_class.py`` prints the same figures for its class.

    .venv/bin/python benchmarks/attendee_footprint.py [--quick] [--seconds 60] [--class-size 10]
        [--baseline-python PY] [--verbose]

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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # tests/workshop_class_support.py: the class runner

from workshop_class_support import ClassRun, class_running  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GOAL_MB, GOAL_CPU = 100.0, 1.0
# Left alone this long before the window: start-up is over and an idle TUI has gone to its idle
# polling (mlops_tui/live.py IDLE_AFTER, 30 s); both installations wait the same.
SETTLE_S = 40.0
ATTENDEE = "student01"


@dataclass
class Sample:
    """One process group measured over a window: memory at its end, CPU over it."""

    rss_mb: float = 0.0
    pss_mb: float = 0.0
    uss_mb: float = 0.0
    cpu_pct: float = 0.0
    pids: list[int] = field(default_factory=list)
    libraries: list[str] = field(default_factory=list)


@dataclass
class Footprint:
    tui: Sample
    server: Sample
    platform: Sample
    seconds: float
    class_size: int
    screen: str = ""

    @property
    def attendee_pss(self) -> float:
        return self.tui.pss_mb + self.server.pss_mb

    @property
    def attendee_uss(self) -> float:
        return self.tui.uss_mb + self.server.uss_mb

    @property
    def attendee_cpu(self) -> float:
        return self.tui.cpu_pct + self.server.cpu_pct


def env_for(home: Path) -> dict[str, str]:
    """One person's environment: their HOME only (no XDG overrides, no D-Bus, so no keyring)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MLOPS_TUI_", "DBUS_", "TMUX"))}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", TERM="xterm-256color", LANG="C.UTF-8")
    return env


# -- /proc ------------------------------------------------------------------------------------------


def cpu_ticks(pid: int) -> int:
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of proc(5))
    return 0


def memory_kb(pid: int) -> tuple[int, int, int]:
    """(RSS, PSS, USS) in kB from smaps_rollup (USS: private clean + private dirty)."""
    values = {"Rss": 0, "Pss": 0, "Private_Clean": 0, "Private_Dirty": 0}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0])
    return values["Rss"], values["Pss"], values["Private_Clean"] + values["Private_Dirty"]


def libraries(pid: int) -> set[str]:
    """The site-packages distributions whose native libraries the process maps."""
    found: set[str] = set()
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
            match = re.search(r"site-packages/([A-Za-z0-9_]+)", line)
            if match and ".so" in line:
                found.add(match.group(1).split(".libs")[0].rstrip("_") or match.group(1))
    return found


def cmdline(pid: int) -> bytes:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    return b""


def pids_with(*needles: str) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            line = cmdline(int(entry.name))
            if all(n.encode() in line for n in needles):
                out.append(int(entry.name))
    return sorted(out)


def with_descendants(pids: list[int]) -> list[int]:
    """``pids`` and every process below them (``PPid`` of /proc/<pid>/status)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                for line in (entry / "status").read_text().splitlines():
                    if line.startswith("PPid:"):
                        parents[int(entry.name)] = int(line.split()[1])
                        break
    found = set(pids)
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in found and child not in found:
                found.add(child)
                grew = True
    return sorted(found)


def measure(groups: dict[str, list[int]], seconds: float) -> dict[str, Sample]:
    start = {name: sum(cpu_ticks(p) for p in pids) for name, pids in groups.items()}
    t0 = time.monotonic()
    time.sleep(seconds)
    wall = time.monotonic() - t0
    out = {}
    for name, pids in groups.items():
        ticks = sum(cpu_ticks(p) for p in pids) - start[name]
        mem = [memory_kb(p) for p in pids]
        out[name] = Sample(
            rss_mb=sum(m[0] for m in mem) / 1024,
            pss_mb=sum(m[1] for m in mem) / 1024,
            uss_mb=sum(m[2] for m in mem) / 1024,
            cpu_pct=100.0 * ticks / CLOCK_TICKS / wall,
            pids=pids,
            libraries=sorted(set().union(*(libraries(p) for p in pids))) if pids else [],
        )
    return out


# -- tmux -------------------------------------------------------------------------------------------


def tmux(socket: str, *args: str) -> str:
    done = subprocess.run(
        ["tmux", "-L", socket, "-f", "/dev/null", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return done.stdout


def wait_screen(socket: str, needle: str, timeout: float, *, gone: str = "") -> str:
    """Until the screen shows ``needle`` (and no longer ``gone``)."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = tmux(socket, "capture-pane", "-p", "-t", "fp")
        if needle in text and not (gone and gone in text):
            return text
        time.sleep(0.3)
    raise RuntimeError(f"the TUI never showed {needle!r}:\n{text}")


# -- one measurement --------------------------------------------------------------------------------


def attendee_footprint(run: ClassRun, python: str, seconds: float, user: str = ATTENDEE) -> Footprint:
    """Open ``user``'s TUI on the dashboard in a class that is running, leave it, measure it."""
    assert run.state is not None
    home = next(a.home for a in run.attendees if a.user == user)
    state = str(run.state)
    platform = pids_with("mlops_tui.platform\0serve\0", state)
    # bubblewrap's command line names the deployment's folder; the server inside it sees other paths
    server = with_descendants(
        [p for p in pids_with(state, f"mlops-inference-server-{user}") if p not in platform]
    )
    socket = f"footprint-{os.getpid()}-{int(time.monotonic() * 1000)}"
    env = env_for(home)
    try:
        tmux(
            socket, "new-session", "-d", "-s", "fp", "-x", "80", "-y", "24", "-c", str(home),
            "env", *(f"{k}={v}" for k, v in env.items()), python, "-m", "mlops_tui.cli",
        )  # fmt: skip
        wait_screen(socket, "connected", 90)
        # Lab 5 as an attendee does it in the TUI: the prediction form, one ride sent; then the
        # dashboard, left open (what the TUI imported for the form, it holds from then on)
        tmux(socket, "send-keys", "-t", "fp", "5")
        wait_screen(socket, "Send (ctrl+s)", 60, gone="loading the input schema")
        tmux(socket, "send-keys", "-t", "fp", "C-s")
        wait_screen(socket, "latency", 60)
        tmux(socket, "send-keys", "-t", "fp", "Escape")  # leave the form's field: 2 is then a screen key
        time.sleep(0.5)  # ESC then "2" at once reads as alt+2
        tmux(socket, "send-keys", "-t", "fp", "2")
        wait_screen(socket, "Deployments", 30)
        tui = int(tmux(socket, "list-panes", "-t", "fp", "-F", "#{pane_pid}").split()[0])
        time.sleep(SETTLE_S)
        samples = measure({"tui": [tui], "server": server, "platform": platform}, seconds)
        screen = tmux(socket, "capture-pane", "-p", "-t", "fp")
    finally:
        tmux(socket, "kill-server")
    return Footprint(
        samples["tui"], samples["server"], samples["platform"], seconds, len(run.attendees), screen
    )


def footprint_in_a_class(python: str, root: Path, size: int, seconds: float, seed: Path | None) -> Footprint:
    with class_running(root, size, workers=2, rounds=10, seed_cache=seed, python=python) as run:
        failed = [a.user for a in run.attendees if a.returncode != 0]
        if failed:
            raise RuntimeError(f"lab run failed for {failed}: {run.attendees[0].output[-800:]}")
        return attendee_footprint(run, python, seconds)


def report(results: list[tuple[str, Footprint]]) -> None:
    names = [name for name, _ in results]
    width = max(14, *(len(n) for n in names))
    first = results[0][1]
    print(
        f"one idle attendee of a class of {first.class_size} (dashboard open, left {SETTLE_S:.0f} s, "
        f"measured {first.seconds:.0f} s):"
    )

    def row(label: str, values: list[str]) -> None:
        print(f"  {label:<40}" + "".join(f"{v:>{width + 2}}" for v in values))

    row("", names)
    fps = [fp for _, fp in results]
    row("TUI RSS / PSS / USS MB", [f"{f.tui.rss_mb:.0f}/{f.tui.pss_mb:.0f}/{f.tui.uss_mb:.0f}" for f in fps])
    row("TUI CPU % of one core", [f"{f.tui.cpu_pct:.2f}" for f in fps])
    row(
        "prediction server RSS / PSS / USS MB",
        [f"{f.server.rss_mb:.0f}/{f.server.pss_mb:.0f}/{f.server.uss_mb:.0f}" for f in fps],
    )
    row("prediction server CPU %", [f"{f.server.cpu_pct:.2f}" for f in fps])
    row(f"attendee PSS MB (goal {GOAL_MB:.0f})", [f"{f.attendee_pss:.0f}" for f in fps])
    row("attendee USS MB (what one more adds)", [f"{f.attendee_uss:.0f}" for f in fps])
    row(f"attendee CPU % (goal {GOAL_CPU:.0f})", [f"{f.attendee_cpu:.2f}" for f in fps])
    row("platform CPU % (its polls and the rest)", [f"{f.platform.cpu_pct:.2f}" for f in fps])
    for name, fp in results:
        print(f"  {name}: the TUI maps {', '.join(fp.tui.libraries) or 'no native library of site-packages'}")
        print(f"  {name}: the server maps {', '.join(fp.server.libraries) or '-'}")
    last = fps[-1]
    print(
        f"  40 such attendees: {40 * last.attendee_uss / 1024:.1f} GB private (+ the libraries once), "
        f"{40 * last.attendee_cpu:.0f} % of one core (the jump host has 8 GB and 200 %)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a class of 3, a 20 s window")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--class-size", type=int, default=10)
    ap.add_argument("--baseline-python", help="an interpreter with the code to compare against")
    ap.add_argument("--keep-tmp", action="store_true")
    ap.add_argument("--verbose", action="store_true", help="print the dashboard as measured")
    args = ap.parse_args()
    if shutil.which("bwrap") is None or shutil.which("tmux") is None:
        print("needs bubblewrap (bwrap) and tmux")
        return 2
    seconds, size = (20.0, 3) if args.quick else (args.seconds, args.class_size)
    root = Path(tempfile.mkdtemp(prefix="mlops-footprint-"))
    try:
        results = []
        seed = None
        if args.baseline_python:
            results.append(
                ("before", footprint_in_a_class(args.baseline_python, root / "before", size, seconds, None))
            )
            seed = root / "before" / "facilitator" / "workshop" / "cache" / "default-data"
        now = footprint_in_a_class(sys.executable, root / "now", size, seconds, seed)
        results.append(("now" if results else "this code", now))
        report(results)
        if args.verbose:
            for name, fp in results:
                print(f"\n{name}:\n{fp.screen}")
        return 0
    finally:
        if not args.keep_tmp:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
