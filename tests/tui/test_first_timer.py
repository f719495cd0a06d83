"""Issue 11, "nobody gets stuck": each kind of fault a first-timer met, as a Pilot test against the
real local platform (the tmux walk-through in tests/e2e/test_tmux_first_timer.py shows them all
on a real terminal at 80x24)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mlops_tui.lab_scripts.places import estimate_zone_miles
from mlops_tui.lab_scripts.zones import load_zones
from suggestion_support import assert_two_suggestions_with_examples
from textual.app import App
from textual.widgets import Input

from mlops_tui.assistant import workshop as ws
from mlops_tui.services.types import Cluster, ClusterKind, ClusterState, Member
from mlops_tui.widgets.picker import Picker
from mlops_tui.widgets.tables import LiveTable

from .conftest import wait_for
from .guide_support import fresh_tenant, guide_app, type_line
from .terminal_support import screen_text

pytestmark = pytest.mark.usefixtures("tui_home")

THURSDAY = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # "tomorrow" is Friday 7 June 2019 in the data


def _thursday() -> datetime:
    return THURSDAY


async def _predict_screen(pilot: Any, app: Any, deployment: dict) -> Any:
    await wait_for(
        pilot, lambda: any(d.name == deployment["name"] for d in app.data.get("deployments") or [])
    )
    app.intent = ("deployment", deployment["name"])
    await app.goto("predict")
    screen = app.screen
    await wait_for(pilot, lambda: screen.form_ready, what="the form")
    return screen


def _error(screen: Any, name: str) -> str:
    return str(screen.query_one(f"#err-{name}").render())


def _note(screen: Any, name: str) -> str:
    return str(screen.query_one(f"#note-{name}").render())


async def test_the_form_tells_the_same_story_as_the_guide(
    make_app: Any, adapter: Any, deployment: dict
) -> None:
    """§6: prefilled with the workshop's ride at its exact points, the form answers what the
    guide's Lab 5 answers; a distance nobody typed is estimated again when the zones change."""
    app = make_app(adapter, first_mode="dashboard", clock=_thursday)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _predict_screen(pilot, app, deployment)
        assert screen.query_one("#f-pickup_zone", Picker).value == 55  # Coney Island
        assert screen.query_one("#f-dropoff_zone", Picker).value == 144  # Little Italy/NoLiTa
        assert screen.query_one("#f-distance", Input).value == "8.0"
        assert "the workshop's ride" in str(screen.query_one("#ride-note").render())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "latency" in str(screen.query_one("#result-meta").render()), 30)
        guide_answer = await adapter.predict(deployment["name"], [ws.EXAMPLE_SCORING_ARGS])
        assert screen.last_record is not None
        assert f"({guide_answer.value:.1f} s)" in str(screen.query_one("#result-value").render())

        picker = screen.query_one("#f-dropoff_zone", Picker)
        picker.input.focus()
        await pilot.press(*"laguardia", "tab")
        table = load_zones()
        expected = estimate_zone_miles(table[55], table[138])
        assert picker.value == 138
        assert screen.query_one("#f-distance", Input).value == f"{expected:g}"
        assert "estimated from the zones" in _note(screen, "distance")
        assert screen.query_one("#f-dropoff_lat", Input).value == ""  # the workshop's point is gone
        screen.query_one("#f-distance", Input).value = "9"  # typed: never estimated over
        picker.input.focus()
        await pilot.press(*"jfk", "tab")
        assert screen.query_one("#f-distance", Input).value == "9"


async def test_one_way_to_read_a_place_and_a_time(make_app: Any, adapter: Any, deployment: dict) -> None:
    """§2: a single match, an exact id and a prefix are enough; nothing matching is named; tab
    takes the highlighted match and moves on; words and impossible dates are read as everywhere."""
    app = make_app(adapter, first_mode="dashboard", clock=_thursday)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _predict_screen(pilot, app, deployment)
        pickup = screen.query_one("#f-pickup_zone", Picker)
        dropoff = screen.query_one("#f-dropoff_zone", Picker)
        when = screen.query_one("#f-pickup_datetime", Input)

        pickup.input.focus()
        await pilot.press(*"Narnia")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "no zone called 'Narnia'" in _error(screen, "pickup_zone"))

        pickup.input.value = ""
        pickup.input.focus()
        await pilot.press(*"penn", "tab")  # tab: the highlighted match, then the next field
        assert pickup.value == 186 and screen.focused is dropoff.input
        await pilot.press(*"230")  # typed into the next field, not swallowed by a list
        assert dropoff.input.value == "230" and dropoff.value is None

        when.value = "2019-02-31T09:00"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "February 2019 has no day 31" in _error(screen, "pickup_datetime"))
        assert dropoff.value == 230  # an exact id is enough, no "pick one of the matches"
        assert _error(screen, "dropoff_zone") == ""

        dropoff.input.value = "laguardia"
        when.value = "tomorrow 8am"
        await pilot.pause()
        assert _note(screen, "pickup_datetime").startswith("→ Fri 07 Jun 2019 08:00 (today = Thu 06 Jun 2019")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "latency" in str(screen.query_one("#result-meta").render()), 30)
        assert dropoff.value == 138  # a single match is enough
        assert screen.last_record["pickup_datetime"] == "2019-06-07T08:00:00"
        assert "Penn Station/Madison Sq West (186) → LaGuardia Airport (138), Fri 07 Jun 2019 08:00" in str(
            screen.query_one("#result-meta").render()
        )


