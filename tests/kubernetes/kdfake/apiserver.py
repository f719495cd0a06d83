"""A small Kubernetes API server on loopback that speaks the real wire format.

It serves what the adapter uses — KubeDirectorClusters, pods (and their logs, followed), ConfigMaps,
Services, events and batch/v1 Jobs — with real JSON lists, ``Status`` errors, bearer-token auth
(401 when the token is unknown or revoked) and chunked log streams. Every request is checked:
known path, tenant namespace, the client's headers (our User-Agent, JSON Accept/Content-Type,
merge-patch for PATCH) and the body against the reference (:mod:`validate`); any deviation is
recorded in ``violations`` and the tests assert there is none. Every object created or patched is
validated against the real schemas (:mod:`schemas`: the Kubernetes OpenAPI schema of
:attr:`ApiServer.version`, the KubeDirectorCluster CRD), and a KubeDirectorCluster is admitted
as KubeDirector's validating webhook does (its app must exist, its roles and member counts must
fit the app's roles and cardinality).

For ``mlops-tui doctor`` it also serves what a tenant user can read about the cluster: ``/version``,
API discovery (``/apis``, ``/apis/kubedirector.hpe.com[/v1beta1]``; absent when
:attr:`ApiServer.crd_installed` is false), the namespace's KubeDirectorApps and
PersistentVolumeClaims, and ``SelfSubjectAccessReview``s answered from :attr:`ApiServer.denied`,
the RBAC policy that also refuses the real requests with 403.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import catalog, schemas, validate
from .store import Store, now

CORE = "/api/v1/namespaces/{ns}/"
KINDS = {  # resource → (apiVersion, kind, list kind)
    "pods": ("v1", "Pod", "PodList"),
    "configmaps": ("v1", "ConfigMap", "ConfigMapList"),
    "services": ("v1", "Service", "ServiceList"),
    "events": ("v1", "Event", "EventList"),
    "jobs": ("batch/v1", "Job", "JobList"),
    "persistentvolumeclaims": ("v1", "PersistentVolumeClaim", "PersistentVolumeClaimList"),
    "kubedirectorapps": ("kubedirector.hpe.com/v1beta1", "KubeDirectorApp", "KubeDirectorAppList"),
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
    "persistentvolumeclaims": "/api/v1",
    "kubedirectorapps": "/apis/kubedirector.hpe.com/v1beta1",
    "kubedirectorclusters": "/apis/kubedirector.hpe.com/v1beta1",
}
GROUP = {
    "/api/v1": "",
    "/apis/batch/v1": "batch",
    "/apis/kubedirector.hpe.com/v1beta1": "kubedirector.hpe.com",
}
KD_GROUP = "kubedirector.hpe.com"
SSAR_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
WEBHOOK = 'admission webhook "validate-cr.kubedirector.hpe.com" denied the request: '
VERBS = {"POST": "create", "PATCH": "patch", "DELETE": "delete", "PUT": "update"}
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


def _group(name: str, version: str) -> dict[str, Any]:
    gv = {"groupVersion": f"{name}/{version}", "version": version}
    return {"name": name, "versions": [gv], "preferredVersion": gv}


def _resource(name: str, kind: str, short: list[str]) -> dict[str, Any]:
    return {
        "name": name,
        "singularName": name.rstrip("s"),
        "namespaced": True,
        "kind": kind,
        "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
        "shortNames": short,
    }


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
        self.version = "1.33.1"  # what /version reports; the core objects are validated against it
        self.crd_installed = True  # False: KubeDirector's CRDs are not installed (doctor fault)
        self.user = "student01"  # who the tokens authenticate (for RBAC messages)
        # RBAC: (API group, resource[/subresource], verb) the user may not do; SSARs answer from it
        self.denied: set[tuple[str, str, str]] = set()
        self.access: list[tuple[str, str, str]] = []  # (group, resource, verb) of every request served
        self.ssars: list[dict[str, Any]] = []
        self.validated: list[str] = []  # kinds validated against a real schema, one entry per object
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

    def _authenticated(self, request: web.Request) -> bool:
        auth = request.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.tokens

    async def _route(self, request: web.Request) -> web.StreamResponse:
        if not request.path.startswith(
            ("/api/v1/namespaces/", "/apis/batch/", "/apis/kubedirector.hpe.com/v1beta1/namespaces/")
        ):
            return await self._cluster_scope(request)
        m = PATH.match(request.path)
        if m and m["prefix"] == PREFIX["kubedirectorclusters"] and not self.crd_installed:
            if not self._authenticated(request):
                return status(401, "Unauthorized", "Unauthorized")
            return status(404, "NotFound", "the server could not find the requested resource")
        if not m or m["res"] not in KINDS or PREFIX[m["res"]] != m["prefix"]:
            self.violation(request, "path not in the reference / not used by mlops-tui")
            return status(404, "NotFound", f"the server could not find the requested resource {request.path}")
        if not self._authenticated(request):
            return status(401, "Unauthorized", "Unauthorized")
        if request.headers.get("User-Agent") != "mlops-tui":
            self.violation(request, f"User-Agent {request.headers.get('User-Agent')!r}")
        if m["ns"] != self.namespace:
            self.violation(request, f"namespace {m['ns']} is not the tenant's")
            return status(403, "Forbidden", f"namespace {m['ns']} is forbidden")
        res, name, sub = m["res"], m["name"], m["sub"]
        group = GROUP[m["prefix"]]
        resource = f"{res}/log" if sub else res
        verb = VERBS.get(request.method) or ("get" if name else "list")
        self.access.append((group, resource, verb))
        if (group, resource, verb) in self.denied:
            return self._forbidden(group, resource, verb)
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

    def _forbidden(self, group: str, resource: str, verb: str) -> web.Response:
        res, _, sub = resource.partition("/")
        what = f"{res}.{group}" if group else res
        sub_text = f' with subresource "{sub}"' if sub else ""
        return status(
            403,
            "Forbidden",
            f'{what} is forbidden: User "{self.user}" cannot {verb} resource "{res}"{sub_text} '
            f'in API group "{group}" in the namespace "{self.namespace}"',
        )

    async def _cluster_scope(self, request: web.Request) -> web.StreamResponse:
        """``/version``, discovery and SelfSubjectAccessReviews: what any authenticated user may read."""
        if not self._authenticated(request):
            return status(401, "Unauthorized", "Unauthorized")
        path = request.path.rstrip("/")
        if request.method == "GET" and path == "/version":
            major, minor, _ = self.version.split(".")
            return web.json_response(
                {
                    "major": major,
                    "minor": minor,
                    "gitVersion": f"v{self.version}",
                    "platform": "linux/amd64",
                    "goVersion": "go1.24.0",
                    "compiler": "gc",
                    "gitCommit": "0" * 40,
                    "gitTreeState": "clean",
                    "buildDate": "2026-01-01T00:00:00Z",
                }
            )
        if request.method == "GET" and path == "/apis":
            groups = [_group("batch", "v1")]
            if self.crd_installed:
                groups.append(_group(KD_GROUP, "v1beta1"))
            return web.json_response({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
        if request.method == "GET" and path == f"/apis/{KD_GROUP}" and self.crd_installed:
            return web.json_response({"kind": "APIGroup", "apiVersion": "v1", **_group(KD_GROUP, "v1beta1")})
        if request.method == "GET" and path == f"/apis/{KD_GROUP}/v1beta1" and self.crd_installed:
            resources = [
                _resource("kubedirectorapps", "KubeDirectorApp", ["kdapp"]),
                _resource("kubedirectorclusters", "KubeDirectorCluster", ["kdcluster"]),
                {
                    **_resource("kubedirectorclusters/status", "KubeDirectorCluster", []),
                    "verbs": ["get", "patch", "update"],
                },
            ]
            return web.json_response(
                {
                    "kind": "APIResourceList",
                    "apiVersion": "v1",
                    "groupVersion": f"{KD_GROUP}/v1beta1",
                    "resources": resources,
                }
            )
        if request.method == "POST" and path == SSAR_PATH:
            return await self._access_review(request)
        if path.startswith(f"/apis/{KD_GROUP}"):  # a group the server does not serve
            return status(404, "NotFound", "the server could not find the requested resource")
        self.violation(request, "path not in the reference / not used by mlops-tui")
        return status(404, "NotFound", f"the server could not find the requested resource {request.path}")

    async def _access_review(self, request: web.Request) -> web.Response:
        body = await self._body(request, "application/json")
        attrs = ((body or {}).get("spec") or {}).get("resourceAttributes") or {}
        if (body or {}).get("kind") != "SelfSubjectAccessReview" or not attrs:
            self.violation(request, f"not a SelfSubjectAccessReview with resourceAttributes: {body!r}"[:200])
            return status(400, "BadRequest", "spec.resourceAttributes is required")
        if attrs.get("namespace") != self.namespace:
            self.violation(request, f"access review for namespace {attrs.get('namespace')!r}")
        resource = attrs.get("resource", "") + (
            f"/{attrs['subresource']}" if attrs.get("subresource") else ""
        )
        key = (attrs.get("group", ""), resource, attrs.get("verb", ""))
        self.ssars.append(attrs)
        allowed = key not in self.denied
        review = {**body, "status": {"allowed": allowed}}
        if not allowed:
            review["status"]["reason"] = "no RBAC policy matched"
        review.setdefault("metadata", {})["creationTimestamp"] = None
        return web.json_response(review, status=201)

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
        problems += self.schema_problems(body)
        if res == "kubedirectorclusters":
            denied = self.admit_kdcluster(body)
            if denied:
                return status(400, "BadRequest", WEBHOOK + "\n" + "\n".join(denied))
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

    def schema_problems(self, obj: dict[str, Any]) -> list[str]:
        """``obj`` against its real schema (core: Kubernetes :attr:`version`; KubeDirectorCluster: the
        CRD in ../shared, not checked where absent)."""
        kind = obj.get("kind", "")
        if kind == "KubeDirectorCluster":
            problems = schemas.kdcluster(obj)
            if problems is None:
                return []
        else:
            problems = schemas.core(obj, self.version)
        self.validated.append(kind)
        return problems

    def admit_kdcluster(self, body: dict[str, Any]) -> list[str]:
        """KubeDirector's validating webhook (``pkg/validator/cluster.go``): the app must exist in the
        cluster's catalog, every role must be one of the app's, every selected role with a non-zero
        cardinality must be configured, and member counts must fit the cardinality."""
        spec = body.get("spec") or {}
        app = self.store.get("kubedirectorapps", str(spec.get("app", "")))
        if app is None:
            return [f"Invalid app({spec.get('app')}). This app resource ID has not been registered."]
        roles = catalog.roles(app)
        app_name = app["metadata"]["name"]
        errors = []
        given = [r.get("id") for r in spec.get("roles") or []]
        for rid in given:
            if rid not in roles:
                errors.append(
                    f'Invalid role({rid}) in app({app_name}) specified. Valid roles: "{",".join(roles)}"'
                )
        for rid in catalog.selected_roles(app):
            if rid not in given and catalog.cardinality(roles[rid])[0] != 0:
                errors.append(
                    f"Active role({rid}) in app({app_name}) must have its configuration included "
                    "in the roles array."
                )
        for role in spec.get("roles") or []:
            if role.get("id") not in roles or "members" not in role:
                continue
            minimum, scale_out = catalog.cardinality(roles[role["id"]])
            if (role["members"] < minimum) if scale_out else (role["members"] != minimum):
                errors.append(
                    f"Invalid member count for role({role['id']}). Specified member count:{role['members']} "
                    f"Role cardinality:{roles[role['id']]['cardinality']}"
                )
        return errors

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
        for p in self.schema_problems(obj):
            self.violation(request, f"after the patch: {p}")
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
        sent = _tail_offset(bytes(buffer.data), request.query.get("tailLines"))
        if not follow:
            return web.Response(body=bytes(buffer.data[sent:]), content_type="text/plain")
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
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


def _tail_offset(data: bytes, tail_lines: str | None) -> int:
    """Where the last ``tailLines`` lines of ``data`` start (the pod log API's ``tailLines``)."""
    if tail_lines is None:
        return 0
    n = int(tail_lines)
    ends = [i for i, b in enumerate(data) if b == 0x0A]
    if data and not data.endswith(b"\n"):
        n -= 1  # the unfinished last line is one of them
    if n < 0:
        return len(data)
    return ends[-n - 1] + 1 if len(ends) > n else 0


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
