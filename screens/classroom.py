"""The facilitator's Class screen (``7`` / ``:class``): every attendee's progress through Labs 1-5.

One row per attendee, stuck ones first: the lab they reached, their seven steps as marks (each
judged from the platform's state by :mod:`mlops_tui.services.classroom`, as ``mlops-tui workshop
status`` judges them), their place in the training queue, the time since their last progress and
why they need help (a failed step, or no progress for ``idle_minutes``) or their last error.
``enter`` opens the attendee (:class:`AttendeeScreen`): their steps, job log, registry entries,
deployment and predictions. ``b`` sets the broadcast every attendee's guide shows, ``i`` the
minutes without progress that count as stuck, ``/`` filters.

The data is the live link's ``class`` topic (``Platform.class_view``, polled while this screen is
shown), so the same screen works on the local workshop platform and on Kubernetes.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from mlops_tui.services import classroom, errors
from mlops_tui.services.types import ClassMember, ClassView
from mlops_tui.services.units import counted
from mlops_tui.terminal import Tone, tone_style
from mlops_tui.widgets import step_marks as marks
from mlops_tui.widgets.panel import StalePanel
from mlops_tui.widgets.safe_text import outside
from mlops_tui.widgets.tables import LiveTable, Row

from .base import BaseScreen, guarded
from .dashboard import failure_label

IDLE_ENV = "MLOPS_TUI_IDLE_MINUTES"

# PROGRESS: the time since the last step forward, or the place in the training queue while waiting
# there (one column for both: at 80 columns every cell counts for the last one).
COLUMNS = ("USER", "LAB", "STEPS", "PROGRESS", "NEEDS HELP / LAST ERROR")
EXIT_CODE = re.compile(r"^exit code -?\d+: ")


# The idle minutes a person may set: what ``mlops-tui workshop status --idle-minutes`` takes
# (``cli.MAX_IDLE_MINUTES``, a day's class), the same here and for ``$MLOPS_TUI_IDLE_MINUTES``.
MIN_IDLE_MINUTES, MAX_IDLE_MINUTES = classroom.MIN_IDLE_MINUTES, classroom.MAX_IDLE_MINUTES


def read_idle_minutes(text: str) -> float:
    """``text`` as idle minutes within ``MIN_IDLE_MINUTES``..``MAX_IDLE_MINUTES``.

    Raises ValueError saying the range (``float`` alone took ``nan``, ``inf`` and ``1e300``)."""
    try:
        minutes = float(text)
    except ValueError:
        minutes = math.nan
    if not (math.isfinite(minutes) and MIN_IDLE_MINUTES <= minutes <= MAX_IDLE_MINUTES):
        raise ValueError(
            f"{text.strip()[:40]!r} is not a number of minutes from {MIN_IDLE_MINUTES:g} to "
            f"{MAX_IDLE_MINUTES:g} (a day's class)"
        )
    return minutes


def default_idle_minutes() -> float:
    """``$MLOPS_TUI_IDLE_MINUTES`` when it is within the range (:func:`read_idle_minutes`), else
    the workshop status default."""
    try:
        return read_idle_minutes(os.environ.get(IDLE_ENV, ""))
    except ValueError:
        return classroom.DEFAULT_IDLE_MINUTES


def step_marks(member: ClassMember) -> Text:
    """The member's seven steps (login, notebook, upload, train, register, deploy, predict)."""
    text = Text(no_wrap=True)
    for step in classroom.steps(member):
        text.append_text(marks.styled(step.state))
    return text


def failure(member: ClassMember) -> str:
    """A failed step in the fewest words, for the table: ``train failed: error: too few usable rides
    in empty.csv: 0 of 0 kept, …`` (the job's own last line, without its exit code); '' if none."""
    step = next((s for s in classroom.steps(member) if s.state == classroom.StepState.FAILED), None)
    if step is None:
        return ""
    detail = step.detail
    job = member.jobs[0] if member.jobs else None
    if step.id == "train" and job is not None and job.message:
        detail = EXIT_CODE.sub("", job.message, count=1) or job.message
    return f"{step.id} failed: {detail}"


def help_text(member: ClassMember, now: datetime, idle_minutes: float, *, short: bool = False) -> Text:
    """Why the member needs help (failure tone), else their last error, else what they are at.
    ``short``: a failed step as :func:`failure` says it (the table; the attendee screen has all)."""
    reason = classroom.stuck(member, now, idle_minutes)
    if reason:
        failed = failure(member)
        if failed and short:
            reason = failed
        return outside(reason, tone_style(Tone.FAIL if failed else Tone.WARN))
    if member.last_error is not None:
        return outside(f"{member.last_error.what}: {member.last_error.message}", tone_style(Tone.MUTED))
    step = classroom.current_step(member)
    if step is None:
        return outside("Labs 1-5 done", tone_style(Tone.OK))
    return outside(f"{step.id}: {step.detail or step.state}")


