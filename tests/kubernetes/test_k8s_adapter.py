"""The adapter's behaviours one by one against the fake: repository limits and errors, job cancel
and log replay, registry stages, plain-kubeconfig mode, equivalent commands."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from kdfake.world import NAMESPACE, PVC, FakeWorld

from mlops_tui.services import errors
from mlops_tui.services.kubernetes import KubernetesOptions, KubernetesPlatform
from mlops_tui.services.kubernetes.repo import MAX_UPLOAD
from mlops_tui.services.types import ClusterKind, ClusterSpec, Credentials, JobSpec, JobState


async def test_repository_through_helper_pods(world: FakeWorld, platform: KubernetesPlatform) -> None:
    await platform.login()
    entry = await platform.upload_repo("code/student01/notes/hello.txt", b"hi \x00\xff there")
    assert entry.path == "code/student01/notes/hello.txt" and entry.size == 11
    assert (world.repo_dir / entry.path).read_bytes() == b"hi \x00\xff there"
    assert await platform.fetch_repo(entry.path) == b"hi \x00\xff there"
    listed = {e.path: e for e in await platform.list_repo("code/")}
    assert listed["code/student01/notes"].is_dir and listed[entry.path].size == 11
    assert {e.path for e in await platform.list_repo("data/NYCTaxi/")} >= {
        "data/NYCTaxi/synthetic-yellow-2019H1.csv"
    }
    with pytest.raises(errors.NotFound):
        await platform.fetch_repo("code/nothing-here.txt")
    for bad in ("../etc/passwd", "/etc/passwd", "code/../../x"):
        with pytest.raises(errors.InvalidInput) as info:
            await platform.fetch_repo(bad)
        assert info.value.field == "path"
    with pytest.raises(errors.InvalidInput) as info:
        await platform.upload_repo("data/big.bin", b"x" * (MAX_UPLOAD + 1))
    assert "kubectl cp" in str(info.value)
    # a local file (the data commands' upload), and delete_repo through a helper pod
    local = world.repo_dir.parent / "march.csv"
    local.write_bytes(b"tpep_pickup_datetime\n")
    sent: list[tuple[int, int]] = []
    entry = await platform.upload_repo("data/march.csv", local, progress=lambda a, b: sent.append((a, b)))
    assert entry.size == 21 and sent == [(21, 21)]
    assert (world.repo_dir / "data/march.csv").read_bytes() == local.read_bytes()
    await platform.delete_repo("data/march.csv")
    assert not (world.repo_dir / "data/march.csv").exists()
    with pytest.raises(errors.NotFound):
        await platform.delete_repo("data/march.csv")
    # helper pods and upload ConfigMaps are cleaned up
    await asyncio.sleep(0.1)
    assert not world.api.store.list("pods", "mlops-tui.io/kind=repo-helper")
    assert not world.api.store.list("configmaps", "mlops-tui.io/kind=repo-upload")
    assert world.violations == []


async def test_repository_needs_a_pvc(world: FakeWorld, tmp_path: Path) -> None:
    from k8s_support import make_platform

    p = make_platform(world, tmp_path, repo_pvc="")
    try:
        await p.login()
        with pytest.raises(errors.InvalidInput) as info:
            await p.list_repo()
        assert info.value.field == "repo_pvc"
    finally:
        await p.aclose()


async def test_cancel_and_log_replay(world: FakeWorld, platform: KubernetesPlatform) -> None:
    await platform.login()
    spec = JobSpec(
        cluster="training-engine-shared",
        code="code/student01/taxi",
        data="data/NYCTaxi/synthetic-yellow-2019H1.csv",
        output="models/student01",
        params={"rounds": 2000, "early-stopping": 2000, "learning-rate": 0.001},
    )
    job = await platform.submit_job(spec)
    assert job.id == "train-student01-1" and job.state in (JobState.QUEUED, JobState.RUNNING)
    lines: list[str] = []
    async for line in platform.follow_log(job.id):
        lines.append(line)
        if '"type":"round"' in line:
            break
    cancelled = await platform.cancel_job(job.id)
    assert cancelled.state is JobState.CANCELLED
    assert (await platform.get_job(job.id)).state is JobState.CANCELLED
    with pytest.raises(errors.Conflict):
        await platform.cancel_job(job.id)
    second = await platform.submit_job(JobSpec(**{**spec.__dict__, "params": {"rounds": 5}}))
    assert second.id == "train-student01-2"
    full = [line async for line in platform.follow_log(second.id)]
    assert any(line.startswith("@@mlops ") and '"metrics"' in line for line in full)
    tail = [line async for line in platform.follow_log(second.id, from_line=3, follow=False)]
    assert tail == full[3:]
    # tail=N: the pod log API's tailLines, followed or not (the pod has ended: the last N lines)
    assert [line async for line in platform.follow_log(second.id, follow=False, tail=4)] == full[-4:]
    assert [line async for line in platform.follow_log(second.id, tail=2)] == full[-2:]
    assert " logs --tail=4 job/" in platform.equivalent("follow_log", job_id=second.id, follow=False, tail=4)
    metrics = await platform.job_metrics(second.id)
    assert metrics.final["rmse"] > 0
    jobs = await platform.list_jobs()
    assert [j.id for j in jobs][:2] == ["train-student01-2", "train-student01-1"]
    assert jobs[0].metrics["rmse"] == metrics.final["rmse"]  # kept as a Job annotation
    with pytest.raises(errors.NotFound):
        await platform.submit_job(JobSpec(**{**spec.__dict__, "cluster": "mlops-inference-server-x"}))
    with pytest.raises(errors.NotFound):
        await platform.get_job("train-nobody-9")
    assert world.violations == []


async def test_clusters_endpoints_and_events(world: FakeWorld, platform: KubernetesPlatform) -> None:
    await platform.login()
    created = await platform.create_cluster(
        ClusterSpec("mlops-jupyter-notebook-student01", ClusterKind.NOTEBOOK)
    )
    assert created.state == "creating"
    with pytest.raises(errors.Conflict):
        await platform.create_cluster(ClusterSpec("mlops-jupyter-notebook-student01", ClusterKind.NOTEBOOK))
    for _ in range(100):
        c = await platform.get_cluster(created.name)
        if c.ready:
            break
        await asyncio.sleep(0.05)
    assert c.ready and [m.role for m in c.members] == ["controller"]
    assert c.connections == {"clusters": ["training-engine-shared"], "secrets": ["hpecp-ext-auth-secret"]}
    urls = {e.name: e.url for e in c.endpoints}
    assert urls["controller/jupyter-nb"].startswith("https://127.0.0.1:") and urls[
        "controller/jupyter-nb"
    ].endswith("/")
    events = await platform.cluster_events(created.name)
    assert [e.reason for e in events][:2] == ["Cluster", "Role"]
    training = await platform.get_cluster("training-engine-shared")
    tokens = {e.name: e.auth_token for e in training.endpoints}
    assert tokens["LoadBalancer/haproxy-train"] and tokens["LoadBalancer/haproxy-stats"] is None
    await platform.delete_cluster(created.name)
    with pytest.raises(errors.NotFound):
        await platform.get_cluster(created.name)
    with pytest.raises(errors.InvalidInput):
        await platform.create_cluster(ClusterSpec("Bad_Name", ClusterKind.NOTEBOOK))
    assert world.violations == []


def _kubeconfig(world: FakeWorld, user: str, credentials: dict[str, Any]) -> dict[str, Any]:
    """A kubeconfig for the fake API server with one context in the tenant namespace."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "kd",
        "clusters": [
            {
                "name": "kd",
                "cluster": {
                    "server": f"https://127.0.0.1:{world.api_port}",
                    "certificate-authority": str(world.ca),
                },
            }
        ],
        "contexts": [{"name": "kd", "context": {"cluster": "kd", "user": user, "namespace": NAMESPACE}}],
        "users": [{"name": user, "user": credentials}],
    }


