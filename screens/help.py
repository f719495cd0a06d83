"""``?``: what this screen is for, its keys, the global keys and the ``:`` commands."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from mlops_tui import actions

GLOBAL_KEYS = (
    (actions.screen_keys(), "switch screen: " + ", ".join(title.lower() for _, title, _ in actions.SCREENS)),
    (":", "command line (Tab completes): :train, :deploy-version, :profile NAME, :theme NAME, :q"),
    ("ctrl+p", "command palette: every action, searchable"),
    ("/", "filter the current list or log"),
    ("esc", "back: close a dialog, clear a filter, or return to the previous screen"),
    ("c / y", "show the equivalent curl/kubectl commands / copy the last one (OSC 52)"),
    ("ctrl+r", "refresh everything now"),
    ("tab / shift+tab", "move between panels and fields"),
    ("ctrl+q", "quit (the local platform and its deployments keep running)"),
)


class HelpScreen(ModalScreen[None]):
    """Help for ``for_screen``; Esc, ``?`` or ``q`` closes it."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
        Binding("up,k", "scroll('up')", show=False),
        Binding("down,j", "scroll('down')", show=False),
    ]

    def __init__(self, for_screen: Screen) -> None:
        super().__init__()
        self.for_screen = for_screen

    def compose(self) -> ComposeResult:
        screen = self.for_screen
        title = getattr(screen, "TITLE_TEXT", "") or type(screen).__name__
        with VerticalScroll(id="help-body") as body:
            body.border_title = f"Help · {title}"
            body.border_subtitle = "esc closes"
            about = getattr(screen, "HELP", "")
            if about:
                yield Static(about, id="help-about", markup=True)
            yield Static(self._screen_keys(), id="help-keys")
            yield Static(self._table("Everywhere", GLOBAL_KEYS), id="help-global")
            yield Static(self._commands(), id="help-commands")

    def _screen_keys(self) -> Table | Text:
        rows = []
        seen = set()
        for binding in getattr(self.for_screen, "BINDINGS", []):
            if not isinstance(binding, Binding) or binding.action in seen:
                continue
            seen.add(binding.action)
            if self.for_screen.check_action(binding.action, ()) is False:
                continue
            keys = binding.key_display or ", ".join(k.strip() for k in binding.key.split(","))
            rows.append((keys, binding.tooltip or binding.description or binding.action))
        if not rows:
            return Text("")
        return self._table("On this screen", rows)

    def _commands(self) -> Table:
        read_only = getattr(self.app, "read_only", False)
        rows = [
            (":" + a.name, a.help + (f" ({a.screen})" if a.screen else ""))
            for a in actions.ACTIONS
            if not (a.destructive and read_only)
        ]
        return self._table("Commands", rows)

    @staticmethod
    def _table(title: str, rows) -> Table:
        table = Table(
            title=title,
            title_justify="left",
            title_style="bold",
            show_header=False,
            box=None,
            padding=(0, 1),
            expand=True,
        )
        table.add_column(style="bold", no_wrap=True, width=16)
        table.add_column(ratio=1)
        for key, what in rows:
            table.add_row(key, what)
        return table

    def action_scroll(self, direction: str) -> None:
        body = self.query_one("#help-body")
        if direction == "up":
            body.scroll_up()
        else:
            body.scroll_down()
