"""Nutrition and health of children (stunting, anaemia), health shocks, disability.

* Stunting (HAZ < -2): onset in the first 1,000 days (ages 0-2) with annual probability
  ``expit(a_age + b' x)``, ``x`` = income poverty, caregiver schooling below junior high,
  no safe water, no improved sanitation, low parenting practice, both parents away;
  times the modifier ``stunting.onset_rr``.  Stunted children recover with a small
  annual probability until age 5; after that the state persists (``stunted_ever``).
* Anaemia (ages 0-17): prevalence each year ``expit(a_age + b' x + c anaemic_{t-1})``
  times ``anaemia.rr``.
* Health shocks (serious illness or injury): annual probability by age, higher with a
  disability; a shock can leave a lasting disability.
* Health check-ups (children): annual probability by age (``checkup.probability``).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.special import expit, logit

from povsim.declare import Measure, OutcomeTable, Value, person
from povsim.params import Param
from povsim.rng import uniform_at
from povsim.state import World

PARAMS = (
    Param("stunting_onset_0", 0.055, "per year (age 0)", (0.02, 0.12),
          "Calibrated to poor-rural under-5 stunting ~15-20%: rural 12.1% in 2010, poor rural "
          "about 2x general rural (Chen C. et al. 2011, BES 24:321; Chin J Health Policy "
          "2014) [E]", "Stunting onset probability in the first year of life for a child "
          "with no risk factor", bounds=(0.0, 1.0)),
    Param("stunting_onset_1", 0.035, "per year (age 1)", (0.01, 0.08),
          "As stunting_onset_0 [E]", "Stunting onset probability in the second year",
          bounds=(0.0, 1.0)),
    Param("stunting_onset_2", 0.012, "per year (age 2)", (0.003, 0.04),
          "As stunting_onset_0 [E]", "Stunting onset probability in the third year",
          bounds=(0.0, 1.0)),
    Param("stunting_or_poverty", 1.8, "odds ratio", (1.3, 2.5),
          "Assumption (income gradient of stunting in rural China; Chen C. et al. 2011)",
          "Odds ratio of stunting onset in income-poor households", bounds=(0.1, 10.0)),
    Param("stunting_or_caregiver_school", 1.5, "odds ratio", (1.1, 2.2),
          "Assumption (maternal education gradient)", "Odds ratio when the caregivers have "
          "less than junior-high schooling", bounds=(0.1, 10.0)),
    Param("stunting_or_water", 1.3, "odds ratio", (1.0, 1.8),
          "Assumption (WASH and enteropathy; Hubei MODA findings)", "Odds ratio without safe "
          "drinking water", bounds=(0.1, 10.0)),
    Param("stunting_or_sanitation", 1.3, "odds ratio", (1.0, 1.8),
          "Assumption (WASH and enteropathy)", "Odds ratio without improved sanitation",
          bounds=(0.1, 10.0)),
    Param("stunting_or_parenting", 0.8, "odds ratio per SD", (0.6, 1.0),
          "Assumption (feeding practices track parenting practice)", "Odds ratio per SD of "
          "caregiver parenting practice", bounds=(0.1, 10.0)),
    Param("stunting_or_both_away", 1.3, "odds ratio", (1.0, 1.8),
          "Assumption (left-behind infants cared for by grandparents; Hubei MODA findings)",
          "Odds ratio when both parents are migrants", bounds=(0.1, 10.0)),
    Param("stunting_recovery", 0.1, "per year (ages 1-5)", (0.03, 0.2),
          "Assumption (limited catch-up growth after age 2)", "Annual probability a stunted "
          "child under 6 is no longer stunted", bounds=(0.0, 1.0)),
    Param("anaemia_infant", 0.27, "prevalence (ages 0-1)", (0.2, 0.48),
          "YYB areas, 6-24 months: 32.9% in 2012 (NHC, Nov 2020); 48% at 6-11 months in "
          "Shaanxi (Luo et al. 2017, BMC PH)", "Anaemia prevalence of infants without risk "
          "factors, ages 0-1", bounds=(0.0, 1.0)),
    Param("anaemia_preschool", 0.15, "prevalence (ages 2-5)", (0.08, 0.3),
          "Assumption (falls after infancy)", "Baseline anaemia prevalence, ages 2-5",
          bounds=(0.0, 1.0)),
    Param("anaemia_school", 0.16, "prevalence (ages 6-17)", (0.08, 0.3),
          "34% (Hb<120 g/L) in poor western counties, ages 8-12 (CAS-IGSNRR 2022; REAP, JHPN "
          "2011 29:471); Hubei lower [E]", "Baseline anaemia prevalence, ages 6-17",
          bounds=(0.0, 1.0)),
    Param("anaemia_or_poverty", 1.5, "odds ratio", (1.1, 2.2),
          "Assumption", "Odds ratio of anaemia in income-poor households", bounds=(0.1, 10.0)),
    Param("anaemia_or_persistence", 4.0, "odds ratio", (2.0, 8.0),
          "Assumption (anaemia persists without treatment)", "Odds ratio of anaemia for a "
          "child anaemic last year", bounds=(0.1, 50.0)),
    Param("health_shock_child", 0.05, "per year (ages 0-17)", (0.02, 0.1),
          "Assumption (hospitalisation rates of rural children)", "Annual probability of a "
          "serious illness or injury, children", bounds=(0.0, 1.0)),
    Param("health_shock_adult", 0.06, "per year at 45", (0.03, 0.1),
          "Assumption (rural hospitalisation rates; rising 3% a year with age)",
          "Annual probability of a serious illness or injury at age 45", bounds=(0.0, 1.0)),
    Param("disability_after_shock", 0.03, "probability", (0.01, 0.08),
          "Assumption", "Probability a health shock leaves a lasting disability",
          bounds=(0.0, 1.0)),
    Param("checkup_under6", 0.55, "per year", (0.35, 0.8),
          "Assumption (rural child health management coverage in poor counties)",
          "Annual probability of a health check-up, ages 0-5", bounds=(0.0, 1.0)),
    Param("checkup_school", 0.4, "per year", (0.2, 0.7),
          "Assumption (school health examinations)", "Annual probability of a health "
          "check-up, ages 6-17", bounds=(0.0, 1.0)),
)


COLUMNS = (
    person("stunted", np.bool_, False, "stunted now (height-for-age z < -2)"),
    person("stunted_ever", np.bool_, False, "stunted at some time in childhood", archive=True),
    person("anaemic", np.bool_, False, "anaemic this year"),
    person("health_shock", np.bool_, False, "serious illness or injury this year"),
    person("disabled", np.bool_, False, "disability or special need"),
    person("checkup", np.bool_, False, "health check-up this year (children)"),
)

VALUES = (
    Value("stunting.onset_rr", "ratio", "multiplier on the annual stunting onset probability, "
          "ages 0-2"),
    Value("stunting.recovery_rr", "ratio", "multiplier on the annual probability of recovering"),
    Value("anaemia.rr", "ratio", "multiplier on the annual anaemia probability, ages 0-17"),
    Value("health_shock.rr", "ratio", "multiplier on the annual serious illness/injury probability"),
    Value("checkup.probability", "probability", "probability of a health check-up this year, 0-17",
          kind="probability"),
)

STREAMS = ("stunting.onset", "stunting.recovery", "anaemia", "health.shock", "health.disability",
           "health.checkup")


def _collect_stunting(world: World, cells) -> None:
    P = world.P
    num, den = _stunting_sums(cells.kids, cells.cell, cells.n_cells, world.age(), P.stunted)
    cells.add_all("stunting", ("stunting_prevalence",), num, den)


def _collect_anaemia(world: World, cells) -> None:
    P = world.P
    num, den = _anaemia_sums(cells.kids, cells.cell, cells.n_cells, world.age(), P.anaemic)
    cells.add_all("anaemia", [m.name for m in _ANAEMIA], num, den)


def _collect_health(world: World, cells) -> None:
    P, H = world.P, world.H
    num, den = _health_sums(cells.kids, cells.cell, cells.n_cells, P.health_shock, P.disabled,
                            P.checkup, P.hh, H.insured)
    cells.add_all("health", [m.name for m in _HEALTH], num, den)


_ANAEMIA = (
    Measure("anaemia_prevalence_infant", "anaemic children aged 0-1"),
    Measure("anaemia_prevalence_preschool", "anaemic children aged 2-5"),
    Measure("anaemia_prevalence_school", "anaemic children aged 6-17"),
)
_HEALTH = (
    Measure("health_shock_rate_children", "children 0-17 with a serious illness or injury this year"),
    Measure("disability_prevalence_children", "children 0-17 with a disability"),
    Measure("checkup_rate_children", "children 0-17 with a health check-up this year"),
    Measure("uninsured_share_children", "children 0-17 in households without medical insurance"),
)

TABLES = (
    OutcomeTable("stunting", "stunting prevalence under 5",
                 (Measure("stunting_prevalence", "stunted children aged 0-4"),), _collect_stunting),
    OutcomeTable("anaemia", "anaemia prevalence of infants, preschool and school-age children",
                 _ANAEMIA, _collect_anaemia),
    OutcomeTable("health", "health shocks, disability, check-ups and insurance of children",
                 _HEALTH, _collect_health),
)


def step(world: World, params, streams) -> None:
    """Stunting, anaemia, health shocks, disability and check-ups of the year."""
    _stunting(world, params, streams)
    _anaemia_shocks_checkups(world, params, streams)


def _stunting(world: World, params, streams) -> None:
    """Onset at ages 0-2, recovery until 5."""
    P, H = world.P, world.H
    yr = world.year
    age = world.age()
    hh = P.hh
    young, rec_rows = _stunting_rows(age, P.stunted)
    a = age[young]
    base = np.choose(np.clip(a, 0, 2), [params.stunting_onset_0, params.stunting_onset_1,
                                        params.stunting_onset_2])
    h = hh[young]
    lo = (logit(base)
          + np.log(params.stunting_or_poverty) * H.income_poor[h]
          + np.log(params.stunting_or_caregiver_school) * (H.caregiver_school[h] < 9)
          + np.log(params.stunting_or_water) * ~H.safe_water[h]
          + np.log(params.stunting_or_sanitation) * ~H.sanitation[h]
          + np.log(params.stunting_or_parenting) * P.stimulation[young]
          + np.log(params.stunting_or_both_away) * P.both_parents_away[young])
    p = expit(lo)
    rr = world.values.ratio("stunting.onset_rr", world, young)
    if rr.size:
        p = rr * p
    onset = streams.uniform("stunting.onset", yr, P.id[young]) < p
    p_rec = np.full(len(rec_rows), params.stunting_recovery)
    rr = world.values.ratio("stunting.recovery_rr", world, rec_rows)
    if rr.size:
        p_rec = rr * p_rec
    recover = streams.uniform("stunting.recovery", yr, P.id[rec_rows]) < p_rec
    P.stunted[young[onset]] = True
    P.stunted[rec_rows[recover]] = False
    P.stunted_ever[young[onset]] = True


def _anaemia_shocks_checkups(world: World, params, streams) -> None:
    """Anaemia, health shocks, disability and check-ups in one compiled pass.

    Each base probability depends on a few discrete states only (age, income poverty, last
    year's anaemia, disability), so it is evaluated on small tables and the pass looks
    them up; interventions' ratios and check-up probabilities come in per person.
    """
    P, H = world.P, world.H
    yr = world.year
    age = world.age()
    # anaemia by [age class, poor, anaemic last year]
    c, poor, prev = np.meshgrid(np.arange(3), np.arange(2), np.arange(2), indexing="ij")
    base = np.choose(c, [params.anaemia_infant, params.anaemia_preschool, params.anaemia_school])
    lo = (logit(base) + np.log(params.anaemia_or_poverty) * (poor == 1)
          + np.log(params.anaemia_or_persistence) * (prev == 1))
    p_anaemia = np.ascontiguousarray(expit(lo))
    # health shocks by [age, disabled]
    a = np.arange(int(age.max(initial=0)) + 1)
    p = np.where(a < 18, params.health_shock_child,
                 params.health_shock_adult * np.exp(0.03 * (a.astype(np.float64) - 45.0)))
    p_shock = np.ascontiguousarray(np.clip(np.stack([p, 2.0 * p], axis=1), 0, 1))
    p_checkup = np.array([params.checkup_under6, params.checkup_school])
    vals = world.values
    checkup = vals.override("checkup.probability", world, None,
                            lambda rows: p_checkup[(age[rows] > 5).astype(np.int64)])
    _nutrition_pass(
        streams.key("anaemia", yr), streams.key("health.checkup", yr),
        streams.key("health.shock", yr), streams.key("health.disability", yr),
        P.id, age, P.hh, H.income_poor, P.anaemic, P.checkup, P.health_shock, P.disabled,
        p_anaemia, p_checkup, p_shock, float(params.disability_after_shock),
        vals.ratio("anaemia.rr", world), vals.ratio("health_shock.rr", world), checkup)


@njit(cache=True)
def _stunting_rows(age, stunted):
    """Rows of children 0-2 not stunted (onset candidates) and of stunted children 1-5
    (recovery candidates), ascending."""
    n = age.shape[0]
    young = np.empty(n, dtype=np.int64)
    rec = np.empty(n, dtype=np.int64)
    k = 0
    r = 0
    for i in range(n):
        a = age[i]
        s = stunted[i]
        young[k] = i
        k += (a <= 2) & (not s)
        rec[r] = i
        r += s & (a >= 1) & (a <= 5)
    return young[:k].copy(), rec[:r].copy()


@njit(cache=True)
def _nutrition_pass(k_anaemia, k_checkup, k_shock, k_disability, ids, age, hh, income_poor,
                    anaemic, checkup, health_shock, disabled, p_anaemia, p_checkup, p_shock,
                    p_disability, anaemia_rr, shock_rr, checkup_p):
    """Anaemia and check-ups (ages 0-17), health shocks and disability after a shock of the
    year, in place.

    ``p_anaemia[c, poor, anaemic]`` with ``c`` 0 for ages 0-1, 1 for 2-5, 2 for 6-17;
    ``p_checkup[c]`` with ``c`` 0 for ages 0-5; ``p_shock[age, disabled]``.
    ``anaemia_rr`` and ``shock_rr`` (ratios) and ``checkup_p`` (probabilities) are per
    person from the interventions' modifiers, or empty.  Branch-free (persons come in
    random order): every person draws, adults' child draws are unused.
    """
    has_a = anaemia_rr.shape[0] > 0
    has_s = shock_rr.shape[0] > 0
    has_c = checkup_p.shape[0] > 0
    for i in range(ids.shape[0]):
        a = age[i]
        pid = ids[i]
        kid = a < 18
        c = min(np.int64(a > 1) + np.int64(a > 5), 2)
        pa = p_anaemia[c, np.int64(income_poor[hh[i]]), np.int64(anaemic[i])]
        if has_a:
            pa = min(max(anaemia_rr[i] * pa, 0.0), 1.0)
        anaemic[i] = kid & (uniform_at(k_anaemia, pid) < pa)
        pc = checkup_p[i] if has_c else p_checkup[np.int64(a > 5)]
        checkup[i] = kid & (uniform_at(k_checkup, pid) < pc)
        ps = p_shock[a, np.int64(disabled[i])]
        if has_s:
            ps = min(max(shock_rr[i] * ps, 0.0), 1.0)
        shock = uniform_at(k_shock, pid) < ps
        health_shock[i] = shock
        if shock and uniform_at(k_disability, pid) < p_disability:  # rare: predictable
            disabled[i] = True


@njit(cache=True)
def _stunting_sums(kids, cell, n_cells, age, stunted):
    num = np.zeros((1, n_cells))
    den = np.zeros((1, n_cells))
    for i in kids:
        if age[i] <= 4:
            c = cell[i]
            den[0, c] += 1.0
            num[0, c] += stunted[i]
    return num, den


@njit(cache=True)
def _anaemia_sums(kids, cell, n_cells, age, anaemic):
    num = np.zeros((3, n_cells))
    den = np.zeros((3, n_cells))
    for i in kids:
        a = age[i]
        k = 0 if a <= 1 else (1 if a <= 5 else 2)
        c = cell[i]
        den[k, c] += 1.0
        num[k, c] += anaemic[i]
    return num, den


@njit(cache=True)
def _health_sums(kids, cell, n_cells, shock, disabled, checkup, hh, insured):
    num = np.zeros((4, n_cells))
    den = np.zeros((4, n_cells))
    for i in kids:
        c = cell[i]
        for j in range(4):
            den[j, c] += 1.0
        num[0, c] += shock[i]
        num[1, c] += disabled[i]
        num[2, c] += checkup[i]
        num[3, c] += not insured[hh[i]]
    return num, den
