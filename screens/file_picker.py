"""Pick a local trip file to upload (Textual 8.2.8 has no file dialog): a DirectoryTree of the jump
host's disk showing folders and data files only, and the name it gets in the repository.

Keys: arrows move, enter opens a folder or picks a file, tab reaches the name and the buttons,
backspace (in the tree) goes to the parent folder, ctrl+s uploads, esc cancels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label, Static

from mlops_tui.platform import names

#: what the tree shows: the data files the taxi code reads
DATA_SUFFIXES = (".csv", ".csv.gz", ".parquet")


@dataclass(frozen=True)
class UploadChoice:
    file: Path
    name: str  # repository path, data/...


class DataFileTree(DirectoryTree):
    """Folders (hidden ones too: a file may sit in ~/.cache) and data files only; plain glyphs
    instead of emoji, which many SSH terminals draw two cells wide or not at all."""

    ICON_NODE = "▸ "
    ICON_NODE_EXPANDED = "▾ "
    ICON_FILE = "· "

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        for path in paths:
            try:
                if path.is_dir() or path.name.lower().endswith(DATA_SUFFIXES):
                    yield path
            except OSError:  # an unreadable entry is left out, not an error
                continue


class FilePickerScreen(ModalScreen[UploadChoice | None]):
    CSS_PATH = "data.tcss"
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel"),
        Binding("ctrl+s", "upload", "Upload"),
        Binding("backspace", "parent", "Parent folder", show=False),
    ]

    def __init__(self, start: Path | None = None, folder: str = "") -> None:
        """``folder``: where in data/ the name goes by default (an attendee's own, e.g.
        ``student01``: the rest of data/ is the tenant's shared data, theirs only to read)."""
        super().__init__()
        self.start = (start or Path.cwd()).resolve()
        self.folder = folder
        self.chosen: Path | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="picker") as box:
            box.border_title = "Upload a trip file (CSV, CSV.gz, Parquet)"
            box.border_subtitle = "enter picks · tab · ctrl+s uploads · esc"
            yield Static(str(self.start), id="picker-where")
            yield DataFileTree(self.start, id="picker-tree")
            with Horizontal(id="picker-name-row"):
                yield Label("Name in data/", id="picker-name-label")
                yield Input(placeholder="march.csv", id="picker-name", compact=True)
            yield Static("", id="picker-error")
            with Horizontal(id="picker-buttons"):
                yield Button("Cancel", id="picker-cancel", compact=True)
                yield Button("Upload (ctrl+s)", id="picker-upload", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one(DataFileTree).focus()

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        self.chosen = Path(event.path)
        self.query_one("#picker-where", Static).update(str(self.chosen))
        self.query_one("#picker-name", Input).value = (
            f"{self.folder}/{self.chosen.name}" if self.folder else self.chosen.name
        )
        self._problem("")
        self.query_one("#picker-name", Input).focus()

    def action_parent(self) -> None:
        tree = self.query_one(DataFileTree)
        if self.focused is not tree:
            return
        parent = Path(tree.path).resolve().parent
        tree.path = parent
        self.query_one("#picker-where", Static).update(str(parent))

    def _problem(self, text: str) -> None:
        self.query_one("#picker-error", Static).update(text)

    def action_upload(self) -> None:
        if self.chosen is None:
            self._problem("pick a file first: enter on a file in the tree")
            self.query_one(DataFileTree).focus()
            return
        raw = self.query_one("#picker-name", Input).value.strip() or (
            f"{self.folder}/{self.chosen.name}" if self.folder else self.chosen.name
        )
        try:
            name = names.data_path(raw)
        except ValueError as exc:
            better = names.suggested_data_name(raw)
            self._problem(f"{exc} — e.g. {better}" if better else str(exc))
            self.query_one("#picker-name", Input).focus()
            return
        self.dismiss(UploadChoice(self.chosen, name))

    @on(Input.Submitted, "#picker-name")
    def _name_entered(self) -> None:
        self.action_upload()

    @on(Button.Pressed, "#picker-upload")
    def _upload_pressed(self) -> None:
        self.action_upload()

    @on(Button.Pressed, "#picker-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)
