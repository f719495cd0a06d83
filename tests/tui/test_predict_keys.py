"""Predict's keys as a newcomer found them at 80x24 over tmux: enter in a zone field that holds a
picked zone, the cursor after a pick, the first tab on arrival, and ctrl+s right after typing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from mlops_tui.screens import predict as predict_module
from textual.widgets import Button, Input, OptionList
from textual.widgets.input import Selection

from mlops_tui.widgets.picker import Picker

from .conftest import wait_for


async def _arrive(pilot: Any) -> Any:
    await pilot.press("5")
    screen = pilot.app.screen
    await wait_for(pilot, lambda s=screen: s.form_ready, what="the form")
    await pilot.pause()
    return screen


async def _typed_into(pilot: Any, field: str, *keys: str) -> tuple[Any, Picker]:
    """Predict, the zone field ``field`` emptied and focused (the first tab goes to "from"), then
    ``keys`` pressed."""
    screen = await _arrive(pilot)
    picker = screen.query_one(f"#f-{field}", Picker)
    if field == "pickup_zone":
        await pilot.press("tab")
    else:
        picker.input.focus()
    picker.input.value = ""
    await pilot.press(*keys)
    return screen, picker


async def _in_a_picked_from(pilot: Any, deployment: dict) -> tuple[Any, Picker]:
    """Predict for ``deployment``, tabbed into "from", which holds a picked zone."""
    app = pilot.app
    listed = lambda: any(d.name == deployment["name"] for d in app.data.get("deployments") or [])  # noqa: E731
    await wait_for(pilot, listed)
    app.intent = ("deployment", deployment["name"])
    screen = await _arrive(pilot)
    picker = screen.query_one("#f-pickup_zone", Picker)
    await pilot.press("tab")
    assert app.focused is picker.input and picker.value is not None
    return screen, picker


async def test_enter_in_a_picked_zone_sends_the_ride(make_app: Any, adapter: Any, deployment: dict) -> None:
    """Enter in "from" holding a picked zone did nothing; it sends, as enter in any other field."""
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        await _in_a_picked_from(pilot, deployment)
        before = sum(c.op == "predict" for c in adapter.calls)
        await pilot.press("enter")
        sent = lambda: sum(c.op == "predict" for c in adapter.calls) == before + 1  # noqa: E731
        await wait_for(pilot, sent, 30, "a prediction")


async def test_enter_in_a_picked_zone_of_an_incomplete_ride_goes_to_the_empty_field(
    make_app: Any, adapter: Any
) -> None:
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _arrive(pilot)
        screen.query_one("#f-pickup_datetime", Input).value = ""
        await pilot.press("tab", "enter")
        when = screen.query_one("#f-pickup_datetime", Input)
        await wait_for(pilot, lambda: app.focused is when, 10, "the empty date field")


async def test_a_picked_zone_leaves_the_cursor_at_its_end(make_app: Any, adapter: Any) -> None:
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        _, picker = await _typed_into(pilot, "pickup_zone", *"laguardia", "enter")
        await pilot.pause()
        assert picker.label.startswith("LaGuardia")
        assert picker.input.cursor_position == len(picker.input.value) == len(picker.label)


async def test_a_zone_picked_by_tab_shows_its_name_from_the_start(make_app: Any, adapter: Any) -> None:
    """'penn' then tab showed "Sq West (Manhattan)": the cursor was put at the end of the name in
    a field already left, so it showed the tail. The CI's first-timer at 80x24 read the field."""
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        _, picker = await _typed_into(pilot, "pickup_zone", *"penn", "tab")
        await wait_for(pilot, lambda: picker.label.startswith("Penn Station"), 10, "Penn Station picked")
        await pilot.pause()
        assert app.focused is not picker.input
        assert picker.input.cursor_position == 0 and picker.input.scroll_offset.x == 0
        shown = picker.input.render_line(0).text
        assert shown.lstrip().startswith("Penn Station"), shown


@pytest.mark.parametrize("when", ["before the form", "after the form"])
async def test_the_first_tab_goes_to_from(make_app: Any, adapter: Any, monkeypatch: Any, when: str) -> None:
    """The tab pressed while the schema loaded went from the (unfocused-looking) scrolling form to
    the Deployment select; it goes to "from" however late the form appears. Several arrivals."""
    gate = threading.Event()
    load = predict_module._load_schema_and_zones

    def gated() -> Any:
        gate.wait(30)
        return load()

    monkeypatch.setattr(predict_module, "_load_schema_and_zones", gated)
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(3):
            gate.clear()
            await pilot.press("5")
            screen = app.screen
            await wait_for(pilot, lambda: isinstance(app.focused, Button), 10, "Send focused on arrival")
            assert app.focused.id == "send"
            if when == "after the form":
                gate.set()
                await wait_for(pilot, lambda s=screen: s.form_ready, what="the form")
                await pilot.pause()
            await pilot.press("tab")
            gate.set()
            await wait_for(pilot, lambda s=screen: s.form_ready, what="the form")
            pickup = screen.query_one("#f-pickup_zone", Picker)
            await wait_for(pilot, lambda p=pickup: app.focused is p.input, 10, '"from" focused')
            await pilot.press("escape", "2")
            await wait_for(pilot, lambda: app.current_mode == "dashboard", 10, "the dashboard")
            await app.remove_mode("predict")  # the next 5 is a first arrival again
            app.add_mode("predict", app.MODES["predict"])


