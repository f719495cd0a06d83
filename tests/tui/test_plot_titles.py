"""A plot's title names what it plots (issue 13 tester, item 11): the training plot named no job
("RMSE per round · round 40 eval 214.2" whichever job was shown), and the dashboard's latency plot
drew every deployment's samples under one name, the newest sample's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from mlops_tui.screens.dashboard import plotted_latency
from textual.widgets import DataTable

from mlops_tui.app import MlopsApp
from mlops_tui.live import LatencySample
from mlops_tui.services.types import JobMetrics
from mlops_tui.widgets.panel import StalePanel

from .conftest import wait_for
from .fixed_app import feed_once, fixed_app
from .fixed_platform import LOG_LINES, FixedPlatform, frozen_clock

pytestmark = pytest.mark.usefixtures("utc")


class FailedJobHasNoRounds(FixedPlatform):
    """Job 2 failed while loading its data: its log and its metrics hold no boosting round."""

    async def follow_log(
        self, job_id: str, *, from_line: int = 0, follow: bool = True, tail: int | None = None
    ) -> AsyncIterator[str]:
        if job_id != "2":
            async for line in super().follow_log(job_id, from_line=from_line, follow=follow, tail=tail):
                yield line
            return
        for line in [*LOG_LINES[:2], "ERROR out of memory"][from_line:]:
            yield line

    async def job_metrics(self, job_id: str) -> JobMetrics:
        if job_id == "2":
            return JobMetrics(job_id, {}, [])
        return await super().job_metrics(job_id)


def _title(app: MlopsApp, panel: str) -> str:
    return str(app.screen.query_one(panel, StalePanel).border_title)


async def test_the_training_plot_names_the_job_it_plots(tmp_path: Path) -> None:
    app = fixed_app(tmp_path, "training", FailedJobHasNoRounds())
    async with app.run_test(size=(100, 30)) as pilot:
        await feed_once(pilot)
        screen: Any = app.screen
        job4 = "RMSE per round · job 4 · round 40 eval 214.2"
        await wait_for(pilot, lambda: _title(app, "#panel-plot") == job4, what=job4)

        table = screen.query_one("#tbl-jobs", DataTable)
        for job, title in (
            ("2", "RMSE per round · job 2: no round yet"),
            ("1", "RMSE per round · job 1 · round 40 eval 214.2"),
            ("2", "RMSE per round · job 2: no round yet"),
        ):
            table.focus()
            table.move_cursor(row=table.get_row_index(job))
            await pilot.press("enter")
            await wait_for(pilot, lambda title=title: _title(app, "#panel-plot") == title, what=title)
            await pilot.pause(0.5)  # whatever the previous job's log or metrics still bring
            assert _title(app, "#panel-plot") == title
            assert len(screen._rounds) == (0 if job == "2" else 40)  # the log's and the metrics' same 40


def _sample(seconds: int, deployment: str, latency: float, source: str = "probe") -> LatencySample:
    return LatencySample(frozen_clock() - timedelta(seconds=seconds), deployment, latency, 900.0, source)


def test_the_latency_plot_takes_one_deployment_the_one_probed_now() -> None:
    old = [_sample(60 - i, "mlops-inference-server-old", 50.0) for i in range(10)]
    new = [_sample(30 - i, "mlops-inference-server-new", 2.0) for i in range(5)]
    mine = [_sample(3, "my-other-deployment", 7.0, "predict")]
    assert plotted_latency([]) == ("", [])
    assert plotted_latency(old + new) == ("mlops-inference-server-new", new)
    # a person's own prediction on another deployment does not take the plot from the probe
    assert plotted_latency(old + new + mine) == ("mlops-inference-server-new", new)
    # with the probe off, the person's own predictions are what there is
    assert plotted_latency(mine) == ("my-other-deployment", mine)


async def test_the_latency_panel_names_the_deployment_it_plots(tmp_path: Path) -> None:
    app = fixed_app(tmp_path, "dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        await feed_once(pilot)  # 40 samples of mlops-inference-server-alice
        await wait_for(pilot, lambda: "alice" in _title(app, "#panel-latency"), what="the first title")
        title = _title(app, "#panel-latency")  # cut in the middle to its panel: the owner stays
        assert title.startswith("Prediction latency (ms) · mlops-i") and title.endswith("-server-alice")
        for i in range(3):  # the deployment was replaced: the probe asks the new one
            app._link_data("latency", _sample(2 - i, "mlops-inference-server-bob", 90.0))
        await pilot.pause(0.3)
        title = _title(app, "#panel-latency")
        assert title.startswith("Prediction latency (ms) · mlops-i") and title.endswith("-server-bob")
        plot = app.screen.query_one("#latency-plot")
        assert [len(xs) for _, xs, _ in plot._series] == [3]  # bob's three, not alice's forty too
        summary = str(app.screen.query_one("#latency-summary").render())
        assert "p50 90.0" in summary and "n 3" in summary
