"""``mlops-tui status``: the pipeline at a glance (platform, session, clusters, jobs, models,
deployments) as compact tables.

Exit codes: 0 when everything was shown; :data:`EXIT_NOT_LOGGED_IN` (3) when the platform answered
but could not log anyone in (its disk is full, or it is unavailable for now): the platform line,
its degraded reasons, why there is no session and what to do are shown, the rest needs a session;
1 for any other failure (one line on stderr, as every command)."""

from __future__ import annotations

import asyncio

from mlops_tui.assistant.labs import format_metrics
from mlops_tui.headless.common import connect, out, table, wrap
from mlops_tui.services.errors import NotFound, PlatformFailure
from mlops_tui.services.types import Cluster, ClusterKind, ClusterState, JobState

MAX_JOBS = 8
EXIT_NOT_LOGGED_IN = 3


def optional_unavailable(cluster: Cluster) -> bool:
    """The optional notebook sandbox that could not start here: "n/a here", not a failure."""
    return cluster.kind == ClusterKind.NOTEBOOK and cluster.state == ClusterState.CONFIG_ERROR


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else "-"


async def run(profile: str | None, *, start: bool = False) -> int:
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
        return 0
    finally:
        await p.aclose()
