"""Messages the platform builds from what its children printed (jobs, Jupyter, prediction servers).

A job's message is what ``status``, the Training screen and a failed-job notification show. It is
built in this order, so that the prefix and the meaning survive:

1. the child's output is **sanitised** by the one sanitiser (:func:`terminal_text.plain`): ``\\r``
   collapses progress-bar frames to the last one, escape codes go;
2. its **last non-blank line** is taken;
3. the **prefix** is added (``exit code 1``, ``killed by SIGKILL``, ``Jupyter exited (code 1)``);
4. the whole is **cut** to ``MESSAGE_MAX`` characters, with ``…`` where it was cut.

Done the other way round (prefix, cut at 500 raw characters, sanitised only when shown), a tqdm
job that failed at 46 % stored "exit code 1: 0%|…\\r 1%|…" and ``status`` showed the frame at 13 %.

Logs are read from their end (``TAIL_BYTES``), never whole: a job's log may be hundreds of MiB.
"""

from __future__ import annotations

import os
from pathlib import Path

from mlops_tui.services.terminal_text import plain

MESSAGE_MAX = 500  # characters of a stored message (the database keeps at most 1000)
TAIL_BYTES = 64 << 10  # the end of a log read to find its last lines
PARTIAL_MAX = 64 << 10  # of an unfinished line (progress frames without "\n") kept in memory


def last_line(output: str | bytes) -> str:
    """The last non-blank line of ``output`` as a terminal shows it (sanitised, stripped)."""
    text = output.decode(errors="replace") if isinstance(output, bytes) else output
    for line in reversed(plain(text).split("\n")):
        if line.strip():
            return line.strip()
    return ""


def message(prefix: str, output: str | bytes = "", limit: int = MESSAGE_MAX) -> str:
    """``"<prefix>: <last line of output>"`` (just ``prefix`` when there is none), cut to ``limit``."""
    line = last_line(output)
    text = f"{prefix}: {line}" if line and prefix else (line or prefix)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_tail(path: Path, size: int = TAIL_BYTES) -> str:
    """The last ``size`` bytes of ``path`` as text (undecodable bytes replaced); "" when unreadable.

    The first line is dropped when the read starts inside it (a partial line is not a line)."""
    try:
        with path.open("rb") as f:
            end = f.seek(0, os.SEEK_END)
            start = max(0, end - size)
            f.seek(start)
            data = f.read(size)
    except OSError:
        return ""
    if start and b"\n" in data:
        data = data[data.index(b"\n") + 1 :]
    return data.decode(errors="replace")


def bounded_partial(pending: bytes, limit: int = PARTIAL_MAX) -> bytes:
    """An unfinished line kept to at most ``limit`` bytes: from its last ``\\r`` on (the frame a
    terminal would show last) when that is enough, else its last ``limit`` bytes. A job that draws a
    progress bar for hours never makes the platform hold every frame."""
    if len(pending) <= limit:
        return pending
    cut = pending.rfind(b"\r", 0, len(pending) - 1)
    if cut > 0 and len(pending) - cut <= limit:
        return pending[cut:]
    return pending[-limit:]
