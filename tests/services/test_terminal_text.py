"""The one sanitiser of outside text: what a terminal would show, SGR as spans, the rest removed."""

from __future__ import annotations

import pytest

from mlops_tui.services import terminal_text
from mlops_tui.services.terminal_text import StyledLine, has_controls, plain, plain_line, styled_line

ESC = "\x1b"
TQDM_FRAMES = "".join(f"\r{pct:3d}%|{'#' * (pct // 10):<10}| {pct}/100" for pct in range(0, 101, 10))


# -- the case of issue 7, part 5 -----------------------------------------------------------------


def test_sgr_colours_become_spans() -> None:
    assert styled_line("\x1b[32mINFO\x1b[0m starting training") == StyledLine(
        "INFO starting training", ((0, 4, "32"),)
    )
    assert styled_line("\x1b[1;33mWARNING\x1b[0m learning rate is high") == StyledLine(
        "WARNING learning rate is high", ((0, 7, "1;33"),)
    )


def test_sgr_colours_are_dropped_in_plain_text() -> None:
    assert plain("\x1b[32mINFO\x1b[0m starting training") == "INFO starting training"
    assert plain("\x1b[1;33mWARNING\x1b[0m learning rate is high") == "WARNING learning rate is high"


def test_progress_bar_frames_collapse_to_the_last_one() -> None:
    assert TQDM_FRAMES.count("\r") == 11
    assert plain(TQDM_FRAMES + "\n") == "100%|##########| 100/100\n"
    assert styled_line(TQDM_FRAMES) == StyledLine("100%|##########| 100/100")


# -- carriage return, backspace, tab, erase in line ------------------------------------------------


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("abcdef\rXY", "XYcdef"),  # a shorter last frame leaves the tail of a longer one
        ("abc\r", "abc"),  # "\r\n" is a line end: nothing is erased
        ("\r\rabc", "abc"),
        ("50%\r\x1b[K100%", "100%"),  # the usual redraw: CR, erase to end of line
        ("abcdef\r\x1b[0KXY", "XY"),
        ("abcdef\x1b[3DXY", "abcdefXY"),  # cursor moves are removed, not interpreted
        ("abcdef\x1b[3D\x1b[1KXY", "      XY"),  # so EL 1 erases through column 6
        ("abcdef\r\x1b[2KXY", "XY"),
        ("abc\x1b[1Kd", "   d"),  # erase from the start through the cursor (which is past "c")
        ("ab\bX", "aX"),
        ("\b\bab", "ab"),  # backspace stops at column 0
        ("H\bH", "H"),  # overstrike (man pages)
        ("a\tb", "a       b"),
        ("abcdefgh\tb", "abcdefgh        b"),
        ("a\t", "a"),  # a tab only moves the cursor
        ("abcdefghij\rx\ty", "xbcdefghyj"),  # a tab moves over existing text without erasing it
    ],
)
def test_cursor_controls_within_a_line(line: str, shown: str) -> None:
    assert plain_line(line) == shown


def test_crlf_and_lf_are_line_ends() -> None:
    assert plain("one\r\ntwo\r\n") == "one\ntwo\n"
    assert plain("a\rb\nc") == "b\nc"


# -- a table of control sequences: each removed, the text around kept ------------------------------

SEQUENCES = {
    # CSI with parameters, private markers and intermediates (ECMA-48 §5.4)
    "CSI cursor position": f"{ESC}[12;40H",
    "CSI cursor up": f"{ESC}[3A",
    "CSI private mode (hide cursor)": f"{ESC}[?25l",
    "CSI erase display": f"{ESC}[2J",
    "CSI with intermediate (DECSCUSR)": f"{ESC}[2 q",
    "CSI with intermediate and params (DECSCA)": f'{ESC}[1"q',
    "CSI scroll region": f"{ESC}[1;24r",
    "CSI SGR with a private marker (not SGR)": f"{ESC}[>4;2m",
    "8-bit CSI (C1)": "\x9b2J",
    # OSC: titles, hyperlinks, clipboard; BEL or ST ends it (xterm)
    "OSC title ended by BEL": f"{ESC}]0;pwned title\x07",
    "OSC title ended by ST": f"{ESC}]2;pwned title{ESC}\\",
    "OSC 52 clipboard": f"{ESC}]52;c;ZWNobyBoaQ==\x07",
    "OSC ended by 8-bit ST": f"{ESC}]0;t\x9c",
    "8-bit OSC": "\x9d0;t\x07",
    # DCS, SOS, PM, APC strings: ST ends them, their payload is never text
    "DCS (DECRQSS)": f"{ESC}P$qm{ESC}\\",
    "DCS sixel with BEL inside": f"{ESC}Pq#0;2;0;0;0\x07~~{ESC}\\",
    "SOS": f"{ESC}Xhidden{ESC}\\",
    "PM": f"{ESC}^privacy message{ESC}\\",
    "APC": f"{ESC}_Gf=100;payload{ESC}\\",
    "8-bit DCS": "\x90payload\x9c",
    "8-bit APC": "\x9fpayload\x9c",
    # two- and three-character escape sequences
    "ESC 7 (save cursor)": f"{ESC}7",
    "ESC 8 (restore cursor)": f"{ESC}8",
    "ESC c (full reset)": f"{ESC}c",
    "ESC M (reverse index)": f"{ESC}M",
    "ESC = (keypad)": f"{ESC}=",
    "ESC ( B (charset, nF)": f"{ESC}(B",
    "ESC # 8 (DECALN, nF)": f"{ESC}#8",
    "ESC % G (UTF-8, nF)": f"{ESC}%G",
    "stray ST": f"{ESC}\\",
    # single controls
    "BEL": "\x07",
    "NUL": "\x00",
    "DEL": "\x7f",
    "VT": "\x0b",
    "FF": "\x0c",
    "SO/SI": "\x0e\x0f",
    "C1 NEL": "\x85",
    "C1 IND and HTS": "\x84\x88",
    "C1 ST alone": "\x9c",
    # invisible format characters: bidi controls (UAX #9) and zero-width characters
    "LRE U+202A": "\u202a",
    "RLE U+202B": "\u202b",
    "PDF U+202C": "\u202c",
    "LRO U+202D": "\u202d",
    "RLO U+202E (right-to-left override)": "\u202e",
    "LRI U+2066": "\u2066",
    "RLI U+2067": "\u2067",
    "FSI U+2068": "\u2068",
    "PDI U+2069": "\u2069",
    "LRM U+200E": "\u200e",
    "RLM U+200F": "\u200f",
    "ALM U+061C": "\u061c",
    "ZWSP U+200B": "\u200b",
    "ZWNJ U+200C": "\u200c",
    "ZWJ U+200D": "\u200d",
    "WORD JOINER U+2060": "\u2060",
    "INVISIBLE TIMES U+2062": "\u2062",
    "ZWNBSP/BOM U+FEFF": "\ufeff",
    "a run of them": "\u202e\u2066\u200b\ufeff\u2069\u202c",
}


