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

import codecs
import csv
import json
import re
import secrets
from collections.abc import Callable, Iterable
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

    ``url``: where the platform answers (as it published it); ``public_url``: where attendees
    join, when the facilitator named it (``--public-url``), else ``url``; ``ca_file``: the
    certificate to trust when it is HTTPS with a certificate of its own. ``listen``, ``cert_file``
    and ``key_file``: how the last start that worked served (``HOST:PORT``, absolute paths), which a
    restart reuses so the handout stays valid. Caps: running deployments per attendee and on the
    whole platform.
    """

    tenant: str
    facilitator: str = DEFAULT_FACILITATOR
    url: str = ""
    ca_file: str = ""
    public_url: str = ""
    listen: str = ""
    cert_file: str = ""
    key_file: str = ""
    max_deployments_per_attendee: int = DEFAULT_PER_ATTENDEE
    max_deployments: int = DEFAULT_TOTAL
    attendees: tuple[str, ...] = field(default=())


def join_url(value: Settings) -> str:
    """The URL the handout gives attendees: ``public_url`` when set, else the platform's own."""
    return value.public_url or value.url


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


# A roster's first line is a header when it holds one of these column names (case and spaces around
# them ignored): the id columns, then the ones spreadsheets of people usually have. The ids come
# from the first id column, else from the first column. Compared as :func:`_column` writes them.
ID_COLUMNS = ("user", "user_id", "userid", "username", "user name", "login", "id")
HEADER_WORDS = (*ID_COLUMNS, "name", "email", "e-mail", "mail", "first name", "last name", "full name")


