"""Issue 8 §1: the platform's state is never silently lost.

Faults are made in temporary state directories with the real commands a person would run
(``platform stop``, ``truncate``, ``rm``, ``platform start``, ``status``, ``backup``, ``restore``,
``move-aside``); every platform process is on loopback and every wait is bounded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from local_platform_support import (
    DEFAULT_TENANT,
    DEFAULT_USER,
    REPLACE,
    V1,
    WORKSHOP_RIDE,
    LocalPlatform,
    PlatformFactory,
    isolated_env,
    submit_training,
    upload_lab_code,
    wait_state,
)

from mlops_tui.services.types import Credentials

EXIT_STATE_REFUSED = 65
NOT_STATE = {"logs", "platform.lock", "platform.refused", "serve.out", "platform.json"}


def _serve(platform: LocalPlatform) -> subprocess.CompletedProcess[str]:
    """``serve`` on a state directory it must refuse: it exits by itself, well within the timeout."""
    return subprocess.run(
        [sys.executable, "-m", "mlops_tui.platform", "serve", "--state-dir", str(platform.state_dir)],
        env=platform.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every state file of ``root`` with its size and SHA-256 (what "nothing was changed" means)."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] in NOT_STATE or not path.is_file():
            continue
        out[rel.as_posix()] = (path.stat().st_size, hashlib.sha256(path.read_bytes()).hexdigest())
    return out


@pytest.fixture(scope="module")
def stopped_platform(
    tmp_path_factory: pytest.TempPathFactory, local_platform: LocalPlatform
) -> Iterator[LocalPlatform]:
    """A platform that holds state (a user, a session, an uploaded file), cleanly stopped once per module."""
    factory = PlatformFactory(
        tmp_path_factory.mktemp("stopped"), seed_cache=local_platform.state_dir / "cache" / "default-data"
    )
    platform = factory.new("template")
    client = platform.login()
    try:
        r = client.put(f"{V1}/repo/data/mine.csv", params=REPLACE, content=b"a,b\n1,2\n")
        assert r.status_code == 201, r.text
    finally:
        client.close()
    assert platform.stop() == 0
    yield platform
    factory.close()


@pytest.fixture(scope="module")
def backup_archive(stopped_platform: LocalPlatform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    archive = tmp_path_factory.mktemp("backup") / "platform-backup.tar.gz"
    done = stopped_platform.cli("platform", "backup", str(archive))
    assert done.returncode == 0, done.stderr
    return archive


def _copy_of(platform: LocalPlatform, root: Path) -> LocalPlatform:
    """A stopped platform's state and HOME copied to ``root`` (a state directory of its own)."""
    base = root / "copy"
    shutil.copytree(platform.state_dir.parent, base, symlinks=True)
    return LocalPlatform(state_dir=base / "state", home=base / "home", credentials=platform.credentials)


def _stored_password(platform: LocalPlatform, user: str) -> str | None:
    code = f"from mlops_tui import credentials as c; print(c.get_password('local', {user!r}))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=platform.env, capture_output=True, text=True, check=True, timeout=60
    )
    value = done.stdout.strip()
    return None if value == "None" else value


def _os_user(platform: LocalPlatform) -> str:
    code = "import getpass; print(getpass.getuser())"
    done = subprocess.run(
        [sys.executable, "-c", code], env=platform.env, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def _assert_one_line_refusal(stderr: str, db: Path) -> None:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.startswith("mlops-tui platform:")]
    assert len(lines) == 1, stderr
    line = lines[0]
    assert str(db) in line and "Nothing was changed" in line
    assert "mlops-tui platform restore FILE" in line and "mlops-tui platform move-aside" in line


