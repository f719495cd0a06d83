"""Issue 9 §4: in a workshop, an attendee sees the tenant's shared objects but changes only their
own (403 naming the owner), the facilitator changes everything; and §3: caps on deployments.

Attendee A (student01) makes a job, a model version, a deployment, a notebook and files; attendee
B (student02) then tries every change to them, on every endpoint and verb, and gets 403 naming
student01; the facilitator does the same changes and gets 2xx. Reads stay open (the queue and the
registry are shared) but hide other people's secrets (a deployment's auth token).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from local_platform_support import (
    DEFAULT_DATA,
    V1,
    LocalPlatform,
    PlatformFactory,
    Workshop,
    has_sandbox,
    start_workshop,
    submit_training,
    upload_lab_code,
    wait_job,
    wait_state,
)

pytestmark = pytest.mark.skipif(not has_sandbox(), reason="needs bubblewrap (apt-get install bubblewrap)")

A, B = "student01", "student02"
MODEL, DEPLOYMENT, NOTEBOOK = f"mlops-model-{A}", f"mlops-inference-server-{A}", f"mlops-jupyter-notebook-{A}"


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory, local_platform: LocalPlatform) -> Iterator[Workshop]:
    factory = PlatformFactory(
        tmp_path_factory.mktemp("roles"), seed_cache=local_platform.state_dir / "cache" / "default-data"
    )
    ws = start_workshop(
        factory, "roles", [A, B, "student03"], max_deployments_per_attendee=1, max_deployments=2
    )
    yield ws
    factory.close()


@pytest.fixture(scope="module")
def a_objects(workshop: Workshop) -> Iterator[dict[str, Any]]:
    """A's job, model version, deployment and notebook (all real)."""
    a = workshop.login(A)
    code = upload_lab_code(a, A)
    job = wait_job(a, submit_training(a, code, user=A, rounds=5)["id"])
    assert job["state"] == "finished", job["message"]
    r = a.post(f"{V1}/models", json={"model": MODEL, "job_id": job["id"]})
    assert r.status_code == 201, r.text
    version = r.json()
    r = a.post(f"{V1}/deployments", json={"name": DEPLOYMENT, "model": MODEL, "version": version["version"]})
    assert r.status_code == 201, r.text
    assert wait_state(a, f"{V1}/deployments/{DEPLOYMENT}")["state"] == "configured"
    r = a.post(f"{V1}/clusters", json={"name": NOTEBOOK, "kind": "notebook"})
    assert r.status_code == 201, r.text
    long_job = a.post(
        f"{V1}/jobs",
        json={
            "cluster": "training-engine-shared",
            "code": code,
            "data": DEFAULT_DATA,
            "output": f"models/{A}",
            "params": {"rounds": 10000, "max-depth": 8, "early-stopping": 0},
        },
    ).json()
    yield {"job": job, "version": version, "long_job": long_job, "code": code, "client": a}
    a.post(f"{V1}/jobs/{long_job['id']}/cancel")
    a.close()


def _changes(objs: dict[str, Any], b_job: str) -> list[tuple[str, str, Any]]:
    """Every change an attendee could try on A's jobs, models, deployments, clusters and files."""
    job, version = objs["job"]["id"], objs["version"]["version"]
    return [
        ("POST", f"/jobs/{objs['long_job']['id']}/cancel", None),
        (
            "POST",
            "/jobs",
            {
                "cluster": "training-engine-shared",
                "code": objs["code"],
                "data": DEFAULT_DATA,
                "output": f"models/{B}",
            },
        ),  # A's code
        (
            "POST",
            "/jobs",
            {
                "cluster": "training-engine-shared",
                "code": f"code/{B}/taxi",
                "data": DEFAULT_DATA,
                "output": f"models/{A}",
            },
        ),  # into A's folder
        ("POST", "/models", {"model": f"mlops-model-{B}", "job_id": job}),  # A's job
        ("POST", "/models", {"model": MODEL, "job_id": b_job}),  # a version of A's model
        ("PATCH", f"/models/{MODEL}/versions/{version}", {"stage": "production"}),
        ("POST", "/deployments", {"name": f"x-{B}", "model": MODEL, "version": version}),
        ("DELETE", f"/deployments/{DEPLOYMENT}", None),
        ("DELETE", f"/clusters/{DEPLOYMENT}", None),
        ("DELETE", f"/clusters/{NOTEBOOK}", None),
        ("PUT", f"/repo/code/{A}/taxi/planted.py", b"x = 1\n"),
        ("DELETE", f"/repo/code/{A}/taxi/train.py", None),
        ("DELETE", f"/repo/models/{A}", None),
        ("GET", f"/repo/code/{A}/taxi/train.py", None),  # A's folders are A's to read, too
    ]


