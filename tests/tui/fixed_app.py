"""The app as the snapshot and Pilot tests build it around :class:`FixedPlatform`: a frozen clock,
no poller, no latency probe, errors that fail the test; and its data pushed in exactly once, so a
picture is the same on every run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mlops_tui.app import MlopsApp
from mlops_tui.live import LatencySample, LiveLink
from mlops_tui.widgets.connection import Link

from .conftest import wait_for
from .fixed_platform import FixedPlatform, frozen_clock


def fixed_app(tmp_path: Path, mode: str = "guide", platform: Any = None, **kwargs: Any) -> MlopsApp:
    """An :class:`MlopsApp` on ``mode`` around ``platform`` (a :class:`FixedPlatform` when None), its
    settings in ``tmp_path``; ``kwargs`` go to the app as they are."""
    return MlopsApp(
        FixedPlatform() if platform is None else platform,
        clock=frozen_clock,
        first_mode=mode,
        poll=False,
        probe_latency=False,
        survive_errors=False,
        settings_path=tmp_path / "tui.json",
        **kwargs,
    )


async def feed_once(pilot: Any) -> None:
    """Connected, then one round of every topic, then a fixed latency history (40 samples of
    mlops-inference-server-alice, 3 s apart, ending 2 min before the frozen clock's now)."""
    app: MlopsApp = pilot.app
    await wait_for(pilot, lambda: app.connection.link is Link.CONNECTED, what="connected")
    link: LiveLink = app.link
    platform = app.platform
    app._link_data("clusters", await platform.list_clusters())
    app._link_data("jobs", await platform.list_jobs())
    app._link_data("registry", await link._fetch_registry())
    app._link_data("deployments", await platform.list_deployments())
    server = f"mlops-inference-server-{getattr(platform, 'user', 'alice')}"
    app._link_data("drift", {server: await platform.deployment_drift(server)})
    start = frozen_clock() - timedelta(seconds=120)
    for i in range(40):
        latency = 2.0 + (i * 7 % 11) / 4
        app._link_data(
            "latency",
            LatencySample(start + timedelta(seconds=3 * i), server, latency),
        )
    await pilot.pause(0.3)


def fixed_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed (never created) home, so the credentials path on screen is the same on every run."""
    monkeypatch.setenv("HOME", "/home/alice")
    monkeypatch.setenv("XDG_CONFIG_HOME", "/home/alice/.config")
    monkeypatch.setenv("MLOPS_TUI_CREDENTIALS", "file")
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setattr("getpass.getuser", lambda: "alice")
    from mlops_tui import credentials

    credentials._backend_cache.clear()
