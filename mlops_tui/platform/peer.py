"""Who is at the other end of a loopback connection: the OS user that owns the client's socket.

Every client of a platform on loopback comes from 127.0.0.1, and on a shared jump host every user
of the host can reach its port: the address says nothing about who is calling. The kernel does:
``/proc/net/tcp`` and ``/proc/net/tcp6`` list every TCP socket of this network namespace with the
uid that owns it (the ``uid`` column; what ``ss -e`` and identd read). The client's own socket is
the one whose local port is the client's port and whose remote port is ours.

Linux only; elsewhere, or when the socket cannot be found (it closed already, another network
namespace), :func:`loopback_uid` returns None and the caller falls back to the address. Read only
for a login (a few hundred lines on a busy host), never per request.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))


def is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost"
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def loopback_uid(client_port: int, server_port: int, tables: tuple[Path, ...] = TABLES) -> int | None:
    """The uid owning the loopback socket ``client_port`` → ``server_port``, or None if not found."""
    local, remote = f":{client_port:04X}", f":{server_port:04X}"
    for table in tables:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 7 and fields[1].endswith(local) and fields[2].endswith(remote):
                try:
                    return int(fields[7])
                except ValueError:
                    return None
    return None


def identity(host: str, port: int | None, server_port: int | None) -> tuple[str, int | None]:
    """``(key, uid)``: ``"127.0.0.1 uid 1000"`` for a loopback client whose uid is found, else the
    address alone (uid None). The key is what the login back-off counts failures under."""
    if port is None or server_port is None or not is_loopback(host):
        return host, None
    uid = loopback_uid(port, server_port)
    return (f"{host} uid {uid}", uid) if uid is not None else (host, None)
