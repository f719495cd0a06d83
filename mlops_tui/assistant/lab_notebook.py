"""Lab 2 steps: the optional notebook sandbox and the shared training cluster it connects to."""

from __future__ import annotations

from collections.abc import AsyncIterator

from mlops_tui.assistant import workshop as ws
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
from mlops_tui.services.errors import Conflict, NotFound
from mlops_tui.services.platform import Platform
from mlops_tui.services.types import (
    SHOW_TOKENS_COMMAND,
    Cluster,
    ClusterKind,
    ClusterSpec,
    ClusterState,
)


def _notebook_spec(ctx: LabContext) -> ClusterSpec:
    return ClusterSpec(
        name=ctx.notebook, kind=ClusterKind.NOTEBOOK, connections={"clusters": [ws.TRAINING_CLUSTER]}
    )


def _endpoint_url(cluster: Cluster) -> str | None:
    for endpoint in cluster.endpoints:
        if endpoint.url:
            return endpoint.url
    return None


async def _run_notebook(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    try:
        existing = await p.get_cluster(ctx.notebook)
    except NotFound:
        existing = None
    if existing is not None and existing.state == ClusterState.CONFIG_ERROR:
        yield event(EventKind.INFO, f"{ctx.notebook} exists in 'config error'; re-creating it")
        await p.delete_cluster(ctx.notebook)
        existing = None
    if existing is None:
        try:
            await p.create_cluster(_notebook_spec(ctx))
            yield event(EventKind.INFO, f"notebook cluster {ctx.notebook} requested")
        except Conflict:
            yield event(EventKind.INFO, f"{ctx.notebook} already exists")
    else:
        yield event(EventKind.INFO, f"{ctx.notebook} already exists ({existing.state})")
    cluster: Cluster | None = None
    async for item in wait_settled(p.get_cluster, ctx.notebook, ctx.notebook_timeout_s, ctx.poll_s):
        if isinstance(item, StepEvent):
            yield item
        else:
            cluster = item
    assert cluster is not None
    if cluster.state == ClusterState.CONFIGURED:
        ctx.notebook_url = _endpoint_url(cluster)
        asks = any(e.auth_token for e in cluster.endpoints)
        yield event(
            EventKind.RESULT,
            f"notebook {cluster.name} is configured: open {ctx.notebook_url or '(no endpoint)'}"
            + (f" (Jupyter asks for its token: {SHOW_TOKENS_COMMAND} prints it)" if asks else ""),
            url=ctx.notebook_url,
        )
    elif cluster.state == ClusterState.CONFIG_ERROR:
        yield event(
            EventKind.WARNING,
            f"notebook {cluster.name} could not start: {cluster.message or 'config error'} "
            "(optional: the labs go on without it)",
            optional=True,
        )
    else:
        yield event(
            EventKind.WARNING,
            f"notebook {cluster.name} is still {cluster.state} after {ctx.notebook_timeout_s:.0f} s; "
            "the labs go on (check it later with: mlops-tui status)",
            optional=True,
        )


async def _verify_notebook(p: Platform, ctx: LabContext) -> Check:
    try:
        cluster = await p.get_cluster(ctx.notebook)
    except NotFound:
        return Check(CheckState.PENDING, f"no notebook cluster {ctx.notebook}")
    if cluster.state == ClusterState.CONFIGURED:
        return Check(CheckState.DONE, f"{cluster.name} configured at {_endpoint_url(cluster) or '-'}")
    if cluster.state == ClusterState.CONFIG_ERROR:
        return Check(CheckState.UNAVAILABLE, cluster.message or f"{cluster.name}: config error")
    return Check(CheckState.PENDING, f"{cluster.name} is {cluster.state}")


async def _run_training_cluster(p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    cluster = await p.get_cluster(ws.TRAINING_CLUSTER)
    members = ", ".join(f"{m.name} ({m.state})" for m in cluster.members) or "no members"
    if cluster.state != ClusterState.CONFIGURED:
        raise StepFailed(
            f"the training cluster {cluster.name} is {cluster.state}: {cluster.message or members}"
        )
    yield event(EventKind.RESULT, f"training cluster {cluster.name} is configured: {members}")


async def _verify_training_cluster(p: Platform, ctx: LabContext) -> Check:
    try:
        cluster = await p.get_cluster(ws.TRAINING_CLUSTER)
    except NotFound:
        return Check(CheckState.PENDING, f"no training cluster {ws.TRAINING_CLUSTER}")
    state = CheckState.DONE if cluster.ready else CheckState.PENDING
    return Check(state, f"{cluster.name} is {cluster.state}")


STEPS: tuple[Step, ...] = (
    Step(
        "notebook",
        2,
        "Create your notebook cluster",
        "A Jupyter notebook sandbox (KubeDirector app jupyter-notebook) connected to the shared training "
        "cluster. Optional here: without Jupyter installed it reports a config error and the labs go on.",
        _run_notebook,
        _verify_notebook,
        equivalent_commands(
            ("create_cluster", {"spec": _notebook_spec}),
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
        equivalent_commands(("get_cluster", {"name": ws.TRAINING_CLUSTER})),
    ),
)
