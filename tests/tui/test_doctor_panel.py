"""The Doctor panel: from the Login screen (the profile being edited, with the typed password) and
through ``:doctor``; each check's line fills in, the summary names the failure and its exit code,
and closing the panel keeps the person's unsaved edits."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from mlops_tui.screens.doctor import DoctorScreen

from mlops_tui.config import Config, Profile

from .conftest import wait_for
from .terminal_support import screen_text


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the block ends: nothing listens there


async def test_doctor_from_the_login_form_then_from_the_command_line(make_app: Any, tui_home: Path) -> None:
    cfg = Config(path=tui_home / ".config" / "mlops-tui" / "profiles.toml")
    cfg.add(Profile(name="remote", platform="local", url=f"http://127.0.0.1:{_closed_port()}", user="ann"))
    cfg.use("remote")
    app = make_app(config=cfg, start_platform=False, poll=False, first_mode="login")
    async with app.run_test(size=(80, 24)) as pilot:
        login = app.screen
        await wait_for(pilot, lambda: any(b.value == "remote" for b in login.query("#f-name")), what="form")
        gateway = f"https://127.0.0.1:{_closed_port()}"
        login.query_one("#f-platform").set_value("kubernetes")
        login.query_one("#f-name").value = "edited"
        login.query_one("#f-url").value = gateway
        login.query_one("#f-password").value = "typed-only"
        await pilot.press("ctrl+t")
        panel = await wait_for(
            pilot, lambda: isinstance(app.screen, DoctorScreen) and app.screen, what="panel"
        )
        await wait_for(pilot, lambda: panel.report is not None, what="the checks")
        assert panel.report.exit_code == 13 and panel.profile.name == "edited"
        text = screen_text(app)
        assert "password from the Login form" in text
        assert "FAIL gateway TCP" in text and "connection refused" in text
        assert "gateway TCP failed (exit 13)" in text and "--   REST login" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is login, what="back on the login screen")
        await pilot.pause(0.3)
        assert login.query_one("#f-name").value == "edited"  # unsaved edits survive the panel
        assert login.query_one("#f-url").value == gateway
        assert login.query_one("#f-password").value == "typed-only"

        await app.run_command_line(":doctor")  # the profile in use: the saved "remote" one
        panel = await wait_for(
            pilot, lambda: isinstance(app.screen, DoctorScreen) and app.screen, what="panel"
        )
        await wait_for(pilot, lambda: panel.report is not None, what="the checks")
        assert panel.profile.name == "remote"
        assert [r.id for r in panel.report.results if r.failed] == ["port"]
        assert "FAIL port" in screen_text(app)
