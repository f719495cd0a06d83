"""The dashboard against the real local platform: live panels, and surviving the platform going away."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from disk_full_support import CannotMount, fill, mounted_tmpfs
from local_platform_support import PlatformFactory
from textual.widgets import Static

from mlops_tui.services import errors
from mlops_tui.services.local.adapter import LocalPlatform as LocalAdapter
from mlops_tui.widgets.connection import Link
from mlops_tui.widgets.format import describe_error
from mlops_tui.widgets.panel import StalePanel
from mlops_tui.widgets.tables import LiveTable

from .conftest import in_thread, wait_for
from .terminal_support import screen_text


def _rows(app: Any, table_id: str) -> list[str]:
    table = app.screen.query_one(f"#{table_id}", LiveTable)
    return [str(key.value) for key in table.rows]


async def test_dashboard_shows_the_pipeline(make_app: Any, adapter: Any, deployment: dict) -> None:
    app = make_app(adapter, first_mode="dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.link is Link.CONNECTED, what="connected")
        await wait_for(
            pilot, lambda: "c:training-engine-shared" in _rows(app, "tbl-clusters"), what="clusters"
        )
        await wait_for(pilot, lambda: deployment["name"] in _rows(app, "tbl-deployments"), what="deployments")
        await wait_for(
            pilot, lambda: any(":" in r and not r.startswith("m:") for r in _rows(app, "tbl-registry"))
        )
        await wait_for(pilot, lambda: _rows(app, "tbl-jobs") and "__empty__" not in _rows(app, "tbl-jobs"))
        # The probe asks the ready deployment for the example ride: a real latency sample.
        sample = await wait_for(pilot, lambda: app.latency and app.latency[-1], what="latency sample")
        assert 0 < sample.latency_ms < 5000 and sample.value and sample.value > 0
        # The rows are in the tables (above); the shared platform of the suite holds other tests'
        # clusters too, so the shared training cluster's row may be scrolled out of this 100x30 view.
        await wait_for(
            pilot,
            lambda: all(w in screen_text(app) for w in ("connected", "updated", "Clusters")),
            what="the panels drawn with their data",
        )
        panels = list(app.screen.query(StalePanel))
        await wait_for(
            pilot,
            lambda: all(panel.updated_at is not None for panel in panels),
            what="every panel's first data: "
            + ", ".join(str(p.border_title) for p in panels if p.updated_at is None),
        )


async def test_dashboard_survives_the_platform_going_away(make_app: Any, platform_factory: Any) -> None:
    """Stop the platform: a clear disconnected badge, no exit; start it: recovers without a key."""
    server = platform_factory.new("down-and-up")
    adapter = LocalAdapter(server.credentials)
    app = make_app(
        adapter, first_mode="dashboard", intervals={"clusters": 0.3, "jobs": 0.3, "deployments": 0.3}
    )
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: "c:training-engine-shared" in _rows(app, "tbl-clusters"))
            await in_thread(server.stop)
            await wait_for(pilot, lambda: app.connection.link is Link.DISCONNECTED, what="disconnected badge")
            await pilot.pause(1.5)
            text = screen_text(app)
            assert "disconnected, retrying" in text
            assert "Traceback" not in text
            assert app.is_running and app.return_code is None
            # The last data stays on screen, marked stale.
            assert "training-engine-shared" in text, text
            await in_thread(server.start)
            await wait_for(
                pilot, lambda: app.connection.link is Link.CONNECTED, timeout=60, what="reconnected"
            )
            before = app.updated["clusters"]
            await wait_for(pilot, lambda: app.updated["clusters"] > before, what="fresh data after restart")
            assert "connected" in screen_text(app)
    finally:
        await adapter.aclose()


async def test_a_full_disk_shows_in_the_badge_and_on_the_dashboard(
    make_app: Any, local_platform: Any, tmp_path: Path
) -> None:
    """``/health`` said degraded (disk full) and the TUI showed nothing: the badge says it, the
    dashboard gives the platform's reason (naming the path), an action gets "disk full" and what
    to do; all of it goes by itself when space is back. A real platform on a tmpfs that fills up."""
    try:
        with mounted_tmpfs(tmp_path / "tmpfs") as mnt:
            factory = PlatformFactory(mnt, seed_cache=local_platform.state_dir / "cache" / "default-data")
            try:
                await _full_disk_in_the_tui(make_app, factory.new("full-tui"), mnt)
            finally:
                factory.close()
    except CannotMount as exc:
        pytest.skip(str(exc))


async def _full_disk_in_the_tui(make_app: Any, server: Any, mnt: Path) -> None:
    adapter = LocalAdapter(server.credentials)
    app = make_app(adapter, first_mode="dashboard", intervals={"health": 0.3})
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.connection.link is Link.CONNECTED, what="connected")
            assert "● connected" in screen_text(app).splitlines()[0]
            filler = fill(mnt / "filler")
            try:
                await wait_for(pilot, lambda: app.connection.is_degraded, what="degraded")
                await pilot.pause(0.2)
                text = screen_text(app)
                assert text.splitlines()[0].rstrip().endswith("⚠ connected · degraded: disk full"), text
                banner = str(app.screen.query_one("#dash-degraded", Static).render())
                assert banner.startswith("⚠ the platform is degraded: disk full: ")
                assert str(server.state_dir) in banner
                with pytest.raises(errors.DiskFull) as caught:  # what a screen shows for an action
                    await adapter.upload_repo("data/big.bin", os.urandom(512 << 10))
                title, message = describe_error(caught.value, "Upload")
                assert title == "Disk full" and "free space on the file system holding" in message
            finally:
                filler.unlink()
            await wait_for(pilot, lambda: not app.connection.is_degraded, timeout=20, what="healthy again")
            await pilot.pause(0.2)
            assert screen_text(app).splitlines()[0].rstrip().endswith("● connected")
            assert not app.screen.query_one("#dash-degraded", Static).display
    finally:
        await adapter.aclose()


async def test_expired_session_relogs_in_place(make_app: Any, adapter: Any, local_platform: Any) -> None:
    """The session disappears behind the app's back: it logs in again by itself, no key press."""
    import httpx

    app = make_app(adapter, first_mode="dashboard")
    seen: list[Link] = []
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot, lambda: app.connection.link is Link.CONNECTED and app.data.get("jobs") is not None
        )
        app.status_changed.subscribe(app.screen, lambda status: seen.append(status.link))
        old = adapter.session.id
        async with httpx.AsyncClient() as client:  # log the app's session out, as an expiry would
            r = await client.delete(local_platform.url + old, headers={"X-BDS-SESSION": old})
            assert r.status_code == 204
        before = app.updated["jobs"]
        await wait_for(pilot, lambda: adapter.session.id != old, what="a new session")
        await wait_for(pilot, lambda: app.updated["jobs"] > before, what="fresh data with the new session")
        await wait_for(pilot, lambda: app.connection.link is Link.CONNECTED, what="connected again")
        assert Link.RELOGIN in seen
        assert "Traceback" not in screen_text(app)


