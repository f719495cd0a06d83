"""The lab steps engine: Labs 1-5 of the workshop as ordered, runnable, verifiable steps.

Shared by ``mlops-tui lab run`` (prints the events) and the TUI's guide (shows them in its chat
panel). A step's ``run`` does the work and yields :class:`StepEvent` s as it goes; its ``verify``
checks the outcome live on the platform, so the guide can tell which step is the first unfinished
one even after a restart. :func:`run_step` wraps ``run`` and adds a ``command`` event for every new
kind of platform call, so the equivalent commands shown are the calls really made.

Steps find what earlier steps produced on the platform itself when the context does not have it
(the latest finished job, the latest model version), so a run can start at any lab.
No Textual here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from mlops_tui.assistant import workshop as ws
from mlops_tui.services.errors import Conflict, NotFound, PlatformError
from mlops_tui.services.platform import Platform
from mlops_tui.services.types import (
    Cluster,
    ClusterKind,
    ClusterSpec,
    ClusterState,
    Deployment,
    DeploymentSpec,
    Job,
    JobSpec,
    JobState,
    ModelVersion,
    Prediction,
    RegisterSpec,
)


class EventKind(StrEnum):
    INFO = "info"  # what is happening
    COMMAND = "command"  # the equivalent shell command of a call just made
    PROGRESS = "progress"  # a state change while waiting (cluster creating, job running)
    LOG = "log"  # a line of a training log
    METRIC = "metric"  # a structured training value (round, metrics) in ``data``
    RESULT = "result"  # the outcome of the step
    WARNING = "warning"  # something optional did not work; the lab goes on


@dataclass(frozen=True)
class StepEvent:
    kind: EventKind
    text: str
    data: dict[str, Any] = field(default_factory=dict)


class CheckState(StrEnum):
    DONE = "done"
    TODO = "todo"
    UNAVAILABLE = "unavailable"  # an optional extra this host cannot do (e.g. no Jupyter)


@dataclass(frozen=True)
class Check:
    """A step's live verification: ``state`` and a one-line ``detail`` for people."""

    state: CheckState
    detail: str

    @property
    def done(self) -> bool:
        return self.state == CheckState.DONE


class StepFailed(PlatformError):
    """A lab step could not be completed; the message says what happened on the platform."""

    hint = "fix the cause and run the step again"


@dataclass
class LabContext:
    """What the steps share. Filled as steps run; missing values are looked up on the platform."""

    user: str
    tenant: str = ""
    data_path: str = ws.DEFAULT_DATA
    train_params: dict[str, str | int | float] = field(default_factory=dict)
    scoring_args: dict[str, Any] = field(default_factory=lambda: dict(ws.EXAMPLE_SCORING_ARGS))
    notebook_timeout_s: float = 45.0
    deploy_timeout_s: float = 60.0
    train_timeout_s: float = 600.0
    poll_s: float = 0.25
    kubeconfig_path: Path | None = None
    job_id: str | None = None
    model_version: int | None = None
    prediction: Prediction | None = None
    notebook_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def notebook(self) -> str:
        return ws.notebook_name(self.user)

    @property
    def model(self) -> str:
        return ws.model_name(self.user)

    @property
    def deployment(self) -> str:
        return ws.deployment_name(self.user)

    @property
    def code_dir(self) -> str:
        return ws.code_dir(self.user)


RunFn = Callable[[Platform, LabContext], AsyncIterator[StepEvent]]
VerifyFn = Callable[[Platform, LabContext], Awaitable[Check]]
CommandsFn = Callable[[Platform, LabContext], list[str]]


@dataclass(frozen=True)
class Step:
    id: str
    lab: int
    title: str
    explanation: str
    run: RunFn
    verify: VerifyFn
    commands: CommandsFn  # the equivalent commands before running (for "show me")
    optional: bool = False


LAB_TITLES = {
    1: "Log in as a tenant user",
    2: "Start a notebook sandbox",
    3: "Train the model on the shared training cluster",
    4: "Register the model and deploy it",
    5: "Ask for predictions",
}


