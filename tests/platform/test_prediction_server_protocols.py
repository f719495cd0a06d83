"""The prediction server as its clients speak to it (issue 10, parts 1-5).

Every case of the issue, against a real deployment of the session platform: ``Expect:
100-continue``, Prometheus metrics from prometheus_client, the Open Inference Protocol through
tritonclient (binary and JSON, compressed or not), strict JSON, the workshop engine's answer and
history, and adaptive batching.
"""

from __future__ import annotations

import gzip
import json
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pytest
from local_platform_support import DEFAULT_USER, V1, WORKSHOP_RIDE, wait_state
from prometheus_client.parser import text_string_to_metric_families

RIDE = {"pickup_datetime": "2019-02-12T09:00:00", "pickup_zone": 68, "dropoff_zone": 144, "distance": 2.1}
RIDES = [
    RIDE,
    {
        **RIDE,
        "pickup_datetime": "2019-06-07T17:59:00",
        "pickup_zone": 230,
        "dropoff_zone": 132,
        "distance": 17.4,
    },
]


def _base(dep: dict[str, Any]) -> str:
    return dep["url"].rsplit("/", 3)[0]


def _path(dep: dict[str, Any]) -> str:
    return "/" + dep["url"].split("/", 3)[3]


def _host_port(dep: dict[str, Any]) -> tuple[str, int]:
    host, port = _base(dep).removeprefix("http://").split(":")
    return host, int(port)


def _predict(dep: dict[str, Any], args: Any, **kw: Any) -> httpx.Response:
    return httpx.post(
        dep["url"],
        json={"use_scoring": True, "scoring_args": args},
        headers={"X-Auth-Token": dep["auth_token"]},
        timeout=30,
        **kw,
    )


