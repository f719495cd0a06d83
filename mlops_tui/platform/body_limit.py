"""Request-body limits for every platform endpoint, enforced before the body is read.

A 100 MiB body sent to the unauthenticated ``POST /api/v2/session`` once raised the platform's
memory from 76 MB to 388 MB before the answer: the framework reads a JSON body whole before it
validates it. This ASGI middleware answers 413 as soon as the request head declares a body over
the endpoint's limit (``Content-Length``: nothing of the body is read) and, for a body without a
declared length (chunked), stops at the first chunk that goes over. uvicorn reads a body only as
the application asks for it (its flow control pauses the socket beyond 64 KiB), so an unread body
costs no memory.

Limits: ``MAX_JSON_BODY`` (64 KiB, far above the largest JSON body of the API: a job spec with its
params) for every route, and the repository's upload limit for ``PUT /api/mlops/v1/repo/...``.

Before a 413 the body that has already arrived is read and dropped (at most ``DRAIN_BYTES``, for
at most ``DRAIN_S``): the answer closes the connection, and closing a socket with unread bytes
sends a reset, which could reach the client before the answer and leave it with "connection
reset" instead of the 413 (RFC 9112 §9.6 asks servers to close gracefully for this reason; one
request in three lost its answer that way on loopback for a 65 KiB body).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_JSON_BODY = 64 << 10
DRAIN_BYTES = 1 << 20
DRAIN_S = 0.5
DRAIN_WAIT_S = 0.05  # for the next piece: a client that sent only its head gets its answer at once


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and not n % (1 << 20) else f"{n >> 10} KiB"


class BodySizeLimit:
    """``routes`` are ``(method, path prefix, limit in bytes)``; the first match wins, else ``default``."""

    def __init__(self, app: ASGIApp, *, default: int, routes: Sequence[tuple[str, str, int]] = ()) -> None:
        self.app = app
        self.default = default
        self.routes = tuple(routes)

    def limit_for(self, method: str, path: str) -> int:
        for m, prefix, limit in self.routes:
            if method == m and path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        limit = self.limit_for(method, path)
        where = f"the limit is {_size(limit)} for {method} {path}"
        declared = _header(scope, b"content-length")  # h11 has already checked it is a number
        if declared is not None and int(declared) > limit:
            await _drain(receive)
            await _answer(scope, receive, send, 413, f"the request body is {int(declared):,} bytes; {where}")
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, detail=f"body: the request body goes over the limit: {where}")
            return message

        await self.app(scope, limited, send)


async def _drain(receive: Receive) -> None:
    """Read and drop what the client has sent of its body already (bounded; see the module's doc)."""
    dropped, deadline = 0, asyncio.get_running_loop().time() + DRAIN_S
    while dropped < DRAIN_BYTES and asyncio.get_running_loop().time() < deadline:
        try:
            message = await asyncio.wait_for(receive(), DRAIN_WAIT_S)
        except TimeoutError:
            return
        if message["type"] != "http.request":
            return
        dropped += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


async def _answer(scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
    body: dict[str, Any] = {"error": f"body: {message}", "code": "invalid_input", "field": "body"}
    await JSONResponse(body, status_code=status, headers={"Connection": "close"})(scope, receive, send)
