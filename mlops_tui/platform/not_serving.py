"""While a deployment has no server, the platform answers on its socket: 503 at once, with the reason.

A deployment whose server refused to start (a tampered model, say) used to keep its port listening
with nobody accepting: every client hung until its own timeout. Now, whenever a deployment has no
server process (refused, or waiting out a crash-loop back-off), the platform accepts on the
deployment's socket itself and answers every request with ``503`` and
``{"error": "deployment <name> is not serving: <reason>", "code": "unavailable"}``, plus
``Retry-After`` when the next start is known. While a server is (re)starting the platform does
not accept: requests then wait in the socket's backlog for the new server instead.

Bounded like everything outside-facing: at most ``MAX_CONNECTIONS`` at a time (others are closed
at once), 2 s to send a request head of at most 16 KiB.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import socket
import time

MAX_CONNECTIONS = 64
HEAD_TIMEOUT_S = 2.0
MAX_HEAD = 16 << 10
DRAIN_BYTES = 64 << 10


class NotServing:
    def __init__(self, name: str, sock: socket.socket) -> None:
        self.name = name
        self.sock = sock
        self.reason = ""
        self.retry_at: float | None = None  # time.monotonic() of the next start, when known
        self._server: asyncio.base_events.Server | None = None
        self._open = 0

    @property
    def active(self) -> bool:
        return self._server is not None

    async def start(self, reason: str, retry_after: float | None = None) -> None:
        """Answer 503 with ``reason`` (and ``Retry-After``) until :meth:`stop`."""
        self.reason = reason
        self.retry_at = time.monotonic() + retry_after if retry_after is not None else None
        if self._server is None:
            # A duplicate descriptor: closing this server leaves the deployment's socket open.
            self._server = await asyncio.start_server(self._answer, sock=self.sock.dup(), limit=MAX_HEAD)

    def stop(self) -> None:
        """Stop accepting (answers in progress finish on their own)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self.retry_at = None

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._open >= MAX_CONNECTIONS:
            writer.transport.abort()
            return
        self._open += 1
        try:
            async with asyncio.timeout(HEAD_TIMEOUT_S):
                await reader.readuntil(b"\r\n\r\n")
            body = json.dumps(
                {
                    "error": f"deployment {self.name} is not serving: {self.reason}",
                    "code": "unavailable",
                    "field": None,
                },
                separators=(",", ":"),
            ).encode()
            extra = ""
            if self.retry_at is not None:
                extra = f"Retry-After: {max(1, math.ceil(self.retry_at - time.monotonic()))}\r\n"
            writer.write(
                (
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n"
                ).encode()
                + body
            )
            async with asyncio.timeout(HEAD_TIMEOUT_S):
                await writer.drain()
                writer.write_eof()
                # Read what the client still sends (a body), so that closing does not reset the
                # connection before it has read the answer.
                await reader.read(DRAIN_BYTES)
        except (
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            TimeoutError,
            ConnectionError,
            OSError,
        ):
            pass
        finally:
            self._open -= 1
            with contextlib.suppress(Exception):
                writer.close()
