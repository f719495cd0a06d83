"""The prediction server: one process per deployment, serving one registered model version.

Run as ``python -m mlops_tui.platform.predictor --config <deployment.json> [--fd N] [--owner PID]
[--ready-fd N] [--pid-fd N]``. Before it serves it checks the bundle against the registry's
checksums and the XGBoost version the model was trained with, then imports the registered scoring
package and loads the scorer **once**. Exit code 3 means "refused to serve" (the supervisor then
stops retrying and shows the message).

HTTP is uvicorn's (httptools, uvloop) with the bounds of ``serving.protocol``; the routes, the
protocols and the metrics are in ``serving``. Everything a request holds is bounded before any
work: its head (16 KiB, within 10 s), its body (4 MiB, read only after the token is checked,
within 10 s), its rides (10,000, each field bounded by the scoring code's validation; from 2,000
rides the validation runs in a thread, so the event loop serves other clients meanwhile); open
connections are bounded too (an idle one gives way to a new one). benchmarks/load_fault.py
measures the worst request.

The listening socket survives a platform restart (``handover``): on SIGTERM, or a ``stop`` request
on its control socket (``platform stop``, for a server a dead platform left), the server stops
accepting, finishes what it is answering (5 s at most) and exits; if its platform is gone (its
lifeline ``$MLOPS_LIFELINE_FD`` reads end of file, or, without one, the ``--owner`` pid exits) it
serves on until the next platform claims it, or stops after the hand-over grace.

On a shared platform the server runs in a sandbox (``sandbox``): it sees its deployment folder,
its version's bundle and scoring package (read-only), and, read-only, the Python it runs on, where
uvicorn, uvloop, httptools, orjson and prometheus_client are imported from. Its pid there is 1, so
the platform tells it the pid it has on the host (``--pid-fd``), the one its answers name.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from mlops_tui.platform.connection_slots import ConnectionSlots
from mlops_tui.platform.handover import Keeper
from mlops_tui.platform.verified_import import Mismatch, import_verified, read_verified

REFUSED = 3
MAX_CONNECTIONS = 1000  # a quarter of the server's open-file limit (deployments.SERVER_LIMITS)
DRAIN_TIMEOUT_S = 5.0  # on SIGTERM, requests in progress get this long
KEEPALIVE_DRAIN_S = 1.0  # on SIGTERM, a kept-alive connection idle this long is closed
PID_TIMEOUT_S = 5.0  # how long the server waits for the platform to tell its host pid (--pid-fd)
PID_MAX = 1 << 22  # Linux's largest pid (PID_MAX_LIMIT, the ceiling of /proc/sys/kernel/pid_max)


class Refused(Exception):
    """The deployment must not serve (checksum or version mismatch, unloadable scoring code)."""


def _xgboost_version() -> str | None:
    for dist in ("xgboost-cpu", "xgboost"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            return metadata.version(dist)
    return None


def _major_minor(v: str) -> str:
    return ".".join(str(v).split(".")[:2])


def load_scorer(cfg: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Verify everything the server loads, then import the scoring package; ``(scorer, manifest)``.

    The bundle (model, manifest, zone table) and every file of the scoring package must match the
    checksums the registry recorded; the package runs from the verified bytes (``verified_import``).
    Raises :class:`Refused` naming the file or the reason.
    """
    bundle = Path(cfg["bundle_dir"])
    scoring = Path(cfg["scoring_path"])
    package = scoring.parent
    code_sums = cfg.get("scoring_checksums") or {}
    if not code_sums:
        raise Refused(
            f"version {cfg.get('version')} was registered before the registry recorded checksums of its "
            "scoring code, so that code cannot be verified: register the job again and deploy the new version"
        )
    try:
        read_verified(bundle, cfg.get("checksums") or {}, "bundle")
        sources = read_verified(package, code_sums, "scoring package")
    except Mismatch as exc:
        raise Refused(str(exc)) from None
    try:
        manifest = json.loads((bundle / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise Refused(f"cannot read {bundle}/manifest.json: {exc}") from None
    trained = manifest.get("xgboost_version")
    installed = _xgboost_version()
    if trained and installed and _major_minor(trained) != _major_minor(installed):
        raise Refused(
            f"the model was trained with XGBoost {trained} but this host has {installed}; a model read by "
            "another version can predict wrong values silently: retrain it here"
        )
    if scoring.relative_to(package).as_posix() not in sources:
        raise Refused(f"scoring code {scoring} is not part of the registered scoring package")
    try:
        module = import_verified(package, sources, scoring.stem)
    except Exception as exc:
        raise Refused(f"cannot import the scoring code {package.name}.{scoring.stem}: {exc}") from None
    scorer_cls = getattr(module, "Scorer", None)
    if scorer_cls is None or not hasattr(scorer_cls, "load"):
        raise Refused(f"{scoring} defines no Scorer class with a load(bundle_dir) method")
    try:
        scorer = scorer_cls.load(bundle)
    except Exception as exc:
        raise Refused(f"the scorer refused the bundle: {exc}") from None
    return scorer, manifest


def build_app(
    cfg: dict[str, Any], scorer: Any, manifest: dict[str, Any], load_seconds: float, pid: int | None = None
) -> Any:
    """The deployment's ASGI app, its batching and metrics, from its configuration; ``pid`` is the
    server's as the platform sees it (its answers' ``pid``), default ``os.getpid()``."""
    from mlops_tui.platform.serving import drift
    from mlops_tui.platform.serving.app import PredictionApp
    from mlops_tui.platform.serving.batching import AdaptiveBatcher, BatchPolicy
    from mlops_tui.platform.serving.metrics import ServingMetrics

    metrics = ServingMetrics(str(cfg["model"]), str(cfg["version"]), load_seconds)
    policy = BatchPolicy(
        max_batch_size=int(cfg.get("max_batch_size") or BatchPolicy.max_batch_size),
        max_wait_s=float(cfg.get("max_batch_wait_ms") or 0) / 1000.0,
    )
    predict = getattr(scorer, "predict_prepared", None)
    batcher = AdaptiveBatcher(predict, policy, metrics)  # type: ignore[arg-type]
    rows_seen = hasattr(scorer, "prepare") and predict is not None  # (PredictionApp.can_batch)
    monitor = drift.attach(manifest, metrics, rows_seen=rows_seen)
    return PredictionApp(cfg, scorer, manifest, metrics, batcher, pid=pid, drift=monitor)


async def _serve(
    app: Any, cfg: dict[str, Any], sock: socket.socket, folder: Path, owner: int | None, ready_fd: int | None
) -> None:
    import uvicorn

    from mlops_tui.platform.serving.protocol import Bounds, ServingState, bounded_protocol

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:  # SIGTERM is ours: hand-over, then drain
            yield

    bounds = Bounds(max_connections=int(cfg.get("max_connections") or MAX_CONNECTIONS))
    state = ServingState(bounds, ConnectionSlots(bounds.max_connections))
    app.batcher.requests_in_progress = lambda: state.slots.busy  # a lone request skips the queue
    config = uvicorn.Config(
        app,
        http=bounded_protocol(state),
        interface="asgi3",
        lifespan="off",
        ws="none",
        proxy_headers=False,
        server_header=False,
        access_log=False,
        log_config=None,
        timeout_keep_alive=bounds.keepalive_timeout,  # type: ignore[arg-type]
        timeout_graceful_shutdown=DRAIN_TIMEOUT_S,  # type: ignore[arg-type]
        backlog=512,
    )
    server = Server(config)
    stop = asyncio.Event()
    keeper = None
    if owner is not None:  # started by a platform: keep the socket for the next one (handover)
        grace = float(cfg.get("handover_grace_s") or 30.0)
        keeper = Keeper(folder, sock, owner, grace, stop.set)
        try:
            await keeper.start()
        except OSError as exc:  # serve anyway (the next platform replaces it the hard way)
            print(f"no hand-over control socket in {folder}: {exc}", flush=True)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.005)
    if serving.done():
        serving.result()  # its exception
        return
    print(f"serving {cfg['model']} v{cfg['version']} on {sock.getsockname()}", flush=True)
    if ready_fd is not None:  # tell the platform: the model is loaded and the socket accepted on
        with contextlib.suppress(OSError):
            os.write(ready_fd, b"ready\n")
        os.close(ready_fd)
    await stop.wait()
    if keeper is not None:
        keeper.close()
    # Drain: uvicorn stops accepting (the platform, or the next server, keeps the socket) and
    # answers each request in progress with Connection: close; kept-alive connections idle for
    # KEEPALIVE_DRAIN_S are closed meanwhile (one idle for less may carry a request right now).
    state.draining = True
    closing = asyncio.create_task(_close_idle(state))
    server.should_exit = True
    await serving
    closing.cancel()
    print("stopped", flush=True)


async def _close_idle(state: Any) -> None:
    while True:
        state.slots.close_kept_alive(KEEPALIVE_DRAIN_S)
        await asyncio.sleep(0.02)


def host_pid(fd: int | None, timeout: float = PID_TIMEOUT_S) -> int:
    """This server's pid as the platform sees it, read from the pipe ``--pid-fd`` (one decimal
    line the platform writes once it knows it), else ``os.getpid()``.

    In a sandbox the server is the first process of its own PID namespace, so ``os.getpid()`` is 1
    there; the platform records, shows and signals the host's pid, and the workshop answer's
    ``pid`` must name the same process. Waits at most ``timeout`` s (the platform writes it within
    milliseconds of the start, long before the model is loaded).
    """
    if fd is None:
        return os.getpid()
    text = b""
    try:
        poll = select.poll()  # (not select.select: it cannot wait on a descriptor above 1023)
        poll.register(fd, select.POLLIN)
        deadline = time.monotonic() + timeout
        while not text.endswith(b"\n") and len(text) < 32:
            ready = poll.poll(max(0.0, deadline - time.monotonic()) * 1000)
            chunk = os.read(fd, 32) if ready else b""
            if not chunk:
                break
            text += chunk
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
    line = text.removesuffix(b"\n") if text.endswith(b"\n") else b""  # a line cut short says nothing
    pid = int(line) if line.isascii() and line.isdigit() else 0
    return pid if 1 < pid <= PID_MAX else os.getpid()


def _socket(cfg: dict[str, Any], fd: int | None) -> socket.socket:
    if fd is not None:
        sock = socket.socket(fileno=fd)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((cfg.get("host", "127.0.0.1"), int(cfg["port"])))
        sock.listen(512)
    sock.setblocking(False)
    return sock


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mlops_tui.platform.predictor")
    ap.add_argument("--config", required=True, help="the deployment.json the platform wrote")
    ap.add_argument(
        "--fd", type=int, default=None, help="an already listening socket inherited from the platform"
    )
    ap.add_argument(
        "--owner", type=int, default=None, help="the platform's pid: hand the socket over when it is gone"
    )
    ap.add_argument("--ready-fd", type=int, default=None, help="a pipe to write 'ready' to once serving")
    ap.add_argument(
        "--pid-fd", type=int, default=None, help="a pipe the platform writes this server's host pid to"
    )
    args = ap.parse_args(argv)
    try:
        cfg = json.loads(Path(args.config).read_text())
    except (OSError, ValueError) as exc:
        print(f"REFUSED: cannot read the deployment config {args.config}: {exc}", file=sys.stderr, flush=True)
        return REFUSED
    t0 = time.perf_counter()
    try:
        scorer, manifest = load_scorer(cfg)
    except Refused as exc:
        print(f"REFUSED: {exc}", file=sys.stderr, flush=True)
        return REFUSED
    load_seconds = time.perf_counter() - t0
    pid = host_pid(args.pid_fd)
    print(f"loaded {cfg['model']} v{cfg['version']} in {load_seconds * 1000:.0f} ms (pid {pid})", flush=True)
    app = build_app(cfg, scorer, manifest, load_seconds, pid)
    serve = _serve(app, cfg, _socket(cfg, args.fd), Path(args.config).parent, args.owner, args.ready_fd)
    try:
        import uvloop
    except ImportError:  # (a platform without uvloop's wheels: the standard loop serves too)
        asyncio.run(serve)
    else:
        uvloop.run(serve)
    return 0


if __name__ == "__main__":
    sys.exit(main())
