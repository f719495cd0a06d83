"""Drift of one deployment: what its prediction server is asked, against the model's training data.

The model's manifest holds each feature's training distribution as histogram bins
(``feature_distribution``, written by lab_scripts/feature_bins.py at training). The server hands
every feature matrix it scores to :meth:`DriftMonitor.observe` (``ServingMetrics.model_call``'s
feature observers: every row the model saw, once), which bins each column with the manifest's
rule and counts it in a :class:`~mlops_tui.platform.serving.running_histogram.RunningHistogram`
(the last 5,000 to 10,000 rides). :meth:`DriftMonitor.report` compares the two per feature with
the population stability index (:mod:`mlops_tui.platform.serving.psi`): that report is what the
server's ``GET /drift`` answers, the platform passes on per deployment, the dashboard's badge and
``mlops-tui status`` show, and :class:`DriftCollector` exports to Prometheus.

The binning is deferred: requests' rows wait (as they are, a reference each) until FLUSH_ROWS of
them, or the first is FLUSH_AGE_S old, or the counts are read, then are binned in one go: numpy's
fixed cost per call (11 ``searchsorted`` and a ``bincount``, about 30 µs) is paid once per
thousand rides, not once per request (a 100-ride request spent about 8 % of its time there, a
one-ride request 3 µs). In a server the binning runs in the event loop's next turn, once the
answer of the request that filled the batch is written (its client reads it meanwhile). The
counts read are always every ride observed; a block's start time is that of the first ride of
the rows binned with it (at most FLUSH_AGE_S early).

:func:`attach` wires it into a server; where drift cannot be measured (a model trained before the
manifest held the distribution, scoring code that does not hand the server its feature rows) it
says why, and ``/drift`` answers that reason.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from mlops_tui.platform.serving import psi
from mlops_tui.platform.serving.metrics import ServingMetrics
from mlops_tui.platform.serving.running_histogram import BLOCK_RIDES, RunningHistogram

log = logging.getLogger("mlops_tui.platform.serving")

BINS_FORMAT = "mlops-tui-feature-bins/1"  # lab_scripts/feature_bins.py FORMAT
FLUSH_ROWS = 1024  # rows observed from which they are binned (before: they wait, unbinned)
FLUSH_AGE_S = 1.0  # ... or once the first waiting row is this old

# report status
DRIFT, STABLE, COLLECTING, UNAVAILABLE = "drift", "stable", "collecting", "unavailable"


@dataclass(frozen=True)
class _Feature:
    name: str
    column: int  # in the scored feature matrix
    cuts: tuple[float, ...]
    labels: tuple[str, ...]
    expected: tuple[int, ...]  # training counts per bin


def unavailable_reason(manifest: dict[str, Any]) -> str | None:
    """Why drift cannot be measured for this model (None when it can)."""
    dist = manifest.get("feature_distribution")
    if not isinstance(dist, dict) or dist.get("format") != BINS_FORMAT:
        return (
            "this model version was trained before training recorded its features' distribution: "
            "train and deploy a new version to see drift"
        )
    features = dist.get("features")
    if not isinstance(features, dict) or not any(n in features for n in manifest.get("features") or ()):
        return "the model's manifest holds no feature distribution to compare with"
    return None


def _iso(t: float | None) -> str | None:
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="seconds") if t is not None else None


class DriftMonitor:
    """Counts the scored rows of one model; ``report()`` gives PSI per feature."""

    def __init__(self, manifest: dict[str, Any], block: int = BLOCK_RIDES, clock: Any = None) -> None:
        """Raises ValueError when the manifest has no usable distribution (``unavailable_reason``)."""
        reason = unavailable_reason(manifest)
        if reason is not None:
            raise ValueError(reason)
        dist = manifest["feature_distribution"]
        self.training_rides = int(dist.get("rows") or 0)
        self.features: list[_Feature] = []
        for column, name in enumerate(manifest["features"]):
            spec = dist["features"].get(name)
            if not isinstance(spec, dict):
                continue
            cuts = tuple(float(c) for c in spec["cuts"])
            counts = tuple(int(c) for c in spec["counts"])
            labels = tuple(str(s) for s in spec.get("labels") or ())
            if len(counts) != len(cuts) + 1 or any(b <= a for a, b in itertools.pairwise(cuts)):
                raise ValueError(f"the manifest's bins of {name} are malformed")
            if len(labels) != len(counts):
                labels = tuple(str(i) for i in range(len(counts)))
            self.features.append(_Feature(name, column, cuts, labels, counts))
        self.width = len(manifest["features"])
        self._columns = [f.column for f in self.features]
        self._cuts_arrays = [np.asarray(f.cuts, dtype=np.float64) for f in self.features]
        self._clock = clock or time.time
        self._histogram = RunningHistogram([len(f.expected) for f in self.features], block, clock=self._clock)
        self._waiting: list[np.ndarray] = []  # rows observed, not binned yet
        self._waiting_rows = 0
        self._waiting_since = 0.0
        self._waiting_last = 0.0
        self._due = False  # a flush is scheduled

    @property
    def histogram(self) -> RunningHistogram:
        """The counts, every observed ride in them."""
        self.flush()
        return self._histogram

    def bins(self, rows: np.ndarray) -> np.ndarray:
        """The bin of each monitored feature of each row (n x monitored features): the number of
        the feature's cuts at or below the value (``searchsorted``, side right)."""
        columns = rows.T.copy()  # (a contiguous column is searched faster than a strided one)
        out = np.empty((len(self.features), len(rows)), dtype=np.int64)
        for j, (c, cuts) in enumerate(zip(self._columns, self._cuts_arrays, strict=True)):
            out[j] = np.searchsorted(cuts, columns[c], side="right")
        return out.T

    def observe(self, rows: np.ndarray) -> None:
        """Count the rows of one request (n x len(manifest features), float64; not changed after)."""
        if rows.ndim != 2 or rows.shape[1] != self.width or not len(rows):
            return  # not this model's feature rows: nothing to count (never a failed prediction)
        now = self._clock()
        if not self._waiting:
            self._waiting_since = now
        self._waiting.append(rows)
        self._waiting_rows += len(rows)
        self._waiting_last = now
        if (self._waiting_rows >= FLUSH_ROWS or now - self._waiting_since >= FLUSH_AGE_S) and not self._due:
            try:  # in the event loop's next turn: after the answer of the request under way is written
                asyncio.get_running_loop().call_soon(self._flush_due)
                self._due = True
            except RuntimeError:  # (no event loop: at once)
                self.flush()

    def _flush_due(self) -> None:
        self._due = False
        self.flush()

    def flush(self) -> None:
        """Bin and count the rows waiting."""
        if not self._waiting:
            return
        waiting = self._waiting
        rows = waiting[0] if len(waiting) == 1 else np.concatenate(waiting)
        self._waiting, self._waiting_rows = [], 0
        self._histogram.add(self.bins(rows), (self._waiting_since, self._waiting_last))

    def feature_psi(self) -> list[tuple[_Feature, list[int], float | None]]:
        """Each feature with its window counts and PSI (None while the window is empty)."""
        out = []
        for j, feature in enumerate(self.features):
            actual = self.histogram.window(j)
            value = psi.psi(feature.expected, actual) if sum(actual) and sum(feature.expected) else None
            out.append((feature, actual, value))
        return out

    def status(self, values: Sequence[float | None]) -> str:
        if self.histogram.window_rides < psi.MIN_RIDES:
            return COLLECTING
        return DRIFT if any(v is not None and v > psi.SIGNIFICANT_ABOVE for v in values) else STABLE

    def report(self) -> dict[str, Any]:
        """The ``/drift`` document (docs/drift.md): status, the window, and per feature its PSI,
        level and each bin's training and served share, most drifted first."""
        rows = self.feature_psi()
        status = self.status([v for _, _, v in rows])
        judged = status != COLLECTING
        features = []
        for feature, actual, value in sorted(rows, key=lambda r: -(r[2] or 0.0)):
            expected_share, actual_share = psi.shares(feature.expected), psi.shares(actual)
            features.append(
                {
                    "name": feature.name,
                    "psi": round(value, 4) if value is not None else None,
                    "level": psi.level(value) if value is not None and judged else None,
                    "bins": [
                        {"label": label, "expected": round(e, 4), "actual": round(a, 4)}
                        for label, e, a in zip(feature.labels, expected_share, actual_share, strict=True)
                    ],
                }
            )
        window = self.histogram
        return {
            "available": True,
            "status": status,
            "reason": "" if judged else f"{window.window_rides} of the {psi.MIN_RIDES} rides PSI needs",
            "threshold": psi.SIGNIFICANT_ABOVE,
            "stable_below": psi.STABLE_BELOW,
            "min_rides": psi.MIN_RIDES,
            "epsilon": psi.EPSILON,
            "window_rides": window.window_rides,
            "window_max_rides": 2 * window.block,
            "observed_rides": window.total_rides,
            "training_rides": self.training_rides,
            "since_at": _iso(window.window_since),
            "last_at": _iso(window.last_at),
            "drifted": [f["name"] for f in features if f["level"] == psi.SIGNIFICANT],
            "features": features,
        }


