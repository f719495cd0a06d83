"""The kubeconfig's exec credential plugin, run by the adapter (issue 7 §3): its stderr reaches a
listener while it runs, it never gets the terminal, it has a deadline, it can be cancelled, and
its failures say what to do. Against the fake API server, which accepts the plugin's token."""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from pathlib import Path

import pytest
import yaml
from exec_plugins import DEVICE_LINE, FAIL_LINE, alive, exec_entry, seen, write_kubeconfig, write_plugin
from kdfake.world import NAMESPACE, PVC, FakeWorld

from mlops_tui.services import errors
from mlops_tui.services.kubernetes import KubernetesOptions, KubernetesPlatform
from mlops_tui.services.kubernetes.exec_credential import ExecAuth, PluginRun, sign_in_hint
from mlops_tui.services.kubernetes.kube import _build
from mlops_tui.services.types import Credentials


class Recorder:
    """An ExecListener that notes, for each line, whether the plugin was still running then."""

    def __init__(self, plugin_dir: Path, *, cancel_on_first_line: bool = False) -> None:
        self.plugin_dir = plugin_dir
        self.lines: list[tuple[str, bool]] = []  # (line, plugin process alive at that moment)
        self.finished: list[PluginRun] = []
        self.cancel_on_first_line = cancel_on_first_line

    def exec_output(self, run: PluginRun, line: str) -> None:
        pid = seen(self.plugin_dir)["pid"]
        self.lines.append((line, alive(pid) and not run.finished))
        if self.cancel_on_first_line:
            run.cancel()

    def exec_finished(self, run: PluginRun) -> None:
        self.finished.append(run)


def _platform(world: FakeWorld, tmp_path: Path, exec_config: dict, **options: object) -> KubernetesPlatform:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", world.api_port, world.ca, NAMESPACE, exec_config)
    settings = KubernetesOptions(mode="kubeconfig", kubeconfig_path=str(kubeconfig), repo_pvc=PVC, **options)
    return KubernetesPlatform(Credentials(url="", tenant="", user="", password=""), settings)


async def test_device_code_line_reaches_the_listener_while_the_plugin_runs(
    world: FakeWorld, tmp_path: Path
) -> None:
    world.api.tokens.add("plugin-token")
    plugin_dir = tmp_path / "plugin"
    p = _platform(world, tmp_path, exec_entry(write_plugin(plugin_dir), wait=2.0))
    recorder = Recorder(plugin_dir)
    p.exec_listener = recorder
    try:
        session = await p.login()
        assert session.namespace == NAMESPACE
        assert [c.name for c in await p.list_clusters()] == ["training-engine-shared"]
    finally:
        await p.aclose()
    # the line came while the plugin was still running (it sleeps 2 s after printing it)
    assert recorder.lines == [(DEVICE_LINE, True)]
    assert len(recorder.finished) == 1 and recorder.finished[0].lines == [DEVICE_LINE]
    started = seen(plugin_dir)
    # never the terminal: stdin is the null device, stdout/stderr are pipes, its own session
    assert started["stdin"] == "/dev/null"
    assert started["stdout"].startswith("pipe:") and started["stderr"].startswith("pipe:")
    assert started["session_leader"] is True
    # the ExecCredential request: not interactive, the cluster with its CA as data, the env entries
    assert started["exec_info"]["apiVersion"] == "client.authentication.k8s.io/v1"
    assert started["exec_info"]["spec"]["interactive"] is False
    cluster = started["exec_info"]["spec"]["cluster"]
    assert cluster["server"] == f"https://127.0.0.1:{world.api_port}"
    assert base64.b64decode(cluster["certificate-authority-data"]) == world.ca.read_bytes()
    assert started["extra_env"] == "from-the-kubeconfig"
    assert p.kube.exec_auth.runs == 1  # login and the list shared one credential
    assert world.violations == []


