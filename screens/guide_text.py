"""What the guide says: the Rich texts of its messages, built from plain data.

Kept apart from the screen so the screen module holds only behaviour, and so the wording can be
read (and changed) in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from mlops_tui.actions import screen_keys
from mlops_tui.assistant import labs
from mlops_tui.assistant import workshop as ws
from mlops_tui.assistant.commands import HELP
from mlops_tui.assistant.rides import Place, Ride
from mlops_tui.services import job_output
from mlops_tui.services.terminal_text import plain
from mlops_tui.services.types import Job, JobState, Prediction
from mlops_tui.terminal import Tone, tone_style
from mlops_tui.widgets.step_marks import mark_style

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
        icon, style = mark_style(states[step.id])
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
        f"\nKeys: PgUp/PgDn scroll · ctrl+y copy · ctrl+q quit; on an empty line {screen_keys()} screens"
        " · : command line · ? help",
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


def ride_understood(ride: Ride) -> Text:
    """The ride as read, said before it is sent: places, time, distance and how each was read."""
    text = Text()
    text.append("Asking for: ", "bold")
    text.append(ride.describe())
    if ride.assumed:
        text.append("\nread as: " + "; ".join(ride.assumed), "italic")
    return text


def token_answer(deployment: str, deployed: bool, has_token: bool) -> Text:
    """What "token" answers: which tokens there are, where each one is, how to get it."""
    text = Text()
    if has_token:
        text.append(f"The auth token of {deployment} is ready to paste: ", "bold")
        text.append("ctrl+y", "bold")
        text.append(" copies ")
        text.append("export AUTH_TOKEN=…", "bold")
        text.append(" (it is not shown here, so it stays off shared screens). The curls I show use ")
        text.append("$AUTH_TOKEN", "bold")
        text.append("; send it as the X-Auth-Token header.")
    elif deployed:
        text.append(f"{deployment} has no auth token I can read here.", "bold")
    else:
        text.append(f"There is no deployment {deployment} yet, so no auth token: ", "bold")
        text.append("Lab 4 deploys the model (goto lab 4).")
    text.append(
        "\nYour session is another token (X-BDS-SESSION): the app keeps it; the printed commands use "
        "$MLOPS_SESSION, which the login curl sets (show commands on Lab 1).",
        "dim",
    )
    return text


def urls(
    platform_url: str, ctx: labs.LabContext, deployments: Sequence[Any], clusters: Sequence[Any]
) -> Text:
    """Every URL in use, whole (never cut: people copy them)."""
    text = Text()
    text.append("URLs:", "bold")
    text.append(f"\nplatform      {platform_url}")
    mine = [d for d in deployments if d.name == ctx.deployment] or list(deployments)
    for dep in mine:
        text.append(f"\n{dep.name} (prediction, needs X-Auth-Token)\n  {dep.url or '-'}")
    if not mine:
        text.append("\nprediction    none yet: Lab 4 deploys the model")
    for cluster in clusters:
        for endpoint in getattr(cluster, "endpoints", ()):
            if endpoint.url:
                text.append(f"\n{cluster.name} ({endpoint.name})\n  {endpoint.url}")
    return text


def where(who: str, platform_url: str | None, step: labs.Step | None, done: int, total: int) -> Text:
    """Who and where the person is: profile, tenant, user, platform, the step ▶."""
    text = Text()
    text.append("You are ", "bold")
    text.append(plain(who) or "not logged in")
    text.append(f"\nplatform {platform_url or 'not connected'}")
    if step is None:
        text.append(f"\nall {total} steps are done")
    else:
        text.append(f"\nstep ▶ Lab {step.lab} · {step.title} ({done} of {total} done)")
    return text


def log_tail(job: Job, lines: Sequence[str]) -> Text:
    """The last lines of a job's log as a terminal shows them (colours dropped: a chat message)."""
    text = Text()
    text.append(f"job {job.id} ({job.state}) — last {len(lines)} log lines", "bold")
    for line in lines:  # structured @@mlops lines worded as in the live log and lab run
        text.append(f"\n{job_output.readable(plain(line))}")
    if job.state in (JobState.QUEUED, JobState.RUNNING):
        text.append("\nstill running: press 3 for the live log", "dim")
    return text
