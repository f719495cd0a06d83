"""In a class every attendee sees the tenant's lists, newest first: a default taken as "the first
of the list" was someone else's. Each screen picks the person's own (services/ownership.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops_tui.app import MlopsApp
from mlops_tui.widgets.connection import Link
from mlops_tui.widgets.select import SafeSelect

from .class_platform import ME, OTHER, ClassPlatform
from .conftest import wait_for
from .fixed_platform import frozen_clock


def _app(tmp_path: Path, platform: ClassPlatform, mode: str) -> MlopsApp:
    return MlopsApp(
        platform, clock=frozen_clock, first_mode=mode, poll=False, probe_latency=False,
        survive_errors=False, settings_path=tmp_path / "tui.json",
    )  # fmt: skip


async def _feed(pilot: Any) -> None:
    app: MlopsApp = pilot.app
    await wait_for(pilot, lambda: app.connection.link is Link.CONNECTED, what="connected")
    platform = app.platform
    app._link_data("jobs", await platform.list_jobs())
    app._link_data("registry", await app.link._fetch_registry())
    app._link_data("deployments", await platform.list_deployments())
    await pilot.pause()


async def test_predict_without_a_deployment_of_ones_own_says_so_and_picks_none(tmp_path: Path) -> None:
    app = _app(tmp_path, ClassPlatform(mine=False), "predict")
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        select = app.screen.query_one("#f-deployment", SafeSelect)
        assert select.is_blank()  # not student02's
        said = str(app.screen.query_one("#result-value").render())
        assert said.startswith(f"There is no deployment mlops-inference-server-{ME} yet"), said
        assert "Lab 4 deploys the model (in the guide: esc, 1, then type goto lab 4)" in said


async def test_the_way_to_lab_4_it_names_works_from_a_field(tmp_path: Path) -> None:
    """The Result pane said "1, then goto lab 4" while a field had the focus: 1 was typed into the
    picked zone ('Queens)1'). esc, then 1, reaches the guide and leaves the field as it was."""
    app = _app(tmp_path, ClassPlatform(mine=False), "predict")
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        await wait_for(pilot, lambda: app.screen.form_ready, what="the form")
        pickup = app.screen.query_one("#f-pickup_zone Input")
        pickup.focus()
        await pilot.pause()
        before = pickup.value
        await pilot.press("escape", "1")
        await wait_for(pilot, lambda: app.current_mode == "guide", 10, "the guide")
        assert pickup.value == before


async def test_predict_defaults_to_ones_own_deployment(tmp_path: Path) -> None:
    app = _app(tmp_path, ClassPlatform(mine=True), "predict")
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        assert app.screen.query_one("#f-deployment", SafeSelect).value == f"mlops-inference-server-{ME}"


async def test_asking_someone_elses_deployment_names_its_owner_not_a_missing_header() -> None:
    from mlops_tui.services import errors
    from mlops_tui.services.local.adapter import LocalPlatform
    from mlops_tui.services.types import ClusterState, Credentials, Deployment

    adapter = LocalPlatform(Credentials("http://127.0.0.1:9", "K8sMLTenant", ME, "pw"))
    name = f"mlops-inference-server-{OTHER}"
    adapter._deployments[name] = Deployment(
        name, "m", 1, ClusterState.CONFIGURED, url="http://127.0.0.1:9/x", auth_token=None, owner=OTHER
    )
    try:
        await adapter.predict(name, [{"distance": 1.0}])
        raise AssertionError("asked without a token")
    except errors.Forbidden as exc:
        assert f"is {OTHER}'s" in str(exc) and "X-Auth-Token" not in str(exc)
    finally:
        await adapter.aclose()


async def test_training_follows_ones_own_newest_job(tmp_path: Path) -> None:
    app = _app(tmp_path, ClassPlatform(), "training")
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        await wait_for(pilot, lambda: app.screen.job_id is not None, what="a job followed")
        assert app.screen.job_id == "3"  # student01's newest, not student02's job 7


async def test_a_facilitator_still_follows_the_newest_job_of_the_class(tmp_path: Path) -> None:
    app = _app(tmp_path, ClassPlatform(role="facilitator", user="facilitator"), "training")
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        await wait_for(pilot, lambda: app.screen.job_id is not None, what="a job followed")
        assert app.screen.job_id == "7"


async def test_registry_selects_ones_own_model(tmp_path: Path) -> None:
    app = _app(tmp_path, ClassPlatform(mine=True), "registry")
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        assert app.screen.selected == (f"mlops-model-{ME}", 2)


async def test_dashboard_latency_says_there_is_no_deployment_of_ones_own(tmp_path: Path) -> None:
    app = _app(tmp_path, ClassPlatform(mine=False), "dashboard")
    async with app.run_test(size=(120, 40)) as pilot:
        await _feed(pilot)
        said = str(app.screen.query_one("#latency-plot .plot-empty").render())
        assert (
            said
            == f"no predictions: there is no deployment mlops-inference-server-{ME} yet; Lab 4 deploys it"
        )


def _cells(app: MlopsApp, table_id: str) -> dict[str, list[str]]:
    from mlops_tui.widgets.tables import LiveTable

    table = app.screen.query_one(f"#{table_id}", LiveTable)
    return {str(key.value): [str(c) for c in table.get_row(key)] for key in table.rows}


async def test_at_80_columns_the_training_table_says_whose_each_job_is(tmp_path: Path) -> None:
    from mlops_tui.screens.dialogs import ConfirmScreen

    # the facilitator (user student01 here, so that one job is "you"): an attendee is refused at
    # once (test_class_training_cursor.py); the facilitator's dialog names the owner
    app = _app(tmp_path, ClassPlatform(role="facilitator"), "training")
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        table = app.screen.query_one("#tbl-jobs")
        assert [str(c.label) for c in table.columns.values()][-1] == "OWNER"
        cells = _cells(app, "tbl-jobs")
        assert cells["7"][-1] == OTHER and cells["3"][-1] == "you", cells
        app.screen.select_job("7")
        await pilot.pause()
        app.screen.action_cancel_job()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        asked = str(app.screen.query_one("#dialog-question").render())
        assert asked == f"Cancel training job 7 of {OTHER} (not yours)?", asked


async def test_one_owner_has_no_owner_column(tmp_path: Path) -> None:
    from .fixed_app import fixed_app

    app = fixed_app(tmp_path, "training")
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        table = app.screen.query_one("#tbl-jobs")
        assert "OWNER" not in [str(c.label) for c in table.columns.values()]


async def test_at_80_columns_cut_names_keep_the_user_id(tmp_path: Path) -> None:
    app = _app(tmp_path, ClassPlatform(mine=True), "dashboard")
    async with app.run_test(size=(80, 24)) as pilot:
        await _feed(pilot)
        names = [cells[0] for cells in _cells(app, "tbl-deployments").values()]
        assert len(names) == 2 and all(n.endswith(("student02", "student01")) for n in names), names
        models = [c[0] for k, c in _cells(app, "tbl-registry").items() if k.startswith("m:")]
        assert all(m.endswith(("student02", "student01")) for m in models), models
