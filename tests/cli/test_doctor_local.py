"""``mlops-tui doctor`` on the local profile, as a person runs it in a fresh HOME: platform stopped,
running, with a wrong stored password, and with a damaged state directory (before and after a
start refused it). Each gives its own line and exit code; ``-o json`` carries the same."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import home_env, mlops

pytestmark = pytest.mark.slow


def doctor(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return mlops(home, "doctor", *args, timeout=60)


def failed_line(run: subprocess.CompletedProcess[str]) -> str:
    return next(line for line in run.stdout.splitlines() if line.startswith("FAIL"))


def test_local_doctor_stopped_running_wrong_password_damaged(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    state = home / ".local" / "state" / "mlops-tui" / "platform"
    try:
        stopped = doctor(home)
        assert stopped.returncode == 43, stopped.stdout + stopped.stderr
        assert failed_line(stopped).startswith(
            f"FAIL  platform process   the local platform is not running (state {state})"
        )
        assert "mlops-tui platform start" in failed_line(stopped)
        assert stopped.stdout.splitlines()[-1] == "doctor: platform process failed (exit 43)"

        assert mlops(home, "platform", "start", timeout=120).returncode == 0
        running = doctor(home)
        assert running.returncode == 0, running.stdout + running.stderr
        assert running.stdout.splitlines()[-1] == "all 7 checks passed"
        as_json = json.loads(doctor(home, "-o", "json").stdout)
        assert as_json["ok"] is True and as_json["exit_code"] == 0
        assert [c["id"] for c in as_json["checks"]] == [
            "profile", "state-dir", "disk", "process", "port", "health", "credentials",
        ]  # fmt: skip
        health = next(c for c in as_json["checks"] if c["id"] == "health")
        assert health["status"] == "ok" and health["deadline_s"] > 0
        assert all(set(c) >= {"seen", "hint"} and "todo" not in c for c in as_json["checks"])  # what to do

        user = next(c for c in as_json["checks"] if c["id"] == "profile")["seen"].rsplit("user ", 1)[1]
        store = (
            "from mlops_tui import credentials; import sys; "
            "credentials.store_password('local', sys.argv[1], 'wrong')"
        )
        subprocess.run([sys.executable, "-c", store, user], env=home_env(home), check=True)
        wrong = doctor(home)
        assert wrong.returncode == 46
        assert f"the platform refuses the password stored for {user}" in failed_line(wrong)
    finally:
        mlops(home, "platform", "stop", timeout=60)

    db = state / "platform.db"
    with db.open("r+b") as f:
        f.write(b"not sqlite")
    damaged = doctor(home)
    assert damaged.returncode == 41
    assert f"the platform's database {db} is not an SQLite database" in failed_line(damaged)
    assert "mlops-tui platform move-aside" in failed_line(damaged)
    assert mlops(home, "platform", "start", timeout=120).returncode != 0  # refused, nothing changed
    refused = doctor(home)
    assert refused.returncode == 41
    assert failed_line(refused) == failed_line(damaged)  # the state as it is now


def test_doctor_and_status_judge_a_past_refusal_against_the_state_as_it_is_now(tmp_path: Path) -> None:
    """Truncate platform.db, start (refused, rightly), put a good platform.db back: doctor said the
    database was empty and status gave that reason until a start succeeded."""
    home = tmp_path / "home"
    home.mkdir()
    state = home / ".local" / "state" / "mlops-tui" / "platform"
    db = state / "platform.db"
    assert mlops(home, "platform", "start", timeout=120).returncode == 0
    assert mlops(home, "platform", "stop", timeout=60).returncode == 0
    good = db.read_bytes()
    db.write_bytes(b"")
    start = mlops(home, "platform", "start", timeout=120)
    assert start.returncode != 0 and "is empty (0 bytes)" in start.stderr  # refused, rightly
    empty = doctor(home)
    assert empty.returncode == 41 and "is empty (0 bytes)" in failed_line(empty)

    db.write_bytes(good)  # the person puts their copy back
    fine = doctor(home)
    line = next(ln for ln in fine.stdout.splitlines() if "state directory" in ln)
    assert line.startswith("ok") and "is empty" not in line.split("because", 1)[0], line
    assert "the last start was refused at " in line and "the state looks fine now" in line
    assert fine.returncode == 43  # next: the platform is not running (not: the database is empty)
    assert "mlops-tui platform start" in failed_line(fine)
    for command in (("status",), ("platform", "status")):
        status = mlops(home, *command, timeout=60)
        said = status.stdout + status.stderr
        assert "the state looks fine now" in said and "still" not in said, said
        assert "mlops-tui platform start" in said
    try:
        assert mlops(home, "platform", "start", timeout=120).returncode == 0
        after = doctor(home)
        assert after.returncode == 0 and "refused" not in after.stdout  # a good start forgets it
    finally:
        mlops(home, "platform", "stop", timeout=60)


def test_doctor_on_a_small_file_system_shows_sizes_in_units_that_fit(tmp_path: Path) -> None:
    """On a 40 MiB file system it said "only 0.0 GiB free of 0.0 GiB"."""
    from disk_full_support import CannotMount, mounted_tmpfs

    home = tmp_path / "home"
    home.mkdir()
    try:
        with mounted_tmpfs(home / ".local", size_mib=40):
            run = doctor(home)
    except CannotMount as exc:
        pytest.skip(str(exc))
    assert run.returncode == 42, run.stdout + run.stderr
    line = failed_line(run)
    assert "only 40.0 MiB free of 40.0 MiB on " in line, line
    assert "(training needs at least 100.0 MiB)" in line and "0.0 GiB" not in line