async def test_ctrl_s_right_after_a_new_zone_is_typed_over_a_picked_one_sends_the_new_text(
    make_app: Any, adapter: Any, deployment: dict
) -> None:
    """The tmux first-timer under load: "Narnia" typed over a picked "from", then ctrl+s at once,
    sent the old pick (the field's text had not yet un-picked it). Right: "no zone called 'Narnia'"."""
    from textual import events

    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        screen, picker = await _in_a_picked_from(pilot, deployment)
        picker.input.selection = Selection(0, len(picker.input.value))
        before = sum(c.op == "predict" for c in adapter.calls)
        for character in "Narnia":
            app.post_message(events.Key(character, character))
        app.post_message(events.Key("ctrl+s", None))
        error = screen.query_one("#err-pickup_zone")
        await wait_for(pilot, lambda: "Narnia" in str(error.render()), 10, "the unknown place named")
        assert "no zone called 'Narnia'" in str(error.render())
        assert sum(c.op == "predict" for c in adapter.calls) == before


@pytest.mark.parametrize(
    "typed",
    ["how long from times sq to laguardia friday 5pm?", "Pennsylvania-Station-" * 4],
    ids=["nine words", "over 64 characters"],
)
async def test_a_sentence_typed_into_a_zone_is_named_not_a_crash(
    make_app: Any, adapter: Any, typed: str
) -> None:
    """A question typed into "to" (the guide's habit, after 1 was typed into the field) stopped the
    app at the ninth word: the zone table refuses text that long (LookupError) and the picker's
    list asked it as you typed. Right: no matches listed, and the send names the field's problem."""
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _arrive(pilot)
        picker = screen.query_one("#f-dropoff_zone", Picker)
        picker.input.focus()
        await pilot.pause()
        picker.input.value = typed[:-1]  # (as typed, at once: 85 key presses took 12 s)
        picker.input.cursor_position = len(typed) - 1
        await pilot.press(typed[-1])
        await pilot.pause()
        assert picker.input.value == typed and picker.value is None
        await pilot.press("ctrl+s")
        error = screen.query_one("#err-dropoff_zone")
        await wait_for(
            pilot, lambda: "a zone name is at most" in str(error.render()), 10, "the problem named"
        )


async def test_each_match_takes_one_line_of_the_list(make_app: Any, adapter: Any) -> None:
    """At 80x24 the list under a zone field is 21 columns wide: 'penn' listed "Penn Station/Madi",
    "son Sq West (Manh", "attan)  [186]" (the long names were folded), so two matches filled the
    seven lines. Each match is one line, cut with an ellipsis."""

    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _arrive(pilot)
        picker = screen.query_one("#f-pickup_zone", Picker)
        await pilot.press("tab", *"penn")
        options = picker.query_one(OptionList)
        await wait_for(pilot, lambda: options.option_count >= 2, 10, "the matches")
        await pilot.pause()
        lines = [options.render_line(y).text.strip() for y in range(2)]
        assert lines[0].startswith("Penn Station/") and lines[0].endswith("…"), lines
        assert lines[1].startswith("East New York/"), lines


async def test_a_key_typed_after_a_picked_name_is_shown(make_app: Any, adapter: Any) -> None:
    """'laguardia', enter, then 'x' in "to" at 80x24 showed "ia Airport (Queens)" without the x:
    the list that opened made the form scroll, its scrollbar narrowed the field by two columns, and
    the field kept its old scroll, so the cursor and the key just typed were past its right edge."""
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        _, picker = await _typed_into(pilot, "dropoff_zone", *"laguardia", "enter")
        await wait_for(pilot, lambda: picker.label.startswith("LaGuardia"), 10, "LaGuardia picked")
        await pilot.pause()
        width = picker.input.size.width
        await pilot.press("x")
        await wait_for(pilot, lambda: picker.has_class("-open"), 10, "the list")
        await pilot.pause()
        field = picker.input
        assert field.size.width < width  # the case: the field narrowed as the list opened
        start = field.scroll_offset.x
        shown = field.value[start : start + field.size.width]  # what the screen shows of it
        assert shown.endswith("(Queens)x"), shown
        assert start + field.size.width > field.cursor_position  # and the cursor after it


async def test_enter_on_a_zone_that_matches_nothing_names_it(make_app: Any, adapter: Any) -> None:
    """'qwxzzy' then enter in "to" did nothing at all (the open list had no match to pick and kept
    the enter from the form); tab then ctrl+s said "no zone called 'qwxzzy'". Enter says it too."""
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        screen, picker = await _typed_into(pilot, "dropoff_zone", *"qwxzzy")
        await pilot.pause()
        listed = picker.query_one(OptionList)  # said as it is typed (it was only once sent)
        assert [str(o.prompt) for o in listed.options] == ["no match"]
        await pilot.press("down", "enter")  # (the line is not a match to pick)
        error = screen.query_one("#err-dropoff_zone")
        await wait_for(pilot, lambda: "no zone called 'qwxzzy'" in str(error.render()), 10, "the problem")


