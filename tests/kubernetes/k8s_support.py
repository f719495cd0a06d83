"""Helpers of the kubernetes tests, importable by name (a ``conftest`` module is not: several
test directories have one, and ``from conftest import`` gets whichever was imported first)."""

from __future__ import annotations

from pathlib import Path

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
