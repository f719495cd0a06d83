"""What the tmux end-to-end tests share: a terminal of their own (a tmux server on its own socket,
one session, one pane) that counts the keys it sends and waits, with a deadline, for what a person
would see; a HOME of their own; the guide's prompt read off the screen; and going through the labs
with enter alone.

Each test keeps its own size, deadlines and what it asserts; this module only drives and reads.
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
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.text import Text

POLL_S = 0.1  # between two looks at the screen while waiting
TMUX_S = 30  # a deadline for one tmux command

# The guide's one-line prompt (screens/guide.py ``_set_prompt``), in UTF-8 and in ASCII terminals.
PROMPT = re.compile(
    r"(?:▶|>) Lab \d: .*|Running: .*|(?:✔|\+) All labs done.*|(?:✖|X) .* failed (?:—|-) enter tries again.*"
    r"|Checking every step.*|Connecting to the platform.*"
)
BUSY = ("Running", "Checking", "Connecting")  # prompts that say the app is not waiting for enter


def mlops_tui_exe() -> str | None:
    """The ``mlops-tui`` command beside this Python (the venv's), else on PATH; None if neither."""
    beside = Path(sys.executable).with_name("mlops-tui")
    return str(beside) if beside.exists() else shutil.which("mlops-tui")


def need_tmux_and_exe() -> str:
    """The ``mlops-tui`` command; skips the test where tmux or the command is missing."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux)")
    exe = mlops_tui_exe()
    if exe is None:
        pytest.skip("the mlops-tui command is not installed")
    return exe


def isolated_env(home: Path) -> dict[str, str]:
    """This process's environment with ``home`` as HOME and every XDG directory under it, without
    the app's, the keyring's or an outer tmux's variables: a fresh machine's user."""
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


def stop_platform(exe: str, env: dict[str, str], home: Path) -> None:
    """Stop the local platform the app started in ``home`` (``platform stop``, then SIGTERM to the
    pid it recorded, in case the command could not)."""
    subprocess.run([exe, "platform", "stop"], env=env, capture_output=True, timeout=60, check=False)
    info = home / ".local" / "state" / "mlops-tui" / "platform" / "platform.json"
    try:
        pid = json.loads(info.read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


def guide_prompt(screen: str) -> str:
    """The guide's one-line prompt (what enter does now), or "" when it is not on screen."""
    for line in screen.splitlines():
        match = PROMPT.search(line)
        if match:
            return match.group(0).rstrip(" |▊▌│┃")
    return ""


def step_settled(screen: str, before: str) -> bool:
    """The prompt changed from ``before`` and waits for enter again (not running, checking or
    connecting)."""
    now = guide_prompt(screen)
    return now not in ("", before) and not now.startswith(BUSY)


def step_failed(prompt: str) -> bool:
    return re.match(r"(?:✖|X) ", prompt) is not None


class Terminal:
    """One tmux server of our own (``-L socket``), one session of ``width`` x ``height``, one pane;
    ``presses`` counts every key sent (a text typed counts one per character)."""

    def __init__(
        self,
        env: dict[str, str],
        socket: str,
        width: int,
        height: int,
        *,
        name: str = "",
        wait_s: float = 30.0,
    ) -> None:
        self.env = env
        self.socket = socket
        self.width = width
        self.height = height
        self.name = name  # whose terminal, in a failure's message
        self.wait_s = wait_s  # how long :meth:`wait` waits when not told
        self.presses = 0

    def tmux(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TMUX_S,
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def start(self, command: str) -> None:
        self.tmux("new-session", "-d", "-x", str(self.width), "-y", str(self.height), "-s", "e2e", command)

    def press(self, key: str) -> None:
        """One key, by tmux's name (``Enter``, ``C-s``, ``b``)."""
        self.tmux("send-keys", "-t", "e2e", key)
        self.presses += 1

    def type(self, text: str) -> None:
        """``text`` as typed (tmux ``-l``: no key names)."""
        self.tmux("send-keys", "-t", "e2e", "-l", text)
        self.presses += len(text)

    def send_line(self, line: str) -> None:
        """``line`` typed, then enter (a command at a shell, an answer at a prompt)."""
        self.type(line)
        self.press("Enter")

    def resize(self, width: int, height: int) -> None:
        self.tmux("resize-window", "-t", "e2e", "-x", str(width), "-y", str(height))

    def screen(self) -> str:
        """The pane's text, as a person reads it."""
        return self.tmux("capture-pane", "-p", "-t", "e2e", check=False)

    def ansi(self) -> Text:
        """The pane with its colours and styles (``capture-pane -e``), for screenshots and colour
        checks."""
        captured = self.tmux("capture-pane", "-e", "-p", "-N", "-t", "e2e", check=False)
        return Text.from_ansi(captured.rstrip("\n"))

    def wait(self, ready: Callable[[str], object], what: str, timeout: float | None = None) -> str:
        """The first screen for which ``ready(screen)`` is true; AssertionError with the last screen
        when ``timeout`` (default ``wait_s``) seconds pass first."""
        deadline = time.monotonic() + (self.wait_s if timeout is None else timeout)
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if ready(screen):
                return screen
            time.sleep(POLL_S)
        who = f"{self.name}: " if self.name else ""
        raise AssertionError(f"{who}timed out waiting for {what}; the screen:\n{screen}")

    def close(self) -> None:
        self.tmux("kill-server", check=False)


def enter_through_labs(
    term: Terminal, done: Callable[[str], object], *, max_presses: int, step_timeout: float
) -> str:
    """Press enter in the guide, one step at a time, until ``done(prompt)``; each step must settle
    within ``step_timeout`` and none may fail; fewer than ``max_presses`` keys in all. Returns the
    last screen."""
    screen = term.screen()
    while not done(guide_prompt(screen)):
        assert term.presses < max_presses, f"{term.presses} presses and not done:\n{screen}"
        before = guide_prompt(screen)
        term.press("Enter")
        screen = term.wait(lambda s, b=before: step_settled(s, b), "the step to finish", step_timeout)
        assert not step_failed(guide_prompt(screen)), f"a step failed:\n{screen}"
    return screen
