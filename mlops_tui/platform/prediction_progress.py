"""How many predictions each deployment answered its clients, and when one was last seen: Lab 5's
progress in the class view (``classroom.class_view``), kept in the platform's database.

Two faults of the first version, both the tester's:

- **The latency probe counted.** Every open dashboard asks its owner's deployment every few
  seconds with ``services.types.PROBE_HEADER``; counting those marked Lab 5 done for someone who
  only opened the dashboard, and made them look busy ("last progress 0 s ago"). The servers'
  drift monitoring already leaves the probe out: its counter ``mlops_feature_values_total
  {feature,bin}`` counts every ride a client had scored, per bin of each feature, so the sum over
  the bins of one feature is the client rides the server scored (a request may carry several).
  Where a version has no drift monitoring (scoring code from before ``prepare``), the only count
  is ``mlops_requests_total`` (status 200 on predict or infer), which includes the probe's: the
  server would need a label for it (``platform/serving/metrics.py``).
- **A restart forgot it.** The counts live in each server process and in the platform's memory: after
  ``workshop stop`` + ``start`` every finished attendee was back to "predict: not done" and
  flagged idle. Now the platform adds each server's count to a total in its database (table
  ``prediction_progress``), per deployment (a deployment deleted and made again starts over):
  the count of one server process (told apart by ``process_start_time_seconds`` on its
  ``/metrics``) is added as it grows; a new process starts from 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from mlops_tui.platform.db import Database
from mlops_tui.platform.state import utcnow

PREDICTION_ENDPOINTS = ("predict", "infer")


@dataclass(frozen=True)
class ServerCount:
    """What one scrape of a server's ``/metrics`` says: client predictions since that process
    started (``probe_free``: the probe's are left out) and when it started (Unix seconds)."""

    predictions: int
    started: float
    probe_free: bool


def parse_metrics(text: str) -> ServerCount:
    """A server's ``/metrics`` text → :class:`ServerCount`. Raises ``ValueError`` on text that is
    not the Prometheus exposition format."""
    requests, started = 0.0, 0.0
    rides_by_feature: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "mlops_requests_total"
                and labels.get("status") == "200"
                and labels.get("endpoint") in PREDICTION_ENDPOINTS
            ):
                requests += sample.value
            elif sample.name == "mlops_feature_values_total":
                feature = labels.get("feature", "")
                rides_by_feature[feature] = rides_by_feature.get(feature, 0.0) + sample.value
            elif sample.name == "process_start_time_seconds":
                started = sample.value
    if rides_by_feature:  # every feature counts every ride once: take any one
        return ServerCount(int(next(iter(rides_by_feature.values()))), started, True)
    return ServerCount(int(requests), started, False)


class PredictionProgress:
    """Totals per deployment in the database; thread-safe as :class:`Database` is."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def observe(
        self, tenant: str, name: str, created_at: str, count: ServerCount | None
    ) -> tuple[int | None, str | None]:
        """Add what the server counted since the last look; returns ``(total, last_at)``: the
        client predictions the deployment answered over all its server processes (None when
        neither the server nor the database has ever said) and when the platform saw the total
        grow (None while it has not seen it grow: a count found on a first look has no time)."""
        row = self.db.one("SELECT * FROM prediction_progress WHERE tenant = ? AND name = ?", (tenant, name))
        if row is not None and row["created_at"] != created_at:
            row = None  # deleted and made again: another deployment of the same name
        if count is None:
            return (row["total"], row["last_at"]) if row is not None else (None, None)
        if row is None:
            total, last_at, added = count.predictions, None, 0
        else:
            same_process = row["server_started"] == count.started and count.predictions >= row["server_count"]
            added = count.predictions - row["server_count"] if same_process else count.predictions
            total, last_at = row["total"] + added, row["last_at"]
        if added > 0:
            last_at = utcnow()
        unchanged = row is not None and (
            (row["total"], row["server_count"], row["server_started"])
            == (total, count.predictions, count.started)
        )
        if not unchanged:
            self.db.execute(
                "INSERT INTO prediction_progress (tenant, name, created_at, total, last_at, server_count,"
                " server_started) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, name) DO UPDATE SET"
                " created_at = excluded.created_at, total = excluded.total, last_at = excluded.last_at,"
                " server_count = excluded.server_count, server_started = excluded.server_started",
                (tenant, name, created_at, total, last_at, count.predictions, count.started),
            )
        return total, last_at
