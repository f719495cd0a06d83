"""Exec credential plugins (``users[].user.exec`` in a kubeconfig), run by mlops-tui itself.

The kubernetes Python client's own ``ExecProvider`` runs the plugin with ``communicate()`` and no
timeout, gives it the terminal as stdin when one is attached, and hides its stderr unless it fails:
inside the TUI a device-code line ("open https://… and enter the code WXYZ-1234") is drawn over the
screen and erased by the next repaint, and a plugin that never finishes hangs the app (issue 7 §3).
So the adapter runs the plugin here and hands the kubernetes client the credential it printed,
as plain ``token`` or ``client-certificate-data``/``client-key-data`` in the kubeconfig dict.

The protocol is client.authentication.k8s.io ``ExecCredential`` v1 and v1beta1, as documented at
https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins:

- the request goes in ``$KUBERNETES_EXEC_INFO`` (``spec.interactive`` is always false here: the
  TUI never lends its terminal; ``spec.cluster`` only when ``provideClusterInfo`` is true);
- ``interactiveMode`` (required in v1, default ``IfAvailable`` in v1beta1): ``Always`` is refused
  before the plugin starts, with the hint to run ``kubectl`` once in a shell;
- the answer on stdout carries ``status.token`` or ``status.clientCertificateData`` +
  ``clientKeyData`` (PEM), and optionally ``status.expirationTimestamp`` (RFC 3339); a credential
  is reused until then, or until the API answers 401 (``refresh``), as client-go does.

Each run: stdin is the null device, stdout is read whole, stderr is read line by line and each line
goes to the :class:`ExecListener` while the plugin runs (the TUI shows a modal, headless commands
write it to stderr). The plugin runs in its own session (``start_new_session``: no terminal signals)
and the whole process group is killed on the deadline (:data:`DEFAULT_DEADLINE_S`, the profile's
``exec_timeout``), on :meth:`PluginRun.cancel` and when the awaiting task is cancelled.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import json
import os
import re
import shlex
import shutil
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from mlops_tui.platform.names import shown
from mlops_tui.services import errors
from mlops_tui.services.kubernetes import kubeconfigs
from mlops_tui.services.kubernetes.options import KubernetesOptions

API_GROUP = "client.authentication.k8s.io"
API_VERSIONS = (f"{API_GROUP}/v1", f"{API_GROUP}/v1beta1")
# A device-code sign-in needs a person to open a browser, sign in and maybe pass MFA; device codes
# themselves usually live 15 min (RFC 8628 ``expires_in``; Microsoft Entra: 15 min). 5 min is long
# enough for the person and short enough that a plugin stuck on nothing is reported the same day.
DEFAULT_DEADLINE_S = 300.0
KILL_GRACE_S = 2.0  # SIGTERM, then SIGKILL after this long
MAX_STDERR_LINES = 200  # the latest kept for the modal and the error message; a plugin may chatter
ERROR_LINES = 12  # of them in an error message (a notification, one line of a headless command)
# Words with which plugins that wanted a terminal usually fail on a null stdin (Python's input():
# "EOF when reading a line"; Go's term.ReadPassword: "inappropriate ioctl for device").
_WANTS_TERMINAL = re.compile(
    r"\bEOF\b|inappropriate ioctl|not a (?:terminal|tty)|\bno tty\b|\bstdin\b|interactive|prompt",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://[^\s<>\"']+")
# "enter the code WXYZ-1234", "use the code ABCD1234 to authenticate", "code: ABCD-EFGH"
_CODE_AFTER_WORD = re.compile(r"\bcode\b\W{0,3}(?:is\W{0,3})?([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})*)\b")
_USER_CODE = re.compile(r"[?&]user_code=([A-Za-z0-9-]+)")
_CODE_ALONE = re.compile(r"\b([A-Z0-9]{3,}-[A-Z0-9]{3,}(?:-[A-Z0-9]{3,})*)\b")


@dataclass(frozen=True)
class ExecCredential:
    """What a plugin answered: a bearer token, or a client certificate and key (PEM text)."""

    token: str = ""
    client_certificate_data: str = ""
    client_key_data: str = ""
    expires_at: datetime | None = None  # None: valid until the API answers 401

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and (now or datetime.now(UTC)) >= self.expires_at

    def kubeconfig_user(self) -> dict[str, str]:
        """The ``users[].user`` entry that gives the kubernetes client this credential."""
        if self.token:
            return {"token": self.token}
        return {
            "client-certificate-data": base64.b64encode(self.client_certificate_data.encode()).decode(),
            "client-key-data": base64.b64encode(self.client_key_data.encode()).decode(),
        }


class PluginRun:
    """One running plugin: what it is, its stderr so far, and a way to stop it.

    Listeners get this object; :meth:`cancel` may be called from any thread.
    """

    def __init__(self, name: str, deadline_s: float) -> None:
        # Only the plugin's name, as people know it (``kubectl hpecp``, ``kubelogin``): its arguments
        # may carry a session token (``--hpecp-token=…``) and are never shown or put in messages.
        self.name = name
        self.deadline_s = deadline_s
        self.lines: list[str] = []
        self.finished = False
        self.cancelled = False
        self._loop = asyncio.get_running_loop()
        self._cancel = asyncio.Event()

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def cancel(self) -> None:
        """Stop the plugin (its whole process group); the sign-in then fails with "cancelled"."""
        self.cancelled = True
        self._loop.call_soon_threadsafe(self._cancel.set)


class ExecListener(Protocol):
    """Who hears a plugin while it runs. Called on the event loop that runs the plugin."""

    def exec_output(self, run: PluginRun, line: str) -> None:
        """One line the plugin wrote to stderr, as it arrives (without the newline)."""

    def exec_finished(self, run: PluginRun) -> None:
        """The plugin ended (answered, failed, timed out or was cancelled)."""


def sign_in_hint(text: str) -> tuple[str | None, str | None]:
    """The URL and the device code a plugin's message asks a person to use, where it has them.

    ``"To sign in, open https://login.example/device and enter the code WXYZ-1234"`` gives
    ``("https://login.example/device", "WXYZ-1234")``; either is None when the text has none.
    """
    url_match = _URL.search(text)
    url = url_match.group(0).rstrip(".,;:)]}") if url_match else None
    rest = _URL.sub(" ", text)
    # in the words first; else the user_code of a verification_uri_complete (RFC 8628 §3.3.1)
    code_match = _CODE_AFTER_WORD.search(rest) or _CODE_ALONE.search(rest) or _USER_CODE.search(url or "")
    return url, code_match.group(1) if code_match else None


# -- one run ---------------------------------------------------------------------------------------


def plugin_name(exec_config: dict[str, Any]) -> str:
    """``kubectl hpecp`` for ``/usr/bin/kubectl hpecp authenticate …``; the program name otherwise."""
    program = Path(str(exec_config.get("command") or "?")).name
    args = [str(a) for a in exec_config.get("args") or []]
    if program.startswith("kubectl") and args and not args[0].startswith("-"):
        return f"{program} {args[0]}"
    return program


def _interactive_mode(exec_config: dict[str, Any], api_version: str) -> str:
    mode = exec_config.get("interactiveMode") or ("" if api_version.endswith("/v1") else "IfAvailable")
    if mode not in ("Never", "IfAvailable", "Always"):
        raise errors.InvalidInput(
            f"the kubeconfig's exec plugin has interactiveMode {shown(mode or 'unset')}; "
            "client.authentication.k8s.io/v1 needs Never, IfAvailable or Always",
            field="kubeconfig",
        )
    return mode


def _cluster_info(cluster: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """``spec.cluster`` of the request: the kubeconfig cluster, CA always as data (base64 PEM)."""
    info: dict[str, Any] = {"server": cluster.get("server", "")}
    for key in ("tls-server-name", "insecure-skip-tls-verify", "proxy-url", "disable-compression"):
        if cluster.get(key):
            info[key] = cluster[key]
    ca_data = cluster.get("certificate-authority-data")
    if not ca_data and cluster.get("certificate-authority"):
        ca_path = Path(str(cluster["certificate-authority"])).expanduser()
        if base_dir is not None and not ca_path.is_absolute():
            ca_path = base_dir / ca_path
        with contextlib.suppress(OSError):
            ca_data = base64.b64encode(ca_path.read_bytes()).decode()
    if ca_data:
        info["certificate-authority-data"] = ca_data
    extension = next(
        (
            e.get("extension")
            for e in cluster.get("extensions") or []
            if e.get("name") == "client.authentication.k8s.io/exec"
        ),
        None,
    )
    if extension is not None:
        info["config"] = extension
    return info


def _program(exec_config: dict[str, Any], base_dir: Path | None) -> str:
    """client-go's rule: a command with a path separator but not absolute is relative to the kubeconfig."""
    command = str(exec_config.get("command") or "")
    if base_dir is not None and os.sep in command and not os.path.isabs(command):
        return str(base_dir / command)
    return command


