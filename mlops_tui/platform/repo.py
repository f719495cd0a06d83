"""A tenant's project repository (``data/``, ``models/``, ``code/``) on disk, the platform's shared FS.

Every path a client names is relative and must resolve inside the tenant's root: ``..``, absolute
paths and symlinks pointing out (a training job can create those) are all refused.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from mlops_tui.platform.errors import conflict, invalid, not_found

TOP_DIRS = ("data", "models", "code")


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root

    def ensure(self) -> None:
        for d in TOP_DIRS:
            (self.root / d).mkdir(parents=True, exist_ok=True)

    def clean(self, rel: str, field: str = "path") -> str:
        """Normalise a client path (``a//b/`` → ``a/b``) or refuse it, naming ``field``."""
        if not isinstance(rel, str) or not rel.strip("/"):
            raise invalid(f"{field} must be a non-empty path relative to the project repository", field)
        if "\\" in rel or len(rel) > 1024 or any(c < " " or c == "\x7f" for c in rel):
            raise invalid(
                f"{field} {rel[:80]!r} holds a control character or a backslash, or is too long", field
            )
        pure = PurePosixPath(rel)
        if pure.is_absolute():
            raise invalid(f"{field} {rel!r} must be relative to the project repository, not absolute", field)
        if any(part in ("..", ".") for part in pure.parts):
            raise invalid(
                f"{field} {rel!r} must stay inside the project repository ('.' and '..' refused)", field
            )
        return str(pure)

    def resolve(self, rel: str, field: str = "path") -> Path:
        path = self.root / self.clean(rel, field)
        real, root = os.path.realpath(path), os.path.realpath(self.root)
        if real != root and not real.startswith(root + os.sep):
            raise invalid(f"{field} {rel!r} points outside the project repository", field)
        return path

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
            for name in sorted(dirnames) + sorted(filenames):
                p = Path(dirpath) / name
                rel = p.relative_to(self.root).as_posix()
                if not rel.startswith(want):
                    continue
                if not os.path.realpath(p).startswith(root + os.sep):
                    continue  # a symlink out of the repository is not part of it
                try:
                    out.append(self.entry(p))
                except OSError:
                    continue
        return sorted(out, key=lambda e: e["path"])

    def read(self, rel: str) -> Path:
        path = self.resolve(rel)
        if path.is_dir():
            raise conflict(
                f"{rel!r} is a directory: list it with GET /repo?prefix={rel.rstrip('/')}/", "path"
            )
        if not path.is_file():
            raise not_found(f"no file {rel!r} in the project repository", "path")
        return path

    def open_upload(self, rel: str) -> tuple[Path, Path]:
        """Where an upload goes (a temp file beside the target, renamed on success)."""
        path = self.resolve(rel)
        if path.is_dir():
            raise conflict(f"{rel!r} is a directory; name a file to upload", "path")
        for parent in path.relative_to(self.root).parents:
            p = self.root / parent
            if p.exists() and not p.is_dir():
                raise conflict(
                    f"{parent.as_posix()!r} is a file, so {rel!r} cannot be created under it", "path"
                )
        path.parent.mkdir(parents=True, exist_ok=True)
        return path, path.with_name(f".{path.name}.upload-{os.getpid()}-{id(path)}")

    def delete(self, rel: str) -> None:
        path = self.resolve(rel)
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            raise not_found(f"no file or directory {rel!r} in the project repository", "path")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()
