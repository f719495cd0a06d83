"""The training screen against the real platform: job list, live log, filter/search, submit, plot."""

from __future__ import annotations

from typing import Any

from mlops_tui.screens.job_form import JobFormScreen

from mlops_tui.services.types import JobState
from mlops_tui.widgets.logview import LiveLog, LogView

from .conftest import wait_for


async def test_follow_filter_and_search_a_finished_job(
    make_app: Any, adapter: Any, trained_job: dict
) -> None:
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        app.intent = ("job", trained_job["id"])
        await app.goto("training")
        screen = app.screen
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: view.total > 20, what="log lines")
        await wait_for(pilot, lambda: len(screen._rounds) >= 10, what="rounds for the plot")
        assert view.following
        # structured lines are shown readably
        assert any(line.startswith("⟫ round") for line in view.lines())
        # '/' filter hides non-matching lines
        view.focus()
        await pilot.press("slash", *"eval-rmse")
        await pilot.pause(0.2)
        assert 0 < view.shown < view.total
        await pilot.press("enter")
        assert view.filter_text == "eval-rmse"
        await pilot.press("escape")  # clears the filter, does not leave the screen
        await pilot.pause(0.1)
        assert view.filter_text == "" and view.shown == view.total and app.current_mode == "training"
        # 's' search highlights and jumps; n/N move between matches
        await pilot.press("s", *"rmse", "enter")
        await pilot.pause(0.1)
        assert view.match_count() > 10 and view._current_match is not None
        first = view._current_match
        await pilot.press("N")
        assert view._current_match != first
        await pilot.press("escape")
        assert view.search_text == ""


async def test_scrolling_up_pauses_and_counts_new_lines(make_app: Any, adapter: Any) -> None:
    app = make_app(adapter, first_mode="training", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        log = app.screen.query_one(LiveLog)
        log.write_lines(f"line {i}" for i in range(200))
        await pilot.pause(0.1)
        view = log.view
        assert view.following and view.scroll_y == view.max_scroll_y
        view.focus()
        await pilot.press("pageup")
        await pilot.pause(0.1)
        assert not view.following
        top = view.scroll_y
        log.write_lines(f"more {i}" for i in range(7))
        await pilot.pause(0.1)
        assert view.new_lines == 7 and view.scroll_y == top
        assert "7 new lines" in str(log.query_one("#livelog-status").render())
        await pilot.press("end")
        await pilot.pause(0.1)
        assert view.following and view.new_lines == 0


async def test_memory_is_bounded(make_app: Any, adapter: Any) -> None:
    app = make_app(adapter, first_mode="training", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.screen.query_one(LogView)
        view.write_lines(f"line {i}" for i in range(25_000))
        await pilot.pause(0.1)
        assert view.total == 10_000
        assert view._line(view._first_seq) == "line 15000"
        view.set_filter("line 2499")
        assert view.shown == 10  # 24990..24999 (line 2499 itself was pruned)


async def test_submit_a_job_and_follow_it_live(make_app: Any, adapter: Any, lab_code: str) -> None:
    app = make_app(adapter, first_mode="training")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.data.get("jobs") is not None)
        app.screen.query_one("#tbl-jobs").focus()
        await pilot.press("n")
        form = await wait_for(pilot, lambda: isinstance(app.screen, JobFormScreen) and app.screen)
        form.query_one("#f-rounds").value = "abc"
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        assert isinstance(app.screen, JobFormScreen), "an invalid form must not be sent"
        assert "whole number" in str(form.query_one("#err-rounds").render())
        form.query_one("#f-rounds").value = "15"
        form.query_one("#f-upload").value = False  # lab_code fixture uploaded it already
        await pilot.press("ctrl+s")
        screen = await wait_for(
            pilot, lambda: app.current_mode == "training" and app.screen.MODE == "training" and app.screen
        )
        job_id = await wait_for(pilot, lambda: screen.job_id, what="the new job selected")
        view = screen.query_one(LogView)
        await wait_for(
            pilot, lambda: any("round 15" in line for line in view.lines()), timeout=120, what="round 15"
        )
        await wait_for(
            pilot,
            lambda: any(j.id == job_id and j.state is JobState.FINISHED for j in app.data.get("jobs") or []),
            timeout=120,
            what="job finished",
        )
        assert len(screen._rounds) >= 15
        assert any(c.op == "submit_job" for c in adapter.calls)
        assert screen.query_one("#command-pane").last and "curl" in screen.query_one("#command-pane").last


async def test_lines_are_formatted_when_drawn_and_filtered_as_shown(make_app: Any, adapter: Any) -> None:
    """A flood costs a deque append per line: only drawn (or filtered, searched) lines are
    sanitised; filter and search see the text as shown, not its escape sequences."""
    app = make_app(adapter, first_mode="training", poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.screen.query_one(LogView)
        view.write_lines(f"\x1b[32mINFO\x1b[0m step {i:05d}\r\x1b[1mWARN\x1b[0m" for i in range(25_000))
        await pilot.pause(0.1)
        assert view.total == 10_000
        drawn = view.scrollable_content_region.height
        assert 0 < len(view._formatted) <= drawn  # the 24,990 lines not drawn were never formatted
        assert view.lines()[-1] == "WARN step 24999"  # "\r" overwrote INFO, as on a terminal
        view.set_filter("warn step 2499")
        assert view.shown == 10  # 24990..24999 (02499 was pruned)
        for hidden in ("info", "32m", "\x1b"):  # overwritten, or an escape sequence: not shown
            view.set_filter(hidden)
            assert view.shown == 0, hidden
        view.set_filter("")
        view.set_search("step 24998")
        assert view.match_count() == 1
