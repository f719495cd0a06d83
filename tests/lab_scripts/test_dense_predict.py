"""The scorer's fast paths give the values of the plain ones, to the bit: the model call through
XGBoost's C API (dense_predict) against ``inplace_predict``, one ride's features in Python against
numpy's columns, the rounding of a few values against numpy's."""

from __future__ import annotations

import math

import numpy as np
import pytest
from mlops_tui.lab_scripts import dense_predict, scoring
from mlops_tui.lab_scripts.features import (
    FEATURES,
    WORKSHOP_EXAMPLE,
    feature_columns,
    feature_row,
    records_to_matrix,
)
from mlops_tui.lab_scripts.scoring import Scorer

from .conftest import TrainRun

pytestmark = pytest.mark.slow


def _rows(n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cols = [
        rng.integers(0, 2, n).astype(float),  # weekday
        rng.integers(0, 24, n).astype(float),  # hour
        rng.integers(1, 7, n).astype(float),  # month
        rng.uniform(0.1, 30, n),  # distance
        rng.uniform(40.5, 40.9, n),
        rng.uniform(-74.1, -73.7, n),
        rng.uniform(40.5, 40.9, n),
        rng.uniform(-74.1, -73.7, n),
        rng.integers(1, 7, n).astype(float),
    ]
    return feature_columns(*cols)


@pytest.mark.parametrize("n", [1, 5, 16, 17, 1000])
def test_the_c_api_call_gives_inplace_predicts_values(trained: TrainRun, n: int) -> None:
    booster = Scorer.load(trained.bundle).booster
    x = _rows(n)
    predictor = dense_predict.DensePredictor(booster)
    assert predictor._lib is not None  # the C API call, not the fall-back
    got = predictor.predict(x)
    assert got.dtype == np.float32 and got.shape == (n,)
    assert np.array_equal(got, booster.inplace_predict(x))


def test_one_predictor_serves_calls_of_any_size_from_any_thread(trained: TrainRun) -> None:
    """Its proxy DMatrix (one per thread) takes each call's rows, whatever came before."""
    from concurrent.futures import ThreadPoolExecutor

    booster = Scorer.load(trained.bundle).booster
    predictor = dense_predict.DensePredictor(booster)
    with ThreadPoolExecutor(1) as pool:
        for seed, n in enumerate([1, 300, 2, 1, 40, 1]):
            x = _rows(n, seed)
            expected = booster.inplace_predict(x)
            assert np.array_equal(predictor.predict(x), expected)
            assert np.array_equal(pool.submit(predictor.predict, x).result(), expected)


def test_without_the_c_api_it_falls_back_to_inplace_predict(
    trained: TrainRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dense_predict, "_library", lambda booster: None)
    booster = Scorer.load(trained.bundle).booster
    x = _rows(3)
    assert np.array_equal(dense_predict.DensePredictor(booster).predict(x), booster.inplace_predict(x))


def test_a_failed_model_call_raises_xgboosts_message(trained: TrainRun) -> None:
    booster = Scorer.load(trained.bundle).booster
    with pytest.raises(RuntimeError, match="XGBoost could not predict"):
        dense_predict.DensePredictor(booster).predict(np.ones((2, len(FEATURES) + 3)))


def test_one_rides_features_in_python_are_numpys() -> None:
    x = _rows(2000)
    # back from the matrix to the ride columns feature_row takes
    cols = [x[:, 1], x[:, 2], x[:, 3], x[:, 4], x[:, 5], x[:, 6], x[:, 7], x[:, 8], x[:, 10]]
    rows = np.array([feature_row(*r) for r in zip(*(c.tolist() for c in cols), strict=True)])
    assert np.array_equal(rows.astype(np.float32), x.astype(np.float32))  # what XGBoost compares
    assert np.allclose(rows, x, rtol=0, atol=1e-12)


def test_a_ride_alone_and_in_a_batch_scores_the_same(trained: TrainRun) -> None:
    scorer = Scorer.load(trained.bundle)
    alone, _ = scorer.predict(WORKSHOP_EXAMPLE)
    batch, _ = scorer.predict([WORKSHOP_EXAMPLE] * 10)  # 10 rides: validated by columns (numpy)
    assert alone == batch[:1] and len(set(batch)) == 1
    one, _ = records_to_matrix(WORKSHOP_EXAMPLE, scorer.zones)
    ten, _ = records_to_matrix([WORKSHOP_EXAMPLE] * 10, scorer.zones)
    assert np.array_equal(one.astype(np.float32), ten[:1].astype(np.float32))


def test_rounding_a_few_values_is_numpys() -> None:
    rng = np.random.default_rng(5)
    values = np.concatenate(
        [
            rng.uniform(-100, 20000, 5000).astype(np.float32),
            np.array([0.05, 0.15, 0.25, 2.45, 1234.55, -0.0, 0.0, -3.0], dtype=np.float32),
        ]
    ).astype(np.float64)
    numpy_way = np.round(np.maximum(values, 0.0), 1).tolist()
    assert [scoring._duration(v) for v in values.tolist()] == numpy_way
    assert scoring._duration(math.inf) == math.inf and scoring._duration(-math.inf) == 0.0
    assert math.isnan(scoring._duration(math.nan))
