"""``mlops-tui platform backup FILE`` / ``restore FILE``: the whole platform as one archive.

The archive (gzip'd tar) holds what brings the platform back: ``platform.db`` copied with SQLite's
online backup API (https://www.sqlite.org/backup.html: a consistent snapshot even while the
platform runs and writes), the tenant project repositories (``repo/``: data, code, the model
bundles the registry and deployments point at), the job directories (``jobs/``: logs), the
deployment and notebook directories and ``initial-password``. Not kept: logs, the default-data
cache, the discovery and lock files. ``manifest.json``, written last, lists every member with its
size and SHA-256.

Restore refuses while the platform runs (it takes the platform's lock), and refuses an archive that
fails its own check (a member missing, extra, unsafe or with the wrong checksum, a damaged
database) before it changes anything. The state it replaces is moved, whole, to
``<state>.before-restore-<time>``; nothing is deleted. Stdlib only.

Files copied while the platform runs are read as they are at that moment: the database is the
consistent part, so a job running during the backup comes back as failed (interrupted), never as
finished without its bundle. A file that shrinks while it is read is padded, logged and kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from mlops_tui.platform.integrity import database_problem
from mlops_tui.platform.names import shown
from mlops_tui.platform.state import AlreadyRunning, PlatformLock, StatePaths, private_umask, utcnow

log = logging.getLogger("mlops_tui.platform.backup")

FORMAT = "mlops-tui-platform-backup"
FORMAT_VERSION = 1
DATABASE = "platform.db"
MANIFEST = "manifest.json"
TREES = ("repo", "jobs", "deployments", "notebooks")
FILES = ("initial-password",)
# What restore replaces (and moves aside first): the members above plus the database's companions.
REPLACED = (DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm", *TREES, *FILES)
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot be done; ``str()`` says why and what to do."""


@dataclass
class Summary:
    archive: Path
    files: int = 0
    bytes: int = 0
    moved_aside: Path | None = None
    changed_while_read: list[str] = field(default_factory=list)


class _HashingReader(io.RawIOBase):
    """Reads exactly ``size`` bytes of ``f`` for tarfile, hashing them; pads if the file shrank."""

    def __init__(self, f: IO[bytes], size: int) -> None:
        self.f, self.left, self.sha = f, size, hashlib.sha256()
        self.short = False

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        data = self.f.read(n) if n else b""
        if len(data) < n:
            self.short = True
            data += b"\0" * (n - len(data))
        self.left -= len(data)
        self.sha.update(data)
        return data


def _snapshot_database(db: Path, dest: Path) -> None:
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)  # pages=-1: every page in one step, under one read transaction
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"cannot copy the database {db}: {exc}") from None
    finally:
        src.close()


def _state_files(root: Path) -> list[tuple[str, Path]]:
    out = [(name, root / name) for name in FILES if (root / name).is_file()]
    for tree in TREES:
        base = root / tree
        if not base.is_dir():
            continue
        for dirpath, _dirs, files in os.walk(base):
            for name in files:
                path = Path(dirpath) / name
                if path.is_file() and not path.is_symlink():
                    out.append((path.relative_to(root).as_posix(), path))
    return sorted(out)


def backup(state_dir: Path, archive: Path, *, overwrite: bool = False) -> Summary:
    """Write the platform of ``state_dir`` to ``archive`` (0600, written whole or not at all)."""
    paths = StatePaths.resolve(state_dir)
    db = paths.db
    if not db.is_file() or db.stat().st_size == 0:
        raise BackupError(f"there is no platform database at {db}: nothing to back up")
    archive = archive.expanduser().absolute()
    if archive.exists() and not overwrite:
        raise BackupError(f"{archive} already exists: choose another name, or add --force to replace it")
    if not archive.parent.is_dir():
        raise BackupError(f"the directory {archive.parent} does not exist")
    summary = Summary(archive)
    with private_umask(), tempfile.TemporaryDirectory(dir=archive.parent, prefix=".mlops-backup-") as tmp:
        snapshot = Path(tmp) / DATABASE
        _snapshot_database(db, snapshot)
        problem = database_problem(snapshot)
        if problem is not None:
            raise BackupError(
                f"the platform's database {db} {problem}: a backup of it would not restore; "
                "restore an older backup instead"
            )
        partial = Path(tmp) / "archive.tar.gz"
        members: dict[str, dict[str, Any]] = {}
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            for name, path in [(DATABASE, snapshot), *_state_files(paths.root)]:
                try:
                    f = path.open("rb")
                except OSError as exc:  # removed while we walked (a deleted job dir): not state any more
                    log.warning("not backed up: %s (%s)", path, exc.strerror)
                    continue
                with f:
                    info = tar.gettarinfo(fileobj=f, arcname=name)
                    info.uid = info.gid = 0
                    info.uname = info.gname = ""
                    reader = _HashingReader(f, info.size)
                    tar.addfile(info, reader)  # type: ignore[arg-type]
                if reader.short:
                    summary.changed_while_read.append(name)
                members[name] = {"size": info.size, "sha256": reader.sha.hexdigest()}
                summary.files += 1
                summary.bytes += info.size
            manifest = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "created_at": utcnow(),
                "state_dir": str(paths.root),
                "files": members,
            }
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
        os.chmod(partial, 0o600)
        os.replace(partial, archive)
    return summary


