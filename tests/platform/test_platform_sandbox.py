"""Issue 9 §5: code that tenants and attendees upload runs sandboxed on a shared platform.

Measured before the sandbox, with two tenants on one platform: a training job of tenant B read
tenant A's repository, A's deployment token from the platform's database, the database itself
and the OS user's ``credentials.json``, wrote a file into A's repository, and through a hard link
in its own folder let B download A's file via the API (HTTP 200). Here every such attempt, by an
attendee's job, another tenant's job and an attendee's prediction server, must fail, while what
they may use (the shared data, their own folders) still works; the API refuses the same reads
(403 within the tenant, 404 across tenants, 400 outside the repository) and any hard link.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from local_platform_support import (
    REPLACE,
    V1,
    WORKSHOP_RIDE,
    LocalPlatform,
    PlatformFactory,
    Workshop,
    has_sandbox,
    probe_job,
    start_workshop,
    submit_training,
    upload_lab_code,
    wait_job,
    wait_state,
)

pytestmark = pytest.mark.skipif(not has_sandbox(), reason="needs bubblewrap (apt-get install bubblewrap)")

CANARY = "canary-of-the-credentials-file"
OTHER_TENANT, OTHER_USER, OTHER_PASSWORD = "OtherTenant", "olivia", "olivia-password-1"


def _probe_source(reads: dict[str, str], writes: dict[str, str], links: dict[str, tuple[str, str]]) -> str:
    """A job that tries each read, write and hard link and prints one JSON line of outcomes."""
    return f"""
import json, os
out = {{}}
for key, path in {reads!r}.items():
    try:
        with open(path, "rb") as f:
            out[key] = "read " + str(len(f.read()))
    except Exception as exc:
        out[key] = "refused " + type(exc).__name__
for key, path in {writes!r}.items():
    try:
        with open(path, "w") as f:
            f.write("written by a job")
        out[key] = "wrote"
    except Exception as exc:
        out[key] = "refused " + type(exc).__name__
for key, (source, target) in {links!r}.items():
    try:
        os.link(source, target)
        out[key] = "linked"
    except Exception as exc:
        out[key] = "refused " + type(exc).__name__
