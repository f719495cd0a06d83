"""Fixtures: the fake Ezmeral world (API server + KubeDirector + kubelet + gateway) and an adapter on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from kdfake.world import PASSWORD, PVC, TENANT, USER, FakeWorld

from mlops_tui.services.kubernetes import KubernetesOptions, KubernetesPlatform
from mlops_tui.services.types import Credentials


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FakeWorld]:
    w = FakeWorld(tmp_path / "world").start()
    try:
        yield w
    finally:
        w.stop()


def make_platform(world: FakeWorld, tmp_path: Path, **overrides: object) -> KubernetesPlatform:
    settings: dict[str, object] = {
        "mode": "ezmeral",
        "profile": "fake",
        "kubeconfig_dir": str(tmp_path / "kube"),
        "ca_file": str(world.ca),
        "repo_pvc": PVC,
        "pod_timeout": 60,
    }
    options = KubernetesOptions(**{**settings, **overrides})  # type: ignore[arg-type]
    return KubernetesPlatform(Credentials(world.gateway_url, TENANT, USER, PASSWORD), options)


@pytest.fixture
async def platform(world: FakeWorld, tmp_path: Path) -> AsyncIterator[KubernetesPlatform]:
    p = make_platform(world, tmp_path)
    try:
        yield p
    finally:
        await p.aclose()