async def test_credential_is_reused_until_its_expiry(world: FakeWorld, tmp_path: Path) -> None:
    world.api.tokens.add("plugin-token")
    plugin_dir = tmp_path / "plugin"
    p = _platform(world, tmp_path, exec_entry(write_plugin(plugin_dir), wait=0, expires_in=3))
    try:
        await p.login()
        await p.list_clusters()
        assert p.kube.exec_auth.runs == 1
        await asyncio.sleep(3.5)  # the expirationTimestamp passes (whole seconds, RFC 3339)
        await p.list_clusters()
        assert p.kube.exec_auth.runs == 2  # rerun before the next call, not after a 401
    finally:
        await p.aclose()


async def test_plugin_that_never_finishes_meets_the_deadline(world: FakeWorld, tmp_path: Path) -> None:
    plugin_dir = tmp_path / "plugin"
    p = _platform(world, tmp_path, exec_entry(write_plugin(plugin_dir), "hang"), exec_timeout=1.5)
    try:
        with pytest.raises(errors.Unreachable) as err:
            await p.login()
    finally:
        await p.aclose()
    assert err.value.message == "the exec credential plugin device-login did not finish within 1.5 s"
    assert "exec_timeout" in err.value.hint
    assert not alive(seen(plugin_dir)["pid"])  # its process group was killed


async def test_plugin_that_exits_1_shows_its_stderr(world: FakeWorld, tmp_path: Path) -> None:
    p = _platform(world, tmp_path, exec_entry(write_plugin(tmp_path / "plugin"), "fail"))
    try:
        with pytest.raises(errors.AuthFailed) as err:
            await p.login()
    finally:
        await p.aclose()
    assert err.value.message == f"the exec credential plugin device-login failed (exit 1): {FAIL_LINE}"


async def test_interactive_always_gets_the_kubectl_hint_without_running(
    world: FakeWorld, tmp_path: Path
) -> None:
    plugin_dir = tmp_path / "plugin"
    p = _platform(world, tmp_path, exec_entry(write_plugin(plugin_dir), interactive_mode="Always"))
    try:
        with pytest.raises(errors.AuthFailed) as err:
            await p.login()
    finally:
        await p.aclose()
    kubeconfig = tmp_path / "kubeconfig"
    assert err.value.hint == (
        f"run `kubectl --kubeconfig {kubeconfig} auth can-i create kubedirectorclusters` once in a shell "
        "first (the plugin can ask you there), then try again"
    )
    assert "interactiveMode: Always" in err.value.message
    assert not (plugin_dir / "seen.json").exists()  # never started


async def test_plugin_that_reads_stdin_gets_the_kubectl_hint(world: FakeWorld, tmp_path: Path) -> None:
    p = _platform(world, tmp_path, exec_entry(write_plugin(tmp_path / "plugin"), "prompt"))
    try:
        with pytest.raises(errors.AuthFailed) as err:
            await p.login()
    finally:
        await p.aclose()
    assert "EOFError: EOF when reading a line" in err.value.message  # what it said on the null stdin
    assert err.value.hint.startswith(f"run `kubectl --kubeconfig {tmp_path / 'kubeconfig'} auth can-i")


async def test_cancel_kills_the_plugin_and_says_sign_in_cancelled(world: FakeWorld, tmp_path: Path) -> None:
    plugin_dir = tmp_path / "plugin"
    p = _platform(world, tmp_path, exec_entry(write_plugin(plugin_dir), "hang"))
    p.exec_listener = Recorder(plugin_dir, cancel_on_first_line=True)
    started = time.monotonic()
    try:
        with pytest.raises(errors.AuthFailed) as err:
            await p.login()
        assert time.monotonic() - started < 60  # not the 300 s deadline (a hang guard, not a speed check)
        assert err.value.message == "sign-in cancelled: the exec credential plugin device-login was stopped"
        assert not alive(seen(plugin_dir)["pid"])
        # a poll right after must not reopen what the person closed: same answer, plugin not started
        with pytest.raises(errors.AuthFailed, match="sign-in cancelled"):
            await p.list_clusters()
        assert p.kube.exec_auth.runs == 1
    finally:
        await p.aclose()


