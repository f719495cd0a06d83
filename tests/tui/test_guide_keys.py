"""``:`` and ``?`` typed first in the guide's input do what the footer says they do on every screen
(issue 13 tester, item 9): ``:`` opens the command line, ``?`` the help. They used to be typed (and
``?`` then enter gave the chat's help instead of the help screen). Inside a sentence they are text."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlops_tui.screens.guide import GuideScreen
from mlops_tui.screens.help import HelpScreen
from textual.widgets import Input

from mlops_tui.app import MlopsApp
from mlops_tui.widgets.command_line import CommandLine
from mlops_tui.widgets.guide_input import GuideInput

from .conftest import wait_for
from .fixed_app import fixed_app

pytestmark = pytest.mark.usefixtures("utc")


def _footer_keys(app: MlopsApp) -> set[str]:
    """The keys the footer shows now (the bindings it draws)."""
    return {
        key for key, active in app.screen.active_bindings.items() if active.binding.show and active.enabled
    }


async def test_colon_and_question_mark_first_in_the_guide_do_what_the_footer_says(tmp_path: Path) -> None:
    app = fixed_app(tmp_path, "guide")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, GuideScreen), what="the guide")
        guide = app.screen
        box = guide.query_one(GuideInput)
        box.focus()
        await pilot.pause()
        assert {"colon", "question_mark"} <= _footer_keys(app)  # shown while the line is empty

        await pilot.press("colon")
        line = guide.query_one(CommandLine)
        await wait_for(
            pilot, lambda: line.has_class("-open") and app.focused is line, what="the command line"
        )
        assert box.value == "" and line.value == ""
        await pilot.press(*"training", "enter")
        await wait_for(pilot, lambda: app.current_mode == "training", what=":training")

        await app.goto("guide")
        await pilot.pause()
        box.focus()
        await pilot.press("question_mark")
        help_screen = await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen)
        assert help_screen.for_screen is guide and box.value == ""
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is guide, what="the help closed")

        box.focus()
        await pilot.press(*"what next?")
        assert box.value == "what next?" and isinstance(app.screen, GuideScreen)
        assert not {"colon", "question_mark"} & _footer_keys(app)  # typed text: they are text now
        await pilot.press(*" a:b")
        assert box.value == "what next? a:b"


async def test_colon_and_question_mark_on_every_screen(tmp_path: Path) -> None:
    """The same two keys, with nothing typed in a field, on each screen the footer shows them."""
    app = fixed_app(tmp_path, "dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        for mode in ("guide", "dashboard", "training", "registry", "predict", "login", "data"):
            await app.goto(mode)
            await pilot.pause(0.2)
            screen = app.screen
            if isinstance(app.focused, GuideInput):
                assert app.focused.value == ""
            elif isinstance(app.focused, Input):  # a form's field: leave it, as esc does
                screen.set_focus(None)
            assert {"colon", "question_mark"} <= _footer_keys(app), mode
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what=f"help on {mode}")
            await pilot.press("escape")
            await wait_for(pilot, lambda screen=screen: app.screen is screen, what=f"back to {mode}")
            if isinstance(app.focused, Input) and not isinstance(app.focused, GuideInput):
                screen.set_focus(None)  # the form's first field took the focus back
            assert "colon" in _footer_keys(app), mode
            await pilot.press("colon")
            line = screen.query_one(CommandLine)
            await wait_for(pilot, lambda line=line: app.focused is line, what=f"the command line on {mode}")
            await pilot.press("escape")
            await wait_for(pilot, lambda line=line: not line.has_class("-open"), what="the line closed")


async def test_the_command_panes_hint_names_keys_that_work_on_its_screen(tmp_path: Path) -> None:
    """The pane said "c expands" on the guide too, where c is typed in the chat (and "c" alone means
    "continue"): each screen's hint names the keys that expand the pane there, and they do."""
    from mlops_tui.widgets.command_pane import CommandPane

    app = fixed_app(tmp_path, "guide")
    async with app.run_test(size=(100, 30)) as pilot:
        for mode in ("guide", "dashboard", "training"):
            await app.goto(mode)
            await pilot.pause(0.2)
            screen = app.screen
            pane = screen.query_one(CommandPane)
            hint = str(pane.query_one("Static").render())
            toggle_key = hint.rsplit("· ", 1)[1].removesuffix(" expands")
            assert toggle_key == (":cmd" if mode == "guide" else "c"), hint
            if toggle_key == ":cmd":
                await pilot.press("colon", *"cmd", "enter")
            else:
                await pilot.press(toggle_key)
            await wait_for(pilot, lambda pane=pane: pane.has_class("-expanded"), what=f"expanded on {mode}")
            assert "collapses" in str(pane.query_one("Static").render())
            if isinstance(app.focused, GuideInput):
                assert app.focused.value == ""  # nothing was typed in the chat


async def test_the_drawn_footer_follows_the_line_being_emptied_or_typed_into(tmp_path: Path) -> None:
    """The footer draws ``: Cmd line`` and ``? Help`` exactly while the line is empty (when those
    keys act): typing hides them, emptying the line (backspace, a sent command) shows them again.
    Under load a snapshot once caught the footer still drawn for the typed line after it was sent."""
    from .terminal_support import screen_text

    def footer() -> str:
        return screen_text(app).splitlines()[-1]

    app = fixed_app(tmp_path, "guide")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, GuideScreen), what="the guide")
        box = app.screen.query_one(GuideInput)
        box.focus()
        await wait_for(pilot, lambda: "Cmd line" in footer(), what="the footer with : Cmd line")
        await pilot.press("h")
        await wait_for(pilot, lambda: "Cmd line" not in footer(), what="the footer without : Cmd line")
        assert "Help" not in footer().replace("F1", "")
        await pilot.press("backspace")
        await wait_for(pilot, lambda: "Cmd line" in footer() and "? Help" in footer(), what="it back")
        box.value = "help"
        await wait_for(pilot, lambda: "Cmd line" not in footer(), what="hidden for a set line")
        await pilot.press("enter")
        await wait_for(pilot, lambda: box.value == "" and "Cmd line" in footer(), what="shown once sent")
