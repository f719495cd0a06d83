"""What people actually type into the guide, and what it understands (issue 11, point 7).

One row per phrasing seen in workshops and rehearsals: the line, the command it must become, and
for rides the zones it must name. A new phrasing that the guide should understand goes here first.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from suggestion_support import assert_two_suggestions_with_examples

from mlops_tui.assistant.commands import parse_command
from mlops_tui.assistant.rides import default_zones

TODAY = date(2026, 11, 26)  # a Thursday: "tomorrow" is a Friday (7 June 2019 inside the data)

PHRASINGS = [
    # (line, verb, extra): extra is (pickup id, dropoff id, pickup time) for rides, else the argument
    ("", "next", ""),
    ("next", "next", ""),
    ("ok", "next", ""),
    ("help", "help", ""),
    ("?", "help", ""),
    ("what can I type?", "help", ""),
    ("status", "status", ""),
    ("how far am I?", "status", ""),
    ("what is my token?", "token", ""),
    ("what's my token", "token", ""),
    ("token", "token", ""),
    ("show me the token", "token", ""),
    ("my auth token?", "token", ""),
    ("url", "url", ""),
    ("what is the url?", "url", ""),
    ("endpoint", "url", ""),
    ("curl", "show", "curl"),
    ("show me the command", "show", "curl"),
    ("how do I do this by hand?", "show", "commands"),
    ("where am I?", "where", ""),
    ("where am i", "where", ""),
    ("who am I", "where", ""),
    ("what next?", "explain", ""),
    ("what now", "explain", ""),
    ("what should I do next?", "explain", ""),
    ("logs", "logs", ""),
    ("train rounds=100", "train", "rounds=100"),
    ("zones penn", "zones", "penn"),
    ("goto lab 4", "goto", "lab 4"),
    (
        "how long from penn station to laguardia tomorrow at 8am?",
        "predict",
        (186, 138, datetime(2019, 6, 7, 8)),
    ),
    (
        "How long does it take to get from JFK to Times Square on friday at 5pm?",
        "predict",
        (132, 230, datetime(2019, 6, 7, 17)),
    ),
    (
        "what's the travel time from Midtown Center to JFK tomorrow 6pm",
        "predict",
        (161, 132, datetime(2019, 6, 7, 18)),
    ),
    ("eta penn station to laguardia tomorrow 8am", "predict", (186, 138, datetime(2019, 6, 7, 8))),
    ("penn station to laguardia tomorrow 8am", "predict", (186, 138, datetime(2019, 6, 7, 8))),
    ("predict from Penn Station to LaGuardia tomorrow 8am", "predict", (186, 138, datetime(2019, 6, 7, 8))),
    ("predict from 161 to 230 15/03/2019 09:00", "predict", (161, 230, datetime(2019, 3, 15, 9))),
    (
        "predict pickup=161 dropoff=230 when=tomorrow 8am distance=2.1",
        "predict",
        (161, 230, datetime(2019, 6, 7, 8)),
    ),
]


@pytest.mark.parametrize(("line", "verb", "extra"), PHRASINGS, ids=[p[0] or "<enter>" for p in PHRASINGS])
def test_phrasing_is_understood(line: str, verb: str, extra: object) -> None:
    cmd = parse_command(line, default_zones(), today=TODAY)
    assert cmd.ok, cmd.error
    assert cmd.verb == verb
    if isinstance(extra, tuple):
        assert cmd.ride is not None
        assert (cmd.ride.pickup.id, cmd.ride.dropoff.id, cmd.ride.when) == extra
    else:
        assert cmd.arg == extra


@pytest.mark.parametrize("line", ["xyzzy", "stauts", "please make it faster", "lol"])
def test_anything_else_names_two_commands_with_an_example_each(line: str) -> None:
    cmd = parse_command(line, default_zones(), today=TODAY)
    assert cmd.verb == "unknown"
    assert f"I did not understand '{line}'" in cmd.error
    assert "help" in cmd.error
    assert_two_suggestions_with_examples(cmd.error)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("train rounds=abc", "Not submitted: rounds must be a whole number from 1 to 10000, not 'abc'"),
        ("train learning_rate=2", "learning-rate must be a number greater than 0 and at most 1, not '2'"),
        ("train colour=red", "there is no training parameter 'colour'"),
        ("train period=2019-13", "period must be a month YYYY-MM or a range YYYY-MM..YYYY-MM, not '2019-13'"),
        ("train data=march.csv rounds=abc", "rounds must be a whole number from 1 to 10000, not 'abc'"),
        ("predict from Narnia to JFK", "no zone called 'Narnia', look one up by a part of its name"),
        ("predict from midtown to JFK", "'midtown' fits 4 zones: Midtown Center (161)"),
        ("predict from 161 to 230 2019-02-31T09:00", "February 2019 has no day 31"),
    ],
)
def test_refusals_say_what_to_change(line: str, message: str) -> None:
    cmd = parse_command(line, default_zones(), today=TODAY)
    assert not cmd.ok and message in cmd.error


def test_train_takes_the_data_file_beside_the_checked_parameters() -> None:
    """`data=` is the job's data file (issue 12's data-name rule, applied when the job is made), the
    rest are train.py's parameters checked by their one definition (issue 11 §1)."""
    line = "train data=march.csv rounds=50 period=2019-01..2019-06"
    cmd = parse_command(line, default_zones(), today=TODAY)
    assert cmd.ok, cmd.error
    assert cmd.params == {"data": "march.csv", "rounds": 50, "period": "2019-01..2019-06"}
