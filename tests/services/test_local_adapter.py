"""The local adapter against the real platform server: error mapping, re-login, curl equivalents."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess

import httpx
import pytest

from mlops_tui.services import errors
from mlops_tui.services.local.adapter import LocalPlatform
from mlops_tui.services.platform import Platform
from mlops_tui.services.types import (
    ClusterKind,
    ClusterSpec,
    Credentials,
    DeploymentSpec,
    JobSpec,
    JobState,
)

from .conftest import Server


def _platform(server: Server, user: str = "alice", password: str | None = None, **kw) -> LocalPlatform:
    tenant, real = server.users[user]
    return LocalPlatform(Credentials(server.url, tenant, user, password or real), **kw)


async def test_login_session_and_protocol(platform_server: Server) -> None:
    async with _platform(platform_server) as p:
        assert isinstance(p, Platform)
        session = await p.login()
        assert session.id.startswith("/api/v2/session/")
        assert (session.user, session.tenant) == ("alice", "K8sMLTenant")
        assert (await p.whoami()).user == "alice"
        assert await p.kubeconfig() is None  # no Kubernetes API on the local platform
        names = {c.name for c in await p.list_clusters(ClusterKind.TRAINING)}
        assert "training-engine-shared" in names
        ops = [c.op for c in p.calls]
        assert ops[:2] == ["login", "whoami"]
        assert all("alice-password-1" not in c.command for c in p.calls)  # never the password


async def test_wrong_password_is_auth_failed(platform_server: Server) -> None:
    async with _platform(platform_server, password="wrong") as p:
        with pytest.raises(errors.AuthFailed) as err:
            await p.login()
        assert err.value.status == 401
        with pytest.raises(errors.AuthFailed):
            await p.list_jobs()  # logs in first, so the same clear error


async def test_unreachable_url() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    async with LocalPlatform(Credentials(f"http://127.0.0.1:{port}", "t", "u", "p"), timeout=2.0) as p:
        with pytest.raises(errors.Unreachable) as err:
            await p.login()
        assert f"127.0.0.1:{port}" in str(err.value)
        assert p.calls[-1].status is None


async def test_expired_session_relogs_in_once_transparently(platform_server: Server) -> None:
    relogins: list[int] = []
    async with _platform(platform_server, on_relogin=lambda: relogins.append(1)) as p:
        first = await p.login()
        # The session ends behind the adapter's back (expiry, or a logout elsewhere).
        r = httpx.delete(platform_server.url + first.id, headers={"X-BDS-SESSION": first.id})
        assert r.status_code == 204
        jobs = await p.list_jobs()
        assert isinstance(jobs, list)
        assert p.session is not None and p.session.id != first.id
        assert relogins == [1]
        assert [c.op for c in p.calls][-3:] == ["list_jobs", "login", "list_jobs"]


async def test_a_stale_password_is_refused_once_and_never_sent_again(platform_server: Server) -> None:
    """A re-login refused (401) with the stored password: the adapter says the password was
    refused and what to do, and does not send that password again (every retry fed the
    platform's failed-login back-off and locked the new password out)."""
    from mlops_tui.platform import add_user

    add_user(platform_server.state_dir, "K8sMLTenant", "carol", "carol-pw-1", reset=True)
    async with LocalPlatform(Credentials(platform_server.url, "K8sMLTenant", "carol", "carol-pw-1")) as p:
        session = await p.login()
        add_user(platform_server.state_dir, "K8sMLTenant", "carol", "carol-pw-2", reset=True)  # elsewhere
        httpx.delete(platform_server.url + session.id, headers={"X-BDS-SESSION": session.id})
        with pytest.raises(errors.PasswordRefused) as err:
            await p.list_models()
        assert "password of carol was refused" in str(err.value) and "Login (6)" in str(err.value)
        with pytest.raises(errors.PasswordRefused):
            await p.list_models()
        assert [c.status for c in p.calls if c.op == "login"] == [201, 401]


async def test_not_found_conflict_and_invalid_field(platform_server: Server) -> None:
    async with _platform(platform_server) as p:
        with pytest.raises(errors.NotFound):
            await p.get_cluster("no-such-cluster")
        with pytest.raises(errors.NotFound):
            await p.get_job("999999")
        with pytest.raises(errors.Conflict):
            await p.create_cluster(ClusterSpec("training-engine-shared", ClusterKind.TRAINING))
        with pytest.raises(errors.InvalidInput) as err:
            await p.upload_repo("../outside.txt", b"x")
        assert err.value.field == "path"
        with pytest.raises(errors.InvalidInput) as err:
            await p.create_cluster(ClusterSpec("Bad Name!", ClusterKind.NOTEBOOK))
        assert err.value.field == "name"
        assert err.value.status in (400, 422)


async def test_tenants_do_not_see_each_other(platform_server: Server) -> None:
    async with _platform(platform_server, "alice") as a, _platform(platform_server, "bob") as b:
        await a.upload_repo("code/alice/secret.txt", b"alice only")
        assert await a.fetch_repo("code/alice/secret.txt") == b"alice only"
        with pytest.raises(errors.NotFound):
            await b.fetch_repo("code/alice/secret.txt")


async def test_follow_log_of_a_finished_job_and_repo_round_trip(platform_server: Server) -> None:
    async with _platform(platform_server) as p:
        entry = await p.upload_repo("data/alice/hello.txt", b"hello\n")
        assert entry.path == "data/alice/hello.txt" and entry.size == 6
        listing = {e.path for e in await p.list_repo("data/alice/")}
        assert "data/alice/hello.txt" in listing


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
async def test_equivalent_curls_run_in_a_shell(platform_server: Server) -> None:
    """The commands the app shows work when pasted: login sets $MLOPS_SESSION, later calls use it."""
    async with _platform(platform_server) as p:
        await p.login()
        script = "\n".join(
            [
                "set -e",
                p.equivalent("login"),
                'test -n "$MLOPS_SESSION"',
                p.equivalent("list_clusters", kind="training"),
                "echo",
                p.equivalent("get_cluster", name="training-engine-shared"),
            ]
        )
        env = {**os.environ, "MLOPS_PASSWORD": platform_server.users["alice"][1]}
        run = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=30)
        assert run.returncode == 0, run.stderr
        clusters_line, cluster_line = run.stdout.strip().splitlines()[-2:]
        assert any(c["name"] == "training-engine-shared" for c in json.loads(clusters_line))
        assert json.loads(cluster_line)["state"] == "configured"


