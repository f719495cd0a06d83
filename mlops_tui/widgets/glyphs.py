"""The line filter that keeps every glyph on screen ASCII when the locale is not UTF-8.

Textual applies line filters to each widget's rendered lines (``Widget.get_line_filters``), after
layout, so this is the one place every character passes: ours, Textual's own (scrollbar ends,
ellipses, the command palette's icon) and text from outside (job logs). Each character becomes the
stand-in :func:`mlops_tui.terminal.to_ascii` designs for it, with the same cell width, so nothing
moves. Borders are made ASCII before that, in ``terminal.tcss`` (``App.-ascii``), because block
borders (tall, outer) have no one-character stand-in.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from mlops_tui.terminal import to_ascii


class AsciiFilter(LineFilter):
    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            segment
            if segment.control or segment.text.isascii()
            else Segment(to_ascii(segment.text), segment.style, segment.control)
            for segment in segments
        ]
