"""The TUI's dashboard shows the KubeDirector clusters and their member pods from the fake (Pilot)."""

from __future__ import annotations

from pathlib import Path

from k8s_support import screen_text, until
from kdfake.world import FakeWorld

from mlops_tui.app import MlopsApp
from mlops_tui.services.kubernetes import KubernetesPlatform
from mlops_tui.services.types import ClusterKind, ClusterSpec

FAST = {"clusters": 0.3, "jobs": 0.5, "registry": 0.5, "deployments": 0.5, "latency": 0.5}


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
        await until(
            pilot,
            lambda: (
                "training-engine-shared-loadbalancer-" in screen_text(app)
                and "training-engine-shared-restserver-" in screen_text(app)
            ),
            "the shared training cluster's member pods",
        )
        await platform.create_cluster(ClusterSpec("mlops-jupyter-notebook-student01", ClusterKind.NOTEBOOK))
        await until(
            pilot,
            lambda: "mlops-jupyter-notebook-student01-controller-" in screen_text(app),
            "the notebook pod",
        )
        await until(pilot, lambda: "creating" not in screen_text(app), "the notebook configured")
    assert world.violations == []
