"""Validate what the adapter sends against the real schemas, as a real API server would.

- Core objects (Pod, ConfigMap, batch/v1 Job, and the PVC mounts inside their pod specs) against the
  Kubernetes OpenAPI schema of the version the fake API server reports, with ``kubernetes-validate``
  (it ships the schemas of Kubernetes 1.25 onwards, so this works offline). Strict mode: a field
  the schema does not know is an error, because a real API server drops it silently (the adapter
  would believe it set something it did not).
- KubeDirectorClusters against ``spec.versions[].schema.openAPIV3Schema`` of the real CRD in
  ``../shared/reference/kubedirector`` with ``jsonschema``, the structural-schema extensions turned
  into JSON Schema (``nullable``, ``x-kubernetes-int-or-string``) and every object without
  ``x-kubernetes-preserve-unknown-fields`` closed (``additionalProperties: false``), again because
  the API server prunes unknown fields. Skipped (``None``) where ``../shared`` is absent.

Each function returns the list of problems (empty = valid), one line each.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import yaml

from . import catalog


def core(obj: dict[str, Any], version: str) -> list[str]:
    """Problems of a core object against the Kubernetes ``version`` schema (e.g. ``"1.33.1"``)."""
    import kubernetes_validate

    try:
        kubernetes_validate.validate(obj, _minor(version), strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = "/".join(str(p) for p in exc.path) or "(top)"
        return [f"{obj.get('kind')} schema v{_minor(version)}: {where}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [f"no Kubernetes schema for {obj.get('apiVersion')}/{obj.get('kind')} v{version}: {exc}"]
    return []


def _minor(version: str) -> str:
    major, minor = version.lstrip("v").split(".")[:2]
    return f"{major}.{minor}.0"


def kdcluster(obj: dict[str, Any]) -> list[str] | None:
    """Problems of a KubeDirectorCluster against the real CRD schema; None where it is absent."""
    validator = _kdcluster_validator()
    if validator is None:
        return None
    return [
        f"KubeDirectorCluster CRD schema: {'/'.join(map(str, e.path)) or '(top)'}: {e.message}"
        for e in sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.path)))
    ]


@cache
def _kdcluster_validator() -> Any:
    if not catalog.CLUSTER_CRD.is_file():
        return None
    import jsonschema

    crd = yaml.safe_load(catalog.CLUSTER_CRD.read_text(encoding="utf-8"))
    version = next(v for v in crd["spec"]["versions"] if v.get("storage"))
    schema = to_json_schema(version["schema"]["openAPIV3Schema"])
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def to_json_schema(node: Any) -> Any:
    """A Kubernetes structural schema as JSON Schema (draft 7) with pruning made strict."""
    if isinstance(node, list):
        return [to_json_schema(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
    out.pop("nullable", None)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    closed = (
        node.get("type") == "object"
        and "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    )
    if closed:
        out["additionalProperties"] = False
    return out
