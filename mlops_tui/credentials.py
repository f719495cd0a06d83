"""Passwords: the OS keyring where a real one works, else a private file (design §9).

The backend is chosen explicitly, never by keyring's own discovery: on an SSH jump host without
D-Bus that discovery yields the ``fail`` backend, or — with keyrings.cryptfile installed — a backend
that prompts on the terminal, which would hang a TUI. We use only backends that never prompt on the
terminal (Secret Service, macOS Keychain, Windows Credential Locker) and only when they answer now:
a locked Secret Service collection would pop up an unlock prompt, so it counts as unavailable.
Otherwise passwords go to ``~/.config/mlops-tui/credentials.json`` (file 0600, directory 0700) and
:func:`backend_description` says so, so a caller can tell the person once.

Every keyring call — the probe and each later get/set/delete — has a deadline of
:data:`KEYRING_DEADLINE_S` (issue 7 §2): a D-Bus name ``org.freedesktop.secrets`` whose owner never
replies would otherwise block forever (neither keyring nor SecretStorage passes a D-Bus timeout).
After a call misses it, this process uses the file and says why ("the Secret Service did not answer
within 3 s"); the stuck call is left behind in a daemon thread, which cannot delay the exit.

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
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

from mlops_tui import config

T = TypeVar("T")

SERVICE_PREFIX = "mlops-tui"
FILE_NAME = "credentials.json"
_SAFE_BACKENDS = (
    "keyring.backends.SecretService",
    "keyring.backends.macOS",
    "keyring.backends.Windows",
)

# Issue 7 §2: a local keyring answers in milliseconds; 3 s is long enough for a loaded host and
# short enough that a person waits once, not forever.
KEYRING_DEADLINE_S = 3.0

_lock = threading.Lock()
_backend_cache: dict[str, Any] = {}


class CredentialsError(Exception):
    """The password store cannot be used; the message says why (never contains a password)."""


class _NoAnswer(Exception):
    """A keyring call did not return within :data:`KEYRING_DEADLINE_S`; the message says which."""


def _keyring_name() -> str:
    if sys.platform == "darwin":
        return "macOS Keychain"
    if sys.platform == "win32":
        return "Windows Credential Locker"
    return "Secret Service"


def _no_answer_reason() -> str:
    return f"the {_keyring_name()} did not answer within {KEYRING_DEADLINE_S:g} s"


def _with_deadline(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a daemon thread; :class:`_NoAnswer` when it has not returned in time.

    A daemon thread, not an executor: executors join their threads at exit, and a call stuck on
    D-Bus would then hold the process open for ever.
    """
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = fn(*args)
        except BaseException as exc:  # re-raised in the caller's thread
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="mlops-tui-keyring", daemon=True).start()
    if not done.wait(KEYRING_DEADLINE_S):
        raise _NoAnswer(_no_answer_reason())
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def credentials_file() -> Path:
    return config.config_dir() / FILE_NAME


def service_name(profile: str) -> str:
    """Keyring service for a profile; the config dir is part of it so two HOMEs never share one."""
    return f"{SERVICE_PREFIX}:{profile} ({config.config_dir()})"


# -- backend choice ----------------------------------------------------------------------------


def _probe_keyring() -> tuple[Any | None, str]:
    """A ready keyring backend that never prompts on the terminal, or (None, why not).

    Answers within :data:`KEYRING_DEADLINE_S`: a backend that does not is not used.
    """
    env = os.environ.get("PYTHON_KEYRING_BACKEND", "")
    if env and not env.startswith(_SAFE_BACKENDS):
        return None, f"PYTHON_KEYRING_BACKEND={env} is not a backend mlops-tui uses"
    if sys.platform not in ("darwin", "win32") and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None, "no D-Bus session (no Secret Service)"
    try:
        # Imported before the clock starts: a cold import on a busy host is not a mute service.
        if sys.platform not in ("darwin", "win32"):
            import secretstorage  # noqa: F401
            from keyring.backends import SecretService  # noqa: F401
    except Exception as exc:
        return None, f"no usable OS keyring ({type(exc).__name__})"
    try:
        return _with_deadline(_probe_now)
    except _NoAnswer as exc:
        return None, str(exc)


def _probe_now() -> tuple[Any | None, str]:
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


def _mode() -> str:
    return os.environ.get("MLOPS_TUI_CREDENTIALS", "auto").lower()


def _cache_key() -> str:
    return f"{_mode()}|{os.environ.get('DBUS_SESSION_BUS_ADDRESS', '')}|{config.config_dir()}"


def _backend() -> tuple[Any | None, str]:
    mode, key = _mode(), _cache_key()
    with _lock:
        if key not in _backend_cache:
            if mode == "file":
                _backend_cache[key] = (None, "MLOPS_TUI_CREDENTIALS=file")
            else:
                _backend_cache[key] = _probe_keyring()
        backend, why = _backend_cache[key]
    if backend is None and mode == "keyring":
        raise CredentialsError(f"MLOPS_TUI_CREDENTIALS=keyring but {why}")
    return backend, why


def _keyring_call(fn: Callable[..., T], *args: Any) -> T:
    """One call into the chosen keyring, with the deadline; a miss drops the keyring for this process."""
    try:
        return _with_deadline(fn, *args)
    except _NoAnswer as exc:
        with _lock:
            _backend_cache[_cache_key()] = (None, str(exc))
        if _mode() == "keyring":
            raise CredentialsError(f"MLOPS_TUI_CREDENTIALS=keyring but {exc}") from None
        raise


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
            _keyring_call(backend.set_password, service_name(profile), user, password)
            return backend_description()
        except _NoAnswer:
            pass  # the file below; backend_description() now says why
        except CredentialsError:
            raise
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
        try:
            value = _keyring_call(backend.get_password, service_name(profile), user)
        except CredentialsError:
            raise
        except Exception:  # _NoAnswer or a keyring failure: the file may still have it
            value = None
        if value is not None:
            return value
    with _lock:
        return _read_file().get(profile, {}).get(user)


def forget(profile: str, user: str) -> bool:
    """Remove the stored password from every place it may be; True when something was removed."""
    removed = False
    backend, _ = _backend()
    if backend is not None:
        try:
            _keyring_call(backend.delete_password, service_name(profile), user)
            removed = True
        except CredentialsError:
            raise
        except Exception:  # not there, or _NoAnswer: the file below still counts
            pass
    with _lock:
        data = _read_file()
        if user in data.get(profile, {}):
            del data[profile][user]
            if not data[profile]:
                del data[profile]
            _write_file(data)
            removed = True
    return removed
