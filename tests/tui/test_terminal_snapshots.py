"""SVG snapshots of the guide, the dashboard, the predict and the login screen (its checkboxes) on
the terminals of issue 7 part 4: 16 colours (``TERM=xterm``), ``NO_COLOR=1`` and a non-UTF-8
locale (``LC_ALL=C``).

Same fixed data and frozen clock as test_snapshots.py. The SVG shows ANSI colours in Textual's
export palette, not PuTTY's; test_terminals.py checks the colours a PuTTY user really sees.
Update with ``pytest --snapshot-update`` after a deliberate change, and look at the SVGs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from mlops_tui.screens.guide import GuideScreen

from .conftest import wait_for
from .fixed_app import feed_once, fixed_app, fixed_home
from .terminal_support import TERMINALS, screen_text, use_terminal

SIZE = (100, 30)


pytestmark = pytest.mark.usefixtures("utc")


async def _guide(pilot: Any) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, GuideScreen), what="the guide")
    guide = pilot.app.screen
    await wait_for(pilot, lambda: guide._announced is not None and not guide.checking, what="first check")
    await _settled(pilot)


async def _predict(pilot: Any) -> None:
    await feed_once(pilot)
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.form_ready, what="form")
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: "latency" in str(screen.query_one("#result-meta").render()), what="result")
    screen.query_one("#send").focus()
    await _settled(pilot)


async def _dashboard(pilot: Any) -> None:
    await feed_once(pilot)
    await _settled(pilot)


async def _settled(pilot: Any, timeout: float = 5.0) -> None:
    """Until two frames 0.3 s apart are the same (a plot redraws once after its first layout).
    Text cursors stop blinking first, so the picture does not depend on when it is taken."""
    from textual.widgets import Input

    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    deadline = time.monotonic() + timeout
    before = screen_text(pilot.app)
    while time.monotonic() < deadline:
        await pilot.pause(0.3)
        now = screen_text(pilot.app)
        if now == before:
            return
        before = now


async def _login(pilot: Any) -> None:
    """The Login form: its checkboxes on (Verify TLS, Remember) and off (Read-only), item 10."""
    await feed_once(pilot)
    await _settled(pilot)


RUN_BEFORE = {"guide": _guide, "dashboard": _dashboard, "predict": _predict, "login": _login}


@pytest.mark.usefixtures("tui_home")
@pytest.mark.parametrize("terminal", list(TERMINALS))
@pytest.mark.parametrize("mode", list(RUN_BEFORE))
def test_screen_on_terminal(
    mode: str, terminal: str, snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_terminal(monkeypatch, terminal)
    if mode == "login":
        fixed_home(monkeypatch)  # the credentials path on screen
    assert snap_compare(fixed_app(tmp_path, mode), terminal_size=SIZE, run_before=RUN_BEFORE[mode])
