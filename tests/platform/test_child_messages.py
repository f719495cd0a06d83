"""Messages built from a child's output (a job's, Jupyter's, a prediction server's): sanitised
first, then prefixed, then cut (``platform/child_output.py``)."""

from __future__ import annotations

from pathlib import Path

import httpx
from local_platform_support import DEFAULT_USER, probe_job

from mlops_tui.platform import child_output
from mlops_tui.platform.deployments import _tail_refusal

# What tqdm draws on stderr: each frame starts with "\r" and no frame ends a line.
TQDM_JOB = r"""
import sys, time
for n in range(0, 47):
    bar = ("#" * (n // 10) + str(n % 10)).ljust(10) if n % 10 else ("#" * (n // 10)).ljust(10)
    sys.stderr.write(f"\r{n:3d}%|{bar}| {n}/100 [00:{n // 10:02d}<00:05, 9.{n % 10}it/s]")
    sys.stderr.flush()
raise SystemExit(1)
"""
LAST_FRAME = " 46%|####6     | 46/100 [00:04<00:05, 9.6it/s]"


def test_a_failed_progress_bar_job_says_its_exit_code_and_its_last_frame(api: httpx.Client) -> None:
    """Its message was "exit code 1: 0%|…\r 1%|…" cut at 514 raw characters, shown as the 13 % frame."""
    job = probe_job(api, DEFAULT_USER, TQDM_JOB, name="tqdm_fails")
    assert job["state"] == "failed" and job["exit_code"] == 1
    assert job["message"] == "exit code 1: " + LAST_FRAME.strip()
    assert "\r" in job["log"]  # the log keeps the bytes as written; only the message is collapsed


def test_a_long_last_line_is_cut_after_the_prefix(api: httpx.Client) -> None:
    source = "import sys\nprint('\\x1b[31m' + 'E' * 3000 + '\\x1b[0m')\nsys.exit(2)\n"
    job = probe_job(api, DEFAULT_USER, source, name="long_line")
    message = job["message"]
    assert message.startswith("exit code 2: EEEE") and message.endswith("…")
    assert len(message) == child_output.MESSAGE_MAX and "\x1b" not in message


def test_message_sanitises_then_prefixes_then_cuts() -> None:
    frames = "".join(f"\r{n:3d}%|" + "x" * 20 for n in range(100))
    assert child_output.message("exit code 1", frames) == "exit code 1: 99%|" + "x" * 20
    assert child_output.message("killed by SIGKILL", "\n\n") == "killed by SIGKILL"
    assert child_output.message("exit code 3", "a\n\x1b]0;title\x07\x1b[1mbold\x1b[0m\n  \n") == (
        "exit code 3: bold"
    )
    cut = child_output.message("exit code 1", "y" * 1000, limit=50)
    assert cut == "exit code 1: " + "y" * 36 + "…" and len(cut) == 50


def test_logs_are_read_from_their_end(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    with log.open("wb") as f:
        f.write(b"noise line\n" * 200_000)  # 2.2 MB: never read whole for one line
        f.write(b"REFUSED: the model file \x1b[1mmodel.ubj\x1b[0m does not match its checksum\n")
        f.write(b"loading 10%\rloading 99%\n")
    assert len(child_output.read_tail(log)) <= child_output.TAIL_BYTES
    assert _tail_refusal(log) == "the model file model.ubj does not match its checksum"
    plain_log = tmp_path / "other.log"
    plain_log.write_bytes(b"starting\r\x1b[2Kloading 10%\rloading 99%\n")
    assert _tail_refusal(plain_log) == "loading 99%"
    assert _tail_refusal(tmp_path / "missing.log") == ""


def test_an_unfinished_line_is_bounded_from_its_last_frame() -> None:
    frames = b"".join(b"\r%3d%%|" % n + b"#" * 1000 for n in range(1000))  # 1 MB, no "\n"
    kept = child_output.bounded_partial(frames)
    assert len(kept) <= child_output.PARTIAL_MAX and kept.startswith(b"\r999%|")
    assert child_output.bounded_partial(b"x" * 100) == b"x" * 100
    assert len(child_output.bounded_partial(b"y" * (1 << 20))) == child_output.PARTIAL_MAX
