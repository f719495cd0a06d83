"""Reading a taxi zone a person typed: one resolver for every place a ride is asked for.

`resolve_zone(table, text)` is what the Predict form, the guide, `mlops-tui predict` and the
prediction server (`ZoneTable.resolve`) all use, so a name means the same zone everywhere. It takes
the zone table it is given (the built-in approximate centroids, a TLC lookup file, or a table of
real centroids), and asks of it only `get(id)`, `ranked(text)` and iteration.

In order, a text is:
1. an id (`230`): that zone, or "no taxi zone has id 999 (ids are 1-265)";
2. a zone name or landmark alias, exactly (`LaGuardia Airport`, `Centre Market Place`);
3. words that all start words of one zone's name (`laguardia`, `penn st`, `times sq`), or of
   several where one fits clearly best (whole words and shorter names win);
4. a close spelling of one zone's name (`Midtwn Center`: difflib, ratio 0.75 or more).
Several zones that fit equally raise `AmbiguousZone` with the candidates, best first; nothing
fitting raises `ZoneNotFound` naming the text, with the nearest names when some words matched.

Also the one distance estimate (straight line times a detour factor) used where a person gave no
distance. Standard library only (shipped to the training cluster; imported by the app).
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

#: Straight-line miles times this is about the miles a cab drives (Manhattan's grid and bridges;
#: the median ratio of taximeter distance to the zone centres' distance in the TLC 2019 sample).
DETOUR = 1.3
MIN_ESTIMATE_MILES = 0.5
EARTH_RADIUS_MILES = 3958.8
FUZZY_CUTOFF = 0.75
CLEAR_LEAD = 0.15  # a zone fits "clearly best" when its score is this much above the next one's
SHOWN = 5  # candidates named in a message


class _Zone(Protocol):
    location_id: int
    zone: str
    borough: str
    lat: float | None
    lon: float | None
    aliases: tuple[str, ...]


class _Table(Protocol):
    def get(self, location_id: int) -> Any: ...
    def ranked(self, query: str) -> list[tuple[float, Any]]: ...
    def __iter__(self) -> Any: ...


def _label(zone: _Zone) -> str:
    return f"{zone.zone} ({zone.location_id})"


def _names(zones: Sequence[_Zone]) -> str:
    shown = ", ".join(_label(z) for z in zones[:SHOWN])
    return shown + (f" and {len(zones) - SHOWN} more" if len(zones) > SHOWN else "")


class ZoneNotFound(LookupError):
    """No zone fits `query`; `near` holds zones that share some of its words (maybe none);
    `hint` is the command that lists zones by name (one that finds some)."""

    def __init__(self, query: str, message: str, near: Sequence[_Zone] = ()) -> None:
        self.query = query
        self.near = list(near)
        words = [w.lower() for w in query.split()]
        names = " ".join(z.zone.lower() for z in self.near)
        shared = next((w for w in words if len(w) > 2 and w in names), None)
        if not words or query.strip().isdigit():
            self.hint = ""
        elif shared:  # a word the zones near it share finds them (`zones narnia` would find nothing)
            self.hint = f"try `zones {shared}`"
        else:
            self.hint = "look one up by a part of its name, e.g. `zones midtown`"
        super().__init__(message)


class AmbiguousZone(LookupError):
    """Several zones fit `query` equally well; `candidates` lists them, best first."""

    def __init__(self, query: str, candidates: Sequence[_Zone]) -> None:
        self.query = query
        self.candidates = list(candidates)
        self.hint = "say which (a longer name, or the id)"
        super().__init__(f"'{query}' fits {len(self.candidates)} zones: {_names(self.candidates)}")


def resolve_zone(table: _Table, text: str | int) -> Any:
    """The one zone `text` names in `table` (see the module docstring for the order).

    Raises ZoneNotFound or AmbiguousZone (both LookupError)."""
    if isinstance(text, bool) or not isinstance(text, int | str):
        raise ZoneNotFound(str(text), f"not a zone: {json.dumps(text, default=str)}")
    query = str(text).strip()
    if not query:
        raise ZoneNotFound("", "no zone given (a zone name or id)")
    if query.isdigit():
        zone = table.get(int(query))
        if zone is None:
            top = max((z.location_id for z in table), default=0)
            raise ZoneNotFound(query, f"no taxi zone has id {int(query)} (ids are 1-{top})")
        return zone
    try:
        ranked = table.ranked(query)
    except LookupError as exc:  # too long to match
        raise ZoneNotFound(query, str(exc)) from None
    full = _distinct([(s, z) for s, z in ranked if s >= 2.0])
    exact = [z for s, z in full if s >= 3.0]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        raise AmbiguousZone(query, exact)
    if len(full) == 1 or (full and full[0][0] - full[1][0] > CLEAR_LEAD):
        return full[0][1]
    if full:
        raise AmbiguousZone(query, [z for _, z in full])
    close = _close_spellings(table, query)
    if len(close) == 1:
        return close[0]
    if close:
        raise AmbiguousZone(query, close)
    near = [z for _, z in _distinct(ranked)[:3]]
    also = f"; did you mean {' or '.join(z.zone for z in near)}?" if near else ""
    raise ZoneNotFound(query, f"no zone called '{query}'{also}", near)


def _distinct(ranked: Iterable[tuple[float, Any]]) -> list[tuple[float, Any]]:
    """Best score per zone name, best first. A zone found by its name and an alias counts once, and
    so do zones that share one name (the TLC's 103-105 are all "Governor's Island/Ellis
    Island/Liberty Island"): the lowest id stands for them."""
    seen: dict[str, tuple[float, Any]] = {}
    for score, zone in sorted(ranked, key=lambda t: (-t[0], t[1].location_id)):
        seen.setdefault(zone.zone.lower(), (score, zone))
    return list(seen.values())


def _close_spellings(table: _Table, query: str) -> list[Any]:
    """Zones whose name, a part of it (split at "/") or an alias is spelt like `query`."""
    key = " ".join(query.lower().split())
    choices: dict[str, list[Any]] = {}
    for zone in table:
        for name in (zone.zone, *zone.zone.split("/"), *zone.aliases):
            name = " ".join(name.lower().split())
            if name:
                choices.setdefault(name, []).append(zone)
    found: dict[int, Any] = {}
    for name in difflib.get_close_matches(key, list(choices), n=4, cutoff=FUZZY_CUTOFF):
        for zone in choices[name]:
            found.setdefault(zone.location_id, zone)
    return list(found.values())


def straight_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in miles (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def estimate_miles(straight: float) -> float:
    """The driving distance a ride of `straight` great-circle miles probably has (DETOUR times it,
    at least MIN_ESTIMATE_MILES), rounded to 0.1 mile."""
    return round(max(MIN_ESTIMATE_MILES, DETOUR * straight), 1)


def estimate_zone_miles(a: _Zone, b: _Zone) -> float | None:
    """`estimate_miles` between two zones' centres, or None when one has no coordinates."""
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return None
    return estimate_miles(straight_miles(a.lat, a.lon, b.lat, b.lon))
