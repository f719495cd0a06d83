"""``mlops-tui workshop start|add|reset-password|stop|status`` (the facilitator) and ``mlops-tui
join URL --user ID`` (each attendee): one platform for a whole class (issue 9 §1-2, §7).

``workshop start`` makes the class's accounts on a workshop platform of its own (state directory
``$XDG_STATE_HOME/mlops-tui/workshop``, or ``--state-dir``), starts it (or reuses it) in shared
mode, and writes the handout. It listens on loopback for attendees on the same jump host; with
``--listen HOST:PORT --cert FILE --key FILE`` it serves HTTPS for attendees on other hosts (a
non-loopback address without a certificate is refused: the passwords would cross the network in
clear). The facilitator's own password goes to their credential store under profile
``workshop``, the profile ``workshop status`` and ``mlops-tui --profile workshop`` use.
"""

from __future__ import annotations

import getpass
import ipaddress
import json
import ssl
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlops_tui import config, credentials
from mlops_tui.headless.common import out, table, wrap
from mlops_tui.platform.names import shown
from mlops_tui.services import classroom
from mlops_tui.services.errors import AuthFailed, Conflict, InvalidInput, PlatformFailure
from mlops_tui.services.local import launcher

PROFILE = "workshop"
START_TIMEOUT_S = 60.0


def state_dir(args: Any) -> Path:
    """The workshop platform's state directory: ``--state-dir``, else ``<XDG state>/workshop``."""
    given = getattr(args, "state_dir", None)
    return Path(given).expanduser().absolute() if given else config.state_home() / "workshop"


def _errors() -> tuple[type[BaseException], ...]:
    from mlops_tui.platform.sandbox import SandboxUnavailable
    from mlops_tui.platform.workshop import WorkshopError

    return SandboxUnavailable, WorkshopError


def _listen(value: str | None, previous: str) -> tuple[str, int]:
    """``HOST:PORT`` (IPv6 as ``[::]:8443``) → (host, port); default: loopback, the port it had."""
    if not value:
        host, _, port = previous.rpartition(":") if previous else ("127.0.0.1", "", "0")
        return host.strip("[]") or "127.0.0.1", int(port or 0)
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise InvalidInput(f"--listen {shown(value)}: write HOST:PORT, e.g. 0.0.0.0:8443", field="listen")
    return host.strip("[]") or "0.0.0.0", int(port)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _tls_context(cert: str | None) -> ssl.SSLContext | None:
    """How this command checks its own platform's certificate: trusted as given, any host name."""
    if not cert:
        return None
    context = ssl.create_default_context(cafile=cert)
    context.check_hostname = False
    return context


def _attendees(args: Any, existing: tuple[str, ...]) -> list[str]:
    from mlops_tui.platform.workshop import numbered, read_roster

    users: list[str] = list(getattr(args, "users", None) or [])
    if getattr(args, "roster", None):
        try:
            users += read_roster(Path(args.roster).expanduser())
        except _errors() as exc:
            raise InvalidInput(str(exc), field="roster", hint="") from None
    count = getattr(args, "attendees", None)
    if count is not None:
        if count < 1:
            raise InvalidInput("--attendees must be at least 1", field="attendees")
        users += numbered([*existing, *users], count)
    return users


