"""The Textual app: screens as modes, k9s-style keys, command palette, themes, the live link.

Start-up is kept light: screens are imported when first shown, the platform is started/attached
and logged in by a worker after the first frame, and heavy libraries (pandas, xgboost, kubernetes,
plotext) are imported only by the screens that need them.

Screens reach the app through a small surface (see ``docs/tui-shell.md``): ``platform``,
``require_platform()``, ``data``/``updated``, the ``*_changed`` signals, ``report_error``,
``copy_text``, ``goto``, ``clock``, ``read_only`` and ``record_prediction``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import os
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import WorkerFailed

from mlops_tui import actions, terminal, tui_log
from mlops_tui.live import LatencySample, LiveLink
from mlops_tui.platform.names import shown
from mlops_tui.services import errors, ownership
from mlops_tui.services.terminal_text import plain
from mlops_tui.themes import MLOPS_THEME, THEMES, themes_for
from mlops_tui.tui_log import LogSetup
from mlops_tui.widgets.connection import ConnectionStatus, Link
from mlops_tui.widgets.format import describe_error
from mlops_tui.widgets.palette import ActionsProvider

if TYPE_CHECKING:
    from textual.filter import LineFilter
    from textual.notifications import SeverityLevel

    from mlops_tui.config import Config, Profile
    from mlops_tui.services.platform import Platform
    from mlops_tui.services.types import Broadcast, Prediction

log = logging.getLogger("mlops_tui.app")
T = TypeVar("T")

# mode -> (module under mlops_tui.screens, class name)
SCREEN_CLASSES: dict[str, tuple[str, str]] = {
    "guide": ("guide", "GuideScreen"),
    "dashboard": ("dashboard", "DashboardScreen"),
    "training": ("training", "TrainingScreen"),
    "registry": ("registry", "RegistryScreen"),
    "predict": ("predict", "PredictScreen"),
    "login": ("login", "LoginScreen"),
    "class": ("classroom", "ClassScreen"),
    "data": ("data", "DataScreen"),
}


def load_screen_class(mode: str) -> type[Screen]:
    """Import a screen on first use (keeps the other screens' imports out of start-up)."""
    module_name, class_name = SCREEN_CLASSES[mode]
    return getattr(importlib.import_module(f"mlops_tui.screens.{module_name}"), class_name)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MlopsApp(App[int]):
    """The mlops-tui application. Build with a ready ``platform`` in tests, or let it connect."""

    TITLE = "mlops-tui"
    CSS_PATH: ClassVar = ["app.tcss", "terminal.tcss"]
    COMMANDS = App.COMMANDS | {ActionsProvider}
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar = [
        Binding("colon", "command_line", "Cmd line", key_display=":", tooltip="k9s-style command line"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("escape", "back", "Back", show=False),
        Binding("slash", "filter", "Filter", show=False),
        Binding("ctrl+r", "refresh_all", "Refresh", show=False),
        *(Binding(key, f"goto('{mode}')", title, show=False) for mode, title, key in actions.SCREENS),
    ]

    def __init__(
        self,
        platform: Platform | None = None,
        *,
        profile: str | None = None,
        config: Config | None = None,
        clock: Callable[[], datetime] | None = None,
        read_only: bool | None = None,
        start_platform: bool = True,
        poll: bool = True,
        intervals: dict[str, float] | None = None,
        first_mode: str = "guide",
        survive_errors: bool = True,
        probe_latency: bool = True,
        settings_path: Path | None = None,
    ) -> None:
        # Decided before Textual builds its console and filters: ansi_color=True makes NO_COLOR use
        # Textual's NoColor filter (terminal default colours) instead of Monochrome (greys).
        self.capabilities = terminal.detect()
        super().__init__(ansi_color=True if self.capabilities.ansi_palette else None)
        terminal.use(self.capabilities)
        self.set_class(not self.capabilities.unicode, "-ascii")
        self._ascii_filter: LineFilter | None = None
        if not self.capabilities.unicode:
            from mlops_tui.widgets.glyphs import AsciiFilter

            self._ascii_filter = AsciiFilter()
        self.clock: Callable[[], datetime] = clock or _utc_now
        self._given_platform = platform
        self._profile_name = profile
        self.config: Config | None = config
        self.profile: Profile | None = None
        self._read_only_flag = read_only
        self.start_platform = start_platform
        self.poll = poll
        self.first_mode = first_mode
        self.survive_errors = survive_errors
        self._settings_path = settings_path
        self._settings_loaded = False
        self.data: dict[str, Any] = {}
        self.updated: dict[str, datetime] = {}
        self.data_errors: dict[str, errors.PlatformError] = {}
        self.latency: deque[LatencySample] = deque(maxlen=600)
        self.connection = ConnectionStatus()
        self.who = ""
        self.log_problem: str | None = None  # the log file could not be used (tui_log)
        self.status_changed: Signal[ConnectionStatus] = Signal(self, "status-changed")
        self.data_changed: Signal[str] = Signal(self, "data-changed")
        self.platform_changed: Signal[object] = Signal(self, "platform-changed")
        self._mode_history: list[str] = []
        self.intent: tuple[str, str] | None = None  # what a screen should select when shown next
        self.guide_notes: list[str] = []  # notes for the guide's transcript, taken by the guide
        self._broadcast_seen: tuple[str, datetime | None] | None = None
        self.link = LiveLink(
            on_status=self._link_status,
            on_data=self._link_data,
            on_platform=self._link_platform,
            clock=self.clock,
            intervals=intervals,
            probe=self._probe_record if probe_latency else None,
        )
        self._register_themes()
        self.theme = MLOPS_THEME.name
        self.MODES = {mode: (lambda m=mode: load_screen_class(m)()) for mode in SCREEN_CLASSES}
        self._modes = dict(self.MODES)

    # -- terminal capabilities (themes, glyphs) ------------------------------------------------

    def _register_themes(self) -> None:
        """Each theme of THEMES in the design for this terminal; at 16 colours (or none) the other
        built-in themes go, because only designed ones keep success, warning and failure apart."""
        designed = themes_for(self.capabilities)
        if self.capabilities.ansi_palette:
            keep = {theme.name for theme in designed}
            for name, theme in list(self.available_themes.items()):
                if name not in keep and not theme.ansi:
                    self.unregister_theme(name)
        for theme in designed:
            self.register_theme(theme)

    def get_line_filters(self) -> list[LineFilter]:
        """Textual's filters, then (non-UTF-8 locale) the one that puts ASCII on every line."""
        filters = list(super().get_line_filters())
        if self._ascii_filter is not None:
            filters.append(self._ascii_filter)
        return filters

    def get_key_display(self, binding: Binding) -> str:
        """Textual shows some keys as symbols (enter as ⏎, up as ↑); spelled out in ASCII mode."""
        display = super().get_key_display(binding)
        if self.capabilities.unicode or display.isascii():
            return display
        return terminal.ascii_key_display(display)

    # -- public surface for screens --------------------------------------------------------------

    @property
    def platform(self) -> Platform | None:
        return self.link.platform

    def require_platform(self) -> Platform:
        platform = self.link.platform
        if platform is None:
            raise errors.Unreachable(
                "not connected to a platform yet", hint="wait for the badge to say connected"
            )
        return platform

    @property
    def me(self) -> tuple[str, str]:
        """``(user, role)`` of the session ("" while not connected): what defaults are picked for."""
        platform = self.link.platform
        if platform is None:
            return "", ""
        session = platform.session
        return platform.credentials.user, session.role if session is not None else ""

    def default_pick(self, items: Sequence[T], prefer: Callable[[T], bool] | None = None) -> T | None:
        """The object a screen shows by default: the person's own (``services.ownership``)."""
        user, role = self.me
        return ownership.default_pick(items, user, role, prefer=prefer)

    @property
    def read_only(self) -> bool:
        if self._read_only_flag is not None:
            return self._read_only_flag
        return bool(self.profile and self.profile.read_only)

    def require_writable(self, what: str) -> bool:
        """False (and a message) when read-only mode forbids ``what``."""
        if self.read_only:
            self.notify(f"{what} is disabled in read-only mode.", title="Read-only", severity="warning")
            return False
        return True

    def profile_names(self) -> list[str]:
        return sorted(self.config.profiles) if self.config else []

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification (screens' too: ``Widget.notify`` comes here) through the one sanitiser:
        they quote the platform (names, errors, job messages)."""
        super().notify(
            plain(str(message)), title=plain(title), severity=severity, timeout=timeout, markup=markup
        )

    def report_error(self, exc: BaseException, what: str = "") -> None:
        """Show ``exc`` as a clear notification (never a traceback); log the details."""
        title, message = describe_error(exc, what)
        if isinstance(exc, errors.PlatformError):
            log.info("%s: %s", what or "error", exc)
        else:
            log.error("%s failed", what or "action", exc_info=exc)
        severity = "warning" if isinstance(exc, errors.InvalidInput | errors.Conflict) else "error"
        self.notify(message, title=title, severity=severity, timeout=8, markup=False)

    def copy_text(self, text: str, what: str = "text") -> None:
        """Copy through OSC 52 (works over SSH and tmux with set-clipboard on)."""
        self.copy_to_clipboard(text)
        self.notify(f"Copied the {what} to the clipboard (OSC 52).", timeout=3)

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """The palette's Screenshot: to ``~/Downloads`` where it exists, else to
        ``<state>/mlops-tui/screenshots`` (a jump host has no Downloads folder; Textual then failed
        with "Failed to save screenshot"). The notification names the file."""
        return super().deliver_screenshot(filename, path or str(screenshot_dir()), time_format)

    def record_prediction(self, deployment: str, prediction: Prediction) -> None:
        """A person's own prediction: it joins the dashboard's latency plot."""
        sample = LatencySample(self.clock(), deployment, prediction.latency_ms, prediction.value, "predict")
        self._link_data("latency", sample)

    def refresh_data(self, topic: str | None = None) -> None:
        self.link.refresh(topic)

    @property
    def hidden_modes(self) -> frozenset[str]:
        """Screens left out of the header's tabs for this person: the Class screen unless they run
        a class (the facilitator of a workshop platform, or anyone on Kubernetes, where the class
        is read from the tenant namespace)."""
        platform = self.link.platform
        role = platform.session.role if platform is not None and platform.session is not None else ""
        kind = platform.kind if platform is not None else ""
        runs_a_class = role == "facilitator" or (kind == "kubernetes" and role != "attendee")
        return frozenset() if runs_a_class else frozenset({"class"})

    def refusal(self, mode: str) -> str:
        """Why ``mode`` cannot be opened now ('' when it can)."""
        if mode != "class":
            return ""
        platform = self.link.platform
        if platform is None or platform.session is None:
            return "The Class screen needs a connection to the platform: wait for the badge to say connected."
        if platform.session.role == "attendee":
            return (
                f"The Class screen is the facilitator's: you ({platform.session.user}) are an attendee. "
                "Your own progress is in the guide (1) and on the dashboard (2)."
            )
        return ""

    async def goto(self, mode: str) -> None:
        if mode not in SCREEN_CLASSES:
            self.notify(f"No screen named {shown(mode)}.", severity="warning")
            return
        if mode == self.current_mode:
            return
        refused = self.refusal(mode)
        if refused:
            self.notify(refused, title="Not available", severity="warning")
            return
        if self.current_mode in SCREEN_CLASSES:  # not Textual's "_default" before the first screen
            self._mode_history.append(self.current_mode)
            del self._mode_history[:-20]
        await self._enter(mode)

    async def _enter(self, mode: str) -> None:
        """Switch to ``mode``, polling what it shows (the latency probe on the dashboard, the class
        view on the Class screen); a person switching screens ends idle polling."""
        self.link.probe_enabled = mode == "dashboard"
        self.link.drift_enabled = mode == "dashboard"
        self.link.class_enabled = mode == "class"
        self.link.activity()
        if self.current_mode != mode:  # a screen's passing state (the Class screen's filter) ends
            for screen in self.screen_stack:
                leave = getattr(screen, "clear_filter", None)
                if leave is not None:
                    leave()
        await self.switch_mode(mode)
        # what only this screen polls is asked now, not at its next turn (up to 10 s later)
        for topic in {"class": ("class",), "dashboard": ("latency", "drift")}.get(mode, ()):
            self.link.refresh(topic)

    # -- start-up --------------------------------------------------------------------------------

    async def on_mount(self) -> None:
        if self.log_problem:
            self.notify(self.log_problem, title="Log", severity="warning", timeout=10, markup=False)
        self.set_interval(1.0, self.link.refresh_retry_countdown)
        await self.goto(self.first_mode)
        self.run_worker(self._start(), name="connect", group="connect", exclusive=True, exit_on_error=False)

    async def _start(self) -> None:
        try:
            await self._load_settings()
            if self._given_platform is not None:
                self.who = _who(self._given_platform, None)
                self._hear_exec_plugin(self._given_platform)
                await self.link.attach(self._given_platform, None, poll=self.poll)
                return
            await self._load_config()
            await self.connect(self.profile)
        except errors.AuthFailed as exc:
            self.report_error(exc, "Log in")
            await self.goto("login")
        except Exception as exc:
            self.report_error(exc, "Connect")

    async def _load_config(self) -> None:
        from mlops_tui import config as config_mod

        if self.config is None:
            self.config = await asyncio.to_thread(config_mod.load_config)

        name = self._profile_name or os.environ.get("MLOPS_TUI_PROFILE") or self.config.active
        self.profile = self.config.get(name)

    async def connect(self, profile: Profile | None, *, password: str | None = None) -> None:
        """Connect to ``profile`` (start/attach the local platform, log in, poll). Raises on failure.

        The attempt runs on a new session: the current one (if any) is replaced only when the new
        login succeeds, so a mistyped password never costs the working session."""
        if self.link.platform is None:
            self.profile = profile
            self.who = _who(None, profile)
            self._status_refresh()
        platform = await self.link.open(profile, start=self.start_platform, password=password)
        self._hear_exec_plugin(platform)
        await self.link.attach(platform, profile, poll=self.poll)
        self.profile = profile
        self.who = _who(platform, profile)
        self._status_refresh()
        await self._credentials_notice()

    async def switch_profile(self, name: str, *, password: str | None = None) -> bool:
        """Switch to another profile without restarting; True when logged in."""
        if self.config is None:
            await self._load_config()
        assert self.config is not None
        try:
            profile = self.config.get(name)
            await self.connect(profile, password=password)
        except Exception as exc:
            self.report_error(exc, f"Switch to profile {name}")
            return False
        self.notify(f"Connected with profile {name}.", timeout=3)
        return True

    def _hear_exec_plugin(self, platform: Platform) -> None:
        """A kubeconfig's exec credential plugin speaks through the sign-in modal, never over the
        screen (issue 7 §3); only the kubernetes adapter has one."""
        if hasattr(platform, "exec_listener"):
            from mlops_tui.screens.sign_in import SignInPresenter

            platform.exec_listener = SignInPresenter(self)  # type: ignore[attr-defined]

    async def _credentials_notice(self) -> None:
        """Say once (per machine) that passwords live in a 0600 file because there is no keyring."""
        from mlops_tui import config as config_mod
        from mlops_tui import credentials

        def check() -> str | None:
            if not credentials.uses_fallback_file():
                return None
            marker = config_mod.config_dir() / ".credentials-notice"
            where = str(credentials.credentials_file())
            with contextlib.suppress(OSError):
                if marker.read_text(encoding="utf-8") == where:
                    return None
            with contextlib.suppress(OSError):
                config_mod.ensure_private_dir(marker.parent)
                marker.write_text(where, encoding="utf-8")
            return credentials.backend_description()  # the file and why (no keyring, or a mute one)

        where = await asyncio.to_thread(check)
        if where:
            # In the guide's transcript, not a toast: a toast covered the first instruction for 15 s.
            self.tell_guide(f"No usable OS keyring: passwords are kept in the {where}, readable only by you.")

    def tell_guide(self, text: str) -> None:
        """A note for the guide's transcript (shown when the guide is, and kept until then)."""
        self.guide_notes.append(plain(text))
        self.data_changed.publish("guide-notes")

    # -- live link callbacks ---------------------------------------------------------------------

    def _status_refresh(self) -> None:
        self.status_changed.publish(self.connection)

    def _link_status(self, status: ConnectionStatus) -> None:
        if threading.get_ident() != self._thread_id:  # an adapter may call back from a thread
            self.call_from_thread(self._link_status, status)
            return
        refused_now = status.link is Link.REFUSED and self.connection.link is not Link.REFUSED
        self.connection = status
        self._status_refresh()
        if refused_now:  # once per refusal: the badge keeps saying it
            self.notify(status.detail, title="Password refused", severity="error", timeout=30, markup=False)
            self.tell_guide(status.detail)

    def _link_data(self, topic: str, value: Any) -> None:
        if topic.startswith("error:"):
            self.data_errors[topic[6:]] = value
        elif topic == "latency":
            if value is not None:
                self.latency.append(value)
            self.updated[topic] = self.clock()
        else:
            self.data[topic] = value
            self.updated[topic] = self.clock()
            self.data_errors.pop(topic, None)
            if topic == "broadcast":
                self._announce_broadcast(value)
        self.data_changed.publish(topic)

    def _announce_broadcast(self, broadcast: Broadcast | None) -> None:
        """A new message from the facilitator: one notification (the guide shows it as long as it
        stands). The first one heard after start-up is announced too: the person has not seen it."""
        seen = (broadcast.message, broadcast.at) if broadcast is not None else None
        if seen == self._broadcast_seen:
            return
        self._broadcast_seen = seen
        platform = self.link.platform
        own = platform is not None and broadcast is not None and broadcast.author == platform.credentials.user
        if broadcast is not None and broadcast.message and not own:
            author = f" ({broadcast.author})" if broadcast.author else ""
            self.notify(
                broadcast.message, title=f"Message from the facilitator{author}", timeout=20, markup=False
            )

    def _link_platform(self, platform: Platform | None) -> None:
        if platform is None:
            self.data.clear()
            self.updated.clear()
        else:
            self.who = _who(platform, self.profile)
        self.platform_changed.publish(platform)
        self._status_refresh()
        session = platform.session if platform is not None else None
        if session is not None and session.role == "facilitator" and self._opens_on_first_screen():
            # A workshop's facilitator came to watch the class, not to do the labs.
            self.run_worker(self.goto("class"), group="goto-class", exit_on_error=False)

    def _opens_on_first_screen(self) -> bool:
        visited = [mode for mode in self._mode_history if mode in SCREEN_CLASSES]  # not Textual's _default
        return self.first_mode == "guide" and self.current_mode == "guide" and not visited

    def _probe_record(self) -> dict[str, Any] | None:
        from mlops_tui.assistant import workshop

        return dict(workshop.EXAMPLE_SCORING_ARGS)

    # -- actions ---------------------------------------------------------------------------------

    async def action_goto(self, mode: str) -> None:
        await self.goto(mode)

    def action_command_line(self) -> None:
        from mlops_tui.widgets.command_line import CommandLine

        lines = self.screen.query(CommandLine)
        if lines:
            lines.first().open()

    def action_help(self) -> None:
        from mlops_tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.screen))

    def action_doctor(self) -> None:
        """The Doctor panel for the profile in use (else the active one)."""
        from mlops_tui.screens.doctor import DoctorScreen

        profile = self.profile or (self.config.active_profile if self.config else None)
        if profile is None:
            from mlops_tui import config as config_mod

            profile = config_mod.DEFAULT_PROFILE
        self.push_screen(DoctorScreen(profile))

    async def action_back(self) -> None:
        """Esc: close a dialog, else return to the previous screen."""
        if len(self.screen_stack) > 1:
            self.pop_screen()
            return
        while self._mode_history:
            mode = self._mode_history.pop()
            if mode != self.current_mode and mode in SCREEN_CLASSES and not self.refusal(mode):
                await self._enter(mode)
                return

    def action_filter(self) -> None:
        handler = getattr(self.screen, "action_filter", None)
        if handler is not None:
            handler()

    def action_refresh_all(self) -> None:
        self.refresh_data()
        self.notify("Refreshing…", timeout=1)

    def action_toggle_commands(self) -> None:
        handler = getattr(self.screen, "action_toggle_commands", None)
        if handler is not None:
            handler()

    def action_copy_command(self) -> None:
        handler = getattr(self.screen, "action_copy_command", None)
        if handler is not None:
            handler()

    def action_next_theme(self) -> None:
        names = [t for t in THEMES if t in self.available_themes]
        index = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(index + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", timeout=2)

    async def action_logout(self) -> None:
        await self.link.logout()
        self.notify("Logged out.", timeout=3)
        await self.goto("login")

    def watch_theme(self, theme: str) -> None:
        if self._settings_loaded:  # remember a theme the person chose, not the default or the saved one
            self.run_worker(self._save_settings(), group="settings", exclusive=True, exit_on_error=False)

    async def run_command_line(self, text: str) -> None:
        """Run what was typed after ``:`` (or picked in the palette)."""
        words = text.strip().lstrip(":").split()
        if not words:
            return
        head, rest = words[0].lower(), words[1:]
        if head == "profile" and rest:
            await self.switch_profile(rest[0])
            return
        if head == "theme" and rest:
            if rest[0] in self.available_themes:
                self.theme = rest[0]
            else:
                self.notify(f"No theme {shown(rest[0])}; try: {', '.join(THEMES)}", severity="warning")
            return
        action = actions.find(head)
        if action is None:
            near = actions.closest(head)
            meant = f"did you mean {' or '.join(f':{w}' for w in near)}? " if near else ""
            self.notify(
                f"Unknown command :{shown(head)} — {meant}press ? for help or ctrl+p for the palette.",
                severity="warning",
            )
            return
        if action.destructive and not self.require_writable(action.help):
            return
        if action.screen is not None and action.screen != self.current_mode:
            await self.goto(action.screen)
            await asyncio.sleep(0)
        target, _, call = action.action.partition(".")
        if target == "screen":
            await self.screen.run_action(call)
        else:
            await self.run_action(call)

    # -- settings (theme) ------------------------------------------------------------------------

    def _settings_file(self) -> Path:
        if self._settings_path is not None:
            return self._settings_path
        from mlops_tui import config as config_mod

        return config_mod.config_dir() / "tui.json"

    async def _load_settings(self) -> None:
        path = self._settings_file()

        def read() -> dict[str, Any]:
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return {}

        settings = await asyncio.to_thread(read)
        theme = settings.get("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme
        self._settings_loaded = True

    async def _save_settings(self) -> None:
        path = self._settings_file()
        theme = self.theme

        def write() -> None:
            with contextlib.suppress(OSError):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps({"theme": theme}), encoding="utf-8")

        await asyncio.to_thread(write)

    # -- errors and shutdown ---------------------------------------------------------------------

    def _handle_exception(self, error: Exception) -> None:
        """No traceback on screen: worker failures become notifications; anything else is logged
        and the app exits with one line saying where the details are."""
        if not self.survive_errors:
            super()._handle_exception(error)
            return
        cause = error.error if isinstance(error, WorkerFailed) else error
        log.error("unhandled error:\n%s", "".join(traceback.format_exception(cause)))
        if isinstance(error, WorkerFailed):
            self.report_error(cause)
            return
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        self._exit_renderables.append(
            f"mlops-tui stopped after an unexpected error: {describe_error(cause)[1]} ({_log_hint()})"
        )
        self._close_messages_no_wait()

    async def action_quit(self) -> None:
        await self.link.close()
        self.exit(0)

    async def on_unmount(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.link.close(), 5)


def _who(platform: Platform | None, profile: Profile | None) -> str:
    parts: list[str] = []
    if profile is not None:
        parts.append(profile.name)
    if platform is not None:
        creds = platform.credentials
        parts += [creds.tenant, creds.user]
    elif profile is not None:
        parts += [profile.tenant, profile.effective_user]
    return " · ".join(parts)


def screenshot_dir() -> Path:
    """Where screenshots go: the desktop's Downloads folder if there is one, else our state folder."""
    from platformdirs import user_downloads_path

    from mlops_tui import config as config_mod

    downloads = user_downloads_path()
    if downloads.is_dir():
        return downloads
    return config_mod.ensure_private_dir(config_mod.state_home() / "screenshots")


def _log_hint() -> str:
    for handler in logging.getLogger().handlers:
        filename = getattr(handler, "baseFilename", None)
        if filename and filename != os.devnull:
            return f"details in {filename}"
    return f"logging was off: {log_path()} could not be written"


def log_path() -> Path:
    from mlops_tui import config as config_mod

    return config_mod.state_home() / "logs" / "tui.log"


def setup_logging(path: Path | None = None) -> LogSetup:
    """Log to a file (never to the terminal Textual draws on): private, rotated; see ``tui_log``."""
    return tui_log.setup(path or log_path())


def run(
    *, profile: str | None = None, read_only: bool | None = None, start_platform: bool = True, **_: Any
) -> int:
    """Run the TUI in this terminal; returns the exit status. ``mlops-tui`` (cli.py) calls this.

    ``read_only`` None means: ``$MLOPS_TUI_READ_ONLY`` if set, else the profile's ``read_only``.
    """

    if read_only is None and os.environ.get("MLOPS_TUI_READ_ONLY", "").lower() in ("1", "true", "yes"):
        read_only = True
    logging_to = setup_logging()
    if logging_to.problem:
        print(logging_to.problem, file=sys.stderr)  # stays on the terminal once the app has exited
    app = MlopsApp(profile=profile, read_only=read_only, start_platform=start_platform)
    app.log_problem = logging_to.problem
    app.run()
    return app.return_code or 0


def main(profile: str | None = None, read_only: bool | None = None, **kwargs: Any) -> int:
    return run(profile=profile, read_only=read_only, **kwargs)


__all__ = ["Link", "MlopsApp", "load_screen_class", "main", "run"]
