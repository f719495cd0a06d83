"""Lab 5's progress in the class view: client predictions only (the dashboard's latency probe sent
``PROBE_HEADER`` and still marked Lab 5 done, "last progress 0 s ago"), and kept in the platform's
database over a restart (after ``workshop stop`` + ``start`` finished attendees were back to
"predict: not done")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from local_platform_support import WORKSHOP_RIDE

from mlops_tui.platform.db import Database
from mlops_tui.platform.prediction_progress import PredictionProgress, ServerCount, parse_metrics
from mlops_tui.services.types import PROBE_HEADER


def _ask(dep: dict[str, Any], *, probe: bool) -> None:
    headers = {"X-Auth-Token": dep["auth_token"], **({PROBE_HEADER: "1"} if probe else {})}
    body = {"use_scoring": True, "scoring_args": WORKSHOP_RIDE}
    r = httpx.post(dep["url"], json=body, headers=headers, timeout=30, trust_env=False)
    assert r.status_code == 200, r.text


def _count(dep: dict[str, Any]) -> ServerCount:
    base = dep["url"].split("/", 3)
    r = httpx.get(f"{base[0]}//{base[2]}/metrics", timeout=10, trust_env=False)
    assert r.status_code == 200
    return parse_metrics(r.text)


def test_the_latency_probe_is_not_a_prediction_of_the_class(deployment: dict[str, Any]) -> None:
    before = _count(deployment)
    assert before.probe_free and before.started > 0
    for _ in range(5):  # the dashboard, opened: five probes
        _ask(deployment, probe=True)
    assert _count(deployment).predictions == before.predictions
    _ask(deployment, probe=False)  # the person's own prediction
    assert _count(deployment).predictions == before.predictions + 1


def test_prediction_progress_survives_a_restart_of_the_platform_and_of_its_servers(tmp_path: Path) -> None:
    db = Database(tmp_path / "platform.db")
    progress = PredictionProgress(db)
    made = "2026-03-02T09:20:00+00:00"
    assert progress.observe("t", "dep", made, ServerCount(0, 100.0, True)) == (0, None)
    total, seen = progress.observe("t", "dep", made, ServerCount(5, 100.0, True))
    assert total == 5 and seen is not None  # grew while watched: progress with a time
    db.close()

    db = Database(tmp_path / "platform.db")  # the platform restarted: its memory is gone
    progress = PredictionProgress(db)
    assert progress.observe("t", "dep", made, None) == (5, seen)  # its server not up yet
    assert progress.observe("t", "dep", made, ServerCount(0, 200.0, True)) == (5, seen)  # a new server
    total, later = progress.observe("t", "dep", made, ServerCount(2, 200.0, True))
    assert total == 7 and later is not None and later >= seen
    # the same name made again is another deployment: it starts over
    assert progress.observe("t", "dep", "2026-03-02T10:00:00+00:00", ServerCount(0, 300.0, True)) == (0, None)
    db.close()
