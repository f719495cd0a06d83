"""The predict screen against a real deployment: schema form, validation, result, curl."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from mlops_tui.widgets.picker import Picker

from .conftest import wait_for
from .terminal_support import screen_text


async def test_predict_validates_then_answers(make_app: Any, adapter: Any, deployment: dict) -> None:
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot, lambda: any(d.name == deployment["name"] for d in app.data.get("deployments") or [])
        )
        app.intent = ("deployment", deployment["name"])
        await app.goto("predict")
        screen = app.screen
        await wait_for(pilot, lambda: screen.form_ready, what="form generated from the schema")
        assert screen.query_one("#f-deployment").value == deployment["name"]
        names = {f["name"] for f in screen.fields}
        assert {"pickup_datetime", "pickup_zone", "dropoff_zone", "distance"} <= names

        # a bad field is named before anything is sent
        predicts_before = sum(c.op == "predict" for c in adapter.calls)
        screen.query_one("#f-distance").value = "-3"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "more than 0" in str(screen.query_one("#err-distance").render()))
        assert sum(c.op == "predict" for c in adapter.calls) == predicts_before

        # zone picker: type to filter, pick with enter
        picker = screen.query_one("#f-pickup_zone", Picker)
        picker.input.focus()
        picker.input.value = ""
        await pilot.press(*"centre market", "enter")
        await pilot.pause(0.2)
        assert picker.value is not None and "Little Italy" in picker.label
        screen.query_one("#f-distance").value = "2.5"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "latency" in str(screen.query_one("#result-meta").render()), timeout=30)
        value = str(screen.query_one("#result-value").render())
        assert " min " in value or value.strip().endswith("s")
        text = screen_text(app)
        assert "scoring_args" in text and "latency" in text
        # the request wraps (not cut at the pane's edge): the response is below it, scrolled to
        response = screen.query_one("#result-response")
        screen.query_one("#predict-result").scroll_to_widget(response, animate=False, top=True)
        await pilot.pause(0.2)
        assert "response" in screen_text(app)
        assert app.latency and app.latency[-1].source == "predict"

        # copy as curl (OSC 52): it runs as pasted and gives the same answer
        await pilot.press("escape")  # leaves the field (not the screen)
        assert app.current_mode == "predict" and screen.focused is None
        # a letter typed with no field focused goes to "from", never to a command: 'y' once
        # copied the curl with its auth token to the clipboard when a newcomer typed a zone
        before = app.clipboard
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == before and screen.focused is not None
        assert screen.focused.value == "y"
        await pilot.press("escape")
        await pilot.press("ctrl+y")
        command = app.clipboard
        assert command.startswith("curl") and "X-Auth-Token" in command
        out = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
        answer = json.loads(out.stdout)
        assert answer["prediction"][0] > 0
