"""The training side of drift: each feature's bins and counts in the model's manifest."""

from __future__ import annotations

import numpy as np
import pytest
from drift_support import daytime_manhattan
from mlops_tui.lab_scripts import feature_bins
from mlops_tui.lab_scripts.features import FEATURES

from mlops_tui.platform.serving.drift import BINS_FORMAT


def test_the_bin_rule_counts_cuts_at_or_below_the_value() -> None:
    cuts = [1.0, 2.0, 3.0]
    assert feature_bins.bin_index(cuts, [0.5, 1.0, 1.5, 2.999, 3.0, 99.0]).tolist() == [0, 1, 1, 2, 3, 3]
    assert feature_bins.bin_labels(cuts) == ["<1", "1-2", "2-3", ">=3"]
    assert feature_bins.bin_labels([]) == ["all"]


def test_discrete_features_get_one_bin_per_value() -> None:
    dist = feature_bins.feature_distribution(daytime_manhattan(2000), FEATURES)
    hour = dist["features"]["hour"]
    assert hour["kind"] == "category"
    assert hour["cuts"] == [h + 0.5 for h in range(23)]
    assert hour["labels"] == [str(h) for h in range(24)]
    # the night hours training never saw keep their bins, empty
    assert hour["counts"][:8] == [0] * 8 and hour["counts"][18:] == [0] * 6
    assert sum(hour["counts"]) == 2000
    assert dist["features"]["month"]["counts"] == [0, 0, 2000, *[0] * 9]
    assert dist["features"]["weekday"]["cuts"] == [0.5]
    assert len(dist["features"]["passengers"]["counts"]) == 10


def test_continuous_features_get_training_deciles() -> None:
    x = daytime_manhattan(5000)
    dist = feature_bins.feature_distribution(x, FEATURES)
    distance = dist["features"]["distance"]
    assert distance["kind"] == "quantile"
    column = x[:, FEATURES.index("distance")]
    assert distance["cuts"] == pytest.approx(np.quantile(column, feature_bins.QUANTILES).tolist())
    assert len(distance["counts"]) == 10
    assert all(495 <= c <= 505 for c in distance["counts"])  # a tenth each
    assert dist["format"] == feature_bins.FORMAT == BINS_FORMAT
    assert (dist["rows"], dist["of_rows"]) == (5000, 5000)


def test_a_dominant_value_merges_cuts() -> None:
    x = daytime_manhattan(1000)
    x[:900, FEATURES.index("distance")] = 1.0
    cuts = feature_bins.feature_distribution(x, FEATURES)["features"]["distance"]["cuts"]
    assert cuts == sorted(set(cuts)) and len(cuts) < 9


def test_large_training_sets_are_sampled_every_kth_ride() -> None:
    x = daytime_manhattan(250_000)
    dist = feature_bins.feature_distribution(x, FEATURES)
    assert dist["of_rows"] == 250_000
    assert dist["rows"] == len(range(0, 250_000, 3)) <= feature_bins.SAMPLE_ROWS
    assert sum(dist["features"]["hour"]["counts"]) == dist["rows"]


def test_a_matrix_of_other_columns_is_refused() -> None:
    with pytest.raises(ValueError, match="11 feature columns"):
        feature_bins.feature_distribution(np.zeros((3, 4)), FEATURES)
