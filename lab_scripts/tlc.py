"""Read NYC TLC trip records (CSV, CSV.gz or Parquet) into one normalised, cleaned frame, and say
why every dropped ride was dropped.

Two layouts are understood, whatever the case of the column names and with or without a table
prefix (the workshop's `pqyellowtaxi.tpep_pickup_datetime`):

- zones (2017 onwards, and the 2019 files the workshop uses): tpep_/lpep_ pickup and dropoff
  datetime, PULocationID, DOLocationID, trip_distance, passenger_count. Places come from the zone
  table's centroids.
- coordinates (2009-2016): pickup/dropoff datetime, pickup_longitude/latitude,
  dropoff_longitude/latitude (2009 spelling Start_Lon/End_Lat too), trip_distance.

Times. The TLC files hold New York local time without an offset; Spark and BigQuery exports hold
instants (Parquet `timestamp[us, tz=UTC]`, or text with `Z`/`+00:00`). Durations are taken between
INSTANTS (local times are placed in America/New_York first), so a ride across the spring-forward
hour lasts what it lasted; the hour, weekday and month features use New York local time. Text
times are read in ISO 8601 or in the TLC portal's export format (`01/01/2019 12:07:10 AM`), the
format being chosen from a sample of the column (pandas does the parsing).

Output columns: pickup_datetime, dropoff_datetime (New York local time), duration (seconds),
trip_distance, passenger_count, pickup_lat, pickup_lon, dropoff_lat, dropoff_lon,
pu_location_id, do_location_id (nullable; empty in the coordinate layout). `frame.attrs` holds
`layout`, `rows` (read), `used_rows` (kept), `period` and `dropped`: one entry per reason, biggest
first, with its count and the first such ride of the file as an example (its row number and its
values as read).

Cleaning follows the workshop (20 s < duration < 10,800 s, 0 < distance < 150 miles, no missing
values) plus: rides outside the file's period (the shortest run of months holding 99 % of its rides, or
a given period), local
times that a daylight-saving change skipped or repeated, unknown zones (264/265, ids not in the
zone table) and coordinates outside the New York City area (the old files hold many zeros). Each
ride is counted under the FIRST reason of `REASONS` it fails, so the counts add up to the rides
dropped. Everything is vectorised (pyarrow reads, numpy decides): about a second per million rows.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path
from typing import Any

import numpy as np

from .features import LAT_RANGE, LON_RANGE, MAX_DISTANCE
from .zones import ZoneTable, load_zones

MIN_DURATION = 20
MAX_DURATION = 10_800
NEW_YORK = "America/New_York"
#: the file's period is the shortest run of months holding this share of its rides: a TLC monthly
#: file carries a few rides dated in other months, some absurd (2008, 2088)
PERIOD_SHARE = 0.99

# canonical name -> accepted source names (lower case, prefix stripped), first match wins
_ALIASES: dict[str, tuple[str, ...]] = {
    "pickup_datetime": ("tpep_pickup_datetime", "lpep_pickup_datetime", "pickup_datetime",
                        "trip_pickup_datetime"),
    "dropoff_datetime": ("tpep_dropoff_datetime", "lpep_dropoff_datetime", "dropoff_datetime",
                         "trip_dropoff_datetime"),
    "trip_distance": ("trip_distance",),
    "passenger_count": ("passenger_count",),
    "pu_location_id": ("pulocationid",),
    "do_location_id": ("dolocationid",),
    "pickup_lon": ("pickup_longitude", "start_lon"),
    "pickup_lat": ("pickup_latitude", "start_lat"),
    "dropoff_lon": ("dropoff_longitude", "end_lon"),
    "dropoff_lat": ("dropoff_latitude", "end_lat"),
}

LAYOUTS: dict[str, tuple[str, ...]] = {
    "zones": ("pickup_datetime", "dropoff_datetime", "trip_distance", "pu_location_id",
              "do_location_id"),
    "coordinates": ("pickup_datetime", "dropoff_datetime", "trip_distance", "pickup_lon",
                    "pickup_lat", "dropoff_lon", "dropoff_lat"),
}
_OPTIONAL = ("passenger_count",)

OUTPUT_COLUMNS = ("pickup_datetime", "dropoff_datetime", "duration", "trip_distance",
                  "passenger_count", "pickup_lat", "pickup_lon", "dropoff_lat", "dropoff_lon",
                  "pu_location_id", "do_location_id")

#: Why a ride is dropped, in the order they are checked: (key, text). `{period}` is filled in.
REASONS: tuple[tuple[str, str], ...] = (
    ("time_unreadable", "pickup or dropoff time missing or unreadable"),
    ("time_dst", "local time skipped or repeated by a daylight-saving change"),
    ("outside_period", "outside the file's period ({period})"),
    ("not_forward", "dropoff not after pickup"),
    ("too_short", f"{MIN_DURATION} s or shorter"),
    ("too_long", f"{MAX_DURATION // 3600} hours or longer"),
    ("distance_missing", "distance missing"),
    ("distance_not_positive", "distance zero or negative"),
    ("distance_too_long", f"distance {MAX_DISTANCE:g} miles or more"),
    ("unknown_zone", "pickup or dropoff zone unknown (264/265, or not in the zone table)"),
    ("outside_nyc", "pickup or dropoff coordinates missing or outside New York City"),
)
_REASON_CODE = {key: code for code, (key, _) in enumerate(REASONS, start=1)}
_TIMES = ("pickup_datetime", "dropoff_datetime")
#: the columns that show why a ride was dropped (its example names these first)
REASON_COLUMNS: dict[str, tuple[str, ...]] = {
    "time_unreadable": _TIMES, "time_dst": _TIMES, "outside_period": _TIMES, "not_forward": _TIMES,
    "too_short": _TIMES, "too_long": _TIMES, "distance_missing": ("trip_distance",),
    "distance_not_positive": ("trip_distance",), "distance_too_long": ("trip_distance",),
    "unknown_zone": ("pu_location_id", "do_location_id"),
    "outside_nyc": ("pickup_lat", "pickup_lon", "dropoff_lat", "dropoff_lon"),
}

#: Text time formats tried (after ISO 8601), for a column pyarrow did not read as timestamps.
#: The first is the TLC portal's export ("01/01/2019 12:07:10 AM").
TEXT_TIME_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p",
                     "%m/%d/%Y %H:%M")
_FORMAT_SAMPLE = 2000

# how each canonical column is spelled in the TLC files, for messages
_DISPLAY = {
    "pickup_datetime": "tpep_pickup_datetime", "dropoff_datetime": "tpep_dropoff_datetime",
    "trip_distance": "trip_distance", "passenger_count": "passenger_count",
    "pu_location_id": "PULocationID", "do_location_id": "DOLocationID",
    "pickup_lon": "pickup_longitude", "pickup_lat": "pickup_latitude",
    "dropoff_lon": "dropoff_longitude", "dropoff_lat": "dropoff_latitude",
}
_LAYOUT_NAMES = {"zones": "zones (2017+, the 2019 files)", "coordinates": "coordinates (2009-2016)"}


def describe_layouts() -> str:
    """The column names each known layout needs, alternatives separated by |."""
    parts = []
    for layout, cols in LAYOUTS.items():
        names = ", ".join("|".join([_DISPLAY[c], *(a for a in _ALIASES[c] if a != _DISPLAY[c].lower())])
                          for c in cols)
        parts.append(f"{_LAYOUT_NAMES[layout]}: {names}")
    return "; ".join(parts)


class MissingColumnsError(ValueError):
    """The file lacks columns every known layout needs; names each one and the layouts known.

    `.missing` holds the TLC spelling of each missing column for the closest layout (`.layout`).
    """

    def __init__(self, path: str | Path, missing: list[str], layout: str, found: list[str]) -> None:
        self.missing = [_DISPLAY[m] for m in missing]
        self.layout = layout
        self.found = found
        shown = ", ".join(found[:25]) + (", ..." if len(found) > 25 else "")
        super().__init__(
            f"{Path(path).name} lacks column(s) {', '.join(self.missing)} for the {layout} layout "
            f"(found: {shown or 'no columns'}). Known layouts - {describe_layouts()}. Column names "
            "are case-insensitive and a table prefix such as 'pqyellowtaxi.' is ignored."
        )


def _canonical(name: str) -> str:
    return name.strip().lower().rsplit(".", 1)[-1]


def resolve_columns(path: str | Path, columns: list[str]) -> tuple[str, dict[str, str]]:
    """Pick the layout and map canonical names to the file's own column names."""
    by_canon: dict[str, str] = {}
    for col in columns:
        by_canon.setdefault(_canonical(col), col)
    mapping = {}
    for canon, aliases in _ALIASES.items():
        for alias in aliases:
            if alias in by_canon:
                mapping[canon] = by_canon[alias]
                break
    missing = {layout: [c for c in cols if c not in mapping] for layout, cols in LAYOUTS.items()}
    layout = min(missing, key=lambda name: len(missing[name]))  # the closest layout, zones on a tie
    if missing[layout]:
        raise MissingColumnsError(path, missing[layout], layout, list(columns))
    wanted = set(LAYOUTS[layout]) | set(_OPTIONAL)
    return layout, {c: src for c, src in mapping.items() if c in wanted}


