"""The fake HPE Ezmeral gateway: the REST session API (reference §1) and mapped service ports.

Session: ``POST /api/v2/session`` checks headers and the exact body keys, answers 201 with
``Location: /api/v2/session/<uuid>``; later calls must carry ``X-BDS-SESSION`` equal to that whole
value; ``GET`` gives session info, ``DELETE`` logs out (204); ``GET /api/v2/k8skubeconfig`` returns
a kubeconfig (``text/yaml``, attachment) for the tenant namespace whose bearer token lives as long
as the session. Mapped ports (one TLS listener each) are the notebook UI and the deployment
engine's ``/<model>/<version>/predict`` (checked against §5.3-5.4, answered like §5.5).
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import uuid
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web

from . import validate
from .apiserver import ApiServer

REPO_MOUNT = "/bd-fs-mnt/TenantShare/repo"
JSON = "application/json"


class Gateway:
    def __init__(
        self,
        api: ApiServer,
        *,
        tenant: str,
        users: dict[str, str],
        repo_dir: Path,
        ssl_context: ssl.SSLContext,
        ca_pem: bytes,
    ) -> None:
        self.api = api
        self.tenant = tenant
        self.users = users
        self.repo_dir = repo_dir
        self.ssl_context = ssl_context
        self.ca_pem = ca_pem
        self.api_url = ""  # set by the world once the API server listens
        self.sessions: dict[str, dict[str, Any]] = {}  # location → info (+ its kubeconfig tokens)
        self.violations: list[str] = []
        self.requests: list[tuple[str, str, int]] = []
        self.predictions = 0
        # False: the kubeconfigs handed out carry tokens the API server refuses (401), as when the
        # session behind them has expired there (doctor fault "expired session").
        self.kubeconfig_tokens_accepted = True
        self._sites: dict[str, list[web.AppRunner]] = {}
        self.app = web.Application(middlewares=[self._middleware])
        self.app.router.add_post("/api/v2/session", self.login)
        self.app.router.add_get("/api/v2/session", self.info)
        self.app.router.add_get("/api/v2/session/{sid}", self.info)
        self.app.router.add_delete("/api/v2/session/{sid}", self.logout)
        self.app.router.add_get("/api/v2/k8skubeconfig", self.kubeconfig)
        self.app.router.add_route("*", "/{tail:.*}", self.unknown)

    def violation(self, request: web.Request, problem: str) -> None:
        self.violations.append(f"{request.method} {request.path}: {problem}")

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        self.requests.append((request.method, request.path, response.status))
        return response

    async def unknown(self, request: web.Request) -> web.Response:
        self.violation(request, "not a gateway path of the reference")
        return web.json_response({"error": "not found"}, status=404)

    def _json_headers(self, request: web.Request, *, body: bool) -> None:
        if JSON not in request.headers.get("Accept", ""):
            self.violation(request, "Accept: application/json missing")
        if body and not request.headers.get("Content-Type", "").startswith(JSON):
            self.violation(request, "Content-Type: application/json missing")

    def _session(self, request: web.Request) -> dict[str, Any] | None:
        value = request.headers.get("X-BDS-SESSION", "")
        if value and not value.startswith("/api/v2/session/"):
            self.violation(request, f"X-BDS-SESSION must be the whole Location value, got {value!r}")
        return self.sessions.get(value)

    # -- session ----------------------------------------------------------------------------------------

    async def login(self, request: web.Request) -> web.Response:
        self._json_headers(request, body=True)
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or set(body) != {"name", "password", "tenant_name"}:
            self.violation(request, f"login body keys {sorted(body or {})} != name/password/tenant_name")
            return web.json_response({"error": "bad body"}, status=400)
        if self.users.get(body["name"]) != body["password"] or body["tenant_name"] != self.tenant:
            return web.json_response({"error": "authentication failed"}, status=401)
        location = f"/api/v2/session/{uuid.uuid4()}"
        self.sessions[location] = {"user": body["name"], "tokens": set()}
        return web.Response(status=201, headers={"Location": location})

    async def info(self, request: web.Request) -> web.Response:
        self._json_headers(request, body=False)
        session = self._session(request)
        sid = request.match_info.get("sid")
        if session is None or (sid and request.headers.get("X-BDS-SESSION", "").rsplit("/", 1)[-1] != sid):
            return web.json_response({"error": "invalid session"}, status=401)
        return web.json_response(
            {
                "user_name": session["user"],
                "tenant_name": self.tenant,
                "role": "member",
                "expiry": 1_900_000_000,
            }
        )

    async def logout(self, request: web.Request) -> web.Response:
        location = f"/api/v2/session/{request.match_info['sid']}"
        if request.headers.get("X-BDS-SESSION") != location:
            self.violation(request, "logout must carry the session being deleted")
        session = self.sessions.pop(location, None)
        if session is None:
            return web.json_response({"error": "invalid session"}, status=401)
        self.api.tokens -= session["tokens"]
        return web.Response(status=204)

    async def kubeconfig(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if session is None:
            return web.json_response({"error": "invalid session"}, status=401)
        token = uuid.uuid4().hex
        session["tokens"].add(token)
        if self.kubeconfig_tokens_accepted:
            self.api.tokens.add(token)
        user, ns = session["user"], self.tenant.lower()
        import base64

        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "fake-ezmeral",
                    "cluster": {
                        "server": self.api_url,
                        "certificate-authority-data": base64.b64encode(self.ca_pem).decode(),
                    },
                }
            ],
            "contexts": [
                {
                    "name": f"fake-ezmeral-{user}",
                    "context": {"cluster": "fake-ezmeral", "user": f"hpecp-{user}"},
                },
                {
                    "name": f"fake-ezmeral-{ns}-{user}",
                    "context": {"cluster": "fake-ezmeral", "user": f"hpecp-{user}", "namespace": ns},
                },
            ],
            "current-context": f"fake-ezmeral-{ns}-{user}",
            "users": [{"name": f"hpecp-{user}", "user": {"token": token}}],
        }
        return web.Response(
            text=yaml.safe_dump(config),
            content_type="text/yaml",
            headers={"Content-Disposition": 'attachment; filename="config"'},
        )

    def expire_all(self) -> None:
        """The 24 h TTL passed: every session and every kubeconfig token dies."""
        for session in self.sessions.values():
            self.api.tokens -= session["tokens"]
        self.sessions.clear()

    # -- mapped service ports -----------------------------------------------------------------------------

    async def _listen(self, cluster: str, app: web.Application) -> int:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        self._sites.setdefault(cluster, []).append(runner)
        return runner.addresses[0][1]

    async def serve_notebook(self, cluster: str) -> int:
        app = web.Application()

        async def page(request: web.Request) -> web.Response:
            return web.Response(
                text=f"<html><title>JupyterHub</title><body>{cluster}</body></html>", content_type="text/html"
            )

        app.router.add_get("/{tail:.*}", page)
        return await self._listen(cluster, app)

    async def serve_deployment(
        self, cluster: str, cm: dict[str, Any] | None, token: str, path_template: str
    ) -> int:
        """Answer predictions at ``path_template`` (the KubeDirectorApp's endpoint ``path``) with the
        connected model ConfigMap's ``data.name`` and ``model-version`` filled in."""
        data = (cm or {}).get("data") or {}
        route = path_template.replace("<<model_name>>", str(data.get("name"))).replace(
            "<<model_version>>", str(data.get("model-version"))
        )
        bundle = self.repo_dir / str(data.get("path", "")).removeprefix(REPO_MOUNT + "/")
        scorer_box: dict[str, Any] = {}
        loop = asyncio.get_running_loop()

        def load() -> Any:
            from mlops_tui.lab_scripts.scoring import Scorer

            return Scorer.load(bundle)

        loading = loop.run_in_executor(None, load)
        app = web.Application()
        counter = iter(range(1, 1_000_000))

        async def predict(request: web.Request) -> web.Response:
            try:
                body = await request.json()
            except ValueError:
                body = None
            problems = validate.predict(body, dict(request.headers), token)
            if request.headers.get("X-Auth-Token") != token:
                return web.Response(status=401, text="401 Unauthorized: invalid auth token")
            if request.path != route:
                self.violations.append(f"POST {request.path}: the route is {route}")
                return web.Response(status=404, text="no such model/version")
            for p in problems:
                self.violations.append(f"POST {request.path}: {p}")
            if problems:
                return web.json_response({"error": "; ".join(problems)}, status=400)
            if "scorer" not in scorer_box:
                scorer_box["scorer"] = await loading
            values, _ = scorer_box["scorer"].predict([body["scoring_args"]])
            self.predictions += 1
            n = next(counter)
            host = f"{request.host}"
            return web.json_response(
                {
                    "id": n,
                    "qid": n,
                    "input": json.dumps(body["scoring_args"]),
                    "output": f"The ride duration prediction is {values[0]:.1f} seconds.\n",
                    "status": "Finished",
                    "node": f"{cluster}-restserver-0",
                    "pid": os.getpid(),
                    "log_url": f"{host}/logs/{n}",
                    "request_url": f"{host}/history/{n}",
                }
            )

        app.router.add_post("/{tail:.*}", predict)
        return await self._listen(cluster, app)

    def unserve(self, cluster: str) -> None:
        for runner in self._sites.pop(cluster, []):
            asyncio.get_running_loop().create_task(runner.cleanup())

    async def stop(self) -> None:
        for runners in self._sites.values():
            for runner in runners:
                await runner.cleanup()
        self._sites.clear()
