"""The training engine: real jobs of the real lab_scripts train on the default synthetic data."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import httpx
from local_platform_support import (
    DEFAULT_DATA,
    DEFAULT_USER,
    REPLACE,
    V1,
    LocalPlatform,
    PlatformFactory,
    submit_training,
    upload_lab_code,
    wait_job,
)

from mlops_tui.services.types import Job, JobMetrics, JobState


def test_trained_job_finished_with_metrics_rounds_and_bundle(
    api: httpx.Client, trained_job: dict[str, Any]
) -> None:
    job = Job.from_dict(trained_job)
    assert job.state is JobState.FINISHED and job.exit_code == 0
    assert job.user == DEFAULT_USER and job.cluster == "training-engine-shared"
    assert job.output == f"models/{DEFAULT_USER}/job-{job.id}"
    assert job.data == DEFAULT_DATA and job.params == {"rounds": 40, "max-depth": 5}
    assert {"rmse", "mae", "r2"} <= set(job.metrics) and job.metrics["mae"] < job.metrics["baseline_mae"]
    assert job.data_fingerprint.startswith("sha256:")
    assert job.started_at and job.finished_at and job.submitted_at <= job.started_at <= job.finished_at  # type: ignore[operator]

    metrics = JobMetrics.from_dict(api.get(f"{V1}/jobs/{job.id}/metrics").json())
    assert metrics.final == job.metrics
    assert 1 <= len(metrics.rounds) <= 40
    assert [r["round"] for r in metrics.rounds] == sorted(r["round"] for r in metrics.rounds)
    assert {"train-rmse", "eval-rmse"} <= set(metrics.rounds[0])

    files = {e["path"] for e in api.get(f"{V1}/repo", params={"prefix": job.output + "/"}).json()}
    assert {f"{job.output}/model.ubj", f"{job.output}/manifest.json"} <= files
    manifest = json.loads(api.get(f"{V1}/repo/{job.output}/manifest.json").content)
    assert manifest["data"]["fingerprint"] == job.data_fingerprint and manifest["data"]["synthetic"] is True


def test_job_list_is_newest_first_and_ids_are_sequential(
    api: httpx.Client, trained_job: dict[str, Any]
) -> None:
    jobs = api.get(f"{V1}/jobs").json()
    ids = [int(j["id"]) for j in jobs]
    assert ids == sorted(ids, reverse=True) and int(trained_job["id"]) in ids


def test_log_holds_the_structured_lines_and_pages_from_a_line(
    api: httpx.Client, trained_job: dict[str, Any]
) -> None:
    url = f"{V1}/jobs/{trained_job['id']}/log"
    r = api.get(url, params={"follow": True})  # final job: the stream ends by itself
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = r.text.splitlines()
    assert lines[0].startswith("$ python -u -m taxi.train --data ")
    kinds = {json.loads(ln.split(" ", 1)[1])["type"] for ln in lines if ln.startswith("@@mlops ")}
    assert {"progress", "data", "round", "metrics", "artifact"} <= kinds
    tail = api.get(url, params={"from_line": 3, "follow": False}).text.splitlines()
    assert tail == lines[3:]


def test_logs_and_messages_name_no_path_of_the_platforms_files(
    api: httpx.Client, trained_job: dict[str, Any], local_platform: Any, lab_code: str
) -> None:
    """A workshop's attendees read job logs written on the facilitator's platform: its first line
    was ``$ python … --data /home/<facilitator>/.local/state/mlops-tui/…``. Paths are the project
    repository's own (``data/…``, ``models/…``), or ``<state>/…``; never the platform's home."""
    lines = api.get(f"{V1}/jobs/{trained_job['id']}/log", params={"follow": False}).text.splitlines()
    assert lines[0].startswith(
        f"$ python -u -m taxi.train --data {trained_job['data']} --output {trained_job['output']} "
    ), lines[0]
    private = (str(local_platform.state_dir), str(local_platform.home))
    assert not [line for line in lines if any(p in line for p in private)]
    r = api.put(f"{V1}/repo/data/no-rides.csv", params=REPLACE, content=b"a,b\n1,2\n")
    assert r.status_code == 201
    job = wait_job(api, submit_training(api, lab_code, data="data/no-rides.csv", rounds=5)["id"])
    log = api.get(f"{V1}/jobs/{job['id']}/log", params={"follow": False}).text
    assert job["state"] == "failed" and "data/no-rides.csv" in log + job["message"]
    assert not any(p in log or p in job["message"] for p in private), (job["message"], log)


def test_follow_streams_a_running_job_until_it_ends(api: httpx.Client, lab_code: str) -> None:
    job = submit_training(api, lab_code, rounds=15, **{"max-depth": 3})
    seen: list[str] = []
    with api.stream("GET", f"{V1}/jobs/{job['id']}/log", params={"follow": True}, timeout=120) as r:
        for line in r.iter_lines():
            seen.append(line)
    final = api.get(f"{V1}/jobs/{job['id']}").json()
    assert final["state"] == "finished", final["message"]
    assert any('"type": "metrics"' in ln or '"type":"metrics"' in ln for ln in seen)


def test_cancel_kills_the_process_group(api: httpx.Client, lab_code: str) -> None:
    job = submit_training(api, lab_code, rounds=10000, **{"max-depth": 8, "early-stopping": 0})
    deadline = time.monotonic() + 60
    pid = None
    while time.monotonic() < deadline:
        clusters = api.get(f"{V1}/clusters/training-engine-shared").json()
        pids = [m["pid"] for m in clusters["members"] if m["detail"] == f"running job {job['id']}"]
        if pids and pids[0]:
            pid = pids[0]
            break
        time.sleep(0.1)
    assert pid, "the job never showed up as running on a RESTServer member"
    r = api.post(f"{V1}/jobs/{job['id']}/cancel")
    assert r.status_code == 200
    cancelled = Job.from_dict(r.json())
    assert cancelled.state is JobState.CANCELLED and cancelled.finished_at is not None
    time.sleep(0.2)
    try:
        os.killpg(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive, "the job's process group survived the cancel"
    # one line says who stopped it and when, not the interrupted code's traceback
    assert re.fullmatch(r"cancelled by \S+ at \d\d:\d\d:\d\d UTC", cancelled.message), cancelled.message
    log_text = api.get(f"{V1}/jobs/{job['id']}/log", params={"follow": "false"}).text
    assert log_text.rstrip("\n").splitlines()[-1] == cancelled.message, log_text[-500:]
    assert "Traceback" not in log_text and "KeyboardInterrupt" not in log_text
    again = api.post(f"{V1}/jobs/{job['id']}/cancel")
    assert again.status_code == 409 and again.json()["code"] == "conflict"


def test_queued_job_can_be_cancelled_before_it_starts(api: httpx.Client, lab_code: str) -> None:
    # Two workers and three long jobs: at least one of them waits in the queue.
    jobs = [submit_training(api, lab_code, rounds=10000, **{"early-stopping": 0}) for _ in range(3)]
    try:
        states = {j["id"]: api.get(f"{V1}/jobs/{j['id']}").json()["state"] for j in jobs}
        queued = [i for i, s in states.items() if s == "queued"]
        assert queued, states
        r = api.post(f"{V1}/jobs/{queued[-1]}/cancel").json()
        assert (
            r["state"] == "cancelled"
            and r["started_at"] is None
            and re.fullmatch(r"cancelled by \S+ at \d\d:\d\d:\d\d UTC, before it started", r["message"])
        )
    finally:
        for j in jobs:
            api.post(f"{V1}/jobs/{j['id']}/cancel")
    final = {j["id"]: wait_job(api, j["id"]) for j in jobs}
    assert all(f["state"] == "cancelled" for f in final.values()), {
        i: (f["state"], f["message"]) for i, f in final.items()
    }


def test_bad_input_fails_the_job_with_the_scripts_message(api: httpx.Client, lab_code: str) -> None:
    r = api.put(f"{V1}/repo/data/not-trips.csv", params=REPLACE, content=b"a,b\n1,2\n")
    assert r.status_code == 201
    job = wait_job(api, submit_training(api, lab_code, data="data/not-trips.csv", rounds=5)["id"])
    assert job["state"] == "failed" and job["exit_code"] == 2
    assert job["message"].startswith("exit code 2: ") and len(job["message"]) > len("exit code 2: ")


def test_jobs_left_running_when_the_platform_died_are_failed_on_restart(
    platform_factory: PlatformFactory,
) -> None:
    platform = platform_factory.new("crash")
    client = platform.login()
    code = upload_lab_code(client, DEFAULT_USER)
    job = submit_training(client, code, rounds=10000, **{"early-stopping": 0})
    deadline = time.monotonic() + 60
    while client.get(f"{V1}/jobs/{job['id']}").json()["state"] != "running" and time.monotonic() < deadline:
        time.sleep(0.1)
    platform.stop(sig=9)  # SIGKILL: no clean shutdown; the job's own process group survives it
    platform.start(port=platform.port)
    after = client.get(f"{V1}/jobs/{job['id']}").json()  # the session survived the restart too
    assert after["state"] == "failed"
    assert "platform stopped while this job was running" in after["message"]
    orphans = [p for p in os.listdir("/proc") if p.isdigit() and _job_env(int(p), job["id"], platform)]
    assert orphans == [], "the orphaned training process was not killed on restart"


def _job_env(pid: int, job_id: str, platform: LocalPlatform) -> bool:
    try:
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False
    return (
        f"MLOPS_JOB_ID={job_id}".encode() in env and f"MLOPS_STATE_DIR={platform.state_dir}".encode() in env
    )
