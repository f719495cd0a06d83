"""SVG snapshots of the facilitator's Class screen and of one attendee, at 80x24, on a full terminal
and on the terminals of issue 7 part 4 (16 colours, NO_COLOR, ASCII).

Fixed data (a class of five at frozen time): student03's training failed (on a trip file that
holds no rides), student05 has not moved for 25 minutes, student04 waits in the training queue,
student02 is done, student01 is deploying.
The behaviour against a real workshop platform is in test_class_screen.py; update these with
``pytest --snapshot-update`` after a deliberate change, and look at the SVGs.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from mlops_tui.app import MlopsApp
from mlops_tui.services import classroom
from mlops_tui.services.types import (
    Broadcast,
    ClassError,
    ClassMember,
    ClassView,
    Cluster,
    ClusterKind,
    ClusterState,
    Deployment,
    Job,
    JobState,
    ModelVersion,
    Session,
)

from .conftest import wait_for
from .fixed_app import fixed_app
from .fixed_platform import T0, FixedPlatform, frozen_clock
from .terminal_support import TERMINALS, screen_text, use_terminal

pytestmark = pytest.mark.usefixtures("utc")

SIZE = (80, 24)
# train.py's last line on a trip file with the 2019 TLC header and no rows (the job's message)
NO_RIDES = (
    "error: too few usable rides in empty.csv: 0 of 0 kept, at least 50 are needed; the file holds no rides"
)
NOW = frozen_clock()


def _job(user: str, i: int, state: JobState, minutes_ago: float, message: str = "", **kw: Any) -> Job:
    at = NOW - timedelta(minutes=minutes_ago)
    started = None if state == JobState.QUEUED else at + timedelta(seconds=2)
    finished = at + timedelta(seconds=40) if state in (JobState.FINISHED, JobState.FAILED) else None
    return Job(
        str(i),
        "training-engine-shared",
        state,
        user=user,
        message=message,
        submitted_at=at,
        started_at=started,
        finished_at=finished,
        **kw,
    )


def _member(user: str, lab: int, minutes_ago: float, **kw: Any) -> ClassMember:
    """A member whose objects take them to ``lab`` (the steps judge them, as on a platform)."""
    notebook = Cluster(
        f"mlops-jupyter-notebook-{user}",
        ClusterKind.NOTEBOOK,
        "jupyter-notebook",
        ClusterState.CONFIGURED,
        owner=user,
        created_at=NOW - timedelta(minutes=50),
    )
    fields: dict[str, Any] = {"last_login_at": T0, "notebooks": (notebook,), "code_files": 10}
    if lab >= 4:
        fields["jobs"] = (_job(user, 10 + len(user), JobState.FINISHED, 30),)
        fields["versions"] = (
            ModelVersion(f"mlops-model-{user}", 1, created_by=user, metrics={"mae": 151.0}),
        )
    if lab >= 5:
        fields["deployments"] = (
            Deployment(
                f"mlops-inference-server-{user}",
                f"mlops-model-{user}",
                1,
                ClusterState.CONFIGURED,
                owner=user,
                predictions=3 if lab > 5 else 0,
                predictions_seen_at=NOW - timedelta(minutes=minutes_ago) if lab > 5 else None,
            ),
        )
    fields.update(kw)
    return ClassMember(user, last_progress_at=NOW - timedelta(minutes=minutes_ago), folder=user, **fields)


def class_view() -> ClassView:
    failed = _job(
        "student03",
        7,
        JobState.FAILED,
        3,
        f"exit code 2: {NO_RIDES}",
    )
    queued = _job(
        "student04",
        9,
        JobState.QUEUED,
        0.5,
        queue_position=2,
        estimated_start_at=NOW + timedelta(seconds=40),
    )
    members = (
        ClassMember("facilitator", role="facilitator", last_login_at=T0),
        _member(
            "student01",
            4,
            1,
            deployments=(
                Deployment(
                    "mlops-inference-server-student01",
                    "mlops-model-student01",
                    1,
                    ClusterState.CREATING,
                    owner="student01",
                ),
            ),
        ),
        _member("student02", 6, 2),
        _member(
            "student03",
            3,
            3,
            jobs=(failed,),
            last_error=ClassError("job 7", failed.message, failed.finished_at),
        ),
        _member("student04", 3, 0.5, jobs=(queued,), queue_position=2),
        _member("student05", 4, 25),
    )
    return ClassView(
        "K8sMLTenant",
        NOW,
        workers=2,
        running_jobs=2,
        queued_jobs=3,
        typical_job_seconds=41,
        broadcast=Broadcast("Lunch at 12:30: leave your dashboard open", "facilitator", NOW),
        members=members,
    )


class FacilitatorPlatform(FixedPlatform):
    """The fixed platform, logged in as a workshop's facilitator, with a fixed class."""

    async def login(self) -> Session:
        session = await super().login()
        self.session = dataclasses.replace(session, user="facilitator", role="facilitator")
        return self.session

    async def class_view(self) -> ClassView:
        self._rec("class_view")
        return class_view()

    async def broadcast(self) -> Broadcast | None:
        return class_view().broadcast

    async def get_job(self, job_id: str) -> Job:
        """The class's jobs (the attendees'), asked for when a followed log ends."""
        for member in class_view().members:
            for job in member.jobs:
                if job.id == job_id:
                    return job
        return await super().get_job(job_id)

    async def follow_log(
        self, job_id: str, *, from_line: int = 0, follow: bool = True, tail: int | None = None
    ):  # type: ignore[no-untyped-def]
        for line in (
            "$ python -u -m taxi.train --data data/student03/empty.csv --output models/student03",
            "Reading data/student03/empty.csv ...",
            "0 rides read, 0 kept after cleaning (zones layout, period no readable time)",
            NO_RIDES,
        ):
            yield line


async def _class(pilot: Any) -> None:
    app: MlopsApp = pilot.app
    await wait_for(pilot, lambda: app.current_mode == "class", what="the Class screen")
    assert app.platform is not None
    app._link_data("class", await app.platform.class_view())  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: "student05" in screen_text(app), what="the rows")
    await pilot.pause(0.3)


async def _attendee(pilot: Any) -> None:
    await _class(pilot)
    await pilot.press("enter")  # the first row: the stuck student03
    await wait_for(pilot, lambda: "0 rides read" in screen_text(pilot.app), what="the log")
    await pilot.pause(0.3)


def test_the_order_puts_stuck_attendees_first() -> None:
    people = classroom.ordered(class_view(), NOW, 10)
    assert [m.user for m in people] == ["student03", "student05", "student04", "student01", "student02"]


@pytest.mark.usefixtures("tui_home")
def test_class_80x24(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(
        fixed_app(tmp_path, platform=FacilitatorPlatform()), terminal_size=SIZE, run_before=_class
    )


@pytest.mark.usefixtures("tui_home")
def test_attendee_80x24(snap_compare: Any, tmp_path: Path) -> None:
    assert snap_compare(
        fixed_app(tmp_path, platform=FacilitatorPlatform()), terminal_size=SIZE, run_before=_attendee
    )


@pytest.mark.usefixtures("tui_home")
@pytest.mark.parametrize("terminal", list(TERMINALS))
def test_class_on_terminal(
    terminal: str, snap_compare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_terminal(monkeypatch, terminal)
    assert snap_compare(
        fixed_app(tmp_path, platform=FacilitatorPlatform()), terminal_size=SIZE, run_before=_class
    )
