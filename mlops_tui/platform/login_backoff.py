"""Back-off on failed logins that slows a guesser and cannot be turned against a real user.

Without it a client could try passwords as fast as scrypt allows (50 wrong passwords for one user
in 3.2 s, then the right one was accepted). A first version locked a user name and a client
address: on loopback every client is 127.0.0.1, so anyone on the host who looped over made-up
names locked the owner out of their own platform, and after such an attack one typo locked
everyone for 30 s. The rule now follows OWASP's Authentication Cheat Sheet (count failures per
account, lock with an exponential delay rather than for good, and keep an attacker from locking
real users out) and its "Slow Down Online Guessing Attacks with Device Cookies" (a client that has
logged in as a user before is not held by others' failures), with the client told apart by the OS
user that owns its socket on loopback (:mod:`peer`):

- **A client** is its address, or on loopback the address and the uid that owns its socket
  (``"127.0.0.1 uid 1000"``): users of one host are different clients.
- **Per user and client** (``pair``): ``PAIR_FREE`` (5) free failures, then each further failure
  locks that client out of that user for ``base * 2**(n - 1)`` s, at most ``cap`` (30 s). While it
  is locked the client's attempts on that user are answered 429 with ``Retry-After`` without
  checking the password (the right one too: otherwise the lock means nothing). This is the limit
  on guessing one password.
- **Per user** (all clients: guesses spread over many addresses): ``USER_FREE`` (20) free, then
  locked the same way, for clients that are not trusted for that user. Trusted: a client that has
  logged in as that user before (in this platform's lifetime), and the platform owner's own uid on
  loopback (it can read the state directory and reset any password: holding it back protects
  nothing).
- **Per client** (all names: a guesser trying many accounts): ``CLIENT_FREE`` (20) free, then
  locked the same way; while locked, its attempts at names that have failures of their own are
  refused at once, unless the client is trusted for that name. A name with no failures is always
  checked, so a correct password of a user who has no failures of their own is never refused.
- **A refused password sent again** by the same client for the same user (a TUI or script that
  keeps its stored password after the facilitator reset it) is answered 401 at once and counted
  once, not again: it tells a guesser nothing new (it is the same guess), and counting it locked
  the person out of their own account when they typed the new password from the same host (all
  attendees of a class are 127.0.0.1, often one uid). The client keeps the fingerprints
  (``REPEAT_MEMORY`` of them per user and client) of the passwords it was refused, as an HMAC
  under a key that lives in this process only, over the password *and the stored hash*: once the
  password is changed no old fingerprint matches, so a secret that became right is checked again.
  Only different passwords count, so the limits on guessing are the same as before.
- An attempt during a lock does not extend it; a success clears that user-and-client's failures
  and makes the client trusted for the user; failures are forgotten ``forget`` s (15 min) after the
  last one; once a key is past its free failures its attempts are checked one at a time, so
  parallel guesses cannot all slip in before the first failure locks it.

What follows: someone who does not know your user name cannot lock you out at all (their
failures are on other names, and the names they fail on are theirs to wait for); failures against
unknown users never delay a known user's correct login; someone who knows your name locks only
their own client out of it, and the user-wide lock never holds a client you have logged in from
(where the uid cannot be told, i.e. not on Linux, they share your client and can make you wait up
to ``cap`` at a time). Names that do not exist are counted the same way (in a store of their own),
so the answers do not tell which names exist.

State is in memory: a platform restart forgets it, which costs an attacker a restart they cannot
cause. Each store keeps at most ``max_keys`` keys (the oldest are dropped first); made-up names
cannot push out the keys of real users, which are kept apart.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from mlops_tui.platform.errors import ApiError
from mlops_tui.platform.names import shown

PAIR_FREE_FAILURES = 5
USER_FREE_FAILURES = 20
CLIENT_FREE_FAILURES = 20
BASE_DELAY_S = 1.0
MAX_DELAY_S = 30.0
FORGET_AFTER_S = 15 * 60.0
MAX_KEYS = 10_000
REPEAT_MEMORY = 8  # refused passwords remembered per user and client (a stale client sends one)
_FINGERPRINT_KEY = secrets.token_bytes(32)  # this process only: fingerprints mean nothing elsewhere


def fingerprint(password: str, stored_hash: str) -> bytes:
    """The HMAC-SHA256 of ``password`` with the user's ``stored_hash`` under a key of this process
    (never stored): equal for the same password until the user's password changes."""
    return hmac.new(_FINGERPRINT_KEY, f"{stored_hash}\n{password}".encode(), hashlib.sha256).digest()


