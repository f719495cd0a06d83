"""The TUI's own log file: private, rotated, and never a reason not to start.

``tui.log`` was world-readable (0644 in a 0755 directory, on a shared jump host), never rotated,
and took a line per HTTP request (httpx logs every request at INFO: 2,177 lines in 22 minutes of
an idle dashboard); a directory in its place stopped the app with ``IsADirectoryError``. Here:

- the directory is made 0700 and the files 0600 (also the rotated ones, and a file that existed
  before with a wider mode), whatever the umask;
- :class:`logging.handlers.RotatingFileHandler` keeps 1 + ``BACKUPS`` files of
  ``MAX_BYTES`` (2 MiB) at most: ``tui.log``, ``tui.log.1`` … ``tui.log.3``;
- httpx and httpcore log at WARNING only: the pollers' requests are not events. What is logged is
  changes of state (the connection state, a latency probe that starts or stops failing) and errors;
- a log path that cannot be used (a directory, no permission, a full disk) gives one line naming
  the path and why, and the app starts anyway with logging off (:attr:`LogSetup.problem`, which
  the app also shows in a notification).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 2 << 20
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIET = ("httpx", "httpcore", "urllib3", "kubernetes")  # a line per request at INFO/DEBUG


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A :class:`~logging.handlers.RotatingFileHandler` whose files are created 0600 (the stdlib
    opens them with ``open()``, i.e. 0666 less the umask: 0644 for most users)."""

    def _open(self) -> object:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)  # a file that was there before, with a wider mode
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


@dataclass(frozen=True)
class LogSetup:
    """Where the log goes (``path``), or why it goes nowhere (``problem``, one line)."""

    path: Path | None
    problem: str | None = None


def setup(path: Path) -> LogSetup:
    """Send the root logger (INFO) to ``path``, rotated and private; never raises.

    On an unusable ``path`` the root logger gets a :class:`logging.NullHandler` and the result's
    ``problem`` says which path and why (e.g. "… is a directory").
    """
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
        handler = PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError as exc:
        root.addHandler(logging.NullHandler())
        why = "it is a directory" if isinstance(exc, IsADirectoryError) else (exc.strerror or str(exc))
        where = exc.filename or path
        return LogSetup(
            None, f"mlops-tui: not logging: cannot write the log {where} ({why}); the app runs without it"
        )
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    return LogSetup(path)
