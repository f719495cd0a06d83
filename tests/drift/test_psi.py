"""The population stability index, against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from mlops_tui.platform.serving import psi


def test_psi_of_a_hand_computed_shift() -> None:
    # shares 0.5 0.3 0.2 -> 0.2 0.3 0.5:
    # (0.2 - 0.5) ln(0.2 / 0.5) + 0 + (0.5 - 0.2) ln(0.5 / 0.2) = 0.6 ln 2.5 = 0.549774
    assert psi.psi([50, 30, 20], [20, 30, 50]) == pytest.approx(0.549774, abs=1e-6)
    # counts or shares: the same
    assert psi.psi([0.5, 0.3, 0.2], [2, 3, 5]) == pytest.approx(0.549774, abs=1e-6)


def test_psi_floors_empty_bins_at_epsilon() -> None:
    # training never saw bin 2; 10 % of the served rides fall in it:
    # (0.9 - 1) ln(0.9 / 1) + (0.1 - 0.0001) ln(0.1 / 0.0001) = 0.010536 + 0.690085 = 0.700621
    assert psi.EPSILON == 1e-4
    assert psi.psi([100, 0], [90, 10]) == pytest.approx(0.700621, abs=1e-6)
    # and the other way round (a bin training had, never served): symmetric
    assert psi.psi([90, 10], [100, 0]) == pytest.approx(0.700621, abs=1e-6)
    # both empty: nothing moved there
    assert psi.psi([5, 0, 5], [1, 0, 1]) == 0.0


def test_psi_of_identical_shares_is_zero_and_grows_with_the_shift() -> None:
    assert psi.psi([10, 20, 30], [1, 2, 3]) == 0.0
    small = psi.psi([25, 25, 25, 25], [26, 25, 25, 24])
    large = psi.psi([25, 25, 25, 25], [40, 25, 25, 10])
    assert 0 < small < 0.001 < large
    assert math.isfinite(psi.psi([1, 0, 0], [0, 0, 1]))


def test_psi_refuses_what_it_cannot_compare() -> None:
    with pytest.raises(ValueError, match="same bins"):
        psi.psi([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="empty"):
        psi.psi([1, 2], [0, 0])


def test_bands_follow_the_rule_of_thumb() -> None:
    assert psi.level(0.0) == psi.level(0.0999) == "stable"
    assert psi.level(0.1) == psi.level(0.2) == "moderate"  # 0.2 itself does not pass 0.2
    assert psi.level(0.2001) == psi.level(3.0) == "significant"


def test_shares() -> None:
    assert psi.shares([1, 3]) == [0.25, 0.75]
    assert psi.shares([0, 0]) == [0.0, 0.0]
