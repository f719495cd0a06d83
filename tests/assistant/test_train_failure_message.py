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
