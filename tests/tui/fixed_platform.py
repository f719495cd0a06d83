"""A platform with fixed data, for deterministic SVG snapshots only.

Snapshots need the same pixels on every run (frozen clock, fixed ids and times); a real platform
gives new job ids, ports and timings each time. Everything else in tests/tui drives the real local
platform. This class implements the same :class:`Platform` protocol and records calls with the
same curl equivalents shape.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from mlops_tui.services import errors
from mlops_tui.services.platform import CallRecord
from mlops_tui.services.types import (
    Cluster,
    ClusterKind,
    ClusterSpec,
    ClusterState,
    Credentials,
    Deployment,
    DeploymentDrift,
    DeploymentSpec,
    Endpoint,
    Job,
    JobMetrics,
    JobSpec,
    JobState,
    Lineage,
    Member,
    Model,
    ModelVersion,
    Prediction,
    PredictionRecord,
    RegisterSpec,
    RepoEntry,
    Session,
)

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
URL = "http://127.0.0.1:8470"


def frozen_clock() -> datetime:
    return T0 + timedelta(minutes=30)


def _rounds(n: int = 40) -> list[dict[str, float]]:
    return [
        {"round": i, "train-rmse": round(600 * 0.9**i + 180, 2), "eval-rmse": round(620 * 0.9**i + 205, 2)}
        for i in range(1, n + 1)
    ]


LOG_LINES = [
    "taxi training: loading data/NYCTaxi/synthetic-yellow-2019H1.csv (SYNTHETIC data set)",
    '@@mlops {"type": "progress", "stage": "load", "pct": 10}',
    '@@mlops {"type": "data", "rows": 20000, "used_rows": 19412, "fingerprint": "sha256:9f3c1e", '
    '"synthetic": true}',
    "features: work, weekday, hour, month_1..6, distance, start/end lat/lon",
    *[
        f'@@mlops {{"type": "round", "round": {r["round"]}, "train-rmse": {r["train-rmse"]}, '
        f'"eval-rmse": {r["eval-rmse"]}}}'
        for r in _rounds()
    ],
    '@@mlops {"type": "metrics", "rmse": 213.4, "mae": 141.2, "r2": 0.81, "rmsle": 0.29}',
    "wrote models/alice/job-3/model.ubj and manifest.json",
    '@@mlops {"type": "artifact", "path": "models/alice/job-3"}',
]


class FixedPlatform:
    """Answers every call from fixed data; ``down = True`` makes every call Unreachable."""

    kind = "local"

    def __init__(self, user: str = "alice") -> None:
        self.user = user
        self.credentials = Credentials(URL, "K8sMLTenant", user, "secret")
        self.session: Session | None = None
        self._calls: list[CallRecord] = []
        self.down = False
        self.predictions = 0
        self.uploads: dict[str, RepoEntry] = {}  # what upload_repo received (the guide's Lab 3 upload)

    @property
    def calls(self) -> list[CallRecord]:
        return list(self._calls)

    def equivalent(self, op: str, **params: Any) -> str:
        return f"curl -sS {URL}/api/mlops/v1/{op.replace('_', '-')} -H 'X-BDS-SESSION: $MLOPS_SESSION'"

    def _rec(self, op: str, **params: Any) -> None:
        if self.down:
            raise errors.Unreachable(f"cannot reach {URL}")
        self._calls.append(CallRecord(op, self.equivalent(op, **params), 200, at=datetime.now(UTC)))

    async def login(self) -> Session:
        self._rec("login")
        self.session = Session(
            "/api/v2/session/0f0f", self.user, "K8sMLTenant", expires_at=T0 + timedelta(days=1)
        )
        return self.session

    async def whoami(self) -> Session:
        self._rec("whoami")
        assert self.session is not None
        return self.session

    async def logout(self) -> None:
        self._rec("logout")
        self.session = None

    async def kubeconfig(self) -> str | None:
        return None

    async def list_clusters(self, kind: ClusterKind | None = None) -> list[Cluster]:
        self._rec("list_clusters")
        clusters = [
            Cluster(
                "training-engine-shared",
                ClusterKind.TRAINING,
                "training-engine",
                ClusterState.CONFIGURED,
                members=(
                    Member("LoadBalancer-0", "LoadBalancer", "configured", "localhost", 4101),
                    Member("RESTServer-0", "RESTServer", "configured", "localhost", 4102),
                    Member("RESTServer-1", "RESTServer", "configured", "localhost", 4103),
                ),
                created_at=T0,
            ),
            Cluster(
                f"mlops-jupyter-notebook-{self.user}",
                ClusterKind.NOTEBOOK,
                "jupyter-notebook",
                ClusterState.CONFIG_ERROR,
                members=(Member("ControllerNode-0", "controller", "config error", "localhost"),),
                message="Jupyter is not installed on this host: pip install 'mlops-tui[jupyter]'",
                created_at=T0 + timedelta(minutes=2),
            ),
            Cluster(
                f"mlops-inference-server-{self.user}",
                ClusterKind.DEPLOYMENT,
                "deployment-engine",
                ClusterState.CONFIGURED,
                members=(
                    Member("LoadBalancer-0", "LoadBalancer", "configured", "localhost", 4200, restarts=1),
                ),
                endpoints=(Endpoint("gateway", f"{URL[:-4]}8471/mlops-model-{self.user}/1/predict"),),
                created_at=T0 + timedelta(minutes=20),
            ),
        ]
        return [c for c in clusters if kind is None or c.kind == kind]

    async def get_cluster(self, name: str) -> Cluster:
        for cluster in await self.list_clusters():
            if cluster.name == name:
                return cluster
        raise errors.NotFound(f"no cluster {name}")

    async def create_cluster(self, spec: ClusterSpec) -> Cluster:
        raise errors.Conflict(f"cluster {spec.name} already exists")

    async def delete_cluster(self, name: str) -> None:
        self._rec("delete_cluster", name=name)

    def _jobs(self) -> list[Job]:
        def job(i: int, state: JobState, minutes: int, metrics: dict[str, float]) -> Job:
            start = T0 + timedelta(minutes=minutes)
            return Job(
                str(i),
                "training-engine-shared",
                state,
                user=self.user,
                name=f"taxi-{i}",
                code=f"code/{self.user}/taxi",
                data="data/NYCTaxi/synthetic-yellow-2019H1.csv",
                output=f"models/{self.user}/job-{i}",
                params={"max-depth": 6, "rounds": 40},
                exit_code=0 if state == JobState.FINISHED else (1 if state == JobState.FAILED else None),
                metrics=metrics,
                data_fingerprint="sha256:9f3c1e",
                submitted_at=start,
                started_at=start + timedelta(seconds=1),
                finished_at=None if state == JobState.RUNNING else start + timedelta(seconds=21),
            )

        return [
            job(4, JobState.RUNNING, 28, {}),
            job(3, JobState.FINISHED, 10, {"rmse": 213.4, "mae": 141.2, "r2": 0.81}),
            job(2, JobState.FAILED, 6, {}),
            job(1, JobState.FINISHED, 4, {"rmse": 230.1, "mae": 150.3, "r2": 0.78}),
        ]

    async def submit_job(self, spec: JobSpec) -> Job:
        self._rec("submit_job")
        return self._jobs()[0]

    async def list_jobs(self) -> list[Job]:
        self._rec("list_jobs")
        return self._jobs()

    async def get_job(self, job_id: str) -> Job:
        self._rec("get_job", job_id=job_id)
        for job in self._jobs():
            if job.id == job_id:
                return job
        raise errors.NotFound(f"no job {job_id}")

    async def cancel_job(self, job_id: str) -> Job:
        self._rec("cancel_job", job_id=job_id)
        return await self.get_job(job_id)

    async def follow_log(
        self, job_id: str, *, from_line: int = 0, follow: bool = True, tail: int | None = None
    ) -> AsyncIterator[str]:
        self._rec("follow_log", job_id=job_id)
        for line in LOG_LINES[-tail:] if tail is not None else LOG_LINES[from_line:]:
            yield line
        if follow and job_id == "4":
            await asyncio.Event().wait()  # a running job: the stream stays open

    async def job_metrics(self, job_id: str) -> JobMetrics:
        self._rec("job_metrics", job_id=job_id)
        return JobMetrics(job_id, {"rmse": 213.4, "mae": 141.2, "r2": 0.81, "rmsle": 0.29}, _rounds())

    async def list_repo(self, prefix: str = "") -> list[RepoEntry]:
        entries = [RepoEntry("data/NYCTaxi/synthetic-yellow-2019H1.csv", 2_100_000, modified_at=T0)]
        return [e for e in [*entries, *self.uploads.values()] if e.path.startswith(prefix)]

    async def fetch_repo(self, path: str) -> bytes:
        return b""

    async def upload_repo(
        self, path: str, content: bytes, *, source: str | None = None, replace: bool = False
    ) -> RepoEntry:
        if not replace and (path in self.uploads or path == "data/NYCTaxi/synthetic-yellow-2019H1.csv"):
            raise errors.AlreadyExists(f"{path} already exists in the project repository", path=path)
        self.uploads[path] = RepoEntry(path, len(content), modified_at=T0)
        return self.uploads[path]

    def _versions(self) -> list[ModelVersion]:
        return [
            ModelVersion(
                f"mlops-model-{self.user}",
                v,
                description=f"taxi travel time, job {job}",
                path=f"models/{self.user}/job-{job}",
                scoring_path=f"code/{self.user}/taxi/scoring.py",
                checksums={
                    "model.ubj": "sha256:4be1c0ffee" + str(v),
                    "manifest.json": "sha256:77aa12" + str(v),
                },
                metrics={"rmse": rmse, "mae": mae, "r2": 0.8},
                lineage=Lineage(
                    str(job),
                    "data/NYCTaxi/synthetic-yellow-2019H1.csv",
                    "sha256:9f3c1e",
                    f"code/{self.user}/taxi",
                ),
                stage=stage,
                created_by=self.user,
                created_at=T0 + timedelta(minutes=5 * v),
            )
            for v, job, rmse, mae, stage in (
                (1, 1, 230.1, 150.3, "archived"),
                (2, 3, 213.4, 141.2, "production"),
            )
        ]

    async def list_models(self) -> list[Model]:
        self._rec("list_models")
        return [Model(f"mlops-model-{self.user}", "NYC taxi travel time", 2, 2, T0 + timedelta(minutes=10))]

    async def list_versions(self, model: str) -> list[ModelVersion]:
        self._rec("list_versions", model=model)
        return self._versions()

    async def get_version(self, model: str, version: int) -> ModelVersion:
        self._rec("get_version", model=model, version=version)
        return self._versions()[version - 1]

    async def model_configmap(self, model: str, version: int) -> dict[str, Any]:
        self._rec("model_configmap", model=model, version=version)
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{model}-v{version}", "labels": {"kubedirector.hpe.com/cmType": "model"}},
            "data": {
                "name": model,
                "description": "taxi travel time",
                "model-version": str(version),
                "path": f"models/{self.user}/job-3",
                "scoring-path": f"code/{self.user}/taxi/scoring.py",
                "modelType": "xgboost",
            },
        }

    async def register_model(self, spec: RegisterSpec) -> ModelVersion:
        self._rec("register_model")
        return self._versions()[-1]

    async def set_stage(self, model: str, version: int, stage: str) -> ModelVersion:
        self._rec("set_stage")
        return self._versions()[version - 1]

    async def list_deployments(self) -> list[Deployment]:
        self._rec("list_deployments")
        return [
            Deployment(
                f"mlops-inference-server-{self.user}",
                f"mlops-model-{self.user}",
                2,
                ClusterState.CONFIGURED,
                url=f"http://127.0.0.1:8471/mlops-model-{self.user}/2/predict",
                auth_token="0123456789abcdef0123456789abcdef",
                restarts=1,
                created_at=T0 + timedelta(minutes=20),
                max_batch_size=1024,
                max_batch_wait_ms=0.0,
            )
        ]

    async def prediction_history(self, deployment: str, limit: int = 10) -> list[PredictionRecord]:
        self._rec("prediction_history", deployment=deployment)
        ok = "The ride duration prediction is 812.4 seconds.\n"
        return [
            PredictionRecord(
                "b7e1",
                2,
                "Failed",
                "predict",
                T0 + timedelta(minutes=31),
                422,
                1,
                error="scoring_args.hour: hour must be between 0 and 23, got 31",
                latency_ms=0.6,
            ),
            PredictionRecord(
                "a3f0",
                1,
                "Finished",
                "predict",
                T0 + timedelta(minutes=30),
                200,
                1,
                output=ok,
                latency_ms=0.9,
            ),
        ][:limit]

    async def get_deployment(self, name: str) -> Deployment:
        for dep in await self.list_deployments():
            if dep.name == name:
                return dep
        raise errors.NotFound(f"no deployment {name}")

    async def create_deployment(self, spec: DeploymentSpec) -> Deployment:
        self._rec("create_deployment")
        return (await self.list_deployments())[0]

    async def delete_deployment(self, name: str) -> None:
        self._rec("delete_deployment", name=name)

    async def deployment_drift(self, name: str) -> DeploymentDrift:
        """A daytime Manhattan model asked about 400 night airport rides, measured by the real
        drift monitor on seeded rides (the times are fixed for the snapshots)."""
        await self.get_deployment(name)
        self._rec("deployment_drift", name=name)
        from drift_support import daytime_manhattan, manifest, night_airport

        from mlops_tui.platform.serving.drift import DriftMonitor

        monitor = DriftMonitor(manifest(daytime_manhattan(20_000)), clock=lambda: T0.timestamp() + 1500)
        monitor.observe(np.vstack([daytime_manhattan(100, seed=4), night_airport(300)]))
        report = monitor.report()
        return DeploymentDrift.from_dict(
            {**report, "deployment": name, "model": f"mlops-model-{self.user}", "version": 2}
        )

    async def predict(
        self, deployment: str, records: list[dict[str, Any]], *, probe: bool = False
    ) -> Prediction:
        self._rec("predict", deployment=deployment)
        self.predictions += 1
        latency = (3.1, 2.4, 2.8, 4.0, 2.2, 2.6)[self.predictions % 6]
        request = {"use_scoring": True, "scoring_args": records[0]}
        response = {"output": "The ride duration prediction is 812.4 seconds.\n", "prediction": [812.4]}
        return Prediction((812.4,), latency, 200, request, response)

    async def aclose(self) -> None:
        return None
