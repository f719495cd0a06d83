"""The workshop's fixed names and values (reference: ezmeral-platform.md §2-5), in one place.

Names follow the workshop: ``mlops-jupyter-notebook-<user>``, ``mlops-model-<user>``,
``mlops-inference-server-<user>``, the shared training cluster ``training-engine-shared``, code in
``code/<user>/taxi/`` and models in ``models/<user>/`` of the tenant's project repository.
"""

from __future__ import annotations

import re
from typing import Any

from mlops_tui.lab_scripts import workshop_ride

TRAINING_CLUSTER = "training-engine-shared"
DATA_DIR = "data/NYCTaxi"
DEFAULT_DATA = f"{DATA_DIR}/synthetic-yellow-2019H1.csv"
CODE_PACKAGE = "taxi"
LAB_CODE_PATTERNS = ("*.py", "zones.csv")

# The workshop's Lab 5 ride, defined once in lab_scripts/workshop_ride.py (the guide, the Predict
# form, `predict --example`, the latency probe and the docs all use it).
EXAMPLE_RIDE_TEXT = workshop_ride.TEXT
EXAMPLE_SCORING_ARGS: dict[str, float | int] = dict(workshop_ride.SCORING_ARGS)
EXAMPLE_RECORD: dict[str, Any] = dict(workshop_ride.RECORD)


def dns_name(user: str) -> str:
    """``user`` as a Kubernetes name segment (lower case letters, digits and '-')."""
    name = re.sub(r"[^a-z0-9-]+", "-", user.lower()).strip("-")
    return name or "user"


def notebook_name(user: str) -> str:
    return f"mlops-jupyter-notebook-{dns_name(user)}"


def model_name(user: str) -> str:
    return f"mlops-model-{dns_name(user)}"


def deployment_name(user: str) -> str:
    return f"mlops-inference-server-{dns_name(user)}"


def code_dir(user: str) -> str:
    return f"code/{dns_name(user)}/{CODE_PACKAGE}"


def models_dir(user: str) -> str:
    return f"models/{dns_name(user)}"


def format_seconds(seconds: float) -> str:
    """``812.4`` → ``13 min 32 s``: how a person reads a travel time."""
    total = round(seconds)
    minutes, secs = divmod(abs(total), 60)
    sign = "-" if total < 0 else ""
    if minutes == 0:
        return f"{sign}{secs} s"
    return f"{sign}{minutes} min {secs:02d} s"


def scoring_args_for(
    *,
    start: tuple[float, float],
    end: tuple[float, float],
    distance: float,
    weekday: bool,
    hour: int,
    month: int,
) -> dict[str, float | int]:
    """The workshop's 14 ``scoring_args`` for a ride (month one-hot over Jan-Jun, as trained)."""
    args: dict[str, float | int] = {
        "work": int(weekday and 8 <= hour < 18),
        "start_latitude": start[0],
        "start_longitude": start[1],
        "end_latitude": end[0],
        "end_longitude": end[1],
        "distance": distance,
        "weekday": int(weekday),
        "hour": hour,
    }
    for m in range(1, 7):
        args[f"month_{m}"] = int(m == month)
    return args
