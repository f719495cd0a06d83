"""Which queued training job runs next, and when each queued job is expected to start.

The shared training cluster has a fixed number of workers (``serve --workers``, set by the
facilitator) and a class submitting into it. First-come-first-served lets one attendee's ten jobs
hold every worker while the others wait; here a free worker takes the next job of the owner
(tenant and user) who has the fewest jobs running, then of the owner whose last job started
longest ago (never: first), then the oldest job. So every owner with work gets a turn per round,
whatever they queued, and owners with the same number of jobs are served in the order they asked.

:func:`forecast` replays that rule over the queue, assuming every job takes ``typical_s`` (the
median run time of recent jobs on this platform, :func:`typical_duration`), to give each queued
job its position (1 = next) and estimated start. Pure functions over plain values: the engine
reads the jobs from the database, these decide.
"""

from __future__ import annotations

import heapq
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

Owner = tuple[str, str]  # (tenant, user)
DEFAULT_TYPICAL_S = 60.0  # before any job has run: the order of a workshop training run
RECENT_JOBS = 20
MIN_REMAINING_S = 5.0  # a running job past the typical time: what it is expected to run at least


@dataclass(frozen=True)
class Waiting:
    """A queued job: its id (submission order) and owner."""

    id: int
    owner: Owner


@dataclass(frozen=True)
class Busy:
    """A job a worker is running, started at ``started`` (seconds, the clock of ``now``)."""

    owner: Owner
    started: float


@dataclass(frozen=True)
class Forecast:
    """Where a queued job stands: ``position`` 1 is the next to start; ``start`` in seconds."""

    id: int
    position: int
    start: float


def _key(
    job: Waiting, running: Mapping[Owner, int], last_start: Mapping[Owner, float]
) -> tuple[int, float, int]:
    return (running.get(job.owner, 0), last_start.get(job.owner, -math.inf), job.id)


def next_job(
    queued: Iterable[Waiting], running: Iterable[Owner], last_start: Mapping[Owner, float]
) -> Waiting | None:
    """The job a free worker takes now: fewest running jobs of its owner, then the owner served
    longest ago, then the oldest job; None when nothing is queued."""
    counts = Counter(running)
    return min(queued, key=lambda j: _key(j, counts, last_start), default=None)


def forecast(
    queued: Iterable[Waiting],
    busy: Iterable[Busy],
    last_start: Mapping[Owner, float],
    *,
    workers: int,
    now: float,
    typical_s: float,
) -> list[Forecast]:
    """Every queued job's position and estimated start, by replaying :func:`next_job` with each job
    taking ``typical_s``. A running job already past that is expected to run half as long again as
    it has run (at least :data:`MIN_REMAINING_S`): a long job is likely to stay long, and the queue
    must not read "starts in about 0 s" for as long as it runs."""
    remaining = sorted(queued, key=lambda j: j.id)
    last = dict(last_start)
    ends: list[tuple[float, Owner]] = [(_expected_end(b.started, now, typical_s), b.owner) for b in busy]
    free = sorted(e for e, _ in ends)[: max(0, workers)]
    free += [now] * max(0, workers - len(free))
    heapq.heapify(free)
    out: list[Forecast] = []
    while remaining and free:
        t = heapq.heappop(free)
        running = Counter(owner for end, owner in ends if end > t)
        pick = min(remaining, key=lambda j: _key(j, running, last))
        remaining.remove(pick)
        start = max(t, now)
        out.append(Forecast(pick.id, len(out) + 1, start))
        last[pick.owner] = start
        ends.append((start + typical_s, pick.owner))
        heapq.heappush(free, start + typical_s)
    return out


def _expected_end(started: float, now: float, typical_s: float) -> float:
    elapsed = max(0.0, now - started)
    if elapsed < typical_s:
        return started + typical_s
    return now + max(MIN_REMAINING_S, elapsed / 2)


def typical_duration(durations: Iterable[float]) -> float:
    """The median of recent run times in seconds (:data:`DEFAULT_TYPICAL_S` before any)."""
    values = [d for d in durations if d >= 0]
    return statistics.median(values) if values else DEFAULT_TYPICAL_S