async def test_ctrl_s_takes_the_match_chosen_with_the_arrows(make_app: Any, adapter: Any) -> None:
    """'penn', ↓ to "East New York/Pennsylvania Avenue", then ctrl+s sent Penn Station (the typed
    text read afresh), not the match highlighted on screen; tab and enter take the highlighted one."""
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        _, picker = await _typed_into(pilot, "pickup_zone", *"penn")
        await wait_for(pilot, lambda: picker.has_class("-open"), 10, "the list")
        await pilot.pause()
        await pilot.press("down", "ctrl+s")
        await wait_for(pilot, lambda: picker.value is not None, 10, "a zone picked")
        assert picker.label.startswith("East New York/Pennsylvania"), picker.label


async def test_ctrl_s_without_the_arrows_reads_the_typed_text(make_app: Any, adapter: Any) -> None:
    """Without ↑/↓ the typed text is read by the zone resolver (as the guide and the CLI read it):
    'midtown' names four zones and is refused, not sent as the first one listed."""
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        screen, picker = await _typed_into(pilot, "pickup_zone", *"midtown")
        await wait_for(pilot, lambda: picker.has_class("-open"), 10, "the list")
        await pilot.pause()
        await pilot.press("ctrl+s")
        error = screen.query_one("#err-pickup_zone")
        await wait_for(pilot, lambda: "type more of the name" in str(error.render()), 10, "the problem")
        assert picker.value is None


async def test_the_request_shown_keeps_its_values_at_80_columns(tmp_path: Any) -> None:
    """The Result pane at 80x24 showed '"pickup_datetime": "2019-0' and nothing more: the JSON of
    the request and the response was cut at the pane's edge (Rich's JSON never wraps). It wraps."""
    import re

    from .fixed_app import feed_once, fixed_app
    from .terminal_support import screen_text

    app = fixed_app(tmp_path, "predict")
    async with app.run_test(size=(80, 24)) as pilot:
        await feed_once(pilot)
        screen = app.screen
        await wait_for(pilot, lambda: screen.form_ready, what="form")
        await pilot.press("ctrl+s")
        meta = screen.query_one("#result-meta")
        await wait_for(pilot, lambda: "latency" in str(meta.render()), what="result")
        request = screen.query_one("#result-request")
        screen.query_one("#predict-result").scroll_to_widget(request, animate=False, top=True)
        await pilot.pause(0.2)
        rows = [line.split("││", 1)[-1] for line in screen_text(app).splitlines()]
        pane = "\n".join(row.rstrip().removesuffix("│") for row in rows)  # the Result pane
        assert re.search(r'"pickup_datetime":\s+"2019-\d\d-\d\dT\d\d:\d\d(:\d\d)?"', pane), pane
        assert re.search(r'"dropoff_lon":\s+-73\.99740673\b', pane), pane


async def test_shift_tab_out_of_a_zone_closes_its_list(make_app: Any, adapter: Any) -> None:
    """'laguardia', x, then shift+tab back to "from": the list of "to" stayed open under a field
    no longer focused (↑/↓ now moved in nothing there), looking like the list of "from"."""
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        screen, dropoff = await _typed_into(pilot, "dropoff_zone", *"laguardia x")
        pickup = screen.query_one("#f-pickup_zone", Picker)
        await wait_for(pilot, lambda: dropoff.has_class("-open"), 10, "the list")
        await pilot.press("shift+tab")
        await wait_for(pilot, lambda: app.focused is pickup.input, 10, '"from" focused')
        await pilot.pause()
        assert not dropoff.has_class("-open")
        assert dropoff.value is None and dropoff.input.value == "laguardia x"  # kept as typed


async def test_a_ride_refused_before_sending_does_not_leave_the_last_answer_as_its_own(
    make_app: Any, adapter: Any, deployment: dict
) -> None:
    """After an answer, a ride refused by the form (February 31st) left the last answer on the
    Result pane as if it were this ride's: it says the ride was not sent and whose answer is below."""
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        screen, _ = await _in_a_picked_from(pilot, deployment)
        value = screen.query_one("#result-value")
        before = sum(c.op == "predict" for c in adapter.calls)
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: sum(c.op == "predict" for c in adapter.calls) == before + 1, 30, "an answer"
        )
        await wait_for(pilot, lambda: " s)" in str(value.render()), 10, "the answer shown")
        screen.query_one("#f-pickup_datetime", Input).value = "2019-02-31T09:00"
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: str(value.render()).startswith("Not sent: pickup_datetime"), 10, "not sent"
        )
        assert "previous ride's answer" in str(value.render())
        assert sum(c.op == "predict" for c in adapter.calls) == before + 1
