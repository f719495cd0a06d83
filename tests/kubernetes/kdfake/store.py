"""The fake API server's object store: objects as the wire JSON, keyed by resource and name."""

from __future__ import annotations

import copy
import itertools
import uuid
from datetime import UTC, datetime
from typing import Any


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def match_labels(labels: dict[str, str], selector: str) -> bool:
    """Equality and existence label selectors (``a=b,c``), which is what the adapter sends."""
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.split("=", 1)
            if labels.get(key.rstrip("=")) != value.lstrip("="):
                return False
        elif term not in labels:
            return False
    return True


class Store:
    def __init__(self) -> None:
        self._objects: dict[tuple[str, str], dict[str, Any]] = {}  # (resource, name) → object
        self._rv = itertools.count(1000)

    def bump(self, obj: dict[str, Any]) -> dict[str, Any]:
        obj["metadata"]["resourceVersion"] = str(next(self._rv))
        return obj

    def create(self, resource: str, namespace: str, obj: dict[str, Any]) -> dict[str, Any]:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        meta["namespace"] = namespace
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now()
        meta.setdefault("labels", {})
        meta["generation"] = 1
        self._objects[(resource, meta["name"])] = obj
        return self.bump(obj)

    def get(self, resource: str, name: str) -> dict[str, Any] | None:
        return self._objects.get((resource, name))

    def delete(self, resource: str, name: str) -> dict[str, Any] | None:
        return self._objects.pop((resource, name), None)

    def list(self, resource: str, label_selector: str = "", field_selector: str = "") -> list[dict[str, Any]]:
        out = []
        for (res, _), obj in sorted(
            self._objects.items(), key=lambda kv: kv[1]["metadata"]["creationTimestamp"]
        ):
            if res != resource:
                continue
            if label_selector and not match_labels(obj["metadata"].get("labels") or {}, label_selector):
                continue
            if field_selector and not _match_fields(obj, field_selector):
                continue
            out.append(obj)
        return out


def _match_fields(obj: dict[str, Any], selector: str) -> bool:
    for term in selector.split(","):
        key, value = term.split("=", 1)
        current: Any = obj
        for part in key.split("."):
            current = (current or {}).get(part) if isinstance(current, dict) else None
        if str(current) != value:
            return False
    return True
