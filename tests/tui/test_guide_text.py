"""The guide's wording, built from plain data (no app needed)."""

from __future__ import annotations

from datetime import datetime

from mlops_tui.screens import guide_text as say

from mlops_tui.assistant import labs
from mlops_tui.assistant.rides import Place, Ride
from mlops_tui.services.types import Job, JobState, Prediction


def _prediction(seconds: float, warnings: tuple[str, ...] = ()) -> Prediction:
    return Prediction((seconds,), 1.25, 200, {}, {}, warnings)


def test_status_lists_every_step_with_its_live_detail() -> None:
    steps = list(labs.STEPS)
    states = {s.id: "pending" for s in steps} | {"login": "done", "notebook": "unavailable"}
    text = say.status(steps, states, {"login": "logged in as alice"}, current=2).plain
    assert text.splitlines()[0] == "Status, checked live just now:"
    assert "✔ 1. Lab 1 Log in to the platform — logged in as alice" in text
    assert "⊘ 3. Lab 2" in text and f"○ {len(steps)}. Lab 5" in text


def test_ride_prediction_says_what_was_assumed_and_warned() -> None:
    ride = Ride(Place(161, "Midtown Center"), Place(230, "Times Sq"), datetime(2019, 2, 5, 9), 2.1, ("9:00",))
    text = say.ride_prediction(ride, _prediction(812.4, ("distance looks short",))).plain
    assert "Midtown Center → Times Sq, Tue 05 Feb 2019 09:00, 2.1 mi" in text
    assert "Predicted travel time: 13 min 32 s (812.4 s) · latency 1.2 ms" in text
    assert "assumed: 9:00" in text and "⚠ distance looks short" in text


def test_lab_prediction_and_all_done_give_minutes_and_seconds() -> None:
    assert "Predicted travel time: 34 min 17 s (2056.9 s)" in say.lab_prediction(_prediction(2056.9)).plain
    assert "The model predicts 34 min 17 s" in say.all_done(2056.9).plain
    assert "predicts" not in say.all_done(None).plain


def test_log_tail_of_a_running_job_points_to_the_live_log() -> None:
    job = Job(id="7", cluster="training-engine-shared", state=JobState.RUNNING)
    text = say.log_tail(job, ["a", "b"]).plain
    assert text.startswith("job 7 (running) — last 2 log lines\na\nb")
    assert "press 3 for the live log" in text
    done = Job(id="7", cluster="training-engine-shared", state=JobState.FINISHED)
    assert "live log" not in say.log_tail(done, []).plain


def test_help_and_zones() -> None:
    assert "predict <ride>" in say.help_text().plain
    assert say.zones([Place(68, "East Chelsea", "Manhattan")]).plain.endswith(" 68  East Chelsea (Manhattan)")
