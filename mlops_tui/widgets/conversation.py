"""The guide's chat transcript: assistant and user messages, live progress, commands and results.

A bounded list of small ``Static`` bubbles in a scroll view: cheap to append to, and it keeps
following the newest message unless the person scrolled up to read something older. Messages
quote the platform (job logs and messages, server errors), so every bubble's text goes through
the one sanitiser: never markup, never a control sequence.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from rich.console import RenderableType
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from mlops_tui.services.terminal_text import plain
from mlops_tui.widgets import step_marks
from mlops_tui.widgets.safe_text import clean_text, outside

MAX_MESSAGES = 200
TAIL_LINES = 6


def command_text(commands: Iterable[str], title: str) -> Text:
    """Shell commands under a ``# title`` comment, one ``$`` prompt each."""
    text = Text()
    text.append(f"# {title}", "italic")
    for command in commands:
        if command:
            text.append(f"\n$ {command}")
    return text


def _safe(content: RenderableType) -> RenderableType:
    if isinstance(content, str):
        return outside(content)
    return clean_text(content) if isinstance(content, Text) else content


class Bubble(Static):
    """One message. ``kind`` (assistant, user, command, result, error, note) picks its style."""

    def __init__(self, content: RenderableType, kind: str = "assistant", **kwargs) -> None:
        super().__init__(_safe(content), markup=False, **kwargs)
        self.kind = kind
        self.add_class(f"-{kind}")

    def update(self, content: RenderableType = "", *, layout: bool = True) -> None:
        super().update(_safe(content), layout=layout)

    @property
    def plain(self) -> str:
        """The message as plain text."""
        content = self.content
        return content.plain if isinstance(content, Text) else str(content)


class ProgressBubble(Bubble):
    """A message that changes while a step runs: a status line, a metric line and a log tail."""

    def __init__(self, title: str, **kwargs) -> None:
        self.title = title
        self.status = "starting…"
        self.metric = ""
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        super().__init__(self._content(), kind="progress", **kwargs)

    def _content(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")  # a live tail: one row per line
        text.append(f"⟳ {self.title}", "bold")
        text.append(f"  {self.status}", "italic")
        if self.metric:
            text.append(f"\n{self.metric}", "bold")
        for line in self.tail:
            text.append(f"\n│ {line}", "dim")
        return text

    def set(self, *, status: str | None = None, metric: str | None = None, line: str | None = None) -> None:
        if status is not None:
            self.status = plain(status)
        if metric is not None:
            self.metric = plain(metric)
        if line is not None:
            self.tail.append(plain(line).rstrip()[:200])
        self.update(self._content())
        self._grew()

    def _grew(self) -> None:
        parent = self.parent
        if isinstance(parent, Conversation):
            parent.changed()

    def refused(self, status: str) -> None:
        """Nothing was sent (the platform refused a value before it made anything): no state mark,
        grey, the step keeps the state it had."""
        self.remove_class("-progress")
        self.add_class("-na")
        self.status = plain(status)
        self.update(Text.assemble((self.title, "bold"), (f"  {self.status}", "italic")))

    def finish(self, ok: bool | None, status: str) -> None:
        """``ok`` True: done (✔); False: failed (✖); None: an optional step not available here (⊘,
        grey: neither a success nor a fault)."""
        self.remove_class("-progress")
        self.add_class({True: "-done", False: "-failed", None: "-na"}[ok])
        self.title = step_marks.mark({True: "done", False: "failed", None: "optional"}[ok]) + " " + self.title
        self.status = plain(status)
        text = Text()
        text.append(self.title, "bold")
        text.append(f"  {status}", "italic")
        if self.metric and not self.metric.startswith("metrics"):  # the result repeats the metrics
            text.append(f"\n{self.metric}", "bold")
        if not ok:
            for line in self.tail:
                text.append(f"\n│ {line}", "dim")
        self.update(text)
        self._grew()


class Conversation(VerticalScroll, can_focus=False):
    """The transcript. The input line keeps the focus; this only scrolls (mouse or page keys)."""

    def __init__(self, *, keep: int = MAX_MESSAGES, **kwargs) -> None:
        super().__init__(**kwargs)
        self.keep = keep
        self.follow = True  # keep the newest message in view; paging up stops it until the end

    def _add(self, bubble: Bubble, before: Bubble | None = None) -> Bubble:
        if before is not None and before.parent is self:
            self.mount(bubble, before=before)
        else:
            self.mount(bubble)
        extra = len(self.children) - self.keep
        if extra > 0:
            for old in list(self.children)[:extra]:
                old.remove()
        self.changed()
        return bubble

    def changed(self) -> None:
        """A message was added or grew: show the end unless the person is reading older ones."""
        if self.follow:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def on_mouse_scroll_up(self) -> None:
        self.follow = False

    def page_up(self) -> None:
        self.follow = False
        self.scroll_page_up(animate=False)

    def page_down(self) -> None:
        self.scroll_page_down(animate=False)
        if self.scroll_y >= self.max_scroll_y - self.size.height:
            self.to_end()

    def to_end(self) -> None:
        self.follow = True
        self.scroll_end(animate=False)

    def say(self, content: RenderableType, kind: str = "assistant") -> Bubble:
        return self._add(Bubble(content, kind))

    def user(self, text: str) -> Bubble:
        return self._add(Bubble(Text(f"▸ {plain(text)}"), "user"))

    def error(self, message: str, title: str = "") -> Bubble:
        text = Text()
        if title:
            text.append(f"{plain(title)}: ", "bold")
        text.append(plain(message))
        return self._add(Bubble(text, "error"))

    def result(self, content: RenderableType) -> Bubble:
        return self._add(Bubble(content, "result"))

    def commands(
        self, commands: Iterable[str], title: str = "equivalent commands", before: Bubble | None = None
    ) -> Bubble | None:
        """A block of shell commands; ``before`` puts it above a live progress message."""
        lines = [c for c in commands if c]
        if not lines:
            return None
        return self._add(Bubble(command_text(lines, title), "command"), before)

    def progress(self, title: str) -> ProgressBubble:
        bubble = ProgressBubble(title)
        self._add(bubble)
        return bubble

    def clear(self) -> None:
        self.remove_children()

    @property
    def messages(self) -> list[Bubble]:
        return [c for c in self.children if isinstance(c, Bubble)]

    def transcript(self) -> str:
        """All messages as plain text (what a test or a copy wants)."""
        return "\n".join(bubble.plain for bubble in self.messages)
