"""Data files in the project repository, with their profiles, over the Platform interface.

The CLI (``mlops-tui data …``, ``lab run --data``) and the TUI's Data screen call these; the
profile itself is computed by the lab code (``lab_scripts.data_profile``, the code the training job
runs), so the preview and the training job give the same reasons for every dropped ride.

A profile is stored beside its file as ``<file>.profile.json`` (``data/march.csv.profile.json``)
when the file is uploaded or previewed, so ``data list`` shows profiles without reading the data
again. A stored profile counts only while it matches its file: same size, and written no earlier
than the file (a file uploaded again by other means makes its profile stale).

No Textual here; pandas and pyarrow are imported only when a profile is computed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_tui.platform import names
from mlops_tui.services import errors, ownership
from mlops_tui.services.platform import Platform, Progress
from mlops_tui.services.types import RepoEntry

PROFILE_SUFFIX = ".profile.json"


@dataclass(frozen=True)
class DataFile:
    """A data file of the repository and its stored profile (None when absent or stale)."""

    entry: RepoEntry
    profile: dict[str, Any] | None = None
    stale: bool = False

    @property
    def path(self) -> str:
        return self.entry.path

    @property
    def name(self) -> str:
        """The name people type: the path without ``data/``."""
        return self.entry.path.removeprefix(names.DATA_DIR + "/")


def data_path(name: str) -> str:
    """``names.data_path`` as the typed error of the services (InvalidInput naming ``data``)."""
    try:
        return names.data_path(name)
    except ValueError as exc:
        raise errors.InvalidInput(str(exc), field="data") from None


def upload_path(file: Path, name: str | None = None) -> str:
    """The repository path the local ``file`` is uploaded to: ``data/<name>``, else
    ``data/<the file's own name>``.

    Raises InvalidInput naming the refused name as typed; when it is the file's own name (spaces,
    quotes), the hint is the command that uploads it under an accepted one, the file name
    shell-quoted so the command works when pasted (``mlops-tui data upload 'my rides.csv' --as
    my-rides.csv``); when it is ``name`` (``--as``), the hint names an accepted one."""
    wanted = file.name if name is None else name
    try:
        return names.data_path(wanted)
    except ValueError as exc:
        better = names.suggested_data_name(wanted)
        if better is None:
            hint = "the taxi code reads only CSV, CSV.gz and Parquet files (.csv, .csv.gz, .parquet)"
        elif name is None:
            upload = f"mlops-tui data upload {names.as_argument(str(file))} --as {better}"
            hint = f"upload it under a name such as {better}: {upload}"
        else:
            hint = f"choose a name such as {better}"
        raise errors.InvalidInput(str(exc), field="data", hint=hint) from None


def profile_path(path: str) -> str:
    return path + PROFILE_SUFFIX


def _fresh(stored: dict[str, Any], entry: RepoEntry, profile_entry: RepoEntry) -> bool:
    same_size = (stored.get("data") or {}).get("size") == entry.size
    newer = (
        profile_entry.modified_at is None
        or entry.modified_at is None
        or profile_entry.modified_at >= entry.modified_at
    )
    return same_size and newer


async def list_data(p: Platform) -> list[DataFile]:
    """Every data file under ``data/`` (names.is_data_file), by path, with its stored profile."""
    entries = await p.list_repo(names.DATA_DIR + "/")
    by_path = {e.path: e for e in entries if not e.is_dir}
    files = [e for path, e in sorted(by_path.items()) if names.is_data_file(path)]

    async def one(entry: RepoEntry) -> DataFile:
        stored_entry = by_path.get(profile_path(entry.path))
        if stored_entry is None:
            return DataFile(entry)
        try:
            stored = json.loads(await p.fetch_repo(stored_entry.path))
        except (errors.PlatformError, ValueError):
            return DataFile(entry, None, stale=True)
        if not isinstance(stored, dict) or not _fresh(stored, entry, stored_entry):
            return DataFile(entry, None, stale=True)
        return DataFile(entry, stored)

    return list(await asyncio.gather(*(one(e) for e in files)))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def profile_file(path: Path, *, period: str | None = None, name: str | None = None) -> dict[str, Any]:
    """The lab code's profile of a local trip file, plus ``data`` {path, size, sha256}.

    Blocking (reads the whole file): run it in a thread. Raises InvalidInput when the file is not
    a TLC trip file (missing columns, unreadable) or the period is malformed.
    """
    from mlops_tui.lab_scripts import data_profile

    try:
        prof = data_profile.profile(path, period=period)
    except FileNotFoundError:
        raise errors.InvalidInput(f"no such file: {path}", field="file") from None
    except (OSError, ValueError) as exc:  # MissingColumnsError is a ValueError
        raise errors.InvalidInput(" ".join(str(exc).split()), field="file") from None
    prof["file"] = name or path.name
    prof["data"] = {"path": name or str(path), "size": path.stat().st_size, "sha256": sha256_file(path)}
    return prof


@dataclass(frozen=True)
class Uploaded:
    """What :func:`upload_data` did: the repository entry, the file's profile, and whether the
    file was already there with the same content (``unchanged``: nothing was sent)."""

    entry: RepoEntry
    profile: dict[str, Any] | None
    unchanged: bool = False


async def upload_data(
    p: Platform,
    file: Path,
    name: str | None = None,
    *,
    progress: Progress | None = None,
    period: str | None = None,
    profile: bool = True,
    replace: bool = False,
) -> Uploaded:
    """Profile ``file`` (refusing what the taxi code cannot read), upload it as ``data/<name>``
    (default: its own name; an attendee's default is their folder, ``data/<their folder>/<name>``),
    then store its profile beside it. A path the session may not write is refused (Forbidden)
    before the file is read or sent.

    A data file already at that path is never replaced silently: with the same content (the
    sha256 its stored profile recorded) nothing is sent and ``unchanged`` says so; with other
    content it is replaced only with ``replace``, else AlreadyExists names it and says how
    (``--replace``, or another name with ``--as``) before the file is read or sent."""
    path = upload_path(file, name)
    if not file.is_file():
        raise errors.InvalidInput(f"{names.shown(str(file))} does not exist", field="file")
    if p.session is None:
        await p.login()
    assert p.session is not None
    user, role = p.session.user, p.session.role
    if name is None:  # an attendee's own folder: the rest of data/ is the tenant's shared data
        path = ownership.default_data_path(path, user, role)
    refusal = ownership.write_refusal(path, user, role)
    if refusal is not None:  # before the file is read (profiled) or sent
        mine = ownership.own_folders(user)[2].removeprefix("data/")
        raise errors.Forbidden(refusal, hint=f"upload it under your folder, e.g. --as {mine}/{file.name}")
    existing = await _entry(p, path)
    if existing is not None:
        stored = await _stored_profile(p, path)
        digest = (stored or {}).get("data", {}).get("sha256")
        if digest and digest == await asyncio.to_thread(sha256_file, file):
            return Uploaded(existing, stored, unchanged=True)
        if not replace:
            raise errors.AlreadyExists(
                f"{path} is already in the project repository ({existing.size / 1e6:.1f} MB) with other "
                "content; nothing was uploaded",
                path=path,
                hint=_replace_hint(file, name),
            )
    prof = await asyncio.to_thread(profile_file, file, period=period, name=path) if profile else None
    entry = await p.upload_repo(path, file, source=str(file), progress=progress, replace=replace)
    if prof is not None:
        prof["data"]["size"] = entry.size
        await store_profile(p, path, prof)
    return Uploaded(entry, prof)


def _replace_hint(file: Path, name: str | None) -> str:
    """How to replace the data file with ``file``, or keep both: the commands, the file shell-quoted."""
    upload = f"mlops-tui data upload {names.as_argument(str(file))}"
    named = f" --as {names.as_argument(name)}" if name is not None else ""
    return f"replace it: {upload}{named} --replace; or keep both: {upload} --as OTHER-NAME.csv"


async def _entry(p: Platform, path: str) -> RepoEntry | None:
    folder = path.rsplit("/", 1)[0] + "/"
    return next((e for e in await p.list_repo(folder) if e.path == path and not e.is_dir), None)


async def _stored_profile(p: Platform, path: str) -> dict[str, Any] | None:
    """The profile stored beside ``path`` (None when there is none or it cannot be read)."""
    try:
        stored = json.loads(await p.fetch_repo(profile_path(path)))
    except (errors.PlatformError, ValueError):
        return None
    return stored if isinstance(stored, dict) else None


async def store_profile(p: Platform, path: str, prof: dict[str, Any]) -> None:
    """Write the profile beside its file: it is derived from the file, so it replaces the one
    there (never a person's own file: ``<file>.profile.json`` is the app's)."""
    body = (json.dumps(prof, indent=1) + "\n").encode()
    await p.upload_repo(profile_path(path), body, source=Path(profile_path(path)).name, replace=True)


async def preview_data(
    p: Platform, name: str, *, period: str | None = None, fresh: bool = False, store: bool = True
) -> tuple[dict[str, Any], bool]:
    """The profile of a repository data file and whether it was computed now (else: stored).

    Computing it fetches the file to a temporary file; it is stored beside the file unless a
    ``period`` was given or ``store`` is false (read-only), and where the person may not write
    beside it (an attendee previewing the tenant's shared data) it is shown without being stored:
    a profile computed is never thrown away for a refused copy. Raises NotFound for a missing file.
    """
    path = data_path(name)
    folder = path.rsplit("/", 1)[0] + "/"
    by_path = {e.path: e for e in await p.list_repo(folder) if not e.is_dir}
    entry = by_path.get(path)
    if entry is None:
        have = ", ".join(sorted(x.removeprefix("data/") for x in by_path if names.is_data_file(x)))
        raise errors.NotFound(f"no data file {path} in the project repository (found: {have or 'none'})")
    stored_entry = by_path.get(profile_path(path))
    if stored_entry is not None and not fresh and not period:
        with contextlib.suppress(errors.PlatformError, ValueError):
            stored = json.loads(await p.fetch_repo(stored_entry.path))
            if isinstance(stored, dict) and _fresh(stored, entry, stored_entry):
                return stored, False
    content = await p.fetch_repo(path)
    suffix = "".join(Path(path).suffixes[-2:])
    with tempfile.TemporaryDirectory(prefix="mlops-tui-preview-") as tmp:
        local = Path(tmp) / f"data{suffix}"
        try:
            await asyncio.to_thread(local.write_bytes, content)
        except OSError as exc:
            if not errors.is_disk_full(exc):
                raise
            raise errors.DiskFull(
                f"disk full: no space left for a {len(content) >> 20} MiB copy of {path} in {tmp}",
                path=tmp,
                hint=f"free space on the file system holding {tmp}, or point TMPDIR at a roomier one",
            ) from None
        del content
        prof = await asyncio.to_thread(profile_file, local, period=period, name=path)
    if store and not period:
        with contextlib.suppress(errors.Forbidden):
            await store_profile(p, path, prof)
    return prof, True


async def remove_data(p: Platform, name: str) -> str:
    """Delete a data file and its stored profile; returns its repository path."""
    path = data_path(name)
    await p.delete_repo(path)
    with contextlib.suppress(errors.NotFound):
        await p.delete_repo(profile_path(path))
    return path


def summary(prof: dict[str, Any] | None) -> str:
    """One line for lists: ``6,367 of 6,500 kept · 2019-03 · biggest drop: 20 s or shorter (50)``."""
    if not prof:
        return "not profiled yet"
    text = f"{prof['kept']:,} of {prof['rows']:,} kept · {prof['period']['text']}"
    if prof.get("dropped"):
        top = prof["dropped"][0]
        text += f" · most dropped: {top['text']} ({top['count']:,})"
    return text