# Linux: the plugin is sent SIGTERM when mlops-tui dies (PR_SET_PDEATHSIG = 1, kept across exec).
# Its own session keeps it away from the terminal's signals, so without this an SSH hang-up that
# kills the TUI would leave a plugin waiting for a sign-in nobody will see. A few lines of Python
# run first (in the plugin's process, which then becomes the plugin): no preexec_fn, which is
# unsafe in a program with threads.
_PDEATHSIG_SHIM = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None).prctl(1, signal.SIGTERM)\n"
    "if os.getppid() != int(sys.argv[1]):\n"
    "    sys.exit(1)\n"  # mlops-tui died before prctl
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def _dies_with_us() -> list[str]:
    """The argv prefix that ties the plugin's life to ours, where the OS can (Linux)."""
    if not sys.platform.startswith("linux"):
        return []
    return [sys.executable, "-I", "-S", "-c", _PDEATHSIG_SHIM, str(os.getpid())]


def _needs_a_person(message: str, hint: str) -> errors.AuthFailed:
    """A refusal that running the plugin again cannot change (the person cancelled, or it wants a
    terminal): :class:`ExecAuth` repeats it instead of starting the plugin again."""
    exc = errors.AuthFailed(message, hint=hint)
    exc.needs_a_person = True  # type: ignore[attr-defined]
    return exc


