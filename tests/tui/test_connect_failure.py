"""The TUI when its local platform is alive but does not answer (stopped with SIGSTOP): the badge,
the guide's prompt and the notification all say the same thing, and nothing says "connecting"."""

from __future__ import annotations

import os
import signal
from typing import Any

import pytest

from .conftest import wait_for
from .terminal_support import screen_text


@pytest.fixture
def silent_platform(platform_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    platform = platform_factory.new("silent-tui")
    monkeypatch.setenv("MLOPS_TUI_STATE_DIR", str(platform.state_dir))
    os.kill(platform.proc.pid, signal.SIGSTOP)
    try:
        yield platform
    finally:
        os.kill(platform.proc.pid, signal.SIGCONT)


async def test_failed_connect_is_said_once_everywhere(make_app: Any, silent_platform: Any) -> None:
    expected = f"cannot reach the local platform at {silent_platform.url} (pid {silent_platform.proc.pid}"
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(
            pilot, lambda: any(expected in n.message for n in app._notifications), what="the error"
        )
        await pilot.pause(0.2)
        text = screen_text(app)
        assert "not logged in" in text and "connecting" not in text.lower()
        assert "Not connected: cannot reach the local platform" in text
        assert app.connection.detail.startswith(expected)