class DriftCollector(Collector):
    """Prometheus metrics of a :class:`DriftMonitor`, computed when scraped.

    - ``mlops_feature_psi{feature}``: PSI of the window against the training data; present once
      the window holds psi.MIN_RIDES rides (absent before: an alert on it cannot fire on 3 rides);
    - ``mlops_drift_detected``: 1 when a feature's PSI passes 0.2 (the dashboard's badge), else 0;
    - ``mlops_drift_window_rides``: the rides the PSI rests on;
    - ``mlops_feature_values_total{feature,bin}``: every scored ride since the start, per bin of
      each feature (``bin`` is the bin's label: an hour, or a range such as ``1.2-1.9``).
    """

    def __init__(self, monitor: DriftMonitor) -> None:
        self.monitor = monitor

    def describe(self) -> Iterator[Any]:
        return iter(())  # the families are built on scrape; nothing to check at registration

    def collect(self) -> Iterator[Any]:
        monitor = self.monitor
        rows = monitor.feature_psi()
        judged = monitor.histogram.window_rides >= psi.MIN_RIDES
        gauge = GaugeMetricFamily(
            "mlops_feature_psi",
            "Population stability index of each feature: served rides (window) against the training data.",
            labels=["feature"],
        )
        if judged:
            for feature, _actual, value in rows:
                if value is not None:
                    gauge.add_metric([feature.name], value)
        yield gauge
        detected = monitor.status([v for _, _, v in rows]) == DRIFT
        yield GaugeMetricFamily(
            "mlops_drift_detected", "1 when a feature's PSI passes 0.2, else 0.", value=1 if detected else 0
        )
        yield GaugeMetricFamily(
            "mlops_drift_window_rides", "Rides the PSI is computed on.", value=monitor.histogram.window_rides
        )
        counter = CounterMetricFamily(
            "mlops_feature_values",
            "Scored rides since the start, per bin of each feature.",
            labels=["feature", "bin"],
        )
        for j, feature in enumerate(monitor.features):
            for label, count in zip(feature.labels, monitor.histogram.total(j), strict=True):
                counter.add_metric([feature.name, label], count)
        yield counter


