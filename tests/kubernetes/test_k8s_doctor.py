"""``mlops-tui doctor`` against the fake Ezmeral tenant: healthy, then each fault of issue 13 with
its own one-line diagnosis and exit code, each run bounded by 10 s (every check has a deadline)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from exec_plugins import DEVICE_LINE, FAIL_LINE, exec_entry, write_kubeconfig, write_plugin
from kdfake.certs import FAKE_DOMAIN
from kdfake.connect_proxy import NEVER_RESOLVES, ConnectProxy, fake_resolver
from kdfake.world import NAMESPACE, PASSWORD, PVC, TENANT, USER, FakeWorld

from mlops_tui.config import Profile
from mlops_tui.services.doctor import Report, Status, diagnose
from mlops_tui.services.kubernetes.permissions import NEEDED

JOB_IMAGE = "registry.example.com/mlops/taxi-train:1"


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("XDG_STATE_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    monkeypatch.setenv("MLOPS_TUI_CREDENTIALS", "file")
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(autouse=True)
def training_cluster_ready(world: FakeWorld) -> None:
    """The operations team's training cluster is configured before the person runs doctor (right
    after the fake starts it is still ``creating``, which doctor rightly reports)."""
    for _ in range(200):
        kd = world.api.store.get("kubedirectorclusters", "training-engine-shared")
        if kd and (kd.get("status") or {}).get("state") == "configured":
            return
        world.run(asyncio.sleep(0.05))
    raise AssertionError("the fake's training cluster never became configured")


def ezmeral(world: FakeWorld, **overrides: Any) -> Profile:
    settings: dict[str, Any] = {
        "platform": "kubernetes",
        "url": world.gateway_url,
        "tenant": TENANT,
        "user": USER,
        "ca_file": str(world.ca),
        "repo_pvc": PVC,
        "job_image": JOB_IMAGE,
    }
    return Profile(name="fake", **{**settings, **overrides})


async def doctor(profile: Profile, password: str | None = PASSWORD) -> Report:
    async with asyncio.timeout(10):  # issue 13: each diagnosis within 10 s
        return await diagnose(profile, password=password)


def failure(report: Report) -> tuple[str, int, str]:
    failed = report.first_failure
    assert failed is not None, [(r.id, r.status, r.seen) for r in report.results]
    after = report.results[report.results.index(failed) + 1 :]
    assert all(r.status is Status.NOT_RUN for r in after)  # it stops at the first failure
    return failed.id, report.exit_code, failed.seen + " → " + failed.hint


async def test_healthy_fake_passes_every_check(world: FakeWorld) -> None:
    report = await doctor(ezmeral(world))
    assert report.ok and report.exit_code == 0, [(r.id, r.seen, r.hint) for r in report.results]
    seen = {r.id: r.seen for r in report.results}
    assert [r.id for r in report.results][:6] == [
        "profile",
        "gateway-proxy",
        "gateway-dns",
        "gateway-tcp",
        "gateway-tls",
        "login",
    ]
    assert "verified with ca_file" in seen["gateway-tls"] and "fake-ezmeral-ca" in seen["gateway-tls"]
    assert f"namespace {NAMESPACE}" in seen["session"]
    assert "v1.33.1" in seen["api-auth"] and "verified with the kubeconfig's" in seen["api-tls"]
    assert "kubedirector.hpe.com v1beta1" in seen["crds"]
    assert "deployment-engine 1.0" in seen["kdapps"]
    assert f"all {len(NEEDED)} permissions" in seen["rbac"]
    assert f"{PVC}: Bound" in seen["pvc"]
    assert seen["training-cluster"] == "training-engine-shared: training-engine, configured"
    # one SSAR per permission, about the tenant namespace
    reviews = {
        (a["group"], a["resource"] + ("/" + a["subresource"] if "subresource" in a else ""), a["verb"])
        for a in world.api.ssars
    }
    assert reviews == {(p.group, p.resource, p.verb) for p in NEEDED}
    assert world.violations == []


async def test_api_server_down(world: FakeWorld) -> None:
    world.run(world.stop_api())
    check, code, line = failure(await doctor(ezmeral(world)))
    assert (check, code) == ("api-tcp", 21)
    assert f"the Kubernetes API server at 127.0.0.1:{world.api_port} does not accept connections" in line
    assert "connection refused" in line


async def test_tls_with_an_unknown_ca(world: FakeWorld) -> None:
    check, code, line = failure(await doctor(ezmeral(world, ca_file="")))
    assert (check, code) == ("gateway-tls", 14)
    assert "is signed by a CA this host does not trust" in line and "issued by CN=fake-ezmeral-ca" in line
    assert "trusted: the system's CA certificates" in line and "ca_file" in line


async def test_expired_session(world: FakeWorld) -> None:
    world.gateway.kubeconfig_tokens_accepted = False
    check, code, line = failure(await doctor(ezmeral(world)))
    assert (check, code) == ("api-auth", 23)
    assert (
        "refused the kubeconfig's credentials (401)" in line and "the session behind them has expired" in line
    )


async def test_missing_crd(world: FakeWorld) -> None:
    world.api.crd_installed = False
    check, code, line = failure(await doctor(ezmeral(world)))
    assert (check, code) == ("crds", 25)
    assert "does not serve kubedirector.hpe.com: the KubeDirector CRDs are not installed" in line


async def test_missing_kubedirector_app(world: FakeWorld) -> None:
    world.api.store.delete("kubedirectorapps", "deployment-engine")
    check, code, line = failure(await doctor(ezmeral(world)))
    assert (check, code) == ("kdapps", 26)
    assert f"KubeDirectorApp deployment-engine not in the catalog of namespace {NAMESPACE}" in line


async def test_forbidden_verb(world: FakeWorld) -> None:
    world.api.denied.add(("batch", "jobs", "create"))
    check, code, line = failure(await doctor(ezmeral(world)))
    assert (check, code) == ("rbac", 27)
    assert f"not allowed in namespace {NAMESPACE}: create jobs.batch (training (Lab 3))" in line
    assert f"kubectl auth can-i create jobs.batch -n {NAMESPACE}" in line


async def test_missing_pvc(world: FakeWorld) -> None:
    world.api.store.delete("persistentvolumeclaims", PVC)
    check, code, line = failure(await doctor(ezmeral(world)))
    assert (check, code) == ("pvc", 28)
    assert f"PersistentVolumeClaim {PVC} (repo_pvc) does not exist in namespace {NAMESPACE}" in line


async def test_wrong_password_stops_at_the_login(world: FakeWorld) -> None:
    check, code, line = failure(await doctor(ezmeral(world), password="wrong"))
    assert (check, code) == ("login", 15)
    assert f"the gateway refused {USER} in tenant {TENANT}" in line


async def test_unconfigured_pvc_and_image_are_skipped_with_what_they_mean(world: FakeWorld) -> None:
    report = await doctor(ezmeral(world, repo_pvc="", job_image=""))
    assert report.ok and report.exit_code == 0
    skipped = {r.id: r.seen for r in report.results if r.status is Status.SKIP}
    assert "repo_pvc is not set" in skipped["pvc"] and "has no pandas" in skipped["job-image"]


async def test_training_cluster_not_configured(world: FakeWorld) -> None:
    kd = world.api.store.get("kubedirectorclusters", "training-engine-shared")
    assert kd is not None
    kd["status"]["state"] = "creating"
    check, code, line = failure(await doctor(ezmeral(world)))
    assert (check, code) == ("training-cluster", 30)
    assert "the shared training cluster training-engine-shared is creating, not configured" in line


# -- proxies: the one the app would use is the one tested ---------------------------------------------


async def test_gateway_through_a_connect_proxy(world: FakeWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_resolver(monkeypatch.setattr), ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        gateway = f"https://gateway.{FAKE_DOMAIN}:{urlsplit(world.gateway_url).port}"
        report = await doctor(ezmeral(world, url=gateway))
    assert report.ok, [(r.id, r.seen, r.hint) for r in report.results if r.failed]
    seen = {r.id: r.seen for r in report.results}
    assert seen["gateway-proxy"].startswith(f"{proxy.url} (from HTTPS_PROXY): CONNECT gateway.{FAKE_DOMAIN}:")
    assert "200 Connection established" in seen["gateway-proxy"]
    assert seen["gateway-dns"] == f"gateway.{FAKE_DOMAIN} is resolved by the proxy {proxy.url}"
    assert "verified with ca_file" in seen["gateway-tls"]  # TLS through the tunnel
    assert seen["api-proxy"].startswith("none")  # the API server is on loopback: never proxied


async def test_gateway_through_a_dead_proxy(world: FakeWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    with fake_resolver(monkeypatch.setattr):
        monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
        gateway = f"https://gateway.{FAKE_DOMAIN}:{urlsplit(world.gateway_url).port}"
        check, code, line = failure(await doctor(ezmeral(world, url=gateway)))
    assert (check, code) == ("gateway-proxy", 11)
    assert "http://127.0.0.1:9 (from HTTPS_PROXY) does not answer (connection refused)" in line
    assert "unset HTTPS_PROXY" in line


# -- a plain kubeconfig (any KubeDirector cluster) -----------------------------------------------------


def kubeconfig_profile(world: FakeWorld, tmp_path: Path, token: str) -> Profile:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "kd",
                "cluster": {
                    "server": f"https://127.0.0.1:{world.api_port}",
                    "certificate-authority": str(world.ca),
                },
            }
        ],
        "users": [{"name": "alice", "user": {"token": token}}],
        "contexts": [{"name": "kd", "context": {"cluster": "kd", "user": "alice", "namespace": NAMESPACE}}],
        "current-context": "kd",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return Profile(name="kd", platform="kubernetes", kubeconfig=str(path), user="alice", repo_pvc=PVC)


async def test_kubeconfig_profile_healthy_then_expired_token(world: FakeWorld, tmp_path: Path) -> None:
    world.api.tokens.add("alice-token")
    report = await doctor(kubeconfig_profile(world, tmp_path, "alice-token"), password=None)
    assert report.ok, [(r.id, r.seen, r.hint) for r in report.results if r.failed]
    assert report.results[1].id == "kubeconfig" and "login" not in {r.id for r in report.results}
    check, code, line = failure(await doctor(kubeconfig_profile(world, tmp_path, "expired"), password=None))
    assert (check, code) == ("api-auth", 23)
    assert "refused the kubeconfig's credentials (401): its token or session has expired" in line
    assert "refresh the kubeconfig's credentials" in line


# -- the kubeconfig's exec plugin: run with its deadline, its message captured ---------------------------


class Heard:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def exec_output(self, run: Any, line: str) -> None:
        self.lines.append(line)

    def exec_finished(self, run: Any) -> None:
        return None


def exec_profile(world: FakeWorld, tmp_path: Path, behaviour: str, **profile: Any) -> Profile:
    plugin = write_plugin(tmp_path / "plugin")
    entry = exec_entry(plugin, behaviour, wait=0.2)
    path = write_kubeconfig(tmp_path / "kubeconfig", world.api_port, world.ca, NAMESPACE, entry)
    return Profile(
        name="sso", platform="kubernetes", kubeconfig=str(path), user="alice", repo_pvc=PVC, **profile
    )


async def test_exec_plugin_answers_and_its_sign_in_line_is_heard(world: FakeWorld, tmp_path: Path) -> None:
    world.api.tokens.add("plugin-token")
    heard = Heard()
    async with asyncio.timeout(10):
        report = await diagnose(exec_profile(world, tmp_path, "device"), password=None, listener=heard)
    assert report.ok, [(r.id, r.seen, r.hint) for r in report.results if r.failed]
    assert heard.lines == [DEVICE_LINE]
    seen = {r.id: r.seen for r in report.results}
    assert "exec plugin device-login" in seen["kubeconfig"]
    assert seen["exec-plugin"] == "device-login answered a token (deadline 300 s)"


async def test_exec_plugin_failure_quotes_its_message(world: FakeWorld, tmp_path: Path) -> None:
    check, code, line = failure(await doctor(exec_profile(world, tmp_path, "fail"), password=None))
    assert (check, code) == ("exec-plugin", 18)
    assert f"the exec credential plugin device-login failed (exit 1): {FAIL_LINE}" in line


async def test_exec_plugin_that_never_finishes_meets_its_deadline(world: FakeWorld, tmp_path: Path) -> None:
    report = await doctor(exec_profile(world, tmp_path, "hang", exec_timeout=1.0), password=None)
    check, code, line = failure(report)
    assert (check, code) == ("exec-plugin", 18)
    assert "the exec credential plugin device-login did not finish within 1 s" in line
    assert f"it said: {DEVICE_LINE}" in line and "exec_timeout" in line


async def test_a_name_that_never_resolves_meets_the_dns_deadline(
    world: FakeWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fake_resolver(monkeypatch.setattr):
        gateway = f"https://{NEVER_RESOLVES}:{urlsplit(world.gateway_url).port}"
        check, code, line = failure(await doctor(ezmeral(world, url=gateway)))
    assert (check, code) == ("gateway-dns", 12)
    assert "no answer within 5 s" in line
