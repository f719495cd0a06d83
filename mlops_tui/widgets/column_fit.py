"""How a table's columns give way when the table is narrower than its content (pure; no Textual).

A row's state ("running", "failed", "production") is what people watch a table for, so a column
marked whole is never cut and never hidden; the others give way, in this order:

1. the columns right of the name that are not whole are hidden: first those the table names in
   ``give_way`` (in that order: a detail that is wide for what it tells, such as how long a job
   took, goes before its result), then the others, the rightmost first (details that the row's own
   screen shows whole: took, MAE, port, info);
2. then the name column (the first) is cut with an ellipsis, down to one cell. Narrower than the
   whole columns and that one cell, the table scrolls sideways (the whole columns still whole).

A name is what people tell rows apart by and copy, so it stays whole while a detail can give way.

Widths are content widths in terminal cells, without the cell padding of each side.
"""

from __future__ import annotations

from collections.abc import Sequence

HIDDEN = 0


def fit_columns(
    natural: Sequence[int],
    whole: Sequence[bool],
    available: int,
    padding: int = 1,
    give_way: Sequence[int] = (),
) -> list[int]:
    """The content width of each column so that the row fits ``available`` cells.

    ``natural`` is the width each column needs (header included), ``whole`` says which never give
    way, ``padding`` is the cells added on each side of a shown column, ``give_way`` the indexes of
    the columns hidden first, in that order (the others follow, the rightmost first; the first
    column and whole ones are never hidden). A hidden column gets :data:`HIDDEN` (0). Returns
    ``natural`` unchanged when it fits or when ``available`` is not known yet (0 or less, before
    the table is laid out)."""
    widths = list(natural)
    if available <= 0 or _total(widths, padding) <= available:
        return widths
    for hide in _hiding_order(whole, give_way):
        widths[hide] = HIDDEN
        if _total(widths, padding) <= available:
            return widths
    if not whole[0]:
        room = available - _total(widths[1:], padding) - 2 * padding
        widths[0] = max(1, min(natural[0], room))
    return widths


def _hiding_order(whole: Sequence[bool], give_way: Sequence[int]) -> list[int]:
    """``give_way`` first, then the rest right to left; never the first column nor a whole one."""
    rest = [i for i in range(len(whole) - 1, 0, -1) if i not in give_way]
    return [i for i in [*give_way, *rest] if 0 < i < len(whole) and not whole[i]]


def _total(widths: Sequence[int], padding: int) -> int:
    return sum(w + 2 * padding for w in widths if w != HIDDEN)
