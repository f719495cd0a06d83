"""The network hops to one server (the Ezmeral gateway, the Kubernetes API server) as checks:
proxy in use and whether it answers, DNS, TCP, TLS. Each says what it saw in one line.

Proxies follow the app's one rule (:mod:`mlops_tui.services.proxy`): the same proxy the app would
use is the one tested. Through an HTTP proxy the target's name is resolved by the proxy and "TCP"
is the CONNECT tunnel; a SOCKS proxy is only checked for answering (the app's clients then speak
SOCKS themselves, and their own calls, the next checks, go through it).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from mlops_tui.services import errors
from mlops_tui.services.doctor import net
from mlops_tui.services.doctor.core import Finding
from mlops_tui.services.proxy import KUBECONFIG_SOURCE, Proxy, check_valid

T = TypeVar("T")
DNS_DEADLINE_S = 5.0
TCP_DEADLINE_S = 5.0  # connect timeout of the app's clients (connect_timeout, 5 s)
TLS_DEADLINE_S = 10.0


@dataclass(frozen=True)
class Hop:
    """One server as the app reaches it. ``trust`` says where the CA comes from, in words;
    ``tls_hint`` what to do when the certificate is refused (profile or kubeconfig settings);
    ``proxy_supported`` is the check of the client that makes the app's calls to it (raising the
    same :class:`~mlops_tui.services.errors.InvalidInput` the app would: a malformed value, a
    scheme the client cannot speak)."""

    label: str  # "the Ezmeral gateway", "the Kubernetes API server"
    url: str
    proxy: Proxy | None
    ca_file: str = ""
    ca_data: bytes = b""
    insecure: bool = False
    trust: str = "the system's CA certificates"
    tls_hint: str = ""
    insecure_switch: str = "verify_tls = false"
    proxy_supported: Callable[[Proxy], None] = check_valid

    @property
    def target(self) -> net.Target:
        return net.Target.of(self.url)


async def blocking(fn: Callable[..., T], *args: object) -> T:
    """``fn(*args)`` in a daemon thread. Not ``asyncio.to_thread``: a name lookup that never answers
    (``getaddrinfo`` has no timeout) would then hold the process at exit, when asyncio joins its
    executor's threads; the check's deadline abandons this thread instead."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(value: object, failed: bool) -> None:
        if future.done():
            return
        if failed:
            future.set_exception(value)  # type: ignore[arg-type]
        else:
            future.set_result(value)  # type: ignore[arg-type]

    def work() -> None:
        try:
            value: object = fn(*args)
            failed = False
        except BaseException as exc:
            value, failed = exc, True
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, value, failed)

    threading.Thread(target=work, name="doctor-net", daemon=True).start()
    return await future


def _undo(proxy: Proxy) -> str:
    if proxy.source == KUBECONFIG_SOURCE:
        return "fix or remove proxy-url in the kubeconfig's cluster"
    return f"add the host to NO_PROXY, or unset {proxy.source}"


async def proxy_check(hop: Hop) -> Finding:
    if hop.proxy is None:
        return Finding.passed(f"none: {hop.target.host} is reached directly")
    proxy = hop.proxy
    try:
        hop.proxy_supported(proxy)  # what the app's client would say first, in its words
    except errors.InvalidInput as exc:
        return Finding.failed(exc.message, exc.hint)
    if proxy.scheme not in ("http", "https"):
        try:
            sock = await blocking(_proxy_socket, proxy)
        except OSError as exc:
            return Finding.failed(
                f"{proxy.describe()} does not answer ({_reason(exc)})",
                f"check that the proxy runs, or {_undo(proxy)}",
            )
        sock.close()
        return Finding.passed(f"{proxy.describe()} answers (a {proxy.scheme} proxy: the tunnel is the app's)")
    try:
        sock, line = await blocking(net.connect_via_proxy, proxy, hop.target, TCP_DEADLINE_S)
    except net.ProxyRefused as exc:
        if exc.status == 407:
            return Finding.failed(
                f"{proxy.describe()} wants a user and password (407)",
                f"put them in the proxy URL (http://user:pass@proxy:port), or {_undo(proxy)}",
            )
        return Finding.failed(
            f"{proxy.describe()} refused to open a tunnel to {hop.target.address}: {exc}",
            f"ask for the proxy to allow it, or {_undo(proxy)}",
        )
    except OSError as exc:
        return Finding.failed(
            f"{proxy.describe()} does not answer ({_reason(exc)})",
            f"check that the proxy runs and its address, or {_undo(proxy)}",
        )
    sock.close()
    return Finding.passed(f"{proxy.describe()}: CONNECT {hop.target.address} → {line}")


