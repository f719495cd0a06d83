"""A job's log has a size cap (``serve --job-log-max-mib``; ``platform/job_log.py``) and the log API
serves its tail (``?tail=N``): a job that printed as fast as it could wrote 2.9 GB in 90 s, and
opening it replayed 36.7 M lines to show the last 10,000."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from local_platform_support import DEFAULT_USER, V1, LocalPlatform, PlatformFactory, probe_job

from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter

# About 3 MiB of output, fast, a metrics line after the cap, then the last words.
FLOOD = r"""
import json, sys
out = sys.stdout
for i in range(50_000):
    out.write(f"line {i:06d} " + "x" * 50 + "\n")
out.write("@@mlops " + json.dumps({"type": "metrics", "rmse": 1.5}) + "\n")
out.write("the last words\n")
"""


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory, local_platform: LocalPlatform) -> Any:
    factory = PlatformFactory(
        tmp_path_factory.mktemp("log-cap"), seed_cache=local_platform.state_dir / "cache" / "default-data"
    )
    platform = factory.new("capped", extra_args=["--job-log-max-mib", "1"])
    client = platform.login()
    yield platform, client
    client.close()
    factory.close()


def _log(platform: LocalPlatform, job_id: str) -> bytes:
    return (platform.state_dir / "jobs" / job_id / "job.log").read_bytes()


def test_a_flooding_job_goes_on_and_its_log_keeps_its_head_and_its_last_lines(capped: Any) -> None:
    platform, client = capped
    job = probe_job(client, DEFAULT_USER, FLOOD, name="flood")
    assert job["state"] == "finished", job["message"]
    assert job["message"] == "finished (log truncated at 1 MiB)"
    assert job["metrics"] == {"rmse": 1.5}  # its structured lines are parsed past the cap
    raw = _log(platform, job["id"])
    assert 1 << 20 <= len(raw) < (1 << 20) + (1 << 20)  # the cap plus at most ~800 KiB of tail
    head, _, rest = raw.partition(b"[mlops-tui] log truncated at 1 MiB: the job goes on;")
    assert len(head) <= 1 << 20 and head.endswith(b"\n") and b"line 000000 " in head
    assert b"of output not kept; the last 200 lines:\n" in rest
    assert rest.endswith(
        b"line 049999 "
        + b"x" * 50
        + b"\n"
        + b'@@mlops {"type": "metrics", "rmse": 1.5}\n'
        + b"the last words\n"
    )


def test_the_log_api_serves_the_tail_and_says_where_it_starts(capped: Any) -> None:
    platform, client = capped
    job = probe_job(client, DEFAULT_USER, "print('a')\nprint('b')\nprint('c')\nprint('d')\n", name="short")
    lines = _log(platform, job["id"]).splitlines(keepends=True)
    url = f"{V1}/jobs/{job['id']}/log"
    r = client.get(url, params={"follow": False, "tail": 2})
    assert r.content == b"c\nd\n"
    first = int(r.headers["X-Log-First-Line"])
    assert first == len(lines) - 2
    assert client.get(url, params={"follow": False, "from_line": first}).content == b"c\nd\n"
    whole = client.get(url, params={"follow": False, "tail": 1000})
    assert whole.content == b"".join(lines) and whole.headers["X-Log-First-Line"] == "0"
    assert client.get(url, params={"tail": 0}).status_code == 422


async def test_the_adapter_follows_from_the_tail(capped: Any) -> None:
    platform, client = capped
    job = probe_job(client, DEFAULT_USER, FLOOD.replace("50_000", "30_000"), name="flood_tail")
    async with LocalAdapter(platform.credentials) as adapter:
        got = [line async for line in adapter.follow_log(job["id"], follow=False, tail=3)]
        assert got[-1] == "the last words" and len(got) == 3
        followed = [line async for line in adapter.follow_log(job["id"], follow=True, tail=2)]
        assert followed == ['@@mlops {"type": "metrics", "rmse": 1.5}', "the last words"]
        # The equivalent command says what was asked.
        assert any("tail=2" in c.command for c in adapter.calls if c.op == "follow_log")


def test_a_backup_keeps_a_huge_old_log_as_head_and_tail(
    capped: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log written before the cap (or under a larger one) must not blow a backup up."""
    from mlops_tui.platform import backup

    platform, _ = capped
    monkeypatch.setattr(backup, "LOG_HEAD", 1 << 20)  # the same code path as 256 MiB, in a test's time
    big = platform.state_dir / "jobs" / "99999" / "job.log"
    big.parent.mkdir(parents=True)
    with big.open("wb") as f:
        for i in range(200_000):
            f.write(b"old line %06d %s\n" % (i, b"y" * 40))  # ~11 MiB
    try:
        archive = tmp_path / "b.tar.gz"
        summary = backup.backup(platform.state_dir, archive)
        assert summary.logs_cut == ["jobs/99999/job.log"]
        target = tmp_path / "restored"
        backup.restore(target, archive)
        kept = (target / "jobs" / "99999" / "job.log").read_bytes()
        assert len(kept) < 3 << 20
        assert kept.startswith(b"old line 000000 ") and kept.endswith(b"old line 199999 " + b"y" * 40 + b"\n")
        assert b"[mlops-tui] backup: " in kept and b"of this log not kept; its last lines follow\n" in kept
    finally:
        big.unlink()
        big.parent.rmdir()