async def test_follows_the_local_platform_to_a_new_port(
    make_app: Any, tui_home: Any, platform_factory: Any, monkeypatch: Any
) -> None:
    """`mlops-tui platform serve` picks any free port: after a restart the app finds the new URL."""
    from mlops_tui import credentials
    from mlops_tui.config import Config, Profile

    server = platform_factory.new("moving")
    monkeypatch.setenv("MLOPS_TUI_STATE_DIR", str(server.state_dir))
    credentials.store_password("local", "student01", server.credentials.password)
    cfg = Config(path=tui_home / ".config" / "mlops-tui" / "profiles.toml")
    cfg.add(Profile(name="local", user="student01"), replace=True)
    app = make_app(config=cfg, start_platform=False, first_mode="dashboard")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.connection.link is Link.CONNECTED and app.data.get("clusters"))
        old_url = app.platform.credentials.url
        await in_thread(server.stop)
        await wait_for(pilot, lambda: app.connection.link is Link.DISCONNECTED, what="disconnected")
        await in_thread(server.start, 0)  # a new free port
        assert server.url != old_url
        await wait_for(
            pilot, lambda: app.platform is not None and app.platform.credentials.url == server.url, timeout=60
        )
        await wait_for(pilot, lambda: app.connection.link is Link.CONNECTED, what="connected on the new port")


async def test_a_frozen_platform_keeps_the_badge_disconnected_while_its_deployment_answers(
    make_app: Any, local_platform: Any, deployment: dict
) -> None:
    """``kill -STOP`` of the platform while a deployment keeps serving: the latency probe (which goes
    straight to the prediction server) kept answering and flipped the badge back to "● connected"
    between the platform calls' timeouts. Only calls to the platform itself decide the badge."""
    import signal

    adapter = LocalAdapter(local_platform.credentials, timeout=2.0)
    fast = {"clusters": 0.3, "jobs": 0.3, "registry": 0.3, "deployments": 0.3, "latency": 0.2, "health": 0.3}
    app = make_app(adapter, first_mode="dashboard", intervals=fast)
    links: list[Link] = []
    pid = local_platform.proc.pid
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: app.connection.link is Link.CONNECTED, what="connected")
            await wait_for(pilot, lambda: app.latency, what="a first latency sample")
            shown = app.link._on_status
            app.link._on_status = lambda status: (links.append(status.link), shown(status))
            os.kill(pid, signal.SIGSTOP)
            try:
                await wait_for(
                    pilot, lambda: Link.DISCONNECTED in links, timeout=30, what="the badge disconnected"
                )
                links.clear()
                samples = len(app.latency)
                await pilot.pause(6.0)  # several probe rounds and platform timeouts
                assert len(app.latency) > samples, "the deployment stopped answering: no test"
                assert Link.CONNECTED not in links, links
                assert app.connection.link is Link.DISCONNECTED
                assert "● connected" not in screen_text(app).splitlines()[0]
            finally:
                os.kill(pid, signal.SIGCONT)
            await wait_for(pilot, lambda: app.connection.link is Link.CONNECTED, timeout=60, what="back")
    finally:
        await adapter.aclose()