def _post_raw(dep: dict[str, Any], path: str, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(
        _base(dep) + path,
        content=body,
        headers={"X-Auth-Token": dep["auth_token"], "Content-Type": "application/json", **headers},
        timeout=30,
    )


def _read_answer(sock: socket.socket) -> bytes:
    """One answer's head and body (Content-Length) from ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


# -- part 1: a maintained server -------------------------------------------------------------------


def test_expect_100_continue_gets_100_or_the_final_answer_at_once(deployment: dict[str, Any]) -> None:
    """Issue 10 §1: curl sends ``Expect: 100-continue`` for a 1.2 MB batch and waited 1 s for a
    ``100 Continue`` that never came. Now: 100 at once with the right token, else the 401 or 413
    before a byte of the body is sent (a client that waited for the 100 would still be waiting)."""
    path = deployment["url"].split("/", 3)[3]
    body = json.dumps({"use_scoring": True, "scoring_args": [WORKSHOP_RIDE] * 5200}).encode()
    assert len(body) > 1_200_000

    def head(token: str, length: int) -> bytes:
        return (
            f"POST /{path} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\nExpect: 100-continue\r\n\r\n"
        ).encode()

    with socket.create_connection(_host_port(deployment), timeout=5) as s:
        s.sendall(head(deployment["auth_token"], len(body)))
        assert s.recv(64).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")  # before the body is sent
        s.sendall(body)
        answer = _read_answer(s)
    assert answer.startswith(b"HTTP/1.1 200")
    assert len(orjson.loads(answer.split(b"\r\n\r\n", 1)[1])["prediction"]) == 5200
    for token, length, status in (("0" * 32, len(body), b"401"), (deployment["auth_token"], 5 << 20, b"413")):
        with socket.create_connection(_host_port(deployment), timeout=5) as s:
            s.sendall(head(token, length))
            answer = _read_answer(s)  # the body is never sent
        assert answer.startswith(b"HTTP/1.1 " + status) and b"100 Continue" not in answer
        assert b"connection: close" in answer.lower()  # the unread body ends the connection


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_gets_100_continue(deployment: dict[str, Any], tmp_path: Path) -> None:
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps({"use_scoring": True, "scoring_args": [WORKSHOP_RIDE] * 5200}))
    done = subprocess.run(
        [
            "curl",
            "-sv",
            "-H",
            f"X-Auth-Token: {deployment['auth_token']}",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            f"@{batch}",
            deployment["url"],
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert "< HTTP/1.1 100 Continue" in done.stderr and "< HTTP/1.1 200 OK" in done.stderr
    assert len(json.loads(done.stdout)["prediction"]) == 5200


def test_metrics_are_prometheus_client_exposition(deployment: dict[str, Any]) -> None:
    """Issue 10 §1: request counts and latency histograms per endpoint, and process metrics."""
    assert _predict(deployment, WORKSHOP_RIDE).status_code == 200
    assert httpx.get(_base(deployment) + "/v2/health/ready").status_code == 200
    families = {
        f.name: f for f in text_string_to_metric_families(httpx.get(_base(deployment) + "/metrics").text)
    }
    requests = {
        (s.labels["endpoint"], s.labels["status"]): s.value
        for s in families["mlops_requests"].samples
        if s.name == "mlops_requests_total"
    }
    assert requests[("predict", "200")] >= 1 and requests[("health", "200")] >= 1
    durations = {s.labels.get("endpoint") for s in families["mlops_request_duration_seconds"].samples}
    assert {"predict", "health"} <= durations
    assert families["mlops_request_duration_seconds"].type == "histogram"
    info = families["mlops_model_info"].samples[0].labels
    assert info["model"] == deployment["model"] and info["version"] == str(deployment["version"])
    assert "process_cpu_seconds" in families and "process_open_fds" in families
    assert families["mlops_batch_rows"].type == "histogram"


# -- part 2: the Open Inference Protocol as stock clients speak it ----------------------------------


def _triton(dep: dict[str, Any]) -> Any:
    import tritonclient.http as tc

    host, port = _host_port(dep)
    return tc.InferenceServerClient(f"{host}:{port}", connection_timeout=10, network_timeout=30)


def _inputs(meta: dict[str, Any], rides: list[dict[str, Any]], binary: bool) -> list[Any]:
    """One tensor per field of the rides, in the datatype the model's metadata declares."""
    import tritonclient.http as tc

    kinds = {i["name"]: i["datatype"] for i in meta["inputs"]}
    dtypes = {"INT64": np.int64, "FP64": np.float64, "BYTES": np.object_}
    tensors = []
    for name in rides[0]:
        data = np.array([r[name] for r in rides], dtype=dtypes[kinds[name]])
        tensor = tc.InferInput(name, [len(rides)], kinds[name])
        tensor.set_data_from_numpy(data, binary_data=binary)
        tensors.append(tensor)
    return tensors


def test_tritonclient_binary_and_json_give_the_values_of_predict(deployment: dict[str, Any]) -> None:
    """Issue 10 §2: tritonclient's defaults (binary tensors, binary output) got 400 "not valid JSON"."""
    import tritonclient.http as tc

    expected = _predict(deployment, RIDES).json()["prediction"]
    client = _triton(deployment)
    model = deployment["model"]

    def token() -> dict[str, str]:  # a new dict for each call: tritonclient adds its headers to it
        return {"X-Auth-Token": deployment["auth_token"]}

    try:
        assert "binary_tensor_data" in client.get_server_metadata()["extensions"]
        meta = client.get_model_metadata(model)
        # binary in, binary out (tritonclient's defaults)
        result = client.infer(model, _inputs(meta, RIDES, binary=True), headers=token())
        assert result.as_numpy("duration_seconds").tolist() == expected
        assert result.get_output("duration_seconds")["parameters"]["binary_data_size"] == 16
        # JSON in, JSON out
        out = [tc.InferRequestedOutput("duration_seconds", binary_data=False)]
        result = client.infer(model, _inputs(meta, RIDES, binary=False), outputs=out, headers=token())
        assert result.as_numpy("duration_seconds").tolist() == expected
        assert result.get_output("duration_seconds")["data"] == expected
        # compressed bodies, and the version's own path
        for algorithm in ("gzip", "deflate"):
            result = client.infer(
                model,
                _inputs(meta, RIDES, binary=True),
                model_version=str(deployment["version"]),
                headers=token(),
                request_compression_algorithm=algorithm,
            )
            assert result.as_numpy("duration_seconds").tolist() == expected
        # without the token: the protocol's error form
        with pytest.raises(tc.InferenceServerException, match="X-Auth-Token"):
            client.infer(model, _inputs(meta, RIDES, binary=True))
    finally:
        client.close()


def test_model_configuration_and_statistics(deployment: dict[str, Any]) -> None:
    """Issue 10 §2: the configuration and statistics extensions, as tritonclient reads them."""
    client = _triton(deployment)
    try:
        config = client.get_model_config(deployment["model"])
        assert (
            config["max_batch_size"] == 1024
            and config["dynamic_batching"]["max_queue_delay_microseconds"] == 0
        )
        assert {"pickup_datetime", "pickup_zone", "dropoff_zone"} <= {i["name"] for i in config["input"]}
        before = client.get_inference_statistics(deployment["model"])["model_stats"][0]
        assert _predict(deployment, RIDES).status_code == 200
        after = client.get_inference_statistics(deployment["model"])["model_stats"][0]
        assert after["inference_count"] == before["inference_count"] + 2
        assert after["execution_count"] == before["execution_count"] + 1
        assert (
            after["inference_stats"]["success"]["count"] == before["inference_stats"]["success"]["count"] + 1
        )
        assert any(b["batch_size"] >= 2 for b in after["batch_stats"])
    finally:
        client.close()


def _infer(dep: dict[str, Any], inputs: list[dict[str, Any]]) -> httpx.Response:
    return _post_raw(dep, f"/v2/models/{dep['model']}/infer", orjson.dumps({"inputs": inputs}))


def test_nested_tensor_data_is_read_row_major(deployment: dict[str, Any]) -> None:
    """Issue 10 §2: ``"shape": [1, 1], "data": [[68]]`` was refused."""
    flat = [{"name": k, "datatype": "BYTES", "shape": [1], "data": [v]} for k, v in RIDE.items()]
    nested = [{"name": k, "datatype": "BYTES", "shape": [1, 1], "data": [[v]]} for k, v in RIDE.items()]
    a, b = _infer(deployment, flat), _infer(deployment, nested)
    assert a.status_code == 200 and b.status_code == 200, b.text
    assert a.json()["outputs"][0]["data"] == b.json()["outputs"][0]["data"]


def test_a_shape_that_does_not_match_its_data_is_refused(deployment: dict[str, Any]) -> None:
    """Issue 10 §2: ``"shape": [2]`` with one value was accepted silently."""
    inputs = [{"name": k, "datatype": "BYTES", "shape": [1], "data": [v]} for k, v in RIDE.items()]
    inputs[1]["shape"] = [2]
    r = _infer(deployment, inputs)
    assert r.status_code == 400 and r.json()["field"] == "inputs[1]"
    assert "inputs[1]" in r.json()["error"] and "2 elements" in r.json()["error"]


def test_data_nested_deeper_than_its_shape_is_refused(deployment: dict[str, Any]) -> None:
    """``"shape": [1], "data": [[68]]`` was flattened silently: a 400 naming the tensor and both shapes."""
    inputs = [{"name": k, "datatype": "BYTES", "shape": [1], "data": [v]} for k, v in RIDE.items()]
    inputs[1]["data"] = [[RIDE["pickup_zone"]]]
    r = _infer(deployment, inputs)
    assert r.status_code == 400, r.text
    assert r.json()["field"] == "inputs[1].data"
    error = r.json()["error"]
    assert error.startswith("inputs[1]: its shape is declared [1] but its data is nested as [1, 1]"), error


def test_data_nested_hundreds_of_levels_is_named_in_a_few_words(deployment: dict[str, Any]) -> None:
    """Data nested 900 levels under a ``[1]`` shape was named by its whole nesting, 2,835 characters."""
    inputs = [{"name": k, "datatype": "BYTES", "shape": [1], "data": [v]} for k, v in RIDE.items()]
    deep: Any = RIDE["pickup_zone"]
    for _ in range(900):
        deep = [deep]
    inputs[1]["data"] = deep
    body = json.dumps({"inputs": inputs}).encode()  # (orjson writes 254 levels at most)
    r = _post_raw(deployment, f"/v2/models/{deployment['model']}/infer", body)
    assert r.status_code == 400 and r.json()["field"] == "inputs[1].data", r.text
    assert r.json()["error"].startswith(
        "inputs[1]: its shape is declared [1] but its data is nested as "
        "[1, 1, 1, 1, 1, 1, … (900 dimensions)]; "
    ), r.text
    assert len(r.json()["error"]) < 300


def test_a_feature_row_as_one_tensor_is_refused_with_the_named_form(deployment: dict[str, Any]) -> None:
    """The workshop's 14 features as one ``[1, 14]`` tensor: the 400 says one named tensor per
    field is the form, naming two of the inputs the model's metadata lists."""
    row = [float(v) for v in WORKSHOP_RIDE.values()]
    assert len(row) == 14
    r = _infer(deployment, [{"name": "input-0", "datatype": "FP64", "shape": [1, 14], "data": [row]}])
    assert r.status_code == 400, r.text
    assert r.json()["field"] == "inputs[0].shape"
    error = r.json()["error"]
    meta = httpx.get(
        f"{_base(deployment)}/v2/models/{deployment['model']}",
        headers={"X-Auth-Token": deployment["auth_token"]},
        timeout=30,
    ).json()
    first, second = (tensor["name"] for tensor in meta["inputs"][:2])
    assert "inputs[0] (input-0) has shape [1, 14]" in error
    assert "one named tensor per input field" in error
    assert f'{{"name":"{first}"' in error and f'{{"name":"{second}"' in error


def test_an_error_names_the_tensor_and_its_element(deployment: dict[str, Any]) -> None:
    """Issue 10 §2: an error in element 1 of dropoff_zone (the third tensor) was reported as
    ``inputs[1].dropoff_zone`` (the ride's number instead of the tensor's)."""
    rides = [RIDE, {**RIDE, "dropoff_zone": 999}]
    inputs = [{"name": k, "datatype": "BYTES", "shape": [2], "data": [r[k] for r in rides]} for k in RIDE]
    assert inputs[2]["name"] == "dropoff_zone"
    r = _infer(deployment, inputs)
    assert r.status_code == 422 and r.json()["field"] == "inputs[2].data[1]", r.text
    assert r.json()["error"].startswith("inputs[2] (dropoff_zone) element 1: ")


def test_binary_tensor_data_is_checked(deployment: dict[str, Any]) -> None:
    """A binary body that does not add up is a 400 naming what is wrong, never a hang or a 500."""
    header = orjson.dumps(
        {
            "inputs": [
                {"name": "distance", "datatype": "FP64", "shape": [2], "parameters": {"binary_data_size": 16}}
            ]
        }
    )
    path = f"/v2/models/{deployment['model']}/infer"
    short = _post_raw(
        deployment, path, header + b"\0" * 8, **{"Inference-Header-Content-Length": str(len(header))}
    )
    assert short.status_code == 400 and short.json()["field"].startswith("inputs[0]")
    wrong = _post_raw(deployment, path, header + b"\0" * 16, **{"Inference-Header-Content-Length": "99999"})
    assert wrong.status_code == 400 and wrong.json()["field"] == "Inference-Header-Content-Length"


# -- part 3: strict JSON at every boundary ------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"use_scoring": true, "scoring_args": {"distance": NaN}}', "scoring_args.distance"),
        (
            b'{"use_scoring": true, "scoring_args": [{"hour": 9}, {"distance": Infinity}]}',
            "scoring_args[1].distance",
        ),
        (
            b'{"use_scoring": true, "scoring_args": {"distance": 1' + b"0" * 400 + b"}}",
            "scoring_args.distance",
        ),
        (b'{"use_scoring": true, "scoring_args": "{\\"distance\\": -Infinity}"}', "scoring_args.distance"),
    ],
)
def test_nan_and_numbers_that_do_not_fit_are_refused(
    deployment: dict[str, Any], body: bytes, field: str
) -> None:
    """Issue 10 §3: a NaN was echoed back (the answer was not JSON), a 401-digit distance gave 500."""
    r = _post_raw(deployment, _path(deployment), body)
    assert r.status_code == 400 and r.json()["field"] == field, r.text
    orjson.loads(r.content)  # a strict parser reads every answer


