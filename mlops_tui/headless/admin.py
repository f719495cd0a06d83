"""``mlops-tui platform ...``, ``profile ...`` and ``credentials ...``."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

from mlops_tui import config, credentials
from mlops_tui.headless.common import out, table
from mlops_tui.services.errors import Conflict, InvalidInput, NotFound, PlatformFailure
from mlops_tui.services.local import launcher
from mlops_tui.services.units import size_text


def _state_dir(args: Any) -> Path:
    return (
        Path(args.state_dir).expanduser() if getattr(args, "state_dir", None) else config.platform_state_dir()
    )


# -- platform ------------------------------------------------------------------------------------


def platform_serve(args: Any) -> int:
    from mlops_tui import platform as local_platform

    serve = getattr(local_platform, "serve", None)
    if serve is None:
        raise InvalidInput("this build has no local platform server (mlops_tui.platform.serve)")
    result = serve(
        state_dir=_state_dir(args),
        host=args.host,
        port=args.port,
        workers=args.workers,
        session_ttl_minutes=args.session_ttl_minutes,
    )
    return int(result or 0)


def platform_start(args: Any) -> int:
    state_dir = _state_dir(args)
    already = launcher.running_url(state_dir)
    url = already or launcher.ensure_platform(state_dir, timeout=args.timeout)
    out(f"{'already running' if already else 'started'}: {url}")
    out(f"log: {launcher.log_file(state_dir)}")
    return 0


def platform_stop(args: Any) -> int:
    """Stop the platform and its deployments' prediction servers, now (none keeps answering)."""
    state_dir = _state_dir(args)
    was_running = launcher.running_pid(state_dir) is not None
    stopped = launcher.stop_platform(state_dir)
    if was_running:
        out(f"stopped the platform of {state_dir} and its deployments")
    elif stopped:
        out(
            f"no platform was running for {state_dir}; stopped the prediction servers that a platform "
            "which died had left answering"
        )
    else:
        out(f"no platform running for {state_dir}")
    return 0


def platform_restart(args: Any) -> int:
    """Restart the platform; its deployments keep answering throughout (their servers are handed
    over to the new platform)."""
    state_dir = _state_dir(args)
    was_running = launcher.running_pid(state_dir) is not None
    url = launcher.restart_platform(state_dir, timeout=args.timeout)
    out(f"{'restarted' if was_running else 'was not running; started'}: {url}")
    out(f"log: {launcher.log_file(state_dir)}")
    return 0


def platform_status(args: Any) -> int:
    state_dir = _state_dir(args)
    info = launcher.read_platform_file(state_dir)
    url = str(info["url"]) if info else None
    health = launcher.health(url) if url else None
    if health is None:
        pid = launcher.running_pid(state_dir)
        if pid is None:
            refusal = launcher.last_refusal(state_dir)  # judged again now, not trusted as it was
            if refusal is None:
                out(f"not running (state {state_dir})")
            elif refusal.now is not None:
                out(
                    f"not running (state {state_dir}); its last start was refused, and its state still "
                    f"is: {refusal.now}"
                )
            else:
                out(f"not running (state {state_dir}); {refusal.text()}")
            return 3
        who = f"pid {pid} is running" if pid else "its process is running"
        out(f"not answering: {url or '(no address published yet)'} ({who}, state {state_dir})")
        out(f"log: {launcher.log_file(state_dir)}")
        return 4  # LSB: status unknown
    out(
        f"{health.get('status')}: {url} (pid {health.get('pid')}, version {health.get('version')}, "
        f"since {health.get('started_at')})"
    )
    for reason in health.get("reasons") or []:  # type: ignore[union-attr]
        out(f"  {reason}")
    out(f"state: {state_dir}")
    out(f"log: {launcher.log_file(state_dir)}")
    return 0


def platform_add_user(args: Any) -> int:
    from mlops_tui import platform as local_platform

    add_user = getattr(local_platform, "add_user", None)
    if add_user is None:
        raise InvalidInput("this build has no local platform (mlops_tui.platform.add_user)")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.user}: ")
    else:
        raise InvalidInput("no terminal to ask for the password: use --password-stdin", field="password")
    if not password:
        raise InvalidInput("the password is empty", field="password")
    from mlops_tui.platform.integrity import StateRefused
    from mlops_tui.platform.sandbox import SandboxUnavailable
    from mlops_tui.platform.server import UserExists

    try:
        created = add_user(
            state_dir=_state_dir(args),
            tenant=args.tenant,
            user=args.user,
            password=password,
            reset=args.reset,
        )
    except UserExists as exc:
        raise Conflict(
            str(exc),
            hint=f"to change it: mlops-tui platform add-user --tenant {args.tenant} --user {args.user} "
            "--reset",
        ) from None
    except ValueError as exc:
        raise InvalidInput(str(exc), field="user") from None
    except SandboxUnavailable as exc:  # a second user would run code here unconfined: refused
        raise PlatformFailure(str(exc), hint="") from None
    except StateRefused as exc:
        raise PlatformFailure(
            str(exc).replace("refusing to start", "refusing to add a user"), hint=""
        ) from None
    if created:
        out(f"added user {args.user} to tenant {args.tenant}")
    else:
        out(f"user {args.user} exists in tenant {args.tenant}: its password is changed")
    profile = args.profile or "local"
    if args.remember or (not created and _stored_for_local_profile(profile, args.tenant, args.user)):
        where = credentials.store_password(profile, args.user, password)
        out(f"password stored for profile {profile} in {where}")
    elif not created:
        out(
            f"no password stored for {args.user} was changed (profile {profile} does not log in as "
            "them); add --remember to store it"
        )
    return 0