@pytest.mark.parametrize("damage", ["truncated to 0 bytes", "deleted", "deleted, its WAL left"])
def test_a_database_lost_next_to_state_is_refused_and_nothing_is_changed(
    stopped_platform: LocalPlatform, tmp_path: Path, damage: str
) -> None:
    platform = _copy_of(stopped_platform, tmp_path)
    db = platform.state_dir / "platform.db"
    if damage == "truncated to 0 bytes":
        os.truncate(db, 0)
    elif damage == "deleted":
        db.unlink()
    else:
        (platform.state_dir / "platform.db-wal").write_bytes(b"\0" * 4096)
        db.unlink()
    before = _snapshot(platform.state_dir)

    done = _serve(platform)

    assert done.returncode == EXIT_STATE_REFUSED, done.stderr
    _assert_one_line_refusal(done.stderr, db)
    assert "repo/" in done.stderr  # it names the state it protects
    assert _snapshot(platform.state_dir) == before  # not initialised over, nothing moved
    # What a person runs next says the same, never a traceback, and still changes nothing.
    start = platform.cli("platform", "start", "--timeout", "30")
    assert start.returncode == 1 and "did not start" in start.stderr and str(db) in start.stderr
    assert "mlops-tui platform restore FILE" in start.stderr and "Traceback" not in start.stderr
    status = platform.cli("status")
    assert status.returncode == 1 and "last start was refused" in status.stderr
    assert "mlops-tui platform restore FILE" in status.stderr and "platform start" not in status.stderr
    add = subprocess.run(
        [sys.executable, "-m", "mlops_tui.cli", "platform", "add-user", "--user", "bob", "--password-stdin"],
        input="secret-password\n",
        env={**isolated_env(platform.home), "MLOPS_TUI_STATE_DIR": str(platform.state_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert add.returncode == 1 and "refusing to add a user" in add.stderr and str(db) in add.stderr
    assert _snapshot(platform.state_dir) == before


def test_a_database_cut_in_the_middle_is_diagnosed_in_one_line(
    stopped_platform: LocalPlatform, tmp_path: Path
) -> None:
    platform = _copy_of(stopped_platform, tmp_path)
    db = platform.state_dir / "platform.db"
    size = db.stat().st_size
    assert size > 16 * 4096  # the clean stop checkpointed: the tables are in the file itself
    os.truncate(db, size // 2)
    before = _snapshot(platform.state_dir)

    done = _serve(platform)

    assert done.returncode == EXIT_STATE_REFUSED, done.stderr
    _assert_one_line_refusal(done.stderr, db)
    assert "is damaged" in done.stderr
    assert _snapshot(platform.state_dir) == before
    status = platform.cli("platform", "status")
    assert status.returncode == 3 and "is damaged" in status.stdout


def test_a_clean_stop_leaves_the_whole_state_in_platform_db(
    platform_factory: PlatformFactory, tmp_path: Path
) -> None:
    """Stopped while a job trains (its rounds go to the WAL): platform.db alone still holds everything."""
    platform = platform_factory.new("clean")
    client = platform.login()
    try:
        code = upload_lab_code(client, DEFAULT_USER)
        job = submit_training(client, code, **{"rounds": 10_000, "early-stopping": 0, "max-depth": 8})
        deadline = time.monotonic() + 90
        while not client.get(f"{V1}/jobs/{job['id']}/metrics").json()["rounds"]:
            assert time.monotonic() < deadline, "the job did not start training"
            time.sleep(0.2)
    finally:
        client.close()
    assert platform.stop() == 0
    wal = platform.state_dir / "platform.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    alone = tmp_path / "copy-of-platform.db"
    shutil.copyfile(platform.state_dir / "platform.db", alone)  # the file the docs name, alone
    conn = sqlite3.connect(alone)
    try:
        state, message = conn.execute("SELECT state, message FROM jobs WHERE id = ?", (job["id"],)).fetchone()
        rounds = conn.execute("SELECT COUNT(*) FROM job_rounds WHERE job_id = ?", (job["id"],)).fetchone()[0]
        sessions = conn.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    finally:
        conn.close()
    assert state == "failed" and "stopped" in message  # its end, written during the stop, is in the file
    assert rounds >= 1 and sessions >= 1


async def test_the_wal_is_checkpointed_periodically_while_running(tmp_path: Path) -> None:
    """The storage monitor's checkpoint makes a copy of platform.db alone current while the WAL is in use."""
    import asyncio

    from mlops_tui.platform.db import Database
    from mlops_tui.platform.storage import StorageMonitor

    db = Database(tmp_path / "platform.db")
    monitor = StorageMonitor(tmp_path, db, min_free=0, probe_every=0.05, checkpoint_every=0.1)
    task = asyncio.create_task(monitor.run())
    try:
        db.execute("INSERT INTO meta (key, value) VALUES ('written', 'while running')")
        assert (tmp_path / "platform.db-wal").stat().st_size > 0  # the row is in the WAL first
        copy = tmp_path / "copy.db"
        for _ in range(100):
            await asyncio.sleep(0.05)
            shutil.copyfile(tmp_path / "platform.db", copy)
            conn = sqlite3.connect(copy)
            try:
                found = conn.execute("SELECT value FROM meta WHERE key = 'written'").fetchone()
            except sqlite3.OperationalError:  # not even the tables are in the file yet
                found = None
            finally:
                conn.close()
            copy.unlink()
            if found:
                break
        assert found == ("while running",)
    finally:
        task.cancel()
        db.close()


def test_a_start_never_overwrites_the_stored_password(platform_factory: PlatformFactory) -> None:
    platform = platform_factory.new("first", user=None)  # the first start generates and stores one
    user = _os_user(platform)
    password = _stored_password(platform, user)
    assert password
    platform.stop()

    aside = platform.cli("platform", "move-aside")
    assert aside.returncode == 0, aside.stderr
    moved = Path(aside.stdout.split(" to ", 1)[1].split(" (", 1)[0])
    assert (moved / "platform.db").stat().st_size > 0 and (moved / "repo").is_dir()  # kept whole
    assert not platform.state_dir.exists()

    platform.start()  # a brand-new platform on a new state directory
    assert _stored_password(platform, user) == password  # the stored password is kept ...
    client = platform.login(Credentials(platform.url, DEFAULT_TENANT, user, password))  # ... and valid
    assert client.get(f"{V1}/clusters").status_code == 200
    client.close()
    running = platform.cli("platform", "move-aside")  # never while it runs
    assert running.returncode == 1 and "already running" in running.stderr
    assert "first start" in (platform.state_dir / "logs" / "platform.log").read_text()


def test_state_files_are_private(local_platform: LocalPlatform, trained_job: dict[str, Any]) -> None:
    """Database, -wal, -shm, logs, job directories, repositories: 0600 files in 0700 directories."""
    root = local_platform.state_dir
    assert (root / "platform.db-wal").exists() and (root / "platform.db-shm").exists()
    assert (root / "logs" / "platform.log").exists() and (root / "jobs" / trained_job["id"]).is_dir()
    shared = []
    for path in [root, *root.rglob("*")]:
        if path.name == "serve.out":  # written by the test harness, not by the platform
            continue
        if path.is_symlink():  # a link's own mode means nothing on Linux (other tests plant links)
            continue
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            shared.append(f"{path.relative_to(root)} {oct(mode)}")
    assert shared == []


# -- backup and restore ----------------------------------------------------------------------------


def _predict(dep: dict[str, Any]) -> float:
    r = httpx.post(
        dep["url"],
        json={"use_scoring": True, "scoring_args": WORKSHOP_RIDE},
        headers={"X-Auth-Token": dep["auth_token"]},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return float(r.json()["prediction"][0])


def test_backup_of_a_running_platform_restores_jobs_registry_and_deployments(
    local_platform: LocalPlatform,
    api: httpx.Client,
    trained_job: dict[str, Any],
    registered_version: dict[str, Any],
    deployment: dict[str, Any],
    platform_factory: PlatformFactory,
) -> None:
    archive = platform_factory.root / "platform-backup.tar.gz"
    done = local_platform.cli("platform", "backup", str(archive))  # online: the platform runs
    assert done.returncode == 0, done.stderr
    assert f"mlops-tui platform restore {archive}" in done.stdout
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    model = registered_version["model"]
    expected_versions = api.get(f"{V1}/models/{model}/versions").json()
    expected_prediction = _predict(api.get(f"{V1}/deployments/{deployment['name']}").json())

    # Restore refuses while the platform runs.
    refused = local_platform.cli("platform", "restore", str(archive))
    assert refused.returncode == 1 and "is running" in refused.stderr
    assert api.get(f"{V1}/health").json()["status"] == "ok"

    # Restore elsewhere, over another platform's state (which is moved aside, not deleted).
    target = platform_factory.new("restored", start=False)
    restored = target.cli("platform", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    asides = list(target.state_dir.parent.glob("state.before-restore-*"))
    assert len(asides) == 1 and (asides[0] / "platform.db").stat().st_size > 0
    target.credentials = local_platform.credentials
    target.start()
    client = target.login()
    try:
        job = client.get(f"{V1}/jobs/{trained_job['id']}").json()
        assert job["state"] == "finished" and job["metrics"] == trained_job["metrics"]
        log = client.get(f"{V1}/jobs/{trained_job['id']}/log", params={"follow": False}).text
        assert "@@mlops" in log  # the job's log came back too
        assert client.get(f"{V1}/models/{model}/versions").json() == expected_versions
        dep = wait_state(client, f"{V1}/deployments/{deployment['name']}")
        assert dep["state"] == "configured", dep  # its model bundle passed the checksum check
        assert dep["auth_token"] == deployment["auth_token"]
        assert _predict(dep) == pytest.approx(expected_prediction)
    finally:
        client.close()
        target.stop()


@pytest.mark.parametrize("fault", ["cut short", "a flipped byte", "not a backup"])
def test_restore_refuses_an_archive_that_fails_its_check(
    stopped_platform: LocalPlatform, backup_archive: Path, tmp_path: Path, fault: str
) -> None:
    archive = tmp_path / "backup.tar.gz"
    data = bytearray(backup_archive.read_bytes())
    if fault == "cut short":
        data = data[: len(data) // 2]
    elif fault == "a flipped byte":
        data[len(data) // 2] ^= 0xFF
    else:
        data = bytearray(b"this is a text file, not an archive\n")
    archive.write_bytes(bytes(data))
    target = _copy_of(stopped_platform, tmp_path)
    before = _snapshot(target.state_dir)

    done = target.cli("platform", "restore", str(archive))

    assert done.returncode == 1 and "fails its integrity check" in done.stderr, done.stderr
    assert "nothing was changed" in done.stderr and "Traceback" not in done.stderr
    assert _snapshot(target.state_dir) == before
    assert not list(target.state_dir.parent.glob("state.before-restore-*"))
    assert not list(target.state_dir.glob(".restore-*"))


def test_restoring_twice_in_the_same_second_keeps_both_states_aside(
    stopped_platform: LocalPlatform, backup_archive: Path, tmp_path: Path
) -> None:
    """A second restore whose ``before-restore-<time>`` name is taken gets a name of its own (it
    failed with a bare ``FileExistsError``); the names of this second and the next are taken
    beforehand, so the case happens whenever the test runs."""
    from datetime import UTC, datetime, timedelta

    target = _copy_of(stopped_platform, tmp_path)
    now = datetime.now(UTC)
    taken = [
        target.state_dir.with_name(f"state.before-restore-{(now + timedelta(seconds=s)):%Y%m%dT%H%M%SZ}")
        for s in (0, 1, 2)
    ]
    for path in taken:
        path.mkdir()
    first = target.cli("platform", "restore", str(backup_archive))
    second = target.cli("platform", "restore", str(backup_archive))
    for done in (first, second):
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr and "unexpected error" not in done.stderr
    asides = sorted(set(target.state_dir.parent.glob("state.before-restore-*")) - set(taken))
    assert len(asides) == 2, asides
    for aside in asides:
        assert (aside / "platform.db").stat().st_size > 0  # each kept the state it replaced, whole
        assert f"the state it replaced is in {aside}" in (first.stdout + second.stdout)


def test_move_aside_twice_in_the_same_second_gets_two_names(
    stopped_platform: LocalPlatform, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    target = _copy_of(stopped_platform, tmp_path)
    now = datetime.now(UTC)
    for s in (0, 1, 2):
        target.state_dir.with_name(f"state.aside-{(now + timedelta(seconds=s)):%Y%m%dT%H%M%SZ}").mkdir()
    done = target.cli("platform", "move-aside")
    assert done.returncode == 0, done.stderr
    moved = [p for p in target.state_dir.parent.glob("state.aside-*") if (p / "platform.db").exists()]
    assert len(moved) == 1 and f"moved {target.state_dir} to {moved[0]}" in done.stdout


def test_a_backup_to_a_full_disk_names_the_destination_and_says_disk_full(
    stopped_platform: LocalPlatform, tmp_path: Path
) -> None:
    """It said "cannot copy the database <source>/platform.db: database or disk is full"."""
    from disk_full_support import CannotMount, fill, mounted_tmpfs

    try:
        with mounted_tmpfs(tmp_path / "full", size_mib=4) as mnt:
            fill(mnt / "filler")
            archive = mnt / "backup.tar.gz"
            done = stopped_platform.cli("platform", "backup", str(archive))
            left = sorted(p.name for p in mnt.iterdir())
    except CannotMount as exc:
        pytest.skip(str(exc))
    assert done.returncode == 1, done.stdout
    line = done.stderr.strip()
    assert line.count("\n") == 0 and "Traceback" not in line and "unexpected error" not in line
    assert "disk full" in line and str(mnt) in line, line
    assert str(stopped_platform.state_dir) not in line  # the source is fine: it is not named
    assert left == ["filler"]  # nothing half-written is left behind
