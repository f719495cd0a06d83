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
``<state>.before-restore-<time>`` (``-2``, ``-3`` … after it when that name is taken); nothing
is deleted. Every failure is a :class:`BackupError` naming the file and the side (source or
destination) it happened on; a full disk says "disk full". Stdlib only.

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
from mlops_tui.platform.job_log import DEFAULT_MAX_MIB, MARK, mib
from mlops_tui.platform.names import shown
from mlops_tui.platform.state import (
    AlreadyRunning,
    PlatformLock,
    StatePaths,
    new_sibling_dir,
    private_umask,
    utcnow,
)
from mlops_tui.platform.storage import is_disk_full

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
# A job log is kept whole up to its cap and then as head and tail (job_log); a backup does the same
# with logs beyond the default cap (older ones, or a platform run with a larger cap).
LOG_HEAD = DEFAULT_MAX_MIB << 20
LOG_TAIL = 1 << 20


class BackupError(Exception):
    """A backup or restore that cannot be done; ``str()`` says why and what to do."""


@dataclass
class Summary:
    archive: Path
    files: int = 0
    bytes: int = 0
    moved_aside: Path | None = None
    changed_while_read: list[str] = field(default_factory=list)
    logs_cut: list[str] = field(default_factory=list)  # job logs kept as head and tail (LOG_HEAD)


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


def _disk_full(where: Path, what: str) -> BackupError:
    return BackupError(
        f"disk full: {where} has no room for {what}; free some space there (or choose another place) "
        "and try again"
    )


def _is_job_log(name: str) -> bool:
    return name.startswith("jobs/") and name.endswith("/job.log")


class _HeadAndTail(io.RawIOBase):
    """A job log beyond ``LOG_HEAD + LOG_TAIL`` as its first ``LOG_HEAD`` bytes, a marker line and
    its last ``LOG_TAIL`` bytes (from a line start): what the platform itself keeps of a log past
    its cap (:mod:`job_log`), so that a log written before the cap, or by a platform with a larger
    one, cannot make a backup that does not fit."""

    def __init__(self, f: IO[bytes], size: int) -> None:
        f.seek(size - LOG_TAIL)
        tail = f.read(LOG_TAIL)
        tail = tail[tail.find(b"\n") + 1 :]
        dropped = size - LOG_HEAD - len(tail)
        marker = (
            b"\n" + MARK + f"backup: {mib(dropped)} of this log not kept; its last lines follow\n".encode()
        )
        f.seek(0)
        self.f, self.head_left, self.rest = f, LOG_HEAD, io.BytesIO(marker + tail)
        self.size = LOG_HEAD + len(marker) + len(tail)

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.size if n < 0 else n
        if self.head_left:
            data = self.f.read(min(n, self.head_left))
            if len(data) < min(n, self.head_left):  # shrank while read: the reader pads
                self.head_left = 0
                return data
            self.head_left -= len(data)
            return data
        return self.rest.read(n)


def _snapshot_database(db: Path, dest: Path, archive: Path) -> None:
    """Copy ``db`` to ``dest`` (beside ``archive``); a failure names the side it happened on."""
    try:
        src = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot open the database {db}: {exc}") from None
    try:
        try:
            dst = sqlite3.connect(dest)
        except sqlite3.Error as exc:
            raise BackupError(f"cannot write the backup in {archive.parent}: {exc}") from None
        try:
            src.backup(dst)  # pages=-1: every page in one step, under one read transaction
        finally:
            dst.close()
    except sqlite3.Error as exc:
        # SQLITE_FULL comes from the copy being written, which is the destination's disk.
        if is_disk_full(exc):
            raise _disk_full(archive.parent, f"the backup {archive.name}") from None
        raise BackupError(f"cannot copy the database {db} to {archive.parent}: {exc}") from None
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
    try:
        return _write_backup(paths, archive)
    except OSError as exc:  # writing the archive (its source files are read with their own handling)
        if is_disk_full(exc):
            raise _disk_full(archive.parent, f"the backup {archive.name}") from None
        raise BackupError(f"cannot write the backup {archive}: {exc.strerror or exc}") from None


