"""The httpx transport every client of the app uses: direct or through a proxy, per request, by the
rule of :mod:`mlops_tui.services.proxy` (loopback never proxied; ``*_PROXY``/``NO_PROXY`` as curl).

httpx does the proxying itself (one ``AsyncHTTPTransport(proxy=...)`` per proxy URL, created on
first use); this class only chooses. Clients using it are built with ``trust_env=False`` so httpx
does not apply its own, different reading of the same variables on top.
"""

from __future__ import annotations

import contextlib
import ssl

import httpx

from mlops_tui.services import errors
from mlops_tui.services import proxy as proxies
from mlops_tui.services.proxy import Proxy, ProxyEnvironment

HTTPX_SCHEMES = "http, https, socks5 and socks5h"


def check_supported(proxy: Proxy) -> None:
    """Raise :class:`~mlops_tui.services.errors.InvalidInput` (one line naming the variable and
    what to install or unset) for a malformed proxy value or one httpx cannot speak here."""
    proxies.check_valid(proxy)
    if proxy.scheme in ("http", "https"):
        return
    if proxy.scheme in ("socks5", "socks5h"):
        try:
            import socksio  # noqa: F401  (httpx's optional SOCKS dependency)
        except ImportError:
            raise proxies.unsupported(
                proxy, client="httpx", schemes=HTTPX_SCHEMES, install="httpx[socks]"
            ) from None
        return
    raise proxies.unsupported(proxy, client="httpx", schemes=HTTPX_SCHEMES, install=None)


class ProxyRouting(httpx.AsyncBaseTransport):
    """Sends each request direct or through the proxy its URL gets from ``environment``."""

    def __init__(
        self, environment: ProxyEnvironment | None = None, *, verify: ssl.SSLContext | bool = True
    ) -> None:
        self.environment = environment if environment is not None else ProxyEnvironment.from_environ()
        self._verify = verify
        self._direct = httpx.AsyncHTTPTransport(verify=verify)
        self._proxied: dict[str, httpx.AsyncHTTPTransport] = {}

    def proxy_for(self, url: str | httpx.URL) -> Proxy | None:
        return self.environment.for_url(str(url))

    def _transport(self, proxy: Proxy | None) -> httpx.AsyncHTTPTransport:
        if proxy is None:
            return self._direct
        transport = self._proxied.get(proxy.url)
        if transport is None:
            check_supported(proxy)
            transport = httpx.AsyncHTTPTransport(verify=self._verify, proxy=proxy.url)
            self._proxied[proxy.url] = transport
        return transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport(self.proxy_for(request.url)).handle_async_request(request)

    async def aclose(self) -> None:
        for transport in (self._direct, *self._proxied.values()):
            await transport.aclose()


def client(
    *,
    timeout: httpx.Timeout,
    verify: ssl.SSLContext | bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
    environment: ProxyEnvironment | None = None,
    follow_redirects: bool = False,
) -> tuple[httpx.AsyncClient, ProxyEnvironment]:
    """An ``AsyncClient`` routed by the proxy rule, and the environment it routes by (for messages).

    A given ``transport`` (tests) replaces the routing: its calls are direct as far as messages go."""
    if transport is not None:
        environment = ProxyEnvironment()
    elif environment is None:
        environment = ProxyEnvironment.from_environ()
    routing = transport if transport is not None else ProxyRouting(environment, verify=verify)
    http = httpx.AsyncClient(
        timeout=timeout, transport=routing, trust_env=False, follow_redirects=follow_redirects
    )
    return http, environment


def unreachable(
    where: str, url: str, exc: BaseException, environment: ProxyEnvironment
) -> errors.Unreachable | None:
    """The error for a transport failure of a call to ``url`` that went through a proxy, or None
    when the call was direct (the caller then says what it says for direct calls)."""
    proxy = environment.for_url(url)
    if proxy is None or _tls_verification(exc):
        return None  # direct, or the tunnel worked and the certificate is the problem: the caller's TLS hint
    reason = "timed out" if isinstance(exc, httpx.TimeoutException) else str(exc) or type(exc).__name__
    return proxies.unreachable(where, proxy, reason)


def _tls_verification(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


# OpenSSL's reasons for a TLS client that got a plain-HTTP answer (an http:// server on https://).
_PLAIN_HTTP_REASONS = (
    "WRONG_VERSION_NUMBER",
    "HTTP_REQUEST",
    "PACKET_LENGTH_TOO_LONG",
    "RECORD_LAYER_FAILURE",
)
TLS_PROBE_DEADLINE_S = 2.0


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")


async def speaks_tls(host: str, port: int, deadline: float = TLS_PROBE_DEADLINE_S) -> bool:
    """Whether ``host:port`` completes a TLS handshake within ``deadline`` seconds (any
    certificate: this only tells an https server from a plain one)."""
    import asyncio

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=context), deadline)
    except (OSError, ssl.SSLError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), deadline)
    return True


async def transport_failure(url: str, exc: BaseException) -> errors.Unreachable | None:
    """The error for a direct call's transport failure whose cause is known, or None (the caller
    then says "did not answer"): the server answered but its certificate is not trusted (pass its
    CA file); an https:// URL to a plain-HTTP server, or an http:// URL to an HTTPS server (a
    closed connection there is told from a dead server by a TLS handshake within
    :data:`TLS_PROBE_DEADLINE_S`). Used by every adapter call and so by every command."""
    target = httpx.URL(url)
    origin = _origin(target)
    if _tls_verification(exc):
        detail = _reason(exc)
        return errors.Unreachable(
            f"{origin} answered, but its certificate is not trusted here ({detail})",
            hint="pass the platform's CA certificate: mlops-tui join URL … --ca-file FILE (a workshop's "
            "handout names the file), or ca_file in the profile",
        )
    text = _chain_text(exc)
    if target.scheme == "https" and any(r in text for r in _PLAIN_HTTP_REASONS):
        plain = str(target.copy_with(scheme="http")).split("/api/", 1)[0]
        return errors.Unreachable(f"{origin} speaks plain http, not https", hint=f"use {plain}")
    closed = isinstance(exc, httpx.ReadError | httpx.RemoteProtocolError | httpx.WriteError)
    if (
        target.scheme == "http"
        and closed
        and target.host
        and await speaks_tls(target.host, target.port or 80)
    ):
        secure = str(target.copy_with(scheme="https")).split("/api/", 1)[0]
        return errors.Unreachable(
            f"{origin} speaks https, not plain http", hint=f"use {secure} (and --ca-file from the handout)"
        )
    return None


def _chain_text(exc: BaseException) -> str:
    seen: set[int] = set()
    parts: list[str] = []
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(str(current).upper())
        parts.append(str(getattr(current, "reason", "") or "").upper())
        current = current.__cause__ or current.__context__
    return " ".join(parts)


def _reason(exc: BaseException) -> str:
    text = str(exc)
    at = text.find("certificate verify failed")
    return text[at:].rstrip(")").split(" (_ssl")[0] if at >= 0 else "certificate verify failed"
