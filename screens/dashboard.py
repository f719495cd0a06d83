"""The pipeline at a glance: clusters and members, jobs, registry, deployments, prediction latency
and drift (what each deployment is asked, against its model's training data: docs/drift.md).

Everything comes from the app's live link (chained polling); each panel says how fresh it is. The
screen never exits because the platform is away: panels keep their last data, marked stale, and
refill by themselves when it is back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Grid
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from mlops_tui.assistant import workshop as ws
from mlops_tui.live import LatencySample, RegistryEntry
from mlops_tui.services import errors, ownership
from mlops_tui.services.classroom import queue_place
from mlops_tui.services.terminal_text import plain
from mlops_tui.services.types import (
    SHOW_TOKENS_COMMAND,
    Cluster,
    ClusterKind,
    ClusterState,
    Deployment,
    DeploymentDrift,
    Job,
)
from mlops_tui.terminal import Tone, tone_style
from mlops_tui.widgets import drift as drift_text
from mlops_tui.widgets.format import duration, when
from mlops_tui.widgets.panel import StalePanel
from mlops_tui.widgets.plots import LinePlot
from mlops_tui.widgets.safe_text import outside_markup
from mlops_tui.widgets.tables import LiveTable, Row
from mlops_tui.widgets.titles import NamedTitle

from .base import BaseScreen, guarded
from .dialogs import ConfirmScreen

# state -> (tone, weight): the tone's style comes from the terminal (colour, or attributes only)
STATE_TONE: dict[str, tuple[Tone, str]] = {
    "configured": (Tone.OK, ""),
    "finished": (Tone.OK, ""),
    "running": (Tone.BUSY, "bold"),
    "creating": (Tone.BUSY, ""),
    "queued": (Tone.BUSY, ""),
    "updating": (Tone.BUSY, ""),
    "config error": (Tone.FAIL, ""),
    "failed": (Tone.FAIL, ""),
    "cancelled": (Tone.MUTED, ""),
    "deleting": (Tone.MUTED, ""),
    "production": (Tone.OK, "bold"),
    "staging": (Tone.WARN, ""),
    "archived": (Tone.MUTED, ""),
}


def state_style(state: str) -> str:
    """The Rich style of a cluster, job, deployment or stage state on this terminal."""
    tone, weight = STATE_TONE.get(str(state), (None, ""))
    return f"{weight} {tone_style(tone)}".strip() if tone is not None else ""


def state_text(state: str) -> Text:
    return Text(str(state), style=state_style(state))


OPTIONAL_NOT_HERE = "n/a here"  # an optional part (the Lab 2 notebook) this host cannot run


def optional_unavailable(cluster: Cluster) -> bool:
    """A notebook sandbox that could not start: Lab 2 is optional, so this is "not available
    here" (grey), not a failure (red), on the dashboard as in the guide and ``status``."""
    return cluster.kind == ClusterKind.NOTEBOOK and cluster.state == ClusterState.CONFIG_ERROR


def cluster_rows(clusters: list[Cluster]) -> list[Row]:
    rows: list[Row] = []
    for cluster in clusters:
        info = (
            f"{cluster.kind.value} · {len(cluster.members)} member{'s' if len(cluster.members) != 1 else ''}"
        )
        grey = optional_unavailable(cluster)
        state = Text(OPTIONAL_NOT_HERE, style=tone_style(Tone.MUTED)) if grey else state_text(cluster.state)
        if grey:
            info = f"optional: {cluster.message or 'could not start'}"
        rows.append((f"c:{cluster.name}", (Text(cluster.name, style="bold"), state, info)))
        members = cluster.members
        for i, member in enumerate(members):
            branch = "└" if i == len(members) - 1 else "├"
            extra = [f"pid {member.pid}" if member.pid else (member.detail or "")]
            if member.restarts:
                extra.append(f"↻{member.restarts}")
            member_state = (
                Text(OPTIONAL_NOT_HERE, style=tone_style(Tone.MUTED)) if grey else state_text(member.state)
            )
            rows.append(
                (
                    f"m:{cluster.name}/{member.name}",
                    (Text(f" {branch} {member.name}", style="dim"), member_state, " ".join(extra)),
                )
            )
    return rows


