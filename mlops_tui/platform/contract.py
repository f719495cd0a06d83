"""What the platform's OpenAPI description promises: every status an operation can answer, with
its error body, and every constraint the server enforces on a field, as a schema pattern.

schemathesis against the old description (12,944 requests) found 4,865 answers with statuses it
did not document (401, 404, 409, 422 ...), 394 requests it allowed that the server refused (name
patterns and ranges checked only in code) and undeclared methods answered without ``Allow``. The
description is now the contract, and a bounded schemathesis run in the test suite keeps it so
(tests/platform/test_platform_contract.py). The patterns are the ones the code checks
(``names``, ``repo.Repo.clean``), in the ECMAScript dialect JSON Schema uses: documented with
``json_schema_extra`` so that the code still gives its own message naming the rule.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mlops_tui.platform import names


class ErrorBody(BaseModel):
    """Every error the platform answers."""

    error: str = Field(description="what is wrong and what to do, naming the field")
    code: str = Field(description="invalid_input, auth_failed, session_expired, not_found, conflict, ...")
    field: str | None = Field(description="the field, parameter or header at fault (dotted), if any")


DESCRIPTIONS = {
    400: "a parameter or body the server refuses (its rule is named), or a body that is not strict JSON",
    401: "no session, an expired one, or (login) wrong credentials",
    403: "not yours to do (workshop mode): another user's object or an attendee's folder (the owner "
    "is named), or something only the facilitator does",
    404: "what the request names does not exist in this tenant",
    409: "the request conflicts with the current state (exists already, not finished, in use), or a "
    "workshop cap is reached (code limit_reached, naming the cap)",
    413: "the body is over the limit of this endpoint",
    422: "a field of the body or a parameter fails validation (named in field)",
    429: "too many failed logins: Retry-After says when to try again",
    503: "the platform's database or files cannot be used for now",
    507: "the disk holding the platform's state is full",
}
ANY = (400, 413, 422, 503, 507)  # any request: refused parameters or body, storage unusable or full


def responses(*statuses: int, session: bool = True) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an operation: ANY, 401 when it needs a session, and ``statuses``."""
    wanted = sorted({*ANY, *statuses, *((401,) if session else ())})
    return {s: {"model": ErrorBody, "description": DESCRIPTIONS[s]} for s in wanted}


def pattern(regex: str, description: str = "") -> dict[str, Any]:
    """A field's ``json_schema_extra``: the pattern the code checks."""
    extra: dict[str, Any] = {"pattern": regex}
    if description:
        extra["description"] = description
    return extra


def _js(regex: Any) -> str:
    return str(regex.pattern)


CLUSTER_NAME = _js(names.CLUSTER)
MODEL_NAME = _js(names.MODEL)
IDENTIFIER = _js(names.IDENTIFIER)
PARAM_NAME = _js(names.PARAM)

# A path in the project repository (repo.Repo.clean): relative, segments of 1-255 characters
# without "/", "\\" or control characters, never "." or "..", at most 1,024 characters in all.
_C = r"[^/\\\u0000-\u001f\u007f]"  # a character of a segment
_D = r"[^/\\\u0000-\u001f\u007f.]"  # the same, but not a dot
_SEGMENT = rf"(?:{_D}{_C}{{0,254}}|\.{_D}{_C}{{0,253}}|\.\.{_C}{{1,253}})"
REPO_PATH = rf"^{_SEGMENT}(?:/+{_SEGMENT})*/*$"
# A training job's code: a repository path whose last segment is a Python package name.
CODE_PATH = rf"^(?:{_SEGMENT}/+)*[A-Za-z_][A-Za-z0-9_]{{0,63}}/*$"
# A registered version's scoring code: <dir>/<package>/<module>.py, Python names.
SCORING_PATH = rf"^(?:(?:{_SEGMENT}/+)*[A-Za-z_][A-Za-z0-9_]{{0,63}}/+[A-Za-z_][A-Za-z0-9_]{{0,63}}\.py)?$"
REPO_PREFIX = rf"^/*(?:{_SEGMENT}(?:/+{_SEGMENT})*/*)?$"
NO_NUL = r"^[^\u0000]*$"

# A training job's data file (names.data_path): folders and a file name of letters, digits and
# "._-" (each 1-128, not starting with "." or "-"), ending in .csv, .csv.gz or .parquet (any case).
_DATA_SEGMENT = _js(names.DATA_SEGMENT).removeprefix("^").removesuffix("$")
_DATA_FILE = (
    r"(?:[A-Za-z0-9][A-Za-z0-9._-]{0,123}\.[cC][sS][vV]"
    r"|[A-Za-z0-9][A-Za-z0-9._-]{0,120}\.[cC][sS][vV]\.[gG][zZ]"
    r"|[A-Za-z0-9][A-Za-z0-9._-]{0,119}\.[pP][aA][rR][qQ][uU][eE][tT])"
)
DATA_PATH = rf"^(?:{_DATA_SEGMENT}/)*{_DATA_FILE}$"