@pytest.mark.parametrize("sequence", SEQUENCES.values(), ids=SEQUENCES.keys())
def test_control_sequence_is_removed(sequence: str) -> None:
    assert plain(f"before {sequence}after") == "before after"
    assert styled_line(f"before {sequence}after") == StyledLine("before after")


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        (f"text{ESC}", "text"),  # a lone ESC at the end
        (f"a{ESC}\x07b", "ab"),  # ESC followed by a control
        (f"a{ESC}éb", "aéb"),  # ESC followed by a non-ASCII character
        (f"a{ESC}[31", "a"),  # a CSI cut off by the end of the line
        (f"a{ESC}]0;title never ended", "a"),  # an OSC cut off by the end of the line
        (f"a{ESC}Pdcs never ended", "a"),
        ("naïve 東京 ✔", "naïve 東京 ✔"),  # printable Unicode is kept
    ],
)
def test_unfinished_and_odd_sequences(line: str, shown: str) -> None:
    assert plain_line(line) == shown


# -- SGR state ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("\x1b[1m\x1b[33mA\x1b[mB", StyledLine("AB", ((0, 1, "1;33"),))),  # SGR accumulates; bare m resets
        ("\x1b[31mA\x1b[0;32mB", StyledLine("AB", ((0, 1, "31"), (1, 2, "0;32")))),  # a leading reset
        ("\x1b[38;5;196mA\x1b[39mB", StyledLine("AB", ((0, 1, "38;5;196"), (1, 2, "38;5;196;39")))),
        ("\x1b[38:2::255:0:0mA", StyledLine("A", ((0, 1, "38:2::255:0:0"),))),
        ("\x1b[32mabc\rX", StyledLine("Xbc", ((0, 3, "32"),))),  # overwritten cells take the new style
        ("\x1b[32mabc\x1b[0m\rX", StyledLine("Xbc", ((1, 3, "32"),))),
        ("\x1b[31mred", StyledLine("red", ((0, 3, "31"),))),  # no reset at the end: still one line
    ],
)
def test_sgr_state(line: str, expected: StyledLine) -> None:
    assert styled_line(line) == expected


def test_a_right_to_left_override_cannot_make_a_log_line_lie() -> None:
    """A job prints ``RLO`` before text written backwards: a bidi terminal would show "loss 0.1 ok"
    in another order than written. Removed, the line reads as the job wrote it, and search and
    filter match what is shown."""
    line = "eval \u202e5.0 ssol\u202c done"
    assert plain(line) == "eval 5.0 ssol done"
    assert styled_line(f"\x1b[32m{line}\x1b[0m") == StyledLine("eval 5.0 ssol done", ((0, 18, "32"),))
    assert plain("pass\u200bword") == "password" and has_controls("pass\u200bword")
    assert plain("\ufeffpickup_datetime,dropoff") == "pickup_datetime,dropoff"  # a CSV's byte order mark


def test_visible_unicode_is_kept() -> None:
    # Arabic and Hebrew letters, a no-break space and an emoji are text, not controls.
    for text in ("مرحبا", "שלום", "a\u00a0b", "taxi 🚕", "naïve"):
        assert plain(text) == text and not has_controls(text)


def test_each_line_starts_unstyled() -> None:
    # The log view formats only the lines it draws, so a line cannot inherit the last one's colour.
    assert styled_line("\x1b[31mred").spans and styled_line("next") == StyledLine("next")


def test_plain_text_passes_unchanged_and_is_detected_cheaply() -> None:
    line = "2019-02-05 09:00:01 round 3 eval-rmse 212.4 [b]not markup[/b]"
    assert plain(line) is line and styled_line(line).text is line
    assert not has_controls(line) and not has_controls("two\nlines")
    assert has_controls("\x1b[0m") and has_controls("\r") and has_controls("\t") and has_controls("\x85")


def test_module_imports_neither_textual_nor_rich() -> None:
    source = terminal_text.__loader__.get_source(terminal_text.__name__)  # type: ignore[union-attr]
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert not [line for line in imports if "textual" in line or "rich" in line], imports