def test_nan_in_a_tensor_is_refused(deployment: dict[str, Any]) -> None:
    body = b'{"inputs": [{"name": "distance", "datatype": "FP64", "shape": [1], "data": [NaN]}]}'
    r = _post_raw(deployment, f"/v2/models/{deployment['model']}/infer", body)
    assert r.status_code == 400 and r.json()["field"] == "inputs[0].data[0]"


def test_json_nested_ten_thousand_levels_is_a_400(deployment: dict[str, Any]) -> None:
    """Issue 10 §3: 10,000 levels of nesting gave 500 RecursionError."""
    body = b'{"use_scoring": true, "scoring_args": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    r = _post_raw(deployment, _path(deployment), body)
    assert r.status_code == 400 and r.json()["field"] == "body" and "levels" in r.json()["error"]


def test_a_nan_a_thousand_levels_deep_is_named_by_a_bounded_path(deployment: dict[str, Any]) -> None:
    """A NaN 1,000 levels deep got "not valid JSON: unexpected character" (Python's parser, which
    names the field, stops at about 990 levels); 600 levels deep it was named by a path of 3,600
    characters, twice in the answer."""
    for depth in (600, 1000):
        body = b'{"use_scoring": true, "scoring_args": ' + b"[" * depth + b"NaN" + b"]" * depth + b"}"
        r = _post_raw(deployment, _path(deployment), body)
        path = "scoring_args" + "[0]" * depth
        shown = f"{path[:120]}…({len(path)} characters)…{path[-120:]}"
        assert r.status_code == 400 and r.json()["field"] == shown, r.text
        assert r.json()["error"].startswith(f"{shown}: NaN is not a JSON number"), r.text


