"""A whole class on one workshop platform: the facilitator's ``workshop start``, each attendee's
``join`` and ``lab run`` in their own HOME, all at once (issue 9's must-show). Used by
``tests/cli/test_workshop_class.py`` and ``benchmarks/workshop_class.py``."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

V1 = "/api/mlops/v1"
RUN_TIMEOUT_S = 600.0


def home_env(home: Path) -> dict[str, str]:
    """One person's environment: their HOME only (no XDG overrides, no D-Bus, so no keyring)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MLOPS_TUI_", "DBUS_"))}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env.update(HOME=str(home), PYTHONUNBUFFERED="1", COLUMNS="120")
    return env


def cli(
    home: Path, *args: str, stdin: str | None = None, timeout: float = 180, python: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "mlops_tui.cli", *args],
        env=home_env(home),
        cwd=home,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class Attendee:
    user: str
    home: Path
    returncode: int | None = None
    seconds: float = 0.0
    output: str = ""


@dataclass
class ClassRun:
    url: str
    wall_s: float
    attendees: list[Attendee]
    jobs: list[dict[str, Any]] = field(default_factory=list)  # every job of the tenant, from the API
    view: dict[str, Any] = field(default_factory=dict)  # GET /class
    facilitator_home: Path | None = None
    state: Path | None = None  # the workshop platform's state directory
    facilitator_password: str = ""

    def job_of(self, user: str) -> list[dict[str, Any]]:
        return [j for j in self.jobs if j["user"] == user]


def _handout(path: Path) -> dict[str, tuple[str, str]]:
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("USER"))
    return {u: (p, c) for u, p, c in (line.split(maxsplit=2) for line in lines[at + 1 :])}


@dataclass(frozen=True)
class StartedClass:
    """A class's platform as the facilitator started it, nobody joined yet."""

    home: Path  # the facilitator's
    state: Path
    url: str  # the handout's
    passwords: dict[str, str]  # every attendee's and the facilitator's


@contextlib.contextmanager
def started_class(home: Path, attendees: int, *, seed_cache: Path | None = None) -> Iterator[StartedClass]:
    """``workshop start --attendees N --workers 1`` in ``home`` (the default data copied from
    ``seed_cache``: it takes seconds to generate); ``workshop stop`` when the block ends."""
    state = home / "workshop"
    if seed_cache is not None and seed_cache.is_dir():
        shutil.copytree(seed_cache, state / "cache" / "default-data", dirs_exist_ok=True)
    started = cli(
        home, "workshop", "start", "--attendees", str(attendees), "--workers", "1", "--state-dir", str(state)
    )
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        handout = _handout(state / "handout.txt")
        passwords = {user: password for user, (password, _) in handout.items()}
        passwords["facilitator"] = json.loads((state / "workshop-accounts.json").read_text())["facilitator"]
        yield StartedClass(home, state, handout["student01"][1].split()[2], passwords)
    finally:
        cli(home, "workshop", "stop", "--state-dir", str(state), timeout=60)


def run_class(
    root: Path,
    attendees: int,
    *,
    workers: int = 2,
    rounds: int = 10,
    seed_cache: Path | None = None,
    python: str = sys.executable,
) -> ClassRun:
    """Start the class's platform, let ``attendees`` people join and run Labs 1-5 at the same time;
    returns what each did and what the platform recorded. Stops the platform afterwards."""
    with class_running(
        root, attendees, workers=workers, rounds=rounds, seed_cache=seed_cache, python=python
    ) as run:
        return run


