"""Helpers for the guide's Pilot tests: a fresh tenant per test on the shared real platform."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from mlops_tui.app import MlopsApp
from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter
from mlops_tui.services.types import Credentials


def fresh_tenant(local_platform) -> Credentials:
    """A new tenant and user (real ``add-user``), so each test starts at Lab 1 with nothing done."""
    tenant = f"Guide{uuid.uuid4().hex[:8]}"
    return local_platform.add_user(tenant, "alice", f"pw-{uuid.uuid4().hex}")


def guide_app(credentials: Credentials, tmp_path: Path) -> MlopsApp:
    return MlopsApp(
        LocalAdapter(credentials),
        first_mode="guide",
        survive_errors=False,
        poll=False,
        probe_latency=False,
        settings_path=tmp_path / "tui.json",
    )


async def wait_for(pilot, condition: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
    """Let the app run until ``condition()`` holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await pilot.pause(0.05)
        await asyncio.sleep(0.05)


async def type_line(pilot, text: str) -> None:
    """Type ``text`` into the guide's input and press enter."""
    from textual.widgets import Input

    field = pilot.app.screen.query_one("#guide-input", Input)
    field.focus()
    field.value = text
    await pilot.press("enter")
    await pilot.pause()


async def ready(pilot, timeout: float = 60):
    """The guide screen once its first live check of every step is over."""
    from mlops_tui.screens.guide import GuideScreen

    await wait_for(pilot, lambda: isinstance(pilot.app.screen, GuideScreen), timeout, "the guide")
    guide = pilot.app.screen
    await wait_for(
        pilot,
        lambda: guide.context is not None and not guide.checking and guide._announced is not None,
        timeout,
        "the first check",
    )
    return guide
