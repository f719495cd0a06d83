"""End to end, as a person does it: the real ``mlops-tui`` in a real terminal (tmux), Labs 1-5
through the guide with key presses only, the predicted travel time read off the screen.

HOME and the XDG directories point into a temporary directory, so the app starts its own local
platform (first start: tenant, user, generated password, synthetic data) exactly as on a fresh
machine. Every ``tmux send-keys`` sends one key and counts as one press. The test stops the
platform it started. Needs tmux (``.ci/run`` installs it); skipped where it is missing.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

WIDTH, HEIGHT = 100, 30
MAX_PRESSES = 40
MAX_SECONDS = 180.0
DURATION = re.compile(r"workshop ride (\d+ min \d+ s|\d+ s)")


def _mlops_tui() -> str | None:
    beside = Path(sys.executable).with_name("mlops-tui")
    return str(beside) if beside.exists() else shutil.which("mlops-tui")


def _env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLOPS_TUI_", "XDG_", "DBUS_", "TMUX")) and k != "PYTHON_KEYRING_BACKEND"
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        TERM="xterm-256color",
        LANG=os.environ.get("LANG", "C.UTF-8") or "C.UTF-8",
    )
    return env


class Terminal:
    """One tmux server of our own (``-L``), one session, one pane; counts every key sent."""

    def __init__(self, env: dict[str, str], socket: str) -> None:
        self.env = env
        self.socket = socket
        self.presses = 0

    def tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def start(self, command: str) -> None:
        self.tmux("new-session", "-d", "-x", str(WIDTH), "-y", str(HEIGHT), "-s", "labs", command)

    def press(self, key: str) -> None:
        self.tmux("send-keys", "-t", "labs", key)
        self.presses += 1

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "labs", check=False)

    def close(self) -> None:
        self.tmux("kill-server", check=False)


def _prompt(screen: str) -> str:
    """The guide's one-line prompt (what enter does now), or "" when it is not on screen."""
    for line in screen.splitlines():
        for marker in ("▶ Lab", "Running:", "✔ All labs done", "✖ ", "Checking every step", "Connecting"):
            i = line.find(marker)
            if i >= 0:
                return line[i:].rstrip(" ▊▌│┃")
    return ""


def _wait(term: Terminal, ready, timeout: float, what: str) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = term.screen()
        if ready(screen):
            return screen
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; the screen:\n{screen}")


def _stop_platform(exe: str, env: dict[str, str], home: Path) -> None:
    subprocess.run([exe, "platform", "stop"], env=env, capture_output=True, timeout=60, check=False)
    info = home / ".local" / "state" / "mlops-tui" / "platform" / "platform.json"
    try:
        pid = json.loads(info.read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


def test_labs_1_to_5_in_tmux_with_key_presses_only(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux)")
    exe = _mlops_tui()
    if exe is None:
        pytest.skip("the mlops-tui command is not installed")
    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)
    term = Terminal(env, f"mlops-e2e-{uuid.uuid4().hex[:8]}")
    started = time.monotonic()
    try:
        term.start(f"{exe}; echo mlops-tui exited $?; sleep 60")
        screen = _wait(term, lambda s: "enter runs it" in _prompt(s), 90, "the guide's first step")
        while "All labs done" not in _prompt(screen):
            assert term.presses < MAX_PRESSES, f"{term.presses} presses and not done:\n{screen}"
            before = _prompt(screen)
            term.press("Enter")

            def settled(s: str, before: str = before) -> bool:
                now = _prompt(s)
                return now != before and now != "" and not now.startswith(("Running:", "Checking"))

            screen = _wait(term, settled, MAX_SECONDS, "the step to finish")
            assert not _prompt(screen).startswith("✖"), f"a step failed:\n{screen}"
        elapsed = time.monotonic() - started
        match = DURATION.search(_prompt(screen))
        assert match, f"no predicted duration on screen:\n{screen}"
        with capsys.disabled():  # the count and the time belong in every test run's output
            print(
                f"\ntmux e2e: Labs 1-5 done in {term.presses} key presses and {elapsed:.1f} s "
                f"(from launch, including the platform's first start); "
                f"predicted travel time of the workshop ride: {match.group(1)}"
            )
        print(screen)
        assert "Traceback" not in screen
        assert term.presses < MAX_PRESSES
        assert elapsed < MAX_SECONDS
    finally:
        term.close()
        _stop_platform(exe, env, home)
