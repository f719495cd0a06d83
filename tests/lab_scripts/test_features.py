"""One feature function for training and serving; request validation; the input schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mlops_tui.lab_scripts.features import (
    FEATURES,
    INPUT_SCHEMA,
    MAX_FIELD_NAME,
    MAX_FIELDS,
    MAX_RECORDS,
    MAX_TEXT,
    MAX_WARNINGS,
    MAX_ZONE_NAMES,
    WORKSHOP_COLUMNS,
    WORKSHOP_EXAMPLE,
    FieldError,
    frame_to_matrix,
    records_to_matrix,
)
from mlops_tui.lab_scripts.tlc import load_trips
from mlops_tui.lab_scripts.zones import load_zones

RIDES = [  # pickup time, dropoff time, distance, passengers, PU, DO
    ("2019-02-12 09:00:00", "2019-02-12 09:20:00", 2.1, 1, 68, 144),  # Tuesday, work hours
    ("2019-02-16 09:00:00", "2019-02-16 09:20:00", 2.1, 3, 68, 144),  # Saturday
    ("2019-06-07 17:59:00", "2019-06-07 18:40:00", 17.4, 2, 230, 132),  # Friday, last work minute
    ("2019-06-07 18:00:00", "2019-06-07 18:40:00", 17.4, 2, 230, 132),  # Friday, after work
    ("2019-03-31 23:30:00", "2019-04-01 00:05:00", 9.0, 1, 138, 7),  # Sunday night
]


@pytest.fixture(scope="module")
def trip_frame(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("rides") / "rides.csv"
    pd.DataFrame(
        RIDES,
        columns=[
            "tpep_pickup_datetime",
            "tpep_dropoff_datetime",
            "trip_distance",
            "passenger_count",
            "PULocationID",
            "DOLocationID",
        ],
    ).to_csv(path, index=False)
    trips = load_trips(path)
    assert len(trips) == len(RIDES)
    return trips


def _raw(ride: tuple) -> dict[str, Any]:
    return {
        "pickup_datetime": ride[0].replace(" ", "T"),
        "pickup_zone": ride[4],
        "dropoff_zone": ride[5],
        "distance": ride[2],
        "passengers": ride[3],
    }


def test_training_and_serving_rows_are_identical(trip_frame: pd.DataFrame) -> None:
    train_x = frame_to_matrix(trip_frame)
    serve_x, warnings = records_to_matrix([_raw(r) for r in RIDES])
    assert train_x.shape == (len(RIDES), len(FEATURES))
    np.testing.assert_array_equal(train_x, serve_x)
    assert warnings == []
    for i, ride in enumerate(RIDES):  # one at a time too
        one, _ = records_to_matrix(_raw(ride))
        np.testing.assert_array_equal(one[0], train_x[i])


def test_workshop_scoring_args_give_the_same_row(trip_frame: pd.DataFrame) -> None:
    zones = load_zones()
    train_x = frame_to_matrix(trip_frame)
    for i, (pickup, _, distance, passengers, pu, do) in enumerate(RIDES):
        when = pd.Timestamp(pickup)
        args = {
            "start_latitude": zones[pu].lat,
            "start_longitude": zones[pu].lon,
            "end_latitude": zones[do].lat,
            "end_longitude": zones[do].lon,
            "distance": distance,
            "weekday": int(when.day_of_week < 5),
            "hour": when.hour,
            f"month_{when.month}": 1,
            "passengers": passengers,
        }
        x, warnings = records_to_matrix(args)
        np.testing.assert_array_equal(x[0], train_x[i])
        assert warnings == []


def test_derived_values(trip_frame: pd.DataFrame) -> None:
    x = frame_to_matrix(trip_frame)
    col = {name: x[:, i] for i, name in enumerate(FEATURES)}
    assert col["work"].tolist() == [1, 0, 1, 0, 0]
    assert col["weekday"].tolist() == [1, 0, 1, 1, 0]
    assert col["hour"].tolist() == [9, 9, 17, 18, 23]
    assert col["month"].tolist() == [2, 2, 6, 6, 3]
    assert 12 < col["straight_distance"][2] < 15  # Times Square to JFK


def test_workshop_example_work_flag_is_derived_with_a_warning() -> None:
    x, warnings = records_to_matrix(WORKSHOP_EXAMPLE)
    row = dict(zip(FEATURES, x[0], strict=True))
    assert row["work"] == 1 and row["weekday"] == 1 and row["hour"] == 9 and row["month"] == 2
    assert row["distance"] == 8 and row["pickup_lat"] == 40.57689727
    assert len(warnings) == 1 and "work" in warnings[0] and "ignored" in warnings[0]
    consistent, warnings = records_to_matrix({**WORKSHOP_EXAMPLE, "work": 1})
    assert warnings == [] and np.array_equal(consistent, x)
    weekend, warnings = records_to_matrix({**WORKSHOP_EXAMPLE, "weekday": 0})
    assert warnings == [] and weekend[0, 0] == 0


def test_accepted_forms() -> None:
    as_text, _ = records_to_matrix(json.dumps([WORKSHOP_EXAMPLE, WORKSHOP_EXAMPLE]))
    assert as_text.shape == (2, len(FEATURES))
    month_9, _ = records_to_matrix({**WORKSHOP_EXAMPLE, "month_2": 0, "month_9": 1})
    plain, _ = records_to_matrix(
        {k: v for k, v in WORKSHOP_EXAMPLE.items() if not k.startswith("month")} | {"month": 9}
    )
    assert month_9[0, FEATURES.index("month")] == plain[0, FEATURES.index("month")] == 9
    by_name, _ = records_to_matrix(
        {
            "pickup_datetime": "2019-02-12T09:00:00",
            "pickup_zone": "centre market",
            "dropoff_zone": "JFK",
            "distance": 18,
        }
    )
    by_id, _ = records_to_matrix(
        {
            "pickup_datetime": "2019-02-12T09:00:00",
            "pickup_zone": "144",
            "dropoff_zone": 132.0,
            "distance": 18,
        }
    )
    np.testing.assert_array_equal(by_name, by_id)
    coords, _ = records_to_matrix(
        {
            "pickup_datetime": "2019-02-12T09:00:00",
            "pickup_lat": 40.75,
            "pickup_lon": -73.99,
            "dropoff_lat": 40.64,
            "dropoff_lon": -73.78,
            "distance": 17,
        }
    )
    assert coords[0, FEATURES.index("pickup_lat")] == 40.75
    utc, _ = records_to_matrix(
        {"pickup_datetime": "2019-02-12T14:00:00Z", "pickup_zone": 144, "dropoff_zone": 132, "distance": 18}
    )
    assert utc[0, FEATURES.index("hour")] == 9  # New York local time


def test_warnings_for_estimates_and_unknown_fields() -> None:
    x, warnings = records_to_matrix(
        {"pickup_datetime": "2019-02-12T09:00:00", "pickup_zone": 230, "dropoff_zone": 132, "tip": 5}
    )
    assert 15 < x[0, FEATURES.index("distance")] < 20
    assert any("estimated" in w for w in warnings) and any("'tip'" in w for w in warnings)
    _, warnings = records_to_matrix(
        {"pickup_datetime": "2019-02-12T09:00:00", "pickup_zone": 230, "dropoff_zone": 132, "distance": 2}
    )
    assert any("shorter than the straight line" in w for w in warnings)
    _, warnings = records_to_matrix([WORKSHOP_EXAMPLE, {**WORKSHOP_EXAMPLE, "work": 1}])
    assert warnings == [warnings[0]] and warnings[0].startswith("record 0:")


RIDE = {"pickup_datetime": "2019-02-12T09:00:00", "pickup_zone": 68, "dropoff_zone": 144, "distance": 2.1}


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({k: v for k, v in WORKSHOP_EXAMPLE.items() if k != "hour"}, "hour"),
        ({**WORKSHOP_EXAMPLE, "hour": 24}, "hour"),
        ({**WORKSHOP_EXAMPLE, "hour": -1}, "hour"),
        ({**WORKSHOP_EXAMPLE, "hour": 9.5}, "hour"),
        ({**WORKSHOP_EXAMPLE, "hour": "9"}, "hour"),
        ({**WORKSHOP_EXAMPLE, "weekday": 2}, "weekday"),
        ({**WORKSHOP_EXAMPLE, "start_latitude": 48.85}, "start_latitude"),
        ({**WORKSHOP_EXAMPLE, "end_longitude": 2.35}, "end_longitude"),
        ({**WORKSHOP_EXAMPLE, "distance": 0}, "distance"),
        ({**WORKSHOP_EXAMPLE, "distance": 150}, "distance"),
        ({**WORKSHOP_EXAMPLE, "distance": None}, "distance"),
        ({**WORKSHOP_EXAMPLE, "distance": float("nan")}, "distance"),
        ({**WORKSHOP_EXAMPLE, "month_2": 0}, "month_1"),
        ({**WORKSHOP_EXAMPLE, "month_5": 1}, "month_5"),
        ({**WORKSHOP_EXAMPLE, "month_3": "yes"}, "month_3"),
        ({**WORKSHOP_EXAMPLE, "passengers": 12}, "passengers"),
        ({**RIDE, "pickup_datetime": "12/02/2019 9am"}, "pickup_datetime"),
        ({**RIDE, "pickup_datetime": 1549962000}, "pickup_datetime"),
        ({k: v for k, v in RIDE.items() if k != "pickup_datetime"}, "pickup_datetime"),
        ({**RIDE, "pickup_zone": 999}, "pickup_zone"),
        ({**RIDE, "dropoff_zone": "atlantis"}, "dropoff_zone"),
        ({**RIDE, "dropoff_zone": "midtown"}, "dropoff_zone"),
        ({**RIDE, "pickup_zone": 264}, "pickup_zone"),
        ({k: v for k, v in RIDE.items() if k != "dropoff_zone"}, "dropoff_zone"),
        ({**RIDE, "pickup_zone": True}, "pickup_zone"),
        ({**RIDE, "pickup_lat": 40.7}, "pickup_lon"),
        ({**RIDE, "distance": -3}, "distance"),
        ({**RIDE, "hour": 9}, "hour"),
        ({}, "pickup_datetime"),
    ],
)
def test_field_errors_name_the_field(record: dict[str, Any], field: str) -> None:
    with pytest.raises(FieldError) as info:
        records_to_matrix(record)
    assert info.value.field == field
    assert field in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("zone", [[161], {"id": 161}, True, 1.5])
def test_a_zone_that_is_neither_id_nor_name_is_a_field_error(zone: Any) -> None:
    """Found by the batch-equals-one-by-one property: a list as a zone raised TypeError
    ("unhashable type: 'list'"), a 500 instead of a 422 naming the field."""
    ride = dict(RIDE)
    with pytest.raises(FieldError) as info:
        records_to_matrix({**ride, "pickup_zone": zone})
    assert info.value.field == "pickup_zone"
    assert str(info.value) == f"pickup_zone must be a zone id or name, not {json.dumps(zone)}"
    batch = [ride] * 40 + [{**ride, "pickup_zone": zone}]  # COLUMNAR_FROM rides or more: by columns
    with pytest.raises(FieldError) as info:
        records_to_matrix(batch)
    assert info.value.field == "pickup_zone" and info.value.index == 40


@pytest.mark.parametrize("payload", ["{not json", [], 42, [42], "[1, 2]"])
def test_malformed_payloads(payload: Any) -> None:
    with pytest.raises(FieldError) as info:
        records_to_matrix(payload)
    assert info.value.field == "scoring_args"


def test_a_key_given_twice_in_json_text_is_refused() -> None:
    """json kept the last distance of two: the ride scored was not the one meant."""
    text = json.dumps(WORKSHOP_EXAMPLE).replace('"distance":', '"distance": 99, "distance":', 1)
    with pytest.raises(FieldError) as info:
        records_to_matrix(text)
    assert str(info.value) == "scoring_args gives the key 'distance' twice; give each key once"


def test_error_in_a_batch_names_the_record() -> None:
    with pytest.raises(FieldError) as info:
        records_to_matrix([WORKSHOP_EXAMPLE, {**WORKSHOP_EXAMPLE, "hour": 30}])
    assert info.value.field == "hour" and info.value.index == 1 and "record 1" in str(info.value)


def test_input_schema_describes_the_form() -> None:
    schema = json.loads(json.dumps(INPUT_SCHEMA))  # JSON-able
    fields = {f["name"]: f for f in schema["fields"]}
    assert {"pickup_datetime", "pickup_zone", "dropoff_zone", "distance", "passengers"} <= set(fields)
    assert fields["pickup_datetime"]["required"] is True
    zone = fields["pickup_zone"]
    assert zone["enum"] == list(range(1, 264)) and len(zone["enum_labels"]) == 263
    assert zone["enum_labels"][143] == "Little Italy/NoLiTa (Manhattan)"
    assert fields["distance"]["min"] == 0 and fields["distance"]["max"] == 150
    for f in schema["fields"]:
        assert {"name", "type", "required", "description"} <= set(f)
        assert f["type"] in ("string", "integer", "number")
    workshop = {f["name"] for f in schema["scoring_args"]["fields"]}
    assert {"work", "start_latitude", "hour", "month_1", "month_6"} <= workshop
    records_to_matrix(schema["example"])  # the examples are valid requests
    records_to_matrix(schema["scoring_args"]["example"])


def test_import_is_light() -> None:
    code = (
        "import sys, mlops_tui.lab_scripts.features, mlops_tui.lab_scripts.zones; "
        "bad = [m for m in ('pandas', 'xgboost', 'textual', 'pyarrow') if m in sys.modules]; "
        "assert not bad, bad"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_lab_code_is_self_contained() -> None:
    """Relative imports only, nothing from the app, no Textual, no scikit-learn."""
    import ast

    from mlops_tui import lab_scripts

    allowed = {
        "argparse",
        "csv",
        "collections",
        "ctypes",
        "dataclasses",
        "datetime",
        "difflib",
        "functools",
        "hashlib",
        "gzip",
        "importlib",
        "io",
        "itertools",
        "json",
        "math",
        "operator",
        "os",
        "pathlib",
        "re",
        "sys",
        "threading",
        "time",
        "typing",
        "zoneinfo",
        "__future__",
        "numpy",
        "pandas",
        "pyarrow",
        "xgboost",
        "msgspec",
    }  # (optional: typed_rides; test_typed_rides runs the code without it)
    for path in Path(lab_scripts.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] if node.level == 0 else []
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


class _CountingZones:
    """A zone table that counts every lookup (to show that a refused request did no matching)."""

    def __init__(self) -> None:
        self.table = load_zones()
        self.lookups = 0

    def resolve(self, value: Any) -> Any:
        self.lookups += 1
        return self.table.resolve(value)


def test_a_huge_zone_name_is_refused_before_any_matching() -> None:
    """Issue 8 §5: a 100,000-word pickup_zone blocked the server for 9 s; now a 422 at once."""
    zones = _CountingZones()
    ride = {**RIDE, "pickup_zone": " ".join(["ab"] * 100_000)}
    with pytest.raises(FieldError) as info:
        records_to_matrix(ride, zones)  # type: ignore[arg-type]
    assert info.value.field == "pickup_zone" and f"at most {MAX_TEXT}" in str(info.value)
    assert zones.lookups == 0
    assert len(str(info.value)) < 200  # the message never echoes the input


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ([RIDE] * (MAX_RECORDS + 1), "scoring_args", f"at most {MAX_RECORDS}"),
        ({**RIDE, **{f"x{i}": 1 for i in range(MAX_FIELDS)}}, "scoring_args", f"at most {MAX_FIELDS}"),
        ({**RIDE, "k" * (MAX_FIELD_NAME + 1): 1}, "scoring_args", f"at most {MAX_FIELD_NAME}"),
        ({**RIDE, "pickup_datetime": "2019-02-12T09:00:00" + " " * 100}, "pickup_datetime", "at most"),
        ({**RIDE, "notes": "n" * 10_000}, "notes", "at most"),  # unknown fields are bounded too
        ({**WORKSHOP_EXAMPLE, "hour": "9" * 5_000}, "hour", "at most"),
    ],
)
def test_every_size_is_bounded(payload: Any, field: str, words: str) -> None:
    zones = _CountingZones()
    with pytest.raises(FieldError) as info:
        records_to_matrix(payload, zones)  # type: ignore[arg-type]
    assert info.value.field == field and words in str(info.value)
    assert zones.lookups == 0 and len(str(info.value)) < 200


def test_zone_names_by_text_are_bounded_per_request() -> None:
    names = [z.zone for z in load_zones().located()[: MAX_ZONE_NAMES + 1]]  # exact names resolve
    rides = [{**RIDE, "pickup_zone": n, "dropoff_zone": 144} for n in names[:MAX_ZONE_NAMES]]
    matrix, _ = records_to_matrix(rides * 3)  # repeated names are matched once
    assert matrix.shape[0] == 3 * MAX_ZONE_NAMES
    more = [*rides, {**RIDE, "pickup_zone": names[-1]}]
    with pytest.raises(FieldError) as info:
        records_to_matrix(more)
    assert info.value.field == "pickup_zone" and info.value.index == MAX_ZONE_NAMES
    assert "zone ids" in str(info.value)
    by_id = [{**RIDE, "pickup_zone": i, "dropoff_zone": 144} for i in range(1, 200)]
    assert records_to_matrix(by_id)[0].shape[0] == 199  # ids are not limited


def test_warnings_are_capped() -> None:
    rides = [{**RIDE, **{f"extra{j}": 1 for j in range(20)}} for _ in range(50)]
    _, warnings = records_to_matrix(rides)
    assert len(warnings) == MAX_WARNINGS and warnings[-1].endswith("more warnings")


def test_importing_the_rules_does_not_import_numpy() -> None:
    """The TUI's prediction form checks fields with these rules and stays open for hours: numpy
    (about 20 MB resident) loads only where a matrix is computed (issue 9's footprint)."""
    probe = "import sys, mlops_tui.lab_scripts.features; print('numpy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "False", done.stderr


@pytest.mark.parametrize(
    ("record", "said"),
    [
        ({**WORKSHOP_EXAMPLE, "hour": "9"}, 'hour must be a number, got string "9"'),
        ({**WORKSHOP_EXAMPLE, "distance": [2.1]}, "distance must be a number, got array [2.1]"),
        (
            {**RIDE, "pickup_datetime": 1549962000},
            "pickup_datetime must be an ISO 8601 string, got number 1549962000",
        ),
        ({**RIDE, "pickup_datetime": "it's 9"}, 'pickup_datetime is not an ISO 8601 date-time: "it\'s 9"'),
        ({**WORKSHOP_EXAMPLE, "month_3": "yes"}, 'month_3 must be 0 or 1, got "yes"'),
    ],
)
def test_a_refused_value_is_shown_as_the_json_the_client_sent(record: dict[str, Any], said: str) -> None:
    """Python's notation ('9', None, str) is not what a client sent (issue 13 tester, item 7)."""
    with pytest.raises(FieldError) as info:
        records_to_matrix(record)
    assert said in str(info.value), str(info.value)


def test_an_integer_out_of_range_is_quoted_as_sent_not_as_a_float() -> None:
    """The tester's case: ``"hour": 99999999999999999999999999999999`` was refused with "got
    100000000000000005366162204393472", the float the integer became, not what was sent."""
    ride = dict(WORKSHOP_EXAMPLE, hour=99999999999999999999999999999999)
    with pytest.raises(FieldError) as refused:
        records_to_matrix([ride], load_zones())
    assert str(refused.value) == "record 0: hour must be between 0 and 23, got 99999999999999999999999…"


def test_json_text_after_a_utf8_byte_order_mark_is_read() -> None:
    """The prediction server ignores the mark (RFC 8259 §8.1); the scoring code refused the same
    text given to it directly: "Unexpected UTF-8 BOM (decode using utf-8-sig)". Two are refused."""
    text = json.dumps(WORKSHOP_EXAMPLE)
    expected = records_to_matrix(text)[0]
    assert np.array_equal(records_to_matrix("\ufeff" + text)[0], expected)
    assert np.array_equal(records_to_matrix(b"\xef\xbb\xbf" + text.encode())[0], expected)
    with pytest.raises(FieldError) as info:
        records_to_matrix("\ufeff\ufeff" + text)
    assert info.value.field == "scoring_args"


READ = "(field names are read without case and spaces); give it once"


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        (
            {"Hour": 3},
            "hour",
            f'hour is given twice, as "hour" and "Hour" {READ}',
        ),
        (
            {" hour": 3},
            "hour",
            f'hour is given twice, as "hour" and " hour" {READ}',
        ),
        (
            {"DISTANCE": 30},
            "distance",
            f'distance is given twice, as "distance" and "DISTANCE" {READ}',
        ),
        (
            {"trip_distance": "x"},
            "trip_distance",
            "distance and trip_distance are one field under two names; give one of them",
        ),
        (
            {"trip_distance": -5},
            "trip_distance",
            "distance and trip_distance are one field under two names; give one of them",
        ),
        (
            {"passengers": 2, "passenger_count": 5},
            "passenger_count",
            "passengers and passenger_count are one field under two names; give one of them",
        ),
    ],
)
def test_a_field_given_twice_under_two_spellings_is_refused(
    extra: dict[str, Any], field: str, message: str
) -> None:
    """``{"hour": 9, "Hour": 3}`` was read as hour 3 with no word (names are read without case and
    spaces: the last won); ``distance`` beside ``trip_distance: "x"`` ignored the second silently.
    One ride, a few (checked ride by ride) and a batch (checked by columns) alike."""
    ride = {**WORKSHOP_EXAMPLE, **extra}
    for rides, index in ((ride, None), ([WORKSHOP_EXAMPLE, ride], 1), ([WORKSHOP_EXAMPLE] * 7 + [ride], 7)):
        with pytest.raises(FieldError) as err:
            records_to_matrix(rides)
        assert (err.value.field, err.value.index) == (field, index)
        assert str(err.value) == (message if index is None else f"record {index}: {message}")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (40.39999999999999, "40.39999999999999"),
        (1e308, "1e+308"),
        (1.0000000000000002, "1.0000000000000002"),
        (41.5, "41.5"),
        (12.0, "12"),
    ],
)
def test_a_value_out_of_range_is_shown_as_it_is(value: float, shown: str) -> None:
    """40.39999999999999 was shown as "got 40.4" (the bound itself), 1e308 by its 309 digits and
    1.0000000000000002 as "got 1"."""
    for rides in (
        {**WORKSHOP_EXAMPLE, "start_latitude": value},
        [{**WORKSHOP_EXAMPLE, "start_latitude": value}] * 7,
    ):
        with pytest.raises(FieldError) as err:
            records_to_matrix(rides)
        assert str(err.value).endswith(
            f"start_latitude must be between 40.4 and 41 (within the New York City area), got {shown}"
        ), str(err.value)


def test_a_ride_posted_as_f0_to_f13_is_named_by_the_keys_sent() -> None:
    """``f7: 7.5`` was refused as ``scoring_args[1].hour``, a key the client never sent, and the
    warning that maps f0..f13 to names comes only with an answer."""
    posted = {f"f{i}": WORKSHOP_EXAMPLE[name] for i, name in enumerate(WORKSHOP_COLUMNS)}
    bad = {**posted, "f7": 7.5}
    said = "f7 (read as hour, the workshop's column order f0..f13): hour must be a whole number, got 7.5"
    for rides, index in ((bad, None), ([posted, bad], 1), ([posted] * 6 + [bad], 6)):
        with pytest.raises(FieldError) as err:
            records_to_matrix(rides)
        assert (err.value.field, err.value.index) == ("f7", index)
        assert str(err.value) == (said if index is None else f"record {index}: {said}")
    # rides sent by name keep their names, whatever warnings rides before them had
    named = {**WORKSHOP_EXAMPLE, "distance": 0.5}  # shorter than the straight line: a warning
    with pytest.raises(FieldError) as err:
        records_to_matrix([named, {**WORKSHOP_EXAMPLE, "hour": 7.5}])
    assert err.value.field == "hour"
