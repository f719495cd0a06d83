"""Proxies and deadlines on the way to a remote platform: the Ezmeral REST gateway, the Kubernetes
API and the deployment endpoints honour ``*_PROXY``/``NO_PROXY`` (and a kubeconfig's ``proxy-url``)
as curl and kubectl do, name the proxy when it does not answer, and never wait without a deadline.

The fakes listen on 127.0.0.1; ``*.kdfake.test`` names resolve to it (``fake_resolver``), so calls to
them are remote calls as far as the proxy rule goes, and go through the proxy the environment names.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from kdfake.certs import FAKE_DOMAIN
from kdfake.connect_proxy import NEVER_RESOLVES, ConnectProxy, fake_resolver
from kdfake.world import NAMESPACE, PASSWORD, PVC, TENANT, USER, FakeWorld

from mlops_tui.services import errors
from mlops_tui.services.kubernetes import KubernetesOptions, KubernetesPlatform
from mlops_tui.services.kubernetes.kube import _build
from mlops_tui.services.kubernetes.options import DEFAULT_REPO_MOUNT, Mode
from mlops_tui.services.kubernetes.predict import Predictor
from mlops_tui.services.types import ClusterState, Credentials, Deployment

DEAD = "http://127.0.0.1:9"  # the discard port: nothing listens
VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
HANG_GUARD_S = 30  # a test that waits this long has hung: the code under test had no deadline


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*VARIABLES, "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Any:
    with fake_resolver(monkeypatch.setattr) as release:
        yield release


def _gateway(world: FakeWorld, host: str) -> str:
    return f"https://{host}:{urlsplit(world.gateway_url).port}"


def _ezmeral(world: FakeWorld, tmp_path: Path, url: str, **overrides: Any) -> KubernetesPlatform:
    settings: dict[str, Any] = {
        "mode": "ezmeral",
        "profile": "proxy",
        "kubeconfig_dir": str(tmp_path / "kube"),
        "ca_file": str(world.ca),
        "repo_pvc": PVC,
    }
    options = KubernetesOptions(**{**settings, **overrides})
    return KubernetesPlatform(Credentials(url, TENANT, USER, PASSWORD), options)


def _kubeconfig_mode(
    world: FakeWorld, tmp_path: Path, server: str, proxy_url: str = "", **overrides: Any
) -> KubernetesPlatform:
    world.api.tokens.add("proxy-test-token")
    cluster: dict[str, Any] = {"server": server, "certificate-authority": str(world.ca)}
    if proxy_url:
        cluster["proxy-url"] = proxy_url
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "kd",
        "clusters": [{"name": "kd", "cluster": cluster}],
        "contexts": [{"name": "kd", "context": {"cluster": "kd", "user": "u", "namespace": NAMESPACE}}],
        "users": [{"name": "u", "user": {"token": "proxy-test-token"}}],
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    mode: Mode = "kubeconfig"
    options = KubernetesOptions(mode=mode, kubeconfig_path=str(path), repo_pvc=PVC, **overrides)
    return KubernetesPlatform(Credentials("", "", "alice", ""), options)


async def _guarded(coro: Any) -> Any:
    return await asyncio.wait_for(coro, HANG_GUARD_S)


async def _raised(
    client: Any, call: Awaitable[Any], kind: type[Exception]
) -> pytest.ExceptionInfo[Exception]:
    """What awaiting ``call`` raised (``kind``, within the hang guard); ``client`` (the platform or
    predictor that made it) is closed either way."""
    try:
        with pytest.raises(kind) as err:
            await _guarded(call)
    finally:
        await client.aclose()
    return err


# -- loopback is never proxied ----------------------------------------------------------------------


async def test_ambient_proxies_do_not_reach_a_gateway_and_api_on_loopback(
    world: FakeWorld, tmp_path: Path, no_proxy_env: pytest.MonkeyPatch
) -> None:
    # An SSH tunnel (ssh -L) or a kind cluster: gateway and API on 127.0.0.1, a shell full of proxies
    # (even one httpx cannot speak: it must not matter for a call that uses none).
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        no_proxy_env.setenv(name, DEAD)
    no_proxy_env.setenv("ALL_PROXY", "socks5://127.0.0.1:9")
    p = _ezmeral(world, tmp_path, world.gateway_url)
    try:
        session = await _guarded(p.login())
        assert session.user == USER
        assert "training-engine-shared" in [c.name for c in await _guarded(p.list_clusters())]
        assert (await p.kube.apis()).proxy is None
    finally:
        await p.aclose()


# -- remote calls honour the environment, and say which proxy did not answer -------------------------


async def test_gateway_through_a_dead_proxy_names_it(
    world: FakeWorld, tmp_path: Path, no_proxy_env: pytest.MonkeyPatch
) -> None:
    no_proxy_env.setenv("HTTPS_PROXY", DEAD)
    url = _gateway(world, f"gateway.{FAKE_DOMAIN}")
    p = _ezmeral(world, tmp_path, url)
    err = await _raised(p, p.login(), errors.Unreachable)
    assert str(err.value).startswith(
        f"cannot reach the Ezmeral gateway at {url} through proxy {DEAD} (from HTTPS_PROXY)"
    )
    assert "NO_PROXY" in str(err.value) and "unset HTTPS_PROXY" in str(err.value)


async def test_prediction_through_a_dead_proxy_names_it(no_proxy_env: pytest.MonkeyPatch) -> None:
    no_proxy_env.setenv("https_proxy", "http://me:secret@127.0.0.1:9")
    url = f"https://gateway.{FAKE_DOMAIN}:10001/taxi/1/predict"
    deployment = Deployment("dep", "taxi", 1, ClusterState.CONFIGURED, url=url, auth_token="t")
    predictor = Predictor(KubernetesOptions(), lambda _: None)
    err = await _raised(predictor, predictor.predict(deployment, [{"hour": 9}]), errors.Unreachable)
    message = str(err.value)
    proxy = "http://me:***@127.0.0.1:9 (from https_proxy)"
    assert message.startswith(f"cannot reach the deployment endpoint {url} through proxy {proxy}")
    assert "secret" not in message


async def test_gateway_through_a_working_proxy(
    world: FakeWorld, tmp_path: Path, no_proxy_env: pytest.MonkeyPatch, resolver: Any
) -> None:
    with ConnectProxy() as proxy:
        no_proxy_env.setenv("HTTPS_PROXY", proxy.url)
        host = f"gateway.{FAKE_DOMAIN}"
        p = _ezmeral(world, tmp_path, _gateway(world, host))
        try:
            assert (await _guarded(p.login())).user == USER
            await _guarded(p.list_clusters())  # the API server is on 127.0.0.1: direct
        finally:
            await p.aclose()
        # Through the tunnel, a certificate the client does not trust is a TLS problem, not the proxy's.
        untrusted = _ezmeral(world, tmp_path, _gateway(world, host), ca_file="")
        err = await _raised(untrusted, untrusted.login(), errors.Unreachable)
    assert set(proxy.tunnels) == {f"{host}:{urlsplit(world.gateway_url).port}"}
    assert str(err.value).startswith(f"TLS verification failed for the Ezmeral gateway at https://{host}:")


async def test_no_proxy_as_curl_reads_it(
    world: FakeWorld, tmp_path: Path, no_proxy_env: pytest.MonkeyPatch, resolver: Any
) -> None:
    # curl ignores NO_PROXY's leading dot: ".kdfake.test" covers kdfake.test itself.
    no_proxy_env.setenv("HTTPS_PROXY", DEAD)
    no_proxy_env.setenv("NO_PROXY", f"internal.example, .{FAKE_DOMAIN}")
    p = _ezmeral(world, tmp_path, _gateway(world, FAKE_DOMAIN))
    try:
        assert (await _guarded(p.login())).user == USER
    finally:
        await p.aclose()


async def test_kubernetes_api_honours_the_environment_and_no_proxy(
    world: FakeWorld, tmp_path: Path, no_proxy_env: pytest.MonkeyPatch, resolver: Any
) -> None:
    server = f"https://kube.{FAKE_DOMAIN}:{world.api_port}"
    no_proxy_env.setenv("HTTPS_PROXY", DEAD)
    p = _kubeconfig_mode(world, tmp_path, server)
    err = await _raised(p, p.login(), errors.Unreachable)
    assert str(err.value).startswith(
        f"cannot reach the Kubernetes API at {server} through proxy {DEAD} (from HTTPS_PROXY)"
    )

    no_proxy_env.setenv("no_proxy", FAKE_DOMAIN)
    p = _kubeconfig_mode(world, tmp_path, server)
    try:
        assert (await _guarded(p.login())).namespace == NAMESPACE
    finally:
        await p.aclose()


# -- a kubeconfig's proxy-url -------------------------------------------------------------------------


async def test_kubeconfig_proxy_url_is_used_as_kubectl_does(
    world: FakeWorld, tmp_path: Path, no_proxy_env: pytest.MonkeyPatch
) -> None:
    # proxy-url applies whatever NO_PROXY says, and to a loopback server too (it was asked for).
    no_proxy_env.setenv("NO_PROXY", "*")
    server = f"https://127.0.0.1:{world.api_port}"
    with ConnectProxy() as proxy:
        p = _kubeconfig_mode(world, tmp_path, server, proxy_url=proxy.url)
        try:
            assert (await _guarded(p.login())).namespace == NAMESPACE
            assert [c.name for c in await _guarded(p.list_clusters())] == ["training-engine-shared"]
        finally:
            await p.aclose()
    assert proxy.tunnels and set(proxy.tunnels) == {f"127.0.0.1:{world.api_port}"}

    p = _kubeconfig_mode(world, tmp_path, server, proxy_url=DEAD)
    err = await _raised(p, p.list_clusters(), errors.Unreachable)
    assert str(err.value).startswith(
        f"cannot reach the Kubernetes API at {server} through proxy {DEAD} (from the kubeconfig's proxy-url)"
    )
    assert "remove proxy-url" in str(err.value)


# -- proxies the installed libraries cannot speak --------------------------------------------------


async def test_socks_proxy_without_its_package_is_one_clear_line(
    world: FakeWorld, tmp_path: Path, no_proxy_env: pytest.MonkeyPatch
) -> None:
    no_proxy_env.setitem(sys.modules, "socksio", None)  # as where httpx[socks] is not installed
    no_proxy_env.setitem(sys.modules, "socks", None)  # PySocks, urllib3[socks]
    no_proxy_env.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")
    p = _ezmeral(world, tmp_path, _gateway(world, f"gateway.{FAKE_DOMAIN}"))
    err = await _raised(p, p.login(), errors.InvalidInput)
    assert str(err.value) == (
        "ALL_PROXY=socks5://127.0.0.1:1080: httpx needs an extra package for a socks5 proxy"
        " — pip install 'httpx[socks]', or unset ALL_PROXY"
    )
    assert err.value.field == "ALL_PROXY"

    no_proxy_env.delenv("ALL_PROXY")
    server = f"https://127.0.0.1:{world.api_port}"
    p = _kubeconfig_mode(world, tmp_path, server, proxy_url="socks5h://127.0.0.1:1080")
    err = await _raised(p, p.login(), errors.InvalidInput)
    assert str(err.value) == (
        "the kubeconfig's proxy-url socks5h://127.0.0.1:1080: the kubernetes client needs an extra"
        " package for a socks5h proxy — pip install 'urllib3[socks]', or remove proxy-url from the"
        " kubeconfig's cluster"
    )

    no_proxy_env.setenv("HTTPS_PROXY", "ftp://127.0.0.1:21")
    p = _ezmeral(world, tmp_path, _gateway(world, f"gateway.{FAKE_DOMAIN}"))
    err = await _raised(p, p.login(), errors.InvalidInput)
    assert str(err.value).startswith(
        "HTTPS_PROXY=ftp://127.0.0.1:21: httpx cannot speak the ftp proxy protocol"
    )


# -- deadlines: DNS, and calls the client library would let wait for ever ---------------------------


async def test_a_name_that_never_resolves_fails_within_the_deadline(
    world: FakeWorld, tmp_path: Path, no_proxy_env: pytest.MonkeyPatch, resolver: Any
) -> None:
    quick = {"connect_timeout": 0.5, "request_timeout": 1.0}
    try:
        p = _kubeconfig_mode(world, tmp_path, f"https://{NEVER_RESOLVES}:6443", **quick)
        err = await _raised(p, p.login(), errors.Unreachable)
        assert str(err.value).startswith(
            f"the Kubernetes API at https://{NEVER_RESOLVES}:6443 did not answer (no answer within 1.5 s"
        )

        p = _ezmeral(world, tmp_path, f"https://{NEVER_RESOLVES}:8443", **quick)
        err = await _raised(p, p.login(), errors.Unreachable)
        assert str(err.value).startswith(
            f"the Ezmeral gateway at https://{NEVER_RESOLVES}:8443 did not answer"
        )
    finally:
        resolver.set()  # let the lookups left hanging in worker threads end


async def test_kubernetes_calls_without_their_own_timeout_get_the_default(
    world: FakeWorld, no_proxy_env: pytest.MonkeyPatch
) -> None:
    # A server that accepts the connection and never says a word (its TLS handshake never ends).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        config = {
            "current-context": "kd",
            "clusters": [
                {
                    "name": "kd",
                    "cluster": {
                        "server": f"https://127.0.0.1:{silent.getsockname()[1]}",
                        "certificate-authority": str(world.ca),
                    },
                }
            ],
            "contexts": [{"name": "kd", "context": {"cluster": "kd", "user": "u"}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
        }
        options = KubernetesOptions(mode="kubeconfig", connect_timeout=0.5, request_timeout=1.0)
        apis = _build(config, options, NAMESPACE)
        body = {"metadata": {"name": "x"}, "data": {}}
        with pytest.raises(Exception) as err:  # whatever urllib3 raises, as long as it is not a hang
            call = asyncio.to_thread(apis.core.create_namespaced_config_map, NAMESPACE, body)  # no timeout
            await _guarded(call)
        apis.client.close()
    assert not isinstance(err.value, TimeoutError | asyncio.TimeoutError)
    assert "Timeout" in type(err.value).__name__ or "timed out" in str(err.value)


async def test_a_silent_followed_log_is_reopened_not_waited_on(
    world: FakeWorld, tmp_path: Path, no_proxy_env: pytest.MonkeyPatch
) -> None:
    # Each wait for log data has a deadline too (LOG_IDLE_S, here 0.3 s): a job that stays silent
    # longer closes the stream; the follow checks the pod and reopens it, losing and repeating nothing.
    from mlops_tui.services.kubernetes import training

    no_proxy_env.setattr(training, "LOG_IDLE_S", 0.3)
    script = "import time\nfor n in range(3):\n    print(f'line {n}', flush=True)\n    time.sleep(1.2)\n"
    container = {
        "name": "main",
        "image": "python:3.11-slim",
        "command": ["python", "-c", script],
        "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
        "volumeMounts": [{"name": "repo", "mountPath": DEFAULT_REPO_MOUNT}],
    }
    volume = {"name": "repo", "persistentVolumeClaim": {"claimName": PVC}}
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "silent-job"},
        "spec": {
            "backoffLimit": 0,
            "template": {"spec": {"restartPolicy": "Never", "containers": [container], "volumes": [volume]}},
        },
    }
    p = _ezmeral(world, tmp_path, world.gateway_url)
    opened = 0
    stream_lines = p.kube.stream_lines

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal opened
        opened += 1
        return stream_lines(*args, **kwargs)

    no_proxy_env.setattr(p.kube, "stream_lines", counting)
    try:
        await _guarded(p.login())
        await _guarded(p.kube.call("create job", lambda a: a.batch.create_namespaced_job(a.namespace, job)))
        followed = await _guarded(_collect(p.follow_log("silent-job")))
    finally:
        await p.aclose()
    assert followed == ["line 0", "line 1", "line 2"]
    assert opened >= 3  # reopened after each silence


async def _collect(lines: Any) -> list[str]:
    return [line async for line in lines]
