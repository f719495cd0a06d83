"""Training in a class: the highlighted row is the job shown and acted on, and an attendee is told
at once that another's job is not theirs to cancel (no dialog leading to a 403)."""

from __future__ import annotations

from pathlib import Path

from mlops_tui.widgets.tables import LiveTable

from .class_platform import OTHER, ClassPlatform
from .fixed_app import fixed_app
from .test_class_defaults import _feed


def _said(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


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


async def test_an_attendee_is_refused_at_once_on_anothers_job(tmp_path: Path) -> None:
    from mlops_tui.screens.dialogs import ConfirmScreen

    app = fixed_app(tmp_path, "training", ClassPlatform())
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        app.screen.select_job("7")
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert f"job 7 is {OTHER}'s: attendees cancel only their own jobs" in _said(app)
        assert not [c for c in app.platform._calls if c.op == "cancel_job"]


async def test_a_facilitator_is_asked_naming_the_owner(tmp_path: Path) -> None:
    from mlops_tui.screens.dialogs import ConfirmScreen

    app = fixed_app(tmp_path, "training", ClassPlatform(role="facilitator", user="facilitator"))
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        app.screen.select_job("7")
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        asked = str(app.screen.query_one("#dialog-question").render())
        assert asked == f"Cancel training job 7 of {OTHER} (not yours)?", asked


async def test_an_attendee_is_refused_at_once_on_anothers_deployment(tmp_path: Path) -> None:
    from mlops_tui.screens.dialogs import ConfirmScreen

    app = fixed_app(tmp_path, "dashboard", ClassPlatform(mine=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await _feed(pilot)
        assert app.screen.query_one("#tbl-deployments", LiveTable).select_key(
            f"mlops-inference-server-{OTHER}"
        )
        app.screen.action_delete_deployment()
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        said = f"mlops-inference-server-{OTHER} is {OTHER}'s: attendees delete only their own deployments"
        assert said in _said(app), _said(app)


async def test_an_attendee_is_refused_at_once_on_the_stage_of_anothers_model(tmp_path: Path) -> None:
    from mlops_tui.screens.dialogs import ConfirmScreen

    app = fixed_app(tmp_path, "registry", ClassPlatform(mine=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        app.screen.selected = (f"mlops-model-{OTHER}", 1)
        app.screen.action_stage()
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        said = f"mlops-model-{OTHER} v1 is {OTHER}'s: attendees change the stage of their own models only"
        assert said in _said(app), _said(app)
        assert not [c for c in app.platform._calls if c.op == "set_stage"]
