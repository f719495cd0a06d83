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
    assert (
        api.get(f"{V1}/jobs/{noisy_job['id']}", timeout=10)
        .json()["message"]
        .endswith("\x1b]0;pwned\x07\x1b[31mERROR\x1b[0m out of memory\x07")
    )


async def test_the_adapter_yields_the_raw_lines(local_platform: Any, noisy_job: dict) -> None:
    raw = _log_file(local_platform, noisy_job["id"]).decode()
    async with LocalAdapter(local_platform.credentials) as platform:
        lines = [line async for line in platform.follow_log(noisy_job["id"], follow=False)]
    assert "\n".join(lines) + "\n" == raw
