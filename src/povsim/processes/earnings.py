"""Earnings, household income per capita, transfers and income poverty.

Log earnings of a working person (16-69, out of school)::

    ln y = c + g(t) + r1 min(S, 9) + r2 max(S - 9, 0) + b_k skill + b1 e - b2 e^2
           + b_f female + b_m migrant + b_s stunted_ever + b_d disabled
           + u_i + u_h + u_v + eps_t

with ``e`` years of potential experience, persistent individual, household and village
effects (``u_i``, ``u_h``, ``u_v``: normal, drawn from the person's / household's /
village's own stream, so they are fixed for life) and a yearly shock ``eps_t``.  The
level ``c`` is set once at the start so that mean market income per capita equals the
declared poor-area mean; ``g(t)`` is cumulative real growth.  Household income = earnings
of present members + remitted share of migrants' earnings + pensions (60+) + Dibao +
intervention transfers - uninsured medical costs; per capita over present members.
Income poverty: per-capita income below the rural poverty line (2,300 RMB at 2010
prices = 2,800 RMB at 2014 prices), held constant in real terms.

References
----------
Mincer, J. (1974). Schooling, Experience, and Earnings. NBER.
de Brauw, A., & Rozelle, S. (2008). Reconciling the returns to education in off-farm wage
employment in rural China. Review of Development Economics 12(1):57-71.
Hoddinott, J. et al. (2013). Adult consequences of growth failure in early childhood.
American Journal of Clinical Nutrition 98:1170-1178.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from povsim.declare import Measure, OutcomeTable, Value, household, person, village
from povsim.params import Param
from povsim.rng import normals_at, uniform_at
from povsim.state import World

PARAMS = (
    Param("income_mean_start", 7000.0, "RMB per person per year (2014 prices)", (6000.0, 8500.0),
          "Poor-area disposable income back-cast from 11,567 RMB in 2019 at ~10.4-11.5% a "
          "year (NBS 2020; Xinhua 2018); key-county net income 6,090 RMB in 2014 (2015 Poverty "
          "Yearbook) [E]", "Mean per-capita market income of the initial population",
          bounds=(500.0, 100000.0)),
    Param("poverty_line", 2800.0, "RMB per person per year (2014 prices)", (2300.0, 3300.0),
          "National rural poverty line: 2,300 RMB at 2010 prices = 2,800 RMB in 2014 (NBS, "
          "Yunnan Survey Yearbook 2017, Table 4-2 notes)", "Income poverty line, constant "
          "in real terms", bounds=(0.0, 50000.0)),
    Param("return_schooling", 0.045, "log points per year (up to grade 9)", (0.02, 0.07),
          "7% overall, 3.2% at junior high and below, 11.8% above (China & World Economy "
          "2008, 16(2):50); 6.4% off-farm (de Brauw & Rozelle 2008)",
          "Return to a year of schooling up to junior high", bounds=(0.0, 0.3)),
    Param("return_schooling_upper", 0.11, "log points per year (above grade 9)", (0.08, 0.14),
          "11.8% above junior high (China & World Economy 2008, 16(2):50-65)",
          "Return to a year of schooling above junior high", bounds=(0.0, 0.4)),
    Param("return_skill", 0.12, "log points per SD", (0.05, 0.2),
          "Assumption: cognitive skill return conditional on schooling; Gertler et al. 2014 "
          "(Science 344:998) imply +25% earnings from early stimulation (+0.38 SD IQ)",
          "Return to one SD of cognitive skill", bounds=(0.0, 1.0)),
    Param("experience_linear", 0.04, "log points per year", (0.02, 0.06),
          "Mincer (1974) profile, typical developing-country estimates [assumption]",
          "Linear experience term", bounds=(0.0, 0.2)),
    Param("experience_quadratic", 0.0008, "log points per year^2", (0.0004, 0.0012),
          "Mincer (1974) profile [assumption]", "Quadratic experience term", bounds=(0.0, 0.01)),
    Param("female_earnings_gap", -0.25, "log points", (-0.4, -0.1),
          "Assumption (rural gender earnings gap)", "Earnings of women relative to men",
          bounds=(-2.0, 0.0)),
    Param("migrant_premium", 0.45, "log points", (0.25, 0.7),
          "Assumption: urban wages well above farm incomes (de Brauw & Rozelle 2008)",
          "Earnings premium of migrant work", bounds=(0.0, 2.0)),
    Param("remittance_share", 0.35, "share of migrant earnings", (0.2, 0.5),
          "Assumption (rural household surveys: remittances 30-40% of migrant earnings)",
          "Share of a migrant's earnings sent home", bounds=(0.0, 1.0)),
    Param("stunting_earnings_penalty", -0.2, "log points", (-0.35, -0.05),
          "Hoddinott et al. 2013 (AJCN 98:1170): +1 SD HAZ at 24 months -> +21% per-capita "
          "consumption; stunted children are ~1-1.5 SD below (scaled) [E]",
          "Adult earnings penalty of childhood stunting", bounds=(-2.0, 0.0)),
    Param("disability_earnings_penalty", -0.5, "log points", (-1.0, -0.2),
          "Assumption", "Earnings penalty of a disability", bounds=(-5.0, 0.0)),
    Param("earnings_sd_person", 0.35, "log points", (0.25, 0.5),
          "Assumption; with the other components gives a lognormal sigma ~0.65 of per-capita "
          "income (0.49-0.75 from rural median/mean and Gini) [E]",
          "SD of the persistent individual earnings effect", bounds=(0.0, 2.0)),
    Param("earnings_sd_household", 0.4, "log points", (0.2, 0.55),
          "Assumption (farm size, assets)", "SD of the persistent household income effect",
          bounds=(0.0, 2.0)),
    Param("earnings_sd_village", 0.15, "log points", (0.05, 0.3),
          "Assumption (village location, land quality)", "SD of the village income effect",
          bounds=(0.0, 2.0)),
    Param("earnings_sd_shock", 0.3, "log points", (0.15, 0.45),
          "Assumption (transitory income variance in rural panels)",
          "SD of the yearly transitory earnings shock", bounds=(0.0, 2.0)),
    Param("growth_initial", 0.07, "per year (real)", (0.04, 0.1),
          "Poor-area nominal income growth 10.4% a year 2012-17 (Xinhua 2018) less ~2.5% "
          "inflation [E]", "Real income growth in the start year", bounds=(-0.1, 0.3)),
    Param("growth_longrun", 0.02, "per year (real)", (0.0, 0.04),
          "Assumption", "Long-run real income growth", bounds=(-0.1, 0.2)),
    Param("growth_halflife", 15.0, "years", (8.0, 30.0),
          "Assumption", "Half-life of convergence from initial to long-run growth",
          bounds=(1.0, 200.0)),
    Param("pension_rural", 840.0, "RMB per person per year (2014 prices)", (660.0, 1500.0),
          "New Rural Pension Scheme basic pension 70 RMB a month from 2014 [M]",
          "Basic pension for persons aged 60+", bounds=(0.0, 50000.0)),
    Param("dibao_standard", 2777.0, "RMB per person per year (2014 prices)", (2300.0, 3300.0),
          "Average rural Dibao standard 2014, ~231 RMB a month (MCA statistical bulletin) [M]; "
          "rises with income growth", "Rural Dibao income threshold", bounds=(0.0, 50000.0)),
    Param("dibao_takeup", 0.4, "probability", (0.15, 0.7),
          "High targeting error of rural Dibao (He et al. 2021, CAER 13(1):54; Golan et al. "
          "2017) [E]", "Probability an eligible household receives Dibao", bounds=(0.0, 1.0)),
    Param("dibao_inclusion", 0.04, "probability", (0.01, 0.1),
          "Assumption (inclusion errors of rural Dibao)", "Probability an ineligible "
          "household receives Dibao", bounds=(0.0, 1.0)),
    Param("dibao_min_transfer", 600.0, "RMB per person per year", (300.0, 1200.0),
          "Assumption", "Minimum Dibao transfer per person", bounds=(0.0, 20000.0)),
    Param("health_shock_cost", 6000.0, "RMB per episode (2014 prices)", (2000.0, 15000.0),
          "Assumption (inpatient episode in a county hospital)", "Medical cost of a serious "
          "illness or injury", bounds=(0.0, 200000.0)),
    Param("insurance_reimbursement", 0.5, "share of cost", (0.3, 0.7),
          "New Cooperative Medical Scheme inpatient reimbursement ~50% [M]",
          "Share of medical costs reimbursed for insured households", bounds=(0.0, 1.0)),
)


COLUMNS = (
    person("earnings", np.float32, 0.0, "earnings this year (RMB, 2014 prices)"),
    person("earn_effect", np.float32, 0.0, "persistent individual earnings effect, N(0, 1)"),
    person("child_poor_years", np.int8, 0, "years lived in an income-poor household at 0-17",
           archive=True),
    person("child_years_observed", np.int8, 0, "years of childhood (0-17) observed", archive=True),
    person("adult_log_income_sum", np.float32, 0.0, "sum of log household income per capita "
           "at ages 30-45", archive=True),
    person("adult_income_years", np.int8, 0, "years observed at ages 30-45", archive=True),
    household("income_pc", np.float32, 0.0, "income per capita (RMB, 2014 prices)"),
    household("income_poor", np.bool_, False, "income per capita below the poverty line"),
    household("dibao", np.bool_, False, "receives Dibao"),
    household("earn_effect", np.float32, 0.0, "persistent household income effect, N(0, 1)"),
    household("market_income_pc", np.float64, 0.0, "market income per capita (earnings, "
              "remittances, pensions) before Dibao, transfers and medical costs"),
    household("dibao_pc", np.float64, 0.0, "Dibao received per capita"),
    village("earn_effect", np.float64, 0.0, "village income effect, N(0, 1)"),
)

VALUES = (
    Value("earnings.log_shift", "log points", "additive shift of a person's log earnings (e.g. "
          "adult returns to early-childhood programmes)", kind="shift"),
    Value("household.transfer_pc", "RMB per person per year", "transfers added to household "
          "income", kind="amount", table="household"),
    Value("dibao.takeup", "probability", "probability an eligible household receives Dibao",
          kind="probability", table="household"),
)

STREAMS = ("earnings.shock", "earnings.person", "earnings.household", "earnings.village",
           "dibao.takeup")

_INCOME = (
    Measure("income_poverty_rate", "persons in income-poor households"),
    Measure("child_income_poverty_rate", "children 0-17 in income-poor households"),
    Measure("mean_income_pc", "mean household income per capita over persons", "mean",
            "RMB per person per year (2014 prices)"),
    Measure("dibao_share", "persons in households receiving Dibao"),
)


def _collect_income(world: World, cells) -> None:
    P, H = world.P, world.H
    num, den = _income_sums(cells.cell, cells.n_cells, world.age(), P.hh, H.income_poor,
                            H.income_pc, H.dibao)
    cells.add_all("income_poverty", [m.name for m in _INCOME], num, den)


TABLES = (OutcomeTable("income_poverty", "income poverty rates, mean income per capita, Dibao "
                       "coverage", _INCOME, _collect_income),)


def growth_level(world: World, params) -> float:
    """Cumulative real log growth from the start year to the current year."""
    s = np.arange(world.t)
    g = params.growth_longrun + (params.growth_initial - params.growth_longrun) * np.exp(
        -np.log(2.0) * s / params.growth_halflife)
    return float(g.sum())


def _earnings_pass(world: World, params, streams, level: float):
    """One compiled pass: per-person earnings and per-household sums (see the module doc)."""
    P, H = world.P, world.H
    coef = np.array([
        params.return_schooling, params.return_schooling_upper, params.return_skill,
        params.experience_linear, params.experience_quadratic, params.female_earnings_gap,
        params.migrant_premium, params.stunting_earnings_penalty,
        params.disability_earnings_penalty, params.earnings_sd_person,
        params.earnings_sd_household, params.earnings_sd_village, params.earnings_sd_shock,
        level + growth_level(world, params), params.remittance_share,
        params.pension_rural, params.health_shock_cost * np.exp(growth_level(world, params)),
        params.insurance_reimbursement,
    ], dtype=np.float64)
    return _earnings_kernel(
        streams.key("earnings.shock", world.year), P.id, P.school_years, world.age(), P.sex,
        P.skill, P.migrant, P.stunted_ever, P.disabled, P.earn_effect, P.hh, P.enrolled,
        P.school_done, P.has_child_under3, P.health_shock, H.insured, H.earn_effect, H.village,
        world.V.earn_effect, coef, H.n, world.values.shift("earnings.log_shift", world))


def step(world: World, params, streams) -> None:
    """Earnings, transfers, medical costs -> household income per capita and poverty."""
    P, H = world.P, world.H
    y, contrib, pens, cost = _earnings_pass(world, params, streams, world.income_level)
    P["earnings"] = y
    g = np.exp(growth_level(world, params))
    # Dibao: eligible below the standard; take-up and inclusion by a fixed household key
    standard = params.dibao_standard * g
    takeup = world.values.override("dibao.takeup", world, None,
                                   lambda rows: np.full(len(rows), params.dibao_takeup))
    transfers = world.values.override("household.transfer_pc", world, None,
                                      lambda rows: np.zeros(len(rows)))
    market_pc, receives, dibao_pc, income_pc = _household_income_kernel(
        streams.key("dibao.takeup", 0), H.id, H.present, contrib, pens, cost, standard,
        params.dibao_takeup, params.dibao_inclusion, params.dibao_min_transfer, takeup,
        transfers)
    H["dibao"] = receives
    H["income_pc"] = income_pc
    H["income_poor"] = income_pc < params.poverty_line
    H["market_income_pc"] = market_pc
    H["dibao_pc"] = dibao_pc
    # lifetime records for intergenerational metrics
    log_inc = np.log(np.maximum(income_pc, 100.0)).astype(np.float32)
    _lifetime_records(world.age(), P.hh, H.income_poor, log_inc, P.child_years_observed,
                      P.child_poor_years, P.adult_log_income_sum, P.adult_income_years)


def initialise(world: World, params, streams) -> None:
    """Village income effects, the income level of the run, and the start year's income."""
    world.V["earn_effect"] = streams.normal("earnings.village", 0, np.arange(world.V.n))
    world.income_level = calibrate_level(world, params, streams)
    step(world, params, streams)


