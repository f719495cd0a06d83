"""The one-line header: screen tabs (with their keys), profile/tenant/user, read-only flag, badge.

The tabs double as the map of the app: the current screen is highlighted and each shows the
number key that opens it, so nobody gets lost. The connection badge has priority over everything
else on the line: when the header is narrow the tabs shrink to their keys first, then READ-ONLY to
RO, and only below about 55 columns the badge to its short form (which keeps the countdown).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Resize
from textual.reactive import reactive
from textual.widgets import Static

from mlops_tui.actions import SCREENS
from mlops_tui.widgets.connection import ConnectionStatus, Link
from mlops_tui.widgets.titles import fit_parts

_ICONS = {
    Link.OFFLINE: "○",
    Link.CONNECTING: "◌",
    Link.CONNECTED: "●",
    Link.DISCONNECTED: "✖",
    Link.RELOGIN: "↻",
    Link.REFUSED: "✖",
}
_SHORT = {"dashboard": "Dash", "training": "Train", "registry": "Models", "login": "Login"}
_PADDING = 2  # ConnectionBadge and #hdr-ro have one cell of padding on each side


class ConnectionBadge(Static):
    """``● connected`` / ``✖ disconnected, retrying in 4s`` / ``↻ re-logging in``; ticks every second.
    A connected platform that says it is degraded (``/health``): ``⚠ connected · degraded: disk
    full``, in the warning style (the dashboard gives the reasons in full).

    ``short`` (set by the header when it lacks room): ``✖ retry in 4s``, ``↻ re-login``, ``⚠ disk full``.
    """

    DEFAULT_CSS = """
    ConnectionBadge { width: auto; padding: 0 1; }
    ConnectionBadge.-connected { color: $success; }
    ConnectionBadge.-connected.-degraded { color: $warning; text-style: bold; }
    ConnectionBadge.-connecting, ConnectionBadge.-relogin { color: $warning; text-style: bold; }
    ConnectionBadge.-disconnected { background: $error; color: $text; text-style: bold; }
    ConnectionBadge.-offline { color: $text-muted; }
    """

    status: reactive[ConnectionStatus] = reactive(ConnectionStatus, always_update=True, layout=True)
    short: reactive[bool] = reactive(False, layout=True)

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.status.link is Link.DISCONNECTED:
            self.refresh(layout=True)

    def watch_status(self, status: ConnectionStatus) -> None:
        for link in Link:
            self.set_class(status.link is link, f"-{link.value}")
        self.set_class(status.is_degraded, "-degraded")

    def text(self, *, short: bool | None = None) -> str:
        """What the badge shows now (``short`` None: as it is set)."""
        status = self.status
        now = self.app.clock()  # type: ignore[attr-defined]
        use_short = self.short if short is None else short
        label = status.short_label(now) if use_short else status.label(now)
        return f"{'⚠' if status.is_degraded else _ICONS[status.link]} {label}"

    def render(self) -> str:
        return self.text()


class NavTabs(Static):
    """``1 Guide  2 Dash  3 Train …`` with the current screen highlighted; ``compact``:
    ``1 Guide  2 3 4 5 6`` (the keys stay, only the current screen keeps its name)."""

    DEFAULT_CSS = """
    NavTabs { width: auto; }
    """

    compact: reactive[bool] = reactive(False, layout=True)

    def __init__(self, current: str) -> None:
        super().__init__()
        self.current = current

    def tabs(self, *, compact: bool | None = None) -> Text:
        use_compact = self.compact if compact is None else compact
        text = Text(no_wrap=True)
        hidden = getattr(self.app, "hidden_modes", frozenset())
        for mode, title, key in SCREENS:
            if mode in hidden:
                continue
            label = _SHORT.get(mode, title)
            if mode == self.current:
                text.append(f" {key} {label} ", style="bold reverse")
            elif use_compact:
                text.append(f" {key}", style="bold")
            else:
                text.append(f" {key}", style="bold")
                text.append(f" {label} ", style="dim")
        return text

    def render(self) -> Text:
        return self.tabs()


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
        self._who_room = 0  # cells left for who (0: not laid out yet)

    def compose(self) -> ComposeResult:
        yield NavTabs(self.mode)
        yield Static("", id="hdr-who")
        yield Static("READ-ONLY", id="hdr-ro")
        yield ConnectionBadge(id="hdr-badge")

    def watch_who(self, who: str) -> None:
        self._fit()

    def _show_who(self) -> None:
        """``profile · tenant · user`` in the room left: the user id stays whole (the profile goes
        first, then the tenant is cut in the middle: widgets/titles.fit_parts)."""
        box = self.query_one("#hdr-who", Static)
        width = self._who_room  # what _fit left between the tabs and the badge
        box.update(Text(fit_parts(self.who.split(" · "), width) if width > 0 else self.who))

    def show(self, *, who: str, status: ConnectionStatus, read_only: bool) -> None:
        self.who = who
        self.query_one(ConnectionBadge).status = status
        self.set_class(read_only, "-read-only")
        self.query_one(NavTabs).refresh()  # the tabs depend on the role (app.hidden_modes)
        self._fit()

    def on_resize(self, event: Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        """Choose the widest form of tabs, flag and badge that fits (the names of who come last)."""
        width = self.size.width
        if not width or not self.is_mounted:
            return
        tabs = self.query_one(NavTabs)
        badge = self.query_one(ConnectionBadge)
        read_only = self.has_class("-read-only")
        # the badge is measured at its widest countdown, so a ticking clock never pushes it out
        widest = {short: cell_len(badge.text(short=short)) + _PADDING + 1 for short in (False, True)}
        tiers = ((False, False, False), (True, False, False), (True, True, False), (True, True, True))
        # the user id is never cut (the tenant and profile give way first): its room is kept
        user = cell_len(self.who.split(" · ")[-1]) + _PADDING if self.who else 0
        for compact_tabs, short_flag, short_badge in tiers:
            flag = (2 if short_flag else 9) + _PADDING if read_only else 0
            if tabs.tabs(compact=compact_tabs).cell_len + flag + widest[short_badge] + user <= width:
                break
        tabs.compact = compact_tabs
        used = tabs.tabs(compact=compact_tabs).cell_len + flag + widest[short_badge]
        self._who_room = width - used - _PADDING
        # An explicit width: Textual caches an auto width per container width, so tabs whose text
        # changed at the same width (compact, or a tab shown for a role) would keep the old one.
        tabs.styles.width = tabs.tabs(compact=compact_tabs).cell_len
        badge.short = short_badge
        self.query_one("#hdr-ro", Static).update("RO" if short_flag else "READ-ONLY")
        self._show_who()
