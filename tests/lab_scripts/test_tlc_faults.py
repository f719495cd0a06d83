"""The faults of real TLC files (issue 12 §3), each with its right value, and the reasons for every
dropped ride that the preview and the training job share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from mlops_tui.lab_scripts.data_profile import describe, profile
from mlops_tui.lab_scripts.features import FEATURES, frame_to_matrix
from mlops_tui.lab_scripts.tlc import REASONS, load_trips

from .conftest import run_train

HOUR, WEEKDAY = FEATURES.index("hour"), FEATURES.index("weekday")


def _rides(n: int, start: str = "2019-03-04 09:00:00", minutes: int = 12) -> pd.DataFrame:
    """n ordinary Manhattan rides, one every 7 minutes from `start`."""
    pickup = pd.date_range(start, periods=n, freq="7min")
    return pd.DataFrame({
        "VendorID": 2,
        "tpep_pickup_datetime": pickup,
        "tpep_dropoff_datetime": pickup + pd.Timedelta(minutes=minutes),
        "passenger_count": 1,
        "trip_distance": 2.1,
        "PULocationID": 68,
        "DOLocationID": 144,
    })


def test_portal_export_date_format_is_read(tmp_path: Path) -> None:
    """The TLC portal's export writes `01/01/2019 12:07:10 AM`; every ride was dropped before."""
    frame = _rides(60, "2019-01-01 00:07:10")
    for col in ("tpep_pickup_datetime", "tpep_dropoff_datetime"):
        frame[col] = frame[col].dt.strftime("%m/%d/%Y %I:%M:%S %p")
    assert frame["tpep_pickup_datetime"].iloc[0] == "01/01/2019 12:07:10 AM"
    path = tmp_path / "portal-export.csv"
    frame.to_csv(path, index=False)

    trips = load_trips(path)
    assert len(trips) == 60 and trips.attrs["dropped"] == []
    assert trips["pickup_datetime"].iloc[0] == pd.Timestamp("2019-01-01 00:07:10")
    assert trips["pickup_datetime"].iloc[2] == pd.Timestamp("2019-01-01 00:21:10")
    assert trips["duration"].tolist() == [720.0] * 60
    assert frame_to_matrix(trips)[0, HOUR] == 0.0  # 12 AM is midnight


def test_zone_aware_parquet_durations_come_from_instants(tmp_path: Path) -> None:
    """Spark/BigQuery write `timestamp[us, tz=UTC]`: 2019-03-10 06:55Z -> 07:05Z lasts 600 s
    (4,200 s before: the offset was dropped before subtracting, across the spring-forward hour)."""
    frame = _rides(40)
    pickup = pd.to_datetime(["2019-03-10 06:55:00"] + [str(t) for t in frame["tpep_pickup_datetime"][1:]],
                            utc=True)
    dropoff = pd.to_datetime(["2019-03-10 07:05:00"] + [str(t) for t in frame["tpep_dropoff_datetime"][1:]],
                             utc=True)
    table = pa.table({
        "tpep_pickup_datetime": pa.array(pickup, pa.timestamp("us", tz="UTC")),
        "tpep_dropoff_datetime": pa.array(dropoff, pa.timestamp("us", tz="UTC")),
        "passenger_count": frame["passenger_count"], "trip_distance": frame["trip_distance"],
        "PULocationID": frame["PULocationID"], "DOLocationID": frame["DOLocationID"],
    })
    path = tmp_path / "spark-export.parquet"
    pq.write_table(table, path)
    assert str(pq.read_schema(path).field("tpep_pickup_datetime").type) == "timestamp[us, tz=UTC]"

    trips = load_trips(path)
    assert len(trips) == 40
    assert trips["duration"].iloc[0] == 600.0
    # hour and weekday from New York local time: 06:55Z is 01:55 EST on Sunday 10 March
    assert trips["pickup_datetime"].iloc[0] == pd.Timestamp("2019-03-10 01:55:00")
    assert trips["dropoff_datetime"].iloc[0] == pd.Timestamp("2019-03-10 03:05:00")
    x = frame_to_matrix(trips)
    assert (x[0, HOUR], x[0, WEEKDAY]) == (1.0, 0.0)
    # the other rides: 09:00 UTC on a Monday is 04:00 in New York (EST), a weekday
    assert (x[1, HOUR], x[1, WEEKDAY]) == (4.0, 1.0)
    assert trips.attrs["times"].startswith("instants")


def test_local_times_across_the_spring_forward_hour(tmp_path: Path) -> None:
    """The same ride written in New York local time (as the TLC does) also lasts 600 s; a local
    time the clocks skipped is dropped with its own reason."""
    frame = _rides(40).astype({"tpep_pickup_datetime": str, "tpep_dropoff_datetime": str})
    frame.loc[0, ["tpep_pickup_datetime", "tpep_dropoff_datetime"]] = ["2019-03-10 01:55:00",
                                                                        "2019-03-10 03:05:00"]
    frame.loc[1, ["tpep_pickup_datetime", "tpep_dropoff_datetime"]] = ["2019-03-10 02:30:00",
                                                                        "2019-03-10 03:10:00"]
    path = tmp_path / "local.csv"
    frame.to_csv(path, index=False)
    trips = load_trips(path)
    assert trips["duration"].iloc[0] == 600.0 and len(trips) == 39
    (dst,) = trips.attrs["dropped"]
    assert dst["reason"] == "time_dst" and dst["count"] == 1 and dst["example"]["row"] == 2


