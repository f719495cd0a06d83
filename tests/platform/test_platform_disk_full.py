"""Issue 8 §2: running out of disk degrades the platform, never wedges it; and every disk-full
answer reaches the person as "disk full", naming the path and what to do.

How the disk is filled: the state directory is put on a small tmpfs of its own, mounted for the
test, and a file fills it (``tests/disk_full_support.py``; skipped where mounting is not permitted).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from disk_full_support import CannotMount, fill, mounted_tmpfs
from local_platform_support import (
    DEFAULT_TENANT,
    DEFAULT_USER,
    REPLACE,
    V1,
    LocalPlatform,
    PlatformFactory,
    submit_training,
    upload_lab_code,
    wait_job,
)

FULL_FOR_S = 4.0


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 64 MiB tmpfs at a temporary path (skipped where this user may not mount)."""
    try:
        with mounted_tmpfs(tmp_path / "tmpfs") as mnt:
            yield mnt
    except CannotMount as exc:
        pytest.skip(str(exc))


@dataclass
class FullDisk:
    tmpfs: Path
    platform: LocalPlatform


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory: pytest.TempPathFactory, local_platform: LocalPlatform) -> Iterator[FullDisk]:
    """A platform (2 training workers) whose state directory is on a 64 MiB tmpfs of its own,
    shared by the tests of this module that fill it (each frees it again)."""
    try:
        with mounted_tmpfs(tmp_path_factory.mktemp("disk-full") / "tmpfs") as mnt:
            factory = PlatformFactory(mnt, seed_cache=local_platform.state_dir / "cache" / "default-data")
            try:
                yield FullDisk(mnt, factory.new("full", extra_args=["--workers", "2"]))
            finally:
                factory.close()
    except CannotMount as exc:
        pytest.skip(str(exc))


def _wait(what: str, check: Any, timeout: float, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def _assert_disk_full_answer(r: httpx.Response, path: Path) -> None:
    """Never a bare 500: either the write fitted, or a 507 that says disk full and names the path."""
    assert r.status_code != 500, r.text
    if r.status_code == 507:
        body = r.json()
        assert body["code"] == "insufficient_storage" and "disk full" in body["error"], body
        assert str(path) in body["error"], body


def test_a_database_write_on_a_full_disk_says_disk_full_and_is_replayed_later(tmpfs: Path) -> None:
    from mlops_tui.platform.db import Database
    from mlops_tui.platform.errors import ApiError

    db = Database(tmpfs / "platform.db")
    reported: list[str] = []
    db.on_disk_full = reported.append
    filler = fill(tmpfs / "filler")
    try:
        with pytest.raises(ApiError) as caught:
            for i in range(10_000):  # the WAL must grow: SQLITE_FULL
                db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (f"k{i}", "x" * 4000))
        assert caught.value.status == 507 and "disk full" in caught.value.message
        assert str(tmpfs / "platform.db") in caught.value.message
        assert reported == [str(tmpfs / "platform.db")]
        assert db.execute_or_defer("INSERT INTO meta (key, value) VALUES ('late', 'kept')") is False
        assert db.flush_deferred() is False  # still full: kept for later
    finally:
        filler.unlink()
    assert db.flush_deferred() is True
    assert db.one("SELECT value FROM meta WHERE key = 'late'") == {"value": "kept"}
    db.close()


