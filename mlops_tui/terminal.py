"""What the terminal in front of the person can show: how many colours, and whether non-ASCII
glyphs arrive intact. One module decides; the app applies the answer (theme variant, CSS classes,
a line filter) and widgets ask it (``current()``, ``tone_style``).

Why the app decides instead of leaving it to Textual and Rich:

- **16 colours** (``TERM=xterm``, PuTTY's default, or ``TERM=vt100``): Rich maps every theme colour
  to the *nearest* of the 16 ANSI colours, which turns HPE orange (the accent: the guide's prompt,
  focused panels) into bright red and every green-cyan into cyan. The app instead switches to a
  designed variant of the theme made of ANSI colour names (``mlops_tui/themes.py``).
- **NO_COLOR** (https://no-color.org): Textual greys every colour out (its ``Monochrome`` filter),
  so red "failed" becomes dark grey on black. The app asks Textual for its ``NoColor`` filter
  (terminal default colours) and carries meaning with bold, reverse, underline and dim instead.
- **A non-UTF-8 locale** (``LANG=C``): box drawing and markers arrive as mojibake. The app draws
  ASCII borders and maps every other glyph to a designed one-cell ASCII stand-in.

No Textual import: this module is cheap on the start-up path and usable from scripts.
"""

from __future__ import annotations

import io
import os
import sys
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache


class ColorDepth(StrEnum):
    TRUECOLOR = "truecolor"
    EIGHT_BIT = "256"
    STANDARD = "16"  # the terminal's own 16 ANSI colours (TERM=xterm, vt100, linux, PuTTY)
    NONE = "none"  # NO_COLOR: attributes only (bold, reverse, underline, dim)


@dataclass(frozen=True)
class Capabilities:
    """``colors``: how many colours the app may use; ``unicode``: whether the terminal shows UTF-8."""

    colors: ColorDepth = ColorDepth.TRUECOLOR
    unicode: bool = True

    @property
    def no_color(self) -> bool:
        return self.colors is ColorDepth.NONE

    @property
    def ansi_palette(self) -> bool:
        """True when themes must be made of ANSI colour names (16 colours, or none at all)."""
        return self.colors in (ColorDepth.STANDARD, ColorDepth.NONE)


# -- colours ---------------------------------------------------------------------------------------


def no_color_requested(environ: Mapping[str, str]) -> bool:
    """``NO_COLOR`` present in the environment, whatever its value.

    The same test Textual 8.2.8 makes in ``App.__init__`` (``"NO_COLOR" in environ``), so the app's
    designed no-colour rendering and Textual's ``:nocolor`` pseudo-class always agree.
    """
    return "NO_COLOR" in environ


def rich_color_system(environ: Mapping[str, str]) -> str | None:
    """The colour system Rich detects for a terminal with this environment, built the way Textual
    8.2.8 builds its console (``TEXTUAL_COLOR_SYSTEM`` or auto, terminal forced, NO_COLOR removed):
    ``"truecolor"``, ``"256"``, ``"standard"``, ``"windows"`` or None (``TERM=dumb``)."""
    from rich.console import Console

    env = {k: v for k, v in environ.items() if k != "NO_COLOR"}
    system = env.get("TEXTUAL_COLOR_SYSTEM", "auto")
    console = Console(
        color_system=system,  # type: ignore[arg-type]
        file=io.StringIO(),
        force_terminal=True,
        legacy_windows=False,
        _environ=env,
    )
    return console.color_system


def color_depth(color_system: str | None, *, no_color: bool) -> ColorDepth:
    """Rich's colour system name (``Console.color_system``) and NO_COLOR -> the depth the app designs for."""
    if no_color:
        return ColorDepth.NONE
    if color_system == "truecolor":
        return ColorDepth.TRUECOLOR
    if color_system == "256":
        return ColorDepth.EIGHT_BIT
    return ColorDepth.STANDARD  # "standard", "windows" (legacy console: 16 colours) or unknown


# -- character set ---------------------------------------------------------------------------------

GLYPHS_OVERRIDE = "MLOPS_TUI_GLYPHS"  # "ascii" or "unicode": for a locale that says the wrong thing


