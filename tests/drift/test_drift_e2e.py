"""Drift on the real local platform: a model trained on daytime Manhattan rides, one deployment
asked about rides drawn from its training data (quiet), the other about night airport rides (the
badge), through the Platform interface, the prediction server's /metrics and ``mlops-tui status``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from drift_support import DriftModel, night_airport_rides, rides_from, serve
from local_platform_support import isolated_env
from prometheus_client.parser import text_string_to_metric_families

from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter
from mlops_tui.services.types import DriftStatus

pytestmark = pytest.mark.slow

RIDES = 400  # past the 300 rides a verdict needs


def _metrics(deployment: dict[str, Any]) -> dict[str, Any]:
    text = httpx.get(f"http://127.0.0.1:{deployment['port']}/metrics", timeout=10).text
    return {f.name: f for f in text_string_to_metric_families(text)}


@pytest.fixture
async def adapter(local_platform: Any) -> Any:
    platform = LocalAdapter(local_platform.credentials)
    await platform.login()
    yield platform
    await platform.aclose()


async def test_the_manifest_holds_the_training_distribution(
    drift_model: DriftModel, api: httpx.Client
) -> None:
    job = drift_model.version["lineage"]["job_id"]
    bundle = api.get(f"{'/api/mlops/v1'}/jobs/{job}").json()["output"]
    manifest = api.get(f"/api/mlops/v1/repo/{bundle}/manifest.json").json()
    dist = manifest["feature_distribution"]
    assert dist["rows"] == len(drift_model.trips)
    hour = dist["features"]["hour"]
    assert sum(hour["counts"][:8]) == sum(hour["counts"][18:]) == 0  # daytime only
    assert sum(hour["counts"]) == len(drift_model.trips)


async def test_rides_from_the_training_data_keep_it_quiet(drift_model: DriftModel, adapter: Any) -> None:
    name = drift_model.quiet["name"]
    assert await serve(adapter, name, rides_from(drift_model.trips, RIDES)) == RIDES
    drift = await adapter.deployment_drift(name)
    assert drift.available and drift.status is DriftStatus.STABLE, drift
    assert drift.drifted == () and drift.window_rides >= RIDES
    assert all(f.psi is not None and f.psi < 0.2 for f in drift.features), drift.features
    assert _metrics(drift_model.quiet)["mlops_drift_detected"].samples[0].value == 0


async def test_night_airport_rides_raise_the_badge(drift_model: DriftModel, adapter: Any) -> None:
    name = drift_model.shifted["name"]
    assert await serve(adapter, name, night_airport_rides(drift_model.trips, RIDES)) == RIDES
    drift = await adapter.deployment_drift(name)
    assert drift.status is DriftStatus.DRIFT, drift
    psi = {f.name: f.psi for f in drift.features}
    assert psi["hour"] > 0.2 and psi["distance"] > 0.2, psi
    assert {"hour", "distance"} <= {f.name for f in drift.drifted}
    hour_bins = {b.label: b for b in next(f for f in drift.features if f.name == "hour").bins}
    assert hour_bins["2"].expected == 0 and hour_bins["2"].actual > 0.1  # 2 am: never in training
    families = _metrics(drift_model.shifted)
    gauge = {s.labels["feature"]: s.value for s in families["mlops_feature_psi"].samples}
    assert gauge["hour"] > 0.2 and gauge["distance"] > 0.2
    assert families["mlops_drift_detected"].samples[0].value == 1


async def test_status_reports_drift(
    drift_model: DriftModel, adapter: Any, local_platform: Any, tmp_path: Path
) -> None:
    await serve(adapter, drift_model.shifted["name"], night_airport_rides(drift_model.trips, RIDES, seed=2))
    await serve(adapter, drift_model.quiet["name"], rides_from(drift_model.trips, RIDES, seed=3))
    env = isolated_env(tmp_path / "home")
    env.update(MLOPS_TUI_STATE_DIR=str(local_platform.state_dir), MLOPS_TUI_CREDENTIALS="file", COLUMNS="160")
    creds = local_platform.credentials

    def mlops(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mlops_tui.cli", *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert mlops("profile", "add", "drift", "--user", creds.user, "--tenant", creds.tenant).returncode == 0
    login = mlops("login", "--profile", "drift", "--password-stdin", stdin=creds.password + "\n")
    assert login.returncode == 0, login.stderr
    done = mlops("status", "--profile", "drift")
    assert done.returncode == 0, done.stderr
    rows = _status_rows(done.stdout, "drift (")
    assert "DRIFT" in rows["drift-shifted"] and "hour" in rows["drift-shifted"], done.stdout
    assert "stable" in rows["drift-quiet"], done.stdout


def _status_rows(stdout: str, heading: str) -> dict[str, str]:
    """The rows of a ``status`` table by their first cell, whichever form the table took (one line
    a row, or, when too wide, a block: the name, then its fields indented)."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading)) + 1
    rows: dict[str, str] = {}
    name = ""
    for line in lines[start:]:
        if not line.strip() or not line.startswith("  "):
            break
        if not line.startswith("   "):  # a row, or a block's name
            name = line.split()[0]
            rows[name] = line
        else:
            rows[name] += " " + line.strip()
    return rows


async def test_an_unknown_deployment_is_not_found(adapter: Any) -> None:
    from mlops_tui.services.errors import NotFound

    with pytest.raises(NotFound):
        await adapter.deployment_drift("no-such-deployment")


async def test_the_latency_probe_is_not_counted(drift_model: DriftModel, adapter: Any) -> None:
    """The dashboard's probe asks the workshop's example ride every few seconds for hours: its
    requests (``PROBE_HEADER``) are answered but never counted, or a dashboard left open would
    raise the drift badge by itself (seen: 'drift-quiet' turned DRIFT in a full run)."""
    from mlops_tui.assistant.workshop import EXAMPLE_SCORING_ARGS as RIDE

    name = drift_model.quiet["name"]
    before = (await adapter.deployment_drift(name)).observed_rides
    for _ in range(20):
        probed = await adapter.predict(name, [dict(RIDE)], probe=True)
        assert len(probed.values) == 1 and probed.values[0] > 0
    assert (await adapter.deployment_drift(name)).observed_rides == before
    await adapter.predict(name, [dict(RIDE)])  # a client's ride counts
    assert (await adapter.deployment_drift(name)).observed_rides == before + 1
