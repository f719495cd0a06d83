"""The platform's REST API (contract §2): thin FastAPI routes over the platform's services.

Every error leaves as ``{"error", "code", "field"}``: :class:`ApiError` as raised, request
validation as 422 naming the dotted field, unknown routes as 404, a full disk as 507 "disk full"
naming the path (from the database or any file write), and anything unexpected as a logged 500
without a traceback. Every object route is scoped to the session's tenant; within it, an
attendee (workshop mode) changes only their own objects (403 naming the owner otherwise; see
``access``) and reads and writes the repository by ``repo.check_folder_access``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, ORJSONResponse, StreamingResponse
from pydantic import BaseModel, Field, StringConstraints, field_validator
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from mlops_tui import __version__
from mlops_tui.platform import classroom, contract, names, peer
from mlops_tui.platform.access import ATTENDEE, require_owner
from mlops_tui.platform.auth import SessionInfo
from mlops_tui.platform.body_limit import MAX_JSON_BODY, BodySizeLimit
from mlops_tui.platform.deployment_drift import deployment_drift
from mlops_tui.platform.errors import ApiError, disk_full, forbidden, not_found
from mlops_tui.platform.login_backoff import TooManyAttempts
from mlops_tui.platform.names import shown
from mlops_tui.platform.registry import version_json
from mlops_tui.platform.repo import Repo
from mlops_tui.platform.storage import is_disk_full
from mlops_tui.platform.strict_body import StrictJsonBody
from mlops_tui.platform.training import FINAL, job_json

if TYPE_CHECKING:
    from mlops_tui.platform.server import Platform

log = logging.getLogger("mlops_tui.platform.api")
LOG_CHUNK = 1 << 20  # bytes of a job's log read (and sent) at a time
MAX_TAIL = 100_000  # lines of ?tail=N (the TUI asks for its 10,000)

MAX_UPLOAD = 512 << 20
_NO_BROADCAST = {"message": None, "author": None, "at": None}
V1 = "/api/mlops/v1"


# -- request bodies ---------------------------------------------------------------------------------


class _Body(BaseModel):
    """Fields are taken exactly as sent (the description's patterns are the rules; clients trim)."""


def _named(kind: str, value: str) -> str:
    return names.check(kind, value)


def _data_file(value: str) -> str:
    """A job's data, by the data-name rule (``names.data_path``), taken as sent like every field
    (the CLI and the guide trim what a person typed; the API refuses spaces around a name)."""
    if value != value.strip():
        raise ValueError(f"{value!r} {names.MESSAGES['data']} (no spaces around it)")
    return names.data_path(value)


class LoginBody(BaseModel):
    """The names are trimmed (an empty one is a user nobody is: 401); the password is taken as
    sent (``add-user`` stores it as typed, spaces included, so trimming it would lock such a user out)."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
    password: str = Field(min_length=1, max_length=1024)
    tenant_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


class ClusterBody(_Body):
    name: str = Field(json_schema_extra=contract.pattern(contract.CLUSTER_NAME, "a DNS label"))
    kind: Literal["notebook", "training", "deployment"] = Field(
        json_schema_extra={"enum": ["notebook", "training"], "description": "deployments: POST /deployments"}
    )
    members: int = Field(1, ge=1, le=16)
    cpu: str = Field("1", pattern=r"^[0-9]+(\.[0-9]+)?$")
    memory: str = Field("2Gi", pattern=r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|K|M|G)?$")
    connections: dict[str, list[str]] = Field(default_factory=dict)

    _name = field_validator("name")(lambda v: _named("cluster", v))


_PARAMS_SCHEMA = {
    "propertyNames": {"pattern": contract.PARAM_NAME, "not": {"enum": ["data", "output"]}},
    "additionalProperties": {
        "anyOf": [{"type": "string", "pattern": contract.NO_NUL}, {"type": "integer"}, {"type": "number"}]
    },
}


class JobBody(_Body):
    cluster: str = Field(min_length=1, max_length=63)
    code: str = Field(
        min_length=1,
        max_length=1024,
        json_schema_extra=contract.pattern(contract.CODE_PATH, "a package folder"),
    )
    data: str = Field(
        min_length=1,
        max_length=255,
        json_schema_extra=contract.pattern(
            contract.DATA_PATH, "a data file: march.csv, data/NYCTaxi/x.parquet"
        ),
    )
    output: str = Field(min_length=1, max_length=1024, json_schema_extra=contract.pattern(contract.REPO_PATH))
    entrypoint: str = Field("train", json_schema_extra=contract.pattern(contract.IDENTIFIER))
    params: dict[str, str | int | float] = Field(default_factory=dict, json_schema_extra=_PARAMS_SCHEMA)
    name: str = Field("", max_length=200)

    _entry = field_validator("entrypoint")(lambda v: _named("identifier", v))
    _data = field_validator("data")(lambda v: _data_file(v))


class RegisterBody(_Body):
    model: str = Field(json_schema_extra=contract.pattern(contract.MODEL_NAME))
    job_id: str | int
    description: str = Field("", max_length=2000)
    scoring_path: str = Field(
        "",
        max_length=1024,
        json_schema_extra=contract.pattern(contract.SCORING_PATH, "<dir>/<package>/<module>.py"),
    )

    _model = field_validator("model")(lambda v: _named("model", v))


class StageBody(_Body):
    stage: Literal["none", "staging", "production", "archived"]


class BroadcastBody(BaseModel):
    message: str = Field(
        max_length=classroom.MAX_BROADCAST,
        json_schema_extra=contract.pattern(
            classroom.BROADCAST_TEXT,
            "plain text: tabs and line breaks become spaces, other control characters are refused",
        ),
    )


class DeploymentBody(_Body):
    name: str = Field(json_schema_extra=contract.pattern(contract.CLUSTER_NAME, "a DNS label"))
    model: str = Field(min_length=1, max_length=63)
    version: int = Field(ge=1, le=10**9)
    max_batch_size: int | None = Field(
        None, ge=1, le=10_000, description="rides per model call at most (adaptive batching; default 1024)"
    )
    max_batch_wait_ms: float | None = Field(
        None,
        ge=0,
        le=1000,
        allow_inf_nan=False,
        description="how long a model call not yet full waits for more rides (default 0: never)",
    )

    _name = field_validator("name")(lambda v: _named("cluster", v))


# -- error handling ---------------------------------------------------------------------------------


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "code": code, "field": field}, status_code=status)


def _storage_shown(platform: Platform, request: Request | None = None) -> Callable[[str], str]:
    """How a storage fault's path (disk full, an unusable state file) is shown: as it is to the
    platform's own people (where to free space), as ``<state>/…`` to a workshop's attendees (no
    path in the facilitator's home: shown_paths) and, in a workshop, to a request of no session."""
    session = request.headers.get("X-BDS-SESSION") if request is not None else None
    try:
        role = platform.auth.session(session).role if session else None
    except Exception:  # an expired or unknown session is no one's: as a request of no session
        role = None
    if role == "attendee" or (role is None and platform.shared_as_workshop()):
        return platform.paths.shower.text
    return str


def _loggable(path: str) -> str:
    """``path`` for the platform log: a session's path is its credential, so its id is left out."""
    head, sep, _ = path.partition("/api/v2/session/")
    return f"{head}{sep}…" if sep else path


_CLIENT_ERRNOS = {errno.ENAMETOOLONG, errno.EISDIR, errno.ENOTDIR, errno.ENOENT, errno.EEXIST, errno.EINVAL}
_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "none"}


def _field(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    # Union members and validators show up as extra loc entries ("str", "function-after[...]").
    parts = [
        p
        for p in parts
        if p not in _TYPE_TAGS and not p.startswith(("function-", "constrained-")) and "[" not in p
    ]
    return ".".join(parts) or ("body" if loc and loc[0] == "body" else None)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route answers on this path (RFC 9110 §15.5.6: a 405 carries ``Allow``)."""
    scope = {**request.scope, "method": "\0"}  # a method no route has: a path match is PARTIAL
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches(scope)
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        platform = request.app.state.platform
        show = _storage_shown(platform, request) if exc.path is not None else platform.paths.shower.text
        body = {k: show(v) if isinstance(v, str) else v for k, v in exc.body().items()}
        return JSONResponse(body, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request"}
        field = _field(tuple(first.get("loc", ())))
        if first.get("type") == "json_invalid":
            field = "body"
        msgs = []
        for e in errors[:5]:
            f = _field(tuple(e.get("loc", ()))) or "body"
            msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
            if e.get("type") == "missing":
                msg = "is required"
            elif e.get("type") == "json_invalid":
                msg = "is not valid JSON"
                f = "body"
            elif e.get("type") in ("string_too_long", "string_too_short") and isinstance(e.get("input"), str):
                bound = "most" if e["type"] == "string_too_long" else "least"
                limit = (e.get("ctx") or {}).get("max_length" if bound == "most" else "min_length")
                msg = f"at {bound} {limit} characters, not {len(e['input'])}"
            msgs.append(f"{f}: {msg}")
        return _error(422, "invalid_input", "; ".join(msgs), field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return _error(404, "not_found", f"no endpoint {request.method} {request.url.path}")
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            response = _error(
                405,
                "invalid_input",
                f"{request.method} is not allowed on {request.url.path}: use {', '.join(allowed)}",
                "method",
            )
            response.headers["Allow"] = ", ".join(allowed)
            return response
        field = "body" if exc.status_code == 413 else None  # raised by body_limit while reading
        return _error(exc.status_code, "invalid_input", str(exc.detail), field)

    @app.exception_handler(OSError)
    async def _os_error(request: Request, exc: OSError) -> JSONResponse:
        if exc.errno in _CLIENT_ERRNOS:  # a file name the client chose cannot exist as asked
            return _error(400, "invalid_input", f"path: {exc.strerror}", "path")
        if is_disk_full(exc):
            platform = request.app.state.platform
            path = str(exc.filename or platform.paths.root)
            platform.storage.report(path)
            full = disk_full(_storage_shown(platform, request)(path))
            return JSONResponse(full.body(), status_code=full.status)
        log.error("file error on %s %s: %s", request.method, _loggable(request.url.path), exc)
        return _error(
            500, "internal", f"the platform cannot access a file: {exc.strerror}; see the platform log"
        )

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, _loggable(request.url.path))
        return _error(500, "internal", f"internal error ({type(exc).__name__}); see the platform log")


def current_session(
    request: Request,
    x_bds_session: Annotated[str | None, Header(alias="X-BDS-SESSION")] = None,
    authorization: Annotated[str | None, Header()] = None,
) -> SessionInfo:
    """The session named by ``X-BDS-SESSION`` (or the same value in ``Authorization``)."""
    return request.app.state.platform.auth.session(x_bds_session or authorization)


Session = Annotated[SessionInfo, Depends(current_session)]
RepoPath = Annotated[
    str,
    PathParam(
        description="a path in the project repository",
        json_schema_extra={**contract.pattern(contract.REPO_PATH), "maxLength": 1024},
    ),
]
RepoPrefix = Annotated[
    str,
    Query(
        description="list what starts with this",
        max_length=1024,
        json_schema_extra=contract.pattern(contract.REPO_PREFIX),
    ),
]


class _FileBody(StreamingResponse):
    """A file sent from a descriptor already opened and checked (``Repo.open_read``): no path is
    looked up again, so nothing swapped in since the check is sent. The descriptor is closed
    whatever becomes of the response."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        super().__init__(self._chunks(size), media_type="application/octet-stream")
        self.headers["Content-Length"] = str(size)

    async def _chunks(self, size: int) -> AsyncIterator[bytes]:
        offset = 0
        while offset < size:
            data = await asyncio.to_thread(os.pread, self.fd, min(LOG_CHUNK, size - offset), offset)
            if not data:  # cut short since it was opened: the client sees a short body
                return
            offset += len(data)
            yield data

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            os.close(self.fd)


def _not_attendee(s: SessionInfo, what: str) -> None:
    if s.role == ATTENDEE:
        raise forbidden(f"{what} is for the facilitator; you ({s.user}) are an attendee")


# -- the app ----------------------------------------------------------------------------------------


def create_app(platform: Platform) -> FastAPI:
    app = FastAPI(
        default_response_class=ORJSONResponse,  # strict JSON out: a NaN is written as null, never NaN
        title="mlops-tui local platform",
        version=__version__,
        description="The embedded local ML Ops platform: Ezmeral-style sessions, training engine, "
        "model registry and deployment engines on one machine.",
    )
    app.state.platform = platform
    install_error_handlers(app)
    app.add_middleware(StrictJsonBody, skip=(f"{V1}/repo/",))  # runs inside the size limit
    app.add_middleware(BodySizeLimit, default=MAX_JSON_BODY, routes=[("PUT", f"{V1}/repo/", MAX_UPLOAD)])

    def repo(s: SessionInfo) -> Repo:
        return Repo(platform.paths.tenant_repo(s.namespace), platform.folder_rule(s.tenant, s.user))

    # -- session (Ezmeral protocol)
    @app.post(
        "/api/v2/session",
        status_code=201,
        tags=["session"],
        response_model=None,
        responses=contract.responses(401, 429, session=False),
    )
    async def login(body: LoginBody, request: Request, response: Response) -> dict[str, Any] | JSONResponse:
        host, port = (request.client.host, request.client.port) if request.client else ("unknown", None)
        server_port = (request.scope.get("server") or (None, None))[1]
        try:
            info = await asyncio.to_thread(_login, platform, body, host, port, server_port)
        except TooManyAttempts as exc:  # 429 with Retry-After (seconds), see login_backoff
            return JSONResponse(exc.body(), 429, headers={"Retry-After": str(exc.retry_after)})
        response.headers["Location"] = info.id
        return info.to_json()

    @app.get("/api/v2/session", tags=["session"], responses=contract.responses())
    async def whoami(s: Session) -> dict[str, Any]:
        return s.to_json()

    @app.get("/api/v2/session/{sid}", tags=["session"], responses=contract.responses(404))
    async def get_session(sid: str, s: Session) -> dict[str, Any]:
        if sid != s.uuid:
            raise not_found("no such session for this login", "sid")
        return s.to_json()

    @app.delete("/api/v2/session/{sid}", status_code=204, tags=["session"], responses=contract.responses(404))
    async def logout(sid: str, s: Session) -> Response:
        if sid != s.uuid:
            raise not_found("no such session for this login", "sid")
        platform.auth.logout(sid)
        return Response(status_code=204)

    @app.get("/api/v2/k8skubeconfig", tags=["session"], responses=contract.responses(404))
    async def kubeconfig(s: Session) -> dict[str, Any]:
        raise not_found("the local platform has no Kubernetes API, so there is no kubeconfig")

    @app.get(f"{V1}/health", tags=["platform"], responses=contract.responses(session=False))
    async def health() -> dict[str, Any]:
        """``ok``, or ``degraded`` with ``reasons`` (e.g. disk full, naming the path) while it lasts."""
        reasons = [_storage_shown(platform)(r) for r in platform.storage.reasons()]
        return {
            "status": "degraded" if reasons else "ok",
            "reasons": reasons,
            "version": __version__,
            "pid": os.getpid(),
            "started_at": platform.started_at,
        }

    # -- clusters
    @app.get(f"{V1}/clusters", tags=["clusters"], responses=contract.responses())
    async def list_clusters(
        s: Session, kind: Literal["notebook", "training", "deployment"] | None = None
    ) -> list[dict[str, Any]]:
        return platform.clusters.list(s.tenant, kind, s)

    @app.post(f"{V1}/clusters", status_code=201, tags=["clusters"], responses=contract.responses(409))
    async def create_cluster(body: ClusterBody, s: Session) -> dict[str, Any]:
        return platform.clusters.create(s.tenant, s.namespace, body.model_dump(), s)

    @app.get(f"{V1}/clusters/{{name}}", tags=["clusters"], responses=contract.responses(404))
    async def get_cluster(name: str, s: Session) -> dict[str, Any]:
        return platform.clusters.get(s.tenant, name, s)

    @app.delete(
        f"{V1}/clusters/{{name}}",
        status_code=204,
        tags=["clusters"],
        responses=contract.responses(403, 404, 409),
    )
    async def delete_cluster(name: str, s: Session) -> Response:
        await platform.clusters.delete(s.tenant, name, s)
        return Response(status_code=204)

    # -- jobs
    @app.post(f"{V1}/jobs", status_code=201, tags=["training"], responses=contract.responses(403, 404, 409))
    async def submit_job(body: JobBody, s: Session) -> dict[str, Any]:
        rule = platform.folder_rule(s.tenant, s.user)
        row = platform.engine.submit(s.tenant, s.namespace, s.user, body.model_dump(), rule)
        return job_json(row, platform.engine.queue_view())

    @app.get(f"{V1}/jobs", tags=["training"], responses=contract.responses())
    async def list_jobs(s: Session) -> list[dict[str, Any]]:
        """The tenant's jobs, newest first; queued ones with ``queue_position`` and ``estimated_start_at``."""
        queue = platform.engine.queue_view()
        return [job_json(r, queue) for r in platform.engine.list(s.tenant)]

    @app.get(f"{V1}/jobs/{{job_id}}", tags=["training"], responses=contract.responses(404))
    async def get_job(job_id: str, s: Session) -> dict[str, Any]:
        return job_json(platform.engine.get(s.tenant, job_id), platform.engine.queue_view())

    @app.post(f"{V1}/jobs/{{job_id}}/cancel", tags=["training"], responses=contract.responses(403, 404, 409))
    async def cancel_job(job_id: str, s: Session) -> dict[str, Any]:
        row = platform.engine.get(s.tenant, job_id)
        require_owner(s, row["user"], f"job {row['id']}", "id")
        return job_json(await platform.engine.cancel(s.tenant, job_id, by=s.user))

    @app.get(f"{V1}/jobs/{{job_id}}/metrics", tags=["training"], responses=contract.responses(404))
    async def job_metrics(job_id: str, s: Session) -> dict[str, Any]:
        return platform.engine.metrics(s.tenant, job_id)

    @app.get(
        f"{V1}/jobs/{{job_id}}/log",
        tags=["training"],
        response_class=StreamingResponse,
        responses={200: {"content": {"text/plain": {}}}, **contract.responses(404)},
    )
    async def job_log(
        job_id: str,
        s: Session,
        from_line: Annotated[int, Query(ge=0)] = 0,
        follow: bool = True,
        tail: Annotated[int | None, Query(ge=1, le=MAX_TAIL)] = None,
    ) -> StreamingResponse:
        """The job's log as written, from line ``from_line`` (0-based), or with ``tail=N`` from the
        N-th last complete line (``from_line`` is then ignored). Header ``X-Log-First-Line``: the
        number of the first line sent, so that a client can resume with ``from_line``."""
        row = platform.engine.get(s.tenant, job_id)
        start = (0, 0)
        if tail is not None:
            start = await asyncio.to_thread(_tail_start, platform.engine.log_path(row["id"]), tail)
            from_line = start[1]
        return StreamingResponse(
            _follow(platform, row["id"], from_line, follow, start),
            media_type="text/plain; charset=utf-8",
            headers={"X-Log-First-Line": str(from_line)},
        )

    # -- repository
    @app.get(f"{V1}/repo", tags=["repository"], responses=contract.responses())
    async def list_repo(s: Session, prefix: RepoPrefix = "") -> list[dict[str, Any]]:
        return await asyncio.to_thread(repo(s).list, prefix)

    @app.get(
        f"{V1}/repo/{{path:path}}",
        tags=["repository"],
        response_class=StreamingResponse,
        responses={200: {"content": {"application/octet-stream": {}}}, **contract.responses(403, 404, 409)},
    )
    async def fetch_repo(path: RepoPath, s: Session) -> StreamingResponse:
        fd, st = await asyncio.to_thread(repo(s).open_read, path)
        return _FileBody(fd, st.st_size)

    @app.put(
        f"{V1}/repo/{{path:path}}",
        status_code=201,
        tags=["repository"],
        responses=contract.responses(403, 404, 409),
    )
    async def upload_repo(
        path: RepoPath, request: Request, s: Session, replace: bool = False
    ) -> dict[str, Any]:
        """A file already at ``path`` is replaced only with ``?replace=true``; else 409 ``exists``."""
        r = repo(s)
        # The size limit (MAX_UPLOAD) is enforced by BodySizeLimit, from Content-Length before a
        # byte is read and while the body streams in.
        upload = r.open_upload(path, replace=replace)
        try:
            async for chunk in request.stream():
                upload.write(chunk)
            target = upload.commit()
        finally:
            upload.close()
        return r.entry(target)

    @app.delete(
        f"{V1}/repo/{{path:path}}",
        status_code=204,
        tags=["repository"],
        responses=contract.responses(403, 404),
    )
    async def delete_repo(path: RepoPath, s: Session) -> Response:
        await asyncio.to_thread(repo(s).delete, path)
        return Response(status_code=204)

    # -- registry
    @app.get(f"{V1}/models", tags=["registry"], responses=contract.responses())
    async def list_models(s: Session) -> list[dict[str, Any]]:
        return platform.registry.models(s.tenant)

    @app.post(f"{V1}/models", status_code=201, tags=["registry"], responses=contract.responses(403, 404, 409))
    async def register_model(body: RegisterBody, s: Session) -> dict[str, Any]:
        row = await asyncio.to_thread(
            platform.registry.register,
            s.tenant,
            s.namespace,
            s.user,
            body.model_dump(),
            s,
            platform.folder_rule(s.tenant, s.user),
        )
        return version_json(row)

    @app.get(f"{V1}/models/{{model}}/versions", tags=["registry"], responses=contract.responses(404))
    async def list_versions(model: str, s: Session) -> list[dict[str, Any]]:
        return [version_json(r) for r in platform.registry.versions(s.tenant, model)]

    @app.get(
        f"{V1}/models/{{model}}/versions/{{version}}", tags=["registry"], responses=contract.responses(404)
    )
    async def get_version(model: str, version: int, s: Session) -> dict[str, Any]:
        return version_json(platform.registry.get(s.tenant, model, version))

    @app.patch(
        f"{V1}/models/{{model}}/versions/{{version}}",
        tags=["registry"],
        responses=contract.responses(403, 404),
    )
    async def set_stage(model: str, version: int, body: StageBody, s: Session) -> dict[str, Any]:
        return version_json(platform.registry.set_stage(s.tenant, model, version, body.stage, s))

    @app.get(
        f"{V1}/models/{{model}}/versions/{{version}}/configmap",
        tags=["registry"],
        responses=contract.responses(404),
    )
    async def configmap(model: str, version: int, s: Session) -> dict[str, Any]:
        return platform.registry.configmap(s.tenant, s.namespace, model, version)

    # -- deployments
    @app.get(f"{V1}/deployments", tags=["deployments"], responses=contract.responses())
    async def list_deployments(s: Session) -> list[dict[str, Any]]:
        return [platform.supervisor.deployment_json(r, s) for r in platform.supervisor.list(s.tenant)]

    @app.post(
        f"{V1}/deployments",
        status_code=201,
        tags=["deployments"],
        responses=contract.responses(403, 404, 409),
    )
    async def create_deployment(body: DeploymentBody, s: Session) -> dict[str, Any]:
        row = platform.supervisor.create(s.tenant, s.namespace, body.model_dump(), s)
        return platform.supervisor.deployment_json(row, s)

    @app.get(f"{V1}/deployments/{{name}}", tags=["deployments"], responses=contract.responses(404))
    async def get_deployment(name: str, s: Session) -> dict[str, Any]:
        return platform.supervisor.deployment_json(platform.supervisor.get(s.tenant, name), s)

    @app.get(f"{V1}/deployments/{{name}}/drift", tags=["deployments"], responses=contract.responses(404))
    async def get_deployment_drift(name: str, s: Session) -> dict[str, Any]:
        """Population stability index of each feature: what the deployment's server was asked
        (its last 5,000 to 10,000 rides) against the model's training data (docs/drift.md).
        A deployment that cannot be measured answers ``available: false`` with the reason."""
        return await deployment_drift(platform.supervisor.get(s.tenant, name))

    @app.delete(
        f"{V1}/deployments/{{name}}",
        status_code=204,
        tags=["deployments"],
        responses=contract.responses(403, 404),
    )
    async def delete_deployment(name: str, s: Session) -> Response:
        row = platform.supervisor.get(s.tenant, name)
        require_owner(s, row["owner"], f"deployment {shown(name)}", "name")
        await platform.supervisor.delete(s.tenant, name)
        return Response(status_code=204)

    # -- workshop: the class and the broadcast
    @app.get(f"{V1}/class", tags=["workshop"], responses=contract.responses(403))
    async def class_view(s: Session) -> dict[str, Any]:
        """Every user of the tenant with their objects, queue position, last error and progress
        (the facilitator's Class screen; attendees: 403)."""
        _not_attendee(s, "the class view")
        return await classroom.class_view(platform, s)

    @app.get(f"{V1}/broadcast", tags=["workshop"], responses=contract.responses())
    async def get_broadcast(s: Session) -> dict[str, Any]:
        """The tenant's broadcast: ``{"message", "author", "at"}``, or ``{"message": null}``."""
        return classroom.broadcast(platform, s.tenant) or _NO_BROADCAST

    @app.put(f"{V1}/broadcast", tags=["workshop"], responses=contract.responses(403))
    async def put_broadcast(body: BroadcastBody, s: Session) -> dict[str, Any]:
        """Set the message every attendee's guide shows (an empty one clears it; attendees: 403)."""
        _not_attendee(s, "the broadcast")
        return classroom.set_broadcast(platform, s, body.message) or {
            "message": None,
            "author": None,
            "at": None,
        }

    @app.delete(f"{V1}/broadcast", status_code=204, tags=["workshop"], responses=contract.responses(403))
    async def delete_broadcast(s: Session) -> Response:
        _not_attendee(s, "the broadcast")
        classroom.set_broadcast(platform, s, "")
        return Response(status_code=204)

    return app


def _login(
    platform: Platform, body: LoginBody, host: str, port: int | None, server_port: int | None
) -> SessionInfo:
    """Log in (blocking: scrypt, and on loopback a look at /proc/net/tcp for the caller's uid)."""
    client, uid = peer.identity(host, port, server_port)
    owner = uid is not None and uid == os.getuid()
    return platform.auth.login(body.name, body.password, body.tenant_name, client, owner=owner)


def _tail_start(path: Path, n: int) -> tuple[int, int]:
    """``(byte offset, line number)`` of the first of the last ``n`` complete lines of ``path``
    (``(0, 0)`` when it has fewer, or none). Blocking: counts the file's line ends a chunk at a time
    (a log is at most its cap, ``job_log``) and finds the offset by reading back from the end."""
    try:
        with path.open("rb") as f:
            end = f.seek(0, os.SEEK_END)  # a running job writes on: judge the file up to here
            f.seek(0)
            total, left = 0, end
            while left > 0:
                chunk = f.read(min(LOG_CHUNK, left))
                if not chunk:
                    break
                total += chunk.count(b"\n")
                left -= len(chunk)
            if total <= n:
                return 0, 0
            # The first of the last n lines follows the (n + 1)-th line end from the end (a last
            # line without its "\n" yet is not complete, and not among them).
            wanted, seen, pos = n + 1, 0, end
            while pos > 0:
                step = min(LOG_CHUNK, pos)
                pos -= step
                f.seek(pos)
                block = f.read(step)
                count = block.count(b"\n")
                if seen + count >= wanted:
                    at = len(block)
                    for _ in range(wanted - seen):
                        at = block.rindex(b"\n", 0, at)
                    return pos + at + 1, total - n
                seen += count
    except OSError:
        return 0, 0
    return 0, 0


async def _follow(
    platform: Platform, job_id: int, from_line: int, follow: bool, start: tuple[int, int] = (0, 0)
) -> AsyncIterator[bytes]:
    """Stream ``job.log`` from ``from_line``; with ``follow`` keep going until the job is final.

    The bytes go out as the job wrote them, but for the platform's own paths, shown as a user may
    see them (``shown_paths``: repository-relative, ``<state>``). The file is read ``LOG_CHUNK``
    bytes at a time (a job that prints 160 MB as fast as it can must not make the server hold it
    all), and lines before ``from_line`` are counted, not copied; ``start`` (byte offset, its line
    number: from :func:`_tail_start`) skips reading what comes before it.
    """
    path = platform.engine.log_path(job_id)
    shown = platform.paths.shower.data  # the platform's paths as a user may see them (shown_paths)
    pos, line_no = start
    pending = b""
    while True:
        waiter = platform.engine.changed
        state = platform.engine.state(job_id)
        final = state is None or state in FINAL
        try:
            with path.open("rb") as f:
                f.seek(pos)
                chunk = f.read(LOG_CHUNK)
                pos += len(chunk)
        except FileNotFoundError:
            chunk = b""
        if chunk:
            data = pending + chunk
            cut = data.rfind(b"\n") + 1  # complete lines end here
            complete, pending = data[:cut], data[cut:]
            count = complete.count(b"\n")
            if not count:
                continue  # a line longer than a chunk: read on
            if line_no >= from_line:
                yield shown(complete)
            elif line_no + count > from_line:
                yield shown(complete.split(b"\n", from_line - line_no)[-1])  # at most one chunk's lines
            else:
                await asyncio.sleep(0)  # skipping a long log: let other requests run
            line_no += count
            continue
        if final or not follow:
            if pending and line_no >= from_line:
                yield shown(pending + b"\n")
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiter.wait(), 0.25)
