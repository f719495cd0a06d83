"""The sandbox that training jobs, prediction servers and notebooks run in when the platform is
shared (issue 9 §5), made with bubblewrap (``bwrap``, Debian package ``bubblewrap``).

Why: these processes run code that tenants and attendees upload. Measured before this module,
with two tenants on one platform: a training job of tenant B read tenant A's repository, A's
deployment token from the platform's database, the database itself and the OS user's
``credentials.json``, wrote into A's repository, and made a hard link that let B download A's file
through the API. Whenever the platform holds more than one tenant or user (always in workshop
mode) each such process runs in its own namespaces (user, mount, PID, IPC, UTS, cgroup and, except
notebooks, network) with every capability dropped, and sees only:

- read-only system files: ``/usr`` and the top-level ``/bin``, ``/lib`` … of the distribution, and
  a short list of ``/etc`` files (the dynamic loader's cache, time zone, ``passwd``/``group``);
  never all of ``/etc``;
- read-only the Python that runs it: the interpreter, the virtual environment, the import path
  and the ``mlops_tui`` package (never a directory that holds the platform's state, the user's
  credentials or the home directory itself);
- its own folder, writable (a job's working directory, a deployment's folder);
- what :class:`Confinement` grants: for a job, the repository folders its owner may read
  (read-only) and write (writable) by :func:`mlops_tui.platform.repo.check_folder_access`; for a
  prediction server, the model bundle and scoring package of its version, read-only;
- a private ``/tmp``, a minimal ``/dev`` and its own ``/proc`` (its own processes only).

Not the platform's state directory, database, logs, other jobs, other tenants' or attendees'
folders, nor the home directory with ``credentials.json``. A hard link to a file it cannot see
cannot be made (it cannot name the file; across mounts ``link`` fails with ``EXDEV``).

Resource limits stay those of ``limits.py``: inside the sandbox the command runs under util-linux
``prlimit`` (a limit set on ``bwrap`` from outside would race with its fork). The network is
unshared (no route out, and no abstract Unix socket such as a D-Bus session bus of the host);
a prediction server still serves, on the listening socket the platform passes it (``--fd``).
Notebooks keep the host network: Jupyter must listen on a port the attendee's browser reaches.

The command is the first process of its PID namespace (``--as-pid-1``: no other init), and
``bwrap`` waits for it and exits with its status; a command killed by signal N is reported as
128+N, which :func:`exit_status` turns back into -N as ``subprocess`` reports it. Signals go to
the command, never to ``bwrap`` (:func:`signal_process`): ``bwrap`` dies on SIGTERM at once and
would leave its child to the host's init. As a namespace's first process the command only gets
the signals it handles (the kernel drops the rest, SIGKILL aside), so SIGTERM becomes SIGINT for
a command that handles only that (a Python job: ``KeyboardInterrupt``), else SIGKILL.

Where no sandbox can be made (no ``bwrap``, or user namespaces disabled), the platform refuses to
become shared: adding a second tenant or user, and ``workshop start``, fail with
:data:`INSTALL_HINT`. ``$MLOPS_TUI_BWRAP`` names the ``bwrap`` to use (an empty value: none).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlops_tui.platform.limits import prlimit_args

BWRAP_ENV = "MLOPS_TUI_BWRAP"
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora/RHEL: dnf install "
    "bubblewrap) on the host that runs the platform; it needs user namespaces "
    "(sysctl kernel.unprivileged_userns_clone=1 where that is off)"
)
PROBE_TIMEOUT_S = 20.0

# Read-only system directories (merged-/usr distributions have symbolic links for the top ones).
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# The /etc files programs need; /etc as a whole holds secrets (shadow, ssh host keys, …).
ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "passwd",
    "group",
    "nsswitch.conf",
    "hosts",
    "host.conf",
    "resolv.conf",
    "gai.conf",
    "alternatives",
    "ssl",
    "ca-certificates",
    "pki",
    "mime.types",
    "os-release",
)


class SandboxUnavailable(RuntimeError):
    """No sandbox can be made on this host; the message says why and what to install."""


@dataclass(frozen=True)
class Confinement:
    """What one sandboxed process sees besides the system and its Python (all absolute paths).

    ``writable`` and ``readable`` must exist. ``cwd`` is where it starts. ``share_net`` keeps the
    host's network (notebooks). ``die_with_parent``: killed when the platform dies (jobs,
    notebooks; prediction servers outlive the platform for the hand-over).
    """

    cwd: Path
    writable: tuple[Path, ...] = ()
    readable: tuple[Path, ...] = ()
    share_net: bool = False
    die_with_parent: bool = True


def exit_status(returncode: int) -> int:
    """``bwrap``'s exit status as ``subprocess`` reports a direct child's: 128+N → -N (signal N)."""
    if 128 < returncode < 128 + signal.NSIG:
        with contextlib.suppress(ValueError):
            signal.Signals(returncode - 128)
            return -(returncode - 128)
    return returncode


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        pass
    found = []  # a kernel without CONFIG_PROC_CHILDREN: look for the parent in every /proc/N/stat
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def sandboxed_command(pid: int) -> int | None:
    """The command a ``bwrap`` process ``pid`` runs (its only child), or None when ``pid`` is not a
    ``bwrap`` or has not started it yet."""
    try:
        argv0 = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0]
    except OSError:
        return None
    if os.path.basename(argv0) != b"bwrap":
        return None
    children = _children(pid)
    return children[0] if children else None


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def in_sandbox(pid: int) -> bool:
    """True when ``pid`` is the command of a sandbox (its parent is a ``bwrap``)."""
    parent = _parent(pid)
    return parent is not None and sandboxed_command(parent) == pid


async def wait_for_command(pid: int, timeout: float = 5.0) -> int | None:
    """The command's pid once the ``bwrap`` process ``pid`` has started it (None if it has not
    within ``timeout`` s: it failed, and ``bwrap`` exits)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        command = sandboxed_command(pid)
        if command is not None:
            return command
        await asyncio.sleep(0.005)
    return None


