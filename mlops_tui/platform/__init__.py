"""The embedded local ML Ops platform: a separate server process.

Design §5; contract docs/local-platform-api.md.

Import :func:`serve` and :func:`add_user` from here; they are loaded lazily so that importing the
package (e.g. for the state-dir helpers) does not pull in FastAPI and uvicorn.
"""

from __future__ import annotations

from typing import Any

__all__ = ["add_user", "serve"]


def serve(*args: Any, **kwargs: Any) -> int:
    from mlops_tui.platform.server import serve as _serve

    return _serve(*args, **kwargs)


def add_user(*args: Any, **kwargs: Any) -> bool:
    from mlops_tui.platform.server import add_user as _add_user

    return _add_user(*args, **kwargs)
