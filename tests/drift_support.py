"""Feature matrices for drift tests: a daytime Manhattan model's training data, and night airport
rides (seeded numpy, in the column order of ``lab_scripts.features.FEATURES``)."""

from __future__ import annotations

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
