"""A one-line question as a small dialog: enter answers (the text, maybe empty), esc cancels (None)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class TextPrompt(ModalScreen[str | None]):
    """``question`` above an input holding ``current``; ``limit`` caps the length (the platform's)."""

    DEFAULT_CSS = """
    TextPrompt { align: center top; background: $background 30%; }
    TextPrompt #prompt-box { width: 72; max-width: 95%; height: auto; margin-top: 3; }
    TextPrompt #prompt-question { padding: 0 1; background: $panel; }
    TextPrompt Input { border: tall $accent; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, current: str, question: str, *, limit: int | None = None) -> None:
        super().__init__()
        self.current = current
        self.question = question
        self.limit = limit

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(self.question, id="prompt-question", markup=False)
            yield Input(self.current, max_length=self.limit or 0, id="prompt-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())