# --------------------------------------------------------------------------- the period

def parse_period(text: str) -> tuple[np.datetime64, np.datetime64]:
    """`2019-03` or `2019-01..2019-06` -> [first month, month after the last) as datetime64[M].

    Raises ValueError naming the expected form.
    """
    first, sep, last = str(text).strip().partition("..")
    try:
        lo = np.datetime64(first.strip(), "M")
        hi = np.datetime64((last if sep else first).strip(), "M")
    except ValueError:
        raise ValueError(f"period {text} must be a month YYYY-MM or a range YYYY-MM..YYYY-MM") from None
    if hi < lo:
        raise ValueError(f"period {text} ends before it starts")
    return lo, hi + 1


def dominant_period(local: np.ndarray) -> tuple[np.datetime64, np.datetime64] | None:
    """The file's period from its pickup times (datetime64, NaT ignored): the shortest run of whole
    months holding PERIOD_SHARE of the rides (the busiest such run on a tie); None without times."""
    months = local[~np.isnat(local)].astype("datetime64[M]").astype(np.int64)
    if months.size == 0:
        return None
    uniq, counts = np.unique(months, return_counts=True)
    need = PERIOD_SHARE * months.size
    cumulative = np.concatenate(([0], np.cumsum(counts)))
    best: tuple[int, int, int] | None = None  # (length in months, -rides, left index)
    right = 0
    for left in range(len(uniq)):
        right = max(right, left)
        while right < len(uniq) and cumulative[right + 1] - cumulative[left] < need:
            right += 1
        if right == len(uniq):
            break
        candidate = (int(uniq[right] - uniq[left]) + 1, -int(cumulative[right + 1] - cumulative[left]), left)
        best = candidate if best is None or candidate < best else best
    assert best is not None  # the whole range always holds every ride
    first = int(uniq[best[2]])
    return np.datetime64(first, "M"), np.datetime64(first + best[0], "M")


