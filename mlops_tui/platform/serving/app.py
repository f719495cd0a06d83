"""The prediction server's routes: a plain ASGI app on uvicorn.

Endpoints (the token is the deployment's ``X-Auth-Token``, a header or a query parameter):

==============================================  ======  =====  ==========================================
path                                            method  token  what
==============================================  ======  =====  ==========================================
``/<model>/<version>/predict``                  POST    yes    the workshop's request (``workshop``)
``/v2/models/<m>[/versions/<v>]/infer``         POST    yes    Open Inference Protocol (``oip``)
``/v2/models/<m>[/versions/<v>]``               GET            model metadata
``/v2/models/<m>[/versions/<v>]/ready``         GET            model readiness
``/v2/models/<m>[/versions/<v>]/config``        GET            model configuration (Triton extension)
``/v2/models[/<m>[/versions/<v>]]/stats``       GET            statistics (Triton extension)
``/v2``, ``/v2/health/live``, ``/v2/health/ready``, ``/healthz``  GET  server metadata and health
``/metrics``                                    GET            Prometheus metrics
``/history``, ``/history/<id>``, ``/logs/<id>``  GET     yes    the last requests (``history``)
``/drift``                                      GET            served rides against training (``drift``)
==============================================  ======  =====  ==========================================

Every answer is JSON (strict: never NaN) except ``/metrics``, ``/logs`` and binary infer answers;
every error is ``{"error", "code", "field"}``. A request is bounded before any work: the token is
checked before its body is read (so ``Expect: 100-continue`` gets its 401 or 413 at once, without
``100 Continue``), its body is at most ``max_body`` bytes (also once decompressed) and arrives
within ``body_timeout`` seconds. An answer given before the body was read closes the connection.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import secrets
import socket
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from mlops_tui import strict_json
from mlops_tui.platform import content_coding
from mlops_tui.platform.serving import oip, workshop
from mlops_tui.platform.serving.batching import AdaptiveBatcher
from mlops_tui.platform.serving.drift import Drift
from mlops_tui.platform.serving.errors import HttpError
from mlops_tui.platform.serving.history import SIZE as HISTORY_SIZE
from mlops_tui.platform.serving.history import Entry, History
from mlops_tui.platform.serving.metrics import ServingMetrics
from mlops_tui.platform.shown_paths import PathShower
from mlops_tui.services.types import PROBE_HEADER

log = logging.getLogger("mlops_tui.platform.serving")

JSON = (b"content-type", b"application/json")
PREPARE_IN_THREAD = 2000  # rides from which validation runs in a thread (the event loop serves on)
# bytes of body from which it is parsed in a thread: a refused number is looked for by a parse in
# Python (strict_json), which took 2-5 s for a 4 MiB body and held every other client meanwhile;
# a thread lets the event loop in every few ms (sys.getswitchinterval). About 1,100 rides.
PARSE_IN_THREAD = 256 << 10
INPUT_ERRORS = (ValueError, TypeError, LookupError, ArithmeticError, RecursionError)


class ClientGone(Exception):
    """The client closed the connection before its request was complete: nothing to answer."""


@dataclass(frozen=True)
class Limits:
    max_body: int = 4 << 20  # 10,000 workshop rides are about 2.3 MB of JSON
    max_rides: int = 10_000
    body_timeout: float = 10.0


Reply = tuple[int, bytes, list[tuple[bytes, bytes]]]


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    handler: Callable[[Request], Awaitable[Reply]]
    token: bool = False

    @property
    def methods(self) -> tuple[str, ...]:
        return (self.method, "HEAD") if self.method == "GET" else (self.method,)


class Request:
    """One request: its headers, its body read on demand within the limits."""

    def __init__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        self.started = time.perf_counter()
        self.scope = scope
        self.receive = receive
        self.headers = dict(scope["headers"])
        self.entry: Entry | None = None
        length = self.headers.get(b"content-length")
        self.body_unread = (length is not None and length != b"0") or b"transfer-encoding" in self.headers

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.scope["query_string"].decode("latin-1"))

    async def body(self, limits: Limits) -> bytes:
        """The body, decompressed (gzip or deflate); HttpError 413/408/400/415, ClientGone."""
        too_big = f"the body is over {limits.max_body >> 20} MiB"
        length = self.headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limits.max_body):
            if not length.isdigit():
                raise HttpError(400, "Content-Length must be a number", "Content-Length")
            raise HttpError(413, too_big, "body")  # before a byte of it is read (or 100 Continue sent)
        chunks: list[bytes] = []
        size = 0
        # uvicorn's cycle says when what arrived is waiting to be taken: then no timer is set (a
        # one-ride body is in the request's first segment); only a wait is bounded
        arrived = getattr(getattr(self.receive, "__self__", None), "message_event", None)
        deadline: float | None = None
        while True:
            if arrived is not None and arrived.is_set():
                message = await self.receive()
            else:
                if deadline is None:
                    deadline = asyncio.get_running_loop().time() + limits.body_timeout
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await self.receive()
                except TimeoutError:
                    raise HttpError(
                        408, f"the body did not arrive within {limits.body_timeout:.0f} s", "body"
                    ) from None
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limits.max_body:
                raise HttpError(413, too_big, "body")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        self.body_unread = False
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        if b"content-encoding" not in self.headers:
            return body
        try:
            applied = content_coding.codings(self.scope["headers"])
            content_coding.check(applied, DECODED)
        except content_coding.Unsupported as exc:
            raise HttpError(
                415, f"Content-Encoding {exc.coding} is not supported (gzip, deflate)", "Content-Encoding"
            ) from None
        for coding in reversed(applied):  # the last applied is undone first (RFC 9110 §8.4)
            body = _decompress(body, coding, limits.max_body)
        return body

    def token(self) -> str:
        given = self.headers.get(b"x-auth-token")
        if given is not None:
            return given.decode("latin-1")
        return (self.query.get("X-Auth-Token") or [""])[0] if self.scope["query_string"] else ""


DECODED = frozenset({"gzip", "x-gzip", "deflate"})  # the content codings this server decodes


def _decompress(body: bytes, coding: str, limit: int) -> bytes:
    """A gzip or deflate body (RFC 9110 §8.4.1), at most ``limit`` bytes once decompressed. gzip
    may hold several members, one after the other (RFC 1952 §2.2: ``cat a.gz b.gz``); nothing may
    follow the last. Deflate is the zlib format (RFC 1950), as HTTP defines it, or raw deflate."""
    if coding == "deflate":
        try:
            out, rest = _inflate(body, zlib.MAX_WBITS, coding, limit, limit)
        except zlib.error:  # not the zlib format: raw deflate
            out, rest = _inflate_or_400(body, -zlib.MAX_WBITS, coding, limit)
        return _nothing_after(out, rest, coding)
    out, rest = _inflate_or_400(body, 16 + zlib.MAX_WBITS, coding, limit)
    while rest:  # another gzip member, or what is not one
        try:
            part, rest = _inflate(rest, 16 + zlib.MAX_WBITS, coding, limit - len(out), limit)
        except zlib.error:
            return _nothing_after(out, rest, coding)
        out += part
    return out


def _inflate_or_400(data: bytes, wbits: int, coding: str, limit: int) -> tuple[bytes, bytes]:
    try:
        return _inflate(data, wbits, coding, limit, limit)
    except zlib.error as exc:
        raise HttpError(400, f"the {coding} body cannot be decompressed: {exc}", "body") from None


def _nothing_after(out: bytes, rest: bytes, coding: str) -> bytes:
    if rest:
        what = f"{len(rest)} bytes that are" if len(rest) != 1 else "1 byte that is"
        raise HttpError(400, f"the {coding} body is followed by {what} not {coding} data", "body")
    return out


def _inflate(data: bytes, wbits: int, coding: str, room: int, limit: int) -> tuple[bytes, bytes]:
    """One stream of ``data`` inflated (at most ``room`` bytes of the body's ``limit``) and what
    follows it; zlib.error where ``data`` does not begin with one."""
    d = zlib.decompressobj(wbits)
    out = d.decompress(data, room + 1)
    if len(out) > room or d.unconsumed_tail:
        raise HttpError(413, f"the body is over {limit >> 20} MiB once decompressed", "body")
    if not d.eof:
        raise HttpError(400, f"the {coding} body is cut short", "body")
    return out, d.unused_data


async def _parsed(parse: Callable[..., Any], body: bytes, *args: Any) -> Any:
    """``parse(body, *args)``, in a thread from PARSE_IN_THREAD bytes of body."""
    if len(body) < PARSE_IN_THREAD:
        return parse(body, *args)
    return await asyncio.to_thread(parse, body, *args)


class PredictionApp:
    """The ASGI app of one deployment's server (``scorer`` is the verified, loaded scoring code)."""

    def __init__(
        self,
        cfg: dict[str, Any],
        scorer: Any,
        manifest: dict[str, Any],
        metrics: ServingMetrics,
        batcher: AdaptiveBatcher,
        limits: Limits | None = None,
        pid: int | None = None,
        drift: Drift | None = None,
    ) -> None:
        self.model = str(cfg["model"])
        self.version = str(cfg["version"])
        # A client is told no path of the platform's files (a scoring failure names the bundle's):
        # repository-relative or <state>, as the platform's own answers (platform.shown_paths).
        self.shown: Callable[[str], str] = (
            PathShower(Path(cfg["state_dir"]), Path(cfg["repo_root"])).text
            if cfg.get("state_dir") and cfg.get("repo_root")
            else str
        )
        self.token = str(cfg["token"]).encode()
        self.scorer = scorer
        self.manifest = manifest
        self.metrics = metrics
        self.batcher = batcher
        self.limits = limits or Limits()
        self.history = History()
        self.run_id = secrets.token_hex(8)
        self.node = socket.gethostname()
        self.pid = pid or os.getpid()  # the host's pid of this server (predictor.host_pid)
        self.can_batch = hasattr(scorer, "prepare") and hasattr(scorer, "predict_prepared")
        # typed reading of the rides needs a scorer that takes them (prepare, this package's)
        self.reader = workshop.Reader(getattr(scorer, "ride_type", None) if self.can_batch else None)
        self.drift = drift or Drift(None, "this server does not monitor drift")
        self.predict_path = f"/{self.model}/{self.version}/predict"
        self.routes: dict[str, Route] = {
            self.predict_path: Route("predict", "POST", self.predict, token=True),
            "/v2/health/live": Route("health", "GET", self.live),
            "/healthz": Route("health", "GET", self.live),
            "/v2/health/ready": Route("health", "GET", self.ready),
            "/v2": Route("metadata", "GET", self.server_metadata),
            "/v2/models/stats": Route("metadata", "GET", self.stats),
            "/metrics": Route("metrics", "GET", self.metrics_text),
            "/history": Route("history", "GET", self.history_list, token=True),
            "/drift": Route("drift", "GET", self.drift_report),
        }
        for base in (f"/v2/models/{self.model}", f"/v2/models/{self.model}/versions/{self.version}"):
            self.routes.update(
                {
                    base: Route("metadata", "GET", self.model_metadata),
                    f"{base}/ready": Route("health", "GET", self.model_ready),
                    f"{base}/config": Route("metadata", "GET", self.model_config),
                    f"{base}/stats": Route("metadata", "GET", self.stats),
                    f"{base}/infer": Route("infer", "POST", self.infer, token=True),
                }
            )
        self.prefixed = {
            "/history/": Route("history", "GET", self.history_one, token=True),
            "/logs/": Route("history", "GET", self.history_log, token=True),
        }

    # -- ASGI
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        req = Request(scope, receive)
        started = req.started
        path = scope["path"]
        route = self.routes.get(path) or next(
            (r for prefix, r in self.prefixed.items() if path.startswith(prefix)), None
        )
        endpoint = route.endpoint if route is not None else "other"
        try:
            if route is None:
                raise self._not_found(path)
            if scope["method"] not in route.methods:
                allow = ", ".join(route.methods).encode()
                raise HttpError(405, f"use {route.method} on {path}", "method", headers=((b"allow", allow),))
            if route.token:
                self._authorize(req)  # before the body is read: no work for a client without the token
            try:
                status, body, headers = await route.handler(req)
            except strict_json.JsonRefused as exc:
                raise HttpError(400, exc.message, exc.field) from None
        except HttpError as err:
            answer = {k: self.shown(v) if isinstance(v, str) else v for k, v in err.body().items()}
            status, body, headers = err.status, strict_json.dumps(answer), [JSON, *err.headers]
            if req.entry is not None:
                req.entry.error = err.message
        except ClientGone:
            self.metrics.request(endpoint, 499, time.perf_counter() - started)
            return
        except Exception as exc:  # a fault of the server itself: logged, answered without a traceback
            log.exception("%s %s failed", scope["method"], path)
            status, headers = 500, [JSON]
            body = strict_json.dumps(
                {
                    "error": f"the server failed: {type(exc).__name__}: {exc}",
                    "code": "internal",
                    "field": None,
                }
            )
            if req.entry is not None:
                req.entry.error = f"{type(exc).__name__}: {exc}"
        if req.body_unread:  # answered before the body was read: it will not be read
            headers = [*headers, (b"connection", b"close")]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-length", str(len(body)).encode()), *headers],
            }
        )
        await send({"type": "http.response.body", "body": body})
        elapsed = time.perf_counter() - started
        self.metrics.request(endpoint, status, elapsed)
        if req.entry is not None:
            req.entry.http_status = status
            req.entry.latency_ms = round(elapsed * 1000, 3)
            self.history.add(req.entry)

    def _not_found(self, path: str) -> HttpError:
        base = f"/v2/models/{self.model}"
        if path.startswith("/v2/models/") or path.endswith("/predict"):
            return HttpError(
                404,
                f"this server serves model {self.model} version {self.version} at {self.predict_path} "
                f"and {base}/infer",
                "path",
                "not_found",
            )
        return HttpError(404, f"no endpoint {path}", "path", "not_found")

    def _authorize(self, req: Request) -> None:
        given = req.token()
        if not given:
            raise HttpError(
                401,
                "missing X-Auth-Token header (the deployment's auth token)",
                "X-Auth-Token",
                "auth_failed",
            )
        if not hmac.compare_digest(given.encode("latin-1"), self.token):
            raise HttpError(401, "wrong X-Auth-Token for this deployment", "X-Auth-Token", "auth_failed")

    def _entry(self, req: Request, endpoint: str) -> Entry:
        client = req.scope.get("client")
        qid = self.history.next_qid()
        # unique across restarts: this process's random prefix, then its request count
        entry = Entry(f"{self.run_id}{qid:08x}", qid, endpoint, client=f"{client[0]}" if client else "")
        req.entry = entry
        return entry

    def _base_url(self, req: Request) -> str:
        host = req.headers.get(b"host")
        if host is None:
            server = req.scope.get("server") or ("127.0.0.1", 0)
            return f"http://{server[0]}:{server[1]}"
        return f"http://{host.decode('latin-1')}"

    # -- scoring
    async def _score(
        self,
        rides: list[Any] | dict[str, Any],
        entry: Entry,
        where: Callable[[Exception], HttpError],
        *,
        counted: bool = True,
    ) -> tuple[list[float], list[str]]:
        """Values and warnings of ``rides`` (a list, or one ride, a dict or the scorer's ride
        record from ``workshop.Reader``: the scorer's messages then name no record number); the
        scorer's refusal as ``where(exc)`` (a 422). The rows of a ``counted`` request go to drift
        monitoring (not a probe's: ``services.types.PROBE_HEADER``)."""
        count = 1 if not isinstance(rides, list) else len(rides)
        if count > self.limits.max_rides:
            raise where(ValueError(f"{count} rides: at most {self.limits.max_rides} per request"))
        entry.rides = count
        started = time.perf_counter()
        try:
            if not self.can_batch:  # scoring code from before batching: one call, no batch, a list
                listed = [rides] if not isinstance(rides, list) else rides
                values, warnings = await self._maybe_thread(self.scorer.predict, listed)
                self.metrics.prepared(time.perf_counter() - started)
                entry.batch_rows = count
                entry.warnings = [str(w) for w in warnings]
                return [float(v) for v in values], entry.warnings
            rows, warnings = await self._maybe_thread(self.scorer.prepare, rides)
        except INPUT_ERRORS as exc:  # caused by the input: never a 500
            raise where(exc) from None
        except Exception as exc:  # a fault of the scoring code itself
            log.exception("the scoring code failed")
            raise HttpError(
                500, f"the scoring code failed: {type(exc).__name__}: {exc}", None, "internal"
            ) from None
        self.metrics.prepared(time.perf_counter() - started)
        try:
            values, entry.batch_rows = await self.batcher.score(rows)
        except Exception as exc:
            log.exception("the model call failed")
            raise HttpError(
                500, f"the model call failed: {type(exc).__name__}: {exc}", None, "internal"
            ) from None
        if counted:
            self.drift.observe(rows)
        entry.warnings = warnings
        return values, [str(w) for w in warnings]

    async def _maybe_thread(self, call: Callable[[Any], Any], rides: list[Any] | dict[str, Any]) -> Any:
        if not isinstance(rides, list) or len(rides) < PREPARE_IN_THREAD:
            return call(rides)
        return await asyncio.to_thread(call, rides)

    # -- the workshop's request
    async def predict(self, req: Request) -> Reply:
        entry = self._entry(req, "predict")
        body = await req.body(self.limits)
        sent, rides, single, ignored = await _parsed(self.reader.parse, body)
        entry.input = workshop.echo(sent)

        def where(exc: Exception) -> HttpError:
            field, index = getattr(exc, "field", None), getattr(exc, "index", None)
            name = f"scoring_args[{index}]" if isinstance(index, int) and not single else "scoring_args"
            name = f"{name}.{field}" if field and field != "scoring_args" else name
            text = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            text = text.removeprefix(f"record {index}: ")  # (the name says which ride already)
            return HttpError(422, f"{name}: {text}", name)

        values, warnings = await self._score(
            rides[0] if single else rides, entry, where, counted=_counted(req)
        )
        if ignored:
            warnings = entry.warnings = [*ignored, *warnings]
        entry.output = text = workshop.output(values)
        base = self._base_url(req)
        answer = {
            "id": entry.id,
            "qid": entry.qid,
            "model": self.model,
            "version": self.version,
            "input": entry.input,
            "output": text,
            "prediction": values,
            "status": "Finished",
            "node": self.node,
            "pid": self.pid,
            "log_url": f"{base}/logs/{entry.id}",
            "request_url": f"{base}/history/{entry.id}",
            "latency_ms": 0.0,
            "warnings": warnings,
        }
        answer["latency_ms"] = round((time.perf_counter() - req.started) * 1000, 3)
        return 200, strict_json.dumps(answer), [JSON]

    # -- Open Inference Protocol
    async def infer(self, req: Request) -> Reply:
        entry = self._entry(req, "infer")
        length = req.headers.get(b"inference-header-content-length")
        if length is not None and not length.isdigit():
            raise HttpError(
                400, "Inference-Header-Content-Length must be a number", "Inference-Header-Content-Length"
            )
        request = await _parsed(
            oip.parse_request,
            await req.body(self.limits),
            int(length) if length is not None else None,
            self.limits.max_rides,
            oip.Expected(self.model, self._metadata_inputs()),
        )
        rides = request.records()
        entry.input = workshop.echo(rides)

        def where(exc: Exception) -> HttpError:
            text = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
            return request.where(str(getattr(exc, "field", "") or ""), getattr(exc, "index", None), text)

        values, warnings = await self._score(rides, entry, where, counted=_counted(req))
        if request.ignored:
            warnings = entry.warnings = [*request.ignored, *warnings]
        entry.output = workshop.output(values)
        body, headers = oip.response(
            self.model, self.version, request.id or entry.id, values, warnings, request.binary_output
        )
        return 200, body, headers

    def _inputs(self) -> list[dict[str, Any]]:
        """Input fields from the manifest's schema (a ``fields`` list, or JSON-Schema ``properties``)."""
        schema = self.manifest.get("input_schema") or {}
        if not isinstance(schema, dict):
            return []
        if isinstance(schema.get("fields"), list):
            return [f for f in schema["fields"] if isinstance(f, dict) and isinstance(f.get("name"), str)]
        props = schema.get("properties")
        if isinstance(props, dict):
            required = set(schema.get("required") or ())
            return [
                {"name": k, **(v if isinstance(v, dict) else {}), "required": k in required}
                for k, v in props.items()
            ]
        return []

    def _metadata_inputs(self) -> list[dict[str, Any]]:
        """The inputs as the model's metadata lists them (one tensor per field, one element per ride)."""
        return [
            {"name": f["name"], "datatype": _datatype(f), "shape": [-1], "optional": not f.get("required")}
            for f in self._inputs()
        ]

    async def model_metadata(self, req: Request) -> Reply:
        doc = {
            "name": self.model,
            "versions": [self.version],
            "platform": "xgboost",
            "inputs": self._metadata_inputs(),
            "outputs": [{"name": oip.OUTPUT, "datatype": "FP64", "shape": [-1]}],
        }
        return 200, strict_json.dumps(doc), [JSON]

    async def model_config(self, req: Request) -> Reply:
        """Triton's model configuration extension (``model_configuration.md``)."""
        policy = self.batcher.policy
        doc = {
            "name": self.model,
            "platform": "xgboost",
            "backend": "python",
            "version_policy": {"specific": {"versions": [self.version]}},
            "max_batch_size": policy.max_batch_size,
            "input": [
                {
                    "name": f["name"],
                    "data_type": f"TYPE_{_datatype(f)}",
                    "dims": [1],
                    "optional": not f.get("required"),
                }
                for f in self._inputs()
            ],
            "output": [{"name": oip.OUTPUT, "data_type": "TYPE_FP64", "dims": [1]}],
            "dynamic_batching": {
                "max_queue_delay_microseconds": int(policy.max_wait_s * 1_000_000),
                "preserve_ordering": True,
            },
        }
        return 200, strict_json.dumps(doc), [JSON]

    async def stats(self, req: Request) -> Reply:
        """Triton's statistics extension (``statistics.md``)."""
        return 200, strict_json.dumps(self.metrics.statistics.json(self.model, self.version)), [JSON]

    async def model_ready(self, req: Request) -> Reply:
        return 200, strict_json.dumps({"name": self.model, "ready": True}), [JSON]

    async def server_metadata(self, req: Request) -> Reply:
        doc = {
            "name": "mlops-tui-predictor",
            "version": "2",
            "extensions": ["binary_tensor_data", "model_configuration", "statistics"],
        }
        return 200, strict_json.dumps(doc), [JSON]

    async def live(self, req: Request) -> Reply:
        return 200, b'{"live":true}', [JSON]

    async def ready(self, req: Request) -> Reply:
        return 200, b'{"ready":true}', [JSON]

    async def metrics_text(self, req: Request) -> Reply:
        body, content_type = self.metrics.exposition(req.headers.get(b"accept", b"").decode("latin-1"))
        return 200, body, [(b"content-type", content_type.encode())]

    # -- drift
    async def drift_report(self, req: Request) -> Reply:
        """Each feature's PSI, served rides against the training data (no token: aggregates
        only, like ``/metrics``); ``available: false`` and why where it is not measured."""
        report = {"model": self.model, "version": self.version, **self.drift.report()}
        return 200, strict_json.dumps(report), [JSON]

    # -- history
    async def history_list(self, req: Request) -> Reply:
        raw = (req.query.get("limit") or ["20"])[0]
        if not raw.isdigit() or not 1 <= int(raw) <= HISTORY_SIZE:
            raise HttpError(400, f"limit must be a whole number from 1 to {HISTORY_SIZE}", "limit")
        base = self._base_url(req)
        entries = [e.json(base, self.node, self.pid) for e in self.history.recent(int(raw))]
        return 200, strict_json.dumps(entries), [JSON]

    def _lookup(self, req: Request, prefix: str) -> Entry:
        entry_id = req.scope["path"].removeprefix(prefix)
        entry = self.history.get(entry_id)
        if entry is None:
            raise HttpError(
                404,
                f"no request {entry_id} among the last {HISTORY_SIZE} this server answered",
                "id",
                "not_found",
            )
        return entry

    async def history_one(self, req: Request) -> Reply:
        entry = self._lookup(req, "/history/")
        return 200, strict_json.dumps([entry.json(self._base_url(req), self.node, self.pid)]), [JSON]

    async def history_log(self, req: Request) -> Reply:
        entry = self._lookup(req, "/logs/")
        return 200, entry.log().encode(), [(b"content-type", b"text/plain; charset=utf-8")]


def _datatype(field: dict[str, Any]) -> str:
    return {"integer": "INT64", "number": "FP64", "boolean": "BOOL"}.get(str(field.get("type")), "BYTES")


_PROBE = PROBE_HEADER.lower().encode()


def _counted(req: Request) -> bool:
    """A client's request counts for drift; the latency probe's (``PROBE_HEADER``) does not."""
    return _PROBE not in req.headers
