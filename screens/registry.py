"""The model registry: models → versions → detail (lineage, metrics, checksums), register, deploy.

A version is trustworthy because its lineage names the job, the data (with its fingerprint) and
the code that made it, and checksums pin its files; the detail pane shows all of it, plus the
workshop's ConfigMap (``m``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import DataTable, Static

from mlops_tui.live import RegistryEntry
from mlops_tui.services import ownership
from mlops_tui.services.errors import PlatformError
from mlops_tui.services.types import (
    Deployment,
    DeploymentSpec,
    Job,
    JobState,
    ModelVersion,
    PredictionRecord,
    RegisterSpec,
)
from mlops_tui.widgets.format import short_time
from mlops_tui.widgets.panel import StalePanel
from mlops_tui.widgets.safe_text import outside, outside_markup
from mlops_tui.widgets.tables import LiveTable
from mlops_tui.widgets.titles import NamedTitle

from .base import BaseScreen, guarded
from .dashboard import failure_label, registry_rows, state_text
from .dialogs import ConfirmScreen

STAGES = ("none", "staging", "production", "archived")
ANSWER_WIDTH = 52  # characters of a request's answer shown under it (the detail pane at 100x30)
MAIN_METRICS = ("mae", "rmse", "r2", "rmsle", "baseline_mae")


def short_hash(value: str, keep: int = 16) -> str:
    """``sha256:53a5502054f2fa8a…``: enough to compare by eye, short enough for one line."""
    algo, _, digest = value.rpartition(":")
    if len(digest) <= keep:
        return value
    return f"{algo + ':' if algo else ''}{digest[:keep]}…"


def version_detail(version: ModelVersion, deployments: list[Deployment]) -> Text:
    """The detail pane's text for one version. Its fields come from the registry (a description is
    anyone's free text): each goes through the sanitiser, as plain text."""
    text = Text()

    def row(label: str, value: str | Text, style: str = "") -> None:
        text.append(f"{label:<15}", style="bold")
        if isinstance(value, Text):
            text.append_text(value)
        else:
            text.append_text(outside(value, style))
        text.append("\n")

    row("model", f"{version.model}  v{version.version}", "bold")
    row("stage", state_text(version.stage))
    if version.description:
        row("description", version.description)
    row("created", f"{short_time(version.created_at)} by {version.created_by or '-'}")
    row("bundle", version.path)
    row("scoring", version.scoring_path)
    row("type", version.model_type)
    if version.metrics:
        shown = [k for k in MAIN_METRICS if isinstance(version.metrics.get(k), int | float)]
        row("metrics", "  ".join(f"{k} {version.metrics[k]:.4g}" for k in shown) or "-")
    text.append("\nlineage\n", style="bold underline")
    lineage = version.lineage
    row("  job", lineage.job_id or "-")
    row("  data", lineage.data or "-")
    row("  fingerprint", short_hash(lineage.data_fingerprint) or "-", "dim")
    row("  code", lineage.code or "-")
    if version.checksums:
        text.append("\nchecksums\n", style="bold underline")
        for name, checksum in sorted(version.checksums.items()):
            row(f"  {name}", short_hash(checksum), "dim")
    serving = [d for d in deployments if d.model == version.model and d.version == version.version]
    text.append("\ndeployed\n", style="bold underline")
    if serving:
        for dep in serving:
            text.append_text(outside(f"  {dep.name} "))
            text.append_text(state_text(dep.state))
            text.append_text(outside(f"  {dep.url}\n", "dim"))
            if dep.max_batch_size is not None:
                row("    batching", batching_text(dep))
    else:
        text.append("  not deployed — press d to deploy this version\n", style="dim italic")
    return text


def batching_text(dep: Deployment) -> str:
    """The deployment's adaptive batching, in words."""
    wait = dep.max_batch_wait_ms or 0
    waits = f"waits up to {wait:g} ms for more" if wait else "never waits for more"
    return f"up to {dep.max_batch_size} rides per model call; {waits}"


def history_text(name: str, records: list[PredictionRecord]) -> Text:
    """A deployment's recent requests, newest first: time, HTTP status, rides, latency, answer."""
    text = Text()
    text.append(f"\nrecent requests to {name}\n", style="bold underline")
    if not records:
        text.append("  none since the server started\n", style="dim italic")
    for r in records:
        text.append(f"  {short_time(r.received_at)}  ", style="dim")
        text.append(f"{r.http_status}", style="green" if r.http_status == 200 else "red")
        rides = f"{r.rides} ride{'s' * (r.rides != 1)}" if r.rides else "-"
        text.append_text(outside(f"  {rides:<10} {r.latency_ms:7.1f} ms\n", "dim"))
        first = r.error or (r.output.splitlines() or [r.status])[0]
        shown = first if len(first) <= ANSWER_WIDTH else first[: ANSWER_WIDTH - 1] + "…"
        text.append_text(outside(f"    {shown}\n", "" if r.http_status == 200 else "red"))
    return text


