"""The platform interface both adapters implement (design §4).

Every method is async and returns the typed results of :mod:`mlops_tui.services.types`; every
failure is a :class:`~mlops_tui.services.errors.PlatformError`. Each call is recorded as a
:class:`CallRecord` carrying the equivalent shell command (curl for REST, kubectl for Kubernetes)
so the "show me the command" pane and ``mlops-tui lab run`` can print what was done.

A 401 on any call other than ``login`` makes the adapter log in again once with its stored
credentials and retry; only when that fails does :class:`SessionExpired` reach the caller.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from mlops_tui.services.types import (
    Broadcast,
    ClassView,
    Cluster,
    ClusterKind,
    ClusterSpec,
    Credentials,
    Deployment,
    DeploymentDrift,
    DeploymentSpec,
    Job,
    JobMetrics,
    JobSpec,
    Model,
    ModelVersion,
    Prediction,
    PredictionRecord,
    RegisterSpec,
    RepoEntry,
    Session,
)

#: Called with (bytes sent so far, total bytes) while a file travels, for a progress bar.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CallRecord:
    """One platform call as a person could repeat it in a shell (secrets shown as ``$VARS``)."""

    op: str
    command: str
    status: int | None = None
    at: datetime = field(default_factory=lambda: datetime.now(UTC))


@runtime_checkable
class Platform(Protocol):
    """An ML Ops platform as the app sees it: local (embedded) or kubernetes (Ezmeral / KubeDirector)."""

    kind: str  # "local" or "kubernetes"
    credentials: Credentials
    session: Session | None

    # -- calls made so far (most recent last), for the equivalent-command pane
    @property
    def calls(self) -> list[CallRecord]: ...

    def equivalent(self, op: str, **params: Any) -> str:
        """The shell command that does what ``op`` (a method name below) would do with ``params``."""
        ...

    # -- session (Lab 1)
    async def login(self) -> Session: ...
    async def whoami(self) -> Session: ...
    async def logout(self) -> None: ...
    async def kubeconfig(self) -> str | None:
        """The tenant kubeconfig YAML, or None where the platform has no Kubernetes (local)."""
        ...

    # -- clusters (Labs 2-4)
    async def list_clusters(self, kind: ClusterKind | None = None) -> list[Cluster]: ...
    async def get_cluster(self, name: str) -> Cluster: ...
    async def create_cluster(self, spec: ClusterSpec) -> Cluster: ...
    async def delete_cluster(self, name: str) -> None: ...

    # -- training (Lab 3)
    async def submit_job(self, spec: JobSpec) -> Job: ...
    async def list_jobs(self) -> list[Job]: ...
    async def get_job(self, job_id: str) -> Job: ...
    async def cancel_job(self, job_id: str) -> Job: ...
    def follow_log(
        self, job_id: str, *, from_line: int = 0, follow: bool = True, tail: int | None = None
    ) -> AsyncIterator[str]:
        """Yield log lines (without newline); with ``follow`` keep going until the job ends.

        ``from_line``: the first line (0-based). ``tail=N``: start with the last N lines there are
        now instead (``from_line`` is then ignored), so opening a big log starts near its end.
        """
        ...

    async def job_metrics(self, job_id: str) -> JobMetrics: ...

    # -- project repository
    async def list_repo(self, prefix: str = "") -> list[RepoEntry]: ...
    async def fetch_repo(self, path: str) -> bytes: ...
    async def upload_repo(
        self,
        path: str,
        content: bytes | Path,
        *,
        source: str | None = None,
        progress: Progress | None = None,
        replace: bool = False,
    ) -> RepoEntry:
        """Put ``content`` (bytes, or a local file sent in chunks) at ``path``; ``source`` is the
        local file it was read from (only for the equivalent command, so the one shown uploads that
        very file); ``progress`` follows a file's chunks. A file already at ``path`` is replaced
        only with ``replace`` (the person's explicit choice): otherwise AlreadyExists, and nothing
        is written. Raises InvalidInput when the file cannot be read or exceeds the platform's
        limit."""
        ...

    async def delete_repo(self, path: str) -> None:
        """Remove a file (or a folder with everything in it) from the project repository."""
        ...

    # -- model registry (Lab 4)
    async def list_models(self) -> list[Model]: ...
    async def list_versions(self, model: str) -> list[ModelVersion]: ...
    async def get_version(self, model: str, version: int) -> ModelVersion: ...
    async def model_configmap(self, model: str, version: int) -> dict[str, Any]:
        """The version as the workshop's Kubernetes ConfigMap (``kubedirector.hpe.com/cmType: model``)."""
        ...

    async def register_model(self, spec: RegisterSpec) -> ModelVersion: ...
    async def set_stage(self, model: str, version: int, stage: str) -> ModelVersion: ...

    # -- deployments (Lab 4) and predictions (Lab 5)
    async def list_deployments(self) -> list[Deployment]: ...
    async def get_deployment(self, name: str) -> Deployment: ...
    async def create_deployment(self, spec: DeploymentSpec) -> Deployment: ...
    async def delete_deployment(self, name: str) -> None: ...
    async def deployment_drift(self, name: str) -> DeploymentDrift:
        """Population stability index of each feature of what the deployment was asked, against
        its model's training data (docs/drift.md); ``available`` False with the reason where the
        platform does not measure it. Raises NotFound for an unknown deployment."""
        ...

    async def predict(
        self, deployment: str, records: list[dict[str, Any]], *, probe: bool = False
    ) -> Prediction:
        """Score ``records`` (workshop ``scoring_args`` dicts or raw rides) on the deployment.
        ``probe``: synthetic monitoring traffic (the dashboard's latency probe), sent with
        ``types.PROBE_HEADER`` so that the server does not count it as its clients' rides."""
        ...

    # -- workshop mode: the facilitator's view of the class, and the broadcast (issue 9)
    async def class_view(self) -> ClassView:
        """Every user of the tenant with their objects, queue position, last error and progress.

        The facilitator's (attendees get :class:`~mlops_tui.services.errors.Forbidden`). Lab
        progress is worked out from it by :mod:`mlops_tui.services.classroom`.
        """
        ...

    async def broadcast(self) -> Broadcast | None:
        """The facilitator's current message to the class, or None."""
        ...

    async def set_broadcast(self, message: str) -> Broadcast | None:
        """Set the message every attendee's guide shows (empty: clear it); the facilitator's."""
        ...

    async def prediction_history(self, deployment: str, limit: int = 10) -> list[PredictionRecord]:
        """The last ``limit`` requests the deployment's server answered, newest first (its
        ``/history``, as the workshop's deployment engine kept it)."""
        ...

    async def aclose(self) -> None: ...
