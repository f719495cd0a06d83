"""The platform process: per-user state, discovery file, lock, first start, and restarts losing nothing."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from typing import Any

import httpx
from local_platform_support import (
    DEFAULT_DATA,
    V1,
    WORKSHOP_RIDE,
    LocalPlatform,
    PlatformFactory,
    isolated_env,
    wait_state,
)


def test_platform_json_is_private_and_names_the_running_platform(local_platform: LocalPlatform) -> None:
    info_path = local_platform.state_dir / "platform.json"
    info = json.loads(info_path.read_text())
    assert stat.S_IMODE(info_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(local_platform.state_dir.stat().st_mode) == 0o700
    assert info["url"] == local_platform.url and info["port"] == local_platform.port
    assert info["pid"] == local_platform.proc.pid and info["version"] and info["started_at"]  # type: ignore[union-attr]


def test_a_second_serve_on_the_same_state_dir_exits_1(local_platform: LocalPlatform) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mlops_tui.platform", "serve", "--state-dir", str(local_platform.state_dir)],
        env=local_platform.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "already running" in done.stderr and local_platform.url in done.stderr


def test_two_state_dirs_are_two_platforms_on_two_ports(
    platform_factory: PlatformFactory, local_platform: LocalPlatform
) -> None:
    other = platform_factory.new("second-user")
    assert other.port != local_platform.port and other.url != local_platform.url
    # the same user name and tenant exist on both, with different passwords: neither opens the other
    assert local_platform.credentials and other.credentials
    r = httpx.post(
        other.url + "/api/v2/session",
        json={
            "name": local_platform.credentials.user,
            "password": local_platform.credentials.password,
            "tenant_name": "K8sMLTenant",
        },
    )
    assert r.status_code == 401
    assert other.login().get(f"{V1}/jobs").json() == []


def test_default_state_dir_follows_the_environment() -> None:
    from mlops_tui.platform.state import default_state_dir

    assert (
        str(default_state_dir({"MLOPS_TUI_STATE_DIR": "/x/y", "XDG_STATE_HOME": "/s", "HOME": "/h"}))
        == "/x/y"
    )
    assert str(default_state_dir({"XDG_STATE_HOME": "/s", "HOME": "/h"})) == "/s/mlops-tui/platform"
    assert str(default_state_dir({"HOME": "/h"})) == "/h/.local/state/mlops-tui/platform"


def test_first_start_creates_tenant_user_password_cluster_and_data(platform_factory: PlatformFactory) -> None:
    platform = platform_factory.new("fresh", user=None)
    env = isolated_env(platform.home)
    user = subprocess.run(
        [sys.executable, "-c", "import getpass; print(getpass.getuser())"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    got = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from mlops_tui import credentials as c; print(c.get_password('local', {user!r}))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    fallback = platform.state_dir / "initial-password"
    password = got if got and got != "None" else fallback.read_text().split()[-1]
    from mlops_tui.services.types import Credentials

    client = platform.login(Credentials(platform.url, "K8sMLTenant", user, password))
    names = [c["name"] for c in client.get(f"{V1}/clusters").json()]
    assert names == ["training-engine-shared"]
    data = {e["path"] for e in client.get(f"{V1}/repo", params={"prefix": "data/NYCTaxi/"}).json()}
    readme_path = "data/NYCTaxi/synthetic-yellow-2019H1.README.md"
    assert {DEFAULT_DATA, "data/NYCTaxi/taxi-zones.csv", readme_path} <= data
    readme = client.get(f"{V1}/repo/data/NYCTaxi/synthetic-yellow-2019H1.README.md").text
    assert "SYNTHETIC" in readme
    header = client.get(f"{V1}/repo/{DEFAULT_DATA}").text.splitlines()[0]
    assert "PULocationID" in header and "tpep_pickup_datetime" in header


def test_restart_keeps_jobs_registry_and_deployments_serving(
    local_platform: LocalPlatform,
    api: httpx.Client,
    trained_job: dict[str, Any],
    registered_version: dict[str, Any],
    deployment: dict[str, Any],
) -> None:
    jobs_before = api.get(f"{V1}/jobs").json()
    models_before = api.get(f"{V1}/models").json()
    dep_before = api.get(f"{V1}/deployments/{deployment['name']}").json()
    t0 = time.monotonic()
    local_platform.restart()
    assert local_platform.url == api.base_url.__str__().rstrip("/")  # same port: same URL
    assert api.get(f"{V1}/jobs").json() == jobs_before  # the session survived the restart too
    assert api.get(f"{V1}/models").json() == models_before
    dep = wait_state(api, f"{V1}/deployments/{deployment['name']}")
    assert dep["state"] == "configured" and dep["url"] == dep_before["url"]
    assert dep["auth_token"] == dep_before["auth_token"] and dep["pid"] != dep_before["pid"]
    r = httpx.post(
        dep["url"],
        json={"use_scoring": True, "scoring_args": WORKSHOP_RIDE},
        headers={"X-Auth-Token": dep["auth_token"]},
    )
    assert r.status_code == 200 and r.json()["prediction"][0] > 0
    assert time.monotonic() - t0 < 60
