"""An attendee's TUI in a class (a real workshop platform of 2 attendees, the real CLI): what is
theirs is what they see by default, and a password the facilitator reset stops the background
logins at once instead of locking the person out (the tester's findings of the workshop round)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from local_platform_support import LocalPlatform, has_sandbox
from workshop_class_support import cli, started_class

from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter
from mlops_tui.services.types import Credentials
from mlops_tui.widgets.connection import Link

from .conftest import FAST, wait_for
from .terminal_support import screen_text

pytestmark = pytest.mark.skipif(not has_sandbox(), reason="needs bubblewrap (apt-get install bubblewrap)")

TENANT = "K8sMLTenant"


@dataclass
class TwoAttendees:
    url: str
    home: Path
    state: Path
    passwords: dict[str, str]

    def credentials(self, user: str) -> Credentials:
        return Credentials(self.url, TENANT, user, self.passwords[user])

    def login(self, user: str, password: str) -> httpx.Response:
        body = {"name": user, "password": password, "tenant_name": TENANT}
        return httpx.post(self.url + "/api/v2/session", json=body, timeout=30)


@pytest.fixture(scope="module")
def two_attendees(
    tmp_path_factory: pytest.TempPathFactory, local_platform: LocalPlatform
) -> Iterator[TwoAttendees]:
    cache = local_platform.state_dir / "cache" / "default-data"
    with started_class(tmp_path_factory.mktemp("facilitator"), 2, seed_cache=cache) as klass:
        yield TwoAttendees(klass.url, klass.home, klass.state, klass.passwords)


def _reset_password(klass: TwoAttendees, user: str) -> str:
    done = cli(klass.home, "workshop", "reset-password", user, "--state-dir", str(klass.state))
    assert done.returncode == 0, done.stdout + done.stderr
    password = json.loads((klass.state / "workshop-accounts.json").read_text())[user]
    assert password != klass.passwords[user]
    klass.passwords[user] = password
    return password


async def test_a_reset_password_stops_the_background_logins_and_says_what_to_do(
    two_attendees: TwoAttendees, make_app: Any
) -> None:
    klass = two_attendees
    adapter = LocalAdapter(klass.credentials("student02"))
    app = make_app(adapter, intervals=FAST)
    async with app.run_test(size=(80, 24)) as pilot:
        guide = await wait_for(
            pilot,
            lambda: app.screen if app.screen.id == "guide" or hasattr(app.screen, "states") else None,
            what="the guide",
        )
        await wait_for(pilot, lambda: guide.states.get("login") == "done", what="login done")
        # the first live check ended: every step's state is known before the password changes
        await wait_for(pilot, lambda: guide._announced is not None and not guide.checking, what="first check")
        done_before = {k for k, v in guide.states.items() if v in ("done", "unavailable")}
        new = _reset_password(klass, "student02")
        await wait_for(pilot, lambda: app.connection.link is Link.REFUSED, what="the badge to say refused")
        await pilot.pause(3)  # several poll rounds of every source
        logins = [c for c in adapter.calls if c.op == "login"]
        assert [c.status for c in logins].count(401) == 1, [c.status for c in logins]  # no retry with it
        assert app.connection.link is Link.REFUSED
        assert "password refused" in screen_text(app) and "connected" not in screen_text(app).split("\n")[0]
        said = app.connection.detail
        assert said.startswith("your password was refused (changed by the facilitator?)"), said
        assert "Login (6)" in said and "join line" in said
        assert any("your password was refused" in str(n.message) for n in app._notifications)
        # the steps are unknown, not undone
        assert {k for k, v in guide.states.items() if v in ("done", "unavailable")} == done_before
        # the new password works at once, from the same host (the platform's back-off is not held)
        assert klass.login("student02", new).status_code == 201
    await adapter.aclose()


def _trip_file(folder: Path) -> Path:
    from mlops_tui.lab_scripts.synthetic import YELLOW_2019_COLUMNS

    file = folder / "x.csv"
    file.write_text(",".join(YELLOW_2019_COLUMNS) + "\n")
    return file


async def test_an_attendees_upload_goes_to_their_folder_and_a_refusal_comes_before_the_body(
    two_attendees: TwoAttendees, tmp_path: Path
) -> None:
    from mlops_tui.services import datasets, errors

    file = _trip_file(tmp_path)
    async with LocalAdapter(two_attendees.credentials("student01")) as p:
        done = await datasets.upload_data(p, file, profile=False, replace=True)
        assert done.entry.path == "data/student01/x.csv"
        with pytest.raises(errors.Forbidden) as refused:
            await datasets.upload_data(p, file, "shared.csv", profile=False)
        assert "you write only under" in str(refused.value) and "--as student01/x.csv" in str(refused.value)
        with pytest.raises(errors.Forbidden):  # any upload: the adapter asks before sending
            await p.upload_repo("data/shared.csv", file)
        assert [c.status for c in p.calls if c.op == "upload_repo"] == [201]  # the refused ones never went


def test_data_upload_on_the_command_line_as_an_attendee(two_attendees: TwoAttendees, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    joined = cli(
        home, "join", two_attendees.url, "--user", "student02", "--password-stdin",
        stdin=two_attendees.passwords["student02"] + "\n",
    )  # fmt: skip
    assert joined.returncode == 0, joined.stdout + joined.stderr
    _trip_file(home)
    done = cli(home, "data", "upload", "x.csv", "--replace")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "to data/student02/x.csv" in done.stdout, done.stdout


async def test_the_upload_dialog_names_the_attendees_folder(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from mlops_tui.screens.file_picker import FilePickerScreen
    from textual.app import App
    from textual.widgets import Input

    file = _trip_file(tmp_path)
    app = App()
    async with app.run_test() as pilot:
        picker = FilePickerScreen(tmp_path, folder="student01")
        await app.push_screen(picker)
        await pilot.pause()
        picker._file_selected(SimpleNamespace(path=file))  # type: ignore[arg-type]
        assert picker.query_one("#picker-name", Input).value == "student01/x.csv"
