"""The Class screen's keys as the tester met them: ``i`` took ``nan`` and ``inf``; an active filter
was not shown ("9 attendees" over 7 rows), stayed for the next visit, and Esc left the screen
instead of clearing it; at 60x24 the NEEDS HELP column was the one dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlops_tui.widgets.tables import LiveTable

from .conftest import wait_for
from .fixed_app import fixed_app
from .terminal_support import screen_text
from .test_class_snapshots import FacilitatorPlatform, _class

pytestmark = pytest.mark.usefixtures("utc")


def _summary(app: Any) -> str:
    return str(app.screen.query_one("#class-summary").render())


@pytest.mark.parametrize("typed", ["nan", "inf", "-inf", "0", "0.5", "1441", "99999999999", "1e300", "ten"])
def test_idle_minutes_refuses_what_is_not_a_number_of_minutes(typed: str) -> None:
    """The rule the `i` prompt and $MLOPS_TUI_IDLE_MINUTES share (the prompt: the test below)."""
    from mlops_tui.screens import classroom

    with pytest.raises(ValueError, match="is not a number of minutes from 1 to 1440") as refused:
        classroom.read_idle_minutes(typed)
    assert str(refused.value) == f"{typed!r} is not a number of minutes from 1 to 1440 (a day's class)"


@pytest.mark.parametrize("typed", ["1", "1440", "25.5"])
def test_idle_minutes_takes_the_clis_range(typed: str) -> None:
    from mlops_tui.screens import classroom

    assert classroom.read_idle_minutes(typed) == float(typed)


async def test_the_idle_minutes_prompt_refuses_then_takes(tmp_path: Path) -> None:
    """On the Class screen: `i`, a value out of range is refused with the rule's words and changes
    nothing; one inside is taken."""
    app = fixed_app(tmp_path, platform=FacilitatorPlatform())
    async with app.run_test(size=(80, 24)) as pilot:
        await _class(pilot)
        before = app.screen.idle_minutes
        for typed, expected in (("1e300", before), ("25.5", 25.5)):
            await pilot.press("i")
            await pilot.pause()
            app.screen.query_one("Input").value = typed
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen.idle_minutes == expected, typed
        said = [str(n.message) for n in app._notifications]
        assert "'1e300' is not a number of minutes from 1 to 1440 (a day's class)" in said, said


@pytest.mark.parametrize(("env", "minutes"), [("1441", 10.0), ("1e300", 10.0), ("0.5", 10.0), ("30", 30.0)])
def test_idle_minutes_from_the_environment_keep_the_same_range(
    monkeypatch: pytest.MonkeyPatch, env: str, minutes: float
) -> None:
    from mlops_tui.screens import classroom

    from mlops_tui import cli

    monkeypatch.setenv(classroom.IDLE_ENV, env)
    assert classroom.default_idle_minutes() == minutes
    assert classroom.MAX_IDLE_MINUTES == cli.MAX_IDLE_MINUTES  # one range for the TUI and the CLI


async def test_a_filter_is_shown_cleared_by_esc_and_gone_on_the_next_visit(tmp_path: Path) -> None:
    app = fixed_app(tmp_path, platform=FacilitatorPlatform())
    async with app.run_test(size=(80, 24)) as pilot:
        await _class(pilot)
        table = app.screen.query_one("#tbl-class", LiveTable)
        everyone = table.row_count
        await pilot.press("slash")
        await pilot.pause()
        app.screen.query_one("Input").value = "student03"
        await pilot.press("enter")
        await wait_for(pilot, lambda: table.row_count == 1, what="the filtered rows")
        assert _summary(app).startswith("filter “student03”: 1 shown (esc clears)"), _summary(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.current_mode == "class" and table.row_count == everyone  # cleared, still here
        assert "filter" not in _summary(app)
        await pilot.press("slash")
        await pilot.pause()
        app.screen.query_one("Input").value = "student03"
        await pilot.press("enter")
        await wait_for(pilot, lambda: table.row_count == 1, what="the filtered rows")
        await app.goto("guide")
        await pilot.pause()
        await app.goto("class")
        await pilot.pause()
        assert app.screen.query_one("#tbl-class", LiveTable).row_count == everyone


async def test_at_60_columns_the_needs_help_column_stays(tmp_path: Path) -> None:
    app = fixed_app(tmp_path, platform=FacilitatorPlatform())
    async with app.run_test(size=(60, 24)) as pilot:
        await _class(pilot)
        table = app.screen.query_one("#tbl-class", LiveTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert labels[-1] == "NEEDS HELP / LAST ERROR", labels
        assert "train failed" in screen_text(app)


async def test_at_60_columns_the_reason_takes_the_room_the_hidden_columns_leave(tmp_path: Path) -> None:
    """The reason was cut at ~20 cells ("train failed: err…") beside 12 blank ones: its width had
    been computed with STEPS and PROGRESS counted, which the table then hid."""
    app = fixed_app(tmp_path, platform=FacilitatorPlatform())
    async with app.run_test(size=(60, 24)) as pilot:
        await _class(pilot)
        line = next(row for row in screen_text(app).splitlines() if "student03" in row)
        assert line.endswith("… │"), repr(line)  # cut at the panel's edge, not before it
        reason = line.split("Lab 3", 1)[1].strip(" │")
        assert reason.startswith("train failed: error: too few usable"), reason
