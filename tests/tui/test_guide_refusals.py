"""A `train …` (or another command) refused before anything is submitted changes no step's state
and stays in the input to be corrected; the refusal names the parameter and what it may be.

The fault: `train data=nosuch.csv` marked Lab 3 ✖ (the platform refused the job's data file
before making the job) and every refused command was dropped from the input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops_tui.lab_scripts.params import BY_NAME
from textual.widgets import Input

from .guide_support import fresh_tenant, guide_app, ready, type_line, wait_for


async def test_a_refused_train_keeps_the_step_and_what_was_typed(local_platform: Any, tmp_path: Path) -> None:
    app = guide_app(fresh_tenant(local_platform), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        guide = await ready(pilot)
        field = guide.query_one("#guide-input", Input)
        platform = guide._platform()
        await type_line(pilot, "run upload-code")
        await wait_for(pilot, lambda: guide.running is None and guide.states["upload-code"] == "done", 60)
        jobs, data = len(await platform.list_jobs()), guide.context.data_path
        assert guide.states["train"] == "pending"

        await type_line(pilot, "train rounds=20000")
        assert guide.chat.messages[-1].plain.startswith(
            f"Not submitted: rounds must be {BY_NAME['rounds'].rule}, not '20000'"
        )
        assert guide.states["train"] == "pending" and field.value == "train rounds=20000"

        field.value = ""
        await type_line(pilot, "train data=nosuch.csv rounds=50")
        await wait_for(
            pilot, lambda: guide.running is None and "Not submitted" in guide.chat.transcript(), 60
        )
        await pilot.pause()
        message = guide.chat.messages[-1].plain
        assert message.startswith("Not submitted: data=nosuch.csv: "), message
        assert "data= takes a data file of the project repository: " in message
        assert "data data" not in message  # the field named once
        assert "Training with" not in guide.chat.transcript()  # refused: it never started
        assert data.removeprefix("data/") in message  # what it may be: the files that are there
        assert guide.states["train"] == "pending"  # not ✖: nothing was submitted
        assert field.value == "train data=nosuch.csv rounds=50"
        assert guide.context.data_path == data and guide.context.train_params == {}
        assert len(await platform.list_jobs()) == jobs

        for line in ("logs 9999", "goto lab 7", "run nosuchstep"):  # the other commands with a value
            field.value = ""
            await type_line(pilot, line)
            await wait_for(pilot, lambda typed=line: field.value == typed, 30, f"{line} given back")
            if line == "logs 9999":  # the job named, not the field ("id: no job …")
                said = guide.chat.messages[-1].plain
                assert "no job 9999" in said and "id:" not in said, said
        assert guide.states["train"] == "pending"

        # given back selected: a new command replaces it (found by the first-timer tmux run:
        # "xyzzy" refused, then "logs 1" typed, ran "xyzzylogs 1"); an arrow key edits it
        await pilot.press("l", "o", "g", "s")
        assert field.value == "logs"
        field.value = ""
        await type_line(pilot, "run nosuchstep")
        await wait_for(pilot, lambda: field.value == "run nosuchstep", 30)
        await pilot.press("end", "x")
        assert field.value == "run nosuchstepx"


def test_a_refusal_names_the_field_once() -> None:
    """`train data=nosuch.csv` read "data=nosuch.csv: data data/nosuch.csv does not exist": the
    platform's message starts with the field the guide's refusal already names."""
    from mlops_tui.screens.guide import unnamed

    said = unnamed("data data/nosuch.csv does not exist in the project repository", "data")
    assert said == "data/nosuch.csv does not exist in the project repository"
    assert unnamed("id: no job 9999", "id") == "no job 9999"
    assert unnamed("data/x.csv is empty", "data") == "data/x.csv is empty"
