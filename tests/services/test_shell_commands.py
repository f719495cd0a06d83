"""Printed commands run in bash for hostile values (issue 7, part 6): the login curl of a user whose
password is ``p"a ss wörd$x`` sets a working $MLOPS_SESSION, uploads of odd file names put that very
file, predictions with zone names holding quotes return the app's value; with jq and without it.

Every command is the one the app shows (``equivalent()``, the Ezmeral session curls, kubectl), run
with ``bash -c`` against the real local platform (tests/conftest.py ``local_platform``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops_tui.services import errors
from mlops_tui.services.curl import Curl, Secret, json_tool
from mlops_tui.services.kubernetes import predict as k8s_predict
from mlops_tui.services.kubernetes.commands import Kubectl
from mlops_tui.services.kubernetes.options import KubernetesOptions
from mlops_tui.services.kubernetes.rest import EzmeralRest
from mlops_tui.services.local.adapter import LocalPlatform
from mlops_tui.services.types import Credentials, Session

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("curl") is None, reason="needs bash and curl"
)

TENANT = "K8sMLTenant"
# The case of the issue; then a backslash, backticks, a single quote, $(...) and history's "!".
PASSWORDS = {
    "shq": 'p"a ss wörd$x',
    "she": "b\\ack`id`sl'ash $(echo pwned) !x \\\"",
    "shs": "  spaced out\t ",  # what read would trim without IFS=
}
ODD_FILE = "ride's $HOME data ✓ `x`.csv"
# Zone names as people type them: a space, and the apostrophe of Hell's Kitchen (zone 48).
RIDES = [
    {"pickup_datetime": "2019-02-05T09:00", "pickup_zone": "Bronx Park", "dropoff_zone": "Hell's Kitchen"},
    {
        "pickup_datetime": "2019-03-01T17:30",
        "pickup_zone": "Hell's Kitchen",
        "dropoff_zone": 230,
        "distance": 1.2,
    },
]


@pytest.fixture(scope="module")
def hostile_users(local_platform: Any) -> dict[str, Credentials]:
    return {user: local_platform.add_user(TENANT, user, pw) for user, pw in PASSWORDS.items()}


@pytest.fixture(params=["jq", "python3"])
def tool(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """``jq``: as the machine is; ``python3``: PATH without jq, so the app prints its fallback."""
    if request.param == "jq":
        if shutil.which("jq") is None:
            pytest.skip("jq is not installed")
        monkeypatch.delenv("MLOPS_TUI_JSON_TOOL", raising=False)
    else:
        monkeypatch.setenv("PATH", str(_path_without_jq(tmp_path / "bin")))
        monkeypatch.delenv("MLOPS_TUI_JSON_TOOL", raising=False)
    assert json_tool() == request.param
    return request.param


def _path_without_jq(bin_dir: Path) -> Path:
    bin_dir.mkdir()
    for tool in ("bash", "curl", "awk", "tr", "mkdir", "cat"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    os.symlink(os.path.realpath(sys.executable), bin_dir / "python3")  # not a shim needing more PATH
    return bin_dir


def bash(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``script`` in ``bash -c`` with the test's PATH and ``env`` exported."""
    full = {**os.environ, **env}
    return subprocess.run(
        ["bash", "-c", script],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("user", sorted(PASSWORDS))
async def test_login_whoami_upload_fetch_logout_in_bash(
    hostile_users: dict[str, Credentials], user: str, tool: str, tmp_path: Path
) -> None:
    creds = hostile_users[user]
    content = b"pickup,dropoff\n161,230\n"
    repo_path = f"data/{user}/{ODD_FILE}"
    (tmp_path / ODD_FILE).write_bytes(content)
    async with LocalPlatform(creds) as p:
        await p.login()  # the app logs in with the password as it is
        login = p.equivalent("login")
        assert login.startswith(f"MLOPS_SESSION=$({tool} ")
        assert PASSWORDS[user] not in login
        script = "\n".join(
            [
                "set -euo pipefail",
                login,
                'printf "session=%s\\n" "$MLOPS_SESSION"',
                p.equivalent("whoami"),
                "echo",
                p.equivalent(
                    "upload_repo", path=repo_path, source=ODD_FILE, replace=True
                ),  # run once per tool
                "echo",
                p.equivalent("list_repo", prefix=f"data/{user}/ride's $HOME"),
                "echo",
                "mkdir fetched && cd fetched",
                p.equivalent("fetch_repo", path=repo_path),
                "cd ..",
                p.equivalent("logout"),
                p.equivalent("whoami") + " -o /dev/null -w 'after logout: %{http_code}\\n'",
            ]
        )
        run = bash(script, tmp_path, MLOPS_PASSWORD=PASSWORDS[user])
        assert run.returncode == 0, f"{script}\n---\n{run.stderr}"
        lines = run.stdout.splitlines()
        session = lines[0].removeprefix("session=")
        assert session.startswith("/api/v2/session/") and len(session) > len("/api/v2/session/")
        assert json.loads(lines[1])["user"] == user
        entry = json.loads(lines[2])
        assert entry["path"] == repo_path and entry["size"] == len(content)
        assert [e["path"] for e in json.loads(lines[3])] == [repo_path]
        assert (tmp_path / "fetched" / ODD_FILE).read_bytes() == content
        assert lines[-1] == "after logout: 401"
        assert await p.fetch_repo(repo_path) == content  # the app sees the file bash put


async def test_ezmeral_session_curls_in_bash(
    hostile_users: dict[str, Credentials], tool: str, tmp_path: Path
) -> None:
    """rest.py's login/whoami/logout curls (the Ezmeral gateway) against the same session protocol."""
    for user, creds in hostile_users.items():
        rest = EzmeralRest(creds, KubernetesOptions(), record=lambda _: None)
        try:
            assert (await rest.login()).startswith("/api/v2/session/")
            script = "\n".join(
                [
                    "set -euo pipefail",
                    rest.curl("login"),
                    rest.curl("whoami"),
                    "echo",
                    rest.curl("logout") + " -w '%{http_code}'",
                ]
            )
            run = bash(script, tmp_path, MLOPS_PASSWORD=PASSWORDS[user])
            assert run.returncode == 0, f"{script}\n---\n{run.stderr}"
            whoami, status = run.stdout.splitlines()
            assert json.loads(whoami)["user"] == user
            assert status == "204"
        finally:
            await rest.aclose()


async def test_predictions_with_zone_names_in_bash(
    hostile_users: dict[str, Credentials], deployment: dict[str, Any], tmp_path: Path
) -> None:
    """The revealed curl (Lab 5, copy-as-curl, predict --curl), the masked one with $AUTH_TOKEN, the
    kubernetes adapter's curl against the same endpoint, and $PREDICT_URL for an unknown endpoint:
    each returns the value the app got."""
    async with LocalPlatform(hostile_users["shq"]) as p:
        dep = await p.get_deployment(deployment["name"])
        for ride in RIDES:
            app = (await p.predict(dep.name, [ride])).values[0]
            revealed = p.equivalent("predict", deployment=dep.name, records=[ride], reveal=True)
            masked = p.equivalent("predict", deployment=dep.name, records=[ride])
            assert dep.auth_token in revealed and dep.auth_token not in masked
            k8s = k8s_predict.curl(dep.url, dep.auth_token, ride, KubernetesOptions(), reveal=True)
            # A deployment the adapter has not seen: "${PREDICT_URL}" and "${AUTH_TOKEN}" to fill in.
            unknown = p.equivalent("predict", deployment="not-seen-yet", records=[ride])
            assert '"${PREDICT_URL}"' in unknown
            for command in (revealed, masked, k8s, unknown):
                run = bash(command, tmp_path, AUTH_TOKEN=dep.auth_token or "", PREDICT_URL=dep.url)
                assert run.returncode == 0, f"{command}\n---\n{run.stderr}"
                answer = json.loads(run.stdout)
                assert answer["prediction"][0] == pytest.approx(app), (command, answer)
                assert k8s_predict.parse_output(answer) == pytest.approx(app, abs=0.01)


def test_kubectl_words_reach_kubectl_as_rendered(tmp_path: Path) -> None:
    """A stand-in ``kubectl`` records its argv and stdin (the real one needs a cluster); what the
    shell hands it is what quoting decides, so this checks every word and the here-document."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "kubectl"
    fake.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        "print(json.dumps({'argv': sys.argv[1:], 'stdin': sys.stdin.read()}))\n"
    )
    fake.chmod(0o755)
    config = "/tmp/my kube's $HOME `x`/config ✓"
    namespace = "team a's $NS"
    k = Kubectl(lambda: namespace, lambda: config)
    odd = 'O\'Hare "$x" `id` \\ ✓'
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "m", "labels": {"zone": "Hell's Kitchen"}},
        "data": {"script": "#!/bin/sh\necho \"$HOME\" 'x' `id`\nEOF\n", "note": odd},
    }
    cases = {
        k("get", "configmap", "-l", f"zone={odd}"): ["get", "configmap", "-l", f"zone={odd}"],
        k("create", "configmap", "c", f"--from-file=content={ODD_FILE}"): [
            "create",
            "configmap",
            "c",
            f"--from-file=content={ODD_FILE}",
        ],
        k.apply(manifest): ["apply", "-f", "-"],
    }
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    for command, args in cases.items():
        run = bash(command, tmp_path, **env)
        assert run.returncode == 0, f"{command}\n---\n{run.stderr}"
        seen = json.loads(run.stdout)
        assert seen["argv"] == ["--kubeconfig", config, "-n", namespace, *args], command
        if args[-1] == "-":
            assert yaml.safe_load(seen["stdin"]) == manifest
    unknown_ns = Kubectl(lambda: "", lambda: "")("get", "kdcluster")
    run = bash(unknown_ns, tmp_path, NAMESPACE="tenant-a", **env)
    assert json.loads(run.stdout)["argv"] == ["-n", "tenant-a", "get", "kdcluster"]


def test_masked_words_survive_interactive_bash_specials() -> None:
    """Literal text next to a secret holding ``!``, ``$``, quotes is single-quoted (history
    expansion and parameter expansion cannot touch it); the secret alone is ``"${VAR}"``."""
    c = Curl("GET", ("http://h/a",), (("X-Note", ("it's $5 `now`! ", Secret("TOKEN"))),))
    word = c.render().split(" -H ", 1)[1]
    assert word == "'X-Note: it'\"'\"'s $5 `now`! '\"${TOKEN}\""
    run = subprocess.run(
        ["bash", "--norc", "-ic", f"printf '%s' {word}"],
        capture_output=True,
        text=True,
        env={**os.environ, "TOKEN": 'a"b'},
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert run.stdout == "X-Note: it's $5 `now`! a\"b"


async def test_unreachable_logout_names_no_session() -> None:
    """Issue 8: the message of a failed logout (its URL is the session's path) leaves the id out."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    async with LocalPlatform(Credentials(f"http://127.0.0.1:{port}", TENANT, "u", "p"), timeout=2.0) as p:
        p.session = Session(id="/api/v2/session/0b5e55ed-1d", user="u", tenant=TENANT)
        with pytest.raises(errors.Unreachable) as err:
            await p.logout()
    assert "0b5e55ed" not in str(err.value) and f"127.0.0.1:{port}/api/v2/session/…" in str(err.value)
    assert all("0b5e55ed" not in c.command for c in p.calls)


async def test_shell_setup_reads_the_password_then_login_works(
    hostile_users: dict[str, Credentials], tmp_path: Path
) -> None:
    """``shell_setup()`` as lab run prints it: ``read`` takes the typed password (here on stdin)."""
    async with LocalPlatform(hostile_users["shs"]) as p:
        setup = p.shell_setup()
        assert setup.splitlines()[-1].startswith("IFS= read -rsp ")  # last: a pasted block cannot feed it
        script = "\n".join([setup, p.equivalent("login"), 'printf "%s %s\\n" "$MLOPS_URL" "$MLOPS_SESSION"'])
        env = {k: v for k, v in os.environ.items() if k != "MLOPS_PASSWORD"}
        run = subprocess.run(
            ["bash", "-c", script],
            input=PASSWORDS["shs"] + "\n",
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
        assert run.returncode == 0, f"{script}\n---\n{run.stderr}"
        url, session = run.stdout.split()
        assert url == p.url and session.startswith("/api/v2/session/")


DEAD_PROXY = {v: "http://127.0.0.1:9" for v in ("http_proxy", "https_proxy", "HTTP_PROXY", "ALL_PROXY")}


async def test_printed_loopback_commands_bypass_a_dead_proxy(
    hostile_users: dict[str, Credentials],
    deployment: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """curl sends loopback to ``http_proxy`` (kubectl and the app do not): with a dead proxy in the
    shell, the printed login, whoami and prediction curls for the local platform still work, because
    they carry ``--noproxy '*'`` (issue 7, parts 1 and 6). Without a proxy set they stay short."""
    async with LocalPlatform(hostile_users["shq"]) as p:
        await p.login()
        dep = await p.get_deployment(deployment["name"])
        value = (await p.predict(dep.name, [RIDES[0]])).values[0]
        assert "--noproxy" not in p.equivalent("whoami")
        for name, proxy in DEAD_PROXY.items():
            monkeypatch.setenv(name, proxy)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        commands = [
            p.equivalent("login"),
            p.equivalent("whoami"),
            "echo",
            p.equivalent("predict", deployment=dep.name, records=[RIDES[0]], reveal=True),
        ]
        assert all("--noproxy '*'" in c for c in commands if c.startswith(("curl", "MLOPS_SESSION")))
        run = bash("set -euo pipefail\n" + "\n".join(commands), tmp_path, MLOPS_PASSWORD=PASSWORDS["shq"])
        assert run.returncode == 0, f"{commands}\n---\n{run.stderr}"
        whoami, prediction = run.stdout.splitlines()
        assert json.loads(whoami)["user"] == "shq"
        assert json.loads(prediction)["prediction"][0] == pytest.approx(value)


async def test_printed_commands_work_when_no_proxy_names_the_port(
    hostile_users: dict[str, Credentials],
    deployment: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``NO_PROXY=127.0.0.1:PORT``: the app goes direct (the entry covers that port), curl ignores an
    entry with a port and sent the pasted prediction to the dead proxy (``curl: (7) Failed to
    connect to 127.0.0.1 port 9``). The printed curls are judged by curl's own rule."""
    from urllib.parse import urlsplit

    async with LocalPlatform(hostile_users["shq"]) as p:
        await p.login()
        dep = await p.get_deployment(deployment["name"])
        value = (await p.predict(dep.name, [RIDES[0]])).values[0]
        ports = {urlsplit(dep.url).port, urlsplit(p.url).port}
        monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
        for name in ("HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("NO_PROXY", ",".join(f"127.0.0.1:{port}" for port in ports))
        commands = [
            p.equivalent("login"),
            p.equivalent("whoami"),
            "echo",
            p.equivalent("predict", deployment=dep.name, records=[RIDES[0]], reveal=True),
        ]
        run = bash("set -euo pipefail\n" + "\n".join(commands), tmp_path, MLOPS_PASSWORD=PASSWORDS["shq"])
        assert run.returncode == 0, f"{commands}\n---\n{run.stderr}"
        whoami, prediction = run.stdout.splitlines()
        assert json.loads(whoami)["user"] == "shq"
        assert json.loads(prediction)["prediction"][0] == pytest.approx(value)