def _handles(pid: int, sig: int) -> bool:
    """True when ``pid`` has a handler for ``sig`` (``SigCgt`` of ``/proc/<pid>/status``)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    except (OSError, ValueError):
        pass
    return False


def signal_process(pid: int, sig: int) -> None:
    """Send ``sig`` to what the platform started as ``pid``: its process group, or, when ``pid`` is
    a sandbox or the command in one, that command (see the module's docstring). A process already
    gone is no error."""
    command = sandboxed_command(pid)
    if command is None and in_sandbox(pid):
        command = pid
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if command is None:
            os.killpg(pid, sig)
            return
        if sig != signal.SIGKILL and not _handles(command, sig):
            sig = (
                signal.SIGINT
                if sig == signal.SIGTERM and _handles(command, signal.SIGINT)
                else signal.SIGKILL
            )
        os.kill(command, sig)


def _contains(outer: Path, inner: Path) -> bool:
    return outer == inner or outer in inner.parents


def python_paths(forbidden: Iterable[Path]) -> list[Path]:
    """The directories the Python of this process needs, read-only: interpreter, prefixes, import
    path, and the ``mlops_tui`` package (its source folders in an editable install).

    A directory that is or holds a ``forbidden`` one (the state directory, the credentials folder,
    the home directory), or lies inside the state directory, is left out, and so is the working
    directory (``python -m`` puts it on the import path, yet nothing is imported from it: the
    launcher runs the platform in its state directory, a person anywhere).
    """
    import mlops_tui

    forbidden = [Path(os.path.realpath(f)) for f in forbidden]
    state = forbidden[0] if forbidden else None
    wanted = [
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        os.path.dirname(os.path.realpath(sys.executable)),
        *[p for p in sys.path if p and os.path.realpath(p) != os.path.realpath(os.getcwd())],
        *mlops_tui.__path__,
    ]
    with contextlib.suppress(ImportError):
        import mlops_tui.lab_scripts as lab

        wanted += list(lab.__path__)
    out: list[Path] = []
    for raw in wanted:
        p = Path(os.path.realpath(raw))
        if not p.is_dir() or p == Path("/"):
            continue
        if any(_contains(p, f) for f in forbidden) or (state is not None and _contains(state, p)):
            continue
        if p not in out:
            out.append(p)
    return out


@dataclass(frozen=True)
class Bubblewrap:
    """Builds sandboxed command lines with ``executable`` (bwrap) and ``prlimit`` (util-linux)."""

    executable: str
    prlimit: str
    python: tuple[Path, ...] = ()
    # A new user namespace always where it can be made; as root in a container that forbids them,
    # "--unshare-user-try" (root keeps its uid there, with every capability dropped all the same).
    user_namespace: str = "--unshare-user"

    def command(
        self,
        argv: Sequence[str],
        confinement: Confinement,
        limits: dict[str, int | None] | None = None,
    ) -> list[str]:
        cmd = [self.executable, "--unshare-all", self.user_namespace, "--cap-drop", "ALL", "--as-pid-1"]
        if confinement.share_net:
            cmd.append("--share-net")
        if confinement.die_with_parent:
            cmd.append("--die-with-parent")
        cmd += ["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--dir", "/var/tmp"]
        for d in SYSTEM_DIRS:
            if os.path.islink(d):
                cmd += ["--symlink", os.readlink(d), d]
            elif os.path.isdir(d):
                cmd += ["--ro-bind", d, d]
        for name in ETC_FILES:
            cmd += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        binds = [(p, "--ro-bind") for p in (*self.python, *confinement.readable)]
        binds += [(p, "--bind") for p in confinement.writable]
        for path, flag in sorted(binds, key=lambda b: len(Path(b[0]).parts)):  # parents before children
            cmd += [flag, str(path), str(path)]
        # The folders bwrap made to hold the binds (the repository's root, ``data/`` …) are on its own
        # root tmpfs: read-only, or a file "saved" there would vanish with the sandbox. (A state
        # directory under /tmp, as in the tests, has them on the private /tmp: writable, and gone
        # with the sandbox all the same; nothing reaches the host either way.)
        cmd += ["--remount-ro", "/"]
        cmd += ["--chdir", str(confinement.cwd), "--setenv", "TMPDIR", "/tmp", "--"]
        if limits is not None:
            cmd += [self.prlimit, *prlimit_args(**limits), "--"]
        return cmd + list(argv)


@functools.lru_cache(maxsize=8)
def _probe(executable: str, prlimit: str, python: tuple[Path, ...], user_namespace: str) -> str | None:
    """Run the platform's Python in a sandbox once; None when it works, else why not."""
    box = Bubblewrap(executable, prlimit, python, user_namespace)
    argv = box.command(
        [sys.executable, "-c", "pass"],
        Confinement(cwd=Path("/tmp")),
        {"cpu_seconds": 60, "address_space": 8 << 30, "file_bytes": 1 << 20, "open_files": 256},
    )
    try:
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{executable} could not run: {exc}"
    if done.returncode != 0:
        from mlops_tui.platform import child_output

        said = child_output.last_line(done.stderr or done.stdout) or "no message"
        return f"{executable} failed (exit {done.returncode}): {said}"
    return None


def find(forbidden: Sequence[Path]) -> Bubblewrap:
    """The sandbox of this host, checked once; raises :class:`SandboxUnavailable` (why, what to install).

    ``forbidden``: the state directory first, then other directories no sandbox may expose.
    """
    chosen = os.environ.get(BWRAP_ENV)
    executable = shutil.which("bwrap") if chosen is None else (shutil.which(chosen) if chosen else None)
    if executable is None:
        why = f"{BWRAP_ENV} is empty" if chosen == "" else "bwrap (bubblewrap) is not installed"
        raise SandboxUnavailable(f"no sandbox for uploaded code: {why}; {INSTALL_HINT}")
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        raise SandboxUnavailable(
            "no sandbox for uploaded code: prlimit (util-linux) is not installed; install util-linux"
        )
    python = tuple(python_paths(forbidden))
    choices = ["--unshare-user", "--unshare-user-try"] if os.geteuid() == 0 else ["--unshare-user"]
    why = None
    for user_namespace in choices:
        why = _probe(executable, prlimit, python, user_namespace)
        if why is None:
            return Bubblewrap(executable, prlimit, python, user_namespace)
    raise SandboxUnavailable(f"no sandbox for uploaded code: {why}; {INSTALL_HINT}")


class Sandboxing:
    """The platform's decision: sandbox a process or not, and how.

    ``required()`` says whether the platform is shared now (more than one tenant or user, or
    workshop mode). ``forbidden`` are the directories a sandbox never shows (state dir first).
    """

    def __init__(self, required: Callable[[], bool], forbidden: Sequence[Path]) -> None:
        self.required = required
        self.forbidden = tuple(forbidden)

    def available(self) -> str | None:
        """None when a sandbox can be made here, else why not (with what to install)."""
        try:
            find(self.forbidden)
        except SandboxUnavailable as exc:
            return str(exc)
        return None

    def wrap(
        self,
        argv: Sequence[str],
        confinement: Confinement,
        limits: dict[str, int | None] | None = None,
    ) -> list[str] | None:
        """``argv`` as a sandboxed command, or None when the platform is not shared (one user's own
        platform runs their code as before). Raises :class:`SandboxUnavailable` when it is shared
        and no sandbox can be made: such code is not run at all."""
        if not self.required():
            return None
        for path in confinement.writable:
            path.mkdir(parents=True, exist_ok=True)
        return find(self.forbidden).command(argv, confinement, limits)
