"""Two HOMEs on one host: each gets its own platform; neither can use the other's without its
password; failures end in one clear line."""

from __future__ import annotations

import asyncio
import json

import pytest

from mlops_tui.services import errors
from mlops_tui.services.local.adapter import LocalPlatform
from mlops_tui.services.types import Credentials

from .conftest import LabRun, mlops

pytestmark = pytest.mark.slow


def _platform_info(home) -> dict:
    return json.loads((home / ".local/state/mlops-tui/platform/platform.json").read_text())


def _password(home, user: str) -> str:
    return json.loads((home / ".config/mlops-tui/credentials.json").read_text())["local"][user]


def test_second_home_gets_its_own_platform(lab_run: LabRun, tmp_path) -> None:
    home_b = tmp_path / "home-b"
    home_b.mkdir()
    try:
        started = mlops(home_b, "platform", "start")
        assert started.returncode == 0, started.stderr
        info_a, info_b = _platform_info(lab_run.home), _platform_info(home_b)
        assert info_a["port"] != info_b["port"] and info_a["pid"] != info_b["pid"]
        state_b = home_b / ".local/state/mlops-tui/platform"
        assert state_b.stat().st_mode & 0o777 == 0o700
        assert (state_b / "platform.json").stat().st_mode & 0o777 == 0o600

        user = next(
            iter(json.loads((lab_run.home / ".config/mlops-tui/credentials.json").read_text())["local"])
        )
        password_a = _password(lab_run.home, user)
        assert password_a != _password(home_b, user)

        async def login(url: str, password: str) -> None:
            async with LocalPlatform(Credentials(url, "K8sMLTenant", user, password)) as p:
                await p.login()

        asyncio.run(login(info_b["url"], _password(home_b, user)))
        with pytest.raises(errors.AuthFailed):
            asyncio.run(login(info_b["url"], password_a))  # A's password does not open B's platform

        status_b = mlops(home_b, "status")
        assert status_b.returncode == 0, status_b.stderr
        assert "jobs (0" in status_b.stdout  # B sees nothing of A's pipeline

        # A wrong stored password: one clear line on stderr, non-zero exit, no traceback.
        creds = home_b / ".config/mlops-tui/credentials.json"
        data = json.loads(creds.read_text())
        data["local"][user] = "not-the-password"
        creds.write_text(json.dumps(data))
        failed = mlops(home_b, "lab", "run")
        assert failed.returncode == 1
        assert failed.stderr.startswith("mlops-tui: ") and "login refused" in failed.stderr
        assert len(failed.stderr.strip().splitlines()) == 1 and "Traceback" not in failed.stderr
    finally:
        mlops(home_b, "platform", "stop")


def test_platform_commands_when_nothing_runs(tmp_path) -> None:
    status = mlops(tmp_path, "platform", "status")
    assert status.returncode == 3 and "not running" in status.stdout
    stop = mlops(tmp_path, "platform", "stop")
    assert stop.returncode == 0 and "no platform running" in stop.stdout
    st = mlops(tmp_path, "status")  # does not start a platform by itself
    assert st.returncode == 1 and "not running" in st.stderr and "platform start" in st.stderr
