"""Typed results shared by every platform adapter.

Plain frozen dataclasses: cheap to import (the TUI's start-up path), easy to build from JSON
(``from_dict``) and to compare in tests. Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Self


def _parse_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _FromDict:
    """Build a dataclass from a JSON object, ignoring unknown keys and parsing ``*_at`` times."""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name.endswith("_at") or f.name == "at":
                value = _parse_time(value)
            kwargs[f.name] = value
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        def encode(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if dataclasses.is_dataclass(value):
                return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
            if isinstance(value, list | tuple):
                return [encode(v) for v in value]
            if isinstance(value, dict):
                return {k: encode(v) for k, v in value.items()}
            return value

        return encode(self)


class ClusterKind(StrEnum):
    """The three KubeDirector app kinds the workshop uses."""

    NOTEBOOK = "notebook"  # kdapp jupyter-notebook
    TRAINING = "training"  # kdapp training-engine
    DEPLOYMENT = "deployment"  # kdapp deployment-engine


class ClusterState(StrEnum):
    """KubeDirectorCluster ``status.state`` values (plus ``config error`` rolled up from members)."""

    CREATING = "creating"
    CONFIGURED = "configured"
    UPDATING = "updating"
    CONFIG_ERROR = "config error"
    DELETING = "deleting"


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in (JobState.FINISHED, JobState.FAILED, JobState.CANCELLED)


@dataclass(frozen=True)
class Credentials:
    """What a login needs. The password never appears in ``repr`` or logs."""

    url: str
    tenant: str
    user: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Session(_FromDict):
    """A logged-in session: ``id`` is the full ``Location`` value sent as ``X-BDS-SESSION`` (a
    credential: left out of ``repr``, like passwords and tokens)."""

    id: str = field(repr=False)
    user: str
    tenant: str
    role: str = "member"
    expires_at: datetime | None = None
    namespace: str = ""


# The one command that prints the endpoints' tokens (issue 8 §6: no token in any output unless the
# person asks for it); everything else shows an endpoint's ``url``, which never holds its token.
#: The request header of synthetic monitoring traffic: the TUI's latency probe asks the workshop's
#: example ride every few seconds for hours; a prediction server scores and answers it but does not
#: count it as what its clients ask (drift monitoring), or the probe alone would raise the badge.
PROBE_HEADER = "X-MLOps-Probe"
SHOW_TOKENS_COMMAND = "mlops-tui status --show-tokens"


@dataclass(frozen=True)
class Endpoint(_FromDict):
    """A service a cluster member exposes: ``name`` is the KubeDirector service id. ``url`` holds no
    credential (it is printed and shown); ``auth_token`` is the service's token (a notebook's
    Jupyter token, a gateway's X-Auth-Token), shown only on request (:data:`SHOW_TOKENS_COMMAND`)."""

    name: str
    url: str
    auth_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Member(_FromDict):
    """One member (pod, or local process) of a cluster role."""

    name: str
    role: str
    state: str
    node: str = ""
    pid: int | None = None
    restarts: int = 0
    detail: str = ""


