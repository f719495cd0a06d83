"""Text from outside in the headless commands (issue 7, part 5): job output and job messages are
printed as a terminal would show them, never with their escape sequences."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from local_platform_support import NOISY_TRAIN, isolated_env, submit_noisy_job

from mlops_tui import cli
from mlops_tui.assistant import labs
from mlops_tui.headless import lab_run
from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter

MESSAGE = "exit code 3: ERROR out of memory"
RAW_TRACES = ("\x1b", "\x07", "\r", "[32m", "[0m", "]0;", "pwned", "title")


def assert_clean(text: str) -> None:
    assert not [t for t in RAW_TRACES if t in text], repr(text)


def fresh_user(local_platform: Any) -> Any:
    """A tenant of its own: its job list holds only what this test runs."""
    import uuid

    return local_platform.add_user(f"Cli{uuid.uuid4().hex[:8]}", "bob", f"pw-{uuid.uuid4().hex}")


def test_status_prints_a_failed_jobs_message_clean(local_platform: Any, tmp_path: Path) -> None:
    credentials = fresh_user(local_platform)
    client = local_platform.login(credentials)
    try:
        job = submit_noisy_job(client, credentials.user)
    finally:
        client.close()
    assert job["state"] == "failed" and job["message"] == MESSAGE  # built from the sanitised line

    env = isolated_env(tmp_path / "home")
    env.update(MLOPS_TUI_STATE_DIR=str(local_platform.state_dir), MLOPS_TUI_CREDENTIALS="file", COLUMNS="140")

    def mlops(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mlops_tui.cli", *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    added = mlops("profile", "add", "noisy", "--user", credentials.user, "--tenant", credentials.tenant)
    assert added.returncode == 0, added.stderr
    login = mlops("login", "--profile", "noisy", "--password-stdin", stdin=credentials.password + "\n")
    assert login.returncode == 0, login.stderr
    status = mlops("status", "--profile", "noisy")
    assert status.returncode == 0, status.stderr
    row = next(line for line in status.stdout.splitlines() if line.lstrip().startswith(job["id"] + " "))
    assert "failed" in row and row.rstrip().endswith(MESSAGE)
    assert_clean(status.stdout)


async def test_lab_run_prints_the_job_output_and_failure_clean(
    local_platform: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``lab run``'s train step on a tenant whose training code is the noisy one: the log lines it
    prints and the one error line ``mlops-tui`` ends with."""
    credentials = fresh_user(local_platform)
    async with LocalAdapter(credentials) as p:
        await p.upload_repo(f"code/{credentials.user}/taxi/train.py", NOISY_TRAIN.encode())
        ctx = labs.LabContext(user=credentials.user, tenant=credentials.tenant)
        with pytest.raises(labs.StepFailed) as failed:
            async for event in labs.run_step(labs.get_step("train"), p, ctx):
                lab_run._print_event(event)
    cli.print_error(failed.value)
    printed = capsys.readouterr()
    log = [line.strip() for line in printed.out.splitlines() if line.strip().startswith("| ")]
    assert log[-4:] == [
        "| INFO starting training",
        "| WARNING learning rate is high",
        "| 100%|##########| 100/100",
        "| ERROR out of memory",
    ]
    assert printed.err.startswith("mlops-tui: training job ") and MESSAGE in printed.err
    assert len(printed.err.strip().splitlines()) == 1
    assert_clean(printed.out + printed.err)
