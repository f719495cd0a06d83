"""The server's model loaded through XGBoost's library without its Python package (issue 9's
footprint): same values as ``xgboost.Booster`` to the bit, no ``xgboost`` or scipy import, the
Python package where the library cannot be found, XGBoost's message for a model it cannot read."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xgboost
from mlops_tui.lab_scripts import native_booster, scoring
from mlops_tui.lab_scripts.scoring import BundleError, Scorer

from .conftest import TrainRun, ship_code
from .test_dense_predict import _rows

pytestmark = pytest.mark.slow


def _model_file(trained: TrainRun) -> Path:
    return trained.bundle / trained.manifest["model_file"]


@pytest.mark.parametrize("n", [1, 17, 1000])
def test_the_native_booster_predicts_what_xgboosts_booster_does(trained: TrainRun, n: int) -> None:
    scorer = Scorer.load(trained.bundle)
    assert isinstance(scorer.booster, native_booster.NativeBooster)
    reference = xgboost.Booster(model_file=str(_model_file(trained)))
    x = _rows(n, seed=n)
    assert np.array_equal(scorer._model.predict(x), reference.inplace_predict(x))
    assert scorer.booster.version == xgboost.__version__.split("+")[0]


def test_loading_and_scoring_imports_neither_xgboost_nor_scipy(trained: TrainRun, tmp_path: Path) -> None:
    """The shipped package, as the server imports it: a fresh interpreter, the model loaded, one ride."""
    root = ship_code(tmp_path / "code")
    probe = (
        "import json, sys\n"
        "from taxi.scoring import Scorer\n"
        "from taxi.features import WORKSHOP_EXAMPLE\n"
        f"scorer = Scorer.load({str(trained.bundle)!r})\n"
        "values, _ = scorer.predict(dict(WORKSHOP_EXAMPLE))\n"
        "print(json.dumps({'values': values, 'modules': sorted(m for m in sys.modules\n"
        "    if m.split('.')[0] in ('xgboost', 'scipy', 'pandas', 'sklearn'))}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True,
                          timeout=120, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["modules"] == []
    in_this_process = Scorer.load(trained.bundle).predict(dict(scoring._features.WORKSHOP_EXAMPLE))
    assert result["values"] == in_this_process[0]


def test_without_the_library_the_python_package_loads_the_model(
    trained: TrainRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    native = Scorer.load(trained.bundle)
    monkeypatch.setattr(native_booster, "shared_library", lambda: None)
    packaged = Scorer.load(trained.bundle)
    assert isinstance(packaged.booster, xgboost.Booster)
    x = _rows(40)
    assert np.array_equal(packaged._model.predict(x), native._model.predict(x))


def test_the_library_is_not_found_where_the_package_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> None:
        return None

    monkeypatch.setattr(native_booster.importlib.util, "find_spec", missing)
    assert native_booster.shared_library() is None


def test_a_model_file_xgboost_cannot_read_is_refused_with_its_message(
    trained: TrainRun, tmp_path: Path
) -> None:
    library = native_booster.shared_library()
    broken = tmp_path / "model.ubj"
    broken.write_bytes(b"{not a model")
    with pytest.raises(native_booster.NativeBoosterError) as caught:
        native_booster.NativeBooster(library, broken)
    assert str(caught.value)  # XGBoost's own words, not empty
    with pytest.raises(BundleError, match=r"cannot load the model file of .*: .+"):
        scoring._load_booster(library, broken)
