"""A job's ``job.log`` with a size cap: the job goes on, its log keeps its head and its last lines.

A job printing as fast as it could wrote 2.9 GB of ``job.log`` in 90 s (36.7 M lines), and a
backup took all of it. The policy, per job (``serve --job-log-max-mib``, default 256 MiB):

- up to the cap the log holds every byte as written;
- at the cap, the last complete line that fits is the last one kept, and the marker line
  ``[mlops-tui] log truncated at 256 MiB: the job goes on; …`` follows at once (whoever follows
  the log sees it then); the job is not stopped and its structured lines (progress, rounds,
  metrics) are still parsed;
- when the job ends, a second marker says how much was not kept and the job's last
  ``TAIL_LINES`` (200) lines follow (each cut to ``TAIL_LINE_BYTES``), so the end of a long run,
  often its error, is still there. A log is thus at most the cap plus about 800 KiB.

Head and tail rather than rotation: the head holds the job's command and set-up, the tail its
end, and one file keeps the line numbers the log API serves stable.
"""

from __future__ import annotations

import os
from collections import deque
from typing import BinaryIO

from mlops_tui.platform.child_output import bounded_partial

DEFAULT_MAX_MIB = 256
TAIL_LINES = 200
TAIL_LINE_BYTES = 4096
MARK = b"[mlops-tui] "


def mib(n: int) -> str:
    return f"{n / (1 << 20):g} MiB"


class CappedLog:
    """Writes a job's output to ``f`` (opened ``"ab"``) up to ``cap`` bytes; see the module doc."""

    def __init__(self, f: BinaryIO, cap: int) -> None:
        self.f = f
        self.cap = cap
        self.written = os.fstat(f.fileno()).st_size
        self.truncated = False
        self.dropped = 0
        self._ends_line = True
        self._tail: deque[bytes] = deque(maxlen=TAIL_LINES)
        self._partial = b""

    def write(self, chunk: bytes) -> bool:
        """Write (or keep for the tail) ``chunk``; True when this call truncated the log."""
        if not self.truncated:
            room = self.cap - self.written
            if len(chunk) <= room:
                self._put(chunk)
                return False
            cut = chunk.rfind(b"\n", 0, room) + 1  # the last whole line that fits
            self._put(chunk[:cut])
            self._put(
                (b"" if self._ends_line else b"\n")
                + MARK
                + f"log truncated at {mib(self.cap)}: the job goes on; its output is not kept from "
                f"here, its last {TAIL_LINES} lines are added when it ends\n".encode()
            )
            self.truncated = True
            self._keep(chunk[cut:])
            return True
        self._keep(chunk)
        return False

    def finish(self) -> None:
        """At the job's end: after a truncation, the marker of what was dropped and the last lines."""
        if not self.truncated:
            return
        lines = list(self._tail) + ([self._partial] if self._partial else [])
        head = MARK + f"{mib(self.dropped)} of output not kept; the last {len(lines)} lines:\n".encode()
        self._put(head + b"".join(line[:TAIL_LINE_BYTES] + b"\n" for line in lines))

    def _put(self, data: bytes) -> None:
        if not data:
            return
        self.f.write(data)
        self.f.flush()
        self.written += len(data)
        self._ends_line = data.endswith(b"\n")

    def _keep(self, data: bytes) -> None:
        self.dropped += len(data)
        *lines, partial = (self._partial + data).split(b"\n")
        self._tail.extend(line[-TAIL_LINE_BYTES:] for line in lines[-TAIL_LINES:])
        self._partial = bounded_partial(partial, TAIL_LINE_BYTES)