def describe_period(period: tuple[np.datetime64, np.datetime64] | None) -> str:
    if period is None:
        return "no readable time"
    first, last = period[0], period[1] - 1
    return str(first) if first == last else f"{first}..{last}"


# --------------------------------------------------------------------------- reading

def _is_parquet(path: Path) -> bool:
    if path.suffix.lower() in (".parquet", ".pq"):
        return True
    with path.open("rb") as fh:
        return fh.read(4) == b"PAR1"


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _csv_header(path: Path, gzipped: bool) -> list[str]:
    opener = gzip.open if gzipped else open
    with opener(path, "rt", newline="", encoding="utf-8-sig", errors="replace") as fh:  # type: ignore[operator]
        return next(csv.reader(io.StringIO(fh.readline())), [])


def read_table(path: str | Path) -> tuple[str, dict[str, str], Any]:
    """(layout, canonical -> file column, pyarrow Table of just those columns) of a trip file.

    CSV goes through pyarrow's streaming CSV reader (types inferred, ISO times read as timestamps);
    a column that holds text later in the file makes it read again with those columns as text
    (parsed leniently afterwards). Raises MissingColumnsError, or pyarrow/OSError errors.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    path = Path(path)
    if _is_parquet(path):
        import pyarrow.parquet as pq

        layout, mapping = resolve_columns(path, pq.read_schema(path).names)
        return layout, mapping, pq.read_table(path, columns=list(mapping.values()))
    gzipped = _is_gzip(path)
    layout, mapping = resolve_columns(path, _csv_header(path, gzipped))
    wanted = list(mapping.values())

    def read(column_types: dict[str, Any]) -> Any:
        stream = pa.input_stream(str(path), compression="gzip" if gzipped else None)
        options = pcsv.ConvertOptions(include_columns=wanted, column_types=column_types)
        with pcsv.open_csv(stream, convert_options=options) as reader:
            return reader.read_all()

    try:
        return layout, mapping, read({})
    except pa.ArrowInvalid:  # a type guessed from the first block does not hold for a later one
        return layout, mapping, read(dict.fromkeys(wanted, pa.string()))


def _numbers(column: Any) -> np.ndarray:
    """float64 values of a column (NaN where missing or not a number)."""
    import pyarrow as pa

    kind = column.type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return column.cast(pa.float64()).to_numpy()
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        import pandas as pd

        return pd.to_numeric(column.to_pandas(), errors="coerce").to_numpy(np.float64, na_value=np.nan)
    if pa.types.is_null(column.type):
        return np.full(len(column), np.nan)
    return column.cast(pa.float64(), safe=False).to_numpy()


def _text_times(series: Any) -> Any:
    """Parse a text time column with the format that reads most of a sample of it (ISO 8601 first,
    then TEXT_TIME_FORMATS); values it cannot read become NaT. Zone offsets give UTC instants."""
    import pandas as pd

    sample = series.dropna()
    sample = sample.iloc[: _FORMAT_SAMPLE].astype(str).str.strip()
    if sample.empty:
        return pd.Series(pd.NaT, index=series.index, dtype="datetime64[us]")
    aware = bool(sample.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).mean() > 0.5)
    best, best_count = "ISO8601", -1
    for fmt in ("ISO8601", *TEXT_TIME_FORMATS):
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce", utc=aware)
        count = int(parsed.notna().sum())
        if count > best_count:
            best, best_count = fmt, count
        if count == len(sample):
            break
    return pd.to_datetime(series, format=best, errors="coerce", utc=aware)


def _times(column: Any) -> tuple[np.ndarray, np.ndarray, bool]:
    """(New York local time, UTC instant, whether the file gave instants) of a time column, both
    datetime64[us]; NaT where missing or unreadable, and an instant NaT where the local time does
    not exist or is ambiguous (a daylight-saving change)."""
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_timestamp(column.type):
        series = column.to_pandas()
    elif pa.types.is_date(column.type):
        series = column.cast(pa.timestamp("s")).to_pandas()
    elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        series = _text_times(column.to_pandas())
    else:
        series = pd.Series(pd.NaT, index=range(len(column)), dtype="datetime64[us]")
    if getattr(series.dt, "tz", None) is not None:
        instant = series.dt.tz_convert("UTC").dt.tz_localize(None)
        local = series.dt.tz_convert(NEW_YORK).dt.tz_localize(None)
        aware = True
    else:
        local = series
        instant = series.dt.tz_localize(NEW_YORK, ambiguous="NaT", nonexistent="NaT") \
                        .dt.tz_convert("UTC").dt.tz_localize(None)
        aware = False
    return (local.to_numpy(dtype="datetime64[us]"), instant.to_numpy(dtype="datetime64[us]"), aware)


# --------------------------------------------------------------------------- loading

def load_trips(path: str | Path, zones: ZoneTable | str | Path | None = None,
               clean: bool = True, period: str | None = None) -> Any:
    """Normalised trips of a TLC file; cleaned (see the module doc) unless `clean=False`.

    `period` (`YYYY-MM` or `YYYY-MM..YYYY-MM`) replaces the file's dominant month(s).
    Raises FileNotFoundError, MissingColumnsError, or ValueError for unreadable files or a bad
    period.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"trip file not found: {path}")
    given = parse_period(period) if period else None
    table = zones if isinstance(zones, ZoneTable) else load_zones(zones)
    try:
        layout, mapping, raw = read_table(path)
    except (MissingColumnsError, FileNotFoundError):
        raise
    except Exception as exc:  # parser errors of pyarrow: one clear message
        raise ValueError(f"cannot read {path.name} as TLC trip records: {exc}") from exc

    n = raw.num_rows
    columns = {canon: raw.column(src) for canon, src in mapping.items()}
    pickup, pickup_at, aware = _times(columns["pickup_datetime"])
    dropoff, dropoff_at, _ = _times(columns["dropoff_datetime"])
    duration = (dropoff_at - pickup_at) / np.timedelta64(1, "s")  # NaN where an instant is NaT
    distance = _numbers(columns["trip_distance"])
    passengers = _numbers(columns["passenger_count"]) if "passenger_count" in columns else np.full(n, np.nan)

    if layout == "zones":
        pu, do = (_whole(_numbers(columns[c])) for c in ("pu_location_id", "do_location_id"))
        lat, lon = _zone_lookup(table)
        places = (_take(lat, pu), _take(lon, pu), _take(lat, do), _take(lon, do))
    else:
        pu = do = np.full(n, np.nan)
        places = tuple(_numbers(columns[c]) for c in ("pickup_lat", "pickup_lon", "dropoff_lat",
                                                        "dropoff_lon"))

    file_period = given or dominant_period(pickup)
    reason = drop_reasons(layout, pickup, dropoff, pickup_at, dropoff_at, duration, distance,
                          places, file_period)
    keep = reason == 0 if clean else np.ones(n, dtype=bool)
    out = pd.DataFrame({
        "pickup_datetime": pickup[keep], "dropoff_datetime": dropoff[keep],
        "duration": duration[keep], "trip_distance": distance[keep],
        "passenger_count": passengers[keep],
        "pickup_lat": places[0][keep], "pickup_lon": places[1][keep],
        "dropoff_lat": places[2][keep], "dropoff_lon": places[3][keep],
        "pu_location_id": pd.array(pu[keep], dtype="Int64"),
        "do_location_id": pd.array(do[keep], dtype="Int64"),
    }, copy=False)  # each column keeps its own array: no consolidated copy of all of them
    if clean:  # passenger_count is not a workshop column: a missing one means the usual single rider
        out["passenger_count"] = out["passenger_count"].fillna(1.0).clip(0, 9)
    out.attrs.update({
        "layout": layout, "rows": n, "used_rows": int((reason == 0).sum()), "path": str(path),
        "times": "instants (UTC offsets in the file)" if aware else "New York local time",
        "period": {"from": str(file_period[0]) if file_period else None,
                   "to": str(file_period[1] - 1) if file_period else None,
                   "text": describe_period(file_period), "given": given is not None},
        "dropped": dropped_summary(reason, raw, describe_period(file_period), duration, mapping),
    })
    del raw, columns
    _release_arrow_memory()
    return out


