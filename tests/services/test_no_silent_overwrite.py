"""The clients never replace a person's file without being asked (issue 13 tester, item 12):
``data upload`` of a taken name, the lab's code over a scoring.py changed in the notebook.
Against the real local platform, through the local adapter."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pandas as pd
import pytest

from mlops_tui.assistant.lab_training import lab_code_files, upload_lab_code
from mlops_tui.services import datasets, errors
from mlops_tui.services.local.adapter import LocalPlatform
from mlops_tui.services.types import Credentials

from .conftest import Server


def _platform(server: Server) -> LocalPlatform:
    tenant, password = server.users["alice"]
    return LocalPlatform(Credentials(server.url, tenant, "alice", password))


def _rides(path: Path, n: int, distance: float = 2.1) -> Path:
    pickup = pd.date_range("2019-03-04 09:00:00", periods=n, freq="7min")
    pd.DataFrame(
        {
            "tpep_pickup_datetime": pickup,
            "tpep_dropoff_datetime": pickup + pd.Timedelta(minutes=12),
            "passenger_count": 1,
            "trip_distance": distance,
            "PULocationID": 68,
            "DOLocationID": 144,
        }
    ).to_csv(path, index=False)
    return path


async def test_a_data_file_of_that_name_is_kept_unless_replace(
    platform_server: Server, tmp_path: Path
) -> None:
    mine = _rides(tmp_path / "no-overwrite.csv", 80)
    (tmp_path / "other").mkdir()
    theirs = _rides(tmp_path / "other" / "no-overwrite.csv", 90, 3.0)
    async with _platform(platform_server) as p:
        first = await datasets.upload_data(p, mine)
        assert not first.unchanged and first.entry.path == "data/no-overwrite.csv"
        same = await datasets.upload_data(p, mine)  # the same content again: nothing sent
        assert same.unchanged and same.profile is not None and same.profile["rows"] == 80
        with pytest.raises(errors.AlreadyExists) as info:
            await datasets.upload_data(p, theirs)
        assert info.value.path == "data/no-overwrite.csv"
        assert str(info.value) == (
            "data/no-overwrite.csv is already in the project repository (0.0 MB) with other content; "
            f"nothing was uploaded — replace it: mlops-tui data upload {theirs} --replace; or keep both: "
            f"mlops-tui data upload {theirs} --as OTHER-NAME.csv"
        )
        assert (await datasets.preview_data(p, "no-overwrite.csv"))[0]["rows"] == 80  # still mine
        replaced = await datasets.upload_data(p, theirs, replace=True)
        assert not replaced.unchanged and replaced.profile is not None and replaced.profile["rows"] == 90
        assert (await datasets.preview_data(p, "no-overwrite.csv"))[0]["rows"] == 90
        await datasets.remove_data(p, "no-overwrite.csv")


async def test_the_lab_code_never_replaces_a_file_changed_in_the_notebook(platform_server: Server) -> None:
    code_dir = "code/alice/keep-mine"
    lab = await asyncio.to_thread(lab_code_files)
    async with _platform(platform_server) as p:
        first = await upload_lab_code(p, code_dir)
        assert sorted(first.sent) == sorted(lab) and not first.kept and not first.same
        edited = lab["scoring.py"].read_bytes() + b"\n# my change, made in the notebook\n"
        await p.upload_repo(f"{code_dir}/scoring.py", edited, replace=True)

        again = await upload_lab_code(p, code_dir)
        assert again.sent == [] and again.kept == ["scoring.py"] and len(again.same) == len(lab) - 1
        assert await p.fetch_repo(f"{code_dir}/scoring.py") == edited
        assert again.kept_note() == (
            f"kept your changed scoring.py in {code_dir}/ as it is (training uses it); to put the lab's "
            "copy back (your changes are lost): run upload --replace in the guide, or mlops-tui lab run "
            "--replace-code"
        )
        put_back = await upload_lab_code(p, code_dir, replace=True)
        assert put_back.sent == ["scoring.py"] and put_back.kept == []
        assert await p.fetch_repo(f"{code_dir}/scoring.py") == lab["scoring.py"].read_bytes()
        await p.delete_repo(code_dir)


def test_a_profile_is_shown_where_it_cannot_be_stored(tmp_path: Path) -> None:
    """Workshop tester: an attendee's profile of the tenant's shared file read the whole file, then
    ended in "Not allowed … .profile.json is the tenant's shared data". The profile is the answer;
    storing it beside the file is a cache the person may not be allowed to write."""
    csv = _rides(tmp_path / "shared.csv", 40)

    class SharedDataOnly:
        async def list_repo(self, prefix: str = "") -> list:
            from mlops_tui.services.types import RepoEntry

            return [RepoEntry("data/shared.csv", csv.stat().st_size)]

        async def fetch_repo(self, path: str) -> bytes:
            return csv.read_bytes()

        async def upload_repo(self, path: str, content: bytes, **kwargs: object) -> None:
            raise errors.Forbidden(f"{path} is the tenant's shared data")

    prof, computed = asyncio.run(datasets.preview_data(SharedDataOnly(), "shared.csv"))  # type: ignore[arg-type]
    assert computed and prof["rows"] == 40
