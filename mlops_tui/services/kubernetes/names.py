"""Kubernetes names and the labels/annotations mlops-tui puts on what it creates."""

from __future__ import annotations

import re

KD_APP_BY_KIND = {
    "notebook": "jupyter-notebook",
    "training": "training-engine",
    "deployment": "deployment-engine",
}
KIND_BY_KD_APP = {v: k for k, v in KD_APP_BY_KIND.items()}

LABEL_KDCLUSTER = "kubedirector.hpe.com/kdcluster"
LABEL_ROLE = "kubedirector.hpe.com/role"
LABEL_HEADLESS = "kubedirector.hpe.com/headless"
LABEL_CM_TYPE = "kubedirector.hpe.com/cmType"
ANN_AUTH_TOKEN = "kubedirector.hpe.com/kd-auth-token"
ANN_GATEWAY_PREFIX = "hpecp-internal-gateway/"

MANAGED_BY = "app.kubernetes.io/managed-by"
MANAGER = "mlops-tui"
P = "mlops-tui.io/"  # our own label/annotation prefix
LABEL_USER = P + "user"
LABEL_KIND = P + "kind"
LABEL_MODEL = P + "model"
LABEL_VERSION = P + "version"
LABEL_JOB = P + "job"

_INVALID = re.compile(r"[^a-z0-9-]+")


def dns_label(text: str, *, max_len: int = 63) -> str:
    """``text`` as an RFC 1123 label (lower case, digits, '-'), as Kubernetes names require."""
    value = _INVALID.sub("-", text.lower()).strip("-")
    return value[:max_len].rstrip("-") or "x"


def label_value(text: str) -> str:
    """A valid label value (≤63 chars of [A-Za-z0-9-_.], alphanumeric at both ends)."""
    value = re.sub(r"[^A-Za-z0-9_.-]+", "-", text)[:63]
    return value.strip("-_.")


def user_id(user: str) -> str:
    """The workshop's ``studentId`` as used in object names (``mlops-model-<studentId>``)."""
    return dns_label(user, max_len=40)