def start(args: Any) -> int:
    from mlops_tui.platform import workshop

    root = state_dir(args)
    try:
        current = workshop.load(root)
    except Exception as exc:
        raise PlatformFailure(str(exc), hint="") from None
    attendees = _attendees(args, current.attendees if current else ())
    if current is None and not attendees:
        raise InvalidInput("give the class: --roster roster.csv or --attendees N", field="roster")
    host, port = _listen(args.listen, current.url.split("://", 1)[-1] if current and current.url else "")
    cert, key = args.cert, args.key
    if bool(cert) != bool(key):
        raise InvalidInput("--cert and --key go together", field="cert")
    if not _is_loopback(host) and not cert:
        raise InvalidInput(
            f"--listen {host}: attendees on other hosts need HTTPS, or their passwords cross the network "
            "in clear: add --cert FILE --key FILE (PEM)",
            field="listen",
        )
    tenant = args.tenant or (current.tenant if current else config.DEFAULT_TENANT)
    facilitator = args.facilitator or (current.facilitator if current else workshop.DEFAULT_FACILITATOR)
    caps: dict[str, object] = {}
    if args.max_deployments_per_attendee is not None:
        caps["max_deployments_per_attendee"] = args.max_deployments_per_attendee
    if args.max_deployments is not None:
        caps["max_deployments"] = args.max_deployments
    if cert:
        caps["ca_file"] = str(Path(cert).expanduser().absolute())
    try:
        settings, accounts = workshop.setup(
            root, tenant=tenant, facilitator=facilitator, attendees=attendees, **caps
        )
    except _errors() as exc:
        raise InvalidInput(str(exc), hint="") from None
    context = _tls_context(cert)
    running = launcher.running_url(root, context)
    if running is None:
        extra = ["--host", host, "--port", str(port), "--workers", str(args.workers)]
        if cert:
            extra += [
                "--cert",
                str(Path(cert).expanduser().absolute()),
                "--key",
                str(Path(key).expanduser().absolute()),
            ]
        url = launcher.ensure_platform(root, timeout=START_TIMEOUT_S, extra_args=extra, context=context)
        out(f"started the workshop platform: {url} ({args.workers} training workers)")
    else:
        url = running
        out(
            f"the workshop platform already runs at {url}; added what was new (workshop stop, then start, "
            "to change --listen or --workers)"
        )
    settings = workshop.update(root, url=url)
    password = workshop.facilitator_password(root, settings.facilitator)
    _facilitator_profile(args, settings, password)
    made = [a for a in accounts if a.role == "attendee" and a.password]
    text = workshop.handout(root, settings)
    where = root / workshop.HANDOUT_FILE
    if args.handout:
        target = Path(args.handout).expanduser()
        target.write_text(text, encoding="utf-8")
        target.chmod(0o600)
        where = target
    out(
        f"tenant {settings.tenant}: {len(settings.attendees)} attendees ({len(made)} new), facilitator "
        f"{settings.facilitator}; deployments: {settings.max_deployments_per_attendee} per attendee, "
        f"{settings.max_deployments} in all"
    )
    out(f"handout (user, password, the command to join): {where}")
    wrap(
        f"Attendees run the command on their line of the handout, then mlops-tui. You watch the class with "
        f"mlops-tui workshop status (or mlops-tui --profile {args.profile or PROFILE}); stop it with "
        "mlops-tui workshop stop.",
    )
    return 0


def _facilitator_profile(args: Any, settings: Any, password: str | None) -> None:
    """The facilitator's profile on the workshop platform (not made active: their own stays)."""
    name = args.profile or PROFILE
    cfg = config.load_config()
    profile = config.Profile(
        name=name,
        platform="local",
        url=settings.url,
        tenant=settings.tenant,
        user=settings.facilitator,
        ca_file=settings.ca_file,
    )
    cfg.add(profile, replace=True)
    cfg.save()
    if password:
        credentials.store_password(name, settings.facilitator, password)


def add(args: Any) -> int:
    from mlops_tui.platform import workshop

    root = state_dir(args)
    current = workshop.load(root)
    if current is None:
        raise InvalidInput(f"{root} holds no workshop: start one with mlops-tui workshop start", hint="")
    attendees = _attendees(args, current.attendees)
    if not attendees:
        raise InvalidInput("whom to add: user ids, --roster FILE or --attendees N", field="users")
    try:
        settings, accounts = workshop.setup(
            root, tenant=current.tenant, facilitator=current.facilitator, attendees=attendees
        )
    except _errors() as exc:
        raise InvalidInput(str(exc), hint="") from None
    workshop.handout(root, settings)
    new = [a.user for a in accounts if a.role == "attendee" and a.password]
    kept = [a for a in attendees if a not in new]
    out(
        f"added {len(new)} attendees: {', '.join(new) or 'none'}"
        + (f" (already there: {', '.join(kept)})" if kept else "")
    )
    _print_lines(root, settings, new)
    return 0


def _print_lines(root: Path, settings: Any, users: list[str]) -> None:
    from mlops_tui.platform import workshop

    lines = workshop.handout(root, settings).splitlines()
    wanted = [ln for ln in lines if ln.split(" ", 1)[0] in users]
    for line in wanted:
        out(line, indent=2)
    out(f"handout: {root / workshop.HANDOUT_FILE}")


def reset_password(args: Any) -> int:
    from mlops_tui.platform import workshop

    root = state_dir(args)
    try:
        workshop.reset_password(root, args.user)
    except _errors() as exc:
        raise InvalidInput(str(exc), field="user", hint="") from None
    settings = workshop.load(root)
    assert settings is not None
    out(f"new password for {args.user} (their sessions are ended):")
    if args.user in settings.attendees:
        _print_lines(root, settings, [args.user])
    else:  # the facilitator: stored for the workshop profile, never printed
        password = workshop.facilitator_password(root, args.user)
        if args.user == settings.facilitator and password:
            credentials.store_password(args.profile or PROFILE, args.user, password)
            out(f"stored in your credential store for profile {args.profile or PROFILE}")
    return 0


def stop(args: Any) -> int:
    root = state_dir(args)
    if launcher.stop_platform(root):
        out(f"stopped the workshop platform of {root} and its deployments")
    else:
        out(f"no workshop platform running for {root}")
    return 0


