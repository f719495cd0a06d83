"""The platform's OpenAPI description is its contract (issue 10 §7).

schemathesis against the old description found answers with statuses it did not document (401,
404, 409, 422 ...), requests it allowed that the server refused (name patterns and ranges that
lived only in code), and undeclared methods answered without ``Allow``. Here: a bounded
schemathesis run (the examples and fuzzing phases, every check, a fixed seed) against a private
platform must find nothing, and every undeclared method on every path is a 405 whose ``Allow``
lists exactly the documented methods.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from local_platform_support import DEFAULT_USER, LocalPlatform, PlatformFactory, upload_lab_code

EXAMPLES_PER_OPERATION = 8  # about 30 operations: a few hundred requests in all
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def contract_platform(
    tmp_path_factory: pytest.TempPathFactory, local_platform: LocalPlatform
) -> Iterator[tuple[LocalPlatform, httpx.Client]]:
    """A platform of its own (the run creates, changes and deletes what it likes), with the lab
    code in its repository so that some operations find something."""
    factory = PlatformFactory(
        tmp_path_factory.mktemp("contract"), seed_cache=local_platform.state_dir / "cache" / "default-data"
    )
    platform = factory.new("contract")
    api = platform.login()
    upload_lab_code(api, DEFAULT_USER)
    yield platform, api
    api.close()
    factory.close()


def test_a_bounded_schemathesis_run_finds_nothing(
    contract_platform: tuple[LocalPlatform, httpx.Client], tmp_path: Path
) -> None:
    platform, api = contract_platform
    cli = Path(sys.executable).parent / "schemathesis"
    if not cli.exists():
        cli = Path(shutil.which("schemathesis") or "schemathesis")
    done = subprocess.run(
        [
            str(cli),
            "run",
            f"{platform.url}/openapi.json",
            "-H",
            f"X-BDS-SESSION: {api.headers['X-BDS-SESSION']}",
            "--checks",
            "all",
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            "1",
            "--workers",
            "1",
            "--suppress-health-check",
            "filter_too_much,too_slow",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    generated = re.search(r"(\d+) generated", done.stdout)
    assert generated and 150 <= int(generated.group(1)) <= 2000, done.stdout[-2000:]  # bounded, not empty


def _documented(spec: dict[str, Any]) -> Iterator[tuple[str, set[str]]]:
    for path, item in spec["paths"].items():
        yield path, {m.upper() for m in item if m in METHODS}


def _concrete(path: str) -> str:
    return (
        path.replace("{path}", "data/x.csv")
        .replace("{version}", "1")
        .replace("{sid}", "x")
        .format_map(_Anything())
    )


class _Anything(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "x"


def test_undeclared_methods_are_405_with_allow(contract_platform: tuple[LocalPlatform, httpx.Client]) -> None:
    _, api = contract_platform
    spec = api.get("/openapi.json").json()
    checked = 0
    for path, documented in _documented(spec):
        for method in ("GET", "PUT", "POST", "DELETE", "PATCH", "TRACE", "OPTIONS"):
            if method in documented:
                continue
            r = api.request(method, _concrete(path))
            assert r.status_code == 405, (method, path, r.status_code, r.text)
            allowed = {m.strip() for m in r.headers["Allow"].split(",")} - {"HEAD", "OPTIONS"}
            assert allowed == documented, (method, path, r.headers["Allow"])
            assert r.json()["field"] == "method"
            checked += 1
    assert checked > 60


def test_every_operation_documents_its_errors(contract_platform: tuple[LocalPlatform, httpx.Client]) -> None:
    """Each operation lists 400, 413, 422, 503 and 507 (any request), 401 where a session is needed,
    and the error body's schema for each."""
    _, api = contract_platform
    spec = api.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            statuses = set(op["responses"])
            assert {"400", "413", "422", "503", "507"} <= statuses, (method, path)
            open_ = path in ("/api/v2/session", "/api/mlops/v1/health") and method in ("post", "get")
            if not (open_ and (path, method) != ("/api/v2/session", "get")):
                assert "401" in statuses, (method, path)
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref.endswith("/ErrorBody"), (method, path, status)
