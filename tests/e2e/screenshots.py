"""A terminal as it was, as a PNG for the docs: ``tmux capture-pane -e -p`` text (escape codes
included) drawn by Rich with PuTTY's palette into an SVG, then rsvg-convert. Written only when
``MLOPS_TUI_SCREENSHOTS=DIR`` is set (``docs/screenshots/`` holds the ones the docs show)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

from rich.console import Console
from rich.style import Style
from rich.text import Text
from tui.terminal_support import PUTTY


def save_screenshot(text: Text, stem: str, title: str, width: int) -> Path | None:
    """``DIR/<stem>.png`` (or ``.svg`` without rsvg-convert) of ``text``; None when not asked for."""
    target = os.environ.get("MLOPS_TUI_SCREENSHOTS")
    if not target:
        return None
    # rsvg-convert drops the leading spaces of an SVG text run and lays out a glyph from a fallback
    # font out of step with its run: each run of spaces and each non-ASCII glyph gets its own run
    # (a distinct, invisible meta), so every run starts at its own cell.
    text = text.copy()
    for i, match in enumerate(re.finditer(r"[^\S\n]+|[^\x00-\x7f]", text.plain)):
        text.stylize(Style(meta={"run": i}), match.start(), match.end())
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    console = Console(
        record=True, width=width, file=io.StringIO(), force_terminal=True, color_system="truecolor"
    )
    console.print(text, no_wrap=True, crop=True, soft_wrap=False)
    svg = out / f"{stem}.svg"
    console.save_svg(str(svg), title=title, theme=PUTTY)
    if not shutil.which("rsvg-convert"):
        return svg
    png = svg.with_suffix(".png")
    subprocess.run(["rsvg-convert", "-o", str(png), str(svg)], check=True, timeout=60)
    svg.unlink()  # the PNG is what the docs show
    return png
