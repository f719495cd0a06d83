"""Serve the taxi model: load a bundle once, then predict ride durations in well under a millisecond.

`Scorer.load(bundle_dir)` checks the bundle before trusting it: every file's sha256 must match
the manifest (a modified or corrupted model is refused), the XGBoost major.minor version must be
the one that wrote the model (another version can silently predict wrong values), and the
bundle's feature list must be the one this code derives. `predict(records)` builds the feature
rows directly as numpy (see features.py) and calls the model through XGBoost's C API
(dense_predict.py): no DataFrame per request. The model is loaded without the `xgboost` Python
package where its library is found (native_booster.py says why).

As a script it keeps the workshop's scoring-script interface (one JSON `scoring_args` argument,
one sentence printed):

    python scoring.py '{"start_latitude": 40.57, ...}' [--bundle DIR]   (or MLOPS_MODEL_DIR=DIR)
    The ride duration prediction is 1534.2 seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

if __package__:
    from . import dense_predict as _dense_predict
    from . import features as _features
    from . import native_booster as _native_booster
    from . import typed_rides as _typed_rides
    from . import zones as _zones
else:  # run or loaded as a plain file: import the folder it lives in as its package
    _here = Path(__file__).resolve().parent
    if str(_here.parent) not in sys.path:
        sys.path.insert(0, str(_here.parent))
    _dense_predict = importlib.import_module(f"{_here.name}.dense_predict")
    _features = importlib.import_module(f"{_here.name}.features")
    _native_booster = importlib.import_module(f"{_here.name}.native_booster")
    _typed_rides = importlib.import_module(f"{_here.name}.typed_rides")
    _zones = importlib.import_module(f"{_here.name}.zones")

FieldError = _features.FieldError
BUNDLE_FORMAT = "mlops-tui-taxi/1"
MODEL_DIR_ENV = "MLOPS_MODEL_DIR"
CONFIGMETA_ENV = "MLOPS_CONFIGMETA"
_BINARY = {"work", "weekday"}
# coordinates a hair outside the training area (about 1 km) are not worth a warning
_MARGIN = {"pickup_lat": 0.01, "pickup_lon": 0.013, "dropoff_lat": 0.01, "dropoff_lon": 0.013}
FEW_ROWS = 16  # up to this many rows, checks and rounding in plain Python beat numpy's per-call cost


class BundleError(RuntimeError):
    """A model bundle that must not be served (missing, modified, or from another XGBoost)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def _major_minor(version: str) -> tuple[str, ...]:
    return tuple(version.split("+")[0].split(".")[:2])