def _kill_group(proc: asyncio.subprocess.Process, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)  # the plugin leads its own session, so its group id is its pid


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM the plugin's process group, SIGKILL after :data:`KILL_GRACE_S`."""
    _kill_group(proc, signal.SIGTERM)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(proc.wait(), KILL_GRACE_S)
    _kill_group(proc, signal.SIGKILL)  # also children that ignored SIGTERM after the leader left
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(proc.wait(), KILL_GRACE_S)


async def run_plugin(
    exec_config: dict[str, Any],
    cluster: dict[str, Any],
    *,
    deadline_s: float = DEFAULT_DEADLINE_S,
    listener: ExecListener | None = None,
    kubectl_hint: str = "kubectl get namespaces",
    base_dir: Path | None = None,
) -> ExecCredential:
    """Run one exec credential plugin and return what it printed.

    ``exec_config`` is the kubeconfig's ``user.exec``; ``cluster`` the context's ``cluster`` entry
    (sent when ``provideClusterInfo``). ``kubectl_hint`` is the command a person can run in a shell
    to let the plugin ask its questions once.

    Raises :class:`errors.AuthFailed` when the plugin wants a terminal, is not installed, exits
    non-zero (the message carries its stderr), prints no usable ExecCredential or is cancelled
    ("sign-in cancelled"); :class:`errors.Unreachable` when it does not finish within
    ``deadline_s`` seconds; :class:`errors.InvalidInput` for a malformed ``exec`` entry.
    """
    api_version = str(exec_config.get("apiVersion") or "")
    name = plugin_name(exec_config)
    if api_version not in API_VERSIONS:
        raise errors.InvalidInput(
            f"the kubeconfig's exec plugin {name} asks for {api_version or 'no apiVersion'}; "
            f"mlops-tui speaks {' and '.join(API_VERSIONS)}",
            field="kubeconfig",
        )
    if not exec_config.get("command"):
        raise errors.InvalidInput("the kubeconfig's exec entry has no command", field="kubeconfig")
    mode = _interactive_mode(exec_config, api_version)
    shell_first = f"run `{kubectl_hint}` once in a shell first (the plugin can ask you there), then try again"
    if mode == "Always":
        raise _needs_a_person(
            f"the exec credential plugin {name} needs a terminal (interactiveMode: Always), "
            "and mlops-tui never lends it one",
            shell_first,
        )
    request: dict[str, Any] = {
        "apiVersion": api_version,
        "kind": "ExecCredential",
        "spec": {"interactive": False},
    }
    if exec_config.get("provideClusterInfo"):
        request["spec"]["cluster"] = _cluster_info(cluster, base_dir)
    env = dict(os.environ)
    for item in exec_config.get("env") or []:
        env[str(item.get("name"))] = str(item.get("value", ""))
    env["KUBERNETES_EXEC_INFO"] = json.dumps(request)
    program = _program(exec_config, base_dir)
    found = shutil.which(program, path=env.get("PATH"))
    install = str(exec_config.get("installHint") or "").strip()
    if found is None:
        raise errors.AuthFailed(
            f"the exec credential plugin {name} cannot be started: {program} is not found or not executable",
            hint=install or f"install {program} or fix the kubeconfig's exec command",
        )
    argv = [*_dies_with_us(), found, *(str(a) for a in exec_config.get("args") or [])]
    run = PluginRun(name, deadline_s)
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise errors.AuthFailed(
            f"the exec credential plugin {name} cannot be started: {exc.strerror or exc}",
            hint=install or f"install {program} or fix the kubeconfig's exec command",
        ) from None
    try:
        stdout = await _supervise(proc, run, listener)
    finally:
        run.finished = True
        if listener is not None:
            listener.exec_finished(run)
    if proc.returncode != 0:
        # its last words: where a plugin explains a failure (a traceback ends with the exception)
        said = "\n".join(run.lines[-ERROR_LINES:]).strip() or "(it wrote nothing to stderr)"
        wants_terminal = mode == "IfAvailable" and _WANTS_TERMINAL.search(said) is not None
        raise errors.AuthFailed(
            f"the exec credential plugin {name} failed (exit {proc.returncode}): {said}",
            hint=shell_first
            if wants_terminal
            else f"check the plugin's message; `{kubectl_hint}` shows it too",
        )
    return _parse(stdout, api_version, name)