print("@@probe " + json.dumps(out), flush=True)
"""


def _outcome(job: dict[str, Any]) -> dict[str, str]:
    line = next((ln for ln in job["log"].splitlines() if ln.startswith("@@probe ")), None)
    assert line is not None, f"the probe printed nothing: {job['message']}\n{job['log']}"
    return json.loads(line.removeprefix("@@probe "))


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, local_platform: LocalPlatform) -> Iterator[Workshop]:
    factory = PlatformFactory(
        tmp_path_factory.mktemp("sandbox"), seed_cache=local_platform.state_dir / "cache" / "default-data"
    )
    ws = start_workshop(factory, "sandbox", ["student01", "student02"])
    ws.platform.add_user(OTHER_TENANT, OTHER_USER, OTHER_PASSWORD)  # a second tenant, as measured
    ws.passwords[OTHER_USER] = OTHER_PASSWORD
    creds = ws.platform.home / ".config" / "mlops-tui" / "credentials.json"  # the platform's OS user's
    creds.parent.mkdir(parents=True, exist_ok=True)
    creds.write_text(json.dumps({"local/facilitator": CANARY}))
    a = ws.login("student01")
    r = a.put(f"{V1}/repo/code/student01/secret.txt", params=REPLACE, content=b"student01's work")
    assert r.status_code == 201, r.text
    a.close()
    yield ws
    factory.close()


def _paths(ws: Workshop) -> dict[str, Path]:
    state = ws.platform.state_dir
    return {
        "state": state,
        "repo": state / "repo" / "k8smltenant",
        "other_repo": state / "repo" / "othertenant",
        "creds": ws.platform.home / ".config" / "mlops-tui" / "credentials.json",
    }


def test_an_attendees_job_reaches_nothing_but_shared_data_and_its_own_folders(shared: Workshop) -> None:
    p = _paths(shared)
    repo, other = p["repo"], p["other_repo"]
    reads = {
        "credentials": str(p["creds"]),
        "database": str(p["state"] / "platform.db"),
        "database-wal": str(p["state"] / "platform.db-wal"),
        "accounts": str(p["state"] / "workshop-accounts.json"),
        "other-tenant": str(other / "data" / "NYCTaxi" / "taxi-zones.csv"),
        "other-attendee": str(repo / "code" / "student01" / "secret.txt"),
        "platform-log": str(p["state"] / "logs" / "platform.log"),
        "shared-data": str(repo / "data" / "NYCTaxi" / "taxi-zones.csv"),  # allowed
    }
    writes = {
        "into-other-tenant": str(other / "data" / "planted.csv"),
        "into-other-attendee": str(repo / "code" / "student01" / "planted.py"),
        "into-shared-data": str(repo / "data" / "NYCTaxi" / "planted.csv"),
        "into-own-folder": str(repo / "models" / "student02" / "own.txt"),  # allowed
    }
    links = {
        "link-other-attendee": (
            str(repo / "code" / "student01" / "secret.txt"),
            str(repo / "models" / "student02" / "l1"),
        ),
        "link-other-tenant": (
            str(other / "data" / "NYCTaxi" / "taxi-zones.csv"),
            str(repo / "models" / "student02" / "l2"),
        ),
    }
    b = shared.login("student02")
    try:
        job = probe_job(b, "student02", _probe_source(reads, writes, links))
    finally:
        b.close()
    got = _outcome(job)
    allowed = {"shared-data", "into-own-folder"}
    assert got["shared-data"].startswith("read ") and got["into-own-folder"] == "wrote", got
    refused = {k: v for k, v in got.items() if k not in allowed and not v.startswith("refused")}
    assert refused == {}, got
    assert not (repo / "code" / "student01" / "planted.py").exists()
    assert not (other / "data" / "planted.csv").exists()


def test_another_tenants_job_reaches_nothing_of_the_first(shared: Workshop) -> None:
    p = _paths(shared)
    reads = {
        "credentials": str(p["creds"]),
        "database": str(p["state"] / "platform.db"),
        "tenant-a-file": str(p["repo"] / "code" / "student01" / "secret.txt"),
        "tenant-a-data": str(p["repo"] / "data" / "NYCTaxi" / "taxi-zones.csv"),
        "own-data": str(p["other_repo"] / "data" / "NYCTaxi" / "taxi-zones.csv"),  # allowed
    }
    writes = {"into-tenant-a": str(p["repo"] / "code" / "planted.py")}
    links = {"link-tenant-a": (reads["tenant-a-file"], str(p["other_repo"] / "models" / "stolen"))}
    c = shared.login(OTHER_USER, OTHER_TENANT)
    try:
        got = _outcome(probe_job(c, OTHER_USER, _probe_source(reads, writes, links)))
    finally:
        c.close()
    assert got.pop("own-data").startswith("read "), got
    assert all(v.startswith("refused") for v in got.values()), got
    assert not (p["repo"] / "code" / "planted.py").exists()


def test_the_same_reads_through_the_api_are_refused(shared: Workshop) -> None:
    a = shared.login("student01")
    b = shared.login("student02")
    c = shared.login(OTHER_USER, OTHER_TENANT)
    try:
        job_a = probe_job(a, "student01", "print('tenant A job')", name="mine")
        r = b.get(f"{V1}/repo/code/student01/secret.txt")
        assert r.status_code == 403 and "student01" in r.json()["error"], r.text
        r = b.get(f"{V1}/repo", params={"prefix": "code/"})
        assert all(not e["path"].startswith("code/student01") for e in r.json()), r.text
        for path in ("../../platform.db", "..%2F..%2Fplatform.db", "/etc/passwd"):
            r = b.get(f"{V1}/repo/{path}")
            assert r.status_code in (400, 404), (path, r.status_code, r.text)
        assert c.get(f"{V1}/jobs/{job_a['id']}/log").status_code == 404  # another tenant: not even a name
        assert c.get(f"{V1}/repo/code/student01/secret.txt").status_code == 404
        assert b.get(f"{V1}/repo/data/NYCTaxi/taxi-zones.csv").status_code == 200  # shared data: readable
    finally:
        for client in (a, b, c):
            client.close()


def test_a_hard_link_is_never_served(shared: Workshop) -> None:
    """The measured breach: a link made in B's own folder (by a job before the sandbox, or by
    anything else) to A's file was downloaded by B with HTTP 200."""
    p = _paths(shared)
    os.link(p["repo"] / "code" / "student01" / "secret.txt", p["repo"] / "code" / "student02" / "linked.txt")
    os.link(p["repo"] / "code" / "student01" / "secret.txt", p["other_repo"] / "data" / "linked.txt")
    b = shared.login("student02")
    c = shared.login(OTHER_USER, OTHER_TENANT)
    try:
        for client, path in ((b, "code/student02/linked.txt"), (c, "data/linked.txt")):
            r = client.get(f"{V1}/repo/{path}")
            assert r.status_code == 403 and "hard link" in r.json()["error"], r.text
            assert b"student01's work" not in r.content
    finally:
        b.close()
        c.close()


