"""Credentials: never the fail backend; a 0600 file in a 0700 directory where no keyring works."""

from __future__ import annotations

import pytest

from mlops_tui import credentials


@pytest.fixture
def headless_home(tmp_path, monkeypatch):
    """A jump host: no D-Bus, keyring's own choice would be the fail backend."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("MLOPS_TUI_CREDENTIALS", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    credentials._backend_cache.clear()
    yield tmp_path
    credentials._backend_cache.clear()


def test_fallback_file_is_private(headless_home) -> None:
    import keyring

    assert type(keyring.get_keyring()).__module__ == "keyring.backends.fail"  # what we must not use
    assert credentials.uses_fallback_file()
    where = credentials.store_password("local", "alice", "s3cret-pw")
    path = headless_home / ".config/mlops-tui/credentials.json"
    assert str(path) in where and str(path) in credentials.backend_description()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert credentials.get_password("local", "alice") == "s3cret-pw"
    assert credentials.get_password("local", "bob") is None
    assert credentials.get_password("other", "alice") is None


def test_overwrite_and_forget(headless_home) -> None:
    credentials.store_password("local", "alice", "one")
    credentials.store_password("local", "alice", "two")
    credentials.store_password("ez", "alice", "three")
    assert credentials.get_password("local", "alice") == "two"
    assert credentials.forget("local", "alice") is True
    assert credentials.get_password("local", "alice") is None
    assert credentials.get_password("ez", "alice") == "three"
    assert credentials.forget("local", "alice") is False
    path = headless_home / ".config/mlops-tui/credentials.json"
    assert path.stat().st_mode & 0o777 == 0o600


def test_forced_modes(headless_home, monkeypatch) -> None:
    monkeypatch.setenv("MLOPS_TUI_CREDENTIALS", "keyring")
    credentials._backend_cache.clear()
    with pytest.raises(credentials.CredentialsError, match="MLOPS_TUI_CREDENTIALS=keyring"):
        credentials.store_password("local", "alice", "pw")
    monkeypatch.setenv("MLOPS_TUI_CREDENTIALS", "file")
    credentials._backend_cache.clear()
    assert "MLOPS_TUI_CREDENTIALS=file" in credentials.backend_description()


def test_terminal_prompting_backend_is_refused(headless_home, monkeypatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.cryptfile.cryptfile.CryptFileKeyring")
    credentials._backend_cache.clear()
    assert credentials.uses_fallback_file()
    assert "not a backend mlops-tui uses" in credentials.backend_description()


def test_password_never_in_repr_or_errors(headless_home) -> None:
    from mlops_tui.services.types import Credentials

    creds = Credentials(url="http://x", tenant="t", user="u", password="hunter2")
    assert "hunter2" not in repr(creds)
    path = headless_home / ".config/mlops-tui/credentials.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json hunter2")
    with pytest.raises(credentials.CredentialsError) as err:
        credentials.get_password("local", "u")
    assert "hunter2" not in str(err.value)
