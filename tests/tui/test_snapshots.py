"""SVG snapshots of every screen at 100x30 (and the dashboard at 80x24), frozen clock, fixed data.

Data is pushed into the app exactly once from :class:`FixedPlatform` (no poller running), so the
pictures are the same on every run. Behaviour is tested against the real platform elsewhere.
Update with ``pytest --snapshot-update`` after a deliberate change, and look at the SVGs.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mlops_tui.app import MlopsApp
from mlops_tui.widgets.connection import ConnectionStatus, Link

from .conftest import wait_for
from .fixed_app import feed_once, fixed_app, fixed_home
from .fixed_platform import frozen_clock

pytestmark = pytest.mark.usefixtures("utc")

SIZE = (100, 30)


def test_dashboard(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(fixed_app(tmp_path, "dashboard"), terminal_size=SIZE, run_before=feed_once)


def test_dashboard_80x24(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(fixed_app(tmp_path, "dashboard"), terminal_size=(80, 24), run_before=feed_once)


def test_dashboard_60x24(snap_compare: Any, tmp_path: Path) -> None:
    """Every state whole at 60 columns: names cut, the columns on the right hidden (item 8)."""
    assert snap_compare(fixed_app(tmp_path, "dashboard"), terminal_size=(60, 24), run_before=feed_once)


def test_dashboard_disconnected(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await feed_once(pilot)
        app: MlopsApp = pilot.app
        app._link_status(
            ConnectionStatus(Link.DISCONNECTED, frozen_clock() + timedelta(seconds=8), "connection refused")
        )
        await pilot.pause(0.2)

    assert snap_compare(fixed_app(tmp_path, "dashboard"), terminal_size=SIZE, run_before=run_before)


def test_dashboard_degraded_80x24(snap_compare: Any, tmp_path: Path) -> None:
    """``/health`` says degraded (disk full): the badge names it, the dashboard gives the reason."""

    async def run_before(pilot: Any) -> None:
        await feed_once(pilot)
        reason = (
            "disk full: a write to /home/alice/.local/state/mlops-tui/platform/platform.db failed for "
            "want of space (since 2026-03-02T09:29:00+00:00); free some space on its device"
        )
        pilot.app._link_status(ConnectionStatus(Link.CONNECTED, degraded=(reason,)))
        await pilot.pause(0.2)

    assert snap_compare(fixed_app(tmp_path, "dashboard"), terminal_size=(80, 24), run_before=run_before)


def test_training(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await feed_once(pilot)
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.query_one("#job-log").view.total >= 47, what="log")
        await wait_for(pilot, lambda: len(screen._rounds) >= 40, what="rounds")
        await pilot.pause(0.3)

    assert snap_compare(fixed_app(tmp_path, "training"), terminal_size=SIZE, run_before=run_before)


def test_registry(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await feed_once(pilot)
        await pilot.press("down")
        await pilot.pause(0.2)

    assert snap_compare(fixed_app(tmp_path, "registry"), terminal_size=SIZE, run_before=run_before)


def test_predict_result(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await feed_once(pilot)
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.form_ready, what="form")
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: "latency" in str(screen.query_one("#result-meta").render()), what="result"
        )
        screen.query_one("#send").focus()
        await pilot.pause(0.2)

    assert snap_compare(fixed_app(tmp_path, "predict"), terminal_size=SIZE, run_before=run_before)


def test_login(snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed_home(monkeypatch)

    async def run_before(pilot: Any) -> None:
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.query_one("#f-name").value == "local", what="profile")
        screen.query_one("#profile-list").focus()
        await pilot.pause(0.2)

    assert snap_compare(fixed_app(tmp_path, "login"), terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare: Any, tmp_path: Path) -> None:
    async def run_before(pilot: Any) -> None:
        await feed_once(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.3)

    assert snap_compare(fixed_app(tmp_path, "dashboard"), terminal_size=SIZE, run_before=run_before)
