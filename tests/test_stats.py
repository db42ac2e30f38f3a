"""The shared t interval of a mean over replicates (povsim.stats)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from povsim.stats import mean_interval, t_half_width


def test_known_answer_from_the_t_table():
    # 1, 2, 3, 4: mean 2.5, sd sqrt(5/3); t(0.975, 3) = 3.182 (printed t tables, 3 decimals)
    m, lo, hi = mean_interval(np.array([1.0, 2.0, 3.0, 4.0]), missing="propagate")
    half = 3.182 * math.sqrt(5 / 3) / 2
    assert m == 2.5
    assert lo == pytest.approx(2.5 - half, abs=1e-3) and hi == pytest.approx(2.5 + half, abs=1e-3)
    # 90 %: t(0.95, 3) = 2.353
    assert t_half_width(math.sqrt(5 / 3), 4, level=0.90) == pytest.approx(2.353 * math.sqrt(5 / 3) / 2, abs=1e-3)


def test_missing_values_propagate_or_are_left_out():
    x = np.array([1.0, 2.0, np.nan, 3.0, 4.0, np.inf])
    assert all(math.isnan(v) for v in mean_interval(x, missing="propagate"))
    assert mean_interval(x, missing="omit") == mean_interval(np.array([1.0, 2.0, 3.0, 4.0]), missing="propagate")


def test_no_interval_below_two_values_or_without_a_finite_sd():
    assert all(math.isnan(v) for v in mean_interval(np.array([]), missing="omit"))
    m, lo, hi = mean_interval(np.array([np.nan, 5.0]), missing="omit")
    assert m == 5.0 and math.isnan(lo) and math.isnan(hi)
    assert math.isnan(t_half_width(1.0, 1)) and math.isnan(t_half_width(math.inf, 10))
    assert t_half_width(0.0, 5) == 0.0  # identical replicates: a zero-width interval


def test_an_unknown_missing_policy_is_refused():
    with pytest.raises(ValueError, match="propagate"):
        mean_interval(np.array([1.0, 2.0]), missing="drop")  # type: ignore[arg-type]