async def test_plain_kubeconfig_mode(world: FakeWorld, tmp_path: Path) -> None:
    # A cluster admin's kubeconfig: token auth, namespace in the context, no Ezmeral REST at all.
    world.api.tokens.add("static-admin-token")
    config = _kubeconfig(world, "alice", {"token": "static-admin-token"})
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    options = KubernetesOptions(mode="kubeconfig", kubeconfig_path=str(path), repo_pvc=PVC)
    p = KubernetesPlatform(Credentials(url="", tenant="", user="alice", password=""), options)
    try:
        session = await p.login()
        assert session.user == "alice" and session.namespace == NAMESPACE
        assert [c.name for c in await p.list_clusters(ClusterKind.TRAINING)] == ["training-engine-shared"]
        assert p.equivalent("list_clusters") == f"kubectl --kubeconfig {path} -n {NAMESPACE} get kdcluster"
        assert world.gateway.requests == []  # no REST calls in this mode
        # the token is revoked and the file refreshed: a 401 re-reads the file and retries once
        world.api.tokens.discard("static-admin-token")
        world.api.tokens.add("rotated-token")
        config["users"][0]["user"]["token"] = "rotated-token"
        path.write_text(yaml.safe_dump(config))
        assert len(await p.list_clusters()) == 1 and p.kube.rebuilds == 1
    finally:
        await p.aclose()
    assert world.violations == []


