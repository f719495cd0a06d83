"""The guide's input line: typed commands, their history and completion, and the screen keys."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import events
from textual.binding import Binding
from textual.suggester import SuggestFromList
from textual.widgets import Input
from textual.widgets.input import Selection

from mlops_tui.actions import SCREENS


class GuideInput(Input):
    """The guide's input line, with a history (up/down) and completion of command words (right).

    While it is empty, the app's keys do what they do on every other screen and what the footer
    then shows, instead of being typed: the screen keys (1-6, 8) switch screens, ``:`` opens the
    command line and ``?`` the help (no guide command starts with a digit, ``:`` or ``?``). Once
    something is typed they are text: "what next?" asks the guide.
    """

    SCREEN_KEYS = frozenset(key for _, _, key in SCREENS)
    APP_KEYS = SCREEN_KEYS | {":", "?"}
    BINDINGS: ClassVar = [
        Binding("up", "history(-1)", "Previous", show=False),
        Binding("down", "history(1)", "Next", show=False),
    ]
    WORDS = (
        "help", "status", "next", "back", "skip", "train", "logs", "predict from ", "show curl",
        "show commands", "goto lab ", "zones ", "copy", "clear", "quit", "run ",
    )  # fmt: skip

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(suggester=SuggestFromList(self.WORDS, case_sensitive=False), **kwargs)
        self.history: list[str] = []
        self._back = 0  # how far up the history the person went
        self._was_empty = True  # the line's state the footer was last drawn for

    def remember(self, line: str) -> None:
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)
            del self.history[:-100]
        self._back = 0

    def give_back(self, line: str) -> None:
        """Put a refused command back to be corrected (unless something new is typed already),
        selected: an arrow key or Home/End edits it, typing replaces it (as a browser's address
        bar gives back a line it could not open), so a new command is never glued to the old."""
        if line and not self.value:
            self.value = line
            self.selection = Selection(0, len(line))
            self._back = 0

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        self._back = max(0, min(len(self.history), self._back - step))
        self.value = self.history[-self._back] if self._back else ""
        self.cursor_position = len(self.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        """The footer draws ``:`` and ``?`` while the line is empty (when they act, not typed):
        Textual redraws it on a focus change only, so the line's becoming empty or not asks."""
        if event.input is self and (not event.value) != self._was_empty:
            self._was_empty = not event.value
            self.refresh_bindings()

    def _passes(self, character: str | None) -> bool:
        return not self.value and character is not None and character in self.APP_KEYS

    def check_consume_key(self, key: str, character: str | None) -> bool:
        return not self._passes(character) and super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls each class's handler in turn: preventing the default skips Input's
        # (which would type the key) and the key bubbles on to the app's binding.
        if self._passes(event.character):
            event.prevent_default()
