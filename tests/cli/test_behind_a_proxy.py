"""The whole workshop on a jump host whose shell exports proxies (for pip): ``http_proxy`` and
``https_proxy`` (both spellings, and ``ALL_PROXY``) point at a dead proxy. Everything the app
talks to is its own platform on loopback, so ``lab run``, ``status`` and ``predict`` must work as if
they were unset, starting exactly one platform.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from .conftest import CLI, home_env

pytestmark = pytest.mark.slow

DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens
PROXIES = {
    name: DEAD_PROXY
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
}


def _mlops(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in home_env(home).items() if k.lower() != "no_proxy"}
    return subprocess.run(
        [*CLI, *args],
        env={**env, **PROXIES},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=home,
    )


def test_lab_run_status_and_predict_with_dead_proxies(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    try:
        run = _mlops(home, "lab", "run", "--param", "rounds=20", timeout=300)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr
        assert "Labs 1-5 completed" in run.stdout and "Traceback" not in run.stdout + run.stderr
        value = re.search(r"predicted travel time: [^(]+\((\d+\.\d) s\)", run.stdout).group(1)

        status = _mlops(home, "status")
        assert status.returncode == 0, status.stderr
        assert status.stdout.startswith("platform  http://127.0.0.1:")
        predict = _mlops(home, "predict", "--example")
        assert predict.returncode == 0, predict.stderr
        assert f"({value} s)" in predict.stdout

        log = (home / ".local/state/mlops-tui/platform/logs/platform.log").read_text()
        assert log.count("listening on") == 1  # one platform, started once
        assert "already running" not in log
    finally:
        _mlops(home, "platform", "stop", timeout=60)
