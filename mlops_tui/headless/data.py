"""``mlops-tui data …``: the project repository's data files, and the TLC's real data.

upload, list, preview and rm go through the Platform interface (``services.datasets``); every
upload and preview prints the lab code's profile of the file (rows read, rides kept, rides
dropped by reason with an example each, period, zones, distributions). ``fetch`` downloads the
TLC's files (``services.tlc_fetch``), samples a month (``lab_scripts.sample``) and builds the zone
table (``services.taxi_zones``); pyarrow, pyshp, shapely and pyproj load only here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlops_tui import config
from mlops_tui.headless.common import connect, out, table
from mlops_tui.platform import names
from mlops_tui.services import datasets, errors, tlc_fetch
from mlops_tui.services.terminal_text import plain
from mlops_tui.services.units import size_text

Update = Callable[[int, int | None], None]


@contextmanager
def bar(description: str, *, unit: str = "bytes") -> Iterator[Update]:
    """A progress bar on stderr (rich; a terminal sees it move, a pipe gets its final state).

    It appears with the first update, so work that fails before anything moves shows no bar. The
    description quotes a file name: sanitised, and never read as Rich markup."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns: list[Any] = [TextColumn("{task.description}"), BarColumn()]
    columns += [DownloadColumn(), TransferSpeedColumn()] if unit == "bytes" else [MofNCompleteColumn()]
    columns.append(TimeRemainingColumn())
    progress = Progress(*columns, console=Console(stderr=True))
    task = progress.add_task(escape(plain(description)), total=None)

    def update(done: int, total: int | None) -> None:
        if not progress.live.is_started:
            progress.start()
        progress.update(task, completed=done, total=total)

    try:
        yield update
    finally:
        if progress.live.is_started:
            progress.stop()


def _print_profile(prof: dict[str, Any] | None) -> None:
    if prof is None:
        return
    from mlops_tui.lab_scripts.data_profile import describe, too_few_rides

    for line in describe(prof):
        out(line, indent=2)
    if prof["kept"] < 50:
        why = too_few_rides(prof["file"], prof["rows"], prof["kept"], prof["dropped"])
        out(f"  training will refuse it: {why}")


async def _upload(
    p: Any, file: Path, name: str | None, *, period: str | None, profile: bool, replace: bool
) -> None:
    with bar(f"upload {file.name}") as update:
        done = await datasets.upload_data(
            p, file, name, progress=update, period=period, profile=profile, replace=replace
        )
    entry = done.entry
    if done.unchanged:
        out(f"{entry.path} is already in the project repository with the same content: nothing to upload")
    else:
        out(f"uploaded {file} to {entry.path} ({size_text(entry.size)})")
    _print_profile(done.profile)


def _check_upload(file: Path, name: str | None) -> None:
    """Refuse a missing file, or a name that cannot be a data file's (``datasets.upload_path``),
    before anything is started: the message names them as typed."""
    if not file.is_file():
        where = "" if file.is_absolute() else f" in {Path.cwd()}"
        what = "is a folder, not a file" if file.is_dir() else "does not exist"
        raise errors.InvalidInput(
            f"{names.shown(str(file))} {what}{where}", field="file", hint="check the file's name and folder"
        )
    datasets.upload_path(file, name)


async def run(args: argparse.Namespace) -> int:
    action = args.data_command
    if action == "fetch":
        return await fetch(args)
    # what can be refused here is refused before the platform is started or reached
    if action == "upload":
        _check_upload(Path(args.file), args.name)
    elif action in ("preview", "rm"):
        datasets.data_path(args.name)
    conn = connect(args.profile)
    p = conn.platform
    try:
        if action == "upload":
            await _upload(
                p,
                Path(args.file),
                args.name,
                period=args.period,
                profile=not args.no_profile,
                replace=args.replace,
            )
        elif action == "list":
            files = await datasets.list_data(p)
            if args.json:
                print(
                    json.dumps(
                        [{"path": f.path, "size": f.entry.size, "profile": f.profile} for f in files],
                        indent=1,
                    )
                )
            elif not files:
                out("no data files in data/ of the project repository: `mlops-tui data upload FILE` adds one")
            else:
                rows = [
                    [
                        f.name,
                        size_text(f.entry.size),
                        f.entry.modified_at.strftime("%Y-%m-%d %H:%M") if f.entry.modified_at else "",
                        datasets.summary(f.profile) + (" (stale)" if f.stale else ""),
                    ]
                    for f in files
                ]
                table(["NAME", "SIZE", "MODIFIED (UTC)", "PROFILE"], rows)
        elif action == "preview":
            prof, computed = await datasets.preview_data(p, args.name, period=args.period, fresh=args.fresh)
            if args.json:
                print(json.dumps(prof, indent=1))
            else:
                out(f"{prof['file']} ({'profiled now' if computed else 'stored profile'}):")
                _print_profile(prof)
        elif action == "rm":
            path = await datasets.remove_data(p, args.name)
            out(f"removed {path}")
        return 0
    finally:
        await p.aclose()


