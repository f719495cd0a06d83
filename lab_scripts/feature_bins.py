"""The distribution of each model feature in the training data, as histogram bins (for drift).

Training stores it in the model's manifest (`feature_distribution`); every prediction server
counts the rows it is asked to score into the same bins and compares the two shares with the
population stability index (docs/drift.md). So the bins are chosen here, once, from the training
data, and both sides bin a value with the one rule of `bin_index`:

    bin = the number of cuts <= value        (numpy.searchsorted(cuts, value, side="right"))

k cuts make k + 1 bins; the first and last are open (below the first cut, from the last cut up),
so a value never seen in training still lands in a bin: the outermost one.

How the cuts are chosen, per feature (`CATEGORIES` names the discrete ones):

- **discrete features** (`work`, `weekday`, `hour`, `month`, `passengers`) get one bin per
  possible value, cut half-way between neighbours (hour: 0.5, 1.5, ... 22.5: 24 bins). Fixed edges,
  not quantiles: a feature with few values has ties that quantile cuts cannot split (most rides
  carry 1 passenger), and a value that training never saw (a night hour for a daytime model) must
  keep a bin of its own, where its share is the drift;
- **continuous features** (`distance`, `straight_distance` and the pickup and dropoff
  coordinates) get the training data's deciles as cuts (`QUANTILES`): ten bins holding about a
  tenth of the training rides each. Equal-mass bins rather than equal-width ones: no bin has a
  tiny expected share whose logarithm would swing PSI on a handful of rides (a long-tailed
  distance spread over equal widths leaves most bins nearly empty), and the open outer bins catch
  everything beyond the training range. Cuts that coincide (a dominant value) are merged.

Places reach the model as coordinates (a zone id becomes its centroid, features.py), so the zones
are monitored through them: a Manhattan model asked about JFK (longitude -73.78, east of every
Manhattan centroid) sees those rides pile up in the last longitude bin.

The bins are computed on at most `SAMPLE_ROWS` rides, every k-th ride of the training data (a
systematic sample: TLC files are in time order, so it spans the whole period). A share estimated on
100,000 rides is within about 0.001 of the whole file's (one standard error of a 10 % share), far
below what PSI's thresholds see, and it keeps this step near 0.03 s on a million rides instead of
0.4 s (quantiles and binning of 11 columns; benchmarks/drift.py), in a training that issue 6
holds to 1.2x plain XGBoost.

numpy only; the manifest keeps plain JSON numbers (cuts exactly as computed, counts as integers).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

FORMAT = "mlops-tui-feature-bins/1"
RULE = "bin = number of cuts <= value (numpy.searchsorted(cuts, value, side='right'))"

#: The possible values of each discrete feature (features.FEATURES): one bin each.
CATEGORIES: dict[str, tuple[int, ...]] = {
    "work": (0, 1),
    "weekday": (0, 1),
    "hour": tuple(range(24)),
    "month": tuple(range(1, 13)),
    "passengers": tuple(range(10)),  # features.MAX_PASSENGERS = 9
}

#: Cut points of the continuous features: the training deciles.
QUANTILES: tuple[float, ...] = tuple(i / 10 for i in range(1, 10))

#: The most rides the bins are computed on (see the module's docstring).
SAMPLE_ROWS = 100_000


def category_cuts(values: Sequence[int]) -> list[float]:
    """Cuts half-way between consecutive possible values: one bin per value."""
    return [(a + b) / 2 for a, b in itertools.pairwise(values)]


def quantile_cuts(column: np.ndarray) -> list[float]:
    """The training deciles of ``column`` (finite values), duplicates merged; [] when empty."""
    import numpy as np

    finite = column[np.isfinite(column)]
    if not len(finite):
        return []
    return [float(c) for c in np.unique(np.quantile(finite, QUANTILES))]


def bin_index(cuts: Sequence[float], values: Any) -> np.ndarray:
    """The bin (0..len(cuts)) of each value: the number of cuts <= value (the module's rule)."""
    import numpy as np

    return np.searchsorted(np.asarray(cuts, dtype=np.float64), np.asarray(values, np.float64), "right")


def bin_labels(cuts: Sequence[float], categories: Sequence[int] | None = None) -> list[str]:
    """Short labels of the bins: the value of a discrete feature, else the range (``<0.9``,
    ``0.9-1.4``, ``>=9.8``; 3 significant digits)."""
    if categories is not None:
        return [str(v) for v in categories]
    if not cuts:
        return ["all"]
    shown = [f"{c:.3g}" for c in cuts]
    return [f"<{shown[0]}", *(f"{a}-{b}" for a, b in itertools.pairwise(shown)), f">={shown[-1]}"]


def feature_distribution(x: np.ndarray, features: Sequence[str]) -> dict[str, Any]:
    """The manifest's ``feature_distribution`` of training matrix ``x`` (n x len(features)).

    ``{"format", "rule", "rows", "of_rows", "features": {name: {"kind": "category"|"quantile",
    "cuts", "labels", "counts"}}}``: ``counts`` has len(cuts) + 1 integers summing to ``rows``, the
    rides of the sample (every k-th of ``of_rows``, at most SAMPLE_ROWS). Raises ValueError when
    ``x`` does not have one column per feature.
    """
    import numpy as np

    if x.ndim != 2 or x.shape[1] != len(features):
        raise ValueError(f"a matrix of {len(features)} feature columns is needed, got shape {x.shape}")
    step = max(1, -(-x.shape[0] // SAMPLE_ROWS))
    sample = x[::step]
    out: dict[str, Any] = {}
    for i, name in enumerate(features):
        column = np.ascontiguousarray(sample[:, i])
        categories = CATEGORIES.get(name)
        cuts = category_cuts(categories) if categories is not None else quantile_cuts(column)
        counts = np.bincount(bin_index(cuts, column), minlength=len(cuts) + 1)
        out[name] = {
            "kind": "category" if categories is not None else "quantile",
            "cuts": cuts,
            "labels": bin_labels(cuts, categories),
            "counts": [int(c) for c in counts],
        }
    return {"format": FORMAT, "rule": RULE, "rows": int(sample.shape[0]), "of_rows": int(x.shape[0]),
            "features": out}
