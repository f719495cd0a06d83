"""Find this user's local platform, starting it when it is not running (design §5).

The platform is a separate, detached process (its own session, stdio to its log file) so it
outlives the TUI and never writes on the TUI's terminal. Discovery is through
``<state>/platform.json`` (contract §1), health-checked before use. Blocking: call it from a thread
(``asyncio.to_thread``) on an event loop. Stdlib only, so importing it costs nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from mlops_tui import config
from mlops_tui.services.errors import PlatformFailure, Unreachable

HEALTH_PATH = "/api/mlops/v1/health"
START_TIMEOUT_S = 20.0
EXIT_STATE_REFUSED = 65  # `serve` refused its state directory (mlops_tui.platform.state)


def read_platform_file(state_dir: Path) -> dict[str, object] | None:
    try:
        data = json.loads((state_dir / "platform.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("url"), str) else None


def health(url: str, *, timeout: float = 2.0) -> dict[str, object] | None:
    """The platform's ``/health`` answer, or None when no running platform answers at ``url``.

    A ``degraded`` platform (e.g. its disk is full; ``reasons`` say why) is running: it is returned.
    """
    try:
        with urllib.request.urlopen(url.rstrip("/") + HEALTH_PATH, timeout=timeout) as resp:
            data = json.loads(resp.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return data if isinstance(data, dict) and data.get("status") in ("ok", "degraded") else None


def running_url(state_dir: Path | None = None) -> str | None:
    """The URL of the healthy platform of ``state_dir``, or None."""
    state_dir = Path(state_dir) if state_dir else config.platform_state_dir()
    info = read_platform_file(state_dir)
    if info is None:
        return None
    url = str(info["url"])
    return url if health(url) is not None else None


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
    state_dir: Path | str | None = None, *, timeout: float = START_TIMEOUT_S, start: bool = True
) -> str:
    """The URL of this user's local platform; starts it (detached) when none is healthy.

    Raises :class:`Unreachable` when it is not running and ``start`` is false, and
    :class:`PlatformFailure` naming the log file when it does not become healthy within ``timeout``.
    """
    state_dir = Path(state_dir) if state_dir else config.platform_state_dir()
    url = running_url(state_dir)
    if url:
        return url
    if not start:
        refused = refused_start(state_dir)
        if refused:
            raise Unreachable(
                f"the local platform is not running: its last start was refused: {refused}", hint=""
            )
        raise Unreachable(
            f"the local platform is not running (state {state_dir})",
            hint="start it with: mlops-tui platform start",
        )
    proc = start_platform(state_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        url = running_url(state_dir)
        if url:
            return url
        code = proc.poll()
        if code is not None:
            refused = refused_start(state_dir) if code == EXIT_STATE_REFUSED else None
            if refused:
                raise PlatformFailure(f"the local platform did not start: {refused}", hint="")
            # Another instance may have won the lock and be finishing its start-up.
            url = _wait_other(state_dir, deadline)
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
    """Why the last start of this platform refused its state directory (``platform.refused``), if so."""
    try:
        text = (state_dir / "platform.refused").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    diagnosis = text.partition(" ")[2]  # "<UTC time> <one-line diagnosis>"
    return diagnosis.removeprefix("refusing to start: ") or None


def _wait_other(state_dir: Path, deadline: float) -> str | None:
    if not (state_dir / "platform.lock").exists():
        return None
    while time.monotonic() < deadline:
        url = running_url(state_dir)
        if url:
            return url
        time.sleep(0.1)
    return None


def stop_platform(state_dir: Path | str | None = None, *, timeout: float = 10.0) -> bool:
    """Stop the running platform (SIGTERM, then SIGKILL after ``timeout``); False if none ran."""
    import signal

    state_dir = Path(state_dir) if state_dir else config.platform_state_dir()
    info = read_platform_file(state_dir)
    if info is None or not isinstance(info.get("pid"), int):
        return False
    pid = int(info["pid"])  # type: ignore[arg-type]
    alive = health(str(info["url"]))
    if alive is None or alive.get("pid") != pid:
        return False  # stale file: never signal a pid that may now be another program
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
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
        return True


def _tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty log)"
