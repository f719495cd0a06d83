"""Idle connections cannot starve the platform API: uvicorn's HTTP protocol, guarded.

uvicorn times out a keep-alive connection between requests but not a connection that never sends
anything, and its ``limit_concurrency`` answers 503 to everybody once idle connections fill it.
So a local client opening thousands of silent connections could take every file descriptor of the
platform (the same fault as the prediction server's, see ``connection_slots``). This wrapper
around uvicorn's protocol (composition: uvicorn's own class does all the HTTP) closes a connection
that sends no byte within ``FIRST_BYTE_TIMEOUT_S``, and when ``limit`` connections are open it
closes the oldest one that has not sent a byte yet to admit the new one. A connection that has
sent something is a real client and is left to uvicorn (its keep-alive timeout, 30 s).

The limit is half the platform's open-file limit (at most 1,000), so the database, the logs and
the deployments' sockets always have descriptors left.
"""

from __future__ import annotations

import asyncio
import resource
from collections import OrderedDict
from typing import Any

FIRST_BYTE_TIMEOUT_S = 10.0
MAX_CONNECTIONS = 1000


def default_limit() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(64, min(MAX_CONNECTIONS, soft // 2))


def guarded(protocol_class: type[asyncio.Protocol], limit: int | None = None) -> type[asyncio.Protocol]:
    """A protocol class for ``uvicorn.Config(http=...)`` wrapping ``protocol_class``."""
    silent: OrderedDict[asyncio.Transport, None] = OrderedDict()  # oldest first, no byte received
    count = [0]
    cap = limit or default_limit()

    class Guarded(asyncio.Protocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.inner: Any = protocol_class(*args, **kwargs)
            self.transport: asyncio.Transport | None = None
            self.timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            if count[0] >= cap and silent:  # one out, one in (its connection_lost comes later)
                oldest, _ = silent.popitem(last=False)
                oldest.abort()
            self.transport = transport
            count[0] += 1
            silent[transport] = None
            self.timer = asyncio.get_running_loop().call_later(FIRST_BYTE_TIMEOUT_S, transport.abort)
            self.inner.connection_made(transport)

        def data_received(self, data: bytes) -> None:
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
                silent.pop(self.transport, None)  # type: ignore[arg-type]
            self.inner.data_received(data)

        def eof_received(self) -> bool | None:
            return self.inner.eof_received()

        def connection_lost(self, exc: Exception | None) -> None:
            if self.timer is not None:
                self.timer.cancel()
            silent.pop(self.transport, None)  # type: ignore[arg-type]
            count[0] -= 1
            self.inner.connection_lost(exc)

        def pause_writing(self) -> None:
            self.inner.pause_writing()

        def resume_writing(self) -> None:
            self.inner.resume_writing()

    Guarded.__name__ = f"Guarded{protocol_class.__name__}"
    return Guarded
