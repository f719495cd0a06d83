"""The kubernetes adapter: the Platform interface on HPE Ezmeral ML Ops or any KubeDirector cluster.

Ezmeral: the REST session on the gateway is the login (reference §1); it hands out the tenant
kubeconfig, kept per profile with mode 0600, with which the official kubernetes client talks to
the tenant namespace. Plain KubeDirector: a kubeconfig and context, no REST. Either way a 401 from
the Kubernetes API rebuilds the client from fresh credentials (re-fetching the kubeconfig, logging
in again where the session expired) and retries once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx

from mlops_tui.platform.names import shown
from mlops_tui.services import classroom, errors
from mlops_tui.services.curl import read_secret
from mlops_tui.services.kubernetes import kubeconfigs, manifests
from mlops_tui.services.kubernetes import names as n
from mlops_tui.services.kubernetes import rest as rest_mod
from mlops_tui.services.kubernetes.clusters import ClusterEvent, Clusters
from mlops_tui.services.kubernetes.commands import Kubectl
from mlops_tui.services.kubernetes.context import Ctx
from mlops_tui.services.kubernetes.deployments import Deployments
from mlops_tui.services.kubernetes.exec_credential import ExecListener
from mlops_tui.services.kubernetes.kube import KD_GROUP, KD_PLURAL, KD_VERSION, KubeApi
from mlops_tui.services.kubernetes.options import KubernetesOptions
from mlops_tui.services.kubernetes.predict import Predictor
from mlops_tui.services.kubernetes.predict import curl as predict_curl
from mlops_tui.services.kubernetes.registry import SELECTOR, Registry
from mlops_tui.services.kubernetes.repo import Repository
from mlops_tui.services.kubernetes.rest import EzmeralRest
from mlops_tui.services.kubernetes.training import Training
from mlops_tui.services.platform import CallRecord, Progress
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
    DriftStatus,
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

MAX_CALLS = 500
DRIFT_UNAVAILABLE = (
    "drift is not measured on Kubernetes: the KubeDirector deployment engine keeps no histogram of "
    "the rides it is asked about (the local platform's prediction servers do: docs/drift.md)"
)


class KubernetesPlatform:
    """HPE Ezmeral ML Ops (``options.mode="ezmeral"``) or a KubeDirector cluster (``"kubeconfig"``)."""

    kind = "kubernetes"

    def __init__(
        self,
        credentials: Credentials,
        options: KubernetesOptions | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_relogin: Callable[[], None] | None = None,
    ) -> None:
        self.credentials = credentials
        self.options = options or KubernetesOptions()
        self.session: Session | None = None
        self._calls: deque[CallRecord] = deque(maxlen=MAX_CALLS)
        self._kubeconfig_text: str | None = None
        self._kubeconfig_file: Path | None = None
        self.rest: EzmeralRest | None = None
        if self.options.ezmeral:
            self.rest = EzmeralRest(
                credentials, self.options, self._calls.append, transport=transport, on_relogin=on_relogin
            )
            self._kubeconfig_file = kubeconfigs.kubeconfig_path(
                self.options.profile, self.options.kubeconfig_dir
            )
        default_ns = credentials.tenant.lower() if self.options.ezmeral else "default"
        self.kube = KubeApi(self.options, self._provide_kubeconfig, default_ns)
        kubectl = Kubectl(lambda: self.kube.namespace, self._kubectl_config)
        self.ctx = Ctx(
            kube=self.kube,
            options=self.options,
            record=self._calls.append,
            user=self._user_id,
            kubectl=kubectl,
        )
        self.clusters = Clusters(self.ctx)
        self.training = Training(self.ctx, self.clusters.get)
        self.repo = Repository(self.ctx)
        self.registry = Registry(self.ctx, self.repo, self.training)
        self.deployments = Deployments(self.clusters, self.registry)
        self.predictor = Predictor(self.options, self._calls.append, transport=transport)

    # -- plumbing ----------------------------------------------------------------------------------

    def _user_id(self) -> str:
        return n.user_id(self.session.user if self.session else self.credentials.user)

    def _kubectl_config(self) -> str:
        if self._kubeconfig_file is not None:
            return str(self._kubeconfig_file)
        return self.options.kubeconfig_path

    async def _provide_kubeconfig(self, refresh: bool) -> dict[str, Any]:
        """The kubeconfig to build the client from; ``refresh`` after a 401."""
        if self.rest is None:
            path, config = kubeconfigs.read(self.options.kubeconfig_path)
            self._kubeconfig_text = path.read_text(encoding="utf-8")
            return config
        if refresh or self._kubeconfig_text is None:
            await self.kubeconfig()
        assert self._kubeconfig_text is not None
        return kubeconfigs.parse(self._kubeconfig_text, "the kubeconfig from the gateway")

    @property
    def calls(self) -> list[CallRecord]:
        return list(self._calls)

    @property
    def namespace(self) -> str:
        return self.kube.namespace

    @property
    def kubeconfig_file(self) -> Path | None:
        """Where the Ezmeral kubeconfig is kept (mode 0600), for ``kubectl --kubeconfig``."""
        return self._kubeconfig_file

    # -- exec credential plugins -------------------------------------------------------------------

    @property
    def exec_listener(self) -> ExecListener | None:
        """Who hears the kubeconfig's exec plugin while it runs: the TUI's sign-in modal, or stderr
        for headless commands (None: its stderr is kept only for the error message)."""
        return self.kube.exec_auth.listener

    @exec_listener.setter
    def exec_listener(self, listener: ExecListener | None) -> None:
        self.kube.exec_auth.listener = listener

    # -- session (Lab 1) ---------------------------------------------------------------------------------

    async def login(self) -> Session:
        if self.rest is not None:
            await self.rest.login()
            self.session = await self.rest.session_info()
            return self.session
        return await self._kubeconfig_session("login")

    async def _kubeconfig_session(self, op: str) -> Session:
        # A cheap authenticated call proves the kubeconfig works and KubeDirector is installed.
        await self.ctx.call(
            op,
            self.ctx.kubectl("auth", "can-i", "create", "kubedirectorclusters"),
            "list KubeDirectorClusters",
            lambda a: a.custom.list_namespaced_custom_object(
                KD_GROUP, KD_VERSION, a.namespace, KD_PLURAL, limit=1, _request_timeout=a.timeout
            ),
        )
        _, config = kubeconfigs.read(self.options.kubeconfig_path)
        user = self.credentials.user or kubeconfigs.current_user(config, self.options.context)
        self.session = Session(
            id=f"kubeconfig:{self.options.context or config.get('current-context', '')}",
            user=user,
            tenant=self.credentials.tenant or self.kube.namespace,
            namespace=self.kube.namespace,
        )
        return self.session

    async def whoami(self) -> Session:
        if self.rest is not None:
            self.session = await self.rest.session_info()
            return self.session
        return await self._kubeconfig_session("whoami")

    async def logout(self) -> None:
        if self.rest is not None:
            await self.rest.logout()
        self.session = None
        await self.kube.aclose()

    async def kubeconfig(self) -> str | None:
        """Lab 1: fetch the tenant kubeconfig (Ezmeral) and keep it with mode 0600; else the file used."""
        if self.rest is None:
            path, _ = kubeconfigs.read(self.options.kubeconfig_path)
            return path.read_text(encoding="utf-8")
        text = await self.rest.kubeconfig()
        kubeconfigs.parse(text, "the kubeconfig from the gateway")
        assert self._kubeconfig_file is not None
        kubeconfigs.save(self._kubeconfig_file, text)
        self._kubeconfig_text = text
        return text

    # -- clusters ----------------------------------------------------------------------------------

    async def list_clusters(self, kind: ClusterKind | None = None) -> list[Cluster]:
        return await self.clusters.list(kind)

    async def get_cluster(self, name: str) -> Cluster:
        return await self.clusters.get(name)

    async def create_cluster(self, spec: ClusterSpec) -> Cluster:
        return await self.clusters.create(spec)

    async def delete_cluster(self, name: str) -> None:
        await self.clusters.delete(name)

    async def cluster_events(self, name: str) -> list[ClusterEvent]:
        """Kubernetes events about a cluster (for ``kubectl describe``-like detail panes)."""
        return await self.clusters.events(name)

    # -- training ----------------------------------------------------------------------------------

    async def submit_job(self, spec: JobSpec) -> Job:
        return await self.training.submit(spec)

    async def list_jobs(self) -> list[Job]:
        return await self.training.list()

    async def get_job(self, job_id: str) -> Job:
        return await self.training.get(job_id)

    async def cancel_job(self, job_id: str) -> Job:
        return await self.training.cancel(job_id)

    def follow_log(
        self, job_id: str, *, from_line: int = 0, follow: bool = True, tail: int | None = None
    ) -> AsyncIterator[str]:
        return self.training.follow_log(job_id, from_line=from_line, follow=follow, tail=tail)

    async def job_metrics(self, job_id: str) -> JobMetrics:
        return await self.training.metrics(job_id)

    # -- project repository ------------------------------------------------------------------------

    async def list_repo(self, prefix: str = "") -> list[RepoEntry]:
        return await self.repo.list(prefix)

    async def fetch_repo(self, path: str) -> bytes:
        return await self.repo.fetch(path)

    async def upload_repo(
        self,
        path: str,
        content: bytes | Path,
        *,
        source: str | None = None,
        progress: Progress | None = None,
        replace: bool = False,
    ) -> RepoEntry:
        if isinstance(content, Path):
            source = source or str(content)
            content = await self.repo.read_local(content)
        entry = await self.repo.upload(path, content, source=source, replace=replace)
        if progress is not None:
            progress(len(content), len(content))
        return entry

    async def delete_repo(self, path: str) -> None:
        await self.repo.delete(path)

    # -- registry ----------------------------------------------------------------------------------

    async def list_models(self) -> list[Model]:
        return await self.registry.list_models()

    async def list_versions(self, model: str) -> list[ModelVersion]:
        return await self.registry.list_versions(model)

    async def get_version(self, model: str, version: int) -> ModelVersion:
        return await self.registry.get_version(model, version)

    async def model_configmap(self, model: str, version: int) -> dict[str, Any]:
        """The registry ConfigMap of a version, as ``kubectl get configmap -o yaml`` shows it."""
        cm = await self.registry.find(model, version, "model_configmap")
        meta = cm.get("metadata") or {}
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": meta.get("name"), "labels": meta.get("labels") or {}},
            "data": cm.get("data") or {},
        }

    async def register_model(self, spec: RegisterSpec) -> ModelVersion:
        return await self.registry.register(spec)

    async def set_stage(self, model: str, version: int, stage: str) -> ModelVersion:
        return await self.registry.set_stage(model, version, stage)

    # -- workshop mode -----------------------------------------------------------------------------

    async def class_view(self) -> ClassView:
        """The class from the tenant namespace's KubeDirector clusters, Jobs and model ConfigMaps,
        grouped by the user id in their ``mlops-tui.io/user`` label or workshop name
        (``services.classroom.view_from_objects``). No roster, logins, queue or prediction counts:
        Kubernetes keeps none of them."""
        clusters = await self.list_clusters()
        jobs = await self.list_jobs()
        versions = [v for m in await self.list_models() for v in await self.list_versions(m.name)]
        deployments = await self.list_deployments()
        return classroom.view_from_objects(self.credentials.tenant, clusters, jobs, versions, deployments)

    async def broadcast(self) -> Broadcast | None:
        raise errors.NotSupported(
            "the broadcast message is kept by the local workshop platform; on Kubernetes tell the class "
            "another way (the Kubernetes adapter does not store one)"
        )

    async def set_broadcast(self, message: str) -> Broadcast | None:
        return await self.broadcast()

    # -- deployments and predictions ---------------------------------------------------------------

    async def list_deployments(self) -> list[Deployment]:
        return await self.deployments.list()

    async def get_deployment(self, name: str) -> Deployment:
        return await self.deployments.get(name)

    async def create_deployment(self, spec: DeploymentSpec) -> Deployment:
        return await self.deployments.create(spec)

    async def delete_deployment(self, name: str) -> None:
        await self.deployments.delete(name)

    async def deployment_drift(self, name: str) -> DeploymentDrift:
        """Not measured here, and said so: the workshop's KubeDirector deployment engine answers
        predictions and keeps no histogram of what it is asked, and Kubernetes has no API for it.
        The deployment is looked up all the same (NotFound for an unknown name)."""
        dep = await self.deployments.get(name)
        return DeploymentDrift(
            deployment=dep.name,
            model=dep.model,
            version=dep.version,
            available=False,
            status=DriftStatus.UNAVAILABLE,
            reason=DRIFT_UNAVAILABLE,
        )

    async def prediction_history(self, deployment: str, limit: int = 10) -> list[PredictionRecord]:
        return await self.predictor.history(await self.deployments.get(deployment), limit)

    async def predict(
        self, deployment: str, records: list[dict[str, Any]], *, probe: bool = False
    ) -> Prediction:
        """Through the gateway; ``probe`` is not told apart there (drift is not measured on
        Kubernetes: ``deployment_drift``)."""
        dep = await self.deployments.get(deployment)
        self._last_deployment = dep
        try:
            return await self.predictor.predict(dep, records)
        except errors.Forbidden:
            # The token may have been regenerated (member re-created): read it again, retry once.
            fresh = await self.deployments.get(deployment)
            if fresh.auth_token == dep.auth_token:
                raise
            self._last_deployment = fresh
            return await self.predictor.predict(fresh, records)

    _last_deployment: Deployment | None = None

    # -- equivalent commands -----------------------------------------------------------------------

    def shell_setup(self) -> str:
        """The line that sets ``$MLOPS_PASSWORD`` for the REST login curl (none with a kubeconfig)."""
        if self.rest is None:
            return ""
        return read_secret(rest_mod.PASSWORD_VAR, f"password of {self.rest.credentials.user}")

    def equivalent(self, op: str, *, reveal: bool = False, **p: Any) -> str:
        """The kubectl (or curl, for the REST session and predictions) that does ``op``."""
        k = self.ctx.kubectl
        if op in ("login", "whoami", "logout", "kubeconfig") and self.rest is not None:
            return self.rest.curl(op)
        user = self._user_id()
        simple: dict[str, Callable[[], str]] = {
            "login": lambda: k("auth", "can-i", "create", "kubedirectorclusters"),
            "whoami": lambda: k("config", "view", "--minify"),
            "logout": lambda: "true  # a kubeconfig has no session to end",
            "kubeconfig": lambda: k("config", "view", "--raw", "--minify"),
            "list_clusters": lambda: k("get", "kdcluster"),
            "get_cluster": lambda: k("describe", "kdcluster", p.get("name", "NAME")),
            "cluster_events": lambda: k(
                "get", "events", "--field-selector", f"involvedObject.name={p.get('name', 'NAME')}"
            ),
            "delete_cluster": lambda: k("delete", "kdcluster", p.get("name", "NAME")),
            "list_jobs": lambda: k("get", "jobs", "-l", f"{n.MANAGED_BY}={n.MANAGER}"),
            "get_job": lambda: k("get", "job", p.get("job_id", "ID"), "-o", "yaml"),
            "cancel_job": lambda: k(
                "patch", "job", p.get("job_id", "ID"), "--type=merge", "-p", '{"spec":{"suspend":true}}'
            ),
            "follow_log": lambda: k(
                "logs",
                *(["-f"] if p.get("follow", True) else []),
                *([f"--tail={p['tail']}"] if p.get("tail") else []),
                f"job/{p.get('job_id', 'ID')}",
            ),
            "job_metrics": lambda: k("logs", f"job/{p.get('job_id', 'ID')}") + " | grep '^@@mlops'",
            "list_models": lambda: k("get", "configmap", "-l", SELECTOR),
            "list_versions": lambda: k("get", "configmap", "-l", SELECTOR, "-o", "yaml"),
            "get_version": lambda: k("get", "configmap", self._cm_name(p), "-o", "yaml"),
            "model_configmap": lambda: k("get", "configmap", self._cm_name(p), "-o", "yaml"),
            "set_stage": lambda: k(
                "annotate",
                "configmap",
                self._cm_name(p),
                f"{n.P}stage={p.get('stage', 'staging')}",
                "--overwrite",
            ),
            "list_deployments": lambda: k("get", "kdcluster", "-l", f"{n.LABEL_KIND}=deployment"),
            "get_deployment": lambda: k(
                "describe",
                "service",
                "-l",
                f"{n.LABEL_KDCLUSTER}={p.get('name', 'NAME')},{n.LABEL_ROLE}=LoadBalancer",
            ),
            "delete_deployment": lambda: k("delete", "kdcluster", p.get("name", "NAME")),
            "deployment_drift": lambda: f"true  # {DRIFT_UNAVAILABLE}",
            "list_repo": lambda: k(
                "exec", "POD", "--", "find", f"{self.options.repo_mount}/{p.get('prefix', '')}"
            ),
            "fetch_repo": lambda: k(
                "cp",
                f"POD:{self.options.repo_mount}/{p.get('path', 'PATH')}",
                str(p.get("path", "PATH")).rsplit("/", 1)[-1],
            ),
            "upload_repo": lambda: k(
                "cp",
                str(p.get("source") or str(p.get("path", "PATH")).rsplit("/", 1)[-1]),
                f"POD:{self.options.repo_mount}/{p.get('path', 'PATH')}",
            ),
            "delete_repo": lambda: k(
                "exec", "POD", "--", "rm", "-r", f"{self.options.repo_mount}/{p.get('path', 'PATH')}"
            ),
        }
        if op in simple:
            return simple[op]()
        if op == "create_cluster":
            spec = p.get("spec") or ClusterSpec(name="NAME", kind=ClusterKind.NOTEBOOK)
            return k.apply(manifests.kdcluster(spec, self.options, user=user))
        if op == "create_deployment":
            spec = p.get("spec") or DeploymentSpec(name="NAME", model="MODEL", version=1)
            cs = ClusterSpec(
                name=spec.name,
                kind=ClusterKind.DEPLOYMENT,
                connections={"configmaps": [self._cm_name({"model": spec.model, "version": spec.version})]},
            )
            return k.apply(manifests.kdcluster(cs, self.options, user=user))
        if op == "submit_job":
            return k("create", "job", "...") + "  # see the Job manifest in the call log"
        if op == "register_model":
            return k("apply", "-f", "mlops-model.yaml") + "  # see the ConfigMap in the call log"
        if op == "predict":
            dep = (
                self._last_deployment
                if self._last_deployment and (self._last_deployment.name == p.get("deployment"))
                else None
            )
            records = p.get("records") or [{}]
            return predict_curl(
                dep.url if dep else "",
                dep.auth_token if dep else None,
                records[0],
                self.options,
                reveal=reveal,
            )
        raise errors.InvalidInput(f"no such platform operation {shown(op)}", field="op")

    @staticmethod
    def _cm_name(p: dict[str, Any]) -> str:
        version = int(p.get("version", 1) or 1)
        model = str(p.get("model", "MODEL"))
        return model if version == 1 else f"{model}-v{version}"

    async def aclose(self) -> None:
        await self.kube.aclose()
        await self.predictor.aclose()
        if self.rest is not None:
            await self.rest.aclose()
