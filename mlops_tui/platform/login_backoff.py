"""Back-off on failed logins, per user and per client address.

Without it a client could try passwords as fast as scrypt allows (50 wrong passwords for one user
in 3.2 s, then the right one was accepted). The rule follows the exponential-delay lockout of
OWASP's Authentication Cheat Sheet:

- a key (the user ``tenant/name`` as given; the client's address) may fail ``free`` times freely;
- every further failure locks the key for ``base * 2**(n - 1)`` seconds, at most ``cap`` (30 s),
  so one burst of guesses locks a real user out for half a minute at most;
- an attempt on a locked key is answered 429 with ``Retry-After`` without checking the password
  (the right password too: otherwise the lock means nothing), and does not extend the lock;
- a success clears the user's failures, not the client's (a client holding one valid account must
  not clear its own counter between guesses at other accounts);
- failures are forgotten ``forget`` seconds (15 min) after the last one;
- once a key is past its free failures its attempts are checked one at a time, so parallel
  guesses cannot all slip in before the first failure locks it.

A user key has 5 free failures; a client address 20, as every user of a jump host may share one
address (loopback). State is in memory: a platform restart forgets it, which costs an attacker a
restart they cannot cause. At most ``max_keys`` keys are kept (the oldest are dropped first).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mlops_tui.platform.errors import ApiError
from mlops_tui.platform.names import shown

USER_FREE_FAILURES = 5
CLIENT_FREE_FAILURES = 20
BASE_DELAY_S = 1.0
MAX_DELAY_S = 30.0
FORGET_AFTER_S = 15 * 60.0
MAX_KEYS = 10_000


class TooManyAttempts(ApiError):
    """429: the user or the client is locked for ``retry_after`` more seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(429, "rate_limited", message)
        self.retry_after = retry_after


@dataclass
class _Key:
    free: int
    failures: int = 0
    pending: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


class LoginBackoff:
    """Thread-safe (logins hash passwords in worker threads); ``clock`` is injectable for tests."""

    def __init__(
        self,
        *,
        user_free: int = USER_FREE_FAILURES,
        client_free: int = CLIENT_FREE_FAILURES,
        base: float = BASE_DELAY_S,
        cap: float = MAX_DELAY_S,
        forget: float = FORGET_AFTER_S,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.user_free, self.client_free = user_free, client_free
        self.base, self.cap, self.forget, self.max_keys = base, cap, forget, max_keys
        self.clock = clock
        self._keys: OrderedDict[str, _Key] = OrderedDict()
        self._lock = threading.Lock()

    @contextmanager
    def attempt(self, user: str, client: str) -> Iterator[Callable[[], None]]:
        """Guard one password check: raises :class:`TooManyAttempts` when locked.

        Yields ``succeeded()``; leaving the block without calling it counts as a failure.
        """
        keys = (f"user:{user}", f"client:{client}")
        frees = (self.user_free, self.client_free)
        what = (f"for user {shown(user.split('/', 1)[-1])}", "from this address")
        with self._lock:
            now = self.clock()
            entries = [self._entry(k, free, now) for k, free in zip(keys, frees, strict=True)]
            for entry, label in zip(entries, what, strict=True):
                if entry.locked_until > now:
                    wait = max(1, math.ceil(entry.locked_until - now))
                    raise TooManyAttempts(
                        f"too many failed logins {label}: try again in {wait} s", retry_after=wait
                    )
                if entry.pending and entry.failures + entry.pending >= entry.free:
                    raise TooManyAttempts(
                        f"too many failed logins {label}: another attempt is being checked; try again in 1 s",
                        retry_after=1,
                    )
            for entry in entries:
                entry.pending += 1
        ok = False

        def succeeded() -> None:
            nonlocal ok
            ok = True

        try:
            yield succeeded
        finally:
            with self._lock:
                now = self.clock()
                for key, entry in zip(keys, entries, strict=True):
                    entry.pending -= 1
                    if ok:
                        if key.startswith("user:"):
                            entry.failures, entry.locked_until = 0, 0.0
                        continue
                    entry.failures += 1
                    entry.last_failure = now
                    beyond = entry.failures - entry.free
                    if beyond > 0:
                        entry.locked_until = now + min(self.base * 2 ** (beyond - 1), self.cap)

    def _entry(self, key: str, free: int, now: float) -> _Key:
        entry = self._keys.get(key)
        if entry is not None and not entry.pending and now - entry.last_failure > self.forget:
            entry = None  # forgiven
        if entry is None:
            entry = _Key(free)
            self._keys[key] = entry
            while len(self._keys) > self.max_keys:
                oldest, old = next(iter(self._keys.items()))
                if old.pending:
                    break
                del self._keys[oldest]
        self._keys.move_to_end(key)
        return entry
