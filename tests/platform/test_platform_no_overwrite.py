"""No upload replaces a file silently (issue 13 tester, item 12): ``PUT /repo/{path}`` on a taken
path used to rename the new file over the old one. Now it is refused (409 ``exists``, naming the
path, nothing written) unless the client asks with ``?replace=true``; the check holds at the
moment the file is put in place too (``link(2)``, which never replaces)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from local_platform_support import V1

from mlops_tui.platform.errors import ApiError
from mlops_tui.platform.repo import Repo


def test_an_upload_to_a_taken_path_is_refused_unless_replace(api: httpx.Client, local_platform: Any) -> None:
    path = "code/student01/notebook-work/scoring.py"
    first = api.put(f"{V1}/repo/{path}", content=b"# mine, edited in the notebook\n")
    assert first.status_code == 201, first.text
    again = api.put(f"{V1}/repo/{path}", content=b"# the lab's copy\n")
    assert again.status_code == 409, again.text
    body = again.json()
    assert body["code"] == "exists" and body["field"] == "path" and body["path"] == path
    assert body["error"].startswith(
        f"path: {path} already exists in the project repository; nothing was written"
    )
    assert "replace=true" in body["error"]
    assert api.get(f"{V1}/repo/{path}").content == b"# mine, edited in the notebook\n"
    folder = local_platform.state_dir / "repo" / "k8smltenant" / "code" / "student01" / "notebook-work"
    assert sorted(p.name for p in folder.iterdir()) == ["scoring.py"]  # no temporary file left

    replaced = api.put(f"{V1}/repo/{path}", params={"replace": "true"}, content=b"# the lab's copy\n")
    assert replaced.status_code == 201, replaced.text
    assert api.get(f"{V1}/repo/{path}").content == b"# the lab's copy\n"
    assert api.delete(f"{V1}/repo/code/student01/notebook-work").status_code == 204


def test_a_name_taken_while_the_upload_streams_is_not_replaced(tmp_path: Path) -> None:
    """The race: the name is free when the upload starts, taken before it is put in place."""
    repo = Repo(tmp_path)
    repo.ensure()
    upload = repo.open_upload("data/march.csv")
    try:
        upload.write(b"theirs\n")
        (tmp_path / "data" / "march.csv").write_bytes(b"mine\n")  # someone else, meanwhile
        with pytest.raises(ApiError) as info:
            upload.commit()
    finally:
        upload.close()
    assert info.value.status == 409 and info.value.code == "exists" and info.value.path == "data/march.csv"
    assert (tmp_path / "data" / "march.csv").read_bytes() == b"mine\n"
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["march.csv"]
