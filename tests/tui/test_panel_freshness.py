"""A panel's freshness line: redrawn only when its words change (issue 9, footprint of an idle TUI)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult

from mlops_tui.widgets.panel import StalePanel, freshness

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_fresh_data_says_just_now_then_minutes_and_stale_data_counts_seconds() -> None:
    assert freshness(None, NOW, stale=True) == "waiting for data"
    assert freshness(NOW - timedelta(seconds=9), NOW, stale=False) == "updated just now"
    assert freshness(NOW - timedelta(seconds=59), NOW, stale=False) == "updated just now"
    assert freshness(NOW - timedelta(seconds=150), NOW, stale=False) == "updated 2m ago"
    assert freshness(NOW - timedelta(hours=2, minutes=5), NOW, stale=False) == "updated 2h 05m ago"
    assert freshness(NOW - timedelta(seconds=23), NOW, stale=True) == "updated 23s ago"


class PanelApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.now = NOW

    def clock(self) -> datetime:
        return self.now

    def compose(self) -> ComposeResult:
        yield StalePanel("Jobs", stale_after=15)


async def test_a_fresh_panel_is_not_redrawn_every_second() -> None:
    app = PanelApp()
    async with app.run_test() as pilot:
        panel = app.query_one(StalePanel)
        panel.mark_updated(NOW)
        subtitle = panel.border_subtitle
        for seconds in (1, 5, 10):  # the 1 s timer runs; the words stay "updated just now"
            app.now = NOW + timedelta(seconds=seconds)
            await pilot.pause(1.1)
            assert panel.border_subtitle is subtitle
        assert str(subtitle) == "updated just now" and not panel.has_class("-stale")
        app.now = NOW + timedelta(seconds=20)  # stale: the exact age, in the warning style
        await pilot.pause(1.1)
        assert str(panel.border_subtitle) == "updated 20s ago" and panel.has_class("-stale")
