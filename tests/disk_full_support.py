"""A disk that really fills up: a small tmpfs of its own, and a file that takes every byte of it.

That is the real fault — every write of the platform, its SQLite WAL and its jobs' logs gets
``ENOSPC`` — with nothing injected into the code under test. ``RLIMIT_FSIZE`` would give ``EFBIG``
(a different error) to one process only, and an ``LD_PRELOAD`` shim would fake the error code.
Mounting needs root (``CAP_SYS_ADMIN``), which this project's machines and CI have; where mounting
is not permitted the tests that need it are skipped (``benchmarks/load_fault.py`` says "not
measured"). Used by ``tests/platform/test_platform_disk_full.py``, ``tests/tui`` and the benchmark.
"""

from __future__ import annotations

import contextlib
import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path


class CannotMount(Exception):
    """Mounting a tmpfs is not permitted here (the message says why)."""


@contextlib.contextmanager
def mounted_tmpfs(mnt: Path, size_mib: int = 64) -> Iterator[Path]:
    """A ``size_mib`` MiB tmpfs (mode 0700) mounted at ``mnt`` (created) while the block runs.

    Raises :class:`CannotMount` where this user may not mount. Unmounted on the way out (lazily if
    something still holds it open)."""
    mnt.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0700", "tmpfs", str(mnt)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError as exc:
        raise CannotMount(f"cannot run mount: {exc}") from None
    if done.returncode != 0:
        raise CannotMount(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        if subprocess.run(["umount", str(mnt)], capture_output=True, timeout=30, check=False).returncode:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True, timeout=30, check=False)


def fill(path: Path) -> Path:
    """Write ``path`` until the device has no byte left (ENOSPC), and return it."""
    with path.open("wb", buffering=0) as f:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
    return path
