"""The app shell: screen switching, ':' command line, palette, help, esc back, read-only, errors."""

from __future__ import annotations

from typing import Any

from mlops_tui.screens.dialogs import ConfirmScreen
from mlops_tui.screens.help import HelpScreen

from mlops_tui.services import errors

from .conftest import wait_for
from .terminal_support import screen_text


async def test_keys_switch_screens_and_esc_goes_back(make_app: Any, adapter: Any) -> None:
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        for key, mode in (
            ("3", "training"),
            ("4", "registry"),
            ("5", "predict"),
            ("6", "login"),
            ("1", "guide"),
        ):
            app.screen.set_focus(None)
            await pilot.press(key)
            await wait_for(pilot, lambda mode=mode: app.current_mode == mode, what=mode)
        app.screen.set_focus(None)  # esc in a field first leaves the field
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.current_mode == "login", what="back to login")
        app.screen.set_focus(None)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.current_mode == "predict", what="back to predict")


async def test_esc_on_the_first_screen_stays_there(make_app: Any, adapter: Any) -> None:
    """Esc with no screen to go back to used to stop the app with "No known mode '_default'"
    (Textual's mode before the first screen was kept as a place to go back to)."""
    app = make_app(adapter, first_mode="guide")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.current_mode == "guide", what="the guide")
        app.screen.set_focus(None)
        await pilot.press("escape", "escape")
        await pilot.pause(0.2)
        assert app.current_mode == "guide" and app.is_running
        app.screen.set_focus(None)
        await pilot.press("2")
        await wait_for(pilot, lambda: app.current_mode == "dashboard", what="the dashboard")
        app.screen.set_focus(None)
        await pilot.press("escape", "escape", "escape")
        await pilot.pause(0.2)
        assert app.current_mode == "guide" and app.is_running


async def test_command_line_and_palette(make_app: Any, adapter: Any) -> None:
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("colon", *"train", "enter")
        await wait_for(pilot, lambda: app.current_mode == "training", what=":train")
        await pilot.press("colon", *"nonsense", "enter")
        await pilot.pause(0.2)
        assert app.current_mode == "training"
        assert any("Unknown command" in n.message for n in app._notifications)
        await pilot.press("colon", *"trainig", "enter")  # (no did-you-mean, as the guide gives)
        await wait_for(
            pilot,
            lambda: any("did you mean :training?" in n.message for n in app._notifications),
            what="the suggestion",
        )
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"model registry", "enter")
        await wait_for(pilot, lambda: app.current_mode == "registry", what="palette → registry")
        await pilot.press("colon", *"theme nord", "enter")
        await wait_for(pilot, lambda: app.theme == "nord")


async def test_help_for_each_screen(make_app: Any, adapter: Any) -> None:
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        for mode in ("dashboard", "training", "registry", "predict", "login", "guide"):
            await app.goto(mode)
            await pilot.pause(0.2)
            app.screen.set_focus(None)
            await pilot.press("question_mark")
            help_screen = await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen)
            assert mode == help_screen.for_screen.MODE
            text = screen_text(app)
            assert "Everywhere" in text or "On this screen" in text
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
            assert app.current_mode == mode


async def test_read_only_mode_refuses_deletes(make_app: Any, adapter: Any, deployment: dict) -> None:
    app = make_app(adapter, first_mode="dashboard", read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.data.get("deployments"))
        assert "READ-ONLY" in screen_text(app)
        shown = [
            key
            for key, active in app.screen.active_bindings.items()
            if active.binding.show and active.enabled
        ]
        assert "ctrl+d" not in shown
        assert app.screen.check_action("delete_deployment", ()) is False
        await pilot.press("colon", *"undeploy", "enter")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmScreen)
        assert any("read-only" in n.message for n in app._notifications)
        names = [d.name for d in await adapter.list_deployments()]
        assert deployment["name"] in names


async def test_platform_errors_become_messages_not_tracebacks(make_app: Any, adapter: Any) -> None:
    app = make_app(adapter, first_mode="registry", survive_errors=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)

        async def boom() -> None:
            raise errors.NotFound("no model named nope in this tenant")

        screen = app.screen
        from mlops_tui.screens.base import guarded

        @guarded("Open model")
        async def failing(self: Any) -> None:
            await boom()

        screen.run_worker(failing(screen))

        async def unexpected() -> None:
            raise ZeroDivisionError("a bug")

        app.run_worker(unexpected())  # an unguarded worker failing: still no crash
        await pilot.pause(0.5)
        messages = [n.message for n in app._notifications]
        assert any("no model named nope" in m for m in messages)
        assert any("a bug" in m for m in messages)
        assert app.is_running and "Traceback" not in screen_text(app)
