"""How a deployment's drift report is drawn: the badge, a table cell, and a small plot.

The small plot is two sparklines over the bins of the most drifted feature, on one scale: the
share of each bin in the training data and among the rides served. A daytime model asked about
night rides shows its training hump in the middle of the day and the served one at the start.
A feature with more bins than the line has columns gets neighbouring bins added together.

Rich text only (no widget): the dashboard's Drift panel and its Deployments table use it. No style
run starts with a blank: SVG screenshots (``ctrl+p`` Screenshot, the docs' PNGs) drop a run's
leading blanks (see screens/dashboard.latency_summary), so blanks go at the end of the run before.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from mlops_tui import terminal
from mlops_tui.services.terminal_text import plain
from mlops_tui.services.types import DeploymentDrift, DriftStatus, FeatureDrift
from mlops_tui.terminal import Tone, tone_style

BARS = "▁▂▃▄▅▆▇█"
BARS_ASCII = ".:-=+*#@"  # without UTF-8 (the ASCII filter would blank the partial blocks)
LABEL_WIDTH = 8  # "trained " / "served  "


def _merge(values: Sequence[float], width: int) -> list[float]:
    """``values`` in at most ``width`` columns: groups of neighbours added together."""
    if width <= 0:
        return []
    group = -(-len(values) // width)  # ceiling
    return [sum(values[i : i + group]) for i in range(0, len(values), group)]


def sparkline(values: Sequence[float], top: float) -> str:
    """One character per value, its height relative to ``top``; an empty bin is a blank."""
    bars = BARS if terminal.current().unicode else BARS_ASCII
    if top <= 0:
        return " " * len(values)
    return "".join(
        " " if v <= 0 else bars[min(len(bars) - 1, int(v / top * len(bars) - 1e-9))] for v in values
    )


def feature_plot(feature: FeatureDrift, width: int) -> list[Text]:
    """Two lines: the training and served shares of ``feature``'s bins, on one scale."""
    columns = max(1, width - LABEL_WIDTH)
    expected = _merge([b.expected for b in feature.bins], columns)
    actual = _merge([b.actual for b in feature.bins], columns)
    top = max([*expected, *actual, 0.0])
    muted = tone_style(Tone.MUTED)
    lines = []
    for label, values, style in (("trained ", expected, ""), ("served  ", actual, "bold")):
        bars = sparkline(values, top)
        lead = len(bars) - len(bars.lstrip(" "))  # empty first bins: with the label's run
        line = Text()
        line.append(label + bars[:lead], style=muted)
        line.append(bars[lead:], style=style)
        lines.append(line)
    return lines


def _psi(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def badge(drift: DeploymentDrift) -> Text:
    """One line: ``⚠ DRIFT hour 2.31 · distance 0.87``, ``stable · max PSI 0.03 hour``,
    ``collecting 37 of 300 rides`` or ``not measured: <why>``."""
    if drift.status is DriftStatus.DRIFT:
        text = Text()
        text.append("⚠ DRIFT ", style=f"bold reverse {tone_style(Tone.WARN)}")
        names = " · ".join(f"{f.name} {_psi(f.psi)}" for f in drift.drifted)
        text.append(names, style=f"bold {tone_style(Tone.WARN)}")
        return text
    if drift.status is DriftStatus.STABLE:
        worst = drift.worst
        text = Text()
        text.append("✓ stable" + (" · " if worst is not None else ""), style=tone_style(Tone.OK))
        if worst is not None:
            text.append(f"max PSI {_psi(worst.psi)} {worst.name}")
        return text
    if drift.status is DriftStatus.COLLECTING:
        return Text(
            f"collecting: {drift.window_rides} of {drift.min_rides} rides", style=tone_style(Tone.BUSY)
        )
    return Text(f"not measured: {plain(drift.reason) or 'no report'}", style=tone_style(Tone.MUTED))


def cell(drift: DeploymentDrift | None) -> Text:
    """The Deployments table's DRIFT cell: ``⚠ 2.31``, ``0.03``, ``37/300``, ``n/a`` or blank."""
    if drift is None:
        return Text("")
    worst = drift.worst
    if drift.status is DriftStatus.DRIFT and worst is not None:
        return Text(f"⚠ {_psi(worst.psi)}", style=f"bold {tone_style(Tone.WARN)}")
    if drift.status is DriftStatus.STABLE and worst is not None:
        return Text(_psi(worst.psi), style=tone_style(Tone.OK))
    if drift.status is DriftStatus.COLLECTING:
        return Text(f"{drift.window_rides}/{drift.min_rides}", style=tone_style(Tone.MUTED))
    return Text("n/a", style=tone_style(Tone.MUTED))


def detail(drift: DeploymentDrift, width: int, height: int) -> Text:
    """The Drift panel in ``width`` x ``height`` cells: the badge, the small plot of the most
    drifted feature (named on a line of its own when there is room: the badge names it anyway,
    except while collecting), then every other feature's PSI, most drifted first."""
    lines = [badge(drift)]
    if drift.status is not DriftStatus.UNAVAILABLE:  # one line; a reason may take several
        lines[0].truncate(width, overflow="ellipsis")
    shown = drift.worst
    if shown is not None and drift.status is not DriftStatus.UNAVAILABLE:
        if height >= 4:
            head = Text()
            head.append(f"{shown.name} ", style="bold")
            head.append(f"PSI {_psi(shown.psi)}: training and served shares", style=tone_style(Tone.MUTED))
            head.truncate(width, overflow="ellipsis")
            lines.append(head)
        lines += feature_plot(shown, width)
        for feature in drift.features:
            if feature is shown or feature.psi is None:
                continue
            style = f"bold {tone_style(Tone.WARN)}" if feature.level == "significant" else ""
            line = Text()
            line.append(f"{feature.name:<18}", style=tone_style(Tone.MUTED))
            line.append(_psi(feature.psi), style=style)
            lines.append(line)
    return Text("\n").join(lines[: max(1, height)])
