"""The Kubernetes objects mlops-tui creates, as plain dicts (what ``kubectl apply -f`` would send).

KubeDirectorClusters follow the workshop manifests (reference §2.4), the model ConfigMap its
registry layout (§4); the training Job and the helper pods are ours, because the training
engine's own submission protocol is not published (§7).
"""

from __future__ import annotations

import json
from typing import Any

from mlops_tui.services.kubernetes import names as n
from mlops_tui.services.kubernetes.options import KubernetesOptions
from mlops_tui.services.types import ClusterKind, ClusterSpec

KD_API_VERSION = "kubedirector.hpe.com/v1beta1"
CODE_MOUNT = "/opt/mlops/code"
UPLOAD_MOUNT = "/opt/mlops/upload"


def _resources(cpu: str, memory: str) -> dict[str, Any]:
    amounts = {"cpu": cpu, "memory": memory, "nvidia.com/gpu": "0"}
    return {"requests": dict(amounts), "limits": dict(amounts)}


def _role(role_id: str, members: int, spec: ClusterSpec, options: KubernetesOptions) -> dict[str, Any]:
    role: dict[str, Any] = {"id": role_id, "members": members, "resources": _resources(spec.cpu, spec.memory)}
    if options.role_service_account:
        role["serviceAccountName"] = options.role_service_account
    return role


def kdcluster(
    spec: ClusterSpec, options: KubernetesOptions, *, user: str, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """A KubeDirectorCluster for ``spec.kind``, shaped like the workshop's YAML files."""
    kind = ClusterKind(spec.kind)
    if kind is ClusterKind.NOTEBOOK:
        roles = [_role("controller", spec.members, spec, options)]
    else:  # training-engine and deployment-engine: one LoadBalancer in front of RESTServers
        roles = [_role("LoadBalancer", 1, spec, options), _role("RESTServer", spec.members, spec, options)]
    connections = {k: list(v) for k, v in spec.connections.items() if v}
    if kind is ClusterKind.NOTEBOOK:
        connections.setdefault("clusters", [options.training_cluster])
        secrets = connections.setdefault("secrets", [])
        secrets += [s for s in options.notebook_secret_names if s not in secrets]
    meta_labels = {
        "description": "",
        n.MANAGED_BY: n.MANAGER,
        n.LABEL_USER: n.label_value(user),
        n.LABEL_KIND: str(kind),
    }
    meta_labels.update(labels or {})
    body: dict[str, Any] = {
        "apiVersion": KD_API_VERSION,
        "kind": "KubeDirectorCluster",
        "metadata": {"name": spec.name, "labels": meta_labels},
        "spec": {
            "app": n.KD_APP_BY_KIND[str(kind)],
            "appCatalog": "local",
            "namingScheme": "CrNameRole",
            "roles": roles,
        },
    }
    if connections:
        body["spec"]["connections"] = connections
    return body


def model_configmap(
    *,
    name: str,
    version: int,
    description: str,
    path: str,
    scoring_path: str,
    model: str,
    user: str,
    annotations: dict[str, str],
) -> dict[str, Any]:
    """One registered model version as the workshop's registry ConfigMap (reference §4)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "labels": {
                n.LABEL_CM_TYPE: "model",
                n.MANAGED_BY: n.MANAGER,
                n.LABEL_MODEL: n.label_value(model),
                n.LABEL_VERSION: str(version),
                n.LABEL_USER: n.label_value(user),
            },
            "annotations": annotations,
        },
        "data": {
            "name": name,
            "description": description,
            "model-version": str(version),
            "path": path,
            "scoring-path": scoring_path,
            "modelType": "kubedirector",
        },
    }


def code_configmap(name: str, files: dict[str, str], *, user: str, job: str) -> dict[str, Any]:
    """The lab code a training Job runs, one key per file of the package."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "labels": {n.MANAGED_BY: n.MANAGER, n.LABEL_USER: n.label_value(user), n.LABEL_JOB: job},
        },
        "data": files,
    }


def _repo_volume(options: KubernetesOptions, *, read_only: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    volume = {"name": "repo", "persistentVolumeClaim": {"claimName": options.repo_pvc, "readOnly": read_only}}
    mount: dict[str, Any] = {"name": "repo", "mountPath": options.repo_mount, "readOnly": read_only}
    if options.repo_subpath:
        mount["subPath"] = options.repo_subpath
    return volume, mount


def training_job(
    *,
    name: str,
    package: str,
    entrypoint: str,
    args: list[str],
    code_configmap: str,
    options: KubernetesOptions,
    user: str,
    annotations: dict[str, str],
    cpu: str = "1",
    memory: str = "2Gi",
) -> dict[str, Any]:
    """A batch/v1 Job running ``python -m <package>.<entrypoint> <args>`` on the repository volume."""
    repo_volume, repo_mount = _repo_volume(options, read_only=False)
    labels = {
        n.MANAGED_BY: n.MANAGER,
        n.LABEL_USER: n.label_value(user),
        n.LABEL_KIND: "training-job",
        n.LABEL_JOB: name,
    }
    container = {
        "name": "train",
        "image": options.job_image,
        "command": ["python", "-m", f"{package}.{entrypoint}"],
        "args": args,
        "env": [
            {"name": "PYTHONPATH", "value": CODE_MOUNT},
            {"name": "PYTHONUNBUFFERED", "value": "1"},
            {"name": "MLOPS_JOB_ID", "value": name},
            {"name": "MLOPS_REPO", "value": options.repo_mount},
        ],
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu, "memory": memory}},
        "volumeMounts": [
            repo_mount,
            {"name": "code", "mountPath": f"{CODE_MOUNT}/{package}", "readOnly": True},
        ],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [container],
                    "volumes": [repo_volume, {"name": "code", "configMap": {"name": code_configmap}}],
                },
            },
        },
    }


def helper_pod(
    *,
    name: str,
    script: str,
    env: dict[str, str],
    options: KubernetesOptions,
    user: str,
    read_only: bool,
    upload_configmap: str = "",
) -> dict[str, Any]:
    """A short-lived pod that runs ``python -c <script>`` next to the repository volume."""
    repo_volume, repo_mount = _repo_volume(options, read_only=read_only)
    volumes = [repo_volume]
    mounts = [repo_mount]
    if upload_configmap:
        volumes.append({"name": "upload", "configMap": {"name": upload_configmap}})
        mounts.append({"name": "upload", "mountPath": UPLOAD_MOUNT, "readOnly": True})
    env_list = [{"name": "MLOPS_REPO", "value": options.repo_mount}]
    env_list += [{"name": k, "value": v} for k, v in env.items()]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "labels": {
                n.MANAGED_BY: n.MANAGER,
                n.LABEL_USER: n.label_value(user),
                n.LABEL_KIND: "repo-helper",
            },
        },
        "spec": {
            "restartPolicy": "Never",
            "activeDeadlineSeconds": int(options.pod_timeout),
            "containers": [
                {
                    "name": "repo",
                    "image": options.job_image,
                    "command": ["python", "-c", script],
                    "env": env_list,
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "128Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"},
                    },
                    "volumeMounts": mounts,
                }
            ],
            "volumes": volumes,
        },
    }


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True)
