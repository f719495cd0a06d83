"""The Ezmeral session protocol (reference §1) on the real platform process."""

from __future__ import annotations

import time

import httpx
from local_platform_support import V1, LocalPlatform, PlatformFactory

from mlops_tui.services.types import Session


def _login(platform: LocalPlatform, **overrides: str) -> httpx.Response:
    creds = platform.credentials
    assert creds is not None
    body = {"name": creds.user, "password": creds.password, "tenant_name": creds.tenant, **overrides}
    return httpx.post(platform.url + "/api/v2/session", json=body)


def test_login_returns_201_with_location_and_session_json(local_platform: LocalPlatform) -> None:
    r = _login(local_platform)
    assert r.status_code == 201
    location = r.headers["Location"]
    assert location.startswith("/api/v2/session/") and len(location.rsplit("/", 1)[1]) == 36
    session = Session.from_dict(r.json())
    assert session.id == location
    assert (session.user, session.tenant, session.namespace) == ("student01", "K8sMLTenant", "k8smltenant")
    assert session.expires_at is not None


def test_session_header_get_and_logout(local_platform: LocalPlatform) -> None:
    location = _login(local_platform).headers["Location"]
    headers = {"X-BDS-SESSION": location}
    base = local_platform.url
    assert httpx.get(base + "/api/v2/session", headers=headers).json()["id"] == location
    assert httpx.get(base + location, headers=headers).status_code == 200
    assert httpx.get(base + V1 + "/jobs", headers=headers).status_code == 200
    assert httpx.delete(base + location, headers=headers).status_code == 204
    r = httpx.get(base + V1 + "/jobs", headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "session_expired"


def test_wrong_password_user_or_tenant_is_401_auth_failed(local_platform: LocalPlatform) -> None:
    for overrides in ({"password": "wrong"}, {"name": "nobody"}, {"tenant_name": "k8smltenant"}):
        r = _login(local_platform, **overrides)
        assert r.status_code == 401, overrides
        assert r.json() == {
            "error": "wrong user name, password or tenant",
            "code": "auth_failed",
            "field": None,
        }
        assert "Location" not in r.headers


def test_missing_or_unknown_session_is_401(local_platform: LocalPlatform) -> None:
    base = local_platform.url + V1
    for headers in (
        {},
        {"X-BDS-SESSION": "/api/v2/session/00000000-0000-0000-0000-000000000000"},
        {"X-BDS-SESSION": "garbage"},
    ):
        r = httpx.get(base + "/models", headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "session_expired", headers


def test_another_users_session_id_is_not_found(local_platform: LocalPlatform) -> None:
    mine = _login(local_platform).headers["Location"]
    other = _login(local_platform).headers["Location"]
    r = httpx.get(local_platform.url + other, headers={"X-BDS-SESSION": mine})
    assert r.status_code == 404
    assert httpx.delete(local_platform.url + other, headers={"X-BDS-SESSION": mine}).status_code == 404
    assert httpx.get(local_platform.url + other, headers={"X-BDS-SESSION": other}).status_code == 200


def test_session_expires_after_its_ttl(platform_factory: PlatformFactory) -> None:
    platform = platform_factory.new("short-ttl", extra_args=["--session-ttl-minutes", "0.02"])  # 1.2 s
    r = _login(platform)
    headers = {"X-BDS-SESSION": r.headers["Location"]}
    assert httpx.get(platform.url + "/api/v2/session", headers=headers).status_code == 200
    time.sleep(1.5)
    r = httpx.get(platform.url + "/api/v2/session", headers=headers)
    assert r.status_code == 401
    assert r.json()["code"] == "session_expired" and "expired" in r.json()["error"]


def test_kubeconfig_is_404_and_health_needs_no_session(
    local_platform: LocalPlatform, api: httpx.Client
) -> None:
    r = api.get("/api/v2/k8skubeconfig")
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    health = httpx.get(local_platform.url + V1 + "/health").json()
    assert health["status"] == "ok" and health["pid"] == local_platform.proc.pid  # type: ignore[union-attr]


def test_openapi_describes_the_api(local_platform: LocalPlatform) -> None:
    spec = httpx.get(local_platform.url + "/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v2/session",
        "/api/mlops/v1/jobs",
        "/api/mlops/v1/models",
        "/api/mlops/v1/deployments",
        "/api/mlops/v1/clusters",
        "/api/mlops/v1/repo/{path}",
    ):
        assert path in paths, path
    assert httpx.get(local_platform.url + "/docs").status_code == 200
