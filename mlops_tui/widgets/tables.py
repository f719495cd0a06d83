"""A DataTable that is rebuilt from rows on every poll without losing the cursor or flickering.

Rows come newest first (jobs, versions). Like a log that follows its tail, the table follows its
newest row: while the cursor is on the first row, new rows arrive above and the cursor stays on
the newest, in view. Once the person moves the cursor elsewhere, it stays on that row (found by
its key) until they move it back to the top.

Its cells come from the platform (names, states, details), so each goes through the one sanitiser
and is shown as plain text: never markup, never a control sequence.

It fits its width (``column_fit``): the state column is always whole, the name is cut with an
ellipsis and the other columns are hidden (those named in ``give_way`` first, then the rightmost
first) when the panel is narrow (60 columns); it is laid out again when its width changes.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import DataTable

from mlops_tui.widgets.column_fit import HIDDEN, fit_columns
from mlops_tui.widgets.safe_text import clean_text, outside

Row = tuple[str, Sequence[str | Text]]  # (key, cells)


def _cell_width(cell: str | Text) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(str(cell))


def _safe(cell: str | Text) -> Text:
    return clean_text(cell) if isinstance(cell, Text) else outside(cell)


def middle_cut(name: str | Text, width: int) -> str | Text:
    """``name`` in ``width`` cells, cut in the middle so that its end (the owner's id) stays:
    ``mlops-infer…student02`` (titles and headers use it too: widgets/titles.py)."""
    return _cut(name, width, middle=True)


def _cut(cell: str | Text, width: int, *, middle: bool = False) -> str | Text:
    """``cell`` cut to ``width`` cells with an ellipsis, when it is wider (styles kept).

    ``middle``: the ellipsis goes inside and the end is kept (two thirds of the width, at least
    the part after the last ``-`` where it fits): the
    workshop's names end with the user id (``mlops-inference-server-student02``), the part that
    tells a class's rows apart; cut at the end, every row read ``mlops-inference-server-stude…``."""
    if _cell_width(cell) <= width:
        return cell
    text = cell.copy() if isinstance(cell, Text) else Text(str(cell))
    if middle and width >= 3 and text.plain.isascii():
        last = len(text.plain.rsplit("-", 1)[-1])  # the user id: kept whole when it fits
        tail = max((2 * width) // 3, last if last <= width - 2 else 0)
        head = width - 1 - tail
        return Text.assemble(text[:head], "…", text[len(text) - tail :])
    text.truncate(width, overflow="ellipsis")
    return text


class LiveTable(DataTable):
    """``show(rows)`` replaces the content only when it changed; ``filter_text`` hides rows whose
    cells do not contain it (case-insensitive)."""

    DEFAULT_CSS = """
    LiveTable { height: 1fr; background: $surface; }
    LiveTable:focus { background-tint: $foreground 3%; }
    """

    def __init__(
        self,
        *columns: str,
        empty: str = "nothing yet",
        whole: Collection[str] = ("STATE", "STAGE", "OWNER"),
        middle: Collection[str] = ("NAME", "MODEL"),
        optional: Collection[str] = ("OWNER",),
        give_way: Sequence[str] = (),
        fill: str | None = None,
        fill_wants: int = 30,
        **kwargs,
    ) -> None:
        """``whole``: the labels of the columns that are never cut nor hidden (a row's state, its
        owner in a class). ``middle``: columns cut in the middle, keeping their end (names ending
        with a user id). ``optional``: columns left out while every cell of theirs is empty (the
        owner, given only where the rows have several). ``give_way``: the labels of the columns
        hidden first when the table is narrow, in that order (else the rightmost goes first).
        ``fill``: the label of a column never hidden that takes the room the shown columns leave
        (cut with an ellipsis): the others give way until it has ``fill_wants`` cells (or all its
        text). A width computed outside the table counted columns the table then hid, and left
        the reason of the Class screen cut at 20 cells beside 12 blank ones."""
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._columns = columns
        self._whole = [label in whole for label in columns]
        self._middle = [label in middle for label in columns]
        self._optional = [label in optional for label in columns]
        self._give_way = [columns.index(label) for label in give_way]
        self._fill = columns.index(fill) if fill is not None else None
        self._fill_wants = fill_wants
        if self._fill is not None:
            self._whole[self._fill] = True  # never hidden; its width is what is left (_fill_room)
        self._laid_out_width = 0
        self._rows: list[Row] = []
        self._shown: list[Row] | None = None
        self.filter_text = ""
        self.empty = empty
        self.following = True  # the cursor rides on the newest (first) row
        self._loaded = False  # no data shown yet: "loading…", not "nothing yet"

    def on_mount(self) -> None:
        if not self.columns:
            self._shown = None
            self._render_rows()  # the rows, or "loading…" until the first data comes

    def show(self, rows: list[Row]) -> None:
        """Show ``rows`` (``(key, cells)``); str cells are plain text, Text cells keep their styles."""
        self._rows = [(key, [_safe(cell) for cell in cells]) for key, cells in rows]
        if not self._loaded:
            self._loaded = True
            self._shown = None  # "loading…" gives way even to an empty table
        self._render_rows()

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self._render_rows()

    @property
    def shown_count(self) -> int:
        """The rows the filter lets through (all of them without a filter)."""
        return len(self._shown) if self._shown is not None else len(self._rows)

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:
            return None
        return None if key == "__empty__" else key

    def _render_rows(self) -> None:
        needle = self.filter_text.lower()
        rows = [
            r
            for r in self._rows
            if not needle or any(needle in str(c).lower() for c in r[1]) or needle in r[0]
        ]
        if rows == self._shown:
            return
        self._shown = rows
        selected = self.selected_key
        # Rebuild the columns too: DataTable widths only ever grow, and an "empty" message or a
        # long name from earlier data would keep a column wide forever.
        self.clear(columns=True)
        if not rows:
            # One column holding the message: the headers of an empty table would only push it around.
            if self._rows:
                message = f"no match for “{self.filter_text}”"
            else:
                message = self.empty if self._loaded else "loading…"
            self.add_column("")
            self.add_row(Text(message, style="dim italic"), key="__empty__")
            return
        count = len(self._columns)
        trimmed = [(key, list(cells)[:count]) for key, cells in rows]  # one row builder, narrower tables
        natural = [
            max([cell_len(label)] + [_cell_width(cells[index]) for _, cells in trimmed if index < len(cells)])
            for index, label in enumerate(self._columns)
        ]
        self._laid_out_width = self._available_width(len(trimmed))
        unused = [
            self._optional[i] and not any(i < len(cells) and str(cells[i]) for _, cells in trimmed)
            for i in range(count)
        ]
        for i in range(count):
            if unused[i]:
                natural[i] = 0
        fill = self._fill
        wanted = list(natural)
        if fill is not None:
            wanted[fill] = min(natural[fill], self._fill_wants)
        widths = fit_columns(wanted, self._whole, self._laid_out_width, self.cell_padding, self._give_way)
        if fill is not None and self._laid_out_width > 0:
            others = sum(w + 2 * self.cell_padding for i, w in enumerate(widths) if w != HIDDEN and i != fill)
            room = self._laid_out_width - others - 2 * self.cell_padding
            widths[fill] = max(wanted[fill], min(natural[fill], room))
        shown = [i for i, w in enumerate(widths) if w != HIDDEN and not unused[i]]
        # Explicit widths: the table is laid out at once, never first at header width.
        for index in shown:
            self.add_column(self._columns[index], width=widths[index])
        for key, cells in trimmed:
            self.add_row(
                *(_cut(cells[i], widths[i], middle=self._middle[i]) for i in shown if i < len(cells)), key=key
            )
        if self.following:
            self.move_cursor(row=0, animate=False)
            return
        if selected is not None:
            for index, (key, _) in enumerate(rows):
                if key == selected:
                    self.move_cursor(row=index, animate=False)
                    break

    def _available_width(self, rows: int) -> int:
        """Cells a row may take: the content width, less the vertical scrollbar when ``rows`` (and
        the header) will not fit the height; 0 before the table is laid out."""
        region = self.content_region
        if region.width <= 0:
            return 0
        scrolls = self.styles.overflow_y == "scroll" or (
            self.styles.overflow_y == "auto" and rows + self.header_height > region.height
        )
        return region.width - (self.styles.scrollbar_size_vertical if scrolls else 0)

    def _on_resize(self, event: events.Resize) -> None:
        super()._on_resize(event)
        if self._shown and self._available_width(len(self._shown)) != self._laid_out_width:
            self._shown = None  # lay the columns out again for the new width
            self._render_rows()

    def select_key(self, key: str) -> bool:
        """Put the cursor on the row ``key`` (asked for by another screen); False when absent.
        Like a move by the person, it stops following the newest row unless it is the first."""
        for index, row_key in enumerate(self.rows):
            if row_key.value == key:
                self.move_cursor(row=index)
                self.following = index == 0
                return True
        return False

    # -- the person moves the cursor: follow the newest row again only from the top ------------

    def _moved_by_person(self) -> None:
        self.following = self.cursor_row <= 0

    def action_cursor_up(self) -> None:
        super().action_cursor_up()
        self._moved_by_person()

    def action_cursor_down(self) -> None:
        super().action_cursor_down()
        self._moved_by_person()

    def action_page_up(self) -> None:
        super().action_page_up()
        self._moved_by_person()

    def action_page_down(self) -> None:
        super().action_page_down()
        self._moved_by_person()

    def action_scroll_top(self) -> None:
        super().action_scroll_top()
        self._moved_by_person()

    def action_scroll_bottom(self) -> None:
        super().action_scroll_bottom()
        self._moved_by_person()

    async def _on_click(self, event: events.Click) -> None:
        await super()._on_click(event)
        self._moved_by_person()
