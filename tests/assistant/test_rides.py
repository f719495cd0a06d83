"""Rides typed in words or fields: what is understood, what is assumed, what is refused and why."""

from __future__ import annotations

from datetime import datetime

import pytest

from mlops_tui.assistant.rides import Place, RideError, ZoneIndex, default_zones, parse_ride

from .zone_table import ZONES


def test_workshop_sentence_in_words() -> None:
    ride = parse_ride("from West 23rd Street to Centre Market Place weekday 9am February 2.1 miles", ZONES)
    assert (ride.pickup.id, ride.dropoff.id) == (68, 144)
    assert ride.when == datetime(2019, 2, 5, 9, 0)  # the first Tuesday of February 2019
    assert ride.distance_miles == 2.1
    assert ride.is_weekday
    assert ride.assumed == ("a weekday: the month's first Tuesday",)  # how "weekday" was read; no default


def test_fields_form() -> None:
    ride = parse_ride("pickup=161 dropoff=230 when=2019-02-05T09:00 distance=2.1", ZONES)
    assert (ride.pickup.id, ride.dropoff.id, ride.distance_miles) == (161, 230, 2.1)
    assert ride.when == datetime(2019, 2, 5, 9, 0)


def test_fields_with_spaces_and_quotes() -> None:
    ride = parse_ride(
        "pickup = \"Times Sq\" dropoff='JFK Airport' hour=17 month=3 day=friday distance=15", ZONES
    )
    assert (ride.pickup.id, ride.dropoff.id) == (230, 132)
    assert ride.when == datetime(2019, 3, 1, 17, 0)  # 1 March 2019 was a Friday


@pytest.mark.parametrize(
    ("text", "hour", "minute"),
    [
        ("9am", 9, 0),
        ("9 am", 9, 0),
        ("9:30pm", 21, 30),
        ("12am", 0, 0),
        ("12pm", 12, 0),
        ("17:45", 17, 45),
        ("at 8", 8, 0),
        ("noon", 12, 0),
        ("midnight", 0, 0),
    ],
)
def test_times_of_day(text: str, hour: int, minute: int) -> None:
    ride = parse_ride(f"from 161 to 230 {text} 1 mile", ZONES)
    assert (ride.when.hour, ride.when.minute) == (hour, minute)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on saturday in march", datetime(2019, 3, 2, 9)),
        ("weekend january", datetime(2019, 1, 5, 9)),
        ("sun jun", datetime(2019, 6, 2, 9)),
        ("2019-04-10", datetime(2019, 4, 10, 9)),
        ("2019-04-10T18:20", datetime(2019, 4, 10, 18, 20)),
        ("wednesday 2019-04-10", datetime(2019, 4, 10, 9)),
    ],
)
def test_days_and_months(text: str, expected: datetime) -> None:
    assert parse_ride(f"from 161 to 230 {text} 1 mi", ZONES).when == expected


@pytest.mark.parametrize(
    ("text", "miles"), [("2.1mi", 2.1), ("3 miles", 3), ("10 km", 6.21), (".5 mile", 0.5)]
)
def test_distances(text: str, miles: float) -> None:
    assert parse_ride(f"from 161 to 230 {text}", ZONES).distance_miles == miles


def test_defaults_are_named() -> None:
    ride = parse_ride("from Times Sq to JFK", ZONES)
    assert ride.when == datetime(2019, 2, 5, 9, 0)
    assert "no day or time given: the workshop's, Tue 05 February 2019 09:00" in ride.assumed
    assert any("miles" in a for a in ride.assumed)
    assert 10 < ride.distance_miles < 20  # straight line x road factor, Times Sq to JFK


def test_zone_lookup_by_part_prefix_synonym_and_spelling() -> None:
    assert ZONES.resolve("times square").id == 230  # "square" ~ "Sq"
    assert ZONES.resolve("Theatre District").id == 230  # one part of a "/" name
    assert ZONES.resolve("laguardia").id == 138
    assert ZONES.resolve("jfk").id == 132  # word prefix
    assert ZONES.resolve("Midtwn Center").id == 161  # close spelling
    assert ZONES.resolve("nolita").id == 144
    assert ZONES.resolve("230").id == 230


def test_ambiguous_zone_lists_candidates() -> None:
    with pytest.raises(LookupError, match=r"fits 3 zones.*Midtown Center.*Midtown East"):
        ZONES.resolve("midtown")


def test_unknown_zone_and_unknown_words_are_all_named() -> None:
    with pytest.raises(RideError) as err:
        parse_ride("from Atlantis to 999 at quarter past 2.1 miles", ZONES)
    message = str(err.value)
    assert "Atlantis" in message
    assert "999" in message
    assert "quarter" in message and "past" in message


