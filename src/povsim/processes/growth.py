"""Linear growth: a continuous height-for-age z-score (HAZ) for every child 0-17.

Each child's HAZ moves every year toward a target that its environment sets, fast in the
first years and slowly after (partial catch-up)::

    target = potential_i + D(a) + S(year) + beta' x + nutrition input (interventions)
    haz_a  = haz_{a-1} + k(a) (target - haz_{a-1}) + s(a) eps

* ``potential_i`` = ``b_m`` x the mother's adult HAZ + a persistent individual term
  (``haz_sd_potential``): maternal height passes to the next generation.
* ``D(a)`` is the target of poor rural Hubei at age ``a`` in the start year for a child
  of a mother at HAZ 0 with no risk factor: ``haz_birth`` at age 0, lower by the
  faltering ``haz_falter`` by 24 months (ages 1-4; 0.7 of it at age 1), higher by the
  catch-up ``haz_catchup`` from age 5.  ``k`` is 1 at birth, ``haz_adjust_early`` at
  ages 1-2 and ``haz_adjust_late`` from 3: faltering is concentrated in the first 24
  months and catch-up after is partial.
* ``S(year)`` is the secular change of the environment: after 2014 the target rises
  toward ``haz_secular_gain`` at rate ``haz_secular_rate``; before 2014 it was lower by
  ``haz_past_trend`` a year (at most ``haz_past_max``), so the cohorts of the initial
  population carry the deficits of their childhood.
* ``x``: income poverty, caregiver schooling, safe water, improved sanitation, a serious
  illness in the past year, both parents away, the caregivers' parenting (feeding)
  practice.
* The nutrition input is the named value ``growth.haz_input`` (SD; e.g. Ying Yang Bao).

Stunting (HAZ < -2) is derived from HAZ at every age; ``stunted_ever`` records stunting
at age 2 (24-35 months, the age of Hoddinott et al.'s adult-outcome estimates; the measure
adult earnings read).  HAZ is frozen at 18 (adult height z).
The initial population's HAZ comes from the same recursion run from birth over the
calendar years of each person's childhood (spin-up), with today's household covariates
standing in for the childhood ones of children and none for adults.

References
----------
Victora, C. G. et al. (2010). Worldwide timing of growth faltering. Pediatrics 125(3):e473.
Lundeen, E. A. et al. (2014). Height-for-age z scores increase despite increasing height
deficits among children in 5 developing countries. AJCN 100(3):821-825.
Lundeen, E. A. et al. (2014). Growth faltering and recovery in children aged 1-8 years in
four low- and middle-income countries: Young Lives. Public Health Nutr 17(9):2131-2137.
Huo, J. et al. (2024). BMJ 387:e079499 (stunting 6-23 months, 116 poorest counties,
2016-2021).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from povsim._threads import threaded
from povsim.declare import Measure, OutcomeTable, Value, person
from povsim.params import Param
from povsim.rng import ppnd16, uniform_at
from povsim.state import World

START_YEAR = 2014  # the year the deficit D(a) refers to (f = 1)

PARAMS = (
    Param("haz_birth", -0.1, "SD (HAZ)", (-0.5, 0.3),
          "Stunting 6-23 months 9.7% in 2012 and 7.5% in 2016 in poor counties (Wang O. et al. "
          "2023, Nutrients 15:2350; Huo et al. 2024, BMJ 387:e079499); LAZ near 0 at birth "
          "(Victora et al. 2010, Pediatrics 125:e473) [E]", "Target HAZ at age 0 (0-11 months) "
          "in 2014 for a child of a mother at HAZ 0 with no risk factor", bounds=(-3.0, 1.0)),
    Param("haz_falter", -0.75, "SD (HAZ)", (-1.0, -0.4),
          "Mean HAZ falls 0.5-0.8 SD from birth to 24 months in poor settings (Victora et al. "
          "2010); all 5 COHORTS reach their nadir at 24 months (Stein et al. 2010, Am J Hum "
          "Biol 22:353); poor rural under-5 stunting 19.0% in 2013 (CNHS, Yu D. M. et al. "
          "2019, Chin J Public Health 35:1339) [E]", "Further fall of the target HAZ by 24 "
          "months (ages 1-4; 0.7 of it at age 1)", bounds=(-3.0, 0.0)),
    Param("haz_catchup", 0.7, "SD (HAZ)", (0.4, 0.9),
          "HAZ +0.3 to +0.5 from 24 months to mid-childhood (Lundeen et al. 2014, AJCN "
          "100:821); 5->8 y +0.19 to +0.38 (Lundeen et al. 2014, PHN 17:2131); school-age "
          "stunting in poor rural Hubei 4.2% (Chinese standard) [E]",
          "Rise of the target HAZ from age 5 over the 24-month level (partial catch-up)",
          bounds=(0.0, 2.0)),
    Param("haz_adjust_early", 0.6, "share of gap per year", (0.4, 0.9),
          "Assumption: most faltering happens within the year it is caused (first 1,000 days)",
          "Share of the gap to the target closed each year at ages 1-2", bounds=(0.0, 1.0)),
    Param("haz_adjust_late", 0.2, "share of gap per year", (0.1, 0.4),
          "Young Lives tracking: R2 of HAZ(8) on HAZ(5) 0.53-0.74, recovery of the stunted "
          "30-47% between 5 and 8 (Schott et al. 2013, Econ Hum Biol 11(4); Lundeen et al. "
          "2014, PHN 17:2131) [E]", "Share of the gap to the target closed each year from age 3",
          bounds=(0.0, 1.0)),
    Param("haz_sd_potential", 0.7, "SD (HAZ)", (0.5, 0.85),
          "Adult HAZ SD 0.87-0.89 in COHORTS (Stein et al. 2010) less the environmental part "
          "[E]", "SD of the persistent individual (genetic) growth potential",
          bounds=(0.0, 2.0)),
    Param("haz_sd_shock_early", 0.45, "SD per year", (0.3, 0.6),
          "Young Lives: 29-60% of HAZ(5) explained by HAZ(1) (Schott et al. 2013) [E]",
          "SD of the yearly growth shock at ages 0-2", bounds=(0.0, 2.0)),
    Param("haz_sd_shock_late", 0.15, "SD per year", (0.05, 0.3),
          "Young Lives: 53-74% of HAZ(8) explained by HAZ(5) (Schott et al. 2013) [E]",
          "SD of the yearly growth shock from age 3", bounds=(0.0, 2.0)),
    Param("haz_mother", 0.25, "SD per SD of maternal HAZ", (0.15, 0.35),
          "Assumption: +1 SD maternal height -> +0.2-0.3 SD child HAZ; mother's height "
          "predicts HAZ at 1 y and growth after (Schott et al. 2013)",
          "Effect of the mother's adult HAZ on the child's growth potential",
          bounds=(0.0, 1.0)),
    Param("haz_poverty", -0.2, "SD", (-0.4, -0.05),
          "Assumption: poor rural stunting about twice general rural (Chen C. et al. 2011; "
          "CNHS 2013: ordinary rural 7.5%, poor rural 19.0%, Yu D. M. et al. 2019, Chin J Public "
          "Health 35:1339) [E]", "Target HAZ shift in an income-poor household",
          bounds=(-2.0, 0.0)),
    Param("haz_caregiver_school", 0.1, "SD per 3 years", (0.03, 0.2),
          "Maternal education <= primary vs college: stunting aRR 2.29 (1.87-2.81), 6-23 "
          "months, poorest counties 2016-21 (Huo et al. 2024, BMJ 387:e079499) [E]",
          "Target HAZ per 3 years of caregiver schooling above 9", bounds=(0.0, 1.0)),
    Param("haz_water", -0.1, "SD", (-0.25, 0.0),
          "WASH mediates 24% (4-44%) of the rural-urban stunting gap (Jilin 2013/2018, Europe "
          "PMC abstract, authors not read) [E]", "Target HAZ shift without safe drinking "
          "water", bounds=(-2.0, 0.0)),
    Param("haz_sanitation", -0.1, "SD", (-0.25, 0.0),
          "As haz_water [E]", "Target HAZ shift without improved sanitation",
          bounds=(-2.0, 0.0)),
    Param("haz_illness", -0.15, "SD", (-0.3, 0.0),
          "Assumption (infection and growth faltering; diarrhoea reduced 8.1 pp by CHW home "
          "visits, Luo R. et al. 2019, Soc Sci Med, doi:10.1016/j.socscimed.2019.112545)",
          "Target HAZ shift after a serious illness in the past year", bounds=(-2.0, 0.0)),
    Param("haz_both_away", -0.15, "SD", (-0.3, 0.0),
          "Children of migrant mothers: stunting 20-30% higher (Chen C. et al. 2011, BES "
          "24:321) [E]", "Target HAZ shift when both parents are away", bounds=(-2.0, 0.0)),
    Param("haz_feeding", 0.05, "SD per SD of parenting practice", (0.0, 0.15),
          "Assumption (feeding practices track parenting practice; minimum dietary diversity "
          "OR 0.81 for stunting, Liu J. et al. 2021, IJERPH 18:8165)",
          "Target HAZ per SD of caregiver stimulation received", bounds=(0.0, 1.0)),
    Param("haz_secular_gain", 0.8, "SD (HAZ)", (0.4, 1.2),
          "Assumption on the long-run level: the poor-rural deficit closes toward ordinary "
          "rural areas (CNHS 2013: ordinary rural stunting 7.5% vs poor rural 19.0%, Yu D. M. "
          "et al. 2019)", "Long-run rise of the target HAZ over 2014 (environment: diet, "
          "health care, national nutrition programmes)", bounds=(0.0, 3.0)),
    Param("haz_secular_rate", 0.12, "per year", (0.05, 0.2),
          "Stunting 6-23 months in the 116 poorest counties fell 10.44% (7.56-13.22) a year "
          "2016-21 (Huo et al. 2024, BMJ 387:e079499); rural under-6 11.3% (2013) -> 5.8% "
          "(2015-17) (NHC 2020 report) [E]", "Yearly rate at which the secular gain is "
          "realised after 2014", bounds=(0.0, 2.0)),
    Param("haz_past_trend", 0.03, "SD per year before 2014", (0.015, 0.05),
          "Rural under-5 stunting roughly 40% around 1990 (WHO standard) vs 19% in poor rural "
          "areas in 2013 (CNHS, Yu D. M. et al. 2019); adult rural women ~156 cm, HAZ ~ -1.2 "
          "[M]", "Lower target HAZ per year before 2014 (childhoods of the initial "
          "population)", bounds=(0.0, 0.2)),
    Param("haz_past_max", 1.2, "SD (HAZ)", (0.6, 1.8),
          "Assumption (older rural cohorts ~1.5-1.8 SD below the WHO adult reference)",
          "Cap on how much lower the target HAZ was in earlier childhoods",
          bounds=(0.0, 5.0)),
)

COLUMNS = (
    person("haz", np.float32, 0.0, "height-for-age z-score (WHO standard); adult height z "
           "from 18"),
    person("growth_potential", np.float32, 0.0, "persistent growth potential (SD): maternal "
           "HAZ term + individual term"),
    person("stunted", np.bool_, False, "stunted now (height-for-age z < -2)"),
    person("stunted_ever", np.bool_, False, "stunted (HAZ < -2) at age 2 (24-35 months), the "
           "early-childhood stunting adult earnings read", archive=True),
    person("haz_at5", np.float32, np.nan, "HAZ at age 5 (record)", archive=True),
)

VALUES = (
    Value("growth.haz_input", "SD", "nutrition input to the target height-for-age z of the "
          "year, ages 0-17 (e.g. micronutrient supplements)", kind="shift"),
)

STREAMS = ("growth", "growth.potential")

_STUNTING = (
    Measure("stunting_prevalence", "stunted children aged 0-4 (HAZ < -2)"),
    Measure("stunting_prevalence_5_9", "stunted children aged 5-9"),
    Measure("stunting_prevalence_10_17", "stunted children aged 10-17"),
    Measure("mean_haz_0_4", "mean height-for-age z, ages 0-4", "mean", "SD"),
    Measure("mean_haz_5_17", "mean height-for-age z, ages 5-17", "mean", "SD"),
)

#: HAZ by single year of age (the whole population: by = "age")
_BY_AGE = (
    Measure("mean_haz", "mean height-for-age z", "mean", "SD"),
    Measure("mean_haz_sq", "mean of the squared HAZ (SD = sqrt(mean_haz_sq - mean_haz^2))",
            "mean", "SD^2"),
    Measure("severe_stunting_prevalence", "HAZ < -3"),
    Measure("stunting_prevalence", "HAZ < -2"),
    Measure("mild_stunting_prevalence", "HAZ < -1"),
)


def _collect_stunting(world: World, cells) -> None:
    num, den = _stunting_sums(world.children(), cells.cell, cells.n_cells, world.age(), world.P.haz)
    cells.add_all("stunting", [m.name for m in _STUNTING], num, den)


def _collect_by_age(world: World, cells) -> None:
    num, den = _haz_by_age(world.age(), world.P.haz)
    labels = [str(a) for a in range(18)]
    for j, m in enumerate(_BY_AGE):
        cells.add_groups("growth_by_age", m.name, "age", labels, num[j], den[j])


TABLES = (
    OutcomeTable("stunting", "stunting and mean height-for-age z of children by age band",
                 _STUNTING, _collect_stunting),
    OutcomeTable("growth_by_age", "height-for-age z distribution by single year of age 0-17",
                 _BY_AGE, _collect_by_age),
)


def secular_shift(year: int, params) -> float:
    """``S(year)``: the change of the target HAZ since the start year (SD)."""
    d = year - START_YEAR
    if d >= 0:
        return params.haz_secular_gain * (1.0 - math.exp(-params.haz_secular_rate * d))
    return -min(params.haz_past_trend * -d, params.haz_past_max)


def _coefficients(params) -> np.ndarray:
    p = params
    return np.array([
        p.haz_birth, p.haz_falter, p.haz_catchup, p.haz_adjust_early, p.haz_adjust_late,
        p.haz_sd_shock_early, p.haz_sd_shock_late, p.haz_poverty, p.haz_caregiver_school,
        p.haz_water, p.haz_sanitation, p.haz_illness, p.haz_both_away, p.haz_feeding,
    ], dtype=np.float64)


def step(world: World, params, streams) -> None:
    """One year of growth for every child 0-17; stunting derived."""
    P, H = world.P, world.H
    yr = world.year
    _grow_pass(streams.key("growth", yr), P.id, world.age(), P.hh, H.income_poor,
               H.caregiver_school, H.safe_water, H.sanitation, P.health_shock,
               P.both_parents_away, P.stimulation, P.growth_potential, P.haz, P.stunted,
               P.stunted_ever, P.haz_at5, secular_shift(yr, params), _coefficients(params),
               world.values.shift("growth.haz_input", world, world.children(), P.n))


def initialise(world: World, params, streams) -> None:
    """Growth potential and HAZ history of the initial population (spin-up from birth)."""
    P, H = world.P, world.H
    y0 = world.year
    by = P.birth_year.astype(np.int64)
    z = streams.normal("growth.potential", 0, P.id)
    # the mothers' cohorts' adult HAZ where the mother is not in the population
    p = params
    late = p.haz_birth + p.haz_falter + p.haz_catchup
    years = np.arange(int(by.min(initial=y0)) - 40, y0 + 1)
    f = np.array([secular_shift(int(y), params) for y in years])
    order = np.argsort(by, kind="stable")  # mothers are older: they come first
    keys = np.array([streams.key("growth", int(y)) for y in years], dtype=np.uint64)
    _spin_up(order, by, P.id, P.mother_row, z, f, int(years[0]), late, float(p.haz_mother),
             float(p.haz_sd_potential), y0, keys,
             world.age(), P.hh, H.caregiver_school, H.safe_water, H.sanitation,
             P.both_parents_away, P.stimulation, P.growth_potential, P.haz, P.stunted,
             P.stunted_ever, P.haz_at5, _coefficients(params))


def on_births(world: World, params, streams, rows) -> None:
    """Growth potential of newborns: the mother's adult HAZ and an individual term."""
    P = world.P
    m = P.mother_row[rows]
    z = streams.normal("growth.potential", 0, P.id[rows])
    mh = np.where(m >= 0, P.haz[np.maximum(m, 0)], 0.0)
    P.growth_potential[rows] = (params.haz_mother * mh + params.haz_sd_potential * z).astype(
        np.float32)


