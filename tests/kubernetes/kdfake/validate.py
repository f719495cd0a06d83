"""What the fakes assert about request bodies: the shapes the reference describes.

Each function returns a list of problems (empty = the body is what the workshop would send).
"""

from __future__ import annotations

import re
from typing import Any

from . import catalog

WORKSHOP_NAME = {  # reference §2.4: names carry the user id
    "jupyter-notebook": re.compile(r"^mlops-jupyter-notebook-[a-z0-9-]+$"),
    "deployment-engine": re.compile(r"^mlops-inference-server-[a-z0-9-]+$"),
}
MODEL_CM_KEYS = {"name", "description", "model-version", "path", "scoring-path", "modelType"}
SCORING_KEYS = {
    "work",
    "start_latitude",
    "start_longitude",
    "end_latitude",
    "end_longitude",
    "distance",
    "weekday",
    "hour",
    "month_1",
    "month_2",
    "month_3",
    "month_4",
    "month_5",
    "month_6",
}
DNS = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def kdcluster(body: dict[str, Any], *, strict_names: bool, configmaps: set[str]) -> list[str]:
    problems: list[str] = []
    if body.get("apiVersion") != "kubedirector.hpe.com/v1beta1" or body.get("kind") != "KubeDirectorCluster":
        problems.append(f"kdcluster apiVersion/kind {body.get('apiVersion')}/{body.get('kind')}")
    name = (body.get("metadata") or {}).get("name", "")
    spec = body.get("spec") or {}
    app = spec.get("app")
    if app not in catalog.APP_NAMES:
        return [*problems, f"unknown kdapp {app!r}"]
    if strict_names and app in WORKSHOP_NAME and not WORKSHOP_NAME[app].match(name):
        problems.append(f"{app} cluster name {name!r} does not follow the workshop")
    if spec.get("appCatalog") != "local" or spec.get("namingScheme") != "CrNameRole":
        problems.append("appCatalog must be local and namingScheme CrNameRole (workshop manifests)")
    # Role ids and member counts against the app's roles and cardinality: ApiServer.admit_kdcluster.
    roles = spec.get("roles") or []
    for role in roles:
        if not isinstance(role.get("members"), int) or role["members"] < 1:
            problems.append(f"role {role.get('id')}: members must be a positive integer")
        res = role.get("resources") or {}
        if res.get("requests") != res.get("limits") or not {"cpu", "memory"} <= set(
            res.get("requests") or {}
        ):
            problems.append(f"role {role.get('id')}: requests must equal limits with cpu and memory")
    conns = spec.get("connections") or {}
    for key, value in conns.items():
        if key not in ("clusters", "configmaps", "secrets") or not isinstance(value, list):
            problems.append(f"bad connections entry {key!r}")
    if app == "jupyter-notebook" and "training-engine-shared" not in (conns.get("clusters") or []):
        problems.append("the notebook must connect to training-engine-shared")
    if app == "deployment-engine":
        cms = conns.get("configmaps") or []
        if len(cms) != 1 or cms[0] not in configmaps:
            problems.append(f"the deployment must connect one existing model ConfigMap, got {cms}")
    return problems


def configmap(body: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    meta = body.get("metadata") or {}
    if body.get("apiVersion") != "v1" or body.get("kind") != "ConfigMap":
        problems.append("ConfigMap apiVersion/kind")
    if not DNS.match(meta.get("name", "")):
        problems.append(f"ConfigMap name {meta.get('name')!r}")
    if (meta.get("labels") or {}).get("kubedirector.hpe.com/cmType") == "model":
        data = body.get("data") or {}
        if set(data) != MODEL_CM_KEYS:
            problems.append(f"model ConfigMap keys {sorted(data)} != {sorted(MODEL_CM_KEYS)}")
        if data.get("name") != meta.get("name"):
            problems.append("model ConfigMap data.name must equal metadata.name")
        if not str(data.get("model-version", "")).isdigit():
            problems.append("model-version must be a number in a string")
        if data.get("modelType") != "kubedirector":
            problems.append("modelType must be kubedirector (5.4)")
        for key in ("path", "scoring-path"):
            if not str(data.get(key, "")).startswith("/bd-fs-mnt/TenantShare/repo/"):
                problems.append(f"{key} must be a full path in the tenant share")
    return problems


def job(body: dict[str, Any], pvc: str) -> list[str]:
    problems: list[str] = []
    if body.get("apiVersion") != "batch/v1" or body.get("kind") != "Job":
        problems.append("Job apiVersion/kind")
    pod = ((body.get("spec") or {}).get("template") or {}).get("spec") or {}
    problems += pod_spec(pod, pvc)
    if pod.get("restartPolicy") != "Never":
        problems.append("a training Job must not restart its pod")
    return problems


def pod_spec(spec: dict[str, Any], pvc: str) -> list[str]:
    problems: list[str] = []
    claims = [
        v["persistentVolumeClaim"]["claimName"]
        for v in spec.get("volumes") or []
        if "persistentVolumeClaim" in v
    ]
    if claims != [pvc]:
        problems.append(f"pods must mount the repository PVC {pvc}, got {claims}")
    for c in spec.get("containers") or []:
        for m in c.get("volumeMounts") or []:
            if m.get("name") == "repo" and m.get("mountPath") != "/bd-fs-mnt/TenantShare/repo":
                problems.append("the repository must be mounted at /bd-fs-mnt/TenantShare/repo")
        if not (c.get("resources") or {}).get("limits"):
            problems.append("containers must have resource limits")
    return problems


def predict(body: Any, headers: dict[str, str], token: str) -> list[str]:
    problems: list[str] = []
    if headers.get("X-Auth-Token") != token:
        problems.append("X-Auth-Token missing or wrong")
    if not headers.get("Content-Type", "").startswith("application/json"):
        problems.append("Content-Type must be application/json")
    if (
        not isinstance(body, dict)
        or set(body) != {"use_scoring", "scoring_args"}
        or body.get("use_scoring") is not True
    ):
        problems.append(f"body must be {{use_scoring: true, scoring_args}}, got {body!r}"[:200])
    elif not isinstance(body["scoring_args"], dict) or set(body["scoring_args"]) != SCORING_KEYS:
        problems.append(f"scoring_args keys {sorted(body['scoring_args'])} are not the workshop's 14")
    return problems
