"""Period paths and the historical parameters of the processes (known answers)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from povsim.outcomes.demography import abridged_e0
from povsim.params import Parameters
from povsim.periods import REFERENCE_YEAR, path, ramp
from povsim.processes import earnings, fertility, migration, mortality, schooling


def test_path_interpolates_on_its_scale_and_is_flat_outside():
    assert path(1990, [(1980, 0.04), (2000, 0.01)], "log") == pytest.approx(0.02)
    assert path(1990, [(1980, 10.0), (2000, 20.0)]) == pytest.approx(15.0)
    # logit midpoint of 0.2 and 0.8 is 0.5
    assert path(1990, [(1980, 0.2), (2000, 0.8)], "logit") == pytest.approx(0.5)
    assert path(1970, [(1980, 0.5), (2014, 0.9)]) == 0.5
    assert path(2030, [(1980, 0.5), (2014, 0.9)]) == 0.9
    with pytest.raises(ValueError):
        path(1990, [(2000, 1.0), (1980, 2.0)])


def test_ramp():
    assert ramp(2015, 2016, 2019) == 0.0
    assert [ramp(y, 2016, 2019) for y in range(2016, 2020)] == [0.25, 0.5, 0.75, 1.0]
    assert ramp(2030, 2016, 2019) == 1.0


def test_mortality_period_factors_hit_their_anchors():
    p = Parameters()
    child, adult = mortality.period_factors(1980, p)
    assert child * p.infant_mortality == pytest.approx(p.infant_mortality_1980)
    assert adult == pytest.approx(p.adult_mortality_ratio_1980)
    child, adult = mortality.period_factors(2000, p)
    assert child * p.infant_mortality == pytest.approx(p.infant_mortality_2000)
    assert mortality.period_factors(REFERENCE_YEAR, p) == (1.0, 1.0)
    # after 2014: the yearly decline
    d = p.mortality_decline
    assert mortality.period_factors(2024, p)[1] == pytest.approx((1 - d) ** 10)
    # the infant rate of the year of birth uses the same path
    assert mortality.infant_q(1990, p) == pytest.approx(
        p.infant_mortality * mortality.period_factors(1990, p)[0])


def test_life_expectancy_known_answers():
    # constant death probability q from age 1 and q0 at birth: sum of survivors
    q = np.full(111, 0.02)
    q[0] = 0.0
    e = mortality.life_expectancy(q)
    alive = np.concatenate([[1.0], np.cumprod(1 - q[:-1])])
    q1 = q.copy()
    q1[-1] = 1.0
    assert e == pytest.approx(float((alive * (1 - 0.5 * q1)).sum()) - 0.0)
    # life expectancy rises across the historical anchors (the table of each year)
    p = Parameters()
    e0 = [0.5 * sum(mortality.life_expectancy(t) for t in mortality.life_table(y, p))
          for y in (1980, 2000, 2014, 2030)]
    assert e0 == sorted(e0)
    assert 60 < e0[0] < 70 and 72 < e0[2] < 82


def test_abridged_e0_matches_a_constant_hazard():
    # constant yearly death probability p in every group (the last one open), no infant
    # deaths: e0 is close to the geometric value 1/p - 1/2 (trapezoids within the 5-year
    # groups overstate a convex survival curve a little)
    p = 0.01
    deaths = np.full(21, p * 1000.0)
    exposed = np.full(21, 1000.0)
    e = abridged_e0(deaths, exposed, 0.0)
    assert abs(e - (1 / p - 0.5)) < 1.5, e
    # infant deaths lower it by about q0 times the life expectancy
    assert abridged_e0(deaths, exposed, 0.05) == pytest.approx(e - 0.05 * (e - 0.15), rel=0.01)
    assert math.isnan(abridged_e0(deaths, exposed, 1.5))


def test_fertility_hazards_follow_their_period_path():
    p = Parameters()
    assert fertility.hazards(1980, p)[1:] == (p.fertility_second_birth_1980, p.fertility_higher_birth_1980)
    assert fertility.hazards(2000, p)[1:] == pytest.approx(
        (p.fertility_second_birth_2000, p.fertility_higher_birth_2000))
    assert fertility.hazards(2020, p) == (p.fertility_first_birth, p.fertility_second_birth,
                                         p.fertility_higher_birth)


def test_growth_path_and_income_level_history():
    p = Parameters()
    assert earnings.cumulative_growth(REFERENCE_YEAR, p) == 0.0
    # 1980-2013: the declared period rates, summed backwards
    want = -(5 * p.growth_1980_1984 + 7 * p.growth_1985_1991 + 9 * p.growth_1992_2000
             + 13 * p.growth_2001_2013)
    assert earnings.cumulative_growth(1980, p) == pytest.approx(want)
    assert earnings.cumulative_growth(2015, p) == pytest.approx(p.growth_initial)
    # the mean income target of a year moves along the path
    assert earnings.mean_income_target(1980, p) == pytest.approx(p.income_mean_start * math.exp(want))


def test_pension_and_dibao_start_with_their_schemes_and_are_indexed():
    p = Parameters()
    assert earnings.pension(2008, p) == 0.0
    assert 0 < earnings.pension(2010, p) < p.pension_rural
    assert earnings.pension(2014, p) == p.pension_rural
    g = earnings.cumulative_growth(2030, p)
    assert earnings.pension(2030, p) == pytest.approx(p.pension_rural * math.exp(p.pension_indexation * g))
    assert earnings.dibao_standard(2006, p) == 0.0
    assert earnings.dibao_standard(2030, p) == pytest.approx(p.dibao_standard * math.exp(g))
    assert earnings.reimbursement(2002, p) == 0.0
    assert earnings.reimbursement(2010, p) == p.insurance_reimbursement


def test_migration_scale_and_schooling_transitions_follow_their_anchors():
    p = Parameters()
    assert migration.migration_scale(1985, p) == pytest.approx(p.migration_scale_1985)
    assert migration.migration_scale(2014, p) == 1.0
    assert schooling.base_transition(1995, p, 6) == pytest.approx(p.junior_entry_1995)
    assert schooling.base_transition(2000, p, 9) == pytest.approx(p.senior_continuation_2000)
    # senior high: the anchors, the end of the expansion, then the yearly logit trend
    from scipy.special import expit, logit

    end = schooling.SENIOR_EXPANSION_END
    assert schooling.base_transition(2006, p, 9) == pytest.approx(p.senior_continuation_2006)
    assert schooling.base_transition(end, p, 9) == pytest.approx(p.senior_continuation)
    assert schooling.base_transition(end + 3, p, 9) == pytest.approx(
        expit(logit(p.senior_continuation) + 3 * p.senior_continuation_trend))
    # after 2014 tertiary follows the yearly logit trend
    assert schooling.base_transition(2024, p, 12) == pytest.approx(
        expit(logit(p.tertiary_continuation) + 10 * p.senior_continuation_trend))
    # schooling expanded: each level's path rises from 1985 to 2014
    for level in (6, 9, 12):
        seq = [schooling.base_transition(y, p, level) for y in (1985, 1995, 2005, 2014)]
        assert seq == sorted(seq), (level, seq)


def test_haemoglobin_trend_is_linear_through_the_start_year_and_bounded():
    """The secular gain continues the history's trend into the run (no kink at 2014)."""
    from povsim.processes import anaemia

    p = Parameters()
    g = [anaemia.secular_gain(y, p) for y in range(2010, 2019)]
    np.testing.assert_allclose(np.diff(g), p.hb_secular_trend)
    assert anaemia.secular_gain(anaemia.START_YEAR, p) == 0.0
    assert anaemia.secular_gain(1900, p) == -p.hb_secular_gain
    assert anaemia.secular_gain(2200, p) == p.hb_secular_gain

