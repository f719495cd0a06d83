"""Workshop mode on the platform's side: the class's accounts, settings and handout (issue 9 §1).

A workshop platform is the local platform in *shared* mode: one tenant, a ``facilitator`` and one
``attendee`` account per person (roles: :mod:`access`), the shared training cluster, caps on
running deployments, and every job, server and notebook in a sandbox (:mod:`sandbox`). Like
``add-user`` these are local admin actions on the state directory (no HTTP; they work whether or
not the platform runs), driven by ``mlops-tui workshop …`` (``headless/workshop.py``).

Passwords are generated (:func:`generate_password`: 12 characters from 31 unambiguous ones,
about 59 bits) and stored hashed like every password; the clear ones exist only in
``<state>/workshop-accounts.json`` (0600, in the 0700 state directory no sandbox sees), from which
the printable handout is written: the facilitator must be able to print it again.
"""

from __future__ import annotations

import csv
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from mlops_tui.platform import bootstrap, names
from mlops_tui.platform.access import ATTENDEE, FACILITATOR
from mlops_tui.platform.auth import Auth
from mlops_tui.platform.db import Database
from mlops_tui.platform.integrity import check_state
from mlops_tui.platform.repo import TOP_DIRS, Repo
from mlops_tui.platform.sandbox import SandboxUnavailable, find
from mlops_tui.platform.state import StatePaths, private_umask, write_private

SETTINGS_KEY = "workshop"
ACCOUNTS_FILE = "workshop-accounts.json"
HANDOUT_FILE = "handout.txt"
DEFAULT_FACILITATOR = "facilitator"
DEFAULT_PREFIX = "student"
# One deployment each, as in the workshop; 50 on the platform: ~70 MB each, so a 40-person class
# fits an 8 GB jump host (benchmarks/workshop_class.py measures a server).
DEFAULT_PER_ATTENDEE = 1
DEFAULT_TOTAL = 50
NO_WORKSHOP = "{root} holds no workshop: start one with mlops-tui workshop start"
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


class WorkshopError(ValueError):
    """A roster, a name or a request that cannot be done; the message says what to change."""


@dataclass(frozen=True)
class Settings:
    """What the facilitator chose (stored in the database's ``meta`` table under ``workshop``).

    ``url``: where attendees join; ``ca_file``: the certificate to trust when it is HTTPS with a
    certificate of its own. Caps: running deployments per attendee and on the whole platform.
    """

    tenant: str
    facilitator: str = DEFAULT_FACILITATOR
    url: str = ""
    ca_file: str = ""
    max_deployments_per_attendee: int = DEFAULT_PER_ATTENDEE
    max_deployments: int = DEFAULT_TOTAL
    attendees: tuple[str, ...] = field(default=())


def settings(db: Database) -> Settings | None:
    """The workshop settings of this platform, or None when it is a personal platform."""
    data = db.meta(SETTINGS_KEY)
    if not isinstance(data, dict):
        return None
    known = {k: v for k, v in data.items() if k in Settings.__dataclass_fields__}
    known["attendees"] = tuple(known.get("attendees") or ())
    return Settings(**known)


def save_settings(db: Database, value: Settings) -> None:
    db.set_meta(SETTINGS_KEY, asdict(value))