@njit(cache=True, inline="always")
def _target_deficit(a, coef):
    """``D(a)``: the 2014 target at age ``a`` for a child with no risk factor."""
    if a == 0:
        return coef[0]
    if a == 1:
        return coef[0] + 0.7 * coef[1]
    if a <= 4:
        return coef[0] + coef[1]
    return coef[0] + coef[1] + coef[2]


@njit(cache=True, inline="always")
def _grow(a, prev, pot, f, risk, extra, eps, coef):
    """HAZ at age ``a`` from last year's ``prev`` (see the module docstring)."""
    target = pot + _target_deficit(a, coef) + f + risk + extra
    if a == 0:
        return target + coef[5] * eps
    k = coef[3] if a <= 2 else coef[4]
    s = coef[5] if a <= 2 else coef[6]
    return prev + k * (target - prev) + s * eps


@njit(cache=True, inline="always")
def _risk(poor, ill, h, i, cs, water, sanitation, both_away, stim, coef):
    """``beta' x`` of child row ``i`` in household row ``h`` (``poor``: income-poor
    household; ``ill``: a serious illness in the past year)."""
    r = 0.0
    if poor:
        r += coef[7]
    r += coef[8] * (float(cs[h]) - 9.0) / 3.0
    if not water[h]:
        r += coef[9]
    if not sanitation[h]:
        r += coef[10]
    if ill:
        r += coef[11]
    if both_away[i]:
        r += coef[12]
    r += coef[13] * stim[i]
    return r


