"""Turn what the kubernetes client, urllib3 and httpx raise into the service error hierarchy.

Kept apart so every module maps failures the same way: a Kubernetes ``Status`` body gives the
message, a transport failure is :class:`Unreachable` (with a TLS hint where it is a certificate
problem), and nothing untyped escapes to the screens.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

from mlops_tui.services import errors

TLS_HINT = (
    "the server's certificate is not trusted: give the CA file (ca_file) or, for a test gateway, insecure"
)


def status_message(body: Any) -> str:
    """The ``message`` of a Kubernetes ``Status`` (or any JSON error body), else the text."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if not body:
        return ""
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return str(body).strip()[:300]
    if isinstance(data, dict):
        return str(data.get("message") or data.get("error") or data.get("reason") or "")[:300]
    return str(data)[:300]


def from_status(status: int | None, message: str, what: str) -> errors.PlatformError:
    """The error for an HTTP ``status`` from the Kubernetes API about ``what``."""
    detail = f"{what}: {message}" if message else what
    if status is None or status == 0:
        return errors.Unreachable(f"{what}: no answer from the Kubernetes API")
    if status == 401:
        return errors.SessionExpired(f"{what}: the Kubernetes API refused the credentials", status=401)
    if status == 403:
        return errors.Forbidden(
            f"{detail} (forbidden)",
            hint="the tenant user lacks a Kubernetes permission: see the Role in docs/kubernetes.md",
            status=403,
        )
    if status == 404:
        return errors.NotFound(f"{what}: not found" + (f" ({message})" if message else ""), status=404)
    if status == 409:
        return errors.Conflict(detail, status=409)
    if status in (400, 422):
        return errors.InvalidInput(detail, status=status)
    if status == 507:  # Insufficient Storage (RFC 4918 §11.5)
        return errors.DiskFull(f"{detail} (HTTP 507)", status=507)
    if status == 503:  # RFC 9110 §15.6.4: a temporary overload or maintenance, not an internal error
        return errors.PlatformFailure(
            f"{detail} (HTTP 503: unavailable for now)", hint="try again in a moment", status=503
        )
    if status == 429:  # RFC 6585 §4: too many requests (API priority and fairness)
        return errors.PlatformFailure(
            f"{detail} (HTTP 429: too many requests)", hint="wait a little, then try again", status=429
        )
    if status >= 500:
        return errors.PlatformFailure(f"{detail} (HTTP {status})", status=status)
    return errors.PlatformError(f"{detail} (HTTP {status})", status=status)


def from_api_exception(exc: Exception, what: str) -> errors.PlatformError:
    """Map a ``kubernetes.client.ApiException``."""
    status = getattr(exc, "status", None)
    return from_status(status, status_message(getattr(exc, "body", None)), what)


def is_tls_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = getattr(current, "reason", None) or current.__cause__ or current.__context__
    return False


def unreachable(where: str, exc: BaseException) -> errors.Unreachable:
    """A transport failure talking to ``where``."""
    if is_tls_error(exc):
        return errors.Unreachable(f"TLS verification failed for {where}", hint=TLS_HINT)
    return errors.Unreachable(f"{where} did not answer ({reason(exc)})")


def reason(exc: BaseException) -> str:
    """A short name for a transport failure (the exception type: urllib3's messages embed object
    reprs that mean nothing to a person)."""
    return type(exc).__name__


def is_transport_error(exc: BaseException) -> bool:
    """True for urllib3/socket failures the kubernetes client lets through."""
    import urllib3.exceptions  # the kubernetes client depends on it; cheap once that is loaded

    return isinstance(exc, urllib3.exceptions.HTTPError | OSError | ConnectionError | TimeoutError)


def is_read_timeout(exc: BaseException) -> bool:
    """True when no data came within the read timeout (the connection itself is fine)."""
    import urllib3.exceptions

    return isinstance(exc, urllib3.exceptions.ReadTimeoutError | TimeoutError)
