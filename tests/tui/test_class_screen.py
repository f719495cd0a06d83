"""The facilitator's Class screen and the broadcast, on a real workshop platform (issue 9 §6).

A small class (``workshop start --attendees 2``, the real CLI) where student01's training job fails
as a real attendee's can: they upload a trip file in the 2019 TLC layout that holds no rides and
train on it (the parameters are checked before anything is submitted, so a bad one never becomes a
job). The facilitator sees student01 first with the job's error, opens them and reads the failed
job's log; an attendee has no Class screen; a broadcast reaches the attendee's guide
live, announced once. The 20-attendee class of ``tests/conftest.py`` shows 20 rows at Lab 5.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from local_platform_support import V1, LocalPlatform, has_sandbox, upload_lab_code, wait_job
from mlops_tui.lab_scripts.synthetic import YELLOW_2019_COLUMNS
from workshop_class_support import ClassRun, started_class

from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter
from mlops_tui.services.types import Credentials
from mlops_tui.widgets.broadcast import BroadcastBanner
from mlops_tui.widgets.header import NavTabs
from mlops_tui.widgets.logview import LiveLog
from mlops_tui.widgets.tables import LiveTable

from .conftest import FAST, wait_for
from .terminal_support import screen_text

pytestmark = pytest.mark.skipif(not has_sandbox(), reason="needs bubblewrap (apt-get install bubblewrap)")

TENANT = "K8sMLTenant"
# A trip file with the 2019 TLC header and no rows: train.py refuses it after reading it.
EMPTY_DATA = "data/student01/empty.csv"
NO_RIDES = (
    "error: too few usable rides in empty.csv: 0 of 0 kept, at least 50 are needed; the file holds no rides"
)
POLL = {**FAST, "class": 0.5, "broadcast": 0.5}
WIDE = 170  # columns: the other columns and the whole "train failed: error: …" (125) in the last


@dataclass
class SmallClass:
    url: str
    passwords: dict[str, str]  # facilitator and attendees
    failed_job: dict[str, Any]

    def credentials(self, user: str) -> Credentials:
        return Credentials(self.url, TENANT, user, self.passwords[user])

    @contextlib.contextmanager
    def client(self, user: str) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.url, timeout=30) as client:
            r = client.post(
                "/api/v2/session",
                json={"name": user, "password": self.passwords[user], "tenant_name": TENANT},
            )
            assert r.status_code == 201, r.text
            client.headers["X-BDS-SESSION"] = r.headers["Location"]
            yield client


@pytest.fixture(scope="module")
def small_class(
    tmp_path_factory: pytest.TempPathFactory, local_platform: LocalPlatform
) -> Iterator[SmallClass]:
    cache = local_platform.state_dir / "cache" / "default-data"
    with started_class(tmp_path_factory.mktemp("facilitator"), 2, seed_cache=cache) as started:
        klass = SmallClass(started.url, started.passwords, {})
        with klass.client("student01") as student:
            code = upload_lab_code(student, "student01")
            header = ",".join(YELLOW_2019_COLUMNS) + "\n"
            r = student.put(f"{V1}/repo/{EMPTY_DATA}", content=header.encode())
            assert r.status_code == 201, r.text
            r = student.post(
                f"{V1}/jobs",
                json={
                    "cluster": "training-engine-shared",
                    "code": code,
                    "data": EMPTY_DATA,
                    "output": "models/student01/no-rides",
                },
            )
            assert r.status_code == 201, r.text
            klass.failed_job = wait_job(student, str(r.json()["id"]))
        assert klass.failed_job["state"] == "failed", klass.failed_job
        assert klass.failed_job["message"] == f"exit code 2: {NO_RIDES}", klass.failed_job
        yield klass


def _cells(app: Any, table_id: str = "tbl-class") -> dict[str, list[str]]:
    table = app.screen.query_one(f"#{table_id}", LiveTable)
    return {str(key.value): [str(c) for c in table.get_row(key)] for key in table.rows}


def _order(app: Any) -> list[str]:
    """The class table's users from the top ([] until the Class screen shows)."""
    tables = app.screen.query("#tbl-class")
    return [str(key.value) for key in tables.first().rows] if tables else []


async def test_the_stuck_attendee_comes_first_with_the_error_of_their_job(
    small_class: SmallClass, make_app: Any
) -> None:
    adapter = LocalAdapter(small_class.credentials("facilitator"))
    app = make_app(adapter, intervals=POLL)
    async with app.run_test(size=(80, 24)) as pilot:
        # the facilitator opens on the class (the guide is for attendees)
        await wait_for(pilot, lambda: app.current_mode == "class", what="the Class screen")
        await wait_for(pilot, lambda: len(_order(app)) == 2, what="two attendee rows")
        assert _order(app) == ["student01", "student02"]
        row = _cells(app)["student01"]
        assert row[1] == "Lab 3" and row[2] == "✔○✔✖○○○"
        assert row[4] == "train failed: error: too few usable ri…"  # cut to fit 80 columns
        text = screen_text(app)
        assert "1 stuck" in text and "7 Class" in text and "Traceback" not in text
        # enter: the attendee, their steps and the failed job's log
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query(LiveLog), what="the attendee screen")
        log = app.screen.query_one(LiveLog)
        await wait_for(
            pilot,
            lambda: any(NO_RIDES in line for line in log.view.lines()),
            what="the failed job's log",
        )
        assert any("0 rides read, 0 kept after cleaning" in line for line in log.view.lines())
        assert f"Log · job {small_class.failed_job['id']}" in screen_text(app)
        assert "✖ 3 train" in screen_text(app)
        # the whole error, above the log (the title wraps it over up to three lines)
        assert NO_RIDES in " ".join(screen_text(app).split())
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.query("#tbl-class"), what="back on the class")
        await pilot.resize_terminal(WIDE, 24)
        await wait_for(
            pilot,
            lambda: f"train failed: {NO_RIDES}" in screen_text(app),
            what="the whole error in a wider terminal",
        )
    await adapter.aclose()


