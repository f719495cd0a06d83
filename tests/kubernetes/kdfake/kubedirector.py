"""A KubeDirector controller simulator (reference §2.3, §2.7-2.9).

A new KubeDirectorCluster goes ``creating`` → ``configured``: per role a StatefulSet name, per
member a pod (``<cr>-<role>-<rand>-<n>``, labels ``kubedirector.hpe.com/kdcluster`` and ``/role``),
a NodePort Service with one ``hpecp-internal-gateway/<port>`` annotation per port (what the
platform's gateway mapping adds) and a ``kubedirector.hpe.com/kd-auth-token`` on token services,
a headless Service, status roles/members with auth tokens, and events. The notebook's 8000 and the
engines' 32700 are mapped to live ports on the fake gateway: the deployment engine answers
predictions with the lab code's scorer loaded from the connected model ConfigMap's ``path``.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from typing import TYPE_CHECKING, Any

from .apiserver import ApiServer

if TYPE_CHECKING:
    from .gateway import Gateway

# kdapp → role → [(service id, port, has auth token)] (reference §2.3)
APPS: dict[str, dict[str, list[tuple[str, int, bool]]]] = {
    "jupyter-notebook": {"controller": [("ssh", 22, False), ("jupyter-nb", 8000, False)]},
    "training-engine": {
        "LoadBalancer": [
            ("gunicorn", 10001, True),
            ("haproxy-train", 32700, True),
            ("haproxy-stats", 8081, False),
        ],
        "RESTServer": [("gunicorn", 10001, True), ("ssh", 22, False)],
    },
    "deployment-engine": {
        "LoadBalancer": [("gunicorn", 10001, True), ("haproxy", 32700, True), ("haproxy-stats", 8081, False)],
        "RESTServer": [("gunicorn", 10001, True), ("ssh", 22, False)],
    },
}


class KubeDirector:
    def __init__(self, api: ApiServer, gateway: Gateway, *, delay: float = 0.3) -> None:
        self.api = api
        self.gateway = gateway
        self.delay = delay
        self.ports = itertools.count(10100)
        self.node_ports = itertools.count(30100)
        self.tasks: set[asyncio.Task[None]] = set()
        api.on_create["kubedirectorclusters"] = self.created
        api.on_delete["kubedirectorclusters"] = self.deleted

    def created(self, kd: dict[str, Any]) -> None:
        kd["status"] = {"state": "creating", "memberStateRollup": {"membershipChanging": True}, "roles": []}
        self.api.event(kd, "Cluster", "new")
        task = asyncio.get_running_loop().create_task(self._reconcile(kd["metadata"]["name"]))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _reconcile(self, name: str) -> None:
        await asyncio.sleep(self.delay)
        kd = self.api.store.get("kubedirectorclusters", name)
        if kd is None:
            return
        app = kd["spec"]["app"]
        rand = secrets.token_hex(3)[:5]
        self.api.put(
            "services",
            {
                "metadata": {
                    "name": f"{name[:10].replace('-', '')}{rand}",
                    "labels": {
                        "kubedirector.hpe.com/kdcluster": name,
                        "kubedirector.hpe.com/headless": "true",
                    },
                },
                "spec": {"clusterIP": "None", "type": "ClusterIP", "ports": [{"name": "port", "port": 8888}]},
            },
        )
        roles_status = []
        for role in kd["spec"]["roles"]:
            rid = role["id"]
            sts = f"{name}-{rid.lower()}-{rand}"
            self.api.event(kd, "Role", f"creating role {{{rid}}}")
            members = []
            for i in range(role["members"]):
                pod_name = f"{sts}-{i}"
                token = secrets.token_hex(16)
                labels = {
                    "kubedirector.hpe.com/kdcluster": name,
                    "kubedirector.hpe.com/role": rid,
                    "kubedirector.hpe.com/kdapp": app,
                    "kubedirector.hpe.com/appCatalog": "local",
                }
                self.api.put(
                    "pods",
                    {
                        "metadata": {"name": pod_name, "labels": labels},
                        "spec": {
                            "nodeName": "fake-node-1",
                            "containers": [{"name": "app", "image": f"bluedata/{app}"}],
                        },
                        "status": {
                            "phase": "Running",
                            "containerStatuses": [
                                {
                                    "name": "app",
                                    "ready": True,
                                    "restartCount": 0,
                                    "image": f"bluedata/{app}",
                                    "imageID": "",
                                    "state": {"running": {"startedAt": "2026-01-01T00:00:00Z"}},
                                }
                            ],
                        },
                    },
                )
                annotations: dict[str, str] = {}
                ports = []
                has_token = False
                for sid, port, tokened in APPS[app][rid]:
                    mapped = await self._map_port(kd, rid, sid, port, token)
                    annotations[f"hpecp-internal-gateway/{port}"] = f"127.0.0.1:{mapped}"
                    ports.append(
                        {
                            "name": sid,
                            "port": port,
                            "targetPort": port,
                            "protocol": "TCP",
                            "nodePort": next(self.node_ports),
                        }
                    )
                    has_token = has_token or tokened
                if has_token:
                    annotations["kubedirector.hpe.com/kd-auth-token"] = token
                self.api.put(
                    "services",
                    {
                        "metadata": {"name": pod_name, "labels": dict(labels), "annotations": annotations},
                        "spec": {
                            "type": "NodePort",
                            "ports": ports,
                            "selector": {"statefulset.kubernetes.io/pod-name": pod_name},
                        },
                    },
                )
                members.append(
                    {
                        "pod": pod_name,
                        "service": pod_name,
                        "nodeID": i + 1,
                        "state": "configured",
                        "authToken": token if has_token else "",
                        "stateDetail": {"lastKnownContainerState": "running"},
                    }
                )
            roles_status.append({"id": rid, "statefulSet": sts, "members": members})
        await asyncio.sleep(self.delay)
        kd = self.api.store.get("kubedirectorclusters", name)
        if kd is None:
            return
        kd["status"] = {
            "state": "configured",
            "roles": roles_status,
            "generationUID": kd["metadata"]["uid"],
            "memberStateRollup": {"membershipChanging": False, "membersDown": False, "configErrors": False},
        }
        self.api.store.bump(kd)
        self.api.event(kd, "Cluster", "cluster configured")

    async def _map_port(self, kd: dict[str, Any], role: str, sid: str, port: int, token: str) -> int:
        app = kd["spec"]["app"]
        if app == "jupyter-notebook" and sid == "jupyter-nb":
            return await self.gateway.serve_notebook(kd["metadata"]["name"])
        if app == "deployment-engine" and sid == "haproxy" and role == "LoadBalancer":
            cms = kd["spec"].get("connections", {}).get("configmaps") or []
            cm = self.api.store.get("configmaps", cms[0]) if cms else None
            return await self.gateway.serve_deployment(kd["metadata"]["name"], cm, token)
        return next(self.ports)  # mapped but nothing listens (ssh, stats, gunicorn)

    def deleted(self, kd: dict[str, Any]) -> None:
        name = kd["metadata"]["name"]
        for res in ("pods", "services"):
            for obj in self.api.store.list(res, f"kubedirector.hpe.com/kdcluster={name}"):
                self.api.store.delete(res, obj["metadata"]["name"])
        self.gateway.unserve(name)
