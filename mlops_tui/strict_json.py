"""JSON strictly as RFC 8259 defines it, at every boundary: the prediction server, the platform's
API and the CLI.

Python's ``json`` accepts ``NaN``, ``Infinity`` and integers of any size, and writes NaN back out:
a NaN taken in by the prediction server was echoed in its answer, so the answer was not JSON for
any strict parser, and a 401-digit distance reached the scorer as an OverflowError (a 500).
orjson parses strictly (no constants, no number beyond a 64-bit float, at most 1,024 levels of
nesting) and about three times faster; when it refuses a number, the text is parsed once more
with Python's parser, marking what is wrong, to name the field (``scoring_args.distance``,
``inputs[2].data[0]``). Output goes through orjson, which never writes NaN or Infinity.

Two more things every strict parser here refuses, and Python's json and orjson let through:

- **a key given twice in one object** (``{"distance": 1, "distance": 9}``): RFC 8259 §4 says the
  names SHOULD be unique and that parsers then differ in which value they keep (orjson and msgspec
  keep the last, others the first or refuse): a request that means two things is refused, naming
  the key. Checked without slowing valid text (`json_keys` says how);
- **text that is not UTF-8 JSON** (RFC 8259 §8.1: JSON is exchanged as UTF-8): a body in UTF-16 or
  UTF-32 (PowerShell 5's ``>`` writes UTF-16), a compressed body sent without its
  ``Content-Encoding`` header, Latin-1 text. These are named (`json_text`) instead of "not valid
  JSON: str is not valid UTF-8". A UTF-8 byte order mark is ignored, as §8.1 allows parsers to.

No dependency beyond orjson: the platform, the services and the CLI all use it.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

from mlops_tui.json_keys import duplicate_key, first_in_document_order, first_scalar
from mlops_tui.json_text import BOM, not_json_text

MAX_DEPTH = 1024  # orjson's limit on nesting (arrays and objects)
MAX_WRITTEN_DEPTH = 900  # levels `dumps` writes for certain (Python's encoder: about 990)
_REPARSE_LIMIT = 16 << 20  # bytes: a body refused by orjson is parsed again to name the field


def loads(
    data: bytes | str, what: str = "the request body", at: str = "", *, decompresses: bool = True
) -> Any:
    """The parsed JSON; JsonRefused naming the field of a refused number or of a key given twice
    (its path, under ``at`` when the JSON is the text of a field), else ``at`` or ``body``.
    ``decompresses``: whether the receiver reads a gzip or deflate body sent with its
    Content-Encoding (`not_json_text`)."""
    try:
        tree = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        message = str(exc)
    else:
        twice = duplicate_key(data, tree)
        if twice is not None:
            path, key = twice
            shown = shown_key(key)  # (the path ends with the key)
            field = _shown_path(_under(at, path[: len(path) - len(key)] + shown))
            raise JsonRefused(
                f"{field}: the key {shown!r} is given twice in {what}; give each key once "
                "(JSON parsers differ in which of the two they keep, RFC 8259 §4)",
                field,
            )
        return tree
    if data[:3] == BOM or data[:1] == "\ufeff":  # RFC 8259 §8.1: a parser MAY ignore it (one)
        rest = data[3:] if isinstance(data, bytes) else data[1:]
        if rest[:3] == BOM or rest[:1] == "\ufeff":
            raise JsonRefused(
                f"{what} begins with two byte order marks (U+FEFF): send one at most, or none", at or "body"
            )
        return loads(rest, what, at, decompresses=decompresses)
    not_text = not_json_text(data, decompresses=decompresses)
    if not_text is not None:
        raise JsonRefused(f"{what} {not_text}", at or "body")
    if "depth" in message or "recursion" in message:
        raise JsonRefused(f"{what} nests JSON more than {MAX_DEPTH} levels deep", at or "body")
    if len(data) <= _REPARSE_LIMIT:  # a refused number or constant? Python's parser marks it
        found = _refused_number(data)
        if found is not None:
            path, token = found
            path = _shown_path(_under(at, path))
            raise JsonRefused(
                f"{path}: {token} is not a JSON number that fits a 64-bit float "
                "(NaN and Infinity are not JSON; send a finite number)",
                path,
            )
    raise JsonRefused(f"{what} is not valid JSON: {message}", at or "body")


def _shown_path(path: str) -> str:
    """``path`` whole up to 256 characters, else its first and last 120 and its length."""
    return path if len(path) <= 256 else f"{path[:120]}…({len(path)} characters)…{path[-120:]}"


def _under(at: str, path: str) -> str:
    """``path`` (``body``, ``body[2].x``, ``x.y``) inside the field ``at`` whose text was parsed."""
    if not at:
        return path
    return at if path == "body" else f"{at}{path[4:]}" if path.startswith("body[") else f"{at}.{path}"


MAX_KEY_SHOWN = 64  # characters of a key a message shows whole (a ride's field name is at most 64)
MAX_IGNORED = 10  # keys a request does not define, named one by one in its warnings (the rest counted)


def shown_key(key: str) -> str:
    """``key`` as a message shows it: whole up to MAX_KEY_SHOWN characters, else its first 40 and
    its length (a key may be megabytes long; the answer and the server's history keep messages)."""
    return key if len(key) <= MAX_KEY_SHOWN else f"{key[:40]}…({len(key)} characters)"


def dumps(value: Any, *, indent: bool = False) -> bytes:
    """JSON (compact, or indented by 2); a non-finite float is written as null, never as NaN.

    orjson writes at most 254 levels of nesting (it reads 1,024): deeper values, which only a
    client's own JSON holds, are written by Python's encoder, as deep as its recursion allows
    (about 990 levels: RecursionError beyond; ValueError for a non-finite float there)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else 0)
    except TypeError as exc:
        if "Recursion" not in str(exc):
            raise
    compact = None if indent else (",", ":")
    return json.dumps(
        value, allow_nan=False, ensure_ascii=False, indent=2 if indent else None, separators=compact
    ).encode()


class JsonRefused(ValueError):
    """Text that is not strict JSON; ``field`` names where (a dotted path, or ``body``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message, self.field = message, field


class _Refused:
    def __init__(self, token: str) -> None:
        self.token = token if len(token) <= 24 else f"{token[:12]}…({len(token)} characters)"


def _refused_number(data: bytes | str) -> tuple[str, str] | None:
    """Where text that Python's json reads holds what strict JSON refuses: ``(path, token)`` of
    the first NaN, Infinity or number beyond a float in the text's order, or None."""

    def number(text: str) -> Any:
        return _Refused(text) if _refused_text(text) else float(text)

    def integer(text: str) -> Any:
        return _Refused(text) if _refused_text(text) else int(text)

    try:
        tree = json.loads(data, parse_constant=_Refused, parse_float=number, parse_int=integer)
    except RecursionError:  # (about 990 levels: orjson reads 1,024) scanned without recursion
        raw = data.encode() if isinstance(data, str) else bytes(data)
        found = first_scalar(raw, _refused_token)
        return None if found is None else (found[0], _Refused(found[1].decode("latin-1")).token)
    except ValueError:
        return None
    return _find(tree)


def _refused_token(token: bytes) -> bool:
    """Whether a number or literal of JSON text is one strict JSON refuses (`_refused_text`)."""
    if token in (b"true", b"false", b"null"):
        return False
    if token in (b"NaN", b"Infinity", b"-Infinity"):
        return True
    try:
        return _refused_text(token.decode("latin-1"))
    except ValueError:  # not a number at all: not valid JSON, which Python's parser would say
        return False


def _refused_text(text: str) -> bool:
    """Whether a JSON number's text is beyond a 64-bit float: a float that is not finite, an
    integer of more than 400 digits (beyond any float, and Python's 4,300-digit limit on int())
    or above the largest float. ValueError for text that is no number."""
    if "." in text or "e" in text or "E" in text:
        return not math.isfinite(float(text))
    return len(text) > 400 or abs(int(text)) > 1.7976931348623157e308


def _find(tree: Any) -> tuple[str, str] | None:
    """The first _Refused in document order, with its path."""
    found = first_in_document_order(tree, _Refused)
    return None if found is None else (found[0], found[1].token)