class RegistryScreen(BaseScreen):
    MODE = "registry"
    TITLE_TEXT = "Registry"
    CSS_PATH = "registry.tcss"
    HELP = (
        "Registered models and their versions. Select a version to see its lineage (the job, data "
        "fingerprint and code that produced it), metrics and file checksums.\n"
        "[b]n[/b] registers the model of a finished training job as a new version; [b]d[/b] deploys "
        "the selected version (a prediction server with an auth token); [b]m[/b] shows the "
        "workshop's ConfigMap for it; [b]p[/b] sets its stage."
    )
    # Read-only (attendees) look and predict: registering, deploying and staging change what the
    # whole tenant shares, so they are hidden from the footer and refused.
    DESTRUCTIVE_ACTIONS = frozenset({"register", "deploy", "stage"})
    BINDINGS = [
        Binding("n", "register", "Register"),
        Binding("d", "deploy", "Deploy"),
        Binding("m", "configmap", "ConfigMap"),
        Binding(
            "p", "stage", "Stage", tooltip="Next stage: none → staging → production → archived (asks first)"
        ),
        Binding("slash", "filter", "Filter", key_display="/"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.selected: tuple[str, int] | None = None
        self._chosen_for: str | None = None  # the user the selection was made for

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="reg-body"):
            with StalePanel("Models", id="panel-models"):
                yield LiveTable("MODEL", "STAGE", "MAE s", id="tbl-models", empty="no models yet: press n")
            with (
                StalePanel("Version", id="panel-detail", stale_after=1e9),
                VerticalScroll(id="detail-scroll"),
            ):
                yield Static("Select a version.", id="version-detail")
                yield Static("", id="recent-requests")

    def on_mount(self) -> None:
        super().on_mount()
        self.on_data("registry")
        self.query_one("#tbl-models").focus()
        self._take_intent()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self._take_intent()

    def _take_intent(self) -> None:
        """Select what another screen (or a register just done) asked for, once its row exists."""
        intent = self.mlops.intent
        if not intent or intent[0] not in ("version", "model"):
            return
        key = intent[1] if intent[0] == "version" else f"m:{intent[1]}"
        table = self.query_one("#tbl-models", LiveTable)
        if table.select_key(key):
            self.mlops.intent = None
            if intent[0] == "version":
                model, _, number = key.rpartition(":")
                self.selected = (model, int(number))
                self._show_detail()

    # -- data -----------------------------------------------------------------------------------

    @property
    def entries(self) -> list[RegistryEntry]:
        return self.mlops.data.get("registry") or []

    def on_data(self, topic: str) -> None:
        app = self.mlops
        panel = self.query_one("#panel-models", StalePanel)
        if topic == "error:registry":
            panel.mark_failed(failure_label(app.data_errors["registry"]))
            return
        if topic not in ("registry", "deployments"):
            return
        if topic == "registry":
            self.query_one("#tbl-models", LiveTable).show(registry_rows(self.entries))
            if app.updated.get("registry"):
                panel.mark_updated(app.updated["registry"])
            self._take_intent()
            self._select_own()
        self._show_detail()

    @on(DataTable.RowHighlighted, "#tbl-models")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value or ""
        if key.startswith("m:"):
            entry = next((e for e in self.entries if e.model.name == key[2:]), None)
            if entry and entry.versions:
                self.selected = (entry.model.name, entry.versions[-1].version)
        elif ":" in key:
            model, _, version = key.rpartition(":")
            self.selected = (model, int(version))
        self._show_detail()

    def on_platform_changed(self) -> None:
        self.on_data("registry")  # the person may be someone else now

    def _select_own(self) -> None:
        """Nothing chosen yet, or chosen for someone else (a login as another user): the person's
        own model (in a class the registry holds everyone's)."""
        user = self.mlops.me[0]
        if user and self._chosen_for not in (None, user):
            self.selected = None
        self._chosen_for = user or self._chosen_for  # "" while disconnected: nobody new
        if self.selected is not None:
            return
        own = self.mlops.default_pick([e.model for e in self.entries])
        entry = next((e for e in self.entries if own is not None and e.model.name == own.name), None)
        if entry is None or not entry.versions:
            return
        self.query_one("#tbl-models", LiveTable).select_key(f"m:{entry.model.name}")
        self.selected = (entry.model.name, entry.versions[-1].version)
        self._show_detail()

    def _version(self) -> ModelVersion | None:
        if self.selected is None:
            return None
        model, number = self.selected
        for entry in self.entries:
            if entry.model.name == model:
                return next((v for v in entry.versions if v.version == number), None)
        return None

    def _show_detail(self) -> None:
        version = self._version()
        panel = self.query_one("#panel-detail", StalePanel)
        body = self.query_one("#version-detail", Static)
        if version is None:
            body.update("Select a version (↑/↓).  n registers a finished job's model.")
            NamedTitle.plain(panel, "Version")
            return
        NamedTitle.set(panel, version.model, "", f" v{version.version}")
        deployments: list[Deployment] = self.mlops.data.get("deployments") or []
        body.update(version_detail(version, deployments))
        if self.mlops.updated.get("registry"):
            panel.mark_updated(self.mlops.updated["registry"])
        serving = [
            d for d in deployments if d.model == version.model and d.version == version.version and d.ready
        ]
        if serving:
            self._load_history(serving[0].name)
        else:
            self.query_one("#recent-requests", Static).update("")

    @work(group="history", exclusive=True)
    async def _load_history(self, name: str) -> None:
        """The deployment's last requests (its server's history), below the version's detail."""
        target = self.query_one("#recent-requests", Static)
        platform = self.mlops.platform
        if platform is None:
            return
        try:
            records = await platform.prediction_history(name, 8)
        except PlatformError as exc:
            target.update(outside(f"\nrecent requests to {name}: {exc}", "dim"))
            return
        target.update(history_text(name, records))

    def action_filter(self) -> None:
        from .filter_prompt import FilterPrompt

        table = self.query_one("#tbl-models", LiveTable)

        def apply(text: str | None) -> None:
            table.set_filter(text or "")

        self.app.push_screen(FilterPrompt(table.filter_text), apply)

    # -- register -------------------------------------------------------------------------------

    def action_register(self) -> None:
        self._register()

    @work(group="register", exclusive=True)
    @guarded("Register a model")
    async def _register(self) -> None:
        from mlops_tui.assistant import workshop as ws

        from .model_forms import RegisterScreen

        platform = self.mlops.require_platform()
        jobs: list[Job] = await platform.list_jobs()
        user = platform.credentials.user
        # the person's own finished jobs first (the form offers the first): in a class the list
        # holds the whole queue, whose outputs an attendee may not register
        finished = sorted(
            (j for j in jobs if j.state == JobState.FINISHED), key=lambda j: not ownership.is_mine(j, user)
        )
        if not finished:
            self.notify("No finished training job yet: train one first (3, then n).", severity="warning")
            return
        registered = {
            v.lineage.job_id: f"{v.model} v{v.version}"
            for e in self.entries
            for v in e.versions
            if v.lineage.job_id
        }
        chosen = next(
            (e.model for e in self.entries if self.selected and e.model.name == self.selected[0]), None
        )
        mine = chosen is not None and ownership.is_mine(chosen, user)
        model = chosen.name if chosen is not None and mine else ws.model_name(user)
        form = await self.app.push_screen_wait(RegisterScreen(finished, model, registered))
        if form is None:
            return
        spec = RegisterSpec(model=form.model, job_id=form.job_id, description=form.description)
        version = await self.call(
            f"register job {form.job_id}", "register_model", lambda: platform.register_model(spec), spec=spec
        )
        self.notify(
            f"Registered {version.model} v{version.version} from job {form.job_id}.", title="Registry"
        )
        self.selected = (version.model, version.version)
        self.mlops.intent = ("version", f"{version.model}:{version.version}")
        self.mlops.refresh_data("registry")

    # -- deploy ---------------------------------------------------------------------------------

    def action_deploy(self) -> None:
        self._deploy()

    @work(group="deploy", exclusive=True)
    @guarded("Deploy a model version")
    async def _deploy(self) -> None:
        from mlops_tui.assistant import workshop as ws

        from .model_forms import DeployScreen

        version = self._version()
        if version is None:
            self.notify("Select a model version first.", severity="warning")
            return
        platform = self.mlops.require_platform()
        name = ws.deployment_name(platform.credentials.user)
        deployments: list[Deployment] = await platform.list_deployments()
        current = next((d for d in deployments if d.name == name), None)
        replaces = ""
        if current is not None:
            if current.model == version.model and current.version == version.version and current.ready:
                self.notify(f"{name} already serves {version.model} v{version.version}.", title="Deploy")
                return
            replaces = f"{name} serves {current.model} v{current.version} now: deploying replaces it."
        form = await self.app.push_screen_wait(DeployScreen(version.model, version.version, name, replaces))
        if form is None:
            return
        existing = next((d for d in deployments if d.name == form.name), None)
        if existing is not None:
            if not self.mlops.require_writable("Replacing a deployment"):
                return
            await self.call(
                f"delete {form.name}",
                "delete_deployment",
                lambda: platform.delete_deployment(form.name),
                name=form.name,
            )
        spec = DeploymentSpec(form.name, version.model, version.version)
        dep = await self.call(
            f"deploy {version.model} v{version.version}",
            "create_deployment",
            lambda: platform.create_deployment(spec),
            spec=spec,
        )
        self.notify(f"{dep.name}: {dep.state}. It serves in a few seconds (see 2 dashboard).", title="Deploy")
        self.mlops.refresh_data("deployments")
        self.mlops.refresh_data("clusters")

    # -- configmap and stage -----------------------------------------------------------------

    def action_configmap(self) -> None:
        self._configmap()

    @work(group="configmap", exclusive=True)
    @guarded("Show the ConfigMap")
    async def _configmap(self) -> None:
        from .dialogs import DetailScreen

        version = self._version()
        if version is None:
            self.notify("Select a model version first.", severity="warning")
            return
        platform = self.mlops.require_platform()
        fetch = getattr(platform, "model_configmap", None)
        if fetch is None:
            self.notify("This platform has no ConfigMap view.", severity="warning")
            return
        cm = await self.call(
            "model ConfigMap",
            "model_configmap",
            lambda: fetch(version.model, version.version),
            model=version.model,
            version=version.version,
        )
        text = configmap_yaml(cm)
        self.app.push_screen(
            DetailScreen(
                f"ConfigMap · {version.model} v{version.version}", text, markup=False, copy_text=text
            )
        )

    def action_stage(self) -> None:
        self._stage()

    @work(group="stage", exclusive=True)
    @guarded("Set the stage")
    async def _stage(self) -> None:
        version = self._version()
        if version is None:
            self.notify("Select a model version first.", severity="warning")
            return
        if not self.mlops.require_writable("Changing a version's stage"):
            return
        platform = self.mlops.require_platform()
        stage = (
            STAGES[(STAGES.index(version.stage) + 1) % len(STAGES)] if version.stage in STAGES else "staging"
        )
        model = next((e.model for e in self.entries if e.model.name == version.model), None)
        user, role = self.mlops.me
        what = f"{version.model} v{version.version}"
        refusal = ownership.attendee_refusal(
            model, user, role, what, "change the stage of their own models only"
        )
        if refusal is not None:  # the platform would refuse it: said at once, no dialog first
            self.notify(refusal, title="Not yours", severity="warning", markup=False)
            return
        other = ownership.others_owner(model, user) if model is not None else None
        whose = f" (of [b]{outside_markup(other)}[/b], not yours)" if other else ""
        question = (
            f"Move [b]{outside_markup(version.model)} v{version.version}[/b]{whose} from "
            f"{outside_markup(version.stage)} to [b]{stage}[/b]? Everyone in the tenant sees the change."
        )
        if not await self.app.push_screen_wait(ConfirmScreen(question, yes=f"Set {stage}")):
            self.notify("Stage left as it was.", timeout=3)
            return
        updated = await self.call(
            f"stage {stage}",
            "set_stage",
            lambda: platform.set_stage(version.model, version.version, stage),
            model=version.model,
            version=version.version,
            stage=stage,
        )
        self.notify(f"{updated.model} v{updated.version} is now {updated.stage}.")
        self.mlops.refresh_data("registry")


def configmap_yaml(cm: dict) -> str:
    """The ConfigMap as YAML-like text (what ``kubectl get cm -o yaml`` shows), without PyYAML."""
    lines: list[str] = []

    def emit(value: object, indent: int) -> None:
        pad = "  " * indent
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, dict):
                    lines.append(f"{pad}{key}:")
                    emit(item, indent + 1)
                else:
                    lines.append(f"{pad}{key}: {json.dumps(item) if isinstance(item, str) else item}")

    emit(cm, 0)
    return "\n".join(lines)
