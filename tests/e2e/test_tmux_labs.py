"""End to end, as a person does it: the real ``mlops-tui`` in a real terminal (tmux), Labs 1-5
through the guide with key presses only, the predicted travel time read off the screen.

HOME and the XDG directories point into a temporary directory, so the app starts its own local
platform (first start: tenant, user, generated password, synthetic data) exactly as on a fresh
machine. Every ``tmux send-keys`` sends one key and counts as one press. The test stops the
platform it started. Needs tmux (``.ci/run`` installs it); skipped where it is missing.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from .tmux_support import (
    Terminal,
    enter_through_labs,
    guide_prompt,
    isolated_env,
    need_tmux_and_exe,
    stop_platform,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

WIDTH, HEIGHT = 100, 30
MAX_PRESSES = 40
MAX_SECONDS = 180.0
DURATION = re.compile(r"workshop ride (\d+ min \d+ s|\d+ s)")


def test_labs_1_to_5_in_tmux_with_key_presses_only(tmp_path: Path, figure: Callable[[str], None]) -> None:
    exe = need_tmux_and_exe()
    home = tmp_path / "home"
    home.mkdir()
    env = isolated_env(home)
    term = Terminal(env, f"mlops-e2e-{uuid.uuid4().hex[:8]}", WIDTH, HEIGHT)
    started = time.monotonic()
    try:
        term.start(f"{exe}; echo mlops-tui exited $?; sleep 60")
        term.wait(lambda s: "enter runs it" in guide_prompt(s), "the guide's first step", 90)
        screen = enter_through_labs(
            term, lambda p: "All labs done" in p, max_presses=MAX_PRESSES, step_timeout=MAX_SECONDS
        )
        elapsed = time.monotonic() - started
        match = DURATION.search(guide_prompt(screen))
        assert match, f"no predicted duration on screen:\n{screen}"
        figure(  # the count and the time belong in every test run's output
            f"tmux e2e: Labs 1-5 done in {term.presses} key presses and {elapsed:.1f} s "
            f"(from launch, including the platform's first start); "
            f"predicted travel time of the workshop ride: {match.group(1)}"
        )
        print(screen)
        assert "Traceback" not in screen
        assert term.presses < MAX_PRESSES
        assert elapsed < MAX_SECONDS
    finally:
        term.close()
        stop_platform(exe, env, home)
