"""Targeted poverty alleviation (2015-2020) for registered poor households, and the lines.

*Registration* (建档立卡).  From 2014 on, each year a household whose income per capita
last year was below the national line is registered as poor with probability
``tpa_registration_poor``, a near-poor household (below 1.5 lines) with
``tpa_registration_near_poor`` (identification was "primarily based on incomes, with
consideration given to housing, education and health", with household application and
village review: errors of inclusion and exclusion; the lists were revised every year).
After 2020 the same yearly identification continues as the monitoring of households at
risk of returning to or falling into poverty (防返贫监测), whose members keep the raised
Dibao take-up.

*Measures* for registered households, from 2014 (the "precise" targeting of 2013-2014; the
State Council decision of November 2015 and the Three-Year Action Plan 2018-2020 intensified
them) to the end of the transition period (2025; policies kept after exit, "摘帽不摘政策"),
rolled out over 2014-2019 with an intensity that rises as ``((year - 2013) / 6) **
tpa_rollout_shape`` (a shape above 1 puts most of the effort in the last years, as the
remaining poor became fewer and harder to lift):

* industry and employment support: a shift of log earnings of the working members;
* transfers per person (industry dividends, ecological compensation, subsidies);
* relocation from inhospitable areas: a share of registered households in villages
  remoter than the median moves to better-connected sites (a lasting earnings gain);
* subsistence guarantee: Dibao take-up of eligible registered households raised (rolled
  out with the other measures; it stays after the transition period);
* health: medical reimbursement raised for registered households (rolled out with the rest);
* education: senior-high fees waived for children of registered households (read by the
  transition decision in :mod:`povsim.processes.schooling`).

The ``poverty_policy`` table reports registration and its targeting; the
``poverty_lines`` table the lines of each year: the absolute line in 2014 prices and in
current prices (the official published values where they exist), the relative lines
(40% and 50% of the national rural median), the Dibao standard and the pension.

References
----------
State Council Information Office (2021). Poverty Alleviation: China's Experience and
Contribution (white paper, 6 April 2021), section III: the "five measures" and the
identification rule.
NDRC (3 Dec 2020, via CGTN): 9.6 million people relocated 2016-2020.
NBS (2019), via Xinhua: poor-area per-capita disposable income 10,371 RMB in 2018, of
which net transfers 2,719.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from povsim.declare import Measure, OutcomeTable, household
from povsim.params import Param
from povsim.periods import ramp
from povsim.state import World

PARAMS = (
    Param("tpa_registration_poor", 0.6, "probability", (0.35, 0.9),
          "Registration 'primarily based on incomes' with village review (SCIO 2021 white "
          "paper); 89.6 million registered in 2014 [M] against 70.2 million poor by the NBS "
          "survey: wide inclusion and exclusion errors [E]", "Probability an income-poor "
          "household is registered as poor", bounds=(0.0, 1.0)),
    Param("tpa_registration_near_poor", 0.25, "probability", (0.05, 0.45),
          "As tpa_registration_poor [E]", "Probability a household between 1 and 1.5 "
          "poverty lines is registered as poor", bounds=(0.0, 1.0)),
    Param("tpa_earnings_support", 0.15, "log points", (0.05, 0.3),
          "Poor-area real income grew 10.4% a year in 2013-2017, 2.5 points above the rural "
          "mean (NBS, People's Daily 7 Feb 2018); industry and employment support [E]",
          "Shift of log earnings of working members of registered households at full "
          "roll-out (2019-2025)", bounds=(0.0, 2.0)),
    Param("tpa_transfer", 600.0, "RMB per person per year (2014 prices)", (200.0, 1500.0),
          "Net transfers 2,719 of 10,371 RMB per capita in poor areas in 2018, for all "
          "households (NBS via Xinhua 15 Feb 2019) [E]", "Transfers per person to registered "
          "households at full roll-out (dividends, ecological compensation, subsidies)",
          bounds=(0.0, 1e5)),
    Param("tpa_dibao_takeup", 0.8, "probability", (0.6, 1.0),
          "Subsistence guarantee for those who cannot escape poverty by their own efforts, "
          "one of the 'five measures' (SCIO 2021) [assumption on the rate]",
          "Dibao take-up of eligible registered households at full roll-out", bounds=(0.0, 1.0)),
    Param("tpa_reimbursement", 0.85, "share of cost", (0.7, 0.95),
          "Health poverty alleviation: inpatient reimbursement of registered poor raised to "
          "about 90% [M]", "Share of medical costs reimbursed for registered households "
          "at full roll-out", bounds=(0.0, 1.0)),
    Param("tpa_relocation_share", 0.1, "share of registered households", (0.05, 0.2),
          "9.6 million relocated 2016-2020 (NDRC via CGTN 3 Dec 2020) of ~90 million "
          "registered [S/M]", "Share of registered households relocated (all from villages "
          "remoter than the median)", bounds=(0.0, 0.5)),
    Param("tpa_relocation_gain", 0.15, "log points", (0.0, 0.3),
          "Assumption: relocation sites near towns and industrial parks", "Lasting shift of "
          "log earnings of relocated households", bounds=(0.0, 2.0)),
    Param("tpa_fee_waiver", 0.5, "share of senior-high cost", (0.3, 0.8),
          "Tuition and fees of senior high waived for registered poor students from autumn "
          "2016; board and living costs remain (REAP: tuition, room, board ~4,000 RMB a "
          "year) [S/E]", "Share of the senior-high cost waived for registered households "
          "from 2016", bounds=(0.0, 1.0)),
    Param("tpa_rollout_shape", 3.0, "exponent", (1.0, 6.0),
          "Central special poverty-alleviation funds rose by 20 billion RMB a year, 66.1 "
          "(2016) to 146.1 billion (2020), while the registered poor still to be lifted fell "
          "from 55.8 million (end 2015) to 5.5 million (end 2019) (Ministry of Finance; NBS) "
          "[M]: per remaining poor person a steeply back-loaded effort; 1 = linear roll-out "
          "[E]", "Shape of the roll-out of the measures over 2014-2019 (intensity share = "
          "roll-out fraction ** shape; fitted to the poverty path 2014-2019)", bounds=(0.2, 10.0)),
    Param("tpa_transition_end_year", 2025, "year", (2022, 2030),
          "Five-year transition period 2021-2025 keeping the main assistance policies (CPC "
          "Central Committee and State Council, Dec 2020) [M]", "Last year of the targeted "
          "measures", bounds=(2016, 2100), integer=True),
)

#: First year of registration (and of its yearly revisions, then monitoring after 2020)
REGISTRATION_YEAR = 2014
#: First year of the measures and year of full roll-out (targeting from 2014; the State
#: Council decision of Nov 2015 and the Three-Year Action Plan 2018-2020 intensified them;
#: full by 2019, the year before the poverty-exit deadline [M])
MEASURE_YEARS = (2014, 2019)
#: First year of relocation (the 13th Five-Year Plan's relocation programme, 2016-2020 [M])
RELOCATION_YEAR = 2016
#: First year of the senior-high fee waiver for registered households (autumn 2016 [S])
FEE_WAIVER_YEAR = 2016

#: Official national rural poverty line in current prices (RMB per person per year): the
#: 2,300 RMB line at 2010 prices moved with rural prices.  2010-2016: NBS, Yunnan Survey
#: Yearbook 2017, Table 4-2 notes; 2014: 2,800 (CGTN 21 Mar 2017) [S]; 2017-2018 [M];
#: 2019: 3,218 [S]; 2020: "around 4,000" (CGTN 24 Feb 2021) [S].
OFFICIAL_LINE = {2010: 2300.0, 2011: 2536.0, 2012: 2625.0, 2013: 2736.0, 2014: 2800.0,
                 2015: 2855.0, 2016: 2952.0, 2017: 2952.0, 2018: 2995.0, 2019: 3218.0,
                 2020: 4000.0}

COLUMNS = (
    household("registered_poor", np.bool_, False, "registered as a poor household (建档立卡)"),
    household("relocated", np.bool_, False, "relocated from an inhospitable area"),
    household("policy_shift", np.float32, 0.0, "targeted support: shift of log earnings of "
              "working members"),
    household("policy_transfer_pc", np.float32, 0.0, "targeted transfers per person (RMB, 2014 "
              "prices)"),
)

VALUES = ()

STREAMS = ("tpa.registration", "tpa.relocation")

_POLICY = (
    Measure("registered_share", "persons in registered poor households"),
    Measure("registered_income_poor_share", "persons in registered households that are "
            "income-poor"),
    Measure("poor_registered_share", "income-poor persons whose household is registered"),
    Measure("relocated_share", "persons in relocated households"),
)

_LINES = ("absolute_line_2014_prices", "absolute_line_current_prices",
          "relative_line_40_2014_prices", "relative_line_50_2014_prices",
          "dibao_standard_2014_prices", "pension_2014_prices")


#: Measure names of the ``poverty_policy`` table, in the order the income collector's
#: pass returns them (:func:`povsim.processes.earnings._income_sums`)
POLICY_MEASURES = [m.name for m in _POLICY]


def _collect_policy(world: World, cells) -> None:
    # one pass over persons gives both tables: the income collector adds these rows;
    # only a run that keeps this table without the income table counts them here
    if cells.wants("income_poverty"):
        return
    from povsim.processes.earnings import _collect_income

    _collect_income(world, cells, income=False)


def _collect_lines(world: World, cells) -> None:
    # the step records the year's lines among the year's events (the collector is
    # handed the world only)
    for name in _LINES:
        value = world.events.get(f"line.{name}")
        if value is not None:
            cells.count("poverty_lines", name, value, weighted=False)  # RMB, not a count


TABLES = (
    OutcomeTable("poverty_policy", "registered poor households (targeted poverty alleviation): "
                 "coverage and targeting", _POLICY, _collect_policy),
    OutcomeTable("poverty_lines", "the poverty lines of each year: absolute (2014 and current "
                 "prices), relative (40% and 50% of the national rural median), Dibao "
                 "standard, pension",
                 tuple(Measure(n, n.replace("_", " "), "count", "RMB per person per year")
                       for n in _LINES), _collect_lines),
)


def poverty_lines(year: int, params) -> dict[str, float]:
    """The lines of ``year``: absolute (2014 prices; current prices: the official value
    where published, else moved with 2% a year rural inflation), relative (40% and 50% of
    the national rural median, indexed to income growth), Dibao standard and pension
    (2014 prices)."""
    from povsim.processes.earnings import (
        RELATIVE_LINES,
        dibao_standard,
        pension,
        relative_line_base,
    )

    if year in OFFICIAL_LINE:
        current = OFFICIAL_LINE[year]
    else:
        last = 2019 if year > 2019 else 2010
        current = OFFICIAL_LINE[last] * 1.02 ** (year - last)
    median = relative_line_base(year, params)
    return {
        "absolute_line_2014_prices": float(params.poverty_line),
        "absolute_line_current_prices": float(current),
        "relative_line_40_2014_prices": RELATIVE_LINES[0] * median,
        "relative_line_50_2014_prices": RELATIVE_LINES[1] * median,
        "dibao_standard_2014_prices": dibao_standard(year, params),
        "pension_2014_prices": pension(year, params),
    }


def active(year: int, params) -> float:
    """Intensity of the targeted measures in ``year`` (0 outside 2014 - transition end)."""
    if year > params.tpa_transition_end_year:
        return 0.0
    return rollout(year, params)


def fee_waived(year: int, params) -> bool:
    """Whether registered households' senior-high fees are waived in ``year`` (from autumn
    2016 while the measures run)."""
    return year >= FEE_WAIVER_YEAR and active(year, params) > 0


def rollout(year: int, params) -> float:
    """Roll-out intensity of the measures in ``year``: the linear roll-out fraction over
    2014-2019 to the power ``tpa_rollout_shape`` (1 from 2019 on)."""
    return ramp(year, *MEASURE_YEARS) ** params.tpa_rollout_shape


def initialise(world: World, params, streams) -> None:
    """The lines of the start year (the measures begin with the steps)."""
    _record_lines(world, params)


def _record_lines(world: World, params) -> None:
    for name, value in poverty_lines(world.year, params).items():
        world.events[f"line.{name}"] = value


def step(world: World, params, streams) -> None:
    """Registration (2014 on) on last year's income; the measures of the year."""
    H = world.H
    yr = world.year
    _record_lines(world, params)
    if yr < REGISTRATION_YEAR:
        return
    _register(world, params, streams)
    a = active(yr, params)
    gain = params.tpa_relocation_gain if yr >= RELOCATION_YEAR else 0.0
    _measures(H.registered_poor, H.relocated, a * params.tpa_earnings_support,
              a * params.tpa_transfer, gain, H.policy_shift, H.policy_transfer_pc)


