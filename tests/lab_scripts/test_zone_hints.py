"""The command a zone that could not be read points to finds zones: `zones narnia` found nothing,
and for 'xyzzy airport' the hint was `zones xyzzy` though the zones near it share 'airport'."""

from __future__ import annotations

import pytest
from mlops_tui.lab_scripts.places import ZoneNotFound, resolve_zone

from mlops_tui.services.taxi_zones import zone_table


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("Narnia", "look one up by a part of its name, e.g. `zones midtown`"),
        ("xyzzy airport", "try `zones airport`"),
        ("penn statoin nowhere", "try `zones penn`"),
        ("999", ""),
    ],
)
def test_the_hint_names_a_search_that_finds_zones(typed: str, hint: str) -> None:
    table = zone_table()
    with pytest.raises(ZoneNotFound) as err:
        resolve_zone(table, typed)
    assert err.value.hint == hint
    if hint.startswith("try `zones "):
        word = hint.removeprefix("try `zones ").rstrip("`")
        assert table.ranked(word), word  # the command it names finds zones
