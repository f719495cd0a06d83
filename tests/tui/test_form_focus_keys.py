"""The screen keys on the first visit of a screen with a form: they switch screens (what the footer
shows), as on every later visit, instead of being typed into a field the screen focused on mount.

The fault: on the Predict screen's first visit the pickup field had the focus, so `2` replaced
"Coney Island (Brooklyn)" with "2" and the person stayed on the screen; the Login screen's password
field took them on every visit."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, OptionList

from mlops_tui.widgets.picker import Picker

from .conftest import wait_for


async def _arrive_at_predict(pilot: Any) -> Picker:
    """Press 5 and wait for the form; its first field ("from")."""
    await pilot.press("5")
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.form_ready, what="the form")
    await pilot.pause()
    return screen.query_one("#f-pickup_zone", Picker)


async def _arrive_at_login(pilot: Any) -> tuple[OptionList, Input]:
    """Press 6 and wait for the profile list's focus; the list and the password field."""
    await pilot.press("6")
    screen = pilot.app.screen
    listing = screen.query_one("#profile-list", OptionList)
    await wait_for(pilot, lambda: pilot.app.focused is listing, 10, "the profile list focused")
    return listing, screen.query_one("#f-password", Input)


async def test_the_screen_keys_work_on_the_first_visit_of_predict(make_app: Any, adapter: Any) -> None:
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        pickup = await _arrive_at_predict(pilot)
        before = pickup.input.value
        assert not isinstance(app.focused, Input)
        await pilot.press("2")
        await wait_for(pilot, lambda: app.current_mode == "dashboard", 10, "the dashboard")
        assert pickup.input.value == before
        await pilot.press("5")
        await wait_for(pilot, lambda: app.current_mode == "predict", 10, "the predict screen again")
        await pilot.press("tab")  # into the ride's first field: typing is text there
        assert app.focused is pickup.input
        pickup.input.value = ""
        await pilot.press("1", "6", "1")
        assert pickup.input.value == "161" and app.current_mode == "predict"


async def test_the_screen_keys_work_on_the_login_screen(make_app: Any, adapter: Any) -> None:
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        listing, password = await _arrive_at_login(pilot)
        await pilot.press("enter")  # the current profile: its password next
        assert app.focused is password
        await pilot.press("escape", "2")
        await wait_for(pilot, lambda: app.current_mode == "dashboard", 10, "the dashboard")
        assert password.value == ""
        await pilot.press("6")
        await wait_for(pilot, lambda: app.focused is listing, 10, "the profile list again")
        await pilot.press("2")
        await wait_for(pilot, lambda: app.current_mode == "dashboard", 10, "the dashboard again")


async def test_a_password_typed_on_arrival_goes_to_the_password_field(make_app: Any, adapter: Any) -> None:
    """Found by a newcomer: `cy:ber7` typed on arrival opened the command strip with its 'c', the
    command line with its ':' and showed the rest there in clear. Letters go to the password; the
    screen keys (1-8, ':', '?') still act while no field is focused."""
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        _, password = await _arrive_at_login(pilot)
        await pilot.press(*"cy:ber7")
        await pilot.pause()
        assert app.focused is password and password.value == "cy:ber7"
        assert app.current_mode == "login" and "cy" not in app.clipboard


async def test_a_zone_typed_on_arrival_goes_to_the_first_field(make_app: Any, adapter: Any) -> None:
    """Letters typed on arrival start the pickup zone (they once toggled the command strip and
    copied the curl); digits are screen keys there, as the footer says."""
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        pickup = await _arrive_at_predict(pilot)
        await pilot.press(*"coney")
        await pilot.pause()
        assert app.focused is pickup.input and pickup.input.value.startswith("coney")
        assert app.current_mode == "predict"
