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
from scipy.special import expit, logit

from povsim import kernels
from povsim.params import Param
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


def nutrition_health(world: World, params, streams) -> None:
    """Stunting, anaemia, health shocks, disability and check-ups of the year."""
    P, H = world.P, world.H
    yr = world.year
    age = world.age()
    act = world.values.active()
    hh = P.hh
    s = world.scratch

    # -- stunting: onset at ages 0-2, recovery until 5
    young, rec_rows = kernels.stunting_rows(age, P.stunted)
    a = age[young]
    base = np.choose(np.clip(a, 0, 2), [params.stunting_onset_0, params.stunting_onset_1,
                                        params.stunting_onset_2])
    h = hh[young]
    lo = (logit(base)
          + np.log(params.stunting_or_poverty) * H.income_poor[h]
          + np.log(params.stunting_or_caregiver_school) * (H.caregiver_school[h] < 9)
          + np.log(params.stunting_or_water) * ~H.safe_water[h]
          + np.log(params.stunting_or_sanitation) * ~H.sanitation[h]
          + np.log(params.stunting_or_parenting) * s["parenting_eff"][young]
          + np.log(params.stunting_or_both_away) * s["both_parents_away"][young])
    p = expit(lo)
    if act:
        p = world.values("stunting.onset_rr", world, young, np.ones(len(young))) * p
    onset = streams.uniform("stunting.onset", yr, P.id[young]) < p
    p_rec = np.full(len(rec_rows), params.stunting_recovery)
    if act:
        p_rec = world.values("stunting.recovery_rr", world, rec_rows, np.ones(len(rec_rows))) * p_rec
    recover = streams.uniform("stunting.recovery", yr, P.id[rec_rows]) < p_rec
    P.stunted[young[onset]] = True
    P.stunted[rec_rows[recover]] = False
    P.stunted_ever[young[onset]] = True

    if not act:
        _anaemia_shocks_checkups(world, params, streams)
        return
    # -- anaemia, ages 0-17
    poor = H.income_poor[hh]
    kids = np.flatnonzero(age < 18)
    ak = age[kids]
    base = np.where(ak <= 1, params.anaemia_infant,
                    np.where(ak <= 5, params.anaemia_preschool, params.anaemia_school))
    lo = (logit(base) + np.log(params.anaemia_or_poverty) * poor[kids]
          + np.log(params.anaemia_or_persistence) * P.anaemic[kids])
    p = expit(lo)
    if act:
        p = np.clip(world.values("anaemia.rr", world, kids, np.ones(len(kids))) * p, 0, 1)
    anaemic = np.zeros(P.n, dtype=bool)
    anaemic[kids] = streams.uniform("anaemia", yr, P.id[kids]) < p
    P["anaemic"] = anaemic

    # -- health shocks and disability
    p = np.where(age < 18, params.health_shock_child,
                 params.health_shock_adult * np.exp(0.03 * (age.astype(np.float64) - 45.0)))
    p = np.where(P.disabled, 2.0 * p, p)
    if act:
        p = world.values("health_shock.rr", world, np.arange(P.n), np.ones(P.n)) * p
    shock = streams.uniform("health.shock", yr, P.id) < np.clip(p, 0, 1)
    P["health_shock"] = shock
    new_dis = shock & (streams.uniform("health.disability", yr, P.id) < params.disability_after_shock)
    P["disabled"] = P.disabled | new_dis

    # -- check-ups, ages 0-17
    pc = np.where(ak <= 5, params.checkup_under6, params.checkup_school)
    if act:
        pc = world.values("checkup.probability", world, kids, pc)
    checkup = np.zeros(P.n, dtype=bool)
    checkup[kids] = streams.uniform("health.checkup", yr, P.id[kids]) < pc
    P["checkup"] = checkup


def _anaemia_shocks_checkups(world: World, params, streams) -> None:
    """Anaemia, health shocks, disability and check-ups in one compiled pass (no modifier
    registered).

    Each probability depends on a few discrete states only (age, income poverty, last
    year's anaemia, disability), so it is evaluated on small tables with the same numpy
    expressions as the general path, and the pass looks them up: identical values.
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
    kernels.nutrition_pass(
        streams._key("anaemia", yr, 0), streams._key("health.checkup", yr, 0),
        streams._key("health.shock", yr, 0), streams._key("health.disability", yr, 0),
        P.id, age, P.hh, H.income_poor, P.anaemic, P.checkup, P.health_shock, P.disabled,
        p_anaemia, p_checkup, p_shock, float(params.disability_after_shock))