def _send(client: httpx.Client, method: str, path: str, body: Any) -> httpx.Response:
    if isinstance(body, bytes):
        return client.request(method, V1 + path, content=body)
    return client.request(method, V1 + path, json=body)


def test_attendee_b_gets_403_naming_the_owner_on_every_change(
    workshop: Workshop, a_objects: dict[str, Any]
) -> None:
    b = workshop.login(B)
    try:
        b_code = upload_lab_code(b, B)
        b_job = wait_job(b, submit_training(b, b_code, user=B, rounds=5)["id"])
        assert b_job["state"] == "finished", b_job["message"]
        wrong = []
        for method, path, body in _changes(a_objects, b_job["id"]):
            r = _send(b, method, path, body)
            if (
                r.status_code != 403
                or A not in r.json().get("error", "")
                or r.json().get("code") != "forbidden"
            ):
                wrong.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
        assert wrong == []
        # A's objects are intact, and still shared for reading (the queue, the registry)
        assert b.get(f"{V1}/jobs/{a_objects['job']['id']}").status_code == 200
        assert b.get(f"{V1}/models/{MODEL}/versions").status_code == 200
        dep = b.get(f"{V1}/deployments/{DEPLOYMENT}").json()
        assert dep["state"] == "configured" and dep["auth_token"] is None and dep["owner"] == A
        assert b.get(f"{V1}/class").status_code == 403
        assert b.put(f"{V1}/broadcast", json={"message": "hi"}).status_code == 403
    finally:
        b.close()


def test_the_facilitator_gets_2xx_on_the_same_changes(workshop: Workshop, a_objects: dict[str, Any]) -> None:
    test_attendee_b_gets_403_naming_the_owner_on_every_change(workshop, a_objects)  # B first, then:
    f = workshop.login("facilitator")
    a = a_objects["client"]
    try:
        job, version = a_objects["job"]["id"], a_objects["version"]["version"]
        b_job = next(j for j in f.get(f"{V1}/jobs").json() if j["user"] == B and j["state"] == "finished")
        sent = [
            ("POST", f"/jobs/{a_objects['long_job']['id']}/cancel", None, 200),
            (
                "POST",
                "/jobs",
                {
                    "cluster": "training-engine-shared",
                    "code": a_objects["code"],
                    "data": DEFAULT_DATA,
                    "output": f"models/{A}",
                    "params": {"rounds": 2},
                },
                201,
            ),
            ("POST", "/models", {"model": MODEL, "job_id": job}, 201),
            ("POST", "/models", {"model": MODEL, "job_id": b_job["id"]}, 201),
            ("PATCH", f"/models/{MODEL}/versions/{version}", {"stage": "production"}, 200),
            ("PUT", f"/repo/code/{A}/taxi/planted.py", b"x = 1\n", 201),
            ("GET", f"/repo/code/{A}/taxi/train.py", None, 200),
            ("DELETE", f"/repo/code/{A}/taxi/planted.py", None, 204),
            ("DELETE", f"/clusters/{NOTEBOOK}", None, 204),
            ("DELETE", f"/deployments/{DEPLOYMENT}", None, 204),
        ]
        for method, path, body, want in sent:
            r = _send(f, method, path, body)
            assert r.status_code == want, f"{method} {path}: {r.status_code} {r.text}"
        assert f.get(f"{V1}/class").status_code == 200
        # and A deploys again (A's own change), then B's cap and the platform's cap apply
        r = a.post(f"{V1}/deployments", json={"name": DEPLOYMENT, "model": MODEL, "version": version})
        assert r.status_code == 201, r.text
    finally:
        f.close()