@njit(cache=True, nogil=True)
def _measures(registered, relocated, shift, transfer, gain, policy_shift, policy_transfer):
    """The year's support of each household, in place (relocation's gain is lasting)."""
    for h in range(registered.shape[0]):
        r = registered[h]
        policy_transfer[h] = transfer if r else 0.0
        policy_shift[h] = (shift if r else 0.0) + (gain if relocated[h] else 0.0)


@njit(cache=True, nogil=True)
def _candidates(registered, income_pc, market_pc, line):
    """Households not yet registered, observed (not formed this year) and below 1.5 lines
    last year, and whether each is below the line."""
    n = registered.shape[0]
    out = np.empty(n, dtype=np.int64)
    k = 0
    for h in range(n):
        y = income_pc[h]
        out[k] = h
        k += (not registered[h]) & (y < 1.5 * line) & ((y > 0) | (market_pc[h] > 0))
    out = out[:k].copy()
    poor = np.empty(k, dtype=np.bool_)
    for j in range(k):
        poor[j] = income_pc[out[j]] < line
    return out, poor


def _register(world: World, params, streams) -> None:
    """Register households poor (or near poor) last year; decide their relocation."""
    H, geo = world.H, world.geo
    cand, poor = _candidates(H.registered_poor, H.income_pc, H.market_income_pc, params.poverty_line)
    if len(cand) == 0:
        return
    p = np.where(poor, params.tpa_registration_poor, params.tpa_registration_near_poor)
    new = cand[streams.uniform("tpa.registration", world.year, H.id[cand]) < p]
    if len(new) == 0:
        return
    H.registered_poor[new] = True
    remote = geo.remoteness_km[H.village[new]] > np.median(geo.remoteness_km)
    move = remote & (streams.uniform("tpa.relocation", 0, H.id[new]) < 2.0 * params.tpa_relocation_share)
    H.relocated[new[move]] = True


def dibao_takeup_base(world: World, params) -> np.ndarray:
    """Dibao take-up probability of each eligible household: the baseline rate, raised for
    registered households as the measures roll out (2014-2019) and kept after them (they
    remain the guaranteed population)."""
    H = world.H
    base = np.full(H.n, params.dibao_takeup)
    share = rollout(world.year, params)
    if share > 0:
        raised = params.dibao_takeup + share * max(params.tpa_dibao_takeup - params.dibao_takeup, 0.0)
        base = np.where(H.registered_poor, raised, base)
    return base


def medical_reimbursement(world: World, params) -> np.ndarray:
    """Share of medical costs reimbursed for each household in the current year."""
    from povsim.processes.earnings import reimbursement

    H = world.H
    r = np.where(H.insured, reimbursement(world.year, params), 0.0)
    a = active(world.year, params)
    if a > 0:  # raised as the measures roll out
        r = np.where(H.registered_poor, r + a * np.maximum(params.tpa_reimbursement - r, 0.0), r)
    return r
