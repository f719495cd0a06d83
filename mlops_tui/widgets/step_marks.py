"""The one vocabulary of lab-step state marks: the guide's sidebar and answers, its conversation
bubbles, the Class screen's STEPS column and the attendee view all draw a state with these.

The guide and the Class screen once drew "not started" as ○ and · and "under way" as ◐ and ▶
(▶ is the guide's pointer at the current step): one person switching between the two read
different things into the same mark. Each mark is one cell wide. Without UTF-8 (``LANG=C``) the
app's line filter draws each as its designed stand-in (``terminal.ASCII_GLYPHS``), which stay
distinct: ``o . ~ + X - /`` (tests/tui/test_step_marks.py).
"""

from __future__ import annotations

from rich.text import Text

from mlops_tui.terminal import Tone, tone_style

NOT_STARTED, CHECKING, WORKING, DONE, FAILED, SKIPPED, OPTIONAL = (
    "not started",
    "checking",
    "working",
    "done",
    "failed",
    "skipped",
    "optional",
)

#: state -> (mark, tone, weight, words for a legend)
MARKS: dict[str, tuple[str, Tone, str, str]] = {
    NOT_STARTED: ("○", Tone.MUTED, "", "not started"),
    CHECKING: ("…", Tone.MUTED, "", "being checked"),
    WORKING: ("◐", Tone.BUSY, "bold", "under way"),
    DONE: ("✔", Tone.OK, "bold", "done"),
    FAILED: ("✖", Tone.FAIL, "bold", "failed"),
    SKIPPED: ("↷", Tone.WARN, "", "skipped"),
    OPTIONAL: ("⊘", Tone.MUTED, "", "optional here"),
}

#: The guide's own names of the same states (its step states predate this module).
ALIASES = {"pending": NOT_STARTED, "running": WORKING, "unavailable": OPTIONAL}


def canonical(state: str) -> str:
    """A state as this vocabulary names it (``pending`` → ``not started``); unknown → not started."""
    state = ALIASES.get(str(state), str(state))
    return state if state in MARKS else NOT_STARTED


def mark(state: str) -> str:
    """The one-cell mark of ``state`` (a guide state or ``services.classroom.StepState``)."""
    return MARKS[canonical(state)][0]


def mark_style(state: str) -> tuple[str, str]:
    """``(mark, Rich style)`` of ``state`` on this terminal."""
    glyph, tone, weight, _ = MARKS[canonical(state)]
    return glyph, f"{weight} {tone_style(tone)}".strip()


def styled(state: str) -> Text:
    """The mark of ``state`` as Rich text in its tone."""
    glyph, style = mark_style(state)
    return Text(glyph, style=style)


def legend(*states: str) -> str:
    """``✔ done, ◐ under way, ✖ failed`` for ``states`` (help texts)."""
    return ", ".join(f"{MARKS[s][0]} {MARKS[s][3]}" for s in map(canonical, states))