def on_births(world: World, params, streams, rows) -> None:
    """Persistent earnings effect of a newborn."""
    P = world.P
    P.earn_effect[rows] = streams.normal("earnings.person", 0, P.id[rows])


def on_new_households(world: World, params, streams, rows: np.ndarray) -> None:
    """Persistent income effect of a new household."""
    H = world.H
    H.earn_effect[rows] = streams.normal("earnings.household", 0, H.id[rows])


def calibrate_level(world: World, params, streams) -> float:
    """Level constant making mean per-capita market income equal ``income_mean_start``.

    Market income is linear in ``exp(level)`` except for pensions, so one correction of
    the log level on the earned part is exact.
    """
    H = world.H
    _, contrib, pens, _ = _earnings_pass(world, params, streams, 0.0)
    present = np.maximum(H.present, 1).astype(np.float64)
    earned_pc = contrib / present
    pension_pc = pens / present
    # person-weighted means (per-capita income is averaged over persons)
    w = H.size.astype(np.float64)
    mean_earned = float(np.average(earned_pc, weights=w))
    mean_pension = float(np.average(pension_pc, weights=w))
    target = max(params.income_mean_start - mean_pension, 0.1 * params.income_mean_start)
    return float(np.log(target / mean_earned))


@njit(cache=True, error_model="numpy")
def _earnings_kernel(key_shock, ids, school, age, sex, skill, migrant, stunted_ever, disabled,
                  earn_z, hh, enrolled, done, young_mother, shock, insured, hh_z, hh_village,
                  village_z, coef, n_h, log_shift):
    """Earnings of every person and their per-household sums, in one pass.

    ``coef`` = [r_school, r_upper, r_skill, exp_lin, exp_quad, female_gap, migrant_premium,
    stunting_penalty, disability_penalty, sd_person, sd_household, sd_village, sd_shock,
    log level + growth, remittance share, pension, medical cost, reimbursement share].

    ``log_shift`` is a per-person additive shift of log earnings (the named value
    ``earnings.log_shift``), or empty when no intervention shifts earnings.

    Returns ``(earnings, contributions, pensions, medical costs)``; earnings in float32
    (the person column's type), the last three household sums in float64
    (contributions: residents' earnings plus migrants' remittances).

    The workers are listed first (a branch-free pass) so that their earnings shocks can be
    drawn in one vectorised batch (:func:`normals_at`, the same values as per person).
    """
    n = ids.shape[0]
    work = np.empty(n, dtype=np.int64)
    other = np.empty(n, dtype=np.int64)  # persons aged 60+ or with a health shock
    k = 0
    m = 0
    for i in range(n):
        a = age[i]
        work[k] = i
        k += done[i] & (not enrolled[i]) & (a >= 16) & (a <= 69)
        other[m] = i
        m += (a >= 60) | shock[i]
    work = work[:k]
    z = normals_at(key_shock, ids, work)
    has_shift = log_shift.shape[0] > 0
    y = np.zeros(n, dtype=np.float32)
    # a non-worker would add 0.0 to its household's contributions: no-ops, skipped, so the
    # sums (over workers in row order) are the same
    contrib = np.zeros(n_h, dtype=np.float64)
    for j in range(k):
        i = work[j]
        a = float(age[i])
        h = hh[i]
        s = float(school[i])
        ex = max(a - max(s + 6.0, 16.0), 0.0)
        ln = (coef[0] * min(s, 9.0) + coef[1] * max(s - 9.0, 0.0) + coef[2] * skill[i]
              + coef[3] * ex - coef[4] * ex * ex)
        if sex[i] == 0:
            ln += coef[5]
        if migrant[i]:
            ln += coef[6]
        if stunted_ever[i]:
            ln += coef[7]
        if disabled[i]:
            ln += coef[8]
        ln += (coef[9] * earn_z[i] + coef[10] * hh_z[h] + coef[11] * village_z[hh_village[h]]
               + coef[12] * z[j])
        yi = math.exp(coef[13] + ln + log_shift[i] if has_shift else coef[13] + ln)
        # care of an infant halves a resident mother's earnings; older farmers work less
        if sex[i] == 0 and young_mother[i] and not migrant[i]:
            yi *= 0.5
        yi *= min(max(1.0 - 0.06 * (a - 60.0), 0.1), 1.0)
        y[i] = np.float32(yi)
        contrib[h] += coef[14] * yi if migrant[i] else yi
    # pensions and medical costs: the same amount for every such member of a household
    pens = np.zeros(n_h, dtype=np.float64)
    cost = np.zeros(n_h, dtype=np.float64)
    for j in range(m):
        i = other[j]
        h = hh[i]
        if age[i] >= 60:
            pens[h] += coef[15]
        if shock[i]:
            cost[h] += coef[16] * ((1.0 - coef[17]) if insured[h] else 1.0)
    return y, contrib, pens, cost


