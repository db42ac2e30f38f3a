"""Earnings, household income per capita, transfers, income poverty and lifetime records.

Log earnings of a working person (16-69, out of school)::

    ln y = c + G(year) + r1 min(S, 9) + r2 max(S - 9, 0) + b_k skill + b1 e - b2 e^2
           + b_f female + b_m migrant + b_s stunted_ever + b_d disabled
           + u_i + u_h + v_v + p_h + eps_t

with ``e`` years of potential experience, persistent individual and household effects
(``u_i``, ``u_h``), the village term ``v_v`` (a village effect plus a remoteness gradient:
local labour markets), the policy support ``p_h`` of the household
(:mod:`povsim.processes.poverty_policy`) and a yearly shock ``eps_t``.

*Heritable advantage.*  The individual effect is a family earnings endowment (Becker &
Tomes 1986): a newborn's ``z = lambda (z_mother + z_father) / sqrt(2) + sqrt(1 - lambda^2)
e`` (standard normal whatever ``lambda``, the endowment's inheritability; one parent:
``lambda z_parent``).  A household formed at marriage or division inherits part of the
income effect of the husband's household of origin, ``z_h = rho z_origin + sqrt(1 -
rho^2) e``.  Household wealth (:mod:`povsim.processes.wealth`) yields asset income, buffers
medical costs and passes to the next generation.

*Level and growth.*  ``c`` is set so that mean per-capita market income equals the
declared poor-area mean in 2014; ``G(year)`` is cumulative real growth from 2014: before
2014 the historical path of rural real income (declared growth rates by period), after
2014 a convergence from the initial to the long-run rate.

*Household income* = earnings of present members + remitted share of migrants' earnings
+ asset income + pensions (60+, from the 2009 rural pension scheme, indexed to a share of
income growth after 2014) + Dibao (from 2007; standard indexed to income growth) + policy
and intervention transfers - uninsured medical costs not paid from savings; per capita
over present members.  Income poverty: per-capita income below the national rural line
(2,300 RMB at 2010 prices = 2,800 at 2014 prices), constant in real terms; relative
poverty: below 40% (and 50%) of the national rural median, indexed to income growth.

*Lifetime records* (kept for the dead): years of childhood (0-17) observed, in income
poverty, and the sum of log household income per capita over them; log household income
per capita at 30-45; log own earnings at 30-40 (years with earnings).

References
----------
Mincer, J. (1974). Schooling, Experience, and Earnings. NBER.
Becker, G. S., & Tomes, N. (1986). Human capital and the rise and fall of families.
Journal of Labor Economics 4(3):S1-S39.
de Brauw, A., & Rozelle, S. (2008). Reconciling the returns to education in off-farm wage
employment in rural China. Review of Development Economics 12(1):57-71.
Hoddinott, J. et al. (2013). Adult consequences of growth failure in early childhood.
American Journal of Clinical Nutrition 98:1170-1178.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from povsim._threads import threaded
from povsim.declare import Measure, OutcomeTable, Value, household, person, village
from povsim.params import Param
from povsim.periods import REFERENCE_YEAR, ramp
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
    Param("growth_1980_1984", 0.132, "per year (real)", (0.1, 0.16),
          "Real index of rural per-capita net income (1978 = 100): 139.0 (1980), 268.9 "
          "(1985) (NBS, China Statistical Yearbook) [M]", "Real rural income growth "
          "1980-1984 (household responsibility system)", bounds=(-0.2, 0.5)),
    Param("growth_1985_1991", 0.028, "per year (real)", (0.01, 0.05),
          "Real rural income index 268.9 (1985) -> 317.4 (1991) (NBS) [M]",
          "Real rural income growth 1985-1991", bounds=(-0.2, 0.5)),
    Param("growth_1992_2000", 0.047, "per year (real)", (0.03, 0.065),
          "Real rural income index 317.4 (1991) -> 483.4 (2000) (NBS) [M]",
          "Real rural income growth 1992-2000", bounds=(-0.2, 0.5)),
    Param("growth_2001_2013", 0.075, "per year (real)", (0.055, 0.095),
          "Real rural income index 483.4 (2000) -> 1,286 (2013) (NBS) [M]; poor-area income "
          "grew 2.5 points a year faster than the rural mean in 2013-2017 (NBS, People's "
          "Daily 7 Feb 2018)", "Real rural income growth 2001-2013", bounds=(-0.2, 0.5)),
    Param("earnings_endowment_inheritance", 0.5, "correlation", (0.0, 0.8),
          "Becker & Tomes (1986, JOLE 4(3):S1) inheritability of endowments; strength set "
          "by the calibration against within-cohort IGE 0.39-0.44 (Fan, Yi & Zhang 2021, "
          "AEJ: Economic Policy 13(1):202) [E]", "Correlation of a newborn's earnings "
          "endowment with its parents' (sum of the two, standardised)", bounds=(0.0, 0.99)),
    Param("household_effect_inheritance", 0.7, "correlation", (0.0, 0.95),
          "Assumption: land, assets, networks and the family's trade carry over when a son "
          "sets up his own household (Dong & Wan 2012 on house and wedding help); strength "
          "set by the calibration [assumption]", "Correlation of a new household's income "
          "effect with that of the husband's household of origin", bounds=(0.0, 0.99)),
    Param("remoteness_earnings", -0.1, "log points per log km", (-0.25, 0.0),
          "Assumption: local labour markets of remote mountain villages (village persistence); "
          "the west and remote areas are the least mobile (Huang 2018; Fan, Yi & Zhang 2013) "
          "[assumption]", "Earnings gradient in log village remoteness relative to the "
          "median", bounds=(-2.0, 1.0)),
    Param("pension_rural", 1100.0, "RMB per person per year (2014 prices)", (840.0, 1500.0),
          "Basic pension 70 RMB a month from 2014 [M] (840 a year) plus local top-ups and "
          "personal accounts: average payment 125 RMB a month at end-2017 (MOHRSS, China "
          "Daily 14 May 2018) [S/E]", "Average rural pension per person aged 60+ in 2014",
          bounds=(0.0, 50000.0)),
    Param("pension_start_year", 2009, "year", (2009, 2011),
          "New rural pension pilot 55 RMB a month from Dec 2009 (Xinhua 16 Sep 2011); "
          "national coverage by 2012 [S]", "First year of the rural basic pension (coverage "
          "rises linearly to all counties by 2012)", bounds=(1950, 2100), integer=True),
    Param("pension_indexation", 0.7, "share of income growth", (0.3, 1.0),
          "Basic pension raised 70 -> 88 RMB a month in 2018 (MOHRSS/MOF, Workers' Daily 12 "
          "May 2018) and to 93 in 2020 [M]: about 3% a year real against 7% income growth "
          "[E]", "Share of real income growth passed on to the pension after 2014",
          bounds=(0.0, 1.5)),
    Param("dibao_standard", 2777.0, "RMB per person per year (2014 prices)", (2300.0, 3300.0),
          "Average rural Dibao standard 2014, ~231 RMB a month (MCA statistical bulletin) [M]; "
          "rises with income growth", "Rural Dibao income threshold", bounds=(0.0, 50000.0)),
    Param("dibao_start_year", 2007, "year", (2005, 2008),
          "Rural Dibao extended nationwide in 2007: 34.5 million recipients, 70 RMB a month "
          "(MCA, Xinhua 5 Feb 2008) [S]", "First year of rural Dibao", bounds=(1950, 2100),
          integer=True),
    Param("dibao_takeup", 0.4, "probability", (0.15, 0.7),
          "High targeting error of rural Dibao (He et al. 2021, CAER 13(1):54; Golan et al. "
          "2017) [E]", "Probability an eligible household receives Dibao", bounds=(0.0, 1.0)),
    Param("dibao_inclusion", 0.04, "probability", (0.01, 0.1),
          "Assumption (inclusion errors of rural Dibao)", "Probability an ineligible "
          "household receives Dibao", bounds=(0.0, 1.0)),
    Param("dibao_gap_share", 0.75, "share of the gap", (0.5, 1.0),
          "Average rural Dibao payment 125 RMB a month in 2014 against an average standard "
          "of 231 (SCIO, Progress in China's Human Rights in 2014, China Daily 9 Jun 2015) "
          "[S]; recipients' own income about a third of the standard [E]", "Share of the gap "
          "between the Dibao standard and market income per person that Dibao pays",
          bounds=(0.0, 1.0)),
    Param("dibao_min_transfer", 600.0, "RMB per person per year", (300.0, 1200.0),
          "Assumption", "Minimum Dibao transfer per person", bounds=(0.0, 20000.0)),
    Param("health_shock_cost", 6000.0, "RMB per episode (2014 prices)", (2000.0, 15000.0),
          "Assumption (inpatient episode in a county hospital)", "Medical cost of a serious "
          "illness or injury", bounds=(0.0, 200000.0)),
    Param("insurance_reimbursement", 0.5, "share of cost", (0.3, 0.7),
          "New Cooperative Medical Scheme inpatient reimbursement ~50% [M]",
          "Share of medical costs reimbursed for insured households (from 2008; the New "
          "Cooperative Medical Scheme rolls out from 2003)", bounds=(0.0, 1.0)),
    Param("national_rural_median_2014", 9497.0, "RMB per person per year (2014 prices)",
          (9000.0, 10000.0), "Median rural per-capita disposable income 2014 (NBS statistical "
          "communique 2015) [M]", "National rural median income (the reference of the "
          "relative poverty lines: 40% and 50% of it, indexed to income growth)",
          bounds=(0.0, 1e6)),
)

#: First year and year of full coverage of the New Cooperative Medical Scheme
#: (pilots from 2003, near-universal by 2008; State Council 2003 [M])
NCMS_YEARS = (2003, 2008)
#: Year the pension scheme covers every county (Xinhua 16 Sep 2011: full coverage by 2012)
PENSION_FULL_YEAR = 2012
#: Relative poverty lines: shares of the national rural median (Walker & Yang 2021, ILO WP
#: 23: 40-60% of the median are the usual choices; 40% rural line, Journal of South China
#: Normal University)
RELATIVE_LINES = (0.4, 0.5)


COLUMNS = (
    person("earnings", np.float32, 0.0, "earnings this year (RMB, 2014 prices)"),
    person("earn_effect", np.float32, 0.0, "persistent individual earnings endowment, N(0, 1)"),
    person("child_poor_years", np.int8, 0, "years lived in an income-poor household at 0-17",
           archive=True),
    person("child_years_observed", np.int8, 0, "years of childhood (0-17) observed", archive=True),
    person("child_log_income_sum", np.float32, 0.0, "sum of log household income per capita "
           "over the observed years of childhood (0-17)", archive=True),
    person("adult_log_income_sum", np.float32, 0.0, "sum of log household income per capita "
           "at ages 30-45", archive=True),
    person("adult_income_years", np.int8, 0, "years observed at ages 30-45", archive=True),
    person("adult_log_earn_sum", np.float32, 0.0, "sum of log own earnings at ages 30-40 in "
           "years with earnings", archive=True),
    person("adult_earn_years", np.int8, 0, "years with own earnings at ages 30-40", archive=True),
    person("origin_village", np.int32, -1, "village of the household the person was born "
           "into (for the initial population: its village at the start)", archive=True),
    household("income_pc", np.float32, 0.0, "income per capita (RMB, 2014 prices)"),
    household("income_poor", np.bool_, False, "income per capita below the poverty line"),
    household("dibao", np.bool_, False, "receives Dibao"),
    household("earn_effect", np.float32, 0.0, "persistent household income effect, N(0, 1)"),
    household("market_income_pc", np.float64, 0.0, "market income per capita (earnings, "
              "remittances, asset income, pensions) before Dibao, transfers and medical costs"),
    household("dibao_pc", np.float64, 0.0, "Dibao received per capita"),
    household("relative_poor_40", np.bool_, False, "income per capita below 40% of the "
              "national rural median (indexed)"),
    household("relative_poor_50", np.bool_, False, "income per capita below 50% of the "
              "national rural median (indexed)"),
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
    Measure("income_poverty_rate", "persons in households below the absolute line (2,300 RMB "
            "at 2010 prices, 2,800 at 2014 prices, constant in real terms)"),
    Measure("child_income_poverty_rate", "children 0-17 in income-poor households"),
    Measure("mean_income_pc", "mean household income per capita over persons", "mean",
            "RMB per person per year (2014 prices)"),
    Measure("dibao_share", "persons in households receiving Dibao"),
    Measure("relative_poverty_rate_40", "persons below 40% of the national rural median "
            "(relative line, indexed to income growth)"),
    Measure("relative_poverty_rate_50", "persons below 50% of the national rural median"),
    Measure("adult_income_poverty_rate", "persons 18-64 in income-poor households"),
    Measure("elderly_income_poverty_rate", "persons 65+ in income-poor households"),
    Measure("poor_aged_65plus_share", "share of the income-poor who are 65+"),
)


def _collect_income(world: World, cells, income: bool = True) -> None:
    # income=False: the poverty_policy rows only (povsim.processes.poverty_policy)
    from povsim.processes.poverty_policy import POLICY_MEASURES

    P, H = world.P, world.H
    num, den = _income_sums(cells.cell, cells.n_cells, world.age(), P.hh, H.income_poor,
                            H.income_pc, H.dibao, H.relative_poor_40, H.relative_poor_50,
                            H.registered_poor, H.relocated)
    k = len(_INCOME)
    if income:
        cells.add_all("income_poverty", [m.name for m in _INCOME], num[:k], den[:k])
    # the targeting measures of the poverty policy come from the same pass over persons
    if cells.wants("poverty_policy"):
        cells.add_all("poverty_policy", POLICY_MEASURES, num[k:], den[k:])


TABLES = (OutcomeTable("income_poverty", "income poverty (absolute and relative lines), mean "
                       "income per capita, Dibao coverage", _INCOME, _collect_income),)


# --------------------------------------------------------------------------- periods


def growth_rate(year: int, params) -> float:
    """Real income growth from ``year`` to ``year + 1``."""
    if year >= REFERENCE_YEAR:
        s = year - REFERENCE_YEAR
        return float(params.growth_longrun + (params.growth_initial - params.growth_longrun)
                     * np.exp(-np.log(2.0) * s / params.growth_halflife))
    if year <= 1984:
        return float(params.growth_1980_1984)
    if year <= 1991:
        return float(params.growth_1985_1991)
    if year <= 2000:
        return float(params.growth_1992_2000)
    return float(params.growth_2001_2013)


def cumulative_growth(year: int, params) -> float:
    """``G(year)``: cumulative real log growth of income from 2014 to ``year`` (negative
    before 2014)."""
    if year >= REFERENCE_YEAR:
        return float(sum(growth_rate(y, params) for y in range(REFERENCE_YEAR, year)))
    return -float(sum(growth_rate(y, params) for y in range(year, REFERENCE_YEAR)))


def growth_level(world: World, params) -> float:
    """Cumulative real log growth from 2014 to the current year (see
    :func:`cumulative_growth`)."""
    return cumulative_growth(world.year, params)


def pension(year: int, params) -> float:
    """Rural basic pension per person aged 60+ in ``year`` (RMB, 2014 prices), times the
    share of counties covered while the scheme rolls out."""
    cover = ramp(year, int(params.pension_start_year), PENSION_FULL_YEAR)
    if year <= REFERENCE_YEAR:
        return params.pension_rural * cover
    return params.pension_rural * float(np.exp(params.pension_indexation
                                               * cumulative_growth(year, params)))


def dibao_standard(year: int, params) -> float:
    """Rural Dibao standard per person (RMB, 2014 prices; 0 before the scheme): indexed to
    income growth."""
    if year < params.dibao_start_year:
        return 0.0
    return params.dibao_standard * float(np.exp(cumulative_growth(year, params)))


def reimbursement(year: int, params) -> float:
    """Share of medical costs reimbursed for insured households in ``year``."""
    return params.insurance_reimbursement * ramp(year, *NCMS_YEARS)


def relative_line_base(year: int, params) -> float:
    """The national rural median in ``year`` (2014 prices), indexed to income growth."""
    return params.national_rural_median_2014 * float(np.exp(cumulative_growth(year, params)))


def mean_income_target(year: int, params) -> float:
    """Mean per-capita market income of the population in ``year``: the declared 2014 mean
    moved along the growth path (the level the spin-up pins each historical year)."""
    return params.income_mean_start * float(np.exp(cumulative_growth(year, params)))


# --------------------------------------------------------------------------- the year


def _village_terms(world: World, params) -> np.ndarray:
    """Village term of log earnings: village effect plus the remoteness gradient."""
    geo = world.geo
    return (params.earnings_sd_village * world.V.earn_effect
            + params.remoteness_earnings * np.log(geo.remoteness_km / params.remoteness_median_km))


def _earnings_pass(world: World, params, streams, level: float):
    """One compiled pass: per-person earnings and per-household sums (see the module doc)."""
    from povsim.processes.poverty_policy import medical_reimbursement

    P, H = world.P, world.H
    g = growth_level(world, params)
    coef = np.array([
        params.return_schooling, params.return_schooling_upper, params.return_skill,
        params.experience_linear, params.experience_quadratic, params.female_earnings_gap,
        params.migrant_premium, params.stunting_earnings_penalty,
        params.disability_earnings_penalty, params.earnings_sd_person,
        params.earnings_sd_household, 0.0, params.earnings_sd_shock,
        level + g, params.remittance_share,
        pension(world.year, params), params.health_shock_cost * np.exp(g),
        0.0,
    ], dtype=np.float64)
    return _earnings_kernel(
        streams.key("earnings.shock", world.year), P.id, P.school_years, world.age(), P.sex,
        P.skill, P.migrant, P.stunted_ever, P.disabled, P.earn_effect, P.hh, P.enrolled,
        P.school_done, P.has_child_under3, P.health_shock, H.earn_effect, H.village,
        _village_terms(world, params), H.policy_shift, medical_reimbursement(world, params),
        coef, H.n, world.values.shift("earnings.log_shift", world))


def step(world: World, params, streams) -> None:
    """Earnings, transfers, medical costs -> household income per capita and poverty;
    wealth (savings, asset income, medical costs paid from savings); lifetime records."""
    from povsim.processes.poverty_policy import dibao_takeup_base
    from povsim.processes.wealth import wealth_coefficients

    P, H = world.P, world.H
    y, contrib, pens, cost = _earnings_pass(world, params, streams, world.income_level)
    P["earnings"] = y
    # Dibao: eligible below the standard; take-up and inclusion by a fixed household key
    standard = dibao_standard(world.year, params)
    base_takeup = dibao_takeup_base(world, params)
    takeup = world.values.override("dibao.takeup", world, None, lambda rows: base_takeup[rows])
    if not takeup.size:
        takeup = base_takeup
    transfers = world.values.override("household.transfer_pc", world, None,
                                      lambda rows: np.zeros(len(rows)))
    median = relative_line_base(world.year, params)
    lines = np.array([params.poverty_line, RELATIVE_LINES[0] * median, RELATIVE_LINES[1] * median])
    _household_income_kernel(
        streams.key("dibao.takeup", 0), H.id, H.present, contrib, pens, cost, standard,
        params.dibao_inclusion, params.dibao_min_transfer, takeup, transfers,
        H.policy_transfer_pc, H.wealth, wealth_coefficients(world, params),
        params.dibao_gap_share, lines, H.market_income_pc, H.dibao, H.dibao_pc, H.income_pc,
        H.income_poor, H.relative_poor_40, H.relative_poor_50)
    income_pc = H.income_pc
    # lifetime records for intergenerational metrics
    log_inc = np.log(np.maximum(income_pc, 100.0)).astype(np.float32)
    _lifetime_records(world.age(), P.hh, H.income_poor, log_inc, P.earnings,
                      P.child_years_observed, P.child_poor_years, P.child_log_income_sum,
                      P.adult_log_income_sum, P.adult_income_years, P.adult_log_earn_sum,
                      P.adult_earn_years)


def initialise(world: World, params, streams) -> None:
    """Village income effects, the income level of the run, and the start year's income."""
    world.V["earn_effect"] = streams.normal("earnings.village", 0, np.arange(world.V.n))
    P = world.P
    unset = P.origin_village < 0
    P.origin_village[unset] = world.H.village[P.hh[unset]]
    world.income_level = calibrate_level(world, params, streams)
    step(world, params, streams)


