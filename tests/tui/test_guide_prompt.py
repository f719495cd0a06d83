"""The guide's prompt line follows the steps' current state: after every lab was done, a failed
``train`` that leaves Lab 3 unverified must not keep "✔ All labs done", and enter must not say
"Every step is done and verified" (issue 13 tester). FixedPlatform (no platform process): the
platform's answers are fixed, the guide's logic is under test."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from mlops_tui.screens.guide import GuideScreen

from mlops_tui.app import MlopsApp
from mlops_tui.services.types import Job, JobSpec, JobState

from .conftest import wait_for
from .fixed_app import fixed_app
from .fixed_platform import FixedPlatform
from .terminal_support import screen_text

pytestmark = pytest.mark.usefixtures("utc")


class TrainingFailsFromNowOn(FixedPlatform):
    """Every lab verifies; once a job is submitted it fails, and no finished job is left (the
    tenant's jobs were cleaned up meanwhile), so Lab 3's train step is no longer verified."""

    failed = False

    def _jobs(self) -> list[Job]:
        jobs = super()._jobs()
        if not self.failed:
            return jobs
        lost = [dataclasses.replace(j, state=JobState.FAILED, message="out of memory") for j in jobs]
        return [dataclasses.replace(lost[0], id="5"), *lost]

    async def submit_job(self, spec: JobSpec) -> Job:
        self.failed = True
        return (await self.list_jobs())[0]

    async def follow_log(
        self, job_id: str, *, from_line: int = 0, follow: bool = True, tail: int | None = None
    ) -> AsyncIterator[str]:
        yield "ERROR out of memory"


def _prompt(app: MlopsApp) -> str:
    return str(app.screen.query_one("#guide-prompt").render())


async def test_a_failed_train_after_all_labs_moves_the_prompt_back_to_it(tmp_path: Path) -> None:
    app = fixed_app(tmp_path, "guide", TrainingFailsFromNowOn())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, GuideScreen), what="the guide")
        guide: Any = app.screen
        await wait_for(pilot, lambda: guide._announced is not None and not guide.checking, what="first check")
        await pilot.press("enter")  # the one missing step (the upload)
        await wait_for(pilot, lambda: "All labs done" in _prompt(app), 30, "all labs done")
        guide.query_one("#guide-input").focus()
        await pilot.press(*"train", "enter")
        failed = lambda: guide.running is None and guide.states["train"] == "failed"  # noqa: E731
        await wait_for(pilot, failed, 30, "the failure")
        await pilot.pause(0.2)
        prompt = _prompt(app)
        assert "All labs done" not in prompt and "All labs done" not in screen_text(app), prompt
        assert prompt.startswith("✖ Train the model failed — enter tries again"), prompt
        guide.query_one("#guide-input").focus()
        await pilot.press("enter")  # empty input: run the step marked
        await wait_for(pilot, lambda: guide.running is None and "train" in str(guide.chat.messages[-1].plain))
        assert "Every step is done" not in guide.chat.transcript()


async def test_show_after_every_lab_gives_the_last_steps_commands_not_a_pointer(tmp_path: Path) -> None:
    """A guide opened on a finished workshop (nothing run in this session): 'show' answered "Nothing
    has run yet. 'show commands' ..." and 'show commands' "Every step is done. 'show curl' ...", each
    pointing to the other. Both now give Lab 5's prediction by hand."""
    platform = FixedPlatform()

    def app() -> MlopsApp:
        return fixed_app(tmp_path, "guide", platform)

    first = app()
    async with first.run_test(size=(100, 30)) as pilot:  # the one missing step, then quit
        await wait_for(pilot, lambda: isinstance(first.screen, GuideScreen), what="the guide")
        guide: Any = first.screen
        await wait_for(pilot, lambda: guide._announced is not None and not guide.checking, what="first check")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "All labs done" in _prompt(first), 30, "all labs done")

    again = app()
    async with again.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(again.screen, GuideScreen), what="the guide")
        guide = again.screen
        await wait_for(pilot, lambda: "All labs done" in _prompt(again), 30, "all labs done on opening")
        assert guide.current is None and not guide.last_commands
        for line in ("show", "show commands"):
            guide.query_one("#guide-input").focus()
            await pilot.press(*line, "enter")
            await pilot.pause(0.2)
            said = guide.chat.messages[-1].plain
            assert "Predict a ride's travel time, by hand" in said, (line, said)
            assert "/predict" in said and "show curl" not in said and "Nothing has run" not in said


async def test_a_prompt_longer_than_its_line_ends_in_an_ellipsis_at_80_columns(tmp_path: Path) -> None:
    """At 80x24 "▶ Lab 5: Predict a ride's travel time — enter runs it" wrapped after "enter" and
    its second line was hidden: a cut that said nothing. The line is cut with "…"."""
    app = fixed_app(tmp_path, "guide", FixedPlatform())
    async with app.run_test(size=(80, 24)) as pilot:
        prompt = app.screen.query_one("#guide-prompt")

        def shown() -> str:
            return prompt.render_line(0).text.strip()

        await wait_for(pilot, lambda: shown().startswith("▶ Lab"), what="a step's prompt")
        assert shown().endswith("…"), shown()  # ("▶ Lab 3: Upload the training code — enter ru…")
