"""The facilitator's message to the class, as a line above the guide's conversation (workshop mode).

It follows the live link's ``broadcast`` topic (polled for workshop accounts, ``live.py``): it
appears within one poll of the facilitator sending it, changes when they change it and goes when
they clear it. The app also announces each new message once as a notification.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from mlops_tui.services.types import Broadcast
from mlops_tui.widgets.safe_text import outside


class BroadcastBanner(Static):
    """Hidden while there is no message; otherwise ``Facilitator: <message>`` (up to 3 lines)."""

    DEFAULT_CSS = """
    BroadcastBanner {
        display: none; height: auto; max-height: 3; padding: 0 1;
        background: $panel; color: $foreground; border-left: outer $accent;
    }
    BroadcastBanner.-open { display: block; }
    """

    def on_mount(self) -> None:
        app = self.app
        app.data_changed.subscribe(self, self._data_changed)  # type: ignore[attr-defined]
        self.show(app.data.get("broadcast"))  # type: ignore[attr-defined]

    def _data_changed(self, topic: str) -> None:
        if topic == "broadcast":
            self.show(self.app.data.get("broadcast"))  # type: ignore[attr-defined]

    def show(self, broadcast: Broadcast | None) -> None:
        open_ = broadcast is not None and bool(broadcast.message)
        self.set_class(open_, "-open")
        if broadcast is not None and open_:
            text = Text("Facilitator: ", style="bold")
            text.append_text(outside(broadcast.message))  # the platform's text: sanitised
            self.update(text)
