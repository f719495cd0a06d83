"""One attendee, opened from the Class screen: their steps, job log, models, deployment, predictions.

Everything but the log comes from the class view the live link keeps polling while the Class screen
is the current mode (this screen sits on top of it); the log of the selected job is followed live
(``Platform.follow_log``), the failed one first when a failed training step is what holds them back.
The platform keeps no prediction values (only how many a deployment answered and when that count
last moved), so "last prediction" is that count and time; this screen never asks the attendee's
deployment itself, which would count as their progress.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import DataTable, Static

from mlops_tui.services import classroom
from mlops_tui.services.types import ClassMember, ClassView, Job
from mlops_tui.terminal import Tone, tone_style
from mlops_tui.widgets import step_marks as marks
from mlops_tui.widgets.logview import LiveLog
from mlops_tui.widgets.panel import StalePanel
from mlops_tui.widgets.safe_text import outside
from mlops_tui.widgets.tables import LiveTable

from .base import BaseScreen
from .classroom import help_text
from .dashboard import job_rows, state_text
from .log_follow import LogFeed

STEP_NAMES = {
    "login": "log in",
    "notebook": "notebook",
    "upload-code": "upload code",
    "train": "train",
    "register": "register",
    "deploy": "deploy",
    "predict": "predict",
}


def steps_text(member: ClassMember) -> Text:
    """Each step on a line: its mark, lab, name and what the platform says about it."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for i, step in enumerate(classroom.steps(member)):
        if i:
            text.append("\n")
        text.append_text(marks.styled(step.state))
        text.append(f" {step.lab} {STEP_NAMES.get(step.id, step.id):<12}")
        text.append_text(outside(step.detail or str(step.state), "dim"))
    return text


