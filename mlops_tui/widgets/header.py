"""The one-line header: screen tabs (with their keys), profile/tenant/user, read-only flag, badge.

The tabs double as the map of the app: the current screen is highlighted and each shows the
number key that opens it, so nobody gets lost.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from mlops_tui.actions import SCREENS
from mlops_tui.widgets.connection import ConnectionStatus, Link

_ICONS = {
    Link.OFFLINE: "○",
    Link.CONNECTING: "◌",
    Link.CONNECTED: "●",
    Link.DISCONNECTED: "✖",
    Link.RELOGIN: "↻",
}
_SHORT = {"dashboard": "Dash", "training": "Train", "registry": "Models", "login": "Login"}


class ConnectionBadge(Static):
    """``● connected`` / ``✖ disconnected, retrying in 4s`` / ``↻ re-logging in``; ticks every second."""

    DEFAULT_CSS = """
    ConnectionBadge { width: auto; padding: 0 1; }
    ConnectionBadge.-connected { color: $success; }
    ConnectionBadge.-connecting, ConnectionBadge.-relogin { color: $warning; text-style: bold; }
    ConnectionBadge.-disconnected { background: $error; color: $text; text-style: bold; }
    ConnectionBadge.-offline { color: $text-muted; }
    """

    status: reactive[ConnectionStatus] = reactive(ConnectionStatus, always_update=True, layout=True)

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.status.link is Link.DISCONNECTED:
            self.refresh(layout=True)

    def watch_status(self, status: ConnectionStatus) -> None:
        for link in Link:
            self.set_class(status.link is link, f"-{link.value}")

    def render(self) -> str:
        status = self.status
        return f"{_ICONS[status.link]} {status.label(self.app.clock())}"  # type: ignore[attr-defined]


class NavTabs(Static):
    """``1 Guide  2 Dash  3 Train …`` with the current screen highlighted."""

    DEFAULT_CSS = """
    NavTabs { width: auto; }
    """

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def render(self) -> Text:
        text = Text(no_wrap=True)
        for mode, title, key in SCREENS:
            label = _SHORT.get(mode, title)
            if mode == self.current:
                text.append(f" {key} {label} ", style="bold reverse")
            else:
                text.append(f" {key}", style="bold")
                text.append(f" {label} ", style="dim")
        return text


class AppHeader(Horizontal):
    """Where am I, as whom, and is the platform there: always visible at the top of every screen."""

    DEFAULT_CSS = """
    AppHeader { dock: top; height: 1; background: $panel; color: $foreground; }
    AppHeader #hdr-who {
        width: 1fr; padding: 0 1; color: $text-muted; text-overflow: ellipsis; text-wrap: nowrap;
        text-align: right;
    }
    AppHeader #hdr-ro { width: auto; padding: 0 1; background: $warning; color: $text; display: none; }
    AppHeader.-read-only #hdr-ro { display: block; }
    """

    who: reactive[str] = reactive("")

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def compose(self) -> ComposeResult:
        yield NavTabs(self.mode)
        yield Static("", id="hdr-who")
        yield Static("READ-ONLY", id="hdr-ro")
        yield ConnectionBadge(id="hdr-badge")

    def watch_who(self, who: str) -> None:
        self.query_one("#hdr-who", Static).update(who)

    def show(self, *, who: str, status: ConnectionStatus, read_only: bool) -> None:
        self.who = who
        self.query_one(ConnectionBadge).status = status
        self.set_class(read_only, "-read-only")
