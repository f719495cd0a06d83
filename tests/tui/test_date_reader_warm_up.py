"""dateparser is loaded when a date in words is about to be typed, not by opening a screen.

Issue 9: an idle attendee's TUI (Lab 5 done on the Predict form with its prefilled ride, then the
dashboard for hours) must not hold dateparser (about 8 MB with regex and its language data) for a
date it never read in words. Opening the guide or the Predict form, and sending the prefilled ride,
must not warm the date reader up; focusing the date field, or typing a ride in the guide, does.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from textual.widgets import Input

from mlops_tui.assistant import when

from .conftest import wait_for
from .guide_support import fresh_tenant, guide_app, ready


@pytest.fixture
def warm_ups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every call of ``when.warm_up`` (which still warms up for real), from a cold date reader."""
    when._parser.cache_clear()  # another test of this process may have read a date in words
    calls: list[int] = []
    real = when.warm_up

    def counted() -> None:
        calls.append(1)
        real()

    monkeypatch.setattr(when, "warm_up", counted)
    return calls


async def test_predict_form_warms_the_date_reader_only_for_its_date_field(
    make_app: Any, adapter: Any, deployment: dict, warm_ups: list[int]
) -> None:
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot, lambda: any(d.name == deployment["name"] for d in app.data.get("deployments") or [])
        )
        app.intent = ("deployment", deployment["name"])
        await app.goto("predict")
        screen = app.screen
        await wait_for(pilot, lambda: screen.form_ready, what="form generated from the schema")
        await pilot.press("ctrl+s")  # Lab 5: the prefilled ride, its date in numbers
        await wait_for(pilot, lambda: "latency" in str(screen.query_one("#result-meta").render()), timeout=30)
        await pilot.pause(0.3)
        assert warm_ups == []

        screen.query_one("#f-pickup_datetime", Input).focus()
        await wait_for(pilot, lambda: len(warm_ups) == 1, what="the date reader warmed up on focus")


async def test_guide_warms_the_date_reader_when_a_ride_is_typed(
    local_platform: Any, tmp_path: Any, warm_ups: list[int]
) -> None:
    app = guide_app(fresh_tenant(local_platform), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        guide = await ready(pilot)
        await wait_for(pilot, lambda: guide.zones is not None, what="the zone table")
        field = guide.query_one("#guide-input", Input)
        field.focus()
        field.value = "status"
        await pilot.pause(0.3)
        assert warm_ups == []

        field.value = "predict from Penn Station to"
        await wait_for(pilot, lambda: len(warm_ups) == 1, what="the date reader warmed up for a ride")


def test_httpx_does_not_import_its_command_line_tool() -> None:
    """``import httpx`` after the app's package: no click, pygments (httpx's CLI; about 3.3 MB)."""
    code = (
        "import sys, mlops_tui.services.httpclient;"
        "print(sorted(m for m in ('click', 'pygments', 'rich.syntax') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
