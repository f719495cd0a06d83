"""Download the TLC's official files (monthly trip records, the taxi zone shapefile), resumably.

Sources (the TLC trip record data page links to them):

- ``https://d37ci6vzurychx.cloudfront.net/trip-data/<color>_tripdata_YYYY-MM.parquet``
- ``https://d37ci6vzurychx.cloudfront.net/misc/taxi_zones.zip``

``$MLOPS_TUI_TLC_MIRROR`` replaces the host part (``http://mirror.example/tlc`` serves
``…/trip-data/…`` and ``…/misc/…``), for mirrors and tests; ``--url`` on the command names one
file.

A download goes to ``<file>.part`` and is renamed when complete. Interrupted (a dropped connection,
Ctrl-C), it resumes where it stopped with an HTTP ``Range`` request guarded by ``If-Range`` (the
ETag or Last-Modified seen first), so a file changed on the server meanwhile starts again instead of
being spliced. A dropped connection is retried ``RETRIES`` times (1, 2, 4 s apart) before giving
up; the next run resumes too. The finished file's size, sha256, ETag and URL are recorded in
``<file>.json``; a later fetch checks the file against that record before using it again.

Without the network, :class:`NeedsNetwork` says so in one line, with how to bring the file by hand.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from mlops_tui.platform.names import shown
from mlops_tui.services import errors, httpclient
from mlops_tui.services.units import size_text

TLC_HOST = "https://d37ci6vzurychx.cloudfront.net"
MIRROR_ENV = "MLOPS_TUI_TLC_MIRROR"
COLORS = ("yellow", "green")
RETRIES = 3
CHUNK = 1 << 20
TIMEOUT = httpx.Timeout(30.0, connect=10.0)

#: progress(bytes on disk, total bytes or None)
Progress = Callable[[int, int | None], None]


class NeedsNetwork(errors.Unreachable):
    """The TLC's server cannot be reached from this host; the message says how to bring the file."""


def base_url() -> str:
    return (os.environ.get(MIRROR_ENV) or TLC_HOST).rstrip("/")


def trip_file(color: str, month: str) -> str:
    """``yellow_tripdata_2019-02.parquet``; InvalidInput for an unknown color or a bad month."""
    if color not in COLORS:
        raise errors.InvalidInput(
            f"color must be one of {', '.join(COLORS)}, not {shown(color)}", field="color"
        )
    if not re.fullmatch(r"(20[0-9]{2})-(0[1-9]|1[0-2])", month):
        raise errors.InvalidInput(f"month must be YYYY-MM (e.g. 2019-02), not {shown(month)}", field="month")
    return f"{color}_tripdata_{month}.parquet"


def trip_url(color: str, month: str) -> str:
    return f"{base_url()}/trip-data/{trip_file(color, month)}"


def zones_url() -> str:
    return f"{base_url()}/misc/taxi_zones.zip"


@dataclass(frozen=True)
class Fetched:
    """A complete download: where it is, its record, and what this run did."""

    path: Path
    url: str
    size: int
    sha256: str
    resumed_at: int = 0  # bytes already there when this run started (0: from the start)
    reused: bool = False  # already complete and verified: nothing downloaded


