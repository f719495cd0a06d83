"""One vocabulary of lab-step marks (mlops_tui.widgets.step_marks): the guide marked steps not
started with ○ while the Class screen used ·, and ▶ meant "under way" on one and "the current
step" on the other."""

from __future__ import annotations

from datetime import UTC, datetime

from mlops_tui.screens.attendee import steps_text
from mlops_tui.screens.classroom import ClassScreen, step_marks

from mlops_tui.services import classroom
from mlops_tui.services.types import ClassMember
from mlops_tui.terminal import to_ascii
from mlops_tui.widgets import step_marks as marks
from mlops_tui.widgets.lab_steps import LabSteps, StepRow


def test_a_step_not_started_has_one_mark_in_the_guide_and_on_the_class_screen() -> None:
    member = ClassMember("student07", last_login_at=datetime(2026, 1, 5, 9, tzinfo=UTC))
    states = [s.state for s in classroom.steps(member)]
    assert states[0] == classroom.StepState.DONE and classroom.StepState.NOT_STARTED in states
    cells = step_marks(member).plain
    assert cells[0] == "✔" and cells[states.index(classroom.StepState.NOT_STARTED)] == "○"
    assert "○" in steps_text(member).plain  # the attendee view: the same marks

    guide = LabSteps()
    guide._rows = [StepRow("login", 1, "Log in", "done"), StepRow("train", 3, "Train", "pending")]
    lines = guide.render_rows(width=30, height=30).plain.splitlines()
    assert " ✔ Log in" in lines and " ○ Train" in lines
    for guide_state, class_state in (
        ("pending", "not started"),
        ("running", "working"),
        ("unavailable", "optional"),
    ):
        assert marks.mark(guide_state) == marks.mark(class_state)


def test_the_class_help_names_the_marks_it_draws() -> None:
    assert "✔ done, ◐ under way, ✖ failed, ○ not started, ⊘ optional here" in ClassScreen.HELP


def test_every_mark_is_one_cell_and_stays_distinct_in_ascii() -> None:
    glyphs = [m[0] for m in marks.MARKS.values()]
    stand_ins = [to_ascii(g) for g in glyphs]
    assert all(len(g) == 1 for g in glyphs) and len(set(glyphs)) == len(glyphs)
    assert all(s.isascii() and len(s) == 1 for s in stand_ins)
    assert len(set(stand_ins)) == len(stand_ins), dict(zip(glyphs, stand_ins, strict=True))
