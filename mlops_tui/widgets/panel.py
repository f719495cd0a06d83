"""A bordered panel that says how fresh its data is ("updated just now") in its bottom border."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.containers import Vertical

from mlops_tui.services.terminal_text import plain
from mlops_tui.widgets.format import ago


def freshness(updated_at: datetime | None, now: datetime, *, stale: bool) -> str:
    """What a panel's border says about its data: ``updated just now`` while it is fresh and less
    than a minute old, ``updated 3m ago`` (whole minutes) while fresh and older, and the exact,
    ticking ``updated 23s ago`` once it is stale (a person must see it age then).

    Why not seconds all the time: a text that changes every second repaints the panel every second,
    on every screen, for hours; on an idle dashboard that was about 0.7 % of one core of the
    attendee's TUI (``benchmarks/attendee_footprint.py``), most of its idle cost.
    """
    if updated_at is None:
        return "waiting for data"
    if stale:
        return f"updated {ago(updated_at, now)}"
    seconds = max(0, int((now - updated_at).total_seconds()))
    if seconds < 60:
        return "updated just now"
    if seconds < 3600:
        return f"updated {seconds // 60}m ago"
    return f"updated {seconds // 3600}h {seconds % 3600 // 60:02d}m ago"


# Idle, every topic is polled every 15 s (live.INTERVALS["idle"]); a panel turns stale only once a
# poll is late beyond that and its answer's time.
STALE_AFTER_S = 25.0


class StalePanel(Vertical):
    """Titled panel; ``mark_updated`` after each successful poll, ``mark_failed`` after a failed one.

    Data older than ``stale_after`` seconds (or a failed poll) turns the subtitle to a warning, so a
    person never mistakes old numbers for live ones while the platform is away. The subtitle is
    redrawn only when its text changes (see :func:`freshness`).
    """

    DEFAULT_CSS = """
    StalePanel { border: round $primary 60%; height: 1fr; padding: 0 1; }
    StalePanel:focus-within { border: round $accent; }
    StalePanel.-stale { border-subtitle-color: $warning; }
    """

    def __init__(self, title: str, *children, stale_after: float = STALE_AFTER_S, **kwargs) -> None:
        super().__init__(*children, **kwargs)
        self.border_title = title
        self.stale_after = stale_after
        self.updated_at: datetime | None = None
        self.failure = ""
        self._shown: tuple[str, bool] | None = None

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
        stale = (
            bool(self.failure)
            or self.updated_at is None
            or ((now - self.updated_at).total_seconds() > self.stale_after)
        )
        text = freshness(self.updated_at, now, stale=stale and self.updated_at is not None)
        if self.failure:
            text += f" · {self.failure}"
        shown = (text, stale and self.updated_at is not None)
        if shown == self._shown:
            return
        self._shown = shown
        self.set_class(shown[1], "-stale")
        self.border_subtitle = Text(text)  # plain text: a reason may hold "["
