"""The guide to the first prediction in real tmux terminals as workshops meet them (issue 7 part 4):
PuTTY's ``TERM=xterm`` (16 colours), ``NO_COLOR=1``, and ``LC_ALL=C`` (no UTF-8).

Each run is the whole of ``test_tmux_labs``: a fresh HOME, the real ``mlops-tui`` starting its own
local platform, Labs 1-5 with ``enter`` alone. Then it reads what reached the terminal, escape codes
included (``tmux capture-pane -e``), and checks what the issue lists: the success line is green and
nothing on the finished guide is red (16 colours); not one colour code (NO_COLOR); not one
non-ASCII character (C locale). With ``MLOPS_TUI_SCREENSHOTS=DIR`` it also writes what it saw as
``DIR/guide-<terminal>.svg`` and ``.png`` (Rich renders the ANSI text with PuTTY's palette;
rsvg-convert makes the PNG); ``docs/screenshots/`` holds the ones in the docs.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from rich.color import ColorType
from rich.text import Text

from .screenshots import save_screenshot
from .test_tmux_labs import HEIGHT, MAX_PRESSES, MAX_SECONDS, WIDTH
from .tmux_support import (
    Terminal,
    enter_through_labs,
    guide_prompt,
    isolated_env,
    need_tmux_and_exe,
    stop_platform,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

TERMINALS = {  # what the app is told (tmux would say TERM=screen otherwise)
    "xterm-16": {"TERM": "xterm"},
    "no-color": {"TERM": "xterm-256color", "NO_COLOR": "1"},
    "ascii": {"TERM": "xterm-256color", "LC_ALL": "C", "LANG": "C"},
}


def _spans_colours(text: Text) -> list[tuple[str, object]]:
    """(covered text, colour) of every coloured span."""
    found = []
    for span in text.spans:
        style = span.style
        if isinstance(style, str) or style is None:
            continue
        for colour in (style.color, style.bgcolor):
            if colour is not None and not colour.is_default:
                found.append((text.plain[span.start : span.end], colour))
    return found


def _save(text: Text, name: str) -> None:
    title = f"mlops-tui in tmux: {name} ({' '.join(_describe(name))})"
    save_screenshot(text, f"guide-{name}", title, WIDTH)


def _describe(name: str) -> list[str]:
    return [f"{k}={v}" for k, v in TERMINALS[name].items()]


@pytest.mark.parametrize("name", list(TERMINALS))
def test_guide_to_first_prediction_on_terminal(name: str, tmp_path: Path) -> None:
    exe = need_tmux_and_exe()
    home = tmp_path / "home"
    home.mkdir()
    env = isolated_env(home)  # the terminal (tmux) itself speaks UTF-8 and 256 colours ...
    term = Terminal(env, f"mlops-term-{uuid.uuid4().hex[:8]}", WIDTH, HEIGHT)
    setting = " ".join(_describe(name))  # ... the app is told what the terminals say
    try:
        term.start(f"env -u COLORTERM {setting} {exe}; echo mlops-tui exited $?; sleep 60")
        term.wait(lambda s: "enter runs it" in guide_prompt(s), "the guide's first step", 90)
        enter_through_labs(
            term, lambda p: "All labs done" in p, max_presses=MAX_PRESSES, step_timeout=MAX_SECONDS
        )
        time.sleep(1.0)  # one more frame: the badge and sidebar settle
        shown = term.ansi()
        _save(shown, name)
        plain = shown.plain
        assert "Traceback" not in plain
        assert "workshop ride" in guide_prompt(plain), plain
        if name == "xterm-16":
            colours = _spans_colours(shown)
            assert colours and all(c.type in (ColorType.STANDARD,) for _, c in colours), (
                "only the terminal's 16 colours are used"
            )
            done = [c for covered, c in colours if "All labs done" in covered]
            assert done and all(c.number in (2, 10) for c in done), f"the success line is {done}"
            red = sorted(
                {covered.strip() for covered, c in colours if c.number in (1, 9) and covered.strip()}
            )
            assert not red, f"red on a guide where nothing failed: {red}"
        elif name == "no-color":
            assert not _spans_colours(shown), f"colours under NO_COLOR: {_spans_colours(shown)[:5]}"
        else:
            strange = sorted({c for c in plain if not c.isascii()})
            assert not strange, f"non-ASCII reached the terminal: {strange}"
            assert "+ All labs done" in plain
    finally:
        term.close()
        stop_platform(exe, env, home)
