"""Where each member of a class is in Labs 1-5, and who is stuck (workshop mode, issue 9 §6-7).

Pure functions over :class:`~mlops_tui.services.types.ClassView` (no I/O, no Textual): the
facilitator's Class screen and ``mlops-tui workshop status`` show the same thing. Each step is
judged from the platform's state as the view carries it, as the guide's live checks judge the
person's own steps (``assistant``): logged in, notebook, code uploaded, a finished training job,
a registered version, a serving deployment, a successful prediction.

:func:`view_from_objects` builds a view from the ordinary listings of any adapter (clusters, jobs,
registry, deployments) grouped by owner (their ``owner``/``user`` field, else the user id in the
workshop's names, ``mlops-inference-server-<user>`` …): what the Kubernetes adapter serves, where
no platform keeps a roster, logins or a queue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from mlops_tui.services.types import (
    ClassError,
    ClassMember,
    ClassView,
    Cluster,
    ClusterKind,
    ClusterState,
    Deployment,
    Job,
    JobState,
    ModelVersion,
)

DEFAULT_IDLE_MINUTES = 10.0
# The range of idle minutes, for `workshop status --idle-minutes`, the Class screen's `i` and
# $MLOPS_TUI_IDLE_MINUTES alike: at least a minute, at most a day's class.
MIN_IDLE_MINUTES, MAX_IDLE_MINUTES = 1.0, 24 * 60.0
NOTEBOOK_PREFIX = "mlops-jupyter-notebook-"
MODEL_PREFIX = "mlops-model-"
DEPLOYMENT_PREFIX = "mlops-inference-server-"


def queue_place(job: Job, now: datetime | None = None, *, short: bool = False) -> str:
    """Where a queued job stands on the shared training cluster, for people: ``position 3 in the
    training queue, starts in about 40 s`` (``short``: ``#3 ~40 s``); '' when it is not queued or
    the platform gives no place (Kubernetes)."""
    if job.state != JobState.QUEUED or job.queue_position is None:
        return ""
    wait = ""
    if job.estimated_start_at is not None:
        seconds = max(0.0, (job.estimated_start_at - (now or datetime.now(UTC))).total_seconds())
        wait = f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
    if short:
        return f"#{job.queue_position}" + (f" ~{wait}" if wait else "")
    return f"position {job.queue_position} in the training queue" + (
        f", starts in about {wait}" if wait else ""
    )


def since(when: datetime | None, now: datetime) -> str:
    """How long ago, for the class table: ``5 s ago``, ``2 min ago``, ``3 h ago``; ``never``."""
    if when is None:
        return "never"
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 90:
        return f"{seconds} s ago"
    if seconds < 5400:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


class StepState(StrEnum):
    DONE = "done"
    WORKING = "working"  # queued, running, starting
    FAILED = "failed"
    NOT_STARTED = "not started"  # the attendee has not reached it (the Class screen's ·)
    OPTIONAL = "optional"  # the notebook where Jupyter is missing: the labs go on without it


@dataclass(frozen=True)
class Step:
    """One lab step of one member: ``lab`` 1-5, ``id`` as the guide names it, its state, why."""

    lab: int
    id: str
    state: StepState
    detail: str = ""


def _newest_job(member: ClassMember) -> Job | None:
    return member.jobs[0] if member.jobs else None


def steps(member: ClassMember) -> tuple[Step, ...]:
    """The member's lab steps, judged from what the view holds."""
    out = [
        Step(
            1,
            "login",
            StepState.DONE if member.last_login_at or _did_anything(member) else StepState.NOT_STARTED,
            "logged in" if member.last_login_at else "",
        )
    ]
    notebook = member.notebooks[0] if member.notebooks else None
    if notebook is None:
        out.append(Step(2, "notebook", StepState.NOT_STARTED, "no notebook"))
    elif notebook.state == ClusterState.CONFIGURED:
        out.append(Step(2, "notebook", StepState.DONE, notebook.name))
    elif notebook.state == ClusterState.CONFIG_ERROR:
        missing = "not installed" in notebook.message
        out.append(Step(2, "notebook", StepState.OPTIONAL if missing else StepState.FAILED, notebook.message))
    else:
        out.append(Step(2, "notebook", StepState.WORKING, f"{notebook.name} {notebook.state}"))
    out.append(
        Step(
            3,
            "upload-code",
            StepState.DONE if member.code_files or member.jobs else StepState.NOT_STARTED,
            f"{member.code_files} files" if member.code_files else "",
        )
    )
    finished = next((j for j in member.jobs if j.state == JobState.FINISHED), None)
    job = _newest_job(member)
    if job is not None and job.state in (JobState.QUEUED, JobState.RUNNING):
        where = f" (queue position {job.queue_position})" if job.queue_position else ""
        out.append(Step(3, "train", StepState.WORKING, f"job {job.id} {job.state}{where}"))
    elif job is not None and job.state == JobState.FAILED:
        out.append(Step(3, "train", StepState.FAILED, f"job {job.id} failed: {job.message}"))
    elif finished is not None:
        out.append(Step(3, "train", StepState.DONE, f"job {finished.id} finished"))
    else:
        out.append(Step(3, "train", StepState.NOT_STARTED, "no training job"))
    version = member.versions[0] if member.versions else None
    out.append(
        Step(
            4,
            "register",
            StepState.DONE if version else StepState.NOT_STARTED,
            f"{version.model} v{version.version}" if version else "",
        )
    )
    dep = member.deployments[0] if member.deployments else None
    if dep is None:
        out.append(Step(4, "deploy", StepState.NOT_STARTED, "no deployment"))
    elif dep.state == ClusterState.CONFIGURED:
        out.append(Step(4, "deploy", StepState.DONE, f"{dep.name} serving"))
    elif dep.state == ClusterState.CONFIG_ERROR or "crash loop" in dep.message:
        out.append(Step(4, "deploy", StepState.FAILED, f"{dep.name}: {dep.message}"))
    else:
        out.append(Step(4, "deploy", StepState.WORKING, f"{dep.name} {dep.state}"))
    answered = sum(d.predictions or 0 for d in member.deployments)
    out.append(
        Step(
            5,
            "predict",
            StepState.DONE if answered else StepState.NOT_STARTED,
            f"{answered} prediction{'s' * (answered != 1)}" if answered else "",
        )
    )
    return tuple(out)


def _did_anything(member: ClassMember) -> bool:
    return bool(member.jobs or member.versions or member.deployments or member.notebooks or member.code_files)


def lab_reached(member: ClassMember) -> int:
    """The lab the member works on: the first with a step not done (6: all five done). The
    notebook is optional (as in the guide): once a later step has started it no longer holds a
    member back."""
    all_steps = steps(member)
    for i, step in enumerate(all_steps):
        if step.state in (StepState.DONE, StepState.OPTIONAL):
            continue
        if step.id == "notebook" and any(s.state != StepState.NOT_STARTED for s in all_steps[i + 1 :]):
            continue
        return step.lab
    return 6


def current_step(member: ClassMember) -> Step | None:
    """The step the member is at: the first not done of the lab they reached (None when done)."""
    lab = lab_reached(member)
    return next(
        (s for s in steps(member) if s.lab == lab and s.state not in (StepState.DONE, StepState.OPTIONAL)),
        None,
    )


def stuck(
    member: ClassMember, now: datetime | None = None, idle_minutes: float = DEFAULT_IDLE_MINUTES
) -> str:
    """Why the member needs the facilitator ('' when they do not): a failed step, or no progress
    for ``idle_minutes`` while not finished (waiting in the training queue is not idling)."""
    for step in steps(member):
        if step.state == StepState.FAILED:
            return f"Lab {step.lab} {step.id} failed: {step.detail}"
    if lab_reached(member) > 5 or member.queue_position is not None:
        return ""
    now = now or datetime.now(UTC)
    if member.last_progress_at is not None:
        idle = (now - member.last_progress_at).total_seconds() / 60
        if idle >= idle_minutes:
            return f"no progress for {idle:.0f} min (Lab {lab_reached(member)})"
    return ""


def ordered(
    view: ClassView, now: datetime | None = None, idle_minutes: float = DEFAULT_IDLE_MINUTES
) -> list[ClassMember]:
    """Attendees (and members) to look at first: stuck ones, then the furthest behind, by user id.
    The facilitator is left out."""
    people = [m for m in view.members if m.role != "facilitator"]
    return sorted(people, key=lambda m: (not stuck(m, now, idle_minutes), lab_reached(m), m.user))


# -- a view from the ordinary listings (adapters without a class endpoint) ------------------------


def _owner(name: str, owner: str, prefix: str) -> str:
    if owner:
        return owner
    return name[len(prefix) :] if name.startswith(prefix) else ""


def _later(*times: datetime | None) -> datetime | None:
    present = [t for t in times if t is not None]
    return max(present) if present else None


def view_from_objects(
    tenant: str,
    clusters: Iterable[Cluster],
    jobs: Iterable[Job],
    versions: Iterable[ModelVersion],
    deployments: Iterable[Deployment],
) -> ClassView:
    """A class view from a tenant's objects grouped by owner (see the module's docstring)."""
    notebooks: dict[str, list[Cluster]] = defaultdict(list)
    for c in clusters:
        if c.kind == ClusterKind.NOTEBOOK:
            who = _owner(c.name, c.owner, NOTEBOOK_PREFIX)
            if who:
                notebooks[who].append(c)
    by_jobs: dict[str, list[Job]] = defaultdict(list)
    for j in sorted(jobs, key=lambda j: j.submitted_at or datetime.min.replace(tzinfo=UTC), reverse=True):
        if j.user:
            by_jobs[j.user].append(j)
    by_versions: dict[str, list[ModelVersion]] = defaultdict(list)
    for v in sorted(versions, key=lambda v: v.created_at or datetime.min.replace(tzinfo=UTC), reverse=True):
        who = _owner(v.model, v.created_by, MODEL_PREFIX)
        if who:
            by_versions[who].append(v)
    by_deployments: dict[str, list[Deployment]] = defaultdict(list)
    for d in deployments:
        who = _owner(d.name, d.owner, DEPLOYMENT_PREFIX)
        if who:
            by_deployments[who].append(d)
    members = []
    for user in sorted(set(notebooks) | set(by_jobs) | set(by_versions) | set(by_deployments)):
        user_jobs = by_jobs.get(user, [])
        error = None
        failed = next((j for j in user_jobs if j.state.is_final), None)
        if failed is not None and failed.state == JobState.FAILED:
            error = ClassError(f"job {failed.id}", failed.message, failed.finished_at)
        for d in by_deployments.get(user, []):
            if d.state == ClusterState.CONFIG_ERROR:
                error = ClassError(f"deployment {d.name}", d.message, d.created_at)
        members.append(
            ClassMember(
                user=user,
                role="attendee",
                folder=user,
                notebooks=tuple(notebooks.get(user, [])),
                jobs=tuple(user_jobs[:10]),
                jobs_total=len(user_jobs),
                versions=tuple(by_versions.get(user, [])),
                deployments=tuple(by_deployments.get(user, [])),
                last_error=error,
                last_progress_at=_later(
                    *(j.finished_at or j.started_at or j.submitted_at for j in user_jobs[:1]),
                    *(v.created_at for v in by_versions.get(user, [])[:1]),
                    *(d.created_at for d in by_deployments.get(user, [])),
                    *(c.created_at for c in notebooks.get(user, [])),
                ),
            )
        )
    return ClassView(tenant=tenant, generated_at=datetime.now(UTC), members=tuple(members))
