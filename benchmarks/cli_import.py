"""Import cost of the CLI and of the TUI, and which heavy libraries they drag in.

Why: every ``mlops-tui`` command (``predict``, ``status``, ``lab run``) starts a new interpreter,
and design §9 measured ``import xgboost`` at about 2.5 s with scikit-learn around; pandas, xgboost
and kubernetes must stay out of the start-up path (imported lazily where they are used). This runs
``python -X importtime -c "import mlops_tui.cli"`` and the same for ``mlops_tui.app`` in fresh
interpreters, prints the import totals, the wall time against an empty interpreter, the biggest
direct imports, and which heavy modules got imported. A heavy module that must not be there is
reported (and makes the exit status 1); times are only printed.

    .venv/bin/python benchmarks/cli_import.py [--quick] [--runs 7]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HEAVY = (
    "pandas", "xgboost", "kubernetes", "numpy", "scipy", "sklearn", "pyarrow", "textual", "rich",
    "httpx", "fastapi", "uvicorn", "pydantic", "keyring", "yaml", "plotext", "sqlite3",
    "pyproj", "shapefile", "shapely", "dateparser",
)  # fmt: skip
# never on any start-up path (pyproj, pyshp and shapely only in `mlops-tui data fetch zones`;
# dateparser on the first date read in words, assistant/when.py)
FORBIDDEN = ("pandas", "xgboost", "kubernetes", "pyarrow", "pyproj", "shapefile", "shapely", "dateparser")
TIMEOUT_S = 120


@dataclass
class ImportTime:
    cumulative_ms: float  # the target's own line: it and everything it imported
    self_total_ms: float  # sum of every module's self time (site and start-up included)
    modules: int
    top: list[tuple[str, float]]  # the target's direct imports by cumulative ms


def importtime(module: str) -> ImportTime:
    """One ``python -X importtime -c "import MODULE"``, parsed."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=True,
    )
    rows: list[tuple[int, str, float, float]] = []  # depth, name, self us, cumulative us
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        self_us, cum_us, raw_name = line[len("import time:") :].split("|", 2)
        depth = (len(raw_name) - len(raw_name.lstrip(" ")) - 1) // 2  # one space, then 2 per level
        rows.append((depth, raw_name.strip(), float(self_us), float(cum_us)))
    target = next(r for r in rows if r[1] == module and r[0] == 0)
    # Direct imports of the target: depth-1 rows listed before the target's own row, after the
    # previous depth-0 row (importtime prints children before their parent).
    at = rows.index(target)
    start = max((i for i in range(at) if rows[i][0] == 0), default=-1) + 1
    children = [(r[1], r[3] / 1000) for r in rows[start:at] if r[0] == 1]
    return ImportTime(
        cumulative_ms=target[3] / 1000,
        self_total_ms=sum(r[2] for r in rows) / 1000,
        modules=len(rows),
        top=sorted(children, key=lambda c: -c[1])[:8],
    )


def wall(code: str, runs: int) -> list[float]:
    """Wall seconds of ``python -c CODE`` in fresh interpreters."""
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=TIMEOUT_S,
        )
        out.append(time.perf_counter() - t0)
    return out


def imported(module: str) -> set[str]:
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=True,
    )
    return {m.split(".")[0] for m in json.loads(done.stdout)}


def bench_module(module: str, runs: int, base: list[float]) -> bool:
    """Print the figures of one module; False when a forbidden module got imported."""
    times = [importtime(module) for _ in range(runs)]
    cum = [t.cumulative_ms for t in times]
    selfs = [t.self_total_ms for t in times]
    walls = wall(f"import {module}", runs)
    print(f"\nimport {module}  ({runs} fresh interpreters)")
    print(
        f"  -X importtime, {module} cumulative   median {statistics.median(cum):7.1f} ms  "
        f"min {min(cum):7.1f} ms"
    )
    print(
        f"  -X importtime, sum of self times     median {statistics.median(selfs):7.1f} ms  "
        f"({times[0].modules} modules, interpreter start-up imports included)"
    )
    print(
        f"  wall: python -c 'import {module}'  median {statistics.median(walls) * 1000:7.1f} ms  "
        f"min {min(walls) * 1000:7.1f} ms  (empty interpreter median {statistics.median(base) * 1000:.1f} ms)"
    )
    print(
        "  biggest direct imports (cumulative ms, first run): "
        + ", ".join(f"{n} {ms:.1f}" for n, ms in times[0].top)
    )
    mods = imported(module)
    heavy = [m for m in HEAVY if m in mods]
    bad = [m for m in FORBIDDEN if m in mods]
    print(f"  heavy modules imported: {', '.join(heavy) or 'none'}")
    if bad:
        print(f"  !! must not be imported at start-up but are: {', '.join(bad)}")
    else:
        print(f"  ok: none of {', '.join(FORBIDDEN)} imported")
    return not bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="3 runs per figure instead of 7")
    ap.add_argument("--runs", type=int, default=None, help="fresh interpreters per figure (1-20)")
    args = ap.parse_args(argv)
    runs = max(1, min(20, args.runs or (3 if args.quick else 7)))
    print(
        f"cli_import: python {sys.version.split()[0]} ({sys.executable}), {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    wall("pass", 1)  # warm the OS page cache before anything is timed
    base = wall("pass", runs)
    ok = bench_module("mlops_tui.cli", runs, base)
    if importlib.util.find_spec("mlops_tui.app") is not None:
        ok = bench_module("mlops_tui.app", runs, base) and ok
    else:
        print("\nmlops_tui.app does not exist: skipped")
    script = Path(sys.executable).with_name("mlops-tui")
    if script.is_file():
        helps = []
        for _ in range(runs):
            t0 = time.perf_counter()
            subprocess.run(
                [str(script), "--help"],
                check=True,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=TIMEOUT_S,
            )
            helps.append(time.perf_counter() - t0)
        print(
            f"\nmlops-tui --help (console script): median {statistics.median(helps) * 1000:.1f} ms, "
            f"min {min(helps) * 1000:.1f} ms"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
