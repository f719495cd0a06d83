"""The last requests a prediction server answered, as the workshop's deployment engine kept them.

The workshop's engine answered each request with a ``request_url`` (``/history/<id>``) and a
``log_url`` (``/logs/<id>``) and served both (reference ``ezmeral-platform.md`` §4.4, §5.5). Here
they are kept in memory, the last ``size`` requests only (a server runs for days), and go with
the process: a restarted server starts an empty history.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SIZE = 200  # requests kept
OUTPUT_CHARS = 2048  # of each request's output kept
WARNINGS_KEPT = 20  # of each request's warnings kept


@dataclass
class Entry:
    """One answered request (predict or infer), successful or not."""

    id: str
    qid: int
    endpoint: str
    received_at: float = field(default_factory=time.time)
    client: str = ""
    rides: int = 0
    http_status: int = 0
    input: str = ""
    output: str = ""
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    latency_ms: float = 0.0
    batch_rows: int = 0  # rows of the model call that scored it (adaptive batching)

    @property
    def status(self) -> str:
        return "Finished" if self.http_status == 200 else "Failed"

    def json(self, base: str, node: str, pid: int) -> dict[str, Any]:
        return {
            "id": self.id,
            "qid": self.qid,
            "status": self.status,
            "endpoint": self.endpoint,
            "received_at": _iso(self.received_at),
            "http_status": self.http_status,
            "rides": self.rides,
            "input": self.input,
            "output": self.output,
            "warnings": self.warnings,
            "error": self.error,
            "latency_ms": self.latency_ms,
            "batch_rows": self.batch_rows,
            "node": node,
            "pid": pid,
            "log_url": f"{base}/logs/{self.id}",
            "request_url": f"{base}/history/{self.id}",
        }

    def log(self) -> str:
        """The request's log, one line per step."""
        at = _iso(self.received_at)
        lines = [
            f"{at} {self.endpoint} request {self.id} (queue id {self.qid}) from {self.client or 'unknown'}"
        ]
        if self.rides:
            lines.append(f"{at} {self.rides} ride{'s' * (self.rides != 1)} validated")
        lines += [f"{at} warning: {w}" for w in self.warnings]
        if self.batch_rows:
            lines.append(f"{at} scored in a model call of {self.batch_rows} rows")
        if self.error is not None:
            lines.append(f"{at} failed: {self.error}")
        else:
            lines += [f"{at} {line}" for line in self.output.splitlines()]
        lines.append(f"{at} answered {self.http_status} ({self.status}) in {self.latency_ms:.3f} ms")
        return "\n".join(lines) + "\n"


class History:
    """The last ``size`` entries, by id; queue ids count every request since the server started."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._qids = itertools.count(1)

    def next_qid(self) -> int:
        return next(self._qids)

    def add(self, entry: Entry) -> None:
        entry.output = entry.output[:OUTPUT_CHARS]
        if len(entry.warnings) > WARNINGS_KEPT:
            entry.warnings = [
                *entry.warnings[:WARNINGS_KEPT],
                f"… {len(entry.warnings) - WARNINGS_KEPT} more",
            ]
        self._entries[entry.id] = entry
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def get(self, entry_id: str) -> Entry | None:
        return self._entries.get(entry_id)

    def recent(self, limit: int) -> list[Entry]:
        """The newest ``limit`` entries, newest first."""
        return list(itertools.islice(reversed(self._entries.values()), max(0, limit)))


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
