"""The httpx transport every client of the app uses: direct or through a proxy, per request, by the
rule of :mod:`mlops_tui.services.proxy` (loopback never proxied; ``*_PROXY``/``NO_PROXY`` as curl).

httpx does the proxying itself (one ``AsyncHTTPTransport(proxy=...)`` per proxy URL, created on
first use); this class only chooses. Clients using it are built with ``trust_env=False`` so httpx
does not apply its own, different reading of the same variables on top.
"""

from __future__ import annotations

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
