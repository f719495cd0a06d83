"""A bounded number of open connections, where an idle one gives way to a new one.

4,200 idle connections opened without any token once took every file descriptor of a prediction
server: valid predictions then timed out for about 15 s at a time until the supervisor restarted
it. A server cannot tell who is authenticated before a request arrives, so refusing new
connections at a limit would starve the valid clients along with the idle ones. Instead a full
server closes an *idle* connection to admit the new one: first the oldest that has never sent a
request (a silent connection), else the oldest kept alive after a request that has been idle for
``min_idle`` (a connection between two requests of a busy client is idle for a moment only, and
its next request may already wait in the kernel while a burst of new connections is accepted).
A connection that is reading, scoring or answering a request is never closed. When nothing may
give way, the new connection is turned away. Idle connections also time out (the server's head
and keep-alive timeouts), so they cannot pile up slowly either.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Protocol


class Closable(Protocol):
    def close(self) -> None: ...


class ConnectionSlots:
    """``limit`` connections at most; ``evicted`` counts the idle ones closed to make room."""

    def __init__(self, limit: int, min_idle: float = 1.0) -> None:
        self.limit = limit
        self.min_idle = min_idle
        self._fresh: OrderedDict[Closable, None] = OrderedDict()  # no request yet, oldest first
        self._kept: OrderedDict[Closable, float] = OrderedDict()  # between requests, with idle-since
        self._busy: set[Closable] = set()
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._fresh) + len(self._kept) + len(self._busy)

    @property
    def busy(self) -> int:
        return len(self._busy)

    def admit(self, conn: Closable) -> bool:
        """Take a new connection; False when no slot is free nor may be freed."""
        if len(self) >= self.limit:
            if self._fresh:
                victim, _ = self._fresh.popitem(last=False)
            elif self._kept and time.monotonic() - next(iter(self._kept.values())) >= self.min_idle:
                victim, _ = self._kept.popitem(last=False)
            else:
                return False
            victim.close()
            self.evicted += 1
        self._fresh[conn] = None
        return True

    def start_request(self, conn: Closable) -> None:
        self._fresh.pop(conn, None)
        self._kept.pop(conn, None)
        self._busy.add(conn)

    def end_request(self, conn: Closable) -> None:
        """The connection waits for its next request (kept alive)."""
        self._busy.discard(conn)
        self._kept[conn] = time.monotonic()

    def release(self, conn: Closable) -> None:
        self._fresh.pop(conn, None)
        self._kept.pop(conn, None)
        self._busy.discard(conn)

    def close_kept_alive(self, idle_for: float) -> None:
        """Close the connections kept alive after a request that have been idle ``idle_for``
        seconds (the server is stopping: a client still using its connection gets its next answer,
        with ``Connection: close``, rather than a connection closed under its request). Fresh
        ones may be carrying their first request right now: they are answered, then closed.
        """
        cutoff = time.monotonic() - idle_for
        for conn in [c for c, since in self._kept.items() if since <= cutoff]:
            del self._kept[conn]
            conn.close()
