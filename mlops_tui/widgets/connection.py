"""The connection state the header badge shows, independent of where it comes from (the poller)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Link(StrEnum):
    OFFLINE = "offline"  # not logged in (yet)
    CONNECTING = "connecting"  # starting the platform / logging in
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # unreachable; retrying at ``retry_at``
    RELOGIN = "relogin"  # session expired; logging in again with the stored credentials
    REFUSED = "refused"  # the stored password was refused: nothing retries it (a new one is needed)


SUMMARY_CELLS = 20


@dataclass(frozen=True)
class ConnectionStatus:
    """``degraded``: the reasons a connected platform gives for running degraded (``/health``),
    e.g. ``"disk full: a write to /…/platform.db failed …"``; empty when it is healthy."""

    link: Link = Link.OFFLINE
    retry_at: datetime | None = None
    detail: str = ""
    degraded: tuple[str, ...] = ()

    @property
    def is_degraded(self) -> bool:
        return self.link is Link.CONNECTED and bool(self.degraded)

    def degraded_summary(self) -> str:
        """The kinds of trouble, each once, e.g. ``"disk full"`` (a reason's words before its colon;
        at most ``SUMMARY_CELLS`` characters: the badge must fit a 60-column header)."""
        kinds = dict.fromkeys(reason.split(":", 1)[0].strip() for reason in self.degraded)
        summary = ", ".join(k for k in kinds if k) or "degraded"
        return summary if len(summary) <= SUMMARY_CELLS else summary[: SUMMARY_CELLS - 1] + "…"

    def label(self, now: datetime) -> str:
        """The badge text, e.g. ``"disconnected, retrying in 4s"``, ``"connected · degraded: disk full"``."""
        if self.is_degraded:
            return f"connected · degraded: {self.degraded_summary()}"
        if self.link is Link.DISCONNECTED:
            if self.retry_at is None:
                return "disconnected, retrying"
            seconds = max(0, round((self.retry_at - now).total_seconds()))
            return f"disconnected, retrying in {seconds}s" if seconds else "disconnected, retrying now"
        return {
            Link.OFFLINE: "not logged in",
            Link.CONNECTING: "connecting",
            Link.CONNECTED: "connected",
            Link.RELOGIN: "re-logging in",
            Link.REFUSED: "password refused",
        }[self.link]

    def short_label(self, now: datetime) -> str:
        """The badge text where a header has no room for :meth:`label` (under about 60 columns):
        the state and the countdown stay, e.g. ``"retry in 4s"``, ``"disk full"``."""
        if self.is_degraded:
            return self.degraded_summary()
        if self.link is Link.DISCONNECTED:
            if self.retry_at is None:
                return "retrying"
            seconds = max(0, round((self.retry_at - now).total_seconds()))
            return f"retry in {seconds}s" if seconds else "retry now"
        return {
            Link.OFFLINE: "offline",
            Link.CONNECTING: "connecting",
            Link.CONNECTED: "connected",
            Link.RELOGIN: "re-login",
            Link.REFUSED: "refused",
        }[self.link]
