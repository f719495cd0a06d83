"""Batches checked by columns give exactly what checking ride by ride gives (issue 10, part 6).

`columnar.validate` is a faster route to the same answer: every batch of rides drawn here, valid or
not, must give the same feature matrix and warnings, or the same error (field, ride, message), as
`features.parse_record` applied ride by ride.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mlops_tui.lab_scripts import columnar, features
from mlops_tui.lab_scripts.features import WORKSHOP_EXAMPLE, FieldError, records_to_matrix
from mlops_tui.lab_scripts.zones import load_zones

ZONES = load_zones()
RIDE = {"pickup_datetime": "2019-02-12T09:00:00", "pickup_zone": 68, "dropoff_zone": 144,
        "distance": 2.1, "passengers": 1}

# For each field: values valid on their own (some giving warnings), and values wrong in every way a
# client can send them. A batch is rides of valid values with up to three wrong ones put in.
ODD = [None, True, False, "9", "", "x" * 65, [1], {"a": 1}, float("nan"), float("inf"), 10**400, -1]
WORKSHOP_VALID: dict[str, list[Any]] = {
    "work": [0, 1, 1.0, True, False],
    "start_latitude": [40.57689727, 40.4, 41.0, 40.75, 40.401],
    "start_longitude": [-73.99047356, -74.35, -73.6, -73.95],
    "end_latitude": [40.72058154, 40.7, 40.8, 41],
    "end_longitude": [-73.99740673, -73.9, -73.8, -74.1],
    "distance": [8, 0.1, 149.9, 1, 30, 3.3, 11.5],
    "weekday": [1, 0, True, 0.0],
    "hour": [9, 0, 23, 17, 18, 7.0, 8],
    "month_1": [0], "month_2": [1], "month_3": [0], "month_4": [0], "month_5": [0], "month_6": [0],
    "month": [2],
    "passengers": [1, 0, 9, 2.0, None],
    "notes": ["a note", "n" * 64, 3],
}
WORKSHOP_WRONG: dict[str, list[Any]] = {
    "work": [2, 0.5], "start_latitude": [39.0, 40.39], "start_longitude": [0, -74.36],
    "end_latitude": [42], "end_longitude": [-73.5], "distance": [150, 0, -0.0],
    "weekday": [2, -1], "hour": [24, 7.5, -1], "month_1": [1, 2], "month_2": [0, 0.5],
    "month_3": [1], "month": [13, 3, 2.5], "passengers": [10, 1.5], "notes": ["n" * 65],
}
RAW_VALID: dict[str, list[Any]] = {
    "pickup_datetime": ["2019-02-12T09:00:00", "2019-06-07 17:59:00", "2019-03-31T23:30:00-04:00",
                        " 2019-01-05T03:00 "],
    "pickup_zone": [68, 132, "68", 68.0, "JFK Airport", "jfk", 1, 263],
    "dropoff_zone": [144, 7, "Centre Market", 1, 230],
    "distance": [2.1, 17.4, 0.01, 0.5, None, 60],
    "passengers": [1, 3, None, 9],
    "trip_distance": [2.0, None],
    "pickup_lat": [40.7, 40.75], "pickup_lon": [-73.9, -73.95],
}
RAW_WRONG: dict[str, list[Any]] = {
    "pickup_datetime": ["2019-02-30T09:00:00", "yesterday", 20190212],
    "pickup_zone": ["midtown", 264, 0, 999, 68.5], "dropoff_zone": [264, "nowhere at all"],
    "distance": [150, -1], "passengers": [10, 2.5], "trip_distance": [-1],
    "pickup_lat": [42], "pickup_lon": [-70],
}


def _one_by_one(rides: Any) -> Any:
    """What records_to_matrix gives when no batch is checked by columns (nor a few rides by
    their field order's plan)."""
    original, few = columnar.validate, columnar.validate_few
    columnar.validate = columnar.validate_few = lambda *_: columnar.NOT_HANDLED
    try:
        return _outcome(rides)
    finally:
        columnar.validate, columnar.validate_few = original, few


def _outcome(rides: Any) -> Any:
    try:
        matrix, warnings = records_to_matrix(rides, ZONES)
    except FieldError as exc:
        return ("error", exc.field, exc.index, str(exc))
    return ("ok", matrix.tobytes(), warnings)


def _batches(valid: dict[str, list[Any]], wrong: dict[str, list[Any]],
             base: dict[str, Any]) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Batches of 6-40 rides with one set of fields (the base ride's, or drawn), of valid values
    with up to three values put in from all the values there are, wrong ones included."""

    def batch(keys: list[str]) -> st.SearchStrategy[list[dict[str, Any]]]:
        ride = st.fixed_dictionaries({k: st.sampled_from(valid[k]) for k in keys})
        rides = st.lists(ride, min_size=1, max_size=40)
        changes = st.lists(st.tuples(st.integers(0, 39), st.sampled_from(keys),
                                     st.sampled_from(ODD)),
                           max_size=3)
        return st.tuples(rides, changes, st.randoms(use_true_random=False)).map(_apply(wrong))

    fields = st.lists(st.sampled_from(sorted(valid)), unique=True, min_size=1, max_size=len(valid))
    return st.one_of(st.just(list(base)), st.just(list(base)), fields).flatmap(batch)


def _apply(wrong: dict[str, list[Any]]) -> Any:
    def put(drawn: tuple[list[dict[str, Any]], list[tuple[int, str, Any]], Any]) -> list[dict[str, Any]]:
        rides, changes, rnd = drawn
        rides = [dict(r) for r in rides]
        for row, key, odd in changes:
            pool = [*wrong.get(key, []), odd]
            rides[row % len(rides)][key] = rnd.choice(pool)
        return rides

    return put


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_batches(WORKSHOP_VALID, WORKSHOP_WRONG, WORKSHOP_EXAMPLE))
def test_workshop_batches_by_columns_equal_one_by_one(rides: list[dict[str, Any]]) -> None:
    assert _outcome(rides) == _one_by_one(rides)
    if len(rides) < features.COLUMNAR_FROM:  # a few rides, and one sent as an object
        assert _outcome(rides[0]) == _one_by_one(rides[0])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_batches(RAW_VALID, RAW_WRONG, RIDE))
def test_ride_batches_by_columns_equal_one_by_one(rides: list[dict[str, Any]]) -> None:
    assert _outcome(rides) == _one_by_one(rides)


def test_a_uniform_batch_is_checked_by_columns() -> None:
    """The fast route is really taken (a test of equal answers proves nothing if it never is)."""
    rides = [dict(WORKSHOP_EXAMPLE, hour=h) for h in range(24)]
    checked = columnar.validate(rides, features._RequestZones(ZONES))
    assert isinstance(checked, tuple)
    assert columnar.validate([*rides, dict(RIDE)], features._RequestZones(ZONES)) is columnar.NOT_HANDLED
    bad = [*rides[:10], {**WORKSHOP_EXAMPLE, "hour": 30}, *rides[:10]]
    assert columnar.validate(bad, features._RequestZones(ZONES)) == 10


def test_a_few_workshop_rides_are_checked_by_their_plan() -> None:
    """The plain-Python route for a few rides is really taken, and hands errors to parse_record."""
    ride = dict(WORKSHOP_EXAMPLE)
    checked = columnar.validate_few([ride], single=True)
    assert isinstance(checked, tuple)
    assert checked[1] == [
        "ignored work=0: work is derived from weekday and hour (weekday=1, hour=9 gives work=1)"]
    np.testing.assert_array_equal(checked[0], records_to_matrix([ride], ZONES)[0])
    assert columnar.validate_few([ride, {**ride, "hour": 24}], single=False) == 1
    assert columnar.validate_few([{**ride, "weekday": True}], single=True) is columnar.NOT_HANDLED
    with pytest.raises(FieldError, match="record 1: hour must be between 0 and 23"):
        records_to_matrix([ride, {**ride, "hour": 24}], ZONES)


def test_the_first_failing_ride_is_named_whatever_check_finds_it() -> None:
    rides = [dict(RIDE) for _ in range(20)]
    rides[12]["pickup_zone"] = 999  # found by the zone lookups
    rides[7]["distance"] = "far"  # found by the type check of another column
    with pytest.raises(FieldError) as info:
        records_to_matrix(rides, ZONES)
    assert info.value.index == 7 and info.value.field == "distance"


def test_ten_thousand_rides_and_one_more() -> None:
    rides = [dict(WORKSHOP_EXAMPLE, work=1)] * features.MAX_RECORDS
    matrix, warnings = records_to_matrix(rides, ZONES)
    assert matrix.shape == (features.MAX_RECORDS, len(features.FEATURES)) and warnings == []
    np.testing.assert_array_equal(matrix[0], records_to_matrix(rides[0], ZONES)[0][0])
    with pytest.raises(FieldError, match="at most 10000"):
        records_to_matrix([*rides, rides[0]], ZONES)


def test_a_distance_not_given_is_estimated_as_one_by_one() -> None:
    """Found merging issue 10 with issue 11's one estimate (places.estimate_miles, rounded to 0.1
    mile): a batch checked by columns estimated 2.16 miles where one ride alone got 2.2, so the same
    ride's prediction depended on the size of the batch it came in."""
    rides = [dict(RIDE) for _ in range(features.COLUMNAR_FROM)] + [dict(RIDE, distance=None)]
    assert columnar.validate(rides, features._RequestZones(ZONES)) is not columnar.NOT_HANDLED
    outcome = _outcome(rides)
    assert outcome == _one_by_one(rides)
    note = f"record {len(rides) - 1}: distance not given: estimated 2.2 miles"
    assert any(w.startswith(note) for w in outcome[2]), outcome[2]


def test_plans_are_kept_for_a_bounded_number_of_field_orders() -> None:
    """Field orders come from clients: a client sending many keeps at most _PLANS_KEPT plans,
    and every batch is still checked right."""
    rng = np.random.default_rng(5)
    keys = list(WORKSHOP_EXAMPLE)
    for _ in range(3 * columnar._PLANS_KEPT):
        order = [keys[i] for i in rng.permutation(len(keys))]
        rides = [{k: WORKSHOP_EXAMPLE[k] for k in order} for _ in range(features.COLUMNAR_FROM)]
        assert _outcome(rides) == _one_by_one(rides)
        assert len(columnar._PLANS) <= columnar._PLANS_KEPT
