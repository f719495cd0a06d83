"""The "submit a training job" dialog: the workshop's defaults, validated before anything is sent.

The training parameters (their fields, defaults and rules) come from ``lab_scripts.params``, the
one definition the training script, the guide, ``lab run --param`` and the platform API use too.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlops_tui.lab_scripts import params as training_params
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from mlops_tui.assistant import workshop as ws
from mlops_tui.platform import names
from mlops_tui.widgets.checkbox import StateCheckbox


@dataclass(frozen=True)
class JobForm:
    """What the person asked for (validated)."""

    cluster: str
    code: str
    data: str
    output: str
    name: str
    params: dict[str, int | float]
    upload_code: bool


FIELDS: tuple[tuple[str, str, str], ...] = (
    # (id, label, help)
    ("cluster", "Training cluster", "the shared KubeDirector training engine"),
    (
        "code",
        "Code (repository)",
        "a Python package with train.py; uploaded from the lab code if ticked below",
    ),
    (
        "data",
        "Data (repository)",
        "a TLC trip file in data/ of the project repository (CSV, CSV.gz or "
        "Parquet): upload one on the Data screen (8)",
    ),
    *(
        (name, training_params.BY_NAME[name].label, training_params.BY_NAME[name].rule)
        for name in training_params.MAIN
    ),
)


def validate(values: dict[str, str]) -> tuple[dict[str, int | float], dict[str, str]]:
    """Parsed training parameters and ``{field: problem}`` for every bad field (the parameters'
    problems are ``lab_scripts.params``' rules, the same words the guide and the CLI use)."""
    problems: dict[str, str] = {}
    for key in ("cluster", "code", "data"):
        if not values.get(key, "").strip():
            problems[key] = "required"
    if "data" not in problems:
        try:
            names.data_path(values["data"])
        except ValueError:
            problems["data"] = (
                "a data file name such as march.csv or data/NYCTaxi/x.parquet (.csv, .csv.gz, .parquet)"
            )
    given = {name: values.get(name, "") for name in training_params.MAIN}
    params, bad = training_params.problems(given)
    problems.update({name: error.problem for name, error in bad.items()})
    return params, problems


class JobFormScreen(ModalScreen[JobForm | None]):
    """ctrl+s or the Submit button sends; esc cancels."""

    CSS_PATH = "job_form.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("ctrl+s", "submit", "Submit"),
    ]

    def __init__(self, user: str, *, code_present: bool | None = None, data: str | None = None) -> None:
        super().__init__()
        self.user = user
        self.code_present = code_present
        self.data = data

    def defaults(self) -> dict[str, str]:
        return {
            "cluster": ws.TRAINING_CLUSTER,
            "code": ws.code_dir(self.user),
            "data": self.data or ws.DEFAULT_DATA,
            **{name: str(value) for name, value in training_params.defaults().items()},
        }

    def compose(self) -> ComposeResult:
        defaults = self.defaults()
        with Vertical(id="jobform") as box:
            box.border_title = "Submit a training job"
            box.border_subtitle = "ctrl+s submits · esc cancels"
            for key, label, help_text in FIELDS:
                with Horizontal(classes="jobform-row"):
                    yield Label(label, classes="jobform-label")
                    yield Input(defaults[key], id=f"f-{key}", tooltip=help_text, compact=True)
                yield Static("", id=f"err-{key}", classes="jobform-error")
            upload = self.code_present is not True
            yield StateCheckbox("Upload the lab's training code first (needed once)", upload, id="f-upload")
            with Horizontal(id="jobform-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Submit (ctrl+s)", id="submit", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#f-rounds", Input).focus()

    def _values(self) -> dict[str, str]:
        return {key: self.query_one(f"#f-{key}", Input).value for key, _, _ in FIELDS}

    def action_submit(self) -> None:
        values = self._values()
        params, problems = validate(values)
        for key, _, _ in FIELDS:
            error = self.query_one(f"#err-{key}", Static)
            error.update(problems.get(key, ""))
            error.set_class(key in problems, "-shown")
            self.query_one(f"#f-{key}", Input).set_class(key in problems, "-invalid")
        if problems:
            first = next(iter(problems))
            self.query_one(f"#f-{first}", Input).focus()
            self.notify(f"{first}: {problems[first]}", title="Check the form", severity="warning")
            return
        self.dismiss(
            JobForm(
                cluster=values["cluster"].strip(),
                code=values["code"].strip().rstrip("/"),
                data=names.data_path(values["data"]),
                output=ws.models_dir(self.user),
                name=f"taxi-{ws.dns_name(self.user)}",
                params=params,
                upload_code=self.query_one("#f-upload", StateCheckbox).value,
            )
        )

    @on(Input.Submitted)
    def _enter(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)