@pytest.mark.parametrize("depth", [254, 600, 1000])
def test_a_deeply_nested_extra_field_is_ignored_not_a_500(deployment: dict[str, Any], depth: int) -> None:
    """A field nested 254 to 1,023 levels was a 500 "TypeError: Recursion limit reached": the answer's
    echo of it was written by orjson, which writes 254 levels (and reads 1,024)."""
    ride = orjson.dumps(WORKSHOP_RIDE)[:-1] + b', "x": ' + b"[" * depth + b"1" + b"]" * depth + b"}"
    r = _post_raw(deployment, _path(deployment), b'{"use_scoring": true, "scoring_args": ' + ride + b"}")
    assert r.status_code == 200, r.text
    assert r.json()["prediction"] == _predict(deployment, WORKSHOP_RIDE).json()["prediction"]
    assert "ignored unknown field 'x'" in r.json()["warnings"]
    if depth < 900:
        assert r.json()["input"].startswith('{"') and '"x":[[[' in r.json()["input"]
    else:
        assert r.json()["input"] == "(not echoed: nested more than 900 levels deep)"


def test_a_slow_refusal_does_not_hold_other_clients(deployment: dict[str, Any]) -> None:
    """A 4 MiB body whose refused number is at its end is looked for by a parse in Python (2-5 s
    here): on the event loop, a one-ride request sent meanwhile waited for it. Its answer now comes
    first (an order: the big body's refusal takes seconds, the ride's answer milliseconds)."""
    n = (4 << 20) // 2 - 2000
    body = b'{"use_scoring": true, "scoring_args": [' + b"1," * n + b"1e999]}"
    path = _path(deployment)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {deployment['auth_token']}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    answered: list[str] = []
    sent = threading.Event()

    def send_big() -> None:
        with socket.create_connection(_host_port(deployment), timeout=60) as s:
            s.sendall(head + body)
            sent.set()
            answer = s.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400") and b"1e999" in answer, answer[:300]
        answered.append("big")

    sender = threading.Thread(target=send_big)
    sender.start()
    try:
        assert sent.wait(30)
        time.sleep(0.3)  # the server reads 4 MiB on loopback in a few ms, then looks for the number
        r = _predict(deployment, WORKSHOP_RIDE)
        answered.append("small")
        assert r.status_code == 200, r.text
    finally:
        sender.join(timeout=60)
    assert answered == ["small", "big"]


