"""The kubectl command lines equivalent to each Kubernetes call, for the "show me the command" pane.

Manifests are shown inline as ``kubectl apply -f - <<'EOF'`` here-documents so a person can paste
the whole block; secrets (auth tokens) appear as shell variables.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import Any

import yaml


class Kubectl:
    """Renders ``kubectl`` commands against the adapter's namespace (and saved kubeconfig)."""

    def __init__(self, namespace: Callable[[], str], kubeconfig: Callable[[], str]) -> None:
        self._namespace = namespace
        self._kubeconfig = kubeconfig

    def __call__(self, *args: str) -> str:
        words = ["kubectl"]
        path = self._kubeconfig()
        if path:
            words += ["--kubeconfig", path]
        words += ["-n", self._namespace() or "$NAMESPACE"]
        return " ".join(words + [a if a.startswith("'") else shlex.quote(a) for a in args])

    def apply(self, manifest: dict[str, Any]) -> str:
        text = yaml.safe_dump(manifest, sort_keys=False, default_flow_style=False).rstrip()
        return f"{self('apply', '-f', '-')} <<'EOF'\n{text}\nEOF"

    def create(self, manifest: dict[str, Any]) -> str:
        text = yaml.safe_dump(manifest, sort_keys=False, default_flow_style=False).rstrip()
        return f"{self('create', '-f', '-')} <<'EOF'\n{text}\nEOF"

    def run_pod(self, manifest: dict[str, Any]) -> str:
        """A helper pod: create it, wait, print its log, delete it."""
        name = manifest["metadata"]["name"]
        return "\n".join(
            [
                self.create(manifest),
                self("wait", "--for=jsonpath={.status.phase}=Succeeded", f"pod/{name}", "--timeout=180s"),
                self("logs", f"pod/{name}"),
                self("delete", "pod", name),
            ]
        )
