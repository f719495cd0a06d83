"""A bounded number of open connections, where an idle one gives way to a new one.

4,200 idle connections opened without any token once took every file descriptor of a prediction
server: valid predictions then timed out for about 15 s at a time until the supervisor restarted
it. A server cannot tell who is authenticated before a request arrives, so refusing new
connections at a limit would starve the valid clients along with the idle ones. Instead a full
server closes its oldest *idle* connection (one waiting for a request head: never authenticated,
or a keep-alive connection not in use) to admit the new one; a connection that is reading, scoring
or answering a request is never closed. Idle connections also time out (the server's head and
keep-alive timeouts), so they cannot pile up slowly either.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Protocol


class Closable(Protocol):
    def close(self) -> None: ...


class ConnectionSlots:
    """``limit`` connections at most; ``evicted`` counts the idle ones closed to make room."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._idle: OrderedDict[Closable, float] = OrderedDict()  # oldest first, with idle-since
        self._busy: set[Closable] = set()
        self._fresh: set[Closable] = set()  # admitted, no request yet
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._idle) + len(self._busy)

    @property
    def busy(self) -> int:
        return len(self._busy)

    def admit(self, conn: Closable) -> bool:
        """Take a new (idle) connection; False when every slot is busy with a request."""
        while len(self) >= self.limit:
            if not self._idle:
                return False
            oldest, _ = self._idle.popitem(last=False)
            self._fresh.discard(oldest)
            oldest.close()
            self.evicted += 1
        self._idle[conn] = time.monotonic()
        self._fresh.add(conn)
        return True

    def start_request(self, conn: Closable) -> None:
        self._idle.pop(conn, None)
        self._fresh.discard(conn)
        self._busy.add(conn)

    def end_request(self, conn: Closable) -> None:
        """The connection waits for its next request: the most recently used idle one."""
        self._busy.discard(conn)
        self._idle[conn] = time.monotonic()

    def release(self, conn: Closable) -> None:
        self._idle.pop(conn, None)
        self._fresh.discard(conn)
        self._busy.discard(conn)

    def close_kept_alive(self, idle_for: float) -> None:
        """Close the connections kept alive after a request that have been idle ``idle_for``
        seconds (the server is stopping: a client still using its connection gets its next answer,
        with ``Connection: close``, rather than a connection closed under its request). Fresh
        ones may be carrying their first request right now: they are answered, then closed.
        """
        cutoff = time.monotonic() - idle_for
        for conn in [c for c, since in self._idle.items() if c not in self._fresh and since <= cutoff]:
            del self._idle[conn]
            conn.close()