class RepeatedFailure(ApiError):
    """401: this client was refused this very password for this user already (not counted again)."""

    def __init__(self) -> None:
        super().__init__(401, "auth_failed", "wrong user name, password or tenant")


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
    refused: list[bytes] = field(default_factory=list)  # pair keys: fingerprints of refused passwords


class _Store:
    """Keys with LRU eviction (a key with an attempt in progress is never dropped)."""

    def __init__(self, max_keys: int) -> None:
        self.max_keys = max_keys
        self.keys: OrderedDict[str, _Key] = OrderedDict()

    def entry(self, key: str, free: int, now: float, forget: float) -> _Key:
        entry = self.keys.get(key)
        if entry is not None and not entry.pending and now - entry.last_failure > forget:
            entry = None  # forgiven
        if entry is None:
            entry = _Key(free)
            self.keys[key] = entry
            while len(self.keys) > self.max_keys:
                oldest, old = next(iter(self.keys.items()))
                if old.pending:
                    break
                del self.keys[oldest]
        self.keys.move_to_end(key)
        return entry


class LoginBackoff:
    """Thread-safe (logins hash passwords in worker threads); ``clock`` is injectable for tests."""

    def __init__(
        self,
        *,
        pair_free: int = PAIR_FREE_FAILURES,
        user_free: int = USER_FREE_FAILURES,
        client_free: int = CLIENT_FREE_FAILURES,
        base: float = BASE_DELAY_S,
        cap: float = MAX_DELAY_S,
        forget: float = FORGET_AFTER_S,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pair_free, self.user_free, self.client_free = pair_free, user_free, client_free
        self.base, self.cap, self.forget = base, cap, forget
        self.clock = clock
        self._known = _Store(max_keys)  # pair and user keys of users who exist
        self._unknown = _Store(max_keys)  # the same for made-up names: they cannot push out the above
        self._clients = _Store(max_keys)
        self._trusted: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._max_keys = max_keys
        self._lock = threading.Lock()

    @contextmanager
    def attempt(
        self,
        user: str,
        client: str,
        *,
        known: bool = True,
        owner: bool = False,
        secret: bytes | None = None,
    ) -> Iterator[Callable[[], None]]:
        """Guard one password check of ``user`` (``tenant/name``) by ``client``; raises
        :class:`TooManyAttempts` when it must wait, :class:`RepeatedFailure` when ``secret`` (the
        attempt's :func:`fingerprint`) was refused to this client for this user before. ``known``:
        the user exists. ``owner``: the client is the platform owner's own uid on loopback
        (trusted for every user).

        Yields ``succeeded()``; leaving the block without calling it counts as a failure.
        """
        store = self._known if known else self._unknown
        name = shown(user.split("/", 1)[-1])
        with self._lock:
            now = self.clock()
            trusted = owner or (user, client) in self._trusted
            pair = store.entry(f"pair:{user}\n{client}", self.pair_free, now, self.forget)
            user_key = store.entry(f"user:{user}", self.user_free, now, self.forget)
            client_key = self._clients.entry(f"client:{client}", self.client_free, now, self.forget)
            if secret is not None and any(hmac.compare_digest(secret, r) for r in pair.refused):
                raise RepeatedFailure()  # the same guess again: known wrong, counted once already
            guards = [(pair, f"for user {name} from this client")]
            if not trusted:
                guards.append((user_key, f"for user {name}"))
                if user_key.failures + user_key.pending > 0:  # a name with failures of its own
                    guards.append((client_key, "from this client"))
            for entry, label in guards:
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
            counted = (pair, user_key, client_key)
            for entry in counted:
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
                for entry in counted:
                    entry.pending -= 1
                if ok:
                    pair.failures, pair.locked_until, pair.refused = 0, 0.0, []
                    self._trust(user, client)
                else:
                    for entry in counted:
                        self._fail(entry, now)
                    if secret is not None:
                        pair.refused = [*pair.refused, secret][-REPEAT_MEMORY:]

    def _fail(self, entry: _Key, now: float) -> None:
        entry.failures += 1
        entry.last_failure = now
        beyond = entry.failures - entry.free
        if beyond > 0:
            # the exponent is capped too: 2.0 ** 1024 overflows, and a client can fail thousands of times
            entry.locked_until = now + min(self.base * 2.0 ** min(beyond - 1, 32), self.cap)

    def _trust(self, user: str, client: str) -> None:
        self._trusted[(user, client)] = None
        self._trusted.move_to_end((user, client))
        while len(self._trusted) > self._max_keys:
            self._trusted.popitem(last=False)
