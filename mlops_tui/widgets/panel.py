"""A bordered panel that says how fresh its data is ("updated 4s ago") in its bottom border."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.containers import Vertical

from mlops_tui.services.terminal_text import plain
from mlops_tui.widgets.format import ago


class StalePanel(Vertical):
    """Titled panel; ``mark_updated`` after each successful poll, ``mark_failed`` after a failed one.

    Data older than ``stale_after`` seconds (or a failed poll) turns the subtitle to a warning, so a
    person never mistakes old numbers for live ones while the platform is away.
    """

    DEFAULT_CSS = """
    StalePanel { border: round $primary 60%; height: 1fr; padding: 0 1; }
    StalePanel:focus-within { border: round $accent; }
    StalePanel.-stale { border-subtitle-color: $warning; }
    """

    def __init__(self, title: str, *children, stale_after: float = 15.0, **kwargs) -> None:
        super().__init__(*children, **kwargs)
        self.border_title = title
        self.stale_after = stale_after
        self.updated_at: datetime | None = None
        self.failure = ""

    def on_mount(self) -> None:
        self._render_age()
        self.set_interval(1.0, self._render_age)

    def mark_updated(self, at: datetime | None = None) -> None:
        self.updated_at = at or self.app.clock()  # type: ignore[attr-defined]
        self.failure = ""
        self._render_age()

    def mark_failed(self, reason: str) -> None:
        """``reason`` often quotes the platform's error: it is shown sanitised, as plain text."""
        self.failure = plain(reason)
        self._render_age()

    def _render_age(self) -> None:
        now = self.app.clock()  # type: ignore[attr-defined]
        age = ago(self.updated_at, now)
        stale = (
            bool(self.failure)
            or self.updated_at is None
            or ((now - self.updated_at).total_seconds() > self.stale_after)
        )
        self.set_class(stale and self.updated_at is not None, "-stale")
        text = "waiting for data" if self.updated_at is None else f"updated {age}"
        if self.failure:
            text += f" · {self.failure}"
        self.border_subtitle = Text(text)  # plain text: a reason may hold "["