class Scorer:
    """A loaded, verified model bundle."""

    def __init__(self, bundle_dir: Path, manifest: dict[str, Any], booster: Any,
                 zones: Any) -> None:
        self.bundle_dir = bundle_dir
        self.manifest = manifest
        self.booster = booster
        self.zones = zones
        self.features: list[str] = list(manifest["features"])
        self.positional = tuple(manifest.get("workshop_columns") or _features.WORKSHOP_COLUMNS)
        ranges = manifest.get("feature_ranges") or {}
        self._checked = [(i, n, ranges[n][0] - _MARGIN.get(n, 0.0), ranges[n][1] + _MARGIN.get(n, 0.0))
                         for i, n in enumerate(self.features) if n in ranges and n not in _BINARY]
        self._checked_columns = [i for i, *_ in self._checked]
        self._low = np.array([lo for _, _, lo, _ in self._checked], dtype=np.float64)
        self._high = np.array([hi for *_, hi in self._checked], dtype=np.float64)
        self._model = _dense_predict.DensePredictor(booster)

    @property
    def xgboost_version(self) -> str:
        return str(self.manifest.get("xgboost_version"))

    @property
    def input_schema(self) -> dict[str, Any]:
        return self.manifest.get("input_schema") or _features.INPUT_SCHEMA

    @property
    def ride_type(self) -> Any:
        """The record type a server may decode the workshop's rides into before `prepare` (their
        types checked while the JSON is parsed: typed_rides says why); None without msgspec."""
        return _typed_rides.WorkshopRide

    @property
    def metrics(self) -> dict[str, Any]:
        return self.manifest.get("metrics") or {}

    @classmethod
    def load(cls, bundle_dir: str | Path) -> Scorer:
        """Verify and load a bundle; raises BundleError saying what is wrong."""
        bundle = Path(bundle_dir)
        manifest = read_manifest(bundle)
        verify_files(bundle, manifest)
        library = _native_booster.shared_library()
        wrote, have = str(manifest.get("xgboost_version", "")), _installed_xgboost(library)
        if _major_minor(wrote) != _major_minor(have):
            raise BundleError(
                f"model in {bundle} was written by XGBoost {wrote or 'unknown'} but this host has "
                f"{have}; a model read by another XGBoost version can predict wrong values "
                f"without any error: retrain it here, or install xgboost-cpu=={wrote}")
        if list(manifest.get("features") or []) != list(_features.FEATURES):
            raise BundleError(
                f"model in {bundle} expects features {manifest.get('features')} but this scoring "
                f"code derives {list(_features.FEATURES)}; serve it with the code it was trained with")
        booster = _load_booster(library, bundle / manifest["model_file"])
        booster.set_param({"nthread": 1})  # one request = a few rows: threads only add latency
        zones_file = manifest.get("zones_file")
        table = _zones.load_zones(bundle / zones_file) if zones_file else _zones.load_zones()
        return cls(bundle, manifest, booster, table)

    def predict(self, records: Any) -> tuple[list[float], list[str]]:
        """Durations in seconds (>= 0, 0.1 s resolution) and warnings for 1..n records.

        Raises features.FieldError (a ValueError, `.field` names the field) on bad input.
        """
        x, warnings = self.prepare(records)
        return self.predict_prepared(x), warnings

    def prepare(self, records: Any) -> tuple[np.ndarray, list[str]]:
        """The feature rows (n x len(features), float64) of one record (a dict: messages name no
        record number) or a list of 1..n records, and their warnings.

        The half of `predict` that depends on the request: a server may stack the rows of several
        requests and score them in one `predict_prepared` call (one model call costs about as
        much for 1 row as for 50). Raises features.FieldError on bad input.
        """
        x, warnings = _features.records_to_matrix(records, self.zones, self.positional)
        return x, warnings + self._range_warnings(x)

    def predict_prepared(self, x: np.ndarray) -> list[float]:
        """Durations in seconds (>= 0, rounded to 0.1 s half to even) of rows made by `prepare`:
        one model call."""
        values = self._model.predict(x)
        if len(values) <= FEW_ROWS:
            return [_duration(v) for v in values.tolist()]
        return np.round(np.maximum(values.astype(np.float64), 0.0), 1).tolist()

    def _outside(self, rows: list[list[float]]) -> bool:
        """Whether a value of ``rows`` is outside the training data's range (plain loops: a few rows)."""
        for row in rows:
            for i, _, lo, hi in self._checked:
                if not lo <= row[i] <= hi:
                    return True
        return False

    def _range_warnings(self, x: np.ndarray) -> list[str]:
        if not self._checked:
            return []
        if len(x) <= FEW_ROWS and not self._outside(x.tolist()):
            return []
        checked = x[:, self._checked_columns]  # one test for every column (one ride costs 3 µs, not 17)
        if not ((checked < self._low) | (checked > self._high)).any():
            return []
        notes = []
        for i, name, lo, hi in self._checked:
            col = x[:, i]
            outside = (col < lo) | (col > hi)
            if outside.any():
                first = float(col[np.argmax(outside)])
                count = int(outside.sum())
                many = f" ({count} records)" if count > 1 else ""
                notes.append(f"{name} {first:g} is outside the training data ({lo:g} to {hi:g}){many}: "
                             "the prediction is an extrapolation")
        return notes


def _installed_xgboost(library: Any) -> str:
    """The XGBoost version that will read the model: its library's, else its Python package's."""
    if library is not None:
        return _native_booster.library_version(library)
    import xgboost

    return xgboost.__version__