async def _supervise(
    proc: asyncio.subprocess.Process, run: PluginRun, listener: ExecListener | None
) -> bytes:
    """Stream stderr to ``listener`` and collect stdout until the plugin exits, the deadline passes
    or the run is cancelled; the process group is killed in the last two cases (and on task cancel)."""
    assert proc.stdout is not None and proc.stderr is not None
    stderr, stdout = proc.stderr, proc.stdout

    async def pump_stderr() -> None:
        while raw := await stderr.readline():
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            run.lines.append(line)
            del run.lines[:-MAX_STDERR_LINES]  # the latest ones: a failure is explained last
            if listener is not None:
                listener.exec_output(run, line)

    readers = [asyncio.ensure_future(pump_stderr()), asyncio.ensure_future(stdout.read())]
    exited = asyncio.ensure_future(proc.wait())
    cancelled = asyncio.ensure_future(run._cancel.wait())
    try:
        done, _ = await asyncio.wait(
            {exited, cancelled}, timeout=run.deadline_s, return_when=asyncio.FIRST_COMPLETED
        )
        if exited not in done:
            await _stop(proc)
            if cancelled in done:
                raise _needs_a_person(
                    f"sign-in cancelled: the exec credential plugin {run.name} was stopped",
                    "log in again when you are ready to sign in",
                )
            raise errors.Unreachable(
                f"the exec credential plugin {run.name} did not finish within {run.deadline_s:g} s",
                hint="finish its sign-in in time, or raise exec_timeout in the profile",
            )
        # The plugin has exited; a child it left behind may still hold the pipes: wait briefly.
        await asyncio.wait(readers, timeout=KILL_GRACE_S)
        return readers[1].result() if readers[1].done() else b""
    finally:
        if proc.returncode is None:  # cancelled from outside (Ctrl-C, the app closing)
            await asyncio.shield(_stop(proc))
        for task in (*readers, exited, cancelled):
            task.cancel()


def _parse(stdout: bytes, api_version: str, name: str) -> ExecCredential:
    bad = f"the exec credential plugin {name} printed no usable ExecCredential"
    hint = "check the plugin's version and arguments in the kubeconfig"
    try:
        data = json.loads(stdout.decode("utf-8", "replace") or "null")
    except ValueError as exc:
        raise errors.AuthFailed(f"{bad} (not JSON: {exc})", hint=hint) from None
    if not isinstance(data, dict) or data.get("kind") != "ExecCredential":
        raise errors.AuthFailed(f"{bad} (no kind ExecCredential)", hint=hint)
    if data.get("apiVersion") != api_version:
        raise errors.AuthFailed(
            f"{bad} (apiVersion {json.dumps(data.get('apiVersion'))}, asked {api_version})", hint=hint
        )
    status = data.get("status") or {}
    token = str(status.get("token") or "")
    cert, key = str(status.get("clientCertificateData") or ""), str(status.get("clientKeyData") or "")
    if not token and not (cert and key):
        raise errors.AuthFailed(
            f"{bad} (status has neither token nor clientCertificateData+clientKeyData)", hint=hint
        )
    expires_at = None
    if status.get("expirationTimestamp"):
        try:
            expires_at = datetime.fromisoformat(str(status["expirationTimestamp"]))
        except ValueError:
            raise errors.AuthFailed(
                f"{bad} (expirationTimestamp {json.dumps(status['expirationTimestamp'], default=str)} "
                "is not RFC 3339)",
                hint=hint,
            ) from None
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
    return ExecCredential(token, cert, key, expires_at)


