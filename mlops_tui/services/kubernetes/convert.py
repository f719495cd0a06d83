"""Read Kubernetes objects (JSON dicts as the API server sends them) into the service's types.

KubeDirectorCluster ``.status`` gives state and members (reference §2.7), member Services give
endpoints through the gateway annotation ``hpecp-internal-gateway/<port>`` or their node port,
and the ``kd-auth-token`` annotation (§2.9); Jobs and registry ConfigMaps carry what the adapter
wrote in their labels and annotations.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from mlops_tui.services.kubernetes import names as n
from mlops_tui.services.types import (
    Cluster,
    ClusterKind,
    ClusterState,
    Deployment,
    Endpoint,
    Job,
    JobState,
    Lineage,
    Member,
    ModelVersion,
)

# Facts of the three KubeDirectorApps (reference §2.3, the definitions in
# shared/reference/kubedirector; tests/kubernetes/test_k8s_schemas.py checks them against those files).
TOKEN_SERVICES = {"gunicorn", "haproxy", "haproxy-train"}  # endpoint.hasAuthToken
PATH_BY_SERVICE = {"haproxy-train": "/train", "jupyter-nb": "/"}  # endpoint.path (fixed ones)
# deployment-engine's haproxy endpoint.path, filled in with the model's name and version
PREDICT_PATH = "/<<model_name>>/<<model_version>>/predict"
# Which endpoint is "the" URL of a kind (notebook UI, training API, prediction balancer).
MAIN_SERVICE = {
    ClusterKind.NOTEBOOK: "jupyter-nb",
    ClusterKind.TRAINING: "haproxy-train",
    ClusterKind.DEPLOYMENT: "haproxy",
}


def predict_path(model_name: str, version: int | str) -> str:
    """The deployment engine's route for a model version (its ``haproxy`` endpoint path)."""
    return PREDICT_PATH.replace("<<model_name>>", model_name).replace("<<model_version>>", str(version))


def parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def annotations(obj: dict[str, Any]) -> dict[str, str]:
    return _meta(obj).get("annotations") or {}


def labels(obj: dict[str, Any]) -> dict[str, str]:
    return _meta(obj).get("labels") or {}


def json_annotation(obj: dict[str, Any], key: str, default: Any) -> Any:
    raw = annotations(obj).get(key)
    if not raw:
        return default
    try:
        return json.loads(raw)
    except ValueError:
        return default


# -- clusters -------------------------------------------------------------------------------------


def cluster_state(obj: dict[str, Any]) -> ClusterState:
    if _meta(obj).get("deletionTimestamp"):
        return ClusterState.DELETING
    status = obj.get("status") or {}
    rollup = status.get("memberStateRollup") or {}
    if rollup.get("configErrors"):
        return ClusterState.CONFIG_ERROR
    state = str(status.get("state") or "creating")
    if state == "configured":
        return ClusterState.CONFIGURED
    if state in ("updating", "spec modified"):
        return ClusterState.UPDATING
    if state in ("deleting", "delete pending"):
        return ClusterState.DELETING
    if state == "config error":
        return ClusterState.CONFIG_ERROR
    return ClusterState.CREATING


def _pod_restarts(pod: dict[str, Any]) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    return sum(int(s.get("restartCount") or 0) for s in statuses)


def _member_detail(member: dict[str, Any]) -> str:
    detail = member.get("stateDetail") or {}
    for key in ("configErrorDetail", "schedulingErrorMessage", "lastKnownContainerState"):
        if detail.get(key):
            return str(detail[key])
    return ""


def service_id(port: dict[str, Any]) -> tuple[str, str]:
    """``(service id, url scheme)`` of a member Service port. KubeDirector names each port
    ``<urlScheme>-<id>``, or ``generic-<id>`` for a service without a URL scheme (ssh)
    (``createPortNameForService`` in bluek8s/kubedirector ``pkg/executor/util.go``)."""
    name = str(port.get("name") or "")
    scheme, sep, rest = name.partition("-")
    if sep and rest and scheme in ("http", "https", "generic"):
        return rest, "" if scheme == "generic" else scheme
    return name or str(port.get("port")), ""


