"""SQLite storage of the platform: one connection, WAL, serialised by a lock.

Every query is tiny (a row or a few hundred), so the server calls them straight from the event
loop; the lock keeps the one connection safe when threads (``to_thread`` work, the ``add-user``
admin path) use it too. WAL lets ``add-user`` write while a platform is running.

Storage faults never leave as raw ``sqlite3`` errors: SQLITE_FULL becomes the 507 "disk full"
:class:`ApiError` (and is reported to ``on_disk_full``), a damaged or unreadable database the 503
"unavailable" one. A write that a background task cannot make for want of space can be deferred
(:meth:`Database.execute_or_defer`) and is replayed in order once space is back. The database file
and its ``-wal``/``-shm`` companions are private (0600): SQLite gives the companions the mode of
the database file, so the file is created 0600 before SQLite opens it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlops_tui.platform.errors import ApiError, disk_full, storage_unavailable

log = logging.getLogger("mlops_tui.platform.db")

# Primary result codes (https://www.sqlite.org/rescode.html); Python 3.11 exposes them on errors.
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_NOTADB = 11, 13, 14, 10, 26
SQLITE_READONLY = 8
_UNUSABLE = {SQLITE_CORRUPT, SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_NOTADB, SQLITE_READONLY}
COMPANIONS = ("-wal", "-shm")


def sqlite_code(exc: BaseException) -> int | None:
    """The primary SQLite result code of ``exc`` (extended codes folded), or None."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF
    if "database or disk is full" in str(exc):
        return SQLITE_FULL
    return None


def companions(path: Path) -> list[Path]:
    """``platform.db-wal`` and ``platform.db-shm`` of the database ``path``."""
    return [path.with_name(path.name + suffix) for suffix in COMPANIONS]


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (SQLite then copies the mode)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))


SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tenants (
    name TEXT PRIMARY KEY, namespace TEXT UNIQUE NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    tenant TEXT NOT NULL REFERENCES tenants(name), name TEXT NOT NULL, password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'member', created_at TEXT NOT NULL, PRIMARY KEY (tenant, name));
CREATE TABLE IF NOT EXISTS sessions (
    key TEXT PRIMARY KEY, tenant TEXT NOT NULL, user TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS clusters (
    tenant TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, members INTEGER NOT NULL,
    cpu TEXT NOT NULL, memory TEXT NOT NULL, connections TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL, message TEXT NOT NULL DEFAULT '', token TEXT, port INTEGER, pid INTEGER,
    restarts INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, PRIMARY KEY (tenant, name));
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, tenant TEXT NOT NULL, user TEXT NOT NULL,
    cluster TEXT NOT NULL, name TEXT NOT NULL, code TEXT NOT NULL, entrypoint TEXT NOT NULL,
    data TEXT NOT NULL, output TEXT NOT NULL, params TEXT NOT NULL, state TEXT NOT NULL,
    exit_code INTEGER, message TEXT NOT NULL DEFAULT '', metrics TEXT NOT NULL DEFAULT '{}',
    data_fingerprint TEXT NOT NULL DEFAULT '', pid INTEGER, submitted_at TEXT NOT NULL,
    started_at TEXT, finished_at TEXT);
CREATE INDEX IF NOT EXISTS jobs_tenant ON jobs (tenant, id);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, id);
CREATE TABLE IF NOT EXISTS job_rounds (
    job_id INTEGER NOT NULL, round INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (job_id, round));
CREATE TABLE IF NOT EXISTS models (
    tenant TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, PRIMARY KEY (tenant, name));
CREATE TABLE IF NOT EXISTS model_versions (
    tenant TEXT NOT NULL, model TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL,
    path TEXT NOT NULL, scoring_path TEXT NOT NULL, model_type TEXT NOT NULL, checksums TEXT NOT NULL,
    metrics TEXT NOT NULL, lineage TEXT NOT NULL, stage TEXT NOT NULL, input_schema TEXT NOT NULL,
    manifest TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL,
    PRIMARY KEY (tenant, model, version));
CREATE TABLE IF NOT EXISTS deployments (
    tenant TEXT NOT NULL, name TEXT NOT NULL, model TEXT NOT NULL, version INTEGER NOT NULL,
    port INTEGER NOT NULL, token TEXT NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL DEFAULT '',
    restarts INTEGER NOT NULL DEFAULT 0, pid INTEGER, created_at TEXT NOT NULL,
    serving TEXT NOT NULL DEFAULT '{}', PRIMARY KEY (tenant, name));