def test_deployment_caps_say_which_cap_and_what_to_do(workshop: Workshop, a_objects: dict[str, Any]) -> None:
    a = a_objects["client"]
    version = a_objects["version"]["version"]
    if a.get(f"{V1}/deployments/{DEPLOYMENT}").status_code == 404:
        assert (
            a.post(
                f"{V1}/deployments", json={"name": DEPLOYMENT, "model": MODEL, "version": version}
            ).status_code
            == 201
        )
    r = a.post(f"{V1}/deployments", json={"name": f"second-{A}", "model": MODEL, "version": version})
    assert r.status_code == 409 and r.json()["code"] == "limit_reached", r.text
    assert DEPLOYMENT in r.json()["error"] and "delete one first" in r.json()["error"]
    f = workshop.login("facilitator")  # the platform-wide cap (2) applies to the facilitator too
    try:
        assert (
            f.post(
                f"{V1}/deployments", json={"name": "f-one", "model": MODEL, "version": version}
            ).status_code
            == 201
        )
        r = f.post(f"{V1}/deployments", json={"name": "f-two", "model": MODEL, "version": version})
        assert r.status_code == 409 and r.json()["code"] == "limit_reached" and "(2," in r.json()["error"], (
            r.text
        )
        assert f.delete(f"{V1}/deployments/f-one").status_code == 204
    finally:
        f.close()


def test_queued_jobs_carry_their_place_and_expected_start(
    workshop: Workshop, a_objects: dict[str, Any]
) -> None:
    """Three jobs of one attendee and one of another on a 2-worker cluster busy with long jobs:
    the other attendee's job is next (fair), and every queued job has a position and a start."""
    a, c = a_objects["client"], workshop.login("student03")
    body = {
        "cluster": "training-engine-shared",
        "data": DEFAULT_DATA,
        "params": {"rounds": 10000, "max-depth": 8, "early-stopping": 0},
    }
    started = []
    try:
        c_code = upload_lab_code(c, "student03")
        for _ in range(2):  # occupy both workers
            started.append(
                a.post(f"{V1}/jobs", json={**body, "code": a_objects["code"], "output": f"models/{A}"}).json()
            )
        for _ in range(3):
            started.append(
                a.post(f"{V1}/jobs", json={**body, "code": a_objects["code"], "output": f"models/{A}"}).json()
            )
        theirs = c.post(f"{V1}/jobs", json={**body, "code": c_code, "output": "models/student03"}).json()
        started.append(theirs)
        queued = [j for j in a.get(f"{V1}/jobs").json() if j["state"] == "queued"]
        assert queued and all(j["queue_position"] and j["estimated_start_at"] for j in queued), queued
        first = min(queued, key=lambda j: j["queue_position"])
        assert first["id"] == theirs["id"], [(j["user"], j["queue_position"]) for j in queued]
        assert c.get(f"{V1}/jobs/{theirs['id']}").json()["queue_position"] == 1
    finally:
        for job in started:
            workshop_f = a if job.get("user") == A else c
            workshop_f.post(f"{V1}/jobs/{job['id']}/cancel")
        c.close()


def test_a_broadcast_is_one_line_of_plain_text(workshop: Workshop) -> None:
    """The tester's case: a broadcast set through the API with a tab, line breaks and ESC broke the
    Class screen's edit box and `workshop status`. Line breaks and tabs become spaces; a control
    character is refused (400, as every malformed field) naming the field and the character."""
    facilitator = workshop.login(workshop.facilitator)
    try:
        r = facilitator.put(f"{V1}/broadcast", json={"message": "\tLab 3:\r\nuse   rounds=20\n"})
        assert r.status_code == 200, r.text
        assert r.json()["message"] == "Lab 3: use rounds=20"
        r = facilitator.put(f"{V1}/broadcast", json={"message": "look \x1b[31mhere\x07"})
        assert r.status_code == 400, r.text
        assert r.json()["field"] == "message" and "U+001B at position 6" in r.json()["error"]
        assert facilitator.get(f"{V1}/broadcast").json()["message"] == "Lab 3: use rounds=20"
        r = facilitator.put(f"{V1}/broadcast", json={"message": "x" * 501})
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "message: at most 500 characters, not 501"
    finally:
        facilitator.delete(f"{V1}/broadcast")
        facilitator.close()
