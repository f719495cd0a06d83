"""A live log: bounded memory, follows the tail, pauses when scrolled up, filters and searches.

``LogView`` is the line-rendering core: a ``ScrollView`` that keeps the raw lines as they came in
a bounded deque and formats a line only when it is drawn (or searched, or filtered), so a job that
prints a million lines a second costs a deque append per line and a screenful of formatting per
frame. Formatting is the one sanitiser's (:mod:`mlops_tui.services.terminal_text`): SGR colours
become Rich styles, ``\\r`` frames collapse, other control sequences go. ``LiveLog`` adds the status
bar ("paused · 42 new lines") and the filter/search prompt.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Sequence

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static

from mlops_tui.services import job_output
from mlops_tui.services.terminal_text import StyledLine, has_controls, styled_line
from mlops_tui.widgets.safe_text import styled_text

MAX_LINES = 10_000
STRUCTURED_PREFIX = job_output.PREFIX
STRUCTURED_MARK = job_output.MARK
readable = job_output.readable  # a structured line as everywhere else (services/job_output.py)


def needs_formatting(raw: str) -> bool:
    """False for the usual log line, which is shown exactly as it came (three C-speed checks)."""
    return raw.startswith(STRUCTURED_PREFIX) or "\n" in raw or has_controls(raw)


def format_line(raw: str) -> StyledLine:
    """What the log shows for one raw line: sanitised, and a structured line made readable (its
    JSON holds no styles worth keeping)."""
    styled = styled_line(raw.replace("\n", " ")) if "\n" in raw else styled_line(raw)
    if styled.text.startswith(STRUCTURED_PREFIX):
        return StyledLine(readable(styled.text))
    return styled


class LogView(ScrollView, can_focus=True):
    """Renders the (optionally filtered) lines; ``seq`` numbers make pruning and filtering cheap.

    Line ``seq`` is the ``seq``-th line ever written (since the last ``clear``); the deque holds
    the last ``max_lines`` of them. Formatted lines and rendered strips are cached by ``seq``, so
    new lines never invalidate the ones already drawn.
    """

    DEFAULT_CSS = """
    LogView { background: $surface; overflow: auto auto; height: 1fr; scrollbar-size-horizontal: 0; }
    LogView .logview--match { background: $warning 60%; color: $text; text-style: bold; }
    LogView .logview--current { background: $accent; color: $text; text-style: bold; }
    LogView .logview--structured { color: $text-muted; }
    LogView .logview--error { color: $error; }
    """
    COMPONENT_CLASSES = {"logview--match", "logview--current", "logview--structured", "logview--error"}
    BINDINGS = [
        Binding("end,G", "follow", "Follow", show=False),
        Binding("home,g", "top", "Top", show=False),
        Binding("n", "next_match", "Next match", show=False),
        Binding("N", "previous_match", "Prev match", show=False),
    ]

    class Changed(Message):
        """Line counts, follow state or filter changed: the status bar re-renders."""

    following: reactive[bool] = reactive(True, init=False)

    def __init__(self, max_lines: int = MAX_LINES, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_lines = max_lines
        self._raw: deque[str] = deque(maxlen=max_lines)  # as received: formatted when needed
        self._first_seq = 0  # seq number of self._raw[0]
        self._next_seq = 0
        self._view: deque[int] | None = None  # seqs shown while a filter is active
        self._filter = ""
        self._search = ""
        self._search_re: re.Pattern[str] | None = None
        self._current_match: int | None = None  # seq of the line holding the current match
        self._width = 0
        self.new_lines = 0  # lines that arrived while paused
        self._formatted: LRUCache[int, StyledLine] = LRUCache(max_lines)  # only lines that needed it
        self._cache: LRUCache[tuple[int, int | None], Strip] = LRUCache(1024)

    # -- data ----------------------------------------------------------------------------------

    @property
    def total(self) -> int:
        return len(self._raw)

    @property
    def shown(self) -> int:
        return len(self._view) if self._view is not None else len(self._raw)

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def search_text(self) -> str:
        return self._search

    def lines(self) -> list[str]:
        """The kept lines as shown (sanitised, structured lines readable), oldest first."""
        return [self._line(self._first_seq + i) for i in range(len(self._raw))]

    def raw_lines(self) -> list[str]:
        """The kept lines exactly as they came."""
        return list(self._raw)

    def _styled(self, seq: int) -> StyledLine:
        """Line ``seq`` as shown, with its styles."""
        raw = self._raw[seq - self._first_seq]
        return self._format(seq, raw) if needs_formatting(raw) else StyledLine(raw)

    def _line(self, seq: int) -> str:
        """Line ``seq`` as shown (what filter and search look at)."""
        raw = self._raw[seq - self._first_seq]
        return self._format(seq, raw).text if needs_formatting(raw) else raw

    def _format(self, seq: int, raw: str) -> StyledLine:
        styled = self._formatted.get(seq)
        if styled is None:
            styled = format_line(raw)
            self._formatted[seq] = styled
        return styled

    def _seq_at(self, y: int) -> int | None:
        if y < 0 or y >= self.shown:
            return None
        return self._view[y] if self._view is not None else self._first_seq + y

    def _matches_filter(self, seq: int) -> bool:
        return self._filter.lower() in self._line(seq).lower()

    def write_lines(self, lines: Iterable[str], *, received: int | None = None) -> None:
        """Append raw lines (no ``\\n``); keep following the tail unless the person scrolled up.

        ``received``: how many lines arrived when ``lines`` are only the last of them (a caller
        that already dropped what would fall out at once); the others still count and number.
        Cost: a C-speed deque extend of the lines that stay, plus the filter test of those while a
        filter is on; nothing is formatted here. Call it once per batch (a frame), not per line.
        """
        batch: Sequence[str] = lines if isinstance(lines, list | tuple) else list(lines)
        added = max(len(batch), received or 0)
        if not batch:
            return
        kept = batch[-self.max_lines :] if added > self.max_lines else batch
        first_before = self._first_seq
        self._next_seq += added
        self._raw.extend(kept)  # the deque drops the oldest lines itself
        self._first_seq = self._next_seq - len(self._raw)
        self._width = max(self._width, max(map(len, kept)))  # raw length: a cheap upper bound, mostly
        shown_added = added
        if self._view is not None:
            shown_before = len(self._view)
            start = self._next_seq - len(kept)
            self._view.extend(seq for seq in range(start, self._next_seq) if self._matches_filter(seq))
            shown_added = len(self._view) - shown_before
            dropped = 0
            while self._view and self._view[0] < self._first_seq:
                self._view.popleft()
                dropped += 1
        else:
            dropped = self._first_seq - first_before
        self.virtual_size = Size(self._width + 1, self.shown)
        if self.following:
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        else:
            self.new_lines += shown_added
            if dropped:  # keep the lines the person is reading in place
                self.scroll_to(y=max(0, self.scroll_y - dropped), animate=False, immediate=True)
        self.refresh()
        self.post_message(self.Changed())

    def clear(self) -> None:
        self._raw.clear()
        self._first_seq = self._next_seq
        self._view = deque() if self._filter else None
        self._width = 0
        self.new_lines = 0
        self._current_match = None
        self._formatted.clear()
        self._cache.clear()
        self.virtual_size = Size(0, 0)
        self.following = True
        self.refresh()
        self.post_message(self.Changed())

    def set_filter(self, text: str) -> None:
        """Show only lines containing ``text`` (case-insensitive); empty shows everything."""
        self._filter = text
        if text:
            self._view = deque(
                seq for seq in range(self._first_seq, self._next_seq) if self._matches_filter(seq)
            )
        else:
            self._view = None
        self._cache.clear()
        self.virtual_size = Size(self._width + 1, self.shown)
        self.following = True
        self.new_lines = 0
        self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        self.refresh()
        self.post_message(self.Changed())

    def set_search(self, text: str) -> None:
        """Highlight ``text`` (case-insensitive) and jump to its last occurrence."""
        self._search = text
        self._search_re = re.compile(re.escape(text), re.IGNORECASE) if text else None
        self._current_match = None
        self._cache.clear()
        if text:
            self._jump(backwards=True, start=self.shown)
        self.refresh()
        self.post_message(self.Changed())

    def match_count(self) -> int:
        if self._search_re is None:
            return 0
        return sum(
            1
            for y in range(self.shown)
            if self._search_re.search(self._line(self._seq_at(y)))  # type: ignore[arg-type]
        )

    # -- following -----------------------------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        at_end = round(new_value) >= self.max_scroll_y
        if at_end and not self.following:
            self.following = True
        elif not at_end and self.following and new_value < old_value:
            self.following = False

    def watch_following(self, following: bool) -> None:
        if following:
            self.new_lines = 0
        self.post_message(self.Changed())

    def on_resize(self) -> None:
        # Lines written before the first layout could not scroll to the end: do it now.
        if self.following:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True, x_axis=False, force=True)

    def action_follow(self) -> None:
        self.following = True
        self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)

    def action_top(self) -> None:
        self.following = False
        self.scroll_home(animate=False, immediate=True)

    def _jump(self, *, backwards: bool, start: int | None = None) -> bool:
        if self._search_re is None:
            return False
        current_y = start
        if current_y is None:
            current_y = (
                self._y_of(self._current_match)
                if self._current_match is not None
                else (self.shown if backwards else -1)
            )
        ys = range(current_y - 1, -1, -1) if backwards else range(current_y + 1, self.shown)
        for y in ys:
            seq = self._seq_at(y)
            if seq is not None and self._search_re.search(self._line(seq)):
                self._current_match = seq
                self._cache.clear()
                if y < self.scroll_y or y >= self.scroll_y + self.scrollable_content_region.height:
                    self.following = False
                    self.scroll_to(y=max(0, y - self.scrollable_content_region.height // 2), animate=False)
                self.refresh()
                return True
        return False

    def _y_of(self, seq: int) -> int:
        if self._view is None:
            return seq - self._first_seq
        for y, s in enumerate(self._view):
            if s == seq:
                return y
        return -1

    def action_next_match(self) -> None:
        if not self._jump(backwards=False):
            self.app.bell()

    def action_previous_match(self) -> None:
        if not self._jump(backwards=True):
            self.app.bell()

    # -- rendering -----------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        seq = self._seq_at(scroll_y + y)
        style = self.rich_style
        if seq is None:
            return Strip.blank(width, style)
        key = (seq, self._current_match if self._current_match == seq else None)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_strip(seq)
            self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style).apply_offsets(scroll_x, scroll_y + y)

    def _render_strip(self, seq: int) -> Strip:
        styled = self._styled(seq)
        line = styled.text
        text = styled_text(styled, no_wrap=True)  # the job's own colours win over our guess below
        guess = None
        if line.startswith(STRUCTURED_MARK):
            guess = self.get_component_rich_style("logview--structured", partial=True)
        elif "Traceback" in line or "ERROR" in line or "Error:" in line:
            guess = self.get_component_rich_style("logview--error", partial=True)
        text.stylize_before(self.rich_style + guess if guess is not None else self.rich_style)
        if self._search_re is not None:
            name = "logview--current" if seq == self._current_match else "logview--match"
            match_style = self.get_component_rich_style(name, partial=True)
            for m in self._search_re.finditer(line):
                text.stylize(match_style, m.start(), m.end())
        if text.cell_len > self._width:  # a wide character or an expanded tab: let it scroll to it
            self._width = text.cell_len
            self.call_after_refresh(self._grow_width)
        return Strip(text.render(self.app.console), text.cell_len)

    def _grow_width(self) -> None:
        self.virtual_size = Size(self._width + 1, self.shown)


class LiveLog(Vertical):
    """The log plus its status bar and a prompt used for both ``/`` filter and ``s`` search."""

    DEFAULT_CSS = """
    LiveLog { height: 1fr; }
    LiveLog #livelog-status { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    LiveLog.-paused #livelog-status { background: $warning 40%; color: $text; }
    LiveLog #livelog-prompt { display: none; height: 3; }
    LiveLog.-prompting #livelog-prompt { display: block; }
    """
    BINDINGS = [
        Binding("slash", "prompt('filter')", "Filter", show=False),
        Binding("s", "prompt('search')", "Search", show=False),
        Binding("escape", "clear", "Clear filter", show=False),
    ]

    def __init__(self, max_lines: int = MAX_LINES, **kwargs) -> None:
        super().__init__(**kwargs)
        self._max_lines = max_lines
        self._mode = "filter"
        self._status = ""

    def compose(self) -> ComposeResult:
        yield LogView(max_lines=self._max_lines, id="livelog-view")
        yield Input(placeholder="filter: show only lines containing…", id="livelog-prompt")
        yield Static("", id="livelog-status")

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    def write_lines(self, lines: Iterable[str], *, received: int | None = None) -> None:
        self.view.write_lines(lines, received=received)

    def clear(self) -> None:
        self.view.clear()

    def on_mount(self) -> None:
        self._render_status()

    @on(LogView.Changed)
    def _changed(self) -> None:
        self._render_status()

    def _render_status(self) -> None:
        view = self.view
        self.set_class(not view.following, "-paused")
        parts = []
        if view.following:
            parts.append(f"● following · {view.total:,} lines")
        else:
            parts.append(f"⏸ paused · {view.new_lines:,} new lines · End to follow")
        if view.filter_text:
            parts.append(f"filter “{view.filter_text}” {view.shown:,}/{view.total:,}")
        if view.search_text:
            parts.append(f"search “{view.search_text}” {view.match_count():,} matches · n/N")
        if not view.filter_text and not view.search_text:
            parts.append("/ filter · s search")
        status = " · ".join(parts)
        if status != self._status:  # in a flood it rarely changes: no repaint for nothing
            self._status = status
            # Plain text (a filter may hold "["), and no re-layout: the bar is one row whatever it says.
            self.query_one("#livelog-status", Static).update(Text(status), layout=False)

    def action_prompt(self, mode: str) -> None:
        self._mode = mode
        prompt = self.query_one("#livelog-prompt", Input)
        prompt.placeholder = (
            "filter: show only lines containing… (Enter keeps it, Esc clears)"
            if mode == "filter"
            else "search: highlight… (Enter, then n/N to jump, Esc clears)"
        )
        prompt.value = self.view.filter_text if mode == "filter" else self.view.search_text
        self.add_class("-prompting")
        prompt.focus()

    @on(Input.Changed, "#livelog-prompt")
    def _typed(self, event: Input.Changed) -> None:
        if self._mode == "filter":
            self.view.set_filter(event.value)
        else:
            self.view.set_search(event.value)
        self._render_status()

    @on(Input.Submitted, "#livelog-prompt")
    def _submitted(self) -> None:
        self.remove_class("-prompting")
        self.view.focus()

    def action_clear(self) -> None:
        view = self.view
        if not (self.has_class("-prompting") or view.filter_text or view.search_text):
            raise SkipAction()
        prompting = self.has_class("-prompting")
        self.remove_class("-prompting")
        if prompting:
            # Esc in the prompt clears what it was editing.
            if self._mode == "filter":
                view.set_filter("")
            else:
                view.set_search("")
        elif view.search_text:
            view.set_search("")
        else:
            view.set_filter("")
        view.focus()
        self._render_status()
