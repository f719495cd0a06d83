"""A checkbox whose state reads without colour: every toggle of the app (Login, Train dialog).

Textual's Checkbox always draws its ``X`` and tells on from off by colour alone (a bright X on,
one in the panel's colour off). Under ``NO_COLOR`` every X is the terminal's default colour and
under ``LANG=C`` the half-block sides become spaces, so all boxes read "checked". Here the box is
``▐X▌`` on and ``▐ ▌`` off, and ``[X]`` / ``[ ]`` where the terminal has no UTF-8
(``terminal.current().unicode``): the state is in the characters, the colour only adds to it.

It replaces :attr:`ToggleButton._button` of Textual 8.2.8 (pinned), the one place that draws the
box, with the same styles (``toggle--button`` and the sides in the button's background colour).
"""

from __future__ import annotations

from textual.content import Content
from textual.style import Style
from textual.widgets import Checkbox

from mlops_tui import terminal

OFF_INNER = " "
ASCII_SIDES = ("[", "]")


class StateCheckbox(Checkbox):
    """A :class:`~textual.widgets.Checkbox` that shows its value by its characters."""

    @property
    def _button(self) -> Content:
        button_style = self.get_visual_style("toggle--button")
        inner = self.BUTTON_INNER if self.value else OFF_INNER
        if not terminal.current().unicode:
            left, right = ASCII_SIDES
            return Content.assemble((left, button_style), (inner, button_style), (right, button_style))
        side_style = Style(foreground=button_style.background, background=self.background_colors[1])
        return Content.assemble(
            (self.BUTTON_LEFT, side_style), (inner, button_style), (self.BUTTON_RIGHT, side_style)
        )