def class_rows(view: ClassView, now: datetime, idle_minutes: float) -> list[Row]:
    """One row per attendee, stuck ones first (``classroom.ordered``); the table cuts the last
    column to the room it has (the drill-down has it whole)."""
    rows: list[Row] = []
    for member in classroom.ordered(view, now, idle_minutes):
        lab = classroom.lab_reached(member)
        stuck = bool(classroom.stuck(member, now, idle_minutes))
        queued = next((j for j in member.jobs if classroom.queue_place(j, now)), None)
        reason = help_text(member, now, idle_minutes, short=True)
        rows.append(
            (
                member.user,
                (
                    Text(member.user, style=f"bold {tone_style(Tone.FAIL)}" if stuck else "bold"),
                    "done" if lab > 5 else f"Lab {lab}",
                    step_marks(member),
                    f"queue {classroom.queue_place(queued, now, short=True)}"
                    if queued
                    else classroom.since(member.last_progress_at, now),
                    reason,
                ),
            )
        )
    return rows


def summary(
    view: ClassView, now: datetime, idle_minutes: float, *, filtered: tuple[str, int] | None = None
) -> Text:
    """``20 attendees · 2 stuck · 5 done · training: 1 running, 2 queued on 2 workers (~4 s a job)``;
    ``filtered`` (the filter and the rows it shows) comes first, in the warning style: "9
    attendees" above 7 rows did not say that rows were hidden, nor how to see them again."""
    people = [m for m in view.members if m.role != "facilitator"]
    stuck = sum(1 for m in people if classroom.stuck(m, now, idle_minutes))
    done = sum(1 for m in people if classroom.lab_reached(m) > 5)
    text = Text(no_wrap=True, overflow="ellipsis")
    if filtered is not None:
        needle, shown = filtered
        text.append(f"filter “{needle}”: {shown} shown (esc clears)", style=f"bold {tone_style(Tone.WARN)}")
        text.append(" · ")
    text.append(counted(len(people), "attendee"), style="bold")
    text.append(" · ")
    text.append(f"{stuck} stuck", style=tone_style(Tone.FAIL) if stuck else "")
    text.append(f" · {done} done · ")
    training = f"training: {view.running_jobs} running"
    if view.queued_jobs:
        training += f", {view.queued_jobs} queued"
    if view.workers:
        training += f" on {view.workers} workers"
    if view.typical_job_seconds:
        training += f" (~{view.typical_job_seconds:.0f} s a job)"
    text.append(training)
    text.append(f" · stuck after {idle_minutes:g} min idle", style="dim")
    return text