def _proxy_socket(proxy: Proxy) -> socket.socket:
    target = net.Target.of(proxy.url)
    return net.connect(target.host, target.port, TCP_DEADLINE_S)


async def dns_check(hop: Hop) -> Finding:
    target = hop.target
    if hop.proxy is not None and hop.proxy.scheme in ("http", "https", "socks5h", "socks4a"):
        return Finding.passed(f"{target.host} is resolved by the proxy {hop.proxy.shown}")
    try:
        addresses = await blocking(net.resolve, target.host, target.port)
    except socket.gaierror as exc:
        return Finding.failed(
            f"{target.host} does not resolve ({exc.strerror or exc})",
            f"check the host name in {hop.url} and this host's DNS (/etc/resolv.conf)",
        )
    shown = ", ".join(addresses[:3]) + (" …" if len(addresses) > 3 else "")
    return Finding.passed(f"{target.host} → {shown}")


async def tcp_check(hop: Hop) -> Finding:
    target = hop.target
    if hop.proxy is not None and hop.proxy.scheme in ("http", "https"):
        # The proxy check opened the tunnel: that is this hop (the proxy reaches the target).
        return Finding.passed(f"{target.address} is reached through the proxy's tunnel")
    if hop.proxy is not None:
        return Finding.skip(f"{target.address} is reached through {hop.proxy.describe()}")
    try:
        sock = await blocking(net.connect, target.host, target.port, TCP_DEADLINE_S)
    except OSError as exc:
        return Finding.failed(
            f"{hop.label} at {target.address} does not accept connections ({_reason(exc)})",
            f"check that it runs and the port in {hop.url}; a firewall may drop the port",
        )
    peer = sock.getpeername()[0]
    sock.close()
    return Finding.passed(f"{target.address} accepts connections ({peer})")


async def tls_check(hop: Hop) -> Finding:
    target = hop.target
    if target.scheme != "https":
        return Finding.skip(f"{hop.url} is plain HTTP: no TLS (anyone on the path can read it)")
    if hop.proxy is not None and hop.proxy.scheme not in ("http", "https"):
        return Finding.skip(f"TLS through {hop.proxy.describe()} is checked by the next calls")
    try:
        context = net.verifying_context(ca_file=hop.ca_file, ca_data=hop.ca_data, insecure=hop.insecure)
    except (OSError, ssl.SSLError, ValueError) as exc:
        return Finding.failed(f"cannot use {hop.trust}: {exc}", hop.tls_hint)
    try:
        version, cert = await blocking(_verified, hop, context)
    except ssl.SSLCertVerificationError as exc:
        cert = await blocking(_unverified, hop)
        return Finding.failed(
            f"{net.verification_problem(exc, target.host, cert)}; trusted: {hop.trust}", hop.tls_hint
        )
    except (ssl.SSLError, OSError, net.ProxyRefused) as exc:
        return Finding.failed(
            f"no TLS handshake with {target.address} ({_reason(exc)})",
            f"check that {hop.url} is an https port of {hop.label}",
        )
    about = f"{cert.subject}, issued by {cert.issuer}" if cert else "certificate"
    if hop.insecure:
        return Finding.passed(f"{version}; NOT verified ({hop.insecure_switch}): {about}")
    left = net.days_left(cert)
    soon = f"; expires in {left:.0f} days" if left is not None and left < 30 else ""
    return Finding.passed(f"{version}, verified with {hop.trust}: {about}{soon}")


def _open(hop: Hop) -> socket.socket:
    if hop.proxy is not None:
        sock, _ = net.connect_via_proxy(hop.proxy, hop.target, TCP_DEADLINE_S)
        return sock
    return net.connect(hop.target.host, hop.target.port, TCP_DEADLINE_S)


def _verified(hop: Hop, context: ssl.SSLContext) -> tuple[str, net.Certificate | None]:
    sock = _open(hop)
    try:
        tls, version = net.handshake(sock, hop.target.host, context)
    except BaseException:
        sock.close()
        raise
    with tls:
        der = tls.getpeercert(binary_form=True)
    return version, net.describe(der) if der else None


def _unverified(hop: Hop) -> net.Certificate | None:
    try:
        sock = _open(hop)
    except (OSError, net.ProxyRefused):
        return None
    with contextlib.closing(sock):
        return net.peer_certificate(sock, hop.target.host)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"no answer within {TCP_DEADLINE_S:g} s"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