def _release_arrow_memory() -> None:
    """Give the freed Arrow buffers back to the system: the allocator otherwise keeps them, and
    training needs the room (about 100 MB per million rows read)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def drop_reasons(layout: str, pickup: np.ndarray, dropoff: np.ndarray, pickup_at: np.ndarray,
                 dropoff_at: np.ndarray, duration: np.ndarray, distance: np.ndarray,
                 places: tuple[np.ndarray, ...],
                 period: tuple[np.datetime64, np.datetime64] | None) -> np.ndarray:
    """Per ride, 0 when kept, else the 1-based index in REASONS of the first reason it fails."""
    n = len(duration)
    reason = np.zeros(n, dtype=np.uint8)

    def mark(key: str, failed: np.ndarray) -> None:
        reason[(reason == 0) & failed] = _REASON_CODE[key]

    mark("time_unreadable", np.isnat(pickup) | np.isnat(dropoff))
    mark("time_dst", np.isnat(pickup_at) | np.isnat(dropoff_at))
    if period is not None:
        lo, hi = period[0].astype("datetime64[us]"), period[1].astype("datetime64[us]")
        mark("outside_period", (pickup < lo) | (pickup >= hi))
    with np.errstate(invalid="ignore"):
        mark("not_forward", duration <= 0)
        mark("too_short", duration <= MIN_DURATION)
        mark("too_long", duration >= MAX_DURATION)
        mark("distance_missing", np.isnan(distance))
        mark("distance_not_positive", distance <= 0)
        mark("distance_too_long", distance >= MAX_DISTANCE)
        inside = np.ones(n, dtype=bool)
        for values, (lo_c, hi_c) in zip(places, (LAT_RANGE, LON_RANGE, LAT_RANGE, LON_RANGE), strict=True):
            inside &= (values >= lo_c) & (values <= hi_c)  # NaN (unknown zone, missing) fails both
    mark("unknown_zone" if layout == "zones" else "outside_nyc", ~inside)
    return reason


def dropped_summary(reason: np.ndarray, raw: Any, period_text: str, duration: np.ndarray,
                    mapping: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One entry per reason that dropped rides, biggest first: key, text, count and an example
    (the first such ride: its 1-based row number in the file, its values as read, its duration,
    and under `why` the file's columns that show the reason)."""
    counts = np.bincount(reason, minlength=len(REASONS) + 1)
    out = []
    for code, (key, text) in enumerate(REASONS, start=1):
        if not counts[code]:
            continue
        row = int(np.argmax(reason == code))
        example: dict[str, Any] = {"row": row + 1, "values": _row_values(raw, row)}
        if np.isfinite(duration[row]):
            example["duration_s"] = float(duration[row])
        if mapping:
            example["why"] = [mapping[c] for c in REASON_COLUMNS[key] if c in mapping]
        out.append({"reason": key, "text": text.format(period=period_text),
                    "count": int(counts[code]), "example": example})
    out.sort(key=lambda e: -e["count"])
    return out


