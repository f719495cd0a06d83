"""What the benchmarks that run the real TUI in a pseudo-terminal share (startup.py, log_flood.py):
a throw-away HOME's environment, a local platform server of their own, and the TUI started in a
pty of a given size and stopped with ctrl+q (killed when it does not quit within 10 s)."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from fcntl import ioctl
from pathlib import Path

# escape sequences: CSI, OSC (BEL or ST), DCS/APC/PM/SOS strings, and any other ESC + one byte
ANSI = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[P_^X][^\x1b]*\x1b\\|\x1b."
)
PLATFORM_START_S = 120.0  # a first start makes the tenant and the synthetic data
QUIT_S = 10.0


def isolated_env(home: Path) -> dict[str, str]:
    """This environment with ``home`` as HOME (and the XDG config and state under it), credentials
    in a file, a truecolor UTF-8 terminal; without the app's, XDG's or D-Bus's variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPS_TUI_", "XDG_", "DBUS_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        MLOPS_TUI_CREDENTIALS="file",
        TERM="xterm-256color",
        COLORTERM="truecolor",
        LANG="C.UTF-8",
    )
    return env


@contextlib.contextmanager
def local_platform(env: dict[str, str], home: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The local platform server of ``home`` (``python -m mlops_tui.platform serve``), up once its
    ``platform.json`` is written (RuntimeError when it exits or takes more than
    ``PLATFORM_START_S``); prints its URL and start-up time; SIGTERM at the end (SIGKILL after 20 s)."""
    state = home / ".local" / "state" / "mlops-tui" / "platform"
    t0 = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "mlops_tui.platform", "serve", "--state-dir", str(state)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        info = state / "platform.json"
        while not info.exists():
            if server.poll() is not None or time.perf_counter() - t0 > PLATFORM_START_S:
                raise RuntimeError("the local platform did not start")
            time.sleep(0.1)
        print(
            f"local platform up in {time.perf_counter() - t0:.1f} s at {json.loads(info.read_text())['url']}"
        )
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()


def start_tui(env: dict[str, str], rows: int, columns: int) -> tuple[int, int]:
    """``python -m mlops_tui.cli`` in a new pty of ``columns`` x ``rows``: (pid, the pty's fd)."""
    pid, fd = pty.fork()
    if pid == 0:  # child: the real command, as a person runs it
        os.execvpe(sys.executable, [sys.executable, "-m", "mlops_tui.cli"], env)
    ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    return pid, fd


def stop_tui(pid: int, fd: int) -> None:
    """ctrl+q, draining the pty until the TUI exits; SIGKILL after ``QUIT_S``; closes ``fd``."""
    with contextlib.suppress(OSError):
        os.write(fd, b"\x11")  # ctrl+q
    end = time.perf_counter() + QUIT_S
    while time.perf_counter() < end:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        with contextlib.suppress(OSError):
            select.select([fd], [], [], 0.05)
            os.read(fd, 1 << 16)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    os.close(fd)
