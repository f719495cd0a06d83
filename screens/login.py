"""Login and profiles: pick a profile (local, or an Ezmeral / Kubernetes platform), log in, and
optionally remember the password in the OS keyring (or the 0600 file where there is none).

Switching profile here reconnects the running app; nothing restarts. Keyring and file access run
in threads; the password never leaves this screen except to the platform and the keyring.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from mlops_tui.config import DEFAULT_TENANT, Config, ConfigError, Profile
from mlops_tui.terminal import Tone, tone_style
from mlops_tui.widgets.checkbox import StateCheckbox
from mlops_tui.widgets.safe_text import outside
from mlops_tui.widgets.select import SafeSelect

from .base import BaseScreen, guarded

FIELDS = (
    ("name", "Profile"),
    ("url", "URL"),
    ("tenant", "Tenant"),
    ("user", "User"),
    ("password", "Password"),
    ("ca_file", "CA file"),
)


class LoginScreen(BaseScreen):
    MODE = "login"
    TITLE_TEXT = "Login"
    CSS_PATH = "login.tcss"
    HELP = (
        "Profiles say which platform to use and as whom: [b]local[/b] is the embedded platform "
        "mlops-tui starts for you (its password is generated and stored on first start); a "
        "[b]kubernetes[/b] profile points at HPE Ezmeral ML Ops (URL, tenant, user) or a kubeconfig.\n"
        "Pick a profile on the left (enter), edit the form, then [b]ctrl+s[/b] logs in (and saves the "
        "profile). 'Remember' keeps the password in the OS keyring, or in a file of mode 0600 where the "
        "host has none. [b]ctrl+f[/b] forgets the stored password; [b]ctrl+n[/b] starts a new profile; "
        "[b]ctrl+t[/b] (Doctor) checks each hop to the profile's platform and says what to fix."
    )
    TYPES_AHEAD = True  # a password typed on arrival goes to the password field (base.py)
    COMMAND_PANE_KEYS = (":cmd", "^y")  # c and y type into the password there
    BINDINGS = [
        Binding("ctrl+y", "copy_command", "Copy cmd", show=False, priority=True),
        Binding("c", "toggle_commands", "Cmd", show=False),  # (typed into the form: :cmd expands)
        Binding("ctrl+s", "login", "Log in", priority=True),
        Binding("ctrl+n", "new_profile", "New profile", priority=True),
        Binding("ctrl+f", "forget", "Forget password", priority=True),
        Binding(
            "ctrl+t", "doctor", "Doctor", priority=True, tooltip="Check each hop to this profile's platform"
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.config: Config | None = None
        self.editing: Profile | None = None
        self._keep_form = False

    def compose_body(self) -> Iterable[Widget]:
        with Horizontal(id="login-body"):
            with Vertical(id="login-profiles") as box:
                box.border_title = "Profiles"
                yield OptionList(id="profile-list")
                yield Static("", id="storage", classes="hint")
            with VerticalScroll(id="login-form") as form:
                form.border_title = "Log in"
                form.border_subtitle = "ctrl+s logs in"
                with Horizontal(classes="field-row"):
                    yield Label("Platform", classes="field-label")
                    yield SafeSelect(
                        [
                            ("local (embedded)", "local"),
                            ("kubernetes (Ezmeral / KubeDirector)", "kubernetes"),
                        ],
                        value="local",
                        allow_blank=False,
                        id="f-platform",
                        compact=True,
                    )
                for key, label in FIELDS:
                    with Horizontal(classes="field-row"):
                        yield Label(label, classes="field-label")
                        yield Input(id=f"f-{key}", password=key == "password", compact=True)
                yield StateCheckbox("Verify TLS certificates", True, id="f-verify")
                yield StateCheckbox(
                    "Remember the password",
                    True,
                    id="f-remember",
                    tooltip="OS keyring, or a 0600 file where there is none",
                )
                yield StateCheckbox("Read-only (attendees: look and predict)", False, id="f-readonly")
                yield Static("", id="login-status")
                with Horizontal(id="login-buttons"):
                    yield Button("Log in (ctrl+s)", id="login", variant="primary", compact=True)
                    yield Button("Forget password", id="forget", variant="warning", compact=True)
                    yield Button("Log out", id="logout", compact=True)
                    yield Button(
                        "Doctor",
                        id="login-doctor",
                        compact=True,
                        tooltip="ctrl+t: check each hop to this profile's platform",
                    )

    def on_mount(self) -> None:
        super().on_mount()
        self._load()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        if self._keep_form:  # back from the Doctor panel: the person's edits stay
            self._keep_form = False
            return
        self._load()

    # -- loading -----------------------------------------------------------------------------

    @work(group="login-load", exclusive=True)
    @guarded("Read the profiles")
    async def _load(self) -> None:
        from mlops_tui import config as config_mod
        from mlops_tui import credentials

        app = self.mlops
        if app.config is None:
            app.config = await asyncio.to_thread(config_mod.load_config)
        self.config = app.config
        storage = await asyncio.to_thread(credentials.backend_description)
        if not self.is_current:  # the person moved on (or the app is closing) while we read files
            return
        self.query_one("#storage", Static).update(Text(f"Passwords: {storage}", style="dim"))
        self._fill_list()
        current = app.profile or self.config.active_profile
        self._edit(current)
        # The profile list, not the password field: the screen keys (1-8, ':', '?') switch screens
        # as the footer says instead of being typed into a field; enter on the current profile
        # goes to its password (what a person comes here to type).
        listing = self.query_one("#profile-list", OptionList)
        names = sorted(self.config.profiles)
        if current.name in names:
            listing.highlighted = names.index(current.name)
        listing.focus()

    def _fill_list(self) -> None:
        assert self.config is not None
        app = self.mlops
        active = app.profile.name if app.profile else self.config.active
        options = []
        for name in sorted(self.config.profiles):
            profile = self.config.profiles[name]
            marker = "● " if name == active else "  "
            where = profile.url or ("embedded" if profile.platform == "local" else profile.kubeconfig)
            options.append(
                Option(Text(f"{marker}{name}  ({profile.platform}) {where}", no_wrap=True), id=name)
            )
        listing = self.query_one("#profile-list", OptionList)
        listing.clear_options()
        listing.add_options(options)

    def _edit(self, profile: Profile) -> None:
        self.editing = profile
        self.query_one("#f-platform", SafeSelect).set_value(profile.platform)
        values = {
            "name": profile.name,
            "url": profile.url,
            "tenant": profile.tenant,
            "user": profile.user or profile.effective_user,
            "password": "",
            "ca_file": profile.ca_file,
        }
        for key, value in values.items():
            self.query_one(f"#f-{key}", Input).value = value
        self.query_one("#f-password", Input).placeholder = "leave empty to use the stored password"
        self.query_one("#f-url", Input).placeholder = (
            "empty: the platform mlops-tui starts" if profile.platform == "local" else "https://ezmeral:8080"
        )
        self.query_one("#f-verify", StateCheckbox).value = profile.verify_tls
        self.query_one("#f-readonly", StateCheckbox).value = profile.read_only
        self.query_one("#login-form").border_title = f"Profile {profile.name}"

    @on(OptionList.OptionSelected, "#profile-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        if self.config is not None and event.option.id in self.config.profiles:
            self._edit(self.config.profiles[event.option.id])
            self.query_one("#f-password", Input).focus()

    def type_ahead_field(self) -> Input | None:
        return self.query_one("#f-password", Input)

    def action_new_profile(self) -> None:
        self._edit(Profile(name="ezmeral", platform="kubernetes", url="https://", tenant=DEFAULT_TENANT))
        self.query_one("#f-name", Input).focus()

    # -- the form --------------------------------------------------------------------------------

    def _profile_from_form(self) -> Profile:
        get = lambda key: self.query_one(f"#f-{key}", Input).value.strip()  # noqa: E731
        base = self.editing or Profile(name=get("name") or "local")
        user = get("user")
        if base.platform == "local" and user == base.effective_user and not base.user:
            user = ""
        return dataclasses.replace(
            base,
            name=get("name"),
            platform=str(self.query_one("#f-platform", SafeSelect).value),
            url=get("url"),
            tenant=get("tenant") or DEFAULT_TENANT,
            user=user,
            ca_file=get("ca_file"),
            verify_tls=self.query_one("#f-verify", StateCheckbox).value,
            read_only=self.query_one("#f-readonly", StateCheckbox).value,
        )

    def _status(self, text: str, style: str = "") -> None:
        """One line of status; it quotes the platform's errors, so it passes the sanitiser. It is
        scrolled into view: at 80x24 it sits below the form's fold."""
        status = self.query_one("#login-status", Static)
        status.update(outside(text, style))
        status.call_after_refresh(status.scroll_visible, animate=False)

    @on(Input.Submitted)
    def _enter(self) -> None:
        self.action_login()

    @on(Button.Pressed, "#login")
    def _login_pressed(self) -> None:
        self.action_login()

    @on(Button.Pressed, "#forget")
    def _forget_pressed(self) -> None:
        self.action_forget()

    @on(Button.Pressed, "#login-doctor")
    async def _doctor_pressed(self) -> None:
        await self.action_doctor()

    async def action_doctor(self) -> None:
        """The Doctor panel for the profile as the form has it (unsaved edits and a typed password too)."""
        from mlops_tui.screens.doctor import DoctorScreen

        await self.keys_caught_up()  # ctrl+t right after typing: the form with those keys
        try:
            profile = self._profile_from_form()
        except ConfigError as exc:
            self._status(str(exc), "red")
            return
        password = self.query_one("#f-password", Input).value or None
        self._keep_form = True
        self.app.push_screen(DoctorScreen(profile, password=password))

    @on(Button.Pressed, "#logout")
    async def _logout_pressed(self) -> None:
        await self.mlops.action_logout()

    def action_login(self) -> None:
        self._login()

    @work(group="login", exclusive=True)
    @guarded("Log in")
    async def _login(self) -> None:
        from mlops_tui import credentials

        await self.keys_caught_up()  # ctrl+s / ctrl+f right after typing: with those keys
        try:
            profile = self._profile_from_form()
        except ConfigError as exc:
            self._status(str(exc), tone_style(Tone.FAIL))
            return
        password = self.query_one("#f-password", Input).value or None
        remember = self.query_one("#f-remember", StateCheckbox).value
        app = self.mlops
        self._status(f"connecting to {profile.name}…", "italic")
        try:
            await app.connect(profile, password=password)
        except Exception as exc:
            if app.platform is not None:  # the attempt was refused; the working session stays
                self._status(f"{exc} — you are still logged in as {app.who}", tone_style(Tone.FAIL))
            else:
                self._status(f"not logged in: {exc}", tone_style(Tone.FAIL))
            raise
        self.query_one("#f-password", Input).value = ""
        notes = [f"logged in as {profile.effective_user} on {profile.name}"]
        if password and remember:
            where = await asyncio.to_thread(
                credentials.store_password, profile.name, profile.effective_user, password
            )
            notes.append(f"password kept in {where}")
        await self._save(profile)
        self._status("; ".join(notes), tone_style(Tone.OK))
        self.notify(notes[0].capitalize() + ".", title="Login")
        self._fill_list()
        await app.goto("guide")

    async def _save(self, profile: Profile) -> None:
        config = self.config or self.mlops.config
        if config is None:
            return
        config.add(profile, replace=True)
        config.use(profile.name)
        await asyncio.to_thread(config.save)

    def action_forget(self) -> None:
        self._forget()

    @work(group="forget", exclusive=True)
    @guarded("Forget the stored password")
    async def _forget(self) -> None:
        from mlops_tui import credentials

        await self.keys_caught_up()  # ctrl+s / ctrl+f right after typing: with those keys
        name = self.query_one("#f-name", Input).value.strip()
        user = self.query_one("#f-user", Input).value.strip()
        removed = await asyncio.to_thread(credentials.forget, name, user)
        message = f"Forgot the stored password of {user} on {name}." if removed else "No stored password."
        self._status(message, tone_style(Tone.WARN))
        self.notify(message, title="Credentials")
