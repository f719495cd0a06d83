"""Model features of a taxi ride, derived in ONE place for training and for serving.

`feature_columns` is the only code that turns ride columns into model features. Training calls it
once with whole columns of the trip frame (`frame_to_matrix`); serving calls it with the columns of
1..n request records built straight into numpy arrays (`records_to_matrix`, no pandas per request:
a DataFrame costs milliseconds, the model itself a fraction of one). So the workshop's two defects
cannot come back here:

- its StandardScaler was fitted in training but never applied when serving. We use no scaler at
  all: gradient-boosted trees split on thresholds and are unaffected by monotone rescaling, so a
  scaler only adds state that can get lost between training and serving;
- its example request carried `work: 0` for a weekday 9 am ride. `work` (weekday and
  8 <= hour < 18) is always derived here; a given `work` that disagrees is ignored with a warning.

Serving accepts either the workshop's `scoring_args` (work, start_latitude, start_longitude,
end_latitude, end_longitude, distance, weekday, hour, month_1..month_6 one-hot; month_7..12 and a
plain `month` are also understood) or a raw ride described by `INPUT_SCHEMA` (pickup time, zones
or coordinates, distance, passengers), which is what the TUI form is generated from.

numpy is imported by the functions that compute with it, not by the module: the TUI's prediction
form reads `INPUT_SCHEMA` and checks a ride with `parse_record` (pure Python) and should not hold
numpy (about 15 MB) for hours afterwards (benchmarks/attendee_footprint.py). The prediction server
imports it once, with the model.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from . import workshop_ride
from .places import DETOUR, estimate_miles
from .zones import Zone, ZoneTable, load_zones

if TYPE_CHECKING:
    import numpy as np

FEATURES: tuple[str, ...] = (
    "work",               # 1 on weekdays 8:00-17:59 (derived, never taken from the input)
    "weekday",            # 1 Monday-Friday
    "hour",               # pickup hour 0-23, local New York time
    "month",              # pickup month 1-12 (the workshop one-hot month_1..month_6, as a number)
    "distance",           # trip distance in miles (taximeter)
    "pickup_lat", "pickup_lon", "dropoff_lat", "dropoff_lon",
    "straight_distance",  # great-circle miles between pickup and dropoff: detour = distance / this
    "passengers",         # passenger count (1 when not given)
)

#: The New York City area (with Newark airport) that coordinates must fall in.
LAT_RANGE = (40.40, 41.00)
LON_RANGE = (-74.35, -73.60)
MAX_DISTANCE = 150.0
MAX_PASSENGERS = 9
EARTH_RADIUS_MILES = 3958.8

# Request bounds, checked before any work. A prediction server answers on one event loop, so the
# cost of one request must be bounded by its input, not by what a client chooses to send (a
# 100,000-word zone name once blocked a server for 9 s). With these bounds the worst request costs
# tens of milliseconds (measured in benchmarks/load_fault.py).
MAX_RECORDS = 10_000    # rides per request (a batch is validated by columns: about 1 µs a ride)
MAX_FIELDS = 40         # fields per ride (the workshop request has 14, a raw ride at most 9)
MAX_FIELD_NAME = 64     # characters of a field name
MAX_TEXT = 64           # characters of any text value (zone names <= 45, ISO 8601 date-times <= 32)
MAX_ZONE_NAMES = 16     # distinct zone names matched by text per request (zone ids are not limited)
MAX_WARNINGS = 100      # warnings returned per request (the rest are counted)
COLUMNAR_FROM = 6       # rides from which a batch is checked by columns (fewer: in plain Python)


class FieldError(ValueError):
    """A request field that is missing, of the wrong type or out of range; `.field` names it."""

    def __init__(self, field: str, message: str, index: int | None = None) -> None:
        self.field = field
        self.index = index
        where = f"record {index}: " if index is not None else ""
        super().__init__(f"{where}{message}")


# --------------------------------------------------------------------------- the one function

def feature_columns(
    weekday: Any, hour: Any, month: Any, distance: Any,
    pickup_lat: Any, pickup_lon: Any, dropoff_lat: Any, dropoff_lon: Any, passengers: Any,
    straight: Any = None,
) -> np.ndarray:
    """Feature matrix (n x len(FEATURES), float64) from ride columns (arrays of equal length).
    ``straight``: `straight_miles` of these places when the caller has it already (validation
    computes it for its distance warning), else computed here."""
    import numpy as np

    weekday = np.asarray(weekday, dtype=np.float64)
    hour = np.asarray(hour, dtype=np.float64)
    plat, plon = np.asarray(pickup_lat, np.float64), np.asarray(pickup_lon, np.float64)
    dlat, dlon = np.asarray(dropoff_lat, np.float64), np.asarray(dropoff_lon, np.float64)
    out = np.empty((weekday.shape[0], len(FEATURES)), dtype=np.float64)
    out[:, 0] = weekday * ((hour >= 8) & (hour < 18))  # work
    out[:, 1] = weekday
    out[:, 2] = hour
    out[:, 3] = month
    out[:, 4] = distance
    out[:, 5] = plat
    out[:, 6] = plon
    out[:, 7] = dlat
    out[:, 8] = dlon
    out[:, 9] = straight_miles(plat, plon, dlat, dlon) if straight is None else straight
    out[:, 10] = passengers
    return out


def feature_row(
    weekday: float, hour: float, month: float, distance: float,
    pickup_lat: float, pickup_lon: float, dropoff_lat: float, dropoff_lon: float, passengers: float,
    straight: float | None = None,
) -> list[float]:
    """`feature_columns` for one ride, in plain Python: numpy's cost per call (about 1 µs for each
    of its 20 calls on arrays of one element) was most of a ride's features. The straight-line
    miles agree with `straight_miles` to 1e-14 (the same value once in float32, the precision
    XGBoost compares features in); ``straight``: those miles where the caller computed them."""
    work = weekday if 8 <= hour < 18 else 0.0
    if straight is None:
        straight = _straight_scalar(pickup_lat, pickup_lon, dropoff_lat, dropoff_lon)
    return [work, weekday, hour, month, distance, pickup_lat, pickup_lon, dropoff_lat, dropoff_lon,
            straight, passengers]


def straight_miles(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle distance in miles (haversine), vectorised."""
    import numpy as np

    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _straight_scalar(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """`straight_miles` for one pair with math (numpy scalars cost microseconds per call)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(1.0, max(0.0, a))))


# --------------------------------------------------------------------------- training path

def frame_to_matrix(trips: Any) -> np.ndarray:
    """Features of a normalised trip frame (see `tlc.load_trips`) as one numpy matrix."""
    import numpy as np

    when = trips["pickup_datetime"].dt
    passengers = trips["passenger_count"].to_numpy(dtype=np.float64, na_value=1.0)
    return feature_columns(
        weekday=(when.day_of_week.to_numpy() < 5),
        hour=when.hour.to_numpy(),
        month=when.month.to_numpy(),
        distance=trips["trip_distance"].to_numpy(dtype=np.float64),
        pickup_lat=trips["pickup_lat"].to_numpy(dtype=np.float64),
        pickup_lon=trips["pickup_lon"].to_numpy(dtype=np.float64),
        dropoff_lat=trips["dropoff_lat"].to_numpy(dtype=np.float64),
        dropoff_lon=trips["dropoff_lon"].to_numpy(dtype=np.float64),
        passengers=passengers,
    )


# --------------------------------------------------------------------------- serving path

_RAW_KEYS = {"pickup_datetime", "pickup_zone", "dropoff_zone", "pickup_lat", "pickup_lon",
             "dropoff_lat", "dropoff_lon"}
_MONTH_KEYS = {f"month_{m}": m for m in range(1, 13)}
_WORKSHOP_KEYS = {"work", "start_latitude", "start_longitude", "end_latitude", "end_longitude",
                  "weekday", "hour", "month", *_MONTH_KEYS}
_COMMON_KEYS = {"distance", "trip_distance", "passengers", "passenger_count"}
ALIASES = (("distance", "trip_distance"), ("passengers", "passenger_count"))  # one field, two names


def both_names(keys: Any) -> tuple[str, str] | None:
    """The first field given under both its names (``distance`` and ``trip_distance``), or None:
    reading one and ignoring the other silently would answer for a ride the client did not mean."""
    return next(((a, b) for a, b in ALIASES if a in keys and b in keys), None)


def strict_json(text: str | bytes, field: str = "scoring_args") -> Any:
    """Parse JSON as RFC 8259 defines it: NaN, Infinity and numbers beyond a float's range are
    refused (Python's json accepts them, and a NaN taken in comes back out as invalid JSON), and
    so is a key given twice in one object (json keeps the last one); one UTF-8 byte order mark
    before the text is ignored. Raises FieldError naming ``field``."""

    def constant(name: str) -> Any:
        raise FieldError(field, f"{field} is not valid JSON: {name} is not a JSON number")

    def number(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise FieldError(field, f"{field} is not valid JSON: the number {_show(text, 24)} does not fit "
                                    "a 64-bit float")
        return value

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        made = dict(pairs)
        if len(made) != len(pairs):  # json keeps the last: the ride would not be the one meant
            seen: set[str] = set()
            twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
            raise FieldError(field, f"{field} gives the key {twice!r} twice; give each key once")
        return made

    if isinstance(text, str) and text[:1] == "\ufeff":  # RFC 8259 §8.1: a parser MAY ignore it
        text = text[1:]  # (json reads bytes after one itself; a second is refused, as by the server)
    try:
        return json.loads(text, parse_constant=constant, parse_float=number, object_pairs_hook=unique)
    except RecursionError:
        raise FieldError(field, f"{field} nests JSON too deeply") from None
    except ValueError as exc:
        if isinstance(exc, FieldError):
            raise
        raise FieldError(field, f"{field} is not valid JSON: {exc}") from None


def records_to_matrix(
    records: Mapping[str, Any] | Sequence[Mapping[str, Any]] | str,
    zones: ZoneTable | None = None,
    positional: Sequence[str] | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Feature matrix and warnings for request records (one dict, a list of dicts, or JSON text).

    ``positional`` names the fields of the workshop's earliest request, which posted them as
    ``f0`` … ``f13`` (default `WORKSHOP_COLUMNS`; a model's manifest records its own). Raises
    FieldError naming the first bad field. Warnings name what was ignored or estimated.
    """
    from . import columnar, typed_rides  # numpy, msgspec: imported where rides are computed, not by the TUI

    if isinstance(records, str | bytes):
        records = strict_json(records)
    if typed_rides.is_ride(records) or isinstance(records, Mapping):  # one ride
        items: Sequence[Any] = [records]
        single = True
    elif isinstance(records, Sequence) and not isinstance(records, str | bytes):
        items, single = records, False
        if not items:
            raise FieldError("scoring_args", "scoring_args is an empty list; send at least one ride")
        if len(items) > MAX_RECORDS:
            raise FieldError("scoring_args", (
                f"scoring_args holds {len(items)} rides; at most {MAX_RECORDS} per request"))
    else:
        raise FieldError("scoring_args", "scoring_args must be an object (one ride) or a list of them")
    table = _RequestZones(zones if zones is not None else load_zones())
    checked: Any = columnar.NOT_HANDLED
    warnings: list[str] = []
    if typed_rides.is_rides(items):  # decoded by msgspec (typed_rides): the workshop's fields, numbers
        if len(items) >= COLUMNAR_FROM:
            checked = columnar.validate_workshop_matrix(typed_rides.matrix(items))
        else:
            checked = columnar.validate_few_values(typed_rides.values(items), single)
        if not isinstance(checked, tuple):  # a few rides, or a failing one: as the JSON path reads them
            items = [typed_rides.as_dict(r) for r in items]
            checked = columnar.NOT_HANDLED
    names = list(positional or WORKSHOP_COLUMNS)
    renamed = False  # posted as f0 … f13 (`_named_positional`): errors name the keys sent
    if checked is columnar.NOT_HANDLED:
        items, warnings = _named_positional(items, names)
        renamed = bool(warnings)
        if len(items) >= COLUMNAR_FROM:
            checked = columnar.validate(items, table)
        else:
            checked = columnar.validate_few(items, single)
    if isinstance(checked, tuple):
        matrix, notes = checked
        warnings.extend(notes)
    else:
        rows: list[list[float]] = []  # not uniform, not all numbers (or, never seen, the checks disagree)
        try:
            if isinstance(checked, int):  # the first failing ride: parse_record names its error
                parse_record(items[checked], table, None if single else checked)
            for i, rec in enumerate(items):
                index = None if single else i
                row, notes = parse_record(rec, table, index)
                rows.append(feature_row(*row))
                warnings.extend(f"record {i}: {n}" if index is not None else n for n in notes)
        except FieldError as exc:
            raise _as_sent(exc, names) if renamed and exc.field in names else exc from None
        import numpy as np

        matrix = np.array(rows, dtype=np.float64)
    if len(warnings) > MAX_WARNINGS:
        hidden = len(warnings) - MAX_WARNINGS + 1
        warnings[MAX_WARNINGS - 1:] = [f"... and {hidden} more warnings"]
    return matrix, warnings


def _as_sent(exc: FieldError, names: list[str]) -> FieldError:
    """``exc`` about a ride posted as ``f0`` … (`_named_positional`), named by the key the client
    sent: ``f7 (read as hour, ...)``, not ``hour``, which the client never wrote."""
    sent = f"f{names.index(exc.field)}"
    message = str(exc).removeprefix(f"record {exc.index}: ") if exc.index is not None else str(exc)
    return FieldError(sent, (
        f"{sent} (read as {exc.field}, the workshop's column order f0..f{len(names) - 1}): {message}"),
        exc.index)


_POSITIONAL = re.compile(r"f(0|[1-9][0-9]?)")


def _named_positional(items: Sequence[Any], names: Sequence[str]) -> tuple[Sequence[Any], list[str]]:
    """Rides posted as ``f0`` … ``f13`` (every field named so), renamed by ``names``; and the
    warning that says so. Other rides are returned as they are."""
    first = items[0]
    if not isinstance(first, Mapping) or "f0" not in first or len(first) > len(names):
        return items, []
    if not all(isinstance(k, str) and _POSITIONAL.fullmatch(k) and int(k[1:]) < len(names) for k in first):
        return items, []
    renamed = [
        {(names[int(k[1:])] if isinstance(k, str) and _POSITIONAL.fullmatch(k) and int(k[1:]) < len(names)
          else k): v for k, v in r.items()} if isinstance(r, Mapping) else r
        for r in items
    ]
    shown = ", ".join(f"f{i}={n}" for i, n in enumerate(names))
    return renamed, [f"fields f0..f{len(names) - 1} were read in the workshop's column order ({shown}); "
                     "send them by name"]


class _RequestZones:
    """Zone lookups of one request: ids freely, at most MAX_ZONE_NAMES distinct names by text."""

    def __init__(self, table: ZoneTable) -> None:
        self.table = table
        self.names: dict[str, Zone | LookupError] = {}

    def resolve(self, value: int | str) -> Zone:
        if not isinstance(value, str) or value.strip().isdigit():
            return self.table.resolve(value)
        known = self.names.get(value)
        if known is None:
            if len(self.names) >= MAX_ZONE_NAMES:
                raise LookupError(
                    f"this request already names {MAX_ZONE_NAMES} zones by text; "
                    "send zone ids (LocationID) for the others")
            try:
                known = self.table.resolve(value)
            except LookupError as exc:
                known = exc
            self.names[value] = known
        if isinstance(known, LookupError):
            raise known
        return known


def _check_sizes(record: Mapping[Any, Any], index: int | None) -> None:
    """Refuse a ride with too many fields, or a field name or text too long, before any parsing."""
    if len(record) > MAX_FIELDS:
        raise FieldError("scoring_args", (
            f"a ride has {len(record)} fields; at most {MAX_FIELDS}"), index)
    for key, value in record.items():
        name = str(key)
        if len(name) > MAX_FIELD_NAME:
            raise FieldError("scoring_args", (
                f"field name {_show(name)} is {len(name)} characters; at most {MAX_FIELD_NAME}"), index)
        if isinstance(value, str) and len(value) > MAX_TEXT:
            field = name.strip().lower()
            raise FieldError(field, (
                f"{field} is {len(value)} characters long; at most {MAX_TEXT}"), index)


def _show(value: Any, width: int = 40) -> str:
    """`value` as the JSON the client sent (`"5"`, `null`, `[1, 2]`; a Python repr such as `'5'`
    or `None` is a notation the client never wrote), cut to `width` characters: error messages
    never echo a whole large input."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def _json_type(value: Any) -> str:
    """The JSON type name of a decoded value (RFC 8259 §3), not Python's (`str`, `NoneType`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    kinds = ((str, "string"), (int | float, "number"), (dict, "object"), (list | tuple, "array"))
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def parse_record(
    record: Any, zones: ZoneTable | _RequestZones, index: int | None = None
) -> tuple[tuple[float, ...], list[str]]:
    """Validate one record; return the `feature_columns` inputs in order, and warnings.

    Sizes (MAX_FIELDS, MAX_FIELD_NAME, MAX_TEXT) are checked first; raises FieldError naming the
    first bad field.
    """
    if not isinstance(record, Mapping):
        raise FieldError("scoring_args", "each ride must be a JSON object of fields", index)
    _check_sizes(record, index)
    if not isinstance(zones, _RequestZones):
        zones = _RequestZones(zones)
    rec = {str(k).strip().lower(): v for k, v in record.items()}
    if len(rec) < len(record):  # two keys read as one name: the last would win, silently
        seen: dict[str, str] = {}
        for key in map(str, record):
            name = key.strip().lower()
            if name in seen:
                raise FieldError(name, (
                    f"{name} is given twice, as {_show(seen[name], 40)} and {_show(key, 40)} (field "
                    "names are read without case and spaces); give it once"), index)
            seen[name] = key
    twice = both_names(rec)
    if twice is not None:
        raise FieldError(twice[1], (
            f"{twice[0]} and {twice[1]} are one field under two names; give one of them"), index)
    p = _Parser(rec, index)
    raw = _RAW_KEYS & rec.keys()
    workshop = _WORKSHOP_KEYS & rec.keys()
    if raw and workshop:
        raise FieldError(sorted(workshop)[0], (
            f"mixes a raw ride ({', '.join(sorted(raw))}) with workshop scoring_args "
            f"({', '.join(sorted(workshop))}); send one form or the other"), index)
    if raw:
        values = _parse_ride(p, zones)
    elif workshop:
        values = _parse_scoring_args(p)
    else:
        raise FieldError("pickup_datetime", (
            "pickup_datetime is required: send a ride (pickup_datetime, pickup_zone, dropoff_zone, "
            "distance) or the workshop scoring_args (start_latitude, start_longitude, end_latitude, "
            "end_longitude, distance, weekday, hour, month_1..month_6)"), index)
    known = _RAW_KEYS | _WORKSHOP_KEYS | _COMMON_KEYS
    p.warnings.extend(f"ignored unknown field '{k}'" for k in rec if k not in known)
    return values, p.warnings


def _parse_ride(p: _Parser, zones: _RequestZones) -> tuple[float, ...]:
    when = p.datetime("pickup_datetime")
    plat, plon = p.place("pickup", zones)
    dlat, dlon = p.place("dropoff", zones)
    straight = _straight_scalar(plat, plon, dlat, dlon)
    distance = p.distance(straight, required=False)
    passengers = p.passengers()
    return (float(when.weekday() < 5), float(when.hour), float(when.month), distance,
            plat, plon, dlat, dlon, passengers)


def _parse_scoring_args(p: _Parser) -> tuple[float, ...]:
    plat = p.number("start_latitude", *LAT_RANGE, what="within the New York City area")
    plon = p.number("start_longitude", *LON_RANGE, what="within the New York City area")
    dlat = p.number("end_latitude", *LAT_RANGE, what="within the New York City area")
    dlon = p.number("end_longitude", *LON_RANGE, what="within the New York City area")
    straight = _straight_scalar(plat, plon, dlat, dlon)
    distance = p.distance(straight, required=True)
    weekday = p.flag("weekday")
    hour = p.number("hour", 0, 23, integer=True)
    month = p.month()
    if "work" in p.rec:
        given = p.flag("work")
        derived = float(weekday == 1 and 8 <= hour < 18)
        if given != derived:
            p.warnings.append(
                f"ignored work={int(given)}: work is derived from weekday and hour "
                f"(weekday={int(weekday)}, hour={int(hour)} gives work={int(derived)})")
    return (weekday, hour, month, distance, plat, plon, dlat, dlon, p.passengers())


class _Parser:
    """Typed, range-checked access to one record's fields, collecting warnings."""

    def __init__(self, rec: dict[str, Any], index: int | None) -> None:
        self.rec = rec
        self.index = index
        self.warnings: list[str] = []

    def fail(self, field: str, message: str) -> FieldError:
        return FieldError(field, message, self.index)

    def number(self, name: str, lo: float, hi: float, *, integer: bool = False,
               exclusive: bool = False, what: str = "") -> float:
        if name not in self.rec or self.rec[name] is None:
            raise self.fail(name, f"{name} is required")
        value = sent = self.rec[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, f"{name} must be a number, got {_json_type(value)} {_show(value)}")
        try:
            value = float(value)
        except OverflowError:  # an integer of hundreds of digits
            raise self.fail(name, f"{name} must be a finite number, got {_show(value, 24)}") from None
        if not math.isfinite(value):
            raise self.fail(name, f"{name} must be a finite number, got {value}")
        if integer and not value.is_integer():
            raise self.fail(name, f"{name} must be a whole number, got {value}")
        inside = lo < value < hi if exclusive else lo <= value <= hi
        if not inside:
            bounds = f"between {_fmt(lo)} and {_fmt(hi)}" + (" exclusive" if exclusive else "")
            context = f" ({what})" if what else ""
            got = _show(sent, 24) if type(sent) is int else _fmt(value)  # the digits sent, not a float's
            raise self.fail(name, f"{name} must be {bounds}{context}, got {got}")
        return value

    def flag(self, name: str) -> float:
        value = self.rec.get(name)
        if value is None:
            raise self.fail(name, f"{name} is required (0 or 1)")
        if isinstance(value, bool):
            return float(value)
        if isinstance(value, int | float) and value in (0, 1):
            return float(value)
        raise self.fail(name, f"{name} must be 0 or 1, got {_show(value)}")

    def month(self) -> float:
        flags = [(k, m) for k, m in _MONTH_KEYS.items() if k in self.rec]
        chosen = [m for k, m in flags if self.flag(k) == 1.0]
        if "month" in self.rec:
            month = self.number("month", 1, 12, integer=True)
            if chosen and chosen != [month]:
                raise self.fail(f"month_{chosen[0]}", f"month={int(month)} contradicts month_{chosen[0]}=1")
            return month
        if len(chosen) == 1:
            return float(chosen[0])
        if not chosen:
            raise self.fail("month_1", "set one of month_1..month_12 to 1 (or give month as 1-12)")
        raise self.fail(f"month_{chosen[1]}", (
            f"only one month may be 1, got {', '.join(f'month_{m}' for m in chosen)}"))

    def distance(self, straight: float, required: bool) -> float:
        name = next((k for k in ("distance", "trip_distance") if k in self.rec), "distance")
        if not required and self.rec.get(name) is None:
            estimate = estimate_miles(straight)
            self.warnings.append(
                f"distance not given: estimated {estimate} miles from the straight line "
                f"({straight:.2f} miles) times a typical detour of {DETOUR}")
            return estimate
        value = self.number(name, 0, MAX_DISTANCE, exclusive=True)
        if value < 0.75 * straight - 0.25:
            self.warnings.append(
                f"{name} {_fmt(value)} miles is shorter than the straight line between pickup "
                f"and dropoff ({straight:.1f} miles)")
        return value

    def passengers(self) -> float:
        name = next((k for k in ("passengers", "passenger_count") if k in self.rec), "passengers")
        if self.rec.get(name) is None:
            return 1.0
        return self.number(name, 0, MAX_PASSENGERS, integer=True)

    def datetime(self, name: str) -> datetime:
        value = self.rec.get(name)
        if value is None:
            raise self.fail(name, f"{name} is required (ISO 8601, e.g. 2019-02-12T09:00:00)")
        if not isinstance(value, str):
            got = f"{_json_type(value)} {_show(value)}"
            raise self.fail(name, f"{name} must be an ISO 8601 string, got {got}")
        try:
            when = datetime.fromisoformat(value.strip())
        except ValueError:
            raise self.fail(name, f"{name} is not an ISO 8601 date-time: {_show(value)}") from None
        if when.tzinfo is not None:  # the model works in New York local time, like the TLC data
            from zoneinfo import ZoneInfo

            when = when.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None)
        return when

    def place(self, end: str, zones: _RequestZones) -> tuple[float, float]:
        lat_key, lon_key, zone_key = f"{end}_lat", f"{end}_lon", f"{end}_zone"
        if lat_key in self.rec or lon_key in self.rec:
            lat = self.number(lat_key, *LAT_RANGE, what="within the New York City area")
            lon = self.number(lon_key, *LON_RANGE, what="within the New York City area")
            return lat, lon
        value = self.rec.get(zone_key)
        if value is None:
            raise self.fail(zone_key, f"{zone_key} is required (a zone id or name, or {lat_key}/{lon_key})")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int | str):  # a list, an object, 1.5
            raise self.fail(zone_key, f"{zone_key} must be a zone id or name, not {_show(value)}")
        try:
            zone: Zone = zones.resolve(value)
        except LookupError as exc:
            raise self.fail(zone_key, f"{zone_key}: {exc}") from None
        if zone.lat is None or zone.lon is None:
            raise self.fail(zone_key, (
                f"{zone_key}: zone {zone.location_id} ({zone.zone}) is the TLC's unknown location "
                "and has no coordinates; choose a real zone"))
        return zone.lat, zone.lon


