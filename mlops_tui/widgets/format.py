"""Text formatting shared by screens: durations, ages, and errors as messages a person can act on.

No Textual import: kept tiny so it is cheap on the start-up path and easy to test.
"""

from __future__ import annotations

from datetime import datetime

from mlops_tui.services import errors
from mlops_tui.services.terminal_text import plain


def ago(then: datetime | None, now: datetime) -> str:
    """``"updated 4s ago"``-style age; ``"never"`` before the first update."""
    if then is None:
        return "never"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return f"{seconds}s ago"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s ago"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m ago"


def duration(seconds: float | None) -> str:
    """A travel or run time as minutes and seconds: ``"13 min 32 s"``."""
    if seconds is None:
        return "-"
    total = round(seconds)
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def short_time(value: datetime | None) -> str:
    """``HH:MM:SS`` in local time, or ``-``."""
    return value.astimezone().strftime("%H:%M:%S") if value else "-"


def when(value: datetime | None, now: datetime) -> str:
    """When something happened, in five or six cells for a table: ``14:05`` (local time) on the
    day of ``now``, else the day, ``Nov 30``; ``-`` when unknown."""
    if value is None:
        return "-"
    local = value.astimezone()
    return local.strftime("%H:%M") if local.date() == now.astimezone().date() else local.strftime("%b %d")


_TITLES: dict[type[errors.PlatformError], str] = {
    errors.AuthFailed: "Login failed",
    errors.SessionExpired: "Session expired",
    errors.Forbidden: "Not allowed",
    errors.Unreachable: "Platform unreachable",
    errors.NotFound: "Not found",
    errors.InvalidInput: "Invalid input",
    errors.Conflict: "Conflict",
    errors.DiskFull: "Disk full",
    errors.PlatformFailure: "Platform error",
}


def describe_error(exc: BaseException, action: str = "") -> tuple[str, str]:
    """``(title, message)`` for any exception: a PlatformError speaks for itself, anything else is
    summarised without a traceback (the full one goes to the log file). Error texts quote servers
    and files, so the message is sanitised (plain text, as a terminal would show it)."""
    prefix = f"{action}: " if action else ""
    if isinstance(exc, errors.PlatformError):
        title = getattr(exc, "TITLE", None) or next(
            (t for cls, t in _TITLES.items() if isinstance(exc, cls)), "Platform error"
        )
        message = str(exc)
        if isinstance(exc, errors.InvalidInput) and exc.field and exc.field not in message:
            message = f"{exc.field}: {message}"
        return title, prefix + plain(message)
    name = type(exc).__name__
    text = str(exc) or name
    return "Unexpected error", f"{prefix}{plain(text)} ({name}); details are in the log"
