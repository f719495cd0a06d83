"""The kubernetes platform adapter: HPE Ezmeral ML Ops (REST session + kubeconfig) or any cluster
running KubeDirector, through the official kubernetes client (imported lazily: it is heavy)."""

from mlops_tui.services.kubernetes.adapter import KubernetesPlatform
from mlops_tui.services.kubernetes.options import KubernetesOptions

__all__ = ["KubernetesOptions", "KubernetesPlatform"]
