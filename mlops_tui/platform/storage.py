"""The platform's storage under faults: what "disk full" is, and the monitor that says so.

Disk full is ``ENOSPC``/``EDQUOT`` from a file write, or SQLITE_FULL from the database (SQLite
turns a WAL append that hits ``ENOSPC`` into it; :mod:`db` raises it as the 507 ``ApiError``).
Every such error is reported to :class:`StorageMonitor`. While the device holding the state
directory is full, ``/health`` says ``degraded`` with the reason, the training queue holds its
jobs (one started now would only fail), and state that background tasks could not write waits in
the database's deferred queue. Every second a probe writes a little (a file with ``fsync``, and a
database row); once both succeed the platform is healthy again: deferred writes are replayed and
the queue resumes by itself. The monitor also checkpoints the WAL into ``platform.db`` every
``checkpoint_every`` seconds, so a copy of the database file alone is never far behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from mlops_tui.platform.db import SQLITE_FULL, Database, sqlite_code
from mlops_tui.platform.errors import ApiError
from mlops_tui.platform.state import utcnow

log = logging.getLogger("mlops_tui.platform.storage")

DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# Below this much free space a job's log and model bundle, or SQLite's next WAL frames, would not
# fit: the queue holds instead of starting jobs that would fail. 1 MiB is ~250 WAL frames.
MIN_FREE_BYTES = 1 << 20
PROBE_BYTES = 64 << 10
PROBE_EVERY_S = 1.0
CHECKPOINT_EVERY_S = 30.0


def is_disk_full(exc: BaseException) -> bool:
    """True for a write refused for want of space, whichever layer raised it."""
    if isinstance(exc, ApiError):
        return exc.code == "insufficient_storage"
    if isinstance(exc, OSError):
        return exc.errno in DISK_FULL_ERRNOS
    if isinstance(exc, sqlite3.Error):
        return sqlite_code(exc) == SQLITE_FULL
    return False


def free_bytes(path: Path) -> int | None:
    """Bytes an unprivileged writer may still use on ``path``'s device (``statvfs`` ``f_bavail``)."""
    try:
        st = os.statvfs(path)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


class StorageMonitor:
    """Knows whether the state directory's device can take writes, and brings the platform back.

    ``report(path)`` marks the storage full (called by :class:`Database` and by every place that
    catches a disk-full ``OSError``); :meth:`check` (every ``probe_every`` seconds in :meth:`run`)
    probes and clears it. ``on_recover`` callbacks run when writes work again.
    """

    def __init__(
        self,
        root: Path,
        db: Database,
        *,
        min_free: int = MIN_FREE_BYTES,
        probe_every: float = PROBE_EVERY_S,
        checkpoint_every: float = CHECKPOINT_EVERY_S,
    ) -> None:
        self.root = root
        self.db = db
        self.min_free = min_free
        self.probe_every = probe_every
        self.checkpoint_every = checkpoint_every
        self.on_recover: list[Callable[[], None]] = []
        self._failed_path: str | None = None
        self._failed_since: str | None = None
        self._low = False
        self._ok = asyncio.Event()
        self._ok.set()
        db.on_disk_full = self.report

    # -- state
    def report(self, path: str | os.PathLike[str] | None = None) -> None:
        """A write to ``path`` failed for want of space: degraded until a probe succeeds."""
        if self._failed_path is None:
            self._failed_since = utcnow()
            log.warning("disk full: a write to %s failed; the training queue holds until space is back", path)
        self._failed_path = str(path or self.root)
        self._ok.clear()

    def reasons(self) -> list[str]:
        """Why the storage is degraded now (empty when healthy); each names the path."""
        out = []
        if self._failed_path is not None:
            out.append(
                f"disk full: a write to {self._failed_path} failed for want of space "
                f"(since {self._failed_since}); free some space on its device"
            )
        free = free_bytes(self.root)
        if free is not None and free < self.min_free:
            out.append(
                f"disk full: {free // 1024} KiB free on the device holding {self.root} "
                f"(the platform needs at least {self.min_free // 1024} KiB)"
            )
        return out

    @property
    def healthy(self) -> bool:
        return self._ok.is_set()

    async def wait_healthy(self) -> None:
        await self._ok.wait()

    # -- probing
    def check(self) -> bool:
        """Re-evaluate the storage (probe if a write failed); True when healthy. Never raises."""
        free = free_bytes(self.root)
        low = free is not None and free < self.min_free
        if low != self._low:
            self._low = low
            if low:
                log.warning("disk full: %s bytes free on the device holding %s", free, self.root)
        if self._failed_path is not None and not low and self._probe():
            log.info("disk space is back on the device holding %s: resuming", self.root)
            self._failed_path = self._failed_since = None
        healthy = self._failed_path is None and not low
        if healthy and not self._ok.is_set():
            if not self.db.flush_deferred():  # reported again through on_disk_full
                return False
            self._ok.set()
            for callback in self.on_recover:
                try:
                    callback()
                except Exception:
                    log.exception("a recovery step after disk full failed")
        elif not healthy:
            self._ok.clear()
        return healthy

    def _probe(self) -> bool:
        probe = self.root / ".storage-probe"
        try:
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, b"\0" * PROBE_BYTES)
                os.fsync(fd)
            finally:
                os.close(fd)
            self.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('storage_probe', ?)", (utcnow(),)
            )
        except (OSError, ApiError):
            return False
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()
        return True

    async def run(self) -> None:
        """Check every ``probe_every`` s and checkpoint every ``checkpoint_every`` s while healthy."""
        last_checkpoint = time.monotonic()
        while True:
            await asyncio.sleep(self.probe_every)
            try:
                healthy = self.check()
                if healthy and time.monotonic() - last_checkpoint >= self.checkpoint_every:
                    last_checkpoint = time.monotonic()
                    await asyncio.to_thread(self.db.checkpoint)
            except Exception as exc:  # the monitor outlives any one failure
                if is_disk_full(exc):
                    self.report(self.db.path)
                else:
                    log.exception("the storage check failed")
