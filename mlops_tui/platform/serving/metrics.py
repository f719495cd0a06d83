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

Drift monitoring (``drift``) adds its collector to ``registry`` (``mlops_feature_psi{feature}``,
``mlops_drift_detected``, ``mlops_drift_window_rides``, ``mlops_feature_values_total{feature,bin}``)
and is handed each request's feature rows by the app once they are scored (not the latency
probe's: ``services.types.PROBE_HEADER``).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Info,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
ROW_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)
ENDPOINTS = ("predict", "infer", "health", "metadata", "metrics", "history", "drift", "other")

disable_created_metrics()  # no *_created series: a server's start time is process_start_time_seconds


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
        self._requests = Counter(
            "mlops_requests", "Requests by endpoint and HTTP status.", ("endpoint", "status"), registry=r
        )
        self._duration = Histogram(
            "mlops_request_duration_seconds",
            "Server time of requests by endpoint.",
            ("endpoint",),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._latency = Histogram(
            "mlops_prediction_latency_seconds",
            "Server time of successful predictions (predict and infer).",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._records = Counter("mlops_predicted_records", "Rides scored.", registry=r)
        Gauge("mlops_model_load_seconds", "Time to verify and load the model at start.", registry=r).set(
            load_seconds
        )
        self._batch_rows = Histogram(
            "mlops_batch_rows", "Rows per model call.", buckets=ROW_BUCKETS, registry=r
        )
        self._queue = Histogram(
            "mlops_batch_queue_seconds",
            "Time a request waited for its model call.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self._model_call = Histogram(
            "mlops_model_call_seconds", "Time of one model call.", buckets=LATENCY_BUCKETS, registry=r
        )
        self._children: dict[tuple[str, int], tuple[Any, Any]] = {}
        self.statistics = Statistics()

    def request(self, endpoint: str, status: int, seconds: float) -> None:
        """One answered request."""
        children = self._children.get((endpoint, status))
        if children is None:
            children = (
                self._requests.labels(endpoint, str(status)),
                self._duration.labels(endpoint),
            )
            self._children[(endpoint, status)] = children
        children[0].inc()
        children[1].observe(seconds)
        if endpoint in ("predict", "infer"):
            if status == 200:
                self._latency.observe(seconds)
                self.statistics.add("success", seconds)
            else:
                self.statistics.add("fail", seconds)

    def prepared(self, seconds: float) -> None:
        """A request's rides validated and turned into feature rows."""
        self.statistics.add("compute_input", seconds)

    def queued(self, seconds: float) -> None:
        self._queue.observe(seconds)
        self.statistics.add("queue", seconds)

    def model_call(self, rows: np.ndarray, seconds: float) -> None:
        """One model call on ``rows`` (n x features)."""
        n = len(rows)
        self._records.inc(n)
        self._batch_rows.observe(n)
        self._model_call.observe(seconds)
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
