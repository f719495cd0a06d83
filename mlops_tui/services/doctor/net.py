"""Hop by hop to a server: name resolution, TCP, an HTTP proxy's CONNECT, the TLS handshake.

Plain sockets and :mod:`ssl`, so each hop fails on its own and can be named: the HTTP clients of
the app (httpx, urllib3) fold all of them into one "cannot connect". Blocking: the checks call
these in a thread and bound them with their deadline (``getaddrinfo`` has no timeout of its own).
A certificate that fails verification is read a second time without verification, only to say
what it is (subject, issuer, expiry); nothing is sent over that connection.
"""

from __future__ import annotations

import base64
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from mlops_tui.platform.names import shown
from mlops_tui.services.proxy import Proxy

# OpenSSL X509_V_ERR_* codes (include/openssl/x509_vfy.h) that get their own words.
CERT_NOT_YET_VALID = 9
CERT_HAS_EXPIRED = 10
DEPTH_ZERO_SELF_SIGNED_CERT = 18
SELF_SIGNED_CERT_IN_CHAIN = 19
UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20
UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21
HOSTNAME_MISMATCH = 62
IP_ADDRESS_MISMATCH = 64


@dataclass(frozen=True)
class Target:
    """Where a URL points: scheme, host and port (the scheme's default when none is given)."""

    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Target:
        parts = urlsplit(url)
        if not parts.hostname:
            raise ValueError(f"{shown(url)} has no host")
        scheme = (parts.scheme or "https").lower()
        return cls(scheme, parts.hostname, parts.port or (443 if scheme == "https" else 80))

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (IPv4 and IPv6, deduplicated, in resolver order)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


def connect(host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection (``socket.create_connection`` tries every address in turn)."""
    return socket.create_connection((host, port), timeout=timeout)


def connect_via_proxy(proxy: Proxy, target: Target, timeout: float) -> tuple[socket.socket, str]:
    """A tunnel to ``target`` through an HTTP proxy (``CONNECT host:port``, RFC 9110 §9.3.6).

    Returns the socket and the proxy's status line. Raises :class:`ProxyRefused` when the proxy
    answers with anything but 2xx, :class:`OSError` when it does not answer.
    """
    parts = urlsplit(proxy.url)
    sock = connect(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80), timeout)
    try:
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        head = f"CONNECT {target.address} HTTP/1.1\r\nHost: {target.address}\r\n"
        if parts.username:
            user = f"{parts.username}:{parts.password or ''}"
            head += f"Proxy-Authorization: Basic {base64.b64encode(user.encode()).decode()}\r\n"
        sock.sendall((head + "\r\n").encode("latin-1"))
        answer = b""
        while b"\r\n\r\n" not in answer and len(answer) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionResetError("the proxy closed the connection without answering")
            answer += chunk
        line = answer.split(b"\r\n", 1)[0].decode("latin-1").strip()
        code = line.split(" ", 2)[1] if line.count(" ") >= 1 else ""
        if not code.startswith("2"):
            raise ProxyRefused(line)
        return sock, line
    except BaseException:
        sock.close()
        raise


class ProxyRefused(Exception):
    """The proxy answered the CONNECT with a status other than 2xx; ``str()`` is its status line."""

    @property
    def status(self) -> int:
        try:
            return int(str(self).split(" ", 2)[1])
        except (IndexError, ValueError):
            return 0


@dataclass(frozen=True)
class Certificate:
    """What a server's certificate says about itself."""

    subject: str
    issuer: str
    not_after: datetime | None
    names: tuple[str, ...]

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer


def verifying_context(*, ca_file: str = "", ca_data: bytes = b"", insecure: bool = False) -> ssl.SSLContext:
    """The trust the app uses: the system's, a CA file, CA data (a kubeconfig's), or none."""
    if insecure:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if ca_data:
        return ssl.create_default_context(cadata=ca_data.decode("ascii", "replace"))
    if ca_file:
        return ssl.create_default_context(cafile=ca_file)
    return ssl.create_default_context()


def handshake(sock: socket.socket, host: str, context: ssl.SSLContext) -> tuple[ssl.SSLSocket, str]:
    """TLS over ``sock`` (a plain or tunnelled connection); returns the TLS socket and its version."""
    tls = context.wrap_socket(sock, server_hostname=host)
    return tls, tls.version() or "TLS"


def peer_certificate(open_socket: socket.socket, host: str) -> Certificate | None:
    """The server's certificate, read without verifying it (to describe why verification failed)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with ctx.wrap_socket(open_socket, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None
    return describe(der) if der else None


def describe(der: bytes) -> Certificate | None:
    """Subject, issuer, expiry and names of a DER certificate (``cryptography``, which the keyring's
    SecretStorage already brings on Linux; None where it is missing)."""
    try:
        from cryptography import x509
        from cryptography.x509.oid import NameOID
    except ImportError:
        return None
    cert = x509.load_der_x509_certificate(der)

    def name(n: x509.Name) -> str:
        cn = n.get_attributes_for_oid(NameOID.COMMON_NAME)
        return f"CN={cn[0].value}" if cn else n.rfc4514_string() or "(empty)"

    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [str(v) for v in san.get_values_for_type(x509.DNSName)]
        names += [str(v) for v in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    return Certificate(name(cert.subject), name(cert.issuer), cert.not_valid_after_utc, tuple(names))


def verification_problem(exc: ssl.SSLCertVerificationError, host: str, cert: Certificate | None) -> str:
    """Why a certificate was refused, in words: expired (when), self-signed, unknown CA, wrong name."""
    code = getattr(exc, "verify_code", 0)
    what = f"the certificate of {host}"
    about = f" ({cert.subject}, issued by {cert.issuer})" if cert else ""
    if code == CERT_HAS_EXPIRED:
        when = f" on {cert.not_after:%Y-%m-%d %H:%M} UTC" if cert and cert.not_after else ""
        return f"{what} has expired{when}{about}"
    if code == CERT_NOT_YET_VALID:
        return f"{what} is not valid yet{about}: check this host's clock"
    if code == DEPTH_ZERO_SELF_SIGNED_CERT or (
        cert is not None and cert.self_signed and code != HOSTNAME_MISMATCH
    ):
        return f"{what} is self-signed{about}"
    if code == SELF_SIGNED_CERT_IN_CHAIN:
        return f"{what} chains to a self-signed root this host does not trust{about}"
    if code in (UNABLE_TO_GET_ISSUER_CERT_LOCALLY, UNABLE_TO_VERIFY_LEAF_SIGNATURE):
        return f"{what} is signed by a CA this host does not trust{about}"
    if code in (HOSTNAME_MISMATCH, IP_ADDRESS_MISMATCH):
        names = f" (it names {', '.join(cert.names)})" if cert and cert.names else ""
        return f"{what} is not for {host}{names}"
    return f"{what} failed verification: {getattr(exc, 'verify_message', '') or exc}{about}"


def days_left(cert: Certificate | None) -> float | None:
    if cert is None or cert.not_after is None:
        return None
    return (cert.not_after - datetime.now(UTC)).total_seconds() / 86400