def python_set_utf8_for_c_locale(
    flags: object = sys.flags,
    xoptions: Mapping[str, object] | None = None,
    environ: Mapping[str, str] = os.environ,
) -> bool:
    """True when Python itself switched to UTF-8 because the locale was C or POSIX.

    PEP 540 turns on UTF-8 mode in the C/POSIX locale and PEP 538 rewrites ``LC_CTYPE`` to
    ``C.UTF-8`` in ``os.environ``; after that ``locale.getpreferredencoding()`` and
    ``sys.stdout.encoding`` both say UTF-8 although the terminal was set up for ASCII. UTF-8 mode
    that nobody asked for (no ``PYTHONUTF8=1``, no ``-X utf8``) is the trace it leaves.
    """
    xoptions = sys._xoptions if xoptions is None else xoptions
    asked = environ.get("PYTHONUTF8") == "1" or "utf8" in xoptions
    return bool(getattr(flags, "utf8_mode", 0)) and not asked


def locale_is_utf8(environ: Mapping[str, str], *, python_coerced: bool = False) -> bool:
    """Whether the locale in ``environ`` says the terminal speaks UTF-8.

    POSIX order: the first non-empty of ``LC_ALL``, ``LC_CTYPE``, ``LANG`` names the character set
    (``en_US.UTF-8``, ``C.utf8``: yes; ``C``, ``POSIX``, unset, ``de_DE.ISO-8859-1``: no).
    ``python_coerced`` (see :func:`python_set_utf8_for_c_locale`) means a ``LC_CTYPE=C.UTF-8``
    was written by Python, not by the person, so it is skipped.
    """
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = environ.get(name, "")
        if not value:
            continue
        if name == "LC_CTYPE" and python_coerced and value in ("C.UTF-8", "C.utf8"):
            continue
        charset = value.partition(".")[2].partition("@")[0].lower().replace("-", "")
        return charset == "utf8"
    return False


def unicode_ok(environ: Mapping[str, str], *, python_coerced: bool | None = None) -> bool:
    """``MLOPS_TUI_GLYPHS=ascii|unicode`` if set, else what the locale says."""
    override = environ.get(GLYPHS_OVERRIDE, "").strip().lower()
    if override in ("ascii", "unicode"):
        return override == "unicode"
    coerced = python_set_utf8_for_c_locale(environ=environ) if python_coerced is None else python_coerced
    return locale_is_utf8(environ, python_coerced=coerced)


# -- the decision ----------------------------------------------------------------------------------


def detect(
    environ: Mapping[str, str] | None = None,
    *,
    color_system: str | bool | None = False,
    python_coerced: bool | None = None,
) -> Capabilities:
    """The capabilities of the terminal described by ``environ`` (default ``os.environ``).

    ``color_system`` is the app console's ``color_system`` when it is already known (the app
    passes Textual's own, so both agree); False asks Rich the same way Textual does.
    """
    env = os.environ if environ is None else environ
    system = rich_color_system(env) if color_system is False else color_system
    return Capabilities(
        colors=color_depth(system if isinstance(system, str) else None, no_color=no_color_requested(env)),
        unicode=unicode_ok(env, python_coerced=python_coerced),
    )


_current = Capabilities()


def current() -> Capabilities:
    """The capabilities the running app applied (full colour and UTF-8 before any app started)."""
    return _current


def use(capabilities: Capabilities) -> None:
    """Called once by the app when it starts: from then on widgets draw for these capabilities."""
    global _current
    _current = capabilities


# -- what widgets ask --------------------------------------------------------------------------------


class Tone(StrEnum):
    """What a state means, whatever the colours: ok (finished, connected), busy (running, queued),
    warn (stale, skipped), fail (failed, config error), muted (cancelled, archived)."""

    OK = "ok"
    BUSY = "busy"
    WARN = "warn"
    FAIL = "fail"
    MUTED = "muted"


# tone -> (style with colours, style without): without colour a failure is reversed so it still
# jumps out, a warning is underlined, work in progress italic, success bold, the unimportant dim.
_TONE_STYLES: dict[Tone, tuple[str, str]] = {
    Tone.OK: ("green", "bold"),
    Tone.BUSY: ("yellow", "italic"),
    Tone.WARN: ("yellow", "underline"),
    Tone.FAIL: ("bold red", "bold reverse"),
    Tone.MUTED: ("dim", "dim"),
}


def tone_style(tone: Tone, capabilities: Capabilities | None = None) -> str:
    """The Rich style string for ``tone`` on this terminal (ANSI colour names: they stay themselves
    at 16 colours and follow the theme's ANSI mapping in full colour)."""
    caps = capabilities or _current
    colored, plain = _TONE_STYLES[tone]
    return plain if caps.no_color else colored


