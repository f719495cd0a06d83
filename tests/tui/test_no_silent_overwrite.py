"""In the TUI a person's file is replaced only after their yes (issue 13 tester, item 12): the Data
screen's upload to a taken name, and the Train dialog's "upload the lab's code first" over a
scoring.py changed in the notebook. ``n`` keeps the file as it was; ``y`` replaces it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mlops_tui.screens.data import DataScreen
from mlops_tui.screens.dialogs import ConfirmScreen
from mlops_tui.screens.file_picker import FilePickerScreen
from mlops_tui.screens.job_form import JobFormScreen
from textual.widgets import DirectoryTree, Input

from mlops_tui.app import MlopsApp
from mlops_tui.assistant.lab_training import lab_code_files
from mlops_tui.services import datasets, errors
from mlops_tui.services.types import RepoEntry
from mlops_tui.widgets.connection import Link

from .conftest import wait_for
from .fixed_platform import T0, FixedPlatform, frozen_clock
from .test_data_screen import _rides

NAME = "pilot-taken.csv"


def _notes(app: MlopsApp) -> str:
    return " | ".join(str(n.message) for n in app._notifications)


async def test_the_data_screen_asks_before_it_replaces_a_data_file(
    make_app: Any, adapter: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = _rides(tmp_path / "theirs.csv", 60)
    await datasets.upload_data(adapter, theirs, NAME)  # someone's data file of that name
    folder = tmp_path / "mine"
    folder.mkdir()
    _rides(folder / "mine.csv", 120)
    monkeypatch.chdir(folder)
    app = make_app(adapter, first_mode="data")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, DataScreen)
        # before the platform is connected, u says so instead of opening the picker
        await wait_for(pilot, lambda: app.link.platform is not None and app.connection.link is Link.CONNECTED)
        for answer in ("n", "y"):
            await pilot.press("u")
            await wait_for(pilot, lambda: isinstance(app.screen, FilePickerScreen), what="the picker")
            picker = app.screen
            tree = picker.query_one(DirectoryTree)
            await wait_for(pilot, lambda tree=tree: len(tree.root.children) == 1, what="the file")
            await pilot.press("down", "enter")
            picker.query_one("#picker-name", Input).value = ""
            await pilot.press(*NAME, "ctrl+s")
            dialog = await wait_for(
                pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, 30, "the question"
            )
            assert dialog.question.startswith(f"data/{NAME} is already in the project repository")
            assert dialog.question.endswith("Replace it with mine.csv? Its old content is lost.")
            await pilot.press(answer)
            await wait_for(pilot, lambda dialog=dialog: app.screen is not dialog, what="the answer")
            await wait_for(pilot, lambda: not screen.busy, 30, "the upload to end")
            rows = (await datasets.preview_data(adapter, NAME, store=False))[0]["rows"]
            if answer == "n":
                assert rows == 60 and f"{NAME} kept as it was; nothing uploaded." in _notes(app)
            else:
                assert rows == 120
        await datasets.remove_data(adapter, NAME)


class NotebookChangedScoring(FixedPlatform):
    """The lab's code is in code/alice/taxi, and scoring.py was changed there in the notebook."""

    def __init__(self) -> None:
        super().__init__()
        self.files = {f"code/alice/taxi/{n}": f.read_bytes() for n, f in lab_code_files().items()}
        self.files["code/alice/taxi/scoring.py"] += b"\n# alice's change, made in the notebook\n"
        self.submitted = 0

    async def list_repo(self, prefix: str = "") -> list[RepoEntry]:
        mine = [RepoEntry(p, len(c), modified_at=T0) for p, c in self.files.items() if p.startswith(prefix)]
        return [*mine, *await super().list_repo(prefix)]

    async def fetch_repo(self, path: str) -> bytes:
        return self.files[path]

    async def upload_repo(
        self, path: str, content: bytes, *, source: str | None = None, replace: bool = False
    ) -> RepoEntry:
        if path in self.files and not replace:
            raise errors.AlreadyExists(f"{path} already exists", path=path)
        self.files[path] = content
        return RepoEntry(path, len(content), modified_at=T0)

    async def submit_job(self, spec: Any) -> Any:
        self.submitted += 1
        return await super().submit_job(spec)


@pytest.mark.usefixtures("utc")
async def test_the_train_dialog_asks_before_the_lab_code_replaces_a_changed_file(tmp_path: Path) -> None:
    platform = NotebookChangedScoring()
    changed = platform.files["code/alice/taxi/scoring.py"]
    app = MlopsApp(
        platform,
        clock=frozen_clock,
        first_mode="training",
        poll=False,
        probe_latency=False,
        survive_errors=False,
        settings_path=tmp_path / "tui.json",
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.current_mode == "training", what="the training screen")
        for answer, scoring in (("n", changed), ("y", lab_code_files()["scoring.py"].read_bytes())):
            app.screen.set_focus(None)
            await pilot.press("n")
            form = await wait_for(pilot, lambda: isinstance(app.screen, JobFormScreen) and app.screen)
            box = form.query_one("#f-upload")
            assert not box.value  # the code is there: the dialog does not upload it by default
            box.value = True
            await pilot.press("ctrl+s")
            dialog = await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen)
            assert dialog.question.startswith(
                "scoring.py in code/alice/taxi/ changed since the lab put it there"
            )
            await pilot.press(answer)
            await wait_for(pilot, lambda dialog=dialog: app.screen is not dialog, what="the answer")
            submitted = platform.submitted
            await wait_for(pilot, lambda submitted=submitted: platform.submitted >= 1, what="the job")
            assert platform.files["code/alice/taxi/scoring.py"] == scoring
        notes = _notes(app)
        assert "kept your changed scoring.py (training uses it)" in notes and "replaced scoring.py" in notes
