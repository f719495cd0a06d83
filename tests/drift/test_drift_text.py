"""How a drift report is drawn: sparklines, the badge, the table cell, the panel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlops_tui import terminal
from mlops_tui.services.types import DeploymentDrift, DriftBin, DriftStatus, FeatureDrift
from mlops_tui.widgets import drift


@pytest.fixture(autouse=True)
def utf8() -> Iterator[None]:
    before = terminal.current()
    terminal.use(terminal.Capabilities(unicode=True))
    yield
    terminal.use(before)


def _report(status: DriftStatus, **kwargs: object) -> DeploymentDrift:
    hour = FeatureDrift(
        "hour",
        2.5 if status is DriftStatus.DRIFT else 0.05,
        "significant" if status is DriftStatus.DRIFT else "stable",
        tuple(DriftBin(str(h), 0.25 if 8 <= h < 12 else 0.0, 0.5 if h < 2 else 0.0) for h in range(24)),
    )
    distance = FeatureDrift("distance", 0.31 if status is DriftStatus.DRIFT else 0.02, hour.level)
    month = FeatureDrift("month", 0.01, "stable")
    fields = {"available": True, "window_rides": 400, "min_rides": 300, "features": (hour, distance, month)}
    return DeploymentDrift("taxi", "m", 1, status=status, **{**fields, **kwargs})  # type: ignore[arg-type]


def test_sparkline_heights() -> None:
    assert drift.sparkline([0, 0.25, 0.5, 1.0], top=1.0) == " ▂▄█"
    assert drift.sparkline([0.01, 0.0], top=1.0) == "▁ "  # a little is not nothing
    assert drift.sparkline([0.0, 0.0], top=0.0) == "  "
    terminal.use(terminal.Capabilities(unicode=False))
    assert drift.sparkline([0, 0.25, 0.5, 1.0], top=1.0) == " :=@"


def test_bins_are_merged_to_fit() -> None:
    assert drift._merge([1, 2, 3, 4, 5], 3) == [3, 7, 5]
    assert drift._merge([1, 2], 5) == [1, 2]
    plot = drift.feature_plot(_report(DriftStatus.DRIFT).features[0], width=8 + 12)
    trained, served = (line.plain for line in plot)
    # 24 hours in 12 columns: 8-11 in columns 4 and 5 (0.5 each), 0-1 served in column 0 (1.0)
    assert trained == "trained     ▄▄      " and served == "served  █           "


def test_badges() -> None:
    assert drift.badge(_report(DriftStatus.DRIFT)).plain == "⚠ DRIFT hour 2.50 · distance 0.31"
    assert drift.badge(_report(DriftStatus.STABLE)).plain == "✓ stable · max PSI 0.05 hour"
    collecting = _report(DriftStatus.COLLECTING, window_rides=37)
    assert drift.badge(collecting).plain == "collecting: 37 of 300 rides"
    gone = DeploymentDrift("taxi", reason="drift is not measured on Kubernetes: …")
    assert drift.badge(gone).plain == "not measured: drift is not measured on Kubernetes: …"
    # no style run starts with a blank (SVG screenshots would drop it)
    for report in (_report(DriftStatus.DRIFT), _report(DriftStatus.STABLE)):
        text = drift.detail(report, 40, 10)
        assert all(not text.plain[span.start : span.end].startswith(" ") for span in text.spans)


def test_cells() -> None:
    assert drift.cell(_report(DriftStatus.DRIFT)).plain == "⚠ 2.50"
    assert drift.cell(_report(DriftStatus.STABLE)).plain == "0.05"
    assert drift.cell(_report(DriftStatus.COLLECTING, window_rides=37)).plain == "37/300"
    assert drift.cell(DeploymentDrift("taxi")).plain == "n/a"
    assert drift.cell(None).plain == ""


def test_the_panel_fits_its_size() -> None:
    report = _report(DriftStatus.DRIFT)
    three = drift.detail(report, 30, 3).plain.split("\n")
    assert three[0] == "⚠ DRIFT hour 2.50 · distance …" and three[1].startswith("trained ")
    assert len(three) == 3 and all(len(line) <= 30 for line in three)
    six = drift.detail(report, 40, 6).plain.split("\n")
    assert six[1].startswith("hour PSI 2.50") and six[4:] == [
        "distance          0.31",
        "month             0.01",
    ]
