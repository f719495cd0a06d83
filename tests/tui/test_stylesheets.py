"""Screen stylesheets are global in Textual: once a screen is loaded, its rules apply to every
screen. An unscoped ``.field-label { width: 11 }`` of the Login screen cut the Predict labels to
"pickup zo…" after the Login screen had been shown (issue 11 §4). So a screen's class rules are
scoped by the screen, and no id is styled by two screens."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

SCREENS = Path(__file__).resolve().parents[2] / "screens"


def _selectors(path: Path) -> list[str]:
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    return [s.strip() for block in re.findall(r"([^{}]+)\{", text) for s in block.split(",")]


@pytest.mark.parametrize("path", sorted(SCREENS.glob("*.tcss")), ids=lambda p: p.name)
def test_class_rules_are_scoped_by_their_screen(path: Path) -> None:
    for selector in _selectors(path):
        assert not selector.startswith("."), f"{path.name}: '{selector}' applies to every screen"


def test_no_id_is_styled_by_two_screens() -> None:
    styled: dict[str, set[str]] = defaultdict(set)
    for path in SCREENS.glob("*.tcss"):
        for selector in _selectors(path):
            for name in re.findall(r"#([\w-]+)", selector):
                styled[name].add(path.name)
    shared = {name: files for name, files in styled.items() if len(files) > 1}
    assert not shared, shared


async def test_the_login_screen_leaves_the_predict_labels_alone(
    make_app: Any, adapter: Any, tui_home: Path
) -> None:
    from .conftest import wait_for

    app = make_app(adapter, first_mode="predict")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.form_ready, what="the form")
        await app.goto("login")  # its stylesheet loads after the Predict one
        await pilot.pause(0.2)
        await app.goto("predict")
        await pilot.pause(0.2)
        labels = list(app.screen.query(".field-label"))
        assert labels and all(label.region.width == 19 for label in labels if label.region.width)
