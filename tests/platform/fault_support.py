"""A private platform to abuse (kill its servers, restart it, flood it), with a model to deploy.

Its supervisor's back-off is shortened (``--restart-backoff 0.25 --restart-backoff-max 2``: the
schedule is the same, 0, 0.25, 0.5, 1, 2, 2 s instead of 0, 1, 2 … 40 s), and so are the hand-over
grace (3 s instead of 30 s) and the time between health checks (1 s instead of 5 s: three failed
checks in a row, a kill, take 3 s), so that the fault tests stay short.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from local_platform_support import (
    DEFAULT_USER,
    V1,
    WORKSHOP_RIDE,
    LocalPlatform,
    submit_training,
    upload_lab_code,
    wait_job,
    wait_state,
)

#: A secret in the platform's environment that no child may see (set while the platform starts).
CANARY = "AWS_SECRET_ACCESS_KEY"
HEALTH_EVERY_S = 1.0
FAULT_ARGS = [
    *("--restart-backoff", "0.25", "--restart-backoff-max", "2"),
    *("--handover-grace", "3", "--health-every", str(HEALTH_EVERY_S)),
]


@dataclass
class FaultPlatform:
    platform: LocalPlatform
    api: httpx.Client
    version: dict[str, Any]

    def deploy(self, name: str, version: dict[str, Any] | None = None) -> dict[str, Any]:
        v = version or self.version
        r = self.api.post(
            f"{V1}/deployments", json={"name": name, "model": v["model"], "version": v["version"]}
        )
        assert r.status_code == 201, r.text
        return wait_state(self.api, f"{V1}/deployments/{name}")

    def get(self, name: str) -> dict[str, Any]:
        return self.api.get(f"{V1}/deployments/{name}").json()

    def delete(self, name: str) -> None:
        assert self.api.delete(f"{V1}/deployments/{name}").status_code == 204

    def backoff_delays(self, name: str) -> list[float]:
        """The delays the supervisor chose, from the platform log ("restarting in 0.5 s")."""
        text = (self.platform.state_dir / "logs" / "platform.log").read_text()
        pattern = rf"deployment \S+/{re.escape(name)} died \(.*?\); restarting in ([0-9.]+) s"
        return [float(x) for x in re.findall(pattern, text)]

    def server_log(self, name: str) -> str:
        return next((self.platform.state_dir / "deployments").rglob(f"{name}/server.log")).read_text()


def make_fault_platform(platform: LocalPlatform) -> FaultPlatform:
    api = platform.login()
    code = upload_lab_code(api, DEFAULT_USER)
    job = wait_job(api, submit_training(api, code, rounds=5, **{"max-depth": 3})["id"])
    assert job["state"] == "finished", job
    r = api.post(f"{V1}/models", json={"model": "fault-model", "job_id": job["id"]})
    assert r.status_code == 201, r.text
    return FaultPlatform(platform, api, r.json())


def predict(dep: dict[str, Any], timeout: float = 10, ride: Any = None) -> httpx.Response:
    return httpx.post(
        dep["url"],
        json={"use_scoring": True, "scoring_args": ride if ride is not None else WORKSHOP_RIDE},
        headers={"X-Auth-Token": dep["auth_token"]},
        timeout=timeout,
    )


def wait_until(check: Any, timeout: float = 30, every: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not reached within {timeout} s")


def alive(pid: int) -> bool:
    """Running and not a zombie; a process that ends while it is read has ended (no exists() first:
    it could end between the two calls)."""
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
