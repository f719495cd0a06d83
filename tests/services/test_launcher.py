"""The launcher: discovery through platform.json, a detached start, clear errors."""

from __future__ import annotations

import os
import time

import pytest

from mlops_tui.services.errors import PlatformFailure, Unreachable
from mlops_tui.services.local import launcher


@pytest.fixture
def private_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("MLOPS_TUI_CREDENTIALS", "file")
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "MLOPS_TUI_STATE_DIR", "DBUS_SESSION_BUS_ADDRESS"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_not_running_and_not_allowed_to_start(private_home) -> None:
    with pytest.raises(Unreachable) as err:
        launcher.ensure_platform(private_home / "state", start=False)
    assert "mlops-tui platform start" in str(err.value)
    assert launcher.stop_platform(private_home / "state") is False


def test_detached_start_discovery_timeout_and_stop(private_home) -> None:
    state = private_home / "state"
    try:
        with pytest.raises(PlatformFailure) as err:
            launcher.ensure_platform(state, timeout=0.05)  # far too short to start
        assert str(state / "logs" / "platform.log") in str(err.value)
        url = launcher.ensure_platform(state)  # the one already starting becomes healthy
        assert url.startswith("http://127.0.0.1:")
        info = launcher.read_platform_file(state)
        assert info is not None and info["url"] == url
        pid = int(info["pid"])
        assert os.getsid(pid) == pid  # its own session: never the terminal's
        assert launcher.ensure_platform(state) == url  # discovered, not started twice
        assert (state / "logs" / "platform.log").stat().st_size > 0
    finally:
        assert launcher.stop_platform(state) is True
    assert launcher.running_url(state) is None


def test_restart_keeps_the_serve_options_but_not_the_state_dir_or_port(tmp_path) -> None:
    """``platform restart`` starts the new platform with the options of the running one."""
    import subprocess
    import sys

    argv = ["serve", "--state-dir", str(tmp_path), "--port", "5", "--workers", "3", "--port=9"]
    argv += ["--handover-grace", "3", "--state-dir=/x"]
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", *argv])
    try:
        # Right after Popen the child's /proc cmdline can still be empty (it is mid-exec): wait.
        deadline = time.monotonic() + 10
        while not launcher.serve_options(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert launcher.serve_options(proc.pid) == ["--workers", "3", "--handover-grace", "3"]
    finally:
        proc.kill()
        proc.wait()
    assert launcher.serve_options(proc.pid) == []  # gone: nothing to keep
