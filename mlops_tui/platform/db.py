"""SQLite storage of the platform: one connection, WAL, serialised by a lock.

Every query is tiny (a row or a few hundred), so the server calls them straight from the event
loop; the lock keeps the one connection safe when threads (``to_thread`` work, the ``add-user``
admin path) use it too. WAL lets ``add-user`` write while a platform is running.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
    PRIMARY KEY (tenant, name));
"""


class Database:
    """A thread-safe wrapper around one SQLite connection in autocommit mode."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._conn.row_factory = sqlite3.Row
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=10000")
            self._conn.executescript(SCHEMA)
        path.chmod(0o600)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def execute(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._conn.execute(sql, params).fetchall()]

    def one(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> dict[str, Any] | None:
        with self._lock:
            row = self._conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` .. ``COMMIT``: read-then-write sequences (next version number) stay atomic."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def loads(text: str | None, default: Any = None) -> Any:
    if not text:
        return default
    return json.loads(text)
