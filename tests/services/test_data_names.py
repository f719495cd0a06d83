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
