"""A name is shown as the person typed it, and shell-quoted inside a suggested command (issue 13
tester, item 7): ``data upload "my rides.csv"`` used to answer ``data 'my rides.csv' must name …``,
a Python repr nobody typed. Both refusals below come before any platform is started."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .conftest import mlops

RULE = (
    "is refused as a data file name: it must name a data file of the project repository: a name such "
    "as march.csv or data/NYCTaxi/march.csv"
)


def test_a_file_name_with_a_space_is_named_as_typed_and_the_command_it_suggests_pastes(
    tmp_path: Path,
) -> None:
    (tmp_path / "my rides.csv").write_text("VendorID\n")
    run = mlops(tmp_path, "data", "upload", "my rides.csv", timeout=60)
    assert run.returncode == 1 and run.stdout == "", run
    line = run.stderr.strip()
    assert line.startswith(f"mlops-tui: my rides.csv {RULE}"), line
    suggested = "mlops-tui data upload 'my rides.csv' --as my-rides.csv"
    assert line.endswith(f"— upload it under a name such as my-rides.csv: {suggested}"), line
    assert "'my rides.csv' must" not in line and '"my rides.csv"' not in line
    # pasted into bash, the suggested command passes the file's name as one word
    words = subprocess.run(
        ["bash", "-c", suggested.replace("mlops-tui", "printf '%s\\n'", 1)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert words == ["data", "upload", "my rides.csv", "--as", "my-rides.csv"]


def test_a_missing_file_with_a_space_is_named_as_typed(tmp_path: Path) -> None:
    run = mlops(tmp_path, "data", "upload", "no such.csv", timeout=60)
    assert run.returncode == 1, run
    assert (
        run.stderr
        == f"mlops-tui: no such.csv does not exist in {tmp_path} — check the file's name and folder\n"
    )


def test_a_quote_in_a_name_is_shown_as_typed_and_quoted_for_the_shell(tmp_path: Path) -> None:
    (tmp_path / "it's.csv").write_text("VendorID\n")
    run = mlops(tmp_path, "data", "upload", "it's.csv", timeout=60)
    assert run.stderr.startswith(f"mlops-tui: it's.csv {RULE}"), run.stderr
    assert """mlops-tui data upload 'it'"'"'s.csv' --as it-s.csv""" in run.stderr
    named = mlops(tmp_path, "data", "upload", "it's.csv", "--as", "rides 2.csv", timeout=60)
    assert named.stderr.startswith(f"mlops-tui: rides 2.csv {RULE}"), named.stderr
    assert named.stderr.rstrip().endswith("— choose a name such as rides-2.csv"), named.stderr
