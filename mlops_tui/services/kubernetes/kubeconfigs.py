"""Where the kubeconfig fetched from an Ezmeral gateway is kept: one private file per profile.

It embeds the user's session, so it is written atomically with mode 0600 in a 0700 directory
(``$XDG_STATE_HOME/mlops-tui/kubernetes/<profile>/config``) and never left world-readable, even
for a moment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from mlops_tui.config import ensure_private_dir, state_home
from mlops_tui.services import errors


def kubeconfig_path(profile: str, directory: str = "") -> Path:
    base = Path(directory).expanduser() if directory else state_home() / "kubernetes"
    return base / profile / "config"


def save(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` with mode 0600 (atomically, via a private temp file)."""
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def parse(text: str, source: str) -> dict[str, Any]:
    """The kubeconfig YAML as a dict, or a clear error naming ``source``."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise errors.InvalidInput(f"{source} is not valid YAML: {exc}", field="kubeconfig") from None
    if not isinstance(data, dict) or not data.get("clusters") or not data.get("contexts"):
        raise errors.InvalidInput(f"{source} is not a kubeconfig (no clusters/contexts)", field="kubeconfig")
    return data


def read(path_text: str) -> tuple[Path, dict[str, Any]]:
    """Read a user's kubeconfig: the given file, else ``$KUBECONFIG`` (first entry), else ~/.kube/config."""
    candidates = [path_text] if path_text else []
    if not candidates and os.environ.get("KUBECONFIG"):
        candidates = [os.environ["KUBECONFIG"].split(os.pathsep)[0]]
    path = Path(candidates[0] if candidates else "~/.kube/config").expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise errors.NotFound(
            f"kubeconfig {path} does not exist", hint="set kubeconfig in the profile"
        ) from None
    except OSError as exc:
        raise errors.InvalidInput(f"cannot read kubeconfig {path}: {exc}", field="kubeconfig") from None
    return path, parse(text, str(path))


def current_user(config: dict[str, Any], context: str = "") -> str:
    """The user name a kubeconfig context carries (Ezmeral: ``--hpecp-user=<name>``), else ''."""
    name = context or config.get("current-context", "")
    ctx = next((c.get("context") or {} for c in config.get("contexts") or [] if c.get("name") == name), {})
    user_entry = next(
        (u.get("user") or {} for u in config.get("users") or [] if u.get("name") == ctx.get("user")), {}
    )
    for arg in (user_entry.get("exec") or {}).get("args") or []:
        if str(arg).startswith("--hpecp-user="):
            return str(arg).split("=", 1)[1]
    return str(ctx.get("user", ""))