def _load_booster(library: Any, model_file: Path) -> Any:
    """The model through XGBoost's library where it was found (no ``import xgboost``, which loads
    scipy: native_booster.py says why), else through the Python package. Raises BundleError with
    XGBoost's message if it cannot read the file."""
    if library is not None:
        try:
            return _native_booster.NativeBooster(library, model_file)
        except _native_booster.NativeBoosterError as exc:
            raise BundleError(f"cannot load the model file of {model_file.parent}: {exc}") from None
    import xgboost

    try:
        return xgboost.Booster(model_file=str(model_file))
    except xgboost.core.XGBoostError as exc:
        raise BundleError(f"cannot load the model file of {model_file.parent}: {exc}") from None


def _duration(value: float) -> float:
    """``np.round(np.maximum(value, 0.0), 1)`` for one float, to the bit (numpy rounds x to one
    decimal as rint(x * 10) / 10; Python's round() of a float is rint too)."""
    if value != value or value in (math.inf, -math.inf):  # NaN and infinities as numpy leaves them
        return value if value != -math.inf else 0.0
    return round(value * 10.0) / 10.0 if value > 0.0 else 0.0


def read_manifest(bundle: Path) -> dict[str, Any]:
    path = bundle / "manifest.json"
    if not path.is_file():
        raise BundleError(f"{bundle} is not a model bundle: manifest.json not found")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BundleError(f"cannot read {path}: {exc}") from None
    if not isinstance(manifest, dict) or not str(manifest.get("format", "")).startswith("mlops-tui-taxi/"):
        raise BundleError(f"{path} is not a taxi model manifest (format {BUNDLE_FORMAT} expected)")
    for key in ("model_file", "files", "features", "xgboost_version"):
        if key not in manifest:
            raise BundleError(f"{path} lacks '{key}'")
    if manifest["model_file"] not in manifest["files"]:
        raise BundleError(f"{path} has no checksum for its model file {manifest['model_file']}")
    return manifest


def verify_files(bundle: Path, manifest: dict[str, Any]) -> None:
    """Every file listed in the manifest exists and has the recorded sha256."""
    for name, expected in manifest["files"].items():
        path = bundle / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise BundleError(f"manifest of {bundle} names a file outside the bundle: {name}")
        if not path.is_file():
            raise BundleError(f"{bundle} is incomplete: {name} is missing")
        actual = _sha256(path)
        if actual != expected:
            raise BundleError(
                f"{path} does not match its manifest checksum (expected {expected}, found {actual}); "
                "refusing to serve a modified or corrupted model")


def sentence(value: float) -> str:
    """The workshop's output line."""
    return f"The ride duration prediction is {value} seconds."


def configmeta_path() -> Path:
    return Path(os.environ.get(CONFIGMETA_ENV, "/etc/guestconfig/configmeta.json"))


def bundle_from_configmeta() -> str | None:
    """The model bundle a KubeDirector deployment engine was connected to.

    A real deployment engine runs this script with only ``scoring_args``; the model's ``path``
    comes from the connected model ConfigMap, which KubeDirector injects into configmeta.json.
    ``path`` may name the model file or its bundle directory.
    """
    try:
        meta = json.loads(configmeta_path().read_text())
        models = meta["connections"]["configmaps"]["model"]
        path = Path(models[0]["data"]["path"])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None
    return str(path.parent if path.suffix else path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Predict a taxi ride's duration (workshop interface).")
    parser.add_argument("scoring_args", help="JSON object (or list) of the ride's fields")
    parser.add_argument("--bundle", help=f"model bundle directory (default: ${MODEL_DIR_ENV})")
    args = parser.parse_args(argv)
    bundle = args.bundle or os.environ.get(MODEL_DIR_ENV) or bundle_from_configmeta()
    if not bundle:
        print(f"error: no model bundle: pass --bundle DIR, set {MODEL_DIR_ENV}, or connect a model "
              f"ConfigMap (read from {configmeta_path()})", file=sys.stderr)
        return 2
    try:
        scorer = Scorer.load(bundle)
        values, warnings = scorer.predict(args.scoring_args)
    except (BundleError, FieldError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for note in warnings:
        print(f"warning: {note}", file=sys.stderr)
    for value in values:
        print(sentence(value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
