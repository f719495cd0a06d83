"""The guide's sidebar: Labs 1-5 and each step's state, with the current step marked.

A plain ``Static`` that re-renders from a list of rows: the step list is short (about ten rows),
so rendering it whole is simpler and as fast as keeping a widget per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from mlops_tui.terminal import Tone, tone_style

LAB_TITLES = {
    1: "Log in",
    2: "Notebook",
    3: "Train",
    4: "Register & deploy",
    5: "Predict",
}

# state -> (icon, tone, weight); "done" only ever comes from a live verification. Without UTF-8
# the icons reach the screen as their ASCII stand-ins (terminal.ASCII_GLYPHS: o . ~ + X - /).
ICONS = {
    "pending": ("○", Tone.MUTED, ""),
    "checking": ("…", Tone.MUTED, ""),
    "running": ("◐", Tone.BUSY, "bold"),
    "done": ("✔", Tone.OK, "bold"),
    "failed": ("✖", Tone.FAIL, "bold"),
    "skipped": ("↷", Tone.WARN, ""),
    "unavailable": ("⊘", Tone.WARN, ""),  # an optional step this host cannot do
}


def step_icon(state: str) -> tuple[str, str]:
    """``(icon, Rich style)`` of a step state on this terminal."""
    icon, tone, weight = ICONS.get(state, ICONS["pending"])
    return icon, f"{weight} {tone_style(tone)}".strip()


@dataclass(frozen=True)
class StepRow:
    id: str
    lab: int
    title: str
    state: str = "pending"


class LabSteps(Static):
    """Renders the rows; the current step is highlighted and pointed at."""

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self._rows: list[StepRow] = []
        self._current: int | None = None
        self._titles = dict(LAB_TITLES)

    def show(
        self, rows: Sequence[StepRow], current: int | None, lab_titles: dict[int, str] | None = None
    ) -> None:
        self._rows = list(rows)
        self._current = current
        if lab_titles:
            self._titles.update(lab_titles)
        self.update(self.render_rows())

    def render_rows(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{self._count()}\n", "bold")
        lab = None
        for i, row in enumerate(self._rows):
            if row.lab != lab:
                lab = row.lab
                lab_done = all(r.state == "done" for r in self._rows if r.lab == lab)
                title_style = f"bold {tone_style(Tone.OK)}" if lab_done else "bold"
                text.append(f"\nLab {lab} {self._titles.get(lab, '')}", title_style)
                text.append("\n")
            icon, style = step_icon(row.state)
            here = i == self._current
            text.append("▶" if here else " ", "bold")
            text.append(f"{icon} ", style)
            text.append(row.title, "bold underline" if here else ("" if row.state != "pending" else "dim"))
            text.append("\n")
        return text

    def _count(self) -> str:
        done = sum(r.state == "done" for r in self._rows)
        na = sum(r.state == "unavailable" for r in self._rows)
        return f"{done}/{len(self._rows)} done" + (f" · {na} n/a" if na else "")

    def summary(self) -> str:
        """One line for narrow terminals where the sidebar is hidden."""
        if self._current is None or not self._rows:
            return f"Labs 1-5 · {self._count()}"
        row = self._rows[self._current]
        return f"Lab {row.lab} · step {self._current + 1}/{len(self._rows)} · {self._count()}"
