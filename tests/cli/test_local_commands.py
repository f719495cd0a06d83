"""Commands that need no platform: profiles, credentials, argument parsing, the time of a ride."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from mlops_tui.headless.predict import build_record, read_when
from mlops_tui.services.errors import InvalidInput

from .conftest import mlops


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-02-12T09:00:00", "2019-02-12T09:00:00"),
        ("weekday 9am february", "2019-02-05T09:00:00"),  # the month's first Tuesday, as in the guide
        ("saturday 17:30 march", "2019-03-02T17:30:00"),
        ("monday noon jan", "2019-01-07T12:00:00"),
        ("15/03/2019 09:00", "2019-03-15T09:00:00"),
        ("tomorrow 8am", "2019-06-07T08:00:00"),  # today (a Thursday) stands in as Thu 6 June 2019
        (None, "2019-02-05T09:00:00"),  # the workshop's ride
    ],
)
def test_when_is_read_as_in_the_guide(text: str | None, expected: str) -> None:
    assert read_when(text, today=date(2026, 11, 26))[0] == expected


def test_when_names_what_it_cannot_read() -> None:
    with pytest.raises(InvalidInput) as err:
        read_when("tomorrow-ish")
    assert err.value.field == "when" and "tomorrow-ish" in str(err.value)
    with pytest.raises(InvalidInput, match="'25:00' is not a time of day"):
        read_when("25:00")
    with pytest.raises(InvalidInput, match="February 2019 has no day 31"):
        read_when("2019-02-31T09:00")


def _args(**kw) -> SimpleNamespace:
    base = dict.fromkeys(
        (
            "json",
            "json_file",
            "when",
            "distance",
            "passengers",
            "pickup_zone",
            "dropoff_zone",
            "pickup_lat",
            "pickup_lon",
            "dropoff_lat",
            "dropoff_lon",
        ),
    )
    return SimpleNamespace(**{**base, "example": False, **kw})


def test_build_record_from_flags_and_json(tmp_path) -> None:
    rec = build_record(_args(pickup_zone="161", dropoff_zone="Times Sq", distance=1.5, passengers=2))
    assert rec == {
        "pickup_datetime": "2019-02-05T09:00:00",
        "pickup_zone": 161,
        "dropoff_zone": 230,  # read by the one zone resolver, as in the guide and the form
        "distance": 1.5,
        "passengers": 2,
    }
    assert build_record(_args(pickup_zone="laguardia", dropoff_zone="230"))["pickup_zone"] == 138
    with pytest.raises(
        InvalidInput,
        match=r"pickup_zone: no zone called 'Narnia', look one up by a part of its name, "
        r"e.g. `mlops-tui zones midtown`",
    ):
        build_record(_args(pickup_zone="Narnia", dropoff_zone="230"))
    with pytest.raises(InvalidInput, match=r"'midtown' fits 4 zones: Midtown Center \(161\)"):
        build_record(_args(pickup_zone="midtown", dropoff_zone="230"))
    rec = build_record(_args(pickup_lat=40.75, pickup_lon=-73.99, dropoff_zone="144"))
    assert (rec["pickup_lat"], rec["pickup_lon"], rec["dropoff_zone"]) == (40.75, -73.99, 144)
    body = {"use_scoring": True, "scoring_args": {"hour": 9}}
    assert build_record(_args(json=json.dumps(body))) == {"hour": 9}
    f = tmp_path / "ride.json"
    f.write_text('{"pickup_zone": 1}')
    assert build_record(_args(json_file=str(f))) == {"pickup_zone": 1}
    with pytest.raises(InvalidInput) as err:
        build_record(_args(dropoff_zone="1"))
    assert err.value.field == "pickup_zone"
    with pytest.raises(InvalidInput) as err:
        build_record(_args(json="{oops"))
    assert err.value.field == "json"
    with pytest.raises(InvalidInput) as err:
        build_record(_args(json_file=str(tmp_path / "missing.json")))
    assert err.value.field == "json-file"


def test_profiles_and_credentials_commands(tmp_path) -> None:
    listed = mlops(tmp_path, "profile", "list")
    assert listed.returncode == 0 and "* local" in listed.stdout
    added = mlops(
        tmp_path,
        "profile",
        "add",
        "ez",
        "--platform",
        "kubernetes",
        "--url",
        "https://gw:8080",
        "--user",
        "student01",
        "--use",
    )
    assert added.returncode == 0, added.stderr
    listed = mlops(tmp_path, "profile", "list")
    assert "* ez" in listed.stdout and "https://gw:8080" in listed.stdout
    again = mlops(tmp_path, "profile", "add", "ez")
    assert again.returncode == 1 and again.stderr.strip() == "mlops-tui: profile ez already exists"
    # The kubernetes adapter is not wired here yet, or the gateway is unreachable: a clear line either way.
    status = mlops(tmp_path, "status", timeout=60)
    assert (
        status.returncode == 1
        and status.stderr.startswith("mlops-tui: ")
        and "Traceback" not in status.stderr
    )
    used = mlops(tmp_path, "--profile", "local", "profile", "use", "local")
    assert used.returncode == 0 and "active profile: local" in used.stdout
    unknown = mlops(tmp_path, "--profile", "nope", "status")
    assert unknown.returncode == 1 and "no profile named nope (have:" in unknown.stderr

    where = mlops(tmp_path, "credentials", "where")
    assert where.returncode == 0 and ".config/mlops-tui/credentials.json" in where.stdout
    forget = mlops(tmp_path, "credentials", "forget", "--user", "nobody")
    assert forget.returncode == 0 and "no password was stored" in forget.stdout


def test_cli_imports_nothing_heavy() -> None:
    import subprocess
    import sys

    code = (
        "import sys, mlops_tui.cli as c; c.build_parser();"
        "print(sorted(m for m in ('textual', 'pandas', 'xgboost', 'httpx', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


@pytest.mark.parametrize(
    ("param", "message"),
    [
        ("rounds=abc", "--param rounds must be a whole number from 1 to 10000, not 'abc'"),
        ("colour=red", "--param there is no training parameter 'colour'"),
        ("period=2019-06..2019-01", "--param period '2019-06..2019-01' ends before it starts"),
    ],
)
def test_lab_run_checks_its_parameters_before_anything_starts(tmp_path, param: str, message: str) -> None:
    """Issue 11 §1: the Train dialog's rules, before a platform is even started."""
    run = mlops(tmp_path, "lab", "run", "--param", param)
    assert run.returncode != 0 and message in run.stderr, run.stderr
    assert not (tmp_path / ".local" / "state" / "mlops-tui" / "platform").exists()