def service_endpoints(service: dict[str, Any], node_host: str) -> list[Endpoint]:
    """The endpoints one member Service exposes: gateway mapping first, else its node port."""
    spec = service.get("spec") or {}
    ann = annotations(service)
    role = labels(service).get(n.LABEL_ROLE, "")
    token = ann.get(n.ANN_AUTH_TOKEN)
    out: list[Endpoint] = []
    for port in spec.get("ports") or []:
        sid, url_scheme = service_id(port)
        number = port.get("targetPort") if isinstance(port.get("targetPort"), int) else port.get("port")
        mapped = ann.get(f"{n.ANN_GATEWAY_PREFIX}{number}") or ann.get(
            f"{n.ANN_GATEWAY_PREFIX}{port.get('port')}"
        )
        if not url_scheme:  # a plain TCP service (ssh): no URL scheme of its own
            url_scheme = "ssh" if sid == "ssh" else "tcp"
        if mapped:
            # The gateway terminates TLS for http ports (reference §2.9): https outside.
            url = f"{'https' if url_scheme == 'http' else url_scheme}://{mapped}"
        elif port.get("nodePort") and node_host:
            url = f"{url_scheme}://{node_host}:{port['nodePort']}"
        else:
            continue
        url += PATH_BY_SERVICE.get(sid, "")
        name = f"{role}/{sid}" if role else sid
        out.append(Endpoint(name=name, url=url, auth_token=token if sid in TOKEN_SERVICES else None))
    return out


def cluster(
    obj: dict[str, Any],
    pods: list[dict[str, Any]],
    services: list[dict[str, Any]],
    *,
    node_host: str = "",
    message: str = "",
) -> Cluster | None:
    """A KubeDirectorCluster with its pods and services, or None for an app mlops-tui does not know."""
    spec = obj.get("spec") or {}
    app = str(spec.get("app", ""))
    kind = n.KIND_BY_KD_APP.get(app)
    if kind is None:
        return None
    pods_by_name = {_meta(p).get("name"): p for p in pods}
    members: list[Member] = []
    for role in (obj.get("status") or {}).get("roles") or []:
        for m in role.get("members") or []:
            pod = pods_by_name.get(m.get("pod"), {})
            members.append(
                Member(
                    name=str(m.get("pod", "")),
                    role=str(role.get("id", "")),
                    state=str(m.get("state", "")),
                    node=str((pod.get("spec") or {}).get("nodeName") or m.get("nodeID") or ""),
                    restarts=_pod_restarts(pod),
                    detail=_member_detail(m),
                )
            )
    if not members:  # status not filled in yet: show the pods the label finds
        for pod in pods:
            members.append(
                Member(
                    name=str(_meta(pod).get("name", "")),
                    role=labels(pod).get(n.LABEL_ROLE, ""),
                    state=str((pod.get("status") or {}).get("phase", "")).lower(),
                    node=str((pod.get("spec") or {}).get("nodeName") or ""),
                    restarts=_pod_restarts(pod),
                )
            )
    endpoints: list[Endpoint] = []
    for svc in services:
        if labels(svc).get(n.LABEL_HEADLESS) or (svc.get("spec") or {}).get("clusterIP") == "None":
            continue
        endpoints += service_endpoints(svc, node_host)
    connections = {k: list(v) for k, v in (spec.get("connections") or {}).items() if isinstance(v, list)}
    return Cluster(
        name=str(_meta(obj).get("name", "")),
        kind=ClusterKind(kind),
        app=app,
        state=cluster_state(obj),
        members=tuple(members),
        endpoints=tuple(sorted(endpoints, key=lambda e: e.name)),
        connections=connections,
        message=message,
        created_at=parse_time(_meta(obj).get("creationTimestamp")),
        owner=labels(obj).get(n.LABEL_USER, ""),
    )


def main_endpoint(c: Cluster) -> Endpoint | None:
    wanted = MAIN_SERVICE.get(c.kind)
    for e in c.endpoints:
        if e.name.split("/")[-1] == wanted:
            return e
    return None


# -- training jobs --------------------------------------------------------------------------------


def job_state(obj: dict[str, Any]) -> JobState:
    status = obj.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or [] if c.get("status") == "True"}
    if "Complete" in conditions or status.get("succeeded"):
        return JobState.FINISHED
    if "Failed" in conditions or status.get("failed"):
        return JobState.FAILED
    if (obj.get("spec") or {}).get("suspend") or annotations(obj).get(n.P + "cancelled"):
        return JobState.CANCELLED
    if status.get("active"):
        return JobState.RUNNING
    return JobState.QUEUED


