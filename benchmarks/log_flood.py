"""Key-press latency of the TUI while it follows a job that floods its log, and its memory.

Why: a training job that prints as fast as it can (2 million lines of about 80 characters) must not
make the TUI that follows its log sluggish or let it grow without bound. This runs the real thing:
a local platform in a throw-away HOME, a job (``flood/train.py``, uploaded to the project
repository like any training code) that writes ``--lines`` lines as fast as it can, and
``mlops-tui`` in a pseudo-terminal (80x24, the workshop's size) on the training screen following
that job's log, as a person would.

What is timed: the log's pause/follow toggle. ``g`` (top) pauses the log and its status bar says
"paused"; ``G`` (end) follows again and it says "following". A press is answered when the word
appears in what the TUI writes to the terminal after the key was sent (ANSI stripped). The script
drains the terminal all the time (a TUI whose terminal is not read would block on writing).
The same presses are timed idle first (the TUI showing a finished job's log), then during the
flood; presses made after the TUI has shown the flood's last line are not counted as "during".
The flood job waits ``FLOOD_DELAY_S`` before printing, so the TUI follows it from its first line;
on this machine 2 million lines take the TUI 2-5 s to follow, so the flood is run again (a new
job, selected in the jobs table) until ``--presses`` presses fell during one. Presses come
``--gap`` apart (0.5-1.5 x, so not in step with the frames), each after the previous answer.
Peak RSS is the TUI process's ``VmHWM``; RSS is sampled after every press.

    .venv/bin/python benchmarks/log_flood.py [--quick] [--lines 2000000] [--presses 40] [--verbose]

Prints figures; asserts nothing about speed. Stops every process it started, also on failure.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pty_support import ANSI, isolated_env, local_platform, start_tui, stop_tui

END_MARK = "FLOOD-END"
ROWS, COLS = 24, 80
PRESS_TIMEOUT_S = 5.0
MAX_ROUNDS = 20
FLOOD_DELAY_S = 4.0  # the flood job waits this long, so the TUI follows it from its first line

FLOOD_SCRIPT = f'''"""Prints --lines lines of about 80 characters as fast as it can (a log flood)."""
import argparse
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--tag", default="")
    parser.add_argument("--delay", type=float, default=0.0)
    args, _ = parser.parse_known_args()
    time.sleep(args.delay)  # time for the TUI to start following before the flood
    write = sys.stdout.write
    block = 2000
    for start in range(0, args.lines, block):
        write("".join(
            f"{{i:09d}} {{args.tag}} step {{i % 997:4d}} loss {{(i * 7919 % 10007) / 10007:.6f}} lr 3.0e-04 "
            f"tokens/s {{51234 + i % 977}}.5 grad-norm 0.93\\n"
            for i in range(start, min(args.lines, start + block))
        ))
    write(f"{END_MARK} {{args.tag}}\\n")


if __name__ == "__main__":
    main()
'''


@dataclass
class Press:
    key: str
    sent: float
    answered: float | None = None

    @property
    def ms(self) -> float | None:
        return None if self.answered is None else (self.answered - self.sent) * 1000


def proc_status_kb(pid: int, field_name: str) -> int:
    """``VmRSS``/``VmHWM`` of a process in kB, from ``/proc/<pid>/status`` (0 when gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


@dataclass
class Terminal:
    """The TUI in a pty; ``pump`` drains its output and feeds the waiting press."""

    pid: int
    fd: int
    tail: bytes = b""  # recent output, ANSI-stripped search happens on it
    waiting: tuple[Press, str] | None = None
    since_press: bytearray = field(default_factory=bytearray)
    rss_kb: list[int] = field(default_factory=list)
    end_word: str = ""  # while set: the flood's last line, watched for
    end_seen: float | None = None  # when the flood's last line was first on screen

    @classmethod
    def start(cls, env: dict[str, str]) -> Terminal:
        return cls(*start_tui(env, ROWS, COLS))

    def pump(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        while True:
            left = end - time.perf_counter()
            ready, _, _ = select.select([self.fd], [], [], max(0.0, min(left, 0.02)))
            if ready:
                try:
                    chunk = os.read(self.fd, 1 << 16)
                except OSError:
                    return
                now = time.perf_counter()
                self.tail = (self.tail + chunk)[-(1 << 16) :]
                if self.end_word and self.end_seen is None and self.screen_has(self.end_word, 4096):
                    self.end_seen = now
                if self.waiting is not None:
                    press, word = self.waiting
                    self.since_press += chunk
                    if word.encode() in ANSI.sub(b"", bytes(self.since_press[-(1 << 16) :])):
                        press.answered = now
                        self.waiting = None
            if left <= 0:
                return

    def screen_has(self, word: str, last: int = 1 << 16) -> bool:
        return word.encode() in ANSI.sub(b"", self.tail[-last:])

    def wait_for(self, word: str, timeout: float) -> bool:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            self.pump(0.1)
            if self.screen_has(word):
                return True
        return False

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def press(self, key: str, answer: str) -> Press:
        press = Press(key, time.perf_counter())
        self.since_press = bytearray()
        self.waiting = (press, answer)
        self.send(key)
        deadline = press.sent + PRESS_TIMEOUT_S
        while self.waiting is not None and time.perf_counter() < deadline:
            self.pump(0.01)
        self.waiting = None
        return press

    def status_kb(self, field_name: str) -> int:
        return proc_status_kb(self.pid, field_name)

    def cpu_s(self) -> float:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return 0.0

    def stop(self) -> None:
        stop_tui(self.pid, self.fd)


def toggle(term: Terminal, count: int, gap: float, *, until_end: bool = False) -> list[Press]:
    """Up to ``count`` presses alternating g (answer "paused") and G (answer "following"); with
    ``until_end``, only until the flood's last line was on screen. Ends following."""
    presses: list[Press] = []
    for n in range(count):
        if until_end and term.end_seen is not None:
            break
        key, answer = ("g", "paused") if n % 2 == 0 else ("G", "following")
        presses.append(term.press(key, answer))
        term.rss_kb.append(term.status_kb("VmRSS"))
        term.pump(gap * (0.5 + ((n * 7) % 5) / 4))  # 0.5-1.5 x gap: not in step with the frames
    if len(presses) % 2:
        term.press("G", "following")
    return presses


def summary(label: str, presses: list[Press]) -> str:
    times = sorted(p.ms for p in presses if p.ms is not None)
    lost = sum(1 for p in presses if p.ms is None)
    if not times:
        return f"{label:<22} no answer to any of {len(presses)} presses"
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))] if not lost else float("inf")
    under = sum(1 for t in times if t <= 100)
    return (
        f"{label:<22} {len(presses):>3}  {statistics.median(times):7.1f}  {p95:7.1f}  {max(times):7.1f}"
        f"  {100 * under / len(presses):5.0f} %  {lost:>4}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--gap", type=float, default=0.05, help="seconds between presses (0.5-1.5 x)")
    parser.add_argument("--quick", action="store_true", help="400k lines, 20 presses")
    parser.add_argument("--verbose", action="store_true", help="print every press")
    args = parser.parse_args()
    if args.quick:
        args.lines, args.presses = 400_000, 20

    home = Path(tempfile.mkdtemp(prefix="mlops-tui-flood-"))
    env = isolated_env(home)
    os.environ.clear()
    os.environ.update(env)  # the adapter below reads the same profile, state dir and credentials
    term: Terminal | None = None
    cleanup = contextlib.ExitStack()
    try:
        platform = cleanup.enter_context(local_platform(env, home))

        import asyncio

        from mlops_tui.headless.common import connect
        from mlops_tui.services.types import JobSpec

        conn = connect(None, start=False)
        user = conn.resolved.user

        async def submit(lines: int, tag: str, delay: float = 0.0) -> str:
            p = conn.platform
            # the same script every round: replace it (the repository refuses a silent overwrite)
            await p.upload_repo(f"code/{user}/flood/train.py", FLOOD_SCRIPT.encode(), replace=True)
            data = next(e.path for e in await p.list_repo("data/") if e.path.endswith(".csv"))
            spec = JobSpec(
                cluster="training-engine-shared",
                code=f"code/{user}/flood",
                data=data,
                output=f"models/{user}/flood",
                params={"lines": lines, "tag": tag, "delay": delay},
                name=f"flood {lines}",
            )
            return (await p.submit_job(spec)).id

        async def wait_final(job_id: str, timeout: float) -> tuple[str, float | None]:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                job = await conn.platform.get_job(job_id)
                if job.state.is_final:
                    return job.state, job.duration_s
                await asyncio.sleep(0.2)
            return "still running", None

        loop = asyncio.new_event_loop()
        warm = loop.run_until_complete(submit(5000, "w0"))
        loop.run_until_complete(wait_final(warm, 120))

        term = Terminal.start(env)
        if not term.wait_for("connected", 60):
            raise RuntimeError(f"the TUI did not connect: {ANSI.sub(b'', term.tail)[-400:]!r}")
        term.send("3")  # the training screen: it follows the newest job (the warm-up one)
        if not term.wait_for(f"{END_MARK} w0", 30):
            raise RuntimeError(
                f"the training screen did not show the job's log: {ANSI.sub(b'', term.tail)[-600:]!r}"
            )
        term.send("l")  # focus the log
        term.pump(1.0)
        idle_cpu0 = term.cpu_s()
        idle = toggle(term, args.presses, args.gap)
        idle_cpu = term.cpu_s() - idle_cpu0
        idle_rss = term.status_kb("VmRSS")

        during: list[Press] = []
        rounds: list[tuple[float, float | None]] = []  # (seconds the TUI followed, job's seconds)
        cpu0, rounds_started = term.cpu_s(), time.perf_counter()
        while len(during) < args.presses and len(rounds) < MAX_ROUNDS:
            end_word = f"{END_MARK} r{len(rounds) + 1}"
            flood = loop.run_until_complete(submit(args.lines, end_word.split()[-1], FLOOD_DELAY_S))
            term.tail, term.end_seen, term.end_word = b"", None, end_word
            for _attempt in range(3):  # until the new job shows in the table and its flood in the log
                term.send("\x12")  # ctrl+r: poll now
                term.pump(1.0)
                term.send("j\x1b[A\x1b[A\r")  # the jobs table; up, up (the newest); enter follows it
                if term.wait_for(f"{end_word.split()[-1]} step", FLOOD_DELAY_S + 2):
                    break
            else:
                raise RuntimeError(f"the flood never showed: {ANSI.sub(b'', term.tail)[-600:]!r}")
            started = time.perf_counter()
            pressed = toggle(term, args.presses - len(during), args.gap, until_end=True)
            term.wait_for(end_word, 600)
            term.end_word = ""
            end = term.end_seen or time.perf_counter()
            during += [p for p in pressed if p.sent < end]
            if args.verbose:
                print(
                    f"round {len(rounds) + 1}:",
                    " ".join(f"{p.key}@{p.sent - started:.2f}s={p.ms or -1:.0f}" for p in pressed),
                    f"end@{end - started:.2f}s",
                )
            rounds.append((end - started, loop.run_until_complete(wait_final(flood, 600))[1]))
        cpu, rounds_wall = term.cpu_s() - cpu0, time.perf_counter() - rounds_started
        peak_kb = term.status_kb("VmHWM")
        platform_peak_kb = proc_status_kb(platform.pid, "VmHWM")
        rss_end = term.status_kb("VmRSS")
        loop.run_until_complete(conn.platform.aclose())
        loop.close()

        print(
            f"flood job: {args.lines:,} lines of ~80 characters, run {len(rounds)} times to get "
            f"{len(during)} presses during a flood"
        )
        for n, (followed, job_s) in enumerate(rounds, 1):
            print(
                f"  round {n}: the job ran {job_s or 0:.1f} s on the platform; the TUI showed its last "
                f"line {followed:.1f} s after it started following"
            )
        print()
        print("key press → visible answer (ms), TUI in a pty at 80x24")
        print(f"{'':<22} {'n':>3}  {'median':>7}  {'p95':>7}  {'max':>7}  {'≤100ms':>7}  {'lost':>4}")
        print(summary("idle (finished job)", idle))
        print(summary("during the flood", during))
        print()
        print(
            f"TUI CPU: {idle_cpu:.1f} s for the idle presses; {cpu:.1f} s over the {rounds_wall:.1f} s "
            f"of the flood rounds ({len(rounds)} x {args.lines:,} lines, with the waits between them)"
        )
        rss = [r for r in term.rss_kb if r]
        print(
            f"TUI RSS: idle {idle_rss / 1024:.0f} MB; during the flood max {max(rss) / 1024:.0f} MB; "
            f"after {rss_end / 1024:.0f} MB; peak (VmHWM) {peak_kb / 1024:.0f} MB"
        )
        print(f"platform server RSS peak (VmHWM): {platform_peak_kb / 1024:.0f} MB")
    finally:
        if term is not None:
            term.stop()
        cleanup.close()  # the platform
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
