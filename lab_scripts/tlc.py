"""Read NYC TLC trip records (CSV or Parquet) into one normalised, cleaned frame.

Two layouts are understood, whatever the case of the column names and with or without a table
prefix (the workshop's `pqyellowtaxi.tpep_pickup_datetime`):

- zones (2017 onwards, and the 2019 files the workshop uses): tpep_/lpep_ pickup and dropoff
  datetime, PULocationID, DOLocationID, trip_distance, passenger_count. Places come from the zone
  table's centroids.
- coordinates (2009-2016): pickup/dropoff datetime, pickup_longitude/latitude,
  dropoff_longitude/latitude (2009 spelling Start_Lon/End_Lat too), trip_distance.

Output columns: pickup_datetime, dropoff_datetime, duration (seconds), trip_distance,
passenger_count, pickup_lat, pickup_lon, dropoff_lat, dropoff_lon, pu_location_id,
do_location_id (nullable; empty in the coordinate layout). `frame.attrs` holds `layout`,
`rows` (read) and `used_rows` (after cleaning).

Cleaning follows the workshop: 20 s < duration < 10,800 s, 0 < distance < 150 miles, rows with
missing values dropped; also unknown zones (264/265, ids not in the table) and coordinates
outside the New York City area (the old files hold many zeros).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .features import LAT_RANGE, LON_RANGE, MAX_DISTANCE
from .zones import ZoneTable, load_zones

MIN_DURATION = 20
MAX_DURATION = 10_800

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


def _is_parquet(path: Path) -> bool:
    if path.suffix.lower() in (".parquet", ".pq"):
        return True
    with path.open("rb") as fh:
        return fh.read(4) == b"PAR1"


def _read(path: Path) -> tuple[str, Any]:
    import pandas as pd

    if _is_parquet(path):
        import pyarrow.parquet as pq

        layout, mapping = resolve_columns(path, pq.read_schema(path).names)
        frame = pd.read_parquet(path, columns=list(mapping.values()))
    else:
        header = pd.read_csv(path, nrows=0).columns.tolist()
        layout, mapping = resolve_columns(path, header)
        frame = pd.read_csv(path, usecols=list(mapping.values()), low_memory=False)
    return layout, frame.rename(columns={src: canon for canon, src in mapping.items()})


def _datetime(series: Any) -> Any:
    import pandas as pd

    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        series = pd.to_datetime(series, format="ISO8601", errors="coerce")
    if getattr(series.dt, "tz", None) is not None:  # the TLC uses New York local time
        series = series.dt.tz_convert("America/New_York").dt.tz_localize(None)
    return series


def _numeric(series: Any) -> np.ndarray:
    import pandas as pd

    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def load_trips(path: str | Path, zones: ZoneTable | str | Path | None = None,
               clean: bool = True) -> Any:
    """Normalised trips of a TLC file; cleaned per the workshop unless `clean=False`.

    Raises FileNotFoundError, MissingColumnsError, or ValueError for unreadable files.
    """
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"trip file not found: {path}")
    table = zones if isinstance(zones, ZoneTable) else load_zones(zones)
    try:
        layout, raw = _read(path)
    except (MissingColumnsError, FileNotFoundError):
        raise
    except Exception as exc:  # parser errors of pandas/pyarrow: one clear message
        raise ValueError(f"cannot read {path.name} as TLC trip records: {exc}") from exc

    n = len(raw)
    pickup = _datetime(raw["pickup_datetime"])
    dropoff = _datetime(raw["dropoff_datetime"])
    out = pd.DataFrame({"pickup_datetime": pickup, "dropoff_datetime": dropoff})
    out["duration"] = (dropoff - pickup).dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan)
    out["trip_distance"] = _numeric(raw["trip_distance"])
    if "passenger_count" in raw:
        out["passenger_count"] = _numeric(raw["passenger_count"])
    else:
        out["passenger_count"] = np.full(n, np.nan)

    if layout == "zones":
        pu = _numeric(raw["pu_location_id"])
        do = _numeric(raw["do_location_id"])
        lat, lon = _zone_lookup(table)
        out["pickup_lat"], out["pickup_lon"] = _take(lat, pu), _take(lon, pu)
        out["dropoff_lat"], out["dropoff_lon"] = _take(lat, do), _take(lon, do)
        out["pu_location_id"] = pd.array(np.where(np.isnan(pu), np.nan, pu), dtype="Int64")
        out["do_location_id"] = pd.array(np.where(np.isnan(do), np.nan, do), dtype="Int64")
    else:
        for col in ("pickup_lat", "pickup_lon", "dropoff_lat", "dropoff_lon"):
            out[col] = _numeric(raw[col])
        out["pu_location_id"] = pd.array([pd.NA] * n, dtype="Int64")
        out["do_location_id"] = pd.array([pd.NA] * n, dtype="Int64")

    if clean:
        out = _clean(out)
    out = out.reset_index(drop=True)
    out.attrs.update({"layout": layout, "rows": n, "used_rows": len(out), "path": str(path)})
    return out


def _zone_lookup(table: ZoneTable) -> tuple[np.ndarray, np.ndarray]:
    """Latitude/longitude arrays indexed by LocationID (NaN where unknown)."""
    size = max((z.location_id for z in table), default=0) + 1
    lat, lon = np.full(size, np.nan), np.full(size, np.nan)
    for z in table:
        if z.lat is not None and z.lon is not None and z.location_id >= 0:
            lat[z.location_id], lon[z.location_id] = z.lat, z.lon
    return lat, lon


def _take(values: np.ndarray, ids: np.ndarray) -> np.ndarray:
    ok = np.isfinite(ids) & (ids >= 0) & (ids < len(values))
    out = np.full(len(ids), np.nan)
    out[ok] = values[ids[ok].astype(np.int64)]
    return out


def _clean(trips: Any) -> Any:
    """The workshop's filters plus: known places inside the NYC area, no missing values."""
    d = trips["duration"].to_numpy()
    dist = trips["trip_distance"].to_numpy()
    keep = (d > MIN_DURATION) & (d < MAX_DURATION) & (dist > 0) & (dist < MAX_DISTANCE)
    for col, (lo, hi) in (("pickup_lat", LAT_RANGE), ("dropoff_lat", LAT_RANGE),
                          ("pickup_lon", LON_RANGE), ("dropoff_lon", LON_RANGE)):
        v = trips[col].to_numpy()
        keep &= (v >= lo) & (v <= hi)  # NaN (unknown zone, missing value) fails both
    keep &= trips["pickup_datetime"].notna().to_numpy() & trips["dropoff_datetime"].notna().to_numpy()
    trips = trips.loc[keep].copy()
    # passenger_count is not a workshop column: a missing one means the usual single rider
    trips["passenger_count"] = trips["passenger_count"].fillna(1.0).clip(0, 9)
    return trips
