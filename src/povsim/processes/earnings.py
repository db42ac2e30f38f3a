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

import numpy as np

from povsim import kernels
from povsim.params import Param
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


def growth_level(world: World, params) -> float:
    """Cumulative real log growth from the start year to the current year."""
    s = np.arange(world.t)
    g = params.growth_longrun + (params.growth_initial - params.growth_longrun) * np.exp(
        -np.log(2.0) * s / params.growth_halflife)
    return float(g.sum())


def _village_effect(world: World, streams) -> np.ndarray:
    z = world.scratch.get("village_earn_z")
    if z is None:
        z = streams.normal("earnings.village", 0, np.arange(world.geo.n))
        world.scratch["village_earn_z"] = z
    return z


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
    key = streams._key("earnings.shock", world.year, 0)
    has_shift = world.values.modifies("earnings.log_shift")
    shift = np.zeros(P.n if has_shift else 1)
    if has_shift:
        shift = np.ascontiguousarray(
            world.values("earnings.log_shift", world, np.arange(P.n), shift), dtype=np.float64)
    return kernels.earnings_pass(
        key, P.id, P.school_years, world.age(), P.sex, P.skill, P.migrant, P.stunted_ever,
        P.disabled, P.earn_effect, P.hh, P.enrolled, P.school_done,
        world.scratch["has_child_under3"], P.health_shock, H.insured, H.earn_effect, H.village,
        _village_effect(world, streams), coef, H.n, shift, has_shift)


def household_income(world: World, params, streams, level: float) -> None:
    """Earnings, transfers, medical costs -> household income per capita and poverty."""
    P, H = world.P, world.H
    y, contrib, pens, cost = _earnings_pass(world, params, streams, level)
    P["earnings"] = y
    g = np.exp(growth_level(world, params))
    # Dibao: eligible below the standard; take-up and inclusion by a fixed household key
    standard = params.dibao_standard * g
    if not world.values.modifies("dibao.takeup", "household.transfer_pc"):
        # one compiled pass over households (the same arithmetic as below)
        market_pc, receives, dibao_pc, income_pc = kernels.household_income_pass(
            streams._key("dibao.takeup", 0, 0), H.id, H.present, contrib, pens, cost,
            standard, params.dibao_takeup, params.dibao_inclusion, params.dibao_min_transfer)
        H["dibao"] = receives
    else:
        present = np.maximum(H.present, 1).astype(np.float64)
        market_pc = (contrib + pens) / present
        eligible = market_pc < standard
        u = world.values("dibao.takeup", world, np.arange(H.n), np.full(H.n, params.dibao_takeup))
        key = streams.uniform("dibao.takeup", 0, H.id)
        receives = np.where(eligible, key < u, key < params.dibao_inclusion)
        dibao_pc = np.where(receives, np.maximum(standard - market_pc, params.dibao_min_transfer),
                            0.0)
        H["dibao"] = receives
        transfers = world.values("household.transfer_pc", world, np.arange(H.n), np.zeros(H.n))
        # uninsured share of medical costs of this year's health shocks
        cost_pc = cost / present
        income_pc = np.maximum(market_pc + dibao_pc + transfers - cost_pc, 0.0)
    H["income_pc"] = income_pc
    H["income_poor"] = income_pc < params.poverty_line
    world.scratch["market_income_pc"] = market_pc
    world.scratch["dibao_pc"] = dibao_pc
    # lifetime records for intergenerational metrics
    log_inc = np.log(np.maximum(income_pc, 100.0)).astype(np.float32)
    kernels.lifetime_records(world.age(), P.hh, H.income_poor, log_inc, P.child_years_observed,
                             P.child_poor_years, P.adult_log_income_sum, P.adult_income_years)


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
