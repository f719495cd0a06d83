"""Text from outside (issue 7, part 5), shown as a terminal would in every place of the TUI.

The job is real (``noisy_job``: ``local_platform_support.NOISY_TRAIN`` run by the platform): its log
holds SGR colours and a tqdm-style bar in eleven ``\\r`` frames, its message an OSC title change,
colours and bells, and its name escape sequences too.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from local_platform_support import NOISY_NAME, NOISY_TRAIN
from mlops_tui.screens.registry import version_detail
from rich.color import ColorType
from textual.widgets import Static

from mlops_tui.services import errors
from mlops_tui.services.types import Credentials, JobSpec, ModelVersion
from mlops_tui.widgets.logview import LogView

from .conftest import wait_for
from .guide_support import fresh_tenant, guide_app, ready, type_line
from .guide_support import wait_for as guide_wait
from .terminal_support import screen_text

BAR = "100%|##########| 100/100"
MESSAGE = "exit code 3: ERROR out of memory"
RAW_TRACES = ("\x1b", "\x07", "\r", "[32m", "[0m", "]0;", "pwned", "title")


def assert_clean(text: str) -> None:
    assert not [t for t in RAW_TRACES if t in text], repr(text)


async def test_training_screen_shows_the_job_output_as_a_terminal_would(
    make_app: Any, adapter: Any, noisy_job: dict
) -> None:
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(120, 30)) as pilot:
        app.intent = ("job", noisy_job["id"])
        await app.goto("training")
        screen = app.screen
        view = screen.query_one(LogView)
        await wait_for(pilot, lambda: "ERROR out of memory" in view.lines(), what="the job's log")
        await pilot.pause(0.2)

        lines = view.lines()
        at = lines.index("INFO starting training")
        assert lines[at : at + 4] == [
            "INFO starting training",
            "WARNING learning rate is high",
            BAR,  # only the last of the eleven frames
            "ERROR out of memory",
        ]
        assert_clean("\n".join(lines))
        assert view.raw_lines()[at] == "\x1b[32mINFO\x1b[0m starting training"  # kept as it came

        # SGR colours become styles: INFO in ANSI green, WARNING bold ANSI yellow
        info = [s for s in view._render_strip(view._first_seq + at) if s.text.strip()]
        assert info[0].text == "INFO" and info[1].text == " starting training"
        assert info[0].style.color.type is ColorType.STANDARD and info[0].style.color.number == 2
        assert info[1].style.color is None or info[1].style.color.number != 2
        warning = next(s for s in view._render_strip(view._first_seq + at + 1) if s.text == "WARNING")
        assert warning.style.color.number == 3 and warning.style.bold

        shown = screen_text(app)
        assert "INFO starting training" in shown and BAR in shown
        # the job list's summary of the selected job: its name and failure message, clean
        summary = str(screen.query_one("#job-summary", Static).render())
        assert "noisy job" in summary and MESSAGE in summary
        assert_clean(summary + shown)


async def test_a_job_failing_while_followed_is_a_clean_notification(
    make_app: Any, adapter: Any, noisy_job: dict
) -> None:
    app = make_app(adapter, first_mode="training")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.data.get("jobs") is not None, what="jobs")
        job = await adapter.submit_job(
            JobSpec(
                cluster="training-engine-shared",
                code=noisy_job["code"],
                data=noisy_job["data"],
                output=noisy_job["output"],
                name=NOISY_NAME,
            )
        )
        app.screen.select_job(job.id)
        await wait_for(
            pilot, lambda: any(MESSAGE in n.message for n in app._notifications), what="the notification"
        )
        note = next(n for n in app._notifications if MESSAGE in n.message)
        assert note.message == f"Job {job.id} failed: {MESSAGE}" and note.severity == "error"

        app.report_error(errors.PlatformFailure(f"the server said: {NOISY_NAME}\x1b[2J", hint=""), "Refresh")
        await pilot.pause()
        last = list(app._notifications)[-1]
        assert last.message == "Refresh: the server said: noisy job"
        for n in app._notifications:
            assert_clean(n.message + n.title)


async def test_dashboard_shows_platform_details_clean(make_app: Any, adapter: Any, noisy_job: dict) -> None:
    """Pod and server messages reach the dashboard as cluster messages and member details. The
    local platform's own messages hold no escapes, so its real training cluster is given some and
    pushed into the app the way the poller does; the noisy job's row comes from the platform."""
    from mlops_tui.screens.dialogs import DetailScreen

    app = make_app(adapter, first_mode="dashboard", poll=False)
    async with app.run_test(size=(120, 30)) as pilot:
        clusters = await adapter.list_clusters()
        jobs = await adapter.list_jobs()
        training = next(c for c in clusters if c.name == "training-engine-shared")
        member = dataclasses.replace(training.members[0], pid=None, detail="\x1b[31mBack-off\x1b[0m [b]\a")
        noisy = dataclasses.replace(training, message=f"[red]{NOISY_NAME}", members=[member])
        app._link_data("clusters", [noisy])
        app._link_data("jobs", jobs)
        await pilot.pause(0.2)
        shown = screen_text(app)
        assert "Back-off [b]" in shown  # a member's detail, in the clusters table: plain text
        assert "failed" in shown  # the noisy job's row
        app.screen._cluster_detail(noisy.name)
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen), what="the detail")
        await pilot.pause(0.1)
        body = str(app.screen.query_one("#detail-body", Static).render())
        assert "[red]noisy job" in body and "Back-off [b]" in body  # never markup
        assert_clean(body + screen_text(app))


