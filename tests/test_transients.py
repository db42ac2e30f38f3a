"""Checks that fail on a transient (povsim.transients)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povsim.transients import HEADLINES, check


def _tables(values: dict[str, np.ndarray], start=2014, den=1e6):
    out = {}
    for h in HEADLINES:
        v = values.get(h.label)
        if v is None:
            continue
        years = start + np.arange(len(v))
        out.setdefault(h.table, []).append(pd.DataFrame({
            "year": years, "by": "all", "group": "all", "measure": h.measure,
            "numerator": v * den, "denominator": den, "value": v}))
    return {k: pd.concat(v, ignore_index=True) for k, v in out.items()}


def _smooth(h, start_value, slope, n=20):
    return start_value + slope * np.arange(n)


def test_smooth_series_moving_the_observed_way_pass():
    vals = {"enrolment, ages 15-17": _smooth(None, 0.6, 0.01),
            "stunting, under 5": _smooth(None, 0.15, -0.004),
            "anaemia, ages 0-1": _smooth(None, 0.3, -0.005),
            "left-behind children": _smooth(None, 0.35, 0.0),
            "income poverty, all persons": np.r_[0.17, 0.14, 0.11, 0.08, 0.045, 0.015,
                                                 0.012 - 0.0002 * np.arange(14)]}
    res = check(_tables(vals), 2014)
    assert len(res) > 10 and res["passes"].all(), res[~res["passes"]]


def test_a_first_year_jump_fails_the_jump_and_trend_checks():
    v = _smooth(None, 0.58, 0.01)
    v[1:] -= 0.1  # enrolment falls 10 points in the first step, then rises slowly
    res = check(_tables({"enrolment, ages 15-17": v}), 2014).set_index("check")
    assert not res.loc["jump", "passes"]
    assert not res.loc["trend", "passes"]


def test_a_series_going_the_wrong_way_fails_the_direction_check():
    res = check(_tables({"stunting, under 5": _smooth(None, 0.12, 0.003)}), 2014).set_index("check")
    assert not res.loc["direction", "passes"]


def test_poverty_pace_against_the_observed_fall():
    slow = np.r_[0.17 - 0.005 * np.arange(20)]
    res = check(_tables({"income poverty, all persons": slow}), 2014).set_index("check")
    assert not res.loc["pace", "passes"]
    assert res.loc["jump", "passes"]


def test_max_change_of_the_observed_series():
    h = {x.label: x for x in HEADLINES}["left-behind children"]
    assert h.max_change == pytest.approx((0.377 - 0.283) / 5)


@pytest.mark.slow
def test_the_shipped_baseline_has_no_transient():
    """The baseline (spun up from history, default size, 2 replicates, to 2030) passes every
    transient check: its first years move like the observed series and like its own
    later trend."""
    from pathlib import Path

    from povsim.runner import run_scenario
    from povsim.scenario import load_scenario
    from povsim.validation import _with_history

    s = load_scenario(Path(__file__).parents[1] / "scenarios" / "baseline.toml")
    s = s.with_overrides(time={"years": 16})
    res = run_scenario(s, replicates=2, seed=1, workers=2)
    checks = check(_with_history(res.tables), s.time.start_year)
    assert len(checks) >= 13
    assert checks["passes"].all(), checks[~checks["passes"]].to_string()


def test_stunting_may_fall_at_the_poor_county_relative_rate_but_not_faster():
    """Huo et al. (2024): stunting fell 10.44% (CI up to 13.22%) a year; the largest change
    allowed is that upper limit times the start year's level (0.15 -> 0.0198 a year)."""
    def run(rate):
        v = 0.15 * (1 - rate) ** np.arange(20)
        return check(_tables({"stunting, under 5": v}), 2014).set_index("check")

    assert run(0.11).loc["jump", "passes"]
    assert not run(0.16).loc["jump", "passes"]
    h = {x.label: x for x in HEADLINES}["stunting, under 5"]
    assert h.stated_relative == pytest.approx(0.1322)


def test_anaemia_is_checked_against_the_poor_county_series():
    h = {x.label: x for x in HEADLINES}["anaemia, ages 0-1"]
    # Wang L. et al. (2023): the largest yearly fall is 2019 -> 2020, 21.2% -> 18.1%
    assert h.max_change == pytest.approx(0.031)
    assert h.direction == -1
