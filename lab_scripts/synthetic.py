"""A seeded SYNTHETIC set of NYC yellow-cab trips in the TLC 2019 layout, for offline use.

It is not real data. It exists so that the labs run with no download: the local platform puts
20 000 rides (January-June 2019, like the workshop's data) in every tenant's repository, always
next to a README saying they are synthetic. The generator is a small traffic model, so that a
model trained on it learns the same kind of structure as on real trips:

- pickups weighted like 2019 yellow cabs: about 88 % Manhattan (Midtown and the Upper East and
  West Sides heaviest), the two airports about 6 %, then Brooklyn, Queens, the Bronx, Staten Island;
- dropoffs by a gravity model: attractive zones nearby, sometimes far (airports, outer boroughs);
- weekday and weekend hour-of-day patterns, busier Thursdays and Fridays;
- distance = straight line between points scattered around the zone centroids x a detour factor;
- speed by hour and day type (rush hours slowest), faster outside Manhattan and on long (highway)
  trips, with day-to-day and trip-to-trip noise, plus a fixed pick-up/drop-off overhead;
- fares, surcharges, tips and tolls from the 2019 tariff, roughly;
- about 1 % dirty rows like the real files (zero distances, meters left running, negative and
  tiny durations, unknown zones) that the workshop's cleaning removes.

CLI: python -m <package>.synthetic --rows 20000 --seed 0 --out F.csv (also writes F.README.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .features import straight_miles
from .zones import ZoneTable, load_zones

YELLOW_2019_COLUMNS = (
    "VendorID", "tpep_pickup_datetime", "tpep_dropoff_datetime", "passenger_count",
    "trip_distance", "RatecodeID", "store_and_fwd_flag", "PULocationID", "DOLocationID",
    "payment_type", "fare_amount", "extra", "mta_tax", "tip_amount", "tolls_amount",
    "improvement_surcharge", "total_amount", "congestion_surcharge",
)

JFK, LGA, EWR = 132, 138, 1
# Manhattan's busiest zones (Midtown, Upper East/West Side, Village, Chelsea, Murray Hill ...)
_HOT = {48, 68, 79, 90, 100, 107, 113, 114, 140, 141, 142, 143, 148, 161, 162, 163, 164, 170,
        186, 230, 231, 233, 234, 236, 237, 238, 239, 246, 249, 262, 263}
_QUIET = {43: 0.5, 103: 0.0, 104: 0.0, 105: 0.0, 194: 0.05, 120: 0.1, 128: 0.1, 153: 0.15, 202: 0.3}
# share of pickups by group, as in the 2019 yellow-cab records (roughly)
_PICKUP_SHARE = {"Manhattan": 0.88, "JFK": 0.03, "LGA": 0.035, "Brooklyn": 0.03, "Queens": 0.018,
                 "Bronx": 0.005, "Staten Island": 0.0005, "EWR": 0.0005}
# dropoffs lean more to the outer boroughs and airports (people going home, flying out)
_DROPOFF_BOOST = {"Manhattan": 1.0, "JFK": 1.3, "LGA": 1.3, "Brooklyn": 3.0, "Queens": 3.0,
                  "Bronx": 3.0, "Staten Island": 3.0, "EWR": 4.0}

_HOURS_WEEKDAY = np.array([0.35, 0.2, 0.12, 0.08, 0.08, 0.15, 0.45, 0.8, 1.0, 1.0, 0.9, 0.9, 0.95,
                           0.95, 1.0, 1.0, 0.95, 1.1, 1.3, 1.3, 1.2, 1.15, 1.05, 0.7])
_HOURS_WEEKEND = np.array([0.9, 0.75, 0.6, 0.45, 0.3, 0.15, 0.15, 0.25, 0.4, 0.6, 0.8, 0.95, 1.0,
                           1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.05, 1.0, 0.95, 0.95, 0.9])
_DAYS = np.array([0.9, 1.0, 1.03, 1.08, 1.1, 1.05, 0.85])  # Monday .. Sunday
# typical door-to-door speed in Manhattan (mph) by hour
_SPEED_WEEKDAY = np.array([13.5, 14.5, 15.5, 16, 17, 17, 15, 11, 8, 7.5, 7.5, 7.5, 7.5, 7.5, 7.5,
                           7.5, 7, 7, 7.5, 8.5, 10, 10.5, 10.5, 11.5])
_SPEED_WEEKEND = np.array([12, 13, 13.5, 14, 16, 17, 17, 15.5, 13, 11.5, 10.5, 9.5, 9.5, 9.5, 9.5,
                           9.5, 9.5, 9.5, 9.5, 9.5, 10, 10.5, 11, 11.5])


def _group(zone_id: int, borough: str) -> str:
    return {JFK: "JFK", LGA: "LGA"}.get(zone_id, borough)


def _zone_weights(table: ZoneTable) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                             np.ndarray, np.ndarray]:
    """ids, lat, lon, is_manhattan, pickup weights, dropoff attraction of the located zones."""
    zones = table.located()
    ids = np.array([z.location_id for z in zones])
    lat = np.array([z.lat for z in zones], dtype=np.float64)
    lon = np.array([z.lon for z in zones], dtype=np.float64)
    groups = [_group(z.location_id, z.borough) for z in zones]
    manhattan = np.array([z.borough == "Manhattan" for z in zones])
    base = np.ones(len(zones))
    for i, z in enumerate(zones):
        if z.location_id in _HOT:
            base[i] = 3.0
        elif z.location_id in _QUIET:
            base[i] = _QUIET[z.location_id]
        elif z.borough == "Manhattan" and z.lat is not None and z.lat > 40.80:
            base[i] = 0.4  # upper Manhattan: far fewer yellow cabs
    pickup = np.zeros(len(zones))
    for group, share in _PICKUP_SHARE.items():
        members = np.array([g == group for g in groups])
        if members.any() and base[members].sum() > 0:
            pickup[members] = share * base[members] / base[members].sum()
    attraction = pickup * np.array([_DROPOFF_BOOST.get(g, 1.0) for g in groups])
    return ids, lat, lon, manhattan, pickup / pickup.sum(), attraction


def generate(rows: int = 20_000, seed: int = 0, start: str = "2019-01-01", months: int = 6,
             dirt: float = 0.01, zones: ZoneTable | None = None) -> Any:
    """A pandas DataFrame of `rows` synthetic yellow-cab trips in the 2019 TLC layout."""
    import pandas as pd

    if rows < 1:
        raise ValueError("rows must be at least 1")
    rng = np.random.default_rng(seed)
    table = zones or load_zones()
    ids, zlat, zlon, zman, p_pickup, attraction = _zone_weights(table)
    nz = len(ids)

    # --- when: day weighted by weekday, hour by the day type's profile
    first = np.datetime64(start, "D")
    last = (np.datetime64(start, "M") + np.timedelta64(months, "M")).astype("datetime64[D]")
    days = np.arange(first, last)
    dow = (days.astype("datetime64[D]").view("int64") - 4) % 7  # 1970-01-01 was a Thursday
    p_day = _DAYS[dow] / _DAYS[dow].sum()
    day_idx = rng.choice(len(days), size=rows, p=p_day)
    weekend = dow[day_idx] >= 5
    hour = np.where(weekend,
                    rng.choice(24, size=rows, p=_HOURS_WEEKEND / _HOURS_WEEKEND.sum()),
                    rng.choice(24, size=rows, p=_HOURS_WEEKDAY / _HOURS_WEEKDAY.sum()))
    seconds = rng.integers(0, 3600, size=rows)
    pickup_time = (days[day_idx].astype("datetime64[s]") + hour * np.timedelta64(3600, "s")
                   + seconds * np.timedelta64(1, "s"))
    month = (days[day_idx].astype("datetime64[M]").view("int64") % 12) + 1

    # --- where: pickup zone by weight, dropoff by gravity from the pickup zone
    pu = rng.choice(nz, size=rows, p=p_pickup)
    d_zones = straight_miles(zlat[:, None], zlon[:, None], zlat[None, :], zlon[None, :])
    gravity = attraction[None, :] * (0.9 * np.exp(-d_zones / 0.6) + 0.1 * np.exp(-d_zones / 5.0))
    gravity /= gravity.sum(axis=1, keepdims=True)
    do = np.empty(rows, dtype=np.int64)
    for i in np.unique(pu):
        sel = np.flatnonzero(pu == i)
        do[sel] = rng.choice(nz, size=len(sel), p=gravity[i])

    # --- distance: scattered points around the centroids, straight line x detour
    spread = np.where(zman, 0.0035, 0.008)
    plat = zlat[pu] + rng.normal(0, spread[pu])
    plon = zlon[pu] + rng.normal(0, spread[pu] * 1.3)
    dlat = zlat[do] + rng.normal(0, spread[do])
    dlon = zlon[do] + rng.normal(0, spread[do] * 1.3)
    crow = straight_miles(plat, plon, dlat, dlon)
    both_manhattan = zman[pu] & zman[do]
    detour = np.where(both_manhattan, 1.28, 1.35) * rng.lognormal(0, 0.1, size=rows)
    distance = np.round(crow * detour + 0.15 + rng.gamma(1.5, 0.1, size=rows), 2)

    # --- speed: hour/day profile, borough, highway share on long trips, noise
    speed = np.where(weekend, _SPEED_WEEKEND[hour], _SPEED_WEEKDAY[hour])
    speed = speed * np.where(both_manhattan, 1.0, np.where(zman[pu] | zman[do], 1.25, 1.45))
    speed = speed * (1 + 0.45 * np.log1p(distance / 4.0))
    speed = speed * (1 - 0.012 * (month - 1))  # spring traffic a little heavier than January's
    day_factor = rng.lognormal(0, 0.06, size=len(days))  # weather, events
    speed = speed * day_factor[day_idx] * rng.lognormal(0, 0.22, size=rows)
    overhead = rng.gamma(2.0, 30.0, size=rows)
    duration = np.clip(distance / speed * 3600 + overhead, 30, 3 * 3600 - 60).round()

    frame = _fares(rng, rows, ids[pu], ids[do], zman[pu], zman[do], distance, duration, hour,
                   weekend, days[day_idx])
    frame["tpep_pickup_datetime"] = pickup_time
    frame["tpep_dropoff_datetime"] = pickup_time + duration.astype("int64") * np.timedelta64(1, "s")
    frame["trip_distance"] = distance
    _add_dirt(rng, frame, dirt)

    out = pd.DataFrame({c: frame[c] for c in YELLOW_2019_COLUMNS})
    out = out.sort_values("tpep_pickup_datetime", kind="stable").reset_index(drop=True)
    out.attrs["synthetic"] = True
    return out


def _fares(rng: np.random.Generator, n: int, pu_id: np.ndarray, do_id: np.ndarray,
           pu_man: np.ndarray, do_man: np.ndarray, distance: np.ndarray, duration: np.ndarray,
           hour: np.ndarray, weekend: np.ndarray, day: np.ndarray) -> dict[str, np.ndarray]:
    """Vendor, rate code, payment and the 2019 fare components, roughly by the tariff."""
    vendor = np.where(rng.random(n) < 0.35, 1, 2)
    jfk_manhattan = ((pu_id == JFK) & do_man) | ((do_id == JFK) & pu_man)
    newark = (pu_id == EWR) | (do_id == EWR)
    ratecode = np.where(jfk_manhattan, 2, np.where(newark, 3, 1))
    ratecode = np.where((ratecode == 1) & (rng.random(n) < 0.002), 5, ratecode)
    slow_minutes = np.maximum(0.0, duration / 60 - distance * 5)  # time below 12 mph
    fare = np.round((2.5 + 2.5 * distance + 0.5 * slow_minutes) * 2) / 2
    fare = np.where(ratecode == 2, 52.0, fare)
    extra = np.where((hour >= 20) | (hour < 6), 0.5, 0.0)
    extra = extra + np.where(~weekend & (hour >= 16) & (hour < 20), 1.0, 0.0)
    extra = np.where(ratecode == 2, 0.0, extra) + np.where(newark, 17.5, 0.0)
    payment = rng.choice([1, 2, 3, 4], size=n, p=[0.71, 0.28, 0.006, 0.004])
    tip = np.where((payment == 1) & (rng.random(n) > 0.1), fare * rng.uniform(0.15, 0.3, n), 0.0)
    crosses = pu_man != do_man
    tolls = np.where(crosses & (distance > 4) & (rng.random(n) < 0.55), 5.76, 0.0)
    tolls = np.where(newark, 15.0, tolls)
    congestion = np.where((day >= np.datetime64("2019-02-01")) & (pu_man | do_man), 2.5, 0.0)
    mta, improvement = np.full(n, 0.5), np.full(n, 0.3)
    total = fare + extra + mta + tip + tolls + improvement + congestion
    return {
        "VendorID": vendor,
        "passenger_count": rng.choice(np.arange(1, 7), size=n, p=[0.71, 0.145, 0.04, 0.02, 0.05, 0.035]),
        "RatecodeID": ratecode,
        "store_and_fwd_flag": np.where((vendor == 1) & (rng.random(n) < 0.01), "Y", "N"),
        "PULocationID": pu_id, "DOLocationID": do_id, "payment_type": payment,
        "fare_amount": fare, "extra": extra, "mta_tax": mta, "tip_amount": np.round(tip, 2),
        "tolls_amount": tolls, "improvement_surcharge": improvement,
        "total_amount": np.round(total, 2), "congestion_surcharge": congestion,
    }


def _add_dirt(rng: np.random.Generator, frame: dict[str, np.ndarray], fraction: float) -> None:
    """Damage a fraction of rows the way real TLC files are damaged."""
    n = len(frame["trip_distance"])
    bad = np.flatnonzero(rng.random(n) < fraction)
    if not len(bad):
        return
    kind = rng.choice(5, size=len(bad), p=[0.35, 0.2, 0.1, 0.1, 0.25])
    second = np.timedelta64(1, "s")
    pickup = frame["tpep_pickup_datetime"]
    dropoff = frame["tpep_dropoff_datetime"]
    frame["trip_distance"][bad[kind == 0]] = 0.0                       # zero distance
    rows = bad[kind == 1]                                              # meter left running
    dropoff[rows] = dropoff[rows] + rng.integers(4 * 3600, 24 * 3600, len(rows)) * second
    rows = bad[kind == 2]                                              # dropoff before pickup
    dropoff[rows] = pickup[rows] - rng.integers(60, 3600, len(rows)) * second
    rows = bad[kind == 3]                                              # a few seconds long
    dropoff[rows] = pickup[rows] + rng.integers(0, 15, len(rows)) * second
    rows = bad[kind == 4]                                              # unknown zone
    frame["PULocationID"][rows] = rng.choice([264, 265], size=len(rows))


def readme_path(data_path: str | Path) -> Path:
    """`F.csv` -> `F.README.md`: where the description of a data file lives."""
    p = Path(data_path)
    name = p.name
    for suffix in (".csv.gz", ".csv", ".parquet", ".pq"):
        if name.lower().endswith(suffix):
            return p.with_name(name[: -len(suffix)] + ".README.md")
    return p.with_name(p.stem + ".README.md")


def is_synthetic(data_path: str | Path) -> bool:
    """True when the file's name or its README says the data is synthetic."""
    p = Path(data_path)
    if "synthetic" in p.name.lower():
        return True
    readme = readme_path(p)
    try:
        return readme.is_file() and "synthetic" in readme.read_text(errors="replace").lower()
    except OSError:
        return False


