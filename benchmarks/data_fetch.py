"""``mlops-tui data fetch`` on a 2-million-row month: wall time and peak memory, side by side with
what a person would do instead (pandas reads the whole month, then samples it).

Why: a TLC month holds 7-8 million rides; the jump host is shared, so fetching and sampling must
not hold the month in memory (goal: under 400 MB at 2 million rows). A Parquet month in the 2019
layout is made here (a child process), served by a stand-in TLC server on loopback
(``tests/tlc_server.py``: ETag, Range), and fetched by the real command with
``MLOPS_TUI_TLC_MIRROR`` pointing at it, in a temporary HOME, without uploading. Peak RSS is each
child's own (``os.wait4``).

    .venv/bin/python benchmarks/data_fetch.py [--quick] [--rows 2000000] [--sample 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

MAKE_MONTH = r"""
import sys
import numpy as np, pandas as pd, pyarrow as pa, pyarrow.parquet as pq
rows, out = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(7)
writer = None
done = 0
while done < rows:  # written in slices, as the TLC's files are (row groups of about a million)
    n = min(1_000_000, rows - done)
    pickup = pd.Timestamp("2019-02-01") + pd.to_timedelta(rng.integers(0, 28 * 86400, n), unit="s")
    t = pa.table({
        "VendorID": rng.integers(1, 3, n), "tpep_pickup_datetime": pa.array(pickup, pa.timestamp("us")),
        "tpep_dropoff_datetime": pa.array(pickup + pd.to_timedelta(rng.integers(60, 3600, n), unit="s"),
                                          pa.timestamp("us")),
        "passenger_count": rng.integers(1, 5, n).astype(float), "trip_distance": rng.uniform(0.2, 20, n),
        "RatecodeID": np.ones(n), "store_and_fwd_flag": pa.array(np.where(rng.random(n) < 0.01, "Y", "N")),
        "PULocationID": rng.integers(1, 266, n), "DOLocationID": rng.integers(1, 266, n),
        "payment_type": rng.integers(1, 5, n), "fare_amount": rng.uniform(3, 60, n),
        "extra": rng.uniform(0, 1, n), "mta_tax": np.full(n, 0.5), "tip_amount": rng.uniform(0, 10, n),
        "tolls_amount": np.zeros(n), "improvement_surcharge": np.full(n, 0.3),
        "total_amount": rng.uniform(4, 80, n), "congestion_surcharge": np.full(n, 2.5),
        "airport_fee": np.zeros(n),
    })
    writer = writer or pq.ParquetWriter(out, t.schema)
    writer.write_table(t)
    done += n
writer.close()
"""

PANDAS_WAY = r"""
import sys
import pandas as pd
month = pd.read_parquet(sys.argv[1])
month.sample(int(sys.argv[2]), random_state=0).to_parquet(sys.argv[3])
"""


def measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int, str]:
    """(wall s, peak RSS MB of that one child (``os.wait4``), exit code, its output)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    text = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, proc.returncode, text


def main(argv: list[str] | None = None) -> int:
    from tlc_server import TlcServer

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="500k rows, one run each")
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--sample", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=None)
    args = ap.parse_args(argv)
    rows = args.rows or (500_000 if args.quick else 2_000_000)
    repeat = max(1, min(5, args.repeat or (1 if args.quick else 3)))
    print(
        f"data fetch: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    tmp = Path(tempfile.mkdtemp(prefix="mlops-bench-fetch-"))
    try:
        month = tmp / "yellow_tripdata_2019-02.parquet"
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", MAKE_MONTH, str(rows), str(month)],
            check=True,
            timeout=900,
            stdin=subprocess.DEVNULL,
            capture_output=True,
        )
        print(
            f"a {rows:,}-row month in the 2019 layout: {month.stat().st_size / 1e6:.0f} MB Parquet "
            f"(made in {time.perf_counter() - t0:.1f} s)\n"
        )
        body = month.read_bytes()
        results: dict[str, list[tuple[float, float]]] = {"fetch": [], "resume": [], "pandas": []}
        with TlcServer({"/trip-data/yellow_tripdata_2019-02.parquet": body}) as server:
            for i in range(repeat):
                home = tmp / f"home-{i}"
                home.mkdir()
                env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MLOPS_TUI_"))}
                env.update(HOME=str(home), MLOPS_TUI_TLC_MIRROR=server.url)
                cmd = [
                    sys.executable,
                    "-m",
                    "mlops_tui.cli",
                    "data",
                    "fetch",
                    "yellow",
                    "2019-02",
                    "--sample",
                    str(args.sample),
                    "--no-upload",
                ]
                seconds, peak, code, tail = measured(cmd, env)
                if code != 0:
                    print(f"  data fetch FAILED: {tail[-300:]}")
                    return 1
                results["fetch"].append((seconds, peak))
                # the same again after a drop at one third: resumed with a Range request
                cache = home / ".cache" / "mlops-tui" / "tlc"
                (cache / "yellow_tripdata_2019-02.parquet").unlink()
                (cache / "yellow_tripdata_2019-02.parquet.json").unlink()
                server.cut_after, server.cuts = len(body) // 3, 1
                seconds, peak, code, tail = measured(cmd, env)
                if code != 0 or "resuming" not in tail:
                    print(f"  the resumed data fetch FAILED: {tail[-300:]}")
                    return 1
                results["resume"].append((seconds, peak))
                out = tmp / f"pandas-{i}.parquet"
                seconds, peak, code, tail = measured(
                    [sys.executable, "-c", PANDAS_WAY, str(month), str(args.sample), str(out)]
                )
                if code != 0:
                    print(f"  pandas FAILED: {tail[-300:]}")
                    return 1
                results["pandas"].append((seconds, peak))
        labels = {
            "fetch": "mlops-tui data fetch (download + streamed sample)",
            "resume": "  the same, dropped at 1/3 and resumed",
            "pandas": "pandas: read_parquet(month).sample(n) (file on disk)",
        }
        print(f"{'':<56} {'wall':>8} {'peak RSS':>10}   (median of {repeat}, sample {args.sample:,})")
        for key, label in labels.items():
            wall = median(s for s, _ in results[key])
            peak = median(p for _, p in results[key])
            print(f"{label:<56} {wall:7.2f}s {peak:8.0f} MB")
        ratio = median(p for _, p in results["fetch"]) / median(p for _, p in results["pandas"])
        goal = "goal: data fetch under 400 MB at 2 million rows"
        print(f"\npeak memory, data fetch / pandas: {ratio:.2f}x ({goal})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
