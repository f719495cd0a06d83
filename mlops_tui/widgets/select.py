"""``Select`` without a start-up race.

Textual 8.2.8's ``Select._on_mount`` writes the selected label into its ``SelectCurrent`` child,
which may not have composed its ``#label`` yet when the machine is busy: the mount then fails
with ``NoMatches`` and the whole screen is left half built. This subclass runs that set-up once
the child is ready.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Select


class SafeSelect(Select):
    def _on_mount(self, event: events.Mount) -> None:
        event.prevent_default()  # Select._on_mount runs below, when the label exists
        Widget._on_mount(self, event)
        self._init_when_ready(event)

    @property
    def ready(self) -> bool:
        return bool(self.is_attached and self.query("SelectCurrent #label"))

    def set_value(self, value: object) -> None:
        """Set ``value`` now, or as soon as the select can show it."""
        if not self.is_attached:
            return
        if not self.ready:
            self.call_after_refresh(self.set_value, value)
            return
        self.value = value

    def set_options_safely(self, options: list, value: object = None) -> None:
        if not self.is_attached:
            return
        if not self.ready:
            self.call_after_refresh(self.set_options_safely, options, value)
            return
        self.set_options(options)
        if value is not None:
            self.value = value

    def _init_when_ready(self, event: events.Mount) -> None:
        if not self.is_attached:
            return
        if not self.query("SelectCurrent #label"):
            self.call_after_refresh(self._init_when_ready, event)
            return
        Select._on_mount(self, event)
