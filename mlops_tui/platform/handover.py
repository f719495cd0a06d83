"""Keep a deployment's listening socket open across a platform restart, so no request is refused.

The platform binds each deployment's socket and hands it to the prediction server it starts. When
the platform exits for a restart (``platform restart``) or dies (SIGKILL, the OOM killer) its
servers keep running and keep serving on that socket; the next platform asks each of them for the
socket over a private Unix socket (``SCM_RIGHTS``), starts its own server on it, and stops the old
one once the new one is ready. The socket is never closed, so a connection made at any moment of
the restart is accepted (before: about 60 ms of "connection refused" on every deployment port).

A server whose platform is gone waits ``grace`` seconds for a successor to claim it, then stops.
(``platform stop`` does not leave its servers behind: it stops them at once, and asks any a dead
platform left to stop, over their control sockets: :func:`stop_servers`.) A claim makes the
claiming platform the server's owner (it is watched the same way).

How a server knows its platform is gone: the platform's *lifeline*, the read end of a pipe whose
write end only the platform holds. It reaches the server as an inherited descriptor named by
``$MLOPS_LIFELINE_FD`` (then with every claim, over ``SCM_RIGHTS``), and becomes readable (end of
file) when the platform exits, however it exits. Pids do not work for this when the server runs
in a sandbox with its own PID namespace (workshop mode: the platform's pid means nothing there),
and a pidfd of the platform would let the sandboxed code signal it or take its descriptors; a pipe
end grants nothing. A server started without a lifeline watches the ``--owner`` pid as before.

The control socket is ``control-<server pid>-<random>.sock`` in the deployment's folder (private,
in the 0700 state directory; the random part because a sandboxed server's pid is that of its own
namespace, the same for every server). A claim tries every control socket of the folder: the
servers of one deployment all share its listening socket. Paths go through
``/proc/self/fd/<dir fd>/`` so that a long state directory cannot exceed the 108 bytes of a Unix
socket address.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

log = logging.getLogger("mlops_tui.platform.handover")

CLAIM_TIMEOUT_S = 2.0
MAX_MESSAGE = 256
LIFELINE_ENV = "MLOPS_LIFELINE_FD"


def control_name(pid: int) -> str:
    return f"control-{pid}-{secrets.token_hex(4)}.sock"


def _control_sockets(folder: Path, pid: int) -> list[str]:
    """The control sockets of ``folder``: those of ``pid`` first, then the newest."""
    try:
        found = [p for p in folder.iterdir() if p.name.startswith("control-") and p.name.endswith(".sock")]
    except OSError:
        return []
    found.sort(key=lambda p: (not p.name.startswith(f"control-{pid}"), -_mtime(p)))
    return [p.name for p in found]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


@contextlib.contextmanager
def _short_path(folder: Path, name: str) -> Iterator[str]:
    """A path to ``folder/name`` short enough for a Unix socket address, whatever ``folder`` is."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{fd}/{name}"
    finally:
        os.close(fd)


def claim(
    folder: Path, pid: int, timeout: float = CLAIM_TIMEOUT_S, lifeline: int | None = None
) -> socket.socket | None:
    """Ask the servers of ``folder`` (``pid``'s first) for the listening socket (blocking, at most
    ``timeout`` s each); ``lifeline`` is the claiming platform's lifeline, sent along.

    Returns the socket (inheritable, as the platform passes it on), or None when no server answers
    (they are gone, or an older server without a control socket).
    """
    for name in _control_sockets(folder, pid):
        try:
            with _short_path(folder, name) as path, socket.socket(socket.AF_UNIX) as conn:
                conn.settimeout(timeout)
                conn.connect(path)
                socket.send_fds(conn, [f"claim {os.getpid()}\n".encode()], [lifeline] if lifeline else [])
                message, fds, _flags, _addr = socket.recv_fds(conn, MAX_MESSAGE, 1)
        except OSError as exc:
            log.info("server %d gave no socket through %s (%s)", pid, name, exc)
            continue
        if not fds or not message.startswith(b"ok"):
            for fd in fds:
                os.close(fd)
            continue
        sock = socket.socket(fileno=fds[0])
        sock.set_inheritable(True)
        return sock
    return None


