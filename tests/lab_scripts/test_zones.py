"""The zone table: complete, plausible coordinates, forgiving search, other zone file formats."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlops_tui.lab_scripts.features import LAT_RANGE, LON_RANGE, straight_miles
from mlops_tui.lab_scripts.zones import load_zones, write_zones


def test_all_tlc_zones_with_coordinates_inside_nyc() -> None:
    table = load_zones()
    assert len(table) == 265
    assert [z.location_id for z in table.located()] == list(range(1, 264))
    for z in table.located():
        assert LAT_RANGE[0] < z.lat < LAT_RANGE[1] and LON_RANGE[0] < z.lon < LON_RANGE[1], z
    for unknown in (264, 265):
        assert not table[unknown].has_coords and table[unknown].borough == "Unknown"
    assert table[132].zone == "JFK Airport" and table[132].borough == "Queens"


def test_centroids_agree_with_known_places() -> None:
    table = load_zones()
    # the workshop's Lab 5 coordinates are in Coney Island and Little Italy
    assert float(straight_miles(table[55].lat, table[55].lon, 40.57689727, -73.99047356)) < 0.6
    assert float(straight_miles(table[144].lat, table[144].lon, 40.72058154, -73.99740673)) < 0.6
    # straight lines: JFK to Times Square about 13 miles, LaGuardia to Times Square about 6
    assert 12 < float(straight_miles(table[132].lat, table[132].lon, table[230].lat, table[230].lon)) < 15
    assert 5.5 < float(straight_miles(table[138].lat, table[138].lon, table[230].lat, table[230].lon)) < 6.5
    boroughs = {z.borough for z in table.located()}
    assert boroughs == {"Manhattan", "Bronx", "Brooklyn", "Queens", "Staten Island", "EWR"}


@pytest.mark.parametrize(("query", "expected"), [
    ("centre market", 144), ("Centre Market Pl", 144), ("JFK", 132), ("times square", 230),
    ("la guardia", 138), ("little italy", 144), ("PENN STATION", 186), ("soho", 211),
])
def test_find_best_match(query: str, expected: int) -> None:
    table = load_zones()
    assert table.find(query)[0].location_id == expected
    assert table.resolve(query).location_id == expected


def test_find_west_23rd_offers_both_streets() -> None:
    found = [z.location_id for z in load_zones().find("west 23rd")]
    assert set(found) == {68, 55}  # West 23rd Street in Chelsea, and the workshop's Coney Island one


def test_resolve_ids_and_refuses_ambiguous_names() -> None:
    table = load_zones()
    assert table.resolve(230).zone == "Times Sq/Theatre District"
    assert table.resolve("230").location_id == 230
    with pytest.raises(LookupError, match="Midtown East"):
        table.resolve("midtown")
    with pytest.raises(LookupError, match="999"):
        table.resolve(999)
    with pytest.raises(LookupError):
        table.resolve("atlantis")
    assert table.find("") == [] and table.find("zzzz") == []


def test_tlc_lookup_without_coordinates_borrows_them(tmp_path: Path) -> None:
    path = tmp_path / "taxi+_zone_lookup.csv"
    path.write_text('"LocationID","Borough","Zone","service_zone"\n'
                    '1,"EWR","Newark Airport","EWR"\n132,"Queens","JFK Airport","Airports"\n'
                    '264,"Unknown","NV","N/A"\n')
    table = load_zones(path)
    assert len(table) == 3
    assert table[132].lat == load_zones()[132].lat and not table[264].has_coords


def test_workshop_lookup_columns(tmp_path: Path) -> None:
    path = tmp_path / "lookup-ipyheader.csv"
    path.write_text("pqlookup.objectid,pqlookup.shape_leng,pqlookup.shape_area,pqlookup.zone,"
                    "pqlookup.location_i,pqlookup.borough,pqlookup.long,pqlookup.lat\n"
                    "1,0.1,0.2,Coney Island,55,Brooklyn,-73.99047356,40.57689727\n")
    zone = load_zones(path)[55]
    assert (zone.zone, zone.lat, zone.lon) == ("Coney Island", 40.57689727, -73.99047356)


def test_write_and_reload_round_trip(tmp_path: Path) -> None:
    table = load_zones()
    again = load_zones(write_zones(table, tmp_path / "zones.csv"))
    assert list(again) == list(table)


def test_zone_file_without_required_columns(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,name\n1,x\n")
    with pytest.raises(ValueError, match="borough"):
        load_zones(path)


def test_fuzzy_matching_runs_only_on_bounded_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops_tui.lab_scripts import zones

    calls = []
    real = zones._score
    monkeypatch.setattr(zones, "_score", lambda q, t: calls.append(1) or real(q, t))
    table = load_zones()
    for text in ("x" * (zones.MAX_QUERY_CHARS + 1), " ".join(["a"] * (zones.MAX_QUERY_WORDS + 1))):
        with pytest.raises(LookupError, match="at most"):
            table.resolve(text)
        assert table.find(text) == []
    assert calls == []
    assert table.resolve("Governor's Island/Ellis Island/Liberty Island").location_id == 103  # longest name