def test_missing_places_say_how_to_add_them() -> None:
    with pytest.raises(RideError, match=r"no pickup place.*from <place>.*no dropoff place.*to <place>"):
        parse_ride("weekday 9am 2 miles", ZONES)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("from 161 to 230 when=someday 1 mi", "did not understand 'someday'"),
        ("from 161 to 230 when=2019-02-31T09:00 1 mi", "February 2019 has no day 31"),
        ("from 161 to 230 31/02/2019 1 mi", "February 2019 has no day 31"),
        ("from 161 to 230 hour=25 1 mi", "not a time of day"),
        ("from 161 to 230 month=13 1 mi", "not a month"),
        ("from 161 to 230 distance=far", "not a distance"),
        ("from 161 to 230 distance=-2", "not a distance"),
        ("from 161 to 230 200 miles", "out of range"),
        ("from 161 to 230 colour=red 1 mi", "unknown field 'colour'"),
        ("from 161 to 230 2019-02-05 saturday 1 mi", "is a Tuesday, not a Saturday"),
        ("from 161 to 230 2019-02-05 march 1 mi", "not in March"),
        ("from 161 to 230 saturday weekday 1 mi", "not a weekday"),
        ("from 55 to 161", "no distance"),  # Coney Island has no coordinates here
    ],
)
def test_bad_values_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(RideError, match=fragment):
        parse_ride(text, ZONES)


def test_place_words_that_look_like_dates_stay_in_the_place() -> None:
    zones = ZoneIndex.build([Place(1, "May Park"), Place(2, "Sun Valley")])
    ride = parse_ride("from may park to sun valley 1 mi", zones)
    assert (ride.pickup.id, ride.dropoff.id) == (1, 2)


def test_describe() -> None:
    ride = parse_ride("from 161 to 230 2019-02-05T09:00 2.1 mi", ZONES)
    assert ride.describe() == "Midtown Center → Times Sq/Theatre District, Tue 05 Feb 2019 09:00, 2.1 mi"


def test_search_lists_matching_zones() -> None:
    assert [p.id for p in ZONES.search("chelsea")] == [68, 246]
    assert [p.id for p in ZONES.search("airport")] == [132, 138]
    assert ZONES.search("zzz") == []


# -- the real zone table shipped in lab_scripts (aliases, coordinates, ranked search)


def test_workshop_ride_with_the_real_zone_table() -> None:
    zones = default_zones()
    ride = parse_ride("from West 23rd Street to Centre Market Place weekday 9am February 2.1 miles", zones)
    # West 23rd Street exists in Chelsea and in Coney Island: 2.1 miles from Little Italy means Chelsea
    assert (ride.pickup.name, ride.dropoff.name) == ("East Chelsea", "Little Italy/NoLiTa")
    assert any("West 23rd Street = East Chelsea" in a for a in ride.assumed)
    far = parse_ride("from West 23rd Street to Centre Market Place 8 miles", zones)
    assert far.pickup.name == "Coney Island"  # the workshop's original coordinates


def test_ambiguous_place_without_distance_is_refused_with_candidates() -> None:
    with pytest.raises(RideError, match=r"East Chelsea.*Coney Island.*say which.*distance"):
        parse_ride("from West 23rd Street to Centre Market Place", default_zones())
    with pytest.raises(
        RideError, match=r"Midtown Center.*Midtown East.*say which \(a longer name, or the id\)$"
    ):
        parse_ride("from midtown to times square 1 mi", default_zones())


def test_real_table_aliases_and_spelling() -> None:
    zones = default_zones()
    assert zones.resolve("JFK").id == 132
    assert zones.resolve("times square").id == 230
    assert zones.resolve("Midtwn Center").id == 161  # close spelling falls back to difflib
    assert zones.resolve("West 23rd Street (Chelsea)").id == 68
    assert [p.id for p in zones.search("chelsea")][:1] == [68]


def test_record_is_valid_for_the_prediction_server() -> None:
    from mlops_tui.lab_scripts.features import INPUT_SCHEMA, records_to_matrix

    ride = parse_ride("pickup=161 dropoff=230 when=2019-02-05T09:00 distance=2.1", default_zones())
    record = ride.to_record()
    assert record == {
        "pickup_datetime": "2019-02-05T09:00:00",
        "pickup_zone": 161,
        "dropoff_zone": 230,
        "distance": 2.1,
    }
    names = {f["name"] for f in INPUT_SCHEMA["fields"]}
    assert set(record) <= names
    matrix, warnings = records_to_matrix([record])
    assert matrix.shape[0] == 1 and warnings == []


def test_words_after_a_place_that_are_not_part_of_it_are_named() -> None:
    with pytest.raises(RideError) as err:
        parse_ride("from Times Sq to jfk pronto", default_zones())
    assert str(err.value).startswith("did not understand 'pronto'")
    assert "jfk" not in str(err.value).lower()
