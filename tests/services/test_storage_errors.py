"""What a person reads for the platform's storage answers (issue 8): 507 is "disk full" naming the
path and what to do, never "an internal error; see its log"; 503 says why and when to come back.
The end-to-end cases (a real tmpfs filled up) are in tests/platform/test_platform_disk_full.py."""

from __future__ import annotations

import httpx

from mlops_tui.services import errors
from mlops_tui.services.kubernetes import errmap
from mlops_tui.services.local.adapter import _error_for

DB = "/home/alice/.local/state/mlops-tui/platform/platform.db"


def _answer(status: int, body: dict, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def test_a_507_is_disk_full_naming_the_path_and_what_to_do() -> None:
    body = {
        "error": f"disk full: no space left on the device holding {DB}; free some space there "
        "(the platform resumes by itself when it can write again)",
        "code": "insufficient_storage",
        "field": None,
        "path": DB,
    }
    err = _error_for(_answer(507, body), login=False)
    assert isinstance(err, errors.DiskFull) and err.path == DB
    assert str(err) == (
        f"disk full: no space left on the device holding {DB} — free space on the file system holding "
        f"{DB}; the platform resumes by itself once it can write again"
    )


def test_a_507_without_a_path_still_says_disk_full() -> None:
    err = _error_for(_answer(507, {"error": "no room", "code": "insufficient_storage"}), login=False)
    assert isinstance(err, errors.DiskFull)
    assert str(err) == (
        "disk full: no room — free space on the platform's disk; the platform resumes by itself once it "
        "can write again"
    )
    k8s = errmap.from_status(507, "quota exceeded", "upload data/x.csv")
    assert isinstance(k8s, errors.DiskFull) and str(k8s).startswith("disk full: upload data/x.csv")


def test_a_503_says_why_and_when_to_come_back_not_internal_error() -> None:
    reason = "deployment d is not serving: crash loop back-off: the prediction server died 3 times"
    err = _error_for(
        _answer(503, {"error": reason, "code": "unavailable"}, **{"Retry-After": "4"}), login=False
    )
    assert str(err) == f"{reason} — try again in 4 s"
    refused = (
        "deployment d is not serving: the prediction server refused to serve: register the version again"
    )
    assert str(_error_for(_answer(503, {"error": refused, "code": "unavailable"}), login=False)) == refused


def test_a_login_refused_for_want_of_space_says_nobody_can_log_in_and_what_to_do() -> None:
    """``status`` and ``predict`` on a full disk said only "disk full: … platform.db": the login is
    what failed, because the platform must write a session."""
    body = {"error": "disk full", "code": "insufficient_storage", "path": DB}
    err = _error_for(_answer(507, body), login=True)
    assert isinstance(err, errors.DiskFull) and err.path == DB
    assert str(err) == (
        f"cannot log in: disk full, the platform cannot write the session: no space left on the device "
        f"holding {DB} — free space on the file system holding {DB}; the platform resumes by itself once "
        "it can write again"
    )


def test_no_internal_error_wording_for_a_full_disk_an_overload_or_a_default() -> None:
    """503 and 429 are no internal error (RFC 9110 §15.6.4, RFC 6585 §4), in both adapters; nor is
    whatever gets PlatformFailure's default hint."""
    answers = [
        _error_for(_answer(503, {"error": "the database is locked"}), login=False),
        _error_for(_answer(507, {"error": "no room"}), login=True),
        errmap.from_status(503, "the API server is shutting down", "list pods"),
        errmap.from_status(429, "too many requests, please try again later", "list pods"),
        errmap.from_status(507, "quota exceeded", "login"),
        errors.PlatformFailure("the download ended early"),
    ]
    for err in answers:
        assert "internal error" not in str(err), err
    assert str(answers[2]).endswith("(HTTP 503: unavailable for now) — try again in a moment")
    assert str(answers[3]).endswith("(HTTP 429: too many requests) — wait a little, then try again")
