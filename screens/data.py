"""Data: the project repository's data files with their profiles; upload one from the jump host's
disk, profile one again, remove one.

Profiles come from the lab code (``lab_scripts.data_profile`` through ``services.datasets``), so
the reasons shown for dropped rides are the ones the training job will give.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import work
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from mlops_tui.services import datasets, errors, ownership
from mlops_tui.services.units import size_text
from mlops_tui.terminal import Tone, tone_style
from mlops_tui.widgets.panel import StalePanel
from mlops_tui.widgets.safe_text import outside_markup
from mlops_tui.widgets.tables import LiveTable
from mlops_tui.widgets.titles import NamedTitle

from .base import BaseScreen, guarded
from .dialogs import ConfirmScreen
from .file_picker import FilePickerScreen


def profile_text(path: str, prof: dict[str, Any] | None, stale: bool = False) -> Text:
    """The profile of one file for the detail panel."""
    if prof is None:
        why = "its stored profile is older than the file" if stale else "it has no profile yet"
        return Text(f"{path}: {why}. Press p to profile it (reads the whole file).", style="dim")
    from mlops_tui.lab_scripts.data_profile import describe

    text = Text()
    for n, line in enumerate(describe(prof)):
        style = "bold" if n < 2 else ("yellow" if "dropped:" in line else "")
        text.append(line + "\n", style=style)
    return text


def profile_state(file: datasets.DataFile) -> Text:
    """A data file's state, for its own column (which a narrow table keeps whole): ``profiled``,
    ``stale`` (the file changed since its profile was stored) or ``not profiled``."""
    if file.stale:
        return Text("stale", style=tone_style(Tone.WARN))
    if file.profile is None:
        return Text("not profiled", style=tone_style(Tone.MUTED))
    return Text("profiled", style=tone_style(Tone.OK))


class DataScreen(BaseScreen):
    MODE = "data"
    TITLE_TEXT = "Data"
    CSS_PATH = "data.tcss"
    HELP = (
        "The data files in data/ of the project repository, each with its profile: rows read, rides "
        "kept, rides dropped by reason (with an example each), the period, the zones seen, duration "
        "and distance. [b]u[/b] uploads a trip file from this machine (CSV, CSV.gz or Parquet), "
        "[b]p[/b] profiles the selected file again, [b]x[/b] removes it, [b]t[/b] opens the Train "
        "dialog on it (also: the guide's [b]train data=NAME[/b])."
    )
    # read-only (attendees) look: uploading and removing change what the whole tenant shares
    DESTRUCTIVE_ACTIONS = frozenset({"upload", "remove"})
    BINDINGS = [
        Binding("u", "upload", "Upload"),
        Binding("p", "profile", "Profile"),
        Binding("t", "train", "Train on it"),
        Binding("x", "remove", "Remove"),
        Binding("slash", "filter", "Filter", key_display="/"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, datasets.DataFile] = {}
        self.busy = ""

    def compose_body(self) -> Iterable[Widget]:
        with Vertical(id="data-body"):
            with StalePanel("Data files", id="panel-files", stale_after=1e9):
                yield LiveTable(
                    "NAME", "STATE", "SIZE", "PROFILE", id="tbl-data", empty="no data files: press u"
                )
            with (
                StalePanel("Profile", id="panel-profile", stale_after=1e9),
                VerticalScroll(id="profile-scroll"),
            ):
                yield Static("Select a data file.", id="profile-text")

    def on_mount(self) -> None:
        super().on_mount()
        self.load()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.load()

    def on_platform_changed(self) -> None:
        self.load()

    def action_refresh(self) -> None:
        self.load()

    # -- list ------------------------------------------------------------------------------------

    @work(group="data-list", exclusive=True, exit_on_error=False)
    @guarded("List the data files")
    async def load(self) -> None:
        if self.mlops.platform is None:
            return
        p = self.mlops.require_platform()
        files = await self.call("list data files", "list_repo", lambda: datasets.list_data(p), prefix="data/")
        self.files = {f.path: f for f in files}
        rows = [
            (
                f.path,
                [
                    f.name,
                    profile_state(f),
                    size_text(f.entry.size),
                    datasets.summary(f.profile) if f.profile else "",
                ],
            )
            for f in files
        ]
        self.query_one("#tbl-data", LiveTable).show(rows)
        self.query_one("#panel-files", StalePanel).mark_updated()
        self._show_selected()

    def on_data_table_row_highlighted(self, _: object) -> None:
        self._show_selected()

    def _selected(self) -> datasets.DataFile | None:
        key = self.query_one("#tbl-data", LiveTable).selected_key
        return self.files.get(key) if key else None

    def _show_selected(self) -> None:
        if self.busy:
            return
        selected = self._selected()
        body = self.query_one("#profile-text", Static)
        if selected is None:
            body.update("Select a data file, or press u to upload one.")
            return
        body.update(profile_text(selected.path, selected.profile, selected.stale))
        panel = self.query_one("#panel-profile", Vertical)
        NamedTitle.set(panel, selected.name, "Profile · ")
        panel.border_subtitle = ""

    def _status(self, text: str) -> None:
        self.query_one("#profile-text", Static).update(Text(text, style="italic"))

    # -- actions ---------------------------------------------------------------------------------

    def action_filter(self) -> None:
        from .filter_prompt import FilterPrompt

        table = self.query_one("#tbl-data", LiveTable)

        def apply(text: str | None) -> None:
            if text is not None:
                table.set_filter(text)

        self.app.push_screen(FilterPrompt(table.filter_text), apply)

    @work(group="data-action", exclusive=True, exit_on_error=False)
    @guarded("Upload a data file")
    async def action_upload(self) -> None:
        if not self.mlops.require_writable("Uploading a data file"):
            return
        p = self.mlops.require_platform()
        here = Path.cwd()  # where mlops-tui was started, else the home folder
        start = here if here != Path("/") else Path(os.environ.get("HOME") or "/")
        user, role = self.mlops.me
        own = ownership.own_folders(user)[2].removeprefix("data/") if role == ownership.ATTENDEE else ""
        choice = await self.app.push_screen_wait(FilePickerScreen(start, folder=own))
        if choice is None:
            return
        self.busy = choice.name
        self._status(f"Profiling {choice.file} (reads the whole file)…")

        def progress(sent: int, total: int) -> None:
            self._status(
                f"Uploading {choice.file.name} as {choice.name}: {size_text(sent)} of {size_text(total)} "
                f"({100 * sent / max(total, 1):.0f}%)"
            )

        async def upload(replace: bool) -> datasets.Uploaded:
            return await self.call(
                "upload a data file",
                "upload_repo",
                lambda: datasets.upload_data(p, choice.file, choice.name, progress=progress, replace=replace),
                path=choice.name,
                source=str(choice.file),
                replace=replace,
            )

        try:
            try:
                done = await upload(replace=False)
            except errors.AlreadyExists as exc:  # never replaced without the person's yes
                self._status("")
                question = f"{exc.message}.\nReplace it with {choice.file.name}? Its old content is lost."
                if not await self.app.push_screen_wait(
                    ConfirmScreen(outside_markup(question), yes="Replace")
                ):
                    self.notify(f"{choice.name} kept as it was; nothing uploaded.", title="Data", timeout=5)
                    return
                done = await upload(replace=True)
        finally:
            self.busy = ""
        said = "is already there with the same content" if done.unchanged else "uploaded"
        self.notify(f"{done.entry.path} {said}: {datasets.summary(done.profile)}", title="Data", timeout=6)
        self.load()

    async def action_train(self) -> None:
        selected = self._selected()
        if selected is None:
            self.notify("Select a data file first.", severity="warning")
            return
        self.mlops.intent = ("train-data", selected.path)
        await self.mlops.goto("training")

    @work(group="data-action", exclusive=True, exit_on_error=False)
    @guarded("Profile the data file")
    async def action_profile(self) -> None:
        selected = self._selected()
        if selected is None:
            self.notify("Select a data file first.", severity="warning")
            return
        p = self.mlops.require_platform()
        self.busy = selected.path
        self._status(f"Reading {selected.path} and profiling it…")
        try:
            prof, _ = await self.call(
                "profile a data file",
                "fetch_repo",
                lambda: datasets.preview_data(p, selected.path, fresh=True, store=not self.mlops.read_only),
                path=selected.path,
            )
        finally:
            self.busy = ""
        self.files[selected.path] = datasets.DataFile(selected.entry, prof)
        self.query_one("#profile-text", Static).update(profile_text(selected.path, prof))
        self.load()

    @work(group="data-action", exclusive=True, exit_on_error=False)
    @guarded("Remove the data file")
    async def action_remove(self) -> None:
        selected = self._selected()
        if selected is None:
            self.notify("Select a data file first.", severity="warning")
            return
        if not await self.app.push_screen_wait(
            ConfirmScreen(f"Remove {selected.path} from the repository?", yes="Remove")
        ):
            return
        p = self.mlops.require_platform()
        path = await self.call(
            "remove a data file",
            "delete_repo",
            lambda: datasets.remove_data(p, selected.path),
            path=selected.path,
        )
        self.notify(f"Removed {path}.", title="Data", timeout=4)
        self.load()
