"""Keep a deployment's listening socket open across a platform restart, so no request is refused.

The platform binds each deployment's socket and hands it to the prediction server it starts. When
the platform exits (stopped, restarted or killed) its servers keep running and keep serving on that
socket; the next platform asks each of them for the socket over a private Unix socket
(``SCM_RIGHTS``), starts its own server on it, and stops the old one once the new one is ready. The
socket is never closed, so a connection made at any moment of the restart is accepted (before:
about 60 ms of "connection refused" on every deployment port).

A server whose platform is gone waits ``grace`` seconds for a successor to claim it, then stops:
stopping the platform for good stops its deployments, that much later. A claim makes the claiming
platform the server's owner (it is watched the same way).

The control socket is ``control-<server pid>.sock`` in the deployment's folder (private, in the
0700 state directory). Paths go through ``/proc/self/fd/<dir fd>/`` so that a long state
directory cannot exceed the 108 bytes of a Unix socket address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

log = logging.getLogger("mlops_tui.platform.handover")

CLAIM_TIMEOUT_S = 2.0
MAX_MESSAGE = 256


def control_name(pid: int) -> str:
    return f"control-{pid}.sock"


@contextlib.contextmanager
def _short_path(folder: Path, name: str) -> Iterator[str]:
    """A path to ``folder/name`` short enough for a Unix socket address, whatever ``folder`` is."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{name}"
    finally:
        os.close(fd)


def claim(folder: Path, pid: int, timeout: float = CLAIM_TIMEOUT_S) -> socket.socket | None:
    """Ask the server ``pid`` for its listening socket (blocking, at most ``timeout`` s).

    Returns the socket (inheritable, as the platform passes it on), or None when the server does
    not answer (it is gone, or an older server without a control socket).
    """
    try:
        with _short_path(folder, control_name(pid)) as path, socket.socket(socket.AF_UNIX) as conn:
            conn.settimeout(timeout)
            conn.connect(path)
            conn.sendall(f"claim {os.getpid()}\n".encode())
            message, fds, _flags, _addr = socket.recv_fds(conn, MAX_MESSAGE, 1)
    except OSError as exc:
        log.info("server %d gave no socket (%s)", pid, exc)
        return None
    if not fds or not message.startswith(b"ok"):
        for fd in fds:
            os.close(fd)
        return None
    sock = socket.socket(fileno=fds[0])
    sock.set_inheritable(True)
    return sock


class Keeper:
    """The server's side: answer claims, and stop the server when its owner is gone too long."""

    def __init__(
        self, folder: Path, sock: socket.socket, owner: int, grace: float, on_expired: Callable[[], None]
    ) -> None:
        self.folder = folder
        self.sock = sock
        self.grace = grace
        self.on_expired = on_expired
        self.owner = owner
        self._pidfd: int | None = None
        self._orphaned_at: float | None = None
        self._control: asyncio.base_events.Server | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._name = control_name(os.getpid())

    async def start(self) -> None:
        """Watch the owner, then listen for claims (OSError if the control socket cannot be made:
        the owner is watched all the same)."""
        loop = asyncio.get_running_loop()
        self._watch(self.owner, loop, parent=True)
        unix = socket.socket(socket.AF_UNIX)
        try:
            with _short_path(self.folder, self._name) as path:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
                unix.bind(path)
                os.chmod(path, 0o600)
            unix.listen(4)
            unix.setblocking(False)
        except OSError:
            unix.close()
            raise
        self._control = await asyncio.start_unix_server(self._serve_claim, sock=unix)

    def close(self) -> None:
        if self._control is not None:
            self._control.close()
        with contextlib.suppress(OSError), _short_path(self.folder, self._name) as path:
            os.unlink(path)
        self._unwatch()

    async def _serve_claim(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(CLAIM_TIMEOUT_S):
                line = await reader.readline()
            words = line.decode(errors="replace").split()
            if len(words) != 2 or words[0] != "claim" or not (words[1].isascii() and words[1].isdigit()):
                return
            conn: socket.socket = writer.get_extra_info("socket")
            with socket.socket(fileno=os.dup(conn.fileno())) as raw:
                raw.setblocking(True)
                socket.send_fds(raw, [b"ok\n"], [self.sock.fileno()])
            new_owner = int(words[1])
            print(f"claimed by the platform with pid {new_owner}", flush=True)
            self._watch(new_owner, asyncio.get_running_loop())
        except (OSError, TimeoutError, ValueError):
            return
        finally:
            writer.close()

    def _watch(self, pid: int, loop: asyncio.AbstractEventLoop, *, parent: bool = False) -> None:
        """Watch ``pid`` (a pidfd is readable once it exits); ``parent``: it must still be ours."""
        self._unwatch()
        self.owner = pid
        try:
            self._pidfd = os.pidfd_open(pid)
        except OSError:  # already gone
            self._orphaned(loop)
            return
        if parent and os.getppid() != pid:  # it died before we watched it (the pid may be reused)
            self._orphaned(loop)
            return
        loop.add_reader(self._pidfd, self._orphaned, loop)

    def _unwatch(self) -> None:
        if self._pidfd is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._orphaned_at = None

    def _orphaned(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._pidfd is not None:
            loop.remove_reader(self._pidfd)
        if self._orphaned_at is not None:
            return
        self._orphaned_at = time.monotonic()
        print(
            f"the platform (pid {self.owner}) is gone; serving on for up to {self.grace:.0f} s "
            "for the next platform to take over",
            flush=True,
        )
        self._timer = loop.call_later(self.grace, self._expired)

    def _expired(self) -> None:
        print(f"no platform took over within {self.grace:.0f} s; stopping", flush=True)
        self.on_expired()