def test_head_on_the_infer_path_is_answered(deployment: dict[str, Any]) -> None:
    """Issue 10 §3: HEAD on the infer path got no answer for 5 s."""
    with socket.create_connection(_host_port(deployment), timeout=2) as s:  # a deadline, not a timing
        s.sendall(f"HEAD /v2/models/{deployment['model']}/infer HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head = s.recv(4096)
    assert head.startswith(b"HTTP/1.1 405") and b"allow: post" in head.lower()


SCORER_RAISING = b'''
class Scorer:
    """Scoring code that fails on some inputs: a ZeroDivisionError, or a fault of its own."""

    @classmethod
    def load(cls, bundle_dir):
        return cls()

    def predict(self, records):
        if any(r.get("fault") for r in records):
            raise RuntimeError("the scoring code itself is broken")
        return [100.0 / r["divisor"] for r in records], []
'''


def test_a_scorer_failure_caused_by_input_is_a_422(
    api: httpx.Client, registered_version: dict[str, Any]
) -> None:
    """Issue 10 §3: a scorer failure caused by the input is a 422, never a 500."""
    folder = f"code/{DEFAULT_USER}/divides"
    for name, content in (("__init__.py", b""), ("scoring.py", SCORER_RAISING)):
        assert api.put(f"{V1}/repo/{folder}/{name}", content=content).status_code == 201
    r = api.post(
        f"{V1}/models",
        json={
            "model": "divides",
            "job_id": registered_version["lineage"]["job_id"],
            "scoring_path": f"{folder}/scoring.py",
        },
    )
    assert r.status_code == 201, r.text
    assert (
        api.post(f"{V1}/deployments", json={"name": "divides", "model": "divides", "version": 1}).status_code
        == 201
    )
    try:
        dep = wait_state(api, f"{V1}/deployments/divides")
        assert dep["state"] == "configured", dep
        assert _predict(dep, {"divisor": 4}).json()["prediction"] == [25.0]
        zero = _predict(dep, {"divisor": 0})
        assert zero.status_code == 422 and zero.json()["field"] == "scoring_args"
        assert "ZeroDivisionError" in zero.json()["error"]
        assert _predict(dep, {"divisor": "4"}).status_code == 422  # TypeError
        broken = _predict(dep, {"divisor": 1, "fault": True})  # not the input's fault: a 500 that says so
        assert broken.status_code == 500 and "scoring code failed" in broken.json()["error"]
    finally:
        api.delete(f"{V1}/deployments/divides")


# -- part 4: the workshop engine's answer, and its history ------------------------------------------


def test_the_answer_has_the_workshop_engine_fields(api: httpx.Client, deployment: dict[str, Any]) -> None:
    """Issue 10 §4 (reference §5.5): id, qid, input, output, status, node, pid, log_url, request_url."""
    one = _predict(deployment, WORKSHOP_RIDE).json()
    assert {"id", "qid", "input", "output", "status", "node", "pid", "log_url", "request_url"} <= set(one)
    assert {"model", "version", "prediction", "latency_ms", "warnings"} <= set(one)
    assert (
        one["status"] == "Finished"
        and one["pid"]
        == api.get(f"{V1}/deployments/{deployment['name']}").json()["pid"]  # (tests restart it)
        and one["node"] == socket.gethostname()
    )
    assert json.loads(one["input"]) == WORKSHOP_RIDE  # the rides as sent, as compact JSON text
    assert one["request_url"] == f"{_base(deployment)}/history/{one['id']}"
    assert one["log_url"] == f"{_base(deployment)}/logs/{one['id']}"
    batch = _predict(deployment, [WORKSHOP_RIDE] * 5000).json()
    assert len(batch["prediction"]) == 5000 and batch["qid"] > one["qid"]
    assert len(batch["input"]) <= 2048 and "4997 more rides" in batch["input"]  # not 5,000 rides echoed


def test_history_and_logs_of_a_request(deployment: dict[str, Any]) -> None:
    token = {"X-Auth-Token": deployment["auth_token"]}
    answer = _predict(deployment, {**WORKSHOP_RIDE, "hour": 30})
    assert answer.status_code == 422 and "record 0" not in answer.json()["error"]  # one ride: no number
    ok = _predict(deployment, WORKSHOP_RIDE).json()
    entry = httpx.get(ok["request_url"], headers=token).json()
    assert len(entry) == 1 and entry[0]["id"] == ok["id"] and entry[0]["output"] == ok["output"]
    assert entry[0]["status"] == "Finished" and entry[0]["qid"] == ok["qid"]
    log = httpx.get(ok["log_url"], headers=token)
    assert log.headers["content-type"].startswith("text/plain") and ok["output"].strip() in log.text
    recent = httpx.get(f"{_base(deployment)}/history", params={"limit": 2}, headers=token).json()
    assert recent[0]["id"] == ok["id"] and recent[1]["status"] == "Failed"
    assert "hour" in recent[1]["error"] and recent[1]["http_status"] == 422
    assert httpx.get(ok["request_url"]).status_code == 401  # token-protected
    assert httpx.get(ok["log_url"], headers={"X-Auth-Token": "0" * 32}).status_code == 401
    assert httpx.get(f"{_base(deployment)}/history/nope", headers=token).status_code == 404


def test_history_keeps_the_last_requests_only(deployment: dict[str, Any]) -> None:
    from mlops_tui.platform.serving.history import SIZE

    token = {"X-Auth-Token": deployment["auth_token"]}
    first = _predict(deployment, WORKSHOP_RIDE).json()
    with httpx.Client(headers=token, timeout=30) as client:
        body = {"use_scoring": True, "scoring_args": WORKSHOP_RIDE}
        for _ in range(SIZE):
            assert client.post(deployment["url"], json=body).status_code == 200
        assert client.get(first["request_url"]).status_code == 404
        assert len(client.get(f"{_base(deployment)}/history", params={"limit": SIZE}).json()) == SIZE
        assert client.get(f"{_base(deployment)}/history", params={"limit": SIZE + 1}).status_code == 400


def test_the_workshops_f0_to_f13_body_is_read_by_column_order(deployment: dict[str, Any]) -> None:
    """Issue 10 §4: the workshop's earliest example posted the fourteen features as f0 ... f13."""
    positional = {f"f{i}": v for i, v in enumerate(WORKSHOP_RIDE.values())}
    r = _predict(deployment, positional)
    assert r.status_code == 200, r.text
    assert r.json()["prediction"] == _predict(deployment, WORKSHOP_RIDE).json()["prediction"]
    assert any("f0=work" in w for w in r.json()["warnings"])


# -- part 5: adaptive batching ------------------------------------------------------------------------


def test_concurrent_requests_share_model_calls_and_get_their_own_rows(
    api: httpx.Client, deployment: dict[str, Any], registered_version: dict[str, Any]
) -> None:
    """Issue 10 §5: requests that arrive while the model is busy are scored in one call, each
    client getting exactly its own rows back; the settings are the deployment's own."""
    body = {
        "name": "batched",
        "model": registered_version["model"],
        "version": registered_version["version"],
        "max_batch_size": 64,
        "max_batch_wait_ms": 300,
    }
    assert api.post(f"{V1}/deployments", json=body).status_code == 201
    try:
        dep = wait_state(api, f"{V1}/deployments/batched")
        assert (
            dep["state"] == "configured" and dep["max_batch_size"] == 64 and dep["max_batch_wait_ms"] == 300
        )
        config = httpx.get(f"{_base(dep)}/v2/models/{dep['model']}/config").json()
        assert (
            config["max_batch_size"] == 64
            and config["dynamic_batching"]["max_queue_delay_microseconds"] == 300_000
        )
        requests = [
            [{**WORKSHOP_RIDE, "hour": (i * 5 + j) % 24} for j in range(1 + i % 3)] for i in range(24)
        ]
        expected = [_predict(deployment, rides).json()["prediction"] for rides in requests]  # one by one
        answers: list[httpx.Response | None] = [None] * len(requests)
        bad: list[httpx.Response] = []

        def send(i: int) -> None:
            answers[i] = _predict(dep, requests[i])

        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(requests))]
        threads.append(
            threading.Thread(target=lambda: bad.append(_predict(dep, {**WORKSHOP_RIDE, "hour": 99})))
        )
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert [a.json()["prediction"] for a in answers if a is not None] == expected
        assert bad[0].status_code == 422 and bad[0].json()["field"] == "scoring_args.hour"  # alone
        stats = httpx.get(f"{_base(dep)}/v2/models/{dep['model']}/stats").json()["model_stats"][0]
        rides = sum(len(r) for r in requests)
        assert stats["inference_count"] == rides
        assert stats["execution_count"] < len(requests)  # fewer model calls than requests
        assert max(b["batch_size"] for b in stats["batch_stats"]) <= 64
        assert max(b["batch_size"] for b in stats["batch_stats"]) > 3  # more than one request's rows
    finally:
        api.delete(f"{V1}/deployments/batched")


