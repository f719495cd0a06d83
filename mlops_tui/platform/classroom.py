"""The facilitator's view of the class (``GET /class``) and the broadcast message (issue 9 §6).

``class_view`` gathers, per user of the tenant, what the Class screen and ``workshop status``
verify the labs from: their notebooks, jobs (with queue position), registered versions,
deployments with the number of predictions they answered their clients (not the latency probe's;
kept over restarts: :mod:`prediction_progress`), the files of their code folder, their
last login, their last error and the time of their last progress. Everything comes from the
platform's state as it is now; the predictions come from each prediction server's own Prometheus
``/metrics``, read at request time with a short deadline, and are added to the totals the
platform keeps (a server that does not answer adds nothing).

The broadcast is one message per tenant, set by the facilitator, read by everyone in the tenant.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from mlops_tui.platform.access import ATTENDEE, FACILITATOR
from mlops_tui.platform.clusters import NO_JUPYTER
from mlops_tui.platform.errors import invalid
from mlops_tui.platform.names import user_folder
from mlops_tui.platform.prediction_progress import ServerCount, parse_metrics
from mlops_tui.platform.registry import version_json
from mlops_tui.platform.state import utcnow
from mlops_tui.platform.training import job_json

if TYPE_CHECKING:
    from mlops_tui.platform.auth import SessionInfo
    from mlops_tui.platform.server import Platform

METRICS_TIMEOUT_S = 1.0
JOBS_PER_MEMBER = 10
MAX_BROADCAST = 500
# A broadcast's characters: no control character (Unicode Cc) but tab and line breaks, which become
# spaces. The OpenAPI description states the same pattern (api.BroadcastBody).
BROADCAST_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
_BROADCAST_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ROLE_ORDER = {FACILITATOR: 0, ATTENDEE: 1}


async def _scrape(client: httpx.AsyncClient, port: int) -> ServerCount | None:
    try:
        response = await client.get(f"http://127.0.0.1:{port}/metrics")
        if response.status_code != 200:
            return None
        return parse_metrics(response.text)
    except (httpx.HTTPError, ValueError):
        return None


def _later(*times: str | None) -> str | None:
    present = [t for t in times if t]
    return max(present, key=lambda t: datetime.fromisoformat(t)) if present else None


def _code_files(root: Path) -> tuple[int, str | None]:
    """The number of files under a code folder, and the time of the newest one."""
    count, newest = 0, 0.0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):
                newest = max(newest, os.stat(os.path.join(dirpath, name)).st_mtime)
                count += 1
    return count, datetime.fromtimestamp(newest, UTC).isoformat(timespec="seconds") if count else None


async def class_view(platform: Platform, s: SessionInfo) -> dict[str, Any]:
    """The class of the session's tenant, per user (facilitator first, then attendees by id).

    Per member: ``user``, ``role``, ``last_login_at``, ``notebooks`` (clusters), ``jobs`` (the
    newest :data:`JOBS_PER_MEMBER`, each with ``queue_position``/``estimated_start_at`` when
    queued), ``jobs_total``, ``versions`` (registered by them, newest first), ``deployments`` (each
    with ``predictions``: client predictions answered over all its server processes, or null
    when neither its server, within :data:`METRICS_TIMEOUT_S`, nor the platform's record says,
    and ``predictions_seen_at``: when the platform saw the count grow, null until it has seen it
    grow once), ``code_files`` (under ``code/<folder>/``),
    ``queue_position`` (of their next queued job), ``last_error`` (``{"at", "what", "message"}``
    of the newest failed job, deployment not serving, or notebook that failed; null when the
    newest of each worked), and
    ``last_progress_at`` (the newest of all the times above).
    """
    tenant, db = s.tenant, platform.db
    users = platform.auth.users(tenant)
    queue = platform.engine.queue_view()
    jobs_by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in platform.engine.list(tenant):
        jobs_by[row["user"]].append(row)
    notebooks_by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in db.query(
        "SELECT * FROM clusters WHERE tenant = ? AND kind = 'notebook' ORDER BY name", (tenant,)
    ):
        notebooks_by[row["owner"]].append(row)
    versions_by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in db.query(
        "SELECT * FROM model_versions WHERE tenant = ? ORDER BY created_at DESC, version DESC", (tenant,)
    ):
        versions_by[row["created_by"]].append(row)
    deployments = platform.supervisor.list(tenant)
    async with httpx.AsyncClient(timeout=METRICS_TIMEOUT_S, trust_env=False) as client:
        counts = await asyncio.gather(*(_scrape(client, d["port"]) for d in deployments))
    deployments_by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row, count in zip(deployments, counts, strict=True):
        total, seen = await asyncio.to_thread(
            platform.prediction_progress.observe, tenant, row["name"], row["created_at"], count
        )
        data = platform.supervisor.deployment_json(row, s)
        deployments_by[row["owner"]].append({**data, "predictions": total, "predictions_seen_at": seen})
    repo_root = platform.paths.tenant_repo(s.namespace)
    members = []
    for user in sorted(users, key=lambda u: (_ROLE_ORDER.get(u["role"], 2), u["name"])):
        name = user["name"]
        jobs = jobs_by.get(name, [])
        code_files, code_at = await asyncio.to_thread(_code_files, repo_root / "code" / user_folder(name))
        notebooks = [platform.clusters.cluster_json(r, s) for r in notebooks_by.get(name, [])]
        versions = [version_json(r) for r in versions_by.get(name, [])]
        deps = deployments_by.get(name, [])
        positions = [queue[j["id"]].position for j in jobs if j["id"] in queue]
        members.append(
            {
                "user": name,
                "role": user["role"],
                "folder": user_folder(name),
                "last_login_at": user["last_login_at"],
                "notebooks": notebooks,
                "jobs": [job_json(j, queue) for j in jobs[:JOBS_PER_MEMBER]],
                "jobs_total": len(jobs),
                "versions": versions,
                "deployments": deps,
                "code_files": code_files,
                "queue_position": min(positions) if positions else None,
                "last_error": _last_error(jobs, deps, notebooks),
                "last_progress_at": _later(
                    user["last_login_at"],
                    code_at,
                    *(_later(j["submitted_at"], j["started_at"], j["finished_at"]) for j in jobs[:1]),
                    *(v["created_at"] for v in versions[:1]),
                    *(d["created_at"] for d in deps),
                    *(d["predictions_seen_at"] for d in deps),
                    *(n["created_at"] for n in notebooks),
                ),
            }
        )
    running = sum(1 for j in db.query("SELECT state FROM jobs WHERE state = 'running'"))
    return {
        "tenant": tenant,
        "generated_at": utcnow(),
        "workers": platform.engine.workers,
        "running_jobs": running,
        "queued_jobs": len(queue),
        "typical_job_seconds": round(platform.engine.typical_duration(), 1),
        "broadcast": broadcast(platform, tenant),
        "members": members,
    }


def _last_error(
    jobs: list[dict[str, Any]], deployments: list[dict[str, Any]], notebooks: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The newest failure that still stands: the newest job if it failed, a deployment that is not
    serving (config error, or crash-looping), a notebook that failed (Jupyter missing aside: the
    notebook is optional and that is the host's, not the attendee's)."""
    found: list[dict[str, Any]] = []
    final = [j for j in jobs if j["state"] in ("finished", "failed")]
    if final and final[0]["state"] == "failed":
        job = final[0]
        found.append({"at": job["finished_at"], "what": f"job {job['id']}", "message": job["message"]})
    for d in deployments:
        if d["state"] == "config error" or "crash loop" in (d["message"] or ""):
            found.append({"at": d["created_at"], "what": f"deployment {d['name']}", "message": d["message"]})
    for n in notebooks:
        if n["state"] == "config error" and n["message"] != NO_JUPYTER:
            found.append({"at": n["created_at"], "what": f"notebook {n['name']}", "message": n["message"]})
    if not found:
        return None
    earliest = datetime.min.replace(tzinfo=UTC)
    return max(found, key=lambda e: datetime.fromisoformat(e["at"]) if e["at"] else earliest)