async def test_guide_shows_the_job_output_and_failure_clean(local_platform: Any, tmp_path: Any) -> None:
    """The guide's train step on a tenant whose training code is the noisy one."""
    from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter

    credentials: Credentials = fresh_tenant(local_platform)
    async with LocalAdapter(credentials) as uploader:
        await uploader.upload_repo(f"code/{credentials.user}/taxi/train.py", NOISY_TRAIN.encode())
    app = guide_app(credentials, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        guide = await ready(pilot)
        chat = guide.chat
        await type_line(pilot, "run train")
        await guide_wait(pilot, lambda: guide.states["train"] == "failed", 60, "the train step to fail")
        transcript = chat.transcript()
        assert "training job" in transcript and MESSAGE in transcript
        assert "INFO starting training" in transcript and BAR in transcript  # the failed step's tail
        job_id = next(j.id for j in await app.platform.list_jobs())
        await type_line(pilot, f"logs {job_id}")
        await guide_wait(pilot, lambda: f"job {job_id} (failed)" in chat.transcript(), 30, "the log tail")
        tail = chat.messages[-1].plain
        assert "WARNING learning rate is high" in tail and BAR in tail and "ERROR out of memory" in tail
        assert_clean(chat.transcript())


def test_registry_detail_shows_free_text_fields_clean() -> None:
    """A version's description is anyone's free text (the register form, the API)."""
    version = ModelVersion.from_dict(
        {
            "model": "mlops-model-alice",
            "version": 3,
            "description": f"[b]tuned[/b] \x1b[31mby\x1b[0m {NOISY_NAME}\x1b]52;c;ZWNobyBoaQ==\x07",
            "path": "models/alice/job-3",
            "lineage": {"job_id": "3", "data": "data/NYCTaxi/\x1b[2Jrides.csv", "code": "code/alice/taxi"},
        }
    )
    text = version_detail(version, []).plain
    assert "[b]tuned[/b] by noisy job" in text and "data/NYCTaxi/rides.csv" in text
    assert_clean(text)


async def test_the_log_view_shows_no_bidi_control_or_zero_width_character() -> None:
    """A right-to-left override in a job's line could make the log view show it in another order
    than written; a zero-width space made "password" unfindable. Both are removed (the sanitiser)."""
    from textual.app import App, ComposeResult

    class OneLog(App[None]):
        def compose(self) -> ComposeResult:
            yield LogView()

    app = OneLog()
    async with app.run_test(size=(80, 10)) as pilot:
        view = app.query_one(LogView)
        view.write_lines(["eval \u202e5.0 ssol\u202c done", "pass\u200bword=\u2066x\u2069", "\ufeffok"])
        await pilot.pause(0.1)
        assert view.lines() == ["eval 5.0 ssol done", "password=x", "ok"]
        drawn = ["".join(s.text for s in view._render_strip(view._first_seq + i)) for i in range(3)]
        assert [d.rstrip() for d in drawn] == view.lines()
        view.set_filter("password")
        assert view.shown == 1
