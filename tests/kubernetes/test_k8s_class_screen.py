"""The Class screen on the Kubernetes adapter (issue 9 §6): the class read from the tenant
namespace's KubeDirector clusters, Jobs and model ConfigMaps, grouped by the user id in their
labels. An attendee whose training Job failed comes first with its error; enter shows the failed
Job's pod log. The Job fails as a real attendee's can: they upload (``mlops-tui data upload``'s
call) a trip file in the 2019 TLC layout that holds no rides and train on it (``train
data=student01/empty.csv``). Against the fake Ezmeral world (Pilot), every request checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from k8s_support import screen_text, until
from kdfake.world import FakeWorld
from mlops_tui.lab_scripts.synthetic import YELLOW_2019_COLUMNS

from mlops_tui.app import MlopsApp
from mlops_tui.assistant import labs
from mlops_tui.assistant.lab_training import apply_train_params
from mlops_tui.assistant.labs import LabContext
from mlops_tui.services import datasets
from mlops_tui.services.errors import PlatformError
from mlops_tui.services.kubernetes import KubernetesPlatform
from mlops_tui.widgets.logview import LiveLog
from mlops_tui.widgets.tables import LiveTable

pytestmark = pytest.mark.slow

NO_RIDES = (
    "error: too few usable rides in empty.csv: 0 of 0 kept, at least 50 are needed; the file holds no rides"
)
POLL = {"clusters": 0.5, "jobs": 0.5, "registry": 0.5, "deployments": 0.5, "class": 0.5}


async def test_class_screen_on_kubernetes_shows_the_failed_training_first(
    world: FakeWorld, platform: KubernetesPlatform, tmp_path: Path, tui_home: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(YELLOW_2019_COLUMNS) + "\n")  # the 2019 TLC header, no rides
    done = await datasets.upload_data(platform, empty, "student01/empty.csv")
    assert done.entry.path == "data/student01/empty.csv"
    assert done.profile is not None and done.profile["rows"] == 0
    ctx = LabContext(
        user="student01",
        tenant="K8sMLTenant",
        kubeconfig_path=tmp_path / "kubeconfig",
        poll_s=0.1,
    )
    apply_train_params(ctx, {"data": "student01/empty.csv"}, local_files=False)  # the guide's way
    for step_id in ("login", "kubeconfig", "notebook", "upload-code", "train"):
        step = labs.get_step(step_id)
        try:
            async for _ in labs.run_step(step, platform, ctx):
                pass
        except PlatformError as exc:  # the failing job, on purpose
            assert step_id == "train" and "failed (exit 2)" in str(exc), exc
    app = MlopsApp(
        platform,
        intervals=POLL,
        survive_errors=False,
        settings_path=tui_home / "tui.json",
        probe_latency=False,
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.platform is not None, "connected")
        # the tab (anyone on Kubernetes), drawn once the session is in: the tabs follow it
        await until(pilot, lambda: "7 Class" in screen_text(app) or " 7" in screen_text(app), "the Class tab")
        await app.goto("class")
        await until(
            pilot,
            # (the table's row, not the header: the header names the logged-in user, student01)
            lambda: (
                app.screen.query("#tbl-class")
                and "student01" in {k.value for k in app.screen.query_one("#tbl-class", LiveTable).rows}
            ),
            "the attendee's row",
        )
        table = app.screen.query_one("#tbl-class", LiveTable)
        row = [str(c) for c in table.get_row("student01")]
        assert row[1] == "Lab 3" and row[2][3] == "✖", row
        # Kubernetes says why the Job failed in its condition; the cause is in the pod's log
        assert row[4] == "train failed: Job has reached the specified backoff limit", row
        assert "1 stuck" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.query(LiveLog), "the attendee screen")
        log = app.screen.query_one(LiveLog)
        await until(pilot, lambda: any(NO_RIDES in line for line in log.view.lines()), "the Job's pod log")
        assert any("0 rides read, 0 kept after cleaning" in line for line in log.view.lines())
        assert "✔ 2 notebook" in screen_text(app)
    assert world.violations == []