def _ev(kind: EventKind, text: str, **data: Any) -> StepEvent:
    return StepEvent(kind, text, data)


# -- Lab 1 ---------------------------------------------------------------------------------------


async def _run_login(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    yield _ev(EventKind.INFO, f"logging in as {p.credentials.user} in tenant {p.credentials.tenant}")
    session = await p.login()
    ctx.tenant = session.tenant
    expires = session.expires_at.strftime("%Y-%m-%d %H:%M UTC") if session.expires_at else "unknown"
    yield _ev(EventKind.INFO, f"session {session.id}")
    yield _ev(
        EventKind.RESULT,
        f"logged in as {session.user} in tenant {session.tenant} (namespace {session.namespace or '-'}), "
        f"role {session.role}, session expires {expires}",
        session=session,
    )


async def _verify_login(p: Platform, ctx: LabContext) -> Check:
    if p.session is None:
        return Check(CheckState.TODO, "not logged in")
    session = await p.whoami()
    return Check(CheckState.DONE, f"logged in as {session.user} in tenant {session.tenant}")


async def _run_kubeconfig(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    text = await p.kubeconfig()
    if text is None:
        yield _ev(
            EventKind.RESULT,
            f"the {p.kind} platform has no Kubernetes API, so there is no kubeconfig "
            "(on HPE Ezmeral this step saves the tenant's kubeconfig for kubectl)",
        )
        return
    path = ctx.kubeconfig_path or _default_kubeconfig_path()
    await asyncio.to_thread(_write_private, path, text)
    yield _ev(EventKind.RESULT, f"kubeconfig saved to {path} ({len(text)} bytes)", path=str(path))


def _default_kubeconfig_path() -> Path:
    from mlops_tui import config

    return config.config_dir() / "kubeconfig"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)


async def _verify_kubeconfig(p: Platform, ctx: LabContext) -> Check:
    if p.kind == "local":
        return Check(CheckState.DONE, "the local platform needs no kubeconfig")
    path = ctx.kubeconfig_path or _default_kubeconfig_path()
    if path.exists():
        return Check(CheckState.DONE, f"kubeconfig at {path}")
    return Check(CheckState.TODO, "no kubeconfig saved yet")


# -- Lab 2 ---------------------------------------------------------------------------------------


async def _wait_cluster(
    p: Platform, name: str, timeout: float, poll: float
) -> AsyncIterator[StepEvent | Cluster]:
    """Yield progress events while ``name`` is creating, then the final cluster (or the last seen)."""
    deadline = time.monotonic() + timeout
    last_state = None
    while True:
        cluster = await p.get_cluster(name)
        if cluster.state != last_state:
            last_state = cluster.state
            yield _ev(EventKind.PROGRESS, f"{name}: {cluster.state}", state=str(cluster.state))
        if cluster.state not in (ClusterState.CREATING, ClusterState.UPDATING) or time.monotonic() > deadline:
            yield cluster
            return
        await asyncio.sleep(poll)


def _endpoint_url(cluster: Cluster) -> str | None:
    for endpoint in cluster.endpoints:
        if endpoint.url:
            return endpoint.url
    return None


async def _run_notebook(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    spec = ClusterSpec(
        name=ctx.notebook, kind=ClusterKind.NOTEBOOK, connections={"clusters": [ws.TRAINING_CLUSTER]}
    )
    try:
        existing = await p.get_cluster(ctx.notebook)
    except NotFound:
        existing = None
    if existing is not None and existing.state == ClusterState.CONFIG_ERROR:
        yield _ev(EventKind.INFO, f"{ctx.notebook} exists in 'config error'; re-creating it")
        await p.delete_cluster(ctx.notebook)
        existing = None
    if existing is None:
        try:
            await p.create_cluster(spec)
            yield _ev(EventKind.INFO, f"notebook cluster {ctx.notebook} requested")
        except Conflict:
            yield _ev(EventKind.INFO, f"{ctx.notebook} already exists")
    else:
        yield _ev(EventKind.INFO, f"{ctx.notebook} already exists ({existing.state})")
    cluster: Cluster | None = None
    async for item in _wait_cluster(p, ctx.notebook, ctx.notebook_timeout_s, ctx.poll_s):
        if isinstance(item, StepEvent):
            yield item
        else:
            cluster = item
    assert cluster is not None
    if cluster.state == ClusterState.CONFIGURED:
        ctx.notebook_url = _endpoint_url(cluster)
        yield _ev(
            EventKind.RESULT,
            f"notebook {cluster.name} is configured: open {ctx.notebook_url or '(no endpoint)'}",
            url=ctx.notebook_url,
        )
    elif cluster.state == ClusterState.CONFIG_ERROR:
        yield _ev(
            EventKind.WARNING,
            f"notebook {cluster.name} could not start: {cluster.message or 'config error'} "
            "(optional: the labs go on without it)",
            optional=True,
        )
    else:
        yield _ev(
            EventKind.WARNING,
            f"notebook {cluster.name} is still {cluster.state} after {ctx.notebook_timeout_s:.0f} s; "
            "the labs go on (check it later with: mlops-tui status)",
            optional=True,
        )


async def _verify_notebook(p: Platform, ctx: LabContext) -> Check:
    try:
        cluster = await p.get_cluster(ctx.notebook)
    except NotFound:
        return Check(CheckState.TODO, f"no notebook cluster {ctx.notebook}")
    if cluster.state == ClusterState.CONFIGURED:
        return Check(CheckState.DONE, f"{cluster.name} configured at {_endpoint_url(cluster) or '-'}")
    if cluster.state == ClusterState.CONFIG_ERROR:
        return Check(CheckState.UNAVAILABLE, cluster.message or f"{cluster.name}: config error")
    return Check(CheckState.TODO, f"{cluster.name} is {cluster.state}")


async def _run_training_cluster(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    cluster = await p.get_cluster(ws.TRAINING_CLUSTER)
    members = ", ".join(f"{m.name} ({m.state})" for m in cluster.members) or "no members"
    if cluster.state != ClusterState.CONFIGURED:
        raise StepFailed(
            f"the training cluster {cluster.name} is {cluster.state}: {cluster.message or members}"
        )
    yield _ev(EventKind.RESULT, f"training cluster {cluster.name} is configured: {members}")


async def _verify_training_cluster(p: Platform, ctx: LabContext) -> Check:
    try:
        cluster = await p.get_cluster(ws.TRAINING_CLUSTER)
    except NotFound:
        return Check(CheckState.TODO, f"no training cluster {ws.TRAINING_CLUSTER}")
    state = CheckState.DONE if cluster.ready else CheckState.TODO
    return Check(state, f"{cluster.name} is {cluster.state}")


# -- Lab 3 ---------------------------------------------------------------------------------------


def lab_code_files() -> list[Path]:
    """The files of ``mlops_tui.lab_scripts`` shipped to the training cluster (*.py and zones.csv)."""
    spec = find_spec("mlops_tui.lab_scripts")
    if spec is None or not spec.submodule_search_locations:
        raise StepFailed("the lab code package mlops_tui.lab_scripts is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    files: set[Path] = set()
    for pattern in ws.LAB_CODE_PATTERNS:
        files.update(f for f in root.glob(pattern) if f.is_file())
    return sorted(files)


async def _run_upload(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    files = await asyncio.to_thread(lab_code_files)
    total = 0
    for f in files:
        content = await asyncio.to_thread(f.read_bytes)
        await p.upload_repo(f"{ctx.code_dir}/{f.name}", content)
        total += len(content)
    yield _ev(
        EventKind.RESULT,
        f"uploaded {len(files)} files ({total / 1024:.0f} KiB) to {ctx.code_dir}/: "
        + ", ".join(f.name for f in files),
    )


async def _verify_upload(p: Platform, ctx: LabContext) -> Check:
    local = {f.name: f.stat().st_size for f in await asyncio.to_thread(lab_code_files)}
    remote = {
        e.path.rsplit("/", 1)[-1]: e.size for e in await p.list_repo(ctx.code_dir + "/") if not e.is_dir
    }
    missing = [n for n, size in local.items() if remote.get(n) != size]
    if missing:
        return Check(CheckState.TODO, f"{len(missing)} of {len(local)} files not in {ctx.code_dir}/")
    return Check(CheckState.DONE, f"{len(local)} files in {ctx.code_dir}/")


async def _run_check_data(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    folder = ctx.data_path.rsplit("/", 1)[0] + "/"
    entries = {e.path: e for e in await p.list_repo(folder)}
    entry = entries.get(ctx.data_path)
    if entry is None:
        have = ", ".join(sorted(e for e in entries if not entries[e].is_dir)) or "nothing"
        raise StepFailed(
            f"the training data {ctx.data_path} is not in the project repository (found: {have})"
        )
    synthetic = "synthetic" in ctx.data_path or any("README" in e and "synthetic" in e for e in entries)
    note = " — a SYNTHETIC data set in the 2019 TLC layout (see its README)" if synthetic else ""
    yield _ev(EventKind.RESULT, f"{ctx.data_path} is there ({entry.size / 1e6:.1f} MB){note}")


async def _verify_check_data(p: Platform, ctx: LabContext) -> Check:
    folder = ctx.data_path.rsplit("/", 1)[0] + "/"
    if any(e.path == ctx.data_path for e in await p.list_repo(folder)):
        return Check(CheckState.DONE, f"{ctx.data_path} present")
    return Check(CheckState.TODO, f"{ctx.data_path} missing")


def _job_spec(ctx: LabContext) -> JobSpec:
    return JobSpec(
        cluster=ws.TRAINING_CLUSTER,
        code=ctx.code_dir,
        data=ctx.data_path,
        output=ws.models_dir(ctx.user),
        entrypoint="train",
        params=dict(ctx.train_params),
        name=f"taxi-{ws.dns_name(ctx.user)}",
    )


def _parse_structured(line: str) -> dict[str, Any] | None:
    if not line.startswith("@@mlops "):
        return None
    import json

    try:
        data = json.loads(line[len("@@mlops ") :])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _describe_structured(data: dict[str, Any]) -> str:
    kind = data.get("type")
    if kind == "round":
        parts = [f"{k} {v:.1f}" for k, v in data.items() if k.endswith("rmse") and isinstance(v, int | float)]
        return f"round {data.get('round')}: " + ", ".join(parts)
    if kind == "progress":
        return f"{data.get('stage', '')} {data.get('pct', '')}%".strip()
    if kind == "data":
        synth = " (synthetic)" if data.get("synthetic") else ""
        return f"data: {data.get('used_rows', data.get('rows'))} rides used of {data.get('rows')}{synth}"
    if kind == "metrics":
        return "metrics: " + format_metrics(data, ())
    if kind == "artifact":
        return f"model bundle written: {data.get('path')}"
    return " ".join(f"{k}={v}" for k, v in data.items())


MAIN_METRICS = ("rmse", "mae", "r2", "rmsle", "baseline_mae")


def format_metrics(metrics: dict[str, Any], keys: tuple[str, ...] = MAIN_METRICS) -> str:
    """``rmse 289.2, mae 172.4, r2 0.857`` for the given keys that are present (all when empty)."""
    chosen = (
        [k for k in keys if k in metrics] if keys else [k for k in metrics if k not in ("type", "job_id")]
    )
    out = []
    for k in chosen:
        v = metrics[k]
        if isinstance(v, float):
            out.append(f"{k} {v:.3f}" if abs(v) < 10 else f"{k} {v:.1f}")
        else:
            out.append(f"{k} {v}")
    return ", ".join(out)


async def _run_train(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    job = await p.submit_job(_job_spec(ctx))
    ctx.job_id = job.id
    yield _ev(EventKind.INFO, f"job {job.id} submitted to {job.cluster} ({job.state}); following its log")
    tail: list[str] = []
    async for line in p.follow_log(job.id):
        tail = [*tail[-19:], line]
        data = _parse_structured(line)
        if data is None:
            yield _ev(EventKind.LOG, line)
        else:
            kind = EventKind.PROGRESS if data.get("type") == "progress" else EventKind.METRIC
            yield _ev(kind, _describe_structured(data), **data)
    deadline = time.monotonic() + ctx.train_timeout_s
    job = await p.get_job(job.id)
    while not job.state.is_final and time.monotonic() < deadline:
        await asyncio.sleep(ctx.poll_s)
        job = await p.get_job(job.id)
    if job.state != JobState.FINISHED:
        last = " | ".join(line for line in tail[-3:] if line.strip())
        raise StepFailed(
            f"training job {job.id} {job.state}"
            + (f" (exit {job.exit_code})" if job.exit_code is not None else "")
            + f": {job.message or last or 'see its log'}"
        )
    metrics = await p.job_metrics(job.id)
    duration = f" in {job.duration_s:.1f} s" if job.duration_s is not None else ""
    yield _ev(
        EventKind.RESULT,
        f"job {job.id} finished{duration}; model bundle in {job.output or '-'}; "
        f"metrics: {format_metrics(metrics.final or job.metrics)}",
        job=job,
        metrics=metrics.final or job.metrics,
    )


async def latest_job(p: Platform, ctx: LabContext) -> Job | None:
    """The newest finished training job of this user's lab code."""
    for job in await p.list_jobs():  # newest first
        if job.state == JobState.FINISHED and job.code.rstrip("/") == ctx.code_dir:
            return job
    return None


async def _verify_train(p: Platform, ctx: LabContext) -> Check:
    job = await latest_job(p, ctx)
    if job is None:
        return Check(CheckState.TODO, f"no finished training job of {ctx.code_dir}")
    ctx.job_id = ctx.job_id or job.id
    return Check(CheckState.DONE, f"job {job.id} finished ({format_metrics(job.metrics) or 'no metrics'})")


# -- Lab 4 ---------------------------------------------------------------------------------------


async def _versions(p: Platform, model: str) -> list[ModelVersion]:
    try:
        return await p.list_versions(model)
    except NotFound:
        return []


def _configmap_text(cm: dict[str, Any]) -> str:
    meta = cm.get("metadata", {})
    lines = [
        f"apiVersion: {cm.get('apiVersion', 'v1')}",
        f"kind: {cm.get('kind', 'ConfigMap')}",
        "metadata:",
        f"  name: {meta.get('name', '')}",
    ]
    labels = meta.get("labels") or {}
    if labels:
        lines.append("  labels:")
        lines += [f"    {k}: {v!r}" if isinstance(v, str) else f"    {k}: {v}" for k, v in labels.items()]
    lines.append("data:")
    lines += [f"  {k}: {v!r}" for k, v in (cm.get("data") or {}).items()]
    return "\n".join(lines)


async def _run_register(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    job_id = ctx.job_id
    if job_id is None:
        job = await latest_job(p, ctx)
        if job is None:
            raise StepFailed("there is no finished training job to register: run Lab 3 first")
        job_id = job.id
    existing = [v for v in await _versions(p, ctx.model) if v.lineage.job_id == job_id]
    if existing:
        version = existing[-1]
        yield _ev(EventKind.INFO, f"job {job_id} is already registered as {ctx.model} v{version.version}")
    else:
        spec = RegisterSpec(
            model=ctx.model,
            job_id=job_id,
            description=f"NYC taxi ride duration, XGBoost, trained by job {job_id}",
        )
        version = await p.register_model(spec)
    ctx.model_version = version.version
    lineage = version.lineage
    yield _ev(
        EventKind.RESULT,
        f"registered {version.model} version {version.version} ({version.stage}): bundle {version.path}, "
        f"scoring {version.scoring_path}, {len(version.checksums)} checksums; lineage: job {lineage.job_id}, "
        f"data {lineage.data} ({lineage.data_fingerprint[:19] or '-'}), code {lineage.code}",
        version=version,
    )
    configmap = getattr(p, "model_configmap", None)
    if configmap is not None:
        cm = await configmap(version.model, version.version)
        yield _ev(EventKind.INFO, "as the workshop's model ConfigMap:\n" + _configmap_text(cm), configmap=cm)


async def _latest_version(p: Platform, ctx: LabContext) -> ModelVersion | None:
    versions = await _versions(p, ctx.model)
    return max(versions, key=lambda v: v.version) if versions else None


async def _verify_register(p: Platform, ctx: LabContext) -> Check:
    version = await _latest_version(p, ctx)
    if version is None:
        return Check(CheckState.TODO, f"no version of {ctx.model} registered")
    ctx.model_version = ctx.model_version or version.version
    return Check(CheckState.DONE, f"{ctx.model} v{version.version} registered (job {version.lineage.job_id})")


async def _wait_deployment(
    p: Platform, name: str, timeout: float, poll: float
) -> AsyncIterator[StepEvent | Deployment]:
    deadline = time.monotonic() + timeout
    last_state = None
    while True:
        dep = await p.get_deployment(name)
        if dep.state != last_state:
            last_state = dep.state
            yield _ev(EventKind.PROGRESS, f"{name}: {dep.state}", state=str(dep.state))
        if dep.state not in (ClusterState.CREATING, ClusterState.UPDATING) or time.monotonic() > deadline:
            yield dep
            return
        await asyncio.sleep(poll)


async def _run_deploy(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    if ctx.model_version is None:
        latest = await _latest_version(p, ctx)
        if latest is None:
            raise StepFailed(f"{ctx.model} has no registered version: run the register step first")
        ctx.model_version = latest.version
    try:
        current: Deployment | None = await p.get_deployment(ctx.deployment)
    except NotFound:
        current = None
    if current is not None and (
        current.model != ctx.model or current.version != ctx.model_version or current.state == "config error"
    ):
        yield _ev(
            EventKind.INFO,
            f"{ctx.deployment} serves {current.model} v{current.version} ({current.state}); "
            f"replacing it with v{ctx.model_version}",
        )
        await p.delete_deployment(ctx.deployment)
        current = None
    if current is None:
        await p.create_deployment(DeploymentSpec(ctx.deployment, ctx.model, ctx.model_version))
        yield _ev(
            EventKind.INFO, f"deployment {ctx.deployment} of {ctx.model} v{ctx.model_version} requested"
        )
    dep: Deployment | None = None
    async for item in _wait_deployment(p, ctx.deployment, ctx.deploy_timeout_s, ctx.poll_s):
        if isinstance(item, StepEvent):
            yield item
        else:
            dep = item
    assert dep is not None
    if not dep.ready:
        raise StepFailed(f"deployment {dep.name} is {dep.state}: {dep.message or 'see the platform log'}")
    yield _ev(
        EventKind.RESULT,
        f"{dep.name} is configured: serving {dep.model} v{dep.version} at {dep.url} (X-Auth-Token required)",
        deployment=dep,
    )


async def _verify_deploy(p: Platform, ctx: LabContext) -> Check:
    try:
        dep = await p.get_deployment(ctx.deployment)
    except NotFound:
        return Check(CheckState.TODO, f"no deployment {ctx.deployment}")
    state = CheckState.DONE if dep.ready else CheckState.TODO
    return Check(state, f"{dep.name} ({dep.model} v{dep.version}) is {dep.state}")


# -- Lab 5 ---------------------------------------------------------------------------------------


async def _run_predict(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    yield _ev(EventKind.INFO, f"the workshop's ride: {ws.EXAMPLE_RIDE_TEXT}")
    prediction = await p.predict(ctx.deployment, [ctx.scoring_args])
    ctx.prediction = prediction
    for warning in prediction.warnings:
        yield _ev(EventKind.WARNING, warning)
    curl = runnable_predict_curl(p, ctx)
    yield _ev(
        EventKind.RESULT,
        f"predicted travel time: {ws.format_seconds(prediction.value)} ({prediction.value:.1f} s), "
        f"latency {prediction.latency_ms:.1f} ms",
        prediction=prediction,
        curl=curl,
    )


def runnable_predict_curl(p: Platform, ctx: LabContext) -> str:
    """The Lab 5 prediction as a curl that runs as pasted (real URL and token)."""
    try:
        return p.equivalent("predict", deployment=ctx.deployment, records=[ctx.scoring_args], reveal=True)
    except TypeError:  # an adapter without ``reveal``
        return p.equivalent("predict", deployment=ctx.deployment, records=[ctx.scoring_args])


async def _verify_predict(p: Platform, ctx: LabContext) -> Check:
    try:
        dep = await p.get_deployment(ctx.deployment)
    except NotFound:
        return Check(CheckState.TODO, f"no deployment {ctx.deployment} to ask")
    if not dep.ready:
        return Check(CheckState.TODO, f"{dep.name} is {dep.state}")
    prediction = await p.predict(ctx.deployment, [ctx.scoring_args])
    ctx.prediction = prediction
    return Check(CheckState.DONE, f"{dep.name} answers: {ws.format_seconds(prediction.value)}")


# -- the step list -------------------------------------------------------------------------------


def _cmds(*calls: tuple[str, dict[str, Any]]) -> CommandsFn:
    def commands(p: Platform, ctx: LabContext) -> list[str]:
        out = []
        for op, params in calls:
            resolved = {k: (v(ctx) if callable(v) else v) for k, v in params.items()}
            out.append(p.equivalent(op, **resolved))
        return out

    return commands


STEPS: tuple[Step, ...] = (
    Step(
        "login",
        1,
        "Log in to the platform",
        "Create a REST session: POST /api/v2/session with your user name, password and tenant. The "
        "session is the Location header of the 201 answer; every later call sends it as X-BDS-SESSION.",
        _run_login,
        _verify_login,
        _cmds(("login", {}), ("whoami", {})),
    ),
    Step(
        "kubeconfig",
        1,
        "Fetch the tenant kubeconfig",
        "On HPE Ezmeral, GET /api/v2/k8skubeconfig returns a kubeconfig for kubectl in your tenant. "
        "The local platform has no Kubernetes API, so there the step only says so.",
        _run_kubeconfig,
        _verify_kubeconfig,
        _cmds(("kubeconfig", {})),
    ),
    Step(
        "notebook",
        2,
        "Create your notebook cluster",
        "A Jupyter notebook sandbox (KubeDirector app jupyter-notebook) connected to the shared training "
        "cluster. Optional here: without Jupyter installed it reports a config error and the labs go on.",
        _run_notebook,
        _verify_notebook,
        _cmds(
            (
                "create_cluster",
                {
                    "spec": lambda c: ClusterSpec(
                        c.notebook, ClusterKind.NOTEBOOK, connections={"clusters": [ws.TRAINING_CLUSTER]}
                    )
                },
            ),
            ("get_cluster", {"name": lambda c: c.notebook}),
        ),
        optional=True,
    ),
    Step(
        "training-cluster",
        2,
        "Check the shared training cluster",
        f"Training runs on {ws.TRAINING_CLUSTER} (KubeDirector app training-engine: a LoadBalancer and "
        "RESTServer members), shared by the tenant. It must be configured.",
        _run_training_cluster,
        _verify_training_cluster,
        _cmds(("get_cluster", {"name": ws.TRAINING_CLUSTER})),
    ),
    Step(
        "upload-code",
        3,
        "Upload the training code",
        "Copy the lab's taxi package (features, training and scoring code, zone table) to "
        "code/<user>/taxi/ in the tenant's project repository, where the training cluster reads it.",
        _run_upload,
        _verify_upload,
        _cmds(("upload_repo", {"path": lambda c: f"{c.code_dir}/train.py", "source": "train.py"})),
    ),
    Step(
        "check-data",
        3,
        "Check the training data",
        "The NYC yellow-cab rides of January-June 2019 sit in data/NYCTaxi/ of the project repository.",
        _run_check_data,
        _verify_check_data,
        _cmds(("list_repo", {"prefix": ws.DATA_DIR + "/"})),
    ),
    Step(
        "train",
        3,
        "Train the model",
        "Submit the training job to the shared training cluster and follow its log live: XGBoost on an "
        "80/20 split, per-round RMSE, then MAE, RMSE, R² and RMSLE on the test set. The model bundle "
        "lands in models/<user>/job-<id>/.",
        _run_train,
        _verify_train,
        _cmds(
            ("submit_job", {"spec": _job_spec}),
            ("follow_log", {"job_id": lambda c: c.job_id or "ID"}),
            ("job_metrics", {"job_id": lambda c: c.job_id or "ID"}),
        ),
    ),
    Step(
        "register",
        4,
        "Register the model",
        "Add a version of mlops-model-<user> to the model registry from the training job: the bundle's "
        "checksums, its metrics and lineage (job, data, code). On Ezmeral this is a ConfigMap labelled "
        "kubedirector.hpe.com/cmType: model.",
        _run_register,
        _verify_register,
        _cmds(
            ("register_model", {"spec": lambda c: RegisterSpec(c.model, c.job_id or "ID")}),
            ("model_configmap", {"model": lambda c: c.model, "version": lambda c: c.model_version or 1}),
        ),
    ),
    Step(
        "deploy",
        4,
        "Deploy the model",
        "Create the deployment engine mlops-inference-server-<user> serving the registered version "
        "(KubeDirector app deployment-engine); wait until it is configured.",
        _run_deploy,
        _verify_deploy,
        _cmds(
            (
                "create_deployment",
                {"spec": lambda c: DeploymentSpec(c.deployment, c.model, c.model_version or 1)},
            ),
            ("get_deployment", {"name": lambda c: c.deployment}),
        ),
    ),
    Step(
        "predict",
        5,
        "Predict a ride's travel time",
        "POST the workshop's ride to the deployment's URL with its X-Auth-Token and the body "
        '{"use_scoring": true, "scoring_args": {...}}; the answer is the travel time in seconds.',
        _run_predict,
        _verify_predict,
        _cmds(("predict", {"deployment": lambda c: c.deployment, "records": lambda c: [c.scoring_args]})),
    ),
)


def steps(from_lab: int = 1) -> list[Step]:
    """The steps from ``from_lab`` on; login always comes first (every later step needs a session)."""
    if not 1 <= from_lab <= 5:
        raise ValueError("labs are numbered 1 to 5")
    chosen = [s for s in STEPS if s.lab >= from_lab]
    if from_lab > 1:
        chosen.insert(0, STEPS[0])
    return chosen


def step_rows() -> list[tuple[str, int, str]]:
    """``(id, lab, title)`` rows (what the guide's command matcher takes)."""
    return [(s.id, s.lab, s.title) for s in STEPS]


def get_step(step_id: str) -> Step:
    for s in STEPS:
        if s.id == step_id:
            return s
    raise KeyError(step_id)


async def run_step(step: Step, p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    """Run ``step``; before each of its events, a ``command`` event for each new kind of call made."""
    seen_ops: set[str] = set()
    start = len(p.calls)
    base = p.calls[-1] if p.calls else None

    def new_commands() -> list[StepEvent]:
        nonlocal start, base
        calls = p.calls
        # The history is bounded: find where we stopped by identity when it has rotated.
        if base is not None and (start > len(calls) or (start and calls[start - 1] is not base)):
            start = next((i + 1 for i, c in enumerate(calls) if c is base), 0)
        fresh = calls[start:]
        start = len(calls)
        base = calls[-1] if calls else None
        out = []
        for call in fresh:
            if call.op in seen_ops:
                continue
            seen_ops.add(call.op)
            out.append(_ev(EventKind.COMMAND, call.command, op=call.op, status=call.status))
        return out

    async for event in step.run(p, ctx):
        for command in new_commands():
            yield command
        yield event
    for command in new_commands():
        yield command


async def verify_all(p: Platform, ctx: LabContext) -> list[tuple[Step, Check]]:
    """Every step's live check, in order (an error counts as "todo" with its message)."""
    out = []
    for step in STEPS:
        try:
            check = await step.verify(p, ctx)
        except PlatformError as exc:
            check = Check(CheckState.TODO, str(exc))
        out.append((step, check))
    return out


async def first_unfinished(p: Platform, ctx: LabContext) -> Step | None:
    """The first step whose live check is not done (optional steps that cannot run are passed)."""
    for step in STEPS:
        try:
            check = await step.verify(p, ctx)
        except PlatformError:
            return step
        if check.state == CheckState.TODO:
            return step
    return None
