"""Predictions over the deployment engine's gateway endpoint (reference §5.3-5.5).

``POST https://<gateway>:<port>/<model>/<version>/predict`` with ``X-Auth-Token`` and
``{"use_scoring": true, "scoring_args": {...}}``; the answer's ``output`` is the scoring script's
stdout, "The ride duration prediction is <v> seconds.". The scoring script takes one JSON object
(``sys.argv[1]``), so several records are several requests.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from mlops_tui.services import errors, httpclient
from mlops_tui.services.curl import Curl, Secret
from mlops_tui.services.kubernetes import errmap
from mlops_tui.services.kubernetes.options import KubernetesOptions
from mlops_tui.services.kubernetes.rest import tls_flags
from mlops_tui.services.platform import CallRecord
from mlops_tui.services.types import Deployment, Prediction, PredictionRecord

TOKEN_VAR = "AUTH_TOKEN"
_VALUE = re.compile(r"prediction is\s+([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*seconds", re.IGNORECASE)


def request_body(record: dict[str, Any]) -> dict[str, Any]:
    return {"use_scoring": True, "scoring_args": record}


def parse_output(response: dict[str, Any]) -> float:
    """The predicted seconds from a deployment engine answer (``output`` sentence)."""
    output = response.get("output")
    if isinstance(output, str):
        match = _VALUE.search(output)
        if match:
            return float(match.group(1))
    prediction = response.get("prediction")  # servers that also answer with numbers
    if isinstance(prediction, list) and prediction and isinstance(prediction[0], int | float):
        return float(prediction[0])
    raise errors.PlatformFailure(
        f"the deployment answered without a prediction: {str(output or response)[:300]}",
        hint="see the scoring script's output in the deployment engine's log",
    )


def curl(
    url: str, token: str | None, record: dict[str, Any], options: KubernetesOptions, *, reveal: bool = False
) -> str:
    """The prediction as curl; ``$PREDICT_URL`` stands for a URL not known yet. ``--location`` as
    the workshop's own command (reference §5.3)."""
    c = Curl(
        "POST",
        (url or Secret("PREDICT_URL"),),
        (("X-Auth-Token", (Secret(TOKEN_VAR, token),)),),
        json_body=request_body(record),
        flags=("--location", *tls_flags(options)),
    )
    return c.render(reveal=reveal)


class Predictor:
    def __init__(
        self,
        options: KubernetesOptions,
        record: Callable[[CallRecord], None],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.options = options
        self._record = record
        # Reference §5.5: "a few seconds" per query on the workshop's engines.
        self._http, self._proxies = httpclient.client(
            timeout=httpx.Timeout(60.0, connect=options.connect_timeout),
            verify=options.ssl_verify(),
            transport=transport,
        )

    async def predict(self, deployment: Deployment, records: list[dict[str, Any]]) -> Prediction:
        if not records:
            raise errors.InvalidInput("give at least one record to score", field="records")
        if not deployment.ready or not deployment.url:
            raise errors.Conflict(
                f"deployment {deployment.name} is {deployment.state}, not ready to answer",
                hint="wait until it is configured",
            )
        values: list[float] = []
        responses: list[dict[str, Any]] = []
        status = 0
        started = time.perf_counter()
        for record in records:
            body = request_body(record)
            headers = {
                "X-Auth-Token": deployment.auth_token or "",
                "Content-Type": "application/json",
                "Accept": "application/json",
            }
            command = curl(deployment.url, deployment.auth_token, record, self.options)
            try:
                response = await self._http.post(deployment.url, json=body, headers=headers)
            except httpx.HTTPError as exc:
                self._record(CallRecord(op="predict", command=command, status=None))
                where = f"the deployment endpoint {deployment.url}"
                raise httpclient.unreachable(where, deployment.url, exc, self._proxies) or errmap.unreachable(
                    where, exc
                ) from None
            self._record(CallRecord(op="predict", command=command, status=response.status_code))
            status = response.status_code
            if response.status_code in (401, 403):
                raise errors.Forbidden(
                    f"the deployment {deployment.name} refused the auth token",
                    hint="the token changed: refresh the deployment",
                    status=status,
                )
            try:
                data = response.json()
            except ValueError:
                data = {"output": response.text}
            if not response.is_success:
                message = errmap.status_message(response.content) or response.reason_phrase
                if response.status_code in (400, 422):
                    raise errors.InvalidInput(
                        f"the deployment refused the record: {message}",
                        field=data.get("field") if isinstance(data, dict) else None,
                        status=status,
                    )
                raise errmap.from_status(response.status_code, message, f"predict on {deployment.name}")
            if not isinstance(data, dict):
                data = {"output": str(data)}
            values.append(parse_output(data))
            responses.append(data)
        latency = (time.perf_counter() - started) * 1000
        bodies = [request_body(r) for r in records]
        return Prediction(
            values=tuple(values),
            latency_ms=latency,
            status=status,
            request=bodies[0] if len(bodies) == 1 else {"requests": bodies},
            response=responses[0] if len(responses) == 1 else {"responses": responses},
        )

    async def history(self, deployment: Deployment, limit: int) -> list[PredictionRecord]:
        """``GET <endpoint>/history?limit=N`` beside the predict path (the workshop engine served
        ``/history/<id>`` for each request; a list needs a server that keeps one)."""
        if not deployment.url:
            raise errors.Conflict(f"deployment {deployment.name} has no endpoint yet")
        base = deployment.url.rsplit("/", 3)[0]
        url = f"{base}/history"
        headers = {"X-Auth-Token": deployment.auth_token or "", "Accept": "application/json"}
        try:
            response = await self._http.get(url, params={"limit": limit}, headers=headers)
        except httpx.HTTPError as exc:
            where = f"the deployment endpoint {url}"
            raise httpclient.unreachable(where, url, exc, self._proxies) or errmap.unreachable(
                where, exc
            ) from None
        if response.status_code == 404:
            raise errors.NotFound(
                f"the deployment engine of {deployment.name} keeps no request history ({url} answers 404)",
                hint="each answer's request_url still shows that one request",
            )
        if not response.is_success:
            message = errmap.status_message(response.content) or response.reason_phrase
            raise errmap.from_status(response.status_code, message, f"history of {deployment.name}")
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, list):
            raise errors.PlatformFailure(f"{url} answered something else than a list of requests")
        return [PredictionRecord.from_dict(d) for d in data if isinstance(d, dict) and "id" in d]

    async def aclose(self) -> None:
        await self._http.aclose()
