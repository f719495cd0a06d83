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
        sent, rides, single, ignored = reader.parse(body)
    except HttpError as exc:
        return ("error", exc.status, exc.message, exc.field)
    except JsonRefused as exc:  # (the app answers it with a 400)
        return ("refused", exc.message, exc.field)
    try:
        x, warnings = records_to_matrix(rides[0] if single else rides)
    except FieldError as exc:  # (the app answers it with a 422)
        return ("invalid", workshop.echo(sent), str(exc), exc.field, exc.index)
    return ("ok", workshop.echo(sent), x.tobytes(), [*ignored, *warnings], single, len(rides))


def test_the_workshop_batch_is_read_typed_and_answers_as_plain_json() -> None:
    body = orjson.dumps({"use_scoring": True, "scoring_args": RIDES})
    sent, rides, single, ignored = READER.parse(body)
    assert typed_rides.is_rides(rides) and not single and not ignored  # the typed route is really taken
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
        orjson.dumps({"use_scoring": True, "scoring_args": WORKSHOP_EXAMPLE}).replace(
            b'"distance":', b'"distance":9,"distance":'
        ),  # a key twice (msgspec keeps the last)
        b'{"use_scoring":true,"use_scoring":true,' + orjson.dumps({"scoring_args": WORKSHOP_EXAMPLE})[1:],
        orjson.dumps({"scoring_args": WORKSHOP_EXAMPLE}).replace(b"{", b'{"scoring_args":{},', 1),
    ],
)
def test_any_other_body_is_read_as_plain_json(body: bytes) -> None:
    assert _read(READER, body) == _read(workshop, body)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            orjson.dumps({"scoring_args": [WORKSHOP_EXAMPLE] * 3}).replace(
                b'"distance":', b'"distance":99,"distance":', 1
            ),
            "scoring_args[0].distance",
        ),
        (
            b'{"use_scoring":true,"use_scoring":true,' + orjson.dumps({"scoring_args": WORKSHOP_EXAMPLE})[1:],
            "use_scoring",
        ),
    ],
)
def test_a_key_given_twice_is_refused_by_name(body: bytes, field: str) -> None:
    """msgspec and orjson kept the last of the two: the ride was scored with a value the client
    may not have meant. 400 naming the key, on the typed route as on the plain one."""
    for reader in (READER, workshop):
        verdict = _read(reader, body)
        assert verdict[0] == "refused" and verdict[2] == field, verdict
        assert "given twice" in verdict[1]


def test_a_key_beside_the_envelope_is_ignored_with_a_warning() -> None:
    body = orjson.dumps({"use_scoring": True, "scoring_args": WORKSHOP_EXAMPLE, "model": "taxi"})
    verdict = _read(READER, body)
    assert verdict[0] == "ok"
    assert verdict[3][0] == "'model' ignored: a workshop request has only use_scoring and scoring_args"


def test_a_body_with_a_utf8_byte_order_mark_is_read_typed() -> None:
    """RFC 8259 §8.1 lets a parser ignore the mark (Windows tools write it): the plain route did,
    but msgspec refuses it, so such a body always left the typed route for the plain one."""
    body = b"\xef\xbb\xbf" + orjson.dumps({"use_scoring": True, "scoring_args": RIDES})
    _, rides, single, ignored = READER.parse(body)
    assert typed_rides.is_rides(rides) and not single and not ignored
    assert _read(READER, body) == _read(workshop, body)


def test_a_body_with_two_byte_order_marks_is_refused() -> None:
    body = b"\xef\xbb\xbf\xef\xbb\xbf" + orjson.dumps({"scoring_args": WORKSHOP_EXAMPLE})
    for reader in (READER, workshop):
        verdict = _read(reader, body)
        assert verdict[0] == "refused" and verdict[2] == "body", verdict


def test_the_keys_ignored_beside_the_envelope_are_named_within_bounds() -> None:
    """Each key beside the envelope was a warning, whole: 200,000 small keys (2.3 MB, within the
    body limit) made 200,000 warnings, 15 MB of answer; one 3 MB key a 3 MB warning, kept in the
    server's history. The first ten are named, each at most 64 characters, the rest counted."""
    extra = {f"k{i}": 0 for i in range(200)} | {"x" * 100_000: 1}
    body = orjson.dumps({"use_scoring": True, "scoring_args": WORKSHOP_EXAMPLE} | extra)
    *_, ignored = READER.parse(body)
    assert ignored[:2] == [
        "'k0' ignored: a workshop request has only use_scoring and scoring_args",
        "'k1' ignored: a workshop request has only use_scoring and scoring_args",
    ]
    assert ignored[10:] == [
        "… and 191 more keys ignored: a workshop request has only use_scoring and scoring_args"
    ]
    body = orjson.dumps({"scoring_args": WORKSHOP_EXAMPLE, "x" * 100_000: 1})
    assert READER.parse(body)[3] == [
        f"'{'x' * 40}…(100000 characters)' ignored: a workshop request has only use_scoring and scoring_args"
    ]


def test_a_ride_type_with_an_optional_field_cannot_hide_a_key_given_twice() -> None:
    """The typed route counts the keys it read as every field of every ride; a scoring package's
    ride type with a field that has a default read fewer: a ride leaving it out and giving
    another key twice held as many colons, and was scored with the last of the two."""
    import msgspec

    ride = msgspec.defstruct("Ride", [("a", float), ("b", float, 0.0)], forbid_unknown_fields=True)
    reader = workshop.Reader(ride)
    with pytest.raises(JsonRefused) as err:
        reader.parse(b'{"scoring_args": {"a": 1, "a": 2}}')
    assert err.value.field == "scoring_args.a"
    assert reader.parse(b'{"scoring_args": {"a": 1}}')[1] == [{"a": 1}]  # read as plain JSON
    rows = msgspec.defstruct("Row", [("a", float)], array_like=True)  # (was a TypeError here)
    assert workshop.Reader(rows).parse(b'{"scoring_args": {"a": 1}}')[1] == [{"a": 1}]
