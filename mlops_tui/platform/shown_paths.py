"""Server-side paths as a user may see them: relative to the project repository, or under
``<state>`` (the platform's state directory), never the absolute path of the platform's files.

A workshop's platform runs as the facilitator and keeps its state in their home
(``/home/<facilitator>/.local/state/mlops-tui/…``); attendees read its job logs, job and
deployment messages and error answers. An absolute path there names another user's home, is
useless to the attendee (they cannot open it) and tells them nothing the repository path does
not. So everything the platform writes for a user passes through :class:`PathShower`:

- ``<state>/repo/<namespace>/data/march.csv`` → ``data/march.csv`` (the repository's own names,
  what ``data=`` and the Data screen take),
- any other path under the state directory → ``<state>/jobs/7/job.log``,
- the platform owner's home (its Python, a virtual environment in a traceback) → ``<platform home>``.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

STATE = "<state>"
HOME = "<platform home>"


def _forms(path: Path) -> list[str]:
    """The spellings of ``path`` a message may carry: as given and with symlinks resolved."""
    forms = {str(path)}
    with contextlib.suppress(OSError):
        forms.add(str(path.resolve()))
    return sorted((f.rstrip("/") for f in forms if f.rstrip("/")), key=len, reverse=True)


@dataclass(frozen=True)
class PathShower:
    """Rewrites ``state_root``'s paths (and ``home``'s) in text shown to users; see the module."""

    state_root: Path
    repo_root: Path
    home: Path | None = field(default_factory=lambda: Path(os.path.expanduser("~")))

    def __post_init__(self) -> None:
        def alternatives(path: Path) -> str:
            return "|".join(re.escape(f) for f in _forms(path))

        # <repo root>/<namespace>/ → "" ; <state root> → <state> ; <home> → <platform home>
        rules = [
            (rf"(?:{alternatives(self.repo_root)})/[^/\s'\"]+/", ""),
            (alternatives(self.state_root), STATE),
        ]
        if self.home is not None and str(self.home) not in ("/", ""):
            rules.append((rf"(?:{alternatives(self.home)})(?![\w.-])", HOME))
        object.__setattr__(self, "_text_rules", [(re.compile(p), r) for p, r in rules])
        object.__setattr__(self, "_byte_rules", [(re.compile(p.encode()), r.encode()) for p, r in rules])

    def text(self, text: str) -> str:
        """``text`` with every server-side path as a user may see it."""
        for pattern, replacement in self._text_rules:  # type: ignore[attr-defined]
            text = pattern.sub(replacement, text)
        return text

    def data(self, data: bytes) -> bytes:
        """The same for bytes (complete log lines: a path never spans two chunks of whole lines)."""
        for pattern, replacement in self._byte_rules:  # type: ignore[attr-defined]
            data = pattern.sub(replacement, data)
        return data
