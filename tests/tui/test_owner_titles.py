"""Titles and the header keep the user id readable at 80 and 60 columns (student07 was cut off:
``workshop · K8sMLTenant · stu…``, ``Prediction latency (ms) · mlops-inference-server-stu…``);
the other parts give way, names are cut in the middle (tables.middle_cut)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlops_tui.widgets.titles import fit_name, fit_parts

from .fixed_app import feed_once, fixed_app
from .fixed_platform import FixedPlatform
from .terminal_support import screen_text

USER = "student07"
WHO = f"workshop · K8sMLTenant · {USER}"


@pytest.mark.parametrize("width", [9, 14, 20, 24, 33, 40])
def test_the_user_id_is_the_last_to_go(width: int) -> None:
    shown = fit_parts(WHO.split(" · "), width)
    assert shown.endswith(USER) and len(shown) <= width, shown
    name = fit_name("Prediction latency (ms) · ", f"mlops-inference-server-{USER}", "", width + 6)
    assert name.endswith(USER) and len(name) <= width + 6, name


def test_a_version_keeps_its_number() -> None:
    assert fit_name("", f"mlops-model-{USER}", " v2", 18) == f"mlop…-{USER} v2"


def _workshop_who(pilot: Any) -> None:
    pilot.app.who = WHO  # what an attendee's app shows: profile · tenant · user
    pilot.app.screen._status_changed(None)


async def _dashboard(pilot: Any) -> None:
    await feed_once(pilot)
    _workshop_who(pilot)
    await pilot.pause(0.3)


@pytest.mark.parametrize("size", [(80, 24), (60, 24)])
async def test_header_and_titles_keep_the_user_id(tmp_path: Path, size: tuple[int, int]) -> None:
    app = fixed_app(tmp_path, "dashboard", FixedPlatform(USER))
    async with app.run_test(size=size) as pilot:
        await _dashboard(pilot)
        lines = screen_text(app).splitlines()
        assert USER in lines[0], lines[0]
        titled = [line for line in lines if "latency" in line.lower() and "─" in line]
        assert titled and USER in titled[0], "\n".join(lines)
        await pilot.press("4")
        await pilot.pause(0.5)
        lines = screen_text(app).splitlines()
        assert USER in lines[0], lines[0]
        assert any(f"-{USER} v2" in line for line in lines), "\n".join(lines)


@pytest.mark.parametrize("size", [(80, 24), (60, 24)])
def test_owner_titles_snapshot(snap_compare: Any, tmp_path: Path, size: tuple[int, int]) -> None:
    app = fixed_app(tmp_path, "dashboard", FixedPlatform(USER))
    assert snap_compare(app, terminal_size=size, run_before=_dashboard)
