"""Stands in for the guide until ``screens/guide.py`` lands, and says so."""

from __future__ import annotations

from collections.abc import Iterable

from textual.widget import Widget
from textual.widgets import Static

from .base import BaseScreen

TEXT = """\
[b]The lab guide is not installed in this build[/b] (screens/guide.py is missing).

Everything the guide does is also reachable from the other screens:

  [b]2[/b] Dashboard   the pipeline at a glance, live
  [b]3[/b] Training    submit a job (n), follow its log
  [b]4[/b] Registry    register a finished job's model (n), deploy a version (d)
  [b]5[/b] Predict     ask the deployed model for a ride's travel time

[b]:[/b] command line · [b]?[/b] help · [b]ctrl+p[/b] command palette · [b]ctrl+q[/b] quit
"""


class PlaceholderGuideScreen(BaseScreen):
    MODE = "guide"
    TITLE_TEXT = "Guide"
    HELP = "The guide screen is not part of this build yet; use the other screens (keys 2-6)."
    DEFAULT_CSS = """
    PlaceholderGuideScreen #placeholder { margin: 1 2; padding: 1 2; border: round $warning; height: auto; }
    """

    def compose_body(self) -> Iterable[Widget]:
        yield Static(TEXT, id="placeholder")
