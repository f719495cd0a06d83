"""``mlops-tui data upload`` never replaces a data file without ``--replace`` (issue 13 tester,
item 12), on a real local platform: the same content again is "already there", other content is
refused with the commands that replace it or keep both (which work when pasted), ``--replace``
replaces it."""

from __future__ import annotations

import getpass
import shlex
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from local_platform_support import PlatformFactory


def _rides(path: Path, n: int) -> Path:
    """``n`` TLC 2019 rides, one every 7 minutes, each 12 minutes long."""
    start = datetime(2019, 3, 4, 9)
    rows = [
        f"{start + timedelta(minutes=7 * i)},{start + timedelta(minutes=7 * i + 12)},1,2.1,68,144"
        for i in range(n)
    ]
    head = (
        "tpep_pickup_datetime,tpep_dropoff_datetime,passenger_count,trip_distance,PULocationID,DOLocationID"
    )
    path.write_text("\n".join([head, *rows]) + "\n")
    return path


def test_data_upload_refuses_a_taken_name_and_replace_replaces(platform_factory: PlatformFactory) -> None:
    platform: Any = platform_factory.new("no-overwrite-cli")
    added = platform.cli(
        "platform", "add-user", "--user", getpass.getuser(), "--password-stdin", "--remember", stdin="pw"
    )
    assert added.returncode == 0, added.stderr
    mine = _rides(platform.home / "my rides.csv", 70)
    (platform.home / "new").mkdir()
    newer = _rides(platform.home / "new" / "my rides.csv", 90)

    first = platform.cli("data", "upload", str(mine), "--as", "rides.csv")
    assert first.returncode == 0, first.stderr
    assert f"uploaded {mine} to data/rides.csv" in first.stdout

    same = platform.cli("data", "upload", str(mine), "--as", "rides.csv")
    assert same.returncode == 0, same.stderr
    assert "data/rides.csv is already in the project repository with the same content: nothing to upload" in (
        same.stdout
    )

    other = platform.cli("data", "upload", str(newer), "--as", "rides.csv")
    assert other.returncode == 1 and other.stdout == ""
    line = other.stderr.strip()
    quoted = shlex.quote(str(newer))
    assert line == (
        "mlops-tui: data/rides.csv is already in the project repository (0.0 MB) with other content; "
        f"nothing was uploaded — replace it: mlops-tui data upload {quoted} --as rides.csv --replace; "
        f"or keep both: mlops-tui data upload {quoted} --as OTHER-NAME.csv"
    ), line
    listed = platform.cli("data", "preview", "rides.csv")
    assert "rows read 70" in listed.stdout, listed.stdout  # still mine

    suggested = line.split("replace it: ", 1)[1].split(";", 1)[0]
    assert shlex.split(suggested)[3] == str(newer)  # the suggested command pastes: one word
    replaced = platform.cli(*shlex.split(suggested)[1:])
    assert replaced.returncode == 0, replaced.stderr
    assert "rows read 90" in platform.cli("data", "preview", "rides.csv").stdout