def test_batching_settings_are_checked(api: httpx.Client, registered_version: dict[str, Any]) -> None:
    for field, value in (("max_batch_size", 0), ("max_batch_size", 10_001), ("max_batch_wait_ms", -1)):
        body = {
            "name": "bad-batching",
            "model": registered_version["model"],
            "version": registered_version["version"],
            field: value,
        }
        r = api.post(f"{V1}/deployments", json=body)
        assert r.status_code == 422 and r.json()["field"] == field, r.text


def test_a_gzip_workshop_request(deployment: dict[str, Any]) -> None:
    body = gzip.compress(orjson.dumps({"use_scoring": True, "scoring_args": WORKSHOP_RIDE}))
    r = _post_raw(deployment, _path(deployment), body, **{"Content-Encoding": "gzip"})
    assert (
        r.status_code == 200
        and r.json()["prediction"] == _predict(deployment, WORKSHOP_RIDE).json()["prediction"]
    )
    bomb = gzip.compress(b" " * (64 << 20))  # 64 MiB of spaces in about 64 KiB
    r = _post_raw(deployment, _path(deployment), bomb, **{"Content-Encoding": "gzip"})
    assert r.status_code == 413 and "decompressed" in r.json()["error"]


@pytest.mark.parametrize("encoding", ["UTF-8", "utf-8", "identity"])
def test_a_charset_in_content_encoding_is_read_as_plain_json(
    deployment: dict[str, Any], encoding: str
) -> None:
    """Some clients send ``Content-Encoding: UTF-8`` meaning the charset: the platform's API read
    such a body as plain JSON, the prediction server answered 415 (one rule now: content_coding)."""
    r = _post_raw(
        deployment, _path(deployment), _workshop_body(WORKSHOP_RIDE), **{"Content-Encoding": encoding}
    )
    assert r.status_code == 200, r.text
    assert r.json()["prediction"] == _predict(deployment, WORKSHOP_RIDE).json()["prediction"]


