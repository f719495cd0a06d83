"""Terminals as they are (issue 7, part 4): 16 colours, NO_COLOR, a non-UTF-8 locale, 60 columns.

Each test reads what is really on the screen (rendered strips, after Textual's filters and ours) and
asserts the value the issue asks for: at 16 colours the success line is green and focused borders
are not red; without colour failures are bold reverse and nothing is grey; without UTF-8 no
non-ASCII character reaches the screen; at 60 columns the connection badge keeps its whole text.
The data comes from FixedPlatform (no platform process): only the drawing is under test here.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from mlops_tui.screens.guide import GuideScreen
from rich.color import ColorType

from mlops_tui.app import THEMES, MlopsApp
from mlops_tui.widgets.connection import ConnectionStatus, Link
from mlops_tui.widgets.panel import StalePanel

from .conftest import wait_for
from .fixed_app import feed_once, fixed_app
from .fixed_platform import frozen_clock
from .terminal_support import hue_name, screen_text, shown_rgb, style_at, styles_of, use_terminal

pytestmark = pytest.mark.usefixtures("utc")


async def _guide_done(pilot: Any) -> GuideScreen:
    """The guide after its one missing step (Lab 3 upload) really ran: "✔ All labs done"."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, GuideScreen), what="the guide")
    guide: GuideScreen = pilot.app.screen
    await wait_for(pilot, lambda: guide._announced is not None and not guide.checking, what="first check")
    await pilot.press("enter")  # runs the step marked ▶ (the upload), then checks it live
    await wait_for(pilot, lambda: "All labs done" in screen_text(pilot.app), 30, "all labs done")
    await pilot.pause(0.2)
    return guide


# -- 16 colours (TERM=xterm, PuTTY's default) --------------------------------------------------------


async def test_success_line_is_green_at_16_colours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_terminal(monkeypatch, "xterm-16")
    app = fixed_app(tmp_path, "guide")
    async with app.run_test(size=(100, 30)) as pilot:
        await _guide_done(pilot)
        assert app.console.color_system == "standard"
        styles = styles_of(app, "All labs done")
        assert styles, screen_text(app)
        hues = {hue_name(shown_rgb(style.color, app)) for style in styles if style.color is not None}
        assert hues == {"green"}, f"the success line shows as {hues} on PuTTY"


