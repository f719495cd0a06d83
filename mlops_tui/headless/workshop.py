"""``mlops-tui workshop start|add|reset-password|stop|status`` (the facilitator) and ``mlops-tui
join URL --user ID`` (each attendee): one platform for a whole class (issue 9 §1-2, §7).

``workshop start`` makes the class's accounts on a workshop platform of its own (state directory
``$XDG_STATE_HOME/mlops-tui/workshop``, or ``--state-dir``), starts it (or reuses it) in shared
mode, and writes the handout. It listens on loopback for attendees on the same jump host; with
``--listen HOST:PORT --cert FILE --key FILE`` it serves HTTPS for attendees on other hosts (a
non-loopback address without a certificate is refused: the passwords would cross the network in
clear; on every interface the handout names this host, or ``--public-url``). A restart listens
where the last start that worked did, with its certificate. Every option, id and file is checked
before anything is made (docs/workshop.md). The facilitator's own password goes to their
credential store under profile ``workshop``, the profile ``workshop status`` and ``mlops-tui
--profile workshop`` use.
"""

from __future__ import annotations

import getpass
import ipaddress
import json
import os
import socket
import ssl
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mlops_tui import config, credentials
from mlops_tui.headless.common import out, table, wrap
from mlops_tui.platform import names
from mlops_tui.platform.names import shown
from mlops_tui.services import classroom
from mlops_tui.services.errors import AuthFailed, Conflict, InvalidInput, PlatformFailure
from mlops_tui.services.local import launcher
from mlops_tui.services.units import counted

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


