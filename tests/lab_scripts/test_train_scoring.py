"""train.py as a real subprocess, its structured lines and bundle; the Scorer that serves it."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xgboost
from mlops_tui.lab_scripts.features import FEATURES, INPUT_SCHEMA, WORKSHOP_EXAMPLE, FieldError
from mlops_tui.lab_scripts.scoring import BundleError, Scorer

from .conftest import TRAIN_ROUNDS, TrainRun, run_train

pytestmark = pytest.mark.slow


def test_structured_lines(trained: TrainRun) -> None:
    kinds = {s["type"] for s in trained.structured}
    assert kinds == {"progress", "data", "round", "metrics", "artifact"}
    progress = [s["pct"] for s in trained.of_type("progress")]
    assert progress[0] == 0 and progress[-1] == 100 and progress == sorted(progress)
    assert all({"stage", "pct"} <= set(s) for s in trained.of_type("progress"))

    (data,) = trained.of_type("data")
    digest = hashlib.sha256(trained.data.read_bytes()).hexdigest()
    assert data["fingerprint"] == f"sha256:{digest}"
    assert data["rows"] == 4000 and 3880 < data["used_rows"] < 4000 and data["synthetic"] is True

    rounds = trained.of_type("round")
    (metrics,) = trained.of_type("metrics")
    assert [r["round"] for r in rounds] == list(range(1, metrics["rounds_run"] + 1))
    assert metrics["rounds_run"] <= TRAIN_ROUNDS
    assert all(isinstance(r["train-rmse"], float) and isinstance(r["eval-rmse"], float) for r in rounds)
    assert rounds[-1]["train-rmse"] < rounds[0]["train-rmse"]
    for key in ("rmse", "mae", "r2", "rmsle", "baseline_mae", "train_seconds"):
        assert isinstance(metrics[key], float), key
    assert metrics["mae"] < 0.6 * metrics["baseline_mae"] and metrics["r2"] > 0.6
    assert metrics["rmse"] >= metrics["mae"] > 0 and 0 < metrics["rmsle"] < 1

    (artifact,) = trained.of_type("artifact")
    assert Path(artifact["path"]) == trained.bundle.resolve()
    # the lines are the exact contract format and human lines are interleaved
    lines = trained.stdout.splitlines()
    assert all(re.fullmatch(r'@@mlops \{"type":"\w+".*\}', ln) for ln in lines if ln.startswith("@@"))
    assert any(not ln.startswith("@@mlops ") and "MAE" in ln for ln in lines)


def test_bundle_and_manifest(trained: TrainRun) -> None:
    manifest = trained.manifest
    assert manifest["format"] == "mlops-tui-taxi/1" and manifest["model_file"] == "model.ubj"
    assert manifest["xgboost_version"] == xgboost.__version__
    assert manifest["features"] == list(FEATURES)
    assert manifest["input_schema"] == json.loads(json.dumps(INPUT_SCHEMA))
    metrics_line = {k: v for k, v in trained.of_type("metrics")[0].items() if k != "type"}
    assert manifest["metrics"] == metrics_line
    assert manifest["params"]["max_depth"] == 6 and manifest["params"]["rounds"] == TRAIN_ROUNDS
    assert manifest["params"]["nthread"] == 2
    data = manifest["data"]
    assert data["synthetic"] is True and data["rows"] == 4000 and data["fingerprint"].startswith("sha256:")
    assert data["path"] == str(trained.data.resolve())
    assert manifest["job_id"] == "7" and manifest["code"]["package"] == "taxi"
    assert manifest["trained_at"].endswith("+00:00")
    for name, checksum in manifest["files"].items():
        assert checksum == "sha256:" + hashlib.sha256((trained.bundle / name).read_bytes()).hexdigest()
    assert set(manifest["files"]) == {"model.ubj", "zones.csv"}
    # the model file is UBJSON (no pickle) and has only the trees up to the best round
    booster = xgboost.Booster(model_file=str(trained.bundle / "model.ubj"))
    assert booster.num_boosted_rounds() == manifest["metrics"]["best_round"]


@pytest.fixture(scope="module")
def scorer(trained: TrainRun) -> Scorer:
    return Scorer.load(trained.bundle)


def test_workshop_request_is_plausible_with_a_work_warning(scorer: Scorer) -> None:
    values, warnings = scorer.predict(WORKSHOP_EXAMPLE)
    # Coney Island to Little Italy, 8 miles, weekday 9 am: somewhere between 20 and 75 minutes
    assert len(values) == 1 and 1200 < values[0] < 4500
    assert any("work" in w for w in warnings)


def test_predictions_are_sensible(scorer: Scorer) -> None:
    base = {"pickup_datetime": "2019-03-05T09:00:00", "pickup_zone": 161, "dropoff_zone": 230}
    short, _ = scorer.predict({**base, "distance": 0.6})
    airport, _ = scorer.predict({**base, "dropoff_zone": 132, "distance": 17.5})
    night, _ = scorer.predict({**base, "pickup_datetime": "2019-03-05T03:00:00", "dropoff_zone": 132,
                               "distance": 17.5})
    assert 60 < short[0] < 900 and airport[0] > 3 * short[0] and night[0] < airport[0]
    batch, warnings = scorer.predict([{**base, "distance": 0.6},
                                      {**base, "dropoff_zone": 132, "distance": 17.5}])
    assert batch == short + airport and warnings == []


def test_predict_rejects_bad_fields(scorer: Scorer) -> None:
    with pytest.raises(FieldError) as info:
        scorer.predict({**WORKSHOP_EXAMPLE, "hour": 25})
    assert info.value.field == "hour"


def test_out_of_range_inputs_are_flagged(trained: TrainRun, bundle_copy: Path) -> None:
    manifest = json.loads((bundle_copy / "manifest.json").read_text())
    assert manifest["feature_ranges"]["month"] == [1.0, 6.0]
    values, warnings = Scorer.load(bundle_copy).predict({**WORKSHOP_EXAMPLE, "work": 1, "month_2": 0,
                                                         "month_11": 1})
    assert values[0] > 0 and any(w.startswith("month 11 is outside the training data") for w in warnings)


def test_serving_never_builds_a_dataframe(trained: TrainRun) -> None:
    """Serving goes from JSON to numpy to XGBoost: pandas is never even imported."""
    code = ("import sys; from mlops_tui.lab_scripts.scoring import Scorer; "
            "from mlops_tui.lab_scripts.features import WORKSHOP_EXAMPLE; "
            f"s = Scorer.load({str(trained.bundle)!r}); s.predict(WORKSHOP_EXAMPLE); "
            "s.predict([WORKSHOP_EXAMPLE] * 50); assert 'pandas' not in sys.modules")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_refuses_a_modified_model(bundle_copy: Path) -> None:
    model = bundle_copy / "model.ubj"
    data = bytearray(model.read_bytes())
    data[-10] ^= 0xFF
    model.write_bytes(bytes(data))
    with pytest.raises(BundleError, match=r"model\.ubj does not match its manifest checksum"):
        Scorer.load(bundle_copy)


def test_refuses_modified_zone_coordinates(bundle_copy: Path) -> None:
    zones = bundle_copy / "zones.csv"
    zones.write_text(zones.read_text().replace("40.643", "40.743"))
    with pytest.raises(BundleError, match=r"zones\.csv"):
        Scorer.load(bundle_copy)


def test_refuses_another_xgboost_version(bundle_copy: Path) -> None:
    path = bundle_copy / "manifest.json"
    manifest = json.loads(path.read_text())
    major, minor = (int(p) for p in xgboost.__version__.split(".")[:2])
    manifest["xgboost_version"] = f"{major}.{minor + 1}.0"
    path.write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match=f"XGBoost {major}.{minor + 1}.0 but this host has"):
        Scorer.load(bundle_copy)
    manifest["xgboost_version"] = f"{major}.{minor}.99"  # a patch release is fine
    path.write_text(json.dumps(manifest))
    assert Scorer.load(bundle_copy).predict(WORKSHOP_EXAMPLE)[0]


def test_refuses_other_features_or_no_manifest(bundle_copy: Path) -> None:
    path = bundle_copy / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["features"] = [*manifest["features"][:-1], "tip_amount"]
    path.write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="tip_amount"):
        Scorer.load(bundle_copy)
    path.unlink()
    with pytest.raises(BundleError, match=r"manifest\.json not found"):
        Scorer.load(bundle_copy)
    (bundle_copy / "model.ubj").unlink()
    path.write_text(json.dumps(manifest | {"features": list(FEATURES)}))
    with pytest.raises(BundleError, match=r"model\.ubj is missing"):
        Scorer.load(bundle_copy)


def test_scoring_script_interface(trained: TrainRun, code_root: Path, tmp_path: Path) -> None:
    script = code_root / "taxi" / "scoring.py"
    proc = subprocess.run([sys.executable, str(script), json.dumps(WORKSHOP_EXAMPLE)], cwd=tmp_path,
                          env={**os.environ, "MLOPS_MODEL_DIR": str(trained.bundle)},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert re.fullmatch(r"The ride duration prediction is \d+\.\d seconds\.\n", proc.stdout)
    assert "work" in proc.stderr
    value = float(proc.stdout.split()[-2])
    assert value == Scorer.load(trained.bundle).predict(WORKSHOP_EXAMPLE)[0][0]

    bad = subprocess.run([sys.executable, str(script), '{"hour": 30}', "--bundle", str(trained.bundle)],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "error:" in bad.stderr and bad.stdout == ""
    missing = subprocess.run([sys.executable, str(script), "{}"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=60, env={k: v for k, v in os.environ.items()
                                                         if k != "MLOPS_MODEL_DIR"})
    assert missing.returncode == 2 and "MLOPS_MODEL_DIR" in missing.stderr


def _one_line_error(run: TrainRun) -> str:
    assert run.returncode == 2, (run.stdout, run.stderr)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    return lines[0]


def test_bad_input_exits_2_with_one_line(code_root: Path, small_csv: Path, tmp_path: Path) -> None:
    message = _one_line_error(run_train(code_root, tmp_path / "missing.csv", tmp_path / "out1"))
    assert "not found" in message and "missing.csv" in message

    broken = tmp_path / "broken.csv"
    broken.write_text("\n".join(ln.replace(",DOLocationID", ",DOLoc") for ln in
                                small_csv.read_text().splitlines()[:100]) + "\n")
    message = _one_line_error(run_train(code_root, broken, tmp_path / "out2"))
    assert "DOLocationID" in message and "broken.csv" in message

    few = tmp_path / "trips.csv"
    few.write_text("\n".join(small_csv.read_text().splitlines()[:21]) + "\n")
    run = run_train(code_root, few, tmp_path / "out3")
    message = _one_line_error(run)
    assert "too few" in message and "20" in message
    assert run.of_type("data")[0]["synthetic"] is False
    assert not (tmp_path / "out3" / "manifest.json").exists()

    message = _one_line_error(run_train(code_root, small_csv, tmp_path / "out4", "--test-size", "2"))
    assert "--test-size" in message
    message = _one_line_error(run_train(code_root, small_csv, tmp_path / "out5", "--rounds", "many"))
    assert "--rounds" in message


@pytest.mark.shared_data
def test_real_sample_beats_the_baseline(real_sample: Path, code_root: Path, tmp_path: Path) -> None:
    run = run_train(code_root, real_sample, tmp_path / "job-real")
    assert run.returncode == 0, run.stderr
    (data,) = run.of_type("data")
    assert data["rows"] == 6500 and data["synthetic"] is False and data["used_rows"] > 6000
    (metrics,) = run.of_type("metrics")
    assert metrics["mae"] < 0.75 * metrics["baseline_mae"], metrics
    assert metrics["r2"] > 0.5
    scorer = Scorer.load(run.bundle)
    values, warnings = scorer.predict(WORKSHOP_EXAMPLE)
    assert 900 < values[0] < 5400
    assert any("work" in w for w in warnings)
    # The sample's one February ride (Feb 28) is outside its period (March) and dropped, so the
    # workshop's February ride is the only thing outside the training data.
    assert [w.split(" is outside")[0] for w in warnings if "outside" in w] == ["month 2"]
    _, warnings = scorer.predict({**WORKSHOP_EXAMPLE, "month_2": 0, "month_9": 1})
    assert any(w.startswith("month 9 is outside the training data (3 to 3)") for w in warnings)
    print(f"real sample: {metrics}")  # visible with -s; the numbers quoted in the report
    assert np.isfinite(values).all()


def test_scoring_script_finds_model_through_configmeta(trained: TrainRun, code_root: Path,
                                                        tmp_path: Path) -> None:
    """A KubeDirector deployment engine passes only scoring_args; the model path comes from
    the connected model ConfigMap in configmeta.json (reference §5.1)."""
    meta = tmp_path / "configmeta.json"
    meta.write_text(json.dumps({"connections": {"configmaps": {"model": [
        {"metadata": {"name": "mlops-model-x"},
         "data": {"name": "mlops-model-x", "path": str(trained.bundle / "model.ubj")}}]}}}))
    env = {k: v for k, v in os.environ.items() if k != "MLOPS_MODEL_DIR"} | {"MLOPS_CONFIGMETA": str(meta)}
    proc = subprocess.run([sys.executable, str(code_root / "taxi" / "scoring.py"),
                           json.dumps(WORKSHOP_EXAMPLE)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("The ride duration prediction is ")
