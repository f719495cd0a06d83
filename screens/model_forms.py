"""Dialogs of the registry: register a finished job's model, deploy a version."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from mlops_tui.services.types import Job
from mlops_tui.terminal import Tone, tone_style
from mlops_tui.widgets.safe_text import outside
from mlops_tui.widgets.select import SafeSelect
from mlops_tui.widgets.titles import NamedTitle


@dataclass(frozen=True)
class RegisterForm:
    model: str
    job_id: str
    description: str


@dataclass(frozen=True)
class DeployForm:
    name: str


class _Form(ModalScreen):
    CSS_PATH = "model_forms.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("ctrl+s", "submit", "OK"),
    ]

    def action_submit(self) -> None:
        """Each form validates its fields and dismisses with its result; the bare base just closes."""
        self.dismiss(None)

    @on(Input.Submitted)
    def _enter(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class RegisterScreen(_Form):
    """Pick a finished job (the newest is preselected), name the model, describe the version."""

    def __init__(self, jobs: list[Job], model: str, registered: dict[str, str]) -> None:
        super().__init__()
        self.jobs = jobs
        self.model = model
        self.registered = registered  # job id -> "model vN" already registered

    def compose(self) -> ComposeResult:
        options = []
        for job in self.jobs:
            mae = job.metrics.get("mae")
            label = (
                f"job {job.id}  {job.name}  MAE {mae:.1f} s"
                if mae is not None
                else f"job {job.id}  {job.name}"
            )
            if job.id in self.registered:
                label += f"  (already {self.registered[job.id]})"
            options.append((outside(label), job.id))  # a job's name is anyone's free text
        with Vertical(classes="form") as box:
            box.border_title = "Register a model version"
            box.border_subtitle = "ctrl+s registers · esc cancels"
            with Grid(classes="form-grid"):
                yield Label("Finished job")
                yield SafeSelect(options, value=options[0][1], allow_blank=False, id="f-job", compact=True)
                yield Label("Model name")
                yield Input(self.model, id="f-model", compact=True)
                yield Label("Description")
                yield Input("NYC taxi ride duration (XGBoost)", id="f-description", compact=True)
            yield Static("", id="form-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Register (ctrl+s)", id="ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#f-job", SafeSelect).focus()

    def action_submit(self) -> None:
        model = self.query_one("#f-model", Input).value.strip()
        if not model or not all(c.isalnum() or c in "-_." for c in model):
            self.query_one("#form-error", Static).update("Model name: letters, digits, '-', '_' or '.'")
            self.query_one("#f-model", Input).focus()
            return
        job_id = str(self.query_one("#f-job", SafeSelect).value)
        self.dismiss(RegisterForm(model, job_id, self.query_one("#f-description", Input).value.strip()))


class DeployScreen(_Form):
    """Name the deployment engine for ``model`` v``version``; says when it replaces another one."""

    def __init__(self, model: str, version: int, name: str, replaces: str = "") -> None:
        super().__init__()
        self.model = model
        self.version = version
        self.default_name = name
        self.replaces = replaces

    def compose(self) -> ComposeResult:
        with Vertical(classes="form") as box:
            NamedTitle.set(box, self.model, "Deploy ", f" v{self.version}")
            box.border_subtitle = "ctrl+s deploys · esc cancels"
            with Grid(classes="form-grid"):
                yield Label("Deployment name")
                yield Input(self.default_name, id="f-name", compact=True)
            note = (
                f"[{tone_style(Tone.WARN)}]{self.replaces}[/]"
                if self.replaces
                else "A prediction server starts and serves this version behind an auth token."
            )
            yield Static(note, id="form-note")
            yield Static("", id="form-error")
            with Horizontal(classes="form-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Deploy (ctrl+s)", id="ok", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#f-name", Input).focus()
        self.call_after_refresh(NamedTitle.fit_all, self)  # the model's owner stays in the title

    def on_resize(self) -> None:
        self.call_after_refresh(NamedTitle.fit_all, self)

    def action_submit(self) -> None:
        name = self.query_one("#f-name", Input).value.strip()
        if not name or not all(c.isalnum() or c == "-" for c in name) or not name[0].isalpha():
            self.query_one("#form-error", Static).update(
                "Deployment name: start with a letter; letters, digits and '-' only"
            )
            return
        self.dismiss(DeployForm(name.lower()))
