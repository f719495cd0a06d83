"""Labs 1-5 of the workshop as one ordered list of runnable, verifiable steps.

Shared by ``mlops-tui lab run`` (prints the events) and the TUI's guide (shows them in its chat
panel). The engine is :mod:`.steps`; the steps are in ``lab_session`` (Lab 1), ``lab_notebook``
(Lab 2), ``lab_training`` (Lab 3) and ``lab_serving`` (Labs 4-5). The names importers use are
re-exported here, so ``labs`` stays the one entry point.

Steps find what earlier steps produced on the platform itself when the context does not have it
(the latest finished job, the latest model version), so a run can start at any lab.
No Textual here.
"""

from __future__ import annotations

from mlops_tui.assistant import lab_notebook, lab_serving, lab_session, lab_training
from mlops_tui.assistant.lab_serving import runnable_predict_curl
from mlops_tui.assistant.lab_training import (
    MAIN_METRICS,
    format_metrics,
    lab_code_files,
    latest_job,
    upload_lab_code,
)
from mlops_tui.assistant.steps import (
    Check,
    CheckState,
    CommandsFn,
    EventKind,
    LabContext,
    RunFn,
    Step,
    StepCancelled,
    StepEvent,
    StepFailed,
    VerifyFn,
    check_step,
    run_step,
)
from mlops_tui.services.platform import Platform

__all__ = [
    "LAB_TITLES",
    "MAIN_METRICS",
    "STEPS",
    "Check",
    "CheckState",
    "CommandsFn",
    "EventKind",
    "LabContext",
    "RunFn",
    "Step",
    "StepCancelled",
    "StepEvent",
    "StepFailed",
    "VerifyFn",
    "first_unfinished",
    "format_metrics",
    "get_step",
    "lab_code_files",
    "latest_job",
    "run_step",
    "runnable_predict_curl",
    "step_rows",
    "steps",
    "upload_lab_code",
    "verify_all",
]

LAB_TITLES = {
    1: "Log in as a tenant user",
    2: "Start a notebook sandbox",
    3: "Train the model on the shared training cluster",
    4: "Register the model and deploy it",
    5: "Ask for predictions",
}

STEPS: tuple[Step, ...] = (*lab_session.STEPS, *lab_notebook.STEPS, *lab_training.STEPS, *lab_serving.STEPS)


def steps(from_lab: int = 1) -> list[Step]:
    """The steps from ``from_lab`` on; login always comes first (every later step needs a session)."""
    if not 1 <= from_lab <= 5:
        raise ValueError("labs are numbered 1 to 5")
    chosen = [s for s in STEPS if s.lab >= from_lab]
    if from_lab > 1:
        chosen.insert(0, STEPS[0])
    return chosen


def step_rows() -> list[tuple[str, int, str]]:
    """``(id, lab, title)`` rows (what the guide's command matcher takes)."""
    return [(s.id, s.lab, s.title) for s in STEPS]


def get_step(step_id: str) -> Step:
    for s in STEPS:
        if s.id == step_id:
            return s
    raise KeyError(step_id)


async def verify_all(p: Platform, ctx: LabContext) -> list[tuple[Step, Check]]:
    """Every step's live check, in order (an error counts as pending, with its message)."""
    return [(step, await check_step(step, p, ctx)) for step in STEPS]


async def first_unfinished(p: Platform, ctx: LabContext) -> Step | None:
    """The first step whose live check is not done (optional steps that cannot run are passed)."""
    for step in STEPS:
        if (await check_step(step, p, ctx)).state == CheckState.PENDING:
            return step
    return None