class ClassScreen(BaseScreen):
    MODE = "class"
    TITLE_TEXT = "Class"
    CSS_PATH = "classroom.tcss"
    HELP = (
        "[b]The class[/b], live: one row per attendee, the ones who need you first. STEPS shows "
        "login, notebook, code upload, training, registration, deployment and prediction, each "
        f"checked on the platform ({marks.legend(*classroom.StepState)}). "
        "PROGRESS is the time since their last step forward, or their place in the training queue "
        "and when their job should start. An attendee is stuck after a failed "
        "step, or after [b]i[/b] minutes without progress (not while waiting in the training "
        "queue).\n[b]enter[/b] opens the attendee: their steps, job log, models, deployment and "
        "predictions. [b]b[/b] sends a message to every attendee's guide (empty clears it)."
    )
    BINDINGS = [
        Binding("enter", "open_attendee", "Open", show=False),
        Binding("b", "broadcast", "Broadcast"),
        Binding("i", "idle_minutes", "Idle min"),
        Binding("slash", "filter", "Filter", key_display="/"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.idle_minutes = default_idle_minutes()

    def compose_body(self) -> Iterable[Widget]:
        yield Static("waiting for the class…", id="class-summary")
        yield Static("", id="class-broadcast")
        with StalePanel("Class", id="panel-class"):
            # why someone needs help is what the screen is for: never the column that gives way
            # (it takes the room the shown columns leave; STEPS and PROGRESS go first when narrow)
            yield LiveTable(
                *COLUMNS, id="tbl-class", empty="no attendees yet", whole=("LAB",), fill=COLUMNS[-1]
            )

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#tbl-class").focus()
        self.on_data("class")

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.on_data("class")

    def on_resize(self) -> None:
        self.on_data("class")

    # -- data -----------------------------------------------------------------------------------

    @property
    def view(self) -> ClassView | None:
        return self.mlops.data.get("class")

    def on_data(self, topic: str) -> None:
        if topic not in ("class", "error:class", "broadcast"):
            return
        app = self.mlops
        panel = self.query_one("#panel-class", StalePanel)
        error = app.data_errors.get("class")
        if error is not None:
            panel.mark_failed(failure_label(error))
            if isinstance(error, errors.Forbidden | errors.NotSupported) and self.view is None:
                self.query_one("#class-summary", Static).update(outside(str(error), tone_style(Tone.FAIL)))
        view = self.view
        if view is None:
            return
        if error is None and app.updated.get("class"):
            panel.mark_updated(app.updated["class"])
        now = app.clock()
        self._show_broadcast(view)
        table = self.query_one("#tbl-class", LiveTable)
        table.show(class_rows(view, now, self.idle_minutes))
        self._show_summary()

    def _show_summary(self) -> None:
        view = self.view
        if view is None:
            return
        table = self.query_one("#tbl-class", LiveTable)
        filtered = (table.filter_text, table.shown_count) if table.filter_text else None
        text = summary(view, self.mlops.clock(), self.idle_minutes, filtered=filtered)
        self.query_one("#class-summary", Static).update(text)

    def action_escape(self) -> None:
        """Esc clears an active filter first (it used to leave the screen, and a stray enter then
        ran a lab step on the guide as the facilitator); then it goes back as everywhere."""
        table = self.query_one("#tbl-class", LiveTable)
        if table.filter_text and not isinstance(self.focused, Input):
            self.clear_filter()
            return
        super().action_escape()

    def clear_filter(self) -> None:
        """Show every row again (also called when the person leaves the Class screen: a filter is
        for the moment, and an invisible one hid attendees on the next visit)."""
        table = self.query_one("#tbl-class", LiveTable)
        if table.filter_text:
            table.set_filter("")
            self._show_summary()

    def _show_broadcast(self, view: ClassView) -> None:
        line = self.query_one("#class-broadcast", Static)
        if view.broadcast is not None:
            text = Text("broadcast: ", style="bold", no_wrap=True, overflow="ellipsis")
            text.append_text(outside(view.broadcast.message))
            line.update(text)
        else:
            line.update(Text("no broadcast · b sends a message to every attendee's guide", style="dim"))

    # -- actions --------------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#tbl-class")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key and key != "__empty__":
            self.open_attendee(key)

    def action_open_attendee(self) -> None:
        key = self.query_one("#tbl-class", LiveTable).selected_key
        if key:
            self.open_attendee(key)

    def open_attendee(self, user: str) -> None:
        from .attendee import AttendeeScreen

        self.app.push_screen(AttendeeScreen(user, self.idle_minutes))

    def action_filter(self) -> None:
        from .filter_prompt import FilterPrompt

        table = self.query_one("#tbl-class", LiveTable)

        def apply(text: str | None) -> None:
            if text is not None:
                table.set_filter(text.strip())
                self._show_summary()

        self.app.push_screen(FilterPrompt(table.filter_text), apply)

    def action_idle_minutes(self) -> None:
        from .text_prompt import TextPrompt

        def apply(text: str | None) -> None:
            if text is None:
                return
            try:
                minutes = read_idle_minutes(text)
            except ValueError as exc:
                self.notify(str(exc), severity="warning", markup=False)
                return
            self.idle_minutes = minutes
            self.on_data("class")
            self.notify(f"No progress for {minutes:g} min now counts as stuck.", timeout=3)

        self.app.push_screen(
            TextPrompt(
                f"{self.idle_minutes:g}", "minutes without progress before an attendee counts as stuck"
            ),
            apply,
        )

    def action_broadcast(self) -> None:
        if not self.mlops.require_writable("Sending a broadcast"):
            return
        from .text_prompt import TextPrompt

        current = self.view.broadcast.message if self.view and self.view.broadcast else ""

        def send(text: str | None) -> None:
            if text is not None:
                self._send_broadcast(text)

        self.app.push_screen(
            TextPrompt(current, "message to every attendee's guide (enter sends, empty clears)", limit=500),
            send,
        )

    @work(group="broadcast", exclusive=True)
    @guarded("Broadcast")
    async def _send_broadcast(self, message: str) -> None:
        platform = self.mlops.require_platform()
        sent = await self.call(
            "set the broadcast",
            "set_broadcast",
            lambda: platform.set_broadcast(message),
            message=message,
        )
        self.notify(
            "Sent to every attendee's guide." if sent is not None else "Broadcast cleared.", timeout=3
        )
        self.mlops.refresh_data("class")
        self.mlops.refresh_data("broadcast")
