"""uvicorn's HTTP/1.1 protocol (httptools), bounded for a server that faces any client.

uvicorn parses and answers HTTP (keep-alive, pipelining, chunked bodies, ``Expect: 100-continue``:
``100 Continue`` is sent only when the app first reads the body). What it leaves open, and a
prediction server must bound (issue 8 §5), this subclass adds:

- **open connections** (``connection_slots``): at most ``max_connections``; a full server closes
  an idle connection to take a new one. uvicorn's ``limit_concurrency`` answers 503 to every
  request while over its limit, so 4,200 idle connections would starve every valid client;
- **the request head**: at most ``max_head`` bytes (httptools has no limit), complete within
  ``head_timeout`` of the connection or of its first byte (uvicorn times out only idle kept-alive
  connections, so a silent or trickling client held a connection for ever);
- **TCP_NODELAY** on every connection (design §9: without it a kept-alive answer can wait 40 ms);
- **an answer not taken**: a connection whose client reads nothing of its answer for
  ``answer_timeout`` is dropped;
- **lingering close** (as nginx): a connection closed after an answer given before its body was
  read first drains what the client still sends (``linger_bytes`` within ``linger_s``), so that
  the client reads the answer instead of a reset;
- **one write per answer**: head and body leave together (uvicorn writes them apart);
- **draining on stop**: a request in progress is answered with ``Connection: close``; a
  connection accepted just before the stop is answered, not dropped; kept-alive idle ones are
  closed by the server's drain loop (``ConnectionSlots.close_kept_alive``).

It relies on uvicorn's ``HttpToolsProtocol`` attributes (``cycle``, ``transport``, ``parser``,
``url``, ``headers``): the version range is pinned in pyproject.toml and the behaviour is tested
(tests/platform/test_platform_serving_limits.py, test_prediction_server_http.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from mlops_tui import strict_json
from mlops_tui.platform.connection_slots import ConnectionSlots

REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Bounds:
    max_connections: int = 1000  # a quarter of the server's open-file limit (deployments.SERVER_LIMITS)
    max_head: int = 16 << 10  # request line and headers
    head_timeout: float = 10.0  # a request head is complete within this of its first byte
    keepalive_timeout: float = 30.0  # an idle kept-alive connection is closed after this
    answer_timeout: float = 10.0  # an answer is taken (read by the client) within this
    linger_bytes: int = 16 << 20
    linger_s: float = 2.0


@dataclass
class ServingState:
    """Shared by every connection of one server."""

    bounds: Bounds
    slots: ConnectionSlots
    draining: bool = False


class _Refused(Exception):
    """Stops the parser: the request is answered by the protocol itself."""


class BoundedProtocol(HttpToolsProtocol):
    state: ClassVar[ServingState]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._answer_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._in_head = True
        self._message_complete = True
        self._lingering = False
        self._linger_left = 0
        self._refusal: tuple[int, str] | None = None
        self._holding: list[_CycleTransport] = []  # answers whose head waits for its body

    # -- connection
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self.state.slots.admit(self):  # (while draining too: accepted before the stop)
            self._answer_and_close(503, "the server is busy: retry in a moment", None, "unavailable")
            return
        self._head_timer = self.loop.call_later(self.state.bounds.head_timeout, self._head_timed_out)

    def close(self) -> None:
        """Close an idle connection to make room for a new one (``ConnectionSlots``)."""
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.slots.release(self)
        for timer in (self._head_timer, self._answer_timer):
            if timer is not None:
                timer.cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:  # drop what the client still sends, up to a bound
            self._linger_left -= len(data)
            if self._linger_left <= 0:
                self.transport.close()
            return
        self._unset_keepalive_if_required()
        if self._in_head:
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._answer_and_close(400, "this server does not upgrade connections", "Upgrade")
            return
        except httptools.HttpParserError:
            status, message = self._refusal or (400, "malformed HTTP request")
            self._answer_and_close(status, message, "head" if status != 400 else None)
            return
        if self._in_head and self._head_bytes > self.state.bounds.max_head:
            self._answer_and_close(431, self._too_big(), "head")
        elif self._in_head and not self._message_complete and self._head_timer is None:
            # a head begun but not complete: bounded from now (one that arrives whole, the usual
            # case, is parsed within this call and needs no timer)
            self._head_timer = self.loop.call_later(self.state.bounds.head_timeout, self._head_timed_out)

    # -- one request
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._message_complete = False
        self.state.slots.start_request(self)

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
        if size > self.state.bounds.max_head:
            self._refusal = (431, self._too_big())
            raise _Refused
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None:
            cycle.transport = _CycleTransport(self)  # type: ignore[assignment]
            if self.state.draining:
                cycle.keep_alive = False

    def on_message_complete(self) -> None:
        self._message_complete = True
        super().on_message_complete()

    def on_response_complete(self) -> None:
        for held in list(self._holding):
            held.flush()  # a head without a body (the answer to a HEAD)
        super().on_response_complete()
        self._in_head = True
        self._head_bytes = 0
        if self.transport.is_closing():
            return
        self.state.slots.end_request(self)
        if self.transport.get_write_buffer_size() and self._answer_timer is None:
            self._answer_timer = self.loop.call_later(
                self.state.bounds.answer_timeout, self._answer_not_taken
            )

    # -- stopping
    def shutdown(self) -> None:
        """The server stops: a request in progress is answered with ``Connection: close``; an
        idle connection is left to the server's drain loop."""
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False

    # -- helpers
    def _too_big(self) -> str:
        return f"the request head is over {self.state.bounds.max_head >> 10} KiB"

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._in_head:
            return
        if self._head_bytes:
            timeout = self.state.bounds.head_timeout
            self._answer_and_close(408, f"the request head did not arrive within {timeout:.0f} s", "head")
        else:
            self.transport.close()

    def _answer_not_taken(self) -> None:
        self._answer_timer = None
        if self.transport.get_write_buffer_size():
            self.transport.abort()

    def _answer_and_close(
        self, status: int, message: str, field: str | None, code: str = "invalid_input"
    ) -> None:
        body = strict_json.dumps({"error": message, "code": code, "field": field})
        self.transport.write(
            f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
            + body
        )
        self.linger_close()

    def linger_close(self) -> None:
        """Close after the answer is sent, dropping what the client still sends meanwhile."""
        transport = self.transport
        if transport.is_closing() or self._lingering:
            return
        if not transport.can_write_eof():
            transport.close()
            return
        self._lingering = True
        self._linger_left = self.state.bounds.linger_bytes
        transport.write_eof()
        with contextlib.suppress(Exception):
            transport.resume_reading()
        self.loop.call_later(self.state.bounds.linger_s, transport.close)

    def eof_received(self) -> bool | None:
        if self._lingering:
            self.transport.close()
        return None