def generate_password() -> str:
    """``xxxx-xxxx-xxxx`` from :data:`PASSWORD_ALPHABET` (31^12, about 59 bits)."""
    groups = ["".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "-".join(groups)


def read_roster(path: Path) -> list[str]:
    """User ids from a CSV roster: a column named ``user`` (or ``user_id``, ``userid``,
    ``username``, ``id``), else the first column; a header row is recognised by that name.

    Raises :class:`WorkshopError` naming the line of an invalid or repeated id.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise WorkshopError(f"cannot read the roster {path}: {exc.strerror}") from None
    rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
    if not rows:
        raise WorkshopError(f"the roster {path} is empty: one user id per line (or a 'user' column)")
    header = [c.strip().lower() for c in rows[0]]
    column, start = 0, 0
    for name in ("user", "user_id", "userid", "username", "id"):
        if name in header:
            column, start = header.index(name), 1
            break
    users: list[str] = []
    for n, row in enumerate(rows[start:], start + 1):
        user = row[column].strip() if column < len(row) else ""
        try:
            names.check("user", user)
        except ValueError as exc:
            raise WorkshopError(f"{path} line {n}: the user id {exc}") from None
        if user in users:
            raise WorkshopError(f"{path} line {n}: {user} is listed twice")
        users.append(user)
    return users


def numbered(existing: Iterable[str], count: int, prefix: str = DEFAULT_PREFIX) -> list[str]:
    """``count`` new ids ``student01``, ``student02`` … after the highest one already used."""
    pattern = re.compile(rf"^{re.escape(prefix)}(\d+)$")
    taken = [int(m.group(1)) for u in existing if (m := pattern.match(u))]
    first = max(taken, default=0) + 1
    width = max(2, len(str(first + count - 1)))
    return [f"{prefix}{n:0{width}d}" for n in range(first, first + count)]


@dataclass(frozen=True)
class Account:
    user: str
    role: str
    password: str | None  # None: kept (an existing account)


def _accounts(paths: StatePaths) -> dict[str, str]:
    try:
        data = json.loads((paths.root / ACCOUNTS_FILE).read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _save_accounts(paths: StatePaths, accounts: dict[str, str]) -> None:
    write_private(paths.root / ACCOUNTS_FILE, json.dumps(accounts, indent=1, sort_keys=True).encode())


def require_sandbox(paths: StatePaths) -> None:
    """Raise :class:`SandboxUnavailable` (what to install) when no sandbox can be made here."""
    from mlops_tui.config import config_dir

    find([paths.root, config_dir(), Path.home()])


def _check_folder(repo: Repo, user: str, attendees: dict[str, str]) -> None:
    """An attendee's folders must not be shared data already, nor another attendee's."""
    folder = names.user_folder(user)
    other = attendees.get(folder)
    if other is not None and other != user:
        raise WorkshopError(f"{user} would share the folders {folder}/ with {other}: choose another user id")
    for top in TOP_DIRS:
        if other is None and (repo.root / top / folder).exists():
            raise WorkshopError(
                f"{user}'s folder {top}/{folder}/ already holds the tenant's shared files: "
                "choose another user id"
            )


def setup(
    state_dir: str | Path | None,
    *,
    tenant: str,
    facilitator: str,
    attendees: Iterable[str],
    **changes: object,
) -> tuple[Settings, list[Account]]:
    """Make (or extend) the workshop on ``state_dir``: the tenant, the facilitator and every
    attendee not there yet (generated passwords), their repository folders, and the settings
    (``changes``: any :class:`Settings` field). Existing accounts keep their passwords.

    Refuses (:class:`SandboxUnavailable`) where no sandbox can be made, and (:class:`WorkshopError`)
    a platform that is another tenant's workshop or a user id whose folders are taken.
    """
    paths = StatePaths.resolve(state_dir)
    with private_umask():
        paths.ensure()
        check_state(paths.root)
        require_sandbox(paths)
        db = Database(paths.db)
        try:
            auth = Auth(db)
            current = settings(db)
            if current is not None and current.tenant != tenant:
                raise WorkshopError(
                    f"this platform already runs the workshop of tenant {current.tenant}; use --tenant "
                    f"{current.tenant} or another --state-dir"
                )
            names.check("tenant", tenant)
            auth.ensure_tenant(tenant)
            bootstrap.ensure_tenant(db, paths, tenant)
            repo = Repo(paths.tenant_repo(auth.namespace(tenant) or ""))
            accounts = _accounts(paths)
            made: list[Account] = []
            existing = {u["name"]: u["role"] for u in auth.users(tenant)}
            wanted = [(facilitator, FACILITATOR)] + [(u, ATTENDEE) for u in attendees if u != facilitator]
            folders = auth.attendee_folders(tenant)
            for user, role in wanted:
                names.check("user", user)
                if role == ATTENDEE:
                    _check_folder(repo, user, folders)
                    folders[names.user_folder(user)] = user
                if user in existing:
                    if existing[user] != role:
                        auth.db.execute(
                            "UPDATE users SET role = ? WHERE tenant = ? AND name = ?", (role, tenant, user)
                        )
                    made.append(Account(user, role, None))
                else:
                    password = generate_password()
                    auth.set_user(tenant, user, password, role)
                    accounts[user] = password
                    made.append(Account(user, role, password))
                if role == ATTENDEE:
                    repo.ensure_user_folders(user)
            _save_accounts(paths, accounts)
            roster = [u for u in (current.attendees if current else ()) if u in folders.values()]
            roster += [a.user for a in made if a.role == ATTENDEE and a.user not in roster]
            base = current or Settings(tenant=tenant, facilitator=facilitator)
            new = replace(base, facilitator=facilitator, attendees=tuple(roster), **changes)  # type: ignore[arg-type]
            save_settings(db, new)
            return new, made
        finally:
            db.close()


def load(state_dir: str | Path | None) -> Settings | None:
    """The workshop settings of ``state_dir`` (None: no workshop there, or no platform at all)."""
    paths = StatePaths.resolve(state_dir)
    if not paths.db.is_file():
        return None
    with private_umask():
        check_state(paths.root)
        db = Database(paths.db)
        try:
            return settings(db)
        finally:
            db.close()


def update(state_dir: str | Path | None, **changes: object) -> Settings:
    """Change settings of the workshop of ``state_dir`` (e.g. its ``url`` once it listens)."""
    paths = StatePaths.resolve(state_dir)
    with private_umask():
        db = Database(paths.db)
        try:
            current = settings(db)
            if current is None:
                raise WorkshopError(NO_WORKSHOP.format(root=paths.root))
            new = replace(current, **changes)  # type: ignore[arg-type]
            save_settings(db, new)
            return new
        finally:
            db.close()


def reset_password(state_dir: str | Path | None, user: str) -> str:
    """A new generated password for ``user`` of the workshop (the handout is updated); returns it."""
    paths = StatePaths.resolve(state_dir)
    with private_umask():
        check_state(paths.root)
        db = Database(paths.db)
        try:
            current = settings(db)
            if current is None:
                raise WorkshopError(NO_WORKSHOP.format(root=paths.root))
            auth = Auth(db)
            if user not in {u["name"] for u in auth.users(current.tenant)}:
                raise WorkshopError(f"{user} is not in the workshop of tenant {current.tenant}")
            password = generate_password()
            auth.set_user(current.tenant, user, password)
            db.execute("DELETE FROM sessions WHERE tenant = ? AND user = ?", (current.tenant, user))
            accounts = _accounts(paths)
            accounts[user] = password
            _save_accounts(paths, accounts)
            return password
        finally:
            db.close()


def handout(state_dir: str | Path | None, current: Settings) -> str:
    """The printable handout: one line per attendee with user id, password and the one command to
    join; written to ``<state>/handout.txt`` (0600) too."""
    paths = StatePaths.resolve(state_dir)
    accounts = _accounts(paths)
    ca = f" --ca-file {Path(current.ca_file).name}" if current.ca_file else ""
    if current.tenant != bootstrap.DEFAULT_TENANT:
        ca = f" --tenant {current.tenant}{ca}"
    lines = [
        f"mlops-tui workshop: tenant {current.tenant} at {current.url or '(not running)'}",
        "Run the command on your line, type your password when asked, then run: mlops-tui",
    ]
    if current.ca_file:
        lines.append(f"First copy the platform's certificate {current.ca_file} to where you run the command.")
    lines.append("")
    width = max([len(u) for u in current.attendees] + [4])
    lines.append(f"{'USER':<{width}}  {'PASSWORD':<14}  JOIN WITH")
    for user in current.attendees:
        password = accounts.get(user, "(reset it)")
        lines.append(f"{user:<{width}}  {password:<14}  mlops-tui join {current.url} --user {user}{ca}")
    text = "\n".join(lines) + "\n"
    with private_umask():
        write_private(paths.root / HANDOUT_FILE, text.encode())
    return text


def facilitator_password(state_dir: str | Path | None, user: str) -> str | None:
    """The facilitator's generated password (to store in their own credential store)."""
    return _accounts(StatePaths.resolve(state_dir)).get(user)


__all__ = [
    "Account",
    "SandboxUnavailable",
    "Settings",
    "WorkshopError",
    "generate_password",
    "handout",
    "numbered",
    "read_roster",
    "reset_password",
    "settings",
    "setup",
]
