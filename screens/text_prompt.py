"""A one-line question as a small dialog: enter answers (the text, maybe empty), esc cancels (None)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from mlops_tui.services.terminal_text import plain_line


class TextPrompt(ModalScreen[str | None]):
    """``question`` above an input holding ``current``; ``limit`` caps the length (the platform's).

    The count of characters shows under the input, and a longer text is refused on enter, saying
    so: an input's own ``max_length`` cuts a pasted text silently, and the rest was never sent."""

    DEFAULT_CSS = """
    TextPrompt { align: center top; background: $background 30%; }
    TextPrompt #prompt-box { width: 72; max-width: 95%; height: auto; margin-top: 3; }
    TextPrompt #prompt-question { padding: 0 1; background: $panel; }
    TextPrompt Input { border: tall $accent; }
    TextPrompt #prompt-count { padding: 0 1; background: $panel; color: $text-muted; }
    TextPrompt #prompt-count.-over { color: $error; text-style: bold; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, current: str, question: str, *, limit: int | None = None) -> None:
        super().__init__()
        self.current = plain_line(" ".join(current.split()))  # one line, no terminal controls
        self.question = question
        self.limit = limit

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(self.question, id="prompt-question", markup=False)
            yield Input(self.current, id="prompt-input")
            if self.limit:
                yield Static(self._count(self.current), id="prompt-count", markup=False)

    def _count(self, value: str) -> str:
        return f"{len(value.strip())} of at most {self.limit} characters"

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.limit:
            count = self.query_one("#prompt-count", Static)
            count.update(self._count(event.value))
            count.set_class(len(event.value.strip()) > self.limit, "-over")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if self.limit and len(text) > self.limit:
            self.query_one("#prompt-count", Static).update(
                f"{len(text)} characters: at most {self.limit}, shorten it (nothing was sent)"
            )
            return
        self.dismiss(text)