@njit(cache=True)
def _household_income_kernel(key, hid, present, contrib, pens, cost, standard, takeup,
                              inclusion, min_transfer, takeup_h, transfer_h):
    """Market income, Dibao and income per capita of every household, in one pass.

    ``takeup_h`` (Dibao take-up probability of eligible households) and ``transfer_h``
    (transfers per person) are per household from the modifiers, or empty (then
    ``takeup`` and no transfers apply).

    Returns ``(market income pc, receives Dibao, Dibao pc, income pc)``.
    """
    n = hid.shape[0]
    market = np.empty(n)
    receives = np.empty(n, dtype=np.bool_)
    dibao = np.empty(n)
    income = np.empty(n)
    for h in range(n):
        pres = float(max(present[h], 1))
        m = (contrib[h] + pens[h]) / pres
        u = uniform_at(key, hid[h])
        tk = takeup_h[h] if takeup_h.shape[0] else takeup
        r = (u < tk) if m < standard else (u < inclusion)
        d = max(standard - m, min_transfer) if r else 0.0
        market[h] = m
        receives[h] = r
        dibao[h] = d
        t = transfer_h[h] if transfer_h.shape[0] else 0.0
        income[h] = max(m + d + t - cost[h] / pres, 0.0)
    return market, receives, dibao, income


