"""Resource limits for the processes the platform starts (training jobs, prediction servers).

A runaway job or server must not take the whole jump host down with it: CPU time (jobs only — a
server lives for days), address space, file size, open files; no core dumps.
"""

from __future__ import annotations

import contextlib
import resource


def apply_limits(
    *, cpu_seconds: int | None, address_space: int, file_bytes: int, open_files: int, pid: int = 0
) -> None:
    """Limit ``pid`` (0: this process, as in a ``preexec_fn``); a limit above the hard one is clamped."""
    wanted = [
        (resource.RLIMIT_AS, address_space),
        (resource.RLIMIT_FSIZE, file_bytes),
        (resource.RLIMIT_NOFILE, open_files),
        (resource.RLIMIT_CORE, 0),
    ]
    if cpu_seconds is not None:
        wanted.append((resource.RLIMIT_CPU, cpu_seconds))
    for res, value in wanted:
        with contextlib.suppress(ValueError, OSError):
            _soft, hard = resource.prlimit(pid, res)
            limit = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.prlimit(pid, res, (limit, limit if hard == resource.RLIM_INFINITY else hard))


def prlimit_args(
    *, cpu_seconds: int | None, address_space: int, file_bytes: int, open_files: int
) -> list[str]:
    """The same limits as :func:`apply_limits`, as options of util-linux ``prlimit`` (``soft:hard``),
    each clamped to this process's hard limit (a child cannot raise it)."""
    wanted = [
        ("--as", resource.RLIMIT_AS, address_space),
        ("--fsize", resource.RLIMIT_FSIZE, file_bytes),
        ("--nofile", resource.RLIMIT_NOFILE, open_files),
        ("--core", resource.RLIMIT_CORE, 0),
    ]
    if cpu_seconds is not None:
        wanted.append(("--cpu", resource.RLIMIT_CPU, cpu_seconds))
    out = []
    for option, res, value in wanted:
        _soft, hard = resource.getrlimit(res)
        if hard == resource.RLIM_INFINITY:
            out.append(f"{option}={value}:{value}")
        else:
            out.append(f"{option}={min(value, hard)}:{hard}")
    return out