def test_an_attendees_prediction_server_sees_only_its_model_and_scoring_code(shared: Workshop) -> None:
    """The scoring code an attendee registers runs in the server: it gets the same walls."""
    p = _paths(shared)
    b = shared.login("student02")
    try:
        code = upload_lab_code(b, "student02")
        done = wait_job(b, submit_training(b, code, user="student02", rounds=5)["id"])
        assert done["state"] == "finished", done["message"]
        scoring = p["repo"] / "code" / "student02" / "taxi" / "scoring.py"
        reads = {
            "credentials": str(p["creds"]),
            "database": str(p["state"] / "platform.db"),
            "other-attendee": str(p["repo"] / "code" / "student01" / "secret.txt"),
        }
        probe = _probe_source(reads, {}, {})
        r = b.put(
            f"{V1}/repo/code/student02/taxi/scoring.py",
            params=REPLACE,
            content=scoring.read_bytes() + probe.encode(),
        )
        assert r.status_code == 201, r.text
        r = b.post(f"{V1}/models", json={"model": "mlops-model-student02", "job_id": done["id"]})
        assert r.status_code == 201, r.text
        r = b.post(
            f"{V1}/deployments",
            json={
                "name": "mlops-inference-server-student02",
                "model": "mlops-model-student02",
                "version": r.json()["version"],
            },
        )
        assert r.status_code == 201, r.text
        dep = wait_state(b, f"{V1}/deployments/mlops-inference-server-student02")
        assert dep["state"] == "configured", dep
        log = (
            p["state"] / "deployments" / "k8smltenant" / "mlops-inference-server-student02" / "server.log"
        ).read_text()
        line = next(ln for ln in log.splitlines() if ln.startswith("@@probe"))
        got = json.loads(line.removeprefix("@@probe "))
        assert got and all(v.startswith("refused") for v in got.values()), got
        ride = {"use_scoring": True, "scoring_args": WORKSHOP_RIDE}
        token = {"X-Auth-Token": dep["auth_token"]}
        r = httpx.post(dep["url"], json=ride, headers=token, timeout=30)
        assert r.status_code == 200 and r.json()["prediction"][0] > 0, r.text
        # pid 1 in its sandbox; its answers and its history name the pid the deployment shows
        assert r.json()["pid"] == dep["pid"] != 1, (r.json()["pid"], dep["pid"])
        base = dep["url"].rsplit("/", 3)[0]
        recent = httpx.get(f"{base}/history", params={"limit": 1}, headers=token, timeout=30).json()
        assert recent[0]["id"] == r.json()["id"] and recent[0]["pid"] == dep["pid"], recent
    finally:
        b.delete(f"{V1}/deployments/mlops-inference-server-student02")
        b.close()
