"""Every Kubernetes permission the adapter uses in the tenant namespace: one table for the doctor's
``SelfSubjectAccessReview``s and for the Role in docs/kubernetes.md.

``tests/kubernetes/test_k8s_schemas.py`` runs Labs 1-5 and the other calls against the fake and
checks that each request it served is in this table, and that the docs' Role grants exactly it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Permission:
    group: str  # API group ('' = core)
    resource: str  # plural, with "/subresource" where one is used
    verb: str
    why: str

    @property
    def name(self) -> str:
        """``create kubedirectorclusters.kubedirector.hpe.com``, as kubectl auth can-i names it."""
        res, _, sub = self.resource.partition("/")
        full = f"{res}.{self.group}" if self.group else res
        return f"{self.verb} {full}" + (f" (subresource {sub})" if sub else "")

    @property
    def kubectl(self) -> str:
        """The words after ``kubectl auth can-i``."""
        res, _, sub = self.resource.partition("/")
        full = f"{res}.{self.group}" if self.group else res
        return f"{self.verb} {full}" + (f" --subresource={sub}" if sub else "")


KD = "kubedirector.hpe.com"
NEEDED: tuple[Permission, ...] = (
    Permission(KD, "kubedirectorclusters", "get", "cluster state, members and endpoints"),
    Permission(KD, "kubedirectorclusters", "list", "the clusters of the dashboard"),
    Permission(KD, "kubedirectorclusters", "create", "notebook (Lab 2) and deployment engine (Lab 4)"),
    Permission(KD, "kubedirectorclusters", "delete", "deleting a notebook or deployment"),
    Permission(KD, "kubedirectorapps", "get", "doctor: the catalog has the three apps"),
    Permission("", "pods", "get", "job and helper pods"),
    Permission("", "pods", "list", "cluster members, a job's pod"),
    Permission("", "pods", "create", "repository helper pods (Lab 3 upload, list, fetch)"),
    Permission("", "pods", "delete", "removing helper pods"),
    Permission("", "pods/log", "get", "training logs and helper output"),
    Permission("", "services", "list", "endpoints and auth tokens of members"),
    Permission("", "events", "list", "cluster events"),
    Permission("", "configmaps", "list", "the model registry"),
    Permission("", "configmaps", "create", "registry versions (Lab 4), job code, uploads"),
    Permission("", "configmaps", "patch", "stage and lineage annotations"),
    Permission("", "configmaps", "delete", "upload ConfigMaps after use"),
    Permission("batch", "jobs", "get", "a training job"),
    Permission("batch", "jobs", "list", "the job history"),
    Permission("batch", "jobs", "create", "training (Lab 3)"),
    Permission("batch", "jobs", "patch", "cancel (suspend), final metrics"),
    Permission("", "persistentvolumeclaims", "get", "doctor: the repository PVC is bound"),
)
