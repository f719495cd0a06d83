"""The HPE Ezmeral REST session on the gateway (reference §1).

``POST /api/v2/session`` (name, password, tenant_name) → 201 with ``Location``; later calls carry
``X-BDS-SESSION`` = the whole Location value; ``GET`` the session for who/where/until when;
``DELETE /api/v2/session/<id>`` logs out; ``GET /api/v2/k8skubeconfig`` returns the tenant
kubeconfig. A 401 on a session call means the session expired (24 h): log in again once with
the stored credentials and retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from mlops_tui.platform.names import shown
from mlops_tui.services import errors, httpclient
from mlops_tui.services.curl import Curl, Secret
from mlops_tui.services.kubernetes import errmap
from mlops_tui.services.kubernetes.options import KubernetesOptions
from mlops_tui.services.platform import CallRecord
from mlops_tui.services.types import Credentials, Session

SESSION_PATH = "/api/v2/session"
KUBECONFIG_PATH = "/api/v2/k8skubeconfig"
SESSION_TTL = timedelta(minutes=1440)  # reference §1.4
SESSION_VAR = "MLOPS_SESSION"
PASSWORD_VAR = "MLOPS_PASSWORD"
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}

# The session JSON's key names are not published (reference §7): accept the plausible spellings.
_USER_KEYS = ("user", "username", "user_name", "name")
_TENANT_KEYS = ("tenant", "tenant_name", "tenantName")
_EXPIRY_KEYS = ("expires_at", "expiration", "expiry", "expires", "expiration_time")
_ROLE_KEYS = ("role", "role_name")


def tls_flags(options: KubernetesOptions) -> tuple[str, ...]:
    """curl's TLS options for the profile, one word each (the workshop always used ``-k``)."""
    if options.insecure:
        return ("-k",)
    if options.ca_file:
        return ("--cacert", str(options.ca_file))
    return ()


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = data.get(key)
        if isinstance(value, dict):  # e.g. {"user": {"name": ...}}
            value = value.get("name") or value.get("label", {}).get("name")
        if value not in (None, ""):
            return value
    return None


def _expiry(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float) or str(value).isdigit():
            seconds = float(value)
            return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, UTC)
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None


