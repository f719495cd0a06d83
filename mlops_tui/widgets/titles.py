"""Titles and header parts that carry a user id or an object named after its owner
(``mlops-inference-server-student07``): at 80 or 60 columns they are cut so that the id stays
readable and the other parts give way.

Textual cuts a border title that does not fit at its end, and a one-line Static the same way:
``Latency · mlops-inference-server-stu…`` tells a class's panels apart by nothing. These helpers
cut the name in the middle with the tables' rule (``tables.middle_cut``: the part after the last
``-`` is kept whole where it fits) and drop a prefix or suffix before the name is cut.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget

from mlops_tui.widgets.safe_text import outside
from mlops_tui.widgets.tables import middle_cut

# a border title is drawn as "╭─ title ─…╮": the corners, a line each side and a space each side
BORDER_TITLE_SPARE = 6


def fit_name(prefix: str, name: str, suffix: str, width: int, short: str = "") -> str:
    """``prefix + name + suffix`` in ``width`` cells: whole when it fits, else the name is cut in
    the middle while its end (the owner's id) and a cell before it stay; then the ``short`` prefix
    is tried, then none, then the suffix goes (``v2`` names the object too, so it goes last)."""
    keep = min(cell_len(name), cell_len(name.rsplit("-", 1)[-1]) + 2)
    prefixes = list(dict.fromkeys((prefix, short, "")))
    for pre, post in [*((p, suffix) for p in prefixes), ("", "")]:
        room = width - cell_len(pre + post)
        if cell_len(name) <= room:
            return pre + name + post
        if room >= keep:
            return pre + str(middle_cut(name, room)) + post
    return str(middle_cut(name, max(width, 1)))


def fit_parts(parts: list[str], width: int, separator: str = " · ") -> str:
    """``a · b · user`` in ``width`` cells: the last part (the user id) stays whole; the earlier
    ones are dropped from the first, then the last left is cut in the middle."""
    parts = [p for p in parts if p]
    while parts:
        text = separator.join(parts)
        if cell_len(text) <= width or len(parts) == 1:
            break
        head = separator.join(parts[:-1])
        room = width - cell_len(separator + parts[-1])
        if room >= 8 and cell_len(head) > room and len(parts) == 2:
            return str(middle_cut(head, room)) + separator + parts[-1]
        parts = parts[1:]
    if not parts:
        return ""
    text = separator.join(parts)
    return text if cell_len(text) <= width else str(middle_cut(parts[-1], max(width, 1)))


class NamedTitle:
    """A border title ``prefix + name + suffix`` fitted to its widget's width, again on resize."""

    @staticmethod
    def set(widget: Widget, name: str, prefix: str = "", suffix: str = "", short: str = "") -> None:
        """``name`` comes from outside (a platform's answer): made safe to draw (safe_text);
        ``short``: a shorter prefix for narrow panels."""
        widget._named_title = (prefix, outside(name).plain, suffix, short)  # type: ignore[attr-defined]
        NamedTitle.fit(widget)

    @staticmethod
    def plain(widget: Widget, title: str) -> None:
        """A title that names no object (it is never refitted)."""
        widget._named_title = None  # type: ignore[attr-defined]
        widget.border_title = title

    @staticmethod
    def fit(widget: Widget) -> None:
        parts = getattr(widget, "_named_title", None)
        if parts is None:
            return
        prefix, name, suffix, short = parts
        width = widget.size.width - BORDER_TITLE_SPARE
        if width <= 0:  # not laid out yet: whole; the screen fits it on its resize (BaseScreen)
            widget.border_title = Text(prefix + name + suffix).markup
            return
        widget.border_title = Text(fit_name(prefix, name, suffix, width, short)).markup

    @staticmethod
    def fit_all(root: Widget) -> None:
        """Fit every named title under ``root`` (a screen, on resize)."""
        for widget in root.query("*"):
            if getattr(widget, "_named_title", None) is not None:
                NamedTitle.fit(widget)
