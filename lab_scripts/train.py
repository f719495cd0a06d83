"""Train the taxi travel-time model (the workshop's Lab 3) and write a model bundle.

    python -m <package>.train --data trips.csv --output DIR [--zones zones.csv] [--max-depth 6]
        [--rounds 300] [--learning-rate 0.15] [--seed 0] [--test-size 0.2] [--early-stopping 20]

(the parameters, their defaults and ranges are defined once in `params.py`).

Reads TLC trips (`tlc.load_trips`, cleaned as in the workshop), derives the features with the
same function serving uses, holds out a seeded test set (`--test-size`), trains XGBoost
(`xgboost.train`, histogram trees, 2 threads) with early stopping on a validation slice of the
training rows (so the test set stays unseen), and reports RMSE, MAE, R2, RMSLE and the MAE of
always predicting the training median (`baseline_mae`: the model must beat it).

Output for the platform: lines `@@mlops {"type": ...}` (progress, data, round, metrics, artifact;
see docs/local-platform-api.md section 4) between human-readable lines, all flushed. The bundle
in DIR: model.ubj (XGBoost UBJSON: no pickle, no code), zones.csv (the zone coordinates used),
manifest.json (features, input schema, metrics, params, data fingerprint, file checksums,
XGBoost version, and each feature's distribution in the training data as histogram bins, which
the prediction server compares what it is asked with: feature_bins.py). Exit 2 with a one-line
message on bad input.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from .data_profile import describe_dropped, too_few_rides
from .feature_bins import feature_distribution
from .features import FEATURES, INPUT_SCHEMA, WORKSHOP_COLUMNS, frame_to_matrix
from .params import PARAMS, ParamError, check
from .synthetic import is_synthetic
from .tlc import load_trips, parse_period
from .zones import load_zones, write_zones

BUNDLE_FORMAT = "mlops-tui-taxi/1"
MODEL_FILE = "model.ubj"
ZONES_FILE = "zones.csv"
MANIFEST_FILE = "manifest.json"
MIN_ROWS = 50
NTHREAD = 2
VALIDATION_SHARE = 0.1  # of the training rows, for early stopping


class BadInput(Exception):
    """A problem with the data or the arguments that the user must fix (exit 2)."""


def emit(kind: str, **fields: Any) -> None:
    """One structured line for the platform: `@@mlops {"type": kind, ...}`."""
    print("@@mlops " + json.dumps({"type": kind, **fields}, separators=(",", ":")), flush=True)


def say(text: str) -> None:
    print(text, flush=True)


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def split_indices(n: int, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded shuffle, then (train, test) row indices; both non-empty."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = min(n - 1, max(1, round(n * test_size)))
    return order[n_test:], order[:n_test]


def regression_metrics(y: np.ndarray, pred: np.ndarray, baseline: float) -> dict[str, float]:
    """RMSE, MAE, R2 and RMSLE (predictions clipped at 0, as the workshop did), plus the baseline's."""
    pred = np.clip(pred.astype(np.float64), 0.0, None)
    err = pred - y
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return {
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mae": float(np.mean(np.abs(err))),
        "r2": 1.0 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else 0.0,
        "rmsle": float(np.sqrt(np.mean((np.log1p(pred) - np.log1p(y)) ** 2))),
        "baseline_mae": float(np.mean(np.abs(baseline - y))),
        "baseline_rmse": float(np.sqrt(np.mean((baseline - y) ** 2))),
    }


def _progress(stage: str, pct: int) -> None:
    emit("progress", stage=stage, pct=pct)


