"""A taxi ride typed in words or fields, turned into something the model can score.

The guide lets a person ask ``predict from Midtown Center to Times Sq weekday 9am February 2.1 miles``
or ``predict pickup=161 dropoff=230 when=2019-02-05T09:00 distance=2.1``. This module is pure (no
Textual, no I/O besides loading the zone table once) so every phrasing can be unit-tested. Anything
it cannot understand ends in one :class:`RideError` naming each part it could not read.
"""

from __future__ import annotations

import calendar
import difflib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

DEFAULT_YEAR = 2019  # the training data covers January-June 2019
DEFAULT_MONTH = 2  # the workshop's example ride is in February
DEFAULT_HOUR = 9
ROAD_FACTOR = 1.3  # straight-line distance x this ~ distance driven in Manhattan's grid


class RideError(ValueError):
    """The ride could not be understood; the message lists every part that was not."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Place:
    """One TLC taxi zone."""

    id: int
    name: str
    borough: str = ""
    lat: float | None = None
    lon: float | None = None

    def __str__(self) -> str:
        return f"{self.name} ({self.id})"


@dataclass(frozen=True)
class Ride:
    """A ride to score; ``assumed`` says which parts the parser filled in by itself."""

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


def _norm(text: str) -> str:
    text = text.lower().replace("&", " and ")
    text = re.sub(r"[/\-,.'()]", " ", text)
    words = [_SYNONYMS.get(w, w) for w in text.split()]
    return " ".join(words)


_SYNONYMS = {
    "street": "st",
    "square": "sq",
    "avenue": "ave",
    "av": "ave",
    "place": "pl",
    "saint": "st",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "centre": "center",
    "ctr": "center",
    "intl": "international",
    "apt": "airport",
}


class Ambiguous(LookupError):
    """A place name that fits several zones equally well; ``candidates`` lists them, best first."""

    def __init__(self, query: str, candidates: Sequence[Place]) -> None:
        self.candidates = list(candidates)
        names = ", ".join(p.name for p in self.candidates[:5]) + ("…" if len(self.candidates) > 5 else "")
        super().__init__(f"'{query}' fits several zones ({names}); say which")


@dataclass
class ZoneIndex:
    """Looks zones up by id, name, part of a name (``Times Sq``), landmark alias or a close spelling.

    Built from the lab_scripts zone table (:meth:`from_table`), whose ranked search is the one the
    prediction form uses; the fallbacks here only add close spellings ("Midtwn Center").
    """

    places: dict[int, Place]
    aliases: dict[str, int] = field(default_factory=dict)
    table: Any = None  # a lab_scripts ZoneTable, when built from one

    @classmethod
    def build(cls, places: Iterable[Place], aliases: dict[str, int] | None = None) -> ZoneIndex:
        index = cls({p.id: p for p in places})
        for alias, zone_id in (aliases or {}).items():
            if zone_id in index.places:
                index.aliases[_norm(alias)] = zone_id
        return index

    @classmethod
    def from_table(cls, table: Any) -> ZoneIndex:
        places = [Place(z.location_id, z.zone, z.borough, z.lat, z.lon) for z in table]
        aliases = {a: z.location_id for z in table for a in z.aliases}
        index = cls.build(places, aliases)
        index.table = table
        return index

    def _place(self, zone: Any) -> Place:
        return self.places[zone.location_id]

    def _names(self, place: Place) -> list[str]:
        parts = [place.name, *place.name.split("/")]
        return [_norm(p) for p in parts if p.strip()]

    def search(self, text: str, limit: int = 8) -> list[Place]:
        """Zones matching ``text``, best first (for ``zones <text>``)."""
        if self.table is not None:
            return [self._place(z) for z in self.table.find(text, limit=limit)]
        words = _norm(text).split()
        found = []
        for place in self.places.values():
            name_words = _norm(place.name).split() + _norm(place.borough).split()
            if all(any(nw.startswith(w) for nw in name_words) for w in words):
                found.append(place)
        return sorted(found, key=lambda p: p.name)[:limit]

    def resolve(self, text: str) -> Place:
        """The single zone ``text`` names; :class:`Ambiguous` or :class:`LookupError` otherwise."""
        query = text.strip()
        if not query:
            raise LookupError("an empty place name")
        if query.isdigit():
            place = self.places.get(int(query))
            if place is None:
                raise LookupError(f"no taxi zone has id {query} (ids are 1-{max(self.places, default=0)})")
            return place
        if self.table is not None:
            try:
                return self._place(self.table.resolve(query))
            except LookupError:
                ranked = self.table.ranked(query)
                if ranked and ranked[0][0] >= 2.0:
                    top = ranked[0][0]
                    raise Ambiguous(query, [self._place(z) for s, z in ranked if s > top - 0.15]) from None
        q = _norm(query)
        if q in self.aliases:
            return self.places[self.aliases[q]]
        exact = [p for p in self.places.values() if q in self._names(p)]
        if len(exact) == 1:
            return exact[0]
        words = q.split()
        prefix = [
            p
            for p in self.places.values()
            if all(any(nw.startswith(w) for nw in _norm(p.name).split()) for w in words)
        ]
        if len(prefix) == 1:
            return prefix[0]
        if len(prefix) > 1:
            raise Ambiguous(query, sorted(prefix, key=lambda p: p.name))
        choices = {name: p for p in self.places.values() for name in self._names(p)}
        choices.update({a: self.places[i] for a, i in self.aliases.items()})
        close = difflib.get_close_matches(q, list(choices), n=3, cutoff=0.75)
        candidates = {choices[c].id: choices[c] for c in close}
        if len(candidates) == 1:
            return next(iter(candidates.values()))
        hint = ""
        if candidates:
            hint = " — did you mean " + " or ".join(p.name for p in candidates.values()) + "?"
        raise LookupError(f"no taxi zone called '{query}'{hint} (try `zones {words[0]}`)")

    def estimate_miles(self, a: Place, b: Place) -> float | None:
        """A rough driving distance from the zone centres, or None without coordinates."""
        if None in (a.lat, a.lon, b.lat, b.lon):
            return None
        lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))  # type: ignore[arg-type]
        h = (
            math.sin((lat2 - lat1) / 2) ** 2
            + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        )
        miles = 2 * 3958.8 * math.asin(math.sqrt(h)) * ROAD_FACTOR
        return round(max(miles, 0.5), 1)


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
_KIND_OF_DAY = {"weekday": "weekday", "weekdays": "weekday", "workday": "weekday", "weekend": "weekend"}
_FILLERS = {"on", "at", "in", "a", "of", "for", "around", "about", "ride", "trip", "taxi", "cab"}
_KM = 0.621371
_UNITS = {"mi": 1.0, "mile": 1.0, "miles": 1.0, "km": _KM, "kms": _KM, "kilometers": _KM, "kilometres": _KM}
_NUMBER = r"(\d+(?:\.\d+)?|\.\d+)"
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_FIELD_ALIASES = {
    "pickup": "pickup from pu start pulocationid",
    "dropoff": "dropoff to do end dolocationid",
    "when": "when datetime pickup_datetime tpep_pickup_datetime",
    "date": "date",
    "day": "day",
    "time": "time hour at",
    "month": "month",
    "distance": "distance dist miles trip_distance",
    "km": "km",
}
_FIELD_KEYS = {alias: name for name, aliases in _FIELD_ALIASES.items() for alias in aliases.split()}


def _tokens(text: str) -> list[str]:
    """Split on blanks, keep quoted values and ``key = value`` together."""
    text = re.sub(r"\s*=\s*", "=", text.strip())
    return [
        t.strip("\"'") if "=" not in t else t for t in re.findall(r"\S+=\"[^\"]*\"|\S+='[^']*'|\S+", text)
    ]


def _parse_time(text: str) -> tuple[int, int] | None:
    t = text.lower().replace(" ", "")
    if t in ("noon", "midday"):
        return 12, 0
    if t == "midnight":
        return 0, 0
    m = _TIME.match(t)
    if not m or (m.group(2) is None and m.group(3) is None):
        return None
    hour, minute, ampm = int(m.group(1)), int(m.group(2) or 0), (m.group(3) or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def _parse_distance(value: str, unit: str = "mi") -> float | None:
    m = re.fullmatch(_NUMBER + r"\s*([a-z]*)", value.lower())
    if not m:
        return None
    unit = m.group(2) or unit
    if unit not in _UNITS:
        return None
    return round(float(m.group(1)) * _UNITS[unit], 2)


def _parse_datetime(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace(" ", "T")).replace(tzinfo=None)
    except ValueError:
        return None


@dataclass
class _Parts:
    """What was read so far; ``problems`` collects everything not understood."""

    pickup: str | None = None
    dropoff: str | None = None
    day: date | None = None
    weekday: int | None = None
    kind_of_day: str | None = None
    month: int | None = None
    time: tuple[int, int] | None = None
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
        when = _parse_datetime(value)
        if when is None:
            parts.problems.append(f"'{value}' is not a date and time (write e.g. when=2019-02-05T09:00)")
        else:
            parts.day, parts.time = when.date(), (when.hour, when.minute)
    elif name == "date":
        when = _parse_datetime(value)
        if when is None:
            parts.problems.append(f"'{value}' is not a date (write e.g. date=2019-02-05)")
        else:
            parts.day = when.date()
    elif name == "time":
        t = _parse_time(value) or (_parse_time(value + ":00") if value.isdigit() else None)
        if t is None:
            parts.problems.append(f"'{value}' is not a time of day (write e.g. 9am, 17:30 or hour=9)")
        else:
            parts.time = t
    elif name == "month":
        month = _MONTHS.get(value.lower()) or (int(value) if value.isdigit() else None)
        if month is None or not 1 <= month <= 12:
            parts.problems.append(f"'{value}' is not a month (write e.g. February or month=2)")
        else:
            parts.month = month
    elif name == "day":
        v = value.lower()
        if v in _DAYS:
            parts.weekday = _DAYS[v]
        elif v in _KIND_OF_DAY:
            parts.kind_of_day = _KIND_OF_DAY[v]
        else:
            parts.problems.append(f"'{value}' is not a day (write e.g. Tuesday, weekday or weekend)")
    else:  # distance / km
        distance = _parse_distance(value, "km" if name == "km" else "mi")
        if distance is None or distance <= 0:
            parts.problems.append(f"'{value}' is not a distance (write e.g. 2.1 miles or distance=2.1)")
        else:
            parts.distance = distance


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
            mode = "pickup" if low == "from" else "dropoff"
            i += 1
            continue
        elif (d := _parse_distance(low)) is not None and re.search(r"[a-z]$", low):
            parts.distance = d
        elif re.fullmatch(_NUMBER, low) and nxt in _UNITS:
            parts.distance = _parse_distance(low + nxt)
            consumed = 2
        elif (t := _parse_time(low)) is not None:
            parts.time = t
        elif re.fullmatch(r"\d{1,2}(:\d{2})?", low) and nxt in ("am", "pm", "a.m.", "p.m."):
            t = _parse_time(low + nxt)
            if t is None:
                parts.problems.append(f"'{tok} {nxt}' is not a time of day")
            parts.time = t or parts.time
            consumed = 2
        elif low in ("noon", "midday", "midnight"):
            parts.time = _parse_time(low)
        elif low == "at" and re.fullmatch(r"\d{1,2}", nxt) and int(nxt) < 24:
            parts.time = (int(nxt), 0)
            consumed = 2
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}([t ]\d{2}:\d{2}(:\d{2})?)?", low):
            when = _parse_datetime(low)
            if when is None:
                parts.problems.append(f"'{tok}' is not a valid date")
            else:
                parts.day = when.date()
                if "t" in low:
                    parts.time = (when.hour, when.minute)
        elif low in _DAYS and not (low in _AMBIGUOUS and mode and not words[mode]):
            parts.weekday = _DAYS[low]
        elif low in _KIND_OF_DAY:
            parts.kind_of_day = _KIND_OF_DAY[low]
        elif low in _MONTHS and not (low in _AMBIGUOUS and mode and not words[mode]):
            parts.month = _MONTHS[low]
        elif low in _FILLERS and (mode is None or _is_recognisable(nxt)):
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


def _is_recognisable(token: str) -> bool:
    low = token.lower()
    return bool(
        low in _DAYS
        or low in _KIND_OF_DAY
        or low in _MONTHS
        or low in ("noon", "midday", "midnight")
        or _parse_time(low)
        or re.fullmatch(r"\d{1,2}", low)
        or re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", low)
    )


def _first_day(year: int, month: int, wanted: set[int]) -> date:
    day = date(year, month, 1)
    while day.weekday() not in wanted:
        day += timedelta(days=1)
    return day


def _resolve_day(parts: _Parts, assumed: list[str]) -> date | None:
    if parts.day is not None:
        if parts.month is not None and parts.month != parts.day.month:
            parts.problems.append(f"the date {parts.day} is not in {calendar.month_name[parts.month]}")
        if parts.weekday is not None and parts.weekday != parts.day.weekday():
            parts.problems.append(
                f"{parts.day} is a {calendar.day_name[parts.day.weekday()]}, "
                f"not a {calendar.day_name[parts.weekday]}"
            )
        if parts.kind_of_day == "weekend" and parts.day.weekday() < 5:
            parts.problems.append(f"{parts.day} is not at a weekend")
        if parts.kind_of_day == "weekday" and parts.day.weekday() >= 5:
            parts.problems.append(f"{parts.day} is not a weekday")
        return parts.day
    month = parts.month
    if month is None:
        month = DEFAULT_MONTH
        assumed.append(f"{calendar.month_name[month]} {DEFAULT_YEAR}")
    if parts.weekday is not None:
        if parts.kind_of_day == "weekend" and parts.weekday < 5:
            parts.problems.append(f"{calendar.day_name[parts.weekday]} is not at a weekend")
        if parts.kind_of_day == "weekday" and parts.weekday >= 5:
            parts.problems.append(f"{calendar.day_name[parts.weekday]} is not a weekday")
        wanted = {parts.weekday}
    elif parts.kind_of_day == "weekend":
        wanted = {5, 6}
    else:
        wanted = {1}  # a Tuesday: an ordinary working day
        if parts.kind_of_day is None:
            assumed.append("a weekday")
    return _first_day(DEFAULT_YEAR, month, wanted)


def _resolve_prefix(zones: ZoneIndex, name: str) -> tuple[Place, list[str]] | None:
    """``jfk tomorrow`` → (JFK Airport, ["tomorrow"]): a place followed by words that are not one."""
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


@lru_cache(maxsize=1)
def default_zones() -> ZoneIndex:
    """The app's TLC zone table (read once; a few milliseconds): real centroids once
    ``mlops-tui data fetch zones`` has run, else the built-in approximate ones."""
    from mlops_tui.services.taxi_zones import zone_table

    return ZoneIndex.from_table(zone_table())


def parse_ride(text: str, zones: ZoneIndex) -> Ride:
    """Read a ride from words and/or ``key=value`` fields; raise :class:`RideError` naming every problem."""
    parts = _scan(_tokens(text))
    problems = list(parts.problems)
    places: dict[str, Place] = {}
    ambiguous: dict[str, Ambiguous] = {}
    for role in ("pickup", "dropoff"):
        name = getattr(parts, role)
        if name is None:
            where = "from <place>" if role == "pickup" else "to <place>"
            problems.append(f"no {role} place (add '{where}', a zone name or id)")
            continue
        try:
            places[role] = zones.resolve(name)
        except Ambiguous as err:
            ambiguous[role] = err
        except LookupError as err:
            shorter = _resolve_prefix(zones, name)
            if shorter is None:
                problems.append(f"{role}: {err}")
            else:
                places[role], extra = shorter
                parts.unknown.extend(extra)
    if parts.unknown:
        problems.insert(0, "did not understand " + " ".join(f"'{w}'" for w in parts.unknown))
    assumed: list[str] = []
    for role, err in ambiguous.items():
        other = places.get("dropoff" if role == "pickup" else "pickup")
        place = _by_distance(zones, err.candidates, other, parts.distance)
        if place is None:
            hint = " (or give the ride's distance)" if parts.distance is None else ""
            problems.append(f"{role}: {err}{hint}")
        else:
            places[role] = place
            assumed.append(f"{getattr(parts, role)} = {place.name} (fits {parts.distance:g} miles)")
    seen = len(parts.problems)
    day = _resolve_day(parts, assumed)
    problems += parts.problems[seen:]
    hour, minute = parts.time if parts.time else (DEFAULT_HOUR, 0)
    if parts.time is None:
        assumed.append(f"{DEFAULT_HOUR}:00")
    distance = parts.distance
    if distance is None and len(places) == 2:
        distance = zones.estimate_miles(places["pickup"], places["dropoff"])
        if distance is None:
            problems.append("no distance (add e.g. '2.1 miles' or distance=2.1)")
        else:
            assumed.append(f"{distance:g} miles (straight line x {ROAD_FACTOR})")
    if distance is not None and not 0 < distance < 150:
        problems.append(f"a distance of {distance:g} miles is out of range (0-150)")
    if problems or day is None or distance is None:
        raise RideError(problems or ["the ride is incomplete"])
    return Ride(
        pickup=places["pickup"],
        dropoff=places["dropoff"],
        when=datetime(day.year, day.month, day.day, hour, minute),
        distance_miles=distance,
        assumed=tuple(assumed),
    )
