"""The Doctor panel: ``mlops-tui doctor`` inside the TUI (``:doctor``, or ctrl+t on the Login screen).

It runs the same checks as the CLI (:func:`mlops_tui.services.doctor.diagnose`) for a profile, one
line per check filled in as each ends (``ok``, ``FAIL`` with what to do, ``skip``, ``--`` not run),
and a summary naming the first failure and its exit code. ``r`` runs them again, ``y`` copies the
report (as the CLI prints it) over OSC 52, ``esc`` closes. From the Login screen it checks the
profile being edited, with the password typed there if any, before anything is saved. A kubeconfig's
exec plugin speaks through the sign-in modal, as at login.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mlops_tui.services.doctor import Report, Result, Status

STYLE = {Status.OK: "green", Status.FAIL: "bold red", Status.SKIP: "yellow", Status.NOT_RUN: "dim"}
MARK = {Status.OK: "ok", Status.FAIL: "FAIL", Status.SKIP: "skip", Status.NOT_RUN: "--"}


def result_text(result: Result) -> Text:
    """One check: its mark and title, then what was seen (and, when it failed, what to do)."""
    text = Text()
    text.append(f"{MARK[result.status]:<5}", STYLE[result.status])
    text.append(f"{result.title}  ", "bold")
    if result.status is Status.NOT_RUN:
        text.append("not run (an earlier check failed)", "dim")
        return text
    text.append(result.seen)
    if result.hint and result.status in (Status.FAIL, Status.SKIP):
        text.append(f" → {result.hint}", STYLE[result.status])
    return text


class DoctorScreen(ModalScreen[None]):
    """The checks of ``profile`` (a :class:`mlops_tui.config.Profile`), run when shown."""

    CSS_PATH = "doctor.tcss"
    BINDINGS = [
        Binding("r", "rerun", "Run again"),
        Binding("y", "copy_report", "Copy report"),
        Binding("escape", "close", "Close"),
    ]

    def __init__(self, profile: Any, *, password: str | None = None) -> None:
        super().__init__()
        self.profile = profile
        self.password = password
        self.report: Report | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="doctor") as box:
            where = self.profile.url or self.profile.kubeconfig or "this machine"
            box.border_title = f"Doctor: profile {self.profile.name} ({self.profile.platform}, {where})"
            box.border_subtitle = "r runs again · y copies the report · esc closes"
            yield VerticalScroll(id="doctor-checks")
            yield Static("", id="doctor-summary")

    def on_mount(self) -> None:
        self.action_rerun()

    def action_rerun(self) -> None:
        self._run()

    @work(group="doctor", exclusive=True)
    async def _run(self) -> None:
        from mlops_tui.services.doctor import checks_for, diagnose

        box = self.query_one("#doctor-checks", VerticalScroll)
        await box.remove_children()
        rows: dict[str, Static] = {}
        for check in checks_for(self.profile):
            row = Static(Text.assemble(("…    ", "dim"), (check.title, "bold"), ("  waiting", "dim")))
            row.add_class("doctor-check")
            rows[check.id] = row
        await box.mount_all(rows.values())
        summary = self.query_one("#doctor-summary", Static)
        summary.update(Text("checking…", style="italic"))

        def show(result: Result) -> None:
            row = rows.get(result.id)
            if row is not None:
                row.update(result_text(result))
                if result.failed:
                    box.scroll_to_widget(row, animate=False)

        from mlops_tui.screens.sign_in import SignInPresenter

        try:
            self.report = await diagnose(
                self.profile, password=self.password, listener=SignInPresenter(self.app), on_result=show
            )
        except Exception as exc:  # diagnose reports problems as results; anything else is a bug
            summary.update(Text(f"the doctor itself failed: {type(exc).__name__}: {exc}", style="bold red"))
            return
        failed = self.report.first_failure
        if failed is None:
            summary.update(Text(f"all {len(self.report.results)} checks passed", style="bold green"))
        else:
            summary.update(Text(f"{failed.title} failed (exit {failed.exit_code})", style="bold red"))

    def action_copy_report(self) -> None:
        from mlops_tui.headless.doctor import line

        if self.report is None:
            self.notify("The checks are still running.", timeout=3)
            return
        text = "\n".join(line(r) for r in self.report.results)
        self.app.copy_text(text, "doctor report")  # type: ignore[attr-defined]

    def action_close(self) -> None:
        self.workers.cancel_group(self, "doctor")
        self.dismiss()
