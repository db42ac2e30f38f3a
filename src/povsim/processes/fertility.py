"""Fertility and births.

Partnered women aged 18-49 give birth with a parity-specific annual hazard (first,
second, higher births), declining exponentially after age 32 and lower when only the
husband is away as a migrant.  The second- and higher-birth hazards follow a period path
before 2014 (anchors in 1980 and 2000, log-linear in between: the fall from a period TFR
of 2.7 in 1979 under the birth-planning rules; IJPS 8(1), "Fertility by parity in
China").  Births by the mother's 5-year age group and the mothers' ages at first births
are counted for the ``demography`` table (TFR, mean age at first birth).  Newborn ids
derive from the mother's id and birth order (:func:`povsim.rng.newborn_ids`), so the same
child exists in every scenario in which that birth happens.  A newborn has a disability
with a small probability; first-year mortality happens in the year of birth, so only
survivors join the person table (the others go straight to the archive).  Newborns join
the mother's household; each process module initialises its own columns of them
(``on_births``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from povsim._threads import threaded
from povsim.declare import person
from povsim.params import Param
from povsim.periods import REFERENCE_YEAR, path
from povsim.processes.mortality import infant_q
from povsim.registry import hooks
from povsim.rng import newborn_ids, uniform_at
from povsim.state import World

PARAMS = (
    Param("fertility_first_birth", 0.42, "per year", (0.3, 0.6),
          "Calibrated to mean age at first birth 25.9 (6th census; Chen & Ouyang 2024) [E]",
          "Annual birth probability of partnered women with no child", bounds=(0.0, 1.0)),
    Param("fertility_second_birth", 0.11, "per year", (0.06, 0.2),
          "Calibrated to TFR 1.5-1.6 (2010 census 1.52; Jiang et al.) [E]",
          "Annual birth probability of partnered women with one child", bounds=(0.0, 1.0)),
    Param("fertility_higher_birth", 0.015, "per year", (0.005, 0.05),
          "Assumption (third births rare under the birth-planning rules)",
          "Annual birth probability of partnered women with 2+ children", bounds=(0.0, 1.0)),
    Param("fertility_age_decline", 0.2, "per year of age over 32", (0.1, 0.35),
          "Assumption", "Exponential decline of birth probability after age 32",
          bounds=(0.0, 2.0)),
    Param("fertility_second_birth_1980", 0.3, "per year", (0.18, 0.45),
          "Cohort completed fertility 2.93 (women born 1950), 2.05 (1960), 1.93-1.78 "
          "(1966-69), second-order CCFR 0.90 (1950) -> 0.66-0.70 (1958-66); period TFR 2.73 "
          "in 1979 (IJPS 8(1), 'Fertility by parity in China', Table 1); rural higher [E]",
          "Second-birth hazard in 1980 (period path)", bounds=(0.0, 1.0)),
    Param("fertility_second_birth_2000", 0.15, "per year", (0.08, 0.25),
          "Rural TFR above 1.8 over 2000-2020 by reverse survival (Li et al. 2024, Sci Rep "
          "14); adjusted national TFR 1.5-1.6 in 2000-2010 (Jiang et al.) [E]",
          "Second-birth hazard in 2000 (period path)", bounds=(0.0, 1.0)),
    Param("fertility_higher_birth_1980", 0.08, "per year", (0.03, 0.15),
          "Parity 3+ fell from 3.90 (1970) to 1.18 (1980); CCFR3+ 0.40 for women born 1960 "
          "(IJPS 8(1), Table 1) [E]", "Third-and-higher-birth hazard in 1980 (period path)",
          bounds=(0.0, 1.0)),
    Param("fertility_higher_birth_2000", 0.02, "per year", (0.005, 0.05),
          "CCFR3+ below 0.20 for women born 1970 (IJPS 8(1)) [E]",
          "Third-and-higher-birth hazard in 2000 (period path)", bounds=(0.0, 1.0)),
    Param("fertility_absent_husband", 0.5, "ratio", (0.3, 0.8),
          "Assumption (spousal separation through migration)", "Birth probability ratio "
          "when only the husband is a migrant", bounds=(0.0, 1.0)),
    Param("disability_at_birth", 0.008, "probability", (0.004, 0.015),
          "Second China National Sample Survey on Disability (2006): ~1.7% of children 0-17 "
          "disabled [M]; share present from birth assumed", "Probability a newborn has a "
          "disability or special need", bounds=(0.0, 0.2)),
)

COLUMNS = (
    person("parity", np.int8, 0, "live births of a woman so far"),
)

VALUES = ()

STREAMS = ("fertility", "birth.sex", "birth.disability", "mortality.infant")

TABLES = ()


def hazards(year: int, params) -> tuple[float, float, float]:
    """First, second and higher-order birth hazards in ``year`` (before the age decline)."""
    second, higher = params.fertility_second_birth, params.fertility_higher_birth
    if year < REFERENCE_YEAR:
        second = path(year, [(1980, params.fertility_second_birth_1980),
                             (2000, params.fertility_second_birth_2000),
                             (REFERENCE_YEAR, second)], "log")
        higher = path(year, [(1980, params.fertility_higher_birth_1980),
                             (2000, params.fertility_higher_birth_2000),
                             (REFERENCE_YEAR, higher)], "log")
    return params.fertility_first_birth, second, higher


def step(world: World, params, streams) -> None:
    """Births to partnered women; newborns join the mother's household."""
    P = world.P
    pr = P.partner_row
    # hazard by [parity 0 / 1 / 2+, age] on the few possible values; one compiled pass
    # finds the mothers
    parity, a = np.meshgrid(np.arange(3), np.arange(50, dtype=np.float64), indexing="ij")
    h1, h2, h3 = hazards(world.year, params)
    h = np.where(parity == 0, h1, np.where(parity == 1, h2, h3))
    h = np.ascontiguousarray(h * np.exp(-params.fertility_age_decline * np.clip(a - 32.0, 0.0, None)))
    age = world.age()
    mothers = _birth_mothers(streams.key("fertility", world.year), P.id, age, P.sex, pr,
                             P.migrant, P.parity, h, params.fertility_absent_husband)
    n = len(mothers)
    world.events["births"] = float(n)
    if n == 0:
        return
    _count_births(world, age[mothers], P.parity[mothers])
    fathers = pr[mothers]
    order = P.parity[mothers].astype(np.int64) + 1
    ids = newborn_ids(P.id[mothers], order)
    P.parity[mothers] = order
    p_boy = 1.0 / (1.0 + 1.0 / params.sex_ratio_at_birth)
    sex = (streams.uniform("birth.sex", 0, ids) < p_boy).astype(np.int8)
    disabled = streams.uniform("birth.disability", 0, ids) < params.disability_at_birth
    gen = (np.maximum(P.generation[mothers], P.generation[fathers]) + 1).astype(np.int8)
    # first-year mortality happens in the year of birth: only survivors join the table
    q0 = infant_q(world.year, params)
    q0 = np.where(disabled, q0 * params.rr_mortality_disabled, q0)
    dies = streams.uniform("mortality.infant", world.year, ids) < q0
    world.events["infant_deaths"] = float(dies.sum())
    if dies.any():
        d = np.flatnonzero(dies)
        world.archive_newborns(ids[d], sex[d], P.id[mothers[d]], P.id[fathers[d]], gen[d])
    s = ~dies
    mothers, fathers, ids, sex, disabled, gen = (
        mothers[s], fathers[s], ids[s], sex[s], disabled[s], gen[s])
    rows = P.append(
        len(ids), id=ids, sex=sex, birth_year=np.int16(world.year), hh=P.hh[mothers],
        mother=P.id[mothers], father=P.id[fathers], mother_row=mothers.astype(np.int32),
        father_row=fathers.astype(np.int32), generation=gen, disabled=disabled,
    )
    for hook in hooks("on_births"):
        hook(world, params, streams, rows)


