"""The one exception the platform's modules raise for anything a client did wrong, or that the
platform's storage refused (disk full: 507, database unusable: 503).

The API layer turns it into the uniform error JSON of the contract
(``{"error", "code", "field"}``); anything else that escapes becomes a logged ``internal`` 500.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """``path``: the file a storage fault is about (507, 503), also given in the body so that a
    client can name it without parsing the message."""

    def __init__(
        self, status: int, code: str, message: str, field: str | None = None, path: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.path = path

    def body(self) -> dict[str, Any]:
        message = self.message
        if self.field and self.field not in message:
            message = f"{self.field}: {message}"  # the message always names the field
        body: dict[str, Any] = {"error": message, "code": self.code, "field": self.field}
        if self.path is not None:
            body["path"] = self.path
        return body


def not_found(message: str, field: str | None = None) -> ApiError:
    return ApiError(404, "not_found", message, field)


def invalid(message: str, field: str | None = None) -> ApiError:
    return ApiError(400, "invalid_input", message, field)


def forbidden(message: str, field: str | None = None) -> ApiError:
    """403: the caller is signed in but may not do this (e.g. an attendee changing another's object).

    Given only for objects of the caller's own tenant: another tenant's objects stay 404.
    """
    return ApiError(403, "forbidden", message, field)


def conflict(message: str, field: str | None = None) -> ApiError:
    return ApiError(409, "conflict", message, field)


def exists(message: str, path: str) -> ApiError:
    """409 ``exists``: a write would replace a file that is already there. Nothing was written; the
    client asks again with ``replace`` (an explicit choice) or picks another name."""
    return ApiError(409, "exists", message, "path", path=path)


def session_expired(message: str) -> ApiError:
    return ApiError(401, "session_expired", message)


def disk_full(path: str) -> ApiError:
    """507 Insufficient Storage (RFC 4918 §11.5): a write failed for want of space on ``path``'s device."""
    return ApiError(
        507,
        "insufficient_storage",
        f"disk full: no space left on the device holding {path}; free some space there "
        "(the platform resumes by itself when it can write again)",
        path=path,
    )


def storage_unavailable(path: str, detail: str) -> ApiError:
    """503: the platform's database or files cannot be used for a reason other than space."""
    return ApiError(
        503,
        "unavailable",
        f"the platform cannot use {path} ({detail}); see the platform log, and if the database is "
        "damaged stop the platform and restore a backup (mlops-tui platform restore FILE)",
        path=path,
    )
