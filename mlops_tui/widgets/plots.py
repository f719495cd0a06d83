"""Line plots (textual-plotext), imported only when a plot is first shown (kept off start-up)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.containers import Container
from textual.widgets import Static

from mlops_tui import terminal

Series = tuple[str, Sequence[float], Sequence[float]]  # (label, xs, ys)

# ANSI colour (as the 16-colour themes name it) -> plotext's name, which plotext writes as colour 0-15
_PLOTEXT_COLOURS = {
    "black": "black", "red": "red", "green": "green", "yellow": "orange", "blue": "blue",
    "magenta": "magenta", "cyan": "cyan", "white": "gray", "bright_black": "gray+", "bright_red": "red+",
    "bright_green": "green+", "bright_yellow": "orange+", "bright_blue": "blue+",
    "bright_magenta": "magenta+", "bright_cyan": "cyan+", "bright_white": "white",
}  # fmt: skip


class LinePlot(Container):
    """A titled line plot; ``plot(series)`` redraws. Shows ``empty_text`` while there is no data."""

    DEFAULT_CSS = """
    LinePlot { height: 1fr; }
    LinePlot > .plot-empty { color: $text-muted; padding: 1 2; }
    """

    def __init__(
        self,
        *,
        title: str = "",
        xlabel: str = "",
        ylabel: str = "",
        empty_text: str = "no data yet",
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.title = title
        self.xlabel = xlabel
        self.ylabel = ylabel
        self.empty_text = empty_text
        self._series: list[Series] = []
        self._plot = None

    def on_resize(self) -> None:
        if self._series:
            self.plot(self._series)

    def compose(self):
        yield Static(self.empty_text, classes="plot-empty")

    def plot(self, series: list[Series]) -> None:
        self._series = [s for s in series if len(s[1])]
        if not self._series:
            if self._plot is not None:
                self._plot.display = False
            empty = self.query_one(".plot-empty", Static)
            empty.update(Text(self.empty_text))  # it changes: "loading…", then why there is no data
            empty.display = True
            return
        if self._plot is None:
            from textual_plotext import PlotextPlot

            self._plot = PlotextPlot()
            if terminal.current().ansi_palette:
                # textual-plotext's "auto" theme paints the canvas with the theme's RGB, cached per
                # theme name for the whole process; on 16 colours the terminal's own ground is right
                self._plot.theme = "clear"
            self.mount(self._plot)
        self.query_one(".plot-empty").display = False
        self._plot.display = True
        plt = self._plot.plt
        plt.clear_data()
        plt.clear_figure()
        small = 0 < self.size.height < 8  # 80x24: no room for axes, keep the line readable
        if self.title and not small:
            plt.title(self.title)
        if self.xlabel and not small:
            plt.xlabel(self.xlabel)
        if self.ylabel:
            plt.ylabel(self.ylabel)
        if small:
            ys = [y for _, _, series_ys in self._series for y in series_ys]
            plt.xticks([])
            plt.frame(False)
            plt.yticks([min(ys), max(ys)], [f"{min(ys):.3g}", f"{max(ys):.3g}"])
        # "hd" draws with quarter blocks (2x2 dots a cell); without UTF-8 one "*" a cell
        marker = "hd" if terminal.current().unicode else "*"
        colour = self._line_colour()
        for label, xs, ys in self._series:
            # A legend only helps with several series; with one it hides data.
            label = label if len(self._series) > 1 else ""
            if colour is None:
                plt.plot(list(xs), list(ys), label=label, marker=marker)
            else:
                plt.plot(list(xs), list(ys), label=label, marker=marker, color=colour)
        self._plot.refresh()

    def _line_colour(self) -> str | None:
        """On 16 colours the theme's primary as plotext names it; None: plotext's own sequence."""
        if not terminal.current().ansi_palette:
            return None
        primary = self.app.theme_variables.get("primary", "")
        return _PLOTEXT_COLOURS.get(primary.removeprefix("ansi_"), "default")