def _count_births(world: World, mother_age: np.ndarray, parity_before: np.ndarray) -> None:
    """Births by mother's 5-year age group (15-19 ... 45-49) and first births with the
    sum of the mothers' ages, into the year's event counters."""
    g = np.clip(mother_age.astype(np.int64) // 5 - 3, 0, 6)
    counts = np.bincount(g, minlength=7)
    for k in np.flatnonzero(counts):
        world.events[f"births_mother_{15 + 5 * k}"] = float(counts[k])
    first = parity_before == 0
    world.events["first_births"] = float(first.sum())
    # (calendar year - birth year: the mean exact age at a birth during the year)
    world.events["first_birth_age_sum"] = float(mother_age[first].astype(np.float64).sum())


@threaded(cache=True, nogil=True)
def _birth_mothers(key, ids, age, sex, partner_row, migrant, parity, h_table, absent):
    """Rows of partnered women aged 18-49 who give birth: a uniform each against
    ``h_table[min(parity, 2), age]``, times ``absent`` when only the husband is away.
    Candidates by a branch-free masked count, then drawn."""
    n = ids.shape[0]
    cand = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        a = age[i]
        cand[k] = i
        k += (sex[i] == 0) & (partner_row[i] >= 0) & (a >= 18) & (a <= 49)
    birth = np.empty(k, dtype=np.bool_)
    for j in prange(k):  # each woman's draw on its own, on the threads
        i = cand[j]
        h = h_table[min(int(parity[i]), 2), age[i]]
        away = migrant[partner_row[i]] & (not migrant[i])
        h = h * absent if away else h
        birth[j] = uniform_at(key, ids[i]) < h
    out = np.empty(k, dtype=np.int64)
    r = 0
    for j in range(k):
        out[r] = cand[j]
        r += birth[j]
    return out[:r].copy()
