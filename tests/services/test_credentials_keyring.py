"""Credentials with a real Secret Service (gnome-keyring on a private D-Bus session, design §9)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (apt-get install dbus gnome-keyring)",
)

SCRIPT = """
import os
from mlops_tui import credentials
print(credentials.backend_description())
credentials.store_password("local", "alice", "pw-in-keyring")
print(credentials.get_password("local", "alice"))
print(os.path.exists(credentials.credentials_file()))
print(credentials.forget("local", "alice"), credentials.get_password("local", "alice"))
"""


def _run(home, daemon: str) -> list[str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MLOPS_TUI_", "DBUS_", "DISPLAY"))
    }
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env["HOME"] = str(home)
    script = f"{daemon} >/dev/null 2>&1; {sys.executable} -c '{SCRIPT}'"
    done = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-4:]


def test_unlocked_secret_service_is_used(tmp_path) -> None:
    lines = _run(tmp_path, "echo -n unlock-pw | gnome-keyring-daemon --unlock --components=secrets")
    assert lines == ["Secret Service (OS keyring)", "pw-in-keyring", "False", "True None"]
    assert not (tmp_path / ".config/mlops-tui/credentials.json").exists()


def test_locked_secret_service_falls_back_to_the_file_without_prompting(tmp_path) -> None:
    lines = _run(tmp_path, "gnome-keyring-daemon --start --components=secrets")
    assert lines[0].startswith(f"file {tmp_path}/.config/mlops-tui/credentials.json (mode 0600")
    assert lines[1:] == ["pw-in-keyring", "True", "True None"]
