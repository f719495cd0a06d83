"""Where one user's platform keeps its state, and how a running platform is found and locked.

One platform per OS user (design §5): the state directory defaults to the user's own XDG state
home, the discovery file ``platform.json`` is private (0600), and ``platform.lock`` (``flock``)
keeps a second ``serve`` off the same directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import signal
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlops_tui.platform.shown_paths import PathShower


def utcnow() -> str:
    """Timestamps are stored as ISO-8601 UTC strings everywhere in the platform."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """``$MLOPS_TUI_STATE_DIR``, else ``$XDG_STATE_HOME/mlops-tui/platform``, else ``~/.local/state/...``."""
    env = os.environ if env is None else env
    if env.get("MLOPS_TUI_STATE_DIR"):
        return Path(env["MLOPS_TUI_STATE_DIR"]).expanduser()
    if env.get("XDG_STATE_HOME"):
        return Path(env["XDG_STATE_HOME"]).expanduser() / "mlops-tui" / "platform"
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return home / ".local" / "state" / "mlops-tui" / "platform"


@dataclass(frozen=True)
class StatePaths:
    """Every file and directory of one platform, in one place (contract §1)."""

    root: Path

    @classmethod
    def resolve(cls, state_dir: str | os.PathLike[str] | None = None) -> StatePaths:
        return cls(Path(state_dir).expanduser().absolute() if state_dir else default_state_dir().absolute())

    @property
    def db(self) -> Path:
        return self.root / "platform.db"

    @functools.cached_property
    def shower(self) -> PathShower:
        """How this platform's paths are shown to users (shown_paths: repository-relative, <state>)."""
        from mlops_tui.platform.shown_paths import PathShower

        return PathShower(self.root, self.repo_root)

    @property
    def lock(self) -> Path:
        return self.root / "platform.lock"

    @property
    def info(self) -> Path:
        return self.root / "platform.json"

    @property
    def repo_root(self) -> Path:
        return self.root / "repo"

    @property
    def jobs(self) -> Path:
        return self.root / "jobs"

    @property
    def deployments(self) -> Path:
        return self.root / "deployments"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def initial_password(self) -> Path:
        return self.root / "initial-password"

    @property
    def refused(self) -> Path:
        """The last refused start's one-line diagnosis (removed by the next start that passes)."""
        return self.root / "platform.refused"

    def tenant_repo(self, namespace: str) -> Path:
        return self.repo_root / namespace

    def job_dir(self, job_id: int | str) -> Path:
        return self.jobs / str(job_id)

    def deployment_dir(self, namespace: str, name: str) -> Path:
        return self.deployments / namespace / name

    def notebook_dir(self, namespace: str, name: str) -> Path:
        return self.notebooks / namespace / name

    def ensure(self) -> None:
        """Create the tree, private to this user (0700): other users on a jump host cannot read it."""
        for d in (self.root, self.repo_root, self.jobs, self.deployments, self.notebooks, self.logs):
            d.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)


# The exit status of a ``serve`` that refused its state directory (sysexits.h EX_DATAERR).
EXIT_STATE_REFUSED = 65
# The signal that stops ``serve`` for a restart: its prediction servers keep serving and the next
# platform takes their sockets over (``handover``). SIGTERM, SIGINT and SIGHUP stop them with it.
# ``mlops-tui platform restart`` sends it (``services/local/launcher.py`` has the same number).
HANDOVER_SIGNAL = signal.SIGUSR1


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Files and directories created inside are private to this user (umask 077), as the state is."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def read_refused(root: Path) -> str | None:
    """The diagnosis of the last refused start of the platform of ``root``, if any."""
    try:
        return (root / "platform.refused").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def new_sibling_dir(root: Path, label: str) -> Path:
    """Create and return an empty directory ``<root>.<label>-<UTC time>`` (0700) beside ``root``.

    The name is unique even when two calls fall in the same second (``-2``, ``-3`` … are added):
    the directory is made with an exclusive ``mkdir``, so a name is never taken twice.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = f"{root.name}.{label}-{stamp}"
    for n in range(1, 1000):
        target = root.with_name(base if n == 1 else f"{base}-{n}")
        try:
            target.mkdir(mode=0o700)
        except FileExistsError:
            continue
        return target
    raise FileExistsError(f"{root.with_name(base)}-1 … -999 all exist: remove some of them")


def move_aside(paths: StatePaths) -> Path:
    """Rename the state directory to ``<dir>.aside-<UTC time>`` (nothing deleted); returns the new path.

    Refuses (:class:`AlreadyRunning`) while a platform runs on it. The next start makes a new platform.
    """
    if not paths.root.is_dir():
        raise FileNotFoundError(f"there is no state directory at {paths.root}")
    lock = PlatformLock(paths)
    lock.acquire()
    try:
        target = new_sibling_dir(paths.root, "aside")
        try:
            os.rename(paths.root, target)  # onto the empty directory just made: atomic on POSIX
        except OSError:
            with contextlib.suppress(OSError):
                target.rmdir()
            raise
        return target
    finally:
        lock.release()


def write_private(path: Path, data: bytes) -> None:
    """Write ``path`` atomically with mode 0600 (tokens and passwords live in such files)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


class AlreadyRunning(RuntimeError):
    """Another ``serve`` holds the lock of this state directory."""


class PlatformLock:
    """An exclusive ``flock`` on ``platform.lock``; released by the kernel if the process dies."""

    def __init__(self, paths: StatePaths) -> None:
        self.paths = paths
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.paths.lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            info = read_info(self.paths) or {}
            where = f" at {info['url']} (pid {info.get('pid')})" if info.get("url") else ""
            raise AlreadyRunning(
                f"a local platform is already running on {self.paths.root}{where}; "
                "stop it first or use another --state-dir"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
            self._fd = None


def write_info(paths: StatePaths, *, url: str, port: int, started_at: str, version: str) -> None:
    info = {"url": url, "pid": os.getpid(), "port": port, "started_at": started_at, "version": version}
    write_private(paths.info, json.dumps(info).encode())


def read_info(paths: StatePaths) -> dict[str, Any] | None:
    try:
        return json.loads(paths.info.read_text())
    except (OSError, ValueError):
        return None


def remove_info(paths: StatePaths) -> None:
    with contextlib.suppress(FileNotFoundError):
        paths.info.unlink()