def test_an_unset_serving_setting_is_left_out_of_the_body() -> None:
    """The curl shown for a deployment said ``"max_batch_size": null, "max_batch_wait_ms": null``;
    an unset setting is the platform's default, left out as a person would write it."""
    p = LocalPlatform(Credentials("http://127.0.0.1:9", "t", "u", "p"))
    shown = p.equivalent("create_deployment", spec=DeploymentSpec("dep", "model", 2))
    assert "null" not in shown and '{"name": "dep", "model": "model", "version": 2}' in shown, shown
    tuned = p.equivalent("create_deployment", spec=DeploymentSpec("dep", "model", 2, max_batch_size=64))
    assert '"max_batch_size": 64' in tuned and "max_batch_wait_ms" not in tuned, tuned


async def test_follow_log_counts_lines_as_the_server_does(platform_server: Server) -> None:
    """A job that draws a progress bar with "\\r": resuming from line N must not skip or repeat."""
    script = (
        "import sys\n"
        "for i in range(3):\n"
        "    print(f'step {i}: ' + ''.join(f'{p}%\\r' for p in (10, 50, 100)), flush=True)\n"
        "print('done', flush=True)\n"
    )
    async with _platform(platform_server) as p:
        await p.upload_repo("code/alice/crbar/__init__.py", b"")
        await p.upload_repo("code/alice/crbar/train.py", script.encode())
        await p.upload_repo("data/alice/unused.csv", b"x\n1\n")
        job = await p.submit_job(
            JobSpec(
                cluster="training-engine-shared",
                code="code/alice/crbar",
                data="data/alice/unused.csv",
                output="models/alice",
            )
        )
        everything = [line async for line in p.follow_log(job.id)]
        assert (await p.get_job(job.id)).state is JobState.FINISHED, everything
        steps = [line for line in everything if line.startswith("step ")]
        assert len(steps) == 3 and everything[-1] == "done"
        assert all("\r" in line for line in steps)  # kept whole: one server line is one line here
        resumed = [line async for line in p.follow_log(job.id, from_line=len(everything) - 2)]
        assert resumed == everything[-2:]


async def test_an_upload_never_replaces_a_file_silently(platform_server: Server) -> None:
    """Item 12: a taken path is refused (AlreadyExists naming it, nothing written) unless the
    caller asks to replace; the equivalent curl says ?replace=true only then."""
    async with _platform(platform_server) as p:
        await p.upload_repo("code/alice/mine/scoring.py", b"# mine\n")
        with pytest.raises(errors.AlreadyExists) as info:
            await p.upload_repo("code/alice/mine/scoring.py", b"# the lab's\n")
        assert info.value.path == "code/alice/mine/scoring.py" and info.value.status == 409
        assert info.value.message == (
            "code/alice/mine/scoring.py already exists in the project repository; nothing was written"
        )
        assert await p.fetch_repo("code/alice/mine/scoring.py") == b"# mine\n"
        assert "replace" not in p.calls[-1].command
        await p.upload_repo("code/alice/mine/scoring.py", b"# the lab's\n", replace=True)
        assert await p.fetch_repo("code/alice/mine/scoring.py") == b"# the lab's\n"
        assert "/repo/code/alice/mine/scoring.py?replace=true" in p.calls[-2].command
