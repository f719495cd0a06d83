"""At 60 columns a row's state stays whole in every table (issue 13 tester, item 8): the dashboard's
panels used to show "configu" and "runni" (the table scrolled sideways out of its panel). The name
is cut with an ellipsis and the columns on the right are hidden first."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.text import Text

from mlops_tui.app import MlopsApp
from mlops_tui.services.types import Job, JobState
from mlops_tui.widgets.column_fit import HIDDEN, fit_columns
from mlops_tui.widgets.format import when
from mlops_tui.widgets.tables import LiveTable

from .conftest import wait_for
from .fixed_app import feed_once, fixed_app
from .fixed_platform import FixedPlatform, frozen_clock
from .terminal_support import screen_text

pytestmark = pytest.mark.usefixtures("utc")

STATES = ("STATE", "STAGE")


def test_the_state_is_never_cut_nor_hidden() -> None:
    # the deployments panel at 60 columns: NAME, STATE, VER, ↻, PORT in 32 cells
    assert fit_columns([28, 10, 3, 1, 6], [False, True, False, False, False], 32) == [18, 10, 0, 0, 0]
    # the jobs panel: ID, STATE, TOOK, MAE s in 22 cells: the right ones go, the state stays
    assert fit_columns([2, 8, 11, 5], [False, True, False, False], 22) == [2, 8, HIDDEN, HIDDEN]
    # room enough: nothing changes
    assert fit_columns([12, 8, 4], [False, True, False], 40) == [12, 8, 4]
    # far too narrow: the name goes down to one cell, the state is still whole
    assert fit_columns([27, 10, 5], [False, True, False], 12) == [1, 10, HIDDEN]
    # not laid out yet: natural widths
    assert fit_columns([27, 10], [False, True], 0) == [27, 10]


def test_details_give_way_before_the_name_is_cut() -> None:
    """The clusters panel at 100 columns: INFO hidden, "training-engine-shared" whole."""
    assert fit_columns([22, 10, 20], [False, True, False], 56) == [22, 10, HIDDEN]
    assert fit_columns([22, 10, 20, 3], [False, True, False, False], 62) == [22, 10, 20, HIDDEN]


def test_a_table_names_what_gives_way_first() -> None:
    """The Training jobs table (ID, STATE, WHEN, TOOK, MAE s) in 32 cells: TOOK (wide for what it
    tells) goes first, then WHEN; the MAE stays. Unnamed, the rightmost goes first: the MAE."""
    natural, whole = [2, 8, 5, 10, 5], [False, True, False, False, False]
    assert fit_columns(natural, whole, 32, give_way=[3, 2]) == [2, 8, 5, HIDDEN, 5]
    assert fit_columns(natural, whole, 24, give_way=[3, 2]) == [2, 8, HIDDEN, HIDDEN, 5]
    assert fit_columns(natural, whole, 32) == [2, 8, 5, HIDDEN, HIDDEN]
    # the name and whole columns never give way, even when named
    assert fit_columns(natural, whole, 24, give_way=[0, 1]) == [2, 8, 5, HIDDEN, HIDDEN]


def test_when_is_the_time_today_else_the_day() -> None:
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    assert when(now - timedelta(minutes=20), now) == "09:10"
    assert when(now - timedelta(days=1), now) == "Mar 01"
    assert when(None, now) == "-"


def _columns(app: MlopsApp, selector: str) -> list[str]:
    return [str(column.label) for column in app.screen.query_one(selector, LiveTable).columns.values()]


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        ((120, 30), ["ID", "STATE", "WHEN", "TOOK", "MAE s"]),
        ((100, 30), ["ID", "STATE", "WHEN", "TOOK", "MAE s"]),
        ((80, 24), ["ID", "STATE", "WHEN", "MAE s"]),
    ],
    ids=["120x30", "100x30", "80x24"],
)
async def test_training_jobs_show_the_mae_from_80_columns(
    tmp_path: Path, size: tuple[int, int], shown: list[str]
) -> None:
    """The Training screen's jobs at 120x30 and 100x30: state, when, took and MAE; at 80x24, how long
    a job took gives way (the selected job's line above the log says it at every size), its MAE
    stays. The MAE used to be hidden at every size (a 34-cell panel, TOOK before it)."""
    app = fixed_app(tmp_path, "training")
    async with app.run_test(size=size) as pilot:
        await feed_once(pilot)
        await pilot.pause(0.3)
        assert _columns(app, "#tbl-jobs") == shown
        rows = _table_lines(app, app.screen.query_one("#tbl-jobs", LiveTable))
        finished = next(line for line in rows if " finished " in line)
        assert "141.2" in finished  # job 3's MAE, on screen, not cut
        assert " 09:10 " in finished  # when job 3 was submitted (local time, UTC here)
        assert ("20 s" in finished) == ("TOOK" in shown)
        summary = screen_text(app).splitlines()[1]  # the selected job (4, running), above its log
        assert "job 4 running  ·  for 1 min 59 s" in summary, summary


class OneJobQueued(FixedPlatform):
    """A fifth job, third in the training queue, due to start in 40 s."""

    def _jobs(self) -> list[Job]:
        jobs = super()._jobs()
        queued = dataclasses.replace(
            jobs[0],
            id="5",
            state=JobState.QUEUED,
            started_at=None,
            finished_at=None,
            queue_position=3,
            estimated_start_at=frozen_clock() + timedelta(seconds=40),
        )
        return [queued, *jobs]


async def test_a_queued_jobs_place_is_on_its_line_at_80_columns(tmp_path: Path) -> None:
    """TOOK (where a queued job shows its place) gives way at 80 columns: the selected job's line
    says it first, short enough to be read whole."""
    app = fixed_app(tmp_path, "training", OneJobQueued())
    async with app.run_test(size=(80, 24)) as pilot:
        await feed_once(pilot)
        await pilot.pause(0.3)
        assert "TOOK" not in _columns(app, "#tbl-jobs")
        summary = screen_text(app).splitlines()[1]
        assert "job 5 queued  ·  queue #3 ~40 s  ·" in summary, summary


async def test_dashboard_jobs_keep_the_mae_over_took_at_80_columns(tmp_path: Path) -> None:
    app = fixed_app(tmp_path, "dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        await feed_once(pilot)
        await pilot.pause(0.3)
        assert _columns(app, "#tbl-jobs") == ["ID", "STATE", "MAE s"]


def _table_lines(app: MlopsApp, table: LiveTable) -> list[str]:
    """What the table shows on screen, line by line (its region cut out of the screen's text)."""
    lines = screen_text(app).splitlines()
    region = table.content_region
    return [lines[y][region.x : region.right] for y in range(region.y, region.bottom)]


def _assert_states_whole(app: MlopsApp, table: LiveTable) -> int:
    """Every visible row shows its state cell whole on its own line; returns how many rows."""
    labels = list(table._columns)
    column = next(labels.index(label) for label in STATES if label in labels)
    shown = _table_lines(app, table)[1:]  # below the header
    rows = table._rows[: len(shown)]
    for (key, cells), line in zip(rows, shown, strict=False):
        state = cells[column].plain if isinstance(cells[column], Text) else str(cells[column])
        assert f" {state} " in f" {line} ", (table.id, key, state, line)
    return len(rows)


@pytest.mark.parametrize("mode", ["dashboard", "training", "registry", "data"])
async def test_every_state_is_whole_at_60_columns(tmp_path: Path, mode: str) -> None:
    app = fixed_app(tmp_path, mode)
    async with app.run_test(size=(60, 24)) as pilot:
        await feed_once(pilot)
        if mode == "data":
            await wait_for(pilot, lambda: app.screen.query_one(LiveTable)._rows, what="the data files")
        await pilot.pause(0.3)
        tables = list(app.screen.query(LiveTable))
        assert tables
        checked = 0
        for table in tables:
            assert table.virtual_size.width <= table.scrollable_content_region.width, (
                table.id
            )  # no sideways scroll
            checked += _assert_states_whole(app, table)
        assert checked >= {"dashboard": 10, "training": 4, "registry": 3, "data": 1}[mode]
        text = screen_text(app)
        for cut in ("configu…", "runni…", "finish…", "product…"):
            assert cut not in text
