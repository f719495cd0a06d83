"""The k9s-style ``:`` prompt: type a screen or action name (Tab completes), Enter runs it."""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input

from mlops_tui import actions


class CommandLine(Input):
    """Hidden until ``:``; posts :class:`CommandLine.Run` with the text, or hides on Esc."""

    DEFAULT_CSS = """
    CommandLine { dock: bottom; display: none; border: tall $accent; height: 3; margin: 0 0 1 0; }
    CommandLine.-open { display: block; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", show=False),
        Binding("tab", "complete", "Complete", show=False),
    ]

    class Run(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, extra_words: list[str] | None = None) -> None:
        words = sorted({w for a in actions.ACTIONS for w in a.words if len(w) > 1} | set(extra_words or []))
        super().__init__(
            placeholder=": screen or action — guide dashboard training registry predict login help quit",
            suggester=SuggestFromList(words, case_sensitive=False),
            id="command-line",
        )

    def open(self) -> None:
        self.value = ""
        self.add_class("-open")
        self.focus()

    def action_complete(self) -> None:
        """Tab takes the suggested completion (the dim text after the cursor)."""
        if self._suggestion:
            self.value = self._suggestion
            self.cursor_position = len(self.value)

    def action_close(self) -> None:
        self.remove_class("-open")
        self.value = ""
        self.screen.focus_next()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        self.action_close()
        if text:
            self.post_message(self.Run(text))
