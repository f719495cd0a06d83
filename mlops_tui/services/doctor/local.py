"""The doctor's checks for the embedded ``local`` platform: state directory, disk space, platform
process, port, health, credential store (and that the platform accepts the stored password).

They read what the platform and its launcher leave for this purpose: ``platform.refused`` (the
one-line diagnosis of a start that refused a damaged state directory: shown as past once the
state passes the check again), ``platform.lock`` (held by
the running platform: :func:`launcher.running_pid`), ``platform.json`` (its address) and
``/api/mlops/v1/health`` (``ok``, or ``degraded`` with reasons). Where the platform is not running,
the state directory gets the same read-only integrity check a start would make.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_tui.services import errors
from mlops_tui.services.doctor import net
from mlops_tui.services.doctor.core import Check, Finding
from mlops_tui.services.doctor.hops import blocking
from mlops_tui.services.local import launcher
from mlops_tui.services.units import size_text

# Below this, a training job (its log, a model bundle of a few MB) and the platform's database
# growth will soon fail; the platform itself turns "degraded" below 1 MiB (platform/storage.py).
MIN_FREE_BYTES = 100 << 20
START_HINT = "start it with: mlops-tui platform start (or just run mlops-tui)"


@dataclass
class LocalContext:
    profile: Any  # mlops_tui.config.Profile
    state_dir: Path
    user: str
    password: str | None
    password_source: str
    url: str = ""  # the running platform's, once known
    pid: int | None = None


async def profile_check(ctx: LocalContext) -> Finding:
    if ctx.profile.url:
        ctx.url = ctx.profile.url.rstrip("/")
        return Finding.passed(f"local platform at {ctx.url} (given in the profile), user {ctx.user}")
    return Finding.passed(f"this machine's platform, state {ctx.state_dir}, user {ctx.user}")


async def state_dir_check(ctx: LocalContext) -> Finding:
    if ctx.profile.url:
        return Finding.skip("the profile names a platform URL: its state is not on this machine")
    root = ctx.state_dir
    if not root.exists():
        return Finding.skip(f"no state yet at {root}: the first start creates it")
    try:
        mode = stat.S_IMODE(root.stat().st_mode)
    except OSError as exc:
        return Finding.failed(f"cannot read {root} ({exc.strerror})", f"check the permissions of {root}")
    if not os.access(root, os.W_OK | os.X_OK):
        return Finding.failed(
            f"{root} is not writable by this user", f"fix its owner or permissions: ls -ld {root}"
        )
    if mode & 0o077:
        return Finding.failed(
            f"{root} has mode {mode:o}: other users can read the platform's state (passwords, tokens)",
            f"chmod 700 {root}",
        )
    if launcher.running_pid(root) is None:
        from mlops_tui.platform import integrity  # stdlib only: the same check a start makes

        # Judged as it is now: a past refusal (``platform.refused``) is reported only as past.
        try:
            await asyncio.to_thread(integrity.check_state, root)
        except integrity.StateRefused as exc:
            return Finding.failed(str(exc).removeprefix("refusing to start: "), "")
        refusal = await asyncio.to_thread(launcher.last_refusal, root)
        if refusal is not None and refusal.now is None:
            return Finding.passed(f"{root}: mode 700, writable, sound; {refusal.text()}")
    return Finding.passed(f"{root}: mode 700, writable, sound")


async def disk_check(ctx: LocalContext) -> Finding:
    if ctx.profile.url:
        return Finding.skip("the platform's disk is not on this machine")
    where = ctx.state_dir
    while not where.exists() and where != where.parent:
        where = where.parent
    usage = await blocking(shutil.disk_usage, where)  # a hung network mount must not hold us
    free = usage.free
    shown = f"{size_text(free)} free of {size_text(usage.total)} on {where}"
    if free < MIN_FREE_BYTES:
        return Finding.failed(
            f"only {shown} (training needs at least {size_text(MIN_FREE_BYTES)})",
            "free some space (old jobs: mlops-tui platform backup, then delete), or move the state "
            "directory (MLOPS_TUI_STATE_DIR)",
        )
    return Finding.passed(shown)


async def process_check(ctx: LocalContext) -> Finding:
    if ctx.profile.url:
        return Finding.skip("a platform given by URL: its process is not on this machine")
    pid = await asyncio.to_thread(launcher.running_pid, ctx.state_dir)
    if pid is None:
        return Finding.failed(f"the local platform is not running (state {ctx.state_dir})", START_HINT)
    ctx.pid = pid
    info = launcher.read_platform_file(ctx.state_dir)
    if info is None:
        return Finding.failed(
            f"pid {pid or '?'} holds platform.lock but has not published its address (platform.json)",
            f"wait a few seconds; if it stays so, see {launcher.log_file(ctx.state_dir)} "
            "or mlops-tui platform stop",
        )
    ctx.url = str(info["url"]).rstrip("/")
    return Finding.passed(f"pid {pid} (holds platform.lock), started {info.get('started_at', '?')}")


async def port_check(ctx: LocalContext) -> Finding:
    target = net.Target.of(ctx.url)
    try:
        sock = await blocking(net.connect, target.host, target.port, launcher.HEALTH_TIMEOUT_S)
    except OSError as exc:
        who = f"pid {ctx.pid} is running but " if ctx.pid else ""
        return Finding.failed(
            f"{who}nothing accepts connections on {target.address} ({exc.strerror or type(exc).__name__})",
            f"see {launcher.log_file(ctx.state_dir)}; restart it: mlops-tui platform restart",
        )
    sock.close()
    return Finding.passed(f"{target.address} accepts connections")


def _health_context(profile: Any) -> Any:
    """How the health check trusts the platform: as the app's calls do (the profile's CA file,
    default trust, or none with ``verify_tls = false``)."""
    import ssl

    from mlops_tui.services.factory import tls_verify

    verify = tls_verify(profile)
    if verify is True:
        return None
    if verify is False:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return verify


async def _why_no_answer(ctx: LocalContext) -> errors.Unreachable | None:
    """The cause the app's own calls would name (untrusted certificate, the wrong scheme), or None."""
    import httpx

    from mlops_tui.services import httpclient
    from mlops_tui.services.factory import tls_verify

    url = ctx.url.rstrip("/") + launcher.HEALTH_PATH
    try:
        async with httpx.AsyncClient(
            verify=tls_verify(ctx.profile), timeout=launcher.HEALTH_TIMEOUT_S, trust_env=False
        ) as client:
            await client.get(url)
    except httpx.HTTPError as exc:
        return await httpclient.transport_failure(url, exc)
    return None


