"""`strict_json` on its own: what it takes, what it refuses and how it names it, for text the
colon count cannot settle (nesting orjson cannot write back, or Python's parser cannot read)."""

from __future__ import annotations

import orjson
import pytest

from mlops_tui import json_keys, strict_json
from mlops_tui.strict_json import JsonRefused


@pytest.mark.parametrize("depth", [255, 600, 1024])
def test_valid_json_nested_beyond_what_orjson_writes_is_read(depth: int) -> None:
    """orjson reads 1,024 levels but writes 254: the colon count's re-serialisation raised
    TypeError "Recursion limit reached" (a 500 on the prediction server and the platform API, an
    unexpected error in the CLI) for valid JSON nested 255 to 1,024 levels."""
    text = b'{"a": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b', "b": {"c": 1}}'
    assert strict_json.loads(text)["b"] == {"c": 1}


@pytest.mark.parametrize("depth", [300, 1000])
def test_a_key_given_twice_deep_in_nesting_is_named(depth: int) -> None:
    """Past about 990 levels Python's parser, which finds the key, raises RecursionError: the key
    given twice was let through."""
    inner = depth - 2
    text = b'{"x": ' + b"[" * inner + b'{"a": 1, "a": 2}' + b"]" * inner + b"}"
    with pytest.raises(JsonRefused) as err:
        strict_json.loads(text)
    path = "x" + "[0]" * inner + ".a"  # (a path over 256 characters is shown shortened)
    assert err.value.field == _shortened(path)
    assert "the key 'a' is given twice" in err.value.message


def _shortened(path: str) -> str:
    """A path as messages show it: whole up to 256 characters, else its ends and its length."""
    return path if len(path) <= 256 else path[:120] + f"…({len(path)} characters)…" + path[-120:]


@pytest.mark.parametrize("depth", [10, 600, 1000, 1023])
@pytest.mark.parametrize(
    ("token", "shown"), [(b"NaN", "NaN"), (b"-Infinity", "-Infinity"), (b"1e999", "1e999")]
)
def test_a_refused_number_deep_in_nesting_is_named_and_its_path_bounded(
    depth: int, token: bytes, shown: str
) -> None:
    """Past about 990 levels Python's parser, which marks the refused number, raised RecursionError:
    a NaN 1,000 levels deep got orjson's "not valid JSON: unexpected character"; and a NaN 600
    levels deep was named by its whole path, 3,600 characters, in the message and the field."""
    text = b'{"x": [1, ' + b"[" * (depth - 2) + b"2, " + token + b"]" * (depth - 2) + b"]}"
    with pytest.raises(JsonRefused) as err:
        strict_json.loads(text)
    path = _shortened("x[1]" + "[0]" * (depth - 3) + "[1]")
    assert err.value.field == path
    assert err.value.message == (
        f"{path}: {shown} is not a JSON number that fits a 64-bit float "
        "(NaN and Infinity are not JSON; send a finite number)"
    )


def test_a_long_integer_deep_in_nesting_is_named() -> None:
    text = b"[" * 1000 + b"1" * 401 + b"]" * 1000
    with pytest.raises(JsonRefused) as err:
        strict_json.loads(text)
    assert err.value.field == _shortened("body" + "[0]" * 1000)
    assert "111111111111…(401 characters) is not a JSON number" in err.value.message


@pytest.mark.parametrize("text", [b"\xef\xbb\xbf\xef\xbb\xbf{}", "\ufeff\ufeff{}"])
def test_one_byte_order_mark_is_ignored_not_two(text: bytes | str) -> None:
    """RFC 8259 §8.1 lets a parser ignore the mark; a second one is a U+FEFF character before the
    JSON, which no JSON text holds (the mark was stripped again and again)."""
    assert strict_json.loads(text[1:] if isinstance(text, str) else text[3:]) == {}
    with pytest.raises(JsonRefused) as err:
        strict_json.loads(text)
    assert err.value.field == "body" and "two byte order marks" in err.value.message


