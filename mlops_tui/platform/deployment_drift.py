"""``GET /deployments/<name>/drift``: the drift report of one deployment, as its server measures it.

Each prediction server counts what it is asked in the bins of its model's training data and
answers ``GET /drift`` on its loopback port (:mod:`mlops_tui.platform.serving.drift`). The platform
asks it with a short deadline and passes the report on, with the deployment's name, model and
version. Whatever keeps a report from being made is an answer too, never an error of the route:
``{"available": false, "status": "unavailable", "reason": ...}`` naming why (the deployment is not
serving, its server did not answer in time, its model predates drift monitoring), so the dashboard
and ``mlops-tui status`` can say it in place.
"""

from __future__ import annotations

from typing import Any

import httpx

DRIFT_TIMEOUT_S = 2.0


def unavailable(row: dict[str, Any], reason: str) -> dict[str, Any]:
    return {**_ids(row), "available": False, "status": "unavailable", "reason": reason, "features": []}


def _ids(row: dict[str, Any]) -> dict[str, Any]:
    return {"deployment": row["name"], "model": row["model"], "version": row["version"]}


async def deployment_drift(row: dict[str, Any], timeout: float = DRIFT_TIMEOUT_S) -> dict[str, Any]:
    """The drift report of the deployment ``row`` (a ``deployments`` table row)."""
    if row["state"] != "configured":
        why = f": {row['message']}" if row.get("message") else ""
        return unavailable(row, f"deployment {row['name']} is not serving ({row['state']}{why})")
    url = f"http://127.0.0.1:{row['port']}/drift"
    try:
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            response = await client.get(url)
    except httpx.TimeoutException:
        return unavailable(row, f"its prediction server did not answer {url} within {timeout:g} s")
    except httpx.HTTPError as exc:
        return unavailable(row, f"its prediction server cannot be reached at {url}: {exc}")
    if response.status_code == 404:
        return unavailable(
            row,
            "its prediction server was started by an older mlops-tui that does not measure drift: "
            "restart the platform (mlops-tui platform restart) or deploy the version again",
        )
    try:
        report = response.json()
    except ValueError:
        report = None
    if response.status_code != 200 or not isinstance(report, dict):
        return unavailable(row, f"its prediction server answered {url} with HTTP {response.status_code}")
    return {**report, **_ids(row)}
