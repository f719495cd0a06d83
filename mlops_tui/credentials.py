"""Passwords: the OS keyring where a real one works, else a private file (design §9).

The backend is chosen explicitly, never by keyring's own discovery: on an SSH jump host without
D-Bus that discovery yields the ``fail`` backend, or — with keyrings.cryptfile installed — a backend
that prompts on the terminal, which would hang a TUI. We use only backends that never prompt on the
terminal (Secret Service, macOS Keychain, Windows Credential Locker) and only when they answer now:
a locked Secret Service collection would pop up an unlock prompt, so it counts as unavailable.
Otherwise passwords go to ``~/.config/mlops-tui/credentials.json`` (file 0600, directory 0700) and
:func:`backend_description` says so, so a caller can tell the person once.

``MLOPS_TUI_CREDENTIALS`` overrides the choice: ``file`` (always the file), ``keyring`` (the
keyring only, error if none works), ``auto`` (default).

Every function here may block (D-Bus round trips, file I/O): callers on an event loop run them in
a thread (``asyncio.to_thread``). Passwords are never logged, printed or put in exceptions.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from contextlib import suppress
from pathlib import Path
from typing import Any

from mlops_tui import config

SERVICE_PREFIX = "mlops-tui"
FILE_NAME = "credentials.json"
_SAFE_BACKENDS = (
    "keyring.backends.SecretService",
    "keyring.backends.macOS",
    "keyring.backends.Windows",
)

_lock = threading.Lock()
_backend_cache: dict[str, Any] = {}


class CredentialsError(Exception):
    """The password store cannot be used; the message says why (never contains a password)."""


def credentials_file() -> Path:
    return config.config_dir() / FILE_NAME


def service_name(profile: str) -> str:
    """Keyring service for a profile; the config dir is part of it so two HOMEs never share one."""
    return f"{SERVICE_PREFIX}:{profile} ({config.config_dir()})"


# -- backend choice ----------------------------------------------------------------------------


def _probe_keyring() -> tuple[Any | None, str]:
    """A ready keyring backend that never prompts on the terminal, or (None, why not)."""
    env = os.environ.get("PYTHON_KEYRING_BACKEND", "")
    if env and not env.startswith(_SAFE_BACKENDS):
        return None, f"PYTHON_KEYRING_BACKEND={env} is not a backend mlops-tui uses"
    try:
        if sys.platform == "darwin":
            from keyring.backends import macOS

            backend = macOS.Keyring()
            backend.priority  # noqa: B018 - raises when unusable
            return backend, "macOS Keychain"
        if sys.platform == "win32":
            from keyring.backends import Windows

            backend = Windows.WinVaultKeyring()
            backend.priority  # noqa: B018
            return backend, "Windows Credential Locker"
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            return None, "no D-Bus session (no Secret Service)"
        from keyring.backends import SecretService

        SecretService.Keyring.priority  # noqa: B018 - raises when no daemon is reachable
        backend = SecretService.Keyring()
        import secretstorage

        with _closing_bus() as bus:
            if secretstorage.get_default_collection(bus).is_locked():
                return None, "the Secret Service keyring is locked (unlocking would prompt)"
        return backend, "Secret Service (OS keyring)"
    except Exception as exc:  # any import/D-Bus failure means "no usable keyring"
        return None, f"no usable OS keyring ({type(exc).__name__})"


class _closing_bus:
    def __enter__(self) -> Any:
        import secretstorage

        self.bus = secretstorage.dbus_init()
        return self.bus

    def __exit__(self, *exc: object) -> None:
        with suppress(Exception):
            self.bus.close()


def _backend() -> tuple[Any | None, str]:
    mode = os.environ.get("MLOPS_TUI_CREDENTIALS", "auto").lower()
    key = f"{mode}|{os.environ.get('DBUS_SESSION_BUS_ADDRESS', '')}|{config.config_dir()}"
    with _lock:
        if key not in _backend_cache:
            if mode == "file":
                _backend_cache[key] = (None, "MLOPS_TUI_CREDENTIALS=file")
            else:
                backend, why = _probe_keyring()
                if backend is None and mode == "keyring":
                    raise CredentialsError(f"MLOPS_TUI_CREDENTIALS=keyring but {why}")
                _backend_cache[key] = (backend, why)
        return _backend_cache[key]


def backend_description() -> str:
    """One line for people: where passwords are kept (the file path when it is the fallback)."""
    backend, why = _backend()
    if backend is not None:
        return why
    return f"file {credentials_file()} (mode 0600; {why})"


def uses_fallback_file() -> bool:
    return _backend()[0] is None


# -- the fallback file -------------------------------------------------------------------------


def _read_file() -> dict[str, dict[str, str]]:
    path = credentials_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CredentialsError(f"cannot read {path}: {type(exc).__name__}; delete it to start over") from None
    return data if isinstance(data, dict) else {}


def _write_file(data: dict[str, dict[str, str]]) -> None:
    path = credentials_file()
    config.ensure_private_dir(path.parent)
    tmp = path.with_name(f".{FILE_NAME}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        with suppress(FileNotFoundError):
            tmp.unlink()


# -- public API --------------------------------------------------------------------------------


def store_password(profile: str, user: str, password: str) -> str:
    """Keep ``password`` for ``user`` on ``profile``; returns :func:`backend_description`. Blocking."""
    backend, _ = _backend()
    if backend is not None:
        try:
            backend.set_password(service_name(profile), user, password)
            return backend_description()
        except Exception as exc:
            why = type(exc).__name__
            raise CredentialsError(f"the OS keyring refused to store the password ({why})") from None
    with _lock:
        data = _read_file()
        data.setdefault(profile, {})[user] = password
        _write_file(data)
    return backend_description()


def get_password(profile: str, user: str) -> str | None:
    """The stored password, or None. Looks in the keyring, then the fallback file. Blocking."""
    backend, _ = _backend()
    if backend is not None:
        with suppress(Exception):
            value = backend.get_password(service_name(profile), user)
            if value is not None:
                return value
    with _lock:
        return _read_file().get(profile, {}).get(user)


def forget(profile: str, user: str) -> bool:
    """Remove the stored password from every place it may be; True when something was removed."""
    removed = False
    backend, _ = _backend()
    if backend is not None:
        with suppress(Exception):
            backend.delete_password(service_name(profile), user)
            removed = True
    with _lock:
        data = _read_file()
        if user in data.get(profile, {}):
            del data[profile][user]
            if not data[profile]:
                del data[profile]
            _write_file(data)
            removed = True
    return removed
