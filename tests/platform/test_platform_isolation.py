"""Tenant isolation: another tenant sees none of the first tenant's objects and changes none of them.

Every object endpoint is tried with the first tenant's real ids and names from a session in a
second tenant: each must be 404 (never 403, so names do not leak), lists must not show them, and
afterwards the first tenant still has everything.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from local_platform_support import DEFAULT_DATA, REPLACE, V1, LocalPlatform

OBJECT_ENDPOINTS = [
    ("GET", "/jobs/{job}", None),
    ("POST", "/jobs/{job}/cancel", None),
    ("GET", "/jobs/{job}/log?follow=false", None),
    ("GET", "/jobs/{job}/metrics", None),
    ("GET", "/clusters/{cluster}", None),
    ("DELETE", "/clusters/{cluster}", None),
    ("GET", "/clusters/{deployment}", None),
    ("DELETE", "/clusters/{deployment}", None),
    ("GET", "/repo/{file}", None),
    ("DELETE", "/repo/{file}", None),
    ("GET", "/models/{model}/versions", None),
    ("GET", "/models/{model}/versions/{version}", None),
    ("PATCH", "/models/{model}/versions/{version}", {"stage": "archived"}),
    ("GET", "/models/{model}/versions/{version}/configmap", None),
    ("POST", "/models", {"model": "stolen", "job_id": "{job}"}),
    ("GET", "/deployments/{deployment}", None),
    ("DELETE", "/deployments/{deployment}", None),
    ("POST", "/deployments", {"name": "stolen", "model": "{model}", "version": "{version}"}),
    ("POST", "/jobs", {"cluster": "{cluster}", "code": "code/x", "data": DEFAULT_DATA, "output": "models/x"}),
]
LIST_ENDPOINTS = ["/jobs", "/models", "/deployments", "/clusters", "/repo"]


@pytest.fixture(scope="module")
def tenant_a(
    api: httpx.Client,
    trained_job: dict[str, Any],
    registered_version: dict[str, Any],
    deployment: dict[str, Any],
) -> dict[str, str]:
    r = api.post(f"{V1}/clusters", json={"name": "a-private", "kind": "training", "members": 1})
    assert r.status_code in (201, 409), r.text
    return {
        "job": trained_job["id"],
        "cluster": "a-private",
        "deployment": deployment["name"],
        "file": f"{trained_job['code']}/train.py",
        "model": registered_version["model"],
        "version": str(registered_version["version"]),
    }


@pytest.fixture(scope="module")
def tenant_b(local_platform: LocalPlatform) -> httpx.Client:
    creds = local_platform.add_user("IsolationTenant", "mallory", "mallory-password")
    client = local_platform.login(creds)
    yield client
    client.close()


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if value == "{version}" else filled
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("method", "path", "body"), OBJECT_ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in OBJECT_ENDPOINTS]
)
def test_other_tenant_gets_404(
    tenant_b: httpx.Client, tenant_a: dict[str, str], method: str, path: str, body: Any
) -> None:
    r = tenant_b.request(method, V1 + _fill(path, tenant_a), json=_fill(body, tenant_a))
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "not_found"


@pytest.mark.parametrize("path", LIST_ENDPOINTS)
def test_other_tenants_lists_do_not_show_them(
    tenant_b: httpx.Client, tenant_a: dict[str, str], path: str
) -> None:
    text = tenant_b.get(V1 + path).text
    assert tenant_b.get(V1 + path).status_code == 200
    for key in ("cluster", "deployment", "model"):
        assert tenant_a[key] not in text, (path, key)
    if path == "/jobs":
        assert tenant_a["job"] not in [j["id"] for j in tenant_b.get(V1 + path).json()]
    if path == "/repo":
        assert not any(e["path"].startswith("code/student01") for e in tenant_b.get(V1 + path).json())


def test_other_tenant_has_its_own_repo_and_training_cluster(
    tenant_b: httpx.Client, tenant_a: dict[str, str], api: httpx.Client
) -> None:
    original = api.get(f"{V1}/repo/{tenant_a['file']}").content
    assert (
        tenant_b.put(f"{V1}/repo/{tenant_a['file']}", params=REPLACE, content=b"print('mine')\n").status_code
        == 201
    )
    assert tenant_b.get(f"{V1}/repo/{tenant_a['file']}").content == b"print('mine')\n"
    assert api.get(f"{V1}/repo/{tenant_a['file']}").content == original
    names = [c["name"] for c in tenant_b.get(f"{V1}/clusters").json()]
    assert names == ["training-engine-shared"]
    assert tenant_b.get(f"{V1}/repo/{DEFAULT_DATA}").status_code == 200  # every tenant gets the default data
    assert tenant_b.get("/api/v2/session").json()["namespace"] == "isolationtenant"


def test_first_tenant_still_has_everything(
    api: httpx.Client, tenant_a: dict[str, str], tenant_b: httpx.Client, deployment: dict[str, Any]
) -> None:
    for _, path, _ in OBJECT_ENDPOINTS:  # runs after the parametrised attempts (same module, in order)
        if path.startswith("/jobs/{job}") or path.startswith("/models/{model}/versions/{version}"):
            assert api.get(V1 + _fill(path.split("/cancel")[0], tenant_a)).status_code == 200
    assert api.get(f"{V1}/jobs/{tenant_a['job']}").json()["state"] == "finished"
    assert api.get(f"{V1}/clusters/{tenant_a['cluster']}").status_code == 200
    assert api.get(f"{V1}/deployments/{tenant_a['deployment']}").json()["state"] == "configured"
    v = api.get(f"{V1}/models/{tenant_a['model']}/versions/{tenant_a['version']}").json()
    assert v["stage"] != "archived"
    assert "stolen" not in api.get(f"{V1}/models").text
