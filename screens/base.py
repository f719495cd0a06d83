"""What every screen shares: header with connection badge, command pane, ``:`` line, footer, and
the guarded way of calling the platform (errors become notifications, calls become commands).

The guide screen (``screens/guide.py``) subclasses :class:`BaseScreen` like the others.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import events, on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input
from textual.widgets.input import Selection

from mlops_tui.actions import SCREENS
from mlops_tui.widgets.command_line import CommandLine
from mlops_tui.widgets.command_pane import CommandPane
from mlops_tui.widgets.header import AppHeader
from mlops_tui.widgets.titles import NamedTitle

KEYS_CATCH_UP_S = 1.0  # (keys_caught_up) a field's queue of keys is handled within this

#: The keys that act on every screen even where a form takes type-ahead: the screen keys, ':' (the
#: command line) and '?' (help), as the footer shows them.
SCREEN_KEYS = frozenset({key for _, _, key in SCREENS} | {":", "?"})

if TYPE_CHECKING:
    from mlops_tui.app import MlopsApp

T = TypeVar("T")


def guarded(what: str) -> Callable[[Callable[..., Awaitable[T]]], Callable[..., Awaitable[T | None]]]:
    """Decorate an async screen/widget method so any failure becomes a notification, never a crash.

    Use under ``@work``: ``@work(exclusive=True) @guarded("Submit job") async def submit(self): ...``
    """

    def decorate(fn: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T | None]]:
        @functools.wraps(fn)
        async def wrapper(self: Widget, *args: Any, **kwargs: Any) -> T | None:
            try:
                return await fn(self, *args, **kwargs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # every failure reaches the person as a message
                self.app.report_error(exc, what)  # type: ignore[attr-defined]
                return None

        return wrapper

    return decorate


class BaseScreen(Screen):
    """A top-level screen (one per app mode)."""

    MODE: ClassVar[str] = ""
    TITLE_TEXT: ClassVar[str] = ""
    HELP: ClassVar[str] = ""  # markdown shown by ``?`` above the key list
    DESTRUCTIVE_ACTIONS: ClassVar[frozenset[str]] = frozenset()  # hidden and refused when read-only
    COMMAND_PANE_KEYS: ClassVar[tuple[str, str]] = ("c", "y")  # (expand, copy) as the pane's hints say

    BINDINGS = [
        Binding("c", "toggle_commands", "Cmd", tooltip="Show the equivalent curl/kubectl commands"),
        Binding("y", "copy_command", "Copy cmd", show=False),
        Binding("escape", "escape", "Back", show=False),
    ]
    #: A form screen (Login, Predict) arrives with no field focused, so that the screen keys work
    #: on the first visit as on every later one (1-8, ':', '?'). Any other character typed while no
    #: text field has the focus is the start of what the person came to type: it goes to this
    #: field (`type_ahead_field`), never to a one-letter command (a newcomer typing a password on
    #: arrival opened the command line with its ':' and showed the rest in clear; typing a zone
    #: copied the auth token to the clipboard with its 'y'). Such screens use ctrl+y and ':'.
    TYPES_AHEAD: ClassVar[bool] = False

    @property
    def mlops(self) -> MlopsApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield AppHeader(self.MODE)
        yield from self.compose_body()
        toggle_key, copy_key = self.COMMAND_PANE_KEYS
        yield CommandPane(id="command-pane", toggle_key=toggle_key, copy_key=copy_key)
        yield CommandLine()
        yield Footer()

    def compose_body(self) -> Iterable[Widget]:
        return ()

    # -- app state -----------------------------------------------------------------------------

    def on_mount(self) -> None:
        app = self.mlops
        app.status_changed.subscribe(self, self._status_changed)
        app.data_changed.subscribe(self, self.on_data)
        app.platform_changed.subscribe(self, self._platform_changed)
        self._status_changed(None)

    def type_ahead_field(self) -> Input | None:
        """The field a character typed with no field focused goes to (`TYPES_AHEAD`)."""
        return None

    def on_key(self, event: events.Key) -> None:
        if not self.TYPES_AHEAD or not event.is_printable or isinstance(self.focused, Input):
            return
        if event.character is None or event.character in SCREEN_KEYS or event.character == " ":
            return
        field = self.type_ahead_field()
        if field is None or field.disabled or not field.display:
            return
        event.stop()
        event.prevent_default()
        # focused now, not later (Widget.focus defers it): the keys already on their way then go
        # to the field too, in order, after this one
        self.set_focus(field)
        field.selection = Selection(0, len(field.value))
        # the key itself, queued after the field's focus: it replaces the field's text
        field.post_message(events.Key(event.key, event.character))

    async def keys_caught_up(self) -> None:
        """Wait until every field of the screen has handled the keys that arrived before now.

        Why: a ``priority`` binding (ctrl+s sends, logs in) runs the moment the app reads its key,
        while the characters typed just before it still wait in their field's queue: in one burst
        (a fast typist over SSH, a password manager typing "password⏎" as "…^s") it read the form
        without them. A field's ``call_later`` runs after what is queued before it; bounded by
        KEYS_CATCH_UP_S, so a field that stopped never holds the action up."""
        loop = asyncio.get_running_loop()
        fields = list(self.query(Input))
        # then what their messages bubble to (a Picker un-picks on its text's Changed), nearest
        # first; not the screen or the app, whose queue may be the one running this (the
        # callers are workers, bindings run by the app, and the screen's own handlers)
        around = {id(w): w for f in fields for w in f.ancestors if isinstance(w, Widget)}
        pumps = fields + [w for w in around.values() if w is not self and w not in fields]
        for field in pumps:
            if not field.is_running:
                continue
            done: asyncio.Future[None] = loop.create_future()
            field.call_later(lambda done=done: done.done() or done.set_result(None))
            try:
                async with asyncio.timeout(KEYS_CATCH_UP_S):
                    await done
            except TimeoutError:
                return

    def on_screen_resume(self) -> None:
        self._status_changed(None)
        self.call_after_refresh(NamedTitle.fit_all, self)

    def on_resize(self) -> None:
        """Titles that name an owner's object are fitted to the new width (widgets/titles.py)."""
        self.call_after_refresh(NamedTitle.fit_all, self)

    def _status_changed(self, _: object) -> None:
        app = self.mlops
        for header in self.query(AppHeader):
            header.show(who=app.who, status=app.connection, read_only=app.read_only)

    def _platform_changed(self, _: object) -> None:
        self.on_platform_changed()

    def on_platform_changed(self) -> None:
        """Called when a new platform (profile switch, re-connect) replaces the old one."""

    def on_data(self, topic: str) -> None:
        """Called when a polled topic (``clusters``, ``jobs``, ``registry``, ``deployments``,
        ``latency``) has new data in ``app.data``."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in self.DESTRUCTIVE_ACTIONS and self.mlops.read_only)

    # -- equivalent commands ---------------------------------------------------------------------

    @property
    def command_pane(self) -> CommandPane:
        return self.query_one(CommandPane)

    def show_command(self, what: str, command: str) -> None:
        self.command_pane.add(what, command)

    def action_toggle_commands(self) -> None:
        self.command_pane.toggle()

    def action_copy_command(self) -> None:
        command = self.command_pane.last
        if command is None:
            self.notify("No command yet: take an action first.", severity="warning")
            return
        self.mlops.copy_text(command, "command")

    async def call(self, what: str, op: str, fn: Callable[[], Awaitable[T]], **params: Any) -> T:
        """Await a platform call and show its equivalent command (even when it fails)."""
        platform = self.mlops.require_platform()
        started = datetime.now(UTC)
        try:
            return await fn()
        finally:
            record = next(
                (c for c in reversed(platform.calls) if c.op == op and c.at >= started),
                None,
            )
            command = record.command if record else None
            if command is None:
                try:
                    command = platform.equivalent(op, **params)
                except Exception:
                    command = None
            if command:
                self.show_command(what, command)

    @on(CommandLine.Run)
    async def _run_command_line(self, event: CommandLine.Run) -> None:
        await self.mlops.run_command_line(event.text)

    def action_escape(self) -> None:
        """Esc in a field leaves the field (keys become commands again); otherwise the app goes back."""
        if isinstance(self.focused, Input):
            self.set_focus(None)
            return
        raise SkipAction()

    def action_filter(self) -> None:
        """``/``: screens with something to filter override this."""
        self.notify("Nothing to filter on this screen.", severity="warning", timeout=2)
