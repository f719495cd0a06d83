"""Headless: ``mlops-tui --profile … status`` with stdout piped passes the exec plugin's device-code
line through to stderr while the plugin still runs (issue 7 §3)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from exec_plugins import DEVICE_LINE, HOSTILE_LINE, alive, exec_entry, seen, write_kubeconfig, write_plugin
from kdfake.world import NAMESPACE, PVC, FakeWorld


def _env(home: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MLOPS_TUI_", "DBUS_", "KUBECONFIG"))
    }
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", COLUMNS="120", MLOPS_TUI_CREDENTIALS="file")
    return env


def _sso_home(tmp_path: Path, kubeconfig: Path) -> Path:
    """A HOME whose profile ``sso`` reads ``kubeconfig`` (its exec plugin signs in)."""
    home = tmp_path / "home"
    (home / ".config" / "mlops-tui").mkdir(parents=True)
    (home / ".config" / "mlops-tui" / "profiles.toml").write_text(
        f'[profiles.sso]\nplatform = "kubernetes"\nkubeconfig = "{kubeconfig}"\nrepo_pvc = "{PVC}"\n'
    )
    return home


@pytest.mark.parametrize("line", [DEVICE_LINE, HOSTILE_LINE], ids=["plain", "with-control-sequences"])
def test_status_passes_the_device_code_line_to_stderr(world: FakeWorld, tmp_path: Path, line: str) -> None:
    """The line as it arrives, sanitised: a plugin's OSC title change and clear-screen used to be
    copied to the person's terminal."""
    world.api.tokens.add("plugin-token")
    plugin_dir = tmp_path / "plugin"
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        world.api_port,
        world.ca,
        NAMESPACE,
        exec_entry(write_plugin(plugin_dir, line)),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlops_tui.cli", "--profile", "sso", "status"],
        env=_env(_sso_home(tmp_path, kubeconfig)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None and proc.stdout is not None
    stderr_lines: list[tuple[str, bool]] = []  # (line, the plugin was still running when it arrived)

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            pid = seen(plugin_dir)["pid"] if (plugin_dir / "seen.json").exists() else 0
            stderr_lines.append((line.rstrip("\n"), bool(pid) and alive(pid)))

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    try:
        stdout = proc.stdout.read()
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=10)
    assert proc.returncode == 0, stdout + "\n".join(line for line, _ in stderr_lines)
    assert stderr_lines == [(DEVICE_LINE, True)]
    assert DEVICE_LINE not in stdout
    assert "clusters (1)" in stdout and "training-engine-shared" in stdout
    assert world.violations == []


def test_plugin_dies_with_a_hung_up_session(world: FakeWorld, tmp_path: Path) -> None:
    # SSH drops: mlops-tui gets SIGHUP and dies without cleaning up. The plugin, in its own session
    # (no terminal signals), must not be left waiting for a sign-in nobody will see.
    plugin_dir = tmp_path / "plugin"
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        world.api_port,
        world.ca,
        NAMESPACE,
        exec_entry(write_plugin(plugin_dir), "hang"),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlops_tui.cli", "--profile", "sso", "status"],
        env=_env(_sso_home(tmp_path, kubeconfig)),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        pid = seen(plugin_dir, timeout=60)["pid"]
        assert alive(pid)
        proc.send_signal(signal.SIGHUP)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(pid)
    finally:
        if proc.poll() is None:
            proc.kill()
