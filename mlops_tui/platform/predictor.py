"""The prediction server: one process per deployment, serving one registered model version.

Run as ``python -m mlops_tui.platform.predictor --config <deployment.json> [--fd N]``. Before it
serves it checks the bundle against the registry's checksums and the XGBoost version the model was
trained with, then imports the registered scoring package and loads the scorer **once**.

A small HTTP/1.1 server on asyncio streams, not a framework: keep-alive, TCP_NODELAY on every
connection and no per-request DataFrame keep one ride well under a millisecond of server time.
Exit code 3 means "refused to serve" (the supervisor then stops retrying and shows the message).

One request cannot take the server down. Everything a request holds is bounded before any work:
its head (16 KiB, complete within 10 s of connecting), its body (1 MiB, read only after the token
is checked, within 10 s), its rides (1,000, each field bounded by the scoring code's validation),
so one request holds the event loop about 20 ms at worst on 2 busy cores (1,000 rides of about
1 MiB; measured by benchmarks/load_fault.py). Open connections are bounded too
(``connection_slots``: an idle one gives way to a new one), so idle clients cannot starve
authenticated ones.

The listening socket survives a platform restart (``handover``): on SIGTERM the server stops
accepting, finishes what it is answering (5 s at most) and exits; if its platform is gone it
serves on until the next platform claims it, or stops after the hand-over grace.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import hmac
import json
import os
import signal
import socket
import sys
import time
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from mlops_tui.platform.connection_slots import ConnectionSlots
from mlops_tui.platform.handover import Keeper
from mlops_tui.platform.verified_import import Mismatch, import_verified, read_verified

REFUSED = 3
MAX_HEAD = 16 << 10  # request line and headers
MAX_BODY = 1 << 20  # 1,000 workshop rides are about 400 KB of JSON
MAX_RECORDS = 1000  # per request, whatever the scoring code itself checks
MAX_CONNECTIONS = 1000  # a quarter of the server's open-file limit (deployments.SERVER_LIMITS)
FIRST_HEAD_TIMEOUT_S = 10.0  # a new connection sends a complete request head within this
KEEPALIVE_TIMEOUT_S = 30.0  # an idle keep-alive connection is closed after this
BODY_TIMEOUT_S = 10.0  # a body arrives, and an answer is taken, within this
DRAIN_TIMEOUT_S = 5.0  # on SIGTERM, requests in progress get this long
KEEPALIVE_DRAIN_S = 1.0  # on SIGTERM, a kept-alive connection idle this long is closed
LINGER_BYTES, LINGER_S = 16 << 20, 2.0  # dropped from an unread body before closing (see _linger)
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    413: "Payload Too Large",
    429: "Too Many Requests",
    422: "Unprocessable Entity",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class Refused(Exception):
    """The deployment must not serve (checksum or version mismatch, unloadable scoring code)."""


class HttpError(Exception):
    def __init__(
        self, status: int, message: str, field: str | None = None, code: str = "invalid_input"
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.field, self.code = status, message, field, code


def _xgboost_version() -> str | None:
    for dist in ("xgboost-cpu", "xgboost"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            return metadata.version(dist)
    return None


def _major_minor(v: str) -> str:
    return ".".join(str(v).split(".")[:2])


def load_scorer(cfg: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Verify everything the server loads, then import the scoring package; ``(scorer, manifest)``.

    The bundle (model, manifest, zone table) and every file of the scoring package must match the
    checksums the registry recorded; the package runs from the verified bytes (``verified_import``).
    Raises :class:`Refused` naming the file or the reason.
    """
    bundle = Path(cfg["bundle_dir"])
    scoring = Path(cfg["scoring_path"])
    package = scoring.parent
    code_sums = cfg.get("scoring_checksums") or {}
    if not code_sums:
        raise Refused(
            f"version {cfg.get('version')} was registered before the registry recorded checksums of its "
            "scoring code, so that code cannot be verified: register the job again and deploy the new version"
        )
    try:
        read_verified(bundle, cfg.get("checksums") or {}, "bundle")
        sources = read_verified(package, code_sums, "scoring package")
    except Mismatch as exc:
        raise Refused(str(exc)) from None
    try:
        manifest = json.loads((bundle / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise Refused(f"cannot read {bundle}/manifest.json: {exc}") from None
    trained = manifest.get("xgboost_version")
    installed = _xgboost_version()
    if trained and installed and _major_minor(trained) != _major_minor(installed):
        raise Refused(
            f"the model was trained with XGBoost {trained} but this host has {installed}; a model read by "
            "another version can predict wrong values silently: retrain it here"
        )
    if scoring.relative_to(package).as_posix() not in sources:
        raise Refused(f"scoring code {scoring} is not part of the registered scoring package")
    try:
        module = import_verified(package, sources, scoring.stem)
    except Exception as exc:
        raise Refused(f"cannot import the scoring code {package.name}.{scoring.stem}: {exc}") from None
    scorer_cls = getattr(module, "Scorer", None)
    if scorer_cls is None or not hasattr(scorer_cls, "load"):
        raise Refused(f"{scoring} defines no Scorer class with a load(bundle_dir) method")
    try:
        scorer = scorer_cls.load(bundle)
    except Exception as exc:
        raise Refused(f"the scorer refused the bundle: {exc}") from None
    return scorer, manifest


class Metrics:
    """Prometheus counters and a latency histogram, kept in plain Python (one process, one thread)."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, int], int] = {}
        self.bucket_counts = [0] * (len(BUCKETS) + 1)
        self.latency_sum = 0.0
        self.latency_count = 0
        self.load_seconds = 0.0
        self.records = 0

    def observe(self, endpoint: str, status: int, seconds: float | None) -> None:
        key = (endpoint, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        if seconds is not None:
            self.bucket_counts[bisect.bisect_left(BUCKETS, seconds)] += 1
            self.latency_sum += seconds
            self.latency_count += 1

    def render(self, model: str, version: str) -> str:
        lab = f'model="{model}",version="{version}"'
        out = [
            "# HELP mlops_requests_total Requests by endpoint and HTTP status.",
            "# TYPE mlops_requests_total counter",
        ]
        for (endpoint, status), n in sorted(self.requests.items()):
            out.append(f'mlops_requests_total{{{lab},endpoint="{endpoint}",status="{status}"}} {n}')
        out += [
            "# HELP mlops_prediction_latency_seconds Server time of successful predictions.",
            "# TYPE mlops_prediction_latency_seconds histogram",
        ]
        cumulative = 0
        for le, n in zip((*BUCKETS, float("inf")), self.bucket_counts, strict=True):
            cumulative += n
            bound = "+Inf" if le == float("inf") else repr(le)
            out.append(f'mlops_prediction_latency_seconds_bucket{{{lab},le="{bound}"}} {cumulative}')
        out.append(f"mlops_prediction_latency_seconds_sum{{{lab}}} {self.latency_sum:.6f}")
        out.append(f"mlops_prediction_latency_seconds_count{{{lab}}} {self.latency_count}")
        out += [
            "# HELP mlops_predicted_records_total Records scored.",
            "# TYPE mlops_predicted_records_total counter",
            f"mlops_predicted_records_total{{{lab}}} {self.records}",
            "# HELP mlops_model_load_seconds Time to verify and load the model at start.",
            "# TYPE mlops_model_load_seconds gauge",
            f"mlops_model_load_seconds{{{lab}}} {self.load_seconds:.6f}",
        ]
        return "\n".join(out) + "\n"


def _datatype(prop: dict[str, Any]) -> str:
    return {"integer": "INT64", "number": "FP64", "boolean": "BOOL"}.get(str(prop.get("type")), "BYTES")


class PredictionServer:
    def __init__(
        self, cfg: dict[str, Any], scorer: Any, manifest: dict[str, Any], load_seconds: float
    ) -> None:
        self.cfg = cfg
        self.model = str(cfg["model"])
        self.version = str(cfg["version"])
        self.token = str(cfg["token"]).encode()
        self.scorer = scorer
        self.manifest = manifest
        self.metrics = Metrics()
        self.metrics.load_seconds = load_seconds
        self.predict_path = f"/{self.model}/{self.version}/predict"
        base = f"/v2/models/{self.model}"
        self.token_paths = {self.predict_path, f"{base}/infer", f"{base}/versions/{self.version}/infer"}
        self.slots = ConnectionSlots(int(cfg.get("max_connections") or MAX_CONNECTIONS))
        self.stopping = False

    # -- HTTP plumbing
    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        transport = writer.transport
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self.slots.admit(transport):  # (while stopping too: accepted before the stop)
            busy = {"error": "the server is busy: retry in a moment", "code": "unavailable", "field": None}
            self._write(writer, 503, busy, close=True)
            writer.close()
            return
        try:
            timeout = FIRST_HEAD_TIMEOUT_S
            while True:
                try:
                    async with asyncio.timeout(timeout):
                        head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, TimeoutError, ConnectionError):
                    return
                except asyncio.LimitOverrunError:
                    too_big = f"the request head is over {MAX_HEAD >> 10} KiB"
                    self._write(
                        writer, 431, {"error": too_big, "code": "invalid_input", "field": None}, close=True
                    )
                    await self._drain(writer)
                    return
                self.slots.start_request(transport)
                keep = await self._one(head, reader, writer)
                await self._drain(writer)
                if not keep or self.stopping:
                    return
                self.slots.end_request(transport)
                timeout = KEEPALIVE_TIMEOUT_S
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            return  # the client went away or sent a broken body: just close
        finally:
            self.slots.release(transport)
            with contextlib.suppress(Exception):
                writer.close()

    @staticmethod
    async def _linger(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """After answering without reading the body, drop what the client still sends (at most
        LINGER_BYTES within LINGER_S), so that closing does not reset the connection before the
        client has read the answer (what nginx calls a lingering close)."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(LINGER_S):
                await writer.drain()
                writer.write_eof()
                left = LINGER_BYTES
                while left > 0:
                    chunk = await reader.read(min(left, 1 << 16))
                    if not chunk:
                        break
                    left -= len(chunk)

    @staticmethod
    async def _drain(writer: asyncio.StreamWriter) -> None:
        async with asyncio.timeout(BODY_TIMEOUT_S):  # a client that does not read its answer
            await writer.drain()

    async def _one(self, head: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        try:
            lines = head.decode("latin-1").split("\r\n")
            method, target, proto = lines[0].split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if line:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
        except ValueError:
            self._write(
                writer,
                400,
                {"error": "malformed HTTP request line", "code": "invalid_input", "field": None},
                close=True,
            )
            return False
        conn = headers.get("connection", "").lower()
        keep = (proto == "HTTP/1.1" and conn != "close") or (proto == "HTTP/1.0" and conn == "keep-alive")
        keep = keep and not self.stopping  # stopping: answer, then close (Connection: close)
        url = urlsplit(target)
        path = unquote(url.path)
        query = parse_qs(url.query)
        endpoint = self._endpoint(path)
        try:
            if method == "POST" and path in self.token_paths:
                self._auth(headers, query)  # before the body is read: no work for a client without a token
            async with asyncio.timeout(BODY_TIMEOUT_S):
                body = await self._body(headers, reader)
        except (HttpError, TimeoutError) as err:
            if isinstance(err, TimeoutError):
                err = HttpError(408, f"the body did not arrive within {BODY_TIMEOUT_S:.0f} s", "body")
            self.metrics.observe(endpoint, err.status, None)
            self._write(
                writer, err.status, {"error": err.message, "code": err.code, "field": err.field}, close=True
            )
            await self._linger(reader, writer)
            return False
        t0 = time.perf_counter()
        try:
            _, status, payload, ctype = self.route(method, path, headers, body, t0)
        except HttpError as err:
            status, payload, ctype = (
                err.status,
                {"error": err.message, "code": err.code, "field": err.field},
                None,
            )
        except Exception as exc:  # the scorer failed: report it, never a traceback
            status = 500
            payload = {
                "error": f"the scorer failed: {type(exc).__name__}: {exc}",
                "code": "internal",
                "field": None,
            }
            ctype = None
        elapsed = time.perf_counter() - t0
        self.metrics.observe(
            endpoint, status, elapsed if status == 200 and endpoint in ("predict", "infer") else None
        )
        self._write(writer, status, payload, content_type=ctype, close=not keep, head_only=method == "HEAD")
        return keep

    async def _body(self, headers: dict[str, str], reader: asyncio.StreamReader) -> bytes:
        too_big = f"the body is over {MAX_BODY >> 10} KiB"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts, total = [], 0
            while True:
                size_line = await reader.readuntil(b"\r\n")
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise HttpError(400, "malformed chunked body", "body") from None
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    return b"".join(parts)
                total += size
                if total > MAX_BODY:
                    raise HttpError(413, too_big, "body")
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
        length = headers.get("content-length", "0") or "0"
        if not length.isdigit():
            raise HttpError(400, "Content-Length must be a number", "Content-Length")
        if int(length) > MAX_BODY:
            raise HttpError(413, too_big, "body")
        return await reader.readexactly(int(length)) if int(length) else b""

    async def drain(self, timeout: float) -> None:
        """Stop: every connection gets its next answer with ``Connection: close`` (a client in the
        middle of using one loses nothing); one kept alive but idle for KEEPALIVE_DRAIN_S is
        closed; after ``timeout`` s the rest are dropped with the process."""
        self.stopping = True
        deadline = time.monotonic() + timeout
        await asyncio.sleep(0.1)  # connections accepted just before the stop reach handle() first
        while len(self.slots) and time.monotonic() < deadline:
            self.slots.close_kept_alive(KEEPALIVE_DRAIN_S)
            await asyncio.sleep(0.02)

    @staticmethod
    def _write(
        writer: asyncio.StreamWriter,
        status: int,
        payload: Any,
        *,
        content_type: str | None = None,
        close: bool = False,
        head_only: bool = False,
    ) -> None:
        if isinstance(payload, str | bytes):
            data = payload.encode() if isinstance(payload, str) else payload
            ctype = content_type or "text/plain; charset=utf-8"
        else:
            data = json.dumps(payload, separators=(",", ":")).encode()
            ctype = content_type or "application/json"
        head = (
            f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(data)}\r\nConnection: {'close' if close else 'keep-alive'}\r\n\r\n"
        )
        writer.write(head.encode() + (b"" if head_only else data))

    # -- routes
    def _endpoint(self, path: str) -> str:
        """The metrics label of a request path."""
        if path == self.predict_path:
            return "predict"
        if path.endswith("/infer"):
            return "infer"
        if path.startswith("/v2/health") or path == "/healthz":
            return "health"
        return "metrics" if path == "/metrics" else "other"

    def route(
        self, method: str, path: str, headers: dict[str, str], body: bytes, t0: float
    ) -> tuple[str, int, Any, str | None]:
        """Answer one request; the token of ``token_paths`` was checked before the body was read."""
        if path == self.predict_path:
            self._method(method, "POST")
            return "predict", 200, self.predict(body, t0), None
        if path in ("/v2/health/live", "/healthz"):
            self._method(method, "GET")
            return "health", 200, {"live": True}, None
        if path == "/v2/health/ready":
            self._method(method, "GET")
            return "health", 200, {"ready": True}, None
        if path == "/metrics":
            self._method(method, "GET")
            return "metrics", 200, self.metrics.render(self.model, self.version), "text/plain; version=0.0.4"
        if path == "/v2":
            return "meta", 200, {"name": "mlops-tui-predictor", "version": "1", "extensions": []}, None
        base = f"/v2/models/{self.model}"
        for prefix in (f"{base}/versions/{self.version}", base):
            if path == prefix:
                self._method(method, "GET")
                return "meta", 200, self.oip_metadata(), None
            if path == prefix + "/ready":
                self._method(method, "GET")
                return "meta", 200, {"name": self.model, "ready": True}, None
            if path == prefix + "/infer":
                self._method(method, "POST")
                return "infer", 200, self.infer(body), None
        if path.startswith("/v2/models/") or path.endswith("/predict"):
            raise HttpError(
                404,
                f"this server serves model {self.model} version {self.version} "
                f"at {self.predict_path} and {base}/infer",
                "path",
                "not_found",
            )
        raise HttpError(404, f"no endpoint {path}", "path", "not_found")

    @staticmethod
    def _method(method: str, allowed: str) -> None:
        if method != allowed and not (allowed == "GET" and method == "HEAD"):
            raise HttpError(405, f"use {allowed} here", "method")

    def _auth(self, headers: dict[str, str], query: dict[str, list[str]]) -> None:
        given = headers.get("x-auth-token") or (query.get("X-Auth-Token") or [""])[0]
        if not given:
            raise HttpError(
                401,
                "missing X-Auth-Token header (the deployment's auth token)",
                "X-Auth-Token",
                "auth_failed",
            )
        if not hmac.compare_digest(given.encode(), self.token):
            raise HttpError(401, "wrong X-Auth-Token for this deployment", "X-Auth-Token", "auth_failed")

    def _json(self, body: bytes) -> Any:
        if not body:
            raise HttpError(400, "the request body is empty: send a JSON object", "body")
        try:
            return json.loads(body)
        except ValueError as exc:
            raise HttpError(400, f"the request body is not valid JSON: {exc}", "body") from None
        except RecursionError:
            raise HttpError(400, "the request body nests JSON too deeply", "body") from None

    def _score(
        self, records: list[dict[str, Any]], prefix: str, single: bool = False
    ) -> tuple[list[float], list[str]]:
        if len(records) > MAX_RECORDS:
            raise HttpError(422, f"{prefix}: at most {MAX_RECORDS} records per request", prefix)
        try:
            values, warnings = self.scorer.predict(records)
        except (ValueError, TypeError, KeyError) as exc:
            field, index = getattr(exc, "field", None), getattr(exc, "index", None)
            where = f"{prefix}[{index}]" if isinstance(index, int) and not single else prefix
            name = f"{where}.{field}" if field else where
            raise HttpError(422, f"{name}: {exc}", name) from None
        self.metrics.records += len(records)
        return [float(v) for v in values], [str(w) for w in warnings]

    def predict(self, body: bytes, t0: float) -> dict[str, Any]:
        req = self._json(body)
        if not isinstance(req, dict):
            raise HttpError(
                400, 'the body must be a JSON object {"use_scoring": true, "scoring_args": {...}}', "body"
            )
        if req.get("use_scoring", True) is not True:
            raise HttpError(
                422,
                "use_scoring must be true: this deployment answers through its scoring code",
                "use_scoring",
            )
        if "scoring_args" not in req:
            raise HttpError(
                422, "scoring_args is missing: send the ride as an object (or a list of them)", "scoring_args"
            )
        args = req["scoring_args"]
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError:
                raise HttpError(422, "scoring_args is a string but not JSON", "scoring_args") from None
        records = [args] if isinstance(args, dict) else args
        if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
            raise HttpError(
                422, "scoring_args must be an object or a non-empty list of objects", "scoring_args"
            )
        values, warnings = self._score(records, "scoring_args", single=isinstance(args, dict))
        output = "".join(f"The ride duration prediction is {v:.1f} seconds.\n" for v in values)
        return {
            "id": uuid.uuid4().hex,
            "model": self.model,
            "version": self.version,
            "input": req["scoring_args"],
            "output": output,
            "prediction": values,
            "status": "Finished",
            "latency_ms": round((time.perf_counter() - t0) * 1000, 3),
            "warnings": warnings,
        }

    def _schema_fields(self) -> list[dict[str, Any]]:
        """Input fields from the manifest's schema: a ``fields`` list, or JSON-Schema ``properties``."""
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

    def oip_metadata(self) -> dict[str, Any]:
        return {
            "name": self.model,
            "versions": [self.version],
            "platform": "xgboost",
            "inputs": [
                {
                    "name": f["name"],
                    "datatype": _datatype(f),
                    "shape": [-1],
                    "optional": not f.get("required"),
                }
                for f in self._schema_fields()
            ],
            "outputs": [{"name": "duration_seconds", "datatype": "FP64", "shape": [-1]}],
        }

    def infer(self, body: bytes) -> dict[str, Any]:
        req = self._json(body)
        inputs = req.get("inputs") if isinstance(req, dict) else None
        if not isinstance(inputs, list) or not inputs:
            raise HttpError(
                422, "inputs must be a non-empty list of tensors {name, datatype, shape, data}", "inputs"
            )
        columns: dict[str, list[Any]] = {}
        for i, tensor in enumerate(inputs):
            if not isinstance(tensor, dict) or not isinstance(tensor.get("name"), str):
                raise HttpError(422, f"inputs[{i}] must be an object with a name", f"inputs[{i}].name")
            data = tensor.get("data")
            if not isinstance(data, list):
                data = [data]
            columns[tensor["name"]] = data
        lengths = {len(v) for v in columns.values()}
        if len(lengths) != 1:
            raise HttpError(422, "every input tensor must hold the same number of values", "inputs")
        n = lengths.pop()
        if n == 0:
            raise HttpError(422, "the input tensors are empty", "inputs")
        if n > MAX_RECORDS:
            raise HttpError(422, f"inputs: at most {MAX_RECORDS} records per request", "inputs")
        records = [{name: col[i] for name, col in columns.items()} for i in range(n)]
        values, warnings = self._score(records, "inputs")
        out: dict[str, Any] = {
            "model_name": self.model,
            "model_version": self.version,
            "id": str(req.get("id") or uuid.uuid4().hex),
            "outputs": [{"name": "duration_seconds", "datatype": "FP64", "shape": [n], "data": values}],
        }
        if warnings:
            out["parameters"] = {"warnings": warnings}
        return out


async def _serve(
    server: PredictionServer, sock: socket.socket, folder: Path, owner: int | None, ready_fd: int | None
) -> None:
    stop = asyncio.Event()
    keeper = None
    if owner is not None:  # started by a platform: keep the socket for the next one (handover)
        grace = float(server.cfg.get("handover_grace_s") or 30.0)
        keeper = Keeper(folder, sock, owner, grace, stop.set)
        try:
            await keeper.start()
        except OSError as exc:  # serve anyway (the next platform replaces it the hard way)
            print(f"no hand-over control socket in {folder}: {exc}", flush=True)
    srv = await asyncio.start_server(server.handle, sock=sock, backlog=512, limit=MAX_HEAD)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"serving {server.model} v{server.version} on {sock.getsockname()}", flush=True)
    if ready_fd is not None:  # tell the platform: the model is loaded and the socket accepted on
        with contextlib.suppress(OSError):
            os.write(ready_fd, b"ready\n")
        os.close(ready_fd)
    await stop.wait()
    srv.close()  # stop accepting; the platform (or the next server) keeps the socket open
    if keeper is not None:
        keeper.close()
    await server.drain(DRAIN_TIMEOUT_S)
    print("stopped", flush=True)


def _socket(cfg: dict[str, Any], fd: int | None) -> socket.socket:
    if fd is not None:
        sock = socket.socket(fileno=fd)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((cfg.get("host", "127.0.0.1"), int(cfg["port"])))
        sock.listen(512)
    sock.setblocking(False)
    return sock


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mlops_tui.platform.predictor")
    ap.add_argument("--config", required=True, help="the deployment.json the platform wrote")
    ap.add_argument(
        "--fd", type=int, default=None, help="an already listening socket inherited from the platform"
    )
    ap.add_argument(
        "--owner", type=int, default=None, help="the platform's pid: hand the socket over when it is gone"
    )
    ap.add_argument("--ready-fd", type=int, default=None, help="a pipe to write 'ready' to once serving")
    args = ap.parse_args(argv)
    try:
        cfg = json.loads(Path(args.config).read_text())
    except (OSError, ValueError) as exc:
        print(f"REFUSED: cannot read the deployment config {args.config}: {exc}", file=sys.stderr, flush=True)
        return REFUSED
    t0 = time.perf_counter()
    try:
        scorer, manifest = load_scorer(cfg)
    except Refused as exc:
        print(f"REFUSED: {exc}", file=sys.stderr, flush=True)
        return REFUSED
    load_seconds = time.perf_counter() - t0
    print(
        f"loaded {cfg['model']} v{cfg['version']} in {load_seconds * 1000:.0f} ms (pid {os.getpid()})",
        flush=True,
    )
    server = PredictionServer(cfg, scorer, manifest, load_seconds)
    asyncio.run(_serve(server, _socket(cfg, args.fd), Path(args.config).parent, args.owner, args.ready_fd))
    return 0


if __name__ == "__main__":
    sys.exit(main())
