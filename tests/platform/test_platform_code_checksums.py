"""Everything a prediction server runs is verified: bundle, manifest and scoring package (issue 8 §4)."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
from pathlib import Path
from typing import Any

import httpx
from fault_support import FaultPlatform, predict
from local_platform_support import REPLACE, V1, WORKSHOP_RIDE, LocalPlatform, lab_scripts_dir, wait_state


def _upload_package(api: httpx.Client, folder: str) -> dict[str, bytes]:
    """The lab code as a scoring package of its own at ``folder`` (so tampering touches no other test)."""
    files = {}
    for path in sorted(lab_scripts_dir().rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix in (".py", ".csv"):
            rel = path.relative_to(lab_scripts_dir()).as_posix()
            files[rel] = path.read_bytes()
            assert api.put(f"{V1}/repo/{folder}/{rel}", params=REPLACE, content=files[rel]).status_code == 201
    return files


def _register(api: httpx.Client, job: dict[str, Any], model: str, folder: str) -> dict[str, Any]:
    r = api.post(
        f"{V1}/models", json={"model": model, "job_id": job["id"], "scoring_path": f"{folder}/scoring.py"}
    )
    assert r.status_code == 201, r.text
    return r.json()


def _deploy(api: httpx.Client, name: str, version: dict[str, Any]) -> dict[str, Any]:
    body = {"name": name, "model": version["model"], "version": version["version"]}
    assert api.post(f"{V1}/deployments", json=body).status_code == 201
    return wait_state(api, f"{V1}/deployments/{name}")


def _predict(dep: dict[str, Any], ride: dict[str, Any], timeout: float = 10) -> httpx.Response:
    return httpx.post(
        dep["url"],
        json={"use_scoring": True, "scoring_args": ride},
        headers={"X-Auth-Token": dep["auth_token"]},
        timeout=timeout,
    )


def test_registry_records_every_file_of_the_scoring_package(
    api: httpx.Client, trained_job: dict[str, Any]
) -> None:
    files = _upload_package(api, "code/student01/pinned")
    v = _register(api, trained_job, "pinned-code", "code/student01/pinned")
    expected = {rel: "sha256:" + hashlib.sha256(data).hexdigest() for rel, data in files.items()}
    assert v["scoring_checksums"] == expected
    assert {"scoring.py", "features.py", "zones.py", "zones.csv", "__init__.py"} <= set(expected)
    assert {"model.ubj", "manifest.json"} <= set(v["checksums"])  # the bundle, as before


def test_a_changed_scoring_module_is_refused_naming_the_file(
    api: httpx.Client, local_platform: LocalPlatform, trained_job: dict[str, Any]
) -> None:
    """Issue 8 §4: a line appended to scoring.py after registration was loaded and served silently."""
    folder = "code/student01/tampered"
    files = _upload_package(api, folder)
    v = _register(api, trained_job, "tampered-code", folder)
    dep = _deploy(api, "tampered-code", v)
    assert dep["state"] == "configured" and _predict(dep, WORKSHOP_RIDE).status_code == 200
    evil = files["scoring.py"] + b'\nprint("TAMPERED scoring code loaded", flush=True)\n'
    assert api.put(f"{V1}/repo/{folder}/scoring.py", params=REPLACE, content=evil).status_code == 201
    os.kill(dep["pid"], signal.SIGKILL)  # the supervisor restarts it, and the restart verifies again
    after = wait_state(api, f"{V1}/deployments/tampered-code", states=("config error",))
    assert (
        "scoring package file scoring.py" in after["message"]
        and "changed after registration" in after["message"]
    ), after
    log = (local_platform.state_dir / "deployments").rglob("tampered-code/server.log")
    assert "TAMPERED" not in next(log).read_text()
    r = _predict(dep, WORKSHOP_RIDE)  # never a prediction from the changed code: 503 with the reason
    assert r.status_code == 503 and "scoring.py" in r.json()["error"]
    # A module the package imports is covered too.
    assert (
        api.put(f"{V1}/repo/{folder}/scoring.py", params=REPLACE, content=files["scoring.py"]).status_code
        == 201
    )
    assert (
        api.put(
            f"{V1}/repo/{folder}/features.py", params=REPLACE, content=files["features.py"] + b"\n#"
        ).status_code
        == 201
    )
    assert api.delete(f"{V1}/deployments/tampered-code").status_code == 204
    again = _deploy(api, "tampered-code", v)
    assert again["state"] == "config error" and "scoring package file features.py" in again["message"]
    assert api.delete(f"{V1}/deployments/tampered-code").status_code == 204


def test_nothing_beside_the_package_is_imported(
    api: httpx.Client, local_platform: LocalPlatform, trained_job: dict[str, Any]
) -> None:
    """The package's parent folder is not on sys.path: a planted stand-in for a standard module is
    never imported (a time zone in the ride makes the scoring code import zoneinfo)."""
    folder = "code/student01/planted/taxi"
    _upload_package(api, folder)
    marker = local_platform.state_dir / "planted-module-ran"
    plant = f"open({str(marker)!r}, 'w').write('ran')\nraise SystemExit(9)\n".encode()
    assert (
        api.put(f"{V1}/repo/code/student01/planted/zoneinfo.py", params=REPLACE, content=plant).status_code
        == 201
    )
    v = _register(api, trained_job, "planted-beside", folder)
    dep = _deploy(api, "planted-beside", v)
    assert dep["state"] == "configured", dep
    ride = {
        "pickup_datetime": "2019-02-12T14:00:00+00:00",
        "pickup_zone": 68,
        "dropoff_zone": 144,
        "distance": 2.1,
    }
    r = _predict(dep, ride)
    assert r.status_code == 200 and r.json()["prediction"][0] > 0, r.text
    assert not marker.exists()
    assert api.delete(f"{V1}/deployments/planted-beside").status_code == 204


def test_a_symbolic_link_in_the_scoring_package_is_refused_at_registration(
    api: httpx.Client, local_platform: LocalPlatform, trained_job: dict[str, Any]
) -> None:
    folder = "code/student01/linked"
    _upload_package(api, folder)
    repo = next(p for p in (local_platform.state_dir / "repo").iterdir() if (p / folder).is_dir())
    link = Path(repo / folder / "extra.py")
    link.symlink_to("/etc/hostname")  # as a notebook terminal could
    try:
        r = api.post(
            f"{V1}/models",
            json={
                "model": "linked-code",
                "job_id": trained_job["id"],
                "scoring_path": f"{folder}/scoring.py",
            },
        )
    finally:
        link.unlink()  # (a link's mode is 0777: test_state_files_are_private would take it for shared)
    assert r.status_code == 400 and r.json()["field"] == "scoring_path" and "extra.py" in r.json()["error"]


def _forget_code_checksums(db: Path, model: str, version: int) -> None:
    """What ``registry.migrate`` leaves for a version registered before code checksums existed."""
    with sqlite3.connect(db, timeout=30) as conn:
        conn.execute(
            "UPDATE model_versions SET scoring_checksums = '{}' WHERE model = ? AND version = ?",
            (model, version),
        )
    conn.close()


def test_a_version_registered_before_code_checksums_says_to_register_it_again(
    fault_platform: FaultPlatform,
) -> None:
    """Such a version is refused until registered again; the refusal says so, and how (issue 8 §4)."""
    fp = fault_platform
    job_id = fp.version["lineage"]["job_id"]
    old = fp.api.post(f"{V1}/models", json={"model": "legacy-model", "job_id": job_id}).json()
    dep = fp.deploy("legacy", old)
    assert dep["state"] == "configured"
    _forget_code_checksums(fp.platform.state_dir / "platform.db", "legacy-model", old["version"])
    how = (
        f"version {old['version']} of model legacy-model was registered before the registry recorded "
        "checksums of its scoring code, so that code cannot be verified and is not run: register the "
        'version again: POST /api/mlops/v1/models {"model": "legacy-model", "job_id": '
        f'"{job_id}", "scoring_path": "{old["scoring_path"]}"}} (in the TUI: Registry, n, job {job_id}), '
        "then deploy the new version"
    )
    r = fp.api.post(
        f"{V1}/deployments", json={"name": "legacy-2", "model": "legacy-model", "version": old["version"]}
    )
    assert r.status_code == 409 and r.json()["error"] == how and r.json()["field"] == "version", r.text

    fp.platform.restart()  # e.g. upgraded to a platform that verifies scoring code
    refused = wait_state(fp.api, f"{V1}/deployments/legacy", states=("config error",))
    assert refused["message"] == f"the prediction server refused to serve: {how}", refused
    answer = predict(refused, timeout=5)
    assert answer.status_code == 503 and how in answer.json()["error"]

    # Doing what it says works: the version registered again serves.
    again = fp.api.post(f"{V1}/models", json={"model": "legacy-model", "job_id": job_id}).json()
    assert again["version"] == old["version"] + 1 and again["scoring_checksums"]
    assert predict(fp.deploy("legacy-2", again)).status_code == 200
    fp.delete("legacy")
    fp.delete("legacy-2")
