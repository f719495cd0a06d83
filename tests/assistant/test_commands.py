"""Typed guide commands: every verb, its aliases, and a clear error for everything else."""

from __future__ import annotations

import pytest
from suggestion_support import assert_two_suggestions_with_examples, suggestions

from mlops_tui.assistant.commands import HELP, VERBS, match_step, parse_command

from .zone_table import ZONES


@pytest.mark.parametrize(
    ("line", "verb"),
    [
        ("", "next"),
        ("   ", "next"),
        ("next", "next"),
        ("n", "next"),
        ("run", "next"),
        ("go", "next"),
        ("y", "next"),
        ("help", "help"),
        ("?", "help"),
        ("HELP", "help"),
        ("status", "status"),
        ("st", "status"),
        ("back", "back"),
        ("b", "back"),
        ("skip", "skip"),
        ("train", "train"),
        ("logs", "logs"),
        ("log", "logs"),
        ("predict", "predict"),
        ("p", "predict"),
        ("show curl", "show"),
        ("curl", "show"),
        ("clear", "clear"),
        ("quit", "quit"),
        (":status", "status"),
    ],
)
def test_verbs_and_aliases(line: str, verb: str) -> None:
    cmd = parse_command(line, ZONES)
    assert cmd.ok, cmd.error
    assert cmd.verb == verb


def test_every_verb_parses_bare() -> None:
    for verb in VERBS:
        cmd = parse_command(verb, ZONES)
        if verb in ("zones", "goto"):
            assert not cmd.ok and ("zones midtown" in cmd.error or "goto lab 3" in cmd.error)
        else:
            assert cmd.ok, (verb, cmd.error)


def test_run_with_a_step_and_next_with_an_argument() -> None:
    assert parse_command("run train-model") == parse_command("run train-model")
    cmd = parse_command("run train-model")
    assert (cmd.verb, cmd.arg) == ("run", "train-model")
    assert parse_command("next 3").verb == "run"


@pytest.mark.parametrize("line", ["goto lab 3", "goto 3", "lab 3", "goto lab3", "GOTO LAB 3"])
def test_goto(line: str) -> None:
    cmd = parse_command(line)
    assert (cmd.verb, cmd.lab, cmd.ok) == ("goto", 3, True)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [("goto lab 9", "no lab 9"), ("goto", "lab number 1-5"), ("goto somewhere", "lab number")],
)
def test_goto_errors(line: str, fragment: str) -> None:
    cmd = parse_command(line)
    assert not cmd.ok and fragment in cmd.error


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("show curl", "curl"),
        ("show", "curl"),
        ("show commands", "commands"),
        ("show all", "commands"),
        ("kubectl", "curl"),
    ],
)
def test_show(line: str, what: str) -> None:
    assert parse_command(line).arg == what


def test_show_unknown_thing() -> None:
    cmd = parse_command("show weather")
    assert not cmd.ok and "show curl" in cmd.error and "weather" in cmd.error


def test_train_parameters() -> None:
    cmd = parse_command("train rounds=50 --max-depth = 4")
    assert cmd.ok and cmd.params == {"rounds": 50, "max-depth": 4}
    bad = parse_command("train fast please")
    assert not bad.ok and "key=value" in bad.error and "fast please" in bad.error


def test_logs_takes_a_job_id() -> None:
    assert parse_command("logs 12").arg == "12"
    assert not parse_command("logs everything").ok


def test_argument_where_none_is_taken() -> None:
    cmd = parse_command("status please")
    assert not cmd.ok and "takes no argument" in cmd.error


def test_predict_in_words() -> None:
    cmd = parse_command(
        "predict from West 23rd Street to Centre Market Place weekday 9am February 2.1 miles", ZONES
    )
    assert cmd.ok, cmd.error
    assert cmd.ride is not None and (cmd.ride.pickup.id, cmd.ride.dropoff.id) == (68, 144)


def test_predict_in_fields() -> None:
    cmd = parse_command("predict pickup=161 dropoff=230 when=2019-02-05T09:00 distance=2.1", ZONES)
    assert cmd.ok and cmd.ride is not None and cmd.ride.distance_miles == 2.1


def test_predict_bare_means_the_example_ride() -> None:
    cmd = parse_command("predict", ZONES)
    assert cmd.ok and cmd.ride is None


def test_predict_that_cannot_be_read_says_what() -> None:
    cmd = parse_command("predict from Narnia to Times Sq pronto", ZONES)
    assert not cmd.ok
    assert "no zone called 'Narnia', look one up by a part of its name, e.g. `zones midtown`" in cmd.error
    assert "'pronto'" in cmd.error


def test_predict_before_zones_are_loaded() -> None:
    cmd = parse_command("predict from 161 to 230", None)
    assert not cmd.ok and "not loaded" in cmd.error


def test_unknown_command_suggests_the_two_closest_with_examples() -> None:
    cmd = parse_command("stauts")
    assert cmd.verb == "unknown"
    assert cmd.error.startswith("I did not understand 'stauts'. Did you mean 'status' or '")
    assert cmd.error.endswith("? Type help for all commands.")
    for line in ("stauts", "xyzzy", "shwo", "predcit", "tokn", "lol"):
        assert_two_suggestions_with_examples(parse_command(line).error)
    assert suggestions(parse_command("shwo").error)[0] == ("show", "show curl")


def test_help_covers_every_verb() -> None:
    text = " ".join(f"{a} {b}" for a, b in HELP)
    for verb in VERBS:
        assert verb in text, verb


STEPS = [
    ("login", 1, "Log in to the tenant"),
    ("kubeconfig", 1, "Fetch the kubeconfig"),
    ("notebook", 2, "Start a notebook sandbox"),
    ("upload-code", 3, "Upload the training code"),
    ("train", 3, "Train the model"),
    ("register", 4, "Register the model"),
    ("deploy", 4, "Deploy the model"),
    ("predict", 5, "Ask for a prediction"),
]


@pytest.mark.parametrize(
    ("arg", "index"),
    [
        ("1", 0),
        ("8", 7),
        ("deploy", 6),
        ("DEPLOY", 6),
        ("lab 3", 3),
        ("lab4", 5),
        ("notebook sandbox", 2),
        ("kubeconfig", 1),
        ("upload", 3),
    ],
)
def test_match_step(arg: str, index: int) -> None:
    assert match_step(arg, STEPS) == index


@pytest.mark.parametrize(
    ("arg", "fragment"),
    [
        ("9", "no step 9"),
        ("lab 7", "no lab 7"),
        ("model", "several steps"),
        ("dance", "the steps are login"),
        ("", "which step"),
    ],
)
def test_match_step_errors(arg: str, fragment: str) -> None:
    with pytest.raises(LookupError, match=fragment):
        match_step(arg, STEPS)


def test_run_upload_replace_is_the_one_way_to_put_the_lab_code_back() -> None:
    """Item 12: the upload step keeps code files changed in the notebook; `run upload --replace`
    is the explicit choice that replaces them, and goes with that step only."""
    cmd = parse_command("run upload --replace")
    assert cmd.ok and cmd.verb == "run" and cmd.arg == "upload" and cmd.params == {"replace": 1}
    assert parse_command("run upload").params == {}
    wrong = parse_command("run train --replace")
    assert not wrong.ok and "--replace goes with run upload only" in wrong.error
