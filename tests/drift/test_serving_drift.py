"""The server side of drift: counting scored rows against the manifest's bins, the report, and
its Prometheus collector."""

from __future__ import annotations

import asyncio
import bisect

import numpy as np
import pytest
from drift_support import daytime_manhattan, manifest, night_airport
from mlops_tui.lab_scripts.features import FEATURES
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from mlops_tui.platform.serving import psi
from mlops_tui.platform.serving.drift import (
    FLUSH_AGE_S,
    FLUSH_ROWS,
    DriftCollector,
    DriftMonitor,
    unavailable_reason,
)


def test_rows_like_the_training_data_stay_stable() -> None:
    monitor = DriftMonitor(manifest(daytime_manhattan(20_000)))
    for chunk in np.array_split(daytime_manhattan(600, seed=5), 37):  # requests of 16-17 rides
        monitor.observe(chunk)
    report = monitor.report()
    assert report["status"] == "stable" and report["drifted"] == []
    assert report["window_rides"] == report["observed_rides"] == 600
    assert all(f["psi"] < psi.STABLE_BELOW for f in report["features"])


def test_night_airport_rides_drift_on_hour_and_distance() -> None:
    monitor = DriftMonitor(manifest(daytime_manhattan(20_000)))
    for row in night_airport(400):  # one ride a request: the small-batch path
        monitor.observe(row[None, :])
    report = monitor.report()
    assert report["status"] == "drift"
    by_name = {f["name"]: f for f in report["features"]}
    assert by_name["hour"]["psi"] > 0.2 and by_name["distance"]["psi"] > 0.2
    assert {"hour", "distance", "dropoff_lon"} <= set(report["drifted"])
    assert by_name["month"]["psi"] < 0.1
    assert report["features"][0]["psi"] == max(f["psi"] for f in report["features"])  # worst first
    hour_bins = {b["label"]: b for b in by_name["hour"]["bins"]}
    assert hour_bins["3"]["expected"] == 0.0 and hour_bins["3"]["actual"] > 0.1


def test_bins_follow_the_manifest_rule_ride_by_ride() -> None:
    """A feature's bin is the number of its cuts at or below the value (the training side's rule,
    lab_scripts/feature_bins.py): checked against bisect, one value at a time."""
    monitor = DriftMonitor(manifest(daytime_manhattan(5000)))
    rows = np.vstack([daytime_manhattan(20, seed=3), night_airport(20)])
    on_cuts = rows[:3].copy()
    on_cuts[:, 4] = monitor.features[4].cuts[2]  # distance: a value on a cut goes to the bin above it
    rows = np.vstack([rows, on_cuts])
    expected = [
        [bisect.bisect_right(f.cuts, row[f.column]) for f in monitor.features] for row in rows.tolist()
    ]
    assert monitor.bins(rows).tolist() == expected
    assert monitor.bins(on_cuts)[0, 4] == 3


def test_rides_waiting_to_be_binned_are_counted_when_read() -> None:
    """Rows are binned a thousand at a time (drift.FLUSH_ROWS), or once the first waited
    FLUSH_AGE_S; whatever reads the counts sees every ride observed, dated when it came."""
    start = 1_700_000_000.0
    now = [start]
    monitor = DriftMonitor(manifest(daytime_manhattan(5000)), clock=lambda: now[0])
    monitor.observe(night_airport(3))
    assert monitor._waiting_rows == 3  # not binned yet
    now[0] += 0.5
    monitor.observe(night_airport(2))
    now[0] += 10
    report = monitor.report()  # binned on reading
    assert report["observed_rides"] == report["window_rides"] == 5
    assert (monitor.histogram.window_since, monitor.histogram.last_at) == (start, start + 0.5)
    monitor.observe(night_airport(1))
    now[0] += FLUSH_AGE_S
    monitor.observe(night_airport(1))  # the first waiting ride is FLUSH_AGE_S old: binned now
    assert monitor._waiting_rows == 0 and monitor._histogram.total_rides == 7
    monitor.observe(night_airport(FLUSH_ROWS))
    assert monitor._waiting_rows == 0 and monitor.histogram.total_rides == 7 + FLUSH_ROWS


def test_too_few_rides_are_collecting_not_judged() -> None:
    monitor = DriftMonitor(manifest(daytime_manhattan(5000)))
    assert monitor.report()["status"] == "collecting"
    assert all(f["psi"] is None for f in monitor.report()["features"])
    monitor.observe(night_airport(psi.MIN_RIDES - 1))
    report = monitor.report()
    assert report["status"] == "collecting" and report["drifted"] == []
    assert report["reason"] == f"{psi.MIN_RIDES - 1} of the {psi.MIN_RIDES} rides PSI needs"
    assert report["features"][0]["psi"] > 0.2 and report["features"][0]["level"] is None
    monitor.observe(night_airport(1))
    assert monitor.report()["status"] == "drift"


def test_a_model_without_a_distribution_cannot_be_monitored() -> None:
    old = {"features": list(FEATURES), "feature_ranges": {}}
    assert "trained before" in (unavailable_reason(old) or "")
    with pytest.raises(ValueError, match="trained before"):
        DriftMonitor(old)
    assert unavailable_reason(manifest(daytime_manhattan(100))) is None


def test_rows_of_another_shape_are_ignored() -> None:
    monitor = DriftMonitor(manifest(daytime_manhattan(1000)))
    monitor.observe(np.zeros((3, 4)))
    monitor.observe(np.zeros((0, len(FEATURES))))
    assert monitor.histogram.total_rides == 0


def test_prometheus_exposition() -> None:
    monitor = DriftMonitor(manifest(daytime_manhattan(5000)))
    registry = CollectorRegistry()
    registry.register(DriftCollector(monitor))
    monitor.observe(night_airport(10))
    families = {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}
    assert families["mlops_feature_psi"].samples == []  # too few rides: no value to alert on
    assert families["mlops_drift_detected"].samples[0].value == 0
    monitor.observe(night_airport(500))
    text = generate_latest(registry).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    psi_by_feature = {s.labels["feature"]: s.value for s in families["mlops_feature_psi"].samples}
    assert set(psi_by_feature) == set(FEATURES)
    assert psi_by_feature["hour"] > 0.2
    assert families["mlops_drift_detected"].samples[0].value == 1
    assert families["mlops_drift_window_rides"].samples[0].value == 510
    counts = {
        (s.labels["feature"], s.labels["bin"]): s.value
        for s in families["mlops_feature_values"].samples
        if s.name == "mlops_feature_values_total"
    }
    assert sum(v for (f, _), v in counts.items() if f == "hour") == 510
    assert counts[("hour", "12")] == 0
    assert 'mlops_feature_psi{feature="hour"}' in text


def test_in_a_server_the_rows_are_binned_in_the_event_loops_next_turn() -> None:
    """A full batch of waiting rows is binned after the request that filled it is answered."""
    monitor = DriftMonitor(manifest(daytime_manhattan(5000)))

    async def request() -> tuple[int, int]:
        monitor.observe(night_airport(FLUSH_ROWS))
        waiting = monitor._waiting_rows  # the answer is written here
        await asyncio.sleep(0)
        return waiting, monitor._waiting_rows

    assert asyncio.run(request()) == (FLUSH_ROWS, 0)
    assert monitor._histogram.total_rides == FLUSH_ROWS
