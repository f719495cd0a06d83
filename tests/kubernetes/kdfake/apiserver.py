"""A small Kubernetes API server on loopback that speaks the real wire format.

It serves what the adapter uses — KubeDirectorClusters, pods (and their logs, followed), ConfigMaps,
Services, events and batch/v1 Jobs — with real JSON lists, ``Status`` errors, bearer-token auth
(401 when the token is unknown or revoked) and chunked log streams. Every request is checked:
known path, tenant namespace, the client's headers (our User-Agent, JSON Accept/Content-Type,
merge-patch for PATCH) and the body against the reference (:mod:`validate`); any deviation is
recorded in ``violations`` and the tests assert there is none.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import validate
from .store import Store, now

CORE = "/api/v1/namespaces/{ns}/"
KINDS = {  # resource → (apiVersion, kind, list kind)
    "pods": ("v1", "Pod", "PodList"),
    "configmaps": ("v1", "ConfigMap", "ConfigMapList"),
    "services": ("v1", "Service", "ServiceList"),
    "events": ("v1", "Event", "EventList"),
    "jobs": ("batch/v1", "Job", "JobList"),
    "kubedirectorclusters": (
        "kubedirector.hpe.com/v1beta1",
        "KubeDirectorCluster",
        "KubeDirectorClusterList",
    ),
}
PREFIX = {
    "pods": "/api/v1",
    "configmaps": "/api/v1",
    "services": "/api/v1",
    "events": "/api/v1",
    "jobs": "/apis/batch/v1",
    "kubedirectorclusters": "/apis/kubedirector.hpe.com/v1beta1",
}
WRITABLE = {
    "pods": {"POST", "DELETE"},
    "configmaps": {"POST", "PATCH", "DELETE"},
    "jobs": {"POST", "PATCH"},
    "kubedirectorclusters": {"POST", "DELETE"},
}
PATH = re.compile(
    r"^(?P<prefix>/api/v1|/apis/batch/v1|/apis/kubedirector\.hpe\.com/v1beta1)/namespaces/(?P<ns>[^/]+)/"
    r"(?P<res>[a-z]+)(?:/(?P<name>[^/]+)(?P<sub>/log)?)?$"
)


def status(code: int, reason: str, message: str) -> web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    return web.json_response(body, status=code)


class LogBuffer:
    """A pod's log: appended by the kubelet, read (and followed) by the API."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = False
        self.changed = asyncio.Event()

    def write(self, chunk: bytes) -> None:
        self.data += chunk
        self.changed.set()

    def close(self) -> None:
        self.closed = True
        self.changed.set()


