"""``mlops-tui login``: check a password against the platform, then store it for the profile.

Headless users (a jump host, a script) need a way to give the password once without the TUI;
every later command and the TUI then log in with the stored one.
"""

from __future__ import annotations

import getpass
import sys

from mlops_tui import config, credentials
from mlops_tui.headless.common import out, pass_exec_plugin_stderr, password_note
from mlops_tui.services.errors import AuthFailed
from mlops_tui.services.factory import build_platform, resolve


def read_password(from_stdin: bool) -> str:
    """From stdin when asked or when it is not a terminal, else an echo-free prompt."""
    if from_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
    if not password:
        raise AuthFailed("no password given", hint="type it at the prompt or pipe it with --password-stdin")
    return password


async def run(profile_name: str | None, *, from_stdin: bool) -> int:
    profile = config.active_profile(profile_name)
    password = read_password(from_stdin)
    resolved = resolve(profile, start=True, password=password)
    platform = pass_exec_plugin_stderr(build_platform(resolved))
    try:
        session = await platform.login()
    finally:
        await platform.aclose()
    credentials.store_password(profile.name, resolved.user, password)
    out(f"logged in as {session.user} in {session.tenant} on {resolved.url}; password stored")
    out(password_note())
    return 0
