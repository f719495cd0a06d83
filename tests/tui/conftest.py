"""Fixtures for driving the TUI with Textual's Pilot against the real local platform.

``tui_home`` (tests/conftest.py) isolates the TUI's own files (profiles, credentials fallback,
theme) in a temporary HOME; ``adapter`` is the real local adapter logged into the session
platform; ``make_app`` builds an :class:`MlopsApp` around it with short poll intervals and errors
that fail the test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlops_tui.app import MlopsApp
from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter

FAST = {"clusters": 0.5, "jobs": 0.5, "registry": 0.5, "deployments": 0.5, "latency": 0.5}


@pytest.fixture(autouse=True)
def full_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every TUI test runs as on a truecolor UTF-8 terminal unless it says otherwise, so snapshots do
    not depend on the TERM, NO_COLOR or locale of whoever runs them (see tests/tui/test_terminals.py)."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.setenv("LANG", "C.UTF-8")
    for name in ("LC_ALL", "LC_CTYPE", "NO_COLOR", "MLOPS_TUI_GLYPHS", "TEXTUAL_COLOR_SYSTEM"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local time is UTC (what the frozen clock's times show as), for tests that ask for it."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture
async def adapter(local_platform: Any) -> Any:
    platform = LocalAdapter(local_platform.credentials)
    yield platform
    await platform.aclose()


@pytest.fixture
def make_app(tui_home: Path) -> Callable[..., MlopsApp]:
    def make(platform: Any = None, **kwargs: Any) -> MlopsApp:
        kwargs.setdefault("intervals", FAST)
        kwargs.setdefault("survive_errors", False)
        kwargs.setdefault("settings_path", tui_home / "tui.json")
        return MlopsApp(platform, **kwargs)

    return make


async def wait_for(
    pilot: Any, predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition"
) -> Any:
    """Pump the app until ``predicate()`` is truthy (no key presses)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await pilot.pause(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.to_thread(fn, *args)