@pytest.mark.parametrize("encoding", ["br", "zstd", "x-compress"])
def test_a_compression_the_server_does_not_decode_is_415(deployment: dict[str, Any], encoding: str) -> None:
    r = _post_raw(
        deployment, _path(deployment), _workshop_body(WORKSHOP_RIDE), **{"Content-Encoding": encoding}
    )
    assert r.status_code == 415 and r.json()["field"] == "Content-Encoding", r.text
    assert r.json()["error"] == f"Content-Encoding {encoding} is not supported (gzip, deflate)"


def _workshop_body(ride: dict[str, Any]) -> bytes:
    return orjson.dumps({"use_scoring": True, "scoring_args": ride})


def _not_utf8_json_cases() -> list[Any]:
    text = _workshop_body(WORKSHOP_RIDE).decode()
    return [
        pytest.param(gzip.compress(text.encode()), "gzip-compressed", id="gzip-without-content-encoding"),
        pytest.param(text.encode("utf-16"), "UTF-16 (little-endian)", id="utf-16-with-bom"),
        pytest.param(text.encode("utf-16-be"), "UTF-16 (big-endian)", id="utf-16be"),
        pytest.param(text.encode("utf-32"), "UTF-32 (little-endian)", id="utf-32"),
        pytest.param(
            text.replace("}}", ', "note": "Zürich"}}').encode("latin-1"),
            "not UTF-8 text (byte 0xfc",
            id="latin-1",
        ),
    ]


