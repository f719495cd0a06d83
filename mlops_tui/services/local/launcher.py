"""Find this user's local platform, starting it when it is not running (design §5).

The platform is a separate, detached process (its own session, stdio to its log file) so it
outlives the TUI and never writes on the TUI's terminal. Discovery is through
``<state>/platform.json`` (contract §1), health-checked before use; whether its process is alive is
told by ``platform.lock``, which the running platform holds (``flock``), so a platform that does
not answer is reported as such and never started a second time. The health check talks to this
machine only: no proxy, whatever ``*_PROXY`` says. Blocking: call it from a thread
(``asyncio.to_thread``) on an event loop. Stdlib only, so importing it costs nothing.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mlops_tui import config
from mlops_tui.services.errors import DiskFull, PlatformFailure, Unreachable

HEALTH_PATH = "/api/mlops/v1/health"
HEALTH_TIMEOUT_S = 2.0  # loopback: a healthy platform answers in milliseconds
START_TIMEOUT_S = 20.0
# A stop lets open requests finish (3 s), then stops the prediction servers (each answers what it
# has; killed after 5 s) and checkpoints the database: well under this, or it is killed.
STOP_TIMEOUT_S = 20.0
SERVER_STOP_TIMEOUT_S = 5.0
EXIT_STATE_REFUSED = 65  # `serve` refused its state directory (mlops_tui.platform.state)
# `serve` stops for a restart on this signal, leaving its prediction servers for the next platform
# to take over; SIGTERM stops them with it (mlops_tui.platform.state.HANDOVER_SIGNAL).
HANDOVER_SIGNAL = signal.SIGUSR1
# The platform's own address is on this machine: an empty ProxyHandler means a direct connection
# (urllib's default opener would follow http_proxy even to 127.0.0.1).
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def read_platform_file(state_dir: Path) -> dict[str, object] | None:
    try:
        data = json.loads((state_dir / "platform.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("url"), str) else None


def health(
    url: str, *, timeout: float = HEALTH_TIMEOUT_S, context: ssl.SSLContext | None = None
) -> dict[str, object] | None:
    """The platform's ``/health`` answer, or None when no running platform answers at ``url``
    within ``timeout`` seconds (each of connect and read). Direct, never through a proxy.
    ``context``: how to check an HTTPS platform's certificate (a workshop's own).

    A ``degraded`` platform (e.g. its disk is full; ``reasons`` say why) is running: it is returned.
    """
    opener = _DIRECT
    if context is not None:
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
    try:
        with opener.open(url.rstrip("/") + HEALTH_PATH, timeout=timeout) as resp:
            data = json.loads(resp.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) and data.get("status") in ("ok", "degraded") else None


def running_pid(state_dir: Path) -> int | None:
    """The pid of the platform process alive on ``state_dir``, whether or not it answers; None when
    none is. Told by ``platform.lock``: the running platform holds an exclusive ``flock`` on it (and
    wrote its pid in it), and the kernel drops the lock when the process dies, so a stale file or a
    recycled pid never counts. 0: alive, but its pid is not written yet."""
    try:
        fd = os.open(state_dir / "platform.lock", os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            return int(text) if text.isdigit() else 0  # 0: locked a moment ago, pid not written yet
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def running_url(state_dir: Path | None = None, context: ssl.SSLContext | None = None) -> str | None:
    """The URL of the healthy platform of ``state_dir``, or None."""
    state_dir = Path(state_dir) if state_dir else config.platform_state_dir()
    info = read_platform_file(state_dir)
    if info is None:
        return None
    url = str(info["url"])
    return url if health(url, context=context) is not None else None


def log_file(state_dir: Path) -> Path:
    return state_dir / "logs" / "platform.log"


def start_platform(state_dir: Path, extra_args: list[str] | None = None) -> subprocess.Popen[bytes]:
    """Spawn ``python -m mlops_tui.platform serve`` detached, output appended to its log."""
    config.ensure_private_dir(state_dir)
    log = log_file(state_dir)
    config.ensure_private_dir(log.parent)
    cmd = [sys.executable, "-m", "mlops_tui.platform", "serve", "--state-dir", str(state_dir)]
    cmd += extra_args or []
    with os.fdopen(os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab") as out:
        return subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            cwd=str(state_dir),
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def ensure_platform(
    state_dir: Path | str | None = None,
    *,
    timeout: float = START_TIMEOUT_S,
    start: bool = True,
    extra_args: list[str] | None = None,
    context: ssl.SSLContext | None = None,
) -> str:
    """The URL of this user's local platform; starts it (detached) when none is healthy.

    Raises :class:`Unreachable` when it is not running and ``start`` is false, or when its process
    is alive but does not answer ("cannot reach the local platform at URL (pid N is running)"; no
    second platform is started then), and :class:`PlatformFailure` naming the log file when it
    cannot be started or does not become healthy within ``timeout`` seconds. ``extra_args`` go to
    ``serve`` (a workshop's ``--host``, ``--port``, ``--workers``, ``--cert``, ``--key``);
    ``context`` checks an HTTPS platform's certificate.
    """
    state_dir = Path(state_dir) if state_dir else config.platform_state_dir()
    url = running_url(state_dir, context)
    if url:
        return url
    pid = running_pid(state_dir)
    if pid is not None:
        # Its process is alive: starting another would only fail on the lock. Still starting (its
        # address not published yet): give it the start deadline. Else it does not answer: say so.
        info = read_platform_file(state_dir)
        if not pid or info is None or info.get("pid") != pid:
            url = _wait_other(state_dir, time.monotonic() + timeout, context)
            if url:
                return url
        raise _not_answering(state_dir)
    if not start:
        refusal = last_refusal(state_dir)
        if refusal is not None and refusal.now is not None:
            raise Unreachable(
                f"the local platform is not running: its last start was refused, and its state still is: "
                f"{refusal.now}",
                hint="",
            )
        if refusal is not None:
            raise Unreachable(f"the local platform is not running: {refusal.text()}", hint="")
        raise Unreachable(
            f"the local platform is not running (state {state_dir})",
            hint="start it with: mlops-tui platform start",
        )
    return _start_and_wait(state_dir, list(extra_args or []), timeout, context)


def _start_and_wait(
    state_dir: Path, extra_args: list[str], timeout: float, context: ssl.SSLContext | None = None
) -> str:
    """Start ``serve`` with ``extra_args`` and return its URL once it answers (see ensure_platform;
    ``context`` checks an HTTPS platform's certificate)."""
    try:
        proc = start_platform(state_dir, extra_args)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFull(
                f"disk full: cannot start the local platform: no space left on the device holding "
                f"{exc.filename or state_dir}",
                path=str(exc.filename or state_dir),
                hint=f"free space on the file system holding {state_dir}, then start it again",
            ) from None
        raise PlatformFailure(
            f"cannot start the local platform ({sys.executable} -m mlops_tui.platform): {exc}",
            hint=f"see {log_file(state_dir)}",
        ) from None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        url = running_url(state_dir, context)
        if url:
            return url
        code = proc.poll()
        if code is not None:
            refused = refused_start(state_dir) if code == EXIT_STATE_REFUSED else None
            if refused:
                raise PlatformFailure(f"the local platform did not start: {refused}", hint="")
            # Another instance may have won the lock and be finishing its start-up.
            url = _wait_other(state_dir, deadline, context)
            if url:
                return url
            raise PlatformFailure(
                f"the local platform exited with status {code} while starting: {_tail(log_file(state_dir))}",
                hint=f"see {log_file(state_dir)}",
            )
        time.sleep(0.1)
    raise PlatformFailure(
        f"the local platform did not become healthy within {timeout:.0f} s",
        hint=f"see {log_file(state_dir)}",
    )


def refused_start(state_dir: Path) -> str | None:
    """Why the last start of this platform refused its state directory (``platform.refused``), if so.

    That is the past: :func:`last_refusal` says whether the state is still refused now.
    """
    recorded = _read_refused(state_dir)
    return recorded[1] if recorded else None


def _read_refused(state_dir: Path) -> tuple[str, str] | None:
    """``(UTC time, diagnosis)`` of the last refused start, from ``platform.refused``."""
    try:
        text = (state_dir / "platform.refused").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    at, _, diagnosis = text.partition(" ")  # "<UTC time> <one-line diagnosis>"
    diagnosis = diagnosis.removeprefix("refusing to start: ")
    return (at, diagnosis) if diagnosis else None


@dataclass(frozen=True)
class Refusal:
    """A refused start, re-judged now: ``at`` (UTC, as recorded) and ``reason`` are the past;
    ``now`` is what the same read-only integrity check a start makes finds today (None: sound)."""

    at: str
    reason: str
    now: str | None

    def text(self) -> str:
        """One line: the problem as it is now, or the past refusal as past with what to do."""
        if self.now is not None:
            return self.now
        when = self.at.replace("T", " ")[:19] + " UTC" if len(self.at) >= 19 else self.at
        # the diagnosis alone: what it protected and how to recover are stale now
        why = self.reason.split(". Nothing was changed", 1)[0].split(", but ", 1)[0]
        return (
            f"the last start was refused at {when} because {why}; the state looks fine now: "
            "start it with: mlops-tui platform start"
        )


def last_refusal(state_dir: Path) -> Refusal | None:
    """The last refused start (``platform.refused``) with the state directory checked again now,
    read-only, as a start would (:func:`mlops_tui.platform.integrity.check_state`); None when no
    start was refused. Blocking (it may read the whole database): call it from a thread."""
    recorded = _read_refused(state_dir)
    if recorded is None:
        return None
    from mlops_tui.platform import integrity  # stdlib only

    try:
        integrity.check_state(state_dir)
    except integrity.StateRefused as exc:
        return Refusal(*recorded, now=str(exc).removeprefix("refusing to start: "))
    return Refusal(*recorded, now=None)


def _wait_other(state_dir: Path, deadline: float, context: ssl.SSLContext | None = None) -> str | None:
    """The URL once the platform that holds the lock answers; None if it does not by ``deadline``
    or stops holding the lock (it died, or it answered and then stopped)."""
    while running_pid(state_dir) is not None:
        url = running_url(state_dir, context)
        if url:
            return url
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.1)
    return running_url(state_dir, context)


def _not_answering(state_dir: Path) -> Unreachable:
    """A platform process is alive but its health check fails: say that, never "not running"."""
    pid = running_pid(state_dir)
    info = read_platform_file(state_dir)
    who = f"pid {pid} is running" if pid else "its process is running"
    if info is None:
        return Unreachable(
            f"the local platform ({who}) has not published its address in {state_dir / 'platform.json'}",
            hint=f"see {log_file(state_dir)}; stop it with: mlops-tui platform stop",
        )
    return Unreachable(
        f"cannot reach the local platform at {info['url']} ({who})",
        hint=f"it is not answering its health check; see {log_file(state_dir)}, "
        "or stop it with: mlops-tui platform stop",
    )


def stop_platform(state_dir: Path | str | None = None, *, timeout: float = STOP_TIMEOUT_S) -> bool:
    """Stop the running platform and its prediction servers; False if neither was running.

    SIGTERM: the platform stops its servers itself (each answers the requests it has) before it
    exits; SIGKILL after ``timeout`` seconds. Then any server still serving on this state
    directory (one left by a platform that died, or by the kill) is stopped too: after this call
    no deployment of ``state_dir`` answers. The process is the one holding ``platform.lock``
    (:func:`running_pid`), answering or not: a stale ``platform.json`` never makes us signal a
    pid that may now be another program."""
    state_dir = Path(state_dir) if state_dir else config.platform_state_dir()
    stopped = _end(running_pid(state_dir), signal.SIGTERM, timeout)
    return stop_leftover_servers(state_dir) > 0 or stopped


def restart_platform(
    state_dir: Path | str | None = None,
    *,
    timeout: float = START_TIMEOUT_S,
    context: ssl.SSLContext | None = None,
) -> str:
    """Restart the platform with the same settings and port; returns its URL.

    The running platform is stopped with :data:`HANDOVER_SIGNAL`: its prediction servers keep
    serving, and the new platform takes their sockets over, so no prediction is refused at any
    moment of the restart (issue 8 §3). Its ``serve`` options are read from its command line
    (``/proc/<pid>/cmdline``) and its port from ``platform.json``, so the URL stays the same; a
    port taken meanwhile by another program gives a new one. Not running: it is started.
    ``context`` checks an HTTPS (workshop) platform's certificate. Raises what
    :func:`ensure_platform` raises.
    """
    state_dir = Path(state_dir) if state_dir else config.platform_state_dir()
    pid = running_pid(state_dir)
    if pid == 0:  # starting: its pid is written in a moment
        _wait_other(state_dir, time.monotonic() + timeout, context)
        pid = running_pid(state_dir)
    if not pid:
        return ensure_platform(state_dir, timeout=timeout, context=context)
    args = serve_options(pid)
    info = read_platform_file(state_dir) or {}
    port = info.get("port") if info.get("pid") == pid else None
    _end(pid, HANDOVER_SIGNAL, STOP_TIMEOUT_S)  # a kill after that: its servers stay all the same
    host = urlsplit(str(info.get("url", ""))).hostname
    if isinstance(port, int) and port > 0 and _can_bind(host or "127.0.0.1", port):
        args += ["--port", str(port)]
    return _start_and_wait(state_dir, args, timeout, context)


def _can_bind(host: str, port: int) -> bool:
    """Whether ``serve`` could listen on ``host:port`` now (as it binds: ``SO_REUSEADDR``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def serve_options(pid: int) -> list[str]:
    """The options of the ``serve`` running as ``pid`` (after ``serve``), without ``--state-dir``
    and ``--port``; [] when its command line cannot be read or is not a ``serve``."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    argv = [a.decode(errors="surrogateescape") for a in raw.split(b"\0")]
    if "serve" not in argv:
        return []
    options, rest = [], iter(argv[argv.index("serve") + 1 :])
    for arg in rest:
        if arg in ("--state-dir", "--port"):
            next(rest, None)
        elif arg and not arg.startswith(("--state-dir=", "--port=")):
            options.append(arg)
    return options


def leftover_folders(state_dir: Path) -> list[Path]:
    """Deployment folders of ``state_dir`` where a prediction server still listens for hand-over
    requests (``deployments/<tenant>/<name>/control-*.sock``): servers a dead platform left."""
    return sorted({sock.parent for sock in state_dir.glob("deployments/*/*/control-*.sock")})


def stop_leftover_servers(state_dir: Path) -> int:
    """Ask every server of :func:`leftover_folders` to stop (over its control socket: it answers
    what it has and exits; this works for sandboxed servers too, whose pids are those of their own
    PID namespace) and wait up to ``SERVER_STOP_TIMEOUT_S`` for each to exit; returns how many
    there were."""
    from mlops_tui.platform.handover import stop_servers  # stdlib only, like this module

    return stop_servers(leftover_folders(state_dir), SERVER_STOP_TIMEOUT_S)


def _end(pid: int | None, sig: int, timeout: float) -> bool:
    """Send ``sig`` to ``pid`` and wait for it to exit; SIGKILL after ``timeout``. False: no process."""
    if not pid:
        return False
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    while _alive(pid) and time.monotonic() < deadline + 5:
        time.sleep(0.05)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours still "exists": reap it if it is ours.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        pass
    try:  # someone else's zombie (its parent has not reaped it yet) has exited all the same
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _tail(path: Path, lines: int = 3, size: int = 64 << 10) -> str:
    """The last ``lines`` non-blank lines of the platform's log, from its last ``size`` bytes only,
    as a terminal shows them (the one sanitiser: they quote the platform's output)."""
    from mlops_tui.services.terminal_text import plain

    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - size))
            data = f.read(size)
    except OSError:
        return "(no log)"
    text = [ln.strip() for ln in plain(data.decode("utf-8", errors="replace")).split("\n") if ln.strip()]
    return " | ".join(text[-lines:]) or "(empty log)"
