"""Training: the job list, the selected job's live log, and its evaluation metric per round.

The log follows the tail and pauses when scrolled up ("N new lines"); ``/`` filters, ``s``
searches. Memory is bounded (10k lines). While a job runs, the plot grows from the log's
structured ``@@mlops`` round lines; for a finished job it comes from the job's metrics.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Static

from mlops_tui.services import errors, job_output, ownership
from mlops_tui.services.classroom import queue_place
from mlops_tui.services.terminal_text import plain
from mlops_tui.services.types import Job, JobSpec, JobState
from mlops_tui.terminal import Tone, tone_style
from mlops_tui.widgets.format import duration
from mlops_tui.widgets.logview import STRUCTURED_PREFIX, LiveLog
from mlops_tui.widgets.panel import StalePanel
from mlops_tui.widgets.plots import LinePlot
from mlops_tui.widgets.safe_text import outside_markup
from mlops_tui.widgets.tables import LiveTable

from .base import BaseScreen, guarded
from .dashboard import failure_label, job_rows, state_text
from .dialogs import ConfirmScreen
from .log_follow import LogFeed

JOB_COLUMNS = ("ID", "STATE", "WHEN", "TOOK", "MAE s", "OWNER")  # job_rows(submitted=True)


def parse_round(line: str) -> dict[str, Any] | None:
    """The ``@@mlops {"type": "round", ...}`` payload of a log line, or None."""
    data = job_output.parse(line)
    return data if data is not None and data.get("type") == "round" else None


def plot_title(job_id: str | None, rounds: list[dict[str, Any]]) -> str:
    """The plot's title names what it plots: ``RMSE per round · job 4 · round 40 eval 214.2``;
    ``RMSE per round · job 4: no round yet`` before its first one; no job, no job named."""
    title = "RMSE per round"
    if job_id is None:
        return title
    title += f" · job {job_id}"
    if not rounds:
        return title + ": no round yet"
    last = rounds[-1]
    value = last.get("eval-rmse")
    shown = f"{value:.1f}" if isinstance(value, int | float) else "-"
    return title + f" · round {last.get('round')} eval {shown}"


class TrainingScreen(BaseScreen):
    MODE = "training"
    TITLE_TEXT = "Training"
    CSS_PATH = "training.tcss"
    HELP = (
        "Training jobs on the shared training cluster. [b]enter[/b] on a job follows its log; "
        "[b]n[/b] submits a new job (the workshop's code and data, your parameters). The list shows "
        "each job's state, WHEN it was submitted, how long it TOOK (queued: its place and wait) and "
        "its MAE in seconds; in a narrow terminal TOOK gives way first (the selected job's line above "
        "the log says it too).\n"
        "The log follows new lines; scroll up (↑, PgUp, Home) to pause it — the status bar counts the "
        "new lines — and press End to follow again. [b]/[/b] keeps only matching lines, [b]s[/b] "
        "highlights matches (n/N jump). The plot shows the evaluation RMSE per boosting round."
    )
    DESTRUCTIVE_ACTIONS = frozenset({"cancel_job"})
    BINDINGS = [
        Binding("n", "submit_job", "New job"),
        Binding("x", "cancel_job", "Cancel job"),
        Binding("l", "focus_log", "Log", tooltip="Focus the log (then / filter, s search, End follow)"),
        Binding("j", "focus_jobs", "Jobs", show=False),
        Binding("slash", "filter", "Filter", key_display="/"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.job_id: str | None = None
        self._job: Job | None = None
        self._chosen = False  # the person picked a job: the log stays on it, not on the newest
        self._chosen_for: str | None = None  # the user whose job was picked (a login resets it)
        # the selected job's boosting rounds by round number: from its log as it streams and from
        # its metrics when they load (both hold the same rounds: keyed, they never add up)
        self._rounds: dict[int, dict[str, Any]] = {}
        self._plotted: tuple[str | None, int] = (None, 0)  # (job, rounds) when last drawn
        self._feed: LogFeed

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="train-body"):
            with StalePanel("Jobs", id="panel-jobs"):
                # narrow, how long a job took gives way first, then when: its state and MAE stay
                yield LiveTable(
                    *JOB_COLUMNS, id="tbl-jobs", empty="no jobs yet: press n", give_way=("TOOK", "WHEN")
                )
            with Vertical(id="train-right"):
                yield Static("Select a job (enter) to follow its log.", id="job-summary")
                with StalePanel("Log", id="panel-log"):
                    yield LiveLog(id="job-log")
                with StalePanel(plot_title(None, []), id="panel-plot", stale_after=1e9):
                    yield LinePlot(
                        empty_text="the plot appears with the first boosting round", id="rounds-plot"
                    )

    def on_mount(self) -> None:
        super().on_mount()
        self._feed = LogFeed(self.query_one(LiveLog), self.query_one("#panel-log", StalePanel))
        self.on_data("jobs")
        self.set_interval(0.1, self._flush)
        self.query_one("#tbl-jobs").focus()
        self._take_intent()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self._take_intent()

    def on_platform_changed(self) -> None:
        self.on_data("jobs")  # the person may be someone else now

    def _take_intent(self) -> None:
        intent = self.mlops.intent
        if intent and intent[0] == "job":
            self.mlops.intent = None
            self._chosen = intent[1] != self._newest_id()
            self.select_job(intent[1])
        elif intent and intent[0] == "train-data":  # from the Data screen: the form on that file
            self.mlops.intent = None
            self._open_form(intent[1])

    def _newest_id(self) -> str | None:
        """The job the log follows until the person picks one: their own newest (in a class the
        list is the whole queue, newest first: services/ownership.py)."""
        jobs: list[Job] = self.mlops.data.get("jobs") or []
        newest = self.mlops.default_pick(jobs)
        return newest.id if newest is not None else None

    # -- jobs list -------------------------------------------------------------------------------

    def on_data(self, topic: str) -> None:
        app = self.mlops
        if topic not in ("jobs", "error:jobs"):
            return
        panel = self.query_one("#panel-jobs", StalePanel)
        if topic == "error:jobs":
            panel.mark_failed(failure_label(app.data_errors["jobs"]))
            return
        jobs: list[Job] = app.data.get("jobs") or []
        self.query_one("#tbl-jobs", LiveTable).show(job_rows(jobs, app.clock(), app.me[0], submitted=True))
        self._cursor_on_job()
        if app.updated.get("jobs"):
            panel.mark_updated(app.updated["jobs"])
        user = app.me[0]
        if user and self._chosen_for not in (None, user):
            self._chosen = False  # someone else now: their own newest job, not the last person's pick
        self._chosen_for = user or self._chosen_for  # "" while disconnected: nobody new
        newest = self._newest_id()
        if newest is not None and (self.job_id is None or (not self._chosen and newest != self.job_id)):
            # the log follows the person's newest job until they pick one
            self.select_job(newest)
        elif self.job_id is not None:
            job = next((j for j in jobs if j.id == self.job_id), None)
            if job is not None:
                finished_now = self._job is not None and not self._job.state.is_final and job.state.is_final
                self._job = job
                self._summarise()
                if finished_now:
                    self._load_metrics(job.id)

    @on(DataTable.RowSelected, "#tbl-jobs")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        if key and key != "__empty__":
            self._chosen = key != self._newest_id()
            self.select_job(key)
            self.query_one(LiveLog).view.focus()

    @on(DataTable.RowHighlighted, "#tbl-jobs")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Up/Down follow the job under the cursor: the highlighted row is the job shown and acted
        on. A highlight the table made while rebuilding (the cursor no longer there) is not one."""
        table = self.query_one("#tbl-jobs", LiveTable)
        key = event.row_key.value
        if key and key != "__empty__" and key == table.selected_key and key != self.job_id:
            self._chosen = key != self._newest_id()
            self.select_job(key)

    def _cursor_on_job(self) -> None:
        """The table's cursor on the followed job (a new list, or the log moved to the newest)."""
        table = self.query_one("#tbl-jobs", LiveTable)
        if self.job_id is not None and table.selected_key != self.job_id:
            table.select_key(self.job_id)

    def select_job(self, job_id: str) -> None:
        if job_id == self.job_id:
            return
        self.job_id = job_id
        self._cursor_on_job()
        jobs: list[Job] = self.mlops.data.get("jobs") or []
        self._job = next((j for j in jobs if j.id == job_id), None)
        self._rounds = {}
        self._feed.restart()
        self._feed.panel.border_title = f"Log · job {job_id}"
        self._plot()
        self._summarise()
        self._follow(job_id)
        self._load_metrics(job_id)

    def _summarise(self) -> None:
        """The selected job in one line; its name and message come from the platform (sanitised)."""
        job = self._job
        summary = self.query_one("#job-summary", Static)
        if job is None:
            summary.update(f"job {outside_markup(self.job_id)}")
            return
        metrics = "  ".join(f"{k} {v:.3g}" for k, v in job.metrics.items() if k in ("rmse", "mae", "r2"))
        # what the TOOK column says (which a narrow list hides), first: how long, or the queue place
        now = self.mlops.clock()
        if job.started_at is None:
            place = queue_place(job, now, short=True)  # "#3 ~40 s": the long form does not fit the line
            took = f"queue {place}" if place else ""
        else:
            seconds = ((job.finished_at or now) - job.started_at).total_seconds()
            took = f"took {duration(seconds)}" if job.state.is_final else f"for {duration(seconds)}"
        parts = [
            f"[b]job {job.id}[/b] {state_text(job.state).markup}",
            took,
            outside_markup(job.name),
            metrics,
        ]
        if job.message and job.state in (JobState.FAILED, JobState.CANCELLED):
            parts.append(f"[{tone_style(Tone.FAIL)}]{outside_markup(job.message)}[/]")
        summary.update("  ·  ".join(p for p in parts if p))

    # -- the log ---------------------------------------------------------------------------------

    @work(group="follow-log", exclusive=True)
    async def _follow(self, job_id: str) -> None:
        """Stream the log from its last ``MAX_LINES`` lines (``log_follow``); a job that fails
        while followed says so in a notification."""
        was_final = self._job is not None and self._job.state.is_final
        job = await self._feed.follow(
            self.mlops, job_id, following=lambda: self.job_id == job_id, on_line=self._take_line
        )
        if job is None:
            return
        self._job = job
        self._summarise()
        if job.state is JobState.FAILED and not was_final:
            self.notify(
                f"Job {job.id} failed: {plain(job.message) or 'see its log'}",
                title="Training",
                severity="error",
                markup=False,
            )

    def _take_line(self, line: str) -> None:
        self._feed.take(line)
        if line.startswith(STRUCTURED_PREFIX):
            data = parse_round(line)
            if data is not None and isinstance(data.get("round"), int):
                self._rounds[data["round"]] = data

    def _flush(self) -> None:
        """One batch per frame (``LogFeed``); the plot follows the rounds the batch brought."""
        if self._feed.flush() and (self.job_id, len(self._rounds)) != self._plotted:
            self._plot()

    # -- metrics plot ----------------------------------------------------------------------------

    @work(group="metrics", exclusive=True)
    @guarded("Load job metrics")
    async def _load_metrics(self, job_id: str) -> None:
        platform = self.mlops.require_platform()
        try:
            metrics = await self.call(
                f"metrics of job {job_id}", "job_metrics", lambda: platform.job_metrics(job_id), job_id=job_id
            )
        except errors.NotFound:
            return
        if job_id != self.job_id:
            return
        for record in metrics.rounds:
            if isinstance(record.get("round"), int):
                self._rounds[record["round"]] = record
        self._plot()
        self.query_one("#panel-plot", StalePanel).mark_updated()

    def _plot(self) -> None:
        rounds = [self._rounds[n] for n in sorted(self._rounds)]
        self._plotted = (self.job_id, len(rounds))
        series = []
        for key, label in (("train-rmse", "train"), ("eval-rmse", "eval")):  # eval drawn last, on top
            points = [(r["round"], r[key]) for r in rounds if key in r and "round" in r]
            if points:
                series.append((label, [p[0] for p in points], [p[1] for p in points]))
        plot = self.query_one("#rounds-plot", LinePlot)
        plot.xlabel = "round"
        plot.plot(series)
        self.query_one("#panel-plot", StalePanel).border_title = outside_markup(
            plot_title(self.job_id, rounds)
        )

    # -- actions ---------------------------------------------------------------------------------

    def action_focus_log(self) -> None:
        self.query_one(LiveLog).view.focus()

    def action_focus_jobs(self) -> None:
        self.query_one("#tbl-jobs").focus()

    def action_filter(self) -> None:
        self.query_one(LiveLog).action_prompt("filter")

    def action_submit_job(self) -> None:
        self._open_form()

    @work(group="job-form", exclusive=True)
    @guarded("Submit a training job")
    async def _open_form(self, data: str | None = None) -> None:
        from mlops_tui.assistant import workshop as ws

        from .job_form import JobFormScreen

        platform = self.mlops.require_platform()
        user = platform.credentials.user
        code_present: bool | None = None
        with contextlib.suppress(errors.PlatformError):
            entries = await platform.list_repo(ws.code_dir(user) + "/")
            code_present = any(e.path.endswith("/train.py") for e in entries)
        form = await self.app.push_screen_wait(JobFormScreen(user, code_present=code_present, data=data))
        if form is None:
            return
        if form.upload_code:
            await self._upload_code(form.code)
        spec = JobSpec(
            cluster=form.cluster,
            code=form.code,
            data=form.data,
            output=form.output,
            params=form.params,
            name=form.name,
        )
        job = await self.call(
            "submit a training job", "submit_job", lambda: platform.submit_job(spec), spec=spec
        )
        self.notify(f"Job {job.id} submitted ({job.state}).", title="Training")
        self.mlops.refresh_data("jobs")
        self.select_job(job.id)

    async def _upload_code(self, code_dir: str) -> None:
        """The lab's code into ``code_dir``: files changed there are replaced only after a yes."""
        from mlops_tui.assistant.labs import upload_lab_code

        platform = self.mlops.require_platform()

        async def send(path: str, content: bytes, source: str, replace: bool) -> object:
            name = path.rsplit("/", 1)[-1]
            return await self.call(
                f"upload {name}",
                "upload_repo",
                lambda: platform.upload_repo(path, content, source=source, replace=replace),
                path=path,
                source=source,
                replace=replace,
            )

        done = await upload_lab_code(platform, code_dir, send=send)
        if done.kept:
            them = "it" if len(done.kept) == 1 else "them"
            question = (
                f"{', '.join(done.kept)} in {code_dir}/ changed since the lab put {them} there (in the "
                "notebook, or by hand).\nReplace with the lab's copies? Your changes are lost."
            )
            replace = await self.app.push_screen_wait(ConfirmScreen(outside_markup(question), yes="Replace"))
        else:
            replace = False
        replaced = (
            (await upload_lab_code(platform, code_dir, replace=True, send=send)).sent if replace else []
        )
        parts = [
            f"uploaded {len(done.sent)} files to {code_dir}/"
            if done.sent
            else f"{code_dir}/ has the lab's code"
        ]
        if replaced:
            parts.append(f"replaced {', '.join(replaced)}")
        elif done.kept:
            parts.append(f"kept your changed {', '.join(done.kept)} (training uses it)")
        self.notify("; ".join(parts).capitalize() + ".", title="Training code")

    def action_cancel_job(self) -> None:
        if not self.mlops.require_writable("Cancelling a job"):
            return
        job = self._job
        if job is None:
            self.notify("Select a queued or running job to cancel.", severity="warning")
            return
        if job.state.is_final:
            self.notify(
                f"Job {job.id} is {job.state}: only a queued or running job can be cancelled.",
                severity="warning",
                markup=False,
            )
            return
        user, role = self.mlops.me
        refusal = ownership.attendee_refusal(job, user, role, f"job {job.id}", "cancel only their own jobs")
        if refusal is not None:  # the platform would refuse it: said at once, no dialog first
            self.notify(refusal, title="Not yours", severity="warning", markup=False)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._cancel(job.id)

        other = ownership.others_owner(job, self.mlops.me[0])  # in a class: say whose it is
        whose = f" of [b]{outside_markup(other)}[/b] (not yours)" if other else ""
        self.app.push_screen(
            ConfirmScreen(f"Cancel training job [b]{job.id}[/b]{whose}?", yes="Cancel job", no="Keep"),
            confirmed,
        )

    @work(group="cancel-job")
    @guarded("Cancel job")
    async def _cancel(self, job_id: str) -> None:
        platform = self.mlops.require_platform()
        job = await self.call(
            f"cancel job {job_id}", "cancel_job", lambda: platform.cancel_job(job_id), job_id=job_id
        )
        self.notify(f"Job {job_id}: {job.state}.")
        self.mlops.refresh_data("jobs")
