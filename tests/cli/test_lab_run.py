"""End to end: ``mlops-tui lab run`` in a fresh HOME, its Lab 5 curl, ``predict`` and ``status``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable

import pytest

from .conftest import CLI, LabRun, home_env, mlops

pytestmark = pytest.mark.slow


def test_lab_run_completes_labs_1_to_5(lab_run: LabRun, figure: Callable[[str], None]) -> None:
    out = lab_run.stdout
    assert lab_run.result.returncode == 0, out[-3000:] + lab_run.result.stderr
    # The figure, not a timed assertion: speed is measured in benchmarks/lab_run.py.
    figure(f"mlops-tui lab run (fresh HOME, platform start included): {lab_run.seconds:.1f} s")
    for lab in range(1, 6):
        assert f"== Lab {lab}:" in out
    for step in (
        "login",
        "kubeconfig",
        "notebook",
        "training-cluster",
        "upload-code",
        "check-data",
        "train",
        "register",
        "deploy",
        "predict",
    ):
        assert f"({step})" in out
    assert re.search(r"MLOPS_SESSION=\$\((jq|python3) .*\| curl -fsS ", out)  # the login as a command
    assert "kubedirector.hpe.com/cmType" in out  # the registry entry as the workshop's ConfigMap
    assert re.search(r"predicted travel time: \d+ min \d\d s \(\d+\.\d s\), latency \d+\.\d ms", out)
    assert "credentials.json (mode 0600" in out  # the fallback location is said once
    assert "Traceback" not in out + lab_run.result.stderr


def _prediction(out: str) -> float:
    return float(re.search(r"predicted travel time: [^(]+\((\d+\.\d) s\)", out).group(1))


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_lab5_curl_pasted_into_a_shell(lab_run: LabRun) -> None:
    curl = lab_run.lab5_curl()
    run = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert round(answer["prediction"][0], 1) == _prediction(lab_run.stdout)
    assert answer["output"].startswith("The ride duration prediction is ")

    wrong = re.sub(r"X-Auth-Token: [0-9a-f]+", "X-Auth-Token: 0123456789abcdef0123456789abcdef", curl)
    assert wrong != curl
    run = subprocess.run(
        ["bash", "-c", wrong + " -o /dev/null -w '%{http_code}'"], capture_output=True, text=True
    )
    assert run.stdout == "401"

    bad = curl.replace('"hour": 9', '"hour": "nine"')
    assert bad != curl
    run = subprocess.run(["bash", "-c", bad + " -w '\\n%{http_code}'"], capture_output=True, text=True)
    body, code = run.stdout.rsplit("\n", 1)
    assert code.startswith("4")
    assert "hour" in json.loads(body)["field"] and "hour" in json.loads(body)["error"]


def test_predict_command(lab_run: LabRun) -> None:
    example = mlops(lab_run.home, "predict", "--example")
    assert example.returncode == 0, example.stderr
    assert _prediction(example.stdout) == _prediction(lab_run.stdout)

    ride = mlops(
        lab_run.home,
        "predict",
        "--pickup-zone",
        "Midtown Center",
        "--dropoff-zone",
        "230",
        "--when",
        "friday 5pm march",
        "--distance",
        "1.2",
        "--passengers",
        "2",
        "--curl",
    )
    assert ride.returncode == 0, ride.stderr
    # the ride in words, as it is sent
    assert (
        "ride: Midtown Center (161) → Times Sq/Theatre District (230), Fri 01 Mar 2019 17:00, 1.2 mi, "
        in ride.stdout
    )
    assert example.stdout.startswith("ride: the workshop's, West 23rd Street (Coney Island) to Centre Market")
    assert re.search(r"latency \d+\.\d ms", ride.stdout)
    assert "curl -sS -X POST http://127.0.0.1:" in ride.stdout
    assert "(asked for with --curl: it holds the deployment's auth token)" in ride.stdout
    assert "X-Auth-Token" not in example.stdout  # no token unless asked for

    as_json = mlops(
        lab_run.home,
        "predict",
        "--json",
        json.dumps(
            {"pickup_datetime": "2019-02-05T09:00", "pickup_zone": 68, "dropoff_zone": 144, "distance": 2.1}
        ),
        "-o",
        "json",
    )
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout)["status"] == "Finished"

    for text, field in (
        ('{"distance": NaN}', "--json: distance:"),
        ('{"hour": 1' + "0" * 400 + "}", "--json: hour:"),
    ):
        refused = mlops(lab_run.home, "predict", "--json", text, "-o", "json")  # issue 10 §3
        assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert field in refused.stderr and "unexpected error" not in refused.stderr

    bad = mlops(lab_run.home, "predict", "--pickup-zone", "Nowhere Land", "--dropoff-zone", "230")
    assert bad.returncode == 1
    assert "pickup_zone" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    assert "Traceback" not in bad.stderr


def test_status_command(lab_run: LabRun) -> None:
    status = mlops(lab_run.home, "status")
    assert status.returncode == 0, status.stderr
    out = status.stdout
    assert out.startswith("platform  http://127.0.0.1:")
    for section in ("clusters (", "jobs (", "models (", "deployments ("):
        assert section in out
    assert "training-engine-shared" in out and "mlops-model-" in out and "finished" in out


@pytest.mark.parametrize("columns", [60, 80])
def test_status_fits_the_terminal_and_never_cuts_a_url(lab_run: LabRun, columns: int) -> None:
    """Issue 11 §8: no line wider than COLUMNS except a URL alone on its line (whole, for the
    terminal to fold and the person to copy); the notebook that cannot run here is optional."""
    env = {**home_env(lab_run.home), "COLUMNS": str(columns)}
    status = subprocess.run(
        [*CLI, "status"], env=env, capture_output=True, text=True, timeout=120, cwd=lab_run.home
    )
    assert status.returncode == 0, status.stderr
    urls = re.findall(r"https?://\S+", status.stdout)
    assert any(u.endswith("/predict") for u in urls), status.stdout  # the deployment's URL, whole
    assert "…" not in status.stdout
    for line in status.stdout.splitlines():
        if len(line) > columns:
            assert re.fullmatch(r"\s*(?:url |endpoint )?https?://\S+", line), (line, status.stdout)
    assert "config error" not in status.stdout  # the optional notebook is "n/a here", not a fault


def test_lab_run_again_from_lab_4_reuses_what_is_there(lab_run: LabRun) -> None:
    again = mlops(lab_run.home, "lab", "run", "--from-lab", "4")
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr
    assert "is already registered as" in again.stdout
    assert "Lab 1:" in again.stdout and "Lab 3:" not in again.stdout  # login, then Labs 4-5
    assert _prediction(again.stdout) == _prediction(lab_run.stdout)


def test_every_step_verifies_live_after_the_run(lab_run: LabRun) -> None:
    """The guide's live checks: after lab run, every step is done (the notebook only where Jupyter is)."""
    import asyncio

    from mlops_tui.assistant import labs
    from mlops_tui.services.local.adapter import LocalPlatform
    from mlops_tui.services.types import Credentials

    info = json.loads((lab_run.home / ".local/state/mlops-tui/platform/platform.json").read_text())
    ((user, password),) = json.loads((lab_run.home / ".config/mlops-tui/credentials.json").read_text())[
        "local"
    ].items()

    async def check() -> list[tuple[str, labs.CheckState]]:
        async with LocalPlatform(Credentials(info["url"], "K8sMLTenant", user, password)) as p:
            ctx = labs.LabContext(user=user, kubeconfig_path=lab_run.home / "kubeconfig")
            await p.login()
            assert await labs.first_unfinished(p, ctx) is None
            return [(step.id, check.state) for step, check in await labs.verify_all(p, ctx)]

    states = dict(asyncio.run(check()))
    assert states.pop("notebook") in (labs.CheckState.DONE, labs.CheckState.UNAVAILABLE)
    assert set(states.values()) == {labs.CheckState.DONE}, states


