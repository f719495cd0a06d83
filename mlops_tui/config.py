"""Profiles and XDG paths.

A *profile* says which platform the app talks to (the embedded ``local`` one or a ``kubernetes``
one such as HPE Ezmeral ML Ops), where, and as whom. Profiles live in
``$XDG_CONFIG_HOME/mlops-tui/profiles.toml`` (default ``~/.config/mlops-tui``); passwords never do
(see :mod:`mlops_tui.credentials`). Pure stdlib so the CLI and the TUI start fast.

The file is plain TOML a person may edit::

    active = "local"

    [profiles.local]
    platform = "local"
    tenant = "K8sMLTenant"
"""

from __future__ import annotations

import dataclasses
import getpass
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from mlops_tui.platform.names import shown

APP = "mlops-tui"
DEFAULT_TENANT = "K8sMLTenant"
PLATFORM_KINDS = ("local", "kubernetes")
PROFILES_FILE = "profiles.toml"


class ConfigError(Exception):
    """The profiles file or a profile is wrong; the message says which and how to fix it."""


# -- paths -------------------------------------------------------------------------------------


def _xdg(var: str, default: str) -> Path:
    value = os.environ.get(var, "")
    # XDG says relative values are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / default


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/mlops-tui`` (``~/.config/mlops-tui``): profiles and the credential fallback."""
    return _xdg("XDG_CONFIG_HOME", ".config") / APP


def state_home() -> Path:
    """``$XDG_STATE_HOME/mlops-tui`` (``~/.local/state/mlops-tui``)."""
    return _xdg("XDG_STATE_HOME", ".local/state") / APP


def data_home() -> Path:
    """``$XDG_DATA_HOME/mlops-tui`` (``~/.local/share/mlops-tui``): the fetched taxi zone table."""
    return _xdg("XDG_DATA_HOME", ".local/share") / APP


def cache_home() -> Path:
    """``$XDG_CACHE_HOME/mlops-tui`` (``~/.cache/mlops-tui``): downloaded TLC files and samples."""
    return _xdg("XDG_CACHE_HOME", ".cache") / APP


def platform_state_dir() -> Path:
    """The local platform's state dir (contract §1): ``$MLOPS_TUI_STATE_DIR`` or ``<state>/platform``."""
    override = os.environ.get("MLOPS_TUI_STATE_DIR", "")
    if override:
        return Path(override).expanduser()
    return state_home() / "platform"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it 0700: it may hold secrets or a per-user server."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


# -- profiles ----------------------------------------------------------------------------------


def normal_url(url: str, profile: str = "") -> str:
    """A URL as a profile keeps it: spaces around it (pasted from a handout) and trailing ``/``
    removed, since every printed command and API path is built on it (``URL/api/v2/session``).
    The scheme is written in lower case (``HTTP://`` as pasted is ``http://``: RFC 3986 §3.1 makes
    schemes case-insensitive). Raises :class:`ConfigError` for white space inside it: a URL holds none."""
    text = url.strip().rstrip("/")
    scheme, sep, rest = text.partition("://")
    if sep and scheme.isalpha():
        text = f"{scheme.lower()}://{rest}"
    if any(c.isspace() for c in text):
        where = f"profile {shown(profile)}: " if profile else ""
        raise ConfigError(f"{where}the URL {shown(url)} holds a space: a URL holds none; copy it again")
    return text


