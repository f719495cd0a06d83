"""What a prediction server counts: Prometheus metrics (prometheus_client) and the Open Inference
Protocol's statistics extension (Triton's ``/v2/models/<m>/stats``), fed by the same events.

Metrics (the model and version are on ``mlops_model_info``: one server serves one version):

- ``mlops_requests_total{endpoint,status}`` and ``mlops_request_duration_seconds{endpoint}``:
  every request, by endpoint (predict, infer, health, metadata, metrics, history, drift,
  other);
- ``mlops_prediction_latency_seconds``: server time of successful predict and infer requests;
- ``mlops_predicted_records_total``; ``mlops_model_load_seconds`` (verify and load at start);
- ``mlops_batch_rows`` (rows per model call), ``mlops_batch_queue_seconds`` (a request's wait for
  its model call) and ``mlops_model_call_seconds``: what adaptive batching does;
- prometheus_client's process and Python collectors (CPU, memory, open files, GC).

The per-request metrics are counted in plain Python (:class:`_Histogram`, a dict of counts) and
handed to prometheus_client at scrape time by a custom collector (``RequestCollector``), the way
its documentation has exporters of other systems do it; exposition, names, labels and buckets
are prometheus_client's. Why: its ``Counter.inc`` and ``Histogram.observe`` take a lock per
value (they are thread-safe), seven of them per prediction cost about 7 µs, a tenth of what the
server spends on a one-ride request; a count here is a list increment. Every count is made on the
event loop's thread (the model thread's results are delivered there), so no lock is needed.

Drift monitoring (``drift``) adds its collector to ``registry`` (``mlops_feature_psi{feature}``,
``mlops_drift_detected``, ``mlops_drift_window_rides``, ``mlops_feature_values_total{feature,bin}``)
and is handed each request's feature rows by the app once they are scored (not the latency
probe's: ``services.types.PROBE_HEADER``).
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

import numpy as np
from prometheus_client import (
    CollectorRegistry,
    Gauge,
    Info,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
ROW_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
ENDPOINTS = ("predict", "infer", "health", "metadata", "metrics", "history", "drift", "other")

disable_created_metrics()  # no *_created series: a server's start time is process_start_time_seconds


class _Histogram:
    """A Prometheus histogram's counts: one per bucket (a value goes to the first bucket whose
    bound is at least the value, as prometheus_client's ``le``), the +Inf bucket last, and the
    sum."""

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.bounds = [float(b) for b in buckets]
        self.counts = [0] * (len(buckets) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.sum += value

    def cumulative(self) -> list[tuple[str, float]]:
        out, total = [], 0
        for bound, count in zip([*self.bounds, float("inf")], self.counts, strict=True):
            total += count
            out.append((floatToGoString(bound), total))
        return out


class RequestCollector(Collector):
    """The per-request metrics, from their plain counts, as prometheus_client families."""

    def __init__(self, metrics: ServingMetrics) -> None:
        self.metrics = metrics

    def describe(self) -> Iterator[Any]:
        return iter(())  # built on scrape

    def collect(self) -> Iterator[Any]:
        m = self.metrics
        requests = CounterMetricFamily(
            "mlops_requests", "Requests by endpoint and HTTP status.", labels=["endpoint", "status"]
        )
        for (endpoint, status), count in m.requests.items():
            requests.add_metric([endpoint, str(status)], count)
        yield requests
        duration = HistogramMetricFamily(
            "mlops_request_duration_seconds", "Server time of requests by endpoint.", labels=["endpoint"]
        )
        for endpoint, hist in m.durations.items():
            duration.add_metric([endpoint], hist.cumulative(), hist.sum)
        yield duration
        yield _family(
            "mlops_prediction_latency_seconds",
            "Server time of successful predictions (predict and infer).",
            m.latency,
        )
        yield CounterMetricFamily("mlops_predicted_records", "Rides scored.", value=m.records)
        yield _family("mlops_batch_rows", "Rows per model call.", m.batch_rows)
        yield _family("mlops_batch_queue_seconds", "Time a request waited for its model call.", m.queue)
        yield _family("mlops_model_call_seconds", "Time of one model call.", m.model_calls)


def _family(name: str, documentation: str, hist: _Histogram) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation)
    family.add_metric([], hist.cumulative(), hist.sum)
    return family


class Statistics:
    """Triton's per-model statistics (``model_statistics`` extension): counts and nanoseconds."""

    def __init__(self) -> None:
        self.last_inference_ms = 0
        self.inference_count = 0  # rides scored
        self.execution_count = 0  # model calls
        self.phases = {k: [0, 0] for k in ("success", "fail", "queue", "compute_input", "compute_infer")}
        self.batches: dict[int, list[int]] = {}  # rows -> [calls, compute ns]

    def json(self, model: str, version: str) -> dict[str, Any]:
        def pair(k: str) -> dict[str, int]:
            return {"count": self.phases[k][0], "ns": self.phases[k][1]}

        return {
            "model_stats": [
                {
                    "name": model,
                    "version": version,
                    "last_inference": self.last_inference_ms,
                    "inference_count": self.inference_count,
                    "execution_count": self.execution_count,
                    "inference_stats": {k: pair(k) for k in self.phases},
                    "batch_stats": [
                        {"batch_size": rows, "compute_infer": {"count": calls, "ns": ns}}
                        for rows, (calls, ns) in sorted(self.batches.items())
                    ],
                }
            ]
        }

    def add(self, phase: str, seconds: float) -> None:
        pair = self.phases[phase]
        pair[0] += 1
        pair[1] += int(seconds * 1e9)


