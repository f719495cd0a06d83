"""The KubeDirectorApp catalog of the fake: the three real application definitions.

The fake controller builds member pods, Services, port names and gateway annotations from these
definitions (roles and their images, ``config.roleServices``, ``services[].endpoint`` with
``port``, ``urlScheme``, ``path`` and ``hasAuthToken``), as KubeDirector does
(``pkg/catalog/interrogate.go`` ``PortsForRole``/``ImageForRole``, ``pkg/executor/util.go``
``createPortNameForService``), so the tests fail when the adapter asks for something the real
engine would not build. They are read from ``../shared/reference/kubedirector/`` (unmodified
copies of bluek8s/kubedirector ``deploy/example_catalog``). Where that folder is absent,
:data:`AVAILABLE` is False: the tests that check the adapter against the definitions skip, and the
fake falls back to :data:`FALLBACK` (the few fields it reads, copied from those files) so the other
kubernetes tests still run; ``test_k8s_schemas`` checks that the fallback equals the reference.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference" / "kubedirector"
APP_NAMES = ("jupyter-notebook", "training-engine", "deployment-engine")
CLUSTER_CRD = REFERENCE / "kubedirector.hpe.com_kubedirectorclusters_crd.yaml"
APP_CRD = REFERENCE / "kubedirector.hpe.com_kubedirectorapps_crd.yaml"
AVAILABLE = all((REFERENCE / f"cr-app-{name}.json").is_file() for name in APP_NAMES)
SKIP_REASON = f"the KubeDirector reference files are not at {REFERENCE} (../shared is absent)"


@dataclass(frozen=True)
class Port:
    """One service endpoint a role exposes (KubeDirector ``catalog.ServicePortInfo``)."""

    service_id: str
    port: int
    url_scheme: str  # '' = none given (ssh)
    path: str
    has_auth_token: bool

    @property
    def port_name(self) -> str:
        """The Service port name KubeDirector gives it (``createPortNameForService``)."""
        return (
            f"{self.url_scheme.lower()}-{self.service_id}"
            if self.url_scheme
            else f"generic-{self.service_id}"
        )


def _service(sid: str, port: int, scheme: str = "", path: str = "", token: bool = False) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"port": port}
    if scheme:
        endpoint["urlScheme"] = scheme
    if path:
        endpoint["path"] = path
    if token:
        endpoint["hasAuthToken"] = True
    return {"id": sid, "endpoint": endpoint}


def _app(name: str, version: str, image: str, roles: list[tuple[str, str]], services: list[dict[str, Any]],
         role_services: dict[str, list[str]]) -> dict[str, Any]:  # fmt: skip
    return {
        "apiVersion": "kubedirector.hpe.com/v1beta1",
        "kind": "KubeDirectorApp",
        "metadata": {"name": name},
        "spec": {
            "version": version,
            "defaultImageRepoTag": image,
            "roles": [{"id": rid, "cardinality": card} for rid, card in roles],
            "services": services,
            "config": {
                "selectedRoles": list(role_services),
                "roleServices": [{"roleID": r, "serviceIDs": s} for r, s in role_services.items()],
            },
        },
    }


# FALLBACK — used ONLY where ../shared/reference/kubedirector is absent. The fields the fake reads,
# copied from the reference files (test_k8s_schemas.py::test_fallback_catalog_matches_the_reference).
_STATS = _service("haproxy-stats", 8081, "http")
_SSH = _service("ssh", 22)
_GUNICORN = _service("gunicorn", 10001, "http", token=True)
FALLBACK: dict[str, dict[str, Any]] = {
    "jupyter-notebook": _app(
        "jupyter-notebook",
        "3.2",
        "bluedata/kd-notebook:3.2",
        [("controller", "1")],
        [_SSH, _service("jupyter-nb", 8000, "http", "/")],
        {"controller": ["ssh", "jupyter-nb"]},
    ),
    "training-engine": _app(
        "training-engine",
        "1.0",
        "bluedata/kd-training-api-serving:1.0",
        [("LoadBalancer", "1"), ("RESTServer", "1+")],
        [_STATS, _SSH, _GUNICORN, _service("haproxy-train", 32700, "http", "/train", token=True)],
        {"RESTServer": ["gunicorn", "ssh"], "LoadBalancer": ["gunicorn", "haproxy-stats", "haproxy-train"]},
    ),
    "deployment-engine": _app(
        "deployment-engine",
        "1.0",
        "bluedata/kd-deployment-api-serving:1.0",
        [("LoadBalancer", "1"), ("RESTServer", "1+")],
        [
            _STATS,
            _SSH,
            _GUNICORN,
            _service("haproxy", 32700, "http", "/<<model_name>>/<<model_version>>/predict", token=True),
        ],
        {"RESTServer": ["gunicorn", "ssh"], "LoadBalancer": ["gunicorn", "haproxy", "haproxy-stats"]},
    ),
}


def app_definition(name: str) -> dict[str, Any]:
    """The KubeDirectorApp ``name``: the reference file, else the :data:`FALLBACK` (a fresh copy)."""
    return copy.deepcopy(_load(name) if AVAILABLE else FALLBACK[name])


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((REFERENCE / f"cr-app-{name}.json").read_text(encoding="utf-8"))


def roles(app: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in app["spec"]["roles"]}


def selected_roles(app: dict[str, Any]) -> list[str]:
    return list(app["spec"].get("config", {}).get("selectedRoles") or [])


def cardinality(role: dict[str, Any]) -> tuple[int, bool]:
    """``(minimum, scale_out)`` of a role's ``cardinality`` (``"1"`` or ``"1+"``),
    as KubeDirector's ``catalog.GetRoleCardinality``."""
    text = str(role.get("cardinality", "0"))
    return int(text.rstrip("+") or 0), text.endswith("+")


def image(app: dict[str, Any], role_id: str) -> str:
    """``ImageForRole``: the role's ``imageRepoTag``, else the app's ``defaultImageRepoTag``."""
    return str(roles(app)[role_id].get("imageRepoTag") or app["spec"].get("defaultImageRepoTag") or "")


def ports(app: dict[str, Any], role_id: str) -> list[Port]:
    """``PortsForRole``: the services of the role's ``roleServices`` entry that have a port, in the
    order of the app's ``services`` list."""
    wanted = next(
        (
            rs["serviceIDs"]
            for rs in app["spec"]["config"].get("roleServices") or []
            if rs["roleID"] == role_id
        ),
        [],
    )
    out = []
    for service in app["spec"].get("services") or []:
        endpoint = service.get("endpoint") or {}
        if service["id"] in wanted and endpoint.get("port") is not None:
            out.append(
                Port(
                    service_id=service["id"],
                    port=int(endpoint["port"]),
                    url_scheme=str(endpoint.get("urlScheme") or ""),
                    path=str(endpoint.get("path") or ""),
                    has_auth_token=bool(endpoint.get("hasAuthToken")),
                )
            )
    return out
