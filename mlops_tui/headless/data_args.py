"""The arguments of ``mlops-tui data …`` (stdlib only: built with the rest of the parser, so
``mlops-tui --help`` stays fast). The commands themselves are in :mod:`mlops_tui.headless.data`."""

from __future__ import annotations

import argparse
from collections.abc import Callable

NAME_HELP = "data file name in the project repository, e.g. march.csv or data/NYCTaxi/march.csv"


def add_data_parser(
    sub: argparse._SubParsersAction, add_profile: Callable[[argparse.ArgumentParser], None]
) -> None:
    data = sub.add_parser("data", help="data files: upload, list, preview, remove, fetch the TLC's")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    up = data_sub.add_parser("upload", help="profile a local trip file and upload it (CSV, CSV.gz, Parquet)")
    up.add_argument("file", help="the local file")
    up.add_argument("--as", dest="name", help=f"{NAME_HELP} (default: the file's own name)")
    up.add_argument("--period", help="months the rides must be in: YYYY-MM or YYYY-MM..YYYY-MM")
    up.add_argument("--no-profile", action="store_true", help="upload without reading it first")
    up.add_argument(
        "--replace", action="store_true", help="replace a data file of that name (else it is refused)"
    )

    ls = data_sub.add_parser("list", help="the repository's data files with their profiles")
    ls.add_argument("--json", action="store_true", help="print JSON")

    pv = data_sub.add_parser(
        "preview", help="rows read, kept, dropped by reason, period, zones, distributions"
    )
    pv.add_argument("name", help=NAME_HELP)
    pv.add_argument("--period", help="months the rides must be in: YYYY-MM or YYYY-MM..YYYY-MM")
    pv.add_argument("--fresh", action="store_true", help="compute it again even if one is stored")
    pv.add_argument("--json", action="store_true", help="print JSON")

    rm = data_sub.add_parser("rm", help="remove a data file (and its stored profile)")
    rm.add_argument("name", help=NAME_HELP)

    fetch = data_sub.add_parser(
        "fetch",
        help="download the TLC's monthly trip file and upload a sample, or the zone shapefile",
        description="`data fetch yellow 2019-02` downloads the TLC's official monthly Parquet file "
        "(resumable, checksum recorded), streams a reproducible sample out of it and uploads the sample "
        "with its profile. `data fetch zones` downloads the zone shapefile and builds the zone table "
        "with real centroids. Mirrors: $MLOPS_TUI_TLC_MIRROR replaces the TLC's host.",
    )
    fetch.add_argument(
        "what", choices=("yellow", "green", "zones"), help="a cab colour's trips, or the zones"
    )
    fetch.add_argument("month", nargs="?", help="YYYY-MM (for trips)")
    fetch.add_argument(
        "--sample",
        type=int,
        default=200_000,
        metavar="N",
        help="rides in the sample (default 200000; 0 = the whole month)",
    )
    fetch.add_argument("--seed", type=int, default=0, help="sample seed (default 0)")
    fetch.add_argument("--as", dest="name", help=f"{NAME_HELP} (default: <file>-sample-<N>.parquet)")
    fetch.add_argument("--url", help="download this URL instead of the TLC's")
    fetch.add_argument("--from-file", help="use a file brought by hand instead of downloading")
    fetch.add_argument("--no-upload", action="store_true", help="keep the file here; do not upload it")
    fetch.add_argument(
        "--replace", action="store_true", help="replace a data file of that name (else it is refused)"
    )

    for p in (up, ls, pv, rm, fetch):
        add_profile(p)
