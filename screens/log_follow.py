"""Following a training job's log on a screen: one loop, and one :class:`LogFeed` that takes its
lines to the log widget a frame at a time, for every screen that shows one (the Training screen
and the facilitator's attendee screen).

Why one: each copy had to learn the same lessons separately (start from the log's tail, not line 0,
so that a 2 GB log is not replayed; drop what arrives after another job was picked; reload from the
tail when the platform came back; say "no longer exists" when the job was deleted), and the
attendee screen had not.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

from mlops_tui.services import errors
from mlops_tui.services.types import Job
from mlops_tui.widgets.logview import MAX_LINES, LiveLog
from mlops_tui.widgets.panel import StalePanel

# Lines of a streamed log handled between two turns of the event loop. One read of a flood brings
# ~800 lines; a turn every 64 lets a key press through at once (benchmarks/log_flood.py, p95 of
# the answer to a key press during a flood: 53-62 ms with 64, 91-99 ms with 256, 65-115 ms with
# no extra turn; 2 busy cores).
YIELD_EVERY = 64
RETRY_S = 2.0  # wait before following again after the platform dropped away


async def follow_job_log(
    mlops: object,
    job_id: str,
    *,
    panel: StalePanel,
    following: Callable[[], bool],
    on_line: Callable[[str], None],
    on_reload: Callable[[], None],
    tail: int = MAX_LINES,
) -> Job | None:
    """Stream ``job_id``'s log from its last ``tail`` lines to ``on_line`` while ``following()``.

    ``mlops`` is the app (``require_platform``, ``report_error``). When the stream ends and the job
    has ended, returns the job (its final state); when the platform drops away (unreachable, session
    expired) the panel says so and, ``RETRY_S`` later, ``on_reload()`` is called and the log is read
    again from its tail. Returns None when another job was picked, the job no longer exists (a line
    says so) or the platform refused (reported through the app's error funnel)."""
    received = 0
    while following():
        if received:  # a reload after the platform dropped away: the tail again, from scratch
            received = 0
            on_reload()
        try:
            platform = mlops.require_platform()  # type: ignore[attr-defined]
            async for line in platform.follow_log(job_id, follow=True, tail=tail):
                if not following():  # another job was picked: its lines are not this one's
                    return None
                received += 1
                on_line(line)
                if not received % YIELD_EVERY:
                    await asyncio.sleep(0)  # let keys in between
            panel.mark_updated()
            job: Job = await platform.get_job(job_id)
            if job.state.is_final:
                return job
        except asyncio.CancelledError:
            raise
        except (errors.Unreachable, errors.SessionExpired) as exc:
            panel.mark_failed(f"{type(exc).__name__.lower()}, retrying")
        except errors.NotFound:
            on_line(f"(job {job_id} no longer exists)")
            return None
        except errors.PlatformError as exc:
            mlops.report_error(exc, f"Follow the log of job {job_id}")  # type: ignore[attr-defined]
            return None
        await asyncio.sleep(RETRY_S)
    return None


class LogFeed:
    """A screen's job log: the lines received since the last frame, written to ``log`` in one batch
    by :meth:`flush` (which the screen calls on a timer), so a flood is formatted once a frame, not
    once a line.

    The batch is bounded like the log (``MAX_LINES``): in a flood, lines that would fall out of the
    log at once are dropped here (counted in ``received``, never formatted)."""

    def __init__(self, log: LiveLog, panel: StalePanel) -> None:
        self.log = log
        self.panel = panel
        self._lines: deque[str] = deque(maxlen=MAX_LINES)
        self._count = 0

    def take(self, line: str) -> None:
        """Keep ``line`` for the next :meth:`flush`."""
        self._lines.append(line)
        self._count += 1

    def restart(self) -> None:
        """Empty the batch and the log: another job was picked, or its log is read again."""
        self._lines.clear()
        self._count = 0
        self.log.clear()

    def flush(self) -> bool:
        """Write what came since the last call and mark the panel updated; False when nothing did."""
        if not self._count:
            return False
        lines, count = list(self._lines), self._count
        self._lines.clear()
        self._count = 0
        self.log.write_lines(lines, received=count)
        self.panel.mark_updated()
        return True

    async def follow(
        self,
        mlops: object,
        job_id: str,
        following: Callable[[], bool],
        on_line: Callable[[str], None] | None = None,
    ) -> Job | None:
        """:func:`follow_job_log` into this feed: each line to ``on_line`` (default :meth:`take`), a
        reload after the platform came back restarts the log."""
        return await follow_job_log(
            mlops,
            job_id,
            panel=self.panel,
            following=following,
            on_line=on_line or self.take,
            on_reload=self.restart,
        )
