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
    age = world.age().astype(np.int64)
    n = P.n
    g = np.minimum(age // 5, N_AGE_GROUPS - 1)
    e0 = {}
    for s, sex in enumerate(("f", "m")):
        deaths = np.array([ev.get(f"deaths_{sex}_{5 * k:03d}", 0.0) for k in range(N_AGE_GROUPS)])
        # survivors at the end of the year by group (infants born this year are age 0
        # and belong to no group of the deaths), plus this year's deaths: at risk
        alive = np.bincount(g[(P.sex == s) & (age >= 1)], minlength=N_AGE_GROUPS).astype(float)
        e0[sex] = (deaths, alive + deaths)
    births = ev.get("births", 0.0)
    q0 = ev.get("infant_deaths", 0.0) / births if births > 0 else float("nan")
    total_deaths = ev.get("deaths", 0.0) + ev.get("infant_deaths", 0.0)
    if births > 0 and n > 0:
        ef = abridged_e0(*e0["f"], q0)
        em = abridged_e0(*e0["m"], q0)
        both = abridged_e0(e0["f"][0] + e0["m"][0], e0["f"][1] + e0["m"][1], q0)
        cells.count("demography", "life_expectancy", both)
        cells.count("demography", "life_expectancy_female", ef)
        cells.count("demography", "life_expectancy_male", em)
    if "life_table_e0" in ev:
        cells.count("demography", "life_table_e0", ev["life_table_e0"])
    women = P.sex == 0
    tfr = 0.0
    for k in range(7):
        lo = 15 + 5 * k
        w = int((women & (age >= lo) & (age < lo + 5)).sum())
        b = ev.get(f"births_mother_{lo}", 0.0)
        tfr += 5.0 * b / w if w else 0.0
    if "births" in ev:
        cells.count("demography", "tfr", tfr)
    first = ev.get("first_births", 0.0)
    if first > 0:
        cells.count("demography", "mean_age_first_birth", ev["first_birth_age_sum"] / first)
    old = women & (age >= 45) & (age <= 49)
    if old.any():
        par = P.parity[old].astype(np.float64)
        cells.count("demography", "completed_fertility_45_49", float(par.mean()))
        cells.count("demography", "childless_45_49", float((par == 0).mean()))
    if n > 0 and "births" in ev:
        cells.count("demography", "crude_birth_rate", 1000.0 * births / n)
        cells.count("demography", "crude_death_rate", 1000.0 * total_deaths / n)


TABLES = (OutcomeTable("demography", "period life expectancy, total fertility, age at first "
                       "birth, completed fertility and childlessness at 45-49, crude rates",
                       _MEASURES, _collect),)
