"""A screen's default object follows the person: a TUI whose first data came while its user was
another (or unknown) makes the choice again when someone else logs in; only a pick by hand is kept
(``services/ownership.py``)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

from mlops_tui.app import MlopsApp
from mlops_tui.services.types import Session
from mlops_tui.widgets.select import SafeSelect

from .class_platform import ME, OTHER, ClassPlatform
from .fixed_app import fixed_app
from .fixed_platform import T0
from .test_class_defaults import _feed

NEWCOMER = "student03"


async def _log_in_as(pilot: Any, user: str) -> None:
    """What Login (6) does for another person: new credentials and session, the platform handed
    to the screens again, then the next poll's lists (the same names)."""
    app: MlopsApp = pilot.app
    platform = app.platform
    platform.credentials = dataclasses.replace(platform.credentials, user=user)
    platform.session = Session(
        "/api/v2/session/1f1f", user, "K8sMLTenant", role="attendee", expires_at=T0 + timedelta(days=1)
    )
    app._link_platform(platform)
    app._link_data("deployments", await platform.list_deployments())
    await pilot.pause()


async def test_predict_makes_the_choice_again_for_the_person_who_logs_in(tmp_path: Path) -> None:
    app = fixed_app(tmp_path, "predict", ClassPlatform(mine=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        select = app.screen.query_one("#f-deployment", SafeSelect)
        assert select.value == f"mlops-inference-server-{ME}"
        await _log_in_as(pilot, NEWCOMER)
        assert select.is_blank(), select.value  # neither student01's nor student02's
        said = str(app.screen.query_one("#result-value").render())
        assert said.startswith(f"There is no deployment mlops-inference-server-{NEWCOMER} yet"), said


async def test_predict_keeps_a_deployment_picked_by_hand_until_someone_else_logs_in(
    tmp_path: Path,
) -> None:
    app = fixed_app(tmp_path, "predict", ClassPlatform(mine=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        select = app.screen.query_one("#f-deployment", SafeSelect)
        select.value = f"mlops-inference-server-{OTHER}"  # the person's own pick
        await pilot.pause()
        app._link_data("deployments", list(reversed(await app.platform.list_deployments())))
        await pilot.pause()
        assert select.value == f"mlops-inference-server-{OTHER}"  # kept across a new list
        await _log_in_as(pilot, ME)  # the same person again: still their pick
        assert select.value == f"mlops-inference-server-{OTHER}"
        await _log_in_as(pilot, NEWCOMER)
        assert select.is_blank(), select.value


async def test_training_follows_the_newest_job_of_the_person_who_logs_in(tmp_path: Path) -> None:
    app = fixed_app(tmp_path, "training", ClassPlatform())
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        app.screen.select_job("1")  # student01 picks their oldest by hand
        app.screen._chosen = True
        await _log_in_as(pilot, OTHER)
        app._link_data("jobs", await app.platform.list_jobs())
        await pilot.pause()
        assert app.screen.job_id == "7"  # student02's own job, not student01's pick


async def test_registry_selects_the_model_of_the_person_who_logs_in(tmp_path: Path) -> None:
    app = fixed_app(tmp_path, "registry", ClassPlatform(mine=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        assert app.screen.selected == (f"mlops-model-{ME}", 2)
        await _log_in_as(pilot, OTHER)
        app._link_data("registry", await app.link._fetch_registry())
        await pilot.pause()
        assert app.screen.selected == (f"mlops-model-{OTHER}", 2)