@dataclass(frozen=True)
class Profile:
    """Where and as whom to connect. ``url`` empty on a local profile means "the platform this
    user's ``mlops-tui`` starts"; ``user`` empty means the OS user name."""

    name: str
    platform: str = "local"
    url: str = ""
    tenant: str = DEFAULT_TENANT
    user: str = ""
    verify_tls: bool = True
    ca_file: str = ""
    kubeconfig: str = ""
    context: str = ""
    read_only: bool = False
    # kubernetes profiles: tenant namespace ('' = from the kubeconfig / tenant), the PVC holding the
    # project repository, and the image that runs training Jobs (see docs/kubernetes.md)
    namespace: str = ""
    repo_pvc: str = ""
    job_image: str = ""
    # kubernetes profiles: seconds the kubeconfig's exec credential plugin may take (0 = 300 s)
    exec_timeout: float = 0.0

    def __post_init__(self) -> None:
        if not self.name or any(c in self.name for c in " \t\n\"'[]."):
            raise ConfigError(f"invalid profile name {shown(self.name)}: use letters, digits, '-' or '_'")
        object.__setattr__(self, "url", normal_url(self.url, self.name))
        if self.platform not in PLATFORM_KINDS:
            raise ConfigError(
                f"profile {shown(self.name)}: platform must be one of {', '.join(PLATFORM_KINDS)}, "
                f"not {shown(self.platform)}"
            )
        if self.platform == "kubernetes" and not (self.url or self.kubeconfig):
            raise ConfigError(f"profile {shown(self.name)}: a kubernetes profile needs --url or --kubeconfig")

    @property
    def effective_user(self) -> str:
        return self.user or getpass.getuser()

    @classmethod
    def from_mapping(cls, name: str, data: dict[str, object]) -> Profile:
        known = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, object] = {"name": name}
        for key, value in data.items():
            if key == "name":
                continue
            if key not in known:
                raise ConfigError(
                    f"profile {shown(name)}: unknown setting {shown(key)} (known: {', '.join(known)})"
                )
            kind = known[key].type
            expected = bool if kind in ("bool", bool) else float if kind in ("float", float) else str
            number = expected is float and isinstance(value, int | float) and not isinstance(value, bool)
            if not (number or isinstance(value, expected)):
                what = "number (seconds)" if expected is float else expected.__name__
                raise ConfigError(f"profile {shown(name)}: {key} must be a {what}, not {_toml_value(value)}")
            if number and value < 0:
                raise ConfigError(f"profile {shown(name)}: {key} must not be negative, not {value}")
            kwargs[key] = float(value) if number else value
        return cls(**kwargs)  # type: ignore[arg-type]

    def to_mapping(self) -> dict[str, object]:
        data = dataclasses.asdict(self)
        data.pop("name")
        return data


DEFAULT_PROFILE = Profile(name="local")


@dataclass
class Config:
    """All profiles plus the active one; ``path`` is where it is saved."""

    path: Path
    profiles: dict[str, Profile] = field(default_factory=lambda: {"local": DEFAULT_PROFILE})
    active: str = "local"

    @property
    def active_profile(self) -> Profile:
        return self.get(self.active)

    def get(self, name: str | None = None) -> Profile:
        name = name or self.active
        try:
            return self.profiles[name]
        except KeyError:
            raise ConfigError(
                f"no profile named {shown(name)} (have: {', '.join(sorted(self.profiles))}); "
                "add one with: mlops-tui profile add"
            ) from None

    def add(self, profile: Profile, *, replace: bool = False) -> None:
        if profile.name in self.profiles and not replace:
            raise ConfigError(f"profile {shown(profile.name)} already exists")
        self.profiles[profile.name] = profile

    def use(self, name: str) -> None:
        self.get(name)
        self.active = name

    def save(self) -> Path:
        ensure_private_dir(self.path.parent)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(_dump_toml(self), encoding="utf-8")
        os.replace(tmp, self.path)
        return self.path


def profiles_path() -> Path:
    return config_dir() / PROFILES_FILE


def load_config(path: Path | None = None) -> Config:
    """Read the profiles file; a missing file gives the default ``local`` profile only."""
    path = path or profiles_path()
    if not path.exists():
        return Config(path=path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    profiles: dict[str, Profile] = {"local": DEFAULT_PROFILE}
    raw_profiles = data.get("profiles", {})
    if not isinstance(raw_profiles, dict):
        raise ConfigError(f"{path}: [profiles] must be a table")
    for name, body in raw_profiles.items():
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: [profiles.{name}] must be a table")
        profiles[name] = Profile.from_mapping(name, body)
    active = data.get("active", "local")
    if not isinstance(active, str) or active not in profiles:
        raise ConfigError(f"{path}: active profile {shown(active)} is not defined")
    return Config(path=path, profiles=profiles, active=active)


def active_profile(name: str | None = None) -> Profile:
    """The profile named ``name``, else ``$MLOPS_TUI_PROFILE``, else the file's active one."""
    cfg = load_config()
    return cfg.get(name or os.environ.get("MLOPS_TUI_PROFILE") or cfg.active)


def _toml_value(value: object) -> str:
    """``value`` as TOML writes it (``true``, ``30``, ``"30"``): how the file and the messages about
    it show a value, so a string ``"30"`` is told from the number ``30`` (an array or a table, only
    ever shown in a message, in JSON notation)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    # A JSON string is a valid TOML basic string for everything we store (no control characters).
    return json.dumps(str(value), ensure_ascii=False)


def _dump_toml(cfg: Config) -> str:
    lines = ["# mlops-tui profiles (passwords are kept in the OS keyring, never here)", ""]
    lines.append(f"active = {_toml_value(cfg.active)}")
    for name in sorted(cfg.profiles):
        profile = cfg.profiles[name]
        lines += ["", f"[profiles.{name}]"]
        for key, value in profile.to_mapping().items():
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"
