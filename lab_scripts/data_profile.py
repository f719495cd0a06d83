"""A TLC trip file's profile before training: what `mlops-tui data preview`, every upload and the
Data screen show, computed by the same loading and cleaning as the training job (`tlc.load_trips`),
so both give the same reasons for every dropped ride.

    python -m <package>.data_profile FILE [--period YYYY-MM[..YYYY-MM]] [--zones Z.csv] [--json]

`profile()` returns a JSON-ready dict:

- file, size_bytes, layout, times (local or instants), rows (read), kept, dropped_rows;
- dropped: per reason, biggest first: reason key, text, count, example {row, values, duration_s};
- period {from, to, text, given}; pickups {first, last} (New York local time, kept rides);
- zones {pickup, dropoff: distinct zones seen, top_pickup: [[id, label, rides], ...]} (zone layout);
- duration_s and distance_miles: {min, p5, p25, median, p75, p95, max, mean} of the kept rides.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .tlc import load_trips
from .zones import ZoneTable, load_zones

FORMAT = "mlops-tui-data-profile/1"
QUANTILES = (("min", 0), ("p5", 5), ("p25", 25), ("median", 50), ("p75", 75), ("p95", 95), ("max", 100))
TOP_ZONES = 5


def profile(path: str | Path, zones: ZoneTable | str | Path | None = None,
            period: str | None = None) -> dict[str, Any]:
    """The profile of a trip file (see the module doc). Raises what `tlc.load_trips` raises."""
    path = Path(path)
    table = zones if isinstance(zones, ZoneTable) else load_zones(zones)
    trips = load_trips(path, table, period=period)
    attrs = trips.attrs
    out: dict[str, Any] = {
        "format": FORMAT,
        "file": path.name,
        "size_bytes": path.stat().st_size,
        "layout": attrs["layout"],
        "times": attrs["times"],
        "rows": int(attrs["rows"]),
        "kept": len(trips),
        "dropped_rows": int(attrs["rows"]) - len(trips),
        "dropped": attrs["dropped"],
        "period": attrs["period"],
    }
    if len(trips):
        out["pickups"] = {"first": trips["pickup_datetime"].min().isoformat(sep=" "),
                          "last": trips["pickup_datetime"].max().isoformat(sep=" ")}
        out["duration_s"] = distribution(trips["duration"].to_numpy())
        out["distance_miles"] = distribution(trips["trip_distance"].to_numpy())
        if attrs["layout"] == "zones":
            out["zones"] = _zones_seen(trips, table)
    return out


def distribution(values: np.ndarray) -> dict[str, float]:
    """min, p5, p25, median, p75, p95, max and mean of finite values (rounded to 0.01)."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {}
    points = np.percentile(values, [q for _, q in QUANTILES])
    out = {name: round(float(v), 2) for (name, _), v in zip(QUANTILES, points, strict=True)}
    out["mean"] = round(float(values.mean()), 2)
    return out


def _zones_seen(trips: Any, table: ZoneTable) -> dict[str, Any]:
    pu = trips["pu_location_id"].to_numpy(dtype=np.int64)
    do = trips["do_location_id"].to_numpy(dtype=np.int64)
    ids, counts = np.unique(pu, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:TOP_ZONES]
    top = []
    for i in order:
        zone = table.get(int(ids[i]))
        top.append([int(ids[i]), zone.label if zone else f"zone {int(ids[i])}", int(counts[i])])
    return {"pickup": int(ids.size), "dropoff": int(np.unique(do).size), "top_pickup": top}


# --------------------------------------------------------------------------- words

def _n(value: int) -> str:
    return f"{value:,}"


def describe_example(example: dict[str, Any]) -> str:
    """`row 12: tpep_pickup_datetime=2008-12-31 23:59:00, tpep_dropoff_datetime=...` (the columns
    that show the reason; all of them when that is not known)."""
    values = example.get("values", {})
    shown = [k for k in example.get("why", []) if k in values] or list(values)
    text = ", ".join(f"{k}={'(empty)' if values[k] is None else values[k]}" for k in shown)
    if "duration_s" in example and any("datetime" in k.lower() for k in shown):
        text += f" ({example['duration_s']:g} s)"
    return f"row {example.get('row')}: {text}"


def describe_dropped(dropped: list[dict[str, Any]]) -> list[str]:
    """One line per reason: count, why, and the first such ride."""
    return [f"{_n(d['count'])} dropped: {d['text']}; e.g. {describe_example(d['example'])}" for d in dropped]


def too_few_rides(name: str, rows: int, kept: int, dropped: list[dict[str, Any]], need: int = 50) -> str:
    """Why training refuses a file: the numbers, the biggest reason and an example of it."""
    text = f"too few usable rides in {name}: {_n(kept)} of {_n(rows)} kept, at least {need} are needed"
    if not rows:
        return text + "; the file holds no rides"
    if dropped:
        top = dropped[0]
        text += (f"; most were dropped as {top['text']} ({_n(top['count'])} rides), e.g. "
                 f"{describe_example(top['example'])}")
    return text


def describe(prof: dict[str, Any]) -> list[str]:
    """The profile as lines for a terminal (about 80 columns)."""
    lines = [
        f"{prof['file']}: {prof['size_bytes'] / 1e6:.1f} MB, {prof['layout']} layout, times in "
        f"{prof['times']}",
        f"rows read {_n(prof['rows'])}, rides kept {_n(prof['kept'])}, dropped {_n(prof['dropped_rows'])}",
    ]
    lines += ["  " + line for line in describe_dropped(prof["dropped"])]
    period = prof["period"]
    given = " (given)" if period.get("given") else " (the months holding 99% of its rides)"
    lines.append(f"period {period['text']}{given}")
    if "pickups" in prof:
        lines.append(f"pickups from {prof['pickups']['first']} to {prof['pickups']['last']} "
                     "(New York time)")
    zones = prof.get("zones")
    if zones:
        top = ", ".join(f"{label} {_n(count)}" for _, label, count in zones["top_pickup"][:3])
        lines.append(f"zones seen: {zones['pickup']} pickup, {zones['dropoff']} dropoff; busiest "
                     f"pickups: {top}")
    for key, unit, title in (("duration_s", "s", "duration"), ("distance_miles", "mi", "distance")):
        dist = prof.get(key)
        if dist:
            lines.append(f"{title} ({unit}): " + ", ".join(f"{k} {dist[k]:g}" for k, _ in QUANTILES)
                         + f", mean {dist['mean']:g}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile a TLC trip file: rides kept, dropped and why.")
    parser.add_argument("file", help="TLC trip file, CSV, CSV.gz or Parquet")
    parser.add_argument("--period", help="YYYY-MM or YYYY-MM..YYYY-MM (default: the file's own)")
    parser.add_argument("--zones", help="zone table CSV (default: zones.csv beside this code)")
    parser.add_argument("--json", action="store_true", help="print the profile as JSON")
    args = parser.parse_args(argv)
    try:
        prof = profile(args.file, args.zones, args.period)
    except (OSError, ValueError) as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    print(json.dumps(prof, indent=2) if args.json else "\n".join(describe(prof)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
