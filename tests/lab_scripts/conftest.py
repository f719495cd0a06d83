"""Fixtures for the taxi code: small synthetic trip files and one real training run per session.

The training run ships the code the way the platform does: `lab_scripts` is copied as a package
named `taxi` into a `code/<user>/` folder and run as `python -m taxi.train` with only that folder
on PYTHONPATH, so the tests also prove the code needs nothing from the rest of the app.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mlops_tui.lab_scripts.synthetic import generate, write_readme

from mlops_tui import lab_scripts

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
LAB_DIR = Path(lab_scripts.__file__).resolve().parent
SMALL_ROWS = 4000
TRAIN_ROUNDS = 80


@dataclass
class TrainRun:
    """One finished `python -m taxi.train` process and what it wrote."""

    returncode: int
    stdout: str
    stderr: str
    bundle: Path
    data: Path

    @property
    def structured(self) -> list[dict[str, Any]]:
        return [json.loads(line[len("@@mlops "):]) for line in self.stdout.splitlines()
                if line.startswith("@@mlops ")]

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [s for s in self.structured if s["type"] == kind]

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.bundle / "manifest.json").read_text())


def ship_code(dest_root: Path, package: str = "taxi") -> Path:
    """Copy the lab code as the platform does (`code/<user>/taxi/`); returns the PYTHONPATH dir."""
    target = dest_root / package
    shutil.copytree(LAB_DIR, target, ignore=shutil.ignore_patterns("__pycache__"))
    return dest_root


def run_train(code_root: Path, data: Path, output: Path, *extra: str, package: str = "taxi",
              cwd: Path | None = None, timeout: float = 120) -> TrainRun:
    env = {**os.environ, "PYTHONPATH": str(code_root), "MLOPS_JOB_ID": "7"}
    proc = subprocess.run(
        [sys.executable, "-m", f"{package}.train", "--data", str(data), "--output", str(output), *extra],
        cwd=cwd or output.parent, env=env, capture_output=True, text=True, timeout=timeout,
    )
    return TrainRun(proc.returncode, proc.stdout, proc.stderr, output, data)


@pytest.fixture(scope="session")
def code_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ship_code(tmp_path_factory.mktemp("code") / "student01")


@pytest.fixture(scope="session")
def small_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 000 synthetic rides (with their README), named like the platform's default data."""
    path = tmp_path_factory.mktemp("data") / "synthetic-small.csv"
    generate(SMALL_ROWS, seed=11).to_csv(path, index=False)
    write_readme(path, SMALL_ROWS, 11, "2019-01-01", 6)
    return path


@pytest.fixture(scope="session")
def trained(code_root: Path, small_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainRun:
    job_dir = tmp_path_factory.mktemp("job")
    run = run_train(code_root, small_csv, job_dir / "models" / "job-7", "--rounds", str(TRAIN_ROUNDS),
                    cwd=job_dir)
    assert run.returncode == 0, run.stderr
    return run


@pytest.fixture
def bundle_copy(trained: TrainRun, tmp_path: Path) -> Path:
    """A private copy of the trained bundle that a test may damage."""
    return Path(shutil.copytree(trained.bundle, tmp_path / "bundle"))


@pytest.fixture(scope="session")
def real_sample() -> Path:
    path = SHARED_DATA / "tlc-2019-03-sample.csv"
    if not path.is_file():
        pytest.skip(f"real TLC sample not available ({path})")
    return path