async def test_focused_borders_are_not_red_at_16_colours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_terminal(monkeypatch, "xterm-16")
    app = fixed_app(tmp_path, "dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        await feed_once(pilot)
        for theme in THEMES:
            app.theme = theme
            await pilot.pause(0.1)
            panels = list(app.screen.query(StalePanel))
            focused = next(p for p in panels if p.has_pseudo_class("focus-within"))
            other = next(p for p in panels if not p.has_pseudo_class("focus-within"))
            focus_rgb = shown_rgb(style_at(app, focused.region.x, focused.region.y).color, app)
            other_rgb = shown_rgb(style_at(app, other.region.x, other.region.y).color, app)
            assert hue_name(focus_rgb) != "red", f"{theme}: the focused border is {focus_rgb} on PuTTY"
            assert focus_rgb != other_rgb, f"{theme}: focused and unfocused borders look the same"


@pytest.mark.parametrize("theme", THEMES)
async def test_each_theme_keeps_its_meanings_at_16_colours(
    theme: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """success green, warning yellow, failure red; focus and selection none of those (PuTTY palette)."""
    use_terminal(monkeypatch, "xterm-16")
    app = fixed_app(tmp_path, "dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        app.theme = theme
        await pilot.pause(0.1)
        variables = app.get_css_variables()
        from textual.color import Color

        def hue(name: str) -> str:
            return hue_name(shown_rgb(Color.parse(variables[name]).rich_color, app))

        assert (hue("success"), hue("warning"), hue("error")) == ("green", "yellow", "red")
        meanings = {"green", "yellow", "red"}
        assert hue("accent") not in meanings and hue("border") not in meanings, "focus looks like a state"
        assert hue("block-cursor-background") not in meanings, "selection looks like a state"
        assert all(
            Color.parse(variables[n]).rich_color.type in (ColorType.STANDARD, ColorType.DEFAULT)
            for n in ("primary", "accent", "success", "warning", "error", "border", "foreground")
        ), "a 16-colour design names the terminal's own colours"


# -- NO_COLOR -------------------------------------------------------------------------------------


async def test_failures_are_bold_reverse_without_colour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_terminal(monkeypatch, "no-color")
    app = fixed_app(tmp_path, "dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        await feed_once(pilot)
        app.screen.query_one("#tbl-deployments").focus()  # keep the failures out of the cursor row
        await pilot.pause(0.2)
        for state in ("failed",):
            styles = styles_of(app, state)
            assert styles, state
            for style in styles:
                assert style.bold and style.reverse, f"{state!r} is drawn {style}"
                assert style.color is None or style.color.is_default, f"{state!r} has colour {style.color}"
        from mlops_tui.screens.dashboard import state_style

        assert set(state_style("config error").split()) >= {"bold", "reverse"}  # a cluster that failed
        for style in styles_of(app, "n/a here"):  # the optional notebook this host cannot run: no fault
            assert not style.reverse, f"the optional notebook is drawn {style}"
        looks = {}
        for state in ("finished", "running", "failed"):
            style = styles_of(app, state)[0]
            looks[state] = (style.bold, style.italic, style.underline, style.reverse)
        assert len(set(looks.values())) == 3, f"states look alike without colour: {looks}"


async def test_no_colour_at_all_under_no_color(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR (no-color.org) means no colour codes: no greys standing in for colours either."""
    use_terminal(monkeypatch, "no-color")
    app = fixed_app(tmp_path, "dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        await feed_once(pilot)
        strips = app.screen._compositor.render_strips()
        colours = {
            str(c)
            for strip in strips
            for segment in strip
            if segment.style is not None
            for c in (segment.style.color, segment.style.bgcolor)
            if c is not None and not c.is_default
        }
        assert not colours, f"colours on screen under NO_COLOR: {sorted(colours)[:5]}"


async def test_focus_and_selection_stay_visible_without_colour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_terminal(monkeypatch, "no-color")
    app = fixed_app(tmp_path, "dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        await feed_once(pilot)
        focused = next(p for p in app.screen.query(StalePanel) if p.has_pseudo_class("focus-within"))
        other = next(p for p in app.screen.query(StalePanel) if not p.has_pseudo_class("focus-within"))
        x, y = focused.region.x, focused.region.y
        ox, oy = other.region.x, other.region.y
        corner = app.screen._compositor.render_strips()[y]
        text = "".join(s.text for s in corner)
        other_text = "".join(s.text for s in app.screen._compositor.render_strips()[oy])
        assert text[x] != other_text[ox], "focused and unfocused panel frames are drawn alike"
        title = styles_of(app, focused.border_title)[0]
        assert title.reverse, "the focused panel's title is reversed"
        cursor_row = styles_of(app, "training-engine-shared")[0]
        assert cursor_row.reverse, "the selected row is reversed"


# -- a non-UTF-8 locale (LANG=C / LC_ALL=C) ----------------------------------------------------------


async def _show(pilot: Any, mode: str) -> None:
    app: MlopsApp = pilot.app
    await app.goto(mode)
    await pilot.pause(0.4)
    if mode == "predict":
        await wait_for(pilot, lambda: app.screen.form_ready, what="form")
    if mode == "training":
        await wait_for(pilot, lambda: app.screen.query_one("#job-log").view.total >= 40, what="log")
    await pilot.pause(0.3)


async def test_no_non_ascii_reaches_the_screen_in_the_c_locale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_terminal(monkeypatch, "ascii")
    app = fixed_app(tmp_path, "guide")
    async with app.run_test(size=(100, 30)) as pilot:
        await _guide_done(pilot)
        await feed_once(pilot)
        seen: dict[str, str] = {}
        for mode in ("guide", "dashboard", "training", "registry", "predict", "login"):
            await _show(pilot, mode)
            seen[mode] = screen_text(app)
        await pilot.press("question_mark")
        await pilot.pause(0.3)
        seen["help"] = screen_text(app)
        await pilot.press("escape")
        app.notify("Job 4 failed — see the log…", title="Training", severity="error")
        await pilot.pause(0.3)
        seen["notification"] = screen_text(app)
        for where, text in seen.items():
            strange = sorted({c for c in text if not c.isascii()})
            assert not strange, f"{where}: non-ASCII on screen {strange}"
        guide = seen["guide"]
        assert "+ All labs done" in guide, "done reads + in ASCII"
        assert "* connected" in guide, "the badge's marker is ASCII"
        assert "+----" in seen["dashboard"] or "+-" in seen["dashboard"], "panel frames are + - |"


async def test_ascii_borders_are_drawn_not_blanked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Block borders (the guide's input: ``tall``) become ``+--+``, not spaces where blocks were."""
    use_terminal(monkeypatch, "ascii")
    app = fixed_app(tmp_path, "guide")
    async with app.run_test(size=(100, 30)) as pilot:
        await _guide_done(pilot)
        field = app.screen.query_one("#guide-input")
        row = screen_text(app).splitlines()[field.region.y]
        left, right = field.region.x, field.region.right - 1
        assert row[left] == "+" and row[right] == "+" and set(row[left + 1 : right]) == {"-"}, row


# -- 60 columns ---------------------------------------------------------------------------------------


def _disconnected(retry_in: int) -> ConnectionStatus:
    return ConnectionStatus(Link.DISCONNECTED, frozen_clock() + timedelta(seconds=retry_in), "refused")


def _header(app: MlopsApp) -> str:
    return screen_text(app).splitlines()[0]


@pytest.mark.parametrize("width", [60, 80])
@pytest.mark.parametrize("read_only", [False, True])
async def test_connection_badge_keeps_its_text_when_narrow(
    width: int, read_only: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = fixed_app(tmp_path, "dashboard", read_only=read_only)
    async with app.run_test(size=(width, 24)) as pilot:
        await feed_once(pilot)
        assert _header(app).rstrip().endswith("● connected"), _header(app)
        app._link_status(_disconnected(4))
        await pilot.pause(0.2)
        header = _header(app)
        # the user id is never cut (test_owner_titles): where it and the long badge do not both
        # fit (60 columns, read-only), the badge takes its short form, countdown included
        long_badge = "✖ disconnected, retrying in 4s" in header
        assert long_badge or (width == 60 and read_only and "✖ retry in 4s" in header), header
        assert "alice" in header, header
        assert "1 Guide" in header or "2 Dash" in header, "the current screen's tab stays"
        if read_only:
            assert " RO " in header or "READ-ONLY" in header, header
        for key in "123456":
            assert f" {key}" in header, f"tab key {key} gone: {header}"


async def test_badge_short_form_keeps_the_countdown(tmp_path: Path) -> None:
    app = fixed_app(tmp_path, "dashboard", read_only=True)
    async with app.run_test(size=(44, 20)) as pilot:
        await feed_once(pilot)
        app._link_status(_disconnected(12))
        await pilot.pause(0.2)
        assert _header(app).rstrip().endswith("✖ retry in 12s"), _header(app)


# -- a degraded platform (issue 8: /health says disk full) ---------------------------------------------

REASON = (
    "disk full: a write to /home/alice/.local/state/mlops-tui/platform/platform.db failed for want of "
    "space (since 2026-03-02T09:29:00+00:00); free some space on its device"
)


def _degraded() -> ConnectionStatus:
    return ConnectionStatus(Link.CONNECTED, degraded=(REASON,))


@pytest.mark.parametrize("width", [60, 80])
@pytest.mark.parametrize("read_only", [False, True])
async def test_a_degraded_platform_shows_in_the_badge_when_narrow(
    width: int, read_only: bool, tmp_path: Path
) -> None:
    """``/health`` degraded used to show nothing: the badge says it, whole at 60 columns, and the
    dashboard gives the platform's reason in full; it goes when the platform is healthy again."""
    app = fixed_app(tmp_path, "dashboard", read_only=read_only)
    async with app.run_test(size=(width, 24)) as pilot:
        await feed_once(pilot)
        app._link_status(_degraded())
        await pilot.pause(0.2)
        header = _header(app)
        # whole at 80; at 60 the short form where the user id (never cut) needs the room
        assert header.rstrip().endswith("⚠ connected · degraded: disk full") or (
            width == 60 and header.rstrip().endswith("⚠ disk full")
        ), header
        assert "alice" in header, header
        for key in "123456":
            assert f" {key}" in header, f"tab key {key} gone: {header}"
        banner = app.screen.query_one("#dash-degraded")
        assert banner.display and str(banner.render()) == f"⚠ the platform is degraded: {REASON}"
        assert "the platform is degraded: disk full: a write to" in screen_text(app)
        app._link_status(ConnectionStatus(Link.CONNECTED))
        await pilot.pause(0.2)
        assert _header(app).rstrip().endswith("● connected") and not banner.display


async def test_a_degraded_badge_is_a_warning_on_every_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Yellow at 16 colours (not the green of connected), underlined without colour, ``!`` in ASCII."""
    for terminal, check in (
        ("xterm-16", lambda app, style: hue_name(shown_rgb(style.color, app)) == "yellow"),
        ("no-color", lambda app, style: style.underline and (style.color is None or style.color.is_default)),
    ):
        use_terminal(monkeypatch, terminal)
        app = fixed_app(tmp_path, "dashboard")
        async with app.run_test(size=(80, 24)) as pilot:
            await feed_once(pilot)
            app._link_status(_degraded())
            await pilot.pause(0.2)
            styles = styles_of(app, "connected · degraded: disk full")
            assert styles and all(check(app, s) for s in styles), (terminal, styles)
    use_terminal(monkeypatch, "ascii")
    app = fixed_app(tmp_path, "dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        await feed_once(pilot)
        app._link_status(_degraded())
        await pilot.pause(0.2)
        assert _header(app).rstrip().endswith("! connected - degraded: disk full"), _header(app)


def test_the_degraded_badge_names_each_kind_once_and_stays_short() -> None:
    now = frozen_clock()
    low = "disk full: 0 KiB free on the device holding /x"
    two = ConnectionStatus(Link.CONNECTED, degraded=(REASON, low))
    assert two.label(now) == "connected · degraded: disk full" and two.short_label(now) == "disk full"
    odd = ConnectionStatus(Link.CONNECTED, degraded=("the platform says something long without a colon",))
    assert odd.short_label(now) == "the platform says s…"
    gone = ConnectionStatus(Link.DISCONNECTED, degraded=(REASON,))  # the link matters more
    assert not gone.is_degraded and gone.label(now).startswith("disconnected")


@pytest.mark.usefixtures("tui_home")
@pytest.mark.parametrize(
    ("terminal", "on", "off"),
    [("xterm-16", "▐X▌", "▐ ▌"), ("no-color", "▐X▌", "▐ ▌"), ("ascii", "[X]", "[ ]"), (None, "▐X▌", "▐ ▌")],
)
async def test_a_checkbox_reads_on_or_off_without_colour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, terminal: str | None, on: str, off: str
) -> None:
    """Textual's Checkbox drew the same X on and off (only its colour differed): under NO_COLOR and
    LANG=C every box read checked (issue 13 tester, item 10). Login and the Train dialog."""
    if terminal is not None:
        use_terminal(monkeypatch, terminal)
    app = fixed_app(tmp_path, "login")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: "Read-only" in screen_text(app), what="the login form")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert f"{on} Verify TLS certificates" in text and f"{off} Read-only (attendees" in text, text
        box = app.screen.query_one("#f-readonly")
        box.focus()
        await pilot.press("space")
        await pilot.pause(0.2)
        assert box.value and f"{on} Read-only (attendees" in screen_text(app)

        await app.goto("training")
        await pilot.pause(0.3)
        app.screen.set_focus(None)
        await pilot.press("n")
        await wait_for(
            pilot, lambda: "Upload the lab's training code" in screen_text(app), what="the Train dialog"
        )
        await pilot.pause(0.2)
        upload = app.screen.query_one("#f-upload")
        shown = on if upload.value else off
        assert f"{shown} Upload the lab's training code" in screen_text(app)
        upload.focus()
        await pilot.press("space")
        await pilot.pause(0.2)
        shown = on if upload.value else off
        assert f"{shown} Upload the lab's training code" in screen_text(app)


def test_every_toggle_is_a_state_checkbox() -> None:
    """Textual's Checkbox, RadioButton and Switch tell on from off by colour alone; the screens use
    StateCheckbox (widgets/checkbox.py) so a future dialog does not bring one back."""
    import re

    root = Path(__file__).resolve().parents[2]
    sources = [*(root / "screens").glob("*.py"), *(root / "mlops_tui").rglob("*.py")]
    used = {
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in sources
        for match in re.finditer(r"(?<![\w.])(Checkbox|RadioButton|RadioSet|Switch)\(", path.read_text())
    }
    assert not used, used
