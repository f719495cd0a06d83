"""A KubeDirector controller simulator (reference §2.3, §2.7-2.9), driven by the KubeDirectorApps.

A new KubeDirectorCluster goes ``creating`` → ``configured``. Everything it builds comes from the
KubeDirectorApp the cluster names, read from the API server's store (seeded from the real
definitions in ``../shared/reference/kubedirector``, :mod:`catalog`), as KubeDirector does: per role
a StatefulSet name; per member a pod (``<cr>-<role>-<rand>-<n>``, labels ``kubedirector.hpe.com/
kdcluster``, ``/role``, ``/kdapp``, ``/appCatalog``, container ``app`` with the role's image,
``ImageForRole``) and a NodePort Service whose ports are the role's ``roleServices``
(``PortsForRole``) named ``<urlScheme>-<id>`` or ``generic-<id>`` (``createPortNameForService``),
with one ``hpecp-internal-gateway/<port>`` annotation per port (what the platform's gateway mapping
adds) and ``kubedirector.hpe.com/kd-auth-token`` when a service ``hasAuthToken``; a headless
Service; status roles/members with auth tokens; events. Two endpoints are live on the fake gateway
(TLS, as the gateway terminates it for ``http-`` ports): a service whose ``path`` is ``/`` (the
notebook UI) and one whose ``path`` is the ``<<model_name>>/<<model_version>>`` template (the
deployment engine, answering predictions with the lab code's scorer loaded from the connected
model ConfigMap's ``path``). Other ports are mapped but nothing listens (ssh, stats, gunicorn).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
from typing import TYPE_CHECKING, Any

from . import catalog
from .apiserver import ApiServer

if TYPE_CHECKING:
    from .gateway import Gateway

MODEL_PATH_MARK = "<<model_name>>"


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
        app_name = kd["spec"]["app"]
        app = self.api.store.get("kubedirectorapps", app_name)
        if app is None:  # removed after admission: KubeDirector cannot build the cluster
            kd["status"] = {"state": "creating", "memberStateRollup": {"configErrors": True}, "roles": []}
            self.api.event(kd, "Cluster", f"app {app_name} not found", "Warning")
            return
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
            image = catalog.image(app, rid)
            self.api.event(kd, "Role", f"creating role {{{rid}}}")
            members = []
            for i in range(role["members"]):
                pod_name = f"{sts}-{i}"
                token = secrets.token_hex(16)
                labels = {
                    "kubedirector.hpe.com/kdcluster": name,
                    "kubedirector.hpe.com/role": rid,
                    "kubedirector.hpe.com/kdapp": app_name,
                    "kubedirector.hpe.com/appCatalog": kd["spec"].get("appCatalog", "local"),
                }
                self.api.put(
                    "pods",
                    {
                        "metadata": {"name": pod_name, "labels": labels},
                        "spec": {"nodeName": "fake-node-1", "containers": [{"name": "app", "image": image}]},
                        "status": {
                            "phase": "Running",
                            "containerStatuses": [
                                {
                                    "name": "app",
                                    "ready": True,
                                    "restartCount": 0,
                                    "image": image,
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
                for port in catalog.ports(app, rid):
                    mapped = await self._map_port(kd, port, token)
                    annotations[f"hpecp-internal-gateway/{port.port}"] = f"127.0.0.1:{mapped}"
                    ports.append(
                        {
                            "name": port.port_name,
                            "port": port.port,
                            "targetPort": port.port,
                            "protocol": "TCP",
                            "nodePort": next(self.node_ports),
                        }
                    )
                    has_token = has_token or port.has_auth_token
                if has_token:
                    annotations["kubedirector.hpe.com/kd-auth-token"] = token
                if ports:  # KubeDirector makes no member Service for a role without ports
                    self.api.put(
                        "services",
                        {
                            "metadata": {
                                "name": pod_name,
                                "labels": dict(labels),
                                "annotations": annotations,
                            },
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
                        "service": pod_name if ports else "",
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

    async def _map_port(self, kd: dict[str, Any], port: catalog.Port, token: str) -> int:
        """The gateway port mapped to a member's ``port``; live for the endpoints people use."""
        if port.path == "/":
            return await self.gateway.serve_notebook(kd["metadata"]["name"])
        if MODEL_PATH_MARK in port.path:
            cms = kd["spec"].get("connections", {}).get("configmaps") or []
            cm = self.api.store.get("configmaps", cms[0]) if cms else None
            return await self.gateway.serve_deployment(kd["metadata"]["name"], cm, token, port.path)
        return next(self.ports)

    def deleted(self, kd: dict[str, Any]) -> None:
        name = kd["metadata"]["name"]
        for res in ("pods", "services"):
            for obj in self.api.store.list(res, f"kubedirector.hpe.com/kdcluster={name}"):
                self.api.store.delete(res, obj["metadata"]["name"])
        self.gateway.unserve(name)
