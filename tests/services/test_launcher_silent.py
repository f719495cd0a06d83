"""A platform whose process is alive but does not answer (stopped with SIGSTOP: the lock is held, the
port accepts connections, nothing replies) is reported as such, everywhere, and never started again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from local_platform_support import isolated_env

from mlops_tui.config import Profile
from mlops_tui.live import LiveLink
from mlops_tui.services import errors
from mlops_tui.services.local import launcher
from mlops_tui.widgets.connection import Link


@pytest.fixture
def silent_platform(platform_factory: Any) -> Any:
    platform = platform_factory.new("silent")
    os.kill(platform.proc.pid, signal.SIGSTOP)
    try:
        yield platform
    finally:
        os.kill(platform.proc.pid, signal.SIGCONT)


def _cli(platform: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**isolated_env(platform.home), "MLOPS_TUI_STATE_DIR": str(platform.state_dir)}
    return subprocess.run(
        [sys.executable, "-m", "mlops_tui.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=platform.home,
    )


def test_silent_platform_is_not_called_not_running_nor_started_twice(silent_platform: Any) -> None:
    pid = silent_platform.proc.pid
    expected = f"cannot reach the local platform at {silent_platform.url} (pid {pid} is running)"
    assert launcher.running_pid(silent_platform.state_dir) == pid
    with pytest.raises(errors.Unreachable) as err:
        launcher.ensure_platform(silent_platform.state_dir, start=True, timeout=5)
    assert expected in str(err.value)
    with pytest.raises(errors.Unreachable) as err:
        launcher.ensure_platform(silent_platform.state_dir, start=False)
    assert expected in str(err.value) and "not running" not in str(err.value)

    status = _cli(silent_platform, "status")
    assert status.returncode == 1
    assert status.stderr.startswith(f"mlops-tui: {expected}") and "Traceback" not in status.stderr
    predict = _cli(silent_platform, "predict", "--example")
    assert predict.returncode == 1 and predict.stderr.startswith(f"mlops-tui: {expected}")
    plat = _cli(silent_platform, "platform", "status")
    assert plat.returncode == 4
    assert f"not answering: {silent_platform.url} (pid {pid} is running" in plat.stdout

    # No second platform was started: the log shows one start, and nobody met the lock.
    log = (silent_platform.state_dir / "logs" / "platform.log").read_text()
    assert log.count("listening on") == 1
    assert "already running" not in log + silent_platform.log_tail(200)


async def test_tui_link_says_why_instead_of_connecting(silent_platform: Any, monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_TUI_STATE_DIR", str(silent_platform.state_dir))
    seen: list[Any] = []
    link = LiveLink(
        on_status=seen.append,
        on_data=lambda *_: None,
        on_platform=lambda _: None,
        clock=lambda: datetime.now(UTC),
    )
    with pytest.raises(errors.Unreachable):
        await link.open(Profile("local"), start=True)
    assert seen[0].link is Link.CONNECTING
    assert link.status.link is Link.OFFLINE
    assert link.status.detail.startswith("cannot reach the local platform at ")