def record_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def _read_record(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_record(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(path)


async def fetch(
    url: str,
    dest: Path,
    *,
    progress: Progress | None = None,
    on_resume: Callable[[int, int | None], None] | None = None,
    retries: int = RETRIES,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Fetched:
    """Download ``url`` to ``dest`` (resuming a ``.part``), record and return its checksum.

    Raises NeedsNetwork when the host cannot be reached at all, NotFound for a 404 (no such month),
    PlatformFailure for other answers or after ``retries`` dropped connections (the ``.part`` stays:
    the next call resumes).
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    record = record_path(dest)
    done = _read_record(record)
    if dest.is_file() and done:  # the file names the TLC month; its record says it is whole
        digest = await asyncio.to_thread(sha256_file, dest)
        if digest == done.get("sha256") and dest.stat().st_size == done.get("size"):
            return Fetched(dest, str(done.get("url", url)), dest.stat().st_size, digest, reused=True)
    part = dest.with_name(dest.name + ".part")
    part_record = record_path(part)
    http, environment = httpclient.client(timeout=TIMEOUT, transport=transport, follow_redirects=True)
    started_with = part.stat().st_size if part.is_file() else 0
    try:
        failures = 0
        while True:
            try:
                total = await _get(http, url, part, part_record, progress, on_resume)
                break
            except OSError as exc:
                if not errors.is_disk_full(exc):
                    raise
                have = part.stat().st_size if part.is_file() else 0
                raise errors.DiskFull(
                    f"disk full: no space left on the device holding {part} ({_mb(have)} of "
                    f"{_mb(total_of(part_record))} written)",
                    path=str(part),
                    hint=f"free space on the file system holding {part.parent}, then run the same "
                    "command again: the download resumes where it stopped",
                ) from None
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout) and failures == 0:
                    raise _offline(url, dest, exc, environment) from None
                failures += 1
                if failures > retries:
                    have = part.stat().st_size if part.is_file() else 0
                    raise errors.PlatformFailure(
                        f"the download of {url} was interrupted {failures} times ({_mb(have)} of "
                        f"{_mb(total_of(part_record))} kept): {exc or type(exc).__name__}",
                        hint="run the same command again to resume",
                    ) from None
                await asyncio.sleep(2 ** (failures - 1))
    finally:
        await http.aclose()
    digest = await asyncio.to_thread(sha256_file, part)
    size = part.stat().st_size
    if total is not None and size != total:
        raise errors.PlatformFailure(f"the download of {url} ended at {size} bytes of {total}")
    meta = _read_record(part_record)
    part.replace(dest)
    _write_record(
        record,
        {
            "url": url,
            "size": size,
            "sha256": digest,
            "etag": meta.get("etag"),
            "last_modified": meta.get("last_modified"),
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    with contextlib.suppress(OSError):
        part_record.unlink()
    return Fetched(dest, url, size, digest, resumed_at=started_with)


def total_of(part_record: Path) -> int | None:
    value = _read_record(part_record).get("total")
    return value if isinstance(value, int) else None


async def _get(
    http: httpx.AsyncClient,
    url: str,
    part: Path,
    part_record: Path,
    progress: Progress | None,
    on_resume: Callable[[int, int | None], None] | None,
) -> int | None:
    """One GET (a Range request when some of the file is there); returns the total size."""
    have = part.stat().st_size if part.is_file() else 0
    meta = _read_record(part_record) if have else {}
    headers = {"Accept-Encoding": "identity"}
    validator = meta.get("etag") or meta.get("last_modified")
    if have and validator:
        headers.update({"Range": f"bytes={have}-", "If-Range": validator})
    async with http.stream("GET", url, headers=headers) as response:
        if response.status_code == 404:
            raise errors.NotFound(f"{url} does not exist (404): the TLC has no such file")
        if response.status_code == 416 and have:  # the part is already the whole file
            return have
        if response.status_code not in (200, 206):
            raise errors.PlatformFailure(f"{url} answered {response.status_code}")
        if response.status_code == 206:
            total = _content_range_total(response) or meta.get("total")
            if on_resume is not None:
                on_resume(have, total)
            mode = "ab"
        else:  # the whole file: a first download, a server without ranges, or a changed file
            length = response.headers.get("content-length", "")
            total = int(length) if length.isdigit() else None
            have, mode = 0, "wb"
            _write_record(
                part_record,
                {
                    "url": url,
                    "total": total,
                    "etag": response.headers.get("etag"),
                    "last_modified": response.headers.get("last-modified"),
                },
            )
        with part.open(mode) as fh:
            if progress is not None:
                progress(have, total)
            pending = bytearray()  # written in 1 MiB blocks, and whatever came before a drop
            try:
                async for chunk in response.aiter_raw():  # as it arrives: nothing lost in a buffer
                    pending += chunk
                    have += len(chunk)
                    if len(pending) >= CHUNK:
                        await asyncio.to_thread(fh.write, bytes(pending))
                        pending.clear()
                        if progress is not None:
                            progress(have, total)
            finally:
                fh.write(pending)
        if progress is not None:
            progress(have, total)
        return total


def _content_range_total(response: httpx.Response) -> int | None:
    match = re.search(r"/(\d+)\s*$", response.headers.get("content-range", ""))
    return int(match.group(1)) if match else None


def _mb(size: int | None) -> str:
    return "?" if size is None else size_text(size)


def _offline(url: str, dest: Path, exc: BaseException, environment: Any) -> errors.PlatformError:
    proxied = httpclient.unreachable("the TLC's server", url, exc, environment)
    if proxied is not None:
        return proxied
    host = urlsplit(url).netloc
    return NeedsNetwork(
        f"this needs the network: {host} cannot be reached ({exc or type(exc).__name__}); on a host "
        f"without it, download {url} elsewhere, copy it here and give it with --from-file "
        f"{dest.name}",
        hint="",
    )
