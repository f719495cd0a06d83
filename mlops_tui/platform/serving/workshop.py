"""The workshop's prediction request and answer (``POST /<model>/<version>/predict``).

Request: ``{"use_scoring": true, "scoring_args": {...}}`` (one ride, a list of rides, or the same
as JSON text). Answer: what the workshop's deployment engine answered (reference
``ezmeral-platform.md`` §5.5: ``id``, ``qid``, ``input`` (the ``scoring_args`` echoed as text),
``output`` (the scoring script's stdout), ``status``, ``node``, ``pid``, ``log_url``,
``request_url``) and this platform's own fields (``model``, ``version``, ``prediction``,
``latency_ms``, ``warnings``). The echo is bounded: a 5,000-ride answer once weighed 1.4 MB
because every ride came back.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np

from mlops_tui import strict_json
from mlops_tui.json_text import BOM
from mlops_tui.platform.serving.errors import HttpError

ECHO_RIDES = 3  # rides of a batch echoed in ``input``
ECHO_CHARS = 2048  # characters of ``input`` at most


class Reader:
    """Reads the request's body: typed, when the scoring code offers a ride type (its
    ``Scorer.ride_type``, a msgspec record), else as plain JSON.

    A body that decodes into the ride type (the workshop's fields, every value a number: the
    common request) has its types checked while it is parsed, in one pass (the scoring package's
    ``typed_rides`` says why and measures it). Any other body (another form, a wrong value, an
    unknown field, a NaN, anything msgspec refuses) is parsed again as plain JSON by `parse`,
    which names what is wrong: the typed pass only ever takes a subset of what `parse` takes."""

    def __init__(self, ride_type: Any = None) -> None:
        self._typed: msgspec.json.Decoder[Any] | None = None
        self._fields = 0
        # the colon count (`parse`) holds only if every ride gives every field by name: a ride type
        # with a field that has a default, or read from an array (array_like: msgspec refuses it
        # beside list[ride], a TypeError), is read as plain JSON
        if (
            ride_type is not None
            and all(f.required for f in msgspec.structs.fields(ride_type))
            and not ride_type.__struct_config__.array_like
        ):
            envelope = msgspec.defstruct(
                "WorkshopRequest",
                [
                    ("scoring_args", list[ride_type] | ride_type),
                    ("use_scoring", bool | msgspec.UnsetType, msgspec.UNSET),  # (sent or not: see parse)
                ],
                forbid_unknown_fields=True,
            )
            self._typed = msgspec.json.Decoder(envelope)
            self._fields = len(msgspec.structs.fields(ride_type))

    def parse(self, body: bytes) -> tuple[Any, list[Any], bool, list[str]]:
        """``(scoring_args as sent, rides, one ride, warnings)``; HttpError naming the field.

        msgspec keeps the last of a key given twice; the typed pass knows every key it read (the
        envelope's, and every field of every ride: no field is optional) and every value is a number,
        so each colon in the text ends a key: a body with more colons than keys read gave a key
        twice, and `parse` names it (`colons`: 0.2 µs for a ride, 4.5 µs for 100, 2% of serving them)."""
        if self._typed is not None:
            try:
                request = self._typed.decode(body)
            except (msgspec.ValidationError, msgspec.DecodeError):
                # RFC 8259 §8.1: a parser MAY ignore one byte order mark (msgspec refuses it)
                if body.startswith(BOM) and not body.startswith(BOM, 3):
                    return self.parse(body[3:])
            else:
                args, use_scoring = request.scoring_args, request.use_scoring
                if use_scoring is not False and args != []:
                    rides = args if isinstance(args, list) else [args]
                    keys = 1 + (use_scoring is not msgspec.UNSET) + self._fields * len(rides)
                    if colons(body) == keys:
                        return args, rides, rides is not args, []
        return parse(body)


_SCAN_IN_NUMPY = 8192  # bytes: above, numpy counts faster than bytes.count (2 µs to start, then 5x)


def colons(body: bytes) -> int:
    """How many ``:`` bytes ``body`` holds. bytes.count walks a byte at a time (0.4 ns a byte:
    9.5 µs for 100 rides); numpy compares 16 or 32 at once (4.5 µs), once its 2 µs start is paid."""
    if len(body) < _SCAN_IN_NUMPY:
        return body.count(b":")
    return int(np.count_nonzero(np.frombuffer(body, np.uint8) == _COLON))


_COLON = ord(":")
ENVELOPE = ("use_scoring", "scoring_args")  # the workshop request's keys (reference §5.5)


def parse(body: bytes) -> tuple[Any, list[Any], bool, list[str]]:
    """``(scoring_args as sent, rides, one ride, warnings)``; HttpError naming the field. A key
    beside ``use_scoring`` and ``scoring_args`` is ignored with a warning (a client's extra, or a
    misspelt ``use_scoring``: it is optional): the first `strict_json.MAX_IGNORED` are named, the
    rest counted."""
    if not body:
        raise HttpError(400, "the request body is empty: send a JSON object", "body")
    req = strict_json.loads(body)
    if not isinstance(req, dict):
        raise HttpError(
            400, 'the body must be a JSON object {"use_scoring": true, "scoring_args": {...}}', "body"
        )
    if req.get("use_scoring", True) is not True:
        raise HttpError(
            422, "use_scoring must be true: this deployment answers through its scoring code", "use_scoring"
        )
    if "scoring_args" not in req:
        raise HttpError(
            422, "scoring_args is missing: send the ride as an object (or a list of them)", "scoring_args"
        )
    sent = args = req["scoring_args"]
    if isinstance(args, str):
        args = strict_json.loads(args.encode(), "scoring_args (a string)", "scoring_args")
    rides = [args] if isinstance(args, dict) else args
    # orjson makes plain dicts: their types, a set made in C, say it (a generator cost 0.2 µs a ride)
    if not isinstance(rides, list) or not rides or not set(map(type, rides)) <= {dict}:
        raise HttpError(422, "scoring_args must be an object or a non-empty list of objects", "scoring_args")
    extra = [key for key in req if key not in ENVELOPE]
    ignored = [f"{strict_json.shown_key(key)!r} ignored: {_ONLY}" for key in extra[: strict_json.MAX_IGNORED]]
    if len(extra) > strict_json.MAX_IGNORED:
        ignored.append(f"… and {len(extra) - strict_json.MAX_IGNORED} more keys ignored: {_ONLY}")
    return sent, rides, isinstance(args, dict), ignored


_ONLY = "a workshop request has only use_scoring and scoring_args"


def echo(sent: Any) -> str:
    """``scoring_args`` as compact JSON text (the workshop's ``input``): a batch shows its first
    rides and how many more there were; at most ECHO_CHARS characters."""
    if isinstance(sent, str):
        text = sent
    elif isinstance(sent, list) and len(sent) > ECHO_RIDES:
        shown = _compact(sent[:ECHO_RIDES])
        text = f"{shown[:-1]}, … {len(sent) - ECHO_RIDES} more rides]"
    else:
        text = _compact(sent)
    return text if len(text) <= ECHO_CHARS else text[: ECHO_CHARS - 1] + "…"


def _compact(sent: Any) -> str:
    """Rides as compact JSON: those `Reader` read typed (msgspec records: their fields in order, the
    numbers as msgspec writes them, ``1e+16`` as ``1e16``) by msgspec itself, without the dict of
    each that orjson would need (a one-ride echo went from about 16,000 instructions to 3,000);
    plain JSON values by orjson. Both write only numbers, never NaN (neither reads one)."""
    if isinstance(sent, msgspec.Struct) or (
        isinstance(sent, list) and sent and isinstance(sent[0], msgspec.Struct)
    ):
        return msgspec.json.encode(sent).decode()
    try:
        return strict_json.dumps(sent).decode()
    except (RecursionError, ValueError):  # nested deeper than any encoder here writes (about 990)
        return f"(not echoed: nested more than {strict_json.MAX_WRITTEN_DEPTH} levels deep)"


def output(values: list[float]) -> str:
    """What the workshop's scoring script printed: one sentence per ride."""
    # one %-format call: 100 rides in 11 µs (str.format 16, f-strings 20); the same text
    return (_SENTENCE * len(values)) % tuple(values)


_SENTENCE = "The ride duration prediction is %.1f seconds.\n"
