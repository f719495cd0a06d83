"""How mlops_tui.terminal reads a terminal from its environment, and its ASCII stand-ins.

The rendered results of these decisions are tested in test_terminals.py.
"""

from __future__ import annotations

import pytest

from mlops_tui import terminal
from mlops_tui.terminal import Capabilities, ColorDepth

TRUE, EIGHT, SIXTEEN, NONE = ColorDepth.TRUECOLOR, ColorDepth.EIGHT_BIT, ColorDepth.STANDARD, ColorDepth.NONE


def env(term: str, **more: str) -> dict[str, str]:
    return {"TERM": term, **more}


@pytest.mark.parametrize(
    ("environ", "coerced", "colors", "unicode"),
    [
        (env("xterm", LANG="en_US.UTF-8"), False, SIXTEEN, True),  # PuTTY's default
        (env("vt100", LANG="en_US.UTF-8"), False, SIXTEEN, True),
        (env("xterm-256color", LANG="C.UTF-8"), False, EIGHT, True),
        (env("xterm", COLORTERM="truecolor", LANG="C.UTF-8"), False, TRUE, True),
        (env("xterm-256color", NO_COLOR="1", LANG="C.UTF-8"), False, NONE, True),
        (env("xterm-256color", NO_COLOR="", LANG="C.UTF-8"), False, NONE, True),  # Textual's rule
        (env("xterm-256color", LANG="C"), False, EIGHT, False),
        (env("xterm-256color", LC_ALL="C", LANG="C.UTF-8"), False, EIGHT, False),
        (env("xterm-256color"), False, EIGHT, False),  # no locale at all: POSIX
        (env("xterm-256color", LANG="de_DE.ISO-8859-1"), False, EIGHT, False),
        # Python rewrote LC_CTYPE=C.UTF-8 itself (PEP 538) because LANG was C: still ASCII ...
        (env("xterm-256color", LANG="C", LC_CTYPE="C.UTF-8"), True, EIGHT, False),
        # ... but a person's own LC_CTYPE=C.UTF-8 is believed
        (env("xterm-256color", LANG="C", LC_CTYPE="C.UTF-8"), False, EIGHT, True),
        (env("xterm-256color", LANG="C", MLOPS_TUI_GLYPHS="unicode"), True, EIGHT, True),
        (env("xterm-256color", LANG="C.UTF-8", MLOPS_TUI_GLYPHS="ascii"), False, EIGHT, False),
    ],
)
def test_capabilities_follow_the_environment(
    environ: dict[str, str], coerced: bool, colors: ColorDepth, unicode: bool
) -> None:
    assert terminal.detect(environ, python_coerced=coerced) == Capabilities(colors, unicode)


def test_python_utf8_mode_nobody_asked_for_means_c_locale() -> None:
    class Flags:
        utf8_mode = 1

    assert terminal.python_set_utf8_for_c_locale(Flags(), {}, {})
    assert not terminal.python_set_utf8_for_c_locale(Flags(), {}, {"PYTHONUTF8": "1"})
    assert not terminal.python_set_utf8_for_c_locale(Flags(), {"utf8": True}, {})


def test_ascii_stand_ins_keep_every_cell() -> None:
    from rich.cells import cell_len

    text = "╭─ Jobs ─╮│▶○ Log in…│✔ done · ✖ failed ⟫ round 3 — é 🔎 中 ⣿▁▂▇█"
    ascii_text = terminal.to_ascii(text)
    assert ascii_text.isascii()
    assert cell_len(ascii_text) == cell_len(text)
    assert ascii_text.startswith("+- Jobs -+|>o Log in.|+ done - X failed > round 3 - e")


def test_printable_follows_the_locale() -> None:
    line = "mlops-tui: the local platform is not running — start it"
    assert (
        terminal.printable(line, {"LC_ALL": "C"}) == "mlops-tui: the local platform is not running - start it"
    )
    assert terminal.printable(line, {"LANG": "en_US.UTF-8"}) == line


def test_no_glyph_of_the_app_becomes_a_question_mark() -> None:
    """Predict's distance note read "? estimated from the zones (x 1.3)" under LANG=C: ≈ had no
    stand-in. Every non-ASCII character in the app's own source (messages, notes, the doctor's
    "§4") has one that is not "?"."""
    from pathlib import Path

    root = Path(terminal.__file__).resolve().parents[1]
    sources = [p for folder in ("mlops_tui", "screens", "lab_scripts") for p in (root / folder).rglob("*.py")]
    sources.remove(Path(terminal.__file__).resolve())  # the table itself: its examples of what has none
    assert len(sources) > 50
    unmapped = {
        char: path.relative_to(root).as_posix()
        for path in sources
        for char in path.read_text(encoding="utf-8")
        if not char.isascii() and "?" in terminal.ascii_char(char)
    }
    assert not unmapped, unmapped
    assert terminal.to_ascii("≈ estimated") == "~ estimated"