class ServingMetrics:
    def __init__(self, model: str, version: str, load_seconds: float) -> None:
        self.model, self.version = model, version
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        r = self.registry
        Info("mlops_model", "The model version this server serves.", registry=r).info(
            {"model": model, "version": version}
        )
        Gauge("mlops_model_load_seconds", "Time to verify and load the model at start.", registry=r).set(
            load_seconds
        )
        self.requests: dict[tuple[str, int], int] = {}
        self.durations: dict[str, _Histogram] = {}
        self.latency = _Histogram(LATENCY_BUCKETS)
        self.records = 0
        self.batch_rows = _Histogram(ROW_BUCKETS)
        self.queue = _Histogram(LATENCY_BUCKETS)
        self.model_calls = _Histogram(LATENCY_BUCKETS)
        r.register(RequestCollector(self))
        self.statistics = Statistics()

    def request(self, endpoint: str, status: int, seconds: float) -> None:
        """One answered request."""
        key = (endpoint, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        duration = self.durations.get(endpoint)
        if duration is None:
            duration = self.durations[endpoint] = _Histogram(LATENCY_BUCKETS)
        duration.observe(seconds)
        if endpoint in ("predict", "infer"):
            if status == 200:
                self.latency.observe(seconds)
                self.statistics.add("success", seconds)
            else:
                self.statistics.add("fail", seconds)

    def prepared(self, seconds: float) -> None:
        """A request's rides validated and turned into feature rows."""
        self.statistics.add("compute_input", seconds)

    def queued(self, seconds: float) -> None:
        self.queue.observe(seconds)
        self.statistics.add("queue", seconds)

    def model_call(self, rows: np.ndarray, seconds: float) -> None:
        """One model call on ``rows`` (n x features)."""
        n = len(rows)
        self.records += n
        self.batch_rows.observe(n)
        self.model_calls.observe(seconds)
        stats = self.statistics
        stats.inference_count += n
        stats.execution_count += 1
        stats.last_inference_ms = int(time.time() * 1000)
        stats.add("compute_infer", seconds)
        batch = stats.batches.setdefault(n, [0, 0])
        batch[0] += 1
        batch[1] += int(seconds * 1e9)

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """The metrics in the text format the client accepts (Prometheus text, or OpenMetrics)."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type
