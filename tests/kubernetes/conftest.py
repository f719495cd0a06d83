"""Fixtures: the fake Ezmeral world (API server + KubeDirector + kubelet + gateway) and an adapter on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from k8s_support import make_platform
from kdfake.world import FakeWorld

from mlops_tui.services.kubernetes import KubernetesPlatform


@pytest.fixture
def world(tmp_path: Path) -> Iterator[FakeWorld]:
    w = FakeWorld(tmp_path / "world").start()
    try:
        yield w
    finally:
        w.stop()


@pytest.fixture
async def platform(world: FakeWorld, tmp_path: Path) -> AsyncIterator[KubernetesPlatform]:
    p = make_platform(world, tmp_path)
    try:
        yield p
    finally:
        await p.aclose()