def _fmt(x: float) -> str:
    """A number as a message shows it: a whole number without its ``.0`` (up to 16 digits), any
    other as its shortest exact form. ``f"{x:g}"`` showed 40.39999999999999 as 40.4, the bound it is
    outside of, and ``int(1e308)`` spelt out 309 digits."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


# --------------------------------------------------------------------------- input schema

def _zone_field(name: str, end: str, zones: ZoneTable) -> dict[str, Any]:
    located = zones.located()
    return {
        "name": name, "type": "integer", "required": False,
        "description": f"{end} taxi zone: a TLC LocationID (a zone name is also accepted); "
                       f"required unless {end}_lat/{end}_lon are given",
        "enum": [z.location_id for z in located],
        "enum_labels": [z.label for z in located],
    }


def _coord_field(name: str, what: str, lo: float, hi: float) -> dict[str, Any]:
    return {"name": name, "type": "number", "required": False, "min": lo, "max": hi,
            "unit": "degrees", "description": f"{what} (instead of the zone)"}


def _build_schema() -> dict[str, Any]:
    zones = load_zones()
    ride_fields = [
        {"name": "pickup_datetime", "type": "string", "format": "date-time", "required": True,
         "description": "pickup date and time, ISO 8601, New York local time",
         "example": workshop_ride.WHEN},
        _zone_field("pickup_zone", "pickup", zones),
        _zone_field("dropoff_zone", "dropoff", zones),
        {"name": "distance", "type": "number", "required": False, "min": 0, "max": MAX_DISTANCE,
         "exclusive": True, "unit": "miles",
         "description": "trip distance in miles; estimated from the places when omitted"},
        {"name": "passengers", "type": "integer", "required": False, "min": 0,
         "max": MAX_PASSENGERS, "default": 1, "description": "number of passengers"},
        _coord_field("pickup_lat", "pickup latitude", *LAT_RANGE),
        _coord_field("pickup_lon", "pickup longitude", *LON_RANGE),
        _coord_field("dropoff_lat", "dropoff latitude", *LAT_RANGE),
        _coord_field("dropoff_lon", "dropoff longitude", *LON_RANGE),
    ]
    workshop_fields = [
        {"name": "start_latitude", "type": "number", "required": True, "min": LAT_RANGE[0],
         "max": LAT_RANGE[1], "description": "pickup latitude"},
        {"name": "start_longitude", "type": "number", "required": True, "min": LON_RANGE[0],
         "max": LON_RANGE[1], "description": "pickup longitude"},
        {"name": "end_latitude", "type": "number", "required": True, "min": LAT_RANGE[0],
         "max": LAT_RANGE[1], "description": "dropoff latitude"},
        {"name": "end_longitude", "type": "number", "required": True, "min": LON_RANGE[0],
         "max": LON_RANGE[1], "description": "dropoff longitude"},
        {"name": "distance", "type": "number", "required": True, "min": 0, "max": MAX_DISTANCE,
         "exclusive": True, "unit": "miles", "description": "trip distance in miles"},
        {"name": "weekday", "type": "integer", "required": True, "min": 0, "max": 1,
         "description": "1 Monday-Friday, 0 weekend"},
        {"name": "hour", "type": "integer", "required": True, "min": 0, "max": 23,
         "description": "pickup hour"},
        *({"name": f"month_{m}", "type": "integer", "required": False, "min": 0, "max": 1,
           "description": f"1 if the ride is in month {m} (exactly one month_N is 1)"}
          for m in range(1, 7)),
        {"name": "work", "type": "integer", "required": False, "min": 0, "max": 1,
         "description": "ignored: derived from weekday and hour (a disagreeing value is reported)"},
    ]
    return {
        "format": "mlops-tui-input/1",
        "title": "NYC taxi ride",
        "description": "A taxi ride whose duration in seconds is predicted. Give pickup and dropoff "
                       "as zones or as coordinates.",
        "fields": ride_fields,
        "rules": ["pickup_zone or pickup_lat+pickup_lon", "dropoff_zone or dropoff_lat+dropoff_lon"],
        "example": dict(workshop_ride.RECORD),
        "scoring_args": {
            "description": "The workshop's request fields (Lab 5), also accepted.",
            "fields": workshop_fields,
            "example": WORKSHOP_EXAMPLE,
        },
        "output": {"name": "duration", "type": "number", "unit": "seconds"},
    }


#: The workshop's Lab 5 request as its reference gives it (the example ride of workshop_ride.py),
#: with its inconsistent `work: 0`, which serving ignores with a warning.
WORKSHOP_EXAMPLE: dict[str, Any] = {**workshop_ride.SCORING_ARGS, "work": 0}

#: The order of the workshop's request fields, which its model saw as columns ``f0`` … ``f13``.
WORKSHOP_COLUMNS: tuple[str, ...] = tuple(WORKSHOP_EXAMPLE)

#: JSON-able description of the request fields; the TUI generates its form from `fields`.
INPUT_SCHEMA: dict[str, Any] = _build_schema()