CREATE TABLE IF NOT EXISTS broadcasts (
    tenant TEXT PRIMARY KEY, message TEXT NOT NULL, author TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS prediction_progress (
    tenant TEXT NOT NULL, name TEXT NOT NULL, created_at TEXT NOT NULL, total INTEGER NOT NULL,
    last_at TEXT, server_count INTEGER NOT NULL, server_started REAL NOT NULL,
    PRIMARY KEY (tenant, name));
"""

# Columns added after their table was first shipped: ``ALTER TABLE`` adds the missing ones on open,
# so a database made by an older version gains them (existing rows get the default: an object
# made before owners existed has owner '', which only a member or the facilitator may change; a
# deployment made before serving settings has none, so the defaults of deployments.SERVING_DEFAULTS).
ADDED_COLUMNS = (
    ("clusters", "owner", "TEXT NOT NULL DEFAULT ''"),
    ("deployments", "owner", "TEXT NOT NULL DEFAULT ''"),
    ("deployments", "serving", "TEXT NOT NULL DEFAULT '{}'"),
    ("models", "owner", "TEXT NOT NULL DEFAULT ''"),
    ("users", "last_login_at", "TEXT"),
)


class Database:
    """A thread-safe wrapper around one SQLite connection in autocommit mode.

    ``on_disk_full(path)`` is called whenever a write fails for want of space (the platform's
    storage monitor sets it). Raises :class:`ApiError` 507 (disk full) or 503 (database unusable)
    instead of ``sqlite3`` errors.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.on_disk_full: Callable[[str], None] | None = None
        self._lock = threading.RLock()
        self._deferred: list[tuple[str, tuple[Any, ...] | dict[str, Any]]] = []
        create_private(path)
        with self._guard():
            self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
            self._conn.row_factory = sqlite3.Row
            with self._lock:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute("PRAGMA busy_timeout=10000")
                self._conn.executescript(SCHEMA)
                for table, column, decl in ADDED_COLUMNS:
                    have = {r[1] for r in self._conn.execute(f"PRAGMA table_info({table})")}
                    if column not in have:
                        self._conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
        for p in (path, *companions(path)):  # a state dir made by an older version: make them private
            with contextlib.suppress(FileNotFoundError):
                p.chmod(0o600)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            code = sqlite_code(exc)
            if code == SQLITE_FULL:
                if self.on_disk_full is not None:
                    self.on_disk_full(str(self.path))
                raise disk_full(str(self.path)) from exc
            if code in _UNUSABLE:
                log.error("the database %s cannot be used: %s", self.path, exc)
                raise storage_unavailable(str(self.path), str(exc)) from exc
            raise

    def close(self) -> None:
        """Checkpoint the WAL into the database file, then close: ``platform.db`` alone is then whole."""
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA busy_timeout=1000")  # a reader elsewhere must not hold up a stop
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        with self._lock:
            self._conn.close()

    def checkpoint(self) -> None:
        """Copy what the WAL holds into ``platform.db`` (PASSIVE: never waits for readers)."""
        with self._lock, self._guard():
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def execute(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Cursor:
        with self._lock, self._guard():
            return self._conn.execute(sql, params)

    def execute_or_defer(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> bool:
        """Write now, or when space is back if the disk is full; True when written now.

        For state that background tasks record (a job's end, a server's pid): the task goes on,
        and :meth:`flush_deferred` replays the writes in their order. Later deferrable writes queue
        behind earlier ones so that order holds.
        """
        with self._lock:
            if not self._deferred:
                try:
                    self.execute(sql, params)
                    return True
                except ApiError as exc:
                    if exc.code != "insufficient_storage":
                        raise
            self._deferred.append((sql, params))
            return False

    def flush_deferred(self) -> bool:
        """Replay deferred writes in order; True when none is left (stops at the first that fails)."""
        with self._lock:
            while self._deferred:
                sql, params = self._deferred[0]
                try:
                    self.execute(sql, params)
                except ApiError as exc:
                    if exc.code == "insufficient_storage":
                        return False
                    log.error("a deferred write failed and is dropped: %s (%s)", exc.message, sql)
                self._deferred.pop(0)
            return True

    @property
    def deferred(self) -> int:
        return len(self._deferred)

    def meta(self, key: str) -> Any:
        """The JSON value stored under ``key`` in the ``meta`` table, or None."""
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return loads(row["value"]) if row else None

    def set_meta(self, key: str, value: Any) -> None:
        self.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, dumps(value)))

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self._lock, self._guard():
            return [dict(r) for r in self._conn.execute(sql, params).fetchall()]

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> dict[str, Any] | None:
        with self._lock, self._guard():
            row = self._conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` .. ``COMMIT``: read-then-write sequences (next version number) stay atomic."""
        with self._lock, self._guard():
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.execute("ROLLBACK")
                raise


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def loads(text: str | None, default: Any = None) -> Any:
    if not text:
        return default
    return json.loads(text)
