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
  the key. Checked without slowing valid text (`duplicate_key` says how);
- **text that is not UTF-8 JSON** (RFC 8259 §8.1: JSON is exchanged as UTF-8): a body in UTF-16 or
  UTF-32 (PowerShell 5's ``>`` writes UTF-16), a compressed body sent without its
  ``Content-Encoding`` header, Latin-1 text. These are named (`not_json_text`) instead of "not valid
  JSON: str is not valid UTF-8". A UTF-8 byte order mark is ignored, as §8.1 allows parsers to.

No dependency beyond orjson: the platform, the services and the CLI all use it.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from typing import Any

import orjson

MAX_DEPTH = 1024  # orjson's limit on nesting (arrays and objects)
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
    if data[:3] == _BOM or data[:1] == "\ufeff":  # RFC 8259 §8.1: a parser MAY ignore it (one)
        rest = data[3:] if isinstance(data, bytes) else data[1:]
        if rest[:3] == _BOM or rest[:1] == "\ufeff":
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
            path = _under(at, path)
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


_BOM = b"\xef\xbb\xbf"
# byte order marks, longest first (UTF-32LE's begins with UTF-16LE's); RFC 8259 §8.1, Unicode §23.8
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32 (little-endian)", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32 (big-endian)", "UTF-32BE"),
    (b"\xff\xfe", "UTF-16 (little-endian)", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16 (big-endian)", "UTF-16BE"),
)


def not_json_text(data: bytes | str, *, decompresses: bool = True) -> str | None:
    """What ``data`` is when it is not UTF-8 text at all, as the end of a sentence ("is UTF-16
    (little-endian) text, …"), or None. Without a byte order mark, UTF-16 and UTF-32 are told by
    where the zero bytes of the first (ASCII) characters fall (RFC 4627 §3); gzip by its magic
    number (RFC 1952 §2.3.1), zlib (deflate) by its header check (RFC 1950 §2.2). A compressed
    body is told to come with its Content-Encoding, or, when the reader ``decompresses`` nothing
    (the platform's API, a file given to the CLI), uncompressed."""
    if isinstance(data, str):
        return None
    head = bytes(data[:4])
    encoding = next(((name, codec) for bom, name, codec in _BOMS if head.startswith(bom)), None)
    if encoding is None and len(head) == 4:
        zeros = tuple(b == 0 for b in head)
        encoding = {
            (True, True, True, False): ("UTF-32 (big-endian)", "UTF-32BE"),
            (False, True, True, True): ("UTF-32 (little-endian)", "UTF-32LE"),
            (True, False, True, False): ("UTF-16 (big-endian)", "UTF-16BE"),
            (False, True, False, True): ("UTF-16 (little-endian)", "UTF-16LE"),
        }.get(zeros)
    if encoding is not None:
        name, codec = encoding
        return (
            f"is {name} text, not UTF-8: JSON is exchanged as UTF-8 (RFC 8259 §8.1); save or send it "
            f"as UTF-8 (iconv -f {codec} -t UTF-8, or PowerShell's -Encoding utf8)"
        )
    if head[:2] == b"\x1f\x8b":
        return "is gzip-compressed, not JSON text: " + (
            "send it with the header Content-Encoding: gzip (curl: -H 'Content-Encoding: gzip'), "
            "or uncompressed"
            if decompresses
            else "send or save it uncompressed (gunzip it first)"
        )
    if len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0 and _inflates(data):
        return "is zlib-compressed (deflate), not JSON text: " + (
            "send it with the header Content-Encoding: deflate, or uncompressed"
            if decompresses
            else "send or save it uncompressed"
        )
    try:
        bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            f"is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}): JSON is "
            "exchanged as UTF-8 (RFC 8259 §8.1); save or send it as UTF-8 (it may be Latin-1 or "
            "Windows-1252: iconv -f WINDOWS-1252 -t UTF-8)"
        )
    return None


def _inflates(data: bytes) -> bool:
    """Whether the start of ``data`` decompresses as zlib to what begins a JSON text (a text may
    begin like a zlib header: ``x^`` passes its check, and a few bytes after it inflate to nothing
    or to a byte or two without error)."""
    try:
        start = zlib.decompressobj().decompress(bytes(data[:512]), 64).lstrip(b" \t\r\n")
    except zlib.error:
        return False
    return start[:1] != b"" and start[:1] in _JSON_STARTS


_JSON_STARTS = b'{["-0123456789tfn\xef'  # a value's first byte (RFC 8259 §2-7), or a BOM's


