"""Deployments: a ``deployment-engine`` KubeDirectorCluster connected to one model ConfigMap
(reference §2.4, §5.1), with the URL and token its LoadBalancer Service advertises."""

from __future__ import annotations

from typing import Any

from mlops_tui.services import errors
from mlops_tui.services.kubernetes import convert
from mlops_tui.services.kubernetes import names as n
from mlops_tui.services.kubernetes.clusters import Clusters
from mlops_tui.services.kubernetes.registry import Registry
from mlops_tui.services.types import ClusterKind, ClusterSpec, Deployment, DeploymentSpec


class Deployments:
    def __init__(self, clusters: Clusters, registry: Registry) -> None:
        self.clusters = clusters
        self.registry = registry

    @staticmethod
    def _configmap(kd: dict[str, Any], cms: list[dict[str, Any]]) -> dict[str, Any] | None:
        names = ((kd.get("spec") or {}).get("connections") or {}).get("configmaps") or []
        by_name = {(cm.get("metadata") or {}).get("name"): cm for cm in cms}
        return next((by_name[x] for x in names if x in by_name), None)

    async def list(self) -> list[Deployment]:
        raws = [
            r
            for r in await self.clusters.raw_list("list_deployments")
            if (r.get("spec") or {}).get("app") == n.KD_APP_BY_KIND["deployment"]
        ]
        if not raws:
            return []
        cms = await self.registry.configmaps("list_deployments")
        clusters = {
            c.name: c for c in await self.clusters.list(ClusterKind.DEPLOYMENT, op="list_deployments")
        }
        out = []
        for kd in raws:
            c = clusters.get(kd["metadata"]["name"])
            if c is not None:
                out.append(convert.deployment(c, kd, self._configmap(kd, cms)))
        return sorted(out, key=lambda d: d.name)

    async def get(self, name: str) -> Deployment:
        kd = await self.clusters.raw(name, "get_deployment")
        if (kd.get("spec") or {}).get("app") != n.KD_APP_BY_KIND["deployment"]:
            raise errors.NotFound(f"{name} is not a deployment engine")
        c = await self.clusters.from_raw(kd)
        cms = await self.registry.configmaps("get_deployment")
        return convert.deployment(c, kd, self._configmap(kd, cms))

    async def create(self, spec: DeploymentSpec) -> Deployment:
        cm = await self.registry.find(spec.model, spec.version, "create_deployment")
        cm_name = cm["metadata"]["name"]
        cluster_spec = ClusterSpec(
            name=spec.name, kind=ClusterKind.DEPLOYMENT, connections={"configmaps": [cm_name]}
        )
        labels = {n.LABEL_MODEL: n.label_value(spec.model), n.LABEL_VERSION: str(spec.version)}
        c = await self.clusters.create(cluster_spec, op="create_deployment", labels=labels)
        kd = {
            "metadata": {"name": c.name, "labels": labels},
            "spec": {"connections": {"configmaps": [cm_name]}},
        }
        return convert.deployment(c, kd, cm)

    async def delete(self, name: str) -> None:
        kd = await self.clusters.raw(name, "delete_deployment")
        if (kd.get("spec") or {}).get("app") != n.KD_APP_BY_KIND["deployment"]:
            raise errors.NotFound(f"{name} is not a deployment engine")
        await self.clusters.delete(name, op="delete_deployment")
