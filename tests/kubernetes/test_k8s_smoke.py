from __future__ import annotations

import os
import stat

from kdfake.world import FakeWorld

from mlops_tui.services.kubernetes import KubernetesPlatform
from mlops_tui.services.types import ClusterKind


async def test_login_kubeconfig_clusters(world: FakeWorld, platform: KubernetesPlatform) -> None:
    session = await platform.login()
    assert session.id.startswith("/api/v2/session/")
    assert session.user == "student01" and session.tenant == "K8sMLTenant"
    text = await platform.kubeconfig()
    assert text and "k8smltenant" in text
    path = platform.kubeconfig_file
    assert path is not None and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    clusters = await platform.list_clusters()
    assert [c.name for c in clusters] == ["training-engine-shared"]
    c = clusters[0]
    assert c.kind is ClusterKind.TRAINING
    assert world.violations == []
