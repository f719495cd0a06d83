"""``mlops-tui lab run --profile <fake Ezmeral profile>`` as a subprocess: Labs 1-5 against the fake
gateway and API server, with every request checked against the reference."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from kdfake.world import PASSWORD, PVC, TENANT, USER, FakeWorld

pytestmark = pytest.mark.slow


def _env(home: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MLOPS_TUI_", "DBUS_", "KUBECONFIG"))
    }
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", COLUMNS="120", MLOPS_TUI_CREDENTIALS="file")
    return env


def _mlops(home: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlops_tui.cli", *args],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_lab_run_against_fake_ezmeral(world: FakeWorld, tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = home / ".config" / "mlops-tui"
    config.mkdir(parents=True)
    (config / "profiles.toml").write_text(
        'active = "fake"\n\n[profiles.fake]\nplatform = "kubernetes"\n'
        f'url = "{world.gateway_url}"\ntenant = "{TENANT}"\nuser = "{USER}"\n'
        f'ca_file = "{world.ca}"\nrepo_pvc = "{PVC}"\n'
    )
    # The password as the TUI's login would have stored it (the 0600 file fallback).
    store = (
        "from mlops_tui import credentials; import sys; "
        f"credentials.store_password('fake', '{USER}', sys.stdin.read())"
    )
    subprocess.run([sys.executable, "-c", store], env=_env(home), input=PASSWORD, text=True, check=True)

    run = _mlops(home, "lab", "run", "--profile", "fake")
    out = run.stdout
    assert run.returncode == 0, out[-4000:] + run.stderr[-3000:]
    for lab in range(1, 6):
        assert f"== Lab {lab}:" in out
    assert "kubernetes platform" in out
    # the REST login, with the profile's CA file; secrets stay in variables (issue 8)
    assert re.search(r"MLOPS_SESSION=\$\(.*\| curl --cacert ", out)
    assert PASSWORD not in out + run.stderr and not re.search(r"/api/v2/session/\w", out + run.stderr)
    assert "kubectl --kubeconfig" in out and "apply -f - <<'EOF'" in out  # kdcluster manifests as kubectl
    assert "kubedirector.hpe.com/cmType" in out
    assert re.search(r"predicted travel time: \d+ min \d\d s", out)
    assert "Traceback" not in out + run.stderr
    kubeconfig = home / ".local" / "state" / "mlops-tui" / "kubernetes" / "fake" / "config"
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    assert world.violations == []
    assert world.gateway.predictions >= 1
    # what the fake saw is the workshop's sequence
    paths = [p for _, p, _ in world.gateway.requests]
    assert paths[0] == "/api/v2/session" and "/api/v2/k8skubeconfig" in paths
    created = {
        p.split("?")[0].rsplit("/", 1)[-1] for m, p, s in world.api.requests if m == "POST" and s == 201
    }
    assert {"kubedirectorclusters", "configmaps", "jobs", "pods"} <= created
