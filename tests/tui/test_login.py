"""Login, profiles and the first run, against real platform processes."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from mlops_tui import credentials
from mlops_tui.config import Config, Profile, load_config
from mlops_tui.widgets.connection import Link

from .conftest import wait_for


def _config(home: Path, url: str) -> Config:
    cfg = Config(path=home / ".config" / "mlops-tui" / "profiles.toml")
    cfg.add(Profile(name="test", platform="local", url=url, user="student01"))
    cfg.use("test")
    return cfg


async def test_login_with_wrong_then_right_password(
    make_app: Any, tui_home: Path, local_platform: Any
) -> None:
    cfg = _config(tui_home, local_platform.url)
    app = make_app(config=cfg, start_platform=False)
    async with app.run_test(size=(100, 30)) as pilot:
        # No password stored yet: a clear message and the login screen, not a crash.
        await wait_for(pilot, lambda: app.current_mode == "login", what="login screen")
        await wait_for(pilot, lambda: any("no stored password" in n.message for n in app._notifications))
        screen = app.screen
        await wait_for(
            pilot,
            lambda: any(box.value == "test" for box in screen.query("#f-name")),  # once composed
            what="profile in the form",
        )
        screen.query_one("#f-password").value = "not-the-password"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "not logged in" in str(screen.query_one("#login-status").render()))
        assert app.connection.link is not Link.CONNECTED
        assert credentials.get_password("test", "student01") is None  # a wrong password is never kept
        screen.query_one("#f-password").value = local_platform.credentials.password
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.connection.link is Link.CONNECTED, what="connected")
        await wait_for(pilot, lambda: app.current_mode == "guide", what="the guide opens after login")
        assert "student01" in app.who
        # remembered in the 0600 fallback file (no keyring here), and the app said where, once
        assert credentials.get_password("test", "student01") == local_platform.credentials.password
        path = credentials.credentials_file()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        # said in the guide's transcript (a toast covered the first instruction for 15 s), once
        guide = app.screen
        await wait_for(pilot, lambda: str(path) in guide.chat.transcript(), what="the note in the transcript")
        assert guide.chat.transcript().count(str(path)) == 1
        assert not any(n.title == "Credentials" for n in app._notifications)
        assert local_platform.credentials.password not in path.parent.joinpath("profiles.toml").read_text()
        assert load_config(cfg.path).active == "test"
        # forget it again
        await app.goto("login")
        screen = app.screen
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: credentials.get_password("test", "student01") is None, what="forgotten")


async def test_switch_profile_without_restart(make_app: Any, tui_home: Path, platform_factory: Any) -> None:
    first = platform_factory.new("first")
    second = platform_factory.new("second", user="alice2")
    cfg = Config(path=tui_home / ".config" / "mlops-tui" / "profiles.toml")
    cfg.add(Profile(name="one", url=first.url, user="student01"))
    cfg.add(Profile(name="two", url=second.url, user="alice2"))
    cfg.use("one")
    credentials.store_password("one", "student01", first.credentials.password)
    credentials.store_password("two", "alice2", second.credentials.password)
    app = make_app(config=cfg, start_platform=False, first_mode="dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.link is Link.CONNECTED and "student01" in app.who)
        await pilot.press("colon", *"profile two", "enter")
        await wait_for(
            pilot, lambda: app.connection.link is Link.CONNECTED and "alice2" in app.who, what="two"
        )
        assert app.platform is not None and app.platform.credentials.url == second.url
        await wait_for(pilot, lambda: app.data.get("clusters"), what="data from the second platform")


@pytest.fixture
def fresh_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local_platform: Any) -> Path:
    state = tmp_path / "fresh-platform"
    seed = local_platform.state_dir / "cache" / "default-data"
    if seed.is_dir():  # the default data set is generated once; reuse it (it is the same seeded set)
        shutil.copytree(seed, state / "cache" / "default-data")
    monkeypatch.setenv("MLOPS_TUI_STATE_DIR", str(state))
    yield state
    from mlops_tui.services.local.launcher import stop_platform

    stop_platform(state)


async def test_first_run_starts_the_platform_and_logs_in(
    make_app: Any, tui_home: Path, fresh_state: Path
) -> None:
    """No profile, no password, no platform: mlops-tui starts one, logs in and opens the guide."""
    app = make_app(first_mode="guide")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.link is Link.CONNECTED, timeout=90, what="connected")
        assert app.current_mode == "guide"
        assert (fresh_state / "platform.json").exists()
        assert os.environ["MLOPS_TUI_STATE_DIR"] == str(fresh_state)
        assert app.profile is not None and app.profile.name == "local"
        # the generated password went to the 0600 file and the guide said so in its transcript
        guide = app.screen
        await wait_for(
            pilot, lambda: "credentials.json" in guide.chat.transcript(), what="where passwords are"
        )
        await wait_for(pilot, lambda: app.data.get("clusters"), what="clusters of the new platform")


async def test_a_mistyped_login_keeps_the_working_session(
    make_app: Any, tui_home: Path, local_platform: Any
) -> None:
    """Issue 11 §3: a refused login attempt is tried on a new session and changes nothing."""
    cfg = _config(tui_home, local_platform.url)
    right = local_platform.credentials.password
    credentials.store_password("test", "student01", right)
    app = make_app(config=cfg, start_platform=False, first_mode="dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot, lambda: app.connection.link is Link.CONNECTED and app.data.get("jobs") is not None
        )
        working = app.platform
        session = working.session
        await app.goto("login")
        screen = app.screen
        await wait_for(pilot, lambda: screen.query_one("#f-name").value == "test", what="the profile form")
        screen.query_one("#f-password").value = "mistyped"
        await pilot.press("ctrl+s")
        status = screen.query_one("#login-status")
        await wait_for(pilot, lambda: "login refused" in str(status.render()), what="the refusal")
        assert "you are still logged in as test · K8sMLTenant · student01" in str(status.render())
        # everything as it was: the same session, still connected, the stored password in use
        assert app.platform is working and working.session == session
        assert app.connection.link is Link.CONNECTED and "student01" in app.who
        assert working.credentials.password == right
        assert (await working.whoami()).user == "student01"
        assert credentials.get_password("test", "student01") == right  # the mistyped one is never kept
        await app.goto("dashboard")
        app.refresh_data()
        before = app.updated.get("jobs")
        await wait_for(pilot, lambda: app.updated.get("jobs") != before, what="the dashboard keeps polling")
        assert "jobs" not in app.data_errors
