"""A tenant's project repository (``data/``, ``models/``, ``code/``) on disk, the platform's shared FS.

Every path a client names is relative and must resolve inside the tenant's root: ``..``, absolute
paths and symlinks pointing out (a training job can create those) are all refused.

Who may read and write which folder is one rule, :func:`check_folder_access` (workshop mode: an
attendee reads the tenant's shared files and writes only under their own folders). It is applied to
the path asked for *and* to the real path of the file actually opened (found through the open
descriptor, so a symbolic link swapped in between cannot redirect a read or a write), and the
platform serves only files with one name: a hard link's other name may be in a folder, or a
tenant, the caller cannot read (issue 9 §5: a job's hard link let another tenant download a file).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from mlops_tui.platform.access import ATTENDEE
from mlops_tui.platform.errors import ApiError, conflict, exists, forbidden, invalid, not_found
from mlops_tui.platform.names import shown, user_folder

TOP_DIRS = ("data", "models", "code")


@dataclass(frozen=True)
class FolderRule:
    """Whose repository view this is: ``user`` with ``role``; ``attendees`` maps the folder name of
    every attendee of the tenant to their user id (their folders are private to them)."""

    user: str = ""
    role: str = "member"
    attendees: Mapping[str, str] = field(default_factory=dict)

    @property
    def own_folders(self) -> tuple[str, ...]:
        """``code/<folder>``, ``models/<folder>``, ``data/<folder>``: where an attendee writes."""
        folder = user_folder(self.user)
        return tuple(f"{top}/{folder}" for top in ("code", "models", "data"))


EVERYTHING = FolderRule()


def check_folder_access(rule: FolderRule, rel: str, *, write: bool, field: str = "path") -> None:
    """The one rule for the project repository's folders; raises 403 naming the owner.

    ``rel`` is a clean repository path (``""`` is the root). Members and facilitators read and
    write everything in their tenant. An attendee reads everything except other attendees' folders
    (``code/<them>/``, ``models/<them>/``, ``data/<them>/``) and writes only under their own three;
    the rest is the tenant's shared data, kept by the facilitator. The API (listing, download,
    upload, delete, job inputs and outputs, registering) and the sandbox of jobs and servers both
    follow this rule.
    """
    if rule.role != ATTENDEE:
        return
    parts = PurePosixPath(rel).parts if rel else ()
    mine = user_folder(rule.user)
    yours = ", ".join(f"{f}/" for f in rule.own_folders)
    if len(parts) >= 2 and parts[0] in TOP_DIRS:
        if parts[1] == mine:
            return
        owner = rule.attendees.get(parts[1])
        if owner is not None:
            raise forbidden(
                f"{rel} is in the folder of {owner}: as an attendee ({rule.user}) you read and write "
                f"only your own folders ({yours}) and read the tenant's shared files",
                field,
            )
    if write:
        raise forbidden(
            f"{rel or 'the repository root'} is the tenant's shared data, kept by the facilitator: as an "
            f"attendee ({rule.user}) you write only under {yours}",
            field,
        )


def can_read(rule: FolderRule, rel: str) -> bool:
    try:
        check_folder_access(rule, rel, write=False)
    except Exception:
        return False
    return True


def already_there(rel: str) -> ApiError:
    """The 409 of an upload to a taken path: it names the path and how to replace it."""
    return exists(
        f"{shown(rel)} already exists in the project repository; nothing was written: upload it "
        "again with replace=true to replace it, or choose another name",
        rel,
    )


def _real_rel(fd: int, root: Path) -> str | None:
    """The repository path of what ``fd`` is open on (None when it is outside ``root``)."""
    real = os.readlink(f"/proc/self/fd/{fd}")
    base = os.path.realpath(root)
    if real == base:
        return ""
    if not real.startswith(base + os.sep):
        return None
    return real[len(base) + 1 :]


@dataclass
class Upload:
    """A file being uploaded: written to a temporary name in the (checked) target folder, then
    put in place in that same folder (its descriptor: no path is looked up again).

    Without ``replace`` it is linked to the target's name, which fails if that name was taken
    meanwhile (``link(2)`` never replaces: no check-then-write race), and the temporary name is
    dropped; with ``replace`` it is renamed over the target (``rename(2)``, atomic)."""

    dir_fd: int
    name: str
    tmp_name: str
    fd: int
    target: Path
    rel: str
    replace: bool = False

    def write(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            view = view[os.write(self.fd, view) :]

    def commit(self) -> Path:
        """Put the file in place; raises the 409 ``exists`` error when, without ``replace``, the
        target's name is taken (the temporary file is then dropped by :meth:`close`)."""
        os.close(self.fd)
        self.fd = -1
        if self.replace:
            os.replace(self.tmp_name, self.name, src_dir_fd=self.dir_fd, dst_dir_fd=self.dir_fd)
        else:
            try:
                os.link(
                    self.tmp_name,
                    self.name,
                    src_dir_fd=self.dir_fd,
                    dst_dir_fd=self.dir_fd,
                    follow_symlinks=False,
                )
            except FileExistsError:
                raise already_there(self.rel) from None
            os.unlink(self.tmp_name, dir_fd=self.dir_fd)
        self.tmp_name = ""
        return self.target

    def close(self) -> None:
        """Drop the temporary file if the upload did not complete; always close the descriptors."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.tmp_name:
            with contextlib.suppress(OSError):
                os.unlink(self.tmp_name, dir_fd=self.dir_fd)
        os.close(self.dir_fd)


class Repo:
    def __init__(self, root: Path, rule: FolderRule = EVERYTHING) -> None:
        self.root = root
        self.rule = rule

    def ensure(self) -> None:
        for d in TOP_DIRS:
            (self.root / d).mkdir(parents=True, exist_ok=True)

    def clean(self, rel: str, field: str = "path") -> str:
        """Normalise a client path (``a//b/`` → ``a/b``) or refuse it, naming ``field``."""
        if not isinstance(rel, str) or not rel.strip("/"):
            raise invalid(f"{field} must be a non-empty path relative to the project repository", field)
        if "\\" in rel or len(rel) > 1024 or any(c < " " or c == "\x7f" for c in rel):
            raise invalid(
                f"{field} {shown(rel[:80])} holds a control character or a backslash, or is too long", field
            )
        pure = PurePosixPath(rel)
        if pure.is_absolute():
            raise invalid(
                f"{field} {shown(rel)} must be relative to the project repository, not absolute", field
            )
        if any(part in ("..", ".") for part in pure.parts):
            raise invalid(
                f"{field} {shown(rel)} must stay inside the project repository ('.' and '..' refused)", field
            )
        return str(pure)

    def resolve(self, rel: str, field: str = "path", *, write: bool | None = None) -> Path:
        """The path of ``rel`` inside the repository; with ``write`` given, the folder rule is
        checked on it and on the path it really leads to (through symbolic links)."""
        clean = self.clean(rel, field)
        path = self.root / clean
        real, root = os.path.realpath(path), os.path.realpath(self.root)
        if real != root and not real.startswith(root + os.sep):
            raise invalid(f"{field} {shown(rel)} points outside the project repository", field)
        if write is not None:
            for checked in (clean, real[len(root) + 1 :] if real != root else ""):
                check_folder_access(self.rule, checked, write=write, field=field)
        return path

    def ensure_user_folders(self, user: str) -> None:
        """Create ``code/<folder>``, ``models/<folder>`` and ``data/<folder>`` of ``user``."""
        for rel in FolderRule(user=user).own_folders:
            (self.root / rel).mkdir(parents=True, exist_ok=True)

    def visible_paths(self) -> tuple[list[Path], list[Path]]:
        """(read-only, writable) paths of this repository a sandbox of the rule's user shows, by the
        same rule as the API: everything for members and facilitators; for an attendee their own
        three folders (writable; created if missing) and every other top-level entry and every
        entry of ``code/``, ``models/`` and ``data/`` that is not another attendee's (read-only).
        Symbolic links are never bound (a bind follows them out of the repository). Entries
        created after the sandbox started are not in it."""
        if self.rule.role != ATTENDEE:
            return [], [self.root]
        self.ensure_user_folders(self.rule.user)
        readable: list[Path] = []
        writable = [self.root / rel for rel in self.rule.own_folders]
        for entry in sorted(self.root.iterdir()):
            if entry.is_symlink():
                continue
            if entry.name not in TOP_DIRS or not entry.is_dir():
                if can_read(self.rule, entry.name):
                    readable.append(entry)
                continue
            for child in sorted(entry.iterdir()):
                rel = f"{entry.name}/{child.name}"
                if not child.is_symlink() and rel not in self.rule.own_folders and can_read(self.rule, rel):
                    readable.append(child)
        return readable, writable

    def entry(self, path: Path) -> dict[str, Any]:
        st = path.stat()
        return {
            "path": path.relative_to(self.root).as_posix(),
            "size": 0 if path.is_dir() else st.st_size,
            "is_dir": path.is_dir(),
            "modified_at": datetime.fromtimestamp(st.st_mtime, UTC).isoformat(timespec="seconds"),
        }

    def list(self, prefix: str = "") -> list[dict[str, Any]]:
        """Every file and directory whose path starts with ``prefix`` (recursive, sorted)."""
        want = prefix.lstrip("/")
        if want:
            self.clean(want, "prefix")
        head = want.rsplit("/", 1)[0] if "/" in want else ""
        base = self.resolve(head, "prefix") if head else self.root
        if not base.is_dir():
            return []
        root = os.path.realpath(self.root)
        out: list[dict[str, Any]] = []
        for dirpath, dirnames, filenames in os.walk(base):
            here = Path(dirpath).relative_to(self.root)
            dirnames[:] = [d for d in dirnames if can_read(self.rule, (here / d).as_posix())]  # never walk in
            for name in sorted(dirnames) + sorted(filenames):
                p = Path(dirpath) / name
                rel = p.relative_to(self.root).as_posix()
                if not rel.startswith(want) or not can_read(self.rule, rel):
                    continue
                if not os.path.realpath(p).startswith(root + os.sep):
                    continue  # a symlink out of the repository is not part of it
                try:
                    out.append(self.entry(p))
                except OSError:
                    continue
        return sorted(out, key=lambda e: e["path"])

    def open_read(self, rel: str) -> tuple[int, os.stat_result]:
        """Open the file ``rel`` for reading: a descriptor and its ``fstat``; the caller closes it.

        Refused: a directory (409), a missing file (404), a special file (409; a FIFO would block,
        so it is opened non-blocking), a file the folder rule hides from the caller, by the name
        asked for or by the real path of what was opened (403), and a file with more than one name
        (403: a hard link's other name may be in a folder or tenant the caller cannot read).
        """
        path = self.resolve(rel, write=False)
        if path.is_dir():
            raise conflict(
                f"{shown(rel)} is a directory: list it with GET /repo?prefix={quote(rel.rstrip('/'))}/",
                "path",
            )
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        except FileNotFoundError:
            raise not_found(f"no file {shown(rel)} in the project repository", "path") from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise conflict(f"{shown(rel)} is not a regular file", "path")
            real = _real_rel(fd, self.root)
            if real is None:
                raise invalid(f"path {shown(rel)} points outside the project repository", "path")
            check_folder_access(self.rule, real, write=False)
            if st.st_nlink > 1:
                raise forbidden(
                    f"{shown(rel)} has {st.st_nlink} names (a hard link): the platform serves only "
                    "files with one name, because another name may be in a folder you cannot read; "
                    "copy the file instead of linking it",
                    "path",
                )
        except BaseException:
            os.close(fd)
            raise
        os.set_blocking(fd, True)
        return fd, st

    def _open_folder(self, rel: str, *, create: bool) -> tuple[int, Path]:
        """A descriptor on the folder of ``rel`` (created if ``create``), checked for writing by the
        folder rule on its real path; returns it and the target path."""
        path = self.resolve(rel, write=True)  # the real target too, symbolic links followed
        for parent in reversed(path.relative_to(self.root).parents):
            p = self.root / parent
            if p.exists() and not p.is_dir():
                raise conflict(
                    f"{shown(parent.as_posix())} is a file, so {shown(rel)} cannot be created under it",
                    "path",
                )
        folder = path.parent
        if create:
            folder.mkdir(parents=True, exist_ok=True)
        try:
            dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            raise not_found(f"no folder {shown(folder.relative_to(self.root).as_posix())}", "path") from None
        real = _real_rel(dir_fd, self.root)
        try:
            if real is None:
                raise invalid(f"path {shown(rel)} points outside the project repository", "path")
            check_folder_access(self.rule, f"{real}/{path.name}" if real else path.name, write=True)
        except BaseException:
            os.close(dir_fd)
            raise
        return dir_fd, path

    def open_upload(self, rel: str, *, replace: bool = False) -> Upload:
        """Where an upload goes: a temporary file in the target's folder, put in place on commit.

        A file already at ``rel`` is replaced only with ``replace`` (an explicit choice of the
        client); otherwise the upload is refused here, before a byte of it is read (409 ``exists``),
        and again on commit if the name was taken meanwhile: nobody's file is overwritten silently.
        """
        path = self.resolve(rel, write=True)
        if path.is_dir():
            raise conflict(f"{shown(rel)} is a directory; name a file to upload", "path")
        if not replace and os.path.lexists(path):
            raise already_there(self.clean(rel))
        dir_fd, path = self._open_folder(rel, create=True)
        tmp_name = f".{path.name}.upload-{os.getpid()}-{id(path)}"
        try:
            fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dir_fd)
        except BaseException:
            os.close(dir_fd)
            raise
        return Upload(dir_fd, path.name, tmp_name, fd, path, self.clean(rel), replace)

    def delete(self, rel: str) -> None:
        path = self.resolve(rel, write=True)
        dir_fd, path = self._open_folder(rel, create=False)
        try:
            try:
                st = os.stat(path.name, dir_fd=dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                raise not_found(
                    f"no file or directory {shown(rel)} in the project repository", "path"
                ) from None
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(path.name, dir_fd=dir_fd)
            else:
                os.unlink(path.name, dir_fd=dir_fd)
        finally:
            os.close(dir_fd)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()
