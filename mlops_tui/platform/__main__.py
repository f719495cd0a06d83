"""``python -m mlops_tui.platform serve|add-user ...`` (the CLI's ``mlops-tui platform`` calls the same)."""

from __future__ import annotations

import argparse
import getpass
import sys

from mlops_tui.platform.deployments import ServingPolicy
from mlops_tui.platform.job_log import DEFAULT_MAX_MIB
from mlops_tui.platform.server import UserExists, add_user, serve


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m mlops_tui.platform", description="the embedded local ML Ops platform"
    )
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the platform in the foreground")
    s.add_argument("--state-dir", default=None, help="default: $MLOPS_TUI_STATE_DIR or the XDG state home")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=0, help="0 = any free port (written to platform.json)")
    s.add_argument("--workers", type=int, default=2, help="training jobs run at the same time")
    s.add_argument("--session-ttl-minutes", type=float, default=1440)
    policy = ServingPolicy()
    s.add_argument(
        "--restart-backoff",
        type=float,
        default=policy.restart_backoff,
        help="seconds before restarting a prediction server that keeps crashing (then doubled)",
    )
    s.add_argument(
        "--restart-backoff-max", type=float, default=policy.restart_backoff_max, help="the back-off's cap"
    )
    s.add_argument(
        "--handover-grace",
        type=float,
        default=policy.handover_grace,
        help="seconds the prediction servers of a stopped platform wait for the next one before they stop",
    )
    s.add_argument(
        "--health-every",
        type=float,
        default=policy.health_every,
        help="seconds between health checks of each prediction server (3 failed in a row: restarted)",
    )
    s.add_argument(
        "--job-log-max-mib",
        type=int,
        default=DEFAULT_MAX_MIB,
        help="each job's log is kept up to this many MiB, then only its last lines (the job goes on)",
    )
    s.add_argument(
        "--public-host",
        default="",
        help="host name in deployment URLs when --host is 0.0.0.0 or :: (default: this machine's name)",
    )
    s.add_argument("--cert", default=None, help="PEM certificate: serve HTTPS (with --key)")
    s.add_argument("--key", default=None, help="PEM private key of --cert")
    a = sub.add_parser("add-user", help="add a user (and the tenant if new), or reset a password")
    a.add_argument("--state-dir", default=None)
    a.add_argument("--tenant", required=True)
    a.add_argument("--user", required=True)
    a.add_argument("--reset", action="store_true", help="change the password of a user who exists")
    a.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin"
    )
    args = ap.parse_args(argv)
    if args.command == "serve":
        if args.workers < 1 or not 0 <= args.port <= 65535 or args.session_ttl_minutes <= 0:
            ap.error("--workers must be >= 1, --port 0..65535 and --session-ttl-minutes > 0")
        if not 0 < args.restart_backoff <= args.restart_backoff_max or args.handover_grace <= 0:
            ap.error("--restart-backoff must be > 0 and <= --restart-backoff-max; --handover-grace > 0")
        if args.health_every <= 0:
            ap.error("--health-every must be > 0")
        if args.job_log_max_mib < 1:
            ap.error("--job-log-max-mib must be at least 1")
        if any(c.isspace() or c in "/?#@" for c in args.public_host.strip()):
            ap.error("--public-host is a host name or address, e.g. class.example.org")
        if bool(args.cert) != bool(args.key):
            ap.error("--cert and --key go together (HTTPS needs both)")
        serving = ServingPolicy(
            restart_backoff=args.restart_backoff,
            restart_backoff_max=args.restart_backoff_max,
            handover_grace=args.handover_grace,
            health_every=args.health_every,
            public_host=args.public_host.strip(),
        )
        tls = (args.cert, args.key) if args.cert else None
        return serve(
            args.state_dir,
            args.host,
            args.port,
            args.workers,
            args.session_ttl_minutes,
            serving,
            tls,
            job_log_max_mib=args.job_log_max_mib,
        )
    password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else getpass.getpass("password: ")
    try:
        created = add_user(args.state_dir, args.tenant, args.user, password, reset=args.reset)
    except UserExists as exc:
        print(f"mlops-tui platform add-user: {exc} (add --reset to change it)", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"mlops-tui platform add-user: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        message = getattr(exc, "message", str(exc))
        print(f"mlops-tui platform add-user: {message}", file=sys.stderr)
        return 1
    print(
        f"added user {args.user} to tenant {args.tenant}"
        if created
        else f"user {args.user} exists in tenant {args.tenant}: its password is changed"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
