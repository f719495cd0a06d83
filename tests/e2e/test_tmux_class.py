"""The facilitator's Class screen while two attendees work in their own terminals (issue 9, must
show): three tmux terminals, three HOMEs, the real ``mlops-tui``.

The facilitator starts a workshop (``mlops-tui workshop start``) and opens ``mlops-tui --profile
workshop`` (the Class screen). Each attendee, in a shell of their own, types the ``mlops-tui join``
line of the handout and the password at its prompt, then runs ``mlops-tui``: student01 first
uploads a trip file of their own (``mlops-tui data upload``; it holds the 2019 TLC header and no
rides, and the upload warns that training will refuse it), then uploads the code and trains on
that file (``train data=…``), a job that fails; student02 uploads and trains properly. The
facilitator sees student01 first, stuck, with the job's error, and student02 behind; a broadcast
typed on the Class screen appears in student02's guide; enter on student01 shows their whole error
above the failed job's log. With
``MLOPS_TUI_SCREENSHOTS=DIR`` the facilitator's screen is written as ``DIR/class-facilitator.png``
(docs/workshop.md shows it). Bounded: about a minute here; every step has a deadline.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from local_platform_support import LocalPlatform, has_sandbox
from mlops_tui.lab_scripts.synthetic import YELLOW_2019_COLUMNS

from .screenshots import save_screenshot
from .tmux_support import Terminal, isolated_env, need_tmux_and_exe

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

WIDTH, HEIGHT = 100, 30
NO_RIDES = (
    "error: too few usable rides in empty.csv: 0 of 0 kept, at least 50 are needed; the file holds no rides"
)
STEP_S = 120.0


def _terminal(name: str, home: Path) -> Terminal:
    """One person's terminal: a tmux server of its own running a shell in their HOME."""
    term = Terminal(
        isolated_env(home),
        f"mlops-class-{name}-{uuid.uuid4().hex[:6]}",
        WIDTH,
        HEIGHT,
        name=name,
        wait_s=STEP_S,
    )
    term.start("bash --norc --noprofile")
    return term


def _row(screen: str, user: str) -> str:
    return next((line for line in screen.splitlines() if f"│ {user} " in line), "")


def _rows(screen: str) -> list[str]:
    return [line.split()[1] for line in screen.splitlines() if line.startswith("│ student")]


def test_the_facilitator_sees_the_stuck_attendee_first(tmp_path: Path, local_platform: LocalPlatform) -> None:
    exe = need_tmux_and_exe()
    if not has_sandbox():
        pytest.skip("needs bubblewrap (apt-get install bubblewrap)")
    homes = {name: tmp_path / name for name in ("facilitator", "student01", "student02")}
    for home in homes.values():
        home.mkdir()
    (homes["student01"] / "empty.csv").write_text(",".join(YELLOW_2019_COLUMNS) + "\n")  # no rides
    state = homes["facilitator"] / "workshop"
    shutil.copytree(local_platform.state_dir / "cache" / "default-data", state / "cache" / "default-data")
    env = isolated_env(homes["facilitator"])
    started = subprocess.run(
        [exe, "workshop", "start", "--attendees", "2", "--workers", "1", "--state-dir", str(state)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    handout = {
        line.split()[0]: line.split(maxsplit=2)[1:]
        for line in (state / "handout.txt").read_text().splitlines()
        if line.startswith("student")
    }
    terms: dict[str, Terminal] = {}
    try:
        for name, home in homes.items():
            terms[name] = _terminal(name, home)
        # each attendee joins in their own terminal, typing the password at the prompt
        for user in ("student01", "student02"):
            term = terms[user]
            password, command = handout[user]
            term.send_line(f"{command.replace('mlops-tui', exe, 1)}")
            term.wait(lambda s: "password of" in s, "the password prompt")
            term.send_line(password)
            term.wait(lambda s: "now run: mlops-tui" in s, "joined")
            if user == "student01":  # their own trip file, into their data folder
                term.send_line(f"{exe} data upload ~/empty.csv --as student01/empty.csv")
                term.wait(lambda s: "training will refuse it" in s, "the upload's warning")
            term.send_line(f"{exe}")
            term.wait(lambda s: "enter runs it" in s, "the guide")
            term.send_line("run upload")
            term.wait(lambda s: "Upload the training code" in s and "verified" in s, "the code uploaded")
        terms["student01"].send_line("train data=student01/empty.csv")  # a job that fails
        guide = terms["student01"].wait(
            lambda s: "✖ Train the model failed" in s, "the failed job in the guide"
        )
        assert "error: too few usable rides in" in guide and "the file holds no rides" in guide, guide
        terms["student02"].send_line("train rounds=5")
        # the facilitator's Class screen: student01 first, stuck, with the job's error
        boss = terms["facilitator"]
        boss.send_line(f"{exe} --profile workshop")
        screen = boss.wait(
            lambda s: "Lab 4" in _row(s, "student02") and "1 stuck" in s, "the class, student02 trained"
        )
        assert _rows(screen) == ["student01", "student02"], screen
        stuck = _row(screen, "student01")
        assert "Lab 3" in stuck and "✔○✔✖○○○" in stuck
        assert "train failed: error: too few usable rides in empty.csv: 0 … │" in stuck  # cut to fit
        assert "Lab 4" in _row(screen, "student02") and "✔○✔✔○○○" in _row(screen, "student02")
        assert "Traceback" not in screen
        # a broadcast from the Class screen reaches student02's guide live
        boss.press("b")  # the key alone: enter in the empty prompt would clear
        # (the prompt's own words: the status line above says "b sends a message to every
        # attendee's guide" before b is pressed, so that text typed ahead went to the Class screen)
        boss.wait(lambda s: "(enter sends, empty clears)" in s, "the broadcast prompt")
        boss.send_line("Pair up with your neighbour for Lab 4")
        boss.wait(lambda s: "broadcast: Pair up with your neighbour" in s, "the broadcast line")
        terms["student02"].wait(
            lambda s: "Facilitator: Pair up with your neighbour for Lab 4" in s, "the broadcast in the guide"
        )
        boss.wait(lambda s: "Credentials" not in s, "the start-up notice gone", timeout=30)
        save_screenshot(boss.ansi(), "class-facilitator", "mlops-tui: the facilitator's Class screen", WIDTH)
        save_screenshot(
            terms["student02"].ansi(), "class-attendee-broadcast", "mlops-tui: an attendee's guide", WIDTH
        )
        # enter: student01 (the first row), with the whole error above the failed job's log
        boss.press("Enter")
        screen = boss.wait(
            lambda s: "Log · job" in s and "0 rides read, 0 kept after cleaning" in s, "the failed job's log"
        )
        assert screen.splitlines()[1].startswith(" student01 · Lab 3 · last progress "), screen
        assert NO_RIDES in " ".join(screen.split()), screen
    finally:
        for term in terms.values():
            term.close()
        subprocess.run(
            [exe, "workshop", "stop", "--state-dir", str(state)], env=env, capture_output=True, timeout=60
        )
