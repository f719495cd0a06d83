"""`strict_json` on its own: what it takes, what it refuses and how it names it, for text the
colon count cannot settle (nesting orjson cannot write back, or Python's parser cannot read)."""

from __future__ import annotations

import pytest

from mlops_tui import strict_json


@pytest.mark.parametrize("depth", [255, 600, 1024])
def test_valid_json_nested_beyond_what_orjson_writes_is_read(depth: int) -> None:
    """orjson reads 1,024 levels but writes 254: the colon count's re-serialisation raised
    TypeError "Recursion limit reached" (a 500 on the prediction server and the platform API, an
    unexpected error in the CLI) for valid JSON nested 255 to 1,024 levels."""
    text = b'{"a": ' + b"[" * (depth - 1) + b"]" * (depth - 1) + b', "b": {"c": 1}}'
    assert strict_json.loads(text)["b"] == {"c": 1}
