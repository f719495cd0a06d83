"""Tenants, users and sessions: the Ezmeral session protocol over SQLite.

Passwords are stored as salted scrypt hashes (deliberately slow); sessions are random UUIDs whose
sha256 is stored, so the database alone never lets anyone take over a session. A session is bound
to one tenant, and that tenant scopes every other object of the platform.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from mlops_tui.platform import names
from mlops_tui.platform.access import ATTENDEE, MEMBER, ROLES
from mlops_tui.platform.db import Database
from mlops_tui.platform.errors import ApiError, conflict, session_expired
from mlops_tui.platform.login_backoff import LoginBackoff, fingerprint
from mlops_tui.platform.state import utcnow

SESSION_PREFIX = "/api/v2/session/"
_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~50 ms and 16 MiB per hash


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        digest = hashlib.scrypt(
            password.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, expected)


_DUMMY_HASH = hash_password(secrets.token_hex(8))


def generate_password() -> str:
    return secrets.token_urlsafe(15)


@dataclass(frozen=True)
class SessionInfo:
    uuid: str
    user: str
    tenant: str
    namespace: str
    expires_at: str
    role: str = "member"

    @property
    def id(self) -> str:
        return SESSION_PREFIX + self.uuid

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "user": self.user,
            "tenant": self.tenant,
            "role": self.role,
            "expires_at": self.expires_at,
            "namespace": self.namespace,
        }


def _key(session_uuid: str) -> str:
    return hashlib.sha256(session_uuid.encode()).hexdigest()


class Auth:
    def __init__(self, db: Database, ttl_minutes: float = 1440) -> None:
        self.db = db
        self.ttl = timedelta(minutes=ttl_minutes)
        self.backoff = LoginBackoff()

    # -- tenants and users (admin side: no HTTP)
    def tenants(self) -> list[dict[str, Any]]:
        return self.db.query("SELECT * FROM tenants ORDER BY created_at")

    def namespace(self, tenant: str) -> str | None:
        row = self.db.one("SELECT namespace FROM tenants WHERE name = ?", (tenant,))
        return row["namespace"] if row else None

    def ensure_tenant(self, tenant: str) -> bool:
        """Create ``tenant`` if new; True when it was created."""
        names.check("tenant", tenant)
        if self.namespace(tenant) is not None:
            return False
        ns = names.namespace_for(tenant)
        if self.db.one("SELECT name FROM tenants WHERE namespace = ?", (ns,)):
            raise conflict(
                f"tenant {names.shown(tenant)} would share namespace {names.shown(ns)} "
                "with an existing tenant",
                "tenant",
            )
        self.db.execute(
            "INSERT INTO tenants (name, namespace, created_at) VALUES (?, ?, ?)", (tenant, ns, utcnow())
        )
        return True

    def set_user(self, tenant: str, user: str, password: str, role: str | None = None) -> bool:
        """Add ``user`` to ``tenant`` (which must exist) or reset their password; True when added.

        ``role`` (``member``, ``facilitator``, ``attendee``; see :mod:`access`) is set when given;
        a new user without one is a ``member``.
        """
        names.check("user", user)
        if not password:
            raise ValueError("the password must not be empty")
        if role is not None and role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {names.shown(role)}")
        pw_hash = hash_password(password)
        existing = self.db.one("SELECT 1 FROM users WHERE tenant = ? AND name = ?", (tenant, user))
        if existing:
            self.db.execute(
                "UPDATE users SET password_hash = ?, role = COALESCE(?, role) WHERE tenant = ? AND name = ?",
                (pw_hash, role, tenant, user),
            )
            return False
        self.db.execute(
            "INSERT INTO users (tenant, name, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?)",
            (tenant, user, pw_hash, role or MEMBER, utcnow()),
        )
        return True

    def user_count(self) -> int:
        return int(self.db.one("SELECT COUNT(*) AS n FROM users")["n"])  # type: ignore[index]

    def principal_count(self) -> int:
        """Users plus tenants beyond the first: more than 1 means someone else's code runs here."""
        row = self.db.one("SELECT (SELECT COUNT(*) FROM users) AS u, (SELECT COUNT(*) FROM tenants) AS t")
        assert row is not None
        return max(int(row["u"]), int(row["t"]))

    def users(self, tenant: str) -> list[dict[str, Any]]:
        """The tenant's users: ``name``, ``role``, ``created_at``, ``last_login_at`` (no hashes)."""
        return self.db.query(
            "SELECT name, role, created_at, last_login_at FROM users WHERE tenant = ? ORDER BY name",
            (tenant,),
        )

    def role_of(self, tenant: str, user: str) -> str:
        row = self.db.one("SELECT role FROM users WHERE tenant = ? AND name = ?", (tenant, user))
        return row["role"] if row else MEMBER

    def attendee_folders(self, tenant: str) -> dict[str, str]:
        """Folder name → user id of every attendee of ``tenant`` (their private repository folders)."""
        rows = self.db.query("SELECT name FROM users WHERE tenant = ? AND role = ?", (tenant, ATTENDEE))
        return {names.user_folder(r["name"]): r["name"] for r in rows}

    # -- sessions (blocking: login hashes; call it in a thread)
    def login(
        self, name: str, password: str, tenant: str, client: str = "local", *, owner: bool = False
    ) -> SessionInfo:
        """A new session; 401 on a wrong name, password or tenant, 429 while backing off.

        ``client`` identifies the caller for the back-off (its address, on loopback with the uid
        owning its socket: :mod:`peer`); ``owner``: that uid is the platform's own (see
        ``login_backoff``).
        """
        row = self.db.one(
            "SELECT u.password_hash, u.role, t.namespace FROM users u "
            "JOIN tenants t ON t.name = u.tenant WHERE u.tenant = ? AND u.name = ?",
            (tenant, name),
        )
        stored = row["password_hash"] if row else _DUMMY_HASH
        with self.backoff.attempt(
            f"{tenant}/{name}",
            client,
            known=row is not None,
            owner=owner,
            secret=fingerprint(password, stored),
        ) as succeeded:
            ok = verify_password(password, stored)
            if not row or not ok:
                raise ApiError(401, "auth_failed", "wrong user name, password or tenant")
            succeeded()
        sid = str(uuid.uuid4())
        now = datetime.now(UTC)
        expires = (now + self.ttl).isoformat(timespec="seconds")
        self.db.execute(
            "INSERT INTO sessions (key, tenant, user, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (_key(sid), tenant, name, now.isoformat(timespec="seconds"), expires),
        )
        self.db.execute(
            "UPDATE users SET last_login_at = ? WHERE tenant = ? AND name = ?", (utcnow(), tenant, name)
        )
        return SessionInfo(sid, name, tenant, row["namespace"], expires, row["role"])

    def session(self, value: str | None) -> SessionInfo:
        """Resolve an ``X-BDS-SESSION`` value (the whole Location path, or the bare UUID)."""
        if not value:
            raise session_expired(
                "no session: log in with POST /api/v2/session and send its Location header as X-BDS-SESSION"
            )
        sid = value.strip().removeprefix(SESSION_PREFIX)
        row = self.db.one(
            "SELECT s.*, t.namespace, u.role FROM sessions s JOIN tenants t ON t.name = s.tenant "
            "JOIN users u ON u.tenant = s.tenant AND u.name = s.user WHERE s.key = ?",
            (_key(sid),),
        )
        if row is None:
            raise session_expired("the session is unknown or logged out: log in again")
        if datetime.fromisoformat(row["expires_at"]) <= datetime.now(UTC):
            self.db.execute("DELETE FROM sessions WHERE key = ?", (_key(sid),))
            raise session_expired("the session has expired: log in again")
        return SessionInfo(sid, row["user"], row["tenant"], row["namespace"], row["expires_at"], row["role"])

    def logout(self, sid: str) -> None:
        self.db.execute("DELETE FROM sessions WHERE key = ?", (_key(sid),))

    def purge_expired(self) -> None:
        self.db.execute("DELETE FROM sessions WHERE expires_at <= ?", (datetime.now(UTC).isoformat(),))