def test_rides_outside_the_files_period(tmp_path: Path) -> None:
    """A March file holding rides dated 2008-12-31 and 2088-01-24: dropped, and counted as outside
    the file's period (its dominant month); a given period replaces the file's own."""
    frame = _rides(300).astype({"tpep_pickup_datetime": str, "tpep_dropoff_datetime": str})
    frame.loc[100, ["tpep_pickup_datetime", "tpep_dropoff_datetime"]] = ["2008-12-31 23:50:00",
                                                                          "2009-01-01 00:05:00"]
    frame.loc[200, ["tpep_pickup_datetime", "tpep_dropoff_datetime"]] = ["2088-01-24 10:00:00",
                                                                          "2088-01-24 10:20:00"]
    path = tmp_path / "yellow_tripdata_2019-03.csv"
    frame.to_csv(path, index=False)

    trips = load_trips(path)
    assert len(trips) == 298 and trips.attrs["rows"] == 300
    assert trips.attrs["period"] == {"from": "2019-03", "to": "2019-03", "text": "2019-03", "given": False}
    (outside,) = trips.attrs["dropped"]
    assert outside["reason"] == "outside_period" and outside["count"] == 2
    assert outside["text"] == "outside the file's period (2019-03)"
    assert outside["example"]["row"] == 101
    assert outside["example"]["values"]["tpep_pickup_datetime"] == "2008-12-31 23:50:00"
    assert trips["pickup_datetime"].min() >= pd.Timestamp("2019-03-01")

    given = load_trips(path, period="2008-12..2019-03")
    assert len(given) == 299 and given.attrs["period"]["given"] is True
    assert given.attrs["dropped"][0]["example"]["values"]["tpep_pickup_datetime"] == "2088-01-24 10:00:00"
    with pytest.raises(ValueError, match="YYYY-MM"):
        load_trips(path, period="March")


def test_every_dropped_ride_has_one_reason_and_an_example(tmp_path: Path) -> None:
    from .test_tlc import ZONE_ROWS, _zone_frame

    path = tmp_path / "yellow.csv"
    _zone_frame().to_csv(path, index=False)
    trips = load_trips(path)
    dropped = trips.attrs["dropped"]
    assert sum(d["count"] for d in dropped) == len(ZONE_ROWS) - len(trips) == 6
    by_reason = {d["reason"]: d for d in dropped}
    assert set(by_reason) == {"too_short", "too_long", "distance_not_positive", "not_forward",
                              "unknown_zone", "distance_too_long"}
    assert by_reason["too_long"]["example"] == {
        "row": 4, "duration_s": 14400.0, "why": ["tpep_pickup_datetime", "tpep_dropoff_datetime"],
        "values": {"tpep_pickup_datetime": "2019-02-13 10:00:00", "tpep_dropoff_datetime":
                   "2019-02-13 14:00:00", "trip_distance": 5.0, "passenger_count": 1.0,
                   "PULocationID": 68, "DOLocationID": 144}}
    assert by_reason["unknown_zone"]["example"]["values"]["PULocationID"] == 264
    assert [k for k, _ in REASONS].index("not_forward") < [k for k, _ in REASONS].index("too_short")


def test_profile_of_a_gzipped_csv(tmp_path: Path) -> None:
    path = tmp_path / "march.csv.gz"
    frame = _rides(200)
    frame.loc[5, "trip_distance"] = 0.0
    frame.to_csv(path, index=False, compression="gzip")
    prof = profile(path)
    assert (prof["rows"], prof["kept"], prof["dropped_rows"]) == (200, 199, 1)
    assert prof["dropped"][0]["reason"] == "distance_not_positive"
    assert prof["duration_s"]["median"] == 720.0 and prof["distance_miles"]["max"] == 2.1
    assert prof["zones"] == {"pickup": 1, "dropoff": 1, "top_pickup": [[68, "East Chelsea (Manhattan)", 199]]}
    assert prof["pickups"]["first"] == "2019-03-04 09:00:00"
    text = "\n".join(describe(prof))
    assert "1 dropped: distance zero or negative; e.g. row 6: trip_distance=0.0" in text
    assert "rows read 200, rides kept 199, dropped 1" in text


def test_a_dirty_value_late_in_a_big_csv(tmp_path: Path) -> None:
    """pyarrow guesses types from the first block; a text value far below is still read."""
    frame = _rides(60_000, "2019-03-01 00:00:00", minutes=3)
    frame["PULocationID"] = frame["PULocationID"].astype(object)
    frame.loc[59_000, "PULocationID"] = "unknown"
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    trips = load_trips(path)
    assert trips.attrs["rows"] == 60_000
    assert {d["reason"]: d["count"] for d in trips.attrs["dropped"]}.get("unknown_zone") == 1
    assert np.isfinite(trips["pickup_lat"]).all()


def test_training_refuses_too_few_rides_with_the_biggest_reason(code_root: Path, tmp_path: Path) -> None:
    frame = _rides(80)
    frame.loc[10:, "PULocationID"] = 264  # 70 rides from the TLC's "unknown" zone
    path = tmp_path / "mostly-unknown.csv"
    frame.to_csv(path, index=False)
    run = run_train(code_root, path, tmp_path / "job")
    assert run.returncode == 2
    message = run.stderr.strip()
    assert "too few usable rides in mostly-unknown.csv: 10 of 80 kept, at least 50 are needed" in message
    assert "pickup or dropoff zone unknown" in message and "(70 rides)" in message
    assert "e.g. row 11: PULocationID=264, DOLocationID=144" in message
    (data,) = run.of_type("data")
    assert data["dropped"][0]["count"] == 70
    assert "70 dropped: pickup or dropoff zone unknown" in run.stdout