NO_ROWS = (
    "this version's scoring code scores rides without handing the server their feature rows (it has "
    "no prepare/predict_prepared), so what it is asked cannot be counted: register a new version"
)


@dataclass
class Drift:
    """A server's drift monitoring: the monitor, or why there is none (``reason``)."""

    monitor: DriftMonitor | None
    reason: str = ""
    _failed: bool = False

    def observe(self, rows: np.ndarray) -> None:
        """Count one request's feature rows (n x features); a fault of the monitor is logged once
        and never fails a prediction."""
        if self.monitor is None:
            return
        try:
            self.monitor.observe(rows)
        except Exception:
            if not self._failed:
                log.exception("drift monitoring failed on a request's rows (reported once)")
                self._failed = True

    def report(self) -> dict[str, Any]:
        """The ``GET /drift`` document: the monitor's report, or ``available: false`` and why."""
        if self.monitor is None:
            return {"available": False, "status": UNAVAILABLE, "reason": self.reason, "features": []}
        return self.monitor.report()


def attach(manifest: dict[str, Any], metrics: ServingMetrics, *, rows_seen: bool = True) -> Drift:
    """Monitor the rows the server scores (``rows_seen``: its scoring code hands them over), with
    its Prometheus collector on ``metrics.registry``; the app hands each request's rows to
    :meth:`Drift.observe` (not the probe's: ``services.types.PROBE_HEADER``)."""
    reason = unavailable_reason(manifest) or ("" if rows_seen else NO_ROWS)
    if reason:
        return Drift(None, reason)
    try:
        monitor = DriftMonitor(manifest)
    except ValueError as exc:
        return Drift(None, str(exc))
    metrics.registry.register(DriftCollector(monitor))
    return Drift(monitor)
