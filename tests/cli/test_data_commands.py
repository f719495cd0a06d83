"""``mlops-tui data`` and ``lab run --data`` for real, in a fresh HOME: the real March sample is
uploaded with its profile, previewed with its reasons, trained on, and the registry's lineage names
it (issue 12, "must show")."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from .conftest import mlops

pytestmark = pytest.mark.slow

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "tlc-2019-03-sample.csv"


def _reasons(text: str) -> list[str]:
    """The `N dropped: why; e.g. row R: ...` lines, without what prefixes them."""
    return [
        line[line.index(m.group(0)) :]
        for line in text.splitlines()
        if (m := re.search(r"\d[\d,]* dropped: ", line))
    ]


@pytest.mark.shared_data
@pytest.mark.skipif(not REAL.is_file(), reason=f"real TLC sample not available ({REAL})")
def test_upload_preview_train_and_lineage_of_the_real_sample(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    try:
        up = mlops(home, "data", "upload", str(REAL), "--as", "march.csv", timeout=120)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "uploaded" in up.stdout and "to data/march.csv (671.8 KiB)" in up.stdout
        assert "687.9/687.9 kB" in up.stderr  # the progress bar's last state
        assert "rows read 6,500, rides kept 6,367, dropped 133" in up.stdout
        assert "1 dropped: outside the file's period (2019-03); e.g. row 6269" in up.stdout
        uploaded = _reasons(up.stdout)
        assert len(uploaded) == 6

        listed = mlops(home, "data", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        (march,) = [f for f in json.loads(listed.stdout) if f["path"] == "data/march.csv"]
        assert march["profile"]["kept"] == 6367
        assert march["profile"]["data"]["sha256"] == "sha256:" + hashlib.sha256(REAL.read_bytes()).hexdigest()

        preview = mlops(home, "data", "preview", "march.csv", "--fresh")
        assert preview.returncode == 0, preview.stderr
        assert "data/march.csv (profiled now):" in preview.stdout
        assert _reasons(preview.stdout) == uploaded

        run = mlops(home, "lab", "run", "--data", "march.csv", "--param", "rounds=20", timeout=300)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr
        assert "training data: data/march.csv" in run.stdout
        # the training job gives the same reasons as the preview, for every dropped ride
        in_job = [r for r in _reasons(run.stdout) if r not in ("",)]
        assert in_job[-6:] == uploaded
        digest = hashlib.sha256(REAL.read_bytes()).hexdigest()
        lineage = re.search(
            r"lineage: job (\d+), data (\S+) \((sha256:[0-9a-f]+)", run.stdout.replace("\n   ", " ")
        )
        assert lineage is not None, run.stdout[-2000:]
        assert lineage.group(2) == "data/march.csv"
        assert digest.startswith(lineage.group(3).removeprefix("sha256:"))

        removed = mlops(home, "data", "rm", "march.csv")
        assert removed.returncode == 0 and "removed data/march.csv" in removed.stdout
        again = mlops(home, "data", "preview", "march.csv")
        assert again.returncode == 1 and "no data file data/march.csv" in again.stderr
    finally:
        mlops(home, "platform", "stop", timeout=60)


def test_data_names_are_refused_by_their_rule_not_by_a_parameter_rule(tmp_path: Path) -> None:
    """`--param data=…` used to be refused "with a message about lower-case letters"."""
    home = tmp_path / "home"
    home.mkdir()
    for args in (["--param", "data=../secrets.csv"], ["--data", "march 2019.csv"], ["--data", "march.xlsx"]):
        run = mlops(home, "lab", "run", *args, timeout=60)
        assert run.returncode == 1, run.stdout + run.stderr
        assert "must name a data file of the project repository" in run.stderr
        assert "lower-case" not in run.stderr and "Traceback" not in run.stderr
        assert "mlops-tui lab run:" not in run.stdout  # refused before connecting to anything
    both = mlops(home, "lab", "run", "--data", "a.csv", "--param", "data=b.csv", timeout=60)
    assert both.returncode == 1 and "give the data once" in both.stderr
    bad = mlops(home, "data", "upload", str(tmp_path / "missing.csv"), timeout=60)
    assert bad.returncode == 1 and f"{tmp_path / 'missing.csv'} does not exist — check" in bad.stderr
