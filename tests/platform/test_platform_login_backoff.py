"""Failed logins back off per user and per client address (issue 8 §5), with 429 and Retry-After."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from local_platform_support import LocalPlatform, PlatformFactory

from mlops_tui.platform.login_backoff import LoginBackoff, TooManyAttempts
from mlops_tui.services import errors
from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter
from mlops_tui.services.types import Credentials


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _try(backoff: LoginBackoff, ok: bool, user: str = "t/alice", client: str = "127.0.0.1") -> None:
    with backoff.attempt(user, client) as succeeded:
        if ok:
            succeeded()


def _locked_for(backoff: LoginBackoff, user: str = "t/alice", client: str = "127.0.0.1") -> int | None:
    try:
        _try(backoff, ok=True, user=user, client=client)
    except TooManyAttempts as exc:
        return exc.retry_after
    return None


def test_delays_grow_exponentially_up_to_the_cap_and_the_right_password_waits_too() -> None:
    clock = Clock()
    b = LoginBackoff(clock=clock)
    for _ in range(5):
        _try(b, ok=False)  # five free failures
    seen = []
    for _ in range(8):
        _try(b, ok=False)
        seen.append(_locked_for(b))  # the right password is refused while locked
        clock.now += 31  # past any lock; well inside the 15 min memory
    assert seen == [1, 2, 4, 8, 16, 30, 30, 30]
    _try(b, ok=True)  # the lock is over: the right password works and clears the user's failures
    _try(b, ok=False)
    assert _locked_for(b) is None  # a fresh budget of five free failures


def test_attempts_during_a_lock_do_not_extend_it() -> None:
    clock = Clock()
    b = LoginBackoff(clock=clock)
    for _ in range(6):
        _try(b, ok=False)
    for _ in range(50):
        with pytest.raises(TooManyAttempts):
            _try(b, ok=False)
    clock.now += 1.01
    _try(b, ok=True)


def test_failures_are_forgotten_after_15_minutes() -> None:
    clock = Clock()
    b = LoginBackoff(clock=clock)
    for _ in range(6):
        _try(b, ok=False)
    clock.now += 15 * 60 + 1
    for _ in range(5):
        _try(b, ok=False)
    assert _locked_for(b) is None


def test_a_client_guessing_many_users_is_locked_and_its_own_login_does_not_reset_it() -> None:
    clock = Clock()
    b = LoginBackoff(clock=clock)
    for i in range(20):
        _try(b, ok=False, user=f"t/user{i}")
    _try(b, ok=True, user="t/mine")  # a valid account of the attacker's
    _try(b, ok=False, user="t/user20")
    assert _locked_for(b, user="t/other") == 1
    assert _locked_for(b, user="t/other", client="10.0.0.2") is None  # other clients are not locked


def test_parallel_guesses_past_the_free_ones_are_checked_one_at_a_time() -> None:
    b = LoginBackoff()
    for _ in range(4):
        _try(b, ok=False)
    gate = threading.Event()
    results: list[str] = []

    def guess() -> None:
        try:
            with b.attempt("t/alice", "127.0.0.1"):
                gate.wait(5)
            results.append("checked")
        except TooManyAttempts:
            results.append("429")

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join(10)
    assert results.count("checked") == 1 and results.count("429") == 7


def _login(p: LocalPlatform, password: str) -> httpx.Response:
    creds = p.credentials
    assert creds is not None
    body = {"name": creds.user, "password": password, "tenant_name": creds.tenant}
    return httpx.post(p.url + "/api/v2/session", json=body, timeout=30)


def test_fifty_wrong_passwords_then_the_right_one_is_refused_until_retry_after(
    platform_factory: PlatformFactory,
) -> None:
    """Issue 8 §5: 50 wrong passwords in 3.2 s, then the right one was accepted."""
    p = platform_factory.new("backoff")
    assert p.credentials is not None
    answers = [_login(p, "wrong") for _ in range(50)]
    codes = [r.status_code for r in answers]
    assert codes[:5] == [401] * 5 and set(codes) <= {401, 429}
    assert codes.count(401) <= 8, codes  # each further guess needs a lock to expire first
    limited = [r for r in answers if r.status_code == 429]
    for r in limited:
        assert 1 <= int(r.headers["Retry-After"]) <= 30
        assert r.json()["code"] == "rate_limited" and "try again in" in r.json()["error"]
    # On a loaded machine the 50 guesses can outlast the last lock: guess again until a lock with
    # some time left is on (each failure past the free ones locks longer), then the right one.
    for _ in range(3):
        guess = _login(p, "wrong")
        if guess.status_code == 429 and int(guess.headers["Retry-After"]) >= 2:
            break
    right = _login(p, p.credentials.password)
    assert right.status_code == 429 and "Location" not in right.headers  # the lock means something
    time.sleep(int(right.headers["Retry-After"]) + 0.2)
    assert _login(p, p.credentials.password).status_code == 201
    assert _login(p, "wrong").status_code == 401  # the success cleared the user's failures


async def test_the_client_says_how_long_to_wait(platform_factory: PlatformFactory) -> None:
    p = platform_factory.new("backoff-client")
    assert p.credentials is not None
    wrong = Credentials(p.url, p.credentials.tenant, p.credentials.user, "wrong")
    outcomes: list[Any] = []
    for _ in range(7):
        async with LocalAdapter(wrong) as adapter:
            with pytest.raises(errors.AuthFailed) as err:
                await adapter.login()
            outcomes.append(err.value)
    assert [e.status for e in outcomes[:5]] == [401] * 5
    last = outcomes[-1]
    assert last.status == 429 and "too many failed logins" in str(last)
    assert "wait" in last.hint and " s, then try again" in last.hint