class EzmeralRest:
    """One user's REST session on one gateway."""

    def __init__(
        self,
        credentials: Credentials,
        options: KubernetesOptions,
        record: Callable[[CallRecord], None],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_relogin: Callable[[], None] | None = None,
    ) -> None:
        self.credentials = credentials
        self.on_relogin = on_relogin
        self.options = options
        self.url = credentials.url.rstrip("/")
        self.location: str | None = None
        self.logged_in_at: datetime | None = None
        self._record = record
        self._lock = asyncio.Lock()
        timeout = httpx.Timeout(options.request_timeout, connect=options.connect_timeout)
        # The gateway is remote: *_PROXY/NO_PROXY apply as for curl (services/proxy.py).
        self._http, self._proxies = httpclient.client(
            timeout=timeout, verify=options.ssl_verify(), transport=transport
        )
        self.relogins = 0

    # -- equivalent commands -------------------------------------------------------------------

    def curl(self, op: str) -> str:
        session = Secret(SESSION_VAR, self.location)
        tls = tls_flags(self.options)
        if op == "login":
            body = {
                "name": self.credentials.user,
                "password": Secret(PASSWORD_VAR, self.credentials.password),
                "tenant_name": self.credentials.tenant,
            }
            c = Curl(
                "POST",
                (self.url + SESSION_PATH,),
                (("Accept", ("application/json",)),),
                json_body=body,
                capture=SESSION_VAR,
                flags=tls,
            )
        elif op == "whoami":
            c = Curl("GET", (self.url, session), (("X-BDS-SESSION", (session,)),), flags=tls)
        elif op == "logout":
            c = Curl("DELETE", (self.url, session), (("X-BDS-SESSION", (session,)),), flags=tls)
        elif op == "kubeconfig":
            c = Curl(
                "GET",
                (self.url + KUBECONFIG_PATH,),
                (("X-BDS-SESSION", (session,)),),
                output="config",
                flags=tls,
            )
        else:
            raise errors.InvalidInput(f"no REST operation {shown(op)}", field="op")
        return c.render()

    # -- sending -------------------------------------------------------------------------------

    async def _send(self, op: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self.url + path
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            self._record(CallRecord(op=op, command=self.curl(op), status=None))
            where = f"the Ezmeral gateway at {self.url}"
            raise httpclient.unreachable(where, url, exc, self._proxies) or errmap.unreachable(
                where, exc
            ) from None
        self._record(CallRecord(op=op, command=self.curl(op), status=response.status_code))
        return response

    async def login(self) -> str:
        async with self._lock:
            return await self._login_unlocked()

    async def _login_unlocked(self) -> str:
        body = {
            "name": self.credentials.user,
            "password": self.credentials.password,
            "tenant_name": self.credentials.tenant,
        }
        response = await self._send("login", "POST", SESSION_PATH, json=body, headers=JSON_HEADERS)
        if response.status_code in (401, 403):
            raise errors.AuthFailed(
                f"the gateway refused {shown(self.credentials.user)} "
                f"in tenant {shown(self.credentials.tenant)}"
                " (tenant names are case-sensitive)",
                status=response.status_code,
            )
        if response.status_code != 201 and not response.is_success:
            refused = errmap.from_status(
                response.status_code, errmap.status_message(response.content), "login"
            )
            raise errors.cannot_log_in(refused) if isinstance(refused, errors.DiskFull) else refused
        location = response.headers.get("Location", "").strip()
        if not location.startswith(SESSION_PATH + "/"):
            raise errors.PlatformFailure(
                f"login answered {response.status_code} without a session Location header "
                f"(got {shown(location)})"
            )
        self.location = location
        self.logged_in_at = datetime.now(UTC)
        return location

    async def _authed(self, op: str, method: str, path: str) -> httpx.Response:
        """A session call; on 401 log in again (stored credentials) and retry once."""
        if self.location is None:
            await self.login()
        stale = self.location
        response = await self._send(op, method, path, headers={**JSON_HEADERS, "X-BDS-SESSION": stale or ""})
        if response.status_code == 401:
            await self._relogin(stale)
            response = await self._send(
                op, method, path, headers={**JSON_HEADERS, "X-BDS-SESSION": self.location or ""}
            )
            if response.status_code == 401:
                raise errors.SessionExpired("the gateway refused a fresh session", status=401)
        return response

    async def _relogin(self, stale: str | None) -> None:
        async with self._lock:
            if self.location is not None and self.location != stale:
                return
            self.relogins += 1
            if self.on_relogin is not None:
                self.on_relogin()
            try:
                await self._login_unlocked()
            except errors.AuthFailed as exc:
                raise errors.relogin_failed(exc) from None

    async def session_info(self) -> Session:
        """``GET /api/v2/session/<id>`` read into a :class:`Session` (keys vary: see reference §7)."""
        if self.location is None:
            await self.login()
        response = await self._authed("whoami", "GET", self.location or SESSION_PATH)
        if not response.is_success:
            raise errmap.from_status(response.status_code, errmap.status_message(response.content), "session")
        try:
            data = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        expires = _expiry(_first(data, _EXPIRY_KEYS))
        if expires is None and self.logged_in_at is not None:
            expires = self.logged_in_at + SESSION_TTL
        tenant = str(_first(data, _TENANT_KEYS) or self.credentials.tenant)
        return Session(
            id=self.location or "",
            user=str(_first(data, _USER_KEYS) or self.credentials.user),
            tenant=tenant,
            role=str(_first(data, _ROLE_KEYS) or "member"),
            expires_at=expires,
            namespace=str(data.get("namespace") or tenant.lower()),
        )

    async def logout(self) -> None:
        if self.location is None:
            return
        location, self.location = self.location, None
        try:
            response = await self._send(
                "logout", "DELETE", location, headers={**JSON_HEADERS, "X-BDS-SESSION": location}
            )
        finally:
            self.location = None
        if response.status_code not in (200, 204, 401, 404):
            raise errmap.from_status(response.status_code, errmap.status_message(response.content), "logout")

    async def kubeconfig(self) -> str:
        response = await self._authed("kubeconfig", "GET", KUBECONFIG_PATH)
        if response.status_code == 404:
            raise errors.NotFound(
                "this gateway has no kubeconfig for the tenant",
                hint="the tenant must be a Kubernetes tenant",
                status=404,
            )
        if not response.is_success:
            raise errmap.from_status(
                response.status_code, errmap.status_message(response.content), "kubeconfig"
            )
        return response.text

    async def aclose(self) -> None:
        await self._http.aclose()
