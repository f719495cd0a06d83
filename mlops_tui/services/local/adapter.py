"""The local adapter: the :class:`~mlops_tui.services.platform.Platform` over the embedded
platform's REST API (``docs/local-platform-api.md``), with httpx's async client.

Every call is described once as a :class:`~mlops_tui.services.curl.Curl`; the same description is
sent with httpx and rendered as the equivalent shell command, so the command shown is the call made.
"""

from __future__ import annotations

import asyncio
import dataclasses
import shlex
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from mlops_tui.platform.names import shown
from mlops_tui.services import errors, httpclient, ownership
from mlops_tui.services.curl import Curl, Secret, read_secret
from mlops_tui.services.platform import CallRecord, Progress
from mlops_tui.services.types import (
    PROBE_HEADER,
    Broadcast,
    ClassView,
    Cluster,
    ClusterKind,
    ClusterSpec,
    Credentials,
    Deployment,
    DeploymentDrift,
    DeploymentSpec,
    Job,
    JobMetrics,
    JobSpec,
    Model,
    ModelVersion,
    Prediction,
    PredictionRecord,
    RegisterSpec,
    RepoEntry,
    Session,
)

API = "/api/mlops/v1"
DEFAULT_TIMEOUT = httpx.Timeout(15.0, connect=5.0)
# A followed log may stay silent for a while: reconnect after this long without a line.
LOG_READ_TIMEOUT = 30.0
MAX_CALLS = 500
UPLOAD_CHUNK = 1 << 20
SESSION_VAR = "MLOPS_SESSION"
PASSWORD_VAR = "MLOPS_PASSWORD"
TOKEN_VAR = "AUTH_TOKEN"


@dataclass(frozen=True)
class _Req:
    """One REST call: what httpx sends and what curl shows."""

    op: str
    method: str
    path: str  # relative to the platform URL, or absolute (predictions)
    params: dict[str, Any] | None = None
    json: Any = None
    content: bytes | None = None
    content_file: str | None = None
    output: str | None = None
    session: bool = True  # carries X-BDS-SESSION
    token: Secret | None = None  # X-Auth-Token (predictions)
    probe: bool = False  # the latency probe's prediction: not counted for drift (PROBE_HEADER)
    stream: bool = False
    upload: Path | None = None  # a file sent as the body, read in chunks (large uploads)
    progress: Progress | None = None  # called with (bytes sent, total) as the upload goes


def _seg(value: object) -> str:
    return quote(str(value), safe="")


def _repo_path(path: str) -> str:
    """A repository path as a URL path; ``..`` or absolute paths are refused here, because URL
    normalisation would otherwise silently turn them into another endpoint."""
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("..", ".") for p in parts):
        raise errors.InvalidInput(
            f"repository path {shown(path)} must be relative and stay inside the project repository",
            field="path",
        )
    return quote(path, safe="/")


def _plain(value: Any) -> Any:
    """JSON-ready copy of a spec dataclass. A field left None (``DeploymentSpec.max_batch_size``:
    the platform's default) is left out, as a person would write the body: the equivalent curl
    command showed ``"max_batch_size": null``."""
    data = asdict(value)
    return {k: (str(v) if isinstance(v, ClusterKind) else v) for k, v in data.items() if v is not None}