def stop_servers(folders: list[Path], timeout: float) -> int:
    """Ask every server of ``folders`` to stop (``stop`` over its control socket: it answers what it
    has and exits, as on SIGTERM) and wait up to ``timeout`` seconds for each to have exited;
    returns how many agreed. Used by ``platform stop`` for servers a dead platform left: a
    sandboxed server's pid is that of its own PID namespace, so it cannot be signalled by the pid in
    its control socket's name, but it can be asked. A server keeps the connection of a ``stop``
    open until it exits, so its end of file says "exited" without any pid."""
    agreed: list[socket.socket] = []
    for folder in folders:
        for name in _control_sockets(folder, 0):
            conn = socket.socket(socket.AF_UNIX)
            try:
                with _short_path(folder, name) as path:
                    conn.settimeout(CLAIM_TIMEOUT_S)
                    conn.connect(path)
                    conn.sendall(b"stop\n")
                    if conn.recv(MAX_MESSAGE).startswith(b"ok"):
                        agreed.append(conn)
                        continue
            except OSError:
                pass  # a socket left by a killed server: nobody listens
            conn.close()
    deadline = time.monotonic() + timeout
    for conn in agreed:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(max(0.01, deadline - time.monotonic()))
            while conn.recv(MAX_MESSAGE):
                pass
    return len(agreed)


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
        self._pidfd: int | None = None  # what is watched: a pidfd, or a lifeline's read end
        self._orphaned_at: float | None = None
        self._control: socket.socket | None = None
        self._accepting: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._name = control_name(os.getpid())
        self._stop_askers: list[int] = []  # connections of ``stop`` requests, closed by our exit

    async def start(self) -> None:
        """Watch the owner, then listen for claims (OSError if the control socket cannot be made:
        the owner is watched all the same)."""
        loop = asyncio.get_running_loop()
        lifeline = os.environ.pop(LIFELINE_ENV, "")
        if lifeline.isdigit():
            self._watch_fd(int(lifeline), loop)
        else:
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
        self._control = unix
        self._accepting = asyncio.create_task(self._accept(unix), name="handover-control")

    def close(self) -> None:
        if self._accepting is not None:
            self._accepting.cancel()
        if self._control is not None:
            self._control.close()
        with contextlib.suppress(OSError), _short_path(self.folder, self._name) as path:
            os.unlink(path)
        self._unwatch()

    async def _accept(self, unix: socket.socket) -> None:
        """Answer claims one at a time (a claim carries descriptors, so no stream reader: it would
        read the bytes and drop them)."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(unix)
            except OSError:
                return
            with conn:
                conn.setblocking(True)
                conn.settimeout(CLAIM_TIMEOUT_S)
                await asyncio.to_thread(self._serve_claim, conn, loop)

    def _serve_claim(self, conn: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        """One request, in a worker thread: ``claim <pid>`` (+ the claimer's lifeline) → our socket;
        ``stop`` → ``ok``, then the server stops."""
        fds: list[int] = []
        try:
            line, fds, _flags, _addr = socket.recv_fds(conn, MAX_MESSAGE, 1)
            words = line.decode(errors="replace").split()
            if words == ["stop"]:  # platform stop, for a server its dead platform left
                conn.sendall(b"ok\n")
                # Held open until this process exits: the asker's end of file means "exited".
                self._stop_askers.append(os.dup(conn.fileno()))
                print("asked to stop over the control socket (platform stop)", flush=True)
                loop.call_soon_threadsafe(self.on_expired)
                return
            if len(words) != 2 or words[0] != "claim" or not (words[1].isascii() and words[1].isdigit()):
                return
            socket.send_fds(conn, [b"ok\n"], [self.sock.fileno()])
        except (OSError, ValueError):
            for fd in fds:
                os.close(fd)
            return
        new_owner = int(words[1])
        print(f"claimed by the platform with pid {new_owner}", flush=True)
        if fds:
            loop.call_soon_threadsafe(self._watch_fd, fds[0], loop, new_owner)
        else:
            loop.call_soon_threadsafe(self._watch, new_owner, loop)

    def _watch_fd(self, fd: int, loop: asyncio.AbstractEventLoop, owner: int | None = None) -> None:
        """Watch a lifeline: its read end turns readable (end of file) when its platform exits."""
        self._unwatch()
        self.owner = owner or self.owner
        self._pidfd = fd
        loop.add_reader(fd, self._orphaned, loop)

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
