"""JSON strictly as RFC 8259 defines it, at every boundary: the prediction server, the platform's
API and the CLI.

Python's ``json`` accepts ``NaN``, ``Infinity`` and integers of any size, and writes NaN back out:
a NaN taken in by the prediction server was echoed in its answer, so the answer was not JSON for
any strict parser, and a 401-digit distance reached the scorer as an OverflowError (a 500).
orjson parses strictly (no constants, no number beyond a 64-bit float, at most 1,024 levels of
nesting) and about three times faster; when it refuses a number, the text is parsed once more
with Python's parser, marking what is wrong, to name the field (``scoring_args.distance``,
``inputs[2].data[0]``). Output goes through orjson, which never writes NaN or Infinity.
No dependency beyond orjson: the platform, the services and the CLI all use it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

MAX_DEPTH = 1024  # orjson's limit on nesting (arrays and objects)
_REPARSE_LIMIT = 16 << 20  # bytes: a body refused by orjson is parsed again to name the field


def loads(data: bytes | str, what: str = "the request body", at: str = "") -> Any:
    """The parsed JSON; JsonRefused naming the field of a refused number (its path, under ``at``
    when the JSON is the text of a field), else ``at`` or ``body``."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        message = str(exc)
    if "depth" in message or "recursion" in message:
        raise JsonRefused(f"{what} nests JSON more than {MAX_DEPTH} levels deep", at or "body")
    if len(data) <= _REPARSE_LIMIT:  # a refused number or constant? Python's parser marks it
        found = _refused_number(data)
        if found is not None:
            path, token = found
            if at:
                path = (
                    at
                    if path == "body"
                    else f"{at}{path[4:]}"
                    if path.startswith("body[")
                    else f"{at}.{path}"
                )
            raise JsonRefused(
                f"{path}: {token} is not a JSON number that fits a 64-bit float "
                "(NaN and Infinity are not JSON; send a finite number)",
                path,
            )
    raise JsonRefused(f"{what} is not valid JSON: {message}", at or "body")


def dumps(value: Any, *, indent: bool = False) -> bytes:
    """JSON (compact, or indented by 2); a non-finite float is written as null, never as NaN."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else 0)


def refused_number(data: bytes | str) -> tuple[str, str] | None:
    """Where text that Python's json reads holds what strict JSON refuses: ``(path, token)``
    (a NaN, an Infinity, a number beyond a float), or None."""
    return _refused_number(data)


class JsonRefused(ValueError):
    """Text that is not strict JSON; ``field`` names where (a dotted path, or ``body``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message, self.field = message, field


class _Refused:
    def __init__(self, token: str) -> None:
        self.token = token if len(token) <= 24 else f"{token[:12]}…({len(token)} characters)"


def _refused_number(data: bytes | str) -> tuple[str, str] | None:
    """The path and text of the first number or constant orjson refused, or None."""

    def number(text: str) -> Any:
        value = float(text)
        return value if math.isfinite(value) else _Refused(text)

    def integer(text: str) -> Any:
        if len(text) > 400:  # beyond any float (and Python's 4,300-digit limit on int())
            return _Refused(text)
        value = int(text)
        return value if abs(value) <= 1.7976931348623157e308 else _Refused(text)

    try:
        tree = json.loads(data, parse_constant=_Refused, parse_float=number, parse_int=integer)
    except (ValueError, RecursionError):
        return None
    return _find(tree)


def _find(tree: Any) -> tuple[str, str] | None:
    """The first _Refused in document order, with its path."""
    stack: list[tuple[str, Any]] = [("body", tree)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, _Refused):
            return path.removeprefix("body.") if path != "body" else path, node.token
        if isinstance(node, dict):
            stack.extend((f"{path}.{k}", v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(node))))
    return None