def _listen(value: str | None, stored: str) -> tuple[str, int]:
    """``HOST:PORT`` (IPv6 as ``[::]:8443``) → (host, port); default: the address the last start
    listened on (its port too, so the handout stays valid), else loopback on a free port."""
    if not value:
        host, _, port = stored.rpartition(":") if stored else ("127.0.0.1", "", "0")
        return host.strip("[]") or "127.0.0.1", int(port or 0)
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise InvalidInput(f"--listen {shown(value)}: write HOST:PORT, e.g. 0.0.0.0:8443", field="listen")
    return host.strip("[]") or "0.0.0.0", int(port)


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.startswith("localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_wildcard(host: str) -> bool:
    return host in ("0.0.0.0", "::", "")


def _tls_context(cert: str | None) -> ssl.SSLContext | None:
    """How this command checks its own platform's certificate: trusted as given, any host name."""
    if not cert:
        return None
    context = ssl.create_default_context(cafile=cert)
    context.check_hostname = False
    return context


def _pem(option: str, path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise InvalidInput(
            f"{option} {shown(str(path))}: cannot read it ({exc.strerror})", field=option[2:], hint=""
        ) from None


def check_tls_files(cert: str, key: str, *, stored: bool = False) -> tuple[str, str]:
    """The absolute paths of ``cert`` and ``key`` once they are known to serve: readable, a PEM
    certificate and a PEM private key (not swapped, not encrypted) that belong together (loaded as
    the platform will load them: :meth:`ssl.SSLContext.load_cert_chain`). ``stored``: they are the
    last start's, and the message says to pass them again.

    Raises :class:`InvalidInput` naming the option, the file and what to do."""
    cert_path, key_path = Path(cert).expanduser().absolute(), Path(key).expanduser().absolute()
    again = " (from the last start: pass --cert FILE --key FILE)" if stored else ""
    cert_text, key_text = _pem("--cert", cert_path), _pem("--key", key_path)
    if "CERTIFICATE-----" not in cert_text:
        if "PRIVATE KEY-----" in cert_text and "CERTIFICATE-----" in key_text:
            raise InvalidInput(
                f"--cert {cert_path} holds a private key and --key {key_path} a certificate: swap them",
                field="cert",
                hint="",
            )
        raise InvalidInput(f"--cert {cert_path} holds no PEM certificate{again}", field="cert", hint="")
    if "PRIVATE KEY-----" not in key_text:
        raise InvalidInput(f"--key {key_path} holds no PEM private key{again}", field="key", hint="")
    if "ENCRYPTED" in key_text:
        raise InvalidInput(
            f"--key {key_path} is encrypted: the platform starts unattended, give it the key without a "
            "passphrase (openssl pkey -in KEY -out plain.key)",
            field="key",
            hint="",
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert_path, key_path, password=lambda: b"")
    except ssl.SSLError as exc:
        why = "KEY_VALUES_MISMATCH" in str(exc) or "key values mismatch" in str(exc).lower()
        said = "the key does not belong to the certificate" if why else f"they do not load ({exc.reason})"
        raise InvalidInput(
            f"--cert {cert_path} and --key {key_path}: {said}{again}", field="key", hint=""
        ) from None
    except OSError as exc:
        raise InvalidInput(f"--cert {cert_path}: {exc.strerror}{again}", field="cert", hint="") from None
    return str(cert_path), str(key_path)


def _public_url(value: str | None, https: bool) -> str:
    """``--public-url``: the URL attendees join at, its scheme the one the platform serves."""
    if value is None:
        return ""
    url = value.strip().rstrip("/")
    scheme = "https" if https else "http"
    if not url.startswith(f"{scheme}://") or any(c.isspace() for c in url) or len(url) <= len(scheme) + 3:
        raise InvalidInput(
            f"--public-url {shown(value)}: write {scheme}://HOST:PORT as attendees reach this platform "
            f"(it serves {scheme})",
            field="public_url",
            hint="",
        )
    return url


def _remote_name_check(host: str, port: int, public: str) -> None:
    """On every interface without ``--public-url``, the handout names this host by
    ``socket.getfqdn()`` (as the platform does): refused when that is a name only this host knows."""
    if not _is_wildcard(host) or public:
        return
    name = socket.getfqdn()
    if _is_loopback(name):
        raise InvalidInput(
            f"--listen {_address(host, port)}: this host calls itself {name}, which attendees on other hosts "
            f"cannot reach: add --public-url https://NAME:{port or 'PORT'} with the name or address they "
            "reach it by (one your certificate holds)",
            field="listen",
            hint="",
        )


def _can_listen(host: str, port: int, given: bool) -> None:
    """Bind ``host:port`` as the platform will (``SO_REUSEADDR``) and let go: a host that is not
    this machine's or a port in use is refused before anything is made. ``given``: ``--listen``
    was typed (else it is the last start's address, and the advice is to pass another)."""
    if port == 0 and _is_wildcard(host):
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        why = exc.strerror or str(exc)
        todo = (
            "choose another HOST:PORT"
            if given
            else "the last start's address; pass --listen HOST:PORT (attendees then need the new handout)"
        )
        raise InvalidInput(
            f"--listen {_address(host, port)}: cannot listen there ({why}): {todo}", field="listen", hint=""
        ) from None


def _writable_file(option: str, value: str) -> None:
    """``--handout FILE`` can be written (checked before anything is made)."""
    target = Path(value).expanduser()
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir() or not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InvalidInput(f"{option} {shown(value)}: cannot write a file there", field=option[2:], hint="")


def _checked_name(kind: str, value: str, option: str) -> str:
    try:
        return names.check(kind, value)
    except ValueError as exc:
        said = f"{option} {exc}" if option else str(exc)
        raise InvalidInput(said, field=option.lstrip("-") or kind, hint="") from None


def _attendees(
    args: Any, existing: tuple[str, ...], facilitator: str, *, class_of: bool
) -> tuple[list[str], list[str]]:
    """(the attendees asked for, the numbered ones among them that are new). ``class_of``
    (``workshop start``): ``--attendees N`` is a class of N numbered attendees (the ones already
    there count); else (``workshop add``) N more. Ids are checked here, naming the roster line."""
    from mlops_tui.platform.workshop import DEFAULT_PREFIX, numbered, read_roster_lines

    users: list[str] = []
    for user in getattr(args, "users", None) or []:
        users.append(_checked_name("user", user, ""))
        if user == facilitator:
            raise InvalidInput(f"{user} is the facilitator's id: it cannot be an attendee too", hint="")
    if getattr(args, "roster", None):
        try:
            lines = read_roster_lines(Path(args.roster).expanduser())
        except _errors() as exc:
            raise InvalidInput(str(exc), field="roster", hint="") from None
        for n, user in lines:
            if user == facilitator:
                raise InvalidInput(
                    f"{args.roster} line {n}: {user} is the facilitator's id: remove the line, or choose "
                    "another --facilitator",
                    field="roster",
                    hint="",
                )
        users += [user for _, user in lines if user not in users]
    count = getattr(args, "attendees", None)
    fresh: list[str] = []
    if count is not None:
        taken = [*existing, *users, facilitator]
        have = sum(1 for u in existing if u.startswith(DEFAULT_PREFIX) and u[len(DEFAULT_PREFIX) :].isdigit())
        fresh = numbered(taken, max(0, count - have) if class_of else count)
        users += fresh
    return users, fresh


def facilitator_note(facilitator: str, fresh: list[str], *, new: bool = False) -> str | None:
    """``student01 is the facilitator: attendees are student02-student03`` when the facilitator's
    id is the one numbered ids would have started at (they continue after it), else None: a
    numbering that skips an id is said, not left to be found on the handout."""
    from mlops_tui.platform.workshop import DEFAULT_PREFIX

    def number(user: str) -> int | None:
        digits = user.removeprefix(DEFAULT_PREFIX)
        return int(digits) if user.startswith(DEFAULT_PREFIX) and digits.isdigit() else None

    own = number(facilitator)
    first = number(fresh[0]) if fresh else None
    if own is None or first is None or own != first - 1:
        return None
    span = fresh[0] if len(fresh) == 1 else f"{fresh[0]}-{fresh[-1]}"
    return f"{facilitator} is the facilitator: {'the new ' if new else ''}attendees are {span}"


def _progress(done: int, total: int) -> None:
    if total >= 20 and (done % 50 == 0 or done == total):
        out(f"made {done} of {total} accounts")


def start(args: Any) -> int:
    """Everything is checked (options, roster, ids, certificate and key, listen address) before
    anything is made; a start that fails after the accounts were made leaves them with their
    passwords on the handout, and the same command again makes the class it asked for."""
    from mlops_tui.platform import workshop

    root = state_dir(args)
    try:
        current = workshop.load(root)
    except Exception as exc:
        raise PlatformFailure(str(exc), hint="") from None
    tenant = _checked_name("tenant", args.tenant, "--tenant") if args.tenant else None
    tenant = tenant or (current.tenant if current else config.DEFAULT_TENANT)
    if args.facilitator:
        facilitator = _checked_name("user", args.facilitator, "--facilitator")
        if current is not None and facilitator in current.attendees:
            raise InvalidInput(
                f"--facilitator {facilitator}: {facilitator} is an attendee of this class, and an attendee "
                f"cannot be made the facilitator; leave --facilitator out (this class's is "
                f"{current.facilitator})",
                field="facilitator",
                hint="",
            )
        if current is not None and facilitator != current.facilitator:
            raise InvalidInput(
                f"this workshop's facilitator is {current.facilitator}: --facilitator cannot change it "
                "(leave it out, or use another --state-dir for another class)",
                field="facilitator",
                hint="",
            )
    else:
        facilitator = current.facilitator if current else workshop.DEFAULT_FACILITATOR
    attendees, fresh = _attendees(args, current.attendees if current else (), facilitator, class_of=True)
    if args.roster and not attendees:
        raise InvalidInput(f"the roster {args.roster} has no attendees", field="roster", hint="")
    if current is None and not attendees:
        raise InvalidInput("give the class: --roster roster.csv or --attendees N", field="roster")
    caps: dict[str, object] = {}
    if args.max_deployments_per_attendee is not None:
        caps["max_deployments_per_attendee"] = args.max_deployments_per_attendee
    if args.max_deployments is not None:
        caps["max_deployments"] = args.max_deployments
    per = caps.get("max_deployments_per_attendee", current.max_deployments_per_attendee if current else 1)
    total = caps.get("max_deployments", current.max_deployments if current else workshop.DEFAULT_TOTAL)
    if int(per) > int(total):  # type: ignore[call-overload]
        raise InvalidInput(
            f"--max-deployments-per-attendee {per} is more than the {total} deployments on the platform "
            "(--max-deployments)",
            field="max_deployments_per_attendee",
            hint="",
        )
    context, serve = _serving(args, current)
    if args.handout:
        _writable_file("--handout", args.handout)
    try:
        settings, accounts = workshop.setup(
            root, tenant=tenant, facilitator=facilitator, attendees=attendees, progress=_progress, **caps
        )
    except _errors() as exc:
        raise InvalidInput(str(exc), hint="") from None
    running = launcher.running_url(root, context)
    if running is None:
        url = launcher.ensure_platform(
            root, timeout=START_TIMEOUT_S, extra_args=serve.args(args.workers), context=context
        )
        out(f"started the workshop platform: {url} ({args.workers} training workers)")
        settings = workshop.update(root, url=url, **serve.settings(url))
    else:
        url = running
        out(
            f"the workshop platform already runs at {url}; added what was new (workshop stop, then start, "
            "to change --listen, --cert, --public-url or --workers)"
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
    if skipped := facilitator_note(settings.facilitator, fresh):
        out(skipped)
    note = ""
    if args.attendees is not None:
        note = f"; --attendees {args.attendees} is a class of {args.attendees} numbered attendees: "
        note += f"{len(fresh)} added" if fresh else "all there already"
    out(
        f"tenant {settings.tenant}: {counted(len(settings.attendees), 'attendee')} ({len(made)} new{note}), "
        f"facilitator {settings.facilitator}; deployments: {settings.max_deployments_per_attendee} per "
        f"attendee, {settings.max_deployments} in all"
    )
    out(f"handout (user, password, the command to join): {where}")
    wrap(
        f"Attendees run the command on their line of the handout, then mlops-tui. You watch the class with "
        f"mlops-tui workshop status (or mlops-tui --profile {args.profile or PROFILE}); stop it with "
        "mlops-tui workshop stop.",
    )
    return 0


class _Serve:
    """How the platform is to serve: address, TLS files, the URL for the handout."""

    def __init__(self, host: str, port: int, cert: str, key: str, public_url: str) -> None:
        self.host, self.port, self.cert, self.key, self.public_url = host, port, cert, key, public_url

    def args(self, workers: int) -> list[str]:
        extra = ["--host", self.host, "--port", str(self.port), "--workers", str(workers)]
        if self.cert:
            extra += ["--cert", self.cert, "--key", self.key]
        host = urlsplit(self.public_url).hostname if self.public_url else None
        if host:  # deployment URLs name the host attendees reach, as the handout does
            extra += ["--public-host", f"[{host}]" if ":" in host else host]
        return extra

    def settings(self, url: str) -> dict[str, str]:
        """What a start that worked stores for the next (its real port, for a port 0)."""
        port = url.rpartition(":")[2].split("/", 1)[0]
        return {
            "listen": _address(self.host, int(port) if port.isdigit() else self.port),
            "cert_file": self.cert,
            "key_file": self.key,
            "ca_file": self.cert,
            "public_url": self.public_url,
        }


def _stored_listen(current: Any) -> str:
    """The address the last start listened on: stored since this version; for a class made before,
    the host and port of its URL when that is an address (a host name is what ``getfqdn`` gave for
    every interface, which cannot be told apart: then its port on loopback)."""
    if current is None:
        return ""
    if current.listen:
        return current.listen
    if not current.url:
        return ""
    host, _, port = current.url.split("://", 1)[-1].rpartition(":")
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        host = "127.0.0.1"
    return f"{host}:{port}"


def _serving(args: Any, current: Any) -> tuple[ssl.SSLContext | None, _Serve]:
    """Check ``--listen``, ``--cert``/``--key`` and ``--public-url`` (each defaulting to what the
    last start that worked used) before anything is made."""
    host, port = _listen(args.listen, _stored_listen(current))
    if bool(args.cert) != bool(args.key):
        raise InvalidInput("--cert and --key go together", field="cert")
    if args.cert:
        cert, key = check_tls_files(args.cert, args.key)
    elif current is not None and current.cert_file:
        cert, key = check_tls_files(current.cert_file, current.key_file, stored=True)
    elif current is not None and current.ca_file:  # made before the key was stored
        raise InvalidInput(
            f"this class served HTTPS with the certificate {current.ca_file}: pass --cert "
            f"{current.ca_file} --key FILE again (the handout tells attendees to trust it)",
            field="cert",
            hint="",
        )
    else:
        cert = key = ""
    if not _is_loopback(host) and not cert:
        raise InvalidInput(
            f"--listen {host}: attendees on other hosts need HTTPS, or their passwords cross the network "
            "in clear: add --cert FILE --key FILE (PEM)",
            field="listen",
        )
    public = _public_url(args.public_url, bool(cert))
    if args.public_url is None and current is not None and args.listen is None:  # a restart: as before
        public = current.public_url if current.public_url.startswith("https:" if cert else "http:") else ""
    _remote_name_check(host, port, public)
    if launcher.running_url(state_dir(args), _tls_context(cert)) is None:
        _can_listen(host, port, given=args.listen is not None)
    return _tls_context(cert), _Serve(host, port, cert, key, public)


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
    attendees, fresh = _attendees(args, current.attendees, current.facilitator, class_of=False)
    if not attendees:
        raise InvalidInput("whom to add: user ids, --roster FILE or --attendees N", field="users")
    try:
        settings, accounts = workshop.setup(
            root,
            tenant=current.tenant,
            facilitator=current.facilitator,
            attendees=attendees,
            progress=_progress,
        )
    except _errors() as exc:
        raise InvalidInput(str(exc), hint="") from None
    workshop.handout(root, settings)
    new = [a.user for a in accounts if a.role == "attendee" and a.password]
    kept = [a for a in attendees if a not in new]
    if skipped := facilitator_note(current.facilitator, fresh, new=True):
        out(skipped)
    out(
        f"added {counted(len(new), 'attendee')}: {', '.join(new) or 'none'}"
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
    if workshop.load(root) is None:
        raise InvalidInput(workshop.NO_WORKSHOP.format(root=root), hint="")
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


def _class_profile(args: Any) -> str:
    """The facilitator's profile (``--profile``, else ``workshop``); refused, saying to start the
    class, when it does not exist (``workshop start`` makes it)."""
    name = args.profile or PROFILE
    if name not in config.load_config().profiles:
        root = state_dir(args)
        running = launcher.running_url(root, None) if (root / "platform.json").exists() else None
        if running is not None:  # a start that was interrupted (Ctrl-C) after the platform came up
            raise InvalidInput(
                f"no profile {shown(name)}, but the workshop platform runs at {running}: its start did not "
                "finish (interrupted?)",
                field="profile",
                hint="run the same mlops-tui workshop start again: it adds what is missing and writes "
                "the handout",
            )
        raise InvalidInput(
            f"no profile {shown(name)}: start the class first (mlops-tui workshop start makes it), or "
            "pass --profile NAME",
            field="profile",
            hint="",
        )
    return name


async def status(args: Any) -> int:
    """The class table (stuck attendees first), or the class view as JSON with ``-o json``."""
    from mlops_tui.headless.common import connect

    conn = connect(_class_profile(args), start=False)
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
        f"class of tenant {view.tenant}: {counted(len(people), 'attendee')}; training: {view.running_jobs} "
        f"running{queue} on {counted(view.workers, 'worker')} "
        f"(a job takes about {view.typical_job_seconds or 0:.0f} s)"
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
    conn = connect(_class_profile(args), start=False)
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
    """Create and select the attendee's profile, check the password, store it.

    The URL is kept as :func:`config.normal_url` writes it (spaces around it and a trailing ``/``
    from a copied handout removed). The password is taken without spaces around it (the handout's
    passwords hold none: :func:`mlops_tui.platform.workshop.generate_password`); typed, a refused
    one is asked again, :data:`JOIN_TRIES` times in all."""
    from mlops_tui.services.factory import build_platform, resolve

    url = config.normal_url(args.url)
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(
            f"{shown(args.url)}: the URL must start with http:// or https:// (see your handout)", field="url"
        )
    _checked_name("user", args.user, "--user")
    _checked_name("tenant", args.tenant, "--tenant")
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
    cfg = config.load_config()
    if name in cfg.profiles and cfg.profiles[name] != profile and not args.replace:
        old = cfg.profiles[name]
        if (old.url, old.user) != (profile.url, profile.user):
            raise Conflict(
                f"profile {shown(name)} already points at {old.url or 'the local platform'} as {old.user}",
                hint="add --replace to point it here, or --profile NAME for another profile",
            )
    typed = not (args.password_stdin or not sys.stdin.isatty())
    await _platform_answers(profile)  # before a password is typed, or a profile saved, for nothing
    password = _password(args)
    cfg.add(profile, replace=True)
    cfg.use(name)
    if password is None:
        cfg.save()
        out(f"profile {name} saved and made active ({args.user} on {url}); no password given here:")
        out("run mlops-tui and log in on its login screen (the password is then stored for you)")
        return 0
    for attempt in range(1, JOIN_TRIES + 1):
        platform = build_platform(resolve(profile, start=False, password=password))
        try:
            session = await platform.login()
            break
        except AuthFailed as exc:
            if not typed or attempt == JOIN_TRIES or exc.status == 429:
                raise
            out(f"{exc.message}: try again ({attempt} of {JOIN_TRIES} tries)")
            password = _password(args)
            assert password is not None
        finally:
            await platform.aclose()
    cfg.save()
    where = credentials.store_password(name, args.user, password)
    out(f"joined: {session.user} in tenant {session.tenant} on {url} (profile {name}, now active)")
    out(f"password stored in {where}")
    out("now run: mlops-tui")
    return 0


JOIN_TRIES = 3


async def _platform_answers(profile: config.Profile) -> None:
    """Whether ``profile.url`` is an mlops-tui platform, asked with ``GET /health`` (no session):
    a wrong port or host, the wrong scheme, an untrusted certificate, or another web server there
    (a 404, an HTML page) is said before any password is asked and before anything is stored.
    Raises the adapter's Unreachable, or InvalidInput naming the URL."""
    from mlops_tui.services import errors
    from mlops_tui.services.factory import build_platform, resolve

    platform = build_platform(resolve(profile, start=False, password=""))
    try:
        answer = await platform.health()  # type: ignore[attr-defined]
    except errors.Unreachable:
        raise
    except errors.PlatformError as exc:
        said = f"HTTP {exc.status} at /api/mlops/v1/health" if exc.status else "not its health answer"
        raise InvalidInput(
            f"{profile.url} answers, but not as an mlops-tui platform ({said})",
            field="url",
            hint="check the URL on your handout (host and port)",
        ) from None
    finally:
        await platform.aclose()
    if not isinstance(answer, dict) or "status" not in answer:
        raise InvalidInput(
            f"{profile.url} answers, but not as an mlops-tui platform",
            field="url",
            hint="check the URL on your handout (host and port)",
        )


def _password(args: Any) -> str | None:
    """The password without the spaces a copy from the handout brings; None: none given without a
    terminal (the TUI's login screen asks). Raises :class:`AuthFailed` for an empty one asked for,
    or for the end of input (Ctrl-D) at the prompt."""
    if args.password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().strip()
        if not password and args.password_stdin:
            raise AuthFailed("no password on stdin", hint="pipe it: echo PASSWORD | mlops-tui join …")
        return password or None
    try:
        password = getpass.getpass(f"password of {args.user} (from your handout): ").strip()
    except EOFError:
        print(file=sys.stderr)
        raise AuthFailed(
            "no password given (the input ended)", hint="run your join line again and type the password"
        ) from None
    if not password:
        raise AuthFailed("no password given", hint="type the password printed on your handout")
    return password