def on_births(world: World, params, streams, rows) -> None:
    """A newborn's earnings endowment (inherited in part from its parents) and village of
    origin."""
    P = world.P
    e = streams.normal("earnings.person", 0, P.id[rows])
    lam = params.earnings_endowment_inheritance
    if lam > 0.0:
        m, f = P.mother_row[rows], P.father_row[rows]
        zm = np.where(m >= 0, P.earn_effect[np.maximum(m, 0)], 0.0)
        zf = np.where(f >= 0, P.earn_effect[np.maximum(f, 0)], 0.0)
        k = (m >= 0).astype(np.float64) + (f >= 0)
        # standard normal when the parents' endowments are independent standard normals
        zp = (zm + zf) / np.sqrt(np.maximum(k, 1.0))
        e = lam * zp + np.sqrt(1.0 - lam * lam) * e
    P.earn_effect[rows] = e
    P.origin_village[rows] = world.H.village[P.hh[rows]]


def on_new_households(world: World, params, streams, rows: np.ndarray) -> None:
    """Persistent income effect of a new household (its own draw; a household formed from
    another inherits part of that one's: :func:`inherit_household_effect`)."""
    H = world.H
    H.earn_effect[rows] = streams.normal("earnings.household", 0, H.id[rows])


def inherit_household_effect(world: World, params, rows: np.ndarray, origin: np.ndarray) -> None:
    """New households ``rows`` formed from households ``origin`` (the husband's) take
    ``rho z_origin + sqrt(1 - rho^2) z_own`` as their income effect (standard normal)."""
    rho = params.household_effect_inheritance
    if rho <= 0.0 or len(rows) == 0:
        return
    H = world.H
    H.earn_effect[rows] = (rho * H.earn_effect[origin]
                           + np.sqrt(1.0 - rho * rho) * H.earn_effect[rows])