async def test_kubeconfig_saved_private_and_equivalents(
    world: FakeWorld, platform: KubernetesPlatform
) -> None:
    await platform.login()
    await platform.kubeconfig()
    path = platform.kubeconfig_file
    assert path is not None
    assert (
        stat.S_IMODE(os.stat(path).st_mode) == 0o600 and stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    )
    assert platform.equivalent("whoami").startswith("curl --cacert ")
    assert "X-BDS-SESSION: ${MLOPS_SESSION}" in platform.equivalent("kubeconfig")
    assert "password" not in repr(platform.credentials)
    assert "s3cret" not in "\n".join(c.command for c in platform.calls)
    follow = platform.equivalent("follow_log", job_id="train-student01-1")
    assert follow.endswith(f"-n {NAMESPACE} logs -f job/train-student01-1")
    with pytest.raises(errors.InvalidInput):
        platform.equivalent("no_such_op")


async def test_exec_credential_plugin_is_run_and_rerun_after_401(world: FakeWorld, tmp_path: Path) -> None:
    # Ezmeral kubeconfigs authenticate through an exec plugin (kubectl hpecp authenticate): the
    # client runs it; after a 401 the rebuilt client runs it again and gets the fresh token.
    import sys

    token_file = tmp_path / "token"
    token_file.write_text("exec-token-1")
    world.api.tokens.add("exec-token-1")
    plugin = (
        "import json, sys; print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1',"
        " 'kind': 'ExecCredential', 'status': {'token': open(sys.argv[1]).read().strip()}}))"
    )
    exec_plugin = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": sys.executable,
        "args": ["-c", plugin, str(token_file), "--hpecp-user=student01"],
    }
    config = _kubeconfig(world, "hpecp", {"exec": exec_plugin})
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    options = KubernetesOptions(mode="kubeconfig", kubeconfig_path=str(path), repo_pvc=PVC)
    p = KubernetesPlatform(Credentials(url="", tenant="", user="", password=""), options)
    try:
        session = await p.login()
        assert session.user == "student01"  # from the plugin's --hpecp-user (reference §1.6)
        world.api.tokens.discard("exec-token-1")
        world.api.tokens.add("exec-token-2")
        token_file.write_text("exec-token-2")
        assert [c.name for c in await p.list_clusters()] == ["training-engine-shared"]
        assert p.kube.rebuilds == 1
    finally:
        await p.aclose()
    assert world.violations == []


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"rounds": "abc"},
            "params.rounds",
            "params.rounds must be a whole number from 1 to 10000, not 'abc'",
        ),
        (
            {"data": "data/other.csv"},
            "params.data",
            "params.data: data is not a training parameter; give it as the job's own 'data' field",
        ),
        (
            {"Rounds --data x": 1},
            "params.Rounds --data x",
            "params.Rounds --data x: must be lower-case letters, digits, '_' or '-', starting with a letter",
        ),
    ],
)
async def test_training_parameters_are_refused_before_a_job_is_created(
    world: FakeWorld, platform: KubernetesPlatform, params: dict[str, Any], field: str, message: str
) -> None:
    """Issue 11 §1 on Kubernetes: the same rules and words as the local platform's job API (each
    parameter becomes a --flag of the training command: a bad name could override --data)."""
    await platform.login()
    spec = JobSpec(
        cluster="training-engine-shared",
        code="code/student01/taxi",
        data="data/NYCTaxi/synthetic-yellow-2019H1.csv",
        output="models/student01",
        params=params,
    )
    with pytest.raises(errors.InvalidInput) as info:
        await platform.submit_job(spec)
    assert info.value.message == message
    assert info.value.field == field
    assert await platform.list_jobs() == []


async def test_an_upload_through_a_helper_pod_never_replaces_silently(
    world: FakeWorld, platform: KubernetesPlatform
) -> None:
    """Item 12, the Kubernetes adapter: the helper pod refuses a taken path unless asked."""
    await platform.login()
    path = "code/student01/mine/scoring.py"
    await platform.upload_repo(path, b"# mine\n")
    with pytest.raises(errors.AlreadyExists) as info:
        await platform.upload_repo(path, b"# the lab's\n")
    assert info.value.path == path
    assert (world.repo_dir / path).read_bytes() == b"# mine\n"
    assert sorted(p.name for p in (world.repo_dir / path).parent.iterdir()) == ["scoring.py"]
    await platform.upload_repo(path, b"# the lab's\n", replace=True)
    assert (world.repo_dir / path).read_bytes() == b"# the lab's\n"
