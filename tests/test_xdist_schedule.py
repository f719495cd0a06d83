"""The suite's own scheduling (``tests/xdist_schedule.py``): which tests share a worker, and which
start first. A wrong group builds a dear fixture twice; a wrong order leaves a long test last."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from xdist_schedule import group_dear_fixtures, longest_first


@dataclass
class Item:
    """What the schedule reads of a pytest item: its id, its fixtures and its markers."""

    nodeid: str
    fixtures: dict[str, str] = field(default_factory=dict)  # name -> scope
    markers: list[Any] = field(default_factory=list)

    @property
    def fixturenames(self) -> list[str]:
        return list(self.fixtures)

    @property
    def _fixtureinfo(self) -> Any:
        return SimpleNamespace(
            name2fixturedefs={n: [SimpleNamespace(scope=s)] for n, s in self.fixtures.items()}
        )

    def add_marker(self, marker: Any) -> None:
        self.markers.append(marker.mark)

    def get_closest_marker(self, name: str) -> Any:
        return next((m for m in self.markers if m.name == name), None)

    def group(self) -> str | None:
        mark = self.get_closest_marker("xdist_group")
        return mark.args[0] if mark else None


def test_a_module_fixture_groups_its_tests_and_no_other() -> None:
    items = [
        Item("tests/a.py::test_class", {"twenty_attendees": "session"}),
        Item("tests/a.py::test_small", {"small": "module", "tmp_path": "function"}),
        Item("tests/a.py::test_small_too", {"small": "module"}),
        Item("tests/a.py::test_alone", {"tmp_path": "function", "local_platform": "session"}),
    ]
    group_dear_fixtures(items, ("twenty_attendees",))  # type: ignore[arg-type]
    assert [i.group() for i in items] == ["twenty_attendees", "tests/a.py", "tests/a.py", None]


def test_a_module_fixture_follows_its_session_groups_worker() -> None:
    items = [
        Item("tests/b.py::test_first", {"dep": "module"}),
        Item("tests/b.py::test_faults", {"dep": "module", "fault_platform": "session"}),
    ]
    group_dear_fixtures(items, ("fault_platform",))  # type: ignore[arg-type]
    assert [i.group() for i in items] == ["fault_platform", "fault_platform"]


def test_the_longest_unit_starts_first_and_the_rest_keep_their_order() -> None:
    group = pytest.mark.xdist_group
    items = [
        Item("tests/a.py::test_quick"),
        Item("tests/b.py::test_grouped_1", markers=[group("b").mark]),
        Item("tests/c.py::test_long[x]"),
        Item("tests/b.py::test_grouped_2", markers=[group("b").mark]),
        Item("tests/d.py::test_medium"),
        Item("tests/e.py::test_other_group", markers=[group("e").mark]),
    ]
    known = {
        "tests/c.py::test_long": 30.0,
        "tests/b.py::test_grouped_1": 8.0,
        "tests/d.py::test_medium": 10.0,
    }
    longest_first(items, known)  # type: ignore[arg-type]
    assert [i.nodeid.split("::")[1] for i in items] == [
        "test_long[x]",  # 30 s
        "test_medium",  # 10 s
        "test_grouped_1",  # the group of b: 8 s
        "test_grouped_2",
        "test_other_group",  # a group not measured: before single tests
        "test_quick",
    ]