class LocalPlatform:
    """The embedded platform as a :class:`Platform`. Create with the platform URL and credentials;
    the first call logs in. ``on_relogin`` is called (no arguments) before a transparent re-login."""

    kind = "local"

    def __init__(
        self,
        credentials: Credentials,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        on_relogin: Callable[[], None] | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        """``verify``: how to check the platform's certificate when its URL is HTTPS (a workshop
        platform on another host: ``mlops-tui join URL --ca-file FILE``)."""
        self.credentials = credentials
        self.session: Session | None = None
        self.url = credentials.url.rstrip("/")
        self._timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        # The platform and its prediction servers are on loopback: never through a proxy (see
        # services/proxy.py); a local profile pointing at another host follows *_PROXY/NO_PROXY.
        self._client, self._proxies = httpclient.client(
            timeout=self._timeout, transport=transport, verify=verify
        )
        self._calls: deque[CallRecord] = deque(maxlen=MAX_CALLS)
        self._deployments: dict[str, Deployment] = {}
        self._login_lock = asyncio.Lock()
        self.on_relogin = on_relogin
        # Set when a login with these credentials was refused (401): never sent again (see
        # errors.PasswordRefused); a new password comes with a new adapter (Login screen, join).
        self.refused: errors.AuthFailed | None = None
        self._was_attendee = False

    # -- equivalent commands ---------------------------------------------------------------------

    @property
    def calls(self) -> list[CallRecord]:
        return list(self._calls)

    def equivalent(self, op: str, *, reveal: bool = False, **params: Any) -> str:
        """The curl that does ``op``. Secrets are ``$MLOPS_SESSION``/``$MLOPS_PASSWORD``/``$AUTH_TOKEN``
        unless ``reveal`` (then the command runs as pasted: used for the Lab 5 prediction)."""
        return self._curl(self._build(op, **params)).render(reveal=reveal)

    def shell_setup(self) -> str:
        """The shell lines that define what the equivalent commands use, secrets never in them.

        ``read`` is the last line on purpose: a pasted block must not feed its own next line to
        ``read`` as the password. Paste the login (``equivalent("login")``) after typing it.
        """
        who = f"password of {self.credentials.user}"
        return f"export MLOPS_URL={shlex.quote(self.url)}\n{read_secret(PASSWORD_VAR, who)}"

    def _curl(self, req: _Req) -> Curl:
        url: tuple[str | Secret, ...]
        if req.op == "logout":
            url = (self.url, self._session_secret())
        elif req.path.startswith("$"):  # a deployment without an endpoint yet: $PREDICT_URL
            url = (Secret(req.path[1:]),)
        else:
            base = req.path if req.path.startswith(("http://", "https://")) else self.url + req.path
            query = {k: v for k, v in (req.params or {}).items() if v is not None}
            if query:
                base += "?" + urlencode({k: _qv(v) for k, v in query.items()})
            url = (base,)
        headers: list[tuple[str, tuple[str | Secret, ...]]] = []
        if req.session:
            headers.append(("X-BDS-SESSION", (self._session_secret(),)))
        if req.token is not None:
            headers.append(("X-Auth-Token", (req.token,)))
        return Curl(
            method=req.method,
            url=url,
            headers=tuple(headers),
            json_body=req.json,
            data_file=req.content_file or ("FILE" if req.content is not None else None),
            output=req.output,
            stream=req.stream,
            capture=SESSION_VAR if req.op == "login" else None,
        )

    def _session_secret(self) -> Secret:
        return Secret(SESSION_VAR, self.session.id if self.session else None)

    # -- request descriptions (one per operation) ------------------------------------------------

    def _build(self, op: str, **p: Any) -> _Req:
        builder = getattr(self, f"_r_{op}", None)
        if builder is None:
            raise errors.InvalidInput(f"no such platform operation {shown(op)}", field="op")
        return builder(**p)

    def _r_login(self, **_: Any) -> _Req:
        body = {
            "name": self.credentials.user,
            "password": Secret(PASSWORD_VAR, self.credentials.password),
            "tenant_name": self.credentials.tenant,
        }
        return _Req("login", "POST", "/api/v2/session", json=body, session=False)

    def _r_whoami(self, **_: Any) -> _Req:
        return _Req("whoami", "GET", "/api/v2/session")

    def _r_logout(self, **_: Any) -> _Req:
        return _Req("logout", "DELETE", self.session.id if self.session else "/api/v2/session")

    def _r_kubeconfig(self, **_: Any) -> _Req:
        return _Req("kubeconfig", "GET", "/api/v2/k8skubeconfig", output="config")

    def _r_list_clusters(self, kind: ClusterKind | str | None = None, **_: Any) -> _Req:
        return _Req("list_clusters", "GET", f"{API}/clusters", params={"kind": kind})

    def _r_get_cluster(self, name: str = "NAME", **_: Any) -> _Req:
        return _Req("get_cluster", "GET", f"{API}/clusters/{_seg(name)}")

    def _r_create_cluster(self, spec: ClusterSpec | None = None, **_: Any) -> _Req:
        body = _plain(spec) if spec else {"name": "NAME", "kind": "notebook"}
        return _Req("create_cluster", "POST", f"{API}/clusters", json=body)

    def _r_delete_cluster(self, name: str = "NAME", **_: Any) -> _Req:
        return _Req("delete_cluster", "DELETE", f"{API}/clusters/{_seg(name)}")

    def _r_submit_job(self, spec: JobSpec | None = None, **_: Any) -> _Req:
        body = _plain(spec) if spec else {"cluster": "training-engine-shared", "code": "CODE"}
        return _Req("submit_job", "POST", f"{API}/jobs", json=body)

    def _r_list_jobs(self, **_: Any) -> _Req:
        return _Req("list_jobs", "GET", f"{API}/jobs")

    def _r_get_job(self, job_id: str = "ID", **_: Any) -> _Req:
        return _Req("get_job", "GET", f"{API}/jobs/{_seg(job_id)}")

    def _r_cancel_job(self, job_id: str = "ID", **_: Any) -> _Req:
        return _Req("cancel_job", "POST", f"{API}/jobs/{_seg(job_id)}/cancel")

    def _r_follow_log(
        self, job_id: str = "ID", from_line: int = 0, follow: bool = True, tail: int | None = None, **_: Any
    ) -> _Req:
        params = {"tail": tail} if tail is not None else {"from_line": from_line}
        params["follow"] = follow
        return _Req("follow_log", "GET", f"{API}/jobs/{_seg(job_id)}/log", params=params, stream=follow)

    def _r_job_metrics(self, job_id: str = "ID", **_: Any) -> _Req:
        return _Req("job_metrics", "GET", f"{API}/jobs/{_seg(job_id)}/metrics")

    def _r_list_repo(self, prefix: str = "", **_: Any) -> _Req:
        return _Req("list_repo", "GET", f"{API}/repo", params={"prefix": prefix or None})

    def _r_fetch_repo(self, path: str = "PATH", **_: Any) -> _Req:
        name = path.rstrip("/").rsplit("/", 1)[-1] or "file"
        return _Req("fetch_repo", "GET", f"{API}/repo/{_repo_path(path)}", output=name)

    def _r_upload_repo(
        self,
        path: str = "PATH",
        content: bytes | Path | None = None,
        source: str | None = None,
        progress: Progress | None = None,
        replace: bool = False,
        **_: Any,
    ) -> _Req:
        params = {"replace": True} if replace else None  # without it, a taken path is refused (409)
        if isinstance(content, Path):
            return _Req(
                "upload_repo",
                "PUT",
                f"{API}/repo/{_repo_path(path)}",
                params=params,
                content_file=source or str(content),
                upload=content,
                progress=progress,
            )
        src = source or path.rsplit("/", 1)[-1]
        return _Req(
            "upload_repo",
            "PUT",
            f"{API}/repo/{_repo_path(path)}",
            params=params,
            content=content or b"",
            content_file=src,
        )

    def _r_delete_repo(self, path: str = "PATH", **_: Any) -> _Req:
        return _Req("delete_repo", "DELETE", f"{API}/repo/{_repo_path(path)}")

    def _r_list_models(self, **_: Any) -> _Req:
        return _Req("list_models", "GET", f"{API}/models")

    def _r_list_versions(self, model: str = "MODEL", **_: Any) -> _Req:
        return _Req("list_versions", "GET", f"{API}/models/{_seg(model)}/versions")

    def _r_get_version(self, model: str = "MODEL", version: int | str = "VERSION", **_: Any) -> _Req:
        return _Req("get_version", "GET", f"{API}/models/{_seg(model)}/versions/{_seg(version)}")

    def _r_model_configmap(self, model: str = "MODEL", version: int | str = "VERSION", **_: Any) -> _Req:
        path = f"{API}/models/{_seg(model)}/versions/{_seg(version)}/configmap"
        return _Req("model_configmap", "GET", path)

    def _r_register_model(self, spec: RegisterSpec | None = None, **_: Any) -> _Req:
        body = _plain(spec) if spec else {"model": "MODEL", "job_id": "ID"}
        return _Req("register_model", "POST", f"{API}/models", json=body)

    def _r_set_stage(
        self, model: str = "MODEL", version: int | str = "VERSION", stage: str = "staging", **_: Any
    ) -> _Req:
        path = f"{API}/models/{_seg(model)}/versions/{_seg(version)}"
        return _Req("set_stage", "PATCH", path, json={"stage": stage})

    def _r_list_deployments(self, **_: Any) -> _Req:
        return _Req("list_deployments", "GET", f"{API}/deployments")

    def _r_get_deployment(self, name: str = "NAME", **_: Any) -> _Req:
        return _Req("get_deployment", "GET", f"{API}/deployments/{_seg(name)}")

    def _r_create_deployment(self, spec: DeploymentSpec | None = None, **_: Any) -> _Req:
        body = _plain(spec) if spec else {"name": "NAME", "model": "MODEL", "version": 1}
        return _Req("create_deployment", "POST", f"{API}/deployments", json=body)

    def _r_deployment_drift(self, name: str = "NAME", **_: Any) -> _Req:
        return _Req("deployment_drift", "GET", f"{API}/deployments/{_seg(name)}/drift")

    def _r_delete_deployment(self, name: str = "NAME", **_: Any) -> _Req:
        return _Req("delete_deployment", "DELETE", f"{API}/deployments/{_seg(name)}")

    def _r_class_view(self, **_: Any) -> _Req:
        return _Req("class_view", "GET", f"{API}/class")

    def _r_broadcast(self, **_: Any) -> _Req:
        return _Req("broadcast", "GET", f"{API}/broadcast")

    def _r_set_broadcast(self, message: str = "MESSAGE", **_: Any) -> _Req:
        if not message:
            return _Req("set_broadcast", "DELETE", f"{API}/broadcast")
        return _Req("set_broadcast", "PUT", f"{API}/broadcast", json={"message": message})

    def _r_predict(
        self, deployment: str = "NAME", records: list[dict[str, Any]] | None = None, **_: Any
    ) -> _Req:
        dep = self._deployments.get(deployment)
        url = dep.url if dep and dep.url else "$PREDICT_URL"
        records = records if records is not None else [{}]
        body = {"use_scoring": True, "scoring_args": records[0] if len(records) == 1 else records}
        token = Secret(TOKEN_VAR, dep.auth_token if dep else None)
        return _Req("predict", "POST", url, json=body, session=False, token=token)

    def _r_prediction_history(self, deployment: str = "NAME", limit: int = 10, **_: Any) -> _Req:
        dep = self._deployments.get(deployment)
        url = f"{dep.url.rsplit('/', 3)[0]}/history" if dep and dep.url else "$HISTORY_URL"
        token = Secret(TOKEN_VAR, dep.auth_token if dep else None)
        return _Req("prediction_history", "GET", url, params={"limit": limit}, session=False, token=token)

    # -- sending ---------------------------------------------------------------------------------

    def _headers(self, req: _Req) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if req.session and self.session is not None:
            headers["X-BDS-SESSION"] = self.session.id
        if req.token is not None and req.token.value is not None:
            headers["X-Auth-Token"] = req.token.value
        if req.probe:
            headers[PROBE_HEADER] = "1"
        return headers

    def _url(self, req: _Req) -> str:
        return req.path if req.path.startswith(("http://", "https://")) else self.url + req.path

    def _record(self, req: _Req, status: int | None) -> None:
        self._calls.append(CallRecord(op=req.op, command=self._curl(req).render(), status=status))

    async def _send_once(self, req: _Req) -> httpx.Response:
        params = {k: _qv(v) for k, v in (req.params or {}).items() if v is not None}
        headers = self._headers(req)
        content: Any = req.content
        if req.upload is not None:  # each attempt reads the file again (a re-login retries)
            size = await asyncio.to_thread(_file_size, req.upload)
            headers["Content-Length"] = str(size)
            content = _file_chunks(req.upload, size, req.progress)
        try:
            response = await self._client.request(
                req.method,
                self._url(req),
                params=params or None,
                json=_reveal(req.json) if req.json is not None else None,
                content=content,
                headers=headers,
            )
        except httpx.HTTPError as exc:
            self._record(req, None)
            raise await self._unreachable(self._url(req), exc) from None
        self._record(req, response.status_code)
        return response

    async def _call(self, req: _Req) -> httpx.Response:
        """Send ``req`` (logging in first if needed); one re-login and retry on a 401."""
        if req.session and self.session is None:
            await self.login()
        response = await self._send_once(req)
        if response.status_code == 401 and req.session:
            stale = self.session
            await self._relogin(stale)
            response = await self._send_once(req)
        if response.is_success:
            return response
        raise _error_for(response, login=req.op == "login")

    async def _relogin(self, stale: Session | None) -> None:
        async with self._login_lock:
            if self.session is not None and self.session is not stale:
                return  # another task already logged in again
            if self.refused is not None:
                raise self.refused
            if self.on_relogin is not None:
                self.on_relogin()
            try:
                await self._login_unlocked()
            except errors.PasswordRefused:
                raise
            except errors.AuthFailed as exc:
                raise errors.relogin_failed(exc) from None

    async def _json(self, req: _Req) -> Any:
        response = await self._call(req)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise errors.PlatformFailure(
                f"{req.op}: the platform answered {response.status_code} with something that is not JSON",
                status=response.status_code,
            ) from None

    # -- session ---------------------------------------------------------------------------------

    async def login(self) -> Session:
        async with self._login_lock:
            return await self._login_unlocked()

    async def _login_unlocked(self) -> Session:
        if self.refused is not None:
            raise self.refused  # the platform said no to this password: asking again only locks it
        req = self._r_login()
        response = await self._send_once(req)
        if response.status_code == 401:
            had_session = self.session is not None
            self.session = None
            if had_session:  # a password that worked stopped working: it was changed
                self.refused = errors.password_refused(self.credentials.user, attendee=self._was_attendee)
            else:
                self.refused = _error_for(response, login=True)  # type: ignore[assignment]
            raise self.refused
        if not response.is_success:
            raise _error_for(response, login=True)
        location = response.headers.get("Location", "")
        data = _safe_json(response) or {}
        sid = location or data.get("id", "")
        if not sid:
            raise errors.PlatformFailure("login succeeded but the platform sent no session Location header")
        data["id"] = sid
        data.setdefault("user", self.credentials.user)
        data.setdefault("tenant", self.credentials.tenant)
        self.session = Session.from_dict(data)
        self._was_attendee = self.session.role == "attendee"
        return self.session

    async def whoami(self) -> Session:
        data = await self._json(self._r_whoami())
        session = Session.from_dict(
            {**data, "id": data.get("id") or (self.session.id if self.session else "")}
        )
        self.session = session
        return session

    async def logout(self) -> None:
        if self.session is None:
            return
        req = self._r_logout()
        response = await self._send_once(req)
        self.session = None
        if response.status_code not in (204, 200, 401):
            raise _error_for(response, login=False)

    async def kubeconfig(self) -> str | None:
        try:
            response = await self._call(self._r_kubeconfig())
        except errors.NotFound:
            return None  # the local platform has no Kubernetes API
        return response.text

    # -- clusters --------------------------------------------------------------------------------

    async def list_clusters(self, kind: ClusterKind | None = None) -> list[Cluster]:
        kind_value = str(kind) if kind is not None else None
        return [Cluster.from_dict(c) for c in await self._json(self._r_list_clusters(kind=kind_value))]

    async def get_cluster(self, name: str) -> Cluster:
        return Cluster.from_dict(await self._json(self._r_get_cluster(name=name)))

    async def create_cluster(self, spec: ClusterSpec) -> Cluster:
        return Cluster.from_dict(await self._json(self._r_create_cluster(spec=spec)))

    async def delete_cluster(self, name: str) -> None:
        await self._call(self._r_delete_cluster(name=name))

    # -- training --------------------------------------------------------------------------------

    async def submit_job(self, spec: JobSpec) -> Job:
        return Job.from_dict(await self._json(self._r_submit_job(spec=spec)))

    async def list_jobs(self) -> list[Job]:
        return [Job.from_dict(j) for j in await self._json(self._r_list_jobs())]

    async def get_job(self, job_id: str) -> Job:
        return Job.from_dict(await self._json(self._r_get_job(job_id=job_id)))

    async def cancel_job(self, job_id: str) -> Job:
        return Job.from_dict(await self._json(self._r_cancel_job(job_id=job_id)))

    async def job_metrics(self, job_id: str) -> JobMetrics:
        data = await self._json(self._r_job_metrics(job_id=job_id))
        return JobMetrics.from_dict({**data, "job_id": str(data.get("job_id", job_id))})

    async def follow_log(
        self, job_id: str, *, from_line: int = 0, follow: bool = True, tail: int | None = None
    ) -> AsyncIterator[str]:
        """Log lines of a job. A silent or dropped stream is reopened from the last line seen; the
        iterator ends when the job is final (or at once without ``follow``). ``tail=N`` asks the
        platform for its last N lines first (``?tail=N``); its ``X-Log-First-Line`` says where they
        start, so a reopened stream goes on from the right line."""
        line_no = from_line
        failures = 0

        def first_line(headers: httpx.Headers) -> None:
            nonlocal line_no, tail
            if tail is not None:
                line_no, tail = int(headers.get("X-Log-First-Line", "0")), None

        while True:
            req = self._r_follow_log(job_id=job_id, from_line=line_no, follow=follow, tail=tail)
            try:
                try:
                    async for line in self._stream_lines(req, first_line):
                        line_no += 1
                        failures = 0
                        yield line
                except httpx.ReadTimeout:
                    pass  # silent job: check it is still going, then reopen
                if not follow:
                    return
                final = (await self.get_job(job_id)).state.is_final
            except errors.Unreachable:  # a dropped stream or a platform restart: back off, resume
                failures += 1
                if failures > 5:
                    raise
                await asyncio.sleep(min(0.5 * 2**failures, 5.0))
                continue
            if final:
                async for line in self._stream_lines(
                    self._r_follow_log(job_id=job_id, from_line=line_no, follow=False, tail=tail), first_line
                ):
                    yield line
                return

    async def _stream_lines(
        self, req: _Req, on_headers: Callable[[httpx.Headers], None] | None = None
    ) -> AsyncIterator[str]:
        if self.session is None:
            await self.login()
        timeout = httpx.Timeout(LOG_READ_TIMEOUT, connect=5.0) if req.stream else self._timeout
        for attempt in (1, 2):
            params = {k: _qv(v) for k, v in (req.params or {}).items() if v is not None}
            try:
                async with self._client.stream(
                    req.method, self._url(req), params=params, headers=self._headers(req), timeout=timeout
                ) as response:
                    self._record(req, response.status_code)  # the retry after a re-login is a call too
                    if response.status_code == 401 and attempt == 1:
                        stale = self.session
                        await response.aclose()
                        await self._relogin(stale)
                        continue
                    if not response.is_success:
                        await response.aread()
                        raise _error_for(response, login=False)
                    if on_headers is not None:
                        on_headers(response.headers)
                    # Split on "\n" only, as the server counts lines: httpx's aiter_lines also splits
                    # on "\r", which would make a resumed follow skip lines of a progress bar.
                    pending = ""
                    async for chunk in response.aiter_text():
                        *lines, pending = (pending + chunk).split("\n")
                        for line in lines:
                            yield line.removesuffix("\r")
                    if pending:
                        yield pending.removesuffix("\r")
                    return
            except httpx.ReadTimeout:
                raise
            except (httpx.TransportError, httpx.StreamError) as exc:
                raise await self._unreachable(self._url(req), exc) from None

    # -- project repository ----------------------------------------------------------------------

    async def list_repo(self, prefix: str = "") -> list[RepoEntry]:
        return [RepoEntry.from_dict(e) for e in await self._json(self._r_list_repo(prefix=prefix))]

    async def fetch_repo(self, path: str) -> bytes:
        return (await self._call(self._r_fetch_repo(path=path))).content

    async def upload_repo(
        self,
        path: str,
        content: bytes | Path,
        *,
        source: str | None = None,
        progress: Progress | None = None,
        replace: bool = False,
    ) -> RepoEntry:
        if self.session is not None:  # the folder rule is the platform's; refused before the body goes
            refusal = ownership.write_refusal(path, self.session.user, self.session.role)
            if refusal is not None:
                raise errors.Forbidden(refusal, hint="", status=403)
        req = self._r_upload_repo(
            path=path, content=content, source=source, progress=progress, replace=replace
        )
        return RepoEntry.from_dict(await self._json(req))

    async def delete_repo(self, path: str) -> None:
        await self._call(self._r_delete_repo(path=path))

    # -- model registry --------------------------------------------------------------------------

    async def list_models(self) -> list[Model]:
        return [Model.from_dict(m) for m in await self._json(self._r_list_models())]

    async def list_versions(self, model: str) -> list[ModelVersion]:
        return [ModelVersion.from_dict(v) for v in await self._json(self._r_list_versions(model=model))]

    async def get_version(self, model: str, version: int) -> ModelVersion:
        return ModelVersion.from_dict(await self._json(self._r_get_version(model=model, version=version)))

    async def model_configmap(self, model: str, version: int) -> dict[str, Any]:
        """The registry entry as the workshop's Kubernetes ConfigMap (what Ezmeral stores)."""
        return await self._json(self._r_model_configmap(model=model, version=version))

    async def register_model(self, spec: RegisterSpec) -> ModelVersion:
        return ModelVersion.from_dict(await self._json(self._r_register_model(spec=spec)))

    async def set_stage(self, model: str, version: int, stage: str) -> ModelVersion:
        req = self._r_set_stage(model=model, version=version, stage=stage)
        return ModelVersion.from_dict(await self._json(req))

    # -- deployments and predictions -------------------------------------------------------------

    def _remember(self, dep: Deployment) -> Deployment:
        self._deployments[dep.name] = dep
        return dep

    async def list_deployments(self) -> list[Deployment]:
        deps = [Deployment.from_dict(d) for d in await self._json(self._r_list_deployments())]
        for dep in deps:
            self._remember(dep)
        return deps

    async def get_deployment(self, name: str) -> Deployment:
        return self._remember(Deployment.from_dict(await self._json(self._r_get_deployment(name=name))))

    async def create_deployment(self, spec: DeploymentSpec) -> Deployment:
        return self._remember(Deployment.from_dict(await self._json(self._r_create_deployment(spec=spec))))

    async def deployment_drift(self, name: str) -> DeploymentDrift:
        return DeploymentDrift.from_dict(await self._json(self._r_deployment_drift(name=name)))

    async def delete_deployment(self, name: str) -> None:
        await self._call(self._r_delete_deployment(name=name))
        self._deployments.pop(name, None)

    async def predict(
        self, deployment: str, records: list[dict[str, Any]], *, probe: bool = False
    ) -> Prediction:
        """POST the workshop body straight to the deployment's URL with its ``X-Auth-Token``.
        ``latency_ms`` is the client-side round trip. A refused token or a dropped connection
        (the deployment was re-created or restarted) refreshes the deployment once and retries.
        ``probe``: synthetic monitoring traffic, sent with ``PROBE_HEADER`` (not counted for drift)."""
        if not records:
            raise errors.InvalidInput("nothing to predict: give at least one ride", field="scoring_args")
        if deployment not in self._deployments:
            await self.get_deployment(deployment)
        dep = self._deployments.get(deployment)
        if dep is not None and dep.auth_token is None and dep.owner not in ("", self.credentials.user):
            # the platform hides the others' tokens: sending none only earns "missing X-Auth-Token"
            raise errors.Forbidden(
                f"deployment {shown(deployment)} is {shown(dep.owner)}'s: only they have its auth token",
                hint="pick your own deployment (Lab 4 deploys it)",
                status=403,
            )
        for attempt in (1, 2):
            req = dataclasses.replace(self._r_predict(deployment=deployment, records=records), probe=probe)
            if req.path.startswith("$"):
                raise errors.Conflict(f"deployment {shown(deployment)} has no endpoint yet", status=409)
            started = time.perf_counter()
            try:
                response = await self._send_once(req)
            except errors.Unreachable:
                if attempt == 2:
                    raise
                await asyncio.sleep(1.0)
                await self.get_deployment(deployment)
                continue
            latency_ms = (time.perf_counter() - started) * 1000.0
            if response.status_code == 401 and attempt == 1:
                await self.get_deployment(deployment)
                continue
            if response.status_code == 401:
                raise errors.Forbidden(
                    f"deployment {shown(deployment)} refused the auth token: {_message(response)}",
                    hint="check the X-Auth-Token of the deployment",
                    status=401,
                )
            if not response.is_success:
                raise _error_for(response, login=False)
            data = _safe_json(response) or {}
            values = data.get("prediction", [])
            if not isinstance(values, list):
                values = [values]
            return Prediction(
                values=tuple(float(v) for v in values),
                latency_ms=latency_ms,
                status=response.status_code,
                request=_reveal(req.json),
                response=data,
                warnings=tuple(str(w) for w in data.get("warnings", []) or []),
            )
        raise AssertionError("unreachable")  # pragma: no cover

    # -- workshop mode ---------------------------------------------------------------------------

    async def class_view(self) -> ClassView:
        return ClassView.from_dict(await self._json(self._r_class_view()))

    async def broadcast(self) -> Broadcast | None:
        data = await self._json(self._r_broadcast())
        return Broadcast.from_dict(data) if isinstance(data, dict) and data.get("message") else None

    async def set_broadcast(self, message: str) -> Broadcast | None:
        data = await self._json(self._r_set_broadcast(message=message.strip()))
        return Broadcast.from_dict(data) if isinstance(data, dict) and data.get("message") else None

    async def prediction_history(self, deployment: str, limit: int = 10) -> list[PredictionRecord]:
        """The deployment server's ``GET /history?limit=N`` (its token): newest first."""
        if deployment not in self._deployments:
            await self.get_deployment(deployment)
        req = self._r_prediction_history(deployment=deployment, limit=limit)
        if req.path.startswith("$"):
            raise errors.Conflict(f"deployment {deployment!r} has no endpoint yet", status=409)
        response = await self._send_once(req)
        if not response.is_success:
            raise _error_for(response, login=False)
        data = _safe_json(response)
        if not isinstance(data, list):
            raise errors.PlatformFailure(
                f"the deployment {deployment} answered its history with something else"
            )
        return [PredictionRecord.from_dict(d) for d in data if isinstance(d, dict) and "id" in d]

    async def _unreachable(self, url: str, exc: Exception) -> errors.Unreachable:
        proxied = httpclient.unreachable(url, url, exc, self._proxies)
        if proxied is not None:
            return proxied
        return await httpclient.transport_failure(url, exc) or _unreachable(url, exc)

    # -- local-platform extras -------------------------------------------------------------------

    async def health(self) -> dict[str, Any]:
        """``GET /health`` (no session): the platform's version, pid and start time."""
        req = _Req("health", "GET", f"{API}/health", session=False)
        response = await self._send_once(req)
        if not response.is_success:
            raise _error_for(response, login=False)
        return _safe_json(response) or {}

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> LocalPlatform:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


# -- helpers -------------------------------------------------------------------------------------


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise errors.InvalidInput(f"cannot read {path}: {exc.strerror}", field="file") from None


async def _file_chunks(path: Path, size: int, progress: Progress | None) -> AsyncIterator[bytes]:
    """The file in 1 MiB chunks (read off the event loop), reporting (sent, total) as it goes."""
    sent = 0
    try:
        fh = await asyncio.to_thread(path.open, "rb")
    except OSError as exc:
        raise errors.InvalidInput(f"cannot read {path}: {exc.strerror}", field="file") from None
    try:
        while chunk := await asyncio.to_thread(fh.read, UPLOAD_CHUNK):
            sent += len(chunk)
            if progress is not None:
                progress(sent, size)
            yield chunk
    finally:
        fh.close()


def _qv(value: Any) -> Any:
    return ("true" if value else "false") if isinstance(value, bool) else value


def _reveal(value: Any) -> Any:
    if isinstance(value, Secret):
        return value.value
    if isinstance(value, dict):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_reveal(v) for v in value]
    return value


