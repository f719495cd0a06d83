"""In the TUI, the exec plugin's device-code line appears in the sign-in modal with its URL and code,
``c``/``y`` copy them over OSC 52, ``esc`` cancels the sign-in and kills the plugin (Pilot, issue 7 §3)."""

from __future__ import annotations

import re
from pathlib import Path

from exec_plugins import DEVICE_LINE, HOSTILE_LINE, alive, exec_entry, seen, write_kubeconfig, write_plugin
from k8s_support import until
from kdfake.world import NAMESPACE, PVC, FakeWorld
from mlops_tui.screens.sign_in import SignInScreen

from mlops_tui.app import MlopsApp
from mlops_tui.services.kubernetes import KubernetesOptions, KubernetesPlatform
from mlops_tui.services.types import Credentials
from mlops_tui.widgets.connection import Link

FAST = {"clusters": 0.5, "jobs": 0.5, "registry": 0.5, "deployments": 0.5, "latency": 0.5}
BORDER = re.compile(r"[\u2500-\u259f]")  # box drawing and block elements


def _app(
    world: FakeWorld, tmp_path: Path, tui_home: Path, behaviour: str, wait: float, line: str = DEVICE_LINE
) -> MlopsApp:
    world.api.tokens.add("plugin-token")
    exec_config = exec_entry(write_plugin(tmp_path / "plugin", line), behaviour, wait=wait)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", world.api_port, world.ca, NAMESPACE, exec_config)
    options = KubernetesOptions(mode="kubeconfig", kubeconfig_path=str(kubeconfig), repo_pvc=PVC)
    platform = KubernetesPlatform(Credentials(url="", tenant="", user="", password=""), options)
    return MlopsApp(
        platform,
        intervals=FAST,
        first_mode="dashboard",
        survive_errors=False,
        settings_path=tui_home / "tui.json",
        probe_latency=False,
    )


def _modal_words(app: MlopsApp) -> str:
    """The text inside the modal's box as drawn, borders dropped and whitespace collapsed (so a
    wrapped line reads as one)."""
    box = app.screen.query_one("#sign-in").region
    strips = app.screen._compositor.render_strips()  # type: ignore[attr-defined]
    rows = ["".join(segment.text for segment in strip) for strip in strips[box.y : box.bottom]]
    text = "\n".join(row[box.x : box.right] for row in rows)
    return " ".join(BORDER.sub(" ", text).split())


async def test_sign_in_modal_shows_text_url_and_code_and_copies_them(
    world: FakeWorld, tmp_path: Path, tui_home: Path
) -> None:
    app = _app(world, tmp_path, tui_home, "device", wait=4.0)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the sign-in modal")
        await pilot.pause(0.3)
        words = _modal_words(app)
        assert DEVICE_LINE in words
        assert "URL https://login.example/device" in words and "Code WXYZ-1234" in words
        assert alive(seen(tmp_path / "plugin")["pid"])  # shown while the plugin still waits
        await pilot.press("c")
        assert app.clipboard == "WXYZ-1234"
        await pilot.press("y")
        assert app.clipboard == "https://login.example/device"
        # the plugin answers after 4 s: the modal closes by itself and the app is connected
        await until(pilot, lambda: not isinstance(app.screen, SignInScreen), "the modal to close")
        await until(pilot, lambda: app.connection.link == Link.CONNECTED, "connected")
    assert world.violations == []


async def test_escape_cancels_the_sign_in_and_kills_the_plugin(
    world: FakeWorld, tmp_path: Path, tui_home: Path
) -> None:
    app = _app(world, tmp_path, tui_home, "hang", wait=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the sign-in modal")
        pid = seen(tmp_path / "plugin")["pid"]
        assert alive(pid)
        await pilot.press("escape")
        await until(pilot, lambda: not alive(pid), "the plugin to be killed", timeout=10)
        messages = lambda: [n.message for n in app._notifications]  # noqa: E731
        await until(pilot, lambda: any("sign-in cancelled" in m for m in messages()), "the error")
        assert not isinstance(app.screen, SignInScreen)
        assert app.is_running and app.return_code is None  # the app keeps running
        message = next(m for m in messages() if "sign-in cancelled" in m)
        assert "sign-in cancelled: the exec credential plugin device-login was stopped" in message


async def test_plugin_that_answers_at_once_leaves_no_modal(
    world: FakeWorld, tmp_path: Path, tui_home: Path
) -> None:
    # The line and the answer come together: the modal may open and must close again, quietly.
    app = _app(world, tmp_path, tui_home, "device", wait=0)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: app.connection.link == Link.CONNECTED, "connected")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, SignInScreen)
        assert not [n for n in app._notifications if n.severity == "error"]


async def test_a_plugins_control_sequences_never_reach_the_modal(
    world: FakeWorld, tmp_path: Path, tui_home: Path
) -> None:
    """The modal used Rich's ``Text.from_ansi``, which shows an OSC title ended by BEL as
    ``0;HIJACK``: the plugin's text now goes through the one sanitiser, colours kept as styles."""
    app = _app(world, tmp_path, tui_home, "device", wait=4.0, line=HOSTILE_LINE)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen), "the sign-in modal")
        await pilot.pause(0.3)
        words = _modal_words(app)
        assert DEVICE_LINE in words and "HIJACK" not in words, words
        assert "URL https://login.example/device" in words and "Code WXYZ-1234" in words
        shown = app.screen.query_one("#sign-in-text").render()
        assert shown.plain == DEVICE_LINE  # type: ignore[union-attr]
        assert any(span.style and "red" in str(span.style) for span in shown.spans)  # type: ignore[union-attr]
        await until(pilot, lambda: not isinstance(app.screen, SignInScreen), "the modal to close")
