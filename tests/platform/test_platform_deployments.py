"""Deployment engines: real prediction servers, their auth, errors, protocol, metrics and supervision."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import httpx
from local_platform_support import REPLACE, V1, WORKSHOP_RIDE, submit_training, wait_job, wait_state

from mlops_tui.services.types import Cluster, Deployment


def _predict(dep: dict[str, Any], body: Any, token: str | None = "", **kw: Any) -> httpx.Response:
    headers = {} if token is None else {"X-Auth-Token": token or dep["auth_token"]}
    kw.setdefault("timeout", 30)
    return httpx.post(dep["url"], json=body, headers=headers, **kw)


def test_deployment_serves_the_workshop_request(deployment: dict[str, Any]) -> None:
    d = Deployment.from_dict(deployment)
    assert d.ready and d.url.endswith(f"/{d.model}/{d.version}/predict") and len(d.auth_token or "") == 32
    r = _predict(deployment, {"use_scoring": True, "scoring_args": WORKSHOP_RIDE})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "Finished" and len(body["prediction"]) == 1
    assert 60 < body["prediction"][0] < 6 * 3600
    assert body["output"] == f"The ride duration prediction is {body['prediction'][0]:.1f} seconds.\n"
    assert body["model"] == d.model and body["version"] == str(d.version) and body["latency_ms"] > 0
    assert any("work" in w for w in body["warnings"])  # the workshop's inconsistent work flag is noted


def test_several_records_and_token_in_query(deployment: dict[str, Any]) -> None:
    rides = [WORKSHOP_RIDE, {**WORKSHOP_RIDE, "distance": 2, "hour": 3}]
    r = httpx.post(
        deployment["url"],
        params={"X-Auth-Token": deployment["auth_token"]},
        json={"use_scoring": True, "scoring_args": rides},
    )
    assert r.status_code == 200 and len(r.json()["prediction"]) == 2
    assert r.json()["output"].count("\n") == 2


def test_wrong_or_missing_token_is_401(deployment: dict[str, Any]) -> None:
    body = {"use_scoring": True, "scoring_args": WORKSHOP_RIDE}
    for token in ("0" * 32, None):
        r = _predict(deployment, body, token=token)
        assert r.status_code == 401 and r.json()["field"] == "X-Auth-Token"


def test_malformed_requests_name_the_field(deployment: dict[str, Any]) -> None:
    cases = [
        ({"use_scoring": True}, "scoring_args"),
        ({"use_scoring": True, "scoring_args": 5}, "scoring_args"),
        ({"use_scoring": False, "scoring_args": WORKSHOP_RIDE}, "use_scoring"),
        ({"use_scoring": True, "scoring_args": {**WORKSHOP_RIDE, "hour": 31}}, "scoring_args.hour"),
        (
            {"use_scoring": True, "scoring_args": {**WORKSHOP_RIDE, "distance": "far"}},
            "scoring_args.distance",
        ),
        (
            {"use_scoring": True, "scoring_args": [WORKSHOP_RIDE, {**WORKSHOP_RIDE, "hour": -1}]},
            "scoring_args[1].hour",
        ),
        ([1, 2], "body"),
    ]
    for body, field in cases:
        r = _predict(deployment, body)
        assert 400 <= r.status_code < 500, (body, r.text)
        assert r.json()["field"] == field, (body, r.json())
        assert field.split(".")[-1].split("[")[0] in r.json()["error"]
        assert "record " not in r.json()["error"]  # scoring_args[1] names the ride once, not twice
    r = httpx.post(
        deployment["url"], content=b"{not json", headers={"X-Auth-Token": deployment["auth_token"]}
    )
    assert r.status_code == 400 and r.json()["field"] == "body"


def test_open_inference_protocol_and_metrics(deployment: dict[str, Any]) -> None:
    base = deployment["url"].rsplit("/", 3)[0]
    model = deployment["model"]
    assert httpx.get(f"{base}/v2/health/live").status_code == 200
    assert httpx.get(f"{base}/v2/health/ready").json() == {"ready": True}
    meta = httpx.get(f"{base}/v2/models/{model}").json()
    names = [i["name"] for i in meta["inputs"]]
    assert meta["name"] == model and names
    ride = {
        "pickup_datetime": "2019-02-13T09:00:00",
        "pickup_zone": 161,
        "dropoff_zone": 236,
        "distance": 2.5,
        "passengers": 1,
    }
    ride = {k: v for k, v in ride.items() if k in names} or WORKSHOP_RIDE
    infer = {"inputs": [{"name": k, "datatype": "BYTES", "shape": [1], "data": [v]} for k, v in ride.items()]}
    r = httpx.post(
        f"{base}/v2/models/{model}/infer", json=infer, headers={"X-Auth-Token": deployment["auth_token"]}
    )
    assert r.status_code == 200, r.text
    out = r.json()["outputs"][0]
    assert out["shape"] == [1] and out["data"][0] > 0
    assert httpx.post(f"{base}/v2/models/{model}/infer", json=infer).status_code == 401
    text = httpx.get(f"{base}/metrics").text
    assert 'endpoint="predict",status="200"' in text and 'endpoint="predict",status="401"' in text
    assert "mlops_prediction_latency_seconds_bucket" in text and "mlops_model_load_seconds" in text


def test_deployment_is_a_deployment_engine_cluster(api: httpx.Client, deployment: dict[str, Any]) -> None:
    c = Cluster.from_dict(api.get(f"{V1}/clusters/{deployment['name']}").json())
    assert c.kind == "deployment" and c.app == "deployment-engine" and c.ready
    assert c.members[0].name == "LoadBalancer-0" and c.members[0].pid
    assert c.endpoints[0].url == deployment["url"] and c.endpoints[0].auth_token == deployment["auth_token"]
    assert c.connections == {"configmaps": [deployment["model"]]}
    assert deployment["name"] in [
        x["name"] for x in api.get(f"{V1}/clusters", params={"kind": "deployment"}).json()
    ]


def test_killed_server_serves_again_within_5_seconds(api: httpx.Client, deployment: dict[str, Any]) -> None:
    before = api.get(f"{V1}/deployments/{deployment['name']}").json()
    os.kill(before["pid"], signal.SIGKILL)
    t0 = time.monotonic()
    r = _predict(before, {"use_scoring": True, "scoring_args": WORKSHOP_RIDE}, timeout=5)
    elapsed = time.monotonic() - t0
    assert r.status_code == 200 and elapsed < 5, elapsed
    after = wait_state(api, f"{V1}/deployments/{deployment['name']}")
    assert after["state"] == "configured" and after["restarts"] == before["restarts"] + 1
    assert after["pid"] != before["pid"] and after["url"] == before["url"]


def test_a_bundle_changed_after_registration_is_refused_by_the_server(
    api: httpx.Client, lab_code: str
) -> None:
    job = wait_job(api, submit_training(api, lab_code, rounds=5, **{"max-depth": 3})["id"])
    v = api.post(f"{V1}/models", json={"model": "changed-later", "job_id": job["id"]}).json()
    manifest = f"{V1}/repo/{job['output']}/manifest.json"
    assert api.put(manifest, params=REPLACE, content=api.get(manifest).content + b"\n").status_code == 201
    r = api.post(
        f"{V1}/deployments", json={"name": "changed-later", "model": "changed-later", "version": v["version"]}
    )
    assert r.status_code == 201
    dep = wait_state(api, f"{V1}/deployments/changed-later")
    assert dep["state"] == "config error" and "manifest.json" in dep["message"], dep
    assert api.delete(f"{V1}/deployments/changed-later").status_code == 204


def test_delete_stops_the_server(api: httpx.Client, registered_version: dict[str, Any]) -> None:
    r = api.post(
        f"{V1}/deployments",
        json={
            "name": "short-lived",
            "model": registered_version["model"],
            "version": registered_version["version"],
        },
    )
    dep = wait_state(api, f"{V1}/deployments/short-lived")
    assert r.status_code == 201 and dep["state"] == "configured"
    dup = api.post(
        f"{V1}/deployments",
        json={
            "name": "short-lived",
            "model": registered_version["model"],
            "version": registered_version["version"],
        },
    )
    assert dup.status_code == 409 and dup.json()["field"] == "name"
    assert api.delete(f"{V1}/deployments/short-lived").status_code == 204
    assert api.get(f"{V1}/deployments/short-lived").status_code == 404
    try:
        os.kill(dep["pid"], 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive
    assert not _listening(dep["url"]), "the deleted deployment's port still answers"


def _listening(url: str) -> bool:
    try:
        httpx.get(url.rsplit("/", 3)[0] + "/v2/health/live", timeout=1)
        return True
    except httpx.HTTPError:
        return False


def test_prediction_server_runs_with_resource_limits(api: httpx.Client, deployment: dict[str, Any]) -> None:
    """A server lives for days: no CPU-time limit, but bounded memory, file size and open files."""
    pid = wait_state(api, f"{V1}/deployments/{deployment['name']}")["pid"]  # current (restarts change it)
    table = Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]
    limits = {line[:26].strip(): line[26:47].strip() for line in table}
    assert limits["Max address space"] == str(8 << 30)
    assert limits["Max file size"] == str(1 << 30)
    assert limits["Max open files"] == "4096"
    assert limits["Max core file size"] == "0"
    assert limits["Max cpu time"] == "unlimited"