# Designed one-cell ASCII stand-ins (a stand-in must keep the cell width: the layout is already done
# when the line filter applies them). Box drawing, blocks and anything else are derived below.
ASCII_GLYPHS: dict[str, str] = {
    "✔": "+", "✓": "+", "✖": "X", "✗": "X", "⚠": "!",
    "▶": ">", "▸": ">", "►": ">", "◀": "<", "◂": "<", "▼": "v", "▾": "v", "▲": "^", "▴": "^",
    "●": "*", "•": "*", "◉": "*", "○": "o", "◌": ".", "◐": "~", "◑": "~",
    "↻": "~", "⟳": "~", "↷": "-", "⊘": "/", "⟫": ">", "»": ">", "«": "<", "⏸": "=",
    "·": "-", "…": ".", "—": "-", "\u2013": "-", "\u2010": "-", "\u2212": "-",
    "“": '"', "”": '"', "„": '"', "\u2018": "'", "\u2019": "'", "\u201a": "'",
    "→": ">", "←": "<", "↑": "^", "↓": "v", "⏎": "<", "⌫": "<",
    "\u00d7": "x", "÷": "/", "±": "+", "°": "o", "²": "2", "³": "3", "µ": "u",
    "≈": "~", "≤": "<", "≥": ">", "≠": "#", "§": "S",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ",
}  # fmt: skip


def _box_stand_in(name: str) -> str:
    """Box drawing (U+2500-257F) by what the Unicode name says the piece does."""
    if "DIAGONAL" in name:
        return "\\" if "UPPER LEFT TO LOWER RIGHT" in name else "/"
    words = set(name.split())
    has_h = bool(words & {"HORIZONTAL", "LEFT", "RIGHT"})
    has_v = bool(words & {"VERTICAL", "UP", "DOWN"})
    if has_h and not has_v:
        return "-"
    if has_v and not has_h:
        return "|"
    return "+"  # corners, tees, crosses, arcs


def _block_stand_in(char: str, name: str) -> str:
    """Block elements and shades: solid ones read as ``#``, thin or partial ones as nothing."""
    if char == "█" or ("SHADE" in name and "DARK" in name):
        return "#"
    if "SHADE" in name:
        return ":" if "MEDIUM" in name else "."
    return " "


@lru_cache(maxsize=4096)
def ascii_char(char: str) -> str:
    """One character -> ASCII of the same cell width (1, or 2 for wide characters, 0 for combining)."""
    if char.isascii():
        return char
    if char in ASCII_GLYPHS:
        return ASCII_GLYPHS[char]
    from rich.cells import cell_len

    width = cell_len(char)
    if width == 0:
        return ""
    name = unicodedata.name(char, "")
    code = ord(char)
    if 0x2500 <= code <= 0x257F:
        return _box_stand_in(name)
    if 0x2580 <= code <= 0x259F:
        return _block_stand_in(char, name)
    if 0x2800 <= code <= 0x28FF:  # braille dots (plots)
        return "." if code > 0x2800 else " "
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    if len(plain) == width:  # é -> e, ﬁ ligature stays two letters only where it takes two cells
        return plain
    return "?" * width


# Textual's key symbols (textual.keys.KEY_DISPLAY_ALIASES) spelled out: the footer sizes itself on them.
_KEY_WORDS = {"↑": "up", "↓": "down", "←": "left", "→": "right", "⏎": "enter", "⌫": "backspace"}


def ascii_key_display(display: str) -> str:
    """A key as the footer shows it (``⏎``, ``^↑``) in ASCII (``enter``, ``^up``)."""
    for symbol, word in _KEY_WORDS.items():
        display = display.replace(symbol, word)
    return to_ascii(display)


class _AsciiTable(dict[int, str]):
    """``str.translate`` table that computes each character's stand-in once."""

    def __missing__(self, code: int) -> str:
        stand_in = ascii_char(chr(code))
        self[code] = stand_in
        return stand_in


_TABLE = _AsciiTable()


def to_ascii(text: str) -> str:
    """``text`` with every non-ASCII character replaced by its stand-in, cell width preserved."""
    return text if text.isascii() else text.translate(_TABLE)


def printable(text: str, environ: Mapping[str, str] | None = None) -> str:
    """``text`` as a plain (headless) line for this terminal: ASCII stand-ins without UTF-8."""
    return text if unicode_ok(os.environ if environ is None else environ) else to_ascii(text)
