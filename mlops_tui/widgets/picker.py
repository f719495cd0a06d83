"""A type-to-filter picker: an input that narrows a list of options as you type (zones, enums).

Keyboard only: type part of a name (or an id), ↑/↓ move in the matches, enter picks, tab picks
the highlighted match and moves on (or, with the list closed, what the typed text names, read by
``resolver``), esc closes the list. The list itself never takes the focus, so tab never lands in
it. ``value`` is the picked option's value (None until one is picked).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual import events, on
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Region
from textual.message import Message
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

# text -> matching values, best first; LookupError for text it cannot match (the zone table
# refuses more than 8 words or 64 characters): the picker lists no match then, as it types
Matcher = Callable[[str], list[Any]]


class PickerInput(Input):
    """The picker's text field. It keeps its cursor in view when its width changes: the list that
    opens under it as a key is typed makes the form scroll, and the form's scrollbar takes two
    columns, after Input scrolled for that key, so the key and the cursor were past the right edge
    until the next one ("LaGuardia Airport (Queens)" picked, then x, showed no x). Only in the
    focused field: one not focused keeps showing its start."""

    def on_resize(self, event: events.Resize) -> None:
        if not self.has_focus:  # a field left shows the start (Picker._show_start_unless_typing)
            return
        at = cell_len(self.value[: self.cursor_position]) + (self.cursor_position == len(self.value))
        self.scroll_to_region(Region(at, 0, 1, 1), force=True, animate=False)


class Picker(Vertical):
    """``options`` is a sequence of (value, label); ``matcher`` overrides the substring search."""

    DEFAULT_CSS = """
    Picker { height: auto; }
    Picker > OptionList {
        display: none; max-height: 7; border: none; background: $boost;
        text-wrap: nowrap; text-overflow: ellipsis;  /* one line a match: nowrap alone still folds */
    }
    Picker.-open > OptionList { display: block; }
    Picker > Input.-picked { color: $success; }
    """
    BINDINGS = [
        Binding("down", "move(1)", show=False),
        Binding("up", "move(-1)", show=False),
        Binding("escape", "close", show=False),
        # priority: run as the key arrives, so the keys typed after a tab go to the next field even
        # when this one has not caught up yet (a binding that bubbles runs after them)
        Binding("tab", "accept_next", show=False, priority=True),
    ]

    class Picked(Message):
        def __init__(self, picker: Picker, value: Any) -> None:
            super().__init__()
            self.picker = picker
            self.value = value

        @property
        def control(self) -> Picker:
            return self.picker

    def __init__(
        self,
        options: Sequence[tuple[Any, str]],
        *,
        value: Any = None,
        matcher: Matcher | None = None,
        resolver: Callable[[str], Any] | None = None,
        placeholder: str = "type to search…",
        limit: int = 40,
        id: str | None = None,
    ) -> None:
        """``resolver`` maps typed text to one value or raises LookupError (the zone resolver)."""
        super().__init__(id=id)
        self.options = list(options)
        self._labels = dict(self.options)
        self.matcher = matcher
        self.resolver = resolver
        self.limit = limit
        self.value = value if value in self._labels else None
        self._placeholder = placeholder
        self._setting = False
        self._listed_for: str | None = None  # the text the option list was built for
        self._chosen = False  # the person moved the highlight (↑/↓) in the list for that text
        self._accepting = False  # tab left the field and takes its match next (_accept_typed)

    def compose(self):
        yield PickerInput(self._labels.get(self.value, ""), placeholder=self._placeholder, compact=True)
        options = OptionList()
        options.can_focus = False  # ↑/↓ move in it from the input; tab goes on to the next field
        yield options

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def label(self) -> str:
        return self._labels.get(self.value, "")

    def on_mount(self) -> None:
        self.input.set_class(self.value is not None, "-picked")

    def pick(self, value: Any) -> None:
        """Select ``value`` (programmatically or from the list)."""
        if value not in self._labels:
            return
        self.value = value
        self._setting = True
        self.input.value = self._labels[value]
        self._show_start_unless_typing()
        self._setting = False
        self.input.add_class("-picked")
        self.remove_class("-open")
        self.post_message(self.Picked(self, value))

    def _show_start_unless_typing(self) -> None:
        """In the focused field the cursor goes after the name (typing goes on there, not inside
        it); a field left shows the name from its start ("Penn Station/Madison Sq W…", not "…Sq
        West (Manhattan)"), since Input keeps the cursor's end in view."""
        self.input.cursor_position = len(self.input.value) if self.input.has_focus else 0

    @on(Input.Blurred)
    def _left(self, event: Input.Blurred) -> None:
        event.stop()
        self._show_start_unless_typing()
        if not self._accepting:  # shift+tab, esc: no list left open under a field not focused
            self.remove_class("-open")

    def matches(self, text: str) -> list[Any]:
        text = text.strip()
        if not text:
            return [v for v, _ in self.options]
        if text.isdigit():
            exact = [v for v, _ in self.options if str(v) == text]
            if exact:
                return exact
        if self.matcher is not None:
            try:
                found = [v for v in self.matcher(text) if v in self._labels]
            except LookupError:  # too long to match: a sentence typed here is named when sent
                return []
            if found:
                return found
        needle = text.lower()
        return [v for v, label in self.options if needle in label.lower()]

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != self.input.value:  # outrun: the field changed again (tab picked) since
            return
        if self._setting or (self.value is not None and event.value == self._labels[self.value]):
            return
        self.value = None
        self.input.remove_class("-picked")
        found = self.matches(event.value)[: self.limit]
        self._listed_for = event.value
        self._chosen = False
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            [
                Option(Text(f"{self._labels[v]}  [{v}]", no_wrap=True, overflow="ellipsis"), id=str(v))
                for v in found
            ]
        )
        if found:
            options.highlighted = 0
        elif event.value.strip():  # said as it is typed, not only once sent (enter says why)
            # (the typed text is just above; the list is about 20 columns wide at 80)
            options.add_option(Option("no match", disabled=True))
        self.set_class(bool(event.value.strip()), "-open")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if not self.has_class("-open") and self.value is not None:
            return  # already picked: let the form handle enter
        options = self.query_one(OptionList)
        if options.option_count and options.highlighted is not None:
            event.stop()
            self._pick_option(options.get_option_at_index(options.highlighted))
        # no match to pick: the form handles enter, and names what the text does not match

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick_option(event.option)
        self.input.focus()

    def _pick_option(self, option: Option) -> None:
        for value, _ in self.options:
            if str(value) == option.id:
                self.pick(value)
                return

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if not self.has_class("-open"):
            self.input.post_message(Input.Changed(self.input, self.input.value))
            return
        if any(not o.disabled for o in options.options):  # (not the "no match" line)
            current = options.highlighted if options.highlighted is not None else -1
            options.highlighted = max(0, min(options.option_count - 1, current + step))
            self._chosen = True

    def action_accept_next(self) -> None:
        """Tab: the next field now, then take the highlighted match (or what the typed text names)
        once this field has caught up with the keys typed before the tab."""
        self._accepting = True
        self.screen.focus_next()
        self.input.call_later(self._accept_typed)

    def _accept_typed(self) -> None:
        """The match for the text in the field now, never from a list built for older text."""
        self._accepting = False
        text = self.input.value
        unchanged = self.value is not None and text == self._labels.get(self.value)
        if not unchanged and text.strip():
            options = self.query_one(OptionList)
            listed = self._listed_for == text and self.has_class("-open") and options.option_count
            if listed and options.highlighted is not None:
                self._pick_option(options.get_option_at_index(options.highlighted))
            elif found := self.matches(text):
                self.pick(found[0])
            elif self.resolver is not None:
                with contextlib.suppress(LookupError):  # the form names the problem when it is sent
                    self.pick(self.resolver(text))
        self.remove_class("-open")

    def resolve_typed(self) -> Any:
        """The value of the typed text by ``resolver`` (picked, too); LookupError when it names none.
        A match the person chose with ↑/↓ in the list shown for that text is taken as it is."""
        if self.value is not None:
            return self.value
        options = self.query_one(OptionList)
        shown = self._listed_for == self.input.value and self.has_class("-open")
        if self._chosen and shown and options.highlighted is not None:
            self._pick_option(options.get_option_at_index(options.highlighted))
            if self.value is not None:
                return self.value
        if self.resolver is None:
            raise LookupError("pick one of the matches (↓ then enter)")
        value = self.resolver(self.input.value)
        self.pick(value)
        if self.value != value:
            raise LookupError(f"'{self.input.value.strip()}' is not one of the places offered here")
        return value

    def action_close(self) -> None:
        from textual.actions import SkipAction

        if not self.has_class("-open"):
            raise SkipAction()
        self.remove_class("-open")
        if self.value is None and len(self.matches(self.input.value)) == 1:
            self.pick(self.matches(self.input.value)[0])
