"""A taxi ride typed in words or fields, turned into something the model can score.

The guide lets a person ask ``predict from Penn Station to LaGuardia tomorrow 8am`` or
``predict pickup=161 dropoff=230 when=2019-02-05T09:00 distance=2.1``. This module finds the
places and the date words in the line; the places are read by the one zone resolver
(``lab_scripts.places.resolve_zone``, also used by the Predict form, ``mlops-tui predict`` and the
prediction server) and the date words by the one date reader (:mod:`.when`). Pure: no Textual, no
I/O besides loading the zone table once, so every phrasing can be unit-tested. Anything it cannot
understand ends in one :class:`RideError` naming each part it could not read.
"""

from __future__ import annotations

import calendar
import contextlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from mlops_tui.assistant.when import DATA_PERIOD, DEFAULT_WHEN, DataPeriod, WhenError, read_when
from mlops_tui.lab_scripts.places import (
    DETOUR,
    AmbiguousZone,
    ZoneNotFound,
    estimate_zone_miles,
    resolve_zone,
)
from mlops_tui.lab_scripts.zones import Zone, ZoneTable


class RideError(ValueError):
    """The ride could not be understood; the message lists every part that was not."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Place:
    """One TLC taxi zone, as the app shows it."""

    id: int
    name: str
    borough: str = ""
    lat: float | None = None
    lon: float | None = None

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"

    @classmethod
    def of(cls, zone: Zone) -> Place:
        return cls(zone.location_id, zone.zone, zone.borough, zone.lat, zone.lon)


@dataclass(frozen=True)
class Ride:
    """A ride to score; ``assumed`` says how it was read (what was filled in, what "today" is)."""

    pickup: Place
    dropoff: Place
    when: datetime
    distance_miles: float
    assumed: tuple[str, ...] = ()

    def describe(self) -> str:
        when = self.when.strftime("%a %d %b %Y %H:%M")
        return f"{self.pickup.name} → {self.dropoff.name}, {when}, {self.distance_miles:g} mi"

    @property
    def is_weekday(self) -> bool:
        return self.when.weekday() < 5

    def to_record(self) -> dict[str, Any]:
        """The raw ride the prediction server takes (``lab_scripts.features.INPUT_SCHEMA``)."""
        return {
            "pickup_datetime": self.when.isoformat(timespec="seconds"),
            "pickup_zone": self.pickup.id,
            "dropoff_zone": self.dropoff.id,
            "distance": self.distance_miles,
        }


# ----------------------------------------------------------------------------------------- zones


class ZoneIndex:
    """The zone table as the guide uses it: places by id, the one resolver, the ranked search.

    Wraps a ``lab_scripts`` :class:`ZoneTable` (:meth:`from_table`), or builds one from places
    (:meth:`build`, for tests and small tables)."""

    def __init__(self, table: ZoneTable) -> None:
        self.table = table
        self.places: dict[int, Place] = {z.location_id: Place.of(z) for z in table}

    @classmethod
    def build(cls, places: Iterable[Place], aliases: dict[str, int] | None = None) -> ZoneIndex:
        by_id: dict[int, list[str]] = {}
        for alias, zone_id in (aliases or {}).items():
            by_id.setdefault(zone_id, []).append(alias)
        zones = [Zone(p.id, p.name, p.borough, p.lat, p.lon, tuple(by_id.get(p.id, ()))) for p in places]
        return cls(ZoneTable(zones))

    @classmethod
    def from_table(cls, table: ZoneTable) -> ZoneIndex:
        return cls(table)

    def search(self, text: str, limit: int = 8) -> list[Place]:
        """Zones matching ``text``, best first (for ``zones <text>``)."""
        return [self.places[z.location_id] for z in self.table.find(text, limit=limit)]

    def resolve(self, text: str | int) -> Place:
        """The single zone ``text`` names (``lab_scripts.places.resolve_zone``); raises
        ``AmbiguousZone`` or ``ZoneNotFound`` (both LookupError) otherwise."""
        return self.places[resolve_zone(self.table, text).location_id]

    def estimate_miles(self, a: Place, b: Place) -> float | None:
        """The driving distance the model would assume between the two zone centres, or None."""
        return estimate_zone_miles(self.table[a.id], self.table[b.id])


def describe_record(record: dict[str, Any], table: ZoneTable | None) -> str:
    """A raw ride (``INPUT_SCHEMA`` fields) in words: ``Penn Station/Madison Sq West (186) →
    LaGuardia Airport (138), Fri 07 Jun 2019 08:00, 8.4 mi`` (an exact point, when given, wins over
    the zone's centre, as on the prediction server)."""

    def place(end: str) -> str:
        zone_id = record.get(f"{end}_zone")
        zone = table.get(zone_id) if table is not None and isinstance(zone_id, int) else None
        name = f"{zone.zone} ({zone.location_id})" if zone else (str(zone_id) if zone_id is not None else "")
        if record.get(f"{end}_lat") is not None and record.get(f"{end}_lon") is not None:
            point = f"{record[f'{end}_lat']:.4f}, {record[f'{end}_lon']:.4f}"
            return f"{zone.zone} at {point}" if zone else point
        return name or "?"

    when = str(record.get("pickup_datetime", ""))
    with contextlib.suppress(ValueError):
        when = datetime.fromisoformat(when).strftime("%a %d %b %Y %H:%M")
    miles = record.get("distance")
    far = f"{miles:g} mi" if isinstance(miles, int | float) else "distance estimated by the server"
    people = record.get("passengers")
    who = f", {people} passengers" if isinstance(people, int) and people != 1 else ""
    return f"{place('pickup')} → {place('dropoff')}, {when}, {far}{who}"


@lru_cache(maxsize=1)
def default_zones() -> ZoneIndex:
    """The app's TLC zone table (read once; a few milliseconds): real centroids once
    ``mlops-tui data fetch zones`` has run, else the built-in approximate ones
    (``services.taxi_zones.zone_table`` decides which)."""
    from mlops_tui.services.taxi_zones import zone_table

    return ZoneIndex.from_table(zone_table())


# ------------------------------------------------------------------------------------ tokens


_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_DAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_DAYS.update({name.lower(): i for i, name in enumerate(calendar.day_abbr)})
_DAYS.update({"tues": 1, "thur": 3, "thurs": 3, "weds": 2})
_DAYS.update({f"{name}s": i for name, i in list(_DAYS.items()) if len(name) > 3})  # "mondays"
# also ordinary words: read as a place word when they start a place name ("from May Park")
_AMBIGUOUS = {"sat", "sun", "mon", "wed", "may", "mar"}
_KINDS = {"weekday", "weekdays", "workday", "weekend"}
_RELATIVE = {"today", "tomorrow", "tonight", "yesterday", "noon", "midday", "midnight"}
_PART_OF_DAY = {"morning", "afternoon", "evening", "night"}
_SHIFTS = {"next", "this", "last"}
_FILLERS = {"on", "at", "in", "a", "of", "for", "around", "about", "ride", "trip", "taxi", "cab", "the"}
_KM = 0.621371
_UNITS = {"mi": 1.0, "mile": 1.0, "miles": 1.0, "km": _KM, "kms": _KM, "kilometers": _KM, "kilometres": _KM}
_NUMBER = r"(\d+(?:\.\d+)?|\.\d+)"
_TIME = re.compile(r"^\d{1,2}(:\d{2})?(am|pm|a\.m\.|p\.m\.)$|^\d{1,2}:\d{2}$")
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([t ]\d{1,2}:\d{2}(:\d{2})?)?$|^\d{1,2}[/.]\d{1,2}([/.]\d{2,4})?$")
_DAY_NUMBER = re.compile(r"^\d{1,2}(st|nd|rd|th)?,?$")
_FIELD_ALIASES = {
    "pickup": "pickup from pu start pulocationid",
    "dropoff": "dropoff to do end dolocationid",
    "when": "when datetime pickup_datetime tpep_pickup_datetime date",
    "day": "day",
    "time": "time hour at",
    "month": "month",
    "distance": "distance dist miles trip_distance",
    "km": "km",
}
_FIELD_KEYS = {alias: name for name, aliases in _FIELD_ALIASES.items() for alias in aliases.split()}


def _tokens(text: str) -> list[str]:
    """Split on blanks, keep quoted values and ``key = value`` together; drop a question's ``?``."""
    text = re.sub(r"\s*=\s*", "=", text.strip().rstrip("?!"))
    return [
        t.strip("\"'") if "=" not in t else t for t in re.findall(r"\S+=\"[^\"]*\"|\S+='[^']*'|\S+", text)
    ]


def _parse_distance(value: str, unit: str = "mi") -> float | None:
    m = re.fullmatch(_NUMBER + r"\s*([a-z]*)", value.lower())
    if not m:
        return None
    unit = m.group(2) or unit
    if unit not in _UNITS:
        return None
    return round(float(m.group(1)) * _UNITS[unit], 2)


@dataclass
class _Parts:
    """What was read so far; ``problems`` collects everything not understood."""

    pickup: str | None = None
    dropoff: str | None = None
    when: list[str] = field(default_factory=list)  # date and time words, for the one date reader
    distance: float | None = None
    unknown: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _read_field(parts: _Parts, key: str, value: str) -> None:
    name = _FIELD_KEYS.get(key.lower())
    if name is None:
        parts.problems.append(
            f"unknown field '{key}' (use pickup, dropoff, when, hour, day, month, distance)"
        )
        return
    if name in ("pickup", "dropoff"):
        setattr(parts, name, value)
    elif name == "when":
        parts.when.append(value)
    elif name == "time":
        parts.when.append(f"{value}:00" if value.isdigit() else value)
    elif name == "month":
        if value.isdigit() and 1 <= int(value) <= 12:
            parts.when.append(calendar.month_name[int(value)])
        elif value.lower() in _MONTHS:
            parts.when.append(value)
        else:
            parts.problems.append(f"'{value}' is not a month (write e.g. February or month=2)")
    elif name == "day":
        if value.lower() in _DAYS or value.lower() in _KINDS:
            parts.when.append(value)
        else:
            parts.problems.append(f"'{value}' is not a day (write e.g. Tuesday, weekday or weekend)")
    else:  # distance / km
        distance = _parse_distance(value, "km" if name == "km" else "mi")
        if distance is None or distance <= 0:
            parts.problems.append(f"'{value}' is not a distance (write e.g. 2.1 miles or distance=2.1)")
        else:
            parts.distance = distance


def _date_words(tokens: list[str], i: int, place_start: bool) -> int:
    """How many tokens from ``i`` on are date or time words (0 when the token is not one).

    ``place_start``: a place name starts here, where "May" or "Sun" are place words ("from May
    Park"), not dates."""
    low = tokens[i].lower()
    nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
    after = tokens[i + 2].lower() if i + 2 < len(tokens) else ""
    if _TIME.match(low) or _DATE.match(low) or low in _RELATIVE or low in _KINDS or low in _PART_OF_DAY:
        return 1
    if re.fullmatch(r"\d{1,2}(:\d{2})?", low) and nxt in ("am", "pm", "a.m.", "p.m."):
        return 2
    if low == "at" and re.fullmatch(r"\d{1,2}(:\d{2})?", nxt) and int(nxt.split(":")[0]) < 24:
        return 3 if after in ("am", "pm") else 2
    if low in _SHIFTS and (nxt in _DAYS or nxt in ("week", "month")):
        return 2
    if low == "in" and re.fullmatch(r"\d+", nxt) and after.rstrip("s") in ("day", "hour", "week", "minute"):
        return 3
    if re.fullmatch(r"\d+", low) and nxt.rstrip("s") in ("day", "hour", "week") and after == "ago":
        return 3
    if (
        _DAY_NUMBER.match(low)
        and (nxt in _MONTHS or (nxt == "of" and after in _MONTHS))
        and nxt not in _UNITS
    ):
        return 1  # "15 march": the month follows
    ambiguous = low in _AMBIGUOUS and place_start
    if (low in _DAYS or low in _MONTHS) and not ambiguous:
        if low in _MONTHS and _DAY_NUMBER.match(nxt) and after not in _UNITS:
            return 3 if re.fullmatch(r"\d{4}", after) else 2  # "march 15 2019"
        return 1
    return 0


def _scan(tokens: list[str]) -> _Parts:
    """One pass over the tokens: recognised pieces end a place name; the rest is place text."""
    parts = _Parts()
    mode: str | None = None
    words: dict[str, list[str]] = {"pickup": [], "dropoff": []}
    i = 0
    while i < len(tokens):
        tok, low = tokens[i], tokens[i].lower()
        nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        consumed = 1
        recognised = True
        if "=" in tok and not tok.startswith("="):
            key, _, value = tok.partition("=")
            _read_field(parts, key, value.strip("\"'"))
        elif low in ("from", "to"):
            if low == "to" and mode is None and parts.unknown and not words["pickup"]:
                words["pickup"], parts.unknown = parts.unknown, []  # "penn station to laguardia"
            mode = "pickup" if low == "from" else "dropoff"
            i += 1
            continue
        elif (d := _parse_distance(low)) is not None and re.search(r"[a-z]$", low):
            parts.distance = d
        elif re.fullmatch(_NUMBER, low) and nxt in _UNITS:
            parts.distance = _parse_distance(low + nxt)
            consumed = 2
        elif n := _date_words(tokens, i, bool(mode and not words[mode])):
            parts.when.extend(tokens[i : i + n])
            consumed = n
        elif low in _FILLERS and (mode is None or _ends_place(tokens, i + 1)):
            pass
        else:
            recognised = False
        if recognised:
            mode = None
        elif mode is not None:
            words[mode].append(tok)
        else:
            parts.unknown.append(tok)
        i += consumed
    parts.pickup = parts.pickup or (" ".join(words["pickup"]) or None)
    parts.dropoff = parts.dropoff or (" ".join(words["dropoff"]) or None)
    return parts


def _ends_place(tokens: list[str], i: int) -> bool:
    """A filler inside a place name ends it only when a date word or the line's end follows it
    ("from Times Sq at 8am"; but "from Bay of Brooklyn")."""
    return i >= len(tokens) or bool(_date_words(tokens, i, False))


def _resolve_prefix(zones: ZoneIndex, name: str) -> tuple[Place, list[str]] | None:
    """``jfk please`` → (JFK Airport, ["please"]): a place followed by words that are not one."""
    words = name.split()
    for n in range(len(words) - 1, 0, -1):
        try:
            return zones.resolve(" ".join(words[:n])), words[n:]
        except LookupError:
            continue
    return None


def _by_distance(
    zones: ZoneIndex, candidates: list[Place], other: Place | None, miles: float | None
) -> Place | None:
    """Pick the candidate whose distance to the other end fits the stated ride length clearly best."""
    if other is None or miles is None:
        return None
    fits = []
    for place in candidates:
        estimate = zones.estimate_miles(place, other)
        if estimate is not None:
            fits.append((abs(estimate - miles) / max(miles, estimate), place))
    fits.sort(key=lambda f: f[0])
    if len(fits) == len(candidates) and fits and (len(fits) == 1 or fits[1][0] - fits[0][0] > 0.25):
        return fits[0][1]
    return None


def place_problem(role: str, err: LookupError) -> str:
    """``pickup: no zone called 'Narnia', look one up by a part of its name, e.g. `zones midtown```:
    a zone that could not be read, and the guide's command that finds one."""
    hint = getattr(err, "hint", "")
    return f"{role}: {err}" + (f", {hint}" if hint else "")


def parse_ride(
    text: str, zones: ZoneIndex, *, today: date | None = None, period: DataPeriod = DATA_PERIOD
) -> Ride:
    """Read a ride from words and/or ``key=value`` fields; raise :class:`RideError` naming every
    problem. ``today`` is the real date relative dates count from (see :mod:`.when`)."""
    parts = _scan(_tokens(text))
    problems = list(parts.problems)
    places: dict[str, Place] = {}
    ambiguous: dict[str, AmbiguousZone] = {}
    for role in ("pickup", "dropoff"):
        name = getattr(parts, role)
        if name is None:
            where = "from <place>" if role == "pickup" else "to <place>"
            problems.append(f"no {role} place (add '{where}', a zone name or id)")
            continue
        try:
            places[role] = zones.resolve(name)
        except AmbiguousZone as err:
            ambiguous[role] = err
        except ZoneNotFound as err:
            shorter = _resolve_prefix(zones, name)
            if shorter is None:
                problems.append(place_problem(role, err))
            else:
                places[role], extra = shorter
                parts.unknown.extend(extra)
    if parts.unknown:
        problems.insert(0, "did not understand " + " ".join(f"'{w}'" for w in parts.unknown))
    assumed: list[str] = []
    for role, err in ambiguous.items():
        other = places.get("dropoff" if role == "pickup" else "pickup")
        candidates = [zones.places[z.location_id] for z in err.candidates]
        place = _by_distance(zones, candidates, other, parts.distance)
        if place is None:
            hint = " (or give the ride's distance)" if parts.distance is None else ""
            problems.append(f"{role}: {err}; {err.hint}{hint}")
        else:
            places[role] = place
            assumed.append(f"{getattr(parts, role)} = {place.name} (fits {parts.distance:g} miles)")
    when: datetime | None = None
    try:
        read = read_when(" ".join(parts.when), today=today, period=period, default=DEFAULT_WHEN)
        when = read.value
        assumed.extend(read.notes)
    except WhenError as err:
        problems.append(str(err))
    distance = parts.distance
    if distance is None and len(places) == 2:
        distance = zones.estimate_miles(places["pickup"], places["dropoff"])
        if distance is None:
            problems.append("no distance (add e.g. '2.1 miles' or distance=2.1)")
        else:
            assumed.append(f"{distance:g} miles estimated (straight line x {DETOUR})")
    if distance is not None and not 0 < distance < 150:
        problems.append(f"a distance of {distance:g} miles is out of range (0-150)")
    if problems or when is None or distance is None:
        raise RideError(problems or ["the ride is incomplete"])
    return Ride(
        pickup=places["pickup"],
        dropoff=places["dropoff"],
        when=when,
        distance_miles=distance,
        assumed=tuple(assumed),
    )