async def health_check(ctx: LocalContext) -> Finding:
    try:
        context = _health_context(ctx.profile)
    except errors.PlatformError as exc:
        return Finding.failed(exc.message, exc.hint)
    answer = await asyncio.to_thread(launcher.health, ctx.url, context=context)
    if answer is None:
        known = await _why_no_answer(ctx)
        if known is not None:
            return Finding.failed(known.message, known.hint)
        if ctx.profile.url:  # a platform elsewhere (a workshop's): its log is not on this machine
            return Finding.failed(
                f"no answer to {launcher.HEALTH_PATH} at {ctx.url} within {launcher.HEALTH_TIMEOUT_S:g} s",
                "check the URL (your handout's); if it is right, the platform may be stopped or "
                "overloaded: ask whoever runs it",
            )
        return Finding.failed(
            f"no answer to {launcher.HEALTH_PATH} at {ctx.url} within {launcher.HEALTH_TIMEOUT_S:g} s",
            f"it may be overloaded or stuck: see {launcher.log_file(ctx.state_dir)}, "
            "or mlops-tui platform stop",
        )
    version = f"version {answer.get('version', '?')}"
    if answer.get("status") == "degraded":
        reasons = "; ".join(str(r) for r in answer.get("reasons") or []) or "no reason given"
        return Finding.failed(
            f"degraded ({version}): {reasons}", "fix what the reasons name; it recovers by itself"
        )
    return Finding.passed(f"ok ({version})")


async def credentials_check(ctx: LocalContext) -> Finding:
    from mlops_tui import credentials
    from mlops_tui.services.factory import new_user_hint

    where = await asyncio.to_thread(credentials.backend_description)
    if ctx.password is None:
        return Finding.failed(
            f"no stored password for {ctx.user} (looked in {where})",
            f"store it: mlops-tui login --profile {ctx.profile.name}; {new_user_hint(ctx.profile, ctx.user)}",
        )
    from mlops_tui.services.local.adapter import LocalPlatform
    from mlops_tui.services.types import Credentials

    platform = LocalPlatform(Credentials(ctx.url, ctx.profile.tenant, ctx.user, ctx.password))
    try:
        session = await platform.login()
    except errors.AuthFailed:
        return Finding.failed(
            f"the platform refuses the password stored for {ctx.user} in {where}",
            f"store the right one: mlops-tui login --profile {ctx.profile.name}",
        )
    finally:
        await platform.aclose()
    return Finding.passed(f"{where}; the platform accepts {session.user} in {session.tenant}")


def checks() -> list[Check[LocalContext]]:
    """The checks of a local profile, in order. Exit codes 40-46 (docs/kubernetes.md lists them)."""
    return [
        Check("profile", "profile", 40, 5.0, profile_check),
        Check("state-dir", "state directory", 41, 30.0, state_dir_check),  # integrity_check reads the DB
        Check("disk", "disk space", 42, 5.0, disk_check),
        Check("process", "platform process", 43, 5.0, process_check),
        Check("port", "port", 44, launcher.HEALTH_TIMEOUT_S + 1, port_check),
        Check("health", "health", 45, 2 * launcher.HEALTH_TIMEOUT_S + 1, health_check),
        Check("credentials", "credential store", 46, 30.0, credentials_check),
    ]
