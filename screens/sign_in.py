"""The sign-in modal: what the kubeconfig's exec credential plugin says while it runs (issue 7 §3).

A plugin such as ``kubectl oidc-login`` prints a device-code line on stderr ("To sign in, open
https://login.example/device and enter the code WXYZ-1234") and waits for the person. The plugin
never gets the terminal (the adapter runs it with a null stdin and pipes); its lines come here
through :class:`SignInPresenter`, the adapter's ``exec_listener``. The modal shows the text, the
URL and the code (``c`` copies the code, ``y`` the URL, over OSC 52, which works through SSH and
tmux), and ``esc`` cancels: the plugin's process group is killed and the sign-in fails with
"sign-in cancelled", which the app reports; nothing else is lost. The modal closes by itself when
the plugin finishes.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from mlops_tui.services.kubernetes.exec_credential import PluginRun, sign_in_hint
from mlops_tui.services.terminal_text import plain
from mlops_tui.widgets.safe_text import outside_styled

if TYPE_CHECKING:
    from textual.app import App


class SignInScreen(ModalScreen[None]):
    """One running plugin's messages; ``c``/``y`` copy the code/URL, ``esc`` cancels the sign-in."""

    CSS_PATH = "sign_in.tcss"
    BINDINGS = [
        Binding("c", "copy_code", "Copy code"),
        Binding("y", "copy_url", "Copy URL"),
        Binding("escape", "cancel", "Cancel sign-in"),
    ]

    def __init__(self, run: PluginRun) -> None:
        super().__init__()
        self.run = run

    def compose(self) -> ComposeResult:
        with Vertical(id="sign-in") as box:
            box.border_title = f"Sign in: {self.run.name}"
            box.border_subtitle = "c copies the code · y copies the URL · esc cancels"
            yield Static(id="sign-in-text")
            yield Static(id="sign-in-url")
            yield Static(id="sign-in-code")
            yield Static(
                f"The plugin has up to {self.run.deadline_s:g} s; this closes when it finishes.",
                id="sign-in-note",
            )

    def on_mount(self) -> None:
        self.refresh_text()

    def on_screen_resume(self) -> None:
        # back on top after another dialog closed, and the plugin ended meanwhile
        if self.run.finished and self.is_current:
            self.dismiss()

    @property
    def text(self) -> str:
        """The plugin's lines so far as a terminal shows them (the one sanitiser: no title change,
        no clear-screen, nothing that is not text reaches the screen or the clipboard)."""
        return plain(self.run.text)

    @property
    def url(self) -> str | None:
        return sign_in_hint(self.text)[0]

    @property
    def code(self) -> str | None:
        return sign_in_hint(self.text)[1]

    def refresh_text(self) -> None:
        """Show the plugin's lines so far (called as each arrives)."""
        url, code = sign_in_hint(self.text)
        # Its colours are kept; every other control sequence is removed (services/terminal_text.py).
        self.query_one("#sign-in-text", Static).update(outside_styled(self.run.text))
        self.query_one("#sign-in-url", Static).update(Text.assemble(("URL   ", "bold"), url or "-"))
        code_text = Text.assemble(("Code  ", "bold"), (code or "-", "reverse"))
        self.query_one("#sign-in-code", Static).update(code_text)

    def action_copy_code(self) -> None:
        self._copy(self.code, "sign-in code")

    def action_copy_url(self) -> None:
        self._copy(self.url, "sign-in URL")

    def _copy(self, value: str | None, what: str) -> None:
        if value is None:  # no code/URL recognised: the whole message is the next best thing
            value, what = self.text, "sign-in message"
        self.app.copy_text(value, what)  # type: ignore[attr-defined]

    def action_cancel(self) -> None:
        self.run.cancel()
        self.dismiss()


class SignInPresenter:
    """The adapter's ``exec_listener`` in the TUI: the first line opens a :class:`SignInScreen`,
    later lines update it, the plugin's end closes it. Safe to call from any thread."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.screens: dict[int, SignInScreen] = {}

    def _on_app_thread(self, fn: Any, *args: Any) -> bool:
        if threading.get_ident() != self.app._thread_id:  # type: ignore[attr-defined]
            self.app.call_from_thread(fn, *args)
            return False
        return True

    def exec_output(self, run: PluginRun, line: str) -> None:
        if not self._on_app_thread(self.exec_output, run, line) or run.cancelled:
            return
        screen = self.screens.get(id(run))
        if screen is None:
            screen = self.screens[id(run)] = SignInScreen(run)
            self.app.push_screen(screen)
        elif screen.is_mounted:
            screen.refresh_text()

    def exec_finished(self, run: PluginRun) -> None:
        if not self._on_app_thread(self.exec_finished, run):
            return
        screen = self.screens.pop(id(run), None)
        stack = self.app.screen_stack  # empty once the app has closed
        if screen is not None and stack and stack[-1] is screen:
            screen.dismiss()  # under another dialog it closes itself when it comes back on top
