"""Lab 4 and 5 steps: register the trained model, deploy it, and ask the deployment for a prediction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from mlops_tui.assistant import workshop as ws
from mlops_tui.assistant.lab_training import latest_job
from mlops_tui.assistant.steps import (
    Check,
    CheckState,
    EventKind,
    LabContext,
    Step,
    StepEvent,
    StepFailed,
    equivalent_commands,
    event,
    wait_settled,
)
from mlops_tui.services.errors import NotFound
from mlops_tui.services.platform import Platform
from mlops_tui.services.types import Deployment, DeploymentSpec, ModelVersion, RegisterSpec

# -- Lab 4 ---------------------------------------------------------------------------------------


async def _versions(p: Platform, model: str) -> list[ModelVersion]:
    try:
        return await p.list_versions(model)
    except NotFound:
        return []


def _yaml_scalar(value: Any) -> str:
    """A ConfigMap value as YAML reads it back: a string in double quotes with JSON escapes (YAML
    1.2 §7.3.1: a JSON string is a YAML double-quoted scalar), where a Python repr would give
    single quotes in which YAML takes ``\\n`` literally."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else str(value)


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
        lines += [f"    {k}: {_yaml_scalar(v)}" for k, v in labels.items()]
    lines.append("data:")
    lines += [f"  {k}: {_yaml_scalar(v)}" for k, v in (cm.get("data") or {}).items()]
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
        yield event(EventKind.INFO, f"job {job_id} is already registered as {ctx.model} v{version.version}")
    else:
        spec = RegisterSpec(
            model=ctx.model,
            job_id=job_id,
            description=f"NYC taxi ride duration, XGBoost, trained by job {job_id}",
        )
        version = await p.register_model(spec)
    ctx.model_version = version.version
    lineage = version.lineage
    yield event(
        EventKind.RESULT,
        f"registered {version.model} version {version.version} ({version.stage}): bundle {version.path}, "
        f"scoring {version.scoring_path}, {len(version.checksums)} checksums; lineage: job {lineage.job_id}, "
        f"data {lineage.data} ({lineage.data_fingerprint[:19] or '-'}), code {lineage.code}",
        version=version,
    )
    configmap = getattr(p, "model_configmap", None)
    if configmap is not None:
        cm = await configmap(version.model, version.version)
        yield event(
            EventKind.INFO, "as the workshop's model ConfigMap:\n" + _configmap_text(cm), configmap=cm
        )


async def _latest_version(p: Platform, ctx: LabContext) -> ModelVersion | None:
    versions = await _versions(p, ctx.model)
    return max(versions, key=lambda v: v.version) if versions else None


async def _verify_register(p: Platform, ctx: LabContext) -> Check:
    version = await _latest_version(p, ctx)
    if version is None:
        return Check(CheckState.PENDING, f"no version of {ctx.model} registered")
    ctx.model_version = ctx.model_version or version.version
    return Check(CheckState.DONE, f"{ctx.model} v{version.version} registered (job {version.lineage.job_id})")


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
        yield event(
            EventKind.INFO,
            f"{ctx.deployment} serves {current.model} v{current.version} ({current.state}); "
            f"replacing it with v{ctx.model_version}",
        )
        await p.delete_deployment(ctx.deployment)
        current = None
    if current is None:
        await p.create_deployment(DeploymentSpec(ctx.deployment, ctx.model, ctx.model_version))
        yield event(
            EventKind.INFO, f"deployment {ctx.deployment} of {ctx.model} v{ctx.model_version} requested"
        )
    dep: Deployment | None = None
    async for item in wait_settled(p.get_deployment, ctx.deployment, ctx.deploy_timeout_s, ctx.poll_s):
        if isinstance(item, StepEvent):
            yield item
        else:
            dep = item
    assert dep is not None
    if not dep.ready:
        raise StepFailed(f"deployment {dep.name} is {dep.state}: {dep.message or 'see the platform log'}")
    yield event(
        EventKind.RESULT,
        f"{dep.name} is configured: serving {dep.model} v{dep.version} at {dep.url} (X-Auth-Token required)",
        deployment=dep,
    )


async def _verify_deploy(p: Platform, ctx: LabContext) -> Check:
    try:
        dep = await p.get_deployment(ctx.deployment)
    except NotFound:
        return Check(CheckState.PENDING, f"no deployment {ctx.deployment}")
    state = CheckState.DONE if dep.ready else CheckState.PENDING
    return Check(state, f"{dep.name} ({dep.model} v{dep.version}) is {dep.state}")


# -- Lab 5 ---------------------------------------------------------------------------------------


async def _run_predict(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    yield event(EventKind.INFO, f"the workshop's ride: {ws.EXAMPLE_RIDE_TEXT}")
    prediction = await p.predict(ctx.deployment, [ctx.scoring_args])
    ctx.prediction = prediction
    for warning in prediction.warnings:
        yield event(EventKind.WARNING, warning)
    curl = runnable_predict_curl(p, ctx)
    yield event(
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
        return Check(CheckState.PENDING, f"no deployment {ctx.deployment} to ask")
    if not dep.ready:
        return Check(CheckState.PENDING, f"{dep.name} is {dep.state}")
    prediction = await p.predict(ctx.deployment, [ctx.scoring_args])
    ctx.prediction = prediction
    return Check(CheckState.DONE, f"{dep.name} answers: {ws.format_seconds(prediction.value)}")


STEPS: tuple[Step, ...] = (
    Step(
        "register",
        4,
        "Register the model",
        "Add a version of mlops-model-<user> to the model registry from the training job: the bundle's "
        "checksums, its metrics and lineage (job, data, code). On Ezmeral this is a ConfigMap labelled "
        "kubedirector.hpe.com/cmType: model.",
        _run_register,
        _verify_register,
        equivalent_commands(
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
        equivalent_commands(
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
        equivalent_commands(
            ("predict", {"deployment": lambda c: c.deployment, "records": lambda c: [c.scoring_args]})
        ),
    ),
)
