"""A class on one workshop platform: the class's wall time and each attendee's (issue 9).

Why: a workshop is 10-40 people running the same labs at once on one jump host and one shared
training cluster. This starts a real workshop platform (``mlops-tui workshop start``), lets N
attendees ``join`` (each in their own HOME) and run ``mlops-tui lab run`` all at the same time,
and prints the class's wall time, each attendee's, where their time went (their training job's
wait in the queue and its run), and beside them the same run for one attendee alone on the same
kind of platform: the ratio is what sharing costs each person. Then, with the class still up, the
footprint of one idle attendee on the jump host: student01's TUI left on the dashboard and their
prediction server, memory and CPU (``benchmarks/attendee_footprint.py``, which also compares two
installations side by side).

    .venv/bin/python benchmarks/workshop_class.py [--quick] [--attendees 20] [--workers 2] [--rounds 10]
        [--footprint-seconds 60]

Needs bubblewrap (the platform refuses to be shared without a sandbox). Every platform it starts
is stopped; temp directories are removed unless ``--keep-tmp``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # tests/workshop_class_support.py: the class runner

from attendee_footprint import attendee_footprint  # noqa: E402
from attendee_footprint import report as footprint_report  # noqa: E402
from workshop_class_support import ClassRun, class_running, run_class, start_order_overtakes  # noqa: E402


def _seconds(a: str | None, b: str | None) -> float | None:
    if not a or not b:
        return None
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()


def report(run: ClassRun, alone: ClassRun | None, workers: int) -> None:
    ok = sum(1 for a in run.attendees if a.returncode == 0)
    each = sorted(a.seconds for a in run.attendees)
    print(
        f"class of {len(run.attendees)} on {workers} training workers: {run.wall_s:.1f} s wall, "
        f"{ok} finished Labs 1-5"
    )
    print(f"per attendee: min {each[0]:.1f} s, median {statistics.median(each):.1f} s, max {each[-1]:.1f} s")
    if alone is not None:
        solo = alone.attendees[0].seconds
        print(
            f"one attendee alone: {solo:.1f} s; in the class the median attendee took "
            f"{statistics.median(each) / solo:.1f}x that"
        )
    overtaken = start_order_overtakes(run.jobs)
    print(f"queue: started out of the order asked by at most {max(overtaken.values(), default=0)} places")
    print()
    print(f"  {'attendee':<10} {'lab run s':>9} {'queued s':>9} {'trained s':>9}  result")
    for a in sorted(run.attendees, key=lambda a: a.user):
        job = next(iter(run.job_of(a.user)), {})
        queued = _seconds(job.get("submitted_at"), job.get("started_at"))
        trained = _seconds(job.get("started_at"), job.get("finished_at"))
        result = "prediction" if "predicted travel time" in a.output else f"exit {a.returncode}"
        print(
            f"  {a.user:<10} {a.seconds:>9.1f} {queued if queued is not None else float('nan'):>9.1f} "
            f"{trained if trained is not None else float('nan'):>9.1f}  {result}"
        )


def sandbox_overhead(rounds: int = 40) -> None:
    """What the sandbox adds to starting a process: ``python -c pass`` direct and under bwrap +
    prlimit as the platform runs it, interleaved (the machine's load hits both alike)."""
    import subprocess

    from mlops_tui.platform import sandbox

    box = sandbox.find([Path(tempfile.gettempdir()) / "no-state"])
    direct = [sys.executable, "-c", "pass"]
    limits = {"cpu_seconds": 60, "address_space": 8 << 30, "file_bytes": 1 << 30, "open_files": 1024}
    boxed = box.command(direct, sandbox.Confinement(cwd=Path(tempfile.gettempdir())), limits)
    times: dict[str, list[float]] = {"direct": [], "sandboxed": []}
    for _ in range(rounds):
        for name, cmd in (("direct", direct), ("sandboxed", boxed)):
            t0 = time.perf_counter()
            subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=True,
                timeout=60,
            )
            times[name].append((time.perf_counter() - t0) * 1000)
    d, b = statistics.median(times["direct"]), statistics.median(times["sandboxed"])
    print(
        f"starting python -c pass: direct {d:.1f} ms, sandboxed {b:.1f} ms "
        f"(median of {rounds}; +{b - d:.1f} ms)"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="5 attendees")
    ap.add_argument("--attendees", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=10, help="boosting rounds of each training job")
    ap.add_argument("--footprint-seconds", type=float, default=60.0, help="the idle attendee's window")
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args()
    n = 5 if args.quick else args.attendees
    root = Path(tempfile.mkdtemp(prefix="mlops-class-"))
    try:
        t0 = time.monotonic()
        alone = run_class(root / "alone", 1, workers=args.workers, rounds=args.rounds)
        cache = root / "alone" / "facilitator" / "workshop" / "cache" / "default-data"
        with class_running(
            root / "class", n, workers=args.workers, rounds=args.rounds, seed_cache=cache
        ) as run:
            report(run, alone, args.workers)
            print()
            if shutil.which("tmux") is None:
                print("footprint of an attendee: not measured (needs tmux)")
            else:
                footprint = attendee_footprint(
                    run, sys.executable, 20.0 if args.quick else args.footprint_seconds
                )
                footprint_report([("this code", footprint)])
        print()
        sandbox_overhead(10 if args.quick else 40)
        print(f"\n(total benchmark time {time.monotonic() - t0:.0f} s; temp dir {root})")
        return 0 if all(a.returncode == 0 for a in run.attendees) else 1
    finally:
        if not args.keep_tmp:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
