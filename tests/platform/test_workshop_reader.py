"""The prediction server reads the workshop's request typed when it can, and answers the same.

`serving.workshop.Reader` decodes the common body (the workshop's fourteen fields, numbers) into
the scoring code's ride records (issue 10: 100 rides at the bare floor's rows per second); every
other body is read as plain JSON by `workshop.parse`, whose messages name what is wrong. The two
routes must give the same rides, the same echo and the same errors.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from mlops_tui.lab_scripts import typed_rides
from mlops_tui.lab_scripts.features import WORKSHOP_EXAMPLE, FieldError, records_to_matrix

from mlops_tui.platform.serving import workshop
from mlops_tui.platform.serving.errors import HttpError
from mlops_tui.strict_json import JsonRefused

READER = workshop.Reader(typed_rides.WorkshopRide)
RIDES = [dict(WORKSHOP_EXAMPLE, hour=h % 24) for h in range(100)]


def _read(reader: Any, body: bytes) -> Any:
    try:
        sent, rides, single = reader.parse(body)
    except HttpError as exc:
        return ("error", exc.status, exc.message, exc.field)
    except JsonRefused as exc:  # (the app answers it with a 400)
        return ("refused", exc.message, exc.field)
    try:
        x, warnings = records_to_matrix(rides[0] if single else rides)
    except FieldError as exc:  # (the app answers it with a 422)
        return ("invalid", workshop.echo(sent), str(exc), exc.field, exc.index)
    return ("ok", workshop.echo(sent), x.tobytes(), warnings, single, len(rides))


def test_the_workshop_batch_is_read_typed_and_answers_as_plain_json() -> None:
    body = orjson.dumps({"use_scoring": True, "scoring_args": RIDES})
    sent, rides, single = READER.parse(body)
    assert typed_rides.is_rides(rides) and not single  # the typed route is really taken
    assert _read(READER, body) == _read(workshop, body)
    assert workshop.echo(sent).endswith(", … 97 more rides]")


def test_one_ride_is_read_typed_and_answers_as_plain_json() -> None:
    body = orjson.dumps({"scoring_args": WORKSHOP_EXAMPLE})
    assert typed_rides.is_ride(READER.parse(body)[0])
    assert _read(READER, body) == _read(workshop, body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"use_scoring": false, "scoring_args": {}}',
        b'{"scoring_args": []}',
        b'{"scoring_args": [{"hour": NaN}]}',
        b'{"scoring_args": "not a ride"}',
        b'{"scoring_args": [' + b"1" * 401 + b"]}",
        b"[1, 2]",
        b"",
        orjson.dumps({"scoring_args": [dict(WORKSHOP_EXAMPLE, weekday=True)] * 8}),  # a boolean flag
        orjson.dumps({"scoring_args": [dict(WORKSHOP_EXAMPLE, passengers=2)] * 8}),  # a fifteenth field
        orjson.dumps({"scoring_args": [dict(WORKSHOP_EXAMPLE, distance=2**63)] * 8}),
        orjson.dumps({"scoring_args": [WORKSHOP_EXAMPLE] * 8, "note": "x"}),  # another field beside
        orjson.dumps({"scoring_args": orjson.dumps(WORKSHOP_EXAMPLE).decode()}),  # JSON as text
    ],
)
def test_any_other_body_is_read_as_plain_json(body: bytes) -> None:
    assert _read(READER, body) == _read(workshop, body)
