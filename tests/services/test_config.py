"""Profiles and XDG paths: defaults, a round trip through the TOML file, clear errors."""

from __future__ import annotations

import pytest

from mlops_tui import config


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "MLOPS_TUI_STATE_DIR", "MLOPS_TUI_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def test_xdg_defaults_and_overrides(home, monkeypatch) -> None:
    assert config.config_dir() == home / ".config/mlops-tui"
    assert config.platform_state_dir() == home / ".local/state/mlops-tui/platform"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "cfg"))
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")  # XDG: relative values are invalid
    assert config.config_dir() == home / "cfg/mlops-tui"
    assert config.platform_state_dir() == home / ".local/state/mlops-tui/platform"
    monkeypatch.setenv("MLOPS_TUI_STATE_DIR", str(home / "st"))
    assert config.platform_state_dir() == home / "st"


def test_default_local_profile_without_a_file(home) -> None:
    cfg = config.load_config()
    assert cfg.active == "local"
    profile = cfg.active_profile
    assert (profile.platform, profile.url, profile.tenant) == ("local", "", "K8sMLTenant")
    assert profile.effective_user  # the OS user


def test_round_trip_and_active_selection(home, monkeypatch) -> None:
    cfg = config.load_config()
    cfg.add(
        config.Profile(
            name="ezmeral",
            platform="kubernetes",
            url="https://gw:8080",
            tenant="K8sMLTenant",
            user="student01",
            verify_tls=False,
            ca_file="/etc/ca.pem",
            read_only=True,
        )
    )
    cfg.use("ezmeral")
    path = cfg.save()
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"
    again = config.load_config()
    assert again.active == "ezmeral"
    assert again.get("ezmeral") == cfg.get("ezmeral")
    assert "password =" not in path.read_text()
    monkeypatch.setenv("MLOPS_TUI_PROFILE", "local")
    assert config.active_profile().name == "local"
    assert config.active_profile("ezmeral").user == "student01"


def test_errors_name_the_problem(home) -> None:
    with pytest.raises(config.ConfigError, match="platform must be one of"):
        config.Profile(name="x", platform="openshift")
    with pytest.raises(config.ConfigError, match=r"^no profile named nope \(have"):
        config.load_config().get("nope")
    path = config.profiles_path()
    path.parent.mkdir(parents=True)
    path.write_text('[profiles.bad]\nplatform = "local"\ncolour = "red"\n')
    with pytest.raises(config.ConfigError, match=r"unknown setting colour \(known"):
        config.load_config()
    path.write_text("this is = not toml [")
    with pytest.raises(config.ConfigError, match="cannot read"):
        config.load_config()
