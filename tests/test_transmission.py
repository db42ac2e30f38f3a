"""Channels of heritable advantage and the targeted poverty measures, process by process.

Process-level checks on a freshly initialised small world (the start year, synthetic
population, fixed seed) with known answers or tolerances from the sample size, and
paired runs with common random numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

from povsim.processes import earnings, households, poverty_policy, schooling, wealth

PERSONS = 20_000


# ----------------------------------------------------------------- earnings endowment


def test_newborn_endowment_inherits_from_parents_at_the_declared_strength(model_factory):
    for lam in (0.0, 0.6):
        m = model_factory(PERSONS, 6, 3, earnings_endowment_inheritance=lam)
        n0 = m.world.P.n
        m.run()
        P = m.world.P
        new = np.flatnonzero(P.birth_year > m.world.start_year)
        both = new[(P.mother_row[new] >= 0) & (P.father_row[new] >= 0)]
        assert len(both) > 1000
        zp = (P.earn_effect[P.mother_row[both]] + P.earn_effect[P.father_row[both]]) / np.sqrt(2)
        zc = P.earn_effect[both].astype(float)
        r = np.corrcoef(zp, zc)[0, 1]
        se = 1 / np.sqrt(len(both))
        # parents' endowments are (nearly) independent standard normals: corr = lambda and
        # the child's endowment stays standard normal
        assert abs(r - lam) < 5 * se + 0.03, (lam, r)
        assert abs(zc.std() - 1) < 5 / np.sqrt(2 * len(both)) + 0.03
        assert n0 > 0


def test_new_households_inherit_the_income_effect_of_their_origin(model_factory):
    m = model_factory(PERSONS, 1, 2, household_effect_inheritance=0.8)
    w, p = m.world, m.params
    H = w.H
    origin = np.arange(200, dtype=np.int64)
    rows = w.new_households(np.arange(10**9, 10**9 + 200, dtype=np.int64), H.village[origin], p,
                            m.streams)
    own = H.earn_effect[rows].copy()
    earnings.inherit_household_effect(w, p, rows, origin)
    want = 0.8 * H.earn_effect[origin] + np.sqrt(1 - 0.64) * own
    np.testing.assert_allclose(H.earn_effect[rows], want, rtol=1e-6)


# ----------------------------------------------------------------- wealth


def test_savings_above_subsistence_and_depreciation(model_factory):
    m = model_factory(5000, 1, 1)
    w, p = m.world, m.params
    H = w.H
    before = H.wealth.astype(float).copy()
    inc = H.income_pc.astype(float).copy()
    pres = np.maximum(H.present, 1)
    w.year += 1
    wealth.step(w, p, m.streams)
    sub = p.subsistence_share * earnings.mean_income_target(w.year - 1, p)
    want = (1 - p.wealth_depreciation) * before + p.saving_rate * np.maximum(inc - sub, 0) * pres
    np.testing.assert_allclose(H.wealth, want, rtol=1e-5)


def test_medical_costs_are_paid_from_savings_before_income(model_factory):
    # no asset income: the two start-year worlds differ only in what savings can pay
    rich = model_factory(20_000, 1, 5, wealth_income_ratio_start=6.0, wealth_asset_return=0.0)
    poor = model_factory(20_000, 1, 5, wealth_income_ratio_start=0.0, wealth_asset_return=0.0)
    shocked = rich.world.P.health_shock
    assert shocked.sum() > 100
    np.testing.assert_array_equal(shocked, poor.world.P.health_shock)
    H0, H1 = poor.world.H, rich.world.H
    hs = np.unique(rich.world.P.hh[shocked])
    other = np.setdiff1d(np.arange(H0.n), hs)
    # households without a shock: same income; with one: lower without savings (the
    # uninsured cost comes out of income), and the savings of the rich ones went down
    np.testing.assert_allclose(H0.income_pc[other], H1.income_pc[other], rtol=1e-5)
    assert (H0.income_pc[hs] <= H1.income_pc[hs] + 1e-3).all()
    assert (H0.income_pc[hs] < H1.income_pc[hs] - 1.0).mean() > 0.5
    assert H0.income_poor.mean() > H1.income_poor.mean()


def test_wealth_passes_to_the_heirs_of_an_emptied_household(model_factory):
    m = model_factory(3000, 12, 1)
    m.run()  # sons set up households of their own
    w, p = m.world, m.params
    P, H = w.P, w.H
    # a household with a member whose living child lives elsewhere
    kids = np.flatnonzero((P.mother_row >= 0) & (w.age() >= 18))
    kid = next(k for k in kids if P.hh[k] != P.hh[P.mother_row[k]])
    mother = P.mother_row[kid]
    h = P.hh[mother]
    members = np.flatnonzero(P.hh == h)
    H.wealth[h] = 1000.0
    heir_h = P.hh[kid]
    before = float(H.wealth[heir_h])
    P.alive[members] = False
    wealth.bequeath(w, p, members)
    assert H.wealth[h] == 0.0
    # every living child of the household's members shares the bequest equally
    heirs = np.flatnonzero(P.alive & np.isin(P.mother_row, members) & (P.hh != h))
    heirs = np.union1d(heirs, np.flatnonzero(P.alive & np.isin(P.father_row, members) & (P.hh != h)))
    assert float(H.wealth[heir_h]) == pytest.approx(before + 1000.0 / len(heirs) *
                                                   (P.hh[heirs] == heir_h).sum(), rel=1e-5)


def test_division_and_dowry_move_wealth():
    w = np.array([100.0, 50.0, 0.0, 0.0], dtype=np.float32)
    wealth._transfer(w, np.array([0, 0]), np.array([2, 3]), np.array([0.3, 0.3]))
    np.testing.assert_allclose(w, [49.0, 50.0, 30.0, 21.0])
    wealth._transfer(w, np.array([1]), np.array([3]), np.array([1.0]))
    np.testing.assert_allclose(w, [49.0, 0.0, 30.0, 71.0])


# ----------------------------------------------------------------- targeted poverty alleviation


def test_registration_takes_the_poor_and_near_poor_at_the_declared_rates(model_factory):
    m = model_factory(40_000, 1, 1, tpa_registration_poor=0.6, tpa_registration_near_poor=0.2)
    w, p = m.world, m.params
    H = w.H
    inc = H.income_pc.copy()
    w.year += 1
    poverty_policy.step(w, p, m.streams)
    poor = inc < p.poverty_line
    near = ~poor & (inc < 1.5 * p.poverty_line)
    for grp, rate in ((poor, 0.6), (near, 0.2)):
        n = grp.sum()
        assert n > 500
        assert abs(H.registered_poor[grp].mean() - rate) < 5 * np.sqrt(rate * (1 - rate) / n)
    assert not H.registered_poor[~poor & ~near].any()
    # relocation only from villages remoter than the median
    remote = w.geo.remoteness_km[H.village] > np.median(w.geo.remoteness_km)
    assert not H.relocated[~remote].any()
    assert H.relocated.sum() > 0


def test_measures_roll_out_2014_2019_with_the_declared_shape_and_end_after_the_transition():
    from povsim.params import Parameters

    p = Parameters()
    assert poverty_policy.active(2013, p) == 0.0
    assert 0 < poverty_policy.active(2014, p) < poverty_policy.active(2016, p) < 1.0
    assert poverty_policy.active(2016, p) == pytest.approx((3 / 6) ** p.tpa_rollout_shape)
    assert poverty_policy.active(2019, p) == poverty_policy.active(2020, p) == 1.0
    assert poverty_policy.active(int(p.tpa_transition_end_year) + 1, p) == 0.0
    # a back-loaded shape keeps the early intensity below a linear roll-out's
    linear = Parameters({"tpa_rollout_shape": 1.0})
    assert poverty_policy.active(2016, p) < poverty_policy.active(2016, linear) == pytest.approx(0.5)
    lines = poverty_policy.poverty_lines(2014, p)
    assert lines["absolute_line_current_prices"] == 2800.0
    assert lines["relative_line_40_2014_prices"] == pytest.approx(0.4 * p.national_rural_median_2014)


def test_targeted_measures_lower_poverty_2014_2019(cached_run):
    base = cached_run(PERSONS, 6, 1)
    off = cached_run(PERSONS, 6, 1, tpa_earnings_support=0.05, tpa_transfer=200.0,
                     tpa_dibao_takeup=0.4, tpa_registration_poor=0.35)
    a = base.series("income_poverty", "income_poverty_rate")
    b = off.series("income_poverty", "income_poverty_rate")
    # identical in the initial state, then lower with the stronger measures
    first = a.index.min()
    assert first <= 2014 and a[first] == b[first]
    assert (a.loc[2016:] < b.loc[2016:]).all()


# ----------------------------------------------------------------- schooling transitions


def test_credit_constraint_is_the_declared_log_odds_penalty(model_factory):
    from scipy.special import logit

    m = model_factory(20_000, 1, 1)
    w, p = m.world, m.params
    P, H = w.P, w.H
    rows = np.flatnonzero((w.age() >= 14) & (w.age() <= 16))
    with_credit = schooling.transition_probability(
        w, type(p)({**p.overridden(), "continuation_credit": 2.0}), rows, 9)
    no_credit = schooling.transition_probability(
        w, type(p)({**p.overridden(), "continuation_credit": 0.0}), rows, 9)
    h = P.hh[rows]
    cost = p.senior_high_cost  # 2014: no growth adjustment, no fee waiver yet
    res = p.schooling_budget_share * (H.income_pc[h] * np.maximum(H.present[h], 1)
                                      + p.wealth_liquid_share * H.wealth[h])
    want = 2.0 * np.maximum(np.log(cost / np.maximum(res, 1.0)), 0.0)
    np.testing.assert_allclose(logit(no_credit) - logit(with_credit), want, atol=1e-6)
    # it binds among the poorest households, not among the richest
    inc = H.income_pc[h]
    low = (want[inc < np.quantile(inc, 0.2)] > 0).mean()
    assert low > 0.05 and (want[inc > np.quantile(inc, 0.8)] > 0).mean() < 0.2 * low


def test_fee_waiver_raises_continuation_of_registered_households(model_factory):
    m = model_factory(20_000, 1, 1, continuation_credit=2.0)
    w, p = m.world, m.params
    rows = np.flatnonzero((w.age() >= 14) & (w.age() <= 16))
    w.year = 2017
    before = schooling.transition_probability(w, p, rows, 9)
    w.H.registered_poor[:] = True
    after = schooling.transition_probability(w, p, rows, 9)
    assert (after >= before - 1e-12).all() and (after > before).any()


# ----------------------------------------------------------------- household composition


def test_generation_levels_known_household():
    # household 0: grandfather 0, grandmother 1, son 2, his wife 3, grandchild 4
    # household 1: grandmother 5 with a grandchild 6 whose parents (7, 8) live elsewhere
    hh = np.array([0, 0, 0, 0, 0, 1, 1, 2, 2], dtype=np.int32)
    mother = np.array([-1, -1, 1, -1, 3, -1, 7, 5, -1], dtype=np.int32)
    father = np.array([-1, -1, 0, -1, 2, -1, 8, -1, -1], dtype=np.int32)
    partner = np.array([1, 0, 3, 2, -1, -1, -1, 8, 7], dtype=np.int32)
    lv = households.generation_levels(hh, mother, father, partner)
    np.testing.assert_array_equal(lv, [0, 0, 1, 1, 2, 0, 2, 0, 0])
    away = np.zeros(9, dtype=bool)
    cell = np.zeros(9, dtype=np.int32)
    num, den = households._composition_sums(hh, lv, away, cell, 1, 3)
    share = num[:, 0] / den[:, 0]
    # three households: one of three generations, one skip-generation (two levels), one couple
    assert share[0] == pytest.approx(1 / 3)  # one generation
    assert share[1] == pytest.approx(1 / 3)  # two
    assert share[2] == pytest.approx(1 / 3)  # three or more
    assert share[3] == pytest.approx(1 / 3)  # skip-generation
    # the son away: household 0 keeps three levels present (grandparents, wife, child)
    away[2] = True
    num, den = households._composition_sums(hh, lv, away, cell, 1, 3)
    assert num[2, 0] == 1.0
