"""Batch validation by columns: the same checks as `features.parse_record`, a column at a time.

Why: a batch of rides was validated one record at a time in pure Python, about 11 µs per ride
(100 rides cost ten times the model call itself). Here a batch whose rides all carry the same
fields is checked column by column with numpy, about 1 µs per ride at 100 rides and 0.7 at
10,000 (benchmarks/README.md, serving.py). When every value is a number (the workshop form as
clients send it) the batch is one matrix, checked in one comparison with bounds made once per
field order (`_Plan`); a few such rides (below `features.COLUMNAR_FROM`) are checked against the
same plan in plain Python (`validate_few`), where numpy's cost per call would be most of the work.

The rules stay in one place. This module only answers "every ride valid: here is the feature matrix and
the warnings" or "ride i is the first one that fails some check"; the error itself, with its
message and field, always comes from `features.parse_record` run on that one ride. Warnings are
built with the same words and in the same order as `parse_record` builds them. Anything this
module does not handle (rides with different fields, field names not in canonical form, a mix of
ride forms) returns NOT_HANDLED and the caller validates record by record.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np

from . import features as f
from .places import DETOUR, estimate_miles

NOT_HANDLED = None

#: Each ride's warnings by its index; only rides with a warning have an entry (most have none, and
#: a list per ride cost more than the checks of its fields).
Notes = defaultdict[int, list[str]]

_NUMBER = {int, float}
_FLAG = {int, float, bool}
_MONTHS = tuple(f._MONTH_KEYS.items())  # (name, month) in month order, as features.month checks them


class _FirstBad:
    """The lowest index of a failing ride seen so far (None: none failed)."""

    def __init__(self) -> None:
        self.index: int | None = None

    def note(self, index: int | None) -> None:
        if index is not None and (self.index is None or index < self.index):
            self.index = index

    def mask(self, bad: np.ndarray) -> None:
        if bad.any():
            self.note(int(np.argmax(bad)))


def validate(rides: Sequence[Any], zones: Any) -> tuple[np.ndarray, list[str]] | int | None:
    """The feature matrix (`features.feature_columns` of the rides) and the warnings; or the index
    of the first failing ride; or NOT_HANDLED when the batch is not uniform enough to be checked by
    columns."""
    first = rides[0]
    if type(first) is not dict or not first or len(first) > f.MAX_FIELDS:
        return NOT_HANDLED
    keys = first.keys()
    for key in keys:
        if type(key) is not str or len(key) > f.MAX_FIELD_NAME or key != key.strip().lower():
            return NOT_HANDLED
    width = len(keys)
    if set(map(type, rides)) != {dict} or set(map(len, rides)) != {width} or f.both_names(keys):
        return NOT_HANDLED
    cols = _columns(rides, keys)
    if cols is None:
        return NOT_HANDLED
    if isinstance(cols, np.ndarray):  # every value a number: the workshop form, checked in one pass
        plan = _plan(tuple(keys))
        if plan is not None:
            return _numeric_workshop(cols, plan)
        cols = dict(zip(keys, cols.T, strict=True))
    raw = f._RAW_KEYS & keys
    workshop = f._WORKSHOP_KEYS & keys
    if raw and workshop:
        return NOT_HANDLED
    bad = _FirstBad()
    known = f._RAW_KEYS | f._WORKSHOP_KEYS | f._COMMON_KEYS
    unknown = [k for k in keys if k not in known]
    if workshop:
        out = _workshop(cols, len(rides), bad)
    elif raw:
        out = _ride(cols, len(rides), zones, bad)
    else:
        return 0  # neither form: parse_record names what is missing
    for key in keys - _read(cols, bool(workshop)):  # bounded like every text (features._check_sizes)
        if not isinstance(cols[key], np.ndarray):
            too_long = (i for i, v in enumerate(cols[key]) if type(v) is str and len(v) > f.MAX_TEXT)
            bad.note(next(too_long, None))
    if bad.index is not None:
        return bad.index
    assert out is not None
    columns, straight, notes = out
    if unknown:
        extra = [f"ignored unknown field '{k}'" for k in unknown]
        for i in range(len(rides)):
            notes[i].extend(extra)
    warnings = [f"record {i}: {n}" for i in sorted(notes) for n in notes[i]]
    return f.feature_columns(*columns, straight=straight), warnings


def _columns(rides: Sequence[dict[str, Any]], keys: Any) -> dict[str, Any] | np.ndarray | None:
    """Each field's values by name (rides of the same width, each with the first ride's fields,
    have the same fields); None when they have not. When every value is an int or a float (the
    workshop form) the rides are one float64 matrix (n x fields, in ``keys`` order), made in one
    step."""
    try:
        get = itemgetter(*keys)
        table = list(map(get, rides)) if len(keys) > 1 else [(get(r),) for r in rides]
    except KeyError:
        return None
    if set(map(type, chain.from_iterable(table))) <= _NUMBER:
        try:  # fromiter: a flat pass, about half the time of np.array's nested one (100 rides: 22 µs, not 50)
            flat = np.fromiter(chain.from_iterable(table), np.float64, len(table) * len(keys))
            return flat.reshape(len(table), len(keys))
        except OverflowError:  # an integer beyond a float's range: checked value by value
            pass
    return dict(zip(keys, map(list, zip(*table, strict=True)), strict=True))


# --------------------------------------------------------------------------- all numbers, one pass

@dataclass(frozen=True)
class _Plan:
    """How to check a batch of workshop rides whose values are all numbers, by its field names
    (made once per field order): each column's bounds, inclusive (an exclusive bound moved by one
    float step: ``lo < x`` is ``x >= nextafter(lo, inf)`` for every float), which columns must be
    whole numbers, and where each field the features need is."""

    low: np.ndarray
    high: np.ndarray
    whole: np.ndarray  # bool per column
    distance_name: str
    distance: int
    places: tuple[int, int, int, int]  # start_latitude, start_longitude, end_latitude, end_longitude
    hour: int
    weekday: int
    months: list[int]  # columns of the month_N given
    month_numbers: np.ndarray  # their N
    month: int | None  # the column of ``month``
    work: int | None
    passengers: int | None
    unknown: list[str]
    rules: list[tuple[float, float, bool]]  # (low, high, whole number) per field, for plain Python
    month_columns: list[tuple[int, int]]  # (column, N) of each month_N given


_PLANS: dict[tuple[str, ...], _Plan | None] = {}
_PLANS_KEPT = 64  # field orders remembered (they come from clients: bounded)
_UNKNOWN: Any = object()


def _plan(keys: tuple[str, ...]) -> _Plan | None:
    """The plan of a workshop batch with these fields; None when they are not the workshop form
    with every required field, or not in canonical form, or too many (the checks ride by ride
    then name what is missing, mixed or too long)."""
    plan = _PLANS.get(keys, _UNKNOWN)  # (one lookup: a batch validated in a thread may race a clear())
    if plan is not _UNKNOWN:
        return plan
    plan = _make_plan(keys)
    if len(_PLANS) >= _PLANS_KEPT:
        _PLANS.clear()
    _PLANS[keys] = plan
    return plan


def _make_plan(keys: tuple[str, ...]) -> _Plan | None:
    if len(keys) > f.MAX_FIELDS or not all(
        type(k) is str and len(k) <= f.MAX_FIELD_NAME and k == k.strip().lower() for k in keys
    ):
        return None
    given = set(keys)
    if f._RAW_KEYS & given or not f._WORKSHOP_KEYS & given or f.both_names(given):
        return None
    name = next((k for k in ("distance", "trip_distance") if k in given), None)
    required = ("start_latitude", "start_longitude", "end_latitude", "end_longitude", "weekday", "hour")
    if name is None or not all(k in given for k in required):
        return None
    passengers = _passengers_name(given)
    # (low, high, whole number, exclusive) of each field read; any other number is only counted
    lat, lon = f.LAT_RANGE, f.LON_RANGE
    rules: dict[str, tuple[float, float, bool, bool]] = {
        "start_latitude": (*lat, False, False), "start_longitude": (*lon, False, False),
        "end_latitude": (*lat, False, False), "end_longitude": (*lon, False, False),
        name: (0, f.MAX_DISTANCE, False, True), "hour": (0, 23, True, False),
        "weekday": (0, 1, True, False), "work": (0, 1, True, False), "month": (1, 12, True, False),
        **{k: (0, 1, True, False) for k in f._MONTH_KEYS},
    }
    if passengers is not None:
        rules[passengers] = (0, f.MAX_PASSENGERS, True, False)
    low: list[float] = []
    high: list[float] = []
    whole: list[bool] = []
    for key in keys:
        lo, hi, integer, exclusive = rules.get(key, (-math.inf, math.inf, False, False))
        low.append(math.nextafter(lo, math.inf) if exclusive else float(lo))
        high.append(math.nextafter(hi, -math.inf) if exclusive else float(hi))
        whole.append(integer)
    at = {k: i for i, k in enumerate(keys)}
    months = [(at[k], m) for k, m in _MONTHS if k in at]
    known = f._RAW_KEYS | f._WORKSHOP_KEYS | f._COMMON_KEYS
    return _Plan(
        np.array(low, dtype=np.float64), np.array(high, dtype=np.float64), np.array(whole, dtype=bool),
        name, at[name],
        (at["start_latitude"], at["start_longitude"], at["end_latitude"], at["end_longitude"]),
        at["hour"], at["weekday"], [c for c, _ in months],
        np.array([m for _, m in months], dtype=np.float64), at.get("month"), at.get("work"),
        at.get(passengers) if passengers is not None else None, [k for k in keys if k not in known],
        list(zip(low, high, whole, strict=True)), months,
    )


def _numeric_workshop(x: np.ndarray, plan: _Plan) -> tuple[np.ndarray, list[str]] | int:
    """`_workshop` for rides whose values are all numbers (``x``: n x fields): every column's
    range and whole-number checks in one comparison of the matrix; the index of the first failing
    ride, or the feature matrix and warnings."""
    wrong = (x < plan.low) | (x > plan.high)
    wrong |= plan.whole & (x != np.floor(x))
    bad = wrong.any(axis=1)
    flags = x[:, plan.months]
    chosen_count = flags.sum(axis=1)
    chosen_month = flags @ plan.month_numbers
    if plan.month is not None:  # `features._Parser.month`: month, agreeing with any month_N set to 1
        month = x[:, plan.month]
        bad |= (chosen_count > 0) & ~((chosen_count == 1) & (chosen_month == month))
    else:  # exactly one month_N set to 1
        month = chosen_month
        bad |= chosen_count != 1
    if bad.any():
        return int(np.argmax(bad))
    plat, plon, dlat, dlon = (x[:, c] for c in plan.places)
    distance, hour, weekday = x[:, plan.distance], x[:, plan.hour], x[:, plan.weekday]
    notes: Notes = defaultdict(list)
    straight = _short_distance(plan.distance_name, distance, plat, plon, dlat, dlon, notes)
    if plan.work is not None:
        _work_notes(x[:, plan.work], weekday, hour, notes)
    passengers = x[:, plan.passengers] if plan.passengers is not None else 1.0
    if plan.unknown:
        extra = [f"ignored unknown field '{k}'" for k in plan.unknown]
        for i in range(len(x)):
            notes[i].extend(extra)
    warnings = [f"record {i}: {n}" for i in sorted(notes) for n in notes[i]]
    matrix = f.feature_columns(weekday, hour, month, distance, plat, plon, dlat, dlon, passengers,
                               straight=straight)
    return matrix, warnings


def validate_workshop_matrix(x: np.ndarray) -> tuple[np.ndarray, list[str]] | int:
    """`validate` for rides of exactly the workshop's fields (`features.WORKSHOP_COLUMNS`), every
    value a number, given as their matrix (n x 14, in that order: `typed_rides.matrix`)."""
    plan = _plan(f.WORKSHOP_COLUMNS)
    assert plan is not None  # (the workshop's own fields are the workshop form)
    return _numeric_workshop(x, plan)


def validate_few(rides: Sequence[Any], single: bool) -> tuple[np.ndarray, list[str]] | int | None:
    """`validate` for a few rides (below `features.COLUMNAR_FROM`), in plain Python (numpy's cost
    per call would be most of it): rides of the workshop form whose values are all numbers, each
    checked by its field order's plan; a ride that fails is named by its index (`parse_record`
    gives the error), anything else is NOT_HANDLED. ``single``: one ride sent as an object (its
    warnings name no record number). About 4 µs a ride where `parse_record` takes 10."""
    rows: list[list[float]] = []
    warnings: list[str] = []
    for i, ride in enumerate(rides):
        if type(ride) is not dict:
            return NOT_HANDLED
        plan = _plan(tuple(ride))
        if plan is None:
            return NOT_HANDLED
        checked = _few_ride(i, list(ride.values()), plan, single, rows, warnings)
        if checked is not _ADDED:
            return checked
    return np.array(rows, dtype=np.float64), warnings


def validate_few_values(
    rides: Sequence[Sequence[Any]], single: bool
) -> tuple[np.ndarray, list[str]] | int | None:
    """`validate_few` for rides given as their values in `features.WORKSHOP_COLUMNS` order (a
    ride decoded by `typed_rides`: `typed_rides.values`), without making a dict of each."""
    plan = _plan(f.WORKSHOP_COLUMNS)
    assert plan is not None  # (the workshop's own fields are the workshop form)
    rows: list[list[float]] = []
    warnings: list[str] = []
    for i, values in enumerate(rides):
        checked = _few_ride(i, values, plan, single, rows, warnings)
        if checked is not _ADDED:
            return checked
    return np.array(rows, dtype=np.float64), warnings


def _few_ride(
    i: int, values: Sequence[Any], plan: _Plan, single: bool, rows: list[list[float]], warnings: list[str]
) -> Any:
    """Check ride ``i`` (its ``values`` in the order of ``plan``'s fields) and add its feature row
    and warnings: _ADDED; or ``i`` where it fails (`parse_record` names why), NOT_HANDLED where a
    value is not a number."""
    for value, (lo, hi, whole) in zip(values, plan.rules, strict=True):
        kind = type(value)
        if kind is not float and kind is not int:
            return NOT_HANDLED  # a boolean flag, a null, a text ...: ride by ride
        if not lo <= value <= hi or (whole and kind is float and not value.is_integer()):
            return i
    chosen = [m for c, m in plan.month_columns if values[c] == 1]
    if plan.month is not None:  # `features._Parser.month`
        month = float(values[plan.month])
        if chosen and chosen != [month]:
            return i
    elif len(chosen) == 1:
        month = float(chosen[0])
    else:
        return i
    a, b, c, d = plan.places
    plat, plon, dlat, dlon = float(values[a]), float(values[b]), float(values[c]), float(values[d])
    distance, hour = float(values[plan.distance]), float(values[plan.hour])
    weekday = float(values[plan.weekday])
    straight = f._straight_scalar(plat, plon, dlat, dlon)
    notes = None
    if distance < 0.75 * straight - 0.25:  # `features._Parser.distance`
        notes = [
            f"{plan.distance_name} {f._fmt(distance)} miles is shorter than the straight line between "
            f"pickup and dropoff ({straight:.1f} miles)"]
    if plan.work is not None:  # `features._parse_scoring_args`
        given = float(values[plan.work])
        derived = float(weekday == 1 and 8 <= hour < 18)
        if given != derived:
            notes = notes or []
            notes.append(
                f"ignored work={int(given)}: work is derived from weekday and hour "
                f"(weekday={int(weekday)}, hour={int(hour)} gives work={int(derived)})")
    if plan.unknown:
        notes = notes or []
        notes.extend(f"ignored unknown field '{k}'" for k in plan.unknown)
    passengers = float(values[plan.passengers]) if plan.passengers is not None else 1.0
    rows.append(f.feature_row(weekday, hour, month, distance, plat, plon, dlat, dlon, passengers,
                              straight))
    if notes:
        warnings.extend(notes if single else (f"record {i}: {n}" for n in notes))
    return _ADDED


_ADDED: Any = object()  # (`_few_ride`: the ride passed; NOT_HANDLED is None)


def _work_notes(work: np.ndarray, weekday: np.ndarray, hour: np.ndarray, notes: Notes) -> None:
    """The warning for a given ``work`` that disagrees with the one derived (`_parse_scoring_args`)."""
    derived = ((weekday == 1.0) & (hour >= 8) & (hour < 18)).astype(np.float64)
    for i in np.flatnonzero(work != derived).tolist():
        notes[i].append(
            f"ignored work={int(work[i])}: work is derived from weekday and hour "
            f"(weekday={int(weekday[i])}, hour={int(hour[i])} gives work={int(derived[i])})")


# --------------------------------------------------------------------------- checks of one column
# Each check reports the first ride that fails it (into _FirstBad) and goes on, so that the lowest
# failing ride over all checks is the one `parse_record` would stop at. A failing ride's entry is
# NaN (it fails the other checks too, which changes nothing).

def _floats(values: list[Any], allowed: set[type], bad: _FirstBad) -> np.ndarray:
    """The values as float64; an entry of a type not allowed, or an integer beyond a float's
    range, is NaN and its ride is noted. (An array is a column `_columns` made of numbers.)"""
    if isinstance(values, np.ndarray):
        return values
    if set(map(type, values)) <= allowed:
        try:
            return np.array(values, dtype=np.float64)
        except OverflowError:
            pass
    out = np.empty(len(values))
    for i, v in enumerate(values):
        if type(v) in allowed:
            try:
                out[i] = float(v)
                continue
            except OverflowError:
                pass
        out[i] = np.nan
        bad.note(i)
    return out


def _number(values: list[Any], lo: float, hi: float, bad: _FirstBad, *,
            integer: bool = False, exclusive: bool = False) -> np.ndarray:
    """`features._Parser.number` for a whole column."""
    arr = _floats(values, _NUMBER, bad)
    wrong = ~np.isfinite(arr)
    if integer:
        wrong |= arr != np.floor(arr)
    wrong |= ~((lo < arr) & (arr < hi) if exclusive else (lo <= arr) & (arr <= hi))
    bad.mask(wrong)
    return arr


class _Mapped(_FirstBad):
    """A _FirstBad for a subset of rides: indices are mapped back to the whole batch."""

    def __init__(self, outer: _FirstBad, rows: list[int]) -> None:
        super().__init__()
        self.outer, self.rows = outer, rows

    def note(self, index: int | None) -> None:
        if index is not None:
            self.outer.note(self.rows[index])


def _optional(values: list[Any], lo: float, hi: float, bad: _FirstBad, *,
              integer: bool = False, exclusive: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A column where null means "not given": the values (NaN where not given), and where given."""
    if isinstance(values, np.ndarray) or None not in values:
        return _number(values, lo, hi, bad, integer=integer, exclusive=exclusive), np.ones(len(values), bool)
    given = np.array([v is not None for v in values], dtype=bool)
    out = np.full(len(values), np.nan)
    rows = np.flatnonzero(given).tolist()
    if rows:
        subset = [values[i] for i in rows]
        out[rows] = _number(subset, lo, hi, _Mapped(bad, rows), integer=integer, exclusive=exclusive)
    return out, given


# --------------------------------------------------------------------------- the two ride forms

def _required(keys: Any, *names: str) -> bool:
    return all(n in keys for n in names)


def _checked(cols: dict[str, list[Any]], specs: list[tuple[str, float, float, bool, bool, bool]],
             bad: _FirstBad) -> np.ndarray:
    """Several columns checked at once, one row of the result per spec ``(key, lo, hi, integer,
    exclusive, flag)``: `features._Parser.number`, or `flag` (a boolean, or a number 0 or 1)."""
    rows: list[Any] = []
    for key, *_, flag in specs:
        values = cols[key]
        allowed = _FLAG if flag else _NUMBER
        numbers = isinstance(values, np.ndarray) or set(map(type, values)) <= allowed
        rows.append(values if numbers else _floats(values, allowed, bad))
    try:
        arr = np.array(rows, dtype=np.float64)
    except OverflowError:  # an integer beyond a float's range, somewhere
        arr = np.array([_floats(list(r), _FLAG if s[-1] else _NUMBER, bad) for r, s in zip(rows, specs,
                                                                                          strict=True)])
    spec = np.array([s[1:] for s in specs], dtype=np.float64)
    lo, hi = spec[:, 0:1], spec[:, 1:2]
    integer, exclusive = spec[:, 2:3] > 0, spec[:, 3:4] > 0
    with np.errstate(invalid="ignore"):
        wrong = ~np.isfinite(arr) | (integer & (arr != np.floor(arr)))
        wrong |= np.where(exclusive, (arr <= lo) | (arr >= hi), (arr < lo) | (arr > hi))
    bad.mask(wrong.any(axis=0))
    return arr


def _workshop(cols: dict[str, list[Any]], n: int,
              bad: _FirstBad) -> tuple[list[np.ndarray], np.ndarray, Notes] | None:
    """`features._parse_scoring_args` for a whole batch."""
    name = next((k for k in ("distance", "trip_distance") if k in cols), None)
    if name is None or not _required(cols, "start_latitude", "start_longitude", "end_latitude",
                                     "end_longitude", "weekday", "hour"):
        bad.note(0)  # a required field is absent from every ride
        return None
    lat, lon = f.LAT_RANGE, f.LON_RANGE
    specs = [("start_latitude", *lat, False, False, False), ("start_longitude", *lon, False, False, False),
             ("end_latitude", *lat, False, False, False), ("end_longitude", *lon, False, False, False),
             (name, 0, f.MAX_DISTANCE, False, True, False), ("hour", 0, 23, True, False, False),
             ("weekday", 0, 1, True, False, True)]
    months = [(k, m) for k, m in _MONTHS if k in cols]
    specs += [(k, 0, 1, True, False, True) for k, _ in months]
    if "work" in cols:
        specs.append(("work", 0, 1, True, False, True))
    if "month" in cols:
        specs.append(("month", 1, 12, True, False, False))
    arr = _checked(cols, specs, bad)
    plat, plon, dlat, dlon, distance, hour, weekday = arr[:7]
    flags = arr[7:7 + len(months)]
    chosen_count = flags.sum(axis=0)
    chosen_month = (flags * np.array([m for _, m in months], dtype=np.float64)[:, None]).sum(axis=0)
    if "month" in cols:  # `features._Parser.month`: month, agreeing with any month_N set to 1
        month = arr[-1]
        bad.mask((chosen_count > 0) & ~((chosen_count == 1) & (chosen_month == month)))
    else:  # exactly one month_N set to 1
        month = chosen_month
        bad.mask(chosen_count != 1)
    passengers = _passengers(cols, n, bad)
    if bad.index is not None:
        return None
    notes: Notes = defaultdict(list)
    straight = _short_distance(name, distance, plat, plon, dlat, dlon, notes)
    if "work" in cols:
        _work_notes(arr[7 + len(months)], weekday, hour, notes)
    return [weekday, hour, month, distance, plat, plon, dlat, dlon, passengers], straight, notes


def _read(cols: dict[str, list[Any]], workshop: bool) -> set[str | None]:
    """The fields a form checks the values of (any other text is only bounded in length)."""
    read: set[str | None] = {"distance" if "distance" in cols else "trip_distance", _passengers_name(cols)}
    if workshop:
        return read | f._WORKSHOP_KEYS
    read.add("pickup_datetime")
    for end in ("pickup", "dropoff"):
        if f"{end}_lat" in cols or f"{end}_lon" in cols:
            read |= {f"{end}_lat", f"{end}_lon"}
        else:
            read.add(f"{end}_zone")
    return read


def _passengers_name(cols: Any) -> str | None:
    return next((k for k in ("passengers", "passenger_count") if k in cols), None)


def _passengers(cols: dict[str, list[Any]], n: int, bad: _FirstBad) -> np.ndarray:
    """`features._Parser.passengers`: absent or null means 1."""
    name = _passengers_name(cols)
    if name is None:
        return np.ones(n)
    values, given = _optional(cols[name], 0, f.MAX_PASSENGERS, bad, integer=True)
    values[~given] = 1.0
    return values


def _short_distance(name: str, distance: np.ndarray, plat: np.ndarray, plon: np.ndarray,
                    dlat: np.ndarray, dlon: np.ndarray, notes: Notes,
                    given: np.ndarray | None = None) -> np.ndarray:
    """`features._Parser.distance`'s warning for a distance shorter than the straight line; returns
    the straight-line miles (a feature: computed once). Rides near the threshold are decided with
    the scalar formula `parse_record` uses, so that a last-bit difference between numpy and math
    cannot change a warning."""
    straight = f.straight_miles(plat, plon, dlat, dlon)
    limit = 0.75 * straight - 0.25
    candidates = np.flatnonzero(distance < limit + 1e-6)
    if given is not None:
        candidates = candidates[given[candidates]]
    for i in candidates.tolist():
        exact = f._straight_scalar(plat[i], plon[i], dlat[i], dlon[i])
        if distance[i] < 0.75 * exact - 0.25:
            notes[i].append(
                f"{name} {f._fmt(distance[i])} miles is shorter than the straight line between pickup "
                f"and dropoff ({exact:.1f} miles)")
    return straight


def _ride(cols: dict[str, list[Any]], n: int, zones: Any,
          bad: _FirstBad) -> tuple[list[np.ndarray], np.ndarray, Notes] | None:
    """`features._parse_ride` for a whole batch."""
    if "pickup_datetime" not in cols:
        bad.note(0)
        return None
    when = _datetimes(cols["pickup_datetime"], bad)
    places = _places(cols, n, zones, bad)
    name = next((k for k in ("distance", "trip_distance") if k in cols), None)
    if name is not None:
        distance, given = _optional(cols[name], 0, f.MAX_DISTANCE, bad, exclusive=True)
    else:
        name, distance, given = "distance", np.full(n, np.nan), np.zeros(n, dtype=bool)
    passengers = _passengers(cols, n, bad)
    if bad.index is not None or when is None or places is None:
        return None
    plat, plon, dlat, dlon = places
    notes: Notes = defaultdict(list)
    for i in np.flatnonzero(~given).tolist():
        exact = f._straight_scalar(plat[i], plon[i], dlat[i], dlon[i])
        estimate = estimate_miles(exact)  # the one estimate (places.py), as parse_record gives it
        distance[i] = estimate
        notes[i].append(
            f"distance not given: estimated {estimate} miles from the straight line "
            f"({exact:.2f} miles) times a typical detour of {DETOUR}")
    straight = _short_distance(name, distance, plat, plon, dlat, dlon, notes, given)
    weekday = np.array([w.weekday() < 5 for w in when], dtype=np.float64)
    hour = np.array([w.hour for w in when], dtype=np.float64)
    month = np.array([w.month for w in when], dtype=np.float64)
    return [weekday, hour, month, distance, plat, plon, dlat, dlon, passengers], straight, notes


def _datetimes(values: list[Any], bad: _FirstBad) -> list[datetime] | None:
    """`features._Parser.datetime` for a whole column (its first failure only)."""
    out: list[datetime] = []
    for i, v in enumerate(values):
        if type(v) is not str or len(v) > f.MAX_TEXT:
            bad.note(i)
            return None
        try:
            when = datetime.fromisoformat(v.strip())
        except ValueError:
            bad.note(i)
            return None
        if when.tzinfo is not None:
            from zoneinfo import ZoneInfo

            when = when.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None)
        out.append(when)
    return out