async def test_the_send_button_stays_in_view(make_app: Any, adapter: Any, deployment: dict) -> None:
    """§4: at 120x40 with the coordinates expanded, and back at 80x24, Send is on the screen and
    the labels stay on one line."""
    from textual.widgets import Collapsible

    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _predict_screen(pilot, app, deployment)
        screen.query_one(Collapsible).collapsed = False
        await pilot.pause()
        assert "Send (ctrl+s)" in screen_text(app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        text = screen_text(app)
        assert "Send (ctrl+s)" in text
        labels = list(screen.query(".field-label"))
        assert labels and all(label.size.height == 1 for label in labels)  # one line each, not wrapped


class _OneTable(App[None]):
    def compose(self):
        yield LiveTable("ID", "STATE", id="t")


def _jobs(*ids: int) -> list[tuple[str, tuple[str, str]]]:
    return [(str(i), (str(i), "finished")) for i in ids]


async def test_tables_follow_the_newest_row_until_the_person_moves() -> None:
    """§5: new jobs arrive on top and the cursor stays on the newest, in view, as a log follows its
    tail; once the person moves down, their row stays selected."""
    app = _OneTable()
    async with app.run_test(size=(40, 6)) as pilot:
        table = app.query_one(LiveTable)
        assert str(table.get_row_at(0)[0]) == "loading…"  # before the first data, not "nothing yet"
        table.show(_jobs(1))
        table.focus()
        for newest in range(2, 12):
            table.show(_jobs(*range(newest, 0, -1)))
            await pilot.pause()
            assert table.selected_key == str(newest)
            assert table.scroll_offset.y == 0  # the newest row is in view
        await pilot.press("down", "down")
        assert table.selected_key == "9"
        table.show(_jobs(*range(12, 0, -1)))
        assert table.selected_key == "9"  # the person's row, not the newest
        await pilot.press("ctrl+home")  # back to the top: follow again
        table.show(_jobs(*range(13, 0, -1)))
        assert table.selected_key == "13"


def test_an_optional_step_that_cannot_run_here_is_grey_not_red() -> None:
    from mlops_tui.screens.dashboard import cluster_rows

    from mlops_tui.terminal import Tone, tone_style

    notebook = Cluster(
        name="mlops-jupyter-notebook-alice",
        kind=ClusterKind.NOTEBOOK,
        state=ClusterState.CONFIG_ERROR,
        app="jupyter-notebook",
        message="Jupyter is not installed on this host",
        members=(Member(name="controller-0", role="controller", state="config error"),),
    )
    rows = cluster_rows([notebook])
    for _, cells in rows:
        assert str(cells[1]) == "n/a here" and cells[1].style == tone_style(Tone.MUTED)
    assert "optional: Jupyter is not installed" in str(rows[0][1][2])


def test_latency_summary_keeps_a_space_after_each_label() -> None:
    from mlops_tui.screens.dashboard import latency_summary

    text = latency_summary(8.3, 8.3, 9.1, 12, "mlops-inference-server-x")
    assert text.plain == "last 8.3 ms  p50 8.3  p95 9.1  n 12  mlops-inference-server-x"
    # no style run starts with a blank: an SVG screenshot drops those and drew "p508.3"
    cuts = sorted({0, len(text.plain), *(i for span in text.spans for i in (span.start, span.end))})
    runs = [text.plain[a:b] for a, b in itertools.pairwise(cuts)]
    assert all(run and not run[0].isspace() for run in runs), runs


def test_step_titles_are_never_cut() -> None:
    from mlops_tui.assistant import labs
    from mlops_tui.widgets.lab_steps import LabSteps, StepRow

    steps = LabSteps()
    steps._rows = [StepRow(s.id, s.lab, s.title, "pending") for s in labs.STEPS]
    for width in (24, 30, 36):
        lines = steps.render_rows(width=width, height=21).plain.splitlines()
        assert "…" not in "".join(lines)
        assert all(len(line) <= width for line in lines), lines
        flat = " ".join(" ".join(line.split()) for line in lines)
        for step in labs.STEPS:
            assert step.title in flat, (step.title, lines)
        assert len(lines) <= 21 or width < 27  # 80x24 has room for the list without blank lines


def test_screenshots_go_where_a_folder_exists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """§8: no ~/Downloads on a jump host: the state folder, created (0700)."""
    from mlops_tui.app import screenshot_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("XDG_DOWNLOAD_DIR", raising=False)
    where = screenshot_dir()
    assert where == tmp_path / "state" / "mlops-tui" / "screenshots" and where.is_dir()
    assert where.stat().st_mode & 0o777 == 0o700
    (tmp_path / "Downloads").mkdir()
    assert screenshot_dir() == tmp_path / "Downloads"


async def test_read_only_hides_what_changes_the_registry(
    make_app: Any, adapter: Any, registered_version: dict
) -> None:
    """§8: --read-only shows no Register, Deploy or Stage in the Models footer (and refuses them)."""
    app = make_app(adapter, first_mode="registry", read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.data.get("registry"), what="the registry")
        await pilot.pause(0.2)
        footer = screen_text(app).splitlines()[-1]
        assert "ConfigMap" in footer
        for hidden in ("Register", "Deploy", "Stage"):
            assert hidden not in footer, footer
        stage = (await adapter.list_versions(registered_version["model"]))[0].stage
        await pilot.press("p")
        assert (await adapter.list_versions(registered_version["model"]))[0].stage == stage


async def test_a_stage_change_asks_first(make_app: Any, adapter: Any, registered_version: dict) -> None:
    from mlops_tui.screens.dialogs import ConfirmScreen

    app = make_app(adapter, first_mode="registry")
    async with app.run_test(size=(100, 30)) as pilot:
        model, number = registered_version["model"], registered_version["version"]
        await wait_for(pilot, lambda: app.data.get("registry"), what="the registry")
        app.intent = ("version", f"{model}:{number}")
        app.screen._take_intent()
        before = next(v for v in await adapter.list_versions(model) if v.version == number).stage
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        await pilot.press("n")
        await pilot.pause(0.3)
        after = next(v for v in await adapter.list_versions(model) if v.version == number).stage
        assert after == before


@pytest.mark.slow
async def test_a_failed_experiment_neither_traps_nor_undoes(local_platform: Any, tmp_path: Path) -> None:
    """§1: a bad parameter is refused before anything is sent, with the Train dialog's words; a
    job that fails leaves Lab 3 done (its finished job is still there); the retry uses the
    defaults and says how to change them."""
    from mlops_tui.lab_scripts.params import BY_NAME

    app = guide_app(fresh_tenant(local_platform), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        guide = app.screen
        await wait_for(pilot, lambda: guide.context is not None and not guide.checking, 60, "first check")
        platform = guide._platform()
        await type_line(pilot, "run upload-code")
        await wait_for(pilot, lambda: guide.running is None and guide.states["upload-code"] == "done", 60)
        await type_line(pilot, "run train")
        await wait_for(pilot, lambda: guide.running is None and guide.states["train"] == "done", 240)
        jobs = len(await platform.list_jobs())
        done = dict(guide.states)
        first = guide.context.job_id

        await type_line(pilot, "train rounds=abc")
        error = guide.chat.messages[-1].plain
        assert f"Not submitted: rounds must be {BY_NAME['rounds'].rule}, not 'abc'" in error
        assert len(await platform.list_jobs()) == jobs and guide.states["train"] == "done"

        await type_line(pilot, "train rounds=10000 early-stopping=0")
        await wait_for(pilot, lambda: guide.running == "train" and guide.context.job_id != first, 60)
        running = guide.context.job_id
        await wait_for(pilot, lambda: "round" in guide.chat.transcript(), 60, "the job to run")
        await platform.cancel_job(running)
        # the step ends, then its live check after the failure sets the state (an await later)
        ended = lambda: guide.running is None and guide.states["train"] != "running"  # noqa: E731
        await wait_for(pilot, ended, 60, "the step to end and be checked")
        transcript = guide.chat.transcript()
        assert guide.states["train"] == "done"  # the finished job still verifies Lab 3
        assert "Lab 3 stays done: job" in transcript
        assert (
            "The next try trains with the defaults (rounds=300 max-depth=6 learning-rate=0.15)" in transcript
        )
        assert guide.context.train_params == {}
        assert guide.states == done  # nothing turned back ("8/10 done" was the fault)


async def test_the_guide_answers_what_people_type(local_platform: Any, tmp_path: Path) -> None:
    """§7: token, url, where am i, what next; anything else names two commands with examples."""
    app = guide_app(fresh_tenant(local_platform), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        guide = app.screen
        await wait_for(pilot, lambda: guide.context is not None and not guide.checking, 60, "first check")
        chat = guide.chat
        await type_line(pilot, "what is my token?")
        await wait_for(pilot, lambda: "no auth token" in chat.messages[-1].plain, 30, "the token answer")
        assert "Lab 4 deploys the model" in chat.messages[-1].plain
        await type_line(pilot, "url")
        await wait_for(pilot, lambda: chat.messages[-1].plain.startswith("URLs:"), 30, "the URLs")
        assert f"platform      {guide._platform().credentials.url}" in chat.messages[-1].plain
        await type_line(pilot, "where am i?")
        assert chat.messages[-1].plain.startswith("You are ") and "step ▶ Lab 2" in chat.messages[-1].plain
        await type_line(pilot, "what next?")
        assert chat.messages[-1].plain.startswith("Lab 2 · Create your notebook cluster")
        assert guide.running is None  # explained, not run
        await type_line(pilot, "make it go")
        assert_two_suggestions_with_examples(chat.messages[-1].plain)
