"""The "show me the command" pane: the curl/kubectl equivalent of what this screen just did."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static


class CommandPane(VerticalScroll, can_focus=False):
    """Collapsed: the last command on one line. Expanded (``c``): the last few, wrapped in full.

    It sits in the flow under the screen body (not docked: the footer is docked at the bottom).
    ``toggle_key`` and ``copy_key`` are what its hints tell to press: a screen whose text field
    keeps the focus (the guide) names the keys that work there.
    """

    DEFAULT_CSS = """
    CommandPane {
        height: 1; background: $boost; color: $text-muted; padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    CommandPane.-expanded { height: 8; border-top: solid $accent; color: $foreground; }
    CommandPane Static { width: 1fr; }
    """

    def __init__(self, keep: int = 10, toggle_key: str = "c", copy_key: str = "y", **kwargs) -> None:
        super().__init__(**kwargs)
        self._toggle_key = toggle_key
        self._copy_key = copy_key
        self._commands: deque[tuple[str, str]] = deque(maxlen=keep)
        self._body = Static("", markup=False)

    def compose(self):
        yield self._body

    @property
    def last(self) -> str | None:
        return self._commands[-1][1] if self._commands else None

    def add(self, what: str, command: str) -> None:
        if self._commands and self._commands[-1] == (what, command):
            return
        self._commands.append((what, command))
        self._render_body()

    def toggle(self) -> None:
        self.toggle_class("-expanded")
        self._render_body()

    def on_mount(self) -> None:
        self._render_body()

    def _render_body(self) -> None:
        if not self._commands:
            verb = "collapses" if self.has_class("-expanded") else "expands"
            hint = f"$ the equivalent command of each action appears here · {self._toggle_key} {verb}"
            self._body.update(Text(hint, "dim"))
            return
        if not self.has_class("-expanded"):
            what, command = self._commands[-1]
            line = Text.assemble(("$ ", "bold"), command)
            line.no_wrap = True
            line.overflow = "ellipsis"
            self._body.update(line)
            return
        text = Text()
        for what, command in self._commands:
            text.append(f"# {what}\n", "dim italic")
            text.append(f"{command}\n")
        text.append(f"{self._copy_key} copies the last command · {self._toggle_key} collapses", "dim")
        self._body.update(text)
        self.scroll_end(animate=False)