def _roster_text(path: Path) -> str:
    """The roster's text: UTF-16 with its byte-order mark (Excel's "Unicode text"), UTF-8 with or
    without one. Raises :class:`WorkshopError` naming the line of bytes that are not UTF-8."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WorkshopError(f"cannot read the roster {path}: {exc.strerror}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].decode("utf-16", "replace").count("\n") + 1
            raise WorkshopError(
                f"{path} line {line}: not UTF-16 text as its byte-order mark says: save it as CSV UTF-8"
            ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise WorkshopError(
            f"{path} line {line}: byte 0x{data[exc.start]:02x} is not UTF-8 text: save the roster as "
            "CSV UTF-8 (Excel: Save As, CSV UTF-8) and try again"
        ) from None


def _column(name: str) -> str:
    """A column name as compared: lower case, ``_`` and ``-`` as spaces (``User ID`` = ``user_id``)."""
    return " ".join(name.lower().replace("_", " ").replace("-", " ").split())


def read_roster_lines(path: Path) -> list[tuple[int, str]]:
    """``(line number, user id)`` of every attendee of a CSV roster (see :func:`read_roster`)."""
    text = _roster_text(path)
    rows = [(n, r) for n, r in enumerate(csv.reader(text.splitlines()), 1) if any(c.strip() for c in r)]
    if not rows:
        raise WorkshopError(f"the roster {path} is empty: one user id per line (or a 'user' column)")
    header = [_column(c) for c in rows[0][1]]
    column, start = 0, 0
    if any(h in {_column(w) for w in HEADER_WORDS} for h in header):
        start = 1
        ids = [h in {_column(w) for w in ID_COLUMNS} for h in header]
        column = ids.index(True) if any(ids) else 0
    if len(rows) == start:
        raise WorkshopError(
            f"the roster {path} has a header line but no attendees: add one user id per line under it"
        )
    users: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    folders: dict[str, tuple[int, str]] = {}
    for n, row in rows[start:]:
        user = row[column].strip() if column < len(row) else ""
        try:
            names.check("user", user)
        except ValueError as exc:
            raise WorkshopError(f"{path} line {n}: the user id {exc}") from None
        if user in seen:
            raise WorkshopError(f"{path} line {n}: {user} is listed twice (line {seen[user]} too)")
        other = folders.get(names.user_folder(user))
        if other is not None:
            raise WorkshopError(
                f"{path} line {n}: {user} would share the folders {names.user_folder(user)}/ with {other[1]} "
                f"(line {other[0]}; folders are the id in lower case): change one of them"
            )
        seen[user] = n
        folders[names.user_folder(user)] = (n, user)
        users.append((n, user))
    return users


def read_roster(path: Path) -> list[str]:
    """User ids from a CSV roster: a column named ``user`` (or another of :data:`ID_COLUMNS`),
    else the first column. The first line is a header when it holds one of :data:`HEADER_WORDS`
    (``name,email`` is a header, not a user called ``name``). UTF-8 (with or without a byte-order
    mark) or UTF-16 with one (Excel's "Unicode text").

    Raises :class:`WorkshopError` naming the line of an invalid or repeated id, or of bytes that
    are not text in that encoding; and for a roster with no attendees.
    """
    return [user for _, user in read_roster_lines(path)]


def numbered(existing: Iterable[str], count: int, prefix: str = DEFAULT_PREFIX) -> list[str]:
    """``count`` new ids ``student01``, ``student02`` … after the highest one already used
    (``existing`` holds every id taken, the facilitator's too)."""
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
        raise WorkshopError(
            f"{user} would share the folders {folder}/ with {other} (folders are the id in lower case): "
            "choose another user id"
        )
    shared = bootstrap.DATA_DIR.rsplit("/", 1)[1]  # the tenant's shared data, made after the accounts
    if folder == shared.lower():
        raise WorkshopError(
            f"{user}'s folder data/{folder}/ would be the tenant's shared data/{shared}/: "
            "choose another user id"
        )
    for top in TOP_DIRS:
        if other is not None or not (repo.root / top).is_dir():
            continue
        # by name in any case: data/NYCTaxi/ is shared data for the id NYCTaxi (folder nyctaxi/) too,
        # and on a case-insensitive file system the two would be one folder
        taken = next((p.name for p in (repo.root / top).iterdir() if p.name.lower() == folder), None)
        if taken is not None:
            raise WorkshopError(
                f"{user}'s folder {top}/{folder}/ would be the tenant's shared {top}/{taken}/: "
                "choose another user id"
            )


def _check_people(
    tenant: str,
    facilitator: str,
    attendees: list[str],
    existing: dict[str, str],
    current: Settings | None,
) -> None:
    """Every refusal that needs no files: names, the facilitator's id and the roles of existing
    accounts (an attendee never becomes the facilitator, nor the reverse: that cannot be undone)."""
    names.check("tenant", tenant)
    names.check("user", facilitator)
    if existing.get(facilitator, FACILITATOR) != FACILITATOR:
        raise WorkshopError(
            f"{facilitator} is already an {existing[facilitator]} of this workshop: choose another "
            "--facilitator (the default is facilitator)"
        )
    if current is not None and current.facilitator != facilitator:
        raise WorkshopError(
            f"this workshop's facilitator is {current.facilitator}: --facilitator {names.shown(facilitator)} "
            f"cannot change it (leave --facilitator out, or use another --state-dir for another class)"
        )
    for user in attendees:
        names.check("user", user)
        if user == facilitator:
            raise WorkshopError(f"{user} is the facilitator's id: it cannot be an attendee too")
        if existing.get(user, ATTENDEE) != ATTENDEE:
            raise WorkshopError(f"{user} is already the {existing[user]} of this workshop, not an attendee")


def setup(
    state_dir: str | Path | None,
    *,
    tenant: str,
    facilitator: str,
    attendees: Iterable[str],
    progress: Callable[[int, int], None] | None = None,
    **changes: object,
) -> tuple[Settings, list[Account]]:
    """Make (or extend) the workshop on ``state_dir``: the tenant, the facilitator and every
    attendee not there yet (generated passwords), their repository folders, and the settings
    (``changes``: any :class:`Settings` field). Existing accounts keep their passwords.

    All or nothing: every id is checked (name, role, folders) before the first account is made;
    each generated password is written to the accounts file before its account exists, so a run
    cut short leaves no account whose password is lost. ``progress(done, total)`` is called after
    each new account (a password hash takes about 50 ms: a 500-line roster takes seconds).

    Refuses (:class:`SandboxUnavailable`) where no sandbox can be made, and (:class:`WorkshopError`)
    a platform that is another tenant's workshop, an invalid id, a facilitator id that is an
    attendee (or the reverse), another facilitator than the workshop's, or a user id whose folders
    are taken.
    """
    attendees = list(dict.fromkeys(attendees))
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
            known = auth.namespace(tenant) is not None
            existing = {u["name"]: u["role"] for u in auth.users(tenant)} if known else {}
            try:
                _check_people(tenant, facilitator, attendees, existing, current)
            except ValueError as exc:  # names.check's, and ours
                raise WorkshopError(str(exc)) from None
            auth.ensure_tenant(tenant)
            bootstrap.ensure_tenant(db, paths, tenant)
            repo = Repo(paths.tenant_repo(auth.namespace(tenant) or ""))
            folders = auth.attendee_folders(tenant)
            for user in attendees:  # every folder checked before anything is made
                _check_folder(repo, user, folders)
                folders[names.user_folder(user)] = user
            wanted = [(facilitator, FACILITATOR)] + [(u, ATTENDEE) for u in attendees]
            accounts = _accounts(paths)
            new = [user for user, _ in wanted if user not in existing]
            for user in new:
                accounts[user] = generate_password()
            _save_accounts(paths, accounts)
            made: list[Account] = []
            for user, role in wanted:
                if user in existing:
                    made.append(Account(user, role, None))
                else:
                    auth.set_user(tenant, user, accounts[user], role)
                    made.append(Account(user, role, accounts[user]))
                    if progress is not None:
                        progress(len([a for a in made if a.password]), len(new))
                if role == ATTENDEE:
                    repo.ensure_user_folders(user)
            roster = [u for u in (current.attendees if current else ()) if u in folders.values()]
            roster += [a.user for a in made if a.role == ATTENDEE and a.user not in roster]
            base = current or Settings(tenant=tenant, facilitator=facilitator)
            value = replace(base, facilitator=facilitator, attendees=tuple(roster), **changes)  # type: ignore[arg-type]
            save_settings(db, value)
            return value, made
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
    url = join_url(current)
    https = url.startswith("https://")
    ca = f" --ca-file {Path(current.ca_file).name}" if current.ca_file and https else ""
    if current.tenant != bootstrap.DEFAULT_TENANT:
        ca = f" --tenant {current.tenant}{ca}"
    lines = [
        f"mlops-tui workshop: tenant {current.tenant} at {url or '(not running)'}",
        "Run the command on your line, type your password when asked, then run: mlops-tui",
    ]
    if ca.endswith(Path(current.ca_file).name) and current.ca_file:
        lines.append(f"First copy the platform's certificate {current.ca_file} to where you run the command.")
    lines.append("")
    width = max([len(u) for u in current.attendees] + [4])
    lines.append(f"{'USER':<{width}}  {'PASSWORD':<14}  JOIN WITH")
    for user in current.attendees:
        password = accounts.get(user, "(reset it)")
        lines.append(f"{user:<{width}}  {password:<14}  mlops-tui join {url} --user {user}{ca}")
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
    "join_url",
    "numbered",
    "read_roster",
    "read_roster_lines",
    "reset_password",
    "settings",
    "setup",
]