def job_rows(jobs: Iterable[Job], now: datetime, user: str = "", *, submitted: bool = False) -> list[Row]:
    """One row per job: ID, STATE, TOOK (a queued job: its place and wait), MAE s, and OWNER ("you"
    for ``user``'s) where the list holds the jobs of several people (a class's queue; an empty owner
    column is left out: ``LiveTable``'s optional columns); with ``submitted``, WHEN it was submitted
    (:func:`when`) after the state (the Training screen's table). A narrower table shows the first
    cells only."""
    jobs = list(jobs)
    several = len(ownership.owners(jobs) | ({user} if user else set())) > 1
    rows: list[Row] = []
    for job in jobs:
        owner = ("you" if job.user == user else job.user) if several and job.user else ""
        if job.started_at is None:
            took = queue_place(job, now, short=True) or "-"  # a queued job: its place and wait
        else:
            took = duration(((job.finished_at or now) - job.started_at).total_seconds())
        mae = job.metrics.get("mae")
        cells = [job.id, state_text(job.state), took, f"{mae:.1f}" if mae is not None else "", owner]
        if submitted:
            cells.insert(2, when(job.submitted_at, now))
        rows.append((job.id, cells))
    return rows


def registry_rows(entries: list[RegistryEntry]) -> list[Row]:
    rows: list[Row] = []
    for entry in entries:
        count = len(entry.versions)
        rows.append(
            (
                f"m:{entry.model.name}",
                (
                    Text(entry.model.name, style="bold"),
                    Text(f"{count} version{'s' * (count != 1)}", style="dim"),
                    "",
                    "",
                ),
            )
        )
        versions = list(reversed(entry.versions))
        for i, version in enumerate(versions):
            branch = "└" if i == len(versions) - 1 else "├"
            mae = version.metrics.get("mae")
            rows.append(
                (
                    f"{version.model}:{version.version}",
                    (
                        Text(f" {branch} v{version.version}", style="dim"),
                        state_text(version.stage),
                        f"{mae:.0f}" if mae is not None else "",  # whole seconds: fits the narrow panel
                        version.lineage.job_id or "",
                    ),
                )
            )
    return rows


def deployment_rows(
    deployments: list[Deployment], drift: dict[str, DeploymentDrift] | None = None
) -> list[Row]:
    """One row per deployment; DRIFT is the highest PSI of its features (``⚠`` past 0.2)."""
    rows: list[Row] = []
    for d in deployments:
        host = d.url.split("://", 1)[-1].split("/", 1)[0] if d.url else ""
        port = ":" + host.rsplit(":", 1)[-1] if ":" in host else host
        restarts = str(d.restarts) if d.restarts else ""
        report = (drift or {}).get(d.name)
        rows.append(
            (d.name, (d.name, state_text(d.state), drift_text.cell(report), f"v{d.version}", restarts, port))
        )
    return rows