@njit(cache=True)
def _lifetime_records(age, hh, poor_hh, log_income_hh, child_observed, child_poor, adult_sum,
                     adult_years):
    """Childhood income-poverty years (0-17) and adult log income (30-45), in place.

    Branch-free like :func:`household_counts` (adding zero leaves each value as it was).
    """
    zero = np.float32(0.0)
    for i in range(age.shape[0]):
        a = age[i]
        h = hh[i]
        kid = a < 18
        adult = (a >= 30) & (a <= 45)
        child_observed[i] += kid
        child_poor[i] += kid & poor_hh[h]
        adult_sum[i] += log_income_hh[h] if adult else zero
        adult_years[i] += adult


@njit(cache=True)
def _income_sums(cell, n_cells, age, hh, income_poor, income_pc, dibao):
    num = np.zeros((4, n_cells))
    den = np.zeros((4, n_cells))
    for i in range(hh.shape[0]):
        c = cell[i]
        h = hh[i]
        poor = 1.0 if income_poor[h] else 0.0
        den[0, c] += 1.0
        num[0, c] += poor
        if age[i] < 18:
            den[1, c] += 1.0
            num[1, c] += poor
        den[2, c] += 1.0
        num[2, c] += float(income_pc[h])
        den[3, c] += 1.0
        num[3, c] += 1.0 if dibao[h] else 0.0
    return num, den
