"""Mortality: a period life table by sex, age and calendar year, with health risk ratios.

The annual death probability of a person of age ``a`` and sex ``s`` in year ``y`` is::

    q(a, s, y) = m(a, s) * P(a, y) * RR_health * mods("mortality.rr")

where ``m`` is the life table of the reference year 2014 (the infant rate at age 0, a
child rate at 1-4, a flat rate at 5-14 and a Gompertz-Makeham curve ``c + A exp(B (a -
30))`` from age 15, men times an excess factor) and ``P`` the period factor: from 2014 on
the yearly decline ``(1 - d)^(y - 2014)``; before 2014 the historical path through
declared anchors (infant mortality in 1980 and 2000, which also scales ages 1-14; adult
mortality relative to 2014 in 1980 and 2000), log-linear between them
(:func:`povsim.periods.path`).  The health risk ratios apply to stunted children under 5,
to persons with a health shock this year and to persons with a disability; ``q = 1`` from
age 105.  Partners of the dead become widowed; a household left with no living member
passes its wealth to the households of the children of its dead
(:func:`povsim.processes.wealth.bequeath`); the dead move to the archive
(:meth:`povsim.state.World.compact`).  Deaths by sex and 5-year age group are counted for
the period life table of the ``demography`` outcome table.

References
----------
National Bureau of Statistics: life expectancy at birth 67.77 (1981), 71.40 (2000), 74.83
(2010; men 72.38, women 77.37) from the census life tables.
UN IGME (childmortality.org): infant mortality 45.1 per 1,000 (1981), 29.9 (2000), 12.5
(2010), national.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from povsim._threads import threaded
from povsim.declare import Value
from povsim.params import Param
from povsim.periods import REFERENCE_YEAR, path
from povsim.rng import uniform_at
from povsim.state import World

#: 5-year age groups of the death counts (0-4 ... 95-99, 100+)
N_AGE_GROUPS = 21

PARAMS = (
    Param("infant_mortality", 0.015, "per year (age 0)", (0.008, 0.025),
          "National IMR 12.1 per 1,000 in 2011; poor rural areas higher (Chin J Health Policy "
          "2014, 7(2):57) [E]", "Death probability in the first year of life", bounds=(0, 0.2)),
    Param("child_mortality_1_4", 0.001, "per year (ages 1-4)", (0.0004, 0.003),
          "(U5MR 15.6 - IMR 12.1)/4 per 1,000, 2011 (Chin J Health Policy 2014) [E]",
          "Annual death probability at ages 1-4", bounds=(0, 0.1)),
    Param("mortality_5_14", 0.0003, "per year", (0.0001, 0.0008),
          "Assumption (China life tables, 2010 census)", "Annual death probability at 5-14",
          bounds=(0, 0.05)),
    Param("gompertz_a", 0.00055, "per year at age 30", (0.0004, 0.001),
          "Gompertz-Makeham level below the e0 of the 2010 census (74.83; women 77.37, men "
          "72.38; NBS via Xinhua 2012) because the health-shock and disability risk ratios "
          "come on top; calibrated to the simulated e0 [E]",
          "Adult female annual death probability at age 30 (Gompertz level)", bounds=(0, 0.05)),
    Param("gompertz_b", 0.085, "per year of age", (0.07, 0.1),
          "Gompertz slope: mortality doubles about every 8 years of age [E]",
          "Gompertz rate of increase of adult mortality with age", bounds=(0.0, 0.2)),
    Param("male_mortality_excess", 1.5, "ratio", (1.25, 1.75),
          "Gives the 2010 census sex gap in e0 of about 5 years (77.37 vs 72.38; NBS) [E]",
          "Ratio of male to female adult mortality", bounds=(0.5, 3.0)),
    Param("mortality_decline", 0.015, "per year", (0.0, 0.03),
          "Assumption: secular decline of age-specific mortality (e0 74.83 in 2010 -> 77.93 "
          "in 2020, NBS censuses, is about 2% a year)", "Yearly proportional decline in all "
          "death probabilities after 2014", bounds=(0.0, 0.1)),
    Param("infant_mortality_1980", 0.05, "per year (age 0)", (0.035, 0.075),
          "UN IGME national IMR 45.1 per 1,000 in 1981 (childmortality.org via indexmundi); "
          "rural IMR more than twice urban (NHC surveillance) [E]",
          "Infant death probability in 1980 (period path; also scales ages 1-14)",
          bounds=(0.0, 0.3)),
    Param("infant_mortality_2000", 0.035, "per year (age 0)", (0.025, 0.05),
          "National IMR 32.2 per 1,000 in 2000 (NBS), rural ~37 (NHC surveillance) [S/M]",
          "Infant death probability in 2000 (period path; also scales ages 1-14)",
          bounds=(0.0, 0.3)),
    Param("adult_mortality_ratio_1980", 1.6, "ratio to 2014", (1.3, 2.0),
          "Gives e0 ~66.8 in 1980 with the 1980 infant rate; national e0 67.77 in 1981 "
          "(NBS, People's Daily 28 Mar 2002), rural lower [E]",
          "Death probabilities at ages 15+ in 1980 relative to the 2014 table",
          bounds=(0.5, 5.0)),
    Param("adult_mortality_ratio_2000", 1.2, "ratio to 2014", (1.05, 1.4),
          "Gives e0 ~71.5 in 2000; rural Hubei e0 71.25 around the 2000 census (Hubei "
          "provincial profile, china.org.cn) [E]",
          "Death probabilities at ages 15+ in 2000 relative to the 2014 table",
          bounds=(0.5, 5.0)),
    Param("rr_mortality_stunted", 1.6, "ratio", (1.2, 2.3),
          "Olofin et al. 2013, PLoS One 8:e64636, HR of moderate stunting for under-5 "
          "mortality [M]", "Risk ratio of death, stunted children under 5", bounds=(1.0, 10.0)),
    Param("rr_mortality_shock", 3.0, "ratio", (2.0, 8.0),
          "Assumption: serious illness/injury episode", "Risk ratio of death in a year with "
          "a health shock", bounds=(1.0, 30.0)),
    Param("rr_mortality_disabled", 2.0, "ratio", (1.3, 3.0),
          "Assumption", "Risk ratio of death for persons with a disability", bounds=(1.0, 10.0)),
)

COLUMNS = ()  # alive and death_year are core columns (povsim.population)

VALUES = (Value("mortality.rr", "ratio", "multiplier on each person's annual death probability"),)

STREAMS = ("mortality",)

TABLES = ()


def period_factors(year: int, params) -> tuple[float, float]:
    """``(child, adult)`` multipliers of the 2014 life table in ``year``: the infant-rate
    ratio (ages 0-14) and the adult ratio (ages 15+)."""
    if year >= REFERENCE_YEAR:
        f = (1.0 - params.mortality_decline) ** (year - REFERENCE_YEAR)
        return f, f
    imr = path(year, [(1980, params.infant_mortality_1980), (2000, params.infant_mortality_2000),
                      (REFERENCE_YEAR, params.infant_mortality)], "log")
    adult = path(year, [(1980, params.adult_mortality_ratio_1980),
                        (2000, params.adult_mortality_ratio_2000), (REFERENCE_YEAR, 1.0)], "log")
    return imr / params.infant_mortality, adult


def infant_q(year: int, params) -> float:
    """Death probability in the year of birth, ``year`` (before risk ratios)."""
    return params.infant_mortality * period_factors(year, params)[0]


def life_table(year: int, params) -> np.ndarray:
    """Death probability by ``[sex, age]`` (ages 0-110) in ``year``, before risk ratios."""
    a = np.arange(111, dtype=np.float64)
    child, adult = period_factors(year, params)
    base = np.where(a < 1, params.infant_mortality,
                    np.where(a < 5, params.child_mortality_1_4,
                             np.where(a < 15, params.mortality_5_14, 0.0))) * child
    gomp = (params.gompertz_a * np.exp(params.gompertz_b * (a - 30.0)) + 0.0002) * adult
    female = np.where(a >= 15, gomp, base)
    male = np.where(a >= 15, gomp * params.male_mortality_excess, base)
    return np.stack([female, male])


def life_expectancy(q: np.ndarray) -> float:
    """Period life expectancy at birth of a single-year table of death probabilities
    ``q[age]`` (deaths at mid-year, a_0 = 0.15 in the first year; ``q = 1`` closes it)."""
    q = np.clip(np.asarray(q, dtype=np.float64), 0.0, 1.0).copy()
    q[-1] = 1.0
    alive = np.concatenate([[1.0], np.cumprod(1.0 - q[:-1])])
    lived = alive * (1.0 - 0.5 * q)
    lived[0] = alive[0] * (1.0 - 0.85 * q[0])
    return float(lived.sum())


def _inputs(world: World, params) -> tuple:
    P = world.P
    rr = world.values.ratio("mortality.rr", world)
    return (P.sex, world.age(), life_table(world.year, params), P.stunted, P.health_shock,
            P.disabled, params.rr_mortality_stunted, params.rr_mortality_shock,
            params.rr_mortality_disabled, rr)


def step(world: World, params, streams) -> None:
    """Deaths of the year; partners become widowed; bequests; the dead move to the archive."""
    from povsim.processes.wealth import bequeath

    P = world.P
    inputs = _inputs(world, params)
    table = inputs[2]
    world.events["life_table_e0"] = 0.5 * (life_expectancy(table[0]) + life_expectancy(table[1]))
    die = _deaths(streams.key("mortality", world.year), P.id, *inputs)
    dead, by_age = _record_deaths(die, world.year, P.alive, P.death_year, P.sex, world.age())
    pr = P.partner_row
    widowed = pr[dead]
    P.partner_row[widowed[widowed >= 0]] = -1
    world.events["deaths"] = float(len(dead))
    for s, sex in enumerate(("f", "m")):
        for g in range(by_age.shape[1]):
            if by_age[s, g]:
                world.events[f"deaths_{sex}_{5 * g:03d}"] = float(by_age[s, g])
    bequeath(world, params, dead)
    world.compact()


@njit(cache=True, nogil=True)
def _death_q(i, sex, age, table, stunted, shock, disabled, rr_stunted, rr_shock, rr_disabled,
             rr):
    """Person ``i``'s death probability: life table x health risk ratios x the modifiers'
    ratio (``rr``: one per person, or empty when no intervention modifies mortality)."""
    a = min(int(age[i]), table.shape[1] - 1)
    r = 1.0
    if stunted[i] and a < 5:
        r *= rr_stunted
    if shock[i]:
        r *= rr_shock
    if disabled[i]:
        r *= rr_disabled
    v = table[sex[i], a] * r
    if rr.shape[0] > 0:
        v = v * rr[i]
    if a >= 105:
        v = 1.0
    return min(max(v, 0.0), 1.0)


@threaded(cache=True, nogil=True)
def _deaths(key, ids, sex, age, table, stunted, shock, disabled, rr_stunted, rr_shock,
            rr_disabled, rr):
    """A uniform per person against :func:`_death_q` (no probability array).

    The uniforms are drawn in a loop of their own, which the compiler vectorises; drawn
    inside the branchy loop below they cost five times as much.
    """
    n = ids.shape[0]
    u = np.empty(n, dtype=np.float64)
    for i in prange(n):
        u[i] = uniform_at(key, ids[i])
    die = np.empty(n, dtype=np.bool_)
    for i in prange(n):
        die[i] = u[i] < _death_q(i, sex, age, table, stunted, shock, disabled, rr_stunted,
                                 rr_shock, rr_disabled, rr)
    return die


@njit(cache=True, nogil=True)
def _record_deaths(die, year, alive, death_year, sex, age):
    """Record this year's deaths in place (``alive``, ``death_year``); returns the rows of
    the dead, ascending, and the deaths by ``[sex, 5-year age group]`` (0-4 ... 100+)."""
    n = die.shape[0]
    rows = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        d = die[i]
        alive[i] = not d
        rows[k] = i
        k += d
    by_age = np.zeros((2, N_AGE_GROUPS), dtype=np.int64)
    for j in range(k):
        i = rows[j]
        death_year[i] = year
        by_age[sex[i], min(age[i] // 5, N_AGE_GROUPS - 1)] += 1
    return rows[:k].copy(), by_age
