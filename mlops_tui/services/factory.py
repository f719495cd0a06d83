"""Build the :class:`Platform` a profile names.

``open_platform`` does the blocking parts (keyring, starting the local platform) in a thread, so
the TUI can await it on its event loop; ``build_platform`` is the pure constructor.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlops_tui import config, credentials
from mlops_tui.config import Profile
from mlops_tui.platform.names import shown
from mlops_tui.services.errors import AuthFailed, InvalidInput, PlatformError
from mlops_tui.services.platform import Platform
from mlops_tui.services.types import Credentials


class NotAvailable(PlatformError):
    """The profile's platform kind has no adapter in this version."""

    hint = "use a local profile for now: mlops-tui profile use local"


@dataclass(frozen=True)
class Resolved:
    """Where and as whom a profile connects, after starting the local platform if needed."""

    profile: Profile
    url: str
    user: str
    password: str | None
    password_source: str  # where the password was found (never the password)


def _password_profiles(profile: Profile) -> list[str]:
    # The local platform stores its generated password under profile "local" (contract §1).
    names = [profile.name]
    if profile.platform == "local" and profile.name != "local":
        names.append("local")
    return names


def resolve(profile: Profile, *, start: bool = True, password: str | None = None) -> Resolved:
    """URL, user and password for ``profile``. Blocking: may start the platform and read the keyring."""
    if profile.platform == "kubernetes":
        url = profile.url or profile.kubeconfig
    elif profile.platform != "local":
        raise NotAvailable(
            f"profile {shown(profile.name)}: the {profile.platform} platform is not available yet"
        )
    else:
        from mlops_tui.services.local.launcher import ensure_platform

        url = profile.url or ensure_platform(config.platform_state_dir(), start=start)
    user = profile.effective_user
    source = "given"
    if password is None:
        for name in _password_profiles(profile):
            password = credentials.get_password(name, user)
            if password is not None:
                source = credentials.backend_description()
                break
    return Resolved(profile, url, user, password, source if password is not None else "none")


def _no_password(resolved: Resolved, more: str = "") -> AuthFailed:
    return AuthFailed(
        f"no stored password for {resolved.user} on profile {shown(resolved.profile.name)} "
        f"(looked in {credentials.backend_description()})",
        hint=f"store it once: mlops-tui login --profile {resolved.profile.name} "
        f"(or log in from the TUI){more}",
    )


def new_user_hint(profile: Profile, user: str) -> str:
    """What a person without a password does next: on a platform of their own (no URL: the one
    mlops-tui starts) an account is made with ``platform add-user``; on one elsewhere (a workshop's)
    the account was made for them and the handout's join line stores its password."""
    if profile.url:
        return (
            "new to this platform: run the join line of your handout again "
            f"(mlops-tui join {profile.url} --user {user})"
        )
    return "new users: mlops-tui platform add-user"


def tls_verify(profile: Profile) -> ssl.SSLContext | bool:
    """httpx ``verify`` for a profile's HTTPS URL: default trust, its ``ca_file``, or off
    (``verify_tls = false``). Raises :class:`InvalidInput` naming an unreadable CA file."""
    if not profile.verify_tls:
        return False
    if not profile.ca_file:
        return True
    path = Path(profile.ca_file).expanduser()
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise InvalidInput(
            f"profile {shown(profile.name)}: the CA file {path} cannot be used ({why})",
            field="ca_file",
            hint="give the certificate the platform serves (mlops-tui join URL --ca-file FILE)",
        ) from None


def build_platform(resolved: Resolved, *, on_relogin: Callable[[], None] | None = None) -> Platform:
    """The adapter for a resolved profile (no I/O)."""
    if resolved.profile.platform == "kubernetes":
        from mlops_tui.services.kubernetes import profile as k8s_profile

        if resolved.password is None and k8s_profile.needs_password(resolved.profile):
            raise _no_password(resolved)
        return k8s_profile.build(resolved.profile, resolved.user, resolved.password, on_relogin=on_relogin)
    if resolved.profile.platform != "local":
        raise NotAvailable(
            f"profile {shown(resolved.profile.name)}: the {resolved.profile.platform} platform "
            "is not available yet"
        )
    if resolved.password is None:
        raise _no_password(resolved, "; " + new_user_hint(resolved.profile, resolved.user))
    from mlops_tui.services.local.adapter import LocalPlatform

    creds = Credentials(
        url=resolved.url, tenant=resolved.profile.tenant, user=resolved.user, password=resolved.password
    )
    return LocalPlatform(creds, on_relogin=on_relogin, verify=tls_verify(resolved.profile))


async def open_platform(
    profile: Profile | None = None, *, start: bool = True, password: str | None = None
) -> Platform:
    """The platform of ``profile`` (default: the active one), not yet logged in."""
    profile = profile or await asyncio.to_thread(config.active_profile)
    resolved = await asyncio.to_thread(resolve, profile, start=start, password=password)
    return build_platform(resolved)