def write_readme(data_path: str | Path, rows: int, seed: int, start: str, months: int) -> Path:
    path = readme_path(data_path)
    path.write_text(f"""# {Path(data_path).name} - SYNTHETIC DATA

**This data is SYNTHETIC. It is not real NYC TLC trip data; no ride in it took place.**

{rows} yellow-cab rides, {months} months from {start}, generated with seed {seed} by
`synthetic.py` (`python -m <package>.synthetic --rows {rows} --seed {seed} --start {start}
--months {months} --out {Path(data_path).name}`). The same seed gives the same file.

It uses the NYC TLC 2019 yellow-taxi column layout ({", ".join(YELLOW_2019_COLUMNS)}) so that
the workshop's code runs on it offline. Pickups and dropoffs follow 2019-like zone shares and a
gravity model over hand-compiled approximate zone centroids; durations come from a simple speed
model (hour of day, weekday or weekend, borough, trip length, noise). About 1 % of the rows are
deliberately dirty (zero distances, meters left running, negative durations, unknown zones 264/265),
as in the real files; the training script's cleaning removes them.

Metrics of models trained on it say how well the model learns this simulation, not how well it
predicts real taxi rides. Use real TLC trip records (nyc.gov TLC trip record data) for that.
""")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a SYNTHETIC NYC yellow-taxi trip file (2019 layout).")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", default="2019-01-01", help="first day, YYYY-MM-DD")
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--dirt", type=float, default=0.01, help="fraction of damaged rows")
    parser.add_argument("--out", required=True, help="output .csv (or .parquet) file")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.months < 1 or not 0 <= args.dirt < 1:
        print("error: --rows and --months must be at least 1, --dirt in [0, 1)", file=sys.stderr)
        return 2
    try:
        frame = generate(args.rows, args.seed, args.start, args.months, args.dirt)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() in (".parquet", ".pq"):
        frame.to_parquet(out, index=False)
    else:
        frame.to_csv(out, index=False)
    readme = write_readme(out, args.rows, args.seed, args.start, args.months)
    print(f"wrote {args.rows} SYNTHETIC rides to {out} (described in {readme.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
