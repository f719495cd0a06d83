"""The guide: a chat-like assistant that walks through Labs 1-5 of the workshop.

The lab steps come from :mod:`mlops_tui.assistant.labs` (the same engine as ``mlops-tui lab run``);
this screen only shows them. A step turns "done" only when its live ``verify`` on the platform says
so. The fast path is one key: ``enter`` on an empty input runs the step the guide points at, so the
five labs take about ten key presses. Typed commands are parsed by
:mod:`mlops_tui.assistant.commands`; every platform call runs in a worker and every failure becomes
an assistant message, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import shlex
from collections.abc import Iterable
from typing import Any, ClassVar

from mlops_tui.lab_scripts import params as training_params
from rich.text import Text
from textual import on, work
from textual.actions import SkipAction
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Static

from mlops_tui.assistant import labs, when
from mlops_tui.assistant import workshop as ws
from mlops_tui.assistant.commands import Command, match_step, may_hold_a_ride, parse_command
from mlops_tui.assistant.lab_training import apply_train_params
from mlops_tui.assistant.rides import Ride, ZoneIndex, default_zones
from mlops_tui.services.errors import (
    AuthFailed,
    InvalidInput,
    NotFound,
    PlatformError,
    SessionExpired,
    Unreachable,
)
from mlops_tui.services.platform import Platform
from mlops_tui.widgets import step_marks as marks
from mlops_tui.widgets.broadcast import BroadcastBanner
from mlops_tui.widgets.connection import Link
from mlops_tui.widgets.conversation import Bubble, Conversation, ProgressBubble, command_text
from mlops_tui.widgets.format import describe_error
from mlops_tui.widgets.guide_input import GuideInput
from mlops_tui.widgets.lab_steps import LabSteps, StepRow
from mlops_tui.widgets.safe_text import outside

from . import guide_text as say
from .base import BaseScreen

log = logging.getLogger("mlops_tui.guide")

NARROW = 72  # below this many columns the sidebar gives way to a one-line summary
LOG_LINES = 15


class GuideScreen(BaseScreen):
    """Labs 1-5 as a conversation, with the step list on the left and an input line below."""

    MODE = "guide"
    TITLE_TEXT = "Guide"
    CSS_PATH = "guide.tcss"
    HELP = (
        "[b]The lab guide[/b]: press [b]enter[/b] on the empty input to run the step marked ▶ "
        "(it is done only when the platform confirms it). Type [b]help[/b] for the commands: status, "
        "back, skip, goto lab N, train, logs, predict <ride>, show curl, zones <words>, clear."
    )
    AUTO_FOCUS = "#guide-input"
    COMMAND_PANE_KEYS: ClassVar[tuple[str, str]] = (":cmd", "^y")  # c and y are typed in the chat
    BINDINGS: ClassVar = [
        *BaseScreen.BINDINGS,
        Binding("pageup", "page_up", "Older", key_display="PgUp"),
        Binding("pagedown", "page_down", "Newer", key_display="PgDn", show=False),
        Binding("ctrl+end", "to_end", "Newest", show=False),
        Binding("ctrl+y", "copy_last", "Copy cmd", key_display="^y"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[labs.Step] = list(labs.STEPS)
        self.states: dict[str, str] = {s.id: "pending" for s in self.steps}
        self.details: dict[str, str] = {}
        self.current: int | None = 0
        self.context: labs.LabContext | None = None
        self.running: str | None = None  # id of the step being run
        self.checking = False  # the first live check of every step is under way
        self._queued_next = False  # enter was pressed during that check: run the step after it
        self._queued_status = False  # status was asked during that check: show it after
        self.last_commands: list[str] = []
        # What ctrl+y copies when it is not the newest shown command: the prediction curl with the
        # deployment's auth token filled in (shown on screen only where labelled as holding it).
        self.copy_command: str | None = None
        self.copy_what = "prediction as curl (with its auth token)"  # what the copy says it copied
        self.zones: ZoneIndex | None = None
        self.last_prediction: float | None = None
        self._platform_seen: Platform | None = None
        self._announced: int | None = None
        self._command_bubble: Bubble | None = None
        self._typed = ""  # the line being handled, given back to the input when it is refused
        # A `train …` run's values before the command changed them: restored when the platform
        # refuses one before submitting (state, data file and path, parameters).
        self._before_train: tuple[str, Any, str, dict[str, Any]] | None = None
        self._train_note: str | None = None  # "Training with …", said when the job is submitted

    # -- layout ----------------------------------------------------------------------------------

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="guide-body"):
            yield LabSteps(id="guide-steps")
            with Vertical(id="guide-main"):
                yield BroadcastBanner(id="guide-broadcast")
                yield Static("", id="guide-summary")
                yield Conversation(id="guide-chat")
                yield Static("", id="guide-prompt")
                yield GuideInput(
                    placeholder="enter = run the step ▶ · type help, status, predict …",
                    id="guide-input",
                )

    @property
    def chat(self) -> Conversation:
        return self.query_one(Conversation)

    @property
    def sidebar(self) -> LabSteps:
        return self.query_one(LabSteps)

    def on_mount(self) -> None:
        super().on_mount()
        self._refresh_steps()
        self._apply_width(self.size.width)
        self.chat.say(say.WELCOME)
        self._take_notes()
        self._load_zones()
        if self.mlops.platform is not None:
            self.on_platform_changed()
        else:
            self._set_prompt("Connecting to the platform…", "busy")
            self._status_changed(None)  # unless connecting already failed

    def action_escape(self) -> None:
        """Esc never leaves the guide's input (it is the screen's one control, and a lost focus
        loses what is typed next): with text it clears the line, on an empty line it goes back."""
        field = self.query_one("#guide-input", Input)
        if field.value:
            field.value = ""
            field.focus()
            return
        raise SkipAction()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.query_one("#guide-input", Input).focus()  # back from another screen: ready to type
        # what was said while away (a step that ended on another screen) was laid out hidden:
        # show the end once the layout has settled, unless the person was reading older messages
        self.chat.changed()
        self.set_timer(0.3, self.chat.changed)
        # back from another screen, where steps may have been done by hand: check again, quietly
        opened = self._announced is not None and not self.checking
        if opened and self._platform_seen is not None and self.running is None:
            self.verify_all()

    def action_page_up(self) -> None:
        self.chat.page_up()

    def action_page_down(self) -> None:
        self.chat.page_down()

    def action_to_end(self) -> None:
        self.chat.to_end()

    def action_copy_last(self) -> None:
        """Copy the newest command the guide showed (e.g. the runnable prediction curl)."""
        if self.copy_command is not None:
            self.mlops.copy_text(self.copy_command, self.copy_what)
            return
        if not self.last_commands:
            self.chat.say("No command to copy yet: run a step first.", "note")
            return
        self.mlops.copy_text(self.last_commands[-1], "command")

    def on_resize(self, event: Any) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        """Below NARROW the sidebar gives way to a summary line; above, it is as wide as its longest
        title needs (up to 42 % of the screen), and titles wrap rather than being cut."""
        self.set_class(width < NARROW, "-narrow")
        longest = max(len(step.title) for step in self.steps)
        self.sidebar.styles.width = max(27, min(longest + 6, width * 42 // 100))

    def on_data(self, topic: str) -> None:
        if topic == "guide-notes":
            self._take_notes()

    def _take_notes(self) -> None:
        """The app's notes for the transcript (e.g. where passwords are kept on this host)."""
        notes = self.mlops.guide_notes
        while notes:
            self.chat.say(notes.pop(0), "note")

    # -- platform --------------------------------------------------------------------------------

    def _status_changed(self, status: object) -> None:
        super()._status_changed(status)
        connection = self.mlops.connection
        if self.mlops.platform is None and connection.link is Link.OFFLINE and connection.detail:
            # The connect failed and nothing retries it: say why, not "Connecting…".
            self._set_prompt(f"Not connected: {connection.detail}", "failed")

    def on_platform_changed(self) -> None:
        platform = self.mlops.platform
        if platform is None:
            self._set_prompt("Not connected: waiting for the platform…", "busy")
            return
        if platform is self._platform_seen:
            return
        self._platform_seen = platform
        self.context = labs.LabContext(user=platform.credentials.user, tenant=platform.credentials.tenant)
        self.verify_all(announce=True)

    def _platform(self) -> Platform:
        return self.mlops.require_platform()

    def _ctx(self) -> labs.LabContext:
        if self.context is None:
            platform = self._platform()
            self.context = labs.LabContext(user=platform.credentials.user, tenant=platform.credentials.tenant)
        return self.context

    @work(group="zones", exclusive=True, exit_on_error=False)
    async def _load_zones(self) -> None:
        try:
            self.zones = await asyncio.to_thread(default_zones)
        except Exception as exc:  # predictions in words will say the table is missing
            log.warning("zone table not loaded: %s", exc)

    # -- step states -----------------------------------------------------------------------------

    def _rows(self) -> list[StepRow]:
        return [StepRow(s.id, s.lab, s.title, self.states[s.id]) for s in self.steps]

    def _refresh_steps(self) -> None:
        self._follow_states()
        self.sidebar.show(self._rows(), self.current)
        self.query_one("#guide-summary", Static).update(self.sidebar.summary())
        self._update_prompt()

    def _follow_states(self) -> None:
        """Once every step was done, a step that is no longer (a retry that failed, something
        removed from the platform) is the one marked ▶ again: the prompt and enter follow the
        steps' current state, never an "all done" of the past."""
        if self.current is None and self.running is None:
            self.current = self._next_unfinished()

    def _update_prompt(self) -> None:
        """One line saying what enter does now (the e2e test reads it, so keep its shapes)."""
        if self.running is not None:
            step = labs.get_step(self.running)
            self._set_prompt(f"Running: {step.title}… (logs, status, help work meanwhile)", "busy")
        elif self.checking:
            self._set_prompt("Checking every step live on the platform…", "busy")
        elif self.current is None:
            ride = (
                f"workshop ride {ws.format_seconds(self.last_prediction)} · " if self.last_prediction else ""
            )
            self._set_prompt(
                f"{marks.mark('done')} All labs done · {ride}try: predict from JFK to Times Sq · status",
                "done",
            )
        else:
            step = self.steps[self.current]
            state = self.states[step.id]
            if state == "failed":
                self._set_prompt(
                    f"{marks.mark('failed')} {step.title} failed — enter tries again · skip goes on", "failed"
                )
            else:
                again = " again" if state == "done" else ""
                self._set_prompt(f"▶ Lab {step.lab}: {step.title} — enter runs it{again}")

    def _set_prompt(self, text: str, kind: str = "next") -> None:
        """``kind`` (next, busy, done, failed) picks the line's style in guide.tcss and terminal.tcss."""
        prompt = self.query_one("#guide-prompt", Static)
        for each in ("busy", "done", "failed"):
            prompt.set_class(each == kind, f"-{each}")
        prompt.update(Text(text, no_wrap=True, overflow="ellipsis"))

    def _finished(self, step_id: str) -> bool:
        return self.states[step_id] in ("done", "unavailable")

    def _next_unfinished(self, after: int = -1) -> int | None:
        order = list(range(after + 1, len(self.steps))) + list(range(0, after + 1))
        return next((i for i in order if not self._finished(self.steps[i].id)), None)

    def _set_check(self, step: labs.Step, check: labs.Check) -> None:
        self.details[step.id] = check.detail
        if check.state == labs.CheckState.DONE:
            self.states[step.id] = "done"
        elif check.state == labs.CheckState.UNAVAILABLE:
            self.states[step.id] = "unavailable"
        elif self.states[step.id] in ("done", "unavailable", "checking"):
            self.states[step.id] = "pending"

    def _announce(self) -> None:
        """Explain the current step (once per step), or congratulate when everything is done."""
        if self.current is None:
            if self._announced != -1:
                self._announced = -1
                self._all_done()
            return
        if self._announced == self.current:
            return
        self._announced = self.current
        step = self.steps[self.current]
        self.chat.say(say.explanation(step, self.current, len(self.steps)))

    def _all_done(self) -> None:
        self.chat.result(say.all_done(self.last_prediction))

    # -- verification ----------------------------------------------------------------------------

    @work(group="verify", exclusive=True, exit_on_error=False)
    async def verify_all(self, announce: bool = False, show: bool = False) -> None:
        """Check every step live (in order: later checks use what earlier ones found)."""
        try:
            platform = self._platform()
        except PlatformError as exc:
            self._error(exc, "Check the labs")
            return
        ctx = self._ctx()
        self.checking = announce
        try:
            await self._check_steps(platform, ctx)
        finally:
            self.checking = False
            for step in self.steps:
                if self.states[step.id] == "checking":
                    self.states[step.id] = "pending"
        if announce and self.running is None:
            self.current = self._next_unfinished()
            done = sum(self._finished(s.id) for s in self.steps)
            if done:
                self.chat.say(
                    f"Checked live on the platform: {done} of {len(self.steps)} steps are already done.",
                    kind="note",
                )
            self._refresh_steps()
            self._announce()
            if self._queued_status:
                self._queued_status = False
                self._show_status()
            if self._queued_next:
                self._queued_next = False
                self._run_current()
        elif (
            self.running is None and self.current is not None and self._finished(self.steps[self.current].id)
        ):
            # done meanwhile (on another screen, or by another user of the tenant): move on
            self.current = self._next_after(self.current)
            self._refresh_steps()
            if not show:
                self._announce()
        else:
            self._refresh_steps()
        if show:
            self._show_status()

    async def _check_steps(self, platform: Platform, ctx: labs.LabContext) -> None:
        for step in self.steps:
            if step.id != self.running and self.states[step.id] == "pending":
                self.states[step.id] = "checking"
        self._refresh_steps()
        for step in self.steps:
            if step.id == self.running:
                continue
            try:
                check = await step.verify(platform, ctx)
            except (AuthFailed, SessionExpired, Unreachable) as exc:
                # The platform could not be asked (password refused, session gone, unreachable):
                # every step is unknown, not undone. What was verified stays; the rest is not asked.
                self._unknown(exc)
                return
            except PlatformError as exc:
                check = labs.Check(labs.CheckState.PENDING, str(exc))
            except Exception as exc:
                log.exception("verify %s", step.id)
                check = labs.Check(labs.CheckState.PENDING, describe_error(exc)[1])
            self._set_check(step, check)
            if step.id == "predict" and ctx.prediction is not None:
                self.last_prediction = ctx.prediction.value
            self._refresh_steps()

    def _unknown(self, exc: PlatformError) -> None:
        for step in self.steps:
            if self.states[step.id] == "checking":
                self.states[step.id] = "pending"
            if step.id != self.running and not self._finished(step.id):
                self.details[step.id] = f"unknown now: {exc.message}"
        self._refresh_steps()

    def _show_status(self) -> None:
        self.chat.say(say.status(self.steps, self.states, self.details, self.current))

    # -- input -----------------------------------------------------------------------------------

    @on(Input.Changed, "#guide-input")
    def _typing(self, event: Input.Changed) -> None:
        if not when.is_warm() and may_hold_a_ride(event.value):
            self._warm_date_reader()

    @work(group="date-reader", exclusive=True, thread=True, exit_on_error=False)
    def _warm_date_reader(self) -> None:
        """dateparser's import and first parse (~0.1 s) while a ride is being typed, not on its
        question; not before: it stays loaded (about 8 MB) in a TUI left open for hours."""
        if not when.is_warm():
            when.warm_up()

    @on(Input.Submitted, "#guide-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        line = event.value
        event.input.value = ""
        if isinstance(event.input, GuideInput):
            event.input.remember(line.strip())
        self.chat.to_end()
        if line.strip():
            self.chat.user(line.strip())
        self._typed = line.strip()
        self.handle(parse_command(line, self.zones, today=self.mlops.clock().date()))

    def _give_back(self, typed: str | None = None) -> None:
        """A refused command goes back into the input to be corrected (nothing was done with it)."""
        field = self.query_one("#guide-input", Input)
        if isinstance(field, GuideInput):
            field.give_back(self._typed if typed is None else typed)

    def _refuse(self, message: str, typed: str | None = None) -> None:
        self.chat.error(message)
        self._give_back(typed)

    def handle(self, cmd: Command) -> None:
        """Do what one typed command asks; a refused one (``cmd.error``) changes no step's state
        and stays in the input to be corrected."""
        if not cmd.ok:
            self._refuse(cmd.error)
            return
        match cmd.verb:
            case "next":
                self._run_current()
            case "run":
                self._run_named(cmd.arg, replace=bool(cmd.params.get("replace")))
            case "help":
                self.chat.say(say.help_text())
            case "status":
                if self.checking:
                    self._queued_status = True
                    self.chat.say("I am checking every step right now; the status follows.", "note")
                elif self.mlops.platform is None:
                    self._show_status()
                else:
                    self.verify_all(show=True)
            case "back":
                self._move(-1)
            case "skip":
                self._skip()
            case "goto":
                self._goto_lab(cmd.lab or 1)
            case "train":
                self._train(cmd.params)
            case "logs":
                self.show_logs(cmd.arg or None, self._typed)
            case "predict":
                if cmd.ride is None:
                    self._run_step(labs.get_step("predict"))
                else:
                    self.predict_ride(cmd.ride, self._typed)
            case "show":
                self._show(cmd.arg)
            case "zones":
                self._zones(cmd.arg)
            case "copy":
                self.action_copy_last()
            case "token":
                self.show_token()
            case "url":
                self.show_urls()
            case "where":
                self._where()
            case "explain":
                self._announced = None
                self._announce()
            case "clear":
                self.chat.clear()
                self._announced = None
                self._announce()
            case "quit":
                self.run_worker(self.app.run_action("quit"), exit_on_error=False)

    def _move(self, delta: int) -> None:
        if self.current is None:
            self.current = len(self.steps) - 1 if delta < 0 else 0
        else:
            self.current = max(0, min(len(self.steps) - 1, self.current + delta))
        self._announced = None
        self._refresh_steps()
        self._announce()

    def _skip(self) -> None:
        if self.current is None:
            self.chat.say("Nothing left to skip: every step is done.")
            return
        step = self.steps[self.current]
        if self.states[step.id] != "done":
            self.states[step.id] = "skipped"
        self.chat.say(f"Skipped “{step.title}” for now; it stays unfinished until it is verified.", "note")
        self.current = self._next_after(self.current)
        self._refresh_steps()
        self._announce()

    def _next_after(self, index: int) -> int | None:
        """The next step after ``index`` that is not finished (skipped ones come last)."""
        for i in range(index + 1, len(self.steps)):
            if self.states[self.steps[i].id] not in ("done", "unavailable", "skipped"):
                return i
        return self._next_unfinished()

    def _goto_lab(self, lab: int) -> None:
        self.current = next(i for i, s in enumerate(self.steps) if s.lab == lab)
        self._announced = None
        self._refresh_steps()
        self._announce()

    def _run_named(self, arg: str, *, replace: bool = False) -> None:
        """``run <step>``; ``replace`` (``run upload --replace``): the lab's code files replace the
        ones changed in the code folder, which the step otherwise keeps."""
        try:
            index = match_step(arg, [(s.id, s.lab, s.title) for s in self.steps])
        except LookupError as exc:
            self._refuse(str(exc))
            return
        if replace and self.context is not None:
            self.context.extra["replace_code"] = True
        self.current = index
        self._announced = index
        self._run_step(self.steps[index])

    def _run_current(self) -> None:
        if self.checking or (self.mlops.platform is None and self.context is None):
            self._queued_next = True
            self.chat.say("I run the first unfinished step as soon as I have checked them all.", "note")
            return
        if self.current is None:
            self.chat.say(
                "Every step is done and verified. Type predict <ride> for another ride, status to "
                "check again, or run <step> to run one again.",
                "note",
            )
            return
        self._run_step(self.steps[self.current])

    def _train(self, params: dict[str, int | float | str]) -> None:
        """Train with ``params`` (already checked with the Train dialog's rules; ``data`` names the data
        file, by the one data-name rule), the rest default."""
        ctx = self.context
        if ctx is not None:
            before = (self.states["train"], ctx.data_file, ctx.data_path, dict(ctx.train_params))
            try:  # data=NAME picks the data file (one rule with the CLI and the Train dialog)
                apply_train_params(ctx, dict(params), local_files=False)
            except PlatformError as exc:
                ctx.data_file, ctx.data_path, ctx.train_params = before[1:]
                field = getattr(exc, "field", None) or "data"
                self._refuse(f"Not submitted: {field}={params.get(field, '')}: {exc.message}")
                return
            if self.running is None:
                self._before_train = before
            if self.running is None and self.mlops.platform is not None:
                shown = training_params.describe(ctx.train_params)
                data = f" on {ctx.data_path}" if "data" in params else ""
                # said once the platform took the job: a refused one never "starts"
                self._train_note = f"Training with {shown}{data}."
        self._run_step(labs.get_step("train"))

    def _show(self, what: str) -> None:
        """``show curl``: the calls the last step made; before any ran (or ``show commands``), the
        commands of the step ▶ by hand, and once every step is done those of the last step (Lab 5's
        prediction): never an answer that only points to the other form."""
        if what == "curl" and self.last_commands:
            self.chat.commands(self.last_commands, "the calls of the last step, as curl")
            return
        step = self.steps[self.current if self.current is not None else -1]
        try:
            commands = step.commands(self._platform(), self._ctx())
        except PlatformError as exc:
            self._error(exc, "Show the commands")
            return
        self.chat.commands(commands, f"{step.title}, by hand")

    def _zones(self, words: str) -> None:
        if self.zones is None:
            self.chat.error("The taxi zone table is not loaded yet; try again in a moment.")
            return
        found = self.zones.search(words)
        if not found:
            self.chat.say(f"No taxi zone matches '{words}'.")
            return
        self.chat.say(say.zones(found))

    # -- running steps ---------------------------------------------------------------------------

    def _run_step(self, step: labs.Step) -> None:
        if self.running is not None:
            running = labs.get_step(self.running)
            self.chat.say(f"“{running.title}” is still running; wait for it, or type logs or status.")
            return
        if self.mlops.platform is None:
            self.chat.error("Not connected to the platform yet; wait for the badge to say connected.")
            return
        self.running = step.id
        if step.id != "train":
            self._before_train = None
        elif self._before_train is None and self.context is not None:
            ctx = self.context
            self._before_train = (self.states["train"], ctx.data_file, ctx.data_path, dict(ctx.train_params))
        self.states[step.id] = "running"
        self._refresh_steps()
        self.run_step(step)

    @work(group="step", exclusive=True, exit_on_error=False)
    async def run_step(self, step: labs.Step) -> None:
        bubble = self.chat.progress(f"Lab {step.lab} · {step.title}")
        commands: list[str] = []
        self._command_bubble = None
        ok = False
        failed = False
        typed, before = self._typed, self._before_train
        self._before_train = None
        note, self._train_note = self._train_note, None  # this run's: never a later one's
        job_before = self.context.job_id if self.context is not None else None
        try:
            platform = self._platform()
            ctx = self._ctx()
            async for event in labs.run_step(step, platform, ctx):
                self._show_event(event, bubble, commands, note)
            check = await step.verify(platform, ctx)
            self._set_check(step, check)
            ok = check.state != labs.CheckState.PENDING
            if check.state == labs.CheckState.DONE:
                bubble.finish(True, f"verified: {check.detail}")
            elif check.state == labs.CheckState.UNAVAILABLE:
                bubble.finish(None, f"not available here (optional): {check.detail}")
            else:
                failed = True
                bubble.finish(False, "not verified")
                self.chat.error(f"It ran, but the live check says: {check.detail}.")
        except asyncio.CancelledError:
            self.states[step.id] = "failed"
            bubble.finish(False, "cancelled")
            raise
        except (InvalidInput, NotFound) as exc:
            if before is None or not self._not_submitted(exc, job_before):
                failed = True
                bubble.finish(False, "failed")
                self._error(exc, step.title)
            else:
                bubble.refused("not submitted")
                await self._refused_train(exc, before, typed)
        except Exception as exc:
            failed = True
            bubble.finish(False, "cancelled" if isinstance(exc, labs.StepCancelled) else "failed")
            self._error(exc, step.title)
        finally:
            if not failed:  # a failure's state is settled first (_after_failure), then it ends
                self.running = None
            if commands:
                self.last_commands = commands
                if step.id != "predict":
                    self.copy_command = None
        if failed:
            try:
                await self._after_failure(step)
            finally:
                self.running = None
        if ok:
            if step.id == "predict" and self.context and self.context.prediction:
                self.last_prediction = self.context.prediction.value
                self.mlops.record_prediction(self._ctx().deployment, self.context.prediction)
            index = self.steps.index(step)
            self.current = self._next_after(index)
            self.mlops.refresh_data()
        self._refresh_steps()
        if ok:
            self._announce()

    def _not_submitted(self, exc: PlatformError, job_before: str | None) -> bool:
        """Whether the platform refused a value of the training job before making it: no new job,
        and the refusal names a field of the job (``params.rounds``, ``data``) or its data file."""
        ctx = self.context
        if ctx is None or ctx.job_id != job_before:
            return False
        if isinstance(exc, InvalidInput):
            return True
        return bool(ctx.data_path) and ctx.data_path in exc.message

    async def _refused_train(
        self, exc: PlatformError, before: tuple[str, Any, str, dict[str, Any]], typed: str
    ) -> None:
        """``train data=nosuch.csv`` (or a value the platform's rules refuse): nothing was submitted,
        so Lab 3 keeps its state and the command's values are undone; the message names the value
        and what it may be, and the command goes back into the input to be corrected."""
        ctx = self._ctx()
        tried = ctx.data_path
        self.states["train"], ctx.data_file, ctx.data_path, ctx.train_params = before
        field = str(getattr(exc, "field", "") or "data").removeprefix("params.")
        if field == "data":
            try:
                files = [
                    e.path
                    for e in await self._platform().list_repo("data")
                    if not e.is_dir and e.path.endswith((".csv", ".csv.gz", ".parquet"))
                ]
            except PlatformError:
                files = []
            shown = ", ".join(f.removeprefix("data/") for f in files[:6]) + (", …" if len(files) > 6 else "")
            may = f"; data= takes a data file of the project repository: {shown or 'none is there yet'}"
            said = unnamed(exc.message, "data")
            message = f"Not submitted: data={tried.removeprefix('data/')}: {said}{may}."
        else:
            message = f"Not submitted: {field}: {unnamed(exc.message, field)}."
        self._refuse(f"{message} Correct it and press enter.", typed)

    async def _after_failure(self, step: labs.Step) -> None:
        """A failed run undoes nothing: the step stays ✔ while what verified it is still on the
        platform (an earlier finished job, the registered version, the deployment). The retry
        runs with the defaults, and the message says how to change them."""
        try:
            check = await step.verify(self._platform(), self._ctx())
        except Exception as exc:  # the platform went away: say the step is not verified now
            check = labs.Check(labs.CheckState.PENDING, describe_error(exc)[1])
        ctx = self.context
        if ctx is not None and step.id == "train":
            ctx.train_params = {}  # the next try is not the same bad experiment again
        if check.state != labs.CheckState.PENDING:
            self._set_check(step, check)
            again = "train" if step.id == "train" else f"run {step.id}"
            self.chat.say(f"Lab {step.lab} stays done: {check.detail}. {again} tries again.", "note")
        else:
            self.states[step.id] = "failed"
            self._follow_states()
            current = self.current is not None and self.steps[self.current] is step
            again = "Enter tries again · skip goes on" if current else f"run {step.id} tries again"
            self.chat.say(f"{again} · show curl shows the calls made.", "note")
        if step.id == "train":
            chosen = ctx is not None and ctx.data_path != ws.DEFAULT_DATA
            data = f" on {ctx.data_path} (train data=NAME picks another file)" if chosen else ""
            self.chat.say(
                f"The next try trains with the defaults ({training_params.describe()}){data}. To change "
                f"them, type e.g. train rounds=100 max-depth=4 ({_param_rules()}).",
                "note",
            )

    def _show_event(
        self, event: labs.StepEvent, bubble: ProgressBubble, commands: list[str], note: str | None = None
    ) -> None:
        """One event of a running step; ``note`` ("Training with …") is said when the job is submitted."""
        kind = event.kind
        if kind == labs.EventKind.COMMAND:
            commands.append(event.text)
            self.show_command(str(event.data.get("op", "call")), event.text)
            if self._command_bubble is None:
                self._command_bubble = self.chat.commands(commands, "equivalent commands", before=bubble)
            else:
                self._command_bubble.update(command_text(commands, "equivalent commands"))
        elif kind == labs.EventKind.LOG:
            bubble.set(line=event.text)
        elif kind == labs.EventKind.METRIC:
            if event.data.get("type") in ("round", "metrics"):
                bubble.set(metric=event.text)
            else:
                bubble.set(line=event.text)
        elif kind in (labs.EventKind.INFO, labs.EventKind.PROGRESS):
            if event.data.get("submitted") and note:
                self.chat.say(note, "note")
            first, _, rest = event.text.partition("\n")
            bubble.set(status=first)
            if rest:
                self.chat.say(outside(event.text), "note")
        elif kind == labs.EventKind.WARNING and event.data.get("optional"):
            self.chat.say(outside(f"⊘ {event.text}"), "note")  # optional, not here: grey, not a fault
        elif kind == labs.EventKind.WARNING:
            self.chat.say(outside(f"⚠ {event.text}"), "warning")
        elif kind == labs.EventKind.RESULT:
            self._show_result(event, commands)

    def _show_result(self, event: labs.StepEvent, commands: list[str]) -> None:
        prediction = event.data.get("prediction")
        if prediction is None:
            self.chat.result(outside(event.text))
            return
        self.chat.result(say.lab_prediction(prediction))
        curl = event.data.get("curl")
        if curl:
            self.copy_command = curl  # what copy (ctrl+y) takes
            self.copy_what = "prediction as curl (with its auth token)"
            self.chat.commands(
                [curl],
                "try it yourself: this curl holds the deployment's auth token and runs as pasted "
                "(ctrl+y copies it)",
            )

    # -- typed actions ---------------------------------------------------------------------------

    @work(group="logs", exclusive=True, exit_on_error=False)
    async def show_logs(self, job_id: str | None, typed: str = "") -> None:
        try:
            platform = self._platform()
            if job_id is None:
                own = self.mlops.default_pick(await platform.list_jobs())  # a class lists everyone's
                if own is None:
                    self.chat.say(
                        "There is no training job yet (of yours): the train step (Lab 3) starts one."
                    )
                    return
                job = own
            else:
                try:
                    job = await platform.get_job(job_id)
                except NotFound as exc:
                    self._refuse(
                        f"{unnamed(exc.message, getattr(exc, 'field', None) or 'id')}: logs takes the id of "
                        "one of your jobs (logs alone shows the newest)",
                        typed,
                    )
                    return
            lines: list[str] = []
            async for line in platform.follow_log(job.id, follow=False, tail=LOG_LINES):
                lines.append(line)
                del lines[:-LOG_LINES]
        except Exception as exc:
            self._error(exc, "Show the log")
            return
        self.chat.say(say.log_tail(job, lines), "command")

    @work(group="predict", exclusive=True, exit_on_error=False)
    async def predict_ride(self, ride: Ride, typed: str = "") -> None:
        self.chat.say(say.ride_understood(ride), "note")  # what is sent, before it is sent
        try:
            platform = self._platform()
            ctx = self._ctx()
            record = ride.to_record()
            try:
                prediction = await platform.predict(ctx.deployment, [record])
            except NotFound as exc:
                self.chat.error(
                    f"There is no deployment {ctx.deployment} to ask ({exc.message}). "
                    "Lab 4 deploys the model: type goto lab 4."
                )
                return
        except InvalidInput as exc:  # the prediction server refused a value: correct the ride
            self._error(exc, "Predict")
            self._give_back(typed)
            return
        except Exception as exc:
            self._error(exc, "Predict")
            return
        self.mlops.record_prediction(ctx.deployment, prediction)
        self.chat.result(say.ride_prediction(ride, prediction))
        # Shown with $AUTH_TOKEN (the token is not on screen unless asked for); copied runnable.
        curl = platform.equivalent("predict", deployment=ctx.deployment, records=[record])
        try:
            runnable = platform.equivalent(
                "predict", deployment=ctx.deployment, records=[record], reveal=True
            )
        except TypeError:
            runnable = curl
        self.last_commands = [curl]
        self.copy_command = runnable
        self.copy_what = "prediction as curl (with its auth token)"
        self.show_command("predict", curl)
        self.chat.commands(
            [curl],
            "the same request with curl ($AUTH_TOKEN is the deployment's auth token; "
            "ctrl+y copies it filled in)",
        )

    @work(group="token", exclusive=True, exit_on_error=False)
    async def show_token(self) -> None:
        """The deployment's X-Auth-Token: copied on request (ctrl+y), never drawn on the screen."""
        try:
            ctx = self._ctx()
            try:
                dep = await self._platform().get_deployment(ctx.deployment)
            except NotFound:
                dep = None
        except Exception as exc:
            self._error(exc, "Find the auth token")
            return
        token = dep.auth_token if dep is not None else None
        if token:
            self.copy_command = f"export AUTH_TOKEN={shlex.quote(token)}"
            self.copy_what = "line that sets $AUTH_TOKEN (it holds the token)"
        self.chat.say(say.token_answer(ctx.deployment, dep is not None, bool(token)))

    @work(group="urls", exclusive=True, exit_on_error=False)
    async def show_urls(self) -> None:
        try:
            platform = self._platform()
            ctx = self._ctx()
            deployments = await platform.list_deployments()
            clusters = await platform.list_clusters()
        except Exception as exc:
            self._error(exc, "List the URLs")
            return
        self.chat.say(say.urls(platform.credentials.url, ctx, deployments, clusters))

    def _where(self) -> None:
        platform = self.mlops.platform
        step = self.steps[self.current] if self.current is not None else None
        done = sum(self._finished(s.id) for s in self.steps)
        self.chat.say(
            say.where(
                self.mlops.who, platform.credentials.url if platform else None, step, done, len(self.steps)
            )
        )

    # -- errors ----------------------------------------------------------------------------------

    def _error(self, exc: BaseException, what: str) -> None:
        """Any failure as an assistant message: a PlatformError speaks for itself, others are logged."""
        title, message = describe_error(exc, what)
        if not isinstance(exc, PlatformError):
            log.error("%s failed", what, exc_info=exc)
        self.chat.error(message, title)


def _param_rules() -> str:
    """``rounds 1-10000, max-depth 1-20, learning-rate (0, 1]`` in words, from lab_scripts.params."""
    return "; ".join(f"{name}: {training_params.BY_NAME[name].rule}" for name in training_params.MAIN)


def unnamed(message: str, field: str) -> str:
    """``message`` without the field name it starts with, for a refusal that names the field
    itself: "data=nosuch.csv: data data/nosuch.csv does not exist" read the word twice."""
    for lead in (f"{field}: ", f"{field}=", f"{field} "):
        if message.startswith(lead):
            return message[len(lead) :]
    return message
