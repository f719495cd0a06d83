"""Clusters, KubeDirector style: the shared training engine, private training clusters, notebooks."""

from __future__ import annotations

import importlib.util
import shutil

import httpx
from local_platform_support import V1, wait_state

from mlops_tui.platform.clusters import NO_JUPYTER, jupyter_command
from mlops_tui.services.types import Cluster, ClusterKind, ClusterState


def test_shared_training_engine_has_load_balancer_and_rest_servers(api: httpx.Client) -> None:
    c = Cluster.from_dict(api.get(f"{V1}/clusters/training-engine-shared").json())
    assert c.kind is ClusterKind.TRAINING and c.app == "training-engine" and c.ready
    assert [m.name for m in c.members] == ["LoadBalancer-0", "RESTServer-0", "RESTServer-1"]  # --workers 2
    assert c.endpoints[0].url.endswith("/api/mlops/v1/jobs")


def test_training_cluster_create_list_delete(api: httpx.Client) -> None:
    r = api.post(
        f"{V1}/clusters",
        json={"name": "my-training", "kind": "training", "members": 3, "cpu": "2", "memory": "1Gi"},
    )
    assert r.status_code == 201, r.text
    c = Cluster.from_dict(r.json())
    assert c.state is ClusterState.CONFIGURED and [m.role for m in c.members].count("RESTServer") == 3
    listed = [x["name"] for x in api.get(f"{V1}/clusters", params={"kind": "training"}).json()]
    assert "my-training" in listed and "training-engine-shared" in listed
    assert api.post(f"{V1}/clusters", json={"name": "my-training", "kind": "notebook"}).status_code == 409
    assert api.delete(f"{V1}/clusters/my-training").status_code == 204
    assert api.get(f"{V1}/clusters/my-training").status_code == 404


def test_notebook_runs_jupyter_or_says_how_to_install_it(api: httpx.Client) -> None:
    """Both outcomes are real: which one depends on whether this host has Jupyter."""
    r = api.post(f"{V1}/clusters", json={"name": "notebook", "kind": "notebook"})
    assert r.status_code == 201 and r.json()["state"] in ("creating", "config error")
    c = Cluster.from_dict(wait_state(api, f"{V1}/clusters/notebook", timeout=120))
    try:
        assert c.kind is ClusterKind.NOTEBOOK and c.app == "jupyter-notebook"
        if jupyter_command() is None:
            assert importlib.util.find_spec("jupyterlab") is None and shutil.which("jupyter") is None
            assert c.state is ClusterState.CONFIG_ERROR and c.message == NO_JUPYTER
            assert c.endpoints == ()
        else:
            assert c.state is ClusterState.CONFIGURED, c.message
            endpoint = c.endpoints[0]
            assert endpoint.url.startswith("http://127.0.0.1:") and endpoint.auth_token
            status = httpx.get(
                endpoint.url.split("/lab")[0] + "/api/status", params={"token": endpoint.auth_token}
            )
            assert status.status_code == 200
            assert httpx.get(endpoint.url.split("/lab")[0] + "/api/contents").status_code == 403
    finally:
        assert api.delete(f"{V1}/clusters/notebook").status_code == 204