# -- the kubeconfig side ---------------------------------------------------------------------------


def _selected(config: dict[str, Any], context: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The user name, ``user`` entry and ``cluster`` entry the (current or named) context selects."""
    name = context or config.get("current-context", "")
    ctx = next((c.get("context") or {} for c in config.get("contexts") or [] if c.get("name") == name), {})
    user_name = str(ctx.get("user", ""))
    user = next((u.get("user") or {} for u in config.get("users") or [] if u.get("name") == user_name), {})
    cluster = next(
        (c.get("cluster") or {} for c in config.get("clusters") or [] if c.get("name") == ctx.get("cluster")),
        {},
    )
    return user_name, user, cluster


class ExecAuth:
    """Credentials from the kubeconfig's exec plugin, for one adapter: run, cache, refresh.

    ``kubectl_hint()`` is the shell command offered when a plugin needs a person at a terminal;
    ``base_dir()`` the kubeconfig's directory (relative commands and CA files), or None.
    """

    def __init__(
        self,
        *,
        deadline_s: float = DEFAULT_DEADLINE_S,
        kubectl_hint: Callable[[], str] = lambda: "kubectl get namespaces",
        base_dir: Callable[[], Path | None] = lambda: None,
    ) -> None:
        self.deadline_s = deadline_s
        self.listener: ExecListener | None = None
        self.runs = 0  # how many times a plugin was run (tests, and "was it cached?")
        self._kubectl_hint = kubectl_hint
        self._base_dir = base_dir
        self._cache: dict[str, ExecCredential] = {}
        self._in_use: ExecCredential | None = None
        # Cancelled sign-ins and plugins that want a terminal: not started again by this adapter
        # (a poll must not reopen the modal the person just closed); logging in again builds a new one.
        self._refused: dict[str, errors.AuthFailed] = {}

    @property
    def in_use(self) -> ExecCredential | None:
        """The credential the plugin last gave (None: no exec user, or not run yet)."""
        return self._in_use

    def expired(self) -> bool:
        """True once the credential the client was last built with has passed its expiry."""
        return self._in_use is not None and self._in_use.expired()

    @classmethod
    def for_options(cls, options: KubernetesOptions) -> ExecAuth:
        """The profile's deadline (``exec_timeout``), and its kubeconfig file in the kubectl hint."""
        if options.ezmeral:
            path: Path | None = kubeconfigs.kubeconfig_path(options.profile, options.kubeconfig_dir)
        else:
            path = Path(options.kubeconfig_path).expanduser() if options.kubeconfig_path else None
        words = ["kubectl"]
        if path is not None:
            words += ["--kubeconfig", str(path)]
        if options.context:
            words += ["--context", options.context]
        hint = shlex.join([*words, "auth", "can-i", "create", "kubedirectorclusters"])
        return cls(
            deadline_s=options.exec_timeout,
            kubectl_hint=lambda: hint,
            base_dir=lambda: path.parent if path is not None else None,
        )

    async def resolve(
        self, config: dict[str, Any], context: str = "", *, refresh: bool = False
    ) -> dict[str, Any]:
        """``config`` with the selected user's ``exec`` replaced by the credential it gives.

        A kubeconfig without an exec user comes back unchanged. A cached credential is reused until
        its ``expirationTimestamp``; ``refresh`` (after a 401) runs the plugin again. A cancelled
        sign-in or a plugin that wants a terminal is refused again without running it. Callers
        serialise calls (:class:`~mlops_tui.services.kubernetes.kube.KubeApi` holds its lock).
        """
        user_name, user, cluster = _selected(config, context)
        exec_config = user.get("exec")
        if not isinstance(exec_config, dict):
            self._in_use = None
            return config
        key = json.dumps([exec_config, cluster.get("server")], sort_keys=True, default=str)
        if key in self._refused:
            raise self._refused[key]
        credential = self._cache.get(key)
        if refresh or credential is None or credential.expired():
            self._cache.pop(key, None)
            self.runs += 1
            try:
                credential = await run_plugin(
                    exec_config,
                    cluster,
                    deadline_s=self.deadline_s,
                    listener=self.listener,
                    kubectl_hint=self._kubectl_hint(),
                    base_dir=self._base_dir(),
                )
            except errors.AuthFailed as exc:
                if getattr(exc, "needs_a_person", False):
                    self._refused[key] = exc
                raise
            self._cache[key] = credential
        self._in_use = credential
        resolved = copy.deepcopy(config)
        for entry in resolved.get("users") or []:
            if entry.get("name") == user_name:
                entry["user"] = credential.kubeconfig_user()
        return resolved
