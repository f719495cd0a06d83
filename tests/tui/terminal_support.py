"""Terminals as they are, for tests: environments that describe them, and what a cell looks like.

``TERMINALS`` are the environments of issue 7 part 4: PuTTY's ``TERM=xterm`` (16 colours),
``NO_COLOR=1`` and ``LC_ALL=C`` (no UTF-8). ``shown_rgb`` answers what colour a cell really has on
such a terminal: the Rich style's colour reduced to the app console's colour system (what Textual
writes to the terminal), then looked up in PuTTY's default palette (what the person sees).
"""

from __future__ import annotations

import colorsys
from typing import Any

import pytest
from rich.color import Color as RichColor
from rich.style import Style
from rich.terminal_theme import TerminalTheme

# PuTTY 0.7x/0.8x default colours (Settings > Window > Colours), the terminal the workshops meet most.
PUTTY = TerminalTheme(
    (0, 0, 0),
    (187, 187, 187),
    [
        (0, 0, 0),
        (187, 0, 0),
        (0, 187, 0),
        (187, 187, 0),
        (0, 0, 187),
        (187, 0, 187),
        (0, 187, 187),
        (187, 187, 187),
    ],
    [
        (85, 85, 85),
        (255, 85, 85),
        (85, 255, 85),
        (255, 255, 85),
        (85, 85, 255),
        (255, 85, 255),
        (85, 255, 255),
        (255, 255, 255),
    ],
)

TERMINALS: dict[str, dict[str, str | None]] = {
    # name -> environment changes (None: unset), on top of tests/tui/conftest.py's full terminal
    "xterm-16": {"TERM": "xterm", "COLORTERM": None},
    "no-color": {"NO_COLOR": "1"},
    "ascii": {"LC_ALL": "C", "LANG": "C"},
}


def use_terminal(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    for key, value in TERMINALS[name].items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)


def shown_rgb(color: RichColor, app: Any) -> tuple[int, int, int]:
    """The RGB a person sees for ``color`` on PuTTY with the app's colour system."""
    system = app.console._color_system  # what Textual's driver writes with
    reduced = color.downgrade(system) if system is not None else color
    triplet = reduced.get_truecolor(PUTTY)
    return triplet.red, triplet.green, triplet.blue


def hue_name(rgb: tuple[int, int, int]) -> str:
    """``red``, ``yellow``, ``green``, ``cyan``, ``blue``, ``magenta``, or ``grey`` (no hue)."""
    h, lightness, s = colorsys.rgb_to_hls(*(c / 255 for c in rgb))
    if s < 0.25 or lightness < 0.1:
        return "grey"
    degrees = h * 360
    for limit, name in ((20, "red"), (70, "yellow"), (160, "green"), (200, "cyan"), (260, "blue")):
        if degrees < limit:
            return name
    return "magenta" if degrees < 330 else "red"


def screen_lines(app: Any) -> list[list[tuple[str, Style | None]]]:
    """The screen as rendered (after Textual's and the app's line filters): rows of segments."""
    strips = app.screen._compositor.render_strips()
    return [[(segment.text, segment.style) for segment in strip] for strip in strips]


def screen_text(app: Any) -> str:
    """Everything on the top screen as plain text (what a person would read)."""
    return "\n".join("".join(text for text, _ in row) for row in screen_lines(app))


def styles_of(app: Any, needle: str) -> list[Style]:
    """The styles of the cells that show ``needle`` (first match on each row that has it)."""
    found: list[Style] = []
    for row in screen_lines(app):
        line = "".join(text for text, _ in row)
        start = line.find(needle)
        if start < 0:
            continue
        x = 0
        for text, style in row:
            if x + len(text) > start and x < start + len(needle) and text.strip():
                found.append(style or Style())
            x += len(text)
    return found


def style_at(app: Any, x: int, y: int) -> Style:
    return app.screen._compositor.get_style_at(x, y)