def _stored_for_local_profile(profile_name: str, tenant: str, user: str) -> bool:
    """Whether ``profile_name`` logs in to this machine's platform as ``tenant``/``user`` with a
    stored password: a reset password must replace it, or every later login is refused."""
    try:
        profile = config.load_config().get(profile_name)
    except config.ConfigError:
        return False
    if profile.platform != "local" or profile.url or profile.tenant != tenant:
        return False
    return profile.effective_user == user and credentials.get_password(profile_name, user) is not None


def platform_backup(args: Any) -> int:
    """One archive of the platform (database by SQLite's online backup API, repositories, job logs)."""
    from mlops_tui.platform.backup import LOG_HEAD, BackupError, backup

    state_dir = _state_dir(args)
    try:
        summary = backup(state_dir, Path(args.file), overwrite=args.force)
    except BackupError as exc:
        raise InvalidInput(str(exc), field="file", hint="") from None
    out(f"backed up {state_dir} to {summary.archive}: {summary.files} files, {size_text(summary.bytes)}")
    if summary.logs_cut:
        out(
            f"{len(summary.logs_cut)} job log(s) beyond {size_text(LOG_HEAD)} kept as their first "
            f"{size_text(LOG_HEAD)} and last lines, e.g. {summary.logs_cut[0]}"
        )
    if summary.changed_while_read:
        out(f"changed while read (a running job's files): {', '.join(summary.changed_while_read[:5])}")
    out(f"restore with: mlops-tui platform restore {summary.archive}")
    return 0


def platform_restore(args: Any) -> int:
    """Replace the platform's state by a backup; the state it had is moved aside, not deleted."""
    from mlops_tui.platform.backup import BackupError, restore

    state_dir = _state_dir(args)
    try:
        summary = restore(state_dir, Path(args.file))
    except BackupError as exc:
        raise InvalidInput(str(exc), field="file", hint="") from None
    out(f"restored {state_dir} from {summary.archive} ({summary.files} files)")
    if summary.moved_aside:
        out(f"the state it replaced is in {summary.moved_aside}")
    out("start it with: mlops-tui platform start")
    return 0


def platform_move_aside(args: Any) -> int:
    """Keep a damaged state directory under another name, so the next start makes a new platform."""
    from mlops_tui.platform.state import AlreadyRunning, StatePaths, move_aside

    state_dir = _state_dir(args)
    try:
        moved = move_aside(StatePaths.resolve(state_dir))
    except AlreadyRunning as exc:
        raise Conflict(str(exc), hint="") from None
    except FileNotFoundError as exc:
        raise NotFound(str(exc), hint="") from None
    except OSError as exc:  # a rename refused (permissions, a read-only parent, a full disk)
        raise PlatformFailure(
            f"cannot move {state_dir} aside: {exc.strerror or exc} ({exc.filename or state_dir})", hint=""
        ) from None
    out(f"moved {state_dir} to {moved} (nothing was deleted)")
    out("the next start creates a new platform; your stored password is kept and stays valid")
    return 0


# -- profiles ------------------------------------------------------------------------------------


def profile_list(args: Any) -> int:
    cfg = config.load_config()
    rows = [
        (
            ("* " if name == cfg.active else "  ") + name,
            p.platform,
            p.url or ("(started on demand)" if p.platform == "local" else ""),
            p.tenant,
            p.effective_user,
            "yes" if p.read_only else "",
        )
        for name, p in sorted(cfg.profiles.items())
    ]
    table(["PROFILE", "PLATFORM", "URL", "TENANT", "USER", "READ-ONLY"], rows)
    out(f"file: {cfg.path}")
    return 0


def profile_add(args: Any) -> int:
    cfg = config.load_config()
    profile = config.Profile(
        name=args.name,
        platform=args.platform,
        url=args.url or "",
        tenant=args.tenant,
        user=args.user or "",
        verify_tls=not args.insecure,
        ca_file=args.ca_file or "",
        kubeconfig=args.kubeconfig or "",
        context=args.context or "",
        read_only=args.read_only,
        namespace=args.namespace or "",
        repo_pvc=args.repo_pvc or "",
        job_image=args.job_image or "",
    )
    cfg.add(profile, replace=args.replace)
    if args.use:
        cfg.use(profile.name)
    path = cfg.save()
    out(f"profile {profile.name} saved in {path}" + (" and made active" if args.use else ""))
    return 0


def profile_use(args: Any) -> int:
    cfg = config.load_config()
    cfg.use(args.name)
    cfg.save()
    out(f"active profile: {args.name}")
    return 0


# -- credentials ---------------------------------------------------------------------------------


def credentials_forget(args: Any) -> int:
    profile = config.active_profile(args.profile)
    user = args.user or profile.effective_user
    if credentials.forget(profile.name, user):
        out(f"forgot the password of {user} for profile {profile.name}")
    else:
        out(f"no password was stored for {user} on profile {profile.name}")
    return 0


def credentials_where(args: Any) -> int:
    out(credentials.backend_description())
    return 0
