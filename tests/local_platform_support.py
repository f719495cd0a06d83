"""Support for tests on a real local platform process, used by the fixtures of ``tests/conftest.py``."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from mlops_tui.lab_scripts.features import WORKSHOP_EXAMPLE

from mlops_tui.platform.state import HANDOVER_SIGNAL
from mlops_tui.services.types import Credentials

REPLACE = {"replace": "true"}  # tests write their own fixture files, over earlier ones
V1 = "/api/mlops/v1"
DEFAULT_TENANT = "K8sMLTenant"
DEFAULT_USER = "student01"
START_TIMEOUT_S = 60.0
DEFAULT_DATA = "data/NYCTaxi/synthetic-yellow-2019H1.csv"
# The workshop's Lab 5 example ride (its `work` flag is inconsistent on purpose: the model derives it).
WORKSHOP_RIDE: dict[str, Any] = dict(WORKSHOP_EXAMPLE)


def isolated_env(home: Path) -> dict[str, str]:
    """The environment of a process that must not touch the real home, keyring or platform."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLOPS_TUI_", "XDG_", "DBUS_")) and k != "PYTHON_KEYRING_BACKEND"
    }
    env.update(
        {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_STATE_HOME": str(home / ".local" / "state"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@dataclass
class LocalPlatform:
    """A platform subprocess on one state directory; ``restart`` keeps its port (and so its URL)."""

    state_dir: Path
    home: Path
    credentials: Credentials | None = None
    extra_args: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    adopted_pid: int | None = None  # a platform the CLI started on this state dir (see adopt)
    port: int = 0
    url: str = ""

    @property
    def env(self) -> dict[str, str]:
        return {**isolated_env(self.home), **self.extra_env}

    @property
    def log_path(self) -> Path:
        return self.state_dir / "serve.out"

    def start(self, port: int | None = None) -> LocalPlatform:
        self.home.mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        cmd = [
            sys.executable,
            "-m",
            "mlops_tui.platform",
            "serve",
            "--state-dir",
            str(self.state_dir),
            "--port",
            str(self.port if port is None else port),
            *self.extra_args,
        ]
        with self.log_path.open("ab") as out:
            self.proc = subprocess.Popen(
                cmd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self.home,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        info_path = self.state_dir / "platform.json"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the platform exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                info = json.loads(info_path.read_text())
            except (OSError, ValueError):
                info = {}
            if info.get("pid") == self.proc.pid:
                try:
                    if httpx.get(info["url"] + V1 + "/health", timeout=2).status_code == 200:
                        self.port, self.url = info["port"], info["url"]
                        if self.credentials is not None:
                            self.credentials = Credentials(
                                self.url,
                                self.credentials.tenant,
                                self.credentials.user,
                                self.credentials.password,
                            )
                        return self
                except httpx.HTTPError:
                    pass
            time.sleep(0.05)
        self.stop(signal.SIGKILL)
        raise RuntimeError(f"the platform did not become healthy in {START_TIMEOUT_S} s: {self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        """SIGTERM: stop it and its prediction servers (``platform stop``); ``HANDOVER_SIGNAL``:
        stop it for a restart (its servers serve on); SIGKILL: a platform that dies."""
        if self.adopted_pid is not None:
            return self._stop_adopted(sig, timeout)
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)

    def restart(self) -> LocalPlatform:
        """What ``platform restart`` does: the deployments are handed over, none stops answering."""
        self.stop(HANDOVER_SIGNAL)
        return self.start(port=self.port)

    def cli(
        self, *args: str, timeout: float = 120, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``mlops-tui ARGS`` as a person runs it, on this platform's state directory and HOME."""
        self.home.mkdir(parents=True, exist_ok=True)
        return subprocess.run(
            [sys.executable, "-m", "mlops_tui.cli", *args],
            env={**self.env, "MLOPS_TUI_STATE_DIR": str(self.state_dir)},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=self.home,
            input=stdin,
        )

    def adopt(self) -> LocalPlatform:
        """Take charge of the platform that now runs on this state directory (started by the CLI,
        e.g. ``platform restart``: not a child of ours), so that :meth:`stop` stops it."""
        info = json.loads((self.state_dir / "platform.json").read_text())
        self.proc, self.adopted_pid = None, info["pid"]
        self.port, self.url = info["port"], info["url"]
        return self

    def _stop_adopted(self, sig: int, timeout: float) -> None:
        pid, self.adopted_pid = self.adopted_pid, None
        assert pid is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while _running(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _running(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return None

    def add_user(self, tenant: str, user: str, password: str) -> Credentials:
        """``python -m mlops_tui.platform add-user --reset`` (the real admin CLI) on this state
        directory: the user exists afterwards with ``password``, whether or not they did before."""
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "mlops_tui.platform",
                "add-user",
                "--state-dir",
                str(self.state_dir),
                "--tenant",
                tenant,
                "--user",
                user,
                "--password-stdin",
                "--reset",
            ],
            input=password + "\n",
            text=True,
            capture_output=True,
            env=self.env,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            if "bubblewrap" in done.stderr:  # a second user needs a sandbox; this host has none
                import pytest

                pytest.skip(f"needs bubblewrap (bwrap) for a second user: {done.stderr.strip()}")
            raise RuntimeError(f"add-user failed ({done.returncode}): {done.stderr.strip()}")
        return Credentials(self.url, tenant, user, password)

    def login(self, credentials: Credentials | None = None) -> httpx.Client:
        """An httpx client on the platform with a fresh session (``X-BDS-SESSION`` set)."""
        creds = credentials or self.credentials
        assert creds is not None
        client = httpx.Client(base_url=self.url, timeout=30)
        r = client.post(
            "/api/v2/session",
            json={"name": creds.user, "password": creds.password, "tenant_name": creds.tenant},
        )
        assert r.status_code == 201, r.text
        client.headers["X-BDS-SESSION"] = r.headers["Location"]
        return client

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def _running(pid: int) -> bool:
    """Alive and not a zombie (a process whose parent has not reaped it yet has exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


class PlatformFactory:
    """Start extra platforms (each on its own state dir and HOME); all are stopped at teardown."""

    def __init__(self, root: Path, seed_cache: Path | None = None) -> None:
        self.root = root
        self.seed_cache = seed_cache
        self.started: list[LocalPlatform] = []

    def new(
        self,
        name: str,
        *,
        user: str | None = DEFAULT_USER,
        tenant: str = DEFAULT_TENANT,
        extra_args: list[str] | None = None,
        extra_env: dict[str, str] | None = None,
        start: bool = True,
    ) -> LocalPlatform:
        base = self.root / name
        p = LocalPlatform(
            state_dir=base / "state",
            home=base / "home",
            extra_args=extra_args or [],
            extra_env=extra_env or {},
        )
        p.state_dir.mkdir(parents=True, exist_ok=True)
        if self.seed_cache is not None and self.seed_cache.is_dir():
            # The default data set is generated once per state dir; reuse the one already made.
            shutil.copytree(self.seed_cache, p.state_dir / "cache" / "default-data", dirs_exist_ok=True)
        if user is not None:
            password = secrets.token_urlsafe(12)
            p.credentials = p.add_user(tenant, user, password)
        self.started.append(p)
        return p.start() if start else p

    def close(self) -> None:
        for p in self.started:
            p.stop()


def lab_scripts_dir() -> Path:
    import mlops_tui.lab_scripts

    return Path(mlops_tui.lab_scripts.__file__).parent


def upload_lab_code(client: httpx.Client, user: str) -> str:
    """Lab 3's upload: the lab_scripts package to ``code/<user>/taxi/`` in the project repository."""
    src = lab_scripts_dir()
    for path in sorted(src.rglob("*")):
        if (
            path.is_file()
            and "__pycache__" not in path.parts
            and path.suffix in (".py", ".csv", ".md", ".json")
        ):
            rel = path.relative_to(src).as_posix()
            r = client.put(f"{V1}/repo/code/{user}/taxi/{rel}", params=REPLACE, content=path.read_bytes())
            assert r.status_code == 201, r.text
    return f"code/{user}/taxi"


# Training code that writes what real jobs write to a terminal (issue 7, part 5): SGR colours, a
# tqdm-style bar in "\r" frames, then a failure whose last line (the job's message) holds an OSC
# title change, colours and bells.
NOISY_TRAIN = r"""
import sys

print("\x1b[32mINFO\x1b[0m starting training")
print("\x1b[1;33mWARNING\x1b[0m learning rate is high")
frames = "".join(f"\r{pct:3d}%|{'#' * (pct // 10):<10}| {pct}/100" for pct in range(0, 101, 10))
sys.stdout.write(frames + "\n")
print("\x1b]0;pwned\x07\x1b[31mERROR\x1b[0m out of memory\x07")
sys.exit(3)
"""
NOISY_NAME = "\x1b[1mnoisy\x1b[0m \x1b]2;title\x07job"


def submit_noisy_job(client: httpx.Client, user: str = DEFAULT_USER) -> dict[str, Any]:
    """Upload ``NOISY_TRAIN`` as ``code/<user>/noisy/train.py``, run it, wait for its failure."""
    r = client.put(f"{V1}/repo/code/{user}/noisy/train.py", params=REPLACE, content=NOISY_TRAIN.encode())
    assert r.status_code == 201, r.text
    r = client.post(
        f"{V1}/jobs",
        json={
            "cluster": "training-engine-shared",
            "code": f"code/{user}/noisy",
            "data": DEFAULT_DATA,
            "output": f"models/{user}/noisy",
            "name": NOISY_NAME,
        },
    )
    assert r.status_code == 201, r.text
    return wait_job(client, r.json()["id"])


def wait_job(client: httpx.Client, job_id: str, timeout: float = 180) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"{V1}/jobs/{job_id}").json()
        if job["state"] in ("finished", "failed", "cancelled"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end within {timeout} s")


def wait_state(
    client: httpx.Client,
    path: str,
    states: tuple[str, ...] = ("configured", "config error"),
    timeout: float = 60,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        obj = client.get(path).json()
        if obj.get("state") in states:
            return obj
        time.sleep(0.1)
    raise AssertionError(f"{path} did not reach {states} within {timeout} s: {obj}")


def submit_training(
    client: httpx.Client, code: str, *, user: str = DEFAULT_USER, data: str = DEFAULT_DATA, **params: Any
) -> dict[str, Any]:
    r = client.post(
        f"{V1}/jobs",
        json={
            "cluster": "training-engine-shared",
            "code": code,
            "data": data,
            "output": f"models/{user}",
            "params": params,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


# -- workshop mode (issue 9) ----------------------------------------------------------------------


def has_sandbox() -> bool:
    """bubblewrap works here (the platform's own check); the workshop tests skip where it does not."""
    from mlops_tui.platform.sandbox import SandboxUnavailable, find

    try:
        find([Path("/nonexistent-state")])
    except SandboxUnavailable:
        return False
    return True


@dataclass
class Workshop:
    """A workshop platform (shared mode) with its accounts' passwords."""

    platform: LocalPlatform
    tenant: str
    facilitator: str
    passwords: dict[str, str]

    def login(self, user: str, tenant: str | None = None) -> httpx.Client:
        creds = Credentials(self.platform.url, tenant or self.tenant, user, self.passwords[user])
        return self.platform.login(creds)

    def credentials(self, user: str) -> Credentials:
        return Credentials(self.platform.url, self.tenant, user, self.passwords[user])


def start_workshop(
    factory: PlatformFactory,
    name: str,
    attendees: list[str],
    *,
    tenant: str = DEFAULT_TENANT,
    extra_args: list[str] | None = None,
    **settings: Any,
) -> Workshop:
    """A workshop made with the platform's own set-up (``platform.workshop.setup``, what
    ``mlops-tui workshop start`` runs), then started like any platform."""
    from mlops_tui.platform import workshop

    platform = factory.new(name, user=None, start=False, extra_args=extra_args)
    workshop.setup(
        platform.state_dir, tenant=tenant, facilitator="facilitator", attendees=attendees, **settings
    )
    accounts = json.loads((platform.state_dir / workshop.ACCOUNTS_FILE).read_text())
    platform.start()
    return Workshop(platform, tenant, "facilitator", accounts)


def probe_job(client: httpx.Client, user: str, source: str, name: str = "probe") -> dict[str, Any]:
    """Run ``source`` as ``code/<user>/<name>/train.py`` on the shared training cluster; its
    finished job (``log`` holds what it printed)."""
    r = client.put(f"{V1}/repo/code/{user}/{name}/train.py", params=REPLACE, content=source.encode())
    assert r.status_code == 201, r.text
    r = client.post(
        f"{V1}/jobs",
        json={
            "cluster": "training-engine-shared",
            "code": f"code/{user}/{name}",
            "data": DEFAULT_DATA,
            "output": f"models/{user}/{name}",
        },
    )
    assert r.status_code == 201, r.text
    job = wait_job(client, r.json()["id"])
    job["log"] = client.get(f"{V1}/jobs/{job['id']}/log", params={"follow": False}).text
    return job