def _load(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    data = Path(args.data)
    if not data.is_file():
        raise BadInput(f"data file not found: {data}")
    try:
        zones = load_zones(args.zones) if args.zones else load_zones()
    except (OSError, ValueError) as exc:
        raise BadInput(f"cannot read the zone file {args.zones}: {exc}") from None
    _progress("load", 0)
    say(f"Reading {data} ...")
    fingerprint = sha256_file(data)
    try:
        trips = load_trips(data, zones, period=args.period)
    except (OSError, ValueError) as exc:  # MissingColumnsError is a ValueError
        raise BadInput(str(exc)) from None
    synthetic = is_synthetic(data)
    info = {
        "path": str(data.resolve()), "rows": int(trips.attrs["rows"]), "used_rows": len(trips),
        "fingerprint": fingerprint, "synthetic": synthetic, "layout": trips.attrs["layout"],
        "times": trips.attrs["times"], "period": trips.attrs["period"],
        "dropped": trips.attrs["dropped"],
    }
    if len(trips):
        info["first_pickup"] = trips["pickup_datetime"].min().isoformat()
        info["last_pickup"] = trips["pickup_datetime"].max().isoformat()
    emit("data", **info)
    say(f"{info['rows']} rides read, {info['used_rows']} kept after cleaning "
        f"({info['layout']} layout, period {info['period']['text']}"
        f"{', SYNTHETIC data' if synthetic else ''})")
    for line in describe_dropped(info["dropped"]):
        say("  " + line)
    if len(trips) < MIN_ROWS:
        raise BadInput(too_few_rides(data.name, info["rows"], len(trips), info["dropped"]))
    return trips, {"zones": zones, **info}


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Run the whole training; returns the manifest written."""
    started = time.perf_counter()
    trips, info = _load(args)
    zones = info.pop("zones")
    _progress("features", 10)
    x = frame_to_matrix(trips)
    y = trips["duration"].to_numpy(dtype=np.float64)
    del trips  # the matrix holds what training needs: free the frame before XGBoost's copies
    feature_ranges = {n: [float(x[:, i].min()), float(x[:, i].max())] for i, n in enumerate(FEATURES)}
    distribution = feature_distribution(x, FEATURES)  # the training side of drift (docs/drift.md)
    train_idx, test_idx = split_indices(len(y), args.test_size, args.seed)
    fit_idx, valid_idx = split_indices(len(train_idx), VALIDATION_SHARE, args.seed + 1)
    fit_idx, valid_idx = train_idx[fit_idx], train_idx[valid_idx]
    say(f"Features: {', '.join(FEATURES)}")
    say(f"Rows: {len(fit_idx)} fit, {len(valid_idx)} validation (early stopping), "
        f"{len(test_idx)} test")

    import xgboost as xgb

    params = {
        "objective": "reg:squarederror", "eval_metric": "rmse", "tree_method": "hist",
        "max_depth": args.max_depth, "eta": args.learning_rate, "min_child_weight": 5,
        "subsample": 0.9, "colsample_bytree": 1.0, "seed": args.seed, "nthread": NTHREAD,
    }
    names = list(FEATURES)
    dfit = xgb.DMatrix(x[fit_idx], label=y[fit_idx], feature_names=names, nthread=NTHREAD)
    dvalid = xgb.DMatrix(x[valid_idx], label=y[valid_idx], feature_names=names, nthread=NTHREAD)
    dtest = xgb.DMatrix(x[test_idx], feature_names=names, nthread=NTHREAD)
    del x  # each DMatrix holds its own copy
    _progress("train", 20)
    say(f"Training XGBoost {xgb.__version__}: up to {args.rounds} rounds, max_depth "
        f"{args.max_depth}, learning rate {args.learning_rate}")
    callbacks: list[Any] = [_round_reporter(xgb, args.rounds)]
    if args.early_stopping > 0:
        callbacks.append(xgb.callback.EarlyStopping(rounds=args.early_stopping, save_best=False))
    fit_started = time.perf_counter()
    booster = xgb.train(params, dfit, num_boost_round=args.rounds,
                        evals=[(dfit, "train"), (dvalid, "eval")], verbose_eval=False,
                        callbacks=callbacks)
    train_seconds = time.perf_counter() - fit_started
    rounds_run = booster.num_boosted_rounds()
    best = int(booster.attr("best_iteration") or rounds_run - 1) if args.early_stopping > 0 \
        else rounds_run - 1
    booster = booster[: best + 1]  # keep only the trees up to the best validation round

    _progress("evaluate", 90)
    pred = booster.predict(dtest)
    baseline = float(np.median(y[train_idx]))
    metrics = regression_metrics(y[test_idx], pred, baseline)
    metrics.update({"train_seconds": round(train_seconds, 3), "best_round": best + 1,
                    "rounds_run": rounds_run, "train_rows": len(train_idx),
                    "test_rows": len(test_idx), "baseline_median": baseline,
                    "total_seconds": round(time.perf_counter() - started, 3)})
    metrics = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()}
    emit("metrics", **metrics)
    say(f"Test set ({len(test_idx)} rides): RMSE {metrics['rmse']:.1f} s, MAE {metrics['mae']:.1f} s, "
        f"R2 {metrics['r2']:.3f}, RMSLE {metrics['rmsle']:.3f}; predicting the median "
        f"({baseline:.0f} s) gives MAE {metrics['baseline_mae']:.1f} s")

    _progress("save", 95)
    out = Path(args.output)
    manifest = _write_bundle(out, booster, xgb.__version__, zones, {
        "metrics": metrics,
        "params": {**params, "rounds": args.rounds, "early_stopping": args.early_stopping,
                   "learning_rate": args.learning_rate, "test_size": args.test_size,
                   "validation_share": VALIDATION_SHARE, "best_round": best + 1},
        "data": info,
        "feature_ranges": feature_ranges,
        "feature_distribution": distribution,
    })
    emit("artifact", path=str(out.resolve()), model_file=MODEL_FILE, manifest=MANIFEST_FILE,
         files=manifest["files"])
    say(f"Model bundle written to {out.resolve()}")
    _progress("done", 100)
    return manifest


def _round_reporter(xgb: Any, rounds: int) -> Any:
    """An XGBoost callback printing one `round` line per boosting round."""

    class RoundReporter(xgb.callback.TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
            line: dict[str, Any] = {"round": epoch + 1}
            for data_name, by_metric in evals_log.items():
                for metric, values in by_metric.items():
                    line[f"{data_name}-{metric}"] = round(float(values[-1]), 4)
            emit("round", **line)
            step = max(1, rounds // 10)
            if (epoch + 1) % step == 0:
                _progress("train", 20 + int(70 * (epoch + 1) / rounds))
                say(f"[{epoch + 1}] train-rmse {line.get('train-rmse', float('nan')):.1f}  "
                    f"eval-rmse {line.get('eval-rmse', float('nan')):.1f}")
            return False

    return RoundReporter()


def _write_bundle(out: Path, booster: Any, xgb_version: str, zones: Any,
                  parts: dict[str, Any]) -> dict[str, Any]:
    """model.ubj and zones.csv, then manifest.json last (its presence marks a complete bundle)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / MANIFEST_FILE).unlink(missing_ok=True)
        booster.save_model(str(out / MODEL_FILE))
        write_zones(zones, out / ZONES_FILE)
    except OSError as exc:
        raise BadInput(f"cannot write the model bundle to {out}: {exc}") from None
    manifest = {
        "format": BUNDLE_FORMAT,
        "model_file": MODEL_FILE,
        "zones_file": ZONES_FILE,
        "xgboost_version": xgb_version,
        "features": list(FEATURES),
        "target": {"name": "duration", "unit": "seconds"},
        "input_schema": INPUT_SCHEMA,
        "workshop_columns": list(WORKSHOP_COLUMNS),  # f0 ... f13 of the workshop's earliest request
        **parts,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "job_id": os.environ.get("MLOPS_JOB_ID"),
        "code": {"package": __package__},
        "files": {name: sha256_file(out / name) for name in (MODEL_FILE, ZONES_FILE)},
    }
    tmp = out / (MANIFEST_FILE + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.replace(out / MANIFEST_FILE)
    return manifest


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse prints usage too)
        print(f"error: {message} (see --help)", file=sys.stderr, flush=True)
        sys.exit(2)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = _Parser(prog="train", description="Train the NYC taxi travel-time model (XGBoost).")
    p.add_argument("--data", required=True, help="TLC trip file, CSV or Parquet")
    p.add_argument("--output", required=True, help="bundle directory to write")
    p.add_argument("--zones", help="zone table CSV (default: zones.csv beside this code)")
    p.add_argument("--period", help="months the data must cover, YYYY-MM or YYYY-MM..YYYY-MM "
                                    "(default: the file's own, the months holding 99%% of its rides)")
    for param in PARAMS:
        p.add_argument(param.flag, type=str, default=param.default, help=f"{param.help} ({param.rule})")
    args = p.parse_args(argv)
    for param in PARAMS:
        dest = param.name.replace("-", "_")
        try:
            setattr(args, dest, check(param.name, getattr(args, dest)))
        except ParamError as exc:
            p.error(f"--{exc}")
    if args.period:
        try:
            parse_period(args.period)
        except ValueError as exc:
            p.error(f"--period: {exc}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        train(args)
    except BadInput as exc:
        message = " ".join(str(exc).split())
        print(f"error: {message}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