class _CycleTransport:
    """The transport as uvicorn's request cycle sees it.

    - the answer's head is held until its body is written, so that both leave in one write (one
      segment with TCP_NODELAY, where uvicorn's two writes made two: a client reading the first
      segment saw a head without its body); ``100 Continue`` is never held;
    - closing it after an answer whose request body was not read is a lingering close.
    """

    def __init__(self, protocol: BoundedProtocol) -> None:
        self._protocol = protocol
        self._transport = protocol.transport
        self._head = b""

    def write(self, data: bytes) -> None:
        if not self._head and data.startswith(b"HTTP/1.1 ") and not data.startswith(b"HTTP/1.1 100 "):
            self._head = data  # the answer's status line and headers: wait for the body
            self._protocol._holding.append(self)
            return
        self.flush(data)

    def flush(self, data: bytes = b"") -> None:
        if self._head:
            data, self._head = self._head + data, b""
            self._protocol._holding.remove(self)
        if data:
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        if self._protocol._message_complete:
            self._transport.close()
        else:
            self._protocol.linger_close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def bounded_protocol(state: ServingState) -> type[BoundedProtocol]:
    """The protocol class uvicorn instantiates per connection, bound to one server's state."""
    return type("ServerProtocol", (BoundedProtocol,), {"state": state})
