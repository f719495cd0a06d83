"""Curl rendering: secrets as shell variables, or revealed for a command that runs as pasted; JSON
bodies with masked secrets built by jq or python3 so that no value can break them."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_tui.services.curl import Curl, Secret, json_tool

HOSTILE = [
    'p"a ss wörd$x',
    "b\\ack`id`sl'ash $(echo pwned) !x \\\" %s %% \\u0041 \\(1)",
    "tab\there\nnewline 😀",
]


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
    for tool in ("jq", "python3"):
        text = c.render(tool=tool)
        assert text.startswith(f"MLOPS_SESSION=$({tool} ")
        assert '"${MLOPS_PASSWORD}"' in text and "p@ss" not in text
        assert "| curl -fsS -o /dev/null -D - -X POST " in text and "--data-binary @-" in text
        assert "location:" in text
    assert json_tool() in ("jq", "python3")


def test_unknown_secret_stays_a_variable_when_revealed() -> None:
    c = Curl("GET", (Secret("PREDICT_URL"),), (("X-Auth-Token", (Secret("AUTH_TOKEN"),)),))
    assert c.render(reveal=True) == 'curl -sS "${PREDICT_URL}" -H "X-Auth-Token: ${AUTH_TOKEN}"'


def test_flags_are_words() -> None:
    c = Curl("GET", ("https://gw/x",), flags=("--cacert", "/etc/my ca's/$x.pem", "-k"))
    assert shlex.split(c.render())[:4] == ["curl", "--cacert", "/etc/my ca's/$x.pem", "-k"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("tool", ["jq", "python3"])
def test_body_built_from_a_variable_is_the_json_the_app_sends(tool: str, tmp_path: Path) -> None:
    """A stand-in ``curl`` prints the body it reads from stdin: for each hostile value (and literal
    text that looks like the renderer's own markers, ``%`` or jq's ``\\(``) it is the app's JSON."""
    if tool == "jq" and shutil.which("jq") is None:
        pytest.skip("jq is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "curl"
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write(sys.stdin.read())\n")
    fake.chmod(0o755)
    for tool_name in ("jq",):
        if shutil.which(tool_name):
            os.symlink(shutil.which(tool_name), bin_dir / tool_name)
    os.symlink(os.path.realpath(sys.executable), bin_dir / "python3")
    for value in HOSTILE:
        body = {
            "name": "al %s 100% @@MLOPS_SECRET_0 \\(x)",
            "password": Secret("MLOPS_PASSWORD", value),
            "nested": [{"again": Secret("MLOPS_PASSWORD", value), "other": Secret("OTHER", "o'k")}],
        }
        command = Curl("POST", ("http://h/x",), json_body=body).render(tool=tool)
        assert value not in command
        run = subprocess.run(
            [shutil.which("bash") or "bash", "-c", command],
            capture_output=True,
            text=True,
            env={**os.environ, "PATH": str(bin_dir), "MLOPS_PASSWORD": value, "OTHER": "o'k"},
            timeout=30,
        )
        assert run.returncode == 0, f"{command}\n{run.stderr}"
        assert json.loads(run.stdout) == {
            "name": "al %s 100% @@MLOPS_SECRET_0 \\(x)",
            "password": value,
            "nested": [{"again": value, "other": "o'k"}],
        }
