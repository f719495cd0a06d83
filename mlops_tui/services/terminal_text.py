"""Text from outside (job output, server messages, file contents) made safe to show: the one sanitiser.

Whatever a training job prints, a server answers or a file holds may contain terminal control
sequences. Written to our own terminal they would move its cursor, retitle it, ring it or set the
clipboard; shown as text they read ``[32mINFO[0m``. Every place that shows such text passes it
through here, and nothing else strips escape codes on its own (design §10).

What a line becomes is what a terminal would show for it, within that line:

- SGR (``CSI … m``, colours and bold) becomes a style: :func:`styled_line` returns the text and the
  spans of the SGR parameters in effect (the log view turns them into Rich styles);
  :func:`plain_line` and :func:`plain` drop them.
- ``\\r`` returns to column 0 and what follows overwrites from there, so progress-bar frames collapse
  to the last one; a shorter last frame leaves the tail of a longer one, as on a terminal. ``\\r\\n``
  is a line end. ``BS`` moves one column left; ``TAB`` moves to the next multiple of 8; ``CSI K``
  (erase in line) erases, as progress bars redraw with ``\\r CSI K``.
- Every other control sequence is removed: CSI (cursor moves, modes), OSC (titles, hyperlinks,
  clipboard) ended by BEL or ST, DCS/SOS/PM/APC strings ended by ST, ``ESC`` sequences, C1 controls
  (U+0080-U+009F), a lone ``ESC``, BEL and the other C0 controls.
- Invisible format characters are removed too (:data:`INVISIBLE`): the bidirectional controls
  (Unicode UAX #9: embeddings and overrides U+202A-U+202E, isolates U+2066-U+2069, the marks
  U+200E, U+200F and U+061C) and the zero-width characters (U+200B-U+200D, U+2060-U+2064, the
  deprecated U+206A-U+206F and U+FEFF). A right-to-left override would make a log line read in
  another order than the job wrote it, and a zero-width space makes two equal-looking words
  differ for search; removed, a line reads in the order it was written and matches what it shows
  (``docs/terminal-text.md`` says why removal rather than a visible mark).

Columns are counted in code points, not terminal cells (a wide CJK character counts as one): the
only difference shows when a frame with wide characters is partly overwritten. SGR state does not
carry from one line to the next (each line starts unstyled), so a line can be formatted alone,
which the log view needs to format only the lines it draws.

The tokenizer is ours, not pyte's or Rich's: Rich's ``AnsiDecoder`` keeps BEL, C1 controls, DCS
strings and OSC strings ended by BEL, and keeps only the text after the last ``\\r``; pyte (a VT
emulator) draws the payload of DCS/APC/PM/SOS strings and the C1 controls as text. See
``docs/terminal-text.md``. No Rich and no Textual here: ``services`` stays usable from scripts and
the headless commands, and the widget owns the mapping to Rich styles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TAB_WIDTH = 8

INVISIBLE = (
    "\u061c"  # ARABIC LETTER MARK
    "\u200b-\u200f"  # ZERO WIDTH SPACE, NON-JOINER, JOINER; LEFT-TO-RIGHT and RIGHT-TO-LEFT MARK
    "\u202a-\u202e"  # LRE, RLE, PDF, LRO, RLO: bidi embeddings and overrides
    "\u2060-\u2064"  # WORD JOINER and the invisible operators
    "\u2066-\u2069"  # LRI, RLI, FSI, PDI: bidi isolates
    "\u206a-\u206f"  # deprecated format characters (symmetric swapping, shaping)
    "\ufeff"  # ZERO WIDTH NO-BREAK SPACE (a byte order mark)
)
"""Regex class ranges of the invisible format characters that are removed (see the module)."""

# Anything that needs more than copying: C0 controls but LF, DEL, C1 controls, invisible characters.
_SPECIAL = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{INVISIBLE}]")

# ECMA-48 (5th edition, 1991) §5.3-5.6. Order matters: CSI and the control strings before the
# two-character escape sequences, those before a lone control character.
_TOKEN = re.compile(
    r"""
    (?P<csi>(?:\x1b\[|\x9b)(?P<params>[0-?]*)(?P<inter>[ -/]*)(?P<final>[@-~])?)
    | (?:\x1b\]|\x9d)[^\x07\x9c]*?(?:\x07|\x1b\\|\x9c|\Z)          # OSC … BEL or ST
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]).*?(?:\x1b\\|\x9c|\Z)        # DCS, SOS, PM, APC … ST
    | \x1b[ -/]*[0-~]?                                              # nF/Fp/Fe/Fs escapes, lone ESC
    | (?P<ctl>[\x00-\x1f\x7f-\x9f])                                 # one control character
    """
    + f"| [{INVISIBLE}]+  # invisible format characters\n",
    re.VERBOSE | re.DOTALL,
)
_SGR_PARAMS = re.compile(r"[0-9;:]*\Z")
_RESET = re.compile(r"[0;]*\Z")


@dataclass(frozen=True, slots=True)
class StyledLine:
    """One line as a terminal shows it.

    ``spans`` are ``(start, end, sgr)`` with code-point offsets into ``text`` and ``sgr`` the SGR
    parameters in effect over that range, as written (``"1;33"``: bold, then yellow), in order and
    without overlaps; unstyled ranges have no span.
    """

    text: str
    spans: tuple[tuple[int, int, str], ...] = ()


def has_controls(text: str) -> bool:
    """Whether ``text`` holds anything :func:`plain` would change (a cheap test: one regex search)."""
    return _SPECIAL.search(text) is not None


def plain(text: str) -> str:
    """``text`` as a terminal shows it, without styles: each ``\\n``-separated line goes through
    :func:`plain_line` and the line ends stay."""
    if _SPECIAL.search(text) is None:
        return text
    return "\n".join(plain_line(line) for line in text.split("\n"))


def plain_line(line: str) -> str:
    """One line (no ``\\n``) as a terminal shows it, without styles."""
    if _SPECIAL.search(line) is None:
        return line
    return _Line(line).text()


def styled_line(line: str) -> StyledLine:
    """One line (no ``\\n``) as a terminal shows it, with its SGR styles as spans."""
    if _SPECIAL.search(line) is None:
        return StyledLine(line)
    model = _Line(line)
    return StyledLine(model.text(), model.spans())


class _Line:
    """A one-row terminal: cells of (character, SGR state) and a cursor."""

    __slots__ = ("cells", "cursor", "sgr", "styles")

    def __init__(self, line: str) -> None:
        self.cells: list[str] = []
        self.styles: list[str] = []
        self.cursor = 0
        self.sgr = ""
        position = 0
        for match in _TOKEN.finditer(line):
            start = match.start()
            if start > position:
                self._draw(line[position:start])
            position = match.end()
            if match.group("csi") is not None:
                self._csi(match.group("params"), match.group("inter"), match.group("final"))
            elif (ctl := match.group("ctl")) is not None:
                self._control(ctl)
        if position < len(line):
            self._draw(line[position:])

    def _draw(self, chunk: str) -> None:
        cursor, cells = self.cursor, self.cells
        if cursor > len(cells):  # after a TAB past the end: the skipped cells are blank
            gap = cursor - len(cells)
            cells.extend(" " * gap)
            self.styles.extend([""] * gap)
        end = cursor + len(chunk)
        cells[cursor:end] = chunk
        self.styles[cursor:end] = [self.sgr] * len(chunk)
        self.cursor = end

    def _control(self, char: str) -> None:
        if char == "\r":
            self.cursor = 0
        elif char == "\b":
            self.cursor = max(0, self.cursor - 1)
        elif char == "\t":
            self.cursor = (self.cursor // TAB_WIDTH + 1) * TAB_WIDTH
        # every other C0/C1 control (BEL, NUL, DEL, VT, FF, SO/SI, NEL, …) shows nothing

    def _csi(self, params: str, intermediates: str, final: str | None) -> None:
        if intermediates or final is None:
            return  # with intermediates it is none of ours; without a final byte it never ended
        if final == "m" and _SGR_PARAMS.match(params):
            if _RESET.match(params):
                self.sgr = ""
            elif params.startswith(("0;", ";")):
                self.sgr = params  # a leading reset forgets what came before
            else:
                self.sgr = f"{self.sgr};{params}" if self.sgr else params
        elif final == "K" and params in ("", "0", "1", "2"):
            self._erase(params)
        # any other CSI (cursor moves, modes, queries) is removed

    def _erase(self, mode: str) -> None:
        """EL: 0 erases from the cursor to the end, 1 from the start through the cursor, 2 all."""
        cursor = self.cursor
        if mode in ("", "0"):
            del self.cells[cursor:], self.styles[cursor:]
            return
        upto = len(self.cells) if mode == "2" else min(cursor + 1, len(self.cells))
        self.cells[:upto] = " " * upto
        self.styles[:upto] = [""] * upto
        if mode == "2":
            del self.cells[cursor:], self.styles[cursor:]

    def text(self) -> str:
        return "".join(self.cells)

    def spans(self) -> tuple[tuple[int, int, str], ...]:
        spans: list[tuple[int, int, str]] = []
        start, current = 0, ""
        for index, sgr in enumerate(self.styles):
            if sgr != current:
                if current:
                    spans.append((start, index, current))
                start, current = index, sgr
        if current:
            spans.append((start, len(self.styles), current))
        return tuple(spans)
