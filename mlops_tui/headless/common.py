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
from typing import Any

from mlops_tui import config, credentials, terminal
from mlops_tui.services.factory import Resolved, build_platform, resolve
from mlops_tui.services.platform import Platform
from mlops_tui.services.terminal_text import plain, plain_line


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
    return Connection(pass_exec_plugin_stderr(build_platform(resolved)), resolved)


class StderrPassThrough:
    """An exec credential plugin's stderr, line by line to ours as it arrives (issue 7 §3): a
    device-code sign-in ("open https://… and enter the code …") must be seen even when stdout is
    piped, as kubectl shows it. Each line goes through the one sanitiser first, as everything
    printed does: a plugin's title change or clear-screen never reaches the person's terminal."""

    def exec_output(self, run: Any, line: str) -> None:
        sys.stderr.write(terminal.printable(plain_line(line)) + "\n")
        sys.stderr.flush()

    def exec_finished(self, run: Any) -> None:
        return None


def pass_exec_plugin_stderr(platform: Platform) -> Platform:
    """``platform`` with its exec plugin's stderr passed through (only the kubernetes adapter has one)."""
    if hasattr(platform, "exec_listener"):
        platform.exec_listener = StderrPassThrough()  # type: ignore[attr-defined]
    return platform


def password_note() -> str:
    """Where passwords are kept, said once per command (the fallback file matters on jump hosts)."""
    return f"passwords: {credentials.backend_description()}"


def width() -> int:
    """The terminal's columns (``$COLUMNS`` when set), at most 200: lines are made to fit it."""
    return max(24, min(shutil.get_terminal_size((100, 24)).columns, 200))


def out(text: str = "", *, indent: int = 0) -> None:
    """Print ``text`` (sanitised: it may quote servers and job output), each line indented; in a
    locale without UTF-8 (``LANG=C``) every glyph as its ASCII stand-in (``terminal.printable``), as
    the TUI draws it, instead of bytes the terminal shows as garbage."""
    pad = " " * indent
    text = terminal.printable(plain(text))
    sys.stdout.write("".join(pad + line + "\n" for line in text.split("\n")))
    sys.stdout.flush()


def wrap(text: str, *, indent: int = 0, hang: int = 0) -> None:
    """``text`` wrapped to the terminal's width at spaces, continuation lines ``hang`` deeper. A
    word is never broken: a URL longer than a line stays whole on a line of its own, for the
    terminal to fold, so that copying it gives the whole URL."""
    pad = " " * indent
    for para in plain(text).split("\n"):
        lines = textwrap.wrap(
            para,
            width=width(),
            initial_indent=pad,
            subsequent_indent=pad + " " * hang,
            break_long_words=False,
            break_on_hyphens=False,
        )
        out("\n".join(lines) or pad.rstrip())


def table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], *, indent: int = 2, whole: Sequence[str] = ()
) -> None:
    """A compact left-aligned table when it fits the terminal; else one block per row (the first
    cell, then "header value" pairs wrapped under it). Nothing is ever cut: names and URLs are what
    people copy. Columns in ``whole`` (URLs) get a line of their own in the block form."""
    cells = [
        [str(c) for c in headers],
        *[["-" if c is None or c == "" else plain(str(c)).replace("\n", " ") for c in r] for r in rows],
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    if indent + sum(widths) + 2 * (len(headers) - 1) <= width():
        for n, row in enumerate(cells):
            out("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), indent=indent)
            if n == 0:
                out("  ".join("-" * w for w in widths), indent=indent)
        return
    for row in cells[1:]:
        wrap(row[0], indent=indent)
        pairs = [
            f"{h.lower()} {c}"
            for h, c in zip(headers[1:], row[1:], strict=True)
            if c != "-" and h not in whole
        ]
        if pairs:
            wrap(" · ".join(pairs), indent=indent + 2, hang=2)
        for h, c in zip(headers[1:], row[1:], strict=True):
            if h in whole and c != "-":
                wrap(f"{h.lower()} {c}", indent=indent + 2, hang=2)


def color_enabled() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")
