"""Strict JSON at the platform's API (issue 10 §3): what strict JSON refuses is a 400 naming the
field, and no answer ever holds NaN or Infinity, even when a job reports a NaN metric."""

from __future__ import annotations

import gzip
import zlib
from typing import Any

import httpx
import orjson
import pytest
from local_platform_support import DEFAULT_DATA, DEFAULT_USER, V1, wait_job


def _post(api: httpx.Client, path: str, body: bytes) -> httpx.Response:
    r = api.post(path, content=body, headers={"Content-Type": "application/json"})
    orjson.loads(r.content)  # every answer is strict JSON
    return r


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            f"{V1}/jobs",
            b'{"cluster": "training-engine-shared", "code": "c", "data": "d", "output": "o",'
            b' "params": {"lr": NaN}}',
            "params.lr",
        ),
        (
            f"{V1}/deployments",
            b'{"name": "x", "model": "m", "version": 1, "max_batch_wait_ms": Infinity}',
            "max_batch_wait_ms",
        ),
        (f"{V1}/clusters", b'{"name": "x", "kind": "notebook", "members": 1' + b"0" * 400 + b"}", "members"),
        ("/api/v2/session", b'{"name": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", "body"),
        (f"{V1}/deployments", b'{"name": "x", "name": "y", "model": "m", "version": 1}', "name"),
        (f"{V1}/deployments", '{"name": "x", "model": "m", "version": 1}'.encode("utf-16"), "body"),
    ],
)
def test_what_strict_json_refuses_is_a_400_naming_the_field(
    api: httpx.Client, path: str, body: bytes, field: str
) -> None:
    r = _post(api, path, body)
    assert r.status_code == 400 and r.json()["field"] == field, r.text


@pytest.mark.parametrize(("depth", "bom"), [(600, b""), (990, b""), (990, b"\xef\xbb\xbf")])
def test_valid_json_nested_too_deep_for_the_api_is_a_400_saying_how_deep(
    api: httpx.Client, depth: int, bom: bytes
) -> None:
    """FastAPI parses the body again with Python's json, which stops at about 990 levels (its
    recursion limit): such a body was 400 "There was an error parsing the body", naming no field."""
    nested = b"[" * depth + b"]" * depth
    body = bom + b'{"name": "x", "model": "m", "version": 1, "note": ' + nested + b"}"
    r = _post(api, f"{V1}/deployments", body)
    assert r.status_code == 400 and r.json()["field"] == "body", r.text
    assert r.json()["error"] == (
        f"body: the JSON nests {depth + 1} levels deep; the platform's API reads at most 512 "
        "(its requests nest a few)"
    )


def test_a_body_cut_short_deep_in_nesting_is_not_called_too_deep(api: httpx.Client) -> None:
    """1,000 open brackets and 999 closed: Python's parser ran out of recursion first, and the body
    was said to nest "more than 1,024 levels deep"."""
    r = _post(api, f"{V1}/deployments", b'{"name": ' + b"[" * 1000 + b"]" * 999 + b"}")
    assert r.status_code == 400 and r.json()["field"] == "body", r.text
    assert "is not valid JSON" in r.json()["error"] and "levels" not in r.json()["error"], r.text


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_a_compressed_body_is_told_to_come_uncompressed(api: httpx.Client, encoding: str) -> None:
    """The platform's API decompresses nothing: a gzip body sent with Content-Encoding: gzip was
    told to "send it with the header Content-Encoding: gzip", the header it had; without the
    header, to add it, which would not have helped either."""
    body = b'{"name": "x", "model": "m", "version": 1}'
    packed = gzip.compress(body) if encoding == "gzip" else zlib.compress(body)
    r = _post(api, f"{V1}/deployments", packed)
    assert r.status_code == 400 and r.json()["field"] == "body", r.text
    assert r.json()["error"].endswith(
        "not JSON text: send or save it uncompressed" + (" (gunzip it first)" if encoding == "gzip" else "")
    )
    r = api.post(
        f"{V1}/deployments",
        content=packed,
        headers={"Content-Type": "application/json", "Content-Encoding": encoding},
    )
    assert r.status_code == 415 and r.json()["field"] == "Content-Encoding", r.text
    assert r.json()["error"] == (
        f"Content-Encoding {encoding}: this API takes no compressed body; send it uncompressed"
    )


def test_a_content_encoding_that_names_no_compression_is_ignored_as_before(api: httpx.Client) -> None:
    """Some clients send ``Content-Encoding: UTF-8`` meaning the charset: the body is plain JSON."""
    r = api.post(
        f"{V1}/deployments",
        content=b'{"name": "x", "model": "m", "version": 1}',
        headers={"Content-Type": "application/json", "Content-Encoding": "UTF-8"},
    )
    assert r.status_code == 404 and r.json()["field"] == "model", r.text  # (read: no model m)


def test_a_body_that_is_not_json_is_still_a_422(api: httpx.Client) -> None:
    r = _post(api, f"{V1}/deployments", b"{not json")
    assert r.status_code == 422 and r.json()["field"] == "body"


NAN_METRICS = b"""
print('@@mlops {"type": "round", "round": 1, "rmse": NaN}', flush=True)
print('@@mlops {"type": "metrics", "rmse": NaN, "mae": Infinity, "r2": 0.5}', flush=True)
"""


def test_a_job_reporting_nan_metrics_is_answered_in_strict_json(api: httpx.Client) -> None:
    """A diverged training reports NaN: the platform's answers carry null there, never NaN (the
    answer was a 500: Starlette cannot write NaN)."""
    folder = f"code/{DEFAULT_USER}/diverges"
    assert api.put(f"{V1}/repo/{folder}/train.py", content=NAN_METRICS).status_code == 201
    r = api.post(
        f"{V1}/jobs",
        json={
            "cluster": "training-engine-shared",
            "code": folder,
            "data": DEFAULT_DATA,
            "output": f"models/{DEFAULT_USER}/diverges",
        },
    )
    assert r.status_code == 201, r.text
    job: dict[str, Any] = wait_job(api, r.json()["id"])
    for path in (f"{V1}/jobs/{job['id']}", f"{V1}/jobs/{job['id']}/metrics", f"{V1}/jobs"):
        answer = api.get(path)
        assert answer.status_code == 200, answer.text
        orjson.loads(answer.content)  # strict: no NaN, no Infinity
        assert b"NaN" not in answer.content and b"Infinity" not in answer.content
    got = api.get(f"{V1}/jobs/{job['id']}").json()["metrics"]
    assert got["rmse"] is None and got["mae"] is None and got["r2"] == 0.5


@pytest.mark.parametrize(
    ("header", "named"), [("mygzip", "mygzip"), ("identity, br", "br"), ("UTF-8, gzip", "gzip")]
)
def test_a_coding_that_is_no_charset_is_refused(api: httpx.Client, header: str, named: str) -> None:
    """One rule with the prediction servers (platform/content_coding.py): a token that is neither
    identity nor a charset name is a coding this API does not decode (``mygzip`` was read as JSON)."""
    r = api.post(
        f"{V1}/deployments",
        content=b'{"name": "x", "model": "m", "version": 1}',
        headers={"Content-Type": "application/json", "Content-Encoding": header},
    )
    assert r.status_code == 415 and r.json()["field"] == "Content-Encoding", r.text
    assert (
        r.json()["error"]
        == f"Content-Encoding {named}: this API takes no compressed body; send it uncompressed"
    )
