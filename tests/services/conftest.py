"""A real local platform server on loopback, shared by the service tests of this session.

Started with ``python -m mlops_tui.platform serve`` in a private state directory and HOME (so the
first-start password lands in that HOME's fallback file), with two known users in two tenants.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

TENANT = "K8sMLTenant"
OTHER_TENANT = "OtherTenant"


@dataclass
class Server:
    url: str
    state_dir: Path
    home: Path
    proc: subprocess.Popen[bytes]
    users: dict[str, tuple[str, str]]  # user -> (tenant, password)

    def env(self) -> dict[str, str]:
        return isolated_env(self.home, self.state_dir)


def isolated_env(home: Path, state_dir: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MLOPS_TUI_", "DBUS_"))}
    env.update(HOME=str(home), MLOPS_TUI_CREDENTIALS="file", PYTHONUNBUFFERED="1")
    if state_dir is not None:
        env["MLOPS_TUI_STATE_DIR"] = str(state_dir)
    return env


def start_server(home: Path, state_dir: Path, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / "platform.out", "ab")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlops_tui.platform", "serve", "--state-dir", str(state_dir), *args],
        env=isolated_env(home, state_dir),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    info = state_dir / "platform.json"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"platform exited {proc.returncode}: {(home / 'platform.out').read_text()[-2000:]}"
            )
        if info.exists():
            try:
                url = json.loads(info.read_text())["url"]
                if httpx.get(url + "/api/mlops/v1/health", timeout=1).status_code == 200:
                    return proc, url
            except (ValueError, KeyError, httpx.HTTPError):
                pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError("platform did not become healthy in 30 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def platform_server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    from mlops_tui.platform import add_user

    root = tmp_path_factory.mktemp("svc-platform")
    home, state_dir = root / "home", root / "state"
    proc, url = start_server(home, state_dir)
    users = {"alice": (TENANT, "alice-password-1"), "bob": (OTHER_TENANT, "bob-password-2")}
    for user, (tenant, password) in users.items():
        add_user(state_dir, tenant, user, password)
    yield Server(url, state_dir, home, proc, users)
    stop_server(proc)