@threaded(cache=True, nogil=True)
def _grow_pass(key, ids, age, hh, income_poor, cs, water, sanitation, illness, both_away, stim,
               potential, haz, stunted, stunted_ever, haz_at5, f, coef, extra):
    """One year of growth of every child (in place); adults' HAZ stays as it is."""
    has_extra = extra.shape[0] > 0
    for i in prange(ids.shape[0]):
        a = age[i]
        if a >= 18:
            continue
        h = hh[i]
        r = _risk(income_poor[h], illness[i], h, i, cs, water, sanitation, both_away, stim, coef)
        x = extra[i] if has_extra else 0.0
        eps = ppnd16(uniform_at(key, ids[i]))
        z = _grow(a, float(haz[i]), float(potential[i]), f, r, x, eps, coef)
        haz[i] = np.float32(z)
        s = z < -2.0
        stunted[i] = s
        if a == 2:
            stunted_ever[i] = s
        if a == 5:
            haz_at5[i] = np.float32(z)


@threaded(cache=True, nogil=True)
def _spin_up(order, birth_year, ids, mother_row, z, f, f_year0, late, b_mother, sd_pot, y0,
             keys, age, hh, cs, water, sanitation, both_away, stim, potential, haz, stunted,
             stunted_ever, haz_at5, coef):
    """Growth potential and HAZ of every initial person, from birth to the start year (or to
    18), in birth order (``order``) so that a mother's adult HAZ is known before her
    children's.  A mother is born in an earlier year than her children, so the persons
    of one birth year are independent of each other: each birth year's are spread over
    the threads.

    ``keys[y - f_year0]`` is the growth stream's key of calendar year ``y``; ``f`` the
    secular shift by calendar year from ``f_year0``.  Children use their household's
    covariates of the start year for every year of their childhood (income poverty and
    illness are not known yet and count as absent); adults use none.
    """
    n = order.shape[0]
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and birth_year[order[stop]] == birth_year[order[start]]:
            stop += 1
        for j in prange(start, stop):
            _spin_up_person(order[j], birth_year, ids, mother_row, z, f, f_year0, late, b_mother,
                            sd_pot, y0, keys, age, hh, cs, water, sanitation, both_away, stim,
                            potential, haz, stunted, stunted_ever, haz_at5, coef)
        start = stop


