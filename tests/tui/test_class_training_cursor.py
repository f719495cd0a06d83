"""Training in a class: the highlighted row is the job shown and acted on."""

from __future__ import annotations

from pathlib import Path

from mlops_tui.widgets.tables import LiveTable

from .class_platform import ClassPlatform
from .fixed_app import fixed_app
from .test_class_defaults import _feed


async def test_the_cursor_is_on_the_job_the_log_follows(tmp_path: Path) -> None:
    app = fixed_app(tmp_path, "training", ClassPlatform())
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        screen = app.screen
        table = screen.query_one("#tbl-jobs", LiveTable)
        assert screen.job_id == "3"  # student01's newest, below student02's job 7
        assert table.selected_key == "3"
        assert str(screen.query_one("#panel-log").border_title) == "Log · job 3"
        summary = str(screen.query_one("#job-summary").render())
        assert summary.startswith("job 3"), summary


async def test_up_and_down_change_the_job_shown(tmp_path: Path) -> None:
    app = fixed_app(tmp_path, "training", ClassPlatform())
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        screen = app.screen
        table = screen.query_one("#tbl-jobs", LiveTable)
        table.focus()
        await pilot.press("down")
        await pilot.pause()
        assert table.selected_key == "2" and screen.job_id == "2"
        assert str(screen.query_one("#panel-log").border_title) == "Log · job 2"
        app._link_data("jobs", await app.platform.list_jobs())  # the next poll keeps the pick
        await pilot.pause()
        assert table.selected_key == "2" and screen.job_id == "2"
        await pilot.press("up", "up")
        await pilot.pause()
        assert table.selected_key == "7" and screen.job_id == "7"
