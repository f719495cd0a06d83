"""Secrets stay where they belong (issue 8 §6): a notebook's token is not on its command line, and
the processes the platform starts get only the environment they need."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fault_support import CANARY, FaultPlatform
from local_platform_support import V1, wait_state

from mlops_tui.platform.childenv import PASSED, child_environment
from mlops_tui.platform.clusters import jupyter_command, notebook_process


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(e.decode(errors="replace").partition("=")[::2] for e in raw if e)


def test_the_notebook_token_goes_in_its_own_environment_entry(tmp_path: Path) -> None:
    argv, env = notebook_process(
        ["jupyter", "lab"],
        host="127.0.0.1",
        port=8888,
        root_dir=tmp_path / "repo",
        workdir=tmp_path / "nb",
        token="s3cr3t-token",
        cluster="K8sMLTenant/notebook",
    )
    assert not any("s3cr3t-token" in a for a in argv)  # `ps` shows argv to every local user
    assert env["JUPYTER_TOKEN"] == "s3cr3t-token"
    assert env["HOME"] == str(tmp_path / "nb") and env["MLOPS_CLUSTER"] == "K8sMLTenant/notebook"


def test_children_get_only_the_passed_entries() -> None:
    source = {
        "PATH": "/bin",
        "LC_ALL": "C.UTF-8",
        CANARY: "x",
        "SSH_AUTH_SOCK": "/tmp/agent",
        "HOME": "/root",
    }
    env = child_environment({"HOME": "/work/dir"}, source)
    assert env == {"PATH": "/bin", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8", "HOME": "/work/dir"}
    assert "SSH_AUTH_SOCK" not in PASSED and "DBUS_SESSION_BUS_ADDRESS" not in PASSED


@pytest.mark.skipif(
    jupyter_command() is None, reason="Jupyter is not installed (pip install 'mlops-tui[jupyter]')"
)
def test_a_running_notebook_shows_no_token_to_ps(fault_platform: FaultPlatform) -> None:
    """Issue 8 §6: a notebook cluster passed the Jupyter token on the command line."""
    fp = fault_platform
    assert fp.api.post(f"{V1}/clusters", json={"name": "secret-nb", "kind": "notebook"}).status_code == 201
    try:
        c = wait_state(fp.api, f"{V1}/clusters/secret-nb", timeout=120)
        assert c["state"] == "configured", c["message"]
        pid, token = c["members"][0]["pid"], c["endpoints"][0]["auth_token"]
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        assert token not in cmdline
        env = _environ(pid)
        assert env["JUPYTER_TOKEN"] == token and CANARY not in env
        base = c["endpoints"][0]["url"].split("/lab")[0]
        assert httpx.get(f"{base}/api/status", params={"token": token}, timeout=10).status_code == 200
        assert httpx.get(f"{base}/api/contents", timeout=10).status_code == 403  # the token still guards it
    finally:
        assert fp.api.delete(f"{V1}/clusters/secret-nb").status_code == 204


def test_servers_get_only_the_environment_they_need(fault_platform: FaultPlatform) -> None:
    """Issue 8 §6: prediction servers inherited the platform's whole environment."""
    fp = fault_platform
    platform_env = _environ(fp.platform.proc.pid)  # type: ignore[union-attr]
    dep = fp.deploy("clean-env")
    env = _environ(dep["pid"])
    own = {"HOME", "PYTHONUNBUFFERED", "OMP_NUM_THREADS", "MLOPS_LIFELINE_FD"}  # the last: a number
    assert {k for k in env if not k.startswith("LC_")} <= {*PASSED, *own}, env
    assert env["HOME"] != platform_env.get("HOME")
    assert platform_env[CANARY] and CANARY not in env  # a secret of the platform's shell
    assert "XDG_CONFIG_HOME" in platform_env and "XDG_CONFIG_HOME" not in env
    fp.delete("clean-env")