def job(obj: dict[str, Any], *, pod: dict[str, Any] | None = None) -> Job:
    meta = _meta(obj)
    ann = annotations(obj)
    status = obj.get("status") or {}
    state = job_state(obj)
    if state is JobState.RUNNING and pod is not None and (pod.get("status") or {}).get("phase") == "Pending":
        state = JobState.QUEUED  # waiting for a node or an image pull
    message = ""
    finished_at = parse_time(status.get("completionTime"))
    for cond in status.get("conditions") or []:
        if cond.get("status") == "True" and cond.get("type") in ("Failed", "Suspended"):
            message = str(cond.get("message") or cond.get("reason") or "")
            finished_at = finished_at or parse_time(cond.get("lastTransitionTime"))
    exit_code: int | None = None
    if pod is not None:
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            term = (cs.get("state") or {}).get("terminated")
            if term is not None:
                exit_code = int(term.get("exitCode", 0))
                if state is JobState.FAILED and not message:
                    message = str(term.get("message") or term.get("reason") or "")
    elif state is JobState.FINISHED:
        exit_code = 0
    metrics = json_annotation(obj, n.P + "metrics", {})
    return Job(
        id=str(meta.get("name", "")),
        cluster=ann.get(n.P + "cluster", ""),
        state=state,
        user=labels(obj).get(n.LABEL_USER, ""),
        name=ann.get(n.P + "name", ""),
        code=ann.get(n.P + "code", ""),
        data=ann.get(n.P + "data", ""),
        output=ann.get(n.P + "output", ""),
        params=json_annotation(obj, n.P + "params", {}),
        exit_code=exit_code,
        message=message,
        metrics={k: float(v) for k, v in metrics.items() if isinstance(v, int | float)},
        data_fingerprint=ann.get(n.P + "data-fingerprint", ""),
        submitted_at=parse_time(meta.get("creationTimestamp")),
        started_at=parse_time(status.get("startTime")),
        finished_at=finished_at if state.is_final else None,
    )


# -- registry -------------------------------------------------------------------------------------


def repo_relative(path: str, mount: str) -> str:
    """A path inside the repository mount as a repository path (``models/...``)."""
    prefix = mount.rstrip("/") + "/"
    return path[len(prefix) :] if path.startswith(prefix) else path


def model_of(cm: dict[str, Any]) -> str:
    """The registry model a ConfigMap belongs to: our label, else its ``data.name`` (workshop-made)."""
    data = cm.get("data") or {}
    return labels(cm).get(n.LABEL_MODEL) or str(data.get("name") or _meta(cm).get("name", ""))


def version_of(cm: dict[str, Any]) -> int:
    raw = str((cm.get("data") or {}).get("model-version", "1")).strip()
    return int(raw) if raw.isdigit() else 1


def model_version(cm: dict[str, Any], mount: str) -> ModelVersion:
    data = cm.get("data") or {}
    ann = annotations(cm)
    lineage = json_annotation(cm, n.P + "lineage", {})
    return ModelVersion(
        model=model_of(cm),
        version=version_of(cm),
        description=str(data.get("description", "")),
        path=repo_relative(str(data.get("path", "")), mount),
        scoring_path=repo_relative(str(data.get("scoring-path", "")), mount),
        model_type=ann.get(n.P + "model-type", "xgboost"),
        checksums=json_annotation(cm, n.P + "checksums", {}),
        metrics=json_annotation(cm, n.P + "metrics", {}),
        lineage=Lineage.from_dict(lineage if isinstance(lineage, dict) else {}),
        stage=ann.get(n.P + "stage", "none"),
        input_schema=json_annotation(cm, n.P + "input-schema", {}),
        created_by=ann.get(n.P + "created-by", "") or labels(cm).get(n.LABEL_USER, ""),
        created_at=parse_time(_meta(cm).get("creationTimestamp")),
    )


def deployment(c: Cluster, kd: dict[str, Any], cm: dict[str, Any] | None) -> Deployment:
    """A deployment-engine cluster as a Deployment; the URL routes on the ConfigMap's ``data.name``."""
    lab = labels(kd)
    if cm is not None:
        route_name = str((cm.get("data") or {}).get("name") or _meta(cm).get("name", ""))
        model, version = model_of(cm), version_of(cm)
    else:
        model = lab.get(n.LABEL_MODEL, "")
        version = int(lab.get(n.LABEL_VERSION, "0") or 0)
        route_name = annotations(kd).get(n.P + "route", model)
    endpoint = main_endpoint(c)
    url = endpoint.url.rstrip("/") + predict_path(route_name, version) if endpoint else ""
    restarts = sum(m.restarts for m in c.members)
    return Deployment(
        name=c.name,
        model=model,
        version=version,
        state=c.state,
        url=url,
        auth_token=endpoint.auth_token if endpoint else None,
        restarts=restarts,
        message=c.message,
        created_at=c.created_at,
        owner=c.owner or lab.get(n.LABEL_USER, ""),
    )
