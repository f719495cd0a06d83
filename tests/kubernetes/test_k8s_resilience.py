"""Expired credentials and outages: a 401 mid-session is survived without user action, an
unreachable API server gives Unreachable (the poller backs off) and the app recovers when it returns."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from k8s_support import make_platform
from kdfake.world import FakeWorld

from mlops_tui.services import errors
from mlops_tui.services.kubernetes import KubernetesPlatform
from mlops_tui.services.poller import ConnectionState, Poller


async def test_session_expiry_mid_session_is_survived(world: FakeWorld, platform: KubernetesPlatform) -> None:
    await platform.login()
    assert [c.name for c in await platform.list_clusters()] == ["training-engine-shared"]
    first_session = platform.rest.location if platform.rest else None
    world.expire_sessions()  # 24 h later: the session and the kubeconfig's token are dead
    await asyncio.sleep(0.05)
    clusters = await platform.list_clusters()  # 401 → re-login → new kubeconfig → rebuilt client → retry
    assert [c.name for c in clusters] == ["training-engine-shared"]
    assert platform.kube.rebuilds == 1 and platform.rest is not None and platform.rest.relogins == 1
    assert platform.rest.location != first_session
    statuses = [(m, p.split("?")[0], s) for m, p, s in world.api.requests if "kubedirectorclusters" in p]
    assert [s for *_, s in statuses][-2:] == [401, 200]
    session = await platform.whoami()
    assert session.user == "student01"
    assert world.violations == []


async def test_wrong_password_after_expiry_is_session_expired(world: FakeWorld, tmp_path: Path) -> None:
    p = make_platform(world, tmp_path)
    try:
        await p.login()
        await p.list_clusters()
        world.gateway.users["student01"] = "changed-by-admin"
        world.expire_sessions()
        await asyncio.sleep(0.05)
        with pytest.raises(errors.SessionExpired) as info:
            await p.list_clusters()
        assert "logging in again failed" in str(info.value)
    finally:
        await p.aclose()


async def test_wrong_password_is_auth_failed(world: FakeWorld, tmp_path: Path) -> None:
    from mlops_tui.services.types import Credentials

    p = make_platform(world, tmp_path)
    p.rest.credentials = Credentials(world.gateway_url, "K8sMLTenant", "student01", "wrong")  # type: ignore[union-attr]
    try:
        with pytest.raises(errors.AuthFailed):
            await p.login()
    finally:
        await p.aclose()


async def test_unreachable_api_server_then_recovery(world: FakeWorld, platform: KubernetesPlatform) -> None:
    await platform.login()
    await platform.list_clusters()
    states: list[ConnectionState] = []
    poller = Poller(relogin=platform.login, backoff_base=0.05, backoff_cap=0.2)
    poller.subscribe(lambda state, detail: states.append(state))
    status = poller.add_source("clusters", platform.list_clusters, interval=0.05)
    poller.start()
    try:
        await _until(lambda: status.last_updated is not None)
        world.run(world.stop_api())
        await _until(lambda: ConnectionState.RETRYING in states)
        assert isinstance(status.last_error, errors.Unreachable)
        assert "Kubernetes API" in status.last_error.message
        with pytest.raises(errors.Unreachable):
            await platform.list_clusters()
        world.run(world.start_api())
        await _until(lambda: states[-1] is ConnectionState.CONNECTED and status.failures == 0)
        assert [c.name for c in status.value] == ["training-engine-shared"]
    finally:
        await poller.stop()
    assert world.violations == []


async def test_tls_is_verified_by_default(world: FakeWorld, tmp_path: Path) -> None:
    p = make_platform(world, tmp_path, ca_file="")
    try:
        with pytest.raises(errors.Unreachable) as info:
            await p.login()
        assert "TLS" in str(info.value)
    finally:
        await p.aclose()
    insecure = make_platform(world, tmp_path, ca_file="", insecure=True)
    try:
        await insecure.login()
        assert "| curl -k -fsS " in insecure.equivalent("login")
    finally:
        await insecure.aclose()


async def _until(condition, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)
