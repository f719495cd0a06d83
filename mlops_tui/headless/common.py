"""What the headless commands share: connecting through a profile and printing for people.

Everything printed goes through the one sanitiser (plain text, as a terminal would show it): the
commands quote job logs and messages, server errors and file names, and a job's escape sequences
must not recolour, retitle or move the cursor of the person's terminal.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from mlops_tui import config, credentials
from mlops_tui.services.factory import Resolved, build_platform, resolve
from mlops_tui.services.platform import Platform
from mlops_tui.services.terminal_text import plain


@dataclass
class Connection:
    platform: Platform
    resolved: Resolved

    @property
    def where(self) -> str:
        r = self.resolved
        who = f"profile {r.profile.name}, user {r.user}, tenant {r.profile.tenant}"
        return f"{r.profile.platform} platform {r.url} ({who})"


def connect(profile_name: str | None, *, start: bool = True) -> Connection:
    """Resolve the profile (starting the local platform when needed) and build its platform."""
    profile = config.active_profile(profile_name)
    resolved = resolve(profile, start=start)
    return Connection(build_platform(resolved), resolved)


def password_note() -> str:
    """Where passwords are kept, said once per command (the fallback file matters on jump hosts)."""
    return f"passwords: {credentials.backend_description()}"


def width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 140))


def out(text: str = "", *, indent: int = 0) -> None:
    """Print ``text`` (sanitised), each line indented."""
    pad = " " * indent
    sys.stdout.write("".join(pad + line + "\n" for line in plain(text).split("\n")))
    sys.stdout.flush()


def wrap(text: str, *, indent: int = 0) -> None:
    pad = " " * indent
    for para in plain(text).split("\n"):
        out(textwrap.fill(para, width=width(), initial_indent=pad, subsequent_indent=pad) or pad.rstrip())


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, indent: int = 2) -> None:
    """A compact left-aligned table; long cells are cut so a row fits the terminal."""
    cells = [
        [str(c) for c in headers],
        *[["-" if c is None or c == "" else plain(str(c)).replace("\n", " ") for c in r] for r in rows],
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    budget = width() - indent - 2 * (len(headers) - 1)
    while sum(widths) > budget and max(widths) > 12:
        widths[widths.index(max(widths))] -= 1
    for n, row in enumerate(cells):
        line = "  ".join(_cut(c, w).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        out(line, indent=indent)
        if n == 0:
            out("  ".join("-" * w for w in widths), indent=indent)


def _cut(text: str, w: int) -> str:
    return text if len(text) <= w else text[: max(1, w - 1)] + "…"


def color_enabled() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")