class DriftView(Static):
    """The Drift panel's body: one deployment's report, drawn to the panel's size."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("waiting for data", **kwargs)
        self.report: DeploymentDrift | None = None
        self.waiting = "waiting for data"

    def show(self, report: DeploymentDrift | None, waiting: str = "") -> None:
        self.report = report
        self.waiting = waiting or self.waiting
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        if self.report is None:
            self.update(Text(self.waiting, style="dim"))
            return
        width, height = self.size.width or 40, self.size.height or 4
        self.update(drift_text.detail(self.report, width, height))


class DashboardScreen(BaseScreen):
    MODE = "dashboard"
    TITLE_TEXT = "Dashboard"
    CSS_PATH = "dashboard.tcss"
    HELP = (
        "The whole pipeline, live: clusters (with their members), training jobs, registered model "
        "versions, deployments and the latency of a probe prediction (the workshop's example ride, "
        "every few seconds, on the first ready deployment) plus your own predictions.\n"
        "Each panel's bottom border says when its data was last fetched. When the platform goes away "
        "the badge says [b]disconnected, retrying in Ns[/b] and everything refills by itself "
        "when it is back.\n"
        "[b]Drift[/b]: the selected deployment's rides against its training data, a PSI per "
        "feature; past 0.2 the [b]DRIFT[/b] badge (docs/drift.md).\n"
        "[b]enter[/b] opens the selected job, model version or deployment on its screen."
    )
    DESTRUCTIVE_ACTIONS = frozenset({"delete_deployment"})
    BINDINGS = [
        Binding("tab", "focus_next", "Next panel", show=False),
        Binding("slash", "filter", "Filter", key_display="/"),
        Binding("ctrl+d", "delete_deployment", "Delete deployment", tooltip="Delete the selected deployment"),
    ]

    TOPICS = {
        "clusters": "#panel-clusters",
        "jobs": "#panel-jobs",
        "registry": "#panel-registry",
        "deployments": "#panel-deployments",
        "latency": "#panel-latency",
        "drift": "#panel-drift",
    }

    def compose_body(self) -> Iterable[Widget]:
        yield Static("", id="dash-degraded")
        yield Input(placeholder="filter every panel… (enter keeps, esc clears)", id="dash-filter")
        with Grid(id="dash-grid"):
            with StalePanel("Clusters", id="panel-clusters"):
                yield LiveTable("NAME", "STATE", "INFO", id="tbl-clusters", empty="no clusters")
            with StalePanel("Jobs", id="panel-jobs"):
                yield LiveTable(  # narrow, how long a job took gives way before its MAE
                    "ID",
                    "STATE",
                    "TOOK",
                    "MAE s",
                    "OWNER",
                    id="tbl-jobs",
                    empty="no jobs yet (3, then n)",
                    give_way=("TOOK",),
                )
            with StalePanel("Deployments", id="panel-deployments"):
                yield LiveTable(
                    "NAME",
                    "STATE",
                    "DRIFT",
                    "VER",
                    "↻",
                    "PORT",
                    id="tbl-deployments",
                    empty="no deployments yet",
                )
            with StalePanel("Registry", id="panel-registry"):
                yield LiveTable("MODEL", "STAGE", "MAE s", "JOB", id="tbl-registry", empty="no models yet")
            with StalePanel(LATENCY_TITLE, id="panel-latency", stale_after=30):
                yield Static("", id="latency-summary")
                yield LinePlot(empty_text="loading…", id="latency-plot")
            with StalePanel("Drift (PSI)", id="panel-drift", stale_after=30):
                yield DriftView(id="drift-view")

    def on_mount(self) -> None:
        super().on_mount()
        for topic in self.TOPICS:
            self.on_data(topic)
        self.query_one("#tbl-clusters").focus()
        self.mlops.refresh_data("latency")  # the first probe now, not one interval after showing
        self.mlops.refresh_data("drift")

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        for topic in self.TOPICS:
            self.on_data(topic)
        self.mlops.refresh_data("latency")
        self.mlops.refresh_data("drift")

    def _status_changed(self, status: object) -> None:
        super()._status_changed(status)
        self._show_degraded()

    def _show_degraded(self) -> None:
        """The platform's own reasons while ``/health`` says degraded (the badge names the kind)."""
        connection = self.mlops.connection
        banner = self.query_one("#dash-degraded", Static)
        banner.set_class(connection.is_degraded, "-open")
        if connection.is_degraded:
            lead = f"bold {tone_style(Tone.WARN)}"
            banner.update(
                Text("\n").join(
                    Text.assemble(("⚠ the platform is degraded: ", lead), reason)
                    for reason in connection.degraded
                )
            )

    # -- data -----------------------------------------------------------------------------------

    def on_data(self, topic: str) -> None:
        app = self.mlops
        if topic.startswith("error:"):
            topic = topic[6:]
        selector = self.TOPICS.get(topic)
        if selector is None:
            return
        panel = self.query_one(selector, StalePanel)
        error = app.data_errors.get(topic)
        if error is not None:
            panel.mark_failed(failure_label(error))
        if topic == "latency":
            self._show_latency()
            if app.updated.get(topic):
                panel.mark_updated(app.updated[topic])
            return
        value = app.data.get(topic)
        if value is None:
            return
        if error is None and app.updated.get(topic):
            panel.mark_updated(app.updated[topic])
        if topic == "clusters":
            self.query_one("#tbl-clusters", LiveTable).show(cluster_rows(value))
        elif topic == "jobs":
            self.query_one("#tbl-jobs", LiveTable).show(job_rows(value, app.clock(), app.me[0]))
        elif topic == "registry":
            self.query_one("#tbl-registry", LiveTable).show(registry_rows(value))
        elif topic == "deployments":
            self.query_one("#tbl-deployments", LiveTable).show(deployment_rows(value, app.data.get("drift")))
            self._show_drift()
            self._show_latency()
            if not app.latency and app.updated.get(topic):  # "none to ask" is as fresh as this list
                self.query_one("#panel-latency", StalePanel).mark_updated(app.updated[topic])
        elif topic == "drift":
            deployments = app.data.get("deployments")
            if deployments is not None:
                self.query_one("#tbl-deployments", LiveTable).show(deployment_rows(deployments, value))
            self._show_drift()

    @on(DataTable.RowHighlighted, "#tbl-deployments")
    def _deployment_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_drift()

    def _show_drift(self) -> None:
        """The selected deployment's drift, else the first that drifts, else the first measured."""
        deployments: list[Deployment] | None = self.mlops.data.get("deployments")
        listed = {d.name for d in deployments or ()}
        reports = {k: r for k, r in (self.mlops.data.get("drift") or {}).items() if k in listed}
        view = self.query_one("#drift-view", DriftView)
        panel = self.query_one("#panel-drift", StalePanel)
        selected = self.query_one("#tbl-deployments", LiveTable).selected_key
        report = reports.get(selected or "") or next(
            (r for r in reports.values() if r.status == "drift"), next(iter(reports.values()), None)
        )
        if report is not None:
            NamedTitle.set(panel, report.deployment, "Drift (PSI) · ", short="Drift · ")
        else:
            NamedTitle.plain(panel, "Drift (PSI)")
        if report is not None:
            view.show(report)
        elif deployments is None or "drift" not in self.mlops.data:
            view.show(None, "loading…")
        elif not any(d.ready for d in deployments):
            view.show(None, "no deployment serving: deploy a model (4, then d)")
        else:
            view.show(None, "none of the serving deployments is yours to watch")

    def _show_latency(self) -> None:
        deployment, samples = plotted_latency(list(self.mlops.latency))
        summary = self.query_one("#latency-summary", Static)
        plot = self.query_one("#latency-plot", LinePlot)
        panel = self.query_one("#panel-latency", StalePanel)
        if deployment:
            NamedTitle.set(panel, deployment, f"{LATENCY_TITLE} · ", short="Latency · ")
        else:
            NamedTitle.plain(panel, LATENCY_TITLE)
        if not samples:
            summary.update("")
            plot.empty_text = self._latency_waiting()
            plot.plot([])
            return
        values = sorted(s.latency_ms for s in samples)
        p50 = values[len(values) // 2]
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        last = samples[-1]
        summary.update(latency_summary(last.latency_ms, p50, p95, len(values), last.deployment))
        now = self.mlops.clock()
        xs = [-(now - s.at).total_seconds() for s in samples[-120:]]
        ys = [s.latency_ms for s in samples[-120:]]
        plot.xlabel = "seconds ago"
        plot.plot([("latency ms", xs, ys)])

    def _latency_waiting(self) -> str:
        """What the latency panel says before its first sample: loading, or why there is none."""
        deployments: list[Deployment] | None = self.mlops.data.get("deployments")
        if deployments is None:
            return "loading…"
        # the probe asks the person's own deployment (live.py): say which, or that there is none
        own = self.mlops.default_pick(deployments, prefer=lambda d: d.ready)
        if own is not None and own.ready:
            return f"loading: asking {own.name} for the workshop's ride…"
        if own is not None:
            return f"no predictions yet: {own.name} is {own.state}, not serving"
        user, role = self.mlops.me
        if role == "attendee":
            return f"no predictions: there is no deployment {ws.deployment_name(user)} yet; Lab 4 deploys it"
        return "no predictions yet: deploy a model (4, then d)"

    # -- actions --------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#dash-filter", Input)
        box.add_class("-open")
        box.focus()

    @on(Input.Changed, "#dash-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        for table in self.query(LiveTable):
            table.set_filter(event.value)

    @on(Input.Submitted, "#dash-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if not event.value:
            event.input.remove_class("-open")
        self.query_one("#tbl-clusters").focus()

    def action_escape(self) -> None:
        box = self.query_one("#dash-filter", Input)
        if box.has_class("-open") or box.value:
            box.value = ""
            box.remove_class("-open")
            self.query_one("#tbl-clusters").focus()
            return
        super().action_escape()

    @on(DataTable.RowSelected)
    async def _open_row(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value or ""
        table_id = event.data_table.id
        app = self.mlops
        if key == "__empty__":
            return
        if table_id == "tbl-jobs":
            app.intent = ("job", key)
            await app.goto("training")
        elif table_id == "tbl-registry":
            app.intent = ("model", key[2:]) if key.startswith("m:") else ("version", key)
            await app.goto("registry")
        elif table_id == "tbl-deployments":
            app.intent = ("deployment", key)
            await app.goto("predict")
        elif table_id == "tbl-clusters":
            self._cluster_detail(key.split(":", 1)[1].split("/", 1)[0])

    def _cluster_detail(self, name: str) -> None:
        from .dialogs import DetailScreen

        clusters = self.mlops.data.get("clusters") or []
        cluster = next((c for c in clusters if c.name == name), None)
        if cluster is None:
            return
        # Messages and details come from the platform (pod and server output): sanitised, escaped.
        o = outside_markup
        state = f"state [b]{o(cluster.state)}[/b]"
        lines = [f"[b]{o(cluster.name)}[/b]  {cluster.kind.value} ({o(cluster.app)})  {state}"]
        if cluster.message:
            lines.append(f"[{tone_style(Tone.WARN)}]{o(cluster.message)}[/]")
        for member in cluster.members:
            pid = f"pid {member.pid}" if member.pid else ""
            restarts = f"restarts {member.restarts}" if member.restarts else ""
            detail = f"\n      {o(member.detail)}" if member.detail else ""
            lines.append(
                f"  {o(member.name):<18} {o(member.role):<14} {o(member.state):<12} {pid} {restarts}{detail}"
            )
        for endpoint in cluster.endpoints:
            asks = f" (asks for a token: {SHOW_TOKENS_COMMAND})" if endpoint.auth_token else ""
            lines.append(f"  endpoint {o(endpoint.name)}: {o(endpoint.url)}{asks}")
        for role, names in cluster.connections.items():
            lines.append(f"  connected {o(role)}: {o(', '.join(names))}")
        self.app.push_screen(DetailScreen(f"Cluster {cluster.name}", "\n".join(lines)))

    def action_delete_deployment(self) -> None:
        if not self.mlops.require_writable("Deleting a deployment"):
            return
        name = self.query_one("#tbl-deployments", LiveTable).selected_key
        if not name:
            self.notify("Select a deployment first (tab to the Deployments panel).", severity="warning")
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._delete(name)

        dep = next((d for d in self.mlops.data.get("deployments") or [] if d.name == name), None)
        user, role = self.mlops.me
        refusal = ownership.attendee_refusal(dep, user, role, name, "delete only their own deployments")
        if refusal is not None:  # the platform would refuse it: said at once, no dialog first
            self.notify(refusal, title="Not yours", severity="warning", markup=False)
            return
        other = ownership.others_owner(dep, user) if dep is not None else None
        whose = f" of [b]{outside_markup(other)}[/b] (not yours)" if other else ""
        self.app.push_screen(
            ConfirmScreen(
                f"Delete deployment [b]{outside_markup(name)}[/b]{whose}? Its prediction server stops.",
                yes="Delete",
            ),
            confirmed,
        )

    @work(group="dashboard-delete")
    @guarded("Delete deployment")
    async def _delete(self, name: str) -> None:
        platform = self.mlops.require_platform()
        await self.call(
            f"delete deployment {name}",
            "delete_deployment",
            lambda: platform.delete_deployment(name),
            name=name,
        )
        self.notify(f"Deployment {name} deleted.")
        self.mlops.refresh_data()


def failure_label(error: Exception) -> str:
    """A panel's few words for why its data is old."""
    if isinstance(error, errors.Unreachable):
        return "platform unreachable"
    if isinstance(error, errors.SessionExpired | errors.AuthFailed):
        return "not logged in"
    if isinstance(error, errors.DiskFull):
        return "platform disk full"
    message = plain(str(error))
    return message if len(message) <= 40 else message[:39] + "…"


LATENCY_TITLE = "Prediction latency (ms)"


def plotted_latency(samples: list[LatencySample]) -> tuple[str, list[LatencySample]]:
    """The deployment the latency panel plots and its samples, oldest first.

    One deployment at a time, named in the panel's title: the one the probe asks now (its newest
    sample's), else the one of the newest sample (a person's own predictions, probe off). Samples
    of another deployment (one deleted since, or predicted on from the Predict screen) are not
    drawn under its name. ``("", [])`` when there are none."""
    if not samples:
        return "", []
    probes = [s for s in samples if s.source == "probe"]
    deployment = (probes or samples)[-1].deployment
    return deployment, [s for s in samples if s.deployment == deployment]


def latency_summary(last: float, p50: float, p95: float, count: int, deployment: str) -> Text:
    """``last 8.3 ms  p50 8.3  p95 9.1  n 12  mlops-inference-server-x``: labels dim, values plain.

    No style run starts with a blank: SVG screenshots (``ctrl+p`` Screenshot, the docs' PNGs) drop
    a run's leading blanks, which drew "p508.3". Blanks go at the end of the run before."""
    text = Text()
    text.append("last ", "dim")
    text.append(f"{last:.1f} ms  ", "bold")
    for label, value in (("p50", f"{p50:.1f}"), ("p95", f"{p95:.1f}"), ("n", str(count))):
        text.append(f"{label} ", "dim")
        text.append(f"{value}  ")
    text.append(plain(deployment), "dim italic")
    return text
