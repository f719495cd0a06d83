"""May a platform start on this state directory? The check every opener of the database runs first.

A state directory that holds a platform's state (a project repository, job directories,
deployments, notebooks, a WAL file, the initial password) with a missing, empty or unreadable
database is never initialised over: that would replace every tenant, user, job, model and
deployment with a brand-new platform (issue 8 §1). A database that fails SQLite's
``PRAGMA integrity_check`` (https://www.sqlite.org/pragma.html#pragma_integrity_check) is refused
too. The refusal is one line naming the file, saying that nothing was changed, and how to recover:
``mlops-tui platform restore FILE`` from a backup, or ``mlops-tui platform move-aside`` to keep the
damaged directory and start afresh. Stdlib only (the CLI's ``backup``/``restore`` use it).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"
# What a running platform writes that is state (logs/, cache/, platform.json, platform.lock and
# platform.refused are not: they can be lost without losing anything).
STATE_ENTRIES = ("repo", "jobs", "deployments", "notebooks", "initial-password")
DB_COMPANIONS = ("platform.db-wal", "platform.db-shm")
RECOVERY = (
    "restore a backup with `mlops-tui platform restore FILE`, or, without a backup, keep this "
    "directory and start a new platform with `mlops-tui platform move-aside`"
)


class StateRefused(RuntimeError):
    """The state directory must not be opened as it is; ``str()`` is the one-line diagnosis."""


def state_held(root: Path, limit: int = 3) -> list[str]:
    """Up to ``limit`` entries of ``root`` (relative paths) that show a platform's state is there."""
    found: list[str] = []
    for name in (*DB_COMPANIONS, *STATE_ENTRIES):
        path = root / name
        if path.is_file():
            found.append(name)
        elif path.is_dir():
            found.extend(_first_files(path, root, limit - len(found)))
        if len(found) >= limit:
            break
    return found[:limit]


def _first_files(directory: Path, root: Path, limit: int) -> list[str]:
    out: list[str] = []
    try:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                out.append(str(path.relative_to(root)))
                if len(out) >= limit:
                    break
    except OSError:
        pass
    return out


def database_problem(db: Path) -> str | None:
    """What is wrong with an existing, non-empty database file, or None when it is sound.

    Opens it read-only (``mode=ro``: it never checkpoints or writes the database) and runs
    ``PRAGMA integrity_check``.
    """
    try:
        with db.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if header != SQLITE_HEADER:
        return "is not an SQLite database (its header is wrong)"
    # Without a WAL (a clean stop) ``immutable=1`` reads the file alone and creates no -wal/-shm;
    # with one (a crash) the WAL holds committed pages, so it is read too (SQLite may add a -shm).
    immutable = "" if db.with_name(db.name + "-wal").exists() else "&immutable=1"
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro{immutable}", uri=True, timeout=10)
    except sqlite3.Error as exc:
        return f"cannot be opened ({exc})"
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        if [r[0] for r in rows] != ["ok"]:
            return f"is damaged (integrity check: {rows[0][0]})"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "users" in tables and conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] > 0:
            return None
        return "holds no users (it is not this platform's database, or it was emptied)"
    except sqlite3.Error as exc:
        return f"is damaged ({exc})"
    finally:
        conn.close()


def check_state(root: Path) -> None:
    """Raise :class:`StateRefused` when a platform must not open ``root`` as it is; else return.

    A directory without any state (a first start) passes with or without a database.
    """
    db = root / "platform.db"
    held = state_held(root)
    try:
        size = db.stat().st_size
    except FileNotFoundError:
        size = None
    except OSError as exc:
        raise StateRefused(
            f"the platform's database {db} cannot be read ({exc.strerror}); nothing was changed. "
            f"Fix its permissions, or {RECOVERY}"
        ) from None
    if size is None or size == 0:
        if not held:
            return
        what = "is missing" if size is None else "is empty (0 bytes)"
        raise StateRefused(
            f"refusing to start: the platform's database {db} {what}, but {root} holds a platform's "
            f"state ({', '.join(held)}): starting would replace it with a new, empty platform. "
            f"Nothing was changed. To recover, {RECOVERY}"
        )
    problem = database_problem(db)
    if problem is None:
        return
    if problem.startswith("holds no users") and not held:
        return  # a first start that stopped before its first user: finish it
    raise StateRefused(
        f"refusing to start: the platform's database {db} {problem}. Nothing was changed. "
        f"To recover, {RECOVERY}"
    )
