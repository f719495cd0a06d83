"""SVG snapshots of the guide at 100x30 with a frozen clock and fixed platform data.

Only pixels are checked here (layout, sidebar, prompt, bubbles); behaviour is tested against the
real platform in test_guide*.py. Update with ``pytest --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mlops_tui.screens.guide import GuideScreen

from .fixed_app import fixed_app
from .guide_support import type_line, wait_for

SIZE = (100, 30)
pytestmark = pytest.mark.usefixtures("tui_home")  # HOME in tmp_path


async def _checked(pilot) -> GuideScreen:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, GuideScreen), 10, "the guide")
    guide = pilot.app.screen
    await wait_for(pilot, lambda: guide._announced is not None and not guide.checking, 10, "first check")
    return guide


def test_guide_opens_at_the_first_unfinished_step(snap_compare, tmp_path: Path) -> None:
    async def run_before(pilot) -> None:
        await _checked(pilot)

    assert snap_compare(fixed_app(tmp_path), terminal_size=SIZE, run_before=run_before)


def test_guide_help(snap_compare, tmp_path: Path) -> None:
    async def run_before(pilot) -> None:
        await _checked(pilot)
        await type_line(pilot, "help")

    assert snap_compare(fixed_app(tmp_path), terminal_size=SIZE, run_before=run_before)