def _row_values(raw: Any, row: int) -> dict[str, Any]:
    values = raw.slice(row, 1).to_pylist()[0]
    return {name: _plain(v) for name, v in values.items()}


def _plain(value: Any) -> Any:
    """A value as read, JSON-ready (times as text, floats as numbers, missing as None)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "hour") else value.isoformat()
    return str(value)


def _whole(ids: np.ndarray) -> np.ndarray:
    """Zone ids: NaN where not a whole number (no zone has id 1.5)."""
    with np.errstate(invalid="ignore"):
        return np.where(ids == np.floor(ids), ids, np.nan)


def _zone_lookup(table: ZoneTable) -> tuple[np.ndarray, np.ndarray]:
    """Latitude/longitude arrays indexed by LocationID (NaN where unknown)."""
    size = max((z.location_id for z in table), default=0) + 1
    lat, lon = np.full(size, np.nan), np.full(size, np.nan)
    for z in table:
        if z.lat is not None and z.lon is not None and z.location_id >= 0:
            lat[z.location_id], lon[z.location_id] = z.lat, z.lon
    return lat, lon


def _take(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    ok = np.isfinite(ids) & (ids >= 0) & (ids < len(values)) & (ids == np.floor(ids))
    out = np.full(len(ids), np.nan)
    out[ok] = values[ids[ok].astype(np.int64)]
    return out