def calibrate_level(world: World, params, streams) -> float:
    """Level constant making mean per-capita market income equal the declared mean moved
    to the current year along the growth path (:func:`mean_income_target`).

    Market income is linear in ``exp(level)`` except for pensions and asset income, so one
    correction of the log level on the earned part is exact.
    """
    from povsim.processes.wealth import asset_income_pc

    H = world.H
    target = mean_income_target(world.year, params)
    _, contrib, pens, _ = _earnings_pass(world, params, streams, 0.0)
    present = np.maximum(H.present, 1).astype(np.float64)
    earned_pc = contrib / present
    other_pc = pens / present + asset_income_pc(world, params)
    # person-weighted means (per-capita income is averaged over persons)
    w = H.size.astype(np.float64)
    if w.sum() <= 0:
        return 0.0
    mean_earned = float(np.average(earned_pc, weights=w))
    mean_other = float(np.average(other_pc, weights=w))
    target = max(target - mean_other, 0.1 * target)
    return float(np.log(target / max(mean_earned, 1e-9)))


@threaded(cache=True, nogil=True, error_model="numpy")
def _earnings_kernel(key_shock, ids, school, age, sex, skill, migrant, stunted_ever, disabled,
                  earn_z, hh, enrolled, done, young_mother, shock, hh_z, hh_village,
                  village_term, policy_shift, reimb, coef, n_h, log_shift):
    """Earnings of every person and their per-household sums, in one pass.

    ``coef`` = [r_school, r_upper, r_skill, exp_lin, exp_quad, female_gap, migrant_premium,
    stunting_penalty, disability_penalty, sd_person, sd_household, (unused), sd_shock,
    log level + growth, remittance share, pension, medical cost, (unused)].

    ``village_term`` is the log-earnings term of each village, ``policy_shift`` the
    log-earnings support of each household (targeted poverty alleviation), ``reimb`` the
    share of medical costs reimbursed for each household; ``log_shift`` is a per-person
    additive shift of log earnings (the named value ``earnings.log_shift``), or empty when
    no intervention shifts earnings.

    Returns ``(earnings, contributions, pensions, medical costs)``; earnings in float32
    (the person column's type), the last three household sums in float64
    (contributions: residents' earnings plus migrants' remittances; costs: the part not
    reimbursed).

    The workers are listed first (a branch-free pass) so that their earnings shocks can be
    drawn in one vectorised batch (:func:`normals_at`, the same values as per person); their
    earnings are computed on the threads, the household sums after them in row order.
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
    yw = np.empty(k, dtype=np.float64)
    for j in prange(k):  # every worker on its own: the rows are split among the threads
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
        ln += (coef[9] * earn_z[i] + coef[10] * hh_z[h] + village_term[hh_village[h]]
               + policy_shift[h] + coef[12] * z[j])
        yi = math.exp(coef[13] + ln + log_shift[i] if has_shift else coef[13] + ln)
        # care of an infant halves a resident mother's earnings; older farmers work less
        if sex[i] == 0 and young_mother[i] and not migrant[i]:
            yi *= 0.5
        yi *= min(max(1.0 - 0.06 * (a - 60.0), 0.1), 1.0)
        yw[j] = yi
        y[i] = np.float32(yi)
    # the household sums in row order on one thread (the same sums whatever the threads);
    # a non-worker would add 0.0 to its household's contributions: no-ops, skipped
    contrib = np.zeros(n_h, dtype=np.float64)
    for j in range(k):
        i = work[j]
        contrib[hh[i]] += coef[14] * yw[j] if migrant[i] else yw[j]
    # pensions and medical costs: the same amount for every such member of a household
    pens = np.zeros(n_h, dtype=np.float64)
    cost = np.zeros(n_h, dtype=np.float64)
    for j in range(m):
        i = other[j]
        h = hh[i]
        if age[i] >= 60:
            pens[h] += coef[15]
        if shock[i]:
            cost[h] += coef[16] * (1.0 - reimb[h])
    return y, contrib, pens, cost


@threaded(cache=True, nogil=True)
def _household_income_kernel(key, hid, present, contrib, pens, cost, standard, inclusion,
                             min_transfer, takeup_h, transfer_h, policy_transfer, wealth, wc,
                             gap_share, lines, market, receives, dibao, income, poor, rel40,
                             rel50):
    """Market income, Dibao, income per capita and wealth of every household, in one pass.

    ``takeup_h`` is the Dibao take-up probability of each eligible household (baseline
    take-up, raised for registered poor households, or as modified by interventions);
    ``transfer_h`` intervention transfers per person (empty: none); ``policy_transfer``
    targeted poverty-alleviation transfers per person; Dibao pays ``gap_share`` of the gap
    between the standard and market income per person (at least ``min_transfer``).
    ``wealth`` (RMB per household) is
    drawn down in place by medical costs; ``wc`` = [asset return, liquid share]
    (:func:`povsim.processes.wealth.wealth_coefficients`).

    Market income includes the asset income ``r W``; uninsured medical costs are paid from
    the liquid part of wealth first and only the rest lowers this year's income (savings
    are added by :mod:`povsim.processes.wealth` from the income).

    Writes in place the household columns market income pc, receives Dibao, Dibao pc,
    income pc and the poverty flags against ``lines`` = [absolute line, 40% and 50% of the
    national rural median].
    """
    n = hid.shape[0]
    r_asset, liquid = wc[0], wc[1]
    has_t = transfer_h.shape[0] > 0
    for h in prange(n):
        pres = float(max(present[h], 1))
        w = float(wealth[h])
        m = (contrib[h] + pens[h] + r_asset * w) / pres
        u = uniform_at(key, hid[h])
        r = (u < takeup_h[h]) if m < standard else (u < inclusion)
        d = max(gap_share * (standard - m), min_transfer) if r else 0.0
        market[h] = m
        receives[h] = r
        dibao[h] = d
        t = (transfer_h[h] if has_t else 0.0) + policy_transfer[h]
        paid = min(cost[h], liquid * w)
        disposable = m + d + t
        y = max(disposable - (cost[h] - paid) / pres, 0.0)
        income[h] = y
        y32 = np.float32(y)  # the flags compare the stored (float32) income
        poor[h] = y32 < lines[0]
        rel40[h] = y32 < lines[1]
        rel50[h] = y32 < lines[2]
        wealth[h] = w - paid


@threaded(cache=True, nogil=True)
def _lifetime_records(age, hh, poor_hh, log_income_hh, earnings, child_observed, child_poor,
                      child_log_sum, adult_sum, adult_years, earn_sum, earn_years):
    """Childhood records (0-17: years, income-poor years, log income), adult log household
    income (30-45) and log own earnings (30-40, years with earnings), in place.

    Every person's row on its own, so the rows are split among the threads.
    """
    zero = np.float32(0.0)
    for i in prange(age.shape[0]):
        a = age[i]
        h = hh[i]
        kid = a < 18
        adult = (a >= 30) & (a <= 45)
        li = log_income_hh[h]
        child_observed[i] += kid
        child_poor[i] += kid & poor_hh[h]
        child_log_sum[i] += li if kid else zero
        adult_sum[i] += li if adult else zero
        adult_years[i] += adult
        # the logarithm of own earnings only for the earners at 30-40 (~15% of persons)
        if (a >= 30) & (a <= 40) & (earnings[i] > 0):
            earn_sum[i] += np.float32(math.log(max(earnings[i], 1.0)))
            earn_years[i] += 1


@njit(cache=True, nogil=True)
def _income_sums(cell, n_cells, age, hh, income_poor, income_pc, dibao, rel40, rel50,
                 registered, relocated):
    """Numerators and denominators of the income measures by cell, in one pass (the
    measures over all persons share one count), followed by the four targeting measures
    of :mod:`povsim.processes.poverty_policy` (registered, registered and poor, poor and
    registered, relocated)."""
    num = np.zeros((13, n_cells))
    den = np.zeros((13, n_cells))
    persons = np.zeros(n_cells)
    for i in range(hh.shape[0]):
        c = cell[i]
        h = hh[i]
        a = age[i]
        p = income_poor[h]
        poor = 1.0 if p else 0.0
        persons[c] += 1.0
        num[0, c] += poor
        num[2, c] += float(income_pc[h])
        num[3, c] += dibao[h]
        num[4, c] += rel40[h]
        num[5, c] += rel50[h]
        if a < 18:
            den[1, c] += 1.0
            num[1, c] += poor
        elif a < 65:
            den[6, c] += 1.0
            num[6, c] += poor
        else:
            den[7, c] += 1.0
            num[7, c] += poor
            num[8, c] += poor
        r = registered[h]
        num[9, c] += r
        den[10, c] += r
        num[10, c] += r & p
        num[12, c] += relocated[h]
    for j in (0, 2, 3, 4, 5, 9, 12):
        den[j] = persons
    den[8] = num[0]
    num[11] = num[10]
    den[11] = num[0]
    return num, den