@pytest.mark.slow
def test_a_full_disk_degrades_the_platform_and_it_resumes_by_itself(full_disk: FullDisk) -> None:
    from mlops_tui.services.local import launcher

    platform, tmpfs = full_disk.platform, full_disk.tmpfs

    client = platform.login()
    code = upload_lab_code(client, DEFAULT_USER)
    long = {"rounds": 10_000, "early-stopping": 0, "max-depth": 8}  # minutes of rounds, one log line each
    running = [submit_training(client, code, **long)["id"] for _ in range(2)]
    queued = [submit_training(client, code, rounds=15)["id"] for _ in range(2)]

    def both_training() -> bool:  # running and writing a round line to their logs each round
        for j in running:
            assert _state(client, j) in ("queued", "running"), client.get(f"{V1}/jobs/{j}").json()
        return all(client.get(f"{V1}/jobs/{j}/metrics").json()["rounds"] for j in running)

    _wait("two jobs training", both_training, timeout=90)
    assert {client.get(f"{V1}/jobs/{j}").json()["state"] for j in queued} == {"queued"}

    filler = fill(tmpfs / "filler")
    full_until = time.monotonic() + FULL_FOR_S
    try:
        health = _wait(
            "/health saying degraded",
            lambda: (h := client.get(f"{V1}/health").json())["status"] == "degraded" and h,
            timeout=FULL_FOR_S,
        )
        assert any("disk full" in r and str(platform.state_dir) in r for r in health["reasons"]), health
        assert launcher.running_url(platform.state_dir) == platform.url  # degraded is still running
        login = httpx.post(
            f"{platform.url}/api/v2/session",
            json={
                "name": DEFAULT_USER,
                "password": platform.credentials.password,
                "tenant_name": DEFAULT_TENANT,
            },  # type: ignore[union-attr]
        )
        _assert_disk_full_answer(login, platform.state_dir)
        cluster = client.post(f"{V1}/clusters", json={"name": "nb-while-full", "kind": "notebook"})
        _assert_disk_full_answer(cluster, platform.state_dir)
        upload = client.put(f"{V1}/repo/data/big.bin", params=REPLACE, content=os.urandom(512 << 10))
        assert upload.status_code == 507, upload.text  # a file that cannot fit: always a 507
        _assert_disk_full_answer(upload, platform.state_dir)
        _wait("the running jobs ending", lambda: not any(_state(client, j) == "running" for j in running), 10)
        while time.monotonic() < full_until:  # the queue holds: no job starts on a full disk
            assert {_state(client, j) for j in queued} == {"queued"}
            time.sleep(0.2)
    finally:
        filler.unlink()

    _wait("/health ok again", lambda: client.get(f"{V1}/health").json()["status"] == "ok", timeout=15)
    for job_id in running:
        job = client.get(f"{V1}/jobs/{job_id}").json()
        assert job["state"] == "failed" and "disk full" in job["message"], job
    done = [wait_job(client, j, timeout=120) for j in queued]  # the queue resumed by itself
    assert [j["state"] for j in done] == ["finished", "finished"], [j["message"] for j in done]
    first, second = done
    # Both workers survived: the two queued jobs ran side by side.
    assert first["started_at"] < second["finished_at"] and second["started_at"] < first["finished_at"]
    assert (
        httpx.post(
            f"{platform.url}/api/v2/session",
            json={
                "name": DEFAULT_USER,
                "password": platform.credentials.password,
                "tenant_name": DEFAULT_TENANT,
            },  # type: ignore[union-attr]
        ).status_code
        == 201
    )
    client.close()


def _state(client: httpx.Client, job_id: str) -> str:
    return client.get(f"{V1}/jobs/{job_id}").json()["state"]


async def test_every_disk_full_answer_reaches_the_person_as_disk_full(
    full_disk: FullDisk, tmp_path: Path
) -> None:
    """A 507 used to reach the person as "the platform failed (HTTP 507) … — the platform reported an
    internal error; see its log": now "disk full", the path, and what to do, in the service layer
    (what the TUI shows) and in the CLI; ``status`` shows the platform degraded with its reasons."""
    import getpass

    from mlops_tui.services import errors
    from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter

    platform, tmpfs = full_disk.platform, full_disk.tmpfs
    blob = tmp_path / "rides.csv"
    blob.write_bytes(os.urandom(512 << 10))  # more than the full disk can take, whatever happens
    await _await(lambda: httpx.get(f"{platform.url}{V1}/health").json()["status"] == "ok", 15)
    me = getpass.getuser()  # the CLI's local profile logs in as the OS user: give it a password
    added = platform.cli(
        "platform", "add-user", "--user", me, "--password-stdin", "--reset", "--remember", stdin="pw-" + me
    )
    assert added.returncode == 0, added.stderr
    adapter = LocalAdapter(platform.credentials)  # type: ignore[arg-type]
    await adapter.login()
    filler = fill(tmpfs / "filler")
    try:
        with pytest.raises(errors.DiskFull) as caught:
            await adapter.upload_repo("data/rides.csv", blob)
        said = str(caught.value)
        assert said.startswith(f"disk full: no space left on the device holding {platform.state_dir}")
        assert f"free space on the file system holding {platform.state_dir}" in said
        assert "internal error" not in said and "HTTP 507" not in said, said

        status = platform.cli("status", timeout=60)
        full = f"degraded: disk full: 0 KiB free on the device holding {platform.state_dir}"
        assert full in " ".join(status.stdout.split()), status  # status wraps to the terminal's width
        upload = platform.cli("data", "upload", str(blob), "--no-profile", timeout=60)
        assert upload.returncode == 1, upload
        for shown in (status.stderr, upload.stderr):  # status: its login, if that could not be written
            for line in shown.splitlines():  # the login is what a full disk refuses first
                assert line.startswith(
                    (
                        "mlops-tui: disk full: no space left on the device holding",
                        "mlops-tui: cannot log in: disk full, the platform cannot write the session",
                    )
                ), line
                assert f"free space on the file system holding {platform.state_dir}" in line, line
        assert upload.stderr.strip()
    finally:
        filler.unlink()
    await _await(lambda: httpx.get(f"{platform.url}{V1}/health").json()["status"] == "ok", 15)
    entry = await adapter.upload_repo("data/rides.csv", blob)  # and it works again by itself
    assert entry.size == 512 << 10
    await adapter.aclose()


async def _await(check: Any, timeout: float) -> None:
    import asyncio

    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"not within {timeout} s"
        await asyncio.sleep(0.1)