async def test_concurrent_calls_share_one_failed_run(world: FakeWorld, tmp_path: Path) -> None:
    # The TUI polls four topics at once: a failing plugin must run once for them, not four times.
    p = _platform(world, tmp_path, exec_entry(write_plugin(tmp_path / "plugin"), "fail"))
    try:
        results = await asyncio.gather(*(p.list_clusters() for _ in range(4)), return_exceptions=True)
        assert all(isinstance(r, errors.AuthFailed) and FAIL_LINE in r.message for r in results)
        assert p.kube.exec_auth.runs == 1
        with pytest.raises(errors.AuthFailed):  # a later call (the next poll) tries again
            await p.list_clusters()
        assert p.kube.exec_auth.runs == 2
    finally:
        await p.aclose()


async def test_cancelled_task_kills_the_plugin(world: FakeWorld, tmp_path: Path) -> None:
    # Ctrl-C in a headless command, or the app closing, cancels the task that waits for the plugin.
    plugin_dir = tmp_path / "plugin"
    p = _platform(world, tmp_path, exec_entry(write_plugin(plugin_dir), "hang"))
    try:
        task = asyncio.create_task(p.login())
        pid = await asyncio.to_thread(lambda: seen(plugin_dir)["pid"])
        assert alive(pid)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not alive(pid)
    finally:
        await p.aclose()


async def test_missing_plugin_says_how_to_install_it(world: FakeWorld, tmp_path: Path) -> None:
    exec_config = {**exec_entry(tmp_path / "plugin" / "device-login"), "command": "no-such-plugin"}
    p = _platform(world, tmp_path, exec_config)
    try:
        with pytest.raises(errors.AuthFailed) as err:
            await p.login()
    finally:
        await p.aclose()
    assert err.value.message == (
        "the exec credential plugin no-such-plugin cannot be started: "
        "no-such-plugin is not found or not executable"
    )
    assert err.value.hint == "the test writes it"  # the kubeconfig's installHint


def test_sign_in_hint_finds_url_and_code() -> None:
    assert sign_in_hint(DEVICE_LINE) == ("https://login.example/device", "WXYZ-1234")
    azure = (
        "To sign in, use a web browser to open the page https://microsoft.com/devicelogin and "
        "enter the code ABCD2EFGH to authenticate."
    )
    assert sign_in_hint(azure) == ("https://microsoft.com/devicelogin", "ABCD2EFGH")
    assert sign_in_hint("Open https://example.com/activate?user_code=QWER-TYUI.") == (
        "https://example.com/activate?user_code=QWER-TYUI",
        "QWER-TYUI",
    )
    assert sign_in_hint("refreshing the token") == (None, None)


async def test_client_certificate_credential_reaches_the_client(world: FakeWorld, tmp_path: Path) -> None:
    # A plugin may answer with a client certificate and key (PEM) instead of a token.
    cert, key = world.base / "tls" / "server.pem", world.base / "tls" / "server.key"
    answer = (
        "import json, sys; print(json.dumps({'apiVersion': 'client.authentication.k8s.io/v1beta1', "
        "'kind': 'ExecCredential', 'status': {'clientCertificateData': open(sys.argv[1]).read(), "
        "'clientKeyData': open(sys.argv[2]).read()}}))"
    )
    exec_config = {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": sys.executable,
        "args": ["-c", answer, str(cert), str(key)],
    }
    path = write_kubeconfig(tmp_path / "kubeconfig", world.api_port, world.ca, NAMESPACE, exec_config)
    resolved = await ExecAuth().resolve(yaml.safe_load(path.read_text()))
    assert "exec" not in json.dumps(resolved)
    apis = await asyncio.to_thread(_build, resolved, KubernetesOptions(mode="kubeconfig"), NAMESPACE)
    try:
        configuration = apis.client.configuration
        assert Path(configuration.cert_file).read_text() == cert.read_text()
        assert Path(configuration.key_file).read_text() == key.read_text()
    finally:
        apis.client.close()
