"""Mortality: a period life table by sex and age with health risk ratios.

The annual death probability of a person of age ``a`` and sex ``s`` is::

    q(a, s) = m(a, s) * RR_health * (1 - d)^t * mods("mortality.rr")

where ``m`` is the infant rate at age 0, a child rate at 1-4, a flat rate at 5-14 and a
Gompertz-Makeham curve ``c + A exp(B (a - 30))`` from age 15 (men times an excess
factor); the health risk ratios apply to stunted children under 5, to persons with a
health shock this year and to persons with a disability; ``d`` is the yearly decline of
mortality; ``q = 1`` from age 105.  Partners of the dead become widowed; the dead move to
the archive (:meth:`povsim.state.World.compact`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from povsim.declare import Value
from povsim.params import Param
from povsim.rng import uniform_at
from povsim.state import World

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
    Param("gompertz_a", 0.0009, "per year at age 30", (0.0005, 0.0015),
          "Gompertz-Makeham fit giving life expectancy ~75 (2010 census e0 74.8) [E]",
          "Adult female annual death probability at age 30 (Gompertz level)", bounds=(0, 0.05)),
    Param("gompertz_b", 0.085, "per year of age", (0.07, 0.1),
          "Gompertz slope: mortality doubles about every 8 years of age [E]",
          "Gompertz rate of increase of adult mortality with age", bounds=(0.0, 0.2)),
    Param("male_mortality_excess", 1.35, "ratio", (1.15, 1.6),
          "Assumption (male/female adult mortality ratio, China life tables)",
          "Ratio of male to female adult mortality", bounds=(0.5, 3.0)),
    Param("mortality_decline", 0.015, "per year", (0.0, 0.03),
          "Assumption: secular decline of age-specific mortality", "Yearly proportional "
          "decline in all death probabilities", bounds=(0.0, 0.1)),
    Param("rr_mortality_stunted", 1.6, "ratio", (1.2, 2.3),
          "Olofin et al. 2013, PLoS One 8:e64636, HR of moderate stunting for under-5 "
          "mortality [M]", "Risk ratio of death, stunted children under 5", bounds=(1.0, 10.0)),
    Param("rr_mortality_shock", 4.0, "ratio", (2.0, 8.0),
          "Assumption: serious illness/injury episode", "Risk ratio of death in a year with "
          "a health shock", bounds=(1.0, 30.0)),
    Param("rr_mortality_disabled", 2.0, "ratio", (1.3, 3.0),
          "Assumption", "Risk ratio of death for persons with a disability", bounds=(1.0, 10.0)),
)

COLUMNS = ()  # alive and death_year are core columns (povsim.population)

VALUES = (Value("mortality.rr", "ratio", "multiplier on each person's annual death probability"),)

STREAMS = ("mortality",)

TABLES = ()


def life_table(world: World, params) -> np.ndarray:
    """Death probability by ``[sex, age]`` (ages 0-110) of this year, before risk ratios."""
    a = np.arange(111, dtype=np.float64)
    base = np.where(a < 1, params.infant_mortality,
                    np.where(a < 5, params.child_mortality_1_4,
                             np.where(a < 15, params.mortality_5_14, 0.0)))
    gomp = params.gompertz_a * np.exp(params.gompertz_b * (a - 30.0)) + 0.0002
    female = np.where(a >= 15, gomp, base)
    male = np.where(a >= 15, gomp * params.male_mortality_excess, base)
    return np.stack([female, male]) * (1.0 - params.mortality_decline) ** world.t


def _inputs(world: World, params) -> tuple:
    P = world.P
    rr = world.values.ratio("mortality.rr", world)
    return (P.sex, world.age(), life_table(world, params), P.stunted, P.health_shock,
            P.disabled, params.rr_mortality_stunted, params.rr_mortality_shock,
            params.rr_mortality_disabled, rr)


def death_probability(world: World, params) -> np.ndarray:
    """Annual death probability of every person (what :func:`step` draws against)."""
    return _death_probabilities(*_inputs(world, params))


def step(world: World, params, streams) -> None:
    """Deaths of the year; partners become widowed; the dead move to the archive."""
    P = world.P
    die = _deaths(streams.key("mortality", world.year), P.id, *_inputs(world, params))
    dead = _record_deaths(die, world.year, P.alive, P.death_year)
    pr = P.partner_row
    widowed = pr[dead]
    P.partner_row[widowed[widowed >= 0]] = -1
    world.events["deaths"] = float(len(dead))
    world.compact()


@njit(cache=True, inline="always")
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


@njit(cache=True)
def _death_probabilities(sex, age, table, stunted, shock, disabled, rr_stunted, rr_shock,
                         rr_disabled, rr):
    q = np.empty(sex.shape[0], dtype=np.float64)
    for i in range(sex.shape[0]):
        q[i] = _death_q(i, sex, age, table, stunted, shock, disabled, rr_stunted, rr_shock,
                        rr_disabled, rr)
    return q


@njit(cache=True)
def _deaths(key, ids, sex, age, table, stunted, shock, disabled, rr_stunted, rr_shock,
            rr_disabled, rr):
    """A uniform per person against :func:`_death_q` (no probability array)."""
    die = np.empty(ids.shape[0], dtype=np.bool_)
    for i in range(ids.shape[0]):
        die[i] = uniform_at(key, ids[i]) < _death_q(i, sex, age, table, stunted, shock, disabled,
                                                    rr_stunted, rr_shock, rr_disabled, rr)
    return die


@njit(cache=True)
def _record_deaths(die, year, alive, death_year):
    """Record this year's deaths in place (``alive``, ``death_year``); returns the rows of
    the dead, ascending."""
    n = die.shape[0]
    rows = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        d = die[i]
        alive[i] = not d
        rows[k] = i
        k += d
    for j in range(k):
        death_year[rows[j]] = year
    return rows[:k].copy()
