"""The NYC TLC taxi zones: LocationID -> zone, borough and an approximate centre point.

The 2019 trip records name places only by zone id, while the workshop's model wants latitude and
longitude, so every id needs a point. `zones.csv` next to this module is a hand-compiled table of
the 263 TLC zones (plus 264 "NV" and 265 "NA", the TLC's unknown ids, which have no coordinates).
The coordinates are APPROXIMATE zone centroids compiled by hand from general knowledge of the city
(good to about 1 km), not computed from the TLC shapefile. The optional `aliases` column holds a
few landmarks and street names (e.g. "Centre Market Place") so that people can type places.

`mlops-tui data fetch zones` builds the same table with real centroids from the TLC's shapefile;
its rows say `centroid=shapefile`, and the app ships that table as this `zones.csv` with the lab
code. A table whose located zones all say so is not `approximate`.

Loading uses the csv module only (no pandas): the prediction server and the TUI zone picker load
this table at start-up and must stay fast.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("zones.csv")

#: Fuzzy matching only ever runs on bounded text. Its cost grows with the number of query words
#: times the zone tokens (about 0.3 ms per word on a 2-core host, measured in
#: benchmarks/load_fault.py); the longest zone name or alias is 45 characters and 6 words, so a
#: longer text is refused before any matching (a 100,000-word name once blocked a server for 9 s).
MAX_QUERY_CHARS = 64
MAX_QUERY_WORDS = 8

#: Borough codes (stable, used as small integers wherever a number is needed).
BOROUGHS = ("Unknown", "Manhattan", "Bronx", "Brooklyn", "Queens", "Staten Island", "EWR")

# Column aliases understood when reading a zone file (lower case, table prefix stripped):
# ours, the TLC lookup (LocationID, Borough, Zone, service_zone) and the workshop's
# `pqlookup.{location_i,zone,borough,lat,long}`.
_COLUMNS = {
    "id": ("locationid", "location_id", "location_i", "id"),
    "zone": ("zone", "name"),
    "borough": ("borough",),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "long", "lng", "longitude"),
    "aliases": ("aliases",),
    "centroid": ("centroid",),
}

_SYNONYMS = {
    "st": "street", "sq": "square", "ave": "avenue", "av": "avenue", "pl": "place",
    "centre": "center", "theatre": "theater", "w": "west", "e": "east", "n": "north",
    "s": "south", "mt": "mount", "ft": "fort", "pk": "park", "rd": "road", "blvd": "boulevard",
}


@dataclass(frozen=True, slots=True)
class Zone:
    location_id: int
    zone: str
    borough: str
    lat: float | None
    lon: float | None
    aliases: tuple[str, ...] = ()
    centroid: str = ""  # "shapefile" when computed from the TLC's zone shapes; else approximate

    @property
    def has_coords(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def borough_code(self) -> int:
        return BOROUGHS.index(self.borough) if self.borough in BOROUGHS else 0

    @property
    def label(self) -> str:
        """Human label used by pickers, e.g. "Little Italy/NoLiTa (Manhattan)"."""
        return f"{self.zone} ({self.borough})"


def normalise(text: str) -> list[str]:
    """Lower-case word tokens with common abbreviations expanded ("W 23rd St" -> west 23rd street)."""
    text = text.lower().replace("'", "").replace("\u2019", "")
    return [_SYNONYMS.get(tok, tok) for tok in re.findall(r"[a-z0-9]+", text)]


class ZoneTable:
    """Zones by id, plus a forgiving name search for people typing places."""

    def __init__(self, zones: Iterable[Zone]) -> None:
        self._by_id: dict[int, Zone] = {}
        for z in zones:
            self._by_id.setdefault(z.location_id, z)
        self._index = [
            (z, normalise(z.zone), [normalise(a) for a in z.aliases]) for z in self._by_id.values()
        ]

    def __len__(self) -> int:
        return len(self._by_id)

    @property
    def approximate(self) -> bool:
        """True unless every zone with coordinates has a centroid computed from the TLC shapefile."""
        located = [z for z in self if z.has_coords]
        return not located or any(z.centroid != "shapefile" for z in located)

    def __iter__(self) -> Iterator[Zone]:
        return iter(self._by_id.values())

    def __contains__(self, location_id: object) -> bool:
        return location_id in self._by_id

    def __getitem__(self, location_id: int) -> Zone:
        return self._by_id[location_id]

    def get(self, location_id: int) -> Zone | None:
        return self._by_id.get(location_id)

    def located(self) -> list[Zone]:
        """Zones that have coordinates (the ones a ride can start or end in), by id."""
        return sorted((z for z in self if z.has_coords), key=lambda z: z.location_id)

    def ranked(self, query: str) -> list[tuple[float, Zone]]:
        """(score, zone) for every zone matching free text, best first (see `_score`).

        Raises LookupError, before any matching, for text longer than MAX_QUERY_CHARS characters
        or MAX_QUERY_WORDS words.
        """
        q = bounded_words(query)
        if not q:
            return []
        scored: list[tuple[float, int, Zone]] = []
        for zone, name, aliases in self._index:
            best = max(_score(q, toks) for toks in [name, *aliases])
            if best > 0:
                scored.append((best, zone.location_id, zone))
        scored.sort(key=lambda t: (-t[0], t[1]))
        if scored and scored[0][0] >= 2.0:  # some zone has every word: drop the partial matches
            scored = [t for t in scored if t[0] >= 2.0]
        return [(score, zone) for score, _, zone in scored]

    def find(self, query: str, limit: int = 5) -> list[Zone]:
        """Best zone matches for free text: exact name, then all words matched, then some words.

        Words match zone names and landmark aliases, case-insensitively, with abbreviations
        expanded; a word also matches as the start of a longer word ("centre mark" works).
        Text beyond the bounds of `ranked` matches nothing.
        """
        try:
            return [zone for _, zone in self.ranked(query)[:limit]]
        except LookupError:
            return []

    def resolve(self, value: int | str) -> Zone:
        """One zone for an id (int or digit string) or a name, read by `places.resolve_zone` (the
        one resolver the app uses too): LookupError (`ZoneNotFound`, `AmbiguousZone`) otherwise.

        So "jfk", "laguardia" or "centre market" resolve, "midtown" (four zones) is refused with
        the candidates named, "Midtwn Center" is read as Midtown Center.
        """
        if isinstance(value, int) and not isinstance(value, bool):
            return self._resolve_name(str(value))
        return self._resolve_name(value)

    @lru_cache(maxsize=1024)  # noqa: B019 - tables live as long as the process; names repeat
    def _resolve_name(self, value: str) -> Zone:
        from .places import resolve_zone

        return resolve_zone(self, value)


def bounded_words(text: str) -> list[str]:
    """`normalise(text)`, or LookupError when the text is too long to match (see MAX_QUERY_CHARS)."""
    if len(text) > MAX_QUERY_CHARS:
        raise LookupError(f"a zone name is at most {MAX_QUERY_CHARS} characters (got {len(text)})")
    words = normalise(text)
    if len(words) > MAX_QUERY_WORDS:
        raise LookupError(f"a zone name is at most {MAX_QUERY_WORDS} words (got {len(words)})")
    return words


def _score(query: list[str], tokens: list[str]) -> float:
    """3 exact; 2..2.9 every query word found (whole words and shorter names rank higher);
    below 1 when only some words are found; 0 when none."""
    if not tokens:
        return 0.0
    if query == tokens:
        return 3.0
    whole = sum(1 for q in query if q in tokens)
    prefix = sum(1 for q in query if q not in tokens and any(t.startswith(q) for t in tokens))
    if whole + prefix == len(query):
        return 2.0 + 0.5 * whole / len(query) + 0.4 * min(1.0, len(query) / len(tokens))
    if whole == 0:
        return 0.0
    return 0.9 * whole / max(len(query), len(tokens))


def _float_or_none(text: str | None) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _read(path: Path) -> list[Zone]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header:
            raise ValueError(f"zone file {path} is empty")
        names = [h.strip().lower().rsplit(".", 1)[-1] for h in header]
        col: dict[str, int] = {}
        for key, options in _COLUMNS.items():
            for opt in options:
                if opt in names:
                    col[key] = names.index(opt)
                    break
        missing = [k for k in ("id", "zone", "borough") if k not in col]
        if missing:
            raise ValueError(
                f"zone file {path} lacks column(s) {', '.join(missing)} "
                "(expected LocationID, zone, borough[, lat, lon])"
            )
        zones = []
        for row in reader:
            if not row or not row[col["id"]].strip():
                continue

            def cell(key: str, row: list[str] = row) -> str:
                i = col.get(key)
                return row[i].strip() if i is not None and i < len(row) else ""

            try:
                location_id = int(float(cell("id")))
            except ValueError:
                continue
            aliases = tuple(a.strip() for a in cell("aliases").split(";") if a.strip())
            zones.append(
                Zone(location_id, cell("zone"), cell("borough"), _float_or_none(cell("lat")),
                     _float_or_none(cell("lon")), aliases, cell("centroid"))
            )
    return zones


@lru_cache(maxsize=1)
def _default_table() -> ZoneTable:
    return ZoneTable(_read(DEFAULT_PATH))


def load_zones(path: str | Path | None = None) -> ZoneTable:
    """The zone table: the built-in one, or a file (ours, the TLC lookup or the workshop's lookup).

    A file without coordinates (the plain TLC lookup) borrows them, and the aliases, from the
    built-in table by LocationID, so any zone file still gives every ride a place.
    """
    if path is None:
        return _default_table()
    zones = _read(Path(path))
    builtin = _default_table()
    filled = []
    for z in zones:
        ref = builtin.get(z.location_id)
        if ref is not None and not z.has_coords:
            z = Zone(z.location_id, z.zone, z.borough, ref.lat, ref.lon, z.aliases or ref.aliases,
                     ref.centroid)
        filled.append(z)
    return ZoneTable(filled)


def write_zones(table: ZoneTable, path: str | Path) -> Path:
    """Write a table in our format (LocationID, zone, borough, lat, lon, aliases[, centroid]).

    Training copies the table it used into the model bundle, so serving maps zones to exactly
    the coordinates the model was trained with.
    """
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        with_centroid = any(z.centroid for z in table)
        out.writerow(["LocationID", "zone", "borough", "lat", "lon", "aliases",
                      *(["centroid"] if with_centroid else [])])
        for z in sorted(table, key=lambda z: z.location_id):
            out.writerow([z.location_id, z.zone, z.borough, "" if z.lat is None else repr(z.lat),
                          "" if z.lon is None else repr(z.lon), ";".join(z.aliases),
                          *([z.centroid] if with_centroid else [])])
    return path
