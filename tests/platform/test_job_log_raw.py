"""The raw log stays raw: what the sanitiser does is for showing, never for what is fetched."""

from __future__ import annotations

from typing import Any

import httpx
from local_platform_support import V1

from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter


def _log_file(local_platform: Any, job_id: str) -> bytes:
    return (local_platform.state_dir / "jobs" / str(job_id) / "job.log").read_bytes()


def test_the_log_api_gives_the_exact_bytes(api: httpx.Client, local_platform: Any, noisy_job: dict) -> None:
    raw = _log_file(local_platform, noisy_job["id"])
    assert b"\x1b[32mINFO\x1b[0m starting training\n" in raw and b"\r100%|##########| 100/100\n" in raw
    assert api.get(f"{V1}/jobs/{noisy_job['id']}/log", params={"follow": False}).content == raw
    # The log is the bytes as written; the job's message is built from its sanitised last line
    # (platform/child_output.py), so that its prefix and its cut keep their meaning.
    message = api.get(f"{V1}/jobs/{noisy_job['id']}", timeout=10).json()["message"]
    assert message == "exit code 3: ERROR out of memory"


async def test_the_adapter_yields_the_raw_lines(local_platform: Any, noisy_job: dict) -> None:
    raw = _log_file(local_platform, noisy_job["id"]).decode()
    async with LocalAdapter(local_platform.credentials) as platform:
        lines = [line async for line in platform.follow_log(noisy_job["id"], follow=False)]
    assert "\n".join(lines) + "\n" == raw


BIG_LOG = r"""
import sys

sys.stdout.write("".join(f"line {i:06d} \x1b[2m{'.' * 20}\x1b[0m\r\n" for i in range(40_000)))
sys.stdout.write("no newline at the end")
"""


def test_a_log_bigger_than_a_read_is_served_exactly_from_any_line(
    api: httpx.Client, local_platform: Any
) -> None:
    """The server reads a log a chunk at a time (1 MiB); this one is 1.5 MB, with CRLF line ends."""
    from local_platform_support import DEFAULT_USER, probe_job

    job = probe_job(api, DEFAULT_USER, BIG_LOG, name="biglog")
    raw = _log_file(local_platform, job["id"])
    assert len(raw) > 1 << 20 and raw.endswith(b"no newline at the end\n")
    lines = raw.splitlines(keepends=True)
    for start in (0, 1, 20_000, 39_999, len(lines) - 1, len(lines), len(lines) + 5):
        got = api.get(f"{V1}/jobs/{job['id']}/log", params={"follow": False, "from_line": start}).content
        assert got == b"".join(lines[start:]), start
