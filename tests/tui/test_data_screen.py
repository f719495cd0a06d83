"""The Data screen at 80x24, keyboard only, against the real platform: upload a trip file through the
file picker, see its profile (the lab code's reasons), refuse a bad name, remove the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from mlops_tui.screens.data import DataScreen
from mlops_tui.screens.file_picker import FilePickerScreen
from mlops_tui.screens.job_form import JobFormScreen
from textual.widgets import DirectoryTree, Input, Static

from mlops_tui.widgets.tables import LiveTable

from .conftest import wait_for

NAME = "pilot-rides.csv"


def _rides(path: Path, n: int = 120) -> Path:
    pickup = pd.date_range("2019-03-04 09:00:00", periods=n, freq="7min")
    frame = pd.DataFrame(
        {
            "tpep_pickup_datetime": pickup,
            "tpep_dropoff_datetime": pickup + pd.Timedelta(minutes=12),
            "passenger_count": 1,
            "trip_distance": 2.1,
            "PULocationID": 68,
            "DOLocationID": 144,
        }
    )
    frame.loc[3, "trip_distance"] = 0.0
    frame.loc[7, "PULocationID"] = 264
    frame.to_csv(path, index=False)
    return path


def _text(screen: Any) -> str:
    return str(screen.query_one("#profile-text", Static).render())


def _names(screen: Any) -> list[str]:
    return [key for key, _ in screen.query_one("#tbl-data", LiveTable)._rows]


async def test_upload_profile_and_remove_with_the_keyboard(
    make_app: Any, adapter: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "rides"
    folder.mkdir()
    _rides(folder / "march-rides.csv")
    (folder / "notes.txt").write_text("not a data file")
    monkeypatch.chdir(folder)
    app = make_app(adapter, first_mode="data")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, DataScreen)
        await wait_for(
            pilot, lambda: "data/NYCTaxi/synthetic-yellow-2019H1.csv" in _names(screen), what="the data files"
        )
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, FilePickerScreen), what="the file picker")
        picker = app.screen
        tree = picker.query_one(DirectoryTree)
        await wait_for(pilot, lambda: len(tree.root.children) == 1, what="the folder's data files")
        assert str(tree.root.children[0].label) == "march-rides.csv"  # notes.txt is not shown
        await pilot.press("down", "enter")
        name = picker.query_one("#picker-name", Input)
        assert name.value == "march-rides.csv" and app.focused is name
        name.value = ""
        await pilot.press(*"bad name.csv", "ctrl+s")
        said = str(picker.query_one("#picker-error", Static).render())
        assert "must name a data file" in said
        # the name as typed, not a Python repr; and one that would be accepted (item 7)
        assert said.startswith("bad name.csv is refused as a data file name") and said.endswith(
            "— e.g. bad-name.csv"
        ), said
        name.value = ""
        await pilot.press(*NAME, "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, DataScreen), what="the picker to close")
        await wait_for(pilot, lambda: f"data/{NAME}" in _names(screen), timeout=30, what="the upload")

        table = screen.query_one("#tbl-data", LiveTable)
        table.focus()
        row = _names(screen).index(f"data/{NAME}")
        table.move_cursor(row=row)
        await wait_for(
            pilot, lambda: "rows read 120, rides kept 118, dropped 2" in _text(screen), what="the profile"
        )
        text = _text(screen)
        assert "1 dropped: distance zero or negative; e.g. row 4: trip_distance=0.0" in text
        assert "1 dropped: pickup or dropoff zone unknown" in text and "PULocationID=264" in text
        assert "period 2019-03" in text

        # t: the Train dialog on that file
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, JobFormScreen), what="the Train dialog")
        assert app.screen.query_one("#f-data", Input).value == f"data/{NAME}"
        await pilot.press("escape")
        await wait_for(
            pilot,
            lambda: app.current_mode == "training" and not isinstance(app.screen, JobFormScreen),
            what="the dialog to close",
        )
        await pilot.press("8")
        await wait_for(pilot, lambda: isinstance(app.screen, DataScreen), what="the Data screen again")
        table = screen.query_one("#tbl-data", LiveTable)
        table.focus()
        table.move_cursor(row=_names(screen).index(f"data/{NAME}"))
        await pilot.pause(0.2)

        await pilot.press("x")
        await pilot.pause(0.3)
        await pilot.press("y")
        await wait_for(pilot, lambda: f"data/{NAME}" not in _names(screen), what="the removal")
        names = {e.path for e in await adapter.list_repo("data/")}
        assert f"data/{NAME}" not in names and f"data/{NAME}.profile.json" not in names


async def test_read_only_hides_what_changes_the_data(make_app: Any, adapter: Any) -> None:
    """Issue 11 §8's kind on the Data screen: --read-only shows no Upload or Remove in the footer
    (what changes the tenant's shared repository), and u does nothing."""
    from .terminal_support import screen_text

    app = make_app(adapter, first_mode="data", read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        footer = screen_text(app).splitlines()[-1]
        assert "Profile" in footer
        for hidden in ("Upload", "Remove"):
            assert hidden not in footer, footer
        await pilot.press("u")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, FilePickerScreen)