async def status(args: Any) -> int:
    """The class table (stuck attendees first), or the class view as JSON with ``-o json``."""
    from mlops_tui.headless.common import connect

    conn = connect(args.profile or PROFILE, start=False)
    try:
        view = await conn.platform.class_view()
    finally:
        await conn.platform.aclose()
    now = datetime.now(UTC)
    people = classroom.ordered(view, now, args.idle_minutes)
    if args.output == "json":
        data = view.to_dict()
        data["attendees"] = [
            {
                "user": m.user,
                "lab": classroom.lab_reached(m),
                "stuck": classroom.stuck(m, now, args.idle_minutes) or None,
                "steps": [
                    {"lab": s.lab, "id": s.id, "state": str(s.state), "detail": s.detail}
                    for s in classroom.steps(m)
                ],
            }
            for m in people
        ]
        sys.stdout.write(json.dumps(data, indent=1) + "\n")
        return 0
    queue = f", {view.queued_jobs} queued" if view.queued_jobs else ""
    out(
        f"class of tenant {view.tenant}: {len(people)} attendees; training: {view.running_jobs} "
        f"running{queue} on {view.workers} workers (a job takes about {view.typical_job_seconds or 0:.0f} s)"
    )
    if view.broadcast is not None:
        out(f"broadcast: {view.broadcast.message}")
    rows = []
    for m in people:
        lab = classroom.lab_reached(m)
        working = classroom.current_step(m)
        rows.append(
            (
                m.user,
                "done" if lab > 5 else f"Lab {lab}",
                f"{working.id}: {working.state}" if working else "-",
                m.queue_position or "",
                classroom.since(m.last_progress_at, now),
                classroom.stuck(m, now, args.idle_minutes) or (m.last_error.message if m.last_error else ""),
            )
        )
    table(["USER", "AT", "STEP", "QUEUE", "LAST PROGRESS", "NEEDS HELP / LAST ERROR"], rows)
    return 0


async def broadcast(args: Any) -> int:
    """Set (or with ``--clear`` / an empty message, clear) the message every attendee's guide shows;
    without a message, print the current one."""
    from mlops_tui.headless.common import connect

    if args.clear and args.message:
        raise InvalidInput("give a message or --clear, not both", field="message")
    conn = connect(args.profile or PROFILE, start=False)
    try:
        if args.message is None and not args.clear:
            current = await conn.platform.broadcast()
        else:
            current = await conn.platform.set_broadcast("" if args.clear else args.message)
            out("broadcast sent to every attendee's guide" if current else "broadcast cleared")
    finally:
        await conn.platform.aclose()
    if current is not None:
        when = f" at {current.at.astimezone():%H:%M}" if current.at else ""
        out(f"broadcast ({current.author}{when}): {current.message}")
    elif args.message is None and not args.clear:
        out("no broadcast")
    return 0


# -- join -----------------------------------------------------------------------------------------


async def join(args: Any) -> int:
    """Create and select the attendee's profile, check the password once, store it."""
    from mlops_tui.services.factory import build_platform, resolve

    url = args.url.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(
            f"{shown(args.url)}: the URL starts with http:// or https:// (see your handout)", field="url"
        )
    name = args.profile or PROFILE
    profile = config.Profile(
        name=name,
        platform="local",
        url=url,
        tenant=args.tenant,
        user=args.user,
        verify_tls=not args.insecure,
        ca_file=str(Path(args.ca_file).expanduser().absolute()) if args.ca_file else "",
    )
    password = _password(args)
    cfg = config.load_config()
    if name in cfg.profiles and cfg.profiles[name] != profile and not args.replace:
        old = cfg.profiles[name]
        if (old.url, old.user) != (profile.url, profile.user):
            raise Conflict(
                f"profile {shown(name)} already points at {old.url or 'the local platform'} as {old.user}",
                hint="add --replace to point it here, or --profile NAME for another profile",
            )
    cfg.add(profile, replace=True)
    cfg.use(name)
    if password is None:
        cfg.save()
        out(f"profile {name} saved and made active ({args.user} on {url}); no password given here:")
        out("run mlops-tui and log in on its login screen (the password is then stored for you)")
        return 0
    resolved = resolve(profile, start=False, password=password)
    platform = build_platform(resolved)
    try:
        session = await platform.login()
    finally:
        await platform.aclose()
    cfg.save()
    where = credentials.store_password(name, args.user, password)
    out(f"joined: {session.user} in tenant {session.tenant} on {url} (profile {name}, now active)")
    out(f"password stored in {where}")
    out("now run: mlops-tui")
    return 0


def _password(args: Any) -> str | None:
    if args.password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
        if not password and args.password_stdin:
            raise AuthFailed("no password on stdin", hint="pipe it: echo PASSWORD | mlops-tui join …")
        return password or None
    password = getpass.getpass(f"password of {args.user} (from your handout): ")
    if not password:
        raise AuthFailed("no password given", hint="type the password printed on your handout")
    return password