@njit(cache=True, inline="always")
def _spin_up_person(i, birth_year, ids, mother_row, z, f, f_year0, late, b_mother, sd_pot, y0,
                    keys, age, hh, cs, water, sanitation, both_away, stim, potential, haz,
                    stunted, stunted_ever, haz_at5, coef):
    by = birth_year[i]
    m = mother_row[i]
    if m >= 0:
        mh = float(haz[m])
    else:
        # the expected adult HAZ of the mother's cohort (born ~26 years earlier): its
        # target of mid-childhood and its mothers' term
        fy = min(max(by - 26 - f_year0, 0), f.shape[0] - 1)
        mh = (f[fy] + late) / (1.0 - b_mother)
    pot = b_mother * mh + sd_pot * z[i]
    potential[i] = np.float32(pot)
    child = age[i] < 18
    h = hh[i]
    prev = 0.0
    last = min(y0, by + 17)
    ever = False
    for y in range(by, last + 1):
        a = y - by
        r = 0.0
        if child:
            r = _risk(False, False, h, i, cs, water, sanitation, both_away, stim, coef)
        eps = ppnd16(uniform_at(keys[min(max(y - f_year0, 0), keys.shape[0] - 1)], ids[i]))
        fi = f[min(max(y - f_year0, 0), f.shape[0] - 1)]
        prev = _grow(a, prev, pot, fi, r, 0.0, eps, coef)
        if a == 2:
            ever = prev < -2.0
        if a == 5:
            haz_at5[i] = np.float32(prev)
    haz[i] = np.float32(prev)
    stunted[i] = prev < -2.0
    stunted_ever[i] = ever


@njit(cache=True, nogil=True)
def _stunting_sums(kids, cell, n_cells, age, haz):
    num = np.zeros((5, n_cells))
    den = np.zeros((5, n_cells))
    for i in kids:
        a = age[i]
        c = cell[i]
        z = float(haz[i])
        s = 1.0 if z < -2.0 else 0.0
        if a <= 4:
            den[0, c] += 1.0
            num[0, c] += s
            den[3, c] += 1.0
            num[3, c] += z
        else:
            k = 1 if a <= 9 else 2
            den[k, c] += 1.0
            num[k, c] += s
            den[4, c] += 1.0
            num[4, c] += z
    return num, den


@njit(cache=True, nogil=True)
def _haz_by_age(age, haz):
    num = np.zeros((5, 18))
    den = np.zeros((5, 18))
    for i in range(age.shape[0]):
        a = age[i]
        if a >= 18:
            continue
        z = float(haz[i])
        for j in range(5):
            den[j, a] += 1.0
        num[0, a] += z
        num[1, a] += z * z
        num[2, a] += z < -3.0
        num[3, a] += z < -2.0
        num[4, a] += z < -1.0
    return num, den
