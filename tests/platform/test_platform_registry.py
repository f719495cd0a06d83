"""The model registry: versions with checksums and lineage; tampered or unfinished bundles refused."""

from __future__ import annotations

from typing import Any

import httpx
from local_platform_support import DEFAULT_USER, REPLACE, V1, submit_training, wait_job

from mlops_tui.services.types import Model, ModelVersion


def test_registered_version_records_checksums_lineage_metrics_and_schema(
    api: httpx.Client, trained_job: dict[str, Any], registered_version: dict[str, Any]
) -> None:
    v = ModelVersion.from_dict(registered_version)
    assert v.model == f"mlops-model-{DEFAULT_USER}" and v.version >= 1
    assert v.path == trained_job["output"]
    assert v.scoring_path == f"code/{DEFAULT_USER}/taxi/scoring.py"
    assert set(v.checksums) >= {"model.ubj", "manifest.json"}
    assert all(c.startswith("sha256:") and len(c) == 71 for c in v.checksums.values())
    assert v.lineage.job_id == trained_job["id"] and v.lineage.data == trained_job["data"]
    assert (
        v.lineage.data_fingerprint == trained_job["data_fingerprint"]
        and v.lineage.code == trained_job["code"]
    )
    assert v.metrics["rmse"] == trained_job["metrics"]["rmse"]
    assert v.input_schema and v.stage == "none" and v.created_by == DEFAULT_USER
    models = [Model.from_dict(m) for m in api.get(f"{V1}/models").json()]
    assert any(m.name == v.model and m.latest_version >= v.version for m in models)
    same = api.get(f"{V1}/models/{v.model}/versions/{v.version}").json()
    assert same == registered_version


def test_versions_count_up_and_stages_change(api: httpx.Client, trained_job: dict[str, Any]) -> None:
    body = {"model": "stage-test", "job_id": trained_job["id"]}
    first = api.post(f"{V1}/models", json=body).json()
    second = api.post(f"{V1}/models", json={**body, "job_id": int(trained_job["id"])}).json()
    assert (first["version"], second["version"]) == (1, 2)
    assert [x["version"] for x in api.get(f"{V1}/models/stage-test/versions").json()] == [2, 1]
    r = api.patch(f"{V1}/models/stage-test/versions/2", json={"stage": "production"})
    assert r.status_code == 200 and r.json()["stage"] == "production"
    bad = api.patch(f"{V1}/models/stage-test/versions/2", json={"stage": "live"})
    assert bad.status_code == 422 and bad.json()["field"] == "stage"


def test_configmap_is_the_workshops(
    api: httpx.Client, local_platform: Any, registered_version: dict[str, Any]
) -> None:
    name, version = registered_version["model"], registered_version["version"]
    cm = api.get(f"{V1}/models/{name}/versions/{version}/configmap").json()
    assert cm["apiVersion"] == "v1" and cm["kind"] == "ConfigMap"
    assert cm["metadata"]["name"] == name
    assert cm["metadata"]["labels"] == {"kubedirector.hpe.com/cmType": "model"}
    data = cm["data"]
    assert set(data) == {"name", "description", "model-version", "path", "scoring-path", "modelType"}
    assert data["model-version"] == str(version) and data["modelType"] == "kubedirector"
    repo = local_platform.state_dir / "repo" / "k8smltenant"
    assert data["path"] == str(repo / registered_version["path"] / "model.ubj")
    assert data["scoring-path"] == str(repo / registered_version["scoring_path"])


def test_unfinished_or_failed_job_is_refused(api: httpx.Client, lab_code: str) -> None:
    api.put(f"{V1}/repo/data/empty.csv", params=REPLACE, content=b"")
    failed = wait_job(api, submit_training(api, lab_code, data="data/empty.csv", rounds=3)["id"])
    assert failed["state"] == "failed"
    r = api.post(f"{V1}/models", json={"model": "refused", "job_id": failed["id"]})
    assert r.status_code == 409 and r.json()["field"] == "job_id" and "failed" in r.json()["error"]
    r = api.post(f"{V1}/models", json={"model": "refused", "job_id": "999999"})
    assert r.status_code == 404 and r.json()["field"] == "job_id"
    assert api.get(f"{V1}/models/refused/versions").status_code == 404


def test_tampered_bundle_is_refused(api: httpx.Client, lab_code: str) -> None:
    job = wait_job(api, submit_training(api, lab_code, rounds=5, **{"max-depth": 3})["id"])
    assert job["state"] == "finished", job["message"]
    model_path = f"{V1}/repo/{job['output']}/model.ubj"
    original = api.get(model_path).content
    assert (
        api.put(model_path, params=REPLACE, content=original[:-1] + bytes([original[-1] ^ 1])).status_code
        == 201
    )
    r = api.post(f"{V1}/models", json={"model": "tampered", "job_id": job["id"]})
    assert r.status_code == 409
    assert (
        r.json()["field"] == "job_id" and "model.ubj" in r.json()["error"] and "checksum" in r.json()["error"]
    )
    assert (
        api.put(model_path, params=REPLACE, content=original).status_code == 201
    )  # restored: now it registers
    assert api.post(f"{V1}/models", json={"model": "tampered", "job_id": job["id"]}).status_code == 201


def test_missing_scoring_code_is_refused(api: httpx.Client, trained_job: dict[str, Any]) -> None:
    r = api.post(
        f"{V1}/models", json={"model": "x", "job_id": trained_job["id"], "scoring_path": "code/none.py"}
    )
    assert r.status_code == 404 and r.json()["field"] == "scoring_path"
    r = api.post(
        f"{V1}/models", json={"model": "x", "job_id": trained_job["id"], "scoring_path": "../../etc/passwd"}
    )
    assert r.status_code == 400 and r.json()["field"] == "scoring_path"