def _places(cols: dict[str, list[Any]], n: int, zones: Any,
            bad: _FirstBad) -> tuple[np.ndarray, ...] | None:
    """Pickup and dropoff coordinates: given, or from zones. Zones are resolved ride by ride,
    pickup then dropoff, as `parse_record` does (the per-request limit on zone names counts them
    in that order); a ride's zone texts are checked for their length before any of its lookups."""
    coords: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    zone_ends = []
    for end in ("pickup", "dropoff"):
        lat_key, lon_key = f"{end}_lat", f"{end}_lon"
        if lat_key in cols or lon_key in cols:
            if not _required(cols, lat_key, lon_key):
                bad.note(0)
                return None
            coords[end] = (_number(cols[lat_key], *f.LAT_RANGE, bad),
                           _number(cols[lon_key], *f.LON_RANGE, bad))
        elif f"{end}_zone" in cols:
            zone_ends.append(end)
        else:
            bad.note(0)
            return None
    if zone_ends:
        found = _zones([cols[f"{end}_zone"] for end in zone_ends], n, zones, bad)
        if found is None:
            return None
        coords.update(zip(zone_ends, found, strict=True))
    if bad.index is not None:
        return None
    (plat, plon), (dlat, dlon) = coords["pickup"], coords["dropoff"]
    return plat, plon, dlat, dlon


def _zones(columns: list[list[Any]], n: int, zones: Any,
           bad: _FirstBad) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Each zone column's coordinates, looked up ride by ride (each distinct value once)."""
    lats = [np.empty(n) for _ in columns]
    lons = [np.empty(n) for _ in columns]
    seen: dict[tuple[type, Any], Any] = {}
    for i in range(n):
        values = [col[i] for col in columns]
        if any(type(v) is str and len(v) > f.MAX_TEXT for v in values):
            bad.note(i)  # refused before any lookup of this ride (features._check_sizes)
            return None
        for j, value in enumerate(values):
            kind = type(value)
            if kind is not int and kind is not str and kind is not float:
                bad.note(i)  # null, a boolean, a list ...: parse_record names it
                return None
            zone = seen.get((kind, value))
            if zone is None:
                try:
                    zone = zones.resolve(int(value) if kind is float and value.is_integer() else value)
                except LookupError:
                    bad.note(i)
                    return None
                if zone.lat is None or zone.lon is None:
                    bad.note(i)
                    return None
                seen[(kind, value)] = zone
            lats[j][i] = zone.lat
            lons[j][i] = zone.lon
    return list(zip(lats, lons, strict=True))
