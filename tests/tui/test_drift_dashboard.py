"""The dashboard's drift against the real local platform: the badge for the deployment asked about
night airport rides, none for the one asked about rides like its training data."""

from __future__ import annotations

from typing import Any

import pytest
from drift_support import DriftModel, night_airport_rides, rides_from, serve

from mlops_tui.services.types import DriftStatus
from mlops_tui.widgets.connection import Link
from mlops_tui.widgets.panel import StalePanel
from mlops_tui.widgets.tables import LiveTable

from .conftest import FAST, wait_for
from .terminal_support import screen_text

pytestmark = pytest.mark.slow


async def test_the_drift_badge_on_the_dashboard(make_app: Any, adapter: Any, drift_model: DriftModel) -> None:
    quiet, shifted = drift_model.quiet["name"], drift_model.shifted["name"]
    await serve(adapter, quiet, rides_from(drift_model.trips, 400, seed=7))
    await serve(adapter, shifted, night_airport_rides(drift_model.trips, 400, seed=8))
    app = make_app(adapter, first_mode="dashboard", intervals={**FAST, "drift": 0.5})
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.link is Link.CONNECTED, what="connected")
        reports = await wait_for(
            pilot,
            lambda: (app.data.get("drift") or {}).keys() >= {quiet, shifted} and app.data["drift"],
            what="drift reports of both deployments",
        )
        assert reports[shifted].status is DriftStatus.DRIFT
        assert reports[quiet].status is DriftStatus.STABLE
        table = app.screen.query_one("#tbl-deployments", LiveTable)
        panel = app.screen.query_one("#panel-drift", StalePanel)

        assert table.select_key(shifted)
        await wait_for(pilot, lambda: str(panel.border_title).endswith(shifted), what="the shifted one shown")
        below = screen_text(app).split("Drift (PSI) · ")[1]  # the bottom row: latency and drift
        assert "⚠ DRIFT hour" in below and "trained" in below and "served" in below, below
        drift_cell = str(table.get_row(shifted)[2])  # NAME, STATE, DRIFT
        assert drift_cell.startswith("⚠ ") and float(drift_cell[2:]) > 0.2, drift_cell
        assert float(str(table.get_row(quiet)[2])) < 0.2

        assert table.select_key(quiet)
        await wait_for(pilot, lambda: str(panel.border_title).endswith(quiet), what="the quiet one shown")
        below = screen_text(app).split("Drift (PSI) · ")[1]
        assert "✓ stable · max PSI" in below and "DRIFT" not in below, below