@pytest.mark.parametrize(
    ("data", "field", "said"),
    [
        ('{"pickup_zone": 1}'.encode("utf-16"), "json-file", "is UTF-16 (little-endian) text, not UTF-8"),
        (
            b'{"pickup_zone": 1, "pickup_zone": 2}',
            "json-file.pickup_zone",
            "the key 'pickup_zone' is given twice",
        ),
        (
            '{"pickup_zone": "Zürich"}'.encode("latin-1"),
            "json-file",
            "is not UTF-8 text (byte 0xfc at offset 18)",
        ),
        (  # (was told to send it "with the header Content-Encoding: gzip", as if to a server; mtime=0:
            # the test id holds these bytes, and a header with the clock differed between two xdist
            # workers that collected it in different seconds: "Different tests were collected")
            gzip.compress(b'{"pickup_zone": 1}', mtime=0),
            "json-file",
            "is gzip-compressed, not JSON text: send or save it uncompressed (gunzip it first)",
        ),
    ],
)
def test_a_json_file_that_is_not_utf8_json_or_gives_a_key_twice_is_named(
    tmp_path: Path, data: bytes, field: str, said: str
) -> None:
    """A UTF-16 file (PowerShell 5's ``>``) ended in an unexpected UnicodeDecodeError."""
    f = tmp_path / "ride.json"
    f.write_bytes(data)
    with pytest.raises(InvalidInput) as err:
        build_record(_args(json_file=str(f)))
    assert err.value.field == field and said in str(err.value) and str(err.value).startswith("--json-file: ")


def test_a_json_file_with_a_utf8_byte_order_mark_is_read(tmp_path: Path) -> None:
    f = tmp_path / "ride.json"
    f.write_bytes(b'\xef\xbb\xbf{"pickup_zone": 1}')
    assert build_record(_args(json_file=str(f))) == {"pickup_zone": 1}


def test_a_workshop_body_whose_ride_is_json_text_is_read(tmp_path: Path) -> None:
    """The workshop's server takes scoring_args as JSON text; the CLI said "the JSON must be one
    object" for such a file."""
    f = tmp_path / "ride.json"
    f.write_text(json.dumps({"use_scoring": True, "scoring_args": json.dumps({"pickup_zone": 1})}))
    assert build_record(_args(json_file=str(f))) == {"pickup_zone": 1}
    f.write_text(json.dumps({"scoring_args": '{"pickup_zone": 1, "pickup_zone": 2}'}))
    with pytest.raises(InvalidInput) as err:
        build_record(_args(json_file=str(f)))
    assert err.value.field == "json-file.scoring_args.pickup_zone"
    f.write_text("[1, 2]")
    with pytest.raises(InvalidInput) as err:
        build_record(_args(json_file=str(f)))
    assert err.value.field == "json-file"
    assert str(err.value).startswith("--json-file: the JSON must be one object")
