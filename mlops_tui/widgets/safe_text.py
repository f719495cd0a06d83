"""Outside text as Rich text: the one sanitiser's output (:mod:`mlops_tui.services.terminal_text`)
turned into what widgets draw.

Widgets that show text from jobs, servers or files build it here, so no control sequence ever
reaches our terminal (where it would move the cursor, retitle the window or set the clipboard) and
no ``[`` in it is read as Rich markup. This module turns SGR spans into Rich styles; it strips
nothing on its own.
"""

from __future__ import annotations

from functools import lru_cache

from rich.ansi import AnsiDecoder
from rich.style import Style
from rich.text import Text
from textual.markup import escape

from mlops_tui.services.terminal_text import StyledLine, has_controls, plain, styled_line


@lru_cache(maxsize=256)
def sgr_style(sgr: str) -> Style:
    """The Rich style of SGR parameters as written (``"1;33"``: bold yellow), by Rich's own SGR
    decoder (colours, 256-colour and truecolour forms, attributes and their resets)."""
    decoded = AnsiDecoder().decode_line(f"\x1b[{sgr}m.")
    style = decoded.spans[0].style if decoded.spans else None
    return style if isinstance(style, Style) else Style.null()


def styled_text(line: StyledLine, **text_options: object) -> Text:
    """One sanitised line with its SGR spans as Rich styles."""
    text = Text(line.text, **text_options)  # type: ignore[arg-type]
    for start, end, sgr in line.spans:
        text.stylize(sgr_style(sgr), start, end)
    return text


def outside_styled(text: str) -> Text:
    """Text from outside over several lines (a plugin's messages) with its SGR colours kept as
    styles and every other control sequence removed, line by line as a terminal shows it."""
    return Text("\n").join(styled_text(styled_line(line)) for line in text.split("\n"))


def outside(value: object, style: str | Style = "") -> Text:
    """Text from outside as plain Rich text (never markup): ``str(value)`` through the sanitiser."""
    return Text(plain(str(value)), style=style)


def outside_markup(value: object) -> str:
    """Text from outside to put in a markup string: sanitised, its ``[`` escaped."""
    return escape(plain(str(value)))


def clean_text(text: Text) -> Text:
    """``text`` (ours, with fragments from outside) cleaned piece by piece, its styles kept; the same
    object when there is nothing to clean (the usual case: one search).

    A safety net for sinks (table cells, guide bubbles), not the way in: Rich's ``Text`` has
    already deleted ``\\r``, BS and BEL, so frames cannot collapse any more and an OSC ended by BEL
    runs to the end of its piece. Outside text goes through :func:`outside` before it joins a Text.
    """
    if not has_controls(text.plain):
        return text
    boundaries = sorted({offset for span in text.spans for offset in (span.start, span.end)})
    clean = Text(
        style=text.style,
        justify=text.justify,
        overflow=text.overflow,
        no_wrap=text.no_wrap,
        end=text.end,
        tab_size=text.tab_size,
    )
    for piece in text.divide(boundaries):
        start = len(clean)
        clean.append(plain(piece.plain))
        for span in piece.spans:
            clean.stylize(span.style, start, len(clean))
    return clean
