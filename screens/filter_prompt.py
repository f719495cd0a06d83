"""A one-line ``/`` filter prompt as a small dialog (for screens without an inline filter box)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Input


class FilterPrompt(ModalScreen[str | None]):
    """Enter applies the text (empty clears the filter); esc leaves the filter as it was."""

    DEFAULT_CSS = """
    FilterPrompt { align: center top; background: $background 30%; }
    FilterPrompt Input { width: 60; max-width: 95%; margin-top: 3; border: tall $accent; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, current: str = "") -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        yield Input(self.current, placeholder="filter: show rows containing… (enter applies, empty clears)")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())
