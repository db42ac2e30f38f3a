"""Demographic measures of each year: period life expectancy, fertility, first births.

From the year's events (deaths by sex and 5-year age group, infant deaths and births,
recorded by :mod:`povsim.processes.mortality` and :mod:`povsim.processes.fertility`) and
the population at the end of the year:

* ``life_expectancy`` (and by sex): an abridged period life table of the simulated
  deaths (health risk ratios included); ``life_table_e0`` is the life expectancy of the
  declared life table of the year before risk ratios;
* ``tfr``: the sum of the age-specific birth rates of women 15-49 (5-year groups);
* ``mean_age_first_birth``: mean age of the mothers at this year's first births;
* ``completed_fertility_45_49`` and ``childless_45_49``: mean live births and the share
  with none among all women aged 45-49 (the census measure of completed fertility);
* ``crude_birth_rate`` and ``crude_death_rate`` per 1,000.

Whole population only (``by = all``): the counts of a county are too small for a life
table.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from povsim.declare import Measure, OutcomeTable
from povsim.outcomes import Cells
from povsim.processes.mortality import N_AGE_GROUPS
from povsim.state import World

_MEASURES = (
    Measure("life_expectancy", "period life expectancy at birth of the simulated deaths",
            "count", "years"),
    Measure("life_expectancy_female", "period life expectancy at birth, women", "count", "years"),
    Measure("life_expectancy_male", "period life expectancy at birth, men", "count", "years"),
    Measure("life_table_e0", "life expectancy of the declared life table of the year, before "
            "health risk ratios", "count", "years"),
    Measure("tfr", "total fertility rate (sum of 5-year age-specific rates, women 15-49)",
            "count", "births per woman"),
    Measure("mean_age_first_birth", "mean age of mothers at the year's first births", "count",
            "years"),
    Measure("completed_fertility_45_49", "mean live births of women aged 45-49", "count",
            "births per woman"),
    Measure("childless_45_49", "share of women aged 45-49 with no live birth", "count", "share"),
    Measure("crude_birth_rate", "births per 1,000 persons", "count", "per 1,000"),
    Measure("crude_death_rate", "deaths (infant deaths included) per 1,000 persons", "count",
            "per 1,000"),
)


def abridged_e0(deaths: np.ndarray, exposed: np.ndarray, q0: float) -> float:
    """Life expectancy at birth from deaths and persons at risk by 5-year age group
    (group 0 holds ages 1-4 here: deaths in the year of birth are ``q0``).

    The yearly death probability of a group is ``deaths / at risk``; survival over the
    group's years is compounded, person-years are trapezoidal, the last group is open.
    """
    if not (0.0 <= q0 < 1.0):
        return float("nan")
    alive = 1.0 - q0
    years = 1.0 - 0.85 * q0
    n_g = len(deaths)
    for g in range(n_g):
        width = 4 if g == 0 else 5
        p = deaths[g] / exposed[g] if exposed[g] > 0 else (1.0 if g == n_g - 1 else 0.0)
        p = min(max(p, 0.0), 1.0)
        if g == n_g - 1:
            years += alive / max(p, 1e-9) if p > 0 else 0.0
            break
        end = alive * (1.0 - p) ** width
        years += width * 0.5 * (alive + end)
        alive = end
    return float(years)


def _collect(world: World, cells: Cells) -> None:
    P, ev = world.P, world.events
    alive, women, par_sum, childless, old = _age_counts(world.age(), P.sex, P.parity, N_AGE_GROUPS)
    n = P.n
    e0 = {}
    for s, sex in enumerate(("f", "m")):
        deaths = np.array([ev.get(f"deaths_{sex}_{5 * k:03d}", 0.0) for k in range(N_AGE_GROUPS)])
        # survivors at the end of the year by group (infants born this year are age 0
        # and belong to no group of the deaths), plus this year's deaths: at risk
        e0[sex] = (deaths, alive[s] + deaths)
    def rate(measure: str, value: float) -> None:
        # rates and means of the period, not counts: a sampled run reports them unweighted
        cells.count("demography", measure, value, weighted=False)

    births = ev.get("births", 0.0)
    q0 = ev.get("infant_deaths", 0.0) / births if births > 0 else float("nan")
    total_deaths = ev.get("deaths", 0.0) + ev.get("infant_deaths", 0.0)
    if births > 0 and n > 0:
        rate("life_expectancy",
                    abridged_e0(e0["f"][0] + e0["m"][0], e0["f"][1] + e0["m"][1], q0))
        rate("life_expectancy_female", abridged_e0(*e0["f"], q0))
        rate("life_expectancy_male", abridged_e0(*e0["m"], q0))
    if "life_table_e0" in ev:
        rate("life_table_e0", ev["life_table_e0"])
    if "births" in ev:
        tfr = sum(5.0 * ev.get(f"births_mother_{15 + 5 * k}", 0.0) / women[k]
                  for k in range(7) if women[k])
        rate("tfr", tfr)
    first = ev.get("first_births", 0.0)
    if first > 0:
        rate("mean_age_first_birth", ev["first_birth_age_sum"] / first)
    if old:
        rate("completed_fertility_45_49", par_sum / old)
        rate("childless_45_49", childless / old)
    if n > 0 and "births" in ev:
        rate("crude_birth_rate", 1000.0 * births / n)
        rate("crude_death_rate", 1000.0 * total_deaths / n)


@njit(cache=True, nogil=True)
def _age_counts(age, sex, parity, n_groups):
    """Persons aged 1+ by sex and 5-year group; women by 5-year group 15-49; live births,
    childless women and all women at 45-49 -- one pass."""
    alive = np.zeros((2, n_groups))
    women = np.zeros(7)
    par_sum = 0.0
    childless = 0.0
    old = 0.0
    for i in range(age.shape[0]):
        a = np.int64(age[i])
        s = np.int64(sex[i])
        if a >= 1:
            alive[s, min(a // 5, n_groups - 1)] += 1.0
        if s == 0 and a >= 15 and a <= 49:
            women[(a - 15) // 5] += 1.0
            if a >= 45:
                old += 1.0
                par_sum += parity[i]
                childless += parity[i] == 0
    return alive, women, par_sum, childless, old


TABLES = (OutcomeTable("demography", "period life expectancy, total fertility, age at first "
                       "birth, completed fertility and childlessness at 45-49, crude rates",
                       _MEASURES, _collect),)
