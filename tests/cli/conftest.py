"""``mlops-tui lab run`` once, for real, in a fresh HOME; the CLI tests share its platform.

The run starts the user's platform detached (as a person's first run does); the fixture stops it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "mlops_tui.cli"]


def home_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MLOPS_TUI_", "DBUS_"))}
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", COLUMNS="120")
    return env


def mlops(
    home: Path, *args: str, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=home_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        cwd=home,
    )


@dataclass
class LabRun:
    home: Path
    result: subprocess.CompletedProcess[str]
    seconds: float

    @property
    def stdout(self) -> str:
        return self.result.stdout

    def lab5_curl(self) -> str:
        lines = self.stdout.splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith("Paste this"))
        return lines[at + 1].strip()


@pytest.fixture(scope="session")
def lab_run(tmp_path_factory: pytest.TempPathFactory) -> LabRun:
    home = tmp_path_factory.mktemp("home-a")
    started = time.monotonic()
    result = mlops(home, "lab", "run", timeout=300)
    seconds = time.monotonic() - started
    yield LabRun(home, result, seconds)
    mlops(home, "platform", "stop", timeout=60)
