"""The synthetic generator: 2019 layout, reproducible, and shaped like real traffic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlops_tui.lab_scripts.synthetic import YELLOW_2019_COLUMNS, generate, is_synthetic
from mlops_tui.lab_scripts.tlc import load_trips
from mlops_tui.lab_scripts.zones import load_zones


@pytest.fixture(scope="module")
def rides() -> pd.DataFrame:
    return generate(20_000, seed=5)


@pytest.fixture(scope="module")
def clean(rides: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("syn") / "synthetic.csv"
    rides.to_csv(path, index=False)
    return load_trips(path)


def test_layout_and_reproducibility(rides: pd.DataFrame) -> None:
    assert tuple(rides.columns) == YELLOW_2019_COLUMNS
    again = generate(20_000, seed=5)
    pd.testing.assert_frame_equal(rides, again)
    assert not generate(500, seed=6).equals(generate(500, seed=5))
    pickup = rides["tpep_pickup_datetime"]
    assert pickup.min() >= pd.Timestamp("2019-01-01") and pickup.max() < pd.Timestamp("2019-07-01")
    assert sorted(pickup.dt.month.unique()) == [1, 2, 3, 4, 5, 6]
    assert pickup.is_monotonic_increasing


def test_start_and_months(rides: pd.DataFrame) -> None:
    frame = generate(300, seed=1, start="2019-03-01", months=1)
    assert set(frame["tpep_pickup_datetime"].dt.month) == {3}


def test_zone_mix_like_2019_yellow_cabs(rides: pd.DataFrame) -> None:
    zones = load_zones()
    borough = rides["PULocationID"].map(lambda i: zones[i].borough)
    share = borough.value_counts(normalize=True)
    assert 0.8 < share["Manhattan"] < 0.95
    airports = rides["PULocationID"].isin([132, 138]).mean()
    assert 0.03 < airports < 0.1
    assert rides["DOLocationID"].nunique() > 150


def test_dirt_is_there_and_cleaning_removes_it(rides: pd.DataFrame, clean: pd.DataFrame) -> None:
    assert (rides["trip_distance"] == 0).sum() > 20
    assert rides["PULocationID"].isin([264, 265]).sum() > 10
    assert 0.97 * len(rides) < len(clean) < len(rides)


def test_rush_hour_slower_than_night(clean: pd.DataFrame) -> None:
    hour = clean["pickup_datetime"].dt.hour
    weekday = clean["pickup_datetime"].dt.day_of_week < 5
    mph = clean["trip_distance"] / (clean["duration"] / 3600)
    rush = mph[weekday & hour.isin([8, 9, 17, 18])].median()
    night = mph[hour.isin([1, 2, 3, 4])].median()
    assert rush < 0.75 * night
    assert 6 < rush < 12 and 12 < night < 25  # mph, as in the 2019 records


def test_duration_grows_with_distance(clean: pd.DataFrame) -> None:
    bins = pd.cut(clean["trip_distance"], [0, 1, 2, 4, 8, 15, 40])
    medians = clean.groupby(bins, observed=True)["duration"].median().to_numpy()
    assert np.all(np.diff(medians) > 0)
    assert np.corrcoef(clean["trip_distance"], clean["duration"])[0, 1] > 0.7
    assert 400 < clean["duration"].median() < 1000  # seconds; the real 2019 median is about 11 minutes


def test_fares_are_consistent(rides: pd.DataFrame) -> None:
    parts = ["fare_amount", "extra", "mta_tax", "tip_amount", "tolls_amount", "improvement_surcharge",
             "congestion_surcharge"]
    assert np.allclose(rides[parts].sum(axis=1), rides["total_amount"], atol=0.011)
    jfk_flat = rides[(rides["RatecodeID"] == 2)]
    assert len(jfk_flat) > 0 and (jfk_flat["fare_amount"] == 52).all()


def test_cli_writes_data_and_synthetic_readme(tmp_path: Path) -> None:
    out = tmp_path / "NYCTaxi" / "synthetic-yellow-2019H1.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "mlops_tui.lab_scripts.synthetic", "--rows", "1500", "--seed", "3",
         "--out", str(out)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "SYNTHETIC" in proc.stdout
    frame = pd.read_csv(out)
    assert len(frame) == 1500 and tuple(frame.columns) == YELLOW_2019_COLUMNS
    readme = out.with_name("synthetic-yellow-2019H1.README.md").read_text()
    assert "SYNTHETIC" in readme and "not real" in readme and "--seed 3" in readme
    assert is_synthetic(out)
    bad = subprocess.run([sys.executable, "-m", "mlops_tui.lab_scripts.synthetic", "--rows", "0",
                          "--out", str(tmp_path / "x.csv")], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--rows" in bad.stderr


def test_is_synthetic_reads_the_readme(tmp_path: Path) -> None:
    data = tmp_path / "trips.csv"
    data.write_text("x\n")
    assert not is_synthetic(data)
    (tmp_path / "trips.README.md").write_text("# trips\nThis data is SYNTHETIC.\n")
    assert is_synthetic(data)
