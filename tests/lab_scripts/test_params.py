"""The training parameters' one definition: what train.py accepts is what every form checks."""

from __future__ import annotations

import pytest
from mlops_tui.lab_scripts.params import BY_NAME, ParamError, canonical, check, check_all, defaults, describe
from mlops_tui.lab_scripts.train import parse_args


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("rounds", "300", 300), ("max_depth", "4", 4), ("--learning-rate", "0.15", 0.15),
    ("learning_rate", 1, 1.0), ("early-stopping", "0", 0), ("test-size", "0.2", 0.2), ("rounds", 10.0, 10),
    ("period", "2019-03", "2019-03"), ("--period", "2019-01..2019-06", "2019-01..2019-06"),
])
def test_good_values_are_read_as_their_type(name: str, value: object, expected: float) -> None:
    assert check(name, value) == expected and type(check(name, value)) is type(expected)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("rounds", "abc", "rounds must be a whole number from 1 to 10000, not 'abc'"),
    ("rounds", "0", "rounds must be a whole number from 1 to 10000, not '0'"),
    ("rounds", 2.5, "rounds must be a whole number from 1 to 10000, not '2.5'"),
    ("learning-rate", "0", "learning-rate must be a number greater than 0 and at most 1, not '0'"),
    ("learning-rate", "nan", "learning-rate must be a number greater than 0 and at most 1, not 'nan'"),
    ("test-size", "0.9", "test-size must be a number between 0 and 0.9 (both excluded), not '0.9'"),
    ("max-depth", True, "max-depth must be a whole number from 1 to 20"),
    ("colour", "red", "there is no training parameter 'colour'"),
    ("period", "2019-3", "period must be a month YYYY-MM or a range YYYY-MM..YYYY-MM, not '2019-3'"),
    ("period", "2019-06..2019-01", "period '2019-06..2019-01' ends before it starts"),
])
def test_bad_values_say_the_rule(name: str, value: object, message: str) -> None:
    with pytest.raises(ParamError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check(name, value)


def test_train_py_reads_the_period_as_the_check_does() -> None:
    """train.py's --period (issue 12) is refused by `check` exactly where train.py refuses it."""
    assert parse_args(["--data", "d.csv", "--output", "out", "--period", check("period", "2019-01..2019-06")])
    with pytest.raises(SystemExit):
        parse_args(["--data", "d.csv", "--output", "out", "--period", "2019-06..2019-01"])


def test_train_py_takes_the_same_defaults_and_rules() -> None:
    args = parse_args(["--data", "d.csv", "--output", "out"])
    assert {p: getattr(args, p.replace("-", "_")) for p in BY_NAME} == defaults()
    with pytest.raises(SystemExit):
        parse_args(["--data", "d.csv", "--output", "out", "--rounds", "abc"])


def test_names_and_the_description_of_a_run() -> None:
    assert canonical("--Max_Depth") == "max-depth"
    assert check_all({"max_depth": "4"}) == {"max-depth": 4}
    assert describe() == "rounds=300 max-depth=6 learning-rate=0.15"
    assert describe({"rounds": 100, "seed": 3}) == "rounds=100 max-depth=6 learning-rate=0.15 seed=3"