@pytest.mark.parametrize(("body", "named"), _not_utf8_json_cases())
def test_a_body_that_is_not_utf8_json_is_named(deployment: dict[str, Any], body: bytes, named: str) -> None:
    """A gzip body sent without Content-Encoding, or PowerShell 5's UTF-16, was "not valid JSON:
    str is not valid UTF-8": a 400 naming what the body is and what to send instead."""
    for path in (_path(deployment), f"/v2/models/{deployment['model']}/infer"):
        r = _post_raw(deployment, path, body)
        assert r.status_code == 400 and r.json()["field"] == "body", r.text
        assert named in r.json()["error"], r.text


def test_a_utf8_byte_order_mark_is_ignored(deployment: dict[str, Any]) -> None:
    """RFC 8259 §8.1 lets a parser ignore it (Windows tools write it)."""
    r = _post_raw(deployment, _path(deployment), b"\xef\xbb\xbf" + _workshop_body(WORKSHOP_RIDE))
    assert r.status_code == 200, r.text
    assert r.json()["prediction"] == _predict(deployment, WORKSHOP_RIDE).json()["prediction"]


def test_a_key_given_twice_is_a_400_naming_it(deployment: dict[str, Any]) -> None:
    """The server kept the last distance of two: the answer was for a ride the client may not
    have meant."""
    body = _workshop_body(WORKSHOP_RIDE).replace(b'"distance":', b'"distance":99,"distance":', 1)
    r = _post_raw(deployment, _path(deployment), body)
    assert r.status_code == 400 and r.json()["field"] == "scoring_args.distance", r.text
    infer = {"inputs": [{"name": "distance", "datatype": "FP64", "shape": [1], "data": [2.0]}]}
    twice = orjson.dumps(infer).replace(b'"shape":', b'"shape":[2],"shape":', 1)
    r = _post_raw(deployment, f"/v2/models/{deployment['model']}/infer", twice)
    assert r.status_code == 400 and r.json()["field"] == "inputs[0].shape", r.text


def test_a_key_beside_the_workshop_request_is_a_warning(deployment: dict[str, Any]) -> None:
    body = orjson.dumps({"use_scoring": True, "scoring_args": WORKSHOP_RIDE, "model": "taxi"})
    r = _post_raw(deployment, _path(deployment), body)
    assert r.status_code == 200, r.text
    assert (
        r.json()["warnings"][0] == "'model' ignored: a workshop request has only use_scoring and scoring_args"
    )


def test_a_key_the_protocol_does_not_define_is_a_warning(deployment: dict[str, Any]) -> None:
    inputs = [{"name": k, "datatype": "FP64", "shape": [1], "data": [v]} for k, v in WORKSHOP_RIDE.items()]
    inputs[0]["dtype"] = "FP64"
    body = orjson.dumps({"inputs": inputs, "model_name": "taxi"})
    r = _post_raw(deployment, f"/v2/models/{deployment['model']}/infer", body)
    assert r.status_code == 200, r.text
    assert r.json()["parameters"]["warnings"][:2] == [
        "'model_name' ignored: not a key of an inference request",
        "inputs[0].dtype ignored: not a key of a tensor",
    ]


def test_json_nested_beyond_what_orjson_writes_is_answered(deployment: dict[str, Any]) -> None:
    """Valid JSON nested 255 to 1,024 levels was a 500 "TypeError: Recursion limit reached" (the
    key-twice check wrote the parsed body back out with orjson, which writes at most 254 levels)."""
    deep = b"[" * 300 + b"]" * 300
    r = _post_raw(
        deployment, _path(deployment), _workshop_body(WORKSHOP_RIDE)[:-1] + b', "note": ' + deep + b"}"
    )
    assert r.status_code == 200, r.text
    assert (
        r.json()["warnings"][0] == "'note' ignored: a workshop request has only use_scoring and scoring_args"
    )
