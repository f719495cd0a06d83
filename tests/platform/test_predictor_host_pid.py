"""``predictor.host_pid``: the pid a prediction server puts in its answers.

In a sandbox (issue 9) the server is pid 1 of its own PID namespace; its answers named ``"pid": 1``
while the deployment showed (and ``kill`` needed) its pid on the host. The platform now writes that
pid to the pipe ``--pid-fd``; the server reads it with a deadline and falls back to its own pid
when the platform says nothing usable (never a hang, never a wrong number).
"""

from __future__ import annotations

import os

import pytest

from mlops_tui.platform.predictor import host_pid


def _pipe(written: bytes | None, close_writer: bool = True) -> tuple[int, int | None]:
    r, w = os.pipe()
    if written is not None:
        os.write(w, written)
    if close_writer:
        os.close(w)
        return r, None
    return r, w


def _closed(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return True
    return False


def test_the_pid_the_platform_writes_is_the_one_answers_name() -> None:
    r, _ = _pipe(b"424242\n")
    assert host_pid(r) == 424242 and _closed(r)


def test_the_pid_is_read_while_the_platform_still_holds_the_pipe() -> None:
    r, w = _pipe(b"31337\n", close_writer=False)
    try:
        assert host_pid(r, timeout=5) == 31337  # the line is complete: no wait for end of file
    finally:
        assert w is not None
        os.close(w)


@pytest.mark.parametrize(
    "written",
    [b"", b"4242", b"1x\n", b"-5\n", b"1\n", b"\xd9\xa3\n", b"99999999\n", b"9" * 40],
    ids=repr,
)
def test_nothing_usable_from_the_platform_means_the_servers_own_pid(written: bytes) -> None:
    r, _ = _pipe(written)
    assert host_pid(r) == os.getpid() and _closed(r)


def test_a_platform_that_never_writes_costs_the_deadline_not_a_hang() -> None:
    r, w = _pipe(None, close_writer=False)
    try:
        assert host_pid(r, timeout=0.2) == os.getpid() and _closed(r)
    finally:
        assert w is not None
        os.close(w)


def test_without_a_pipe_the_server_names_itself() -> None:
    assert host_pid(None) == os.getpid()
