"""What the kubernetes adapter needs to know beyond the user's credentials.

One frozen value built from the profile: which flavour (an HPE Ezmeral ML Ops tenant reached
through its REST gateway, or a plain kubeconfig for any cluster running KubeDirector), how to
trust TLS, and the workshop's cluster-side names (the shared training cluster, the project
repository volume, the image that runs training jobs).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Mode = Literal["ezmeral", "kubeconfig"]

# Reference §3.3: the tenant's shared FS mount and the workshop's repository root in it.
DEFAULT_REPO_MOUNT = "/bd-fs-mnt/TenantShare/repo"
# Reference §2.4: the pre-deployed shared training cluster every student connects to.
DEFAULT_TRAINING_CLUSTER = "training-engine-shared"


@dataclass(frozen=True)
class KubernetesOptions:
    """Settings of one kubernetes profile.

    ``mode="ezmeral"``: ``Credentials.url`` is the gateway (``https://<gateway>:8080``); the
    kubeconfig is fetched with the REST session and kept in ``kubeconfig_dir`` (mode 0600).
    ``mode="kubeconfig"``: ``kubeconfig_path``/``context`` are used as they are; no REST session.
    """

    mode: Mode = "ezmeral"
    profile: str = "default"
    kubeconfig_path: str = ""  # kubeconfig mode: the file ('' = $KUBECONFIG or ~/.kube/config)
    context: str = ""  # '' = the kubeconfig's current-context
    namespace: str = ""  # '' = the context's namespace, else the tenant name lower-cased
    kubeconfig_dir: str = ""  # ezmeral mode: where fetched kubeconfigs are kept ('' = XDG state)
    ca_file: str = ""  # CA bundle for the gateway (REST and prediction endpoints)
    insecure: bool = False  # skip TLS verification everywhere (the workshop's curl -k)
    repo_pvc: str = ""  # the PVC holding the project repository ('' = repository calls unsupported)
    repo_subpath: str = ""  # sub-directory of the PVC that is the repository root
    repo_mount: str = DEFAULT_REPO_MOUNT
    training_cluster: str = DEFAULT_TRAINING_CLUSTER
    job_image: str = "python:3.11-slim"  # must provide python3 with pandas, numpy and xgboost-cpu
    service_account: str | None = None  # kdcluster roles' serviceAccountName (None = per mode)
    notebook_secrets: tuple[str, ...] | None = None  # secrets every notebook connects (None = per mode)
    node_host: str = ""  # host for NodePort endpoints where no gateway is mapped ('' = API host)
    request_timeout: float = 15.0  # s, each read of an answer
    connect_timeout: float = 5.0  # s, the TCP/TLS connection (not name resolution: see call_deadline)
    pod_timeout: float = 180.0  # how long a helper pod (repository access) may take
    exec_timeout: float = 300.0  # how long the kubeconfig's exec credential plugin may take (sign-in)

    @property
    def call_deadline(self) -> float:
        """Seconds one Kubernetes API call may take in all (name resolution, connection, answer):
        ``connect_timeout + request_timeout``. httpx's connect timeout covers name resolution, so
        REST and prediction calls need no such bound on top."""
        return self.connect_timeout + self.request_timeout

    @property
    def ezmeral(self) -> bool:
        return self.mode == "ezmeral"

    @property
    def role_service_account(self) -> str:
        """Reference §2.4: 5.4 manifests run roles as ``ecp-tenant-member-sa``."""
        if self.service_account is not None:
            return self.service_account
        return "ecp-tenant-member-sa" if self.ezmeral else ""

    @property
    def notebook_secret_names(self) -> tuple[str, ...]:
        """Reference §2.6: ``hpecp-ext-auth-secret`` lets JupyterHub accept platform logins."""
        if self.notebook_secrets is not None:
            return self.notebook_secrets
        return ("hpecp-ext-auth-secret",) if self.ezmeral else ()

    def ssl_verify(self) -> ssl.SSLContext | bool:
        """httpx ``verify`` for the gateway: default trust, the CA file, or off when insecure."""
        if self.insecure:
            return False
        if self.ca_file:
            path = Path(self.ca_file).expanduser()
            return ssl.create_default_context(cafile=str(path))
        return True