def broadcast(platform: Platform, tenant: str) -> dict[str, Any] | None:
    """The tenant's broadcast ``{"message", "author", "at"}``, or None."""
    row = platform.db.one("SELECT message, author, at FROM broadcasts WHERE tenant = ?", (tenant,))
    return dict(row) if row else None


def set_broadcast(platform: Platform, s: SessionInfo, message: str) -> dict[str, Any] | None:
    """Set (or, with an empty message, clear) the tenant's broadcast; returns it.

    The message is one line, as every guide shows it: tabs and line breaks become single spaces.
    Raises ``invalid`` (field ``message``, 400) for more than MAX_BROADCAST characters or a control
    character other than those (Unicode category Cc: ESC, BEL, DEL, C1 ...), which a terminal would
    act on or a one-line field could not show (:data:`BROADCAST_TEXT`)."""
    control = _BROADCAST_CONTROL.search(message)
    if control is not None:
        raise invalid(
            f"message: holds the control character U+{ord(control.group()):04X} at position "
            f"{control.start() + 1}: send plain text",
            "message",
        )
    text = " ".join(message.split())
    if len(text) > MAX_BROADCAST:
        raise invalid(f"message: at most {MAX_BROADCAST} characters, not {len(text)}", "message")
    if not text:
        platform.db.execute("DELETE FROM broadcasts WHERE tenant = ?", (s.tenant,))
        return None
    platform.db.execute(
        "INSERT OR REPLACE INTO broadcasts (tenant, message, author, at) VALUES (?, ?, ?, ?)",
        (s.tenant, text, s.user, utcnow()),
    )
    return broadcast(platform, s.tenant)