async def test_an_attendee_has_no_class_screen(small_class: SmallClass, make_app: Any) -> None:
    adapter = LocalAdapter(small_class.credentials("student02"))
    app = make_app(adapter, intervals=POLL)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.platform is not None and app.platform.session is not None)
        await wait_for(pilot, lambda: "Class" not in app.screen.query_one(NavTabs).tabs().plain)
        assert " 7" not in app.screen.query_one(NavTabs).tabs().plain
        await app.run_command_line("class")
        await wait_for(
            pilot,
            lambda: any(
                "the facilitator's: you (student02) are an attendee" in n.message for n in app._notifications
            ),
            what="the refusal",
        )
        assert app.current_mode == "guide"
    await adapter.aclose()


async def test_the_facilitator_sends_a_broadcast_from_the_class_screen(
    small_class: SmallClass, make_app: Any
) -> None:
    adapter = LocalAdapter(small_class.credentials("facilitator"))
    app = make_app(adapter, intervals=POLL)
    message = "Lunch until 13:00 [b]keep[/b] your dashboard open"
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(_order(app)) == 2, what="the class")
        await pilot.press("b")
        await pilot.pause(0.2)
        await pilot.press(*message)
        await pilot.press("enter")
        await wait_for(pilot, lambda: f"broadcast: {message}" in screen_text(app), what="the broadcast line")
    await adapter.aclose()
    with small_class.client("student02") as attendee:
        assert attendee.get(f"{V1}/broadcast").json()["message"] == message


async def test_a_broadcast_reaches_the_guide_live_and_is_announced_once(
    small_class: SmallClass, make_app: Any
) -> None:
    adapter = LocalAdapter(small_class.credentials("student02"))
    app = make_app(adapter, intervals=POLL)
    with small_class.client("facilitator") as facilitator:

        def say(text: str) -> None:
            r = facilitator.put(f"{V1}/broadcast", json={"message": text})
            assert r.status_code == 200, r.text

        say("Lab 3 starts now")
        async with app.run_test(size=(80, 24)) as pilot:
            banner = app.screen.query_one(BroadcastBanner)
            await wait_for(
                pilot, lambda: "Facilitator: Lab 3 starts now" in screen_text(app), what="the banner"
            )

            def announced(text: str) -> int:
                return sum(text in n.message for n in app._notifications)

            await pilot.pause(2.0)  # several polls of the same message: still one notification
            assert announced("Lab 3 starts now") == 1
            say("Use rounds=50 for a quicker job")
            await wait_for(
                pilot, lambda: "Facilitator: Use rounds=50" in screen_text(app), what="the new message"
            )
            await pilot.pause(1.0)
            assert announced("Use rounds=50 for a quicker job") == 1
            assert facilitator.delete(f"{V1}/broadcast").status_code == 204
            await wait_for(pilot, lambda: not banner.has_class("-open"), what="the banner gone")
            assert "Facilitator:" not in screen_text(app)
    await adapter.aclose()


@pytest.mark.slow
async def test_twenty_attendees_reach_lab_5_on_the_class_screen(
    twenty_attendees: ClassRun, make_app: Any
) -> None:
    run = twenty_attendees
    adapter = LocalAdapter(Credentials(run.url, TENANT, "facilitator", run.facilitator_password))
    app = make_app(adapter, intervals=POLL)
    users = sorted(a.user for a in run.attendees)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: sorted(_order(app)) == users, timeout=30, what="20 rows")
        rows = _cells(app)
        assert {user: (row[1], row[2]) for user, row in rows.items()} == {
            user: ("done", row[2]) for user, row in rows.items()
        }
        # every step checked on the platform: login, notebook (optional without Jupyter), code,
        # training, registration, deployment and a prediction answered
        assert all(row[2][0] == "✔" and row[2][2:] == "✔✔✔✔✔" for row in rows.values()), rows
        assert "20 attendees · 0 stuck · 20 done" in screen_text(app)
    await adapter.aclose()


@pytest.mark.slow
async def test_an_attendees_dashboard_probes_their_own_deployment(
    twenty_attendees: ClassRun, make_app: Any
) -> None:
    """In a class the deployments list holds everyone's (without the others' tokens): the latency
    probe asks the attendee's own deployment, not the first of the list."""
    run = twenty_attendees
    assert run.state is not None
    line = next(
        ln for ln in (run.state / "handout.txt").read_text().splitlines() if ln.startswith("student07")
    )
    adapter = LocalAdapter(Credentials(run.url, TENANT, "student07", line.split()[1]))
    app = make_app(adapter, intervals=POLL, first_mode="dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        sample = await wait_for(pilot, lambda: app.latency and app.latency[-1], what="a latency sample")
        assert sample.deployment == "mlops-inference-server-student07" and sample.value > 0
    await adapter.aclose()
