"""From a ``kubernetes`` profile (mlops_tui.config.Profile) to the adapter.

A profile with ``url`` is an HPE Ezmeral gateway (REST session, password from the keyring); one
with only ``kubeconfig`` is any cluster running KubeDirector (no password needed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlops_tui.services.kubernetes.adapter import KubernetesPlatform
from mlops_tui.services.kubernetes.options import KubernetesOptions
from mlops_tui.services.types import Credentials


def options_for(profile: Any) -> KubernetesOptions:
    """The adapter options a profile names (unknown/empty settings keep their defaults)."""
    extra: dict[str, Any] = {}
    for field in ("namespace", "repo_pvc", "job_image", "exec_timeout"):
        value = getattr(profile, field, "")
        if value:
            extra[field] = value
    return KubernetesOptions(
        mode="ezmeral" if profile.url else "kubeconfig",
        profile=profile.name,
        kubeconfig_path=profile.kubeconfig if not profile.url else "",
        context=profile.context,
        ca_file=profile.ca_file,
        insecure=not profile.verify_tls,
        **extra,
    )


def needs_password(profile: Any) -> bool:
    return bool(profile.url)


def build(
    profile: Any, user: str, password: str | None, *, on_relogin: Callable[[], None] | None = None
) -> KubernetesPlatform:
    options = options_for(profile)
    creds = Credentials(url=profile.url, tenant=profile.tenant, user=user, password=password or "")
    return KubernetesPlatform(creds, options, on_relogin=on_relogin)
