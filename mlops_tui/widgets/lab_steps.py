"""The guide's sidebar: Labs 1-5 and each step's state, with the current step marked.

A plain ``Static`` that re-renders from a list of rows: the step list is short (about ten rows),
so rendering it whole is simpler and as fast as keeping a widget per step. Titles are never cut:
one that is wider than the column wraps under itself, and when the wrapped list is taller than
the column the blank lines between labs go first (80x24 has room for exactly the list).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from mlops_tui.terminal import Tone, tone_style
from mlops_tui.widgets.step_marks import mark_style

LAB_TITLES = {
    1: "Log in",
    2: "Notebook",
    3: "Train",
    4: "Register & deploy",
    5: "Predict",
}

FINISHED = ("done", "unavailable")


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

    def on_resize(self) -> None:
        if self._rows:
            self.update(self.render_rows())

    def render_rows(self, width: int | None = None, height: int | None = None) -> Text:
        """The list for a column ``width`` cells wide and ``height`` high (default: this widget's)."""
        width = width or self.content_size.width or 25
        height = height or self.content_size.height or 100
        lines = self._lines(width, spaced=True)
        if len(lines) > height:
            lines = self._lines(width, spaced=False)
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, line in enumerate(lines):
            text.append_text(line)
            if i < len(lines) - 1:
                text.append("\n")
        return text

    def _lines(self, width: int, *, spaced: bool) -> list[Text]:
        lines = [Text(self._count(), "bold")]
        lab = None
        for i, row in enumerate(self._rows):
            if row.lab != lab:
                lab = row.lab
                lab_done = all(r.state in FINISHED for r in self._rows if r.lab == lab)
                title_style = f"bold {tone_style(Tone.OK)}" if lab_done else "bold"
                if spaced:
                    lines.append(Text(""))
                lines.append(Text(f"Lab {lab} {self._titles.get(lab, '')}", title_style))
            icon, style = mark_style(row.state)
            here = i == self._current
            title_style = "bold underline" if here else ("" if row.state != "pending" else "dim")
            parts = textwrap.wrap(row.title, max(8, width - 3)) or [""]
            first = Text()
            first.append("▶" if here else " ", "bold")
            first.append(f"{icon} ", style)
            first.append(parts[0], title_style)
            lines.append(first)
            lines.extend(Text.assemble("   ", (part, title_style)) for part in parts[1:])
        return lines

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
