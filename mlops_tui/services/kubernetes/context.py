"""What every part of the adapter shares: the client, the options, the call log, who is logged in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mlops_tui.platform.names import shown
from mlops_tui.services import errors
from mlops_tui.services.kubernetes.commands import Kubectl
from mlops_tui.services.kubernetes.kube import Apis, KubeApi
from mlops_tui.services.kubernetes.options import KubernetesOptions
from mlops_tui.services.platform import CallRecord

T = TypeVar("T")


@dataclass
class Ctx:
    kube: KubeApi
    options: KubernetesOptions
    record: Callable[[CallRecord], None]
    user: Callable[[], str]  # the workshop's studentId of the logged-in user
    kubectl: Kubectl

    @property
    def namespace(self) -> str:
        return self.kube.namespace

    async def call(self, op: str, command: str, what: str, fn: Callable[[Apis], T]) -> T:
        """One Kubernetes call, recorded with its kubectl equivalent and outcome."""
        try:
            result = await self.kube.call(what, fn)
        except errors.PlatformError as exc:
            self.record(CallRecord(op=op, command=command, status=exc.status))
            raise
        self.record(CallRecord(op=op, command=command, status=200))
        return result


def check_repo_path(path: str, *, field: str = "path", allow_empty: bool = False) -> str:
    """A relative repository path that stays inside the repository."""
    clean = path.strip().strip("/")
    if not clean and allow_empty:
        return ""
    parts = clean.split("/")
    if not clean or path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise errors.InvalidInput(
            f"{field} must be a relative path inside the project repository, not {shown(path)}", field=field
        )
    return clean


def plain(apis: Apis, obj: Any) -> Any:
    return apis.plain(obj)


__all__ = ["Ctx", "check_repo_path", "plain"]
