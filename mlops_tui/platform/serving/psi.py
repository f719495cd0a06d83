"""The population stability index (PSI) of one feature: how far the shares of its bins moved.

    PSI = sum over bins of (a - e) * ln(a / e)

where ``e`` is a bin's share of the training rides (expected) and ``a`` its share of the rides a
server was asked about (actual). It is the symmetrised Kullback-Leibler divergence of the two
binned distributions: 0 when they agree, growing without bound as they part.

**Empty bins.** ln(a / e) has no value when a bin is empty on either side (a night hour for a
daytime model has e = 0). Both shares are floored at :data:`EPSILON` = 0.0001 (one ride in ten
thousand) before the formula, the usual fix in PSI tools. A bin served 5 % of the time and never
seen in training then adds (0.05 - 0.0001) * ln(0.05 / 0.0001) = 0.31: alone over the threshold,
as it should be; one stray ride in 500 adds 0.016.

**Bands** (:func:`level`): below 0.1 the population is stable; 0.1 to 0.2 a moderate shift worth
watching; above 0.2 a significant shift (the model is asked about rides it saw little of).
This is the common rule of thumb from credit scoring, where PSI comes from, as given by Wu and
Olson, "Enterprise risk management: coping with model risk in a large bank", Journal of the
Operational Research Society 61(2), 2010, and used as the default of e.g. CapyMOA's PSI drift
detector (threshold 0.2). Some practitioners put the upper band at 0.25 (Siddiqi, *Credit Risk
Scorecards*, 2006); the issue asks for 0.2, the stricter of the two.

**Sample size.** PSI of a small sample is noisy even when nothing moved: for B bins and n rides
drawn from the training distribution it is about Pearson's chi-square(B - 1) / n (the first term
of its expansion), so 9 / n on average for ten bins. With :data:`MIN_RIDES` = 300, a false alarm
needs chi-square > 60: p < 1e-4 even for the 24 bins of the hour (at 200 rides it would be 1.5 %).
Below it a server says it is still collecting, and no badge is shown.

Plain Python (no numpy): a report has a dozen features of at most 24 bins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

EPSILON = 1e-4
STABLE_BELOW = 0.1
SIGNIFICANT_ABOVE = 0.2
MIN_RIDES = 300

STABLE, MODERATE, SIGNIFICANT = "stable", "moderate", "significant"


def shares(counts: Sequence[float]) -> list[float]:
    """Each bin's share of the total (all 0 when there is nothing)."""
    total = float(sum(counts))
    return [c / total for c in counts] if total > 0 else [0.0] * len(counts)


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """PSI of two histograms over the same bins (counts or shares; each is normalised first).

    Raises ValueError when the bins differ in number, or when a histogram is empty (PSI compares
    two populations; an empty one has no shares).
    """
    if len(expected) != len(actual):
        raise ValueError(
            f"the histograms have {len(expected)} and {len(actual)} bins; PSI needs the same bins"
        )
    if sum(expected) <= 0 or sum(actual) <= 0:
        raise ValueError("PSI needs rides on both sides; a histogram is empty")
    total = 0.0
    for e, a in zip(shares(expected), shares(actual), strict=True):
        e, a = max(e, EPSILON), max(a, EPSILON)
        total += (a - e) * math.log(a / e)
    return total


def level(value: float) -> str:
    """``stable`` (< 0.1), ``moderate`` (0.1 to 0.2) or ``significant`` (> 0.2: it passes 0.2)."""
    if value > SIGNIFICANT_ABOVE:
        return SIGNIFICANT
    return MODERATE if value >= STABLE_BELOW else STABLE
