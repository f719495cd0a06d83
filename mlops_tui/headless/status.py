"""``mlops-tui status``: the pipeline at a glance (platform, session, clusters, jobs, models,
deployments and their drift) as compact tables.

Exit codes: 0 when everything was shown; :data:`EXIT_NOT_LOGGED_IN` (3) when the platform answered
but could not log anyone in (its disk is full, or it is unavailable for now): the platform line,
its degraded reasons, why there is no session and what to do are shown, the rest needs a session;
1 for any other failure (one line on stderr, as every command)."""

from __future__ import annotations

import asyncio

from mlops_tui.assistant.labs import format_metrics
from mlops_tui.headless.common import connect, out, table, wrap
from mlops_tui.services.errors import NotFound, PlatformError, PlatformFailure
from mlops_tui.services.platform import Platform
from mlops_tui.services.types import (
    SHOW_TOKENS_COMMAND,
    Cluster,
    ClusterKind,
    ClusterState,
    Deployment,
    DeploymentDrift,
    DriftStatus,
    JobState,
)

MAX_JOBS = 8
EXIT_NOT_LOGGED_IN = 3


def optional_unavailable(cluster: Cluster) -> bool:
    """The optional notebook sandbox that could not start here: "n/a here", not a failure."""
    return cluster.kind == ClusterKind.NOTEBOOK and cluster.state == ClusterState.CONFIG_ERROR


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else "-"


SHOWN_FEATURES = 3  # drifted features named per deployment (the most drifted first)


def drift_row(d: DeploymentDrift) -> tuple[str, str, str, str]:
    """NAME, DRIFT, RIDES, PSI of one deployment's drift report (docs/drift.md): past the
    threshold the most drifted features (at most SHOWN_FEATURES, then how many more), else the
    highest PSI."""
    if not d.available:
        return d.deployment, "not measured", "", d.reason
    rides = f"{d.window_rides}" + (f" of {d.observed_rides}" if d.observed_rides > d.window_rides else "")
    if d.status is DriftStatus.COLLECTING:
        return d.deployment, "collecting", rides, f"PSI needs {d.min_rides} rides"
    shown = d.drifted or tuple(f for f in (d.worst,) if f is not None)
    psi = ", ".join(f"{f.name} {f.psi:.2f}" for f in shown[:SHOWN_FEATURES] if f.psi is not None)
    if len(shown) > SHOWN_FEATURES:
        psi += f" (+{len(shown) - SHOWN_FEATURES} more)"
    return d.deployment, "DRIFT" if d.status is DriftStatus.DRIFT else "stable", rides, psi


async def _drift(p: Platform, serving: list[Deployment]) -> None:
    """Drift of each serving deployment: past the threshold the features that drift, else the
    highest PSI; a deployment that cannot be measured says why."""
    if not serving:
        return

    async def one(d: Deployment) -> DeploymentDrift:
        try:
            return await p.deployment_drift(d.name)
        except PlatformError as exc:
            return DeploymentDrift(d.name, d.model, d.version, reason=exc.message)

    reports = await asyncio.gather(*(one(d) for d in serving))
    threshold = next((r.threshold for r in reports if r.available), DeploymentDrift.threshold)
    out()
    out(f"drift (PSI per feature vs training data; DRIFT past {threshold:g})")
    table(["NAME", "DRIFT", "RIDES", "PSI"], [drift_row(r) for r in reports], whole=("PSI",))


async def run(profile: str | None, *, start: bool = False, show_tokens: bool = False) -> int:
    """Print the pipeline; endpoint tokens only with ``show_tokens`` (issue 8 §6: no token in any
    output unless asked for), and then under a heading that says what they are."""
    conn = connect(profile, start=start)
    p = conn.platform
    try:
        health = getattr(p, "health", None)
        info = await health() if health is not None else {}
        version = f" (version {info.get('version', '?')}, pid {info.get('pid', '?')})" if info else ""
        wrap(f"platform  {conn.resolved.url}{version}", hang=10)
        for reason in info.get("reasons") or [] if info.get("status") == "degraded" else []:
            wrap(f"degraded: {reason}", indent=10)
        try:
            session = await p.login()
        except PlatformFailure as exc:  # answered, but cannot log in now (disk full, unavailable)
            wrap(f"session   {exc.message}", hang=10)
            if exc.hint:
                wrap(exc.hint, indent=10)
            wrap(
                "clusters, jobs, models and deployments need a session: run mlops-tui status again "
                "once it can log in",
                indent=10,
            )
            return EXIT_NOT_LOGGED_IN
        expires = _when(session.expires_at)
        wrap(
            f"session   {session.user} in {session.tenant} (namespace {session.namespace or '-'}), "
            f"expires {expires}",
            hang=10,
        )
        clusters, jobs, models, deployments = await asyncio.gather(
            p.list_clusters(), p.list_jobs(), p.list_models(), p.list_deployments()
        )
        out()
        out(f"clusters ({len(clusters)})")
        table(
            ["NAME", "KIND", "STATE", "MEMBERS", "ENDPOINT"],
            [
                (
                    c.name,
                    c.kind,
                    "n/a here (optional)" if optional_unavailable(c) else c.state,
                    len(c.members),
                    next((e.url for e in c.endpoints if e.url), "") or c.message,
                )
                for c in clusters
            ],
            whole=("ENDPOINT",),
        )
        tokens = [(c.name, e) for c in clusters for e in c.endpoints if e.auth_token]
        if tokens and show_tokens:
            out()
            out("endpoint tokens (asked for with --show-tokens: each opens the service as you)")
            table(
                ["CLUSTER", "ENDPOINT", "URL", "TOKEN"],
                [(c, e.name, e.url, e.auth_token) for c, e in tokens],
                whole=("URL", "TOKEN"),
            )
        elif tokens:
            wrap(f"(the endpoints' tokens are not shown: {SHOW_TOKENS_COMMAND})", hang=1)
        out()
        out(f"jobs ({len(jobs)}, newest first)")
        table(
            ["ID", "STATE", "USER", "CODE", "SECONDS", "METRICS", "MESSAGE"],
            [
                (
                    j.id,
                    j.state,
                    j.user,
                    j.code,
                    f"{j.duration_s:.1f}" if j.duration_s is not None else "",
                    format_metrics({k: v for k, v in j.metrics.items() if k in ("rmse", "mae", "r2")}),
                    j.message if j.state in (JobState.FAILED, JobState.CANCELLED) else "",
                )
                for j in jobs[:MAX_JOBS]
            ],
        )
        out()
        out(f"models ({len(models)})")
        rows = []
        for m in models:
            try:
                versions = await p.list_versions(m.name)
            except NotFound:
                versions = []
            latest = max(versions, key=lambda v: v.version) if versions else None
            rows.append(
                (
                    m.name,
                    m.latest_version or (latest.version if latest else ""),
                    len(versions) or m.versions,
                    latest.stage if latest else "",
                    f"job {latest.lineage.job_id}" if latest else "",
                )
            )
        table(["NAME", "LATEST", "VERSIONS", "STAGE", "LINEAGE"], rows)
        out()
        out(f"deployments ({len(deployments)})")
        table(
            ["NAME", "MODEL", "STATE", "RESTARTS", "URL"],
            [(d.name, f"{d.model} v{d.version}", d.state, d.restarts, d.url) for d in deployments],
            whole=("URL",),
        )
        await _drift(p, [d for d in deployments if d.ready])
        return 0
    finally:
        await p.aclose()
