"""Helpers of the kubernetes tests, importable by name (a ``conftest`` module is not: several
test directories have one, and ``from conftest import`` gets whichever was imported first)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kdfake.world import PASSWORD, PVC, TENANT, USER, FakeWorld

from mlops_tui.services.kubernetes import KubernetesOptions, KubernetesPlatform
from mlops_tui.services.types import Credentials


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


def screen_text(app: Any) -> str:
    """Everything on the app's top screen as plain text (what a person would read)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def until(pilot: Any, predicate: Callable[[], Any], what: str, timeout: float = 30.0) -> None:
    """Let the app run (Pilot) until ``predicate()`` holds; AssertionError naming ``what`` after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await pilot.pause(0.1)
        await asyncio.sleep(0)
    raise AssertionError(f"timed out waiting for {what}")
