"""One error hierarchy for every platform adapter.

Screens and the CLI catch :class:`PlatformError` and show ``str(err)``; each subclass carries a
message that names what went wrong and what to do, so no traceback ever needs to reach a person.
"""

from __future__ import annotations


class PlatformError(Exception):
    """Base of every error the service layer raises on purpose."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint
        self.status = status

    def __str__(self) -> str:
        return f"{self.message} — {self.hint}" if self.hint else self.message


class AuthFailed(PlatformError):
    """Wrong user name, password or tenant."""

    hint = "check the user name, password and tenant, then log in again"


class PasswordRefused(AuthFailed):
    """The stored password was refused on a re-login (a workshop's facilitator reset it, or it was
    changed elsewhere). The adapter keeps this error and raises it again without sending that
    password once more: every retry with a refused secret feeds the platform's failed-login
    back-off (``platform/login_backoff.py``), which then holds back the person's own login with
    the new password too."""

    hint = ""


def password_refused(user: str, *, attendee: bool) -> PasswordRefused:
    """The refusal of ``user``'s stored password, saying what to do (in a workshop: the join line)."""
    if attendee:
        return PasswordRefused(
            f"your password was refused (changed by the facilitator?): type the new one on Login (6) "
            f"or run your join line again (user {user}); nothing is retried with the old one",
            status=401,
        )
    return PasswordRefused(
        f"the stored password of {user} was refused (changed?): type the new one on Login (6); "
        "nothing is retried with the old one",
        status=401,
    )


class SessionExpired(PlatformError):
    """The session is gone (expired or logged out); a re-login with stored credentials may fix it."""

    hint = "log in again"


class Forbidden(PlatformError):
    """Authenticated, but not allowed (wrong tenant, read-only mode, bad auth token)."""

    hint = "this action needs other rights"


class Unreachable(PlatformError):
    """The platform did not answer (down, wrong URL, network, TLS)."""

    hint = "check the URL and that the platform is running"


class NotFound(PlatformError):
    """The named object does not exist (in this tenant)."""

    hint = "check the name"


class InvalidInput(PlatformError):
    """The request was refused because a field is wrong; ``field`` names it where known."""

    hint = "correct the field and try again"

    def __init__(self, message: str, *, field: str | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.field = field


class Conflict(PlatformError):
    """The object already exists or is in a state that does not allow the action."""

    hint = "choose another name or wait for the current action to finish"


class AlreadyExists(Conflict):
    """An upload to a path that is taken: nothing was written, since replacing a person's file
    must be their explicit choice. ``path`` names it; the caller's hint says how to replace it
    (``--replace``, a confirmation) or to choose another name."""

    hint = "choose another name, or replace it explicitly"

    def __init__(self, message: str, *, path: str = "", **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.path = path


class NotSupported(PlatformError):
    """This platform (adapter) cannot do that at all; the message says which and what instead."""

    hint = ""


class PlatformFailure(PlatformError):
    """The platform answered with a server error; the request may be retried later.

    The default hint names no cause: a 503 (unavailable for now), a 429 (too many requests) or a
    507 (:class:`DiskFull`) is not an internal error, and the adapters give those their own hint."""

    hint = "try again in a moment; if it keeps failing, the platform's log says why"


class DiskFull(PlatformFailure):
    """The platform could not write for want of space (HTTP 507 Insufficient Storage, RFC 4918
    §11.5, or ``ENOSPC``/``EDQUOT``); ``path`` names the file it could not write, when known.

    The local platform holds its queue and resumes by itself once it can write again (contract
    docs/local-platform-api.md §1, "Running out of disk"), so the one thing to do is free space.
    """

    def __init__(self, message: str, *, path: str | None = None, **kwargs) -> None:
        if "disk full" not in message:
            message = f"disk full: {message}"
        kwargs.setdefault("hint", free_space_hint(path))
        super().__init__(message, **kwargs)
        self.path = path


def cannot_log_in(exc: DiskFull) -> DiskFull:
    """What a login refused for want of space becomes: the platform must write a session to log
    anyone in, so "disk full" is why nobody can log in now, and freeing space is what to do."""
    reason = exc.message.removeprefix("disk full: ")
    return DiskFull(
        f"cannot log in: disk full, the platform cannot write the session: {reason}",
        path=exc.path,
        hint=exc.hint,
        status=exc.status,
    )


def is_disk_full(exc: BaseException) -> bool:
    """True for a write refused for want of space on this machine (``ENOSPC``, ``EDQUOT``)."""
    import errno

    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def free_space_hint(path: str | None) -> str:
    """What to do about a full disk, naming where."""
    where = f"the file system holding {path}" if path else "the platform's disk"
    return f"free space on {where}; the platform resumes by itself once it can write again"


def relogin_failed(exc: AuthFailed) -> SessionExpired:
    """What a transparent re-login that was refused becomes: the session is gone for good."""
    return SessionExpired(
        f"the session expired and logging in again failed: {exc.message}",
        hint="log in again with the right password",
        status=401,
    )
