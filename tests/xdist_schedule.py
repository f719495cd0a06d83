"""How the tests are spread over the pytest-xdist workers (``--dist loadgroup``), used by
``tests/conftest.py``'s ``pytest_collection_modifyitems``. Figures: docs/testing.md.

Two things cost wall time on 2 workers without checking anything:

- a dear fixture built once per worker: a session fixture (the class of 20, ``lab run``) or a
  module fixture (a workshop platform of one test module) is built again on the second worker
  when its tests are split between the two. :func:`group_dear_fixtures` keeps the tests of each
  such fixture on one worker (an ``xdist_group``), so it is built once per run;
- a long test started last: the run ends when the last test does, so a minute-long test started
  near the end keeps one worker busy while the other idles. :func:`longest_first` starts the
  longest tests first (``tests/longest_tests.txt``), and the short ones fill in at the end.

Neither changes what a test does or asserts, only where and when it runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

LONGEST = Path(__file__).with_name("longest_tests.txt")


def _module_fixtures(item: pytest.Item) -> list[str]:
    """The names of the module-scoped fixtures the test uses (directly or through others)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    return sorted(name for name, defs in info.name2fixturedefs.items() if defs and defs[-1].scope == "module")


def group_dear_fixtures(items: Iterable[pytest.Item], shared: tuple[str, ...]) -> None:
    """An ``xdist_group`` per session fixture named in ``shared`` (its tests: one worker), and one
    per test module for the tests that use a module-scoped fixture. A test joins one group only
    (xdist reads the first): the session fixture's; a module's group is then that session
    fixture's group as well, so the module fixture is not built again on the other worker."""
    items = list(items)
    session_group: dict[int, str] = {}
    module_group: dict[str, str] = {}  # module -> its group, for the tests of its module fixtures
    for item in items:
        name = next((n for n in shared if n in getattr(item, "fixturenames", ())), None)
        module = item.nodeid.split("::", 1)[0]
        if name is not None:
            session_group[id(item)] = name
        if _module_fixtures(item) and (name is not None or module not in module_group):
            module_group[module] = name or module
    for item in items:
        group = session_group.get(id(item))
        if group is None and _module_fixtures(item):
            group = module_group[item.nodeid.split("::", 1)[0]]
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def _seconds(path: Path = LONGEST) -> dict[str, float]:
    """``path::function`` -> seconds, from ``longest_tests.txt`` (comments and blank lines skipped)."""
    known: dict[str, float] = {}
    if not path.is_file():
        return known
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            seconds, nodeid = line.split(maxsplit=1)
            known[nodeid.strip()] = float(seconds)
    return known


def _group(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    return str(mark.args[0]) if mark and mark.args else None


def longest_first(items: list[pytest.Item], known: dict[str, float] | None = None) -> None:
    """Reorder ``items`` in place, by the unit xdist sends to a worker (a group, else one test):
    the units measured long first, longest first (a group counts the seconds of its tests); then
    the other groups, then the other tests, each in the order collected. xdist sends the units in
    this order (``--no-loadscope-reorder`` in pyproject.toml: its own order puts the groups with
    the most tests first, whatever their length)."""
    seconds = _seconds() if known is None else known
    units: dict[str, tuple[float, int, int]] = {}  # unit -> (seconds, single, first position)
    for at, item in enumerate(items):
        group = _group(item)
        unit = group if group is not None else item.nodeid
        spent, _, first = units.get(unit, (0.0, int(group is None), at))
        units[unit] = (spent + seconds.get(item.nodeid.split("[", 1)[0], 0.0), int(group is None), first)

    def key(item: pytest.Item) -> tuple[float, int, int]:
        spent, single, first = units[_group(item) or item.nodeid]
        return (-spent, single, first)

    items.sort(key=key)
