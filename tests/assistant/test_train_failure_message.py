"""The guide's words for a failed training job name the exit code once: the local platform's
message already begins with it ("exit code 2: error: …"), the Kubernetes one does not ("Job has
reached the specified backoff limit"). The guide said "failed (exit 2): exit code 2: error: …"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from mlops_tui.assistant import lab_training
from mlops_tui.assistant.steps import LabContext, StepFailed
from mlops_tui.services.types import Job, JobState

ERROR = (
    "error: too few usable rides in empty.csv: 0 of 0 kept, at least 50 are needed; the file holds no rides"
)


class FailingJob:
    """A platform whose one job has failed with ``message`` (exit code 2)."""

    def __init__(self, message: str) -> None:
        self.job = Job(
            id="7", cluster="training-engine-shared", state=JobState.FAILED, exit_code=2, message=message
        )

    async def submit_job(self, spec: Any) -> Job:
        return self.job

    async def get_job(self, job_id: str) -> Job:
        return self.job

    async def follow_log(self, job_id: str, **_: Any) -> AsyncIterator[str]:
        yield ERROR


@pytest.mark.parametrize(
    ("message", "said"),
    [
        (f"exit code 2: {ERROR}", f"training job 7 failed: exit code 2: {ERROR}"),
        (
            "Job has reached the specified backoff limit",
            "training job 7 failed (exit 2): Job has reached the specified backoff limit",
        ),
    ],
)
async def test_the_exit_code_is_said_once(message: str, said: str) -> None:
    ctx = LabContext(user="student01", poll_s=0.01)
    with pytest.raises(StepFailed) as failed:
        async for _ in lab_training._run_train(FailingJob(message), ctx):  # type: ignore[arg-type]
            pass
    assert failed.value.message == said


async def test_the_live_check_says_why_the_newest_job_of_this_code_failed() -> None:
    """A job that failed from the CLI: the guide's check said only "no finished training job"
    while the Class screen showed the failure (workshop tester). It names the job and its message."""
    ctx = LabContext(user="student01")
    failed = Job(
        id="7",
        cluster="c",
        state=JobState.FAILED,
        exit_code=2,
        message=f"exit code 2: {ERROR}",
        code=f"{ctx.code_dir}/",
    )
    others = Job(id="8", cluster="c", state=JobState.FINISHED, code="code/student02/taxi")

    class Jobs:
        def __init__(self, jobs: list[Job]) -> None:
            self.jobs = jobs

        async def list_jobs(self) -> list[Job]:
            return self.jobs

    check = await lab_training._verify_train(Jobs([others, failed]), ctx)  # type: ignore[arg-type]
    assert not check.done and check.detail == f"job 7 failed: exit code 2: {ERROR}; train again"
    finished = Job(id="6", cluster="c", state=JobState.FINISHED, code=ctx.code_dir)
    check = await lab_training._verify_train(Jobs([failed, finished]), ctx)  # type: ignore[arg-type]
    assert check.done and check.detail.startswith("job 6 finished")
    assert (await lab_training._verify_train(Jobs([others]), ctx)).detail == (  # type: ignore[arg-type]
        f"no finished training job of {ctx.code_dir}"
    )


async def test_a_cancelled_job_is_said_as_stopped_on_request_not_as_an_error_to_fix() -> None:
    """The tester's case: a job the facilitator cancelled read "Platform error: … training job 3
    cancelled (exit -2): cancelled by facilitator at 2026-12-01T04:47:18.251+00:00 — fix the cause
    and run the step again". Nothing is to fix: it is a cancellation, said once, without exit code."""
    from mlops_tui.assistant.steps import StepCancelled
    from mlops_tui.widgets.format import describe_error

    platform = FailingJob("cancelled by facilitator at 04:47:18 UTC")
    platform.job = Job(
        id="3", cluster="training-engine-shared", state=JobState.CANCELLED, exit_code=-2,
        message="cancelled by facilitator at 04:47:18 UTC",
    )  # fmt: skip
    ctx = LabContext(user="student02", poll_s=0.01)
    with pytest.raises(StepCancelled) as stopped:
        async for _ in lab_training._run_train(platform, ctx):  # type: ignore[arg-type]
            pass
    title, message = describe_error(stopped.value, "Train the model")
    assert title == "Cancelled"
    assert message == (
        "Train the model: training job 3 was cancelled by facilitator at 04:47:18 UTC"
        " — run the step again when you want it"
    )
