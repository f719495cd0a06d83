"""Rides decoded typed (msgspec, `typed_rides`) give exactly what the same JSON parsed plainly gives.

The prediction server decodes the workshop's request into typed records when it can (issue 10: 100
rides at the bare floor's rows per second); `records_to_matrix` then takes a faster route. Every
batch drawn here that decodes so must give the same feature matrix and warnings, or the same error,
as the plain JSON of it checked ride by ride; and what does not decode is what plain JSON names.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from mlops_tui.lab_scripts import features, typed_rides
from mlops_tui.lab_scripts.features import WORKSHOP_COLUMNS, WORKSHOP_EXAMPLE, FieldError, records_to_matrix

from .test_columnar import (
    WORKSHOP_VALID,
    WORKSHOP_WRONG,
    ZONES,
    _batches,
    _one_by_one,
    _outcome,
)

RIDES = msgspec.json.Decoder(list[typed_rides.WorkshopRide])
ONE = msgspec.json.Decoder(typed_rides.WorkshopRide)


def _typed(text: bytes) -> Any:
    try:
        return RIDES.decode(text)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_batches(WORKSHOP_VALID, WORKSHOP_WRONG, WORKSHOP_EXAMPLE))
def test_typed_batches_equal_plain_json_one_by_one(rides: list[dict[str, Any]]) -> None:
    text = json.dumps(rides).encode()  # (Python writes NaN and huge integers: msgspec refuses both)
    typed = _typed(text)
    if typed is None:
        return
    assert _outcome(typed) == _one_by_one(orjson.loads(text))
    assert _outcome(typed[0]) == _one_by_one(orjson.loads(text)[0])


def test_the_workshop_batch_takes_the_typed_route() -> None:
    """The route is really taken (equal answers prove nothing if it never is)."""
    rides = [dict(WORKSHOP_EXAMPLE, hour=h) for h in range(24)]
    typed = _typed(orjson.dumps(rides))
    assert typed is not None and typed_rides.is_rides(typed)
    assert typed_rides.matrix(typed).shape == (24, len(WORKSHOP_COLUMNS))
    assert _outcome(typed) == _one_by_one(rides)


@pytest.mark.parametrize(
    "change",
    [
        {"weekday": True},  # a flag as a boolean: plain JSON takes it, typed decoding does not
        {"hour": "9"},
        {"hour": None},
        {"passengers": 1},  # a field beyond the workshop's fourteen
        {"distance": 2**63},  # beyond a signed 64-bit integer (orjson reads it; as a float beyond 2**64)
    ],
)
def test_what_typed_decoding_refuses_is_left_to_plain_json(change: dict[str, Any]) -> None:
    rides = [dict(WORKSHOP_EXAMPLE) for _ in range(features.COLUMNAR_FROM)]
    rides[2].update(change)
    assert _typed(orjson.dumps(rides)) is None


def test_a_failing_typed_ride_is_named_as_plain_json_names_it() -> None:
    rides = [dict(WORKSHOP_EXAMPLE) for _ in range(10)]
    rides[7]["hour"] = 24
    typed = _typed(orjson.dumps(rides))
    with pytest.raises(FieldError) as info:
        records_to_matrix(typed, ZONES)
    assert (info.value.field, info.value.index) == ("hour", 7)
    assert str(info.value) == "record 7: hour must be between 0 and 23, got 24"
    assert _outcome(typed) == _one_by_one(rides)


def test_one_typed_ride_reads_as_one_ride() -> None:
    ride = ONE.decode(orjson.dumps(WORKSHOP_EXAMPLE))
    assert _outcome(ride) == _one_by_one(dict(WORKSHOP_EXAMPLE))
    assert typed_rides.as_dict(ride) == dict(WORKSHOP_EXAMPLE)


def test_the_lab_code_works_without_msgspec() -> None:
    """msgspec is optional in the lab code (a training image may lack it): every ride then takes
    the JSON path, and the scorer offers no ride type."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['msgspec'] = None\n"
        "from mlops_tui.lab_scripts import typed_rides, features\n"
        "assert typed_rides.WorkshopRide is None and not typed_rides.is_rides([1])\n"
        "x, w = features.records_to_matrix([dict(features.WORKSHOP_EXAMPLE)] * 8)\n"
        "assert x.shape == (8, len(features.FEATURES)), x.shape\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