def _safe_name(name: str) -> str | None:
    p = PurePosixPath(name)
    if p.is_absolute() or not p.parts or any(part in ("..", "") for part in p.parts):
        return None
    top = p.parts[0]
    if name in (DATABASE, MANIFEST) or (len(p.parts) == 1 and top in FILES):
        return name
    return name if top in TREES and len(p.parts) > 1 else None


def _extract_verified(archive: Path, staging: Path) -> int:
    """Extract into ``staging`` while hashing; raise :class:`BackupError` unless all of it checks out."""
    seen: dict[str, str] = {}
    manifest: dict[str, Any] | None = None
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for info in tar:
                name = _safe_name(info.name)
                if name is None or not info.isfile():
                    raise BackupError(f"it holds an unexpected member {shown(info.name)}")
                src = tar.extractfile(info)
                assert src is not None
                if name == MANIFEST:
                    manifest = json.loads(src.read(16 << 20))
                    continue
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True)
                sha = hashlib.sha256()
                with target.open("wb") as out:
                    while chunk := src.read(CHUNK):
                        sha.update(chunk)
                        out.write(chunk)
                seen[name] = sha.hexdigest()
    except (tarfile.TarError, EOFError, OSError, ValueError, zlib.error) as exc:
        raise BackupError(f"it cannot be read whole ({type(exc).__name__}: {exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            "it has no mlops-tui backup manifest (it is not a platform backup, or it was cut short)"
        )
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(f"it is a backup of format version {manifest.get('version')}, not {FORMAT_VERSION}")
    files = manifest.get("files") or {}
    expected = {name: str(meta.get("sha256")) for name, meta in files.items()}
    if DATABASE not in expected:
        raise BackupError("its manifest lists no database")
    missing = sorted(set(expected) - set(seen))
    extra = sorted(set(seen) - set(expected))
    wrong = sorted(n for n in set(expected) & set(seen) if expected[n] != seen[n])
    problems = (("missing", missing), ("not in its manifest", extra), ("with a wrong checksum", wrong))
    for what, names in problems:
        if names:
            raise BackupError(f"{len(names)} file(s) {what}, e.g. {names[0]}")
    problem = database_problem(staging / DATABASE)
    if problem is not None:
        raise BackupError(f"its database {problem}")
    return len(seen)


def restore(state_dir: Path, archive: Path) -> Summary:
    """Replace the state of ``state_dir`` by ``archive``; the old state is moved aside, not deleted.

    Raises :class:`BackupError` when the platform runs, or when the archive fails its check (then
    nothing was changed).
    """
    archive = archive.expanduser().absolute()
    if not archive.is_file():
        raise BackupError(f"there is no backup file {archive}")
    paths = StatePaths.resolve(state_dir)
    summary = Summary(archive)
    with private_umask():
        paths.root.mkdir(parents=True, exist_ok=True)
        os.chmod(paths.root, 0o700)
        lock = PlatformLock(paths)
        try:
            lock.acquire()
        except AlreadyRunning:
            raise BackupError(
                f"the platform of {paths.root} is running: stop it first (mlops-tui platform stop), "
                "then restore"
            ) from None
        staging = Path(tempfile.mkdtemp(dir=paths.root, prefix=".restore-"))
        try:
            try:
                summary.files = _extract_verified(archive, staging)
            except BackupError as exc:
                raise BackupError(
                    f"{archive} fails its integrity check: {exc}; nothing was changed"
                ) from None
            present = [name for name in REPLACED if (paths.root / name).exists()]
            if present:
                stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
                aside = paths.root.with_name(f"{paths.root.name}.before-restore-{stamp}")
                aside.mkdir(mode=0o700)
                for name in present:
                    shutil.move(paths.root / name, aside / name)
                summary.moved_aside = aside
            for entry in staging.iterdir():
                os.replace(entry, paths.root / entry.name)
            with contextlib.suppress(FileNotFoundError):
                paths.refused.unlink()
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            lock.release()
    summary.bytes = archive.stat().st_size
    return summary
