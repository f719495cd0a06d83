"""A tiny HTTP CONNECT proxy on loopback (what a corporate proxy does for https://), recording the
``host:port`` of each tunnel it opens, and a resolver that maps the test-only ``*.kdfake.test``
names to 127.0.0.1 (so calls to them are not loopback calls, yet reach the fakes)."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from typing import Any

from .certs import FAKE_DOMAIN

NEVER_RESOLVES = f"never.{FAKE_DOMAIN}"  # its lookup hangs, as with a DNS server that never answers


class _Tunnel(socketserver.BaseRequestHandler):
    server: ConnectProxy

    def handle(self) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            head += chunk
        method, target, _ = head.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        if method != "CONNECT":
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        self.server.tunnels.append(target)
        host, _, port = target.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
        except OSError:
            self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        upstream.settimeout(None)
        with upstream:
            back = threading.Thread(target=_pipe, args=(upstream, self.request), daemon=True)
            back.start()
            _pipe(self.request, upstream)
            back.join(5)


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := src.recv(65536):
            dst.sendall(data)
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)


class ConnectProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Tunnel)
        self.tunnels: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> ConnectProxy:
        threading.Thread(target=self.serve_forever, name="connect-proxy", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


@contextlib.contextmanager
def fake_resolver(patch: Callable[[Any, str, Any], None]) -> Iterator[threading.Event]:
    """Resolve ``kdfake.test`` and its sub-domains to 127.0.0.1 and hang on :data:`NEVER_RESOLVES`
    until the event it yields is set (or the context ends); ``patch`` is ``monkeypatch.setattr``."""
    real = socket.getaddrinfo
    release = threading.Event()

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = (host.decode() if isinstance(host, bytes) else str(host or "")).rstrip(".").lower()
        if name == NEVER_RESOLVES:
            release.wait(120)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        if name == FAKE_DOMAIN or name.endswith("." + FAKE_DOMAIN):
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    patch(socket, "getaddrinfo", getaddrinfo)
    try:
        yield release
    finally:
        release.set()
