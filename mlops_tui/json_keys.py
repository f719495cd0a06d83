"""Keys given twice in one object of a JSON text: found without a second parse of valid text.

RFC 8259 §4: the names within an object SHOULD be unique; when they are not, parsers differ in
which value they keep (orjson, msgspec and Python's json keep the last). `strict_json.loads`
refuses such text naming the key; this module finds it. Valid text pays two colon counts and one
write by orjson (`duplicate_key` says why that suffices); only text whose counts differ is parsed
again, by Python's parser, or, nested deeper than it recurses, by a scan of its tokens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import orjson


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
    found = first_in_document_order(tree, _Twice)
    if found is None:
        return None
    path, node = found
    return (node.key if path == "body" else f"{path}.{node.key}"), node.key


# a string (its escapes whole), or a byte of JSON's structure; numbers and constants are skipped
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\],:]')


def _scan_duplicate_key(data: bytes) -> tuple[str, str] | None:
    """`first_duplicate_key` for valid JSON text nested deeper than Python's parser recurses: its
    tokens walked with a stack of open objects and arrays. The first key given twice in the order
    of the text, or None."""
    open_: list[list[Any]] = []  # each open object or array: [an object?, its current key or index, its keys]
    string = b""
    for token in _TOKEN.finditer(data):
        t = token.group()
        if t[0] == 0x22:  # '"'
            string = t
            continue
        if t == b":":  # the string before a colon is a key
            key = json.loads(string)
            top = open_[-1]
            top[1] = key
            if key in top[2]:
                return _path(open_), key
            top[2].add(key)
        elif t == b",":
            if not open_[-1][0]:
                open_[-1][1] += 1
        elif t in (b"{", b"["):
            open_.append([t == b"{", 0, set()])
        else:
            open_.pop()
    return None


# a string, a byte of JSON's structure, or anything else between them (a number, a literal, or
# what Python's json also takes: NaN, Infinity, -Infinity)
_TOKEN_OR_SCALAR = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\],:]|[^\s"{}\[\],:]+')


def first_scalar(data: bytes, wanted: Callable[[bytes], bool]) -> tuple[str, bytes] | None:
    """The first value of the JSON text ``data`` that is neither a string, an array nor an object
    (its text: ``12``, ``1e999``, ``NaN``) for which ``wanted`` is true, with its path as
    `first_in_document_order` gives it; or None. Without recursion, so for text nested deeper than
    Python's parser recurses; each path is made only for the value found (making one per level
    would cost the square of the depth)."""
    open_: list[list[Any]] = []  # each open object or array: [an object?, its current key or index]
    string = b""
    for token in _TOKEN_OR_SCALAR.finditer(data):
        t = token.group()
        first = t[0]
        if first == 0x22:  # '"'
            string = t
        elif t == b":":
            open_[-1][1] = json.loads(string)
        elif t == b",":
            if open_ and not open_[-1][0]:
                open_[-1][1] += 1
        elif t == b"{" or t == b"[":
            open_.append([t == b"{", 0])
        elif t == b"}" or t == b"]":
            if open_:
                open_.pop()
        elif wanted(t):
            return _path(open_), t
    return None


def _path(open_: list[list[Any]]) -> str:
    """The path of the current position: each open object's current key, each array's index."""
    out = "body"
    for is_object, at, *_ in open_:
        out += f".{at}" if is_object else f"[{at}]"
    return out.removeprefix("body.") if out != "body" else out


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


def first_in_document_order(tree: Any, kind: type) -> tuple[str, Any] | None:
    """The first node of ``tree`` (parsed JSON) that is a ``kind``, in the order of the text, with
    its path (``body`` for the whole text, else ``scoring_args[2].distance``); or None."""
    stack: list[tuple[str, Any]] = [("body", tree)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, kind):
            return (path.removeprefix("body.") if path != "body" else path), node
        if isinstance(node, dict):
            stack.extend((f"{path}.{k}", v) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(node))))
    return None
