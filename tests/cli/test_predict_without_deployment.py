"""``mlops-tui predict`` before Lab 4: the default deployment (``mlops-inference-server-<user>``)
does not exist yet. It said "name: no deployment … in this tenant — check the name", as if the
person had mistyped a name they never gave (workshop tester); it says which lab makes it, as the
TUI's Predict screen does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from local_platform_support import isolated_env

from .test_outside_text import fresh_user


def test_predict_before_lab_4_says_which_lab_deploys(local_platform: Any, tmp_path: Path) -> None:
    credentials = fresh_user(local_platform)
    env = isolated_env(tmp_path / "home")
    env.update(MLOPS_TUI_STATE_DIR=str(local_platform.state_dir), MLOPS_TUI_CREDENTIALS="file", COLUMNS="200")

    def mlops(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mlops_tui.cli", *args],
            env=env, input=stdin, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    assert (
        mlops("profile", "add", "p", "--user", credentials.user, "--tenant", credentials.tenant).returncode
        == 0
    )
    assert (
        mlops("login", "--profile", "p", "--password-stdin", stdin=credentials.password + "\n").returncode
        == 0
    )
    said = mlops("predict", "--profile", "p", "--example")
    assert said.returncode != 0
    assert f"there is no deployment mlops-inference-server-{credentials.user} yet" in said.stderr, said.stderr
    assert "Lab 4 deploys the model" in said.stderr and "check the name" not in said.stderr
    named = mlops("predict", "--profile", "p", "--example", "--deployment", "mlops-inference-server-other")
    assert "check the name" in named.stderr, named.stderr  # a name given: the platform's own words
