"""JSON request bodies of the platform's API are strict JSON (RFC 8259), named where they are not.

FastAPI parses a body with Python's ``json``, which takes ``NaN``, ``Infinity`` and numbers beyond
any float: a NaN then travelled into the platform's answers (which Starlette cannot write: a 500),
and JSON nested 10,000 levels deep raised RecursionError (a 500). This ASGI middleware reads each
JSON body first (bodies are small: ``body_limit`` bounds them before this runs) and answers 400
naming the field for what strict JSON refuses (a key given twice too), or naming ``body`` for
nesting beyond `MAX_DEPTH` (512) levels and for text that is not UTF-8 (UTF-16, a compressed body:
this API decompresses nothing, so a body sent with a Content-Encoding is 415 naming the header);
a body that is not JSON at all is left to FastAPI's own 422. The body is then handed on unchanged.
"""

from __future__ import annotations

import json

import orjson
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mlops_tui import json_keys, strict_json
from mlops_tui.platform import content_coding

METHODS = (b"POST", b"PUT", b"PATCH")
#: Levels of nesting a body may hold. FastAPI parses the body again with Python's json, which
#: stops at about 990 levels (its recursion limit, less the frames of the server below it) with
#: "There was an error parsing the body"; the platform's requests nest a few levels.
MAX_DEPTH = 512


class StrictJsonBody:
    """``skip``: path prefixes whose bodies are not JSON (repository uploads)."""

    def __init__(self, app: ASGIApp, *, skip: tuple[str, ...] = ()) -> None:
        self.app = app
        self.skip = skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"].encode() not in METHODS
            or scope["path"].startswith(self.skip)
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    await self.app(scope, _replay([], message, receive), send)
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except HTTPException as exc:  # body_limit refused the body while it was read (a 413)
            error = {"error": str(exc.detail), "code": "invalid_input", "field": "body"}
            await JSONResponse(error, status_code=exc.status_code, headers={"Connection": "close"})(
                scope, receive, send
            )
            return
        body = b"".join(chunks)
        applied = content_coding.codings(scope["headers"])
        if applied:  # (FastAPI would read compressed bytes as JSON)
            # answered once the body is read (body_limit bounds it): a connection closed with a body
            # unread is reset, and the client can lose the answer (httpx: "Connection reset by peer")
            shown = ", ".join(applied)
            await JSONResponse(
                {
                    "error": f"Content-Encoding {shown}: this API takes no compressed body; "
                    "send it uncompressed",
                    "code": "invalid_input",
                    "field": "Content-Encoding",
                },
                status_code=415,
            )(scope, receive, send)
            return
        refusal = _refusal(body) if body else None
        if refusal is not None:
            message_text, field = refusal
            await JSONResponse(
                {"error": message_text, "code": "invalid_input", "field": field}, status_code=400
            )(scope, receive, send)
            return
        await self.app(scope, _replay([body], None, receive), send)


def _refusal(body: bytes) -> tuple[str, str] | None:
    """Why strict JSON refuses a body Python's json would take (a refused number, a key given
    twice, nesting, text that is not UTF-8), or None (valid, or not JSON at all)."""
    try:
        tree = orjson.loads(body)
    except orjson.JSONDecodeError:
        if strict_json.not_json_text(body, decompresses=False) is None:
            try:
                json.loads(body)
            except RecursionError:
                pass  # too deep, or cut short deep down: strict_json says which (orjson's message)
            except ValueError:
                return None  # not JSON at all: FastAPI says so (422)
        tree = None  # (strict_json reads a body after a UTF-8 byte order mark, refuses the rest)
    if tree is None or strict_json.duplicate_key(body, tree) is not None:
        try:
            strict_json.loads(body, decompresses=False)
        except strict_json.JsonRefused as exc:
            return exc.message, exc.field
    # (a body MAX_DEPTH deep holds as many brackets: two counts in C settle most bodies)
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH:
        depth = json_keys.nesting(body)
        if depth > MAX_DEPTH:
            return (
                f"body: the JSON nests {depth} levels deep; the platform's API reads at most {MAX_DEPTH} "
                "(its requests nest a few)",
                "body",
            )
    return None


def _replay(bodies: list[bytes], last: Message | None, then: Receive) -> Receive:
    """A receive that gives the body already read, then what the client sends next (``then``)."""
    pending: list[Message] = [{"type": "http.request", "body": b, "more_body": False} for b in bodies]
    if last is not None:
        pending.append(last)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return await then()

    return receive
