"""A Secret Service that never answers (issue 7 §2): every keyring call has a 3 s deadline, after which
passwords go to the 0600 file and the app says why; nothing hangs.

The cases run the real CLI as subprocesses on a private D-Bus session bus (see
:mod:`mute_secret_service`); the ``timeout`` given to ``subprocess.run`` only stops a hang from
stalling the suite (old code hangs there forever) — it is not a speed assertion.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .mute_secret_service import MuteBus, needs_dbus

CLI = [sys.executable, "-m", "mlops_tui.cli"]
REASON = "the Secret Service did not answer within 3 s"


def _env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("XDG_", "MLOPS_TUI_", "DBUS_", "DISPLAY", "PYTHON_KEYRING"))
    }
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", COLUMNS="120")
    return env


@pytest.fixture
def mute_bus(tmp_path: Path) -> Iterator[MuteBus]:
    bus = MuteBus.start(tmp_path)
    try:
        yield bus
    finally:
        bus.stop()


@needs_dbus
def test_credentials_where_names_the_file_and_why(
    mute_bus: MuteBus, tmp_path: Path, figure: Callable[[str], None]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    started = time.monotonic()
    done = subprocess.run(
        [*CLI, "credentials", "where"],
        env=mute_bus.env(_env(home)),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    seconds = time.monotonic() - started
    figure(f"credentials where on a mute Secret Service: {seconds:.1f} s")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"file {home}/.config/mlops-tui/credentials.json (mode 0600; {REASON})"


@needs_dbus
@pytest.mark.slow
def test_lab_run_completes_on_a_mute_secret_service(mute_bus: MuteBus, tmp_path: Path) -> None:
    # The platform's first start stores its generated password, the CLI then reads it: both meet
    # the mute service and must fall back to the file instead of waiting for it.
    home = tmp_path / "home"
    home.mkdir()
    env = mute_bus.env(_env(home))
    try:
        run = subprocess.run(
            [*CLI, "lab", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=400,
            stdin=subprocess.DEVNULL,
            cwd=home,
        )
    finally:
        _stop_platform(home / ".local/state/mlops-tui/platform", mute_bus)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for lab in range(1, 6):
        assert f"== Lab {lab}:" in run.stdout
    assert f"credentials.json (mode 0600; {REASON})" in run.stdout
    assert (home / ".config/mlops-tui/credentials.json").stat().st_mode & 0o777 == 0o600
    assert "Traceback" not in run.stdout + run.stderr


def _stop_platform(state_dir: Path, bus: MuteBus) -> None:
    """Stop the platform the run started; one stuck in the keyring (old code) starts once the bus is gone."""
    from mlops_tui.services.local import launcher

    if launcher.stop_platform(state_dir):
        return
    bus.stop()
    for _ in range(30):
        if launcher.stop_platform(state_dir):
            return
        time.sleep(1)


STOPPED_SERVICE = """
import os, signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
from mlops_tui import credentials

print(credentials.backend_description())
with open_dbus_connection(bus="SESSION") as conn:
    ask = message_bus.GetConnectionUnixProcessID("org.freedesktop.secrets")
    pid = conn.send_and_get_reply(ask, timeout=5).body[0]
os.kill(pid, signal.SIGSTOP)  # the daemon still owns the name but answers nothing from now on
signal.alarm(60)  # a hang (the old code) ends here and still reaches the finally below
try:
    print(credentials.store_password("local", "alice", "pw-after-stop"))
    print(credentials.get_password("local", "alice"))
    print(credentials.forget("local", "alice"), credentials.get_password("local", "alice"))
finally:
    os.kill(pid, signal.SIGKILL)
"""


@pytest.mark.skipif(
    not (shutil.which("dbus-run-session") and shutil.which("gnome-keyring-daemon")),
    reason="needs dbus-run-session and gnome-keyring-daemon (apt-get install dbus gnome-keyring)",
)
def test_keyring_that_stops_answering_after_the_probe(tmp_path: Path) -> None:
    # A real gnome-keyring answers the probe, then is stopped: store/get/forget each meet the
    # deadline once, then the process keeps to the file and says why.
    script = tmp_path / "stopped.py"
    script.write_text(STOPPED_SERVICE)
    unlock = "echo -n unlock-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1"
    done = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", f"{unlock}; {sys.executable} {script}"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    file_note = f"file {tmp_path}/.config/mlops-tui/credentials.json (mode 0600; {REASON})"
    assert done.stdout.strip().splitlines()[-4:] == [
        "Secret Service (OS keyring)",
        file_note,
        "pw-after-stop",
        "True None",
    ]
