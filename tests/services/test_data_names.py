"""One data-name rule (issue 12) for the CLI, the guide, the Train dialog, the Data screen and the
API: names.data_path, and how each client routes `data=`."""

from __future__ import annotations

import pytest
from mlops_tui.screens.job_form import validate

from mlops_tui.assistant.commands import parse_command
from mlops_tui.assistant.lab_training import apply_train_params
from mlops_tui.assistant.steps import LabContext
from mlops_tui.platform import names
from mlops_tui.services.errors import InvalidInput


@pytest.mark.parametrize(
    ("given", "path"),
    [
        ("march.csv", "data/march.csv"),
        ("data/march.csv", "data/march.csv"),
        (" NYCTaxi/Yellow_2019-03.CSV ", "data/NYCTaxi/Yellow_2019-03.CSV"),
        ("yellow_tripdata_2019-02.parquet", "data/yellow_tripdata_2019-02.parquet"),
        ("trips.csv.gz", "data/trips.csv.gz"),
    ],
)
def test_data_names_accepted(given: str, path: str) -> None:
    assert names.data_path(given) == path and names.is_data_file(path)


@pytest.mark.parametrize(
    "given",
    [
        "",
        "data/",
        "../x.csv",
        "data/../x.csv",
        "march 2019.csv",
        ".hidden.csv",
        "x.xlsx",
        "data/x.csv.profile.json",
        "-x.csv",
        "a/./b.csv",
        "/abs.csv",
    ],
)
def test_data_names_refused_with_the_rule(given: str) -> None:
    with pytest.raises(ValueError, match="must name a data file of the project repository"):
        names.data_path(given)


def test_guide_train_data_param_chooses_the_file() -> None:
    cmd = parse_command("train data=March-2019.csv rounds=5")
    # rounds is checked (and typed) by the training parameters' rules; data is the job's data file
    assert cmd.ok and cmd.params == {"data": "March-2019.csv", "rounds": 5}
    ctx = LabContext(user="alice")
    apply_train_params(ctx, cmd.params, local_files=False)
    assert ctx.data_path == "data/March-2019.csv" and ctx.train_params == {"rounds": 5}
    with pytest.raises(InvalidInput, match="must name a data file") as info:
        apply_train_params(ctx, {"data": "../x.csv"})
    assert info.value.field == "data"


def test_a_local_file_is_uploaded_under_its_own_name(tmp_path) -> None:
    local = tmp_path / "my rides.csv"  # a file name with a space is fine on disk, not in the repo
    local.write_text("x")
    ctx = LabContext(user="alice")
    with pytest.raises(InvalidInput, match="must name a data file"):
        apply_train_params(ctx, {"data": str(local)})
    good = tmp_path / "march.csv"
    good.write_text("x")
    apply_train_params(ctx, {"data": str(good)})
    assert ctx.data_file == good and ctx.data_path == "data/march.csv"


def test_train_dialog_data_field() -> None:
    values = {"cluster": "c", "code": "code/a/taxi", "rounds": "10", "max-depth": "4", "learning-rate": "0.1"}
    _, problems = validate({**values, "data": "march.csv"})
    assert "data" not in problems
    _, problems = validate({**values, "data": "my file.txt"})
    assert "data file name" in problems["data"]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("my rides.csv", "my rides.csv"),
        ("it's.csv", "it's.csv"),
        ('say "hi".csv', 'say "hi".csv'),
        ("été.csv", "été.csv"),
        ("", '""'),
        (" march.csv", '" march.csv"'),
        ("a\u200bb.csv", '"a\\u200bb.csv"'),
        ("a\tb\x1b.csv", '"a\\tb\\u001b.csv"'),
    ],
)
def test_a_name_is_shown_as_typed_unless_it_cannot_be_seen(name: str, shown: str) -> None:
    """A Python repr ('my rides.csv', "it's.csv") is a notation nobody typed (issue 13 tester,
    item 7); JSON notation only for what would not be seen as it is."""
    assert names.shown(name) == shown


def test_a_refused_name_is_named_as_typed() -> None:
    with pytest.raises(ValueError) as info:
        names.check("model", "my model")
    assert str(info.value) == (
        "my model is refused as a model name: it must start with a letter or digit and hold only "
        "letters, digits and '._-' (at most 63)"
    )
    with pytest.raises(ValueError) as info:
        names.data_path("my rides.csv")
    assert str(info.value).startswith("my rides.csv is refused as a data file name: it must name a data")


def test_training_on_a_local_file_whose_name_is_refused_says_how_to_upload_it(tmp_path) -> None:
    local = tmp_path / "my rides.csv"
    local.write_text("x")
    with pytest.raises(InvalidInput) as info:
        apply_train_params(LabContext(user="alice"), {"data": str(local)})
    assert info.value.message.startswith("my rides.csv is refused as a data file name")
    assert info.value.hint == (
        f"upload it under a name such as my-rides.csv: mlops-tui data upload '{local}' --as my-rides.csv"
    )


@pytest.mark.parametrize(
    ("file", "suggested"),
    [
        ("my rides.csv", "my-rides.csv"),
        ("it's (2).CSV.GZ", "it-s-2.CSV.GZ"),
        ("März 2019.parquet", "M-rz-2019.parquet"),
        ("  .csv", "data.csv"),
        ("notes.txt", None),
    ],
)
def test_suggested_data_names_are_accepted(file: str, suggested: str | None) -> None:
    assert names.suggested_data_name(file) == suggested
    if suggested is not None:
        assert names.data_path(suggested) == f"data/{suggested}"
