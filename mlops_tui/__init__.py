"""mlops-tui: a terminal guide and live dashboard for an end-to-end ML pipeline."""

import sys

__version__ = "0.1.0"

# httpx's ``__init__`` imports its command-line tool (``httpx._main``: click, pygments, rich.syntax)
# whenever those are installed (uvicorn brings click), about 3.3 MB that every process of this app
# would hold for hours without ever running httpx's CLI (issue 9: one idle workshop attendee's
# footprint). A ``None`` entry makes that import fail, which httpx expects: its ``main`` then only
# says to install ``httpx[cli]``. Upstream: encode/httpx#3547 (move the import to ``__main__``).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
