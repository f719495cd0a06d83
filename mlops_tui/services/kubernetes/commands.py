"""The kubectl command lines equivalent to each Kubernetes call, for the "show me the command" pane.

Every word is quoted with :func:`shlex.quote`, so a name, path or selector holding quotes, ``$``,
spaces or non-ASCII reaches kubectl as it is. Manifests are shown inline as quoted here-documents
(``kubectl apply -f - <<'EOF'``: the shell expands nothing in them) so a person can paste the whole
block.
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
        """``kubectl [--kubeconfig PATH] -n NAMESPACE ARGS...``; an unknown namespace is ``"$NAMESPACE"``."""
        words = ["kubectl"]
        path = self._kubeconfig()
        if path:
            words += ["--kubeconfig", shlex.quote(path)]
        namespace = self._namespace()
        words += ["-n", shlex.quote(namespace) if namespace else '"$NAMESPACE"']
        return " ".join(words + [shlex.quote(a) for a in args])

    def apply(self, manifest: dict[str, Any]) -> str:
        return self._with_manifest("apply", manifest)

    def create(self, manifest: dict[str, Any]) -> str:
        return self._with_manifest("create", manifest)

    def _with_manifest(self, verb: str, manifest: dict[str, Any]) -> str:
        text = yaml.safe_dump(manifest, sort_keys=False, default_flow_style=False).rstrip()
        # A dumped mapping has no line that is a bare word (every line is a key or indented), so
        # ``EOF`` cannot end the here-document early.
        return f"{self(verb, '-f', '-')} <<'EOF'\n{text}\nEOF"

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
