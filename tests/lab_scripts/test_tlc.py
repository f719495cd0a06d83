"""Reading TLC trip files: both layouts, CSV and Parquet, odd column names, cleaning, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlops_tui.lab_scripts.tlc import OUTPUT_COLUMNS, MissingColumnsError, load_trips
from mlops_tui.lab_scripts.zones import load_zones

ZONE_ROWS = [
    # pickup, dropoff, distance, passengers, PU, DO          kept?
    ("2019-02-12 09:00:00", "2019-02-12 09:20:00", 2.1, 1, 68, 144),     # yes
    ("2019-02-12 23:10:05", "2019-02-12 23:40:00", 17.0, 2, 132, 230),   # yes
    ("2019-02-13 10:00:00", "2019-02-13 10:00:10", 0.5, 1, 68, 144),     # 10 s: too short
    ("2019-02-13 10:00:00", "2019-02-13 14:00:00", 5.0, 1, 68, 144),     # 4 h: too long
    ("2019-02-13 10:00:00", "2019-02-13 10:10:00", 0.0, 1, 68, 144),     # zero distance
    ("2019-02-13 10:00:00", "2019-02-13 09:50:00", 1.0, 1, 68, 144),     # negative duration
    ("2019-02-13 10:00:00", "2019-02-13 10:10:00", 1.0, 1, 264, 144),    # unknown zone
    ("2019-02-13 10:00:00", "2019-02-13 10:10:00", 200.0, 1, 68, 144),   # 200 miles
    ("2019-02-14 08:00:00", "2019-02-14 08:12:00", 1.5, None, 161, 162),  # missing passengers: kept
]


def _zone_frame(pickup: str = "tpep_pickup_datetime", dropoff: str = "tpep_dropoff_datetime",
                pu: str = "PULocationID", do: str = "DOLocationID", prefix: str = "") -> pd.DataFrame:
    cols = [pickup, dropoff, "trip_distance", "passenger_count", pu, do]
    frame = pd.DataFrame(ZONE_ROWS, columns=[prefix + c for c in cols])
    frame.insert(0, prefix + "VendorID", 2)
    frame[prefix + "fare_amount"] = 10.0
    return frame


def _check_zone_result(trips: pd.DataFrame) -> None:
    assert tuple(trips.columns) == OUTPUT_COLUMNS
    assert len(trips) == 3 and trips.attrs["rows"] == len(ZONE_ROWS) and trips.attrs["used_rows"] == 3
    assert trips.attrs["layout"] == "zones"
    zones = load_zones()
    first = trips.iloc[0]
    assert first["duration"] == 1200.0 and first["trip_distance"] == 2.1
    assert (first["pickup_lat"], first["pickup_lon"]) == (zones[68].lat, zones[68].lon)
    assert (first["dropoff_lat"], first["dropoff_lon"]) == (zones[144].lat, zones[144].lon)
    assert list(trips["pu_location_id"]) == [68, 132, 161]
    assert list(trips["passenger_count"]) == [1.0, 2.0, 1.0]
    assert trips["pickup_datetime"].iloc[1] == pd.Timestamp("2019-02-12 23:10:05")


def test_2019_yellow_csv(tmp_path: Path) -> None:
    path = tmp_path / "yellow.csv"
    _zone_frame().to_csv(path, index=False)
    _check_zone_result(load_trips(path))


def test_2019_green_parquet_with_datetimes(tmp_path: Path) -> None:
    frame = _zone_frame("lpep_pickup_datetime", "lpep_dropoff_datetime")
    for col in ("lpep_pickup_datetime", "lpep_dropoff_datetime"):
        frame[col] = pd.to_datetime(frame[col])
    frame["passenger_count"] = frame["passenger_count"].astype("Float64")
    path = tmp_path / "green_tripdata_2019-02.parquet"
    frame.to_parquet(path, index=False)
    _check_zone_result(load_trips(path))


def test_parquet_detected_by_content_and_case_insensitive(tmp_path: Path) -> None:
    frame = _zone_frame().rename(columns=str.upper)
    path = tmp_path / "trips.data"
    frame.to_parquet(path, index=False)
    _check_zone_result(load_trips(path))


def test_workshop_prefixed_lowercase_columns(tmp_path: Path) -> None:
    path = tmp_path / "demodata-small.csv"
    _zone_frame(pu="pulocationid", do="dolocationid", prefix="pqyellowtaxi.").to_csv(path, index=False)
    _check_zone_result(load_trips(path))


def test_older_coordinate_layout(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "vendor_id": ["CMT", "VTS", "VTS", "CMT"],
        "pickup_datetime": ["2014-03-01 08:00:00", "2014-03-01 09:00:00", "2014-03-01 10:00:00",
                            "2014-03-01 11:00:00"],
        "dropoff_datetime": ["2014-03-01 08:15:00", "2014-03-01 09:30:00", "2014-03-01 10:10:00",
                             "2014-03-01 11:05:00"],
        "passenger_count": [1, 3, 1, 1],
        "trip_distance": [2.5, 12.0, 1.0, 1.0],
        "pickup_longitude": [-73.99, -73.78, 0.0, -73.98],    # third: the usual GPS zeros
        "pickup_latitude": [40.75, 40.64, 0.0, 40.76],
        "dropoff_longitude": [-73.97, -73.98, -73.97, -73.96],
        "dropoff_latitude": [40.78, 40.76, 40.78, 40.77],
    })
    csv_path, pq_path = tmp_path / "yellow_2014.csv", tmp_path / "yellow_2014.parquet"
    frame.to_csv(csv_path, index=False)
    frame.to_parquet(pq_path, index=False)
    for path in (csv_path, pq_path):
        trips = load_trips(path)
        assert trips.attrs["layout"] == "coordinates"
        assert len(trips) == 3
        assert list(trips["duration"]) == [900.0, 1800.0, 300.0]
        assert trips["pickup_lat"].tolist() == [40.75, 40.64, 40.76]
        assert trips["pu_location_id"].isna().all()


def test_2009_spelling(tmp_path: Path) -> None:
    path = tmp_path / "yellow_2009-01.csv"
    path.write_text("vendor_name,Trip_Pickup_DateTime,Trip_Dropoff_DateTime,Passenger_Count,"
                    "Trip_Distance,Start_Lon,Start_Lat,End_Lon,End_Lat\n"
                    "VTS,2009-01-04 02:52:00,2009-01-04 03:02:00,1,2.63,-73.991957,40.721567,"
                    "-73.993803,40.695922\n")
    trips = load_trips(path)
    assert trips.attrs["layout"] == "coordinates" and trips["duration"].tolist() == [600.0]


def test_missing_columns_error_names_every_column_and_layouts(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    _zone_frame().drop(columns=["DOLocationID", "trip_distance"]).to_csv(path, index=False)
    with pytest.raises(MissingColumnsError) as info:
        load_trips(path)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.missing == ["trip_distance", "DOLocationID"] and err.layout == "zones"
    message = str(err)
    for text in ("trip_distance", "DOLocationID", "broken.csv", "zones (", "coordinates (",
                 "pickup_longitude"):
        assert text in message


def test_unrelated_file(tmp_path: Path) -> None:
    path = tmp_path / "iris.csv"
    path.write_text("sepal_length,species\n5.1,setosa\n")
    with pytest.raises(MissingColumnsError, match="pickup_datetime"):
        load_trips(path)
    with pytest.raises(FileNotFoundError):
        load_trips(tmp_path / "nope.csv")


def test_unparseable_values_are_dropped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "dirty.csv"
    frame = _zone_frame()
    frame["trip_distance"] = frame["trip_distance"].astype(object)
    frame.loc[0, "trip_distance"] = "n/a"
    frame.loc[1, "tpep_pickup_datetime"] = "yesterday"
    frame.to_csv(path, index=False)
    trips = load_trips(path)
    assert len(trips) == 1 and trips["pu_location_id"].tolist() == [161]
    raw = load_trips(path, clean=False)
    assert len(raw) == len(ZONE_ROWS) and np.isnan(raw["trip_distance"].iloc[0])


def test_custom_zone_table_moves_places(tmp_path: Path) -> None:
    zones = tmp_path / "zones.csv"
    zones.write_text("LocationID,zone,borough,lat,lon\n68,East Chelsea,Manhattan,40.7,-74.0\n"
                     "144,Little Italy/NoLiTa,Manhattan,40.72,-73.99\n")
    path = tmp_path / "yellow.csv"
    _zone_frame().to_csv(path, index=False)
    trips = load_trips(path, zones)
    # zones missing from the table (132, 161 ...) are unknown places and dropped
    assert len(trips) == 1 and trips["pickup_lat"].iloc[0] == 40.7
