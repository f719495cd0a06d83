"""The lab steps engine: step, event and check types, and running a step with its equivalent commands.

A step's ``run`` does the work and yields :class:`StepEvent` s as it goes; its ``verify`` checks
the outcome live on the platform, so the guide can tell which step is the first unfinished one
even after a restart. :func:`run_step` wraps ``run`` and adds a ``command`` event for every new
kind of platform call, so the equivalent commands shown are the calls really made.
The steps themselves live in the ``lab_*`` modules; :mod:`.labs` puts them in order.
No Textual here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TypeVar

from mlops_tui.assistant import workshop as ws
from mlops_tui.services.errors import PlatformError
from mlops_tui.services.platform import Platform
from mlops_tui.services.types import ClusterState, Prediction


class EventKind(StrEnum):
    INFO = "info"  # what is happening
    COMMAND = "command"  # the equivalent shell command of a call just made
    PROGRESS = "progress"  # a state change while waiting (cluster creating, job running)
    LOG = "log"  # a line of a training log
    METRIC = "metric"  # a structured training value (round, metrics) in ``data``
    RESULT = "result"  # the outcome of the step
    WARNING = "warning"  # something optional did not work; the lab goes on


@dataclass(frozen=True)
class StepEvent:
    kind: EventKind
    text: str
    data: dict[str, Any] = field(default_factory=dict)


def event(kind: EventKind, text: str, **data: Any) -> StepEvent:
    """A :class:`StepEvent` with its data as keywords (what the steps write most)."""
    return StepEvent(kind, text, data)


class CheckState(StrEnum):
    DONE = "done"
    PENDING = "pending"  # not done yet: the step is still to run
    UNAVAILABLE = "unavailable"  # an optional extra this host cannot do (e.g. no Jupyter)


@dataclass(frozen=True)
class Check:
    """A step's live verification: ``state`` and a one-line ``detail`` for people."""

    state: CheckState
    detail: str

    @property
    def done(self) -> bool:
        return self.state == CheckState.DONE


class StepFailed(PlatformError):
    """A lab step could not be completed; the message says what happened on the platform."""

    TITLE = "Step failed"
    hint = "fix the cause and run the step again"


class StepCancelled(StepFailed):
    """A step's job was cancelled on request (by the person, or a facilitator): nothing to fix."""

    TITLE = "Cancelled"
    hint = "run the step again when you want it"


@dataclass
class LabContext:
    """What the steps share. Filled as steps run; missing values are looked up on the platform."""

    user: str
    tenant: str = ""
    data_path: str = ws.DEFAULT_DATA
    data_file: Path | None = None  # a local trip file the check-data step uploads as data_path
    train_params: dict[str, str | int | float] = field(default_factory=dict)
    scoring_args: dict[str, Any] = field(default_factory=lambda: dict(ws.EXAMPLE_SCORING_ARGS))
    notebook_timeout_s: float = 45.0
    deploy_timeout_s: float = 60.0
    train_timeout_s: float = 600.0
    poll_s: float = 0.25
    kubeconfig_path: Path | None = None
    job_id: str | None = None
    model_version: int | None = None
    prediction: Prediction | None = None
    notebook_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def notebook(self) -> str:
        return ws.notebook_name(self.user)

    @property
    def model(self) -> str:
        return ws.model_name(self.user)

    @property
    def deployment(self) -> str:
        return ws.deployment_name(self.user)

    @property
    def code_dir(self) -> str:
        return ws.code_dir(self.user)


RunFn = Callable[[Platform, LabContext], AsyncIterator[StepEvent]]
VerifyFn = Callable[[Platform, LabContext], Awaitable[Check]]
CommandsFn = Callable[[Platform, LabContext], list[str]]


@dataclass(frozen=True)
class Step:
    id: str
    lab: int
    title: str
    explanation: str
    run: RunFn
    verify: VerifyFn
    commands: CommandsFn  # the equivalent commands before running (for "show me")
    optional: bool = False


def equivalent_commands(*calls: tuple[str, dict[str, Any]]) -> CommandsFn:
    """A step's "show me" commands: ``(op, params)`` pairs, a callable param resolved on the context."""

    def commands(p: Platform, ctx: LabContext) -> list[str]:
        out = []
        for op, params in calls:
            resolved = {k: (v(ctx) if callable(v) else v) for k, v in params.items()}
            out.append(p.equivalent(op, **resolved))
        return out

    return commands


class _Settling(Protocol):
    @property
    def state(self) -> ClusterState: ...


S = TypeVar("S", bound=_Settling)


async def wait_settled(
    fetch: Callable[[str], Awaitable[S]], name: str, timeout: float, poll: float
) -> AsyncIterator[StepEvent | S]:
    """Yield progress events while ``name`` is creating or updating, then it (or the last seen).

    Clusters and deployments settle the same way, so one loop serves both.
    """
    deadline = time.monotonic() + timeout
    last_state = None
    while True:
        item = await fetch(name)
        if item.state != last_state:
            last_state = item.state
            yield event(EventKind.PROGRESS, f"{name}: {item.state}", state=str(item.state))
        if item.state not in (ClusterState.CREATING, ClusterState.UPDATING) or time.monotonic() > deadline:
            yield item
            return
        await asyncio.sleep(poll)


async def run_step(step: Step, p: Platform, ctx: LabContext) -> AsyncIterator[StepEvent]:
    """Run ``step``; before each of its events, a ``command`` event for each new kind of call made."""
    seen_ops: set[str] = set()
    start = len(p.calls)
    base = p.calls[-1] if p.calls else None

    def new_commands() -> list[StepEvent]:
        nonlocal start, base
        calls = p.calls
        # The history is bounded: find where we stopped by identity when it has rotated.
        if base is not None and (start > len(calls) or (start and calls[start - 1] is not base)):
            start = next((i + 1 for i, c in enumerate(calls) if c is base), 0)
        fresh = calls[start:]
        start = len(calls)
        base = calls[-1] if calls else None
        out = []
        for call in fresh:
            if call.op in seen_ops:
                continue
            seen_ops.add(call.op)
            out.append(event(EventKind.COMMAND, call.command, op=call.op, status=call.status))
        return out

    async for ev in step.run(p, ctx):
        for command in new_commands():
            yield command
        yield ev
    for command in new_commands():
        yield command


async def check_step(step: Step, p: Platform, ctx: LabContext) -> Check:
    """``step``'s live check; a platform error counts as pending, with its message."""
    try:
        return await step.verify(p, ctx)
    except PlatformError as exc:
        return Check(CheckState.PENDING, str(exc))
