"""Ambient proxy variables never leak into the app's calls to its own platform on loopback.

A jump host often exports ``http_proxy``/``https_proxy`` (for pip) or ``ALL_PROXY`` (an SSH SOCKS
tunnel); a proxy cannot reach this machine's 127.0.0.1. With every variable pointing at a dead
proxy (port 9, "discard": nothing listens), discovery, the adapter and the prediction server must
still be reached directly, and no second platform may be started.
"""

from __future__ import annotations

from typing import Any

import pytest

from mlops_tui.services.local import launcher
from mlops_tui.services.local.adapter import LocalPlatform

DEAD_PROXY = "http://127.0.0.1:9"
PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


@pytest.fixture
def dead_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, DEAD_PROXY)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


async def test_adapter_and_prediction_server_are_reached_directly(
    local_platform: Any, deployment: dict[str, Any], dead_proxies: None
) -> None:
    from local_platform_support import WORKSHOP_RIDE

    async with LocalPlatform(local_platform.credentials) as p:
        session = await p.login()
        assert session.user == local_platform.credentials.user
        assert "training-engine-shared" in {c.name for c in await p.list_clusters()}
        prediction = await p.predict(deployment["name"], [WORKSHOP_RIDE])
        assert prediction.status == 200 and prediction.value > 0
        assert prediction.response["status"] == "Finished"
        assert [c.status for c in p.calls if c.op == "predict"] == [200]


def test_discovery_sees_the_running_platform_and_starts_no_other(
    local_platform: Any, dead_proxies: None
) -> None:
    info = launcher.read_platform_file(local_platform.state_dir)
    assert info is not None
    assert launcher.running_url(local_platform.state_dir) == local_platform.url
    assert launcher.health(local_platform.url)["pid"] == info["pid"]
    # start=True: with the health check behind the dead proxy this used to start a second platform.
    assert launcher.ensure_platform(local_platform.state_dir, timeout=5) == local_platform.url
    assert launcher.read_platform_file(local_platform.state_dir)["pid"] == info["pid"]
    assert launcher.running_pid(local_platform.state_dir) == info["pid"]
