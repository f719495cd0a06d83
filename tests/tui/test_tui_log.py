"""The TUI's own log (``tui.log``): private (0600 in a 0700 directory), rotated, no line per poll,
and an unusable path never stops the app (it said "unexpected error: IsADirectoryError")."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_tui import tui_log
from mlops_tui.app import setup_logging

from .conftest import wait_for


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger as it was, back after the test (setup adds a handler to it)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in tui_log.QUIET}
    old_umask = os.umask(0o022)  # a usual umask: the stdlib would make 0644 files under it
    try:
        yield root
    finally:
        os.umask(old_umask)
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in quiet.items():
            logging.getLogger(name).setLevel(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_log_is_private_and_rotated(tmp_path: Path, root_logger: logging.Logger) -> None:
    path = tmp_path / "state" / "mlops-tui" / "logs" / "tui.log"
    path.parent.mkdir(parents=True, mode=0o755)
    path.write_text("an old line\n")
    path.chmod(0o644)  # as the old code left it
    done = setup_logging(path)
    assert done.path == path and done.problem is None
    assert _mode(path.parent) == 0o700 and _mode(path) == 0o600
    line = "x" * 1000
    for _ in range(5 * 1024):  # 5 MiB: past two rotations of 2 MiB
        logging.getLogger("mlops_tui.test").warning(line)
    files = sorted(path.parent.iterdir())
    assert [f.name for f in files] == ["tui.log", "tui.log.1", "tui.log.2"]
    for f in files:
        assert _mode(f) == 0o600, f
        assert f.stat().st_size <= tui_log.MAX_BYTES
    for _ in range(4 * 1024):
        logging.getLogger("mlops_tui.test").warning(line)
    assert len(list(path.parent.iterdir())) == 1 + tui_log.BACKUPS  # never more


def test_a_directory_where_the_log_goes_gives_one_line_and_logging_off(
    tmp_path: Path, root_logger: logging.Logger
) -> None:
    path = tmp_path / "logs" / "tui.log"
    path.mkdir(parents=True)
    before = list(root_logger.handlers)  # an earlier test of the session may have left one
    done = setup_logging(path)  # it raised IsADirectoryError, and the app did not start
    assert done.path is None
    assert done.problem == (
        f"mlops-tui: not logging: cannot write the log {path} (it is a directory); the app runs without it"
    )
    logging.getLogger("mlops_tui.test").error("goes nowhere, quietly")
    assert not any(isinstance(h, logging.FileHandler) for h in root_logger.handlers if h not in before)


async def test_the_app_starts_says_logging_is_off_and_logs_no_poll(
    make_app: Any, adapter: Any, tmp_path: Path, root_logger: logging.Logger
) -> None:
    """An idle dashboard wrote a line per HTTP request (2,177 lines in 22 minutes)."""
    path = tmp_path / "logs" / "tui.log"
    setup_logging(path)
    app = make_app(adapter)
    app.log_problem = "mlops-tui: not logging: (a test)"
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot, lambda: any("not logging" in n.message for n in app._notifications), what="the notice"
        )
        await wait_for(pilot, lambda: app.connection.link.name == "CONNECTED", what="a connection")
        await pilot.pause(3.0)  # six polls of every source at the tests' 0.5 s intervals
    text = path.read_text()
    assert "HTTP Request" not in text, text[:2000]
    assert "connection: unknown -> connected" in text or "-> connected" in text, text
    assert len(text.splitlines()) < 10, text