@dataclass(frozen=True)
class Cluster(_FromDict):
    name: str
    kind: ClusterKind
    app: str
    state: ClusterState
    members: tuple[Member, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    connections: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""
    created_at: datetime | None = None
    owner: str = ""  # who created it ('' = the platform's own, e.g. the shared training cluster)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cluster:
        base = super().from_dict(data)
        return dataclasses.replace(
            base,
            kind=ClusterKind(data["kind"]),
            state=ClusterState(data["state"]),
            members=tuple(Member.from_dict(m) for m in data.get("members", [])),
            endpoints=tuple(Endpoint.from_dict(e) for e in data.get("endpoints", [])),
        )

    @property
    def ready(self) -> bool:
        return self.state == ClusterState.CONFIGURED


@dataclass(frozen=True)
class ClusterSpec:
    """What to create. ``resources`` holds cpu/memory per member (KubeDirector role resources)."""

    name: str
    kind: ClusterKind
    members: int = 1
    cpu: str = "1"
    memory: str = "2Gi"
    connections: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class JobSpec:
    """A training job: run ``<code>/<entrypoint>`` (a package in the project repository).

    ``code`` is the repository path of a Python package (e.g. ``code/alice/taxi``); the engine runs
    ``python -m <package>.<entrypoint> --data <data> --output <bundle dir> [--<param> <value>]...``.
    """

    cluster: str
    code: str
    data: str
    output: str
    entrypoint: str = "train"
    params: dict[str, str | int | float] = field(default_factory=dict)
    name: str = ""


@dataclass(frozen=True)
class Job(_FromDict):
    id: str
    cluster: str
    state: JobState
    user: str = ""
    name: str = ""
    code: str = ""
    data: str = ""
    output: str = ""  # repository path of the model bundle the job writes
    params: dict[str, Any] = field(default_factory=dict)
    exit_code: int | None = None
    message: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    data_fingerprint: str = ""
    submitted_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # A queued job's place on the shared training cluster: 1 = next to start, and when it is
    # expected to start (from the median run time of recent jobs); None once it runs.
    queue_position: int | None = None
    estimated_start_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Job:
        base = super().from_dict(data)
        return dataclasses.replace(base, id=str(data["id"]), state=JobState(data["state"]))

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.finished_at or datetime.now(UTC)
        return (end - self.started_at).total_seconds()


@dataclass(frozen=True)
class JobMetrics(_FromDict):
    """Per-round evaluation for the plot: ``{"round": 3, "train-rmse": .., "eval-rmse": ..}`` each."""

    job_id: str
    final: dict[str, float] = field(default_factory=dict)
    rounds: list[dict[str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class RepoEntry(_FromDict):
    """A file in the tenant's project repository; ``path`` is relative (``models/alice/job-3/model.ubj``)."""

    path: str
    size: int
    is_dir: bool = False
    modified_at: datetime | None = None


@dataclass(frozen=True)
class Lineage(_FromDict):
    job_id: str = ""
    data: str = ""
    data_fingerprint: str = ""
    code: str = ""


@dataclass(frozen=True)
class ModelVersion(_FromDict):
    """One registered version; the ConfigMap fields of the workshop plus what makes it trustworthy."""

    model: str
    version: int
    description: str = ""
    path: str = ""  # repository path of the model bundle directory
    scoring_path: str = ""  # repository path of the scoring code
    model_type: str = "xgboost"
    checksums: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    lineage: Lineage = field(default_factory=Lineage)
    stage: str = "none"
    input_schema: dict[str, Any] = field(default_factory=dict)
    created_by: str = ""
    created_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelVersion:
        base = super().from_dict(data)
        return dataclasses.replace(
            base, version=int(data["version"]), lineage=Lineage.from_dict(data.get("lineage") or {})
        )


@dataclass(frozen=True)
class Model(_FromDict):
    name: str
    description: str = ""
    latest_version: int = 0
    versions: int = 0
    updated_at: datetime | None = None
    owner: str = ""


@dataclass(frozen=True)
class RegisterSpec:
    """Register the bundle a finished job wrote as a new version of ``model``."""

    model: str
    job_id: str
    description: str = ""
    scoring_path: str = ""  # defaults to the job's code package


@dataclass(frozen=True)
class DeploymentSpec:
    """``max_batch_size`` (rides per model call) and ``max_batch_wait_ms``: the server's adaptive
    batching; None leaves the platform's default (1024 rides, no wait)."""

    name: str
    model: str
    version: int
    max_batch_size: int | None = None
    max_batch_wait_ms: float | None = None


@dataclass(frozen=True)
class Deployment(_FromDict):
    """A deployment engine serving one registered version at ``url`` (the ``.../predict`` URL)."""

    name: str
    model: str
    version: int
    state: ClusterState
    url: str = ""
    auth_token: str | None = field(default=None, repr=False)  # None: not yours to see (workshop)
    restarts: int = 0
    message: str = ""
    created_at: datetime | None = None
    owner: str = ""
    # In the class view only: predictions it answered with 200 (None: its server did not say),
    # and when the platform saw that count change (None until it has).
    predictions: int | None = None
    predictions_seen_at: datetime | None = None
    max_batch_size: int | None = None  # adaptive batching, where the platform reports it
    max_batch_wait_ms: float | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Deployment:
        base = super().from_dict(data)
        return dataclasses.replace(base, version=int(data["version"]), state=ClusterState(data["state"]))

    @property
    def ready(self) -> bool:
        return self.state == ClusterState.CONFIGURED


@dataclass(frozen=True)
class DriftBin(_FromDict):
    """One histogram bin of a feature: its label (an hour, or a range such as ``1.2-1.9``), its
    share of the training rides (``expected``) and of the rides served (``actual``), 0 to 1."""

    label: str
    expected: float = 0.0
    actual: float = 0.0


@dataclass(frozen=True)
class FeatureDrift(_FromDict):
    """One feature's population stability index against the training data (None: no ride yet)
    and its ``level``: ``stable`` (< 0.1), ``moderate`` (0.1-0.2), ``significant`` (> 0.2), or
    None while too few rides were served to judge."""

    name: str
    psi: float | None = None
    level: str | None = None
    bins: tuple[DriftBin, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureDrift:
        base = super().from_dict(data)
        return dataclasses.replace(base, bins=tuple(DriftBin.from_dict(b) for b in data.get("bins") or ()))


class DriftStatus(StrEnum):
    DRIFT = "drift"  # a feature's PSI passes 0.2: the badge
    STABLE = "stable"
    COLLECTING = "collecting"  # fewer rides served than PSI needs (``min_rides``)
    UNAVAILABLE = "unavailable"  # not measured here: ``reason`` says why


@dataclass(frozen=True)
class DeploymentDrift(_FromDict):
    """Drift of one deployment: what its server was asked (the last ``window_rides`` rides, at
    most ``window_max_rides``) against its model's training data, per feature, most drifted
    first (docs/drift.md). ``available`` False: not measured, ``reason`` says why."""

    deployment: str
    model: str = ""
    version: int = 0
    available: bool = False
    status: DriftStatus = DriftStatus.UNAVAILABLE
    reason: str = ""
    threshold: float = 0.2
    min_rides: int = 0
    window_rides: int = 0
    window_max_rides: int = 0
    observed_rides: int = 0
    training_rides: int = 0
    since_at: datetime | None = None
    last_at: datetime | None = None
    features: tuple[FeatureDrift, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeploymentDrift:
        base = super().from_dict(data)
        try:
            status = DriftStatus(data.get("status") or "unavailable")
        except ValueError:
            status = DriftStatus.UNAVAILABLE
        return dataclasses.replace(
            base,
            version=int(data.get("version") or 0),
            status=status,
            features=tuple(
                FeatureDrift.from_dict(f) for f in data.get("features") or () if isinstance(f, dict)
            ),
        )

    @property
    def drifted(self) -> tuple[FeatureDrift, ...]:
        """The features whose PSI passes the threshold (empty unless ``status`` is drift)."""
        return tuple(f for f in self.features if f.level == "significant")

    @property
    def worst(self) -> FeatureDrift | None:
        """The feature with the highest PSI (None before any ride)."""
        measured = [f for f in self.features if f.psi is not None]
        return max(measured, key=lambda f: f.psi or 0.0) if measured else None


@dataclass(frozen=True)
class PredictionRecord(_FromDict):
    """One request a prediction server answered, from its history (``GET /history``): the workshop
    engine's ``id``, ``qid`` (its number since the server started), ``status`` (Finished or
    Failed), ``input`` (the rides as sent, shortened) and ``output``."""

    id: str
    qid: int = 0
    status: str = ""
    endpoint: str = ""
    received_at: datetime | None = None
    http_status: int = 0
    rides: int = 0
    input: str = ""
    output: str = ""
    error: str | None = None
    warnings: tuple[str, ...] = ()
    latency_ms: float = 0.0
    batch_rows: int = 0
    log_url: str = ""
    request_url: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PredictionRecord:
        base = super().from_dict(data)
        return dataclasses.replace(base, warnings=tuple(str(w) for w in data.get("warnings") or ()))


@dataclass(frozen=True)
class Prediction:
    """The answer to one predict call: ``values`` in seconds, one per record."""

    values: tuple[float, ...]
    latency_ms: float
    status: int
    request: dict[str, Any]
    response: dict[str, Any]
    warnings: tuple[str, ...] = ()

    @property
    def value(self) -> float:
        return self.values[0]


# -- workshop mode (issue 9) ---------------------------------------------------------------------


@dataclass(frozen=True)
class Broadcast(_FromDict):
    """The facilitator's message to the class (shown in every attendee's guide)."""

    message: str
    author: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class ClassError(_FromDict):
    """A member's newest failure that still stands: ``what`` failed (``job 12``) and why."""

    what: str
    message: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class ClassMember(_FromDict):
    """One user of the tenant as the facilitator sees them: everything they made, newest first.

    ``role`` is ``facilitator``, ``attendee`` or ``member``; ``jobs`` holds their newest jobs
    (``jobs_total`` counts all); ``queue_position`` is that of their next queued job;
    ``last_progress_at`` the newest time of anything they did; ``code_files`` the files in their
    code folder. Fields a platform cannot know are left empty (Kubernetes: last login, queue).
    """

    user: str
    role: str = "attendee"
    folder: str = ""
    last_login_at: datetime | None = None
    notebooks: tuple[Cluster, ...] = ()
    jobs: tuple[Job, ...] = ()
    jobs_total: int = 0
    versions: tuple[ModelVersion, ...] = ()
    deployments: tuple[Deployment, ...] = ()
    code_files: int = 0
    queue_position: int | None = None
    last_error: ClassError | None = None
    last_progress_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassMember:
        base = super().from_dict(data)
        error = data.get("last_error")
        return dataclasses.replace(
            base,
            notebooks=tuple(Cluster.from_dict(c) for c in data.get("notebooks") or []),
            jobs=tuple(Job.from_dict(j) for j in data.get("jobs") or []),
            versions=tuple(ModelVersion.from_dict(v) for v in data.get("versions") or []),
            deployments=tuple(Deployment.from_dict(d) for d in data.get("deployments") or []),
            last_error=ClassError.from_dict(error) if isinstance(error, dict) else None,
        )


@dataclass(frozen=True)
class ClassView(_FromDict):
    """The whole class of a tenant at ``generated_at``: the shared training cluster's ``workers``,
    its running and queued jobs, the typical job's run time, the broadcast and every member."""

    tenant: str
    generated_at: datetime | None = None
    workers: int | None = None
    running_jobs: int = 0
    queued_jobs: int = 0
    typical_job_seconds: float | None = None
    broadcast: Broadcast | None = None
    members: tuple[ClassMember, ...] = ()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClassView:
        base = super().from_dict(data)
        message = data.get("broadcast")
        return dataclasses.replace(
            base,
            broadcast=Broadcast.from_dict(message)
            if isinstance(message, dict) and message.get("message")
            else None,
            members=tuple(ClassMember.from_dict(m) for m in data.get("members") or []),
        )
