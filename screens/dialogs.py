"""Small modal dialogs: confirm a destructive action, show a block of details."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from mlops_tui.services.terminal_text import plain
from mlops_tui.widgets.safe_text import clean_text


class ConfirmScreen(ModalScreen[bool]):
    """``y``/enter confirms, ``n``/esc cancels; the safe button has the focus."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "Cancel") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question, id="dialog-question")
            with Horizontal(id="dialog-buttons"):
                yield Button(f"{self.no} (n)", id="no", variant="primary")
                yield Button(f"{self.yes} (y)", id="yes", variant="error")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class DetailScreen(ModalScreen[None]):
    """A scrollable block of text; esc or q closes. A ``str`` body may be markup (ours: quote
    outside text with ``safe_text.outside`` in a ``Text`` body instead); either passes the sanitiser."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape,q,enter", "dismiss", "Close"),
        Binding("y", "copy", "Copy"),
    ]

    def __init__(
        self, title: str, body: str | Text, *, markup: bool = True, copy_text: str | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.body = clean_text(body) if isinstance(body, Text) else plain(body)
        self.markup = markup
        self.copy_text = copy_text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail") as scroll:
            scroll.border_title = self.title_text
            scroll.border_subtitle = "esc closes" + (" · y copies" if self.copy_text else "")
            yield Static(self.body, markup=self.markup, id="detail-body")

    def action_copy(self) -> None:
        if self.copy_text:
            self.app.copy_text(self.copy_text, self.title_text)  # type: ignore[attr-defined]