def work_text(member: ClassMember, now: datetime) -> Text:
    """Their registry entries, deployments and predictions (counts and when they last moved)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("models  ", style="bold")
    if not member.versions:
        text.append("none registered", style="dim")
    for i, v in enumerate(member.versions[:3]):
        mae = v.metrics.get("mae")
        text.append("\n        " if i else "")
        text.append_text(outside(f"{v.model} v{v.version}"))
        text.append(f"  {v.stage}" + (f"  MAE {mae:.0f} s" if mae is not None else ""), style="dim")
        if v.lineage.job_id:
            text.append(f"  job {v.lineage.job_id}", style="dim")
    text.append("\nserving ", style="bold")
    if not member.deployments:
        text.append("no deployment", style="dim")
    for i, d in enumerate(member.deployments[:2]):
        text.append("\n        " if i else "")
        text.append_text(outside(d.name))
        text.append(" ")
        text.append_text(state_text(str(d.state)))
        if d.message and not d.ready:
            text.append_text(outside(f"  {d.message}", tone_style(Tone.FAIL)))
    text.append("\npredict ", style="bold")
    answered = sum(d.predictions or 0 for d in member.deployments)
    if not member.deployments:
        text.append("-", style="dim")
    elif any(d.predictions is None for d in member.deployments) and not answered:
        text.append("its server did not say how many it answered", style="dim")
    else:
        seen = max((d.predictions_seen_at for d in member.deployments if d.predictions_seen_at), default=None)
        text.append(f"{answered} answered")
        if seen is not None:
            text.append(f", the last seen {classroom.since(seen, now)}", style="dim")
    if member.last_error is not None:
        text.append("\nerror   ", style="bold")
        text.append_text(
            outside(f"{member.last_error.what}: {member.last_error.message}", tone_style(Tone.FAIL))
        )
    return text


def first_job(member: ClassMember) -> Job | None:
    """The job to show first: a failed one when the train step failed, else the newest."""
    failed = next((j for j in member.jobs if j.state == "failed"), None)
    train = next((s for s in classroom.steps(member) if s.id == "train"), None)
    if train is not None and train.state == classroom.StepState.FAILED and failed is not None:
        return failed
    return member.jobs[0] if member.jobs else None


class AttendeeScreen(BaseScreen):
    """Pushed over the Class screen; esc goes back to it."""

    MODE = "class"
    TITLE_TEXT = "Attendee"
    CSS_PATH = "classroom.tcss"
    HELP = (
        "[b]One attendee[/b]: each step with what the platform says about it, their registered "
        "versions, deployment and how many predictions it answered, and the log of their jobs "
        "(the failed one first when training is what holds them back; [b]enter[/b] on a job shows "
        "its log). [b]esc[/b] goes back to the class."
    )
    BINDINGS = [
        Binding("l", "focus_log", "Log"),
        Binding("j", "focus_jobs", "Jobs"),
        Binding("slash", "filter", "Filter", key_display="/"),
    ]

    def __init__(self, user: str, idle_minutes: float = classroom.DEFAULT_IDLE_MINUTES) -> None:
        super().__init__()
        self.user = user
        self.idle_minutes = idle_minutes
        self.job_id: str | None = None
        self._feed: LogFeed

    def compose_body(self) -> Iterable[Widget]:
        yield Static("", id="att-title")
        with Horizontal(id="att-top"):
            yield Static("", id="att-steps")
            yield Static("", id="att-work")
        with Horizontal(id="att-bottom"):
            with StalePanel("Jobs", id="panel-att-jobs"):
                yield LiveTable("ID", "STATE", "TOOK", id="tbl-att-jobs", empty="no jobs")
            with StalePanel("Log", id="panel-att-log"):
                yield LiveLog(id="att-log")

    def on_mount(self) -> None:
        super().on_mount()
        self._feed = LogFeed(self.query_one(LiveLog), self.query_one("#panel-att-log", StalePanel))
        self.set_interval(0.2, self._feed.flush)
        self.on_data("class")
        self.query_one("#tbl-att-jobs").focus()

    @property
    def member(self) -> ClassMember | None:
        view: ClassView | None = self.mlops.data.get("class")
        if view is None:
            return None
        return next((m for m in view.members if m.user == self.user), None)

    def on_data(self, topic: str) -> None:
        if topic not in ("class", "error:class"):
            return
        member = self.member
        if member is None:
            self.query_one("#att-title", Static).update(
                outside(f"{self.user}: not in the class view (any more)", tone_style(Tone.WARN))
            )
            return
        now = self.mlops.clock()
        lab = classroom.lab_reached(member)
        title = Text(overflow="ellipsis")
        title.append(member.user, style="bold")
        title.append(f" · {'Labs 1-5 done' if lab > 5 else f'Lab {lab}'} · last progress ")
        title.append(classroom.since(member.last_progress_at, now))
        if lab <= 5 or member.last_error is not None:
            title.append(" · ")
            title.append_text(help_text(member, now, self.idle_minutes))
        self.query_one("#att-title", Static).update(title)
        self.query_one("#att-steps", Static).update(steps_text(member))
        self.query_one("#att-work", Static).update(work_text(member, now))
        self.query_one("#tbl-att-jobs", LiveTable).show(job_rows(member.jobs, now))
        updated = self.mlops.updated.get("class")
        if updated is not None:
            self.query_one("#panel-att-jobs", StalePanel).mark_updated(updated)
        if self.job_id is None:
            job = first_job(member)
            if job is not None:
                self.select_job(job.id)

    @on(DataTable.RowSelected, "#tbl-att-jobs")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key and key != "__empty__":
            self.select_job(key)

    def select_job(self, job_id: str) -> None:
        if job_id == self.job_id:
            return
        self.job_id = job_id
        self._feed.restart()
        self._feed.panel.border_title = f"Log · job {job_id}"
        self._follow(job_id)

    @work(group="attendee-log", exclusive=True, exit_on_error=False)
    async def _follow(self, job_id: str) -> None:
        """Stream the job's log from its tail (``log_follow``, as the Training screen does)."""
        await self._feed.follow(self.mlops, job_id, following=lambda: self.job_id == job_id)

    def action_focus_log(self) -> None:
        self.query_one(LiveLog).view.focus()

    def action_focus_jobs(self) -> None:
        self.query_one("#tbl-att-jobs").focus()

    def action_filter(self) -> None:
        self.query_one(LiveLog).action_prompt("filter")