def duplicate_key(data: bytes | str, tree: Any) -> tuple[str, str] | None:
    """The first key given twice in one object of the JSON text ``data`` parsed as ``tree``:
    ``(path of the key, key)``, e.g. ``("scoring_args.distance", "distance")``; or None.

    Valid text costs one count of its colons and one of the colons orjson writes for ``tree``
    (both in C: about 1 µs for a ride, 25 µs for 100). Outside strings, a colon in JSON text only
    ever ends a key; so the text holds as many colons as ``tree`` written out again, unless a key
    was dropped for its repeat (the text then holds more) or a colon in a string was written as
    ``\\u003a`` (fewer: those are counted too, when the text holds ``\\u003``). Only then is the text
    parsed once more, by Python's parser, to find the key; and when it nests deeper than the 254
    levels orjson writes (it reads 1,024)."""
    if not isinstance(tree, dict | list):
        return None
    colon, backslash, escape, colon_escaped, colon_escaped_upper = _NEEDLES[isinstance(data, str)]
    try:
        written = orjson.dumps(tree)
    except TypeError:  # orjson writes 254 levels of nesting, reads 1,024: such text is parsed again
        return first_duplicate_key(data)
    colons, wanted = data.count(colon), written.count(b":")
    # (a backslash is looked for first: one byte is found by memchr, 10x faster than the five)
    if colons == wanted and (backslash not in data or escape not in data):
        return None
    # \u003c, \u003e (Go and .NET write < and > so) leave the count; \u003a and \u003A are colons
    # (a \\u003a, a backslash then u003a, counts one too many: then the text is parsed again)
    if colons + data.count(colon_escaped) + data.count(colon_escaped_upper) == wanted:
        return None
    return first_duplicate_key(data)


_NEEDLES: Any = (
    (b":", b"\\", b"\\u003", b"\\u003a", b"\\u003A"),
    (":", "\\", "\\u003", "\\u003a", "\\u003A"),
)


def first_duplicate_key(data: bytes | str) -> tuple[str, str] | None:
    """`duplicate_key` by a full parse: the path and name of the first key given twice, or None
    (also for text Python's parser cannot read). Text nested deeper than Python's parser recurses
    (about 990 levels; orjson reads 1,024) is scanned without recursion."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        made = dict(items)
        if len(made) == len(items):
            return made
        seen: set[str] = set()
        twice = next(k for k, _ in items if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        flagged = _Twice(made)
        flagged.key = twice
        return flagged

    try:
        tree = json.loads(data, object_pairs_hook=pairs)
    except RecursionError:  # (about 990 levels: orjson reads 1,024) read without recursion
        return _scan_duplicate_key(data.encode() if isinstance(data, str) else bytes(data))
    except ValueError:
        return None
    stack: list[tuple[str, Any]] = [("body", tree)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, _Twice):
            return (node.key if path == "body" else f"{path.removeprefix('body.')}.{node.key}"), node.key
        if isinstance(node, dict):
            stack.extend((f"{path}.{k}", v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(node))))
    return None


# a string (its escapes whole), or a byte of JSON's structure; numbers and constants are skipped
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\],:]')


def _scan_duplicate_key(data: bytes) -> tuple[str, str] | None:
    """`first_duplicate_key` for valid JSON text nested deeper than Python's parser recurses: its
    tokens walked with a stack of open objects and arrays. The first key given twice in the order
    of the text, or None."""
    # each open object or array: [its path, an object?, its keys, its current key or index]
    open_: list[list[Any]] = []
    string = b""
    for token in _TOKEN.finditer(data):
        t = token.group()
        if t[0] == 0x22:  # '"'
            string = t
            continue
        if t == b":":  # the string before a colon is a key
            key = json.loads(string)
            path, _, keys, _ = top = open_[-1]
            if key in keys:
                return (key if path == "body" else f"{path.removeprefix('body.')}.{key}"), key
            keys.add(key)
            top[3] = key
        elif t == b",":
            if not open_[-1][1]:
                open_[-1][3] += 1
        elif t in (b"{", b"["):
            if open_:
                path, is_object, _, at = open_[-1]
                path = f"{path}.{at}" if is_object else f"{path}[{at}]"
            else:
                path = "body"
            open_.append([path, t == b"{", set(), 0])
        else:
            open_.pop()
    return None


def nesting(data: bytes) -> int:
    """How many levels of arrays and objects the JSON text ``data`` nests at its deepest (0 for a
    number or a string), by its tokens, without recursion; for valid text."""
    depth = deepest = 0
    for token in _TOKEN.finditer(data):
        t = token.group()
        if t == b"{" or t == b"[":
            depth += 1
            deepest = max(deepest, depth)
        elif t == b"}" or t == b"]":
            depth -= 1
    return deepest


class _Twice(dict):
    """An object of the text that gave ``key`` twice."""

    key: str


MAX_KEY_SHOWN = 64  # characters of a key a message shows whole (a ride's field name is at most 64)
MAX_IGNORED = 10  # keys a request does not define, named one by one in its warnings (the rest counted)


def shown_key(key: str) -> str:
    """``key`` as a message shows it: whole up to MAX_KEY_SHOWN characters, else its first 40 and
    its length (a key may be megabytes long; the answer and the server's history keep messages)."""
    return key if len(key) <= MAX_KEY_SHOWN else f"{key[:40]}…({len(key)} characters)"


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