@pytest.mark.parametrize("text", [b"x^2", b"8OK", b"HK", b"(S", b"x^{}"])
def test_text_that_only_begins_like_a_zlib_header_is_not_called_compressed(text: bytes) -> None:
    """Two bytes can pass zlib's header check (RFC 1950 §2.2: ``x^`` is one) and the few after
    them inflate to nothing yet: such text was "zlib-compressed (deflate), not JSON text"."""
    assert strict_json.not_json_text(text) is None
    with pytest.raises(JsonRefused) as err:
        strict_json.loads(text)
    assert "is not valid JSON" in err.value.message and "compressed" not in err.value.message


def test_a_zlib_body_is_still_named() -> None:
    import zlib

    for body in (b"1", b'{"a": 1}', b" [1, 2]", b"\xef\xbb\xbf{}", b'{"a": "%s"}' % (b"x" * 5000)):
        assert "zlib-compressed" in (strict_json.not_json_text(zlib.compress(body)) or ""), body


def test_text_with_escaped_characters_near_the_colon_is_not_parsed_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Go's encoding/json and .NET write ``<`` and ``>`` as ``\\u003c`` and ``\\u003e``: any
    ``\\u003`` sent valid text to the second, full parse, though only ``\\u003a`` (a colon) changes
    the count; escaped colons are now counted instead."""
    parsed_again: list[object] = []
    monkeypatch.setattr(json_keys, "first_duplicate_key", lambda data: parsed_again.append(data))
    for text in (
        b'{"note": "a \\u003c b \\u003e c", "rides": [{"x": 1}, {"x": 2}]}',
        b'{"a\\u003ab": "\\u003A", "c": ":"}',
        '{"note": "\\u003c", "x": 1}',
    ):
        assert strict_json.loads(text) is not None
    assert parsed_again == []


@pytest.mark.parametrize(
    "text",
    [
        b'{"a": "\\u003a", "a": 2}',
        b'{"a": 1, "note": "\\\\u003a", "a": 2}',  # a backslash, then u003a: no colon
        b'{"k": "\\u003c", "k": 1}',
        b'{"\\u003a": 1, "\\u003A": 2}',
    ],
)
def test_a_key_given_twice_beside_escapes_is_still_named(text: bytes) -> None:
    with pytest.raises(JsonRefused) as err:
        strict_json.loads(text)
    assert "given twice" in err.value.message


def test_the_keys_a_request_does_not_define_are_named_within_bounds() -> None:
    """As the workshop request's: every unknown key of the request and of each tensor was a
    warning, whole."""
    from mlops_tui.platform.serving import oip

    tensor = {"name": "distance", "datatype": "FP64", "shape": [1], "data": [2.0]}
    tensor |= {f"t{i}": 0 for i in range(50)}
    body = orjson.dumps({"inputs": [tensor], "y" * 70_000: 1} | {f"r{i}": 0 for i in range(5)})
    ignored = oip.parse_request(body, None, 10).ignored
    assert ignored[0] == f"'{'y' * 40}…(70000 characters)' ignored: not a key of an inference request"
    assert ignored[1] == "'r0' ignored: not a key of an inference request"
    assert ignored[6] == "inputs[0].t0 ignored: not a key of a tensor"
    assert ignored[10:] == ["… and 46 more keys ignored: not keys of an inference request or of its tensors"]


def test_a_long_key_given_twice_is_named_shortened() -> None:
    """The key was named whole, twice (its path and its name): a 1 MB key given twice made a 2 MB
    refusal, kept in the server's history."""
    key = b"k" * 1_000_000
    with pytest.raises(JsonRefused) as err:
        strict_json.loads(b'{"a": {"' + key + b'": 1, "' + key + b'": 2}}')
    shown = f"{'k' * 40}…(1000000 characters)"
    assert err.value.field == f"a.{shown}"
    assert err.value.message.startswith(f"a.{shown}: the key '{shown}' is given twice in the request body")


def test_a_long_path_to_a_key_given_twice_is_shortened() -> None:
    text = b'{"x": ' + b"[" * 500 + b'{"a": 1, "a": 2}' + b"]" * 500 + b"}"
    with pytest.raises(JsonRefused) as err:
        strict_json.loads(text)
    path = "x" + "[0]" * 500 + ".a"
    assert err.value.field == path[:120] + "…(1503 characters)…" + path[-120:]
