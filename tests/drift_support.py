"""Feature matrices for drift tests: a daytime Manhattan model's training data, and night airport
rides (seeded numpy, in the column order of ``lab_scripts.features.FEATURES``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from mlops_tui.lab_scripts.feature_bins import feature_distribution
from mlops_tui.lab_scripts.features import FEATURES

COLUMN = {name: i for i, name in enumerate(FEATURES)}
JFK_LON = -73.7781


def daytime_manhattan(n: int, seed: int = 0) -> np.ndarray:
    """Weekday and weekend rides between 8:00 and 17:59, short, inside Manhattan."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, len(FEATURES)))
    x[:, COLUMN["weekday"]] = rng.integers(0, 2, n)
    x[:, COLUMN["hour"]] = rng.integers(8, 18, n)
    x[:, COLUMN["work"]] = x[:, COLUMN["weekday"]]
    x[:, COLUMN["month"]] = 3
    x[:, COLUMN["distance"]] = rng.gamma(2.0, 1.0, n)
    x[:, COLUMN["straight_distance"]] = x[:, COLUMN["distance"]] / 1.3
    for name in ("pickup_lat", "dropoff_lat"):
        x[:, COLUMN[name]] = rng.uniform(40.70, 40.80, n)
    for name in ("pickup_lon", "dropoff_lon"):
        x[:, COLUMN[name]] = rng.uniform(-74.02, -73.93, n)
    x[:, COLUMN["passengers"]] = 1
    return x


def night_airport(n: int, seed: int = 1) -> np.ndarray:
    """The same kind of rides, but between midnight and 5 am, 12-20 miles, to JFK."""
    x = daytime_manhattan(n, seed)
    rng = np.random.default_rng(seed)
    x[:, COLUMN["hour"]] = rng.integers(0, 5, n)
    x[:, COLUMN["work"]] = 0
    x[:, COLUMN["distance"]] = rng.uniform(12, 20, n)
    x[:, COLUMN["dropoff_lon"]] = JFK_LON
    return x


def manifest(x: np.ndarray) -> dict[str, Any]:
    """The parts of a model manifest drift reads, for training matrix ``x``."""
    return {"features": list(FEATURES), "feature_distribution": feature_distribution(x, FEATURES)}


# -- the end-to-end drift test: real rides, a real model, real prediction servers -----------------

SHARED_SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "tlc-2019-03-sample.csv"
AIRPORTS = (132, 138)  # JFK Airport, LaGuardia Airport


def write_daytime_manhattan(path: Path) -> tuple[Any, str]:
    """Daytime (8:00-17:59) rides from a Manhattan zone to a Manhattan zone, written to ``path`` in
    the TLC layout; ``(the rides training keeps, where they came from)``. From the real March 2019
    sample in ../shared/data where it is, else from the synthetic generator (March 2019)."""
    import pandas as pd
    from mlops_tui.lab_scripts import synthetic
    from mlops_tui.lab_scripts.tlc import load_trips
    from mlops_tui.lab_scripts.zones import load_zones

    zones = load_zones()
    if SHARED_SAMPLE.is_file():
        frame, source = pd.read_csv(SHARED_SAMPLE), f"the TLC sample {SHARED_SAMPLE.name}"
    else:
        frame = synthetic.generate(rows=16_000, seed=11, start="2019-03-01", months=1)
        source = "generated rides (lab_scripts.synthetic)"
    manhattan = {z.location_id for z in zones.located() if z.borough == "Manhattan"}
    hour = pd.to_datetime(frame["tpep_pickup_datetime"], errors="coerce").dt.hour
    keep = hour.between(8, 17) & frame["PULocationID"].isin(manhattan) & frame["DOLocationID"].isin(manhattan)
    frame[keep].to_csv(path, index=False)
    return load_trips(path, zones), source


def rides_from(trips: Any, n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` rides drawn from ``trips`` (a frame of `tlc.load_trips`), as prediction requests."""
    rng = np.random.default_rng(seed)
    usable = trips[trips["passenger_count"].fillna(1).between(0, 9)]
    picked = usable.iloc[rng.choice(len(usable), size=n, replace=len(usable) < n)]
    return [
        {
            "pickup_datetime": row.pickup_datetime.isoformat(),
            "pickup_zone": int(row.pu_location_id),
            "dropoff_zone": int(row.do_location_id),
            "distance": float(row.trip_distance),
            "passengers": int(1 if np.isnan(row.passenger_count) else row.passenger_count),
        }
        for row in picked.itertuples()
    ]


def night_airport_rides(trips: Any, n: int, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` rides between midnight and 5 am in March 2019, from the Manhattan zones of ``trips``
    to JFK or LaGuardia, 10 to 20 miles: what a daytime Manhattan model never saw."""
    rng = np.random.default_rng(seed)
    pickups = trips["pu_location_id"].to_numpy()
    rides = []
    for _ in range(n):
        day, hour, minute = int(rng.integers(1, 32)), int(rng.integers(0, 5)), int(rng.integers(0, 60))
        rides.append(
            {
                "pickup_datetime": f"2019-03-{day:02d}T{hour:02d}:{minute:02d}:00",
                "pickup_zone": int(rng.choice(pickups)),
                "dropoff_zone": int(rng.choice(AIRPORTS)),
                "distance": round(float(rng.uniform(10, 20)), 2),
                "passengers": 1,
            }
        )
    return rides


async def serve(platform: Any, deployment: str, rides: list[dict[str, Any]], batch: int = 100) -> int:
    """Ask ``deployment`` about ``rides`` through the Platform interface, ``batch`` a request;
    the number of values it answered."""
    answered = 0
    for start in range(0, len(rides), batch):
        prediction = await platform.predict(deployment, rides[start : start + batch])
        answered += len(prediction.values)
    return answered


@dataclass
class DriftModel:
    """A model trained on daytime Manhattan rides, deployed twice (``quiet``, ``shifted``)."""

    trips: Any  # the rides training kept
    source: str
    version: dict[str, Any]
    quiet: dict[str, Any]
    shifted: dict[str, Any]