@contextlib.contextmanager
def class_running(
    root: Path,
    attendees: int,
    *,
    workers: int = 2,
    rounds: int = 10,
    seed_cache: Path | None = None,
    python: str = sys.executable,
) -> Iterator[ClassRun]:
    """:func:`run_class`, keeping the platform up until the ``with`` block ends (the facilitator's
    Class screen is tested on it, the footprint of an attendee measured in it). ``python`` runs
    every command (another installation: the footprint benchmark's baseline)."""
    cli_cmd = [python, "-m", "mlops_tui.cli"]
    facilitator = root / "facilitator"
    state = facilitator / "workshop"
    facilitator.mkdir(parents=True, exist_ok=True)
    if seed_cache is not None and seed_cache.is_dir():  # the default data takes seconds to generate
        shutil.copytree(seed_cache, state / "cache" / "default-data", dirs_exist_ok=True)
    started = cli(
        facilitator,
        "workshop",
        "start",
        "--attendees",
        str(attendees),
        "--workers",
        str(workers),
        "--state-dir",
        str(state),
        python=python,
    )
    if started.returncode != 0:
        raise RuntimeError(f"workshop start failed: {started.stdout}{started.stderr}")
    try:
        handout = _handout(state / "handout.txt")
        people = [Attendee(user, root / user) for user in handout]
        joins = []
        for person in people:
            person.home.mkdir(parents=True, exist_ok=True)
            password, command = handout[person.user]
            url = command.split()[2]
            joins.append(
                subprocess.Popen(
                    [*cli_cmd, "join", url, "--user", person.user, "--password-stdin"],
                    env=home_env(person.home),
                    cwd=person.home,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            )
            assert joins[-1].stdin is not None
            joins[-1].stdin.write(password + "\n")
            joins[-1].stdin.close()
        for person, proc in zip(people, joins, strict=True):
            assert proc.stdout is not None
            out = proc.stdout.read()
            if proc.wait(timeout=120) != 0:
                raise RuntimeError(f"{person.user} could not join: {out}")
        t0 = time.monotonic()
        runs = []
        for person in people:
            log = (person.home / "lab-run.out").open("w")
            runs.append(
                (
                    subprocess.Popen(
                        [*cli_cmd, "lab", "run", "--param", f"rounds={rounds}"],
                        env=home_env(person.home),
                        cwd=person.home,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    ),
                    log,
                )
            )
        pending = dict(enumerate(runs))
        deadline = t0 + RUN_TIMEOUT_S
        while pending and time.monotonic() < deadline:
            for i, (proc, log) in list(pending.items()):
                if proc.poll() is not None:
                    people[i].returncode, people[i].seconds = proc.returncode, time.monotonic() - t0
                    log.close()
                    del pending[i]
            time.sleep(0.1)
        for i, (proc, log) in pending.items():  # never leave a run behind
            proc.kill()
            proc.wait(10)
            log.close()
            people[i].seconds = time.monotonic() - t0
        wall = time.monotonic() - t0
        for person in people:
            person.output = (person.home / "lab-run.out").read_text(errors="replace")
        url = handout[people[0].user][1].split()[2]
        accounts = json.loads((state / "workshop-accounts.json").read_text())
        with httpx.Client(base_url=url, timeout=60) as client:
            r = client.post(
                "/api/v2/session",
                json={
                    "name": "facilitator",
                    "password": accounts["facilitator"],
                    "tenant_name": "K8sMLTenant",
                },
            )
            client.headers["X-BDS-SESSION"] = r.headers["Location"]
            jobs = client.get(f"{V1}/jobs").json()
            view = client.get(f"{V1}/class").json()
        yield ClassRun(url, wall, people, jobs, view, facilitator, state, accounts["facilitator"])
    finally:
        with contextlib.suppress(Exception):
            cli(facilitator, "workshop", "stop", "--state-dir", str(state), timeout=60, python=python)


def start_order_overtakes(jobs: list[dict[str, Any]]) -> dict[str, int]:
    """Per job's user: how many places it started later than it was submitted, among jobs of
    owners with the same number of jobs (0 = served in the order asked)."""
    by_submit = sorted(jobs, key=lambda j: (datetime.fromisoformat(j["submitted_at"]), int(j["id"])))
    by_start = sorted(jobs, key=lambda j: (datetime.fromisoformat(j["started_at"]), int(j["id"])))
    start_rank = {j["id"]: n for n, j in enumerate(by_start)}
    return {j["user"]: start_rank[j["id"]] - n for n, j in enumerate(by_submit)}
