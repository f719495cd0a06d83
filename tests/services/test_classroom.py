"""Lab progress per attendee and who is stuck (``services.classroom``), from class-view JSON as the
local platform's ``GET /class`` sends it, and from plain listings as the Kubernetes adapter has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mlops_tui.services import classroom
from mlops_tui.services.types import ClassView, Cluster, Deployment, Job

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _iso(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def _member(user: str, **fields: object) -> dict[str, object]:
    return {
        "user": user,
        "role": "attendee",
        "last_login_at": _iso(30),
        "last_progress_at": _iso(1),
        **fields,
    }


def _job(job_id: str, state: str, message: str = "", **more: object) -> dict[str, object]:
    return {
        "id": job_id,
        "cluster": "training-engine-shared",
        "state": state,
        "message": message,
        "submitted_at": _iso(5),
        **more,
    }


def _dep(state: str, predictions: int | None = 0, message: str = "") -> dict[str, object]:
    return {
        "name": "mlops-inference-server-x",
        "model": "m",
        "version": 1,
        "state": state,
        "message": message,
        "predictions": predictions,
        "created_at": _iso(3),
    }


VIEW = ClassView.from_dict(
    {
        "tenant": "K8sMLTenant",
        "workers": 2,
        "broadcast": {"message": "break until 11:00", "author": "facilitator", "at": _iso(2)},
        "members": [
            _member("facilitator", role="facilitator"),
            _member(
                "done",
                code_files=8,
                jobs=[_job("1", "finished")],
                versions=[{"model": "mlops-model-done", "version": 1}],
                deployments=[_dep("configured", 3)],
            ),
            _member(
                "failing",
                code_files=8,
                jobs=[_job("4", "failed", "exit code 2: no column PULocationID"), _job("2", "finished")],
                last_error={"what": "job 4", "message": "exit code 2", "at": _iso(2)},
            ),
            _member(
                "queued",
                code_files=8,
                queue_position=3,
                last_progress_at=_iso(30),
                jobs=[
                    _job(
                        "5",
                        "queued",
                        queue_position=3,
                        estimated_start_at=(NOW + timedelta(seconds=40)).isoformat(),
                    )
                ],
            ),
            _member("idle", last_progress_at=_iso(25)),
            _member("fresh", last_login_at=None, last_progress_at=None),
        ],
    }
)


def _by(user: str):
    return next(m for m in VIEW.members if m.user == user)


def test_steps_follow_the_platforms_state() -> None:
    states = {s.id: s.state for s in classroom.steps(_by("done"))}
    assert states["predict"] == classroom.StepState.DONE and states["deploy"] == classroom.StepState.DONE
    assert classroom.lab_reached(_by("done")) == 6
    assert {s.id: s.state for s in classroom.steps(_by("failing"))}["train"] == classroom.StepState.FAILED
    train = next(s for s in classroom.steps(_by("queued")) if s.id == "train")
    assert train.state == classroom.StepState.WORKING and "queue position 3" in train.detail
    assert classroom.lab_reached(_by("fresh")) == 1
    assert {str(s.state) for s in classroom.steps(_by("fresh"))} == {"not started"}


def test_stuck_attendees_come_first_with_why() -> None:
    assert "no column PULocationID" in classroom.stuck(_by("failing"), NOW)
    assert classroom.stuck(_by("idle"), NOW).startswith("no progress for 25 min")
    assert classroom.stuck(_by("queued"), NOW) == ""  # waiting in the queue is not being stuck
    assert classroom.stuck(_by("done"), NOW) == ""
    order = [m.user for m in classroom.ordered(VIEW, NOW)]
    assert set(order[:2]) == {"failing", "idle"} and "facilitator" not in order and order[-1] == "done"


def test_queue_place_reads_for_people() -> None:
    job = _by("queued").jobs[0]
    assert classroom.queue_place(job, NOW) == "position 3 in the training queue, starts in about 40 s"
    assert classroom.queue_place(job, NOW, short=True) == "#3 ~40 s"
    assert classroom.queue_place(_by("done").jobs[0], NOW) == ""


def test_the_broadcast_and_times_parse() -> None:
    assert VIEW.broadcast is not None and VIEW.broadcast.message == "break until 11:00"
    assert VIEW.broadcast.at == NOW - timedelta(minutes=2)


def test_a_view_from_plain_listings_groups_by_owner_or_workshop_name() -> None:
    clusters = [
        Cluster.from_dict(
            {
                "name": "mlops-jupyter-notebook-student07",
                "kind": "notebook",
                "app": "jupyter-notebook",
                "state": "configured",
            }
        )
    ]
    jobs = [
        Job.from_dict({"id": "9", "cluster": "t", "state": "failed", "user": "student07", "message": "boom"})
    ]
    deps = [
        Deployment.from_dict(
            {"name": "mlops-inference-server-student08", "model": "m", "version": 1, "state": "configured"}
        )
    ]
    view = classroom.view_from_objects("T", clusters, jobs, [], deps)
    assert [m.user for m in view.members] == ["student07", "student08"]
    seven = view.members[0]
    assert seven.notebooks[0].name.endswith("student07") and seven.last_error is not None
    assert "boom" in classroom.stuck(seven, NOW)
