"""``mlops-tui lab run`` as people read and paste it (issues 7.6 and 8.6).

- A user whose password is ``p"a ss wörd$x`` pastes the login curl that ``lab run`` printed, with
  ``MLOPS_PASSWORD`` exported: ``MLOPS_SESSION`` holds a working session; the other printed calls
  and the labelled final curl work with it. Once with jq, once with jq absent from PATH.
- No session id, password or deployment token appears in the output, except the token in the
  final curl that is labelled as holding it; none in the platform's logs either.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from local_platform_support import wait_state

from mlops_tui.assistant import workshop as ws

from .conftest import LabRun, home_env, mlops

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("bash") is None or shutil.which("curl") is None, reason="needs bash, curl"
    ),
]

USER = "quoted01"
PASSWORD = 'p"a ss wörd$x'
SESSION_ID = re.compile(r"/api/v2/session/[0-9a-fA-F-]{8,}")
TOKEN_LABEL = "Paste this to ask the deployment yourself (it holds the deployment's auth token):"


@pytest.fixture(scope="module")
def quoted_user(local_platform: Any, registered_version: dict[str, Any]) -> dict[str, Any]:
    """``quoted01`` with the issue's password, and its own deployment of the session's model version."""
    creds = local_platform.add_user("K8sMLTenant", USER, PASSWORD)
    name = ws.deployment_name(USER)
    client = local_platform.login(creds)
    try:
        r = client.post(
            "/api/mlops/v1/deployments",
            json={
                "name": name,
                "model": registered_version["model"],
                "version": registered_version["version"],
            },
        )
        assert r.status_code in (201, 409), r.text
        dep = wait_state(client, f"/api/mlops/v1/deployments/{name}")
        assert dep["state"] == "configured", dep
    finally:
        client.close()
    return {"url": local_platform.url, "deployment": dep}


def _home(tmp_path: Path, url: str) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    added = mlops(home, "profile", "add", "quoted", "--url", url, "--user", USER, "--use")
    assert added.returncode == 0, added.stderr
    login = mlops(home, "login", "--password-stdin", stdin=PASSWORD + "\n")
    assert login.returncode == 0, login.stderr
    assert PASSWORD not in login.stdout + login.stderr
    return home


def _path_without_jq(bin_dir: Path) -> str:
    bin_dir.mkdir()
    for tool in ("bash", "curl", "awk", "tr", "cat"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    os.symlink(os.path.realpath(sys.executable), bin_dir / "python3")
    return str(bin_dir)


def _commands(stdout: str) -> dict[str, str]:
    """The ``$ ...`` command lines lab run printed, by what they call."""
    found: dict[str, str] = {}
    for line in stdout.splitlines():
        text = line.strip()
        if not text.startswith("$ "):
            continue
        command = text[2:]
        if command.startswith("MLOPS_SESSION=$("):
            found["login"] = command
        elif "/deployments/" in command:
            found.setdefault("get_deployment", command)
    return found


@pytest.mark.parametrize("tool", ["jq", "python3"])
def test_pasted_login_curl_with_a_quoted_password(
    quoted_user: dict[str, Any], tmp_path: Path, tool: str
) -> None:
    if tool == "jq" and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    home = _home(tmp_path, quoted_user["url"])
    env = home_env(home)
    if tool == "python3":
        env["PATH"] = _path_without_jq(tmp_path / "bin")
    run = subprocess.run(
        [sys.executable, "-m", "mlops_tui.cli", "lab", "run", "--from-lab", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=home,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    commands = _commands(run.stdout)
    assert commands["login"].startswith(f"MLOPS_SESSION=$({tool} "), commands["login"]
    app_value = float(re.search(r"predicted travel time: [^(]+\((\d+\.\d) s\)", run.stdout).group(1))
    lines = run.stdout.splitlines()
    final = lines[lines.index(TOKEN_LABEL) + 1].strip()

    bash_path = env["PATH"] if tool == "python3" else os.environ["PATH"]
    script = "\n".join(
        [
            "set -euo pipefail",
            commands["login"],
            'printf "%s\\n" "$MLOPS_SESSION"',
            f'curl -sS {quoted_user["url"]}/api/v2/session -H "X-BDS-SESSION: $MLOPS_SESSION"',
            "echo",
            commands["get_deployment"],
            "echo",
            final,
        ]
    )
    pasted = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, "PATH": bash_path, "MLOPS_PASSWORD": PASSWORD},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert pasted.returncode == 0, f"{script}\n---\n{pasted.stderr}"
    session, whoami, deployment, prediction = pasted.stdout.splitlines()
    assert session.startswith("/api/v2/session/")
    assert json.loads(whoami)["user"] == USER
    assert json.loads(deployment)["name"] == ws.deployment_name(USER)
    assert round(json.loads(prediction)["prediction"][0], 1) == app_value
    _assert_no_secrets(run.stdout, run.stderr, [PASSWORD], quoted_user["deployment"]["auth_token"])


def _assert_no_secrets(stdout: str, stderr: str, passwords: list[str], token: str) -> None:
    """No session id, password or token, except the token in the curl right after its label."""
    lines = stdout.splitlines()
    at = lines.index(TOKEN_LABEL) + 1
    assert token in lines[at]
    rest = "\n".join(lines[:at] + lines[at + 1 :]) + "\n" + stderr
    assert not SESSION_ID.search(rest), SESSION_ID.search(rest)
    for secret in [*passwords, token]:
        assert secret not in rest
    assert "session: established" in stdout


def test_lab_run_output_and_logs_hold_no_secrets(lab_run: LabRun) -> None:
    """The full ``lab run`` of a fresh HOME (the platform's generated password)."""
    assert lab_run.result.returncode == 0, lab_run.stdout[-3000:] + lab_run.result.stderr
    store = json.loads((lab_run.home / ".config/mlops-tui/credentials.json").read_text())["local"]
    (user, password), *_ = store.items()
    info = json.loads((lab_run.home / ".local/state/mlops-tui/platform/platform.json").read_text())
    with httpx.Client(base_url=info["url"], timeout=30) as client:
        r = client.post(
            "/api/v2/session", json={"name": user, "password": password, "tenant_name": "K8sMLTenant"}
        )
        assert r.status_code == 201, r.text
        dep = client.get(
            f"/api/mlops/v1/deployments/{ws.deployment_name(user)}",
            headers={"X-BDS-SESSION": r.headers["Location"]},
        ).json()
        client.delete(r.headers["Location"], headers={"X-BDS-SESSION": r.headers["Location"]})
    token = dep["auth_token"]
    _assert_no_secrets(lab_run.stdout, lab_run.result.stderr, [password], token)
    state = lab_run.home / ".local/state/mlops-tui/platform"
    logs = [p for p in state.rglob("*.log") if p.is_file()] + list(state.rglob("serve.out"))
    assert logs, "the platform keeps logs"
    for log in logs:
        text = log.read_text(errors="replace")
        assert password not in text and token not in text, log
        assert not SESSION_ID.search(text), (log, SESSION_ID.search(text))