async def fetch(args: argparse.Namespace) -> int:
    cache = config.cache_home() / "tlc"
    if args.what == "zones":
        return await _fetch_zones(args, cache)
    if not args.month:
        raise errors.InvalidInput(
            f"which month? e.g. mlops-tui data fetch {args.what} 2019-02", field="month"
        )
    name = tlc_fetch.trip_file(args.what, args.month)
    if args.sample < 0:
        raise errors.InvalidInput("--sample must be 0 (the whole month) or more", field="sample")
    if args.name:
        datasets.data_path(args.name)  # refuse a bad name before downloading
    source = await _source(args, cache / name, args.url or tlc_fetch.trip_url(args.what, args.month))
    upload = source
    if args.sample:
        upload = (
            cache / f"{source.name.removesuffix('.parquet')}-sample-{args.sample}"
            f"{f'-seed{args.seed}' if args.seed else ''}.parquet"
        )
        done = await _sample(source, upload, args.sample, args.seed)
        out(
            f"sample: {done['rows_written']:,} of {done['rows_read']:,} rides (seed {args.seed}, "
            f"streamed) in {upload}"
        )
    if args.no_upload:
        return 0
    conn = connect(args.profile)
    try:
        await _upload(
            conn.platform, upload, args.name or upload.name, period=None, profile=True, replace=args.replace
        )
    finally:
        await conn.platform.aclose()
    return 0


async def _source(args: argparse.Namespace, dest: Path, url: str) -> Path:
    """The file to use: one brought by hand (--from-file), or the download (resumed, checked)."""
    if args.from_file:
        given = Path(args.from_file)
        if not given.is_file():
            raise errors.InvalidInput(f"no such file: {given}", field="from_file")
        digest = await asyncio.to_thread(tlc_fetch.sha256_file, given)
        out(f"using {given} ({size_text(given.stat().st_size)}, {digest})")
        return given

    def resumed(at: int, total: int | None) -> None:
        of = f" of {size_text(total)}" if total else ""
        out(f"resuming {dest.name} at {size_text(at)}{of}")

    with bar(f"download {dest.name}") as update:
        got = await tlc_fetch.fetch(url, dest, progress=update, on_resume=resumed)
    state = "already here, checksum verified" if got.reused else "downloaded"
    out(
        f"{dest.name}: {state}, {size_text(got.size)}, {got.sha256} (recorded in "
        f"{tlc_fetch.record_path(dest)})"
    )
    return got.path


async def _sample(source: Path, dest: Path, rows: int, seed: int) -> dict[str, int]:
    from mlops_tui.lab_scripts.sample import sample_file

    loop = asyncio.get_running_loop()
    with bar(f"sample {rows:,} rides", unit="rows") as update:

        def progress(done: int, total: int | None) -> None:
            loop.call_soon_threadsafe(update, done, total)

        try:
            return await asyncio.to_thread(sample_file, source, dest, rows, seed, progress=progress)
        except (OSError, ValueError) as exc:  # pyarrow's errors are ValueErrors (ArrowInvalid)
            raise errors.InvalidInput(
                f"cannot read {source.name} as a trip file: {exc}", field="file"
            ) from None


async def _fetch_zones(args: argparse.Namespace, cache: Path) -> int:
    from mlops_tui.services import taxi_zones

    source = await _source(args, cache / "taxi_zones.zip", args.url or tlc_fetch.zones_url())
    try:
        built = await asyncio.to_thread(taxi_zones.build_from_shapefile, source)
    except taxi_zones.ShapefileError as exc:
        raise errors.InvalidInput(str(exc), field="file") from None
    digest = await asyncio.to_thread(tlc_fetch.sha256_file, source)
    path = taxi_zones.install(
        built, {"source": args.from_file or args.url or tlc_fetch.zones_url(), "sha256": digest}
    )
    located = [z for z in built if z.centroid == "shapefile"]
    out(f"zone table with centroids from the shapefile: {len(located)} zones located, written to {path}")
    out(f"  {_moves(built)}")
    out("  the guide's rides, the Predict form and the lab code uploaded for the next training use it")
    return 0


def _moves(table: Any) -> str:
    """How far the real centroids are from the built-in approximate ones."""
    from mlops_tui.lab_scripts.features import straight_miles
    from mlops_tui.lab_scripts.zones import load_zones

    builtin = load_zones()
    moves = []
    for zone in table:
        old = builtin.get(zone.location_id)
        if zone.centroid == "shapefile" and old is not None and old.has_coords:
            miles = float(straight_miles(old.lat, old.lon, zone.lat, zone.lon))
            moves.append((miles * 1.609344, zone))
    if not moves:
        return "no zone of the built-in table was in the shapefile"
    moves.sort(key=lambda m: m[0])
    km, far = moves[-1]
    return (
        f"centroids moved from the built-in approximate ones by {moves[len(moves) // 2][0]:.2f} km "
        f"(median), at most {km:.2f} km ({far.label})"
    )
