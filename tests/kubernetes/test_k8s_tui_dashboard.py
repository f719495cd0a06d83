"""The TUI's dashboard shows the KubeDirector clusters and their member pods from the fake (Pilot)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from kdfake.world import FakeWorld

from mlops_tui.app import MlopsApp
from mlops_tui.services.kubernetes import KubernetesPlatform
from mlops_tui.services.types import ClusterKind, ClusterSpec

FAST = {"clusters": 0.3, "jobs": 0.5, "registry": 0.5, "deployments": 0.5, "latency": 0.5}


def _text(app: MlopsApp) -> str:
    strips = app.screen._compositor.render_strips()  # type: ignore[attr-defined]
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


@pytest.fixture
def tui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "tui-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("MLOPS_TUI_CREDENTIALS", "file")
    monkeypatch.delenv("MLOPS_TUI_PROFILE", raising=False)
    return home


async def test_dashboard_shows_kubedirector_clusters_and_pods(
    world: FakeWorld, platform: KubernetesPlatform, tui_home: Path
) -> None:
    await platform.login()
    app = MlopsApp(
        platform,
        intervals=FAST,
        first_mode="dashboard",
        survive_errors=False,
        settings_path=tui_home / "tui.json",
        probe_latency=False,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        # The cluster row can be drawn before its members are fetched: wait for the member pods.
        await _until(
            pilot,
            lambda: (
                "training-engine-shared-loadbalancer-" in _text(app)
                and "training-engine-shared-restserver-" in _text(app)
            ),
            "the shared training cluster's member pods",
        )
        await platform.create_cluster(ClusterSpec("mlops-jupyter-notebook-student01", ClusterKind.NOTEBOOK))
        await _until(
            pilot, lambda: "mlops-jupyter-notebook-student01-controller-" in _text(app), "the notebook pod"
        )
        await _until(pilot, lambda: "creating" not in _text(app), "the notebook configured")
    assert world.violations == []


async def _until(pilot, predicate, what: str, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await pilot.pause(0.1)
        await asyncio.sleep(0)
    raise AssertionError(f"timed out waiting for {what}")
