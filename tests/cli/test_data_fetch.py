"""``mlops-tui data fetch`` against a stand-in TLC server on loopback (issue 12 §4): a small Parquet
month and a small zone shapefile made here; progress bar, an interrupted download resumed with a
Range request, the recorded checksum, a reproducible sample of the size asked, the zone table with
real centroids, and one line when the network is not there."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from mlops_tui.lab_scripts.zones import load_zones
from tlc_server import TlcServer, small_zone_shapefile

from mlops_tui.services.units import size_text

ROWS = 20_000


def _month(path: Path) -> bytes:
    rng = np.random.default_rng(5)
    pickup = pd.Timestamp("2019-02-01") + pd.to_timedelta(rng.integers(0, 27 * 86400, ROWS), unit="s")
    table = pa.table(
        {
            "VendorID": rng.integers(1, 3, ROWS),
            "tpep_pickup_datetime": pa.array(pickup, pa.timestamp("us")),
            "tpep_dropoff_datetime": pa.array(
                pickup + pd.to_timedelta(rng.integers(60, 3000, ROWS), unit="s"), pa.timestamp("us")
            ),
            "passenger_count": rng.integers(1, 4, ROWS).astype(float),
            "trip_distance": rng.uniform(0.3, 12, ROWS).round(2),
            "PULocationID": rng.integers(1, 264, ROWS),
            "DOLocationID": rng.integers(1, 264, ROWS),
            "row": np.arange(ROWS),  # tells which rides a sample took
        }
    )
    pq.write_table(table, path, row_group_size=4096)
    return path.read_bytes()


def _env(home: Path, mirror: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MLOPS_TUI_"))}
    env.update(HOME=str(home), MLOPS_TUI_TLC_MIRROR=mirror, PYTHONUNBUFFERED="1", COLUMNS="120")
    return env


def _fetch(home: Path, mirror: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlops_tui.cli", "data", "fetch", *args],
        env=_env(home, mirror),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=home,
    )


def test_fetch_a_month_resumes_records_its_checksum_and_samples(tmp_path: Path) -> None:
    month = _month(tmp_path / "served.parquet")
    home = tmp_path / "home"
    home.mkdir()
    path = "/trip-data/yellow_tripdata_2019-02.parquet"
    with TlcServer({path: month}, cut_after=len(month) // 3, cuts=1) as server:
        run = _fetch(home, server.url, "yellow", "2019-02", "--sample", "500", "--no-upload")
        assert run.returncode == 0, run.stdout + run.stderr
        first, second = server.requests[0], server.requests[1]
        assert "range" not in first
        assert second["range"] == f"bytes={len(month) // 3}-" and second["if-range"] == server.etag(path)
    resumed_at, whole = len(month) // 3, len(month)
    resumed = f"resuming yellow_tripdata_2019-02.parquet at {size_text(resumed_at)} of {size_text(whole)}"
    assert resumed in run.stdout
    assert "download yellow_tripdata_2019-02.parquet" in run.stderr  # the progress bar
    cache = home / ".cache" / "mlops-tui" / "tlc"
    got = cache / "yellow_tripdata_2019-02.parquet"
    assert got.read_bytes() == month
    record = json.loads((cache / "yellow_tripdata_2019-02.parquet.json").read_text())
    digest = "sha256:" + hashlib.sha256(month).hexdigest()
    assert record["sha256"] == digest and record["size"] == len(month) and record["etag"] == server.etag(path)
    assert digest in run.stdout
    sample = cache / "yellow_tripdata_2019-02-sample-500.parquet"
    assert f"sample: 500 of {ROWS:,} rides (seed 0, streamed)" in run.stdout
    rows = pq.read_table(sample).column("row").to_numpy()
    assert len(rows) == 500 and len(set(rows)) == 500 and (np.diff(rows) > 0).all()  # file order

    # again: the download is reused after its checksum is checked, the sample is the same
    before = sample.read_bytes()
    with TlcServer({path: month}) as server:
        again = _fetch(home, server.url, "yellow", "2019-02", "--sample", "500", "--no-upload")
        assert again.returncode == 0, again.stderr
        assert server.requests == []
        other = _fetch(home, server.url, "yellow", "2019-02", "--sample", "500", "--seed", "1", "--no-upload")
    assert "already here, checksum verified" in again.stdout
    assert sample.read_bytes() == before
    assert set(
        pq.read_table(cache / "yellow_tripdata_2019-02-sample-500-seed1.parquet").column("row").to_numpy()
    ) != set(rows)
    assert other.returncode == 0

    # a damaged download is not trusted: fetched again
    got.write_bytes(month[:-10] + b"0123456789")
    with TlcServer({path: month}) as server:
        fixed = _fetch(home, server.url, "yellow", "2019-02", "--sample", "500", "--no-upload")
        assert fixed.returncode == 0 and len(server.requests) == 1
    assert got.read_bytes() == month


def test_fetch_zones_builds_the_table_with_real_centroids(tmp_path: Path) -> None:
    expected = small_zone_shapefile(tmp_path / "taxi_zones.zip")
    home = tmp_path / "home"
    home.mkdir()
    with TlcServer({"/misc/taxi_zones.zip": (tmp_path / "taxi_zones.zip").read_bytes()}) as server:
        run = _fetch(home, server.url, "zones")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "zone table with centroids from the shapefile: 3 zones located" in run.stdout
    table = load_zones(home / ".local" / "share" / "mlops-tui" / "taxi_zones.csv")
    for location_id, (lat, lon) in expected.items():
        zone = table[location_id]
        assert zone.centroid == "shapefile"
        assert abs(zone.lat - lat) < 1e-6 and abs(zone.lon - lon) < 1e-6, (location_id, zone)
    # the rest keeps the built-in coordinates and names; so the table is still approximate
    assert table[68].zone == "East Chelsea" and "Chelsea" in table[68].label
    assert table[230].lat == load_zones()[230].lat and table.approximate
    assert "centroids moved from the built-in approximate ones by" in run.stdout

    # brought by hand
    by_hand = _fetch(home, "http://127.0.0.1:9", "zones", "--from-file", str(tmp_path / "taxi_zones.zip"))
    assert by_hand.returncode == 0, by_hand.stderr


def test_offline_says_it_needs_the_network_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for args in (["yellow", "2019-02"], ["zones"]):
        run = _fetch(home, "http://127.0.0.1:9", *args)  # nothing listens on the discard port
        assert run.returncode == 1
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, run.stderr
        assert "this needs the network" in lines[0] and "--from-file" in lines[0]
        assert "Traceback" not in run.stderr
    with TlcServer({}) as server:
        missing = _fetch(home, server.url, "green", "2019-13")
        assert missing.returncode == 1 and "month must be YYYY-MM" in missing.stderr
        absent = _fetch(home, server.url, "green", "2011-01", "--no-upload")
        assert absent.returncode == 1 and "does not exist (404)" in absent.stderr


@pytest.mark.parametrize("zones_fetched", [False, True])
def test_the_lab_code_ships_the_fetched_zone_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zones_fetched: bool
) -> None:
    from mlops_tui.assistant.lab_training import lab_code_files
    from mlops_tui.services import taxi_zones

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    if zones_fetched:
        small_zone_shapefile(tmp_path / "z.zip")
        table = taxi_zones.build_from_shapefile(tmp_path / "z.zip")
        taxi_zones.install(table, {"source": "test"})
    shipped = lab_code_files()
    assert "zones.csv" in shipped and "train.py" in shipped
    if zones_fetched:
        assert shipped["zones.csv"] == taxi_zones.fetched_path()
    else:
        assert shipped["zones.csv"].parent.name == "lab_scripts"
    assert taxi_zones.zone_table()[68].centroid == ("shapefile" if zones_fetched else "")
