"""The ``mlops-tui`` command: the TUI by default, plus headless subcommands.

Imports here are stdlib only; each subcommand imports what it needs when it runs, so ``--help``
and the TUI's start stay fast (no pandas, xgboost or Textual before they are needed). Every error a
person can cause ends as one line on stderr and a non-zero exit, never a traceback
(``MLOPS_TUI_DEBUG=1`` shows it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from mlops_tui.platform.names import shown

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _add_profile(p: argparse.ArgumentParser, *, top: bool = False) -> None:
    # Sub-commands must not reset a --profile given before them: SUPPRESS keeps the top one.
    p.add_argument(
        "--profile",
        "-p",
        default=None if top else argparse.SUPPRESS,
        help="profile to use (default: the active one, or $MLOPS_TUI_PROFILE)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlops-tui",
        description="A terminal guide and live dashboard for the NYC-taxi ML Ops workshop (Labs 1-5). "
        "Without a command it opens the TUI.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    _add_profile(parser, top=True)
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=None,
        help="TUI for attendees: look and predict; no deletes, no registry or deployment changes "
        "(also MLOPS_TUI_READ_ONLY=1)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    lab = sub.add_parser("lab", help="run the workshop labs headless")
    lab_sub = lab.add_subparsers(dest="lab_command", metavar="ACTION", required=True)
    lab_run = lab_sub.add_parser("run", help="run Labs 1-5 and print every step, command and result")
    _add_profile(lab_run)
    lab_run.add_argument(
        "--from-lab", type=int, default=1, choices=range(1, 6), metavar="N", help="start at lab N"
    )
    lab_run.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="training parameter, e.g. rounds=50 (data=NAME is the same as --data)",
    )
    lab_run.add_argument(
        "--replace-code",
        action="store_true",
        help="put the lab's code files back over ones changed in your code folder (kept otherwise)",
    )
    lab_run.add_argument(
        "--data",
        metavar="FILE|NAME",
        help="train on a local trip file (uploaded with its profile first) or a data file of the "
        "repository (default: the synthetic set)",
    )

    from mlops_tui.headless.data_args import add_data_parser

    add_data_parser(sub, _add_profile)

    pr = sub.add_parser("predict", help="predict the travel time of one ride")
    _add_profile(pr)
    pr.add_argument(
        "--pickup-zone", help="pickup taxi zone: id or name (e.g. 161, 'Midtown Center', laguardia)"
    )
    pr.add_argument("--dropoff-zone", help="dropoff taxi zone: id or name")
    pr.add_argument("--pickup-lat", type=float)
    pr.add_argument("--pickup-lon", type=float)
    pr.add_argument("--dropoff-lat", type=float)
    pr.add_argument("--dropoff-lon", type=float)
    pr.add_argument(
        "--when",
        help="pickup time in words or numbers: 'tomorrow 8am', 'friday 5pm', '15/03/2019 09:00' "
        "(relative dates count inside the model's data, January-June 2019; default: the "
        "workshop's, a weekday at 9 am in February)",
    )
    pr.add_argument("--distance", type=float, help="trip distance in miles (estimated when omitted)")
    pr.add_argument("--passengers", type=int)
    pr.add_argument("--json", help="the ride as a JSON object (workshop scoring_args or a raw ride)")
    pr.add_argument("--json-file", help="file holding that JSON object")
    pr.add_argument("--example", action="store_true", help="the workshop's Lab 5 example ride")
    pr.add_argument("--deployment", help="deployment to ask (default mlops-inference-server-<user>)")
    pr.add_argument("--curl", action="store_true", help="also print the curl that does the same")
    pr.add_argument("--output", "-o", choices=("text", "json"), default="text")

    zn = sub.add_parser("zones", help="find taxi zones by name (their ids, for predict)")
    zn.add_argument("words", nargs="+", help="part of a zone name or landmark, e.g. penn")

    st = sub.add_parser("status", help="the pipeline at a glance")
    _add_profile(st)
    st.add_argument("--start", action="store_true", help="start the local platform if it is not running")
    st.add_argument(
        "--show-tokens",
        action="store_true",
        help="also print the endpoints' tokens (a notebook's Jupyter token); never shown otherwise",
    )

    doc = sub.add_parser(
        "doctor", help="check each hop to the platform; exit 0 only when all pass (codes: docs/kubernetes.md)"
    )
    _add_profile(doc)
    doc.add_argument("--output", "-o", choices=("text", "json"), default="text")

    plat = sub.add_parser("platform", help="the embedded local platform")
    plat_sub = plat.add_subparsers(dest="platform_command", metavar="ACTION", required=True)
    serve = plat_sub.add_parser("serve", help="run it in the foreground")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 = any free port (default)")
    serve.add_argument("--workers", type=int, default=2, help="training workers")
    serve.add_argument("--session-ttl-minutes", type=int, default=1440)
    start = plat_sub.add_parser("start", help="start it in the background (if not running)")
    start.add_argument("--timeout", type=float, default=20.0)
    plat_sub.add_parser("stop", help="stop it and its deployments' prediction servers")
    restart = plat_sub.add_parser(
        "restart", help="restart it (same settings and port); its deployments keep answering throughout"
    )
    restart.add_argument("--timeout", type=float, default=20.0)
    plat_sub.add_parser("status", help="is it running, and where")
    add = plat_sub.add_parser("add-user", help="add a user (and the tenant if new)")
    add.add_argument("--tenant", default="K8sMLTenant")
    add.add_argument("--user", required=True)
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument(
        "--reset",
        action="store_true",
        help="change the password of a user who exists (without it an existing user is refused)",
    )
    add.add_argument("--remember", action="store_true", help="also store the password for --profile")
    _add_profile(add)
    backup = plat_sub.add_parser(
        "backup", help="write the whole platform to one archive (works while it runs)"
    )
    backup.add_argument("file", help="the archive to write (.tar.gz)")
    backup.add_argument("--force", action="store_true", help="replace FILE if it exists")
    restore = plat_sub.add_parser(
        "restore", help="replace the platform's state by a backup (stopped platform; old state kept aside)"
    )
    restore.add_argument("file", help="an archive written by `mlops-tui platform backup`")
    aside = plat_sub.add_parser(
        "move-aside", help="rename the state directory (kept whole) so the next start is a new platform"
    )
    for p in (
        serve,
        start,
        restart,
        *[plat_sub.choices[n] for n in ("stop", "status")],
        add,
        backup,
        restore,
        aside,
    ):
        p.add_argument("--state-dir", help="state directory (default: $MLOPS_TUI_STATE_DIR or XDG state)")

    _add_workshop(sub)

    login = sub.add_parser("login", help="check your password on the platform and store it for the profile")
    _add_profile(login)
    login.add_argument("--password-stdin", action="store_true", help="read the password from stdin")

    creds = sub.add_parser("credentials", help="stored passwords")
    creds_sub = creds.add_subparsers(dest="credentials_command", metavar="ACTION", required=True)
    forget = creds_sub.add_parser("forget", help="remove a stored password")
    _add_profile(forget)
    forget.add_argument("--user", help="default: the profile's user")
    creds_sub.add_parser("where", help="say where passwords are kept")

    prof = sub.add_parser("profile", help="connection profiles")
    prof_sub = prof.add_subparsers(dest="profile_command", metavar="ACTION", required=True)
    prof_sub.add_parser("list", help="list profiles (* = active)")
    padd = prof_sub.add_parser("add", help="add a profile")
    padd.add_argument("name")
    padd.add_argument("--platform", choices=("local", "kubernetes"), default="local")
    padd.add_argument("--url", help="platform URL (local: empty = the one mlops-tui starts)")
    padd.add_argument("--tenant", default="K8sMLTenant")
    padd.add_argument("--user", help="default: your OS user name")
    padd.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    padd.add_argument("--ca-file")
    padd.add_argument("--kubeconfig")
    padd.add_argument("--context")
    padd.add_argument("--namespace", help="kubernetes: the tenant namespace (default: from the kubeconfig)")
    padd.add_argument("--repo-pvc", help="kubernetes: the PVC holding the project repository")
    padd.add_argument("--job-image", help="kubernetes: the image that runs training jobs")
    padd.add_argument("--read-only", action="store_true")
    padd.add_argument("--replace", action="store_true", help="overwrite a profile of that name")
    padd.add_argument("--use", action="store_true", help="make it the active profile")
    puse = prof_sub.add_parser("use", help="make a profile the active one")
    puse.add_argument("name")
    return parser


# Ranges of the workshop's numbers (docs/workshop.md, "Options of start"): a class on one jump
# host; deployments by memory (a prediction server takes about 70 MB: 500 are 35 GB); the idle
# time within a day's class (24 h).
MAX_ATTENDEES = 1000
MAX_DEPLOYMENTS = 500
MAX_IDLE_MINUTES = 24 * 60.0  # services.classroom.MAX_IDLE_MINUTES (not imported: the CLI starts light)


def _max_workers() -> int:
    """Training jobs at once: this host's CPU cores (each job keeps one busy; more only queue
    inside the kernel), at least 2 (the default)."""
    return max(2, os.cpu_count() or 1)


def _ranged(kind: Callable[[str], Any], low: float, high: float) -> Callable[[str], Any]:
    """An argparse ``type`` taking a finite ``kind`` within ``low``..``high`` (argparse then says
    "argument --x: …" and exits 2 before anything runs)."""
    import math

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(
                f"{shown(text)} is not {what}: give {low:g} to {high:g}"
            ) from None
        if (isinstance(value, float) and not math.isfinite(value)) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{shown(text)} is out of range: give {low:g} to {high:g}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _add_workshop(sub: Any) -> None:
    """``workshop …`` (the facilitator) and ``join`` (each attendee): docs/workshop.md."""
    ws = sub.add_parser("workshop", help="one platform for a whole class (the facilitator)")
    ws_sub = ws.add_subparsers(dest="workshop_command", metavar="ACTION", required=True)
    start = ws_sub.add_parser(
        "start", help="start (or reuse) the class's platform, make accounts and the handout"
    )
    start.add_argument(
        "--roster",
        help="CSV of user ids: a 'user' column, or one id per line; a first line holding a column name "
        "(user, id, name, email …) is a header (docs/workshop.md)",
    )
    start.add_argument(
        "--attendees",
        type=_ranged(int, 1, MAX_ATTENDEES),
        metavar="N",
        help=f"a class of N numbered attendees, student01 … (1-{MAX_ATTENDEES}); again with the same N "
        "adds nobody, a larger N adds the missing ones",
    )
    start.add_argument("--tenant", help="the class's tenant (default K8sMLTenant)")
    start.add_argument(
        "--facilitator", help="your user id on it (default facilitator; fixed once the class is made)"
    )
    start.add_argument(
        "--workers",
        type=_ranged(int, 1, _max_workers()),
        default=2,
        metavar="N",
        help=f"jobs the shared training cluster runs at once (2; 1-{_max_workers()}: this host's CPU "
        "cores, as each job keeps one busy)",
    )
    start.add_argument(
        "--listen",
        help="HOST:PORT for attendees on other hosts (needs --cert and --key); default: the last start's "
        "address, else loopback",
    )
    start.add_argument("--cert", help="PEM certificate to serve HTTPS with (default: the last start's)")
    start.add_argument("--key", help="PEM private key of --cert, unencrypted (default: the last start's)")
    start.add_argument(
        "--public-url",
        help="the URL attendees on other hosts reach the platform by, for the handout (default: this "
        "host's name and the port)",
    )
    start.add_argument("--handout", help="also write the handout to this file")
    start.add_argument(
        "--max-deployments-per-attendee",
        type=_ranged(int, 1, MAX_DEPLOYMENTS),
        metavar="N",
        help="running deployments per attendee (1, as in the workshop; at most --max-deployments)",
    )
    start.add_argument(
        "--max-deployments",
        type=_ranged(int, 1, MAX_DEPLOYMENTS),
        metavar="N",
        help=f"running deployments on the platform (50; 1-{MAX_DEPLOYMENTS}: a prediction server takes "
        "about 70 MB, benchmarks/workshop_class.py)",
    )
    add = ws_sub.add_parser("add", help="add attendees (new lines on the handout)")
    add.add_argument("users", nargs="*", help="user ids")
    add.add_argument("--roster", help="CSV of user ids (as for start)")
    add.add_argument(
        "--attendees",
        type=_ranged(int, 1, MAX_ATTENDEES),
        metavar="N",
        help=f"N more numbered attendees (1-{MAX_ATTENDEES})",
    )
    reset = ws_sub.add_parser("reset-password", help="a new password for one user")
    reset.add_argument("user")
    ws_sub.add_parser("stop", help="stop the class's platform and its deployments")
    status = ws_sub.add_parser("status", help="the class: who is where, who is stuck and why")
    status.add_argument("--output", "-o", choices=("text", "json"), default="text")
    status.add_argument(
        "--idle-minutes",
        type=_ranged(float, 1, MAX_IDLE_MINUTES),
        default=10.0,
        metavar="MINUTES",
        help=f"no progress for this long counts as stuck (10; 1-{MAX_IDLE_MINUTES:g}: a day's class)",
    )
    message = ws_sub.add_parser(
        "broadcast", help="a message every attendee's guide shows (and notifies once); empty clears it"
    )
    message.add_argument("message", nargs="?", default=None, help="the message (at most 500 characters)")
    message.add_argument("--clear", action="store_true", help="remove the current message")
    for p in (start, add, reset, ws_sub.choices["stop"], status, message):
        p.add_argument(
            "--state-dir", help="the workshop platform's state (default: <XDG state>/mlops-tui/workshop)"
        )
        _add_profile(p)
    join = sub.add_parser("join", help="join a workshop: make the profile, check and store your password")
    join.add_argument("url", help="the workshop platform's URL (on your handout)")
    join.add_argument("--user", required=True, help="your user id (on your handout)")
    join.add_argument("--tenant", default="K8sMLTenant")
    join.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    join.add_argument("--ca-file", help="the platform's certificate, when it serves HTTPS with its own")
    join.add_argument("--insecure", action="store_true", help="do not check the platform's certificate")
    join.add_argument("--replace", action="store_true", help="repoint an existing profile of that name")
    _add_profile(join)


def _params(pairs: Sequence[str]) -> dict[str, int | float | str]:
    """``--param`` values checked with the training script's own rules (``lab_scripts.params``)
    before anything connects: a bad value ends here, not in a failed job. ``data=NAME`` is the
    job's data file, not a parameter: it is passed on as given (``lab_run`` reads it with the
    data-name rule)."""
    from mlops_tui.lab_scripts import params as training_params
    from mlops_tui.services.errors import InvalidInput

    out: dict[str, int | float | str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"--param {shown(pair)}: write NAME=VALUE, e.g. rounds=50", field="param")
        if training_params.canonical(name) == "data":
            out["data"] = value.strip()
            continue
        try:
            out[training_params.canonical(name)] = training_params.check(name, value)
        except training_params.ParamError as exc:
            raise InvalidInput(f"--param {exc}", field="param") from None
    return out


def _dispatch(args: argparse.Namespace) -> int:
    import asyncio

    cmd = args.command
    if cmd == "lab":
        from mlops_tui.headless import lab_run

        return asyncio.run(
            lab_run.run(
                args.profile,
                args.from_lab,
                train_params=_params(args.param),
                data=args.data,
                replace_code=args.replace_code,
            )
        )
    if cmd == "data":
        from mlops_tui.headless import data

        return asyncio.run(data.run(args))
    if cmd == "predict":
        from mlops_tui.headless import predict

        return asyncio.run(predict.run(args))
    if cmd == "login":
        from mlops_tui.headless import login

        return asyncio.run(login.run(args.profile, from_stdin=args.password_stdin))
    if cmd == "doctor":
        from mlops_tui.headless import doctor

        return asyncio.run(doctor.run(args.profile, output=args.output))
    if cmd == "zones":
        from mlops_tui.headless import predict

        return predict.zones(args.words)
    if cmd == "status":
        from mlops_tui.headless import status

        return asyncio.run(status.run(args.profile, start=args.start, show_tokens=args.show_tokens))
    if cmd in ("workshop", "join"):
        from mlops_tui.headless import workshop

        if cmd == "join":
            return asyncio.run(workshop.join(args))
        if args.workshop_command == "status":
            return asyncio.run(workshop.status(args))
        if args.workshop_command == "broadcast":
            return asyncio.run(workshop.broadcast(args))
        actions = {"start": workshop.start, "add": workshop.add, "stop": workshop.stop}
        actions["reset-password"] = workshop.reset_password
        return actions[args.workshop_command](args)
    from mlops_tui.headless import admin

    table: dict[tuple[str, str], Callable[[Any], int]] = {
        ("platform", "serve"): admin.platform_serve,
        ("platform", "start"): admin.platform_start,
        ("platform", "stop"): admin.platform_stop,
        ("platform", "restart"): admin.platform_restart,
        ("platform", "status"): admin.platform_status,
        ("platform", "add-user"): admin.platform_add_user,
        ("platform", "backup"): admin.platform_backup,
        ("platform", "restore"): admin.platform_restore,
        ("platform", "move-aside"): admin.platform_move_aside,
        ("credentials", "forget"): admin.credentials_forget,
        ("credentials", "where"): admin.credentials_where,
        ("profile", "list"): admin.profile_list,
        ("profile", "add"): admin.profile_add,
        ("profile", "use"): admin.profile_use,
    }
    action = getattr(args, f"{cmd}_command", None)
    return table[(cmd, action)](args)


def _launch_tui(args: argparse.Namespace) -> int:
    try:
        from mlops_tui import app
    except ModuleNotFoundError as exc:
        if exc.name in ("mlops_tui.app", "textual"):
            print(
                "mlops-tui: the terminal UI is not available in this build "
                f"({exc.name} is missing); the headless commands work: mlops-tui --help",
                file=sys.stderr,
            )
            return EXIT_ERROR
        raise
    run = getattr(app, "main", None) or getattr(app, "run", None)
    if run is None:
        print(
            "mlops-tui: mlops_tui.app has no main(); the headless commands work: mlops-tui --help",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return int(run(profile=args.profile, read_only=args.read_only) or 0)


def _error_types() -> tuple[type[BaseException], ...]:
    from mlops_tui.config import ConfigError
    from mlops_tui.credentials import CredentialsError
    from mlops_tui.services.errors import PlatformError

    return (PlatformError, ConfigError, CredentialsError)


def print_error(exc: BaseException) -> None:
    """One line on stderr, never a traceback. Errors quote servers and job output: sanitised."""
    from mlops_tui.services.terminal_text import plain
    from mlops_tui.terminal import printable  # ASCII stand-ins in a locale without UTF-8

    if isinstance(exc, _error_types()):
        line = f"mlops-tui: {plain(str(exc))}"
    else:
        line = (
            f"mlops-tui: unexpected error: {type(exc).__name__}: {plain(str(exc))} "
            "(MLOPS_TUI_DEBUG=1 shows the details)"
        )
    print(printable(line), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from importlib.metadata import version

        print(f"mlops-tui {version('mlops-tui')}")
        return 0
    try:
        if args.command is None:
            return _launch_tui(args)
        return _dispatch(args)
    except KeyboardInterrupt:
        print("mlops-tui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `mlops-tui status | head`: the reader left; not an error of ours
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the exit-time flush quiet
        return 0
    except Exception as exc:
        if os.environ.get("MLOPS_TUI_DEBUG"):
            raise
        print_error(exc)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
