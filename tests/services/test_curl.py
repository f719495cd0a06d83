"""Curl rendering: secrets as shell variables, or revealed for a command that runs as pasted."""

from __future__ import annotations

import shlex

from mlops_tui.services.curl import Curl, Secret


def test_secret_header_and_body_masked_then_revealed() -> None:
    c = Curl(
        "POST",
        ("http://127.0.0.1:9/m/1/predict",),
        headers=(("X-Auth-Token", (Secret("AUTH_TOKEN", "abc123"),)),),
        json_body={"use_scoring": True, "scoring_args": {"hour": 9, "note": "it's"}},
    )
    masked = c.render()
    assert '"X-Auth-Token: ${AUTH_TOKEN}"' in masked and "abc123" not in masked
    revealed = c.render(reveal=True)
    words = shlex.split(revealed)
    assert words[words.index("-H") + 1] == "X-Auth-Token: abc123"
    assert words[-1] == '{"use_scoring": true, "scoring_args": {"hour": 9, "note": "it\'s"}}'


def test_login_captures_location_and_masks_password() -> None:
    c = Curl(
        "POST",
        ("http://h/api/v2/session",),
        json_body={"name": "al", "password": Secret("MLOPS_PASSWORD", "p@ss"), "tenant_name": "T"},
        capture="MLOPS_SESSION",
    )
    text = c.render()
    assert text.startswith("MLOPS_SESSION=$(curl ")
    assert "${MLOPS_PASSWORD}" in text and "p@ss" not in text
    assert "location:" in text
