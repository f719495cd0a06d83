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

import re
import shutil
import time
import uuid
from pathlib import Path

import pytest
from rich.color import ColorType
from rich.text import Text

from .screenshots import save_screenshot
from .test_tmux_labs import MAX_PRESSES, MAX_SECONDS, WIDTH, Terminal, _env, _mlops_tui, _stop_platform

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

TERMINALS = {  # what the app is told (tmux would say TERM=screen otherwise)
    "xterm-16": {"TERM": "xterm"},
    "no-color": {"TERM": "xterm-256color", "NO_COLOR": "1"},
    "ascii": {"TERM": "xterm-256color", "LC_ALL": "C", "LANG": "C"},
}
PROMPT = re.compile(
    r"(?:▶|>) Lab \d: .*|Running: .*|(?:✔|\+) All labs done.*|(?:✖|X) .* failed (?:—|-) enter tries again.*"
    r"|Checking every step.*|Connecting to the platform.*"
)


def _prompt(screen: str) -> str:
    for line in screen.splitlines():
        match = PROMPT.search(line)
        if match:
            return match.group(0).rstrip(" |▊▌│┃")
    return ""


def _wait(term: Terminal, ready, timeout: float, what: str) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = term.screen()
        if ready(screen):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen}")


def _ansi(term: Terminal) -> Text:
    captured = term.tmux("capture-pane", "-e", "-p", "-N", "-t", "labs")
    return Text.from_ansi(captured.rstrip("\n"))


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
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux)")
    exe = _mlops_tui()
    if exe is None:
        pytest.skip("the mlops-tui command is not installed")
    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)  # the terminal (tmux) itself speaks UTF-8 and 256 colours ...
    term = Terminal(env, f"mlops-term-{uuid.uuid4().hex[:8]}")
    setting = " ".join(_describe(name))  # ... the app is told what the terminals say
    try:
        term.start(f"env -u COLORTERM {setting} {exe}; echo mlops-tui exited $?; sleep 60")
        screen = _wait(term, lambda s: "enter runs it" in _prompt(s), 90, "the guide's first step")
        while "All labs done" not in _prompt(screen):
            assert term.presses < MAX_PRESSES, f"{term.presses} presses and not done:\n{screen}"
            before = _prompt(screen)
            term.press("Enter")

            def settled(s: str, before: str = before) -> bool:
                now = _prompt(s)
                return now != before and now != "" and not now.startswith(("Running:", "Checking"))

            screen = _wait(term, settled, MAX_SECONDS, "the step to finish")
            assert "failed" not in _prompt(screen), f"a step failed:\n{screen}"
        time.sleep(1.0)  # one more frame: the badge and sidebar settle
        shown = _ansi(term)
        _save(shown, name)
        plain = shown.plain
        assert "Traceback" not in plain
        assert "workshop ride" in _prompt(plain), plain
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
        _stop_platform(exe, env, home)
