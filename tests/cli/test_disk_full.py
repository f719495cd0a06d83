"""``mlops-tui status`` and ``predict --example`` on a platform whose disk is full (a real tmpfs
filled up, ``tests/disk_full_support.py``): status used to print the degraded lines, then fail with
exit 1 because login must write a session. Now it shows what it can (the platform, its degraded
reasons, that nobody can log in because the disk is full and what to do) and exits 3 (documented);
``predict`` says it cannot log in, and why, in one line."""

from __future__ import annotations

import getpass
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from disk_full_support import CannotMount, fill, mounted_tmpfs
from local_platform_support import V1, PlatformFactory


@pytest.fixture
def full_platform(tmp_path: Path, local_platform: Any) -> Iterator[tuple[Any, Path]]:
    try:
        with mounted_tmpfs(tmp_path / "tmpfs") as mnt:
            factory = PlatformFactory(mnt, seed_cache=local_platform.state_dir / "cache" / "default-data")
            try:
                yield factory.new("full-cli"), mnt
            finally:
                factory.close()
    except CannotMount as exc:
        pytest.skip(str(exc))


def test_status_shows_what_it_can_when_the_disk_is_full(full_platform: tuple[Any, Path]) -> None:
    platform, mnt = full_platform
    me = getpass.getuser()  # the CLI's local profile logs in as the OS user
    added = platform.cli("platform", "add-user", "--user", me, "--password-stdin", "--remember", stdin="pw")
    assert added.returncode == 0, added.stderr
    filler = fill(mnt / "filler")
    try:
        deadline = time.monotonic() + 15
        while httpx.get(f"{platform.url}{V1}/health").json()["status"] != "degraded":
            assert time.monotonic() < deadline, "the platform never said degraded"
            time.sleep(0.1)
        status = platform.cli("status", timeout=60)
        predict = platform.cli("predict", "--example", timeout=60)
    finally:
        filler.unlink()
    said = " ".join(status.stdout.split())  # status wraps to the terminal's width
    assert status.returncode == 3, status
    assert status.stderr == "", status.stderr
    assert f"degraded: disk full: 0 KiB free on the device holding {platform.state_dir}" in said
    assert "session cannot log in: disk full, the platform cannot write the session: no space left" in said
    assert f"free space on the file system holding {platform.state_dir}" in said
    assert "need a session: run mlops-tui status again once it can log in" in said
    assert "internal error" not in said

    assert predict.returncode == 1, predict
    lines = predict.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mlops-tui: cannot log in: disk full"), predict.stderr
    assert f"free space on the file system holding {platform.state_dir}" in lines[0]
