"""The doctor's frame: a check is a small async function with a deadline that returns what it saw.

Design §10: "Doctor is a list of checks, each a small function with a deadline returning (ok, seen,
what to do), run in order by both the CLI and the TUI panel". :func:`run` runs them in order and
stops at the first that fails (the later hops cannot be judged then); every check has an exit code
of its own, so a script can tell which hop failed (``mlops-tui doctor; echo $?``), and 0 means every
check passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from mlops_tui.services import errors

C = TypeVar("C")


class Status(StrEnum):
    OK = "ok"
    FAIL = "fail"
    SKIP = "skip"  # not configured or not applicable: counts as passed, says what it means
    NOT_RUN = "not run"  # after a failure


@dataclass(frozen=True)
class Finding:
    """What a check function returns: passed or not, what it saw, and what to do (when not)."""

    ok: bool
    seen: str
    hint: str = ""
    skipped: bool = False

    @classmethod
    def passed(cls, seen: str) -> Finding:
        return cls(True, seen)

    @classmethod
    def failed(cls, seen: str, hint: str) -> Finding:
        return cls(False, seen, hint)

    @classmethod
    def skip(cls, seen: str, hint: str = "") -> Finding:
        return cls(True, seen, hint, skipped=True)

    @classmethod
    def from_error(cls, exc: errors.PlatformError, hint: str = "") -> Finding:
        """A typed service error as a failure: its message is what was seen, its hint what to do."""
        return cls(False, exc.message, hint or exc.hint)


@dataclass(frozen=True)
class Check(Generic[C]):
    """One hop: ``fn(context)`` within ``deadline_s`` seconds (a number, or a function of the
    context for deadlines that come from the profile, such as the exec plugin's)."""

    id: str
    title: str
    exit_code: int
    deadline_s: float | Callable[[C], float]
    fn: Callable[[C], Awaitable[Finding]]
    late_hint: str = "check the network and the server, then run mlops-tui doctor again"

    def deadline(self, context: C) -> float:
        return self.deadline_s(context) if callable(self.deadline_s) else self.deadline_s


@dataclass(frozen=True)
class Result:
    id: str
    title: str
    status: Status
    seen: str
    hint: str
    seconds: float
    deadline_s: float
    exit_code: int  # of this check when it fails (0 otherwise)

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL


@dataclass
class Report:
    profile: str
    platform: str
    target: str  # what the profile points at (URL, kubeconfig, state directory)
    results: list[Result] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.status in (Status.OK, Status.SKIP) for r in self.results)

    @property
    def exit_code(self) -> int:
        return next((r.exit_code for r in self.results if r.failed), 0)

    @property
    def first_failure(self) -> Result | None:
        return next((r for r in self.results if r.failed), None)

    def to_json(self) -> dict[str, Any]:
        """The ``-o json`` document: the profile, overall verdict, exit code and every check."""
        return {
            "profile": self.profile,
            "platform": self.platform,
            "target": self.target,
            "ok": self.ok,
            "exit_code": self.exit_code,
            "checks": [{**asdict(r), "status": str(r.status)} for r in self.results],
        }


async def run_check(check: Check[C], context: C) -> Result:
    """One check with its deadline; an error it raises becomes a failure naming it (never a crash)."""
    deadline = check.deadline(context)
    started = time.monotonic()
    scope = asyncio.timeout(deadline)
    try:
        async with scope:
            finding = await check.fn(context)
    except TimeoutError as exc:
        said = f"no answer within {deadline:g} s" if scope.expired() else f"timed out ({exc or 'no answer'})"
        finding = Finding.failed(said, check.late_hint)
    except errors.PlatformError as exc:
        finding = Finding.from_error(exc)
    except Exception as exc:  # a check must never take the doctor down
        finding = Finding.failed(
            f"unexpected {type(exc).__name__}: {exc}", "run with MLOPS_TUI_DEBUG=1 and report it"
        )
    status = Status.SKIP if finding.skipped else Status.OK if finding.ok else Status.FAIL
    return Result(
        id=check.id,
        title=check.title,
        status=status,
        seen=" ".join(finding.seen.split()),  # one line, whatever a server said
        hint=" ".join(finding.hint.split()),
        seconds=round(time.monotonic() - started, 3),
        deadline_s=deadline,
        exit_code=0 if status is not Status.FAIL else check.exit_code,
    )


async def run(
    checks: list[Check[C]],
    context: C,
    report: Report,
    on_result: Callable[[Result], None] | None = None,
) -> Report:
    """Run ``checks`` in order into ``report``; after the first failure the rest are "not run"."""
    failed = False
    for check in checks:
        if failed:
            result = Result(check.id, check.title, Status.NOT_RUN, "", "", 0.0, check.deadline(context), 0)
        else:
            result = await run_check(check, context)
            failed = result.failed
        report.results.append(result)
        if on_result is not None:
            on_result(result)
    return report
