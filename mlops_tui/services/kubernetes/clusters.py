"""KubeDirectorClusters (``kubedirector.hpe.com/v1beta1``): list, get, create, delete, events.

State and members come from ``.status``, pods from the label ``kubedirector.hpe.com/kdcluster``,
endpoints and auth tokens from the member Services' annotations (reference §2.7-2.9).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from mlops_tui.platform.names import shown
from mlops_tui.services import errors
from mlops_tui.services.kubernetes import convert, manifests
from mlops_tui.services.kubernetes import names as n
from mlops_tui.services.kubernetes.context import Ctx
from mlops_tui.services.kubernetes.kube import KD_GROUP, KD_PLURAL, KD_VERSION, Apis
from mlops_tui.services.types import Cluster, ClusterKind, ClusterSpec, ClusterState


@dataclass(frozen=True)
class ClusterEvent:
    """One Kubernetes event about a cluster (reasons Cluster, Role, Member, Config, ...)."""

    at: datetime | None
    type: str
    reason: str
    message: str


def _items(apis: Apis, obj: Any) -> list[dict[str, Any]]:
    return apis.plain(obj).get("items") or []


class Clusters:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx

    def _node_host(self, apis: Apis) -> str:
        return self.ctx.options.node_host or (urlparse(apis.host).hostname or "")

    async def raw_list(self, op: str = "list_clusters") -> list[dict[str, Any]]:
        return await self.ctx.call(
            op,
            self.ctx.kubectl("get", "kdcluster"),
            "list KubeDirectorClusters",
            lambda a: (
                a.custom.list_namespaced_custom_object(
                    KD_GROUP, KD_VERSION, a.namespace, KD_PLURAL, _request_timeout=a.timeout
                ).get("items")
                or []
            ),
        )

    async def raw(self, name: str, op: str = "get_cluster") -> dict[str, Any]:
        return await self.ctx.call(
            op,
            self.ctx.kubectl("describe", "kdcluster", name),
            f"KubeDirectorCluster {name}",
            lambda a: a.custom.get_namespaced_custom_object(
                KD_GROUP, KD_VERSION, a.namespace, KD_PLURAL, name, _request_timeout=a.timeout
            ),
        )

    async def _members(self, selector: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
        """Pods and Services matching ``selector`` (one list call each), plus the node host."""

        def fetch(a: Apis) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
            pods = _items(
                a,
                a.core.list_namespaced_pod(a.namespace, label_selector=selector, _request_timeout=a.timeout),
            )
            services = _items(
                a,
                a.core.list_namespaced_service(
                    a.namespace, label_selector=selector, _request_timeout=a.timeout
                ),
            )
            return pods, services, self._node_host(a)

        return await self.ctx.kube.call("pods and services of KubeDirectorClusters", fetch)

    async def list(self, kind: ClusterKind | None = None, *, op: str = "list_clusters") -> list[Cluster]:
        raws = await self.raw_list(op)
        pods, services, host = await self._members(n.LABEL_KDCLUSTER)
        out: list[Cluster] = []
        for obj in raws:
            name = (obj.get("metadata") or {}).get("name")
            mine = [p for p in pods if convert.labels(p).get(n.LABEL_KDCLUSTER) == name]
            svcs = [s for s in services if convert.labels(s).get(n.LABEL_KDCLUSTER) == name]
            c = convert.cluster(obj, mine, svcs, node_host=host)
            if c is not None and (kind is None or c.kind == kind):
                out.append(c)
        return sorted(out, key=lambda c: c.name)

    async def get(self, name: str, *, op: str = "get_cluster") -> Cluster:
        obj = await self.raw(name, op)
        return await self.from_raw(obj)

    async def from_raw(self, obj: dict[str, Any]) -> Cluster:
        name = obj["metadata"]["name"]
        pods, services, host = await self._members(f"{n.LABEL_KDCLUSTER}={name}")
        c = convert.cluster(obj, pods, services, node_host=host)
        if c is None:
            raise errors.NotFound(
                f"{name} is a {obj.get('spec', {}).get('app')} cluster, not one mlops-tui runs"
            )
        if c.state is not ClusterState.CONFIGURED:
            events = await self.events(name)
            if events:
                last = events[-1]
                c = dataclasses.replace(c, message=f"{last.reason}: {last.message}")
        return c

    async def events(self, name: str) -> list[ClusterEvent]:
        selector = f"involvedObject.name={name}"
        items = await self.ctx.call(
            "cluster_events",
            self.ctx.kubectl("get", "events", "--field-selector", selector),
            f"events of {name}",
            lambda a: _items(
                a,
                a.core.list_namespaced_event(
                    a.namespace, field_selector=selector, _request_timeout=a.timeout
                ),
            ),
        )
        events = [
            ClusterEvent(
                at=convert.parse_time(
                    e.get("lastTimestamp")
                    or e.get("eventTime")
                    or (e.get("metadata") or {}).get("creationTimestamp")
                ),
                type=str(e.get("type", "")),
                reason=str(e.get("reason", "")),
                message=str(e.get("message", "")),
            )
            for e in items
        ]
        return sorted(events, key=lambda e: (e.at is not None, e.at))

    async def create(
        self, spec: ClusterSpec, *, op: str = "create_cluster", labels: dict[str, str] | None = None
    ) -> Cluster:
        if n.dns_label(spec.name) != spec.name:
            raise errors.InvalidInput(
                f"cluster name {shown(spec.name)} must be lower-case letters, digits and '-'", field="name"
            )
        if spec.members < 1:
            raise errors.InvalidInput("members must be at least 1", field="members")
        body = manifests.kdcluster(spec, self.ctx.options, user=self.ctx.user(), labels=labels)
        created = await self.ctx.call(
            op,
            self.ctx.kubectl.apply(body),
            f"create KubeDirectorCluster {spec.name}",
            lambda a: a.custom.create_namespaced_custom_object(
                KD_GROUP, KD_VERSION, a.namespace, KD_PLURAL, body
            ),
        )
        c = convert.cluster(created, [], [])
        assert c is not None
        return c

    async def delete(self, name: str, *, op: str = "delete_cluster") -> None:
        await self.ctx.call(
            op,
            self.ctx.kubectl("delete", "kdcluster", name),
            f"delete KubeDirectorCluster {name}",
            lambda a: a.custom.delete_namespaced_custom_object(
                KD_GROUP, KD_VERSION, a.namespace, KD_PLURAL, name
            ),
        )
