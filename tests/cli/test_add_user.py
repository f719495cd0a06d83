"""``platform add-user`` of a user who exists: refused without ``--reset``; with it, the password
changes and the password stored for the local profile follows, so later logins still work."""

from __future__ import annotations

import getpass
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import home_env, mlops

pytestmark = pytest.mark.slow


def _stored(home: Path, user: str) -> str | None:
    code = "import sys; from mlops_tui import credentials as c; print(c.get_password('local', sys.argv[1]))"
    done = subprocess.run(
        [sys.executable, "-c", code, user], env=home_env(home), capture_output=True, text=True, timeout=60
    )
    return None if done.stdout.strip() == "None" else done.stdout.strip()


def test_an_existing_user_is_refused_without_reset_and_the_stored_password_follows_a_reset(
    tmp_path: Path,
) -> None:
    """It changed the password silently, and the stored credential no longer worked ("login refused")."""
    home = tmp_path / "home"
    home.mkdir()
    me = getpass.getuser()  # the first start's user, whose generated password is stored for `local`
    try:
        assert mlops(home, "platform", "start", timeout=120).returncode == 0
        generated = _stored(home, me)
        assert generated

        again = mlops(home, "platform", "add-user", "--user", me, "--password-stdin", stdin="other-pw-1\n")
        assert again.returncode == 1, again.stdout
        assert f"user {me} already exists in tenant K8sMLTenant; its password was not changed" in again.stderr
        assert f"--user {me} --reset" in again.stderr and "Traceback" not in again.stderr
        assert _stored(home, me) == generated
        assert mlops(home, "status", timeout=60).returncode == 0  # the stored password still works

        reset = mlops(
            home, "platform", "add-user", "--user", me, "--password-stdin", "--reset", stdin="new-pw-2\n"
        )
        assert reset.returncode == 0, reset.stderr
        assert f"user {me} exists in tenant K8sMLTenant: its password is changed" in reset.stdout
        assert "password stored for profile local" in reset.stdout  # the local profile's user
        assert _stored(home, me) == "new-pw-2"
        status = mlops(home, "status", timeout=60)
        assert status.returncode == 0 and "login refused" not in status.stdout + status.stderr
    finally:
        mlops(home, "platform", "stop", timeout=60)


def test_the_platform_module_refuses_an_existing_user_too(tmp_path: Path) -> None:
    state = tmp_path / "state"
    base = [sys.executable, "-m", "mlops_tui.platform", "add-user", "--state-dir", str(state)]
    user = [*base, "--tenant", "T1", "--user", "solo", "--password-stdin"]
    env = home_env(tmp_path)
    run = lambda *extra: subprocess.run(  # noqa: E731
        [*user, *extra], input="pw-1\n", env=env, capture_output=True, text=True, timeout=60
    )
    assert run().stdout.strip() == "added user solo to tenant T1"
    refused = run()
    assert refused.returncode == 1 and "already exists" in refused.stderr and "--reset" in refused.stderr
    assert run("--reset").stdout.strip() == "user solo exists in tenant T1: its password is changed"
