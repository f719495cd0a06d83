"""`strict_json` on its own: what it takes, what it refuses and how it names it, for text the
colon count cannot settle (nesting orjson cannot write back, or Python's parser cannot read)."""

from __future__ import annotations

import pytest

from mlops_tui import strict_json
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
    path = "x" + "[0]" * inner + ".a"
    assert err.value.field == path and "the key 'a' is given twice" in err.value.message


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