def test_login_checks_the_password_then_stores_it(lab_run: LabRun) -> None:
    """Headless hosts give a password once with `mlops-tui login`; later commands use the stored one."""
    home = lab_run.home
    added = mlops(home, "platform", "add-user", "--user", "carol", "--password-stdin", stdin="s3cret-carol\n")
    if added.returncode != 0 and "bubblewrap" in added.stderr:
        pytest.skip("a second user needs a sandbox (apt-get install bubblewrap)")
    assert added.returncode == 0, added.stderr
    profile = mlops(home, "profile", "add", "carol", "--user", "carol")
    assert profile.returncode == 0, profile.stderr

    missing = mlops(home, "status", "--profile", "carol")
    assert missing.returncode == 1 and "mlops-tui login --profile carol" in missing.stderr

    wrong = mlops(home, "login", "--profile", "carol", "--password-stdin", stdin="nope\n")
    assert wrong.returncode == 1 and "login refused" in wrong.stderr
    assert "traceback" not in wrong.stderr.lower()
    assert mlops(home, "status", "--profile", "carol").returncode == 1  # nothing was stored

    ok = mlops(home, "login", "--profile", "carol", "--password-stdin", stdin="s3cret-carol\n")
    assert ok.returncode == 0, ok.stderr
    assert "logged in as carol" in ok.stdout and "s3cret" not in ok.stdout + ok.stderr
    status = mlops(home, "status", "--profile", "carol")
    assert status.returncode == 0 and "carol in K8sMLTenant" in status.stdout


def test_the_notebook_token_appears_only_when_asked_for(lab_run: LabRun) -> None:
    """`lab run` printed "notebook … is configured: open http://127.0.0.1:39251/lab?token=006e9b0c…"."""
    import httpx

    from mlops_tui.platform.clusters import jupyter_command

    if jupyter_command() is None:
        pytest.skip("Jupyter is not installed (pip install 'mlops-tui[jupyter]'): no notebook runs")
    said = lab_run.stdout + lab_run.result.stderr
    words = " ".join(said.split())  # lines are wrapped to the terminal's width
    assert re.search(
        r"notebook \S+ is configured: open http://127\.0\.0\.1:\d+/lab \(Jupyter asks for its token: "
        r"mlops-tui status --show-tokens prints it\)",
        words,
    ), said
    status = mlops(lab_run.home, "status")
    assert "(the endpoints' tokens are not shown: mlops-tui status --show-tokens)" in status.stdout
    asked = mlops(lab_run.home, "status", "--show-tokens")
    assert asked.returncode == 0, asked.stderr
    assert "endpoint tokens (asked for with --show-tokens: each opens the service as you)" in asked.stdout
    row = next(ln.split() for ln in asked.stdout.splitlines() if "jupyter-nb" in ln and "/lab" in ln)
    url, token = row[-2], row[-1]
    assert len(token) >= 16 and token not in said and token not in status.stdout
    base = url.rsplit("/lab", 1)[0]
    assert httpx.get(f"{base}/api/status", params={"token": token}, timeout=10).status_code == 200
