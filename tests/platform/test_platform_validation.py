"""Bad input gets a clear 4xx naming the field: never a 500, never a hang."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from local_platform_support import DEFAULT_DATA, REPLACE, V1

BAD_REQUESTS = [
    # (method, path, json body, status, field)
    ("POST", "/api/v2/session", {"name": "x", "password": "y"}, 422, "tenant_name"),
    ("POST", "/api/mlops/v1/clusters", {"name": "Bad_Name", "kind": "notebook"}, 422, "name"),
    ("POST", "/api/mlops/v1/clusters", {"name": "nb", "kind": "gpu"}, 422, "kind"),
    ("POST", "/api/mlops/v1/clusters", {"name": "nb", "kind": "training", "members": 0}, 422, "members"),
    ("POST", "/api/mlops/v1/clusters", {"name": "nb", "kind": "training", "memory": "lots"}, 422, "memory"),
    ("POST", "/api/mlops/v1/clusters", {"name": "dep", "kind": "deployment"}, 400, "kind"),
    ("POST", "/api/mlops/v1/clusters", {"name": "training-engine-shared", "kind": "training"}, 409, "name"),
    ("GET", "/api/mlops/v1/clusters?kind=gpu", None, 422, "kind"),
    ("DELETE", "/api/mlops/v1/clusters/training-engine-shared", None, 409, "name"),
    ("POST", "/api/mlops/v1/jobs", {"cluster": "training-engine-shared"}, 422, "code"),
    (
        "POST",
        "/api/mlops/v1/jobs",
        {"cluster": "nope", "code": "code/student01/taxi", "data": DEFAULT_DATA, "output": "models/x"},
        404,
        "cluster",
    ),
    (
        "POST",
        "/api/mlops/v1/jobs",
        {
            "cluster": "training-engine-shared",
            "code": "code/missing",
            "data": DEFAULT_DATA,
            "output": "models/x",
        },
        404,
        "code",
    ),
    (
        "POST",
        "/api/mlops/v1/jobs",
        {
            "cluster": "training-engine-shared",
            "code": "../../etc",
            "data": DEFAULT_DATA,
            "output": "models/x",
        },
        400,
        "code",
    ),
    (
        "POST",
        "/api/mlops/v1/jobs",
        {
            "cluster": "training-engine-shared",
            "code": "code/student01/taxi",
            "data": "data/missing.csv",
            "output": "models/x",
        },
        404,
        "data",
    ),
    (
        "POST",
        "/api/mlops/v1/jobs",
        {
            "cluster": "training-engine-shared",
            "code": "code/student01/taxi",
            "data": DEFAULT_DATA,
            "output": "/tmp/x",
        },
        400,
        "output",
    ),
    (
        "POST",
        "/api/mlops/v1/jobs",
        {
            "cluster": "training-engine-shared",
            "code": "code/student01/taxi",
            "data": DEFAULT_DATA,
            "output": "models/x",
            "entrypoint": "os.system",
        },
        422,
        "entrypoint",
    ),
    (
        "POST",
        "/api/mlops/v1/jobs",
        {
            "cluster": "training-engine-shared",
            "code": "code/student01/taxi",
            "data": DEFAULT_DATA,
            "output": "models/x",
            "entrypoint": "nothere",
        },
        404,
        "entrypoint",
    ),
    (
        "POST",
        "/api/mlops/v1/jobs",
        {
            "cluster": "training-engine-shared",
            "code": "code/student01/taxi",
            "data": DEFAULT_DATA,
            "output": "models/x",
            "params": {"output": "/etc"},
        },
        400,
        "params.output",
    ),
    (
        "POST",
        "/api/mlops/v1/jobs",
        {
            "cluster": "training-engine-shared",
            "code": "code/student01/taxi",
            "data": DEFAULT_DATA,
            "output": "models/x",
            "params": {"rounds": [1]},
        },
        422,
        "params.rounds",
    ),
    ("GET", "/api/mlops/v1/jobs/abc", None, 404, "id"),
    ("GET", "/api/mlops/v1/jobs/999999/metrics", None, 404, "id"),
    ("GET", "/api/mlops/v1/jobs/1/log?from_line=-1", None, 422, "from_line"),
    ("GET", "/api/mlops/v1/repo/..%2F..%2Fplatform.db", None, 400, "path"),
    ("GET", "/api/mlops/v1/repo/data/..%2F..%2F..%2Fplatform.db", None, 400, "path"),
    ("GET", "/api/mlops/v1/repo/data", None, 409, "path"),  # a directory: a state, not a syntax
    ("GET", "/api/mlops/v1/repo/data/none.csv", None, 404, "path"),
    ("DELETE", "/api/mlops/v1/repo/data/none.csv", None, 404, "path"),
    ("GET", "/api/mlops/v1/repo?prefix=../", None, 400, "prefix"),
    ("POST", "/api/mlops/v1/models", {"model": "bad name!", "job_id": "1"}, 422, "model"),
    ("POST", "/api/mlops/v1/models", {"model": "m"}, 422, "job_id"),
    ("GET", "/api/mlops/v1/models/none/versions", None, 404, "model"),
    ("GET", "/api/mlops/v1/models/none/versions/x", None, 422, "version"),
    ("POST", "/api/mlops/v1/deployments", {"name": "d", "model": "none", "version": 1}, 404, "model"),
    ("POST", "/api/mlops/v1/deployments", {"name": "d", "model": "none", "version": 0}, 422, "version"),
    ("POST", "/api/mlops/v1/deployments", {"name": "UPPER", "model": "none", "version": 1}, 422, "name"),
    ("GET", "/api/mlops/v1/deployments/none", None, 404, "name"),
    ("GET", "/api/mlops/v1/jobs/99999999999999999999999", None, 404, "id"),
    ("GET", "/api/mlops/v1/models/none/versions/99999999999999999999999", None, 404, "model"),
    ("POST", "/api/mlops/v1/models", {"model": "m", "job_id": "99999999999999999999999"}, 404, "job_id"),
    ("PUT", "/api/mlops/v1/repo/data/" + "x" * 300, None, 400, "path"),
    ("GET", "/api/mlops/v1/nothing-here", None, 404, None),
    ("PUT", "/api/mlops/v1/jobs", None, 405, "method"),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field"),
    BAD_REQUESTS,
    ids=[f"{m} {p} {f}" for m, p, _, _, f in BAD_REQUESTS],
)
def test_bad_request_is_a_clear_4xx(
    api: httpx.Client, lab_code: str, method: str, path: str, body: Any, status: int, field: str | None
) -> None:
    r = api.request(method, path, json=body, timeout=10)
    assert r.status_code == status, r.text
    err = r.json()
    assert set(err) == {"error", "code", "field"} and err["field"] == field and err["error"]
    assert "Traceback" not in err["error"]
    if field and status in (400, 422):
        assert field.split(".")[-1] in err["error"]


def test_invalid_json_body_names_the_body(api: httpx.Client) -> None:
    r = api.post(f"{V1}/jobs", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["field"] == "body"


def test_repo_round_trip_and_listing(api: httpx.Client) -> None:
    r = api.put(f"{V1}/repo/data/sub/dir/file.txt", params=REPLACE, content=b"hello")
    assert r.status_code == 201 and r.json()["path"] == "data/sub/dir/file.txt" and r.json()["size"] == 5
    assert api.get(f"{V1}/repo/data/sub/dir/file.txt").content == b"hello"
    listing = api.get(f"{V1}/repo", params={"prefix": "data/sub/"}).json()
    assert [(e["path"], e["is_dir"]) for e in listing] == [
        ("data/sub/dir", True),
        ("data/sub/dir/file.txt", False),
    ]
    bad = api.put(f"{V1}/repo/data/sub/dir/file.txt/inner", params=REPLACE, content=b"x")
    assert bad.status_code == 409 and bad.json()["field"] == "path"
    assert api.delete(f"{V1}/repo/data/sub").status_code == 204
    assert api.get(f"{V1}/repo", params={"prefix": "data/sub/"}).json() == []


def test_a_symlink_out_of_the_repository_is_refused(api: httpx.Client, local_platform: Any) -> None:
    # A training job can create symlinks in the repository; they must not open the rest of the disk.
    link = local_platform.state_dir / "repo" / "k8smltenant" / "data" / "escape"
    link.symlink_to(local_platform.state_dir)
    try:
        r = api.get(f"{V1}/repo/data/escape/platform.db")
        assert r.status_code == 400 and r.json()["field"] == "path"
        assert all("platform.db" not in e["path"] for e in api.get(f"{V1}/repo").json())
    finally:
        link.unlink()


@pytest.mark.parametrize(
    ("data", "params", "field", "says"),
    [
        (DEFAULT_DATA, {"data": "data/x.csv"}, "params.data", "data is not a training parameter"),
        ("data/../platform.db", {}, "data", "must name a data file of the project repository"),
        ("models/x/model.ubj", {}, "data", "ending in .csv, .csv.gz or .parquet"),
    ],
)
def test_job_data_is_checked_by_the_data_name_rule(
    api: httpx.Client, data: str, params: dict[str, Any], field: str, says: str
) -> None:
    """The data of a job follows the one data-name rule (issue 12); `params.data` says where the
    data goes instead of a rule about lower-case parameter names."""
    body = {
        "cluster": "training-engine-shared",
        "code": "code/student01/taxi",
        "data": data,
        "output": "models/x",
        "params": params,
    }
    r = api.post(f"{V1}/jobs", json=body)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["field"] == field and says in r.json()["error"]
    assert "lower-case" not in r.json()["error"]


def test_an_upload_over_the_limit_is_refused_before_it_is_sent(api: httpx.Client) -> None:
    """A 600 MiB upload is refused from its Content-Length, without waiting for the body."""
    import http.client
    import json

    url = httpx.URL(str(api.base_url))
    conn = http.client.HTTPConnection(url.host, url.port, timeout=10)
    try:
        conn.putrequest("PUT", f"{V1}/repo/data/huge.csv")
        conn.putheader("X-BDS-SESSION", api.headers["X-BDS-SESSION"])
        conn.putheader("Content-Length", str(600 << 20))
        conn.endheaders(b"x" * 1024)
        response = conn.getresponse()
        body = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 413 and "the limit is 512 MiB" in body["error"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"rounds": "abc"}, "params.rounds must be a whole number from 1 to 10000, not 'abc'"),
        ({"rounds": 0}, "params.rounds must be a whole number from 1 to 10000, not '0'"),
        ({"learning-rate": 2}, "params.learning-rate must be a number greater than 0 and at most 1"),
        ({"max-depth": 4.5}, "params.max-depth must be a whole number from 1 to 20"),
        ({"period": "2019-13"}, "params.period must be a month YYYY-MM or a range YYYY-MM..YYYY-MM"),
    ],
)
def test_a_training_parameter_out_of_its_range_is_refused_at_submission(
    api: httpx.Client, lab_code: str, params: dict[str, Any], message: str
) -> None:
    """The rules of lab_scripts/params.py, as in the Train dialog, the guide and lab run --param:
    a bad value is refused here, not 20 s into a job that fails (issue 11 §1)."""
    jobs = len(api.get(f"{V1}/jobs").json())
    body = {"cluster": "training-engine-shared", "code": lab_code, "data": DEFAULT_DATA, "output": "models/x"}
    r = api.post(f"{V1}/jobs", json={**body, "params": params}, timeout=10)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == f"params.{next(iter(params))}" and message in r.json()["error"]
    assert len(api.get(f"{V1}/jobs").json()) == jobs


@pytest.mark.parametrize(
    ("method", "path", "body", "said"),
    [
        (
            "POST",
            "/jobs",
            {
                "cluster": "training-engine-shared",
                "code": "code/x",
                "data": "my rides.csv",
                "output": "models/x",
            },
            "data: my rides.csv is refused as a data file name: it must name a data file",
        ),
        ("POST", "/models", {"model": "my model", "job_id": 1}, "model: my model is refused as a model name"),
        ("GET", "/models/it's/versions", None, "no model it's in this tenant's registry"),
        ("GET", "/repo/data/no such.csv", None, "no file data/no such.csv in the project repository"),
        ("DELETE", "/deployments/my dep", None, "no deployment my dep in this tenant"),
    ],
)
def test_the_api_names_what_it_refuses_as_typed(
    api: httpx.Client, method: str, path: str, body: dict[str, Any] | None, said: str
) -> None:
    """The API's error detail reaches the person (CLI, TUI): a Python repr ('my rides.csv') in it
    is a notation nobody typed (issue 13 tester, item 7)."""
    r = api.request(method, f"{V1}{path}", json=body)
    assert 400 <= r.status_code < 500, r.text
    assert said in r.json()["error"], r.json()["error"]
    assert "'my" not in r.json()["error"] and '"it' not in r.json()["error"]
