"""A training job's structured ``@@mlops {json}`` lines, read and shown the same way everywhere.

The training script prints progress, data, per-round and final metrics as ``@@mlops`` lines
between its human-readable ones (docs/local-platform-api.md §4). The live log on the Training
screen, the guide's progress bubble and its ``logs`` answer, and ``mlops-tui lab run`` all show
such a line as :func:`readable` makes it (``⟫ round 3: train-rmse 212.4, eval-rmse 220.1``), never
as raw JSON. No Textual, no Rich: plain strings (the sanitiser runs on the raw line first).
"""

from __future__ import annotations

import json
from typing import Any

PREFIX = "@@mlops "
MARK = "⟫ "


def parse(line: str) -> dict[str, Any] | None:
    """The JSON object of a structured line, or None for any other line (or a broken one)."""
    if not line.startswith(PREFIX):
        return None
    try:
        data = json.loads(line[len(PREFIX) :])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def format_metrics(metrics: dict[str, Any], keys: tuple[str, ...] = ()) -> str:
    """``rmse 289.2, mae 172.4, r2 0.857`` for ``keys`` that are present (every field when empty)."""
    chosen = (
        [k for k in keys if k in metrics] if keys else [k for k in metrics if k not in ("type", "job_id")]
    )
    return ", ".join(f"{k} {_number(metrics[k])}" for k in chosen)


def describe(data: dict[str, Any]) -> str:
    """One structured event in words: ``round 3: train-rmse 212.4, eval-rmse 220.1``."""
    kind = data.get("type")
    if kind == "round":
        parts = [
            f"{k} {_number(v)}" for k, v in data.items() if k.endswith("rmse") and isinstance(v, int | float)
        ]
        return f"round {data.get('round')}: " + ", ".join(parts)
    if kind == "progress":
        return f"{data.get('stage', '')} {data.get('pct', '')}%".strip()
    if kind == "data":
        synth = " (synthetic)" if data.get("synthetic") else ""
        dropped = data.get("dropped") or []
        top = f"; most dropped: {dropped[0]['text']} ({dropped[0]['count']})" if dropped else ""
        return f"data: {data.get('used_rows', data.get('rows'))} rides used of {data.get('rows')}{synth}{top}"
    if kind == "metrics":
        return "metrics: " + format_metrics(data)
    if kind == "artifact":
        return f"model bundle written: {data.get('path')}"
    return f"{kind or 'event'}: " + format_metrics(data)


def readable(line: str) -> str:
    """``line`` as people read it: a structured line as ``⟫`` and its description, others as they are."""
    data = parse(line)
    return line if data is None else MARK + describe(data)
