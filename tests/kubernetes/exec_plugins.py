"""Exec credential plugins written by the tests: real executables a kubeconfig names, speaking
client.authentication.k8s.io ExecCredential on stdout, as ``kubectl oidc-login`` or
``kubectl hpecp authenticate`` would.

``write_plugin(dir, behaviour)`` writes ``device-login`` (a Python script with a shebang) that:

- records what it was given in ``<dir>/seen.json``: ``$KUBERNETES_EXEC_INFO``, where its stdin and
  stdout/stderr point (``/proc/self/fd``), whether it leads its own session, and its pid;
- then, per ``behaviour``: ``device`` prints :data:`DEVICE_LINE` to stderr, waits ``wait`` seconds
  and prints an ExecCredential with ``token`` (and ``expires_in`` seconds of life, if given);
  ``hang`` prints the line and never finishes; ``fail`` prints an error and exits 1; ``prompt``
  asks for a password with ``input()`` (an interactive plugin on a null stdin).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml

DEVICE_LINE = "To sign in, open https://login.example/device and enter the code WXYZ-1234"
FAIL_LINE = "error: the refresh token has expired; sign in again"
PLUGIN = "device-login"
# A plugin that also retitles the terminal, clears it and colours its line (issue 13 tester).
HOSTILE_LINE = f"\x1b]0;HIJACK\x07\x1b[2J\x1b[H\x1b[1;31m{DEVICE_LINE}\x1b[0m\x07"

SCRIPT = r"""#!{python}
import datetime, json, os, sys, time

behaviour, token, wait, expires_in = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
here = os.path.dirname(os.path.abspath(__file__))
seen = {{
    "pid": os.getpid(),
    "session_leader": os.getsid(0) == os.getpid(),
    "stdin": os.readlink("/proc/self/fd/0"),
    "stdout": os.readlink("/proc/self/fd/1"),
    "stderr": os.readlink("/proc/self/fd/2"),
    "exec_info": json.loads(os.environ.get("KUBERNETES_EXEC_INFO") or "null"),
    "extra_env": os.environ.get("PLUGIN_EXTRA", ""),
}}
with open(os.path.join(here, "seen.tmp"), "w") as fh:
    json.dump(seen, fh)
os.replace(os.path.join(here, "seen.tmp"), os.path.join(here, "seen.json"))
if behaviour == "prompt":
    password = input("Password: ")
if behaviour == "fail":
    print({fail!r}, file=sys.stderr, flush=True)
    sys.exit(1)
print({line!r}, file=sys.stderr, flush=True)
if behaviour == "hang":
    while True:
        time.sleep(60)
time.sleep(wait)
status = {{"token": token}}
if expires_in > 0:
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=expires_in)
    status["expirationTimestamp"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
answer = {{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", "status": status}}
print(json.dumps(answer))
"""


def write_plugin(directory: Path, line: str = DEVICE_LINE) -> Path:
    """The plugin script in ``directory``; ``line`` is what it writes to stderr."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / PLUGIN
    path.write_text(SCRIPT.format(python=sys.executable, line=line, fail=FAIL_LINE))
    path.chmod(0o755)
    return path


def exec_entry(
    plugin: Path,
    behaviour: str = "device",
    *,
    token: str = "plugin-token",
    wait: float = 2.0,
    expires_in: float = 0.0,
    interactive_mode: str = "IfAvailable",
) -> dict[str, Any]:
    """The kubeconfig ``user.exec`` that runs ``plugin`` (v1, with cluster info)."""
    return {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": str(plugin),
        "args": [behaviour, token, str(wait), str(expires_in)],
        "env": [{"name": "PLUGIN_EXTRA", "value": "from-the-kubeconfig"}],
        "interactiveMode": interactive_mode,
        "provideClusterInfo": True,
        "installHint": "the test writes it",
    }


def write_kubeconfig(
    path: Path, api_port: int, ca: Path, namespace: str, exec_config: dict[str, Any]
) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "kd",
        "clusters": [
            {
                "name": "kd",
                "cluster": {"server": f"https://127.0.0.1:{api_port}", "certificate-authority": str(ca)},
            }
        ],
        "contexts": [{"name": "kd", "context": {"cluster": "kd", "user": "sso", "namespace": namespace}}],
        "users": [{"name": "sso", "user": {"exec": exec_config}}],
    }
    path.write_text(yaml.safe_dump(config))
    return path


def seen(directory: Path, timeout: float = 10.0) -> dict[str, Any]:
    """What the plugin recorded about its start (waits for the file)."""
    deadline = time.monotonic() + timeout
    path = directory / "seen.json"
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError("the exec plugin did not start")
        time.sleep(0.05)
    return json.loads(path.read_text())


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
