"""What the adapter sends is what the real controller accepts (issue 13 §2-3).

- Every KubeDirectorCluster, Job, Pod and ConfigMap that a Labs 1-5 run creates against the fake is
  validated on arrival against the real schemas (the fake API server does it: kdfake/schemas.py);
  the run must leave no violation, and each kind must really have been validated.
- Role ids, member counts, service ids, ports, paths and tokens the adapter relies on match the
  KubeDirectorApp definitions in ../shared/reference/kubedirector (skipped where it is absent).
- Every request the adapter makes is covered by the permission table the doctor checks, and the
  Role in docs/kubernetes.md grants exactly that table.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from kdfake import catalog, schemas
from kdfake.world import FakeWorld

from mlops_tui.assistant import labs
from mlops_tui.assistant.labs import LabContext
from mlops_tui.services import errors
from mlops_tui.services.kubernetes import KubernetesOptions, KubernetesPlatform, convert, manifests
from mlops_tui.services.kubernetes import names as n
from mlops_tui.services.kubernetes.permissions import NEEDED
from mlops_tui.services.types import ClusterKind, ClusterSpec

needs_reference = pytest.mark.skipif(not catalog.AVAILABLE, reason=catalog.SKIP_REASON)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "kubernetes.md"


@pytest.mark.slow
async def test_labs_objects_validate_against_the_real_schemas(
    world: FakeWorld, platform: KubernetesPlatform, tmp_path: Path
) -> None:
    ctx = LabContext(
        user="student01",
        tenant="K8sMLTenant",
        kubeconfig_path=tmp_path / "kubeconfig",
        train_params={"rounds": 20},
        poll_s=0.1,
    )
    for step in labs.steps(1):
        async for _ in labs.run_step(step, platform, ctx):
            pass
    # the calls the dashboard and the other screens make, then clean-up
    await platform.list_clusters()
    await platform.list_jobs()
    await platform.list_deployments()
    await platform.cluster_events("mlops-jupyter-notebook-student01")
    await platform.set_stage("mlops-model-student01", 1, "production")
    await platform.delete_deployment("mlops-inference-server-student01")
    await platform.delete_cluster("mlops-jupyter-notebook-student01")

    assert world.violations == []
    validated = Counter(world.api.validated)
    assert validated["Job"] >= 1 and validated["Pod"] >= 1 and validated["ConfigMap"] >= 3
    if catalog.CLUSTER_CRD.is_file():
        assert validated["KubeDirectorCluster"] == 2  # the notebook and the deployment engine
    # every (group, resource, verb) the adapter used is in the table the doctor reviews
    used = set(world.api.access)
    assert used <= {(p.group, p.resource, p.verb) for p in NEEDED}, used - {
        (p.group, p.resource, p.verb) for p in NEEDED
    }


def test_the_schemas_refuse_what_a_real_server_would() -> None:
    job = manifests.training_job(
        name="train-x-1",
        package="taxi",
        entrypoint="train",
        args=[],
        code_configmap="train-x-1-code",
        options=KubernetesOptions(repo_pvc="share"),
        user="x",
        annotations={},
    )
    assert schemas.core(job, "1.33.1") == []
    job["spec"]["template"]["spec"]["containers"][0]["resource"] = {}  # a typo: pruned by the server
    assert schemas.core(job, "1.33.1") != []
    bad_pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": "x"}}
    assert "spec/containers" in schemas.core(bad_pod, "1.25.0")[0]


@needs_reference
def test_kdcluster_schema_refuses_what_the_crd_does() -> None:
    spec = ClusterSpec(name="mlops-jupyter-notebook-x", kind=ClusterKind.NOTEBOOK)
    body = manifests.kdcluster(spec, KubernetesOptions(), user="x")
    assert schemas.kdcluster(body) == []
    body["spec"]["roles"][0]["members"] = "1"  # a string: the CRD says integer
    body["spec"]["namingScheme"] = "CrName"  # not UID or CrNameRole
    body["spec"]["roles"][0]["memebrs"] = 1  # unknown: pruned by the API server
    problems = "\n".join(schemas.kdcluster(body) or [])
    assert "members" in problems and "namingScheme" in problems and "memebrs" in problems


@needs_reference
def test_adapter_app_facts_match_the_kubedirector_apps() -> None:
    for kind, app_name in n.KD_APP_BY_KIND.items():
        app = catalog.app_definition(app_name)
        roles = catalog.roles(app)
        spec = ClusterSpec(name=f"x-{kind}", kind=ClusterKind(kind), members=2 if kind != "notebook" else 1)
        body = manifests.kdcluster(spec, KubernetesOptions(), user="x")
        for role in body["spec"]["roles"]:  # ids and member counts the app admits
            assert role["id"] in roles, (app_name, role["id"])
            minimum, scale_out = catalog.cardinality(roles[role["id"]])
            assert role["members"] >= minimum if scale_out else role["members"] == minimum
        assert {r["id"] for r in body["spec"]["roles"]} >= set(catalog.selected_roles(app))
        ports = {p.service_id: p for rid in roles for p in catalog.ports(app, rid)}
        main = ports[convert.MAIN_SERVICE[ClusterKind(kind)]]  # the endpoint the adapter shows
        assert main.url_scheme == "http"  # served as https by the gateway (reference §2.9)
        for sid, port in ports.items():
            assert (sid in convert.TOKEN_SERVICES) == port.has_auth_token, (app_name, sid)
            if sid in convert.PATH_BY_SERVICE:
                assert convert.PATH_BY_SERVICE[sid] == port.path, (app_name, sid)
            # the adapter reads the id back from the port name KubeDirector gives
            assert convert.service_id({"name": port.port_name, "port": port.port})[0] == sid
    haproxy = next(
        p
        for p in catalog.ports(catalog.app_definition("deployment-engine"), "LoadBalancer")
        if p.service_id == "haproxy"
    )
    assert haproxy.path == convert.PREDICT_PATH


@needs_reference
def test_fallback_catalog_matches_the_reference() -> None:
    for name in catalog.APP_NAMES:
        real, fallback = catalog.app_definition(name), catalog.FALLBACK[name]
        assert catalog.roles(real).keys() == catalog.roles(fallback).keys()
        assert real["spec"]["version"] == fallback["spec"]["version"]
        for rid in catalog.roles(real):
            assert catalog.ports(real, rid) == catalog.ports(fallback, rid), (name, rid)
            assert catalog.image(real, rid) == catalog.image(fallback, rid)
            assert catalog.cardinality(catalog.roles(real)[rid]) == catalog.cardinality(
                catalog.roles(fallback)[rid]
            )
        assert catalog.selected_roles(real) == catalog.selected_roles(fallback) or set(
            catalog.selected_roles(real)
        ) == set(catalog.selected_roles(fallback))


async def test_a_member_count_the_app_does_not_admit_is_refused(platform: KubernetesPlatform) -> None:
    # The notebook's controller has cardinality "1": KubeDirector's webhook refuses two members, and
    # so does the fake (the adapter itself has no such rule: the app definition is the authority).
    await platform.login()
    with pytest.raises(errors.InvalidInput) as info:
        await platform.create_cluster(
            ClusterSpec(name="mlops-jupyter-notebook-x", kind=ClusterKind.NOTEBOOK, members=2)
        )
    assert 'admission webhook "validate-cr.kubedirector.hpe.com" denied the request' in str(info.value)
    assert "Invalid member count for role(controller). Specified member count:2 Role cardinality:1" in str(
        info.value
    )


def test_docs_role_grants_exactly_the_permission_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"## 4\. RBAC.*?```yaml\n(.*?)```", text, re.S)
    assert block is not None
    role = next(d for d in yaml.safe_load_all(block[1]) if d and d.get("kind") == "Role")
    granted = {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    assert granted == {(p.group, p.resource, p.verb) for p in NEEDED}