def _safe_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _message(response: httpx.Response) -> str:
    data = _safe_json(response)
    if isinstance(data, dict):
        if data.get("error"):
            return str(data["error"])
        detail = data.get("detail")
        if isinstance(detail, str):
            return detail
        if isinstance(detail, list) and detail and isinstance(detail[0], dict):
            return str(detail[0].get("msg", detail[0]))
    text = response.text.strip()
    return text[:200] if text else f"HTTP {response.status_code}"


def _body_text(response: httpx.Response, key: str) -> str | None:
    data = _safe_json(response)
    value = data.get(key) if isinstance(data, dict) else None
    return str(value) if value else None


def _field(response: httpx.Response) -> str | None:
    data = _safe_json(response)
    if not isinstance(data, dict):
        return None
    if data.get("field"):
        return str(data["field"])
    detail = data.get("detail")
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        loc = [str(p) for p in detail[0].get("loc", []) if p not in ("body", "query", "path")]
        return ".".join(loc) or None
    return None


def _error_for(response: httpx.Response, *, login: bool) -> errors.PlatformError:
    status = response.status_code
    message = _message(response)
    if status == 401:
        if login:
            return errors.AuthFailed(f"login refused: {message}", status=status)
        return errors.SessionExpired(f"the session is no longer valid: {message}", status=status)
    if status == 403:
        return errors.Forbidden(message, status=status)
    if status == 404:
        return errors.NotFound(message, status=status)
    if status == 409 and _body_text(response, "code") == "exists":  # an upload to a taken path
        taken = _body_text(response, "path") or ""
        said = (
            f"{shown(taken)} already exists in the project repository; nothing was written"
            if taken
            else message
        )
        return errors.AlreadyExists(said, path=taken, status=status)
    if status == 409:  # a workshop's cap says itself what to do: no generic hint after it
        limit = isinstance(_safe_json(response), dict) and _safe_json(response).get("code") == "limit_reached"
        return errors.Conflict(message, status=status, hint="" if limit else None)
    if status == 429:  # the platform backs off failed logins (Retry-After in seconds)
        wait = response.headers.get("Retry-After", "")
        hint = f"wait {wait} s, then try again" if wait.isdigit() else "wait a little, then try again"
        if login:
            return errors.AuthFailed(f"login refused: {message}", hint=hint, status=status)
        return errors.PlatformFailure(
            f"the platform refused the request for now: {message}", hint=hint, status=status
        )
    if status in (400, 413, 422) or 400 <= status < 500:
        return errors.InvalidInput(message, field=_field(response), status=status)
    if status == 507:  # disk full: the body names the file that could not be written
        path = _body_text(response, "path")
        if path:
            message = f"disk full: no space left on the device holding {path}"
        full = errors.DiskFull(message, path=path, status=status)
        return errors.cannot_log_in(full) if login else full
    if status == 503:  # not serving (a deployment), or a database it cannot use: the message says why
        wait = response.headers.get("Retry-After", "")
        hint = f"try again in {wait} s" if wait.isdigit() else ""
        return errors.PlatformFailure(message, hint=hint, status=status)
    return errors.PlatformFailure(f"the platform failed (HTTP {status}): {message}", status=status)


def _unreachable(url: str, exc: Exception) -> errors.Unreachable:
    kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "did not answer"
    detail = str(exc) or type(exc).__name__
    head, sep, _ = url.partition("/api/v2/session/")  # logout's URL holds the session: leave it out
    return errors.Unreachable(f"{head}{sep + '…' if sep else ''} {kind} ({detail})")