class ApiServer:
    def __init__(self, namespace: str, pvc: str) -> None:
        self.namespace = namespace
        self.pvc = pvc
        self.store = Store()
        self.tokens: set[str] = set()
        self.violations: list[str] = []
        self.requests: list[tuple[str, str, int]] = []
        self.logs: dict[str, LogBuffer] = {}
        self.strict_names = True
        self.down = False  # an outage: listener closed and pooled connections dropped
        self.on_create: dict[str, Callable[[dict[str, Any]], None]] = {}
        self.on_delete: dict[str, Callable[[dict[str, Any]], None]] = {}
        self.on_patch: dict[str, Callable[[dict[str, Any]], None]] = {}
        self.app = web.Application(middlewares=[self._middleware])
        self.app.router.add_route("*", "/{tail:.*}", self._route)

    def violation(self, request: web.Request, problem: str) -> None:
        self.violations.append(f"{request.method} {request.path_qs}: {problem}")

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.down:  # a keep-alive connection from before the outage: drop it like a dead host
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPServiceUnavailable()
        response = await handler(request)
        self.requests.append((request.method, request.path_qs, response.status))
        return response

    # -- objects as the controllers see them ----------------------------------------------------------

    def put(self, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        api_version, kind, _ = KINDS[resource]
        obj.setdefault("apiVersion", api_version)
        obj.setdefault("kind", kind)
        return self.store.create(resource, self.namespace, obj)

    def event(self, obj: dict[str, Any], reason: str, message: str, type_: str = "Normal") -> None:
        meta = obj["metadata"]
        name = f"{meta['name']}.{len(self.store.list('events')):06d}"
        self.put(
            "events",
            {
                "metadata": {"name": name},
                "involvedObject": {
                    "kind": obj.get("kind"),
                    "name": meta["name"],
                    "namespace": self.namespace,
                    "uid": meta.get("uid"),
                    "apiVersion": obj.get("apiVersion"),
                },
                "reason": reason,
                "message": message,
                "type": type_,
                "count": 1,
                "firstTimestamp": now(),
                "lastTimestamp": now(),
                "source": {"component": "kubedirector"},
            },
        )

    # -- HTTP -----------------------------------------------------------------------------------------

    async def _route(self, request: web.Request) -> web.StreamResponse:
        m = PATH.match(request.path)
        if not m or m["res"] not in KINDS or PREFIX[m["res"]] != m["prefix"]:
            self.violation(request, "path not in the reference / not used by mlops-tui")
            return status(404, "NotFound", f"the server could not find the requested resource {request.path}")
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return status(401, "Unauthorized", "Unauthorized")
        if request.headers.get("User-Agent") != "mlops-tui":
            self.violation(request, f"User-Agent {request.headers.get('User-Agent')!r}")
        if m["ns"] != self.namespace:
            self.violation(request, f"namespace {m['ns']} is not the tenant's")
            return status(403, "Forbidden", f"namespace {m['ns']} is forbidden")
        res, name, sub = m["res"], m["name"], m["sub"]
        accept = request.headers.get("Accept", "")
        if sub is None and "application/json" not in accept:
            self.violation(request, f"Accept {accept!r}")
        method = request.method
        if method != "GET" and method not in WRITABLE.get(res, set()):
            self.violation(request, f"{method} on {res} is not something mlops-tui should do")
            return status(405, "MethodNotAllowed", "method not allowed")
        if method == "GET" and name is None:
            return self._list(request, res)
        if method == "GET" and sub:
            return await self._log(request, name)
        if method == "GET":
            obj = self.store.get(res, name)
            return web.json_response(obj) if obj else status(404, "NotFound", f'{res} "{name}" not found')
        if method == "POST" and name is None:
            return await self._create(request, res)
        if method == "PATCH" and name:
            return await self._patch(request, res, name)
        if method == "DELETE" and name:
            return self._delete(request, res, name)
        self.violation(request, "unsupported request shape")
        return status(400, "BadRequest", "unsupported")

    def _list(self, request: web.Request, res: str) -> web.Response:
        items = self.store.list(
            res, request.query.get("labelSelector", ""), request.query.get("fieldSelector", "")
        )
        limit = int(request.query.get("limit", "0") or 0)
        if limit:
            items = items[:limit]
        api_version, _, list_kind = KINDS[res]
        body = {
            "apiVersion": api_version,
            "kind": list_kind,
            "metadata": {"resourceVersion": "1"},
            "items": items,
        }
        return web.json_response(body)

    async def _body(self, request: web.Request, content_type: str) -> Any:
        got = request.headers.get("Content-Type", "")
        # kube-apiserver reads a body without Content-Type as JSON (its first supported type);
        # the kubernetes client sends creates that way.
        if not got.startswith(content_type) and not (got == "" and content_type == "application/json"):
            self.violation(request, f"Content-Type {got!r}, expected {content_type}")
        try:
            return json.loads(await request.read())
        except ValueError:
            self.violation(request, "body is not JSON")
            return None

    async def _create(self, request: web.Request, res: str) -> web.Response:
        body = await self._body(request, "application/json")
        if not isinstance(body, dict):
            return status(400, "BadRequest", "body must be an object")
        api_version, kind, _ = KINDS[res]
        problems = []
        if body.get("apiVersion") != api_version or body.get("kind") != kind:
            problems.append(f"apiVersion/kind {body.get('apiVersion')}/{body.get('kind')} on {res}")
        if res == "kubedirectorclusters":
            cms = {
                cm["metadata"]["name"]
                for cm in self.store.list("configmaps", "kubedirector.hpe.com/cmType=model")
            }
            problems += validate.kdcluster(body, strict_names=self.strict_names, configmaps=cms)
        elif res == "configmaps":
            problems += validate.configmap(body)
        elif res == "jobs":
            problems += validate.job(body, self.pvc)
        elif res == "pods":
            problems += validate.pod_spec(body.get("spec") or {}, self.pvc)
        for p in problems:
            self.violation(request, p)
        if problems:
            return status(422, "Invalid", "; ".join(problems))
        name = (body.get("metadata") or {}).get("name", "")
        if self.store.get(res, name):
            return status(409, "AlreadyExists", f'{res} "{name}" already exists')
        obj = self.store.create(res, self.namespace, body)
        if res == "pods":
            obj["status"] = {"phase": "Pending"}
        hook = self.on_create.get(res)
        if hook:
            hook(obj)
        return web.json_response(obj, status=201)

    async def _patch(self, request: web.Request, res: str, name: str) -> web.Response:
        body = await self._body(request, "application/merge-patch+json")
        obj = self.store.get(res, name)
        if obj is None:
            return status(404, "NotFound", f'{res} "{name}" not found')
        allowed = {"metadata"} | ({"spec"} if res == "jobs" else set())
        if not isinstance(body, dict) or set(body) - allowed:
            self.violation(request, f"patch touches {sorted(body or {})}")
            return status(422, "Invalid", "only annotations (and a Job's suspend) may be patched")
        if set(body.get("metadata") or {}) - {"annotations"} or set(body.get("spec") or {}) - {"suspend"}:
            self.violation(request, f"patch {body} goes beyond annotations/suspend")
        _merge(obj, body)
        self.store.bump(obj)
        hook = self.on_patch.get(res)
        if hook:
            hook(obj)
        return web.json_response(obj)

    def _delete(self, request: web.Request, res: str, name: str) -> web.Response:
        obj = self.store.delete(res, name)
        if obj is None:
            return status(404, "NotFound", f'{res} "{name}" not found')
        hook = self.on_delete.get(res)
        if hook:
            hook(obj)
        return web.json_response(
            {
                "kind": "Status",
                "apiVersion": "v1",
                "status": "Success",
                "details": {"name": name, "kind": res},
                "metadata": {},
            }
        )

    async def _log(self, request: web.Request, name: str) -> web.StreamResponse:
        pod = self.store.get("pods", name)
        if pod is None:
            return status(404, "NotFound", f'pods "{name}" not found')
        buffer = self.logs.get(name)
        if buffer is None:
            return status(400, "BadRequest", f'container "app" in pod "{name}" is waiting to start')
        follow = request.query.get("follow") == "true"
        if not follow:
            return web.Response(body=bytes(buffer.data), content_type="text/plain")
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        sent = 0
        try:
            while True:
                if len(buffer.data) > sent:
                    chunk = bytes(buffer.data[sent:])
                    sent += len(chunk)
                    await response.write(chunk)
                    continue
                if buffer.closed:
                    break
                buffer.changed.clear()
                await buffer.changed.wait()
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client stopped following
        return response


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