def _write_backup(paths: StatePaths, archive: Path) -> Summary:
    db = paths.db
    summary = Summary(archive)
    with private_umask(), tempfile.TemporaryDirectory(dir=archive.parent, prefix=".mlops-backup-") as tmp:
        snapshot = Path(tmp) / DATABASE
        _snapshot_database(db, snapshot, archive)
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
                    source: IO[bytes] = f
                    if _is_job_log(name) and info.size > LOG_HEAD + LOG_TAIL:
                        source = _HeadAndTail(f, info.size)
                        info.size = source.size
                        summary.logs_cut.append(name)
                    reader = _HashingReader(source, info.size)
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


class _StagingFull(BackupError):
    """The state directory's disk cannot take the unpacked archive (not the archive's fault)."""


def _write_staged(out: IO[bytes], chunk: bytes, staging: Path) -> None:
    try:
        out.write(chunk)
    except OSError as exc:
        if is_disk_full(exc):
            raise _StagingFull(
                f"disk full: {staging.parent} has no room to unpack the backup; free some space there "
                "and try again; nothing was changed"
            ) from None
        raise BackupError(f"cannot unpack into {staging}: {_why(exc)}; nothing was changed") from None


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
                        _write_staged(out, chunk, staging)
                seen[name] = sha.hexdigest()
    except _StagingFull:
        raise
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


def _why(exc: OSError) -> str:
    return "disk full" if is_disk_full(exc) else str(exc.strerror or exc)


def _move_aside(root: Path) -> Path | None:
    """Move what restore replaces to a new ``<root>.before-restore-<time>`` (unique); None if nothing."""
    present = [name for name in REPLACED if (root / name).exists()]
    if not present:
        return None
    try:
        aside = new_sibling_dir(root, "before-restore")
    except OSError as exc:
        raise BackupError(
            f"cannot make a directory beside {root} to keep the current state in: {_why(exc)}; "
            "nothing was changed"
        ) from None
    moved: list[str] = []
    try:
        for name in present:
            os.rename(root / name, aside / name)  # same file system: a rename, never a copy
            moved.append(name)
    except OSError as exc:
        for name in reversed(moved):  # put back what was moved: the state stays as it was
            with contextlib.suppress(OSError):
                os.rename(aside / name, root / name)
        with contextlib.suppress(OSError):
            aside.rmdir()
        raise BackupError(
            f"cannot move {root / present[len(moved)]} aside: {_why(exc)}; nothing was changed"
        ) from None
    return aside


def _put_in_place(staging: Path, root: Path, aside: Path | None) -> None:
    for entry in staging.iterdir():
        try:
            os.replace(entry, root / entry.name)
        except OSError as exc:
            kept = f"; the state it replaces is whole in {aside}" if aside else ""
            raise BackupError(
                f"cannot put the restored {entry.name} into {root}: {_why(exc)}{kept}; "
                "run the restore again once that is fixed"
            ) from None


def restore(state_dir: Path, archive: Path) -> Summary:
    """Replace the state of ``state_dir`` by ``archive``; the old state is moved aside, not deleted.

    Raises :class:`BackupError` when the platform runs, or when the archive fails its check (then
    nothing was changed).
    """
    archive = archive.expanduser().absolute()
    if not archive.is_file():
        raise BackupError(f"there is no backup file {archive}")
    paths = StatePaths.resolve(state_dir)
    try:
        return _restore(paths, archive)
    except OSError as exc:  # the steps above name their own; this is the state directory itself
        where = exc.filename or paths.root
        raise BackupError(f"cannot restore into {where}: {_why(exc)}") from None


def _restore(paths: StatePaths, archive: Path) -> Summary:
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
        try:
            staging = Path(tempfile.mkdtemp(dir=paths.root, prefix=".restore-"))
        except OSError as exc:
            lock.release()
            raise BackupError(f"cannot unpack into {paths.root}: {_why(exc)}; nothing was changed") from None
        try:
            try:
                summary.files = _extract_verified(archive, staging)
            except _StagingFull:
                raise
            except BackupError as exc:
                raise BackupError(
                    f"{archive} fails its integrity check: {exc}; nothing was changed"
                ) from None
            summary.moved_aside = _move_aside(paths.root)
            _put_in_place(staging, paths.root, summary.moved_aside)
            with contextlib.suppress(FileNotFoundError):
                paths.refused.unlink()
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            lock.release()
    summary.bytes = archive.stat().st_size
    return summary
