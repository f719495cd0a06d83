"""The shared training cluster's queue is fair across owners (issue 9 §3): ``fair_queue``.

Pure functions, so the rule is checked on many cases quickly; the platform's use of it is checked
in ``test_platform_roles`` (a live queue) and the 20-attendee class in ``tests/cli``.
"""

from __future__ import annotations

from mlops_tui.platform.fair_queue import Busy, Waiting, forecast, next_job, typical_duration

T = "K8sMLTenant"


def _run(queued: list[Waiting], workers: int, duration: float = 10.0) -> list[tuple[int, float]]:
    """Replay a whole queue through ``next_job`` with ``workers`` workers and fixed job durations:
    (job id, start time) in start order."""
    now, running, last, order = 0.0, [], {}, []
    waiting = list(queued)
    while waiting:
        running = [(owner, end) for owner, end in running if end > now]
        while len(running) < workers and waiting:
            pick = next_job(waiting, [o for o, _ in running], last)
            assert pick is not None
            waiting.remove(pick)
            order.append((pick.id, now))
            last[pick.owner] = now
            running.append((pick.owner, now + duration))
        now = min(end for _, end in running)
    return order


def test_one_attendees_ten_jobs_do_not_starve_the_others() -> None:
    greedy = [Waiting(i, (T, "greedy")) for i in range(1, 11)]
    others = [Waiting(100 + i, (T, f"student{i:02d}")) for i in range(1, 6)]
    order = _run(greedy + others, workers=2)
    starts = {job: t for job, t in order}
    greedy_before = [j for j, _ in order if j <= 10 and starts[j] < max(starts[o.id] for o in others)]
    # while others wait, the greedy owner gets at most its fair share: one job per round of owners
    assert len(greedy_before) <= 2, order
    assert all(starts[o.id] <= 20.0 for o in others), order


def test_owners_with_the_same_number_of_jobs_are_served_in_the_order_they_asked() -> None:
    queued = [Waiting(i, (T, f"student{i:02d}")) for i in range(1, 21)]
    order = [job for job, _ in _run(queued, workers=2)]
    assert order == list(range(1, 21))


def test_a_running_job_counts_against_its_owner() -> None:
    queued = [Waiting(1, (T, "a")), Waiting(2, (T, "b"))]
    assert next_job(queued, [(T, "a")], {}) == Waiting(2, (T, "b"))


def test_the_owner_served_longest_ago_goes_first() -> None:
    queued = [Waiting(1, (T, "a")), Waiting(2, (T, "b"))]
    assert next_job(queued, [], {(T, "a"): 50.0, (T, "b"): 10.0}) == Waiting(2, (T, "b"))
    assert next_job(queued, [], {(T, "a"): 5.0, (T, "b"): 10.0}) == Waiting(1, (T, "a"))


def test_tenants_are_owners_too() -> None:
    queued = [Waiting(1, ("A", "u")), Waiting(2, ("A", "u")), Waiting(3, ("B", "u"))]
    assert [j for j, _ in _run(queued, workers=1)] == [1, 3, 2]


def test_the_forecast_replays_the_same_rule_with_expected_starts() -> None:
    queued = [Waiting(i, (T, "greedy")) for i in range(1, 4)] + [Waiting(10, (T, "other"))]
    busy = [Busy((T, "greedy"), started=0.0), Busy((T, "x"), started=5.0)]
    places = forecast(queued, busy, {(T, "greedy"): 0.0, (T, "x"): 5.0}, workers=2, now=6.0, typical_s=10.0)
    assert [p.id for p in places] == [10, 1, 2, 3]
    assert [p.position for p in places] == [1, 2, 3, 4]
    assert places[0].start == 10.0 and places[1].start == 15.0  # when each worker frees up
    assert places[2].start == 20.0 and places[3].start == 25.0


def test_nothing_queued_means_no_pick_and_no_forecast() -> None:
    assert next_job([], [], {}) is None
    assert forecast([], [], {}, workers=2, now=0.0, typical_s=10.0) == []


def test_typical_duration_is_the_median_of_recent_runs() -> None:
    assert typical_duration([3.0, 100.0, 4.0]) == 4.0
    assert typical_duration([]) == 60.0


def test_a_job_running_long_past_the_typical_time_does_not_make_the_wait_zero() -> None:
    """The tester's case: two long jobs ran while recent jobs had taken about a second, and the
    queued job read "starts in about 0 s" for 30 s and more. A running job past the typical time is
    expected to run half as long again as it has run (at least 5 s)."""
    queued = [Waiting(3, (T, "student03"))]
    busy = [Busy((T, "student01"), started=0.0), Busy((T, "student02"), started=20.0)]
    places = forecast(queued, busy, {}, workers=2, now=40.0, typical_s=1.0)
    assert places[0].start == 50.0  # student02's job: 20 s run, 10 s more expected (student01's: 20 more)
    places = forecast(queued, [Busy((T, "student01"), started=39.5)], {}, workers=1, now=40.0, typical_s=1.0)
    assert places[0].start == 40.5  # within the typical time: started + typical
    places = forecast(queued, [Busy((T, "student01"), started=38.0)], {}, workers=1, now=40.0, typical_s=1.0)
    assert places[0].start == 45.0  # past it by little: at least 5 s more
