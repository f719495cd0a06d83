"""What the guide says: the Rich texts of its messages, built from plain data.

Kept apart from the screen so the screen module holds only behaviour, and so the wording can be
read (and changed) in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from mlops_tui.actions import screen_keys
from mlops_tui.assistant import labs
from mlops_tui.assistant import workshop as ws
from mlops_tui.assistant.commands import HELP
from mlops_tui.assistant.rides import Place, Ride
from mlops_tui.services.terminal_text import plain
from mlops_tui.services.types import Job, JobState, Prediction
from mlops_tui.terminal import Tone, tone_style
from mlops_tui.widgets.lab_steps import step_icon

WELCOME = Text.assemble(
    ("Welcome to the ML Ops workshop: ", "bold"),
    "predict the travel time of a New York taxi ride, from logging in to serving the model. "
    "I run each step on the platform and check it live.\n",
    ("enter", "bold"),
    " runs the step marked ▶ · ",
    ("help", "bold"),
    " lists what you can type.",
)


def explanation(step: labs.Step, index: int, total: int) -> Text:
    text = Text()
    text.append(f"Lab {step.lab} · {step.title}", "bold")
    text.append(f"  (step {index + 1} of {total})\n", "dim")
    text.append(step.explanation)
    text.append("\n")
    text.append("enter", "bold")
    text.append(" runs it · ")
    text.append("show commands", "bold")
    text.append(" shows how by hand · ")
    text.append("skip", "bold")
    return text


def all_done(prediction: float | None) -> Text:
    text = Text()
    text.append("All five labs are done and verified on the platform. ", "bold")
    if prediction is not None:
        text.append(f"The model predicts {ws.format_seconds(prediction)} ", "bold")
        text.append("for the workshop's ride. ")
    text.append(
        "Ask for other rides, e.g. predict from JFK to Times Sq friday 5pm 17 miles, or press 2 "
        "for the live dashboard."
    )
    return text


def status(
    steps: Sequence[labs.Step], states: dict[str, str], details: dict[str, str], current: int | None
) -> Text:
    text = Text()
    text.append("Status, checked live just now:", "bold")
    for i, step in enumerate(steps):
        icon, style = step_icon(states[step.id])
        text.append(f"\n{icon} ", style)
        text.append(f"{i + 1}. Lab {step.lab} {step.title}", "bold" if i == current else "")
        if details.get(step.id):
            text.append(f" — {plain(details[step.id])}", "dim")  # live checks quote the platform
    return text


def help_text() -> Text:
    text = Text()
    text.append("What you can type:", "bold")
    for usage, what in HELP:
        text.append("\n")
        text.append(usage, "bold")
        text.append("  ")
        text.append(what)
    text.append(
        f"\nKeys: {screen_keys()} screens (on an empty line) · PgUp/PgDn scroll · ctrl+y copy · ctrl+q quit",
        "dim",
    )
    return text


def zones(found: Sequence[Place]) -> Text:
    text = Text("Taxi zones (use the name or the id):", "bold")
    for place in found:
        text.append(f"\n  {place.id:>3}  ", "bold")
        text.append(f"{place.name} ({place.borough})", "")
    return text


def lab_prediction(prediction: Prediction) -> Text:
    """The Lab 5 answer: the workshop's ride."""
    text = Text()
    text.append("Predicted travel time: ", "bold")
    text.append(ws.format_seconds(prediction.value), "bold")
    text.append(f" ({prediction.value:.1f} s) for {ws.EXAMPLE_RIDE_TEXT}")
    text.append(f"\nlatency {prediction.latency_ms:.1f} ms", "dim")
    return text


def ride_prediction(ride: Ride, prediction: Prediction) -> Text:
    """The answer to ``predict <ride>``: the ride as understood, the time, what was assumed."""
    text = Text()
    text.append(f"{ride.describe()}\n")
    text.append("Predicted travel time: ", "bold")
    text.append(ws.format_seconds(prediction.value), "bold")
    text.append(f" ({prediction.value:.1f} s)")
    text.append(f" · latency {prediction.latency_ms:.1f} ms", "dim")
    if ride.assumed:
        text.append("\nassumed: " + "; ".join(ride.assumed), "italic")
    for warning in prediction.warnings:
        text.append(f"\n⚠ {plain(warning)}", tone_style(Tone.WARN))  # the prediction server's words
    return text


def log_tail(job: Job, lines: Sequence[str]) -> Text:
    """The last lines of a job's log as a terminal shows them (colours dropped: a chat message)."""
    text = Text()
    text.append(f"job {job.id} ({job.state}) — last {len(lines)} log lines", "bold")
    for line in lines:
        text.append(f"\n{plain(line)}")
    if job.state in (JobState.QUEUED, JobState.RUNNING):
        text.append("\nstill running: press 3 for the live log", "dim")
    return text
