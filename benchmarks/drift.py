"""What drift monitoring costs, side by side with the work it rides on, in one run.

Serving: a prediction server counts every model call's feature rows into its running histogram
(``DriftMonitor.observe``, which bins them a thousand rows at a time). For 1, 8, 100 and 1,000
rides this prints the mean time of that over many calls, the binning included,
next to the two steps every request already pays for the same rides: ``Scorer.prepare`` (the
rides validated and turned into feature rows) and ``predict_prepared`` (the model call), and the
share drift adds to them. Then the time of a ``/drift`` report (PSI of 11 features).

Training: ``feature_bins.feature_distribution`` (the bins stored in the manifest) on 100,000 and
1,000,000 rides (median of 3), next to ``numpy.quantile`` of all the columns of the full matrix
(what computing the deciles without sampling would cost).

The model is trained here with ``train.py`` on 20,000 synthetic rides (about 10 s).

    .venv/bin/python benchmarks/drift.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


def median_us(call: Callable[[], Any], runs: int) -> float:
    call()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def mean_us_with_flushes(monitor: Any, rows: np.ndarray) -> float:
    """``monitor.observe(rows)``'s mean time over enough calls for several deferred binnings
    (``drift.FLUSH_ROWS``), the last binning included: a median would show only the append."""
    from mlops_tui.platform.serving.drift import FLUSH_ROWS

    calls = max(50, 5 * FLUSH_ROWS // len(rows))
    monitor.flush()
    t0 = time.perf_counter()
    for _ in range(calls):
        monitor.observe(rows)
    monitor.flush()
    return (time.perf_counter() - t0) / calls * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    runs = 50 if args.quick else 500

    from drift_support import rides_from
    from mlops_tui.lab_scripts import synthetic, train
    from mlops_tui.lab_scripts.feature_bins import feature_distribution
    from mlops_tui.lab_scripts.features import FEATURES, frame_to_matrix
    from mlops_tui.lab_scripts.scoring import Scorer
    from mlops_tui.lab_scripts.tlc import load_trips
    from mlops_tui.lab_scripts.zones import load_zones

    from mlops_tui.platform.serving.drift import DriftMonitor

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "rides.csv"
        synthetic.generate(rows=20_000, seed=1).to_csv(data, index=False)
        bundle = Path(tmp) / "bundle"
        quiet = open(Path(tmp) / "train.log", "w")  # noqa: SIM115 (closed below)
        stdout, sys.stdout = sys.stdout, quiet
        try:
            manifest = train.train(
                train.parse_args(["--data", str(data), "--output", str(bundle), "--rounds", "60"])
            )
        finally:
            sys.stdout = stdout
            quiet.close()
        scorer = Scorer.load(bundle)
        trips = load_trips(data, load_zones())
        monitor = DriftMonitor(manifest)
        print("serving: median per model call (µs); drift: the mean, its deferred binning included")
        print(f"{'rides':>6} {'prepare':>9} {'model call':>11} {'drift observe':>14} {'drift share':>12}")
        for n in (1, 8, 100, 1000):
            rides = rides_from(trips, n, seed=n)
            records: Any = rides[0] if n == 1 else rides
            rows, _ = scorer.prepare(records)
            prepare = median_us(lambda r=records: scorer.prepare(r), max(20, runs // max(1, n // 10)))
            call = median_us(lambda x=rows: scorer.predict_prepared(x), runs)
            observe = mean_us_with_flushes(monitor, rows)
            share = observe / (prepare + call)
            print(f"{n:>6} {prepare:>9.1f} {call:>11.1f} {observe:>14.1f} {share:>11.1%}")
        report = median_us(monitor.report, runs // 5 or 10)
        counted = monitor.histogram.window_rides
        print(f"/drift report (11 features, {counted} rides counted): {report / 1000:.2f} ms")

        print()
        print("training: the manifest's bins (s)")
        x = frame_to_matrix(trips)
        rng = np.random.default_rng(0)
        for n in (100_000, 1_000_000):
            big = x[rng.integers(0, len(x), n)] + rng.normal(0, 1e-3, (n, len(FEATURES)))
            ours = median_us(lambda b=big: feature_distribution(b, FEATURES), 3) / 1e6
            full = median_us(lambda b=big: np.quantile(b, np.arange(1, 10) / 10, axis=0), 3) / 1e6
            print(
                f"{n:>9} rides: feature_distribution {ours:.3f} s; numpy.quantile of every column, "
                f"no sample, without binning: {full:.3f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
