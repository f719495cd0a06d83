"""Shared fixtures: a real local platform process on loopback, and the expensive pipeline objects.

``local_platform`` (session-scoped) runs ``python -m mlops_tui.platform serve --port 0`` as a real
subprocess with HOME and the XDG directories inside a temporary directory, so nothing touches the
real home, keyring or state. Its default user (tenant ``K8sMLTenant``, user ``student01``) is
created with the real ``add-user`` command before the first start. It offers ``.url``,
``.state_dir``, ``.credentials``, ``.add_user()``, ``.login()``, ``.stop()`` and ``.restart()``
(same port, so ``.url`` stays valid). ``platform_factory`` starts more, each in its own HOME.

``lab_code``, ``trained_job``, ``registered_version`` and ``deployment`` are session-scoped too:
one real training run on the default synthetic data, one registry version, one prediction server,
shared by every test that needs them. Helpers: ``tests/local_platform_support.py``.

``drift_model`` (session-scoped): a model trained on daytime Manhattan rides, deployed twice
(``drift-quiet``, ``drift-shifted``) for the drift tests (``tests/drift_support.py``).

``twenty_attendees`` (session-scoped, slow): a workshop platform on which 20 attendees ran Labs
1-5 at once (``tests/workshop_class_support.py``), kept up for the session: the headless checks
(``tests/cli/test_workshop_class.py``) and the facilitator's Class screen
(``tests/tui/test_class_screen.py``) share one class, which takes about a minute to build.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from drift_support import DriftModel, write_daytime_manhattan
from local_platform_support import (
    DEFAULT_USER,
    V1,
    LocalPlatform,
    PlatformFactory,
    submit_noisy_job,
    submit_training,
    upload_lab_code,
    wait_job,
    wait_state,
)
from workshop_class_support import ClassRun, class_running
from xdist_schedule import group_dear_fixtures, longest_first


def pytest_configure(config: pytest.Config) -> None:
    """The tests' processes see no terminal size of ours: a pytest-xdist worker runs with
    ``COLUMNS=80 LINES=24`` in its environment, and a TUI started from it (the tmux tests copy the
    environment into the pane) would take them over the size of its own terminal and draw 80x24 in
    a 100x30 pane. Dropped in every run, so a test sees the same environment with and without
    ``-n``."""
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """How many workers ``-n auto`` (in ``addopts``) starts: none (this process runs the tests) when
    every argument names one test (``pytest path::name``), where starting workers costs more than it
    saves; else one per CPU this process may run on (``sched_getaffinity``: xdist's own count asks
    psutil, where installed, for the host's physical cores, which a container may not have). Set
    ``PYTEST_XDIST_AUTO_NUM_WORKERS`` to choose. Figures: docs/testing.md."""
    named = [str(a) for a in config.invocation_params.args if not str(a).startswith("-")]
    if named and all("::" in a for a in named):
        return 0
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None  # xdist's own hook reads it
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# session fixtures too dear to build in each worker: the class of 20 (about a minute), the CLI's
# `lab run` in a fresh HOME and the fault tests' platform (each a platform start, a training run;
# tests/platform/test_platform_supervision.py, which asks for it by name, joins the group itself)
SHARED_BY_ONE_WORKER = ("twenty_attendees", "lab_run", "fault_platform")


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test of a fixture in ``SHARED_BY_ONE_WORKER``, and every test of one module that uses
    a module-scoped fixture, goes to one pytest-xdist worker (an ``xdist_group``), so the fixture
    is built once per run, not once per worker that meets one of its tests; in a worker, the
    tests measured longest start first (``tests/xdist_schedule.py``)."""
    group_dear_fixtures(items, SHARED_BY_ONE_WORKER)
    if hasattr(config, "workerinput"):  # one process (-n 0) keeps the order collected
        longest_first(items)


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """``figure(text)`` reports a measured figure (a time, a count of keys) in the "figures" section
    at the end of the run, as it was measured: never an assertion (speed is measured in
    ``benchmarks/``). Kept in the test report's ``user_properties``, which pytest-xdist carries from
    its workers, whose own output nobody sees."""

    def report(text: str) -> None:
        request.node.user_properties.append(("figure", text))

    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    seen: dict[tuple[str, str], None] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == "figure":
                    seen[(report.nodeid, value)] = None
    if seen:
        terminalreporter.write_sep("-", "figures")
        for _, value in seen:
            terminalreporter.write_line(value)


@pytest.fixture
def tui_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME of the test's own for the TUI's files (settings, profiles, the credentials file; no
    keyring, no D-Bus), for the TUI tests here and on Kubernetes."""
    home = tmp_path / "tui-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("MLOPS_TUI_PROFILE", raising=False)
    monkeypatch.delenv("MLOPS_TUI_STATE_DIR", raising=False)
    monkeypatch.setenv("MLOPS_TUI_CREDENTIALS", "file")
    from mlops_tui import credentials

    credentials._backend_cache.clear()
    return home


@pytest.fixture(scope="session")
def local_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPlatform]:
    factory = PlatformFactory(tmp_path_factory.mktemp("local-platform"))
    platform = factory.new("main", extra_args=["--workers", "2"])
    yield platform
    factory.close()


@pytest.fixture
def platform_factory(tmp_path: Path, local_platform: LocalPlatform) -> Iterator[PlatformFactory]:
    factory = PlatformFactory(tmp_path, seed_cache=local_platform.state_dir / "cache" / "default-data")
    yield factory
    factory.close()


@pytest.fixture(scope="session")
def api(local_platform: LocalPlatform) -> Iterator[httpx.Client]:
    """A logged-in client of the default user (sessions survive platform restarts)."""
    client = local_platform.login()
    yield client
    client.close()


@pytest.fixture(scope="session")
def lab_code(api: httpx.Client) -> str:
    return upload_lab_code(api, DEFAULT_USER)


@pytest.fixture(scope="session")
def trained_job(api: httpx.Client, lab_code: str) -> dict[str, Any]:
    """One real training run of the taxi model on the default synthetic data (small and quick)."""
    job = submit_training(api, lab_code, rounds=40, **{"max-depth": 5})
    done = wait_job(api, job["id"])
    log = api.get(f"{V1}/jobs/{job['id']}/log", params={"follow": False}).text
    assert done["state"] == "finished", f"{done['message']}\n{log}"
    return done


@pytest.fixture(scope="session")
def noisy_job(api: httpx.Client) -> dict[str, Any]:
    """A job that prints colours, a progress bar in ``\\r`` frames and fails with escape sequences
    in its message (``local_platform_support.NOISY_TRAIN``)."""
    job = submit_noisy_job(api)
    assert job["state"] == "failed", job
    return job


@pytest.fixture(scope="session")
def registered_version(api: httpx.Client, trained_job: dict[str, Any]) -> dict[str, Any]:
    r = api.post(
        f"{V1}/models",
        json={
            "model": f"mlops-model-{DEFAULT_USER}",
            "job_id": trained_job["id"],
            "description": "taxi ride duration (session fixture)",
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(scope="session")
def deployment(api: httpx.Client, registered_version: dict[str, Any]) -> dict[str, Any]:
    r = api.post(
        f"{V1}/deployments",
        json={
            "name": "taxi-serving",
            "model": registered_version["model"],
            "version": registered_version["version"],
        },
    )
    assert r.status_code == 201, r.text
    dep = wait_state(api, f"{V1}/deployments/taxi-serving")
    assert dep["state"] == "configured", dep
    return dep


CLASS_SIZE, CLASS_WORKERS = 20, 2


@pytest.fixture(scope="session")
def twenty_attendees(
    tmp_path_factory: pytest.TempPathFactory, local_platform: LocalPlatform
) -> Iterator[ClassRun]:
    from local_platform_support import has_sandbox

    if not has_sandbox():
        pytest.skip("needs bubblewrap (apt-get install bubblewrap)")
    with class_running(
        tmp_path_factory.mktemp("class"),
        CLASS_SIZE,
        workers=CLASS_WORKERS,
        rounds=10,
        seed_cache=local_platform.state_dir / "cache" / "default-data",
    ) as run:
        yield run


@pytest.fixture(scope="session")
def drift_model(api: httpx.Client, lab_code: str, tmp_path_factory: pytest.TempPathFactory) -> DriftModel:
    path = tmp_path_factory.mktemp("drift") / "daytime-manhattan.csv"
    trips, source = write_daytime_manhattan(path)
    assert len(trips) >= 500, f"only {len(trips)} daytime Manhattan rides in {source}"
    r = api.put(f"{V1}/repo/data/daytime-manhattan.csv", content=path.read_bytes())
    assert r.status_code == 201, r.text
    job = submit_training(api, lab_code, data="data/daytime-manhattan.csv", rounds=30, **{"max-depth": 4})
    done = wait_job(api, job["id"])
    assert done["state"] == "finished", done["message"]
    r = api.post(f"{V1}/models", json={"model": "drift-daytime-manhattan", "job_id": done["id"]})
    assert r.status_code == 201, r.text
    version = r.json()
    deployed = {}
    for name in ("drift-quiet", "drift-shifted"):
        r = api.post(
            f"{V1}/deployments", json={"name": name, "model": version["model"], "version": version["version"]}
        )
        assert r.status_code == 201, r.text
    for name in ("drift-quiet", "drift-shifted"):
        deployed[name] = wait_state(api, f"{V1}/deployments/{name}")
        assert deployed[name]["state"] == "configured", deployed[name]
    return DriftModel(trips, source, version, deployed["drift-quiet"], deployed["drift-shifted"])
