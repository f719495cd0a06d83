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
