"""Typed commands in the guide, and failures that become messages, against a real local platform."""

from __future__ import annotations

import pytest

from .guide_support import fresh_tenant, guide_app, ready, type_line, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("tui_home")]  # HOME in tmp_path


async def test_typed_commands_on_a_fresh_tenant(local_platform, tmp_path) -> None:
    app = guide_app(fresh_tenant(local_platform), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        guide = await ready(pilot)
        chat = guide.chat

        await type_line(pilot, "help")
        assert "predict <ride>" in chat.transcript() and "goto lab <n>" in chat.transcript()

        await type_line(pilot, "stauts")
        assert "Did you mean 'status'" in chat.transcript()

        await type_line(pilot, "zones chelsea")
        assert "68  East Chelsea (Manhattan)" in chat.transcript()

        await type_line(pilot, "goto lab 4")
        assert guide.steps[guide.current].id == "register"
        await type_line(pilot, "back")
        assert guide.steps[guide.current].id == "train"

        await type_line(pilot, "show commands")
        assert "curl" in chat.messages[-1].plain and "/jobs" in chat.messages[-1].plain

        await type_line(pilot, "predict from Times Sq to JFK friday 5pm 17 miles")
        await wait_for(
            pilot, lambda: "Lab 4 deploys the model" in chat.transcript(), 30, "the no-deployment reply"
        )

        await type_line(pilot, "predict from Narnia to JFK")
        said = chat.messages[-1].plain
        assert "no zone called 'Narnia', look one up by a part of its name, e.g. `zones midtown`" in said

        await type_line(pilot, "logs")
        await wait_for(pilot, lambda: "no training job yet" in chat.transcript(), 30, "the logs reply")

        await type_line(pilot, "status")
        await wait_for(pilot, lambda: "Status, checked live just now" in chat.transcript(), 30, "status")
        status = chat.messages[-1].plain
        assert "✔ 1. Lab 1 Log in to the platform" in status and "○ 7. Lab 3 Train the model" in status

        await type_line(pilot, "skip")
        assert guide.states["train"] == "skipped"
        assert guide.steps[guide.current].id == "register"

        await type_line(pilot, "clear")
        assert len(chat.messages) == 1  # only the explanation of the current step

        field = guide.query_one("#guide-input")
        await pilot.press("up")
        assert field.value == "clear"
        await pilot.press("up", "up")
        assert field.value == "status"
        await pilot.press("down", "down")
        assert field.value == "clear"
        await pilot.press("down")
        assert field.value == ""
        await pilot.press("s", "h", "o")  # completion of command words: right accepts
        await pilot.press("right")
        assert field.value == "show curl"


async def test_platform_down_is_a_message_and_the_guide_recovers(platform_factory, tmp_path) -> None:
    platform = platform_factory.new("down")
    creds = platform.add_user("DownTenant", "bob", "pw-down-1234")
    app = guide_app(creds, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        guide = await ready(pilot)
        platform.stop()
        await pilot.press("enter")  # the notebook step: the platform does not answer
        await wait_for(
            pilot, lambda: guide.running is None and guide.states["notebook"] == "failed", 60, "failure"
        )
        transcript = guide.chat.transcript()
        assert "Platform unreachable" in transcript
        assert "Traceback" not in transcript
        assert "failed — enter tries again" in str(guide.query_one("#guide-prompt").content)
        platform.start(port=platform.port)  # same URL; the session survives the restart
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: guide.running is None and guide.states["notebook"] in ("done", "unavailable"),
            60,
            "the retry",
        )


@pytest.mark.parametrize(("width", "height"), [(80, 24), (60, 20)])
async def test_guide_fits_small_terminals(local_platform, tmp_path, width: int, height: int) -> None:
    app = guide_app(fresh_tenant(local_platform), tmp_path)
    async with app.run_test(size=(width, height)) as pilot:
        guide = await ready(pilot)
        screen = app.screen.region
        for selector in ("#guide-chat", "#guide-prompt", "#guide-input"):
            widget = guide.query_one(selector)
            assert widget.region.area > 0 and screen.contains_region(widget.region), selector
        sidebar, summary = guide.query_one("#guide-steps"), guide.query_one("#guide-summary")
        if width >= 72:
            assert sidebar.display and sidebar.region.width >= 20 and not summary.display
        else:
            assert not sidebar.display and summary.display
            assert "step" in str(summary.content)
        assert guide.query_one("#guide-input").has_focus


async def test_steps_done_on_another_screen_are_picked_up(local_platform, tmp_path) -> None:
    """Back on the guide after training elsewhere, it has moved past the steps now done."""
    from mlops_tui.assistant import labs

    app = guide_app(fresh_tenant(local_platform), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        guide = await ready(pilot)
        await type_line(pilot, "run upload-code")
        await wait_for(pilot, lambda: guide.running is None, 60, "the upload")
        await type_line(pilot, "goto lab 3")
        assert guide.steps[guide.current].id == "upload-code"
        await pilot.press("2")  # the dashboard
        # done by hand meanwhile: the same platform call the training screen makes
        await wait_for(pilot, lambda: app.current_mode == "dashboard", 10, "the dashboard")
        async for _ in labs.run_step(labs.get_step("train"), app.platform, guide.context):
            pass
        await pilot.press("1")
        await wait_for(pilot, lambda: app.current_mode == "guide", 10, "the guide again")
        await wait_for(pilot, lambda: guide.steps[guide.current].id == "register", 60, "the guide to move on")
        assert guide.states["train"] == "done"
        assert "Lab 4 · Register the model" in guide.chat.messages[-1].plain
        # a digit inside a command is typed, not a screen switch
        await pilot.press("l", "a", "b", "space", "2")
        assert guide.query_one("#guide-input").value == "lab 2" and app.current_mode == "guide"
        await pilot.press("enter")
        assert guide.steps[guide.current].lab == 2
