"""Skill formation (Cunha-Heckman technology), ages 0-17, preschool, and the instruments
that measure skill.

Two latent skills in SD units of the instruments' reference population: cognitive
``skill`` (theta) and socio-emotional ``skill_se`` (psi).  Each year::

    theta_a = rho(a) theta_{a-1} + (1 - rho(a)) [ gap(a) + I (1 + phi(a) theta_{a-1})
                                                  + kappa psi_{a-1} + H ] + s_a eps
    psi_a   = rho_s(a) psi_{a-1} + (1 - rho_s(a)) [ gap_s + I_s ] + s_s eps_s

* Self-productivity: ``rho(a)`` (``skill_persistence_*``) is the weight of last year's
  skill; low at ages 1-2 (the most malleable years), high later.  At birth skill starts
  at the reference (0) and the first year's weight ``skill_persistence_0`` is high: the
  endowment dominates.  Cross-productivity: socio-emotional skill is an input of
  cognitive skill (``kappa``, ``skill_cross``).
* Dynamic complementarity: the productivity of investment rises with the skill the child
  has (``phi``, ``skill_complementarity_*``; negative at 0-2, where children who start
  behind gain most, Sylvia et al. 2021; positive from 3, Cunha, Heckman & Schennach 2010).
* Investment ``I`` (SD): caregiver stimulation received (parents, grandparents when both
  parents are away, less when the mother is away; :mod:`povsim.processes.caregivers`)
  plus the named value ``skill.stimulation`` (home visits, centres), weighted by age
  (``skill_stimulation_*``); caregiver schooling; log income (material investment);
  preschool at 3-5; school (enrolment, lower quality in remote villages) at 6-17; no
  adult care (unsupervised left-behind children).  ``H``: health inputs (height-for-age
  z, anaemia).  ``gap(a)`` (``skill_gap_*``): the distance between the poor rural
  environment and the instruments' reference population not captured by these inputs.
* Socio-emotional inputs ``I_s``: stimulation, preschool, adult care, both parents away.

Skill is frozen at 18.  The initial children's skills come from the same technology run
from birth over the years of their childhood with today's household inputs (spin-up).

Instruments (:data:`INSTRUMENTS`) measure skill with error: a score's z (SD units of the
norm) is ``theta + e``; developmental delay is a score below -1 SD (85 on a 100/15
scale).  The yearly tables use the Bayley scales at 0-2, a preschool IQ test (WPPSI) at
3-5 and school tests from 6.  Records kept for the dead: skill at 5, 10 and 17, own log
earnings at 30-40.

References
----------
Cunha, F., & Heckman, J. J. (2007). The technology of skill formation. AER 97(2):31-47.
Cunha, F., Heckman, J. J., & Schennach, S. M. (2010). Estimating the technology of
cognitive and noncognitive skill formation. Econometrica 78(3):883-931.
Wang, L., Chen, Y., Sylvia, S., Dill, S. E., & Rozelle, S. (2021). Early childhood
development trajectories in rural China. BMC Pediatrics 21 (Table 2).
Sylvia, S. et al. (2021). From quantity to quality. Economic Journal 131(635):1365-1400.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from povsim._threads import threaded
from povsim.declare import Measure, OutcomeTable, Value, person
from povsim.params import Param
from povsim.rng import ppnd16, uniform_at
from povsim.state import World

PARAMS = (
    Param("skill_persistence_0", 0.85, "weight", (0.7, 0.95),
          "Bayley MDI of rural infants near the norm at 6-12 months (96.3) and far below at "
          "22-30 months (81.0) (Wang L. et al. 2021, BMC Pediatr, Table 2) [E]",
          "Weight of the birth endowment (reference) in the skill of the first year",
          bounds=(0.0, 0.99)),
    Param("skill_persistence_1_2", 0.5, "per year", (0.35, 0.7),
          "Self-productivity 0.6-0.7 per 18 months at ages 1-3 (Attanasio et al. 2020, AER "
          "110:48) [E]; the most malleable years (Cunha & Heckman 2007)",
          "Weight of last year's cognitive skill, ages 1-2", bounds=(0.0, 0.99)),
    Param("skill_persistence_3_5", 0.8, "per year", (0.65, 0.9),
          "Cunha, Heckman & Schennach 2010 (Econometrica 78:883): self-productivity rises with "
          "age [E]", "Weight of last year's cognitive skill, ages 3-5", bounds=(0.0, 0.999)),
    Param("skill_persistence_6_11", 0.9, "per year", (0.8, 0.95),
          "As skill_persistence_3_5; Jamaica stimulation gains still 0.38 SD at 17 (Walker et "
          "al. 2005, Lancet 366:1804) [E]", "Weight of last year's cognitive skill, ages 6-11",
          bounds=(0.0, 0.999)),
    Param("skill_persistence_12_17", 0.95, "per year", (0.9, 0.98),
          "As skill_persistence_6_11; IQ gains of Jamaica at 17 and 22 alike (Walker et al. "
          "2011, Pediatrics 127:849) [E]", "Weight of last year's cognitive skill, ages 12-17",
          bounds=(0.0, 0.999)),
    Param("skill_se_persistence_0_5", 0.7, "per year", (0.5, 0.85),
          "Assumption (Cunha, Heckman & Schennach 2010: noncognitive skill self-productive)",
          "Weight of last year's socio-emotional skill, ages 0-5", bounds=(0.0, 0.99)),
    Param("skill_se_persistence_6_17", 0.9, "per year", (0.8, 0.95),
          "Assumption (as skill_se_persistence_0_5)", "Weight of last year's socio-emotional "
          "skill, ages 6-17", bounds=(0.0, 0.999)),
    Param("skill_cross", 0.2, "SD per SD", (0.0, 0.4),
          "Cunha, Heckman & Schennach 2010: noncognitive skill raises the formation of "
          "cognitive skill [E]", "Socio-emotional skill as an input of cognitive skill",
          bounds=(0.0, 2.0)),
    Param("skill_complementarity_0_2", -0.1, "per SD of skill", (-0.3, 0.1),
          "Sylvia et al. 2021 (Econ J 131:1365): children who lagged behind gained most; "
          "early-stage substitutability in Cunha, Heckman & Schennach 2010 [E]",
          "Change of the productivity of investment per SD of the child's skill, ages 0-2",
          bounds=(-0.9, 0.9)),
    Param("skill_complementarity_3_17", 0.15, "per SD of skill", (0.0, 0.35),
          "Dynamic complementarity of later investments (Cunha, Heckman & Schennach 2010; "
          "Attanasio et al. 2020) [E]", "Change of the productivity of investment per SD of "
          "the child's skill, ages 3-17", bounds=(-0.9, 0.9)),
    Param("skill_stimulation_0_2", 1.0, "SD per SD of stimulation", (0.6, 1.4),
          "Reading and singing to infants +1.6-2.0 Bayley points (IJERPH 2021 18:5277) and "
          "maternal migration before 12 months -0.3 SD at 2 (Demography 2020, "
          "s13524-019-00849-4) [E]", "Productivity of caregiver stimulation, ages 0-2",
          bounds=(0.0, 3.0)),
    Param("skill_stimulation_3_5", 0.6, "SD per SD of stimulation", (0.3, 1.0),
          "Assumption (home learning environment after infancy)", "Productivity of caregiver "
          "stimulation, ages 3-5", bounds=(0.0, 3.0)),
    Param("skill_stimulation_6_17", 0.25, "SD per SD of stimulation", (0.1, 0.5),
          "Assumption (school takes over)", "Productivity of caregiver stimulation, ages 6-17",
          bounds=(0.0, 3.0)),
    Param("skill_caregiver_school", 0.25, "SD per 3 years", (0.1, 0.4),
          "Assumption (parental education gradient of child development; educated mothers "
          "read and play more, Yue A. et al. 2017, China Journal 78:50)", "Effect of "
          "caregiver schooling on the skill input", bounds=(0.0, 2.0)),
    Param("skill_income", 0.1, "SD per log RMB", (0.0, 0.25),
          "Assumption (income gradient net of parenting)", "Effect of log income per "
          "capita on the skill input", bounds=(0.0, 2.0)),
    Param("skill_haz", 0.12, "SD per SD of HAZ", (0.05, 0.25),
          "+1 SD linear growth 0-2 y -> adult IQ +1.52 points (0.1 SD) (Poveda et al. 2021, J "
          "Nutr 151); +1 SD HAZ at 24 months -> nonverbal cognition +0.25 SD (Hoddinott et al. "
          "2013, AJCN 98:1170) [E]", "Skill input per SD of height-for-age z, ages 0-5",
          bounds=(0.0, 2.0)),
    Param("skill_anaemia", 0.15, "SD", (0.05, 0.3),
          "Luo et al. 2017 (BMC Public Health): micronutrient powder +2.23 Bayley points "
          "(~0.15 SD) at 6 months; school anaemia and test scores (REAP) [E]",
          "Skill input penalty while anaemic", bounds=(0.0, 3.0)),
    Param("skill_unsupervised", 0.3, "SD", (0.1, 0.5),
          "Assumption (left-behind children without adequate care)", "Skill input penalty "
          "for unsupervised left-behind children (cognitive and socio-emotional)",
          bounds=(0.0, 3.0)),
    Param("skill_preschool", 0.3, "SD", (0.1, 0.5),
          "Assumption (preschool attendance in rural China)", "Skill input from preschool "
          "attendance, ages 3-5", bounds=(0.0, 2.0)),
    Param("skill_schooling", 0.5, "SD", (0.2, 0.8),
          "Assumption: a child out of school loses the school's input", "Skill input from "
          "school enrolment, ages 6-17", bounds=(0.0, 3.0)),
    Param("skill_school_remoteness", 0.1, "SD per log km", (0.0, 0.25),
          "Assumption (teacher quality and school mergers in remote areas)", "Lower school "
          "input per log of village remoteness (relative to the median)", bounds=(0.0, 2.0)),
    Param("skill_gap_0_2", -1.0, "SD", (-1.6, -0.4),
          "Bayley delay (< -1 SD) 20% at 6-12 and 55% at 22-30 months, rural western China "
          "(Wang L. et al. 2021, BMC Pediatr, Table 2) [E]; calibrated",
          "Input gap of poor rural infants to the instruments' norms not captured by the "
          "modelled inputs, ages 0-2", bounds=(-3.0, 1.0)),
    Param("skill_gap_3_5", 0.1, "SD", (-0.6, 0.6),
          "WPPSI-IV FSIQ 88.7 (SD 11.75), delay 45% at 49-65 months (Wang L. et al. 2021) "
          "[E]; calibrated", "Input gap to the norms, ages 3-5", bounds=(-3.0, 2.0)),
    Param("skill_gap_6_17", 1.2, "SD", (0.6, 1.8),
          "Assumption, set so that the skill of 17-year-olds continues the adult skill scale "
          "of the initial population (mean skill of adults 18-25)", "Input gap to the "
          "adult skill scale, ages 6-17", bounds=(-3.0, 2.0)),
    Param("skill_sd", 0.6, "SD", (0.4, 0.9),
          "Assumption (idiosyncratic development)", "Stationary SD of the yearly cognitive "
          "skill shock", bounds=(0.0, 3.0)),
    Param("skill_se_sd", 0.7, "SD", (0.4, 1.0),
          "Assumption", "Stationary SD of the yearly socio-emotional skill shock",
          bounds=(0.0, 3.0)),
    Param("skill_se_gap", -0.2, "SD", (-0.6, 0.2),
          "Social-emotional delay 35-36% in rural China (Emmers et al. 2021, BMJ Glob Health "
          "6:e005578; Luo R. et al. 2019) [E]", "Input gap of socio-emotional skill",
          bounds=(-3.0, 2.0)),
    Param("skill_se_both_away", 0.25, "SD", (0.0, 0.5),
          "Migrant mother: social-emotional delay OR 1.49 (1.11-2.00) (Qu X. et al. 2020, J "
          "Glob Health 10:010806) [E]", "Socio-emotional input penalty when both parents "
          "are away", bounds=(0.0, 3.0)),
    Param("measure_error_bayley", 1.0, "SD (norm units)", (0.6, 1.2),
          "Bayley SD 16.7 at 6-12 and 21.5 at 22-30 months in rural China vs 15 in the norm "
          "(Wang L. et al. 2021, Table 2); 41% of children change from not delayed to delayed "
          "and 7% back between the two ages [E]", "Measurement error of Bayley-type scores "
          "(ages 0-2)", bounds=(0.0, 3.0)),
    Param("measure_error_preschool", 0.45, "SD (norm units)", (0.3, 0.7),
          "Assumption (WPPSI reliability ~0.8-0.9)", "Measurement error of preschool IQ "
          "scores (ages 3-5)", bounds=(0.0, 3.0)),
    Param("measure_error_school", 0.4, "SD", (0.25, 0.6),
          "Assumption (standardised school tests, IQ tests)", "Measurement error of school "
          "tests and IQ from age 6", bounds=(0.0, 3.0)),
    Param("preschool_base", 0.55, "probability", (0.35, 0.75),
          "Preschool GER 77.4% nationally in 2016 (MoE); lower in poor remote villages [E]",
          "Probability a child aged 3-5 attends preschool at the mean remoteness",
          bounds=(0.0, 1.0)),
)


@dataclass(frozen=True)
class Instrument:
    """An instrument: the ages it is used at and its measurement error parameter."""

    name: str
    ages: tuple[int, int]
    error: str  # the parameter holding the SD of the measurement error
    skill: str = "skill"  # the latent skill it measures
    description: str = ""


#: Instruments the yearly tables and the virtual trials measure skill with.
INSTRUMENTS = {
    "bayley": Instrument("bayley", (0, 2), "measure_error_bayley",
                         description="Bayley Scales of Infant Development, cognitive (MDI), "
                                     "US norms (mean 100, SD 15)"),
    "griffiths": Instrument("griffiths", (0, 4), "measure_error_bayley",
                            description="Griffiths Mental Development Scales, DQ"),
    "wppsi": Instrument("wppsi", (3, 5), "measure_error_preschool",
                        description="WPPSI-IV full-scale IQ (mean 100, SD 15)"),
    "school_test": Instrument("school_test", (6, 17), "measure_error_school",
                              description="standardised school test (z within the norm)"),
    "iq": Instrument("iq", (6, 120), "measure_error_school",
                     description="full-scale IQ (WISC/WAIS), z"),
    "asq_se": Instrument("asq_se", (0, 5), "measure_error_bayley", skill="skill_se",
                         description="socio-emotional screening (ASQ:SE-type), z"),
}

#: The instrument the yearly tables use at each age
_AGE_INSTRUMENT = ("bayley", "wppsi", "school_test")

COLUMNS = (
    person("skill", np.float32, 0.0, "cognitive skill (SD units of the instruments' norms; "
           "adult skill scale from 18)"),
    person("skill_se", np.float32, 0.0, "socio-emotional skill (SD units)"),
    person("skill_score", np.float32, 0.0, "this year's measured score (z) on the instrument "
           "of the age: Bayley 0-2, preschool IQ 3-5, school test 6-17"),
    person("preschool", np.bool_, False, "attends preschool (ages 3-5)"),
    person("skill_at5", np.float32, np.nan, "cognitive skill at 5 (record)", archive=True),
    person("skill_at10", np.float32, np.nan, "cognitive skill at 10 (record)", archive=True),
    person("skill_at17", np.float32, np.nan, "cognitive skill at 17 (record)", archive=True),
    person("log_earnings_30_40", np.float32, 0.0, "sum of own log earnings at ages 30-40 "
           "(years with earnings)", archive=True),
    person("earnings_years_30_40", np.int8, 0, "years with earnings at ages 30-40",
           archive=True),
)

VALUES = (
    Value("skill.stimulation", "SD", "extra stimulation input to skill formation, ages 0-17",
          kind="shift"),
    Value("preschool.probability", "probability", "probability a child aged 3-5 attends "
          "preschool", kind="probability"),
)

STREAMS = ("preschool", "skill", "skill.se", "development.measure")

_DEVELOPMENT = (
    Measure("mean_skill_0_5", "mean cognitive skill, ages 0-5", "mean", "SD"),
    Measure("low_skill_share_0_5", "latent cognitive skill below -1 SD, ages 0-5"),
    Measure("mean_skill_6_17", "mean cognitive skill, ages 6-17", "mean", "SD"),
    Measure("low_skill_share_6_17", "latent cognitive skill below -1 SD, ages 6-17"),
    Measure("delay_share_0_2", "measured developmental delay (Bayley < 85), ages 0-2"),
    Measure("delay_share_3_5", "measured delay (preschool IQ < 85), ages 3-5"),
    Measure("delay_share_6_17", "school test score below -1 SD, ages 6-17"),
    Measure("mean_skill_se_0_5", "mean socio-emotional skill, ages 0-5", "mean", "SD"),
    Measure("mean_skill_se_6_17", "mean socio-emotional skill, ages 6-17", "mean", "SD"),
)

_BY_AGE = (
    Measure("mean_skill", "mean latent cognitive skill", "mean", "SD"),
    Measure("mean_score", "mean measured score (z) on the instrument of the age", "mean", "SD"),
    Measure("mean_score_sq", "mean squared measured score (for its SD)", "mean", "SD^2"),
    Measure("delay_share", "measured score below -1 SD (developmental delay)"),
    Measure("mean_skill_se", "mean socio-emotional skill", "mean", "SD"),
)


def measured(world: World, params, streams, rows: np.ndarray, instrument: str,
             sub: int = 0) -> np.ndarray:
    """Scores (z, norm SD units) of ``rows`` on ``instrument`` this year: latent skill plus
    a measurement error drawn from the ``development.measure`` stream, keyed by year,
    person id and ``sub`` (each instrument and assessment has its own errors)."""
    ins = INSTRUMENTS[instrument]
    err = float(getattr(params, ins.error))
    k = 1 + list(INSTRUMENTS).index(instrument) + 16 * int(sub)
    eps = streams.normal("development.measure", world.year, world.P.id[rows], sub=k)
    return world.P[ins.skill][rows].astype(np.float64) + err * eps


def _collect_development(world: World, cells) -> None:
    P = world.P
    num, den = _development_sums(world.children(), cells.cell, cells.n_cells, world.age(), P.skill,
                                 P.skill_se, P.skill_score)
    cells.add_all("development", [m.name for m in _DEVELOPMENT], num, den)


def _collect_by_age(world: World, cells) -> None:
    P = world.P
    num, den = _skill_by_age(world.children(), world.age(), P.skill, P.skill_se, P.skill_score)
    labels = [str(a) for a in range(18)]
    for j, m in enumerate(_BY_AGE):
        cells.add_groups("development_by_age", m.name, "age", labels, num[j], den[j])


TABLES = (
    OutcomeTable("development", "cognitive and socio-emotional skill of children (SD units), "
                 "low skill and measured developmental delay", _DEVELOPMENT,
                 _collect_development),
    OutcomeTable("development_by_age", "skill, measured scores and developmental delay by "
                 "single year of age 0-17", _BY_AGE, _collect_by_age),
)


def _coefficients(params) -> np.ndarray:
    p = params
    return np.array([
        p.skill_persistence_0, p.skill_persistence_1_2, p.skill_persistence_3_5,  # 0-2
        p.skill_persistence_6_11, p.skill_persistence_12_17,  # 3-4
        p.skill_se_persistence_0_5, p.skill_se_persistence_6_17, p.skill_cross,  # 5-7
        p.skill_complementarity_0_2, p.skill_complementarity_3_17,  # 8-9
        p.skill_stimulation_0_2, p.skill_stimulation_3_5, p.skill_stimulation_6_17,  # 10-12
        p.skill_income, p.skill_haz, p.skill_anaemia, p.skill_unsupervised,  # 13-16
        p.skill_preschool, p.skill_schooling, p.skill_school_remoteness,  # 17-19
        p.skill_gap_0_2, p.skill_gap_3_5, p.skill_gap_6_17,  # 20-22
        p.skill_sd, p.skill_se_sd, p.skill_se_gap, p.skill_se_both_away,  # 23-26
        p.measure_error_bayley, p.measure_error_preschool, p.measure_error_school,  # 27-29
    ], dtype=np.float64)


def _inputs(world: World, params):
    """Per-household and per-village inputs: caregiver schooling term, log income, school
    remoteness term, preschool probability (numpy, the columns' types)."""
    H, geo = world.H, world.geo
    p_pre = np.ascontiguousarray(
        np.clip(params.preschool_base - 0.02 * (geo.remoteness_km - params.remoteness_median_km),
                0.0, 1.0), dtype=np.float64)
    cs_term = params.skill_caregiver_school * (H.caregiver_school - 9.0) / 3.0
    log_inc = np.log(np.maximum(H.income_pc, 100.0))
    remote = np.ascontiguousarray(np.log(geo.remoteness_km / params.remoteness_median_km),
                                  dtype=np.float64)
    return p_pre, cs_term, log_inc, remote


def _score_keys(streams, year: int) -> np.ndarray:
    """Keys of the measurement errors of the age instruments (as :func:`measured`)."""
    names = list(INSTRUMENTS)
    return np.array([streams.key("development.measure", year, 1 + names.index(n))
                     for n in _AGE_INSTRUMENT], dtype=np.uint64)


def step(world: World, params, streams) -> None:
    """Preschool attendance at 3-5, one year of skill formation for children 0-17, this
    year's measured scores, and the records (skill at 5, 10, 17; earnings at 30-40)."""
    P, H = world.P, world.H
    p_pre, cs_term, log_inc, remote = _inputs(world, params)
    vals = world.values
    pre = vals.override("preschool.probability", world, None,
                        lambda rows: p_pre[H.village[P.hh[rows]]])
    yr = world.year
    _development_pass(
        streams.key("preschool", 0), streams.key("skill", yr), streams.key("skill.se", yr),
        _score_keys(streams, yr), P.id, world.age(), P.hh, H.village, p_pre, P.stimulation,
        cs_term, log_inc, float(np.log(params.income_mean_start)), remote, P.haz, P.anaemic,
        P.unsupervised, P.both_parents_away, P.enrolled, P.preschool, P.skill, P.skill_se,
        P.skill_score, P.skill_at5, P.skill_at10, P.skill_at17, P.earnings,
        P.log_earnings_30_40, P.earnings_years_30_40, _coefficients(params),
        vals.shift("skill.stimulation", world, world.children(), P.n), pre)


def initialise(world: World, params, streams) -> None:
    """Skills of the initial children from birth (spin-up over their childhood years with
    today's household inputs), preschool attendance and this year's scores."""
    P, H = world.P, world.H
    y0 = world.year
    p_pre, cs_term, log_inc, remote = _inputs(world, params)
    age = world.age()
    years = np.arange(y0 - 17, y0 + 1)
    k_skill = np.array([streams.key("skill", int(y)) for y in years], dtype=np.uint64)
    k_se = np.array([streams.key("skill.se", int(y)) for y in years], dtype=np.uint64)
    _spin_up(streams.key("preschool", 0), k_skill, k_se, _score_keys(streams, y0), P.id, age,
             P.hh, H.village, p_pre, P.stimulation, cs_term, log_inc,
             float(np.log(params.income_mean_start)), remote, P.haz, P.anaemic, P.unsupervised,
             P.both_parents_away, P.enrolled, P.school_years, P.preschool, P.skill, P.skill_se,
             P.skill_score, P.skill_at5, P.skill_at10, _coefficients(params))


@njit(cache=True, inline="always")
def _rho(a, coef):
    if a == 0:
        return coef[0]
    if a <= 2:
        return coef[1]
    if a <= 5:
        return coef[2]
    if a <= 11:
        return coef[3]
    return coef[4]


@njit(cache=True, inline="always")
def _develop(a, prev, prev_se, stim, cs, loginc, remote, haz, anaemic, unsupervised,
             both_away, pre, enrolled, eps, eps_se, coef):
    """Cognitive and socio-emotional skill at age ``a`` from last year's (see the module
    docstring).  Returns ``(skill, skill_se)``."""
    if a <= 2:
        w, phi, gap = coef[10], coef[8], coef[20]
    elif a <= 5:
        w, phi, gap = coef[11], coef[9], coef[21]
    else:
        w, phi, gap = coef[12], coef[9], coef[22]
    inv = w * stim + cs + coef[13] * loginc
    if unsupervised:
        inv -= coef[16]
    if pre:
        inv += coef[17]
    if enrolled and a >= 6:
        inv += coef[18] - coef[19] * remote
    health = (coef[14] * haz if a <= 5 else 0.0) - (coef[15] if anaemic else 0.0)
    if a == 0:
        prev = 0.0
        prev_se = 0.0
    r = _rho(a, coef)
    prod = 1.0 + phi * prev
    if prod < 0.0:
        prod = 0.0
    m = gap + inv * prod + coef[7] * prev_se + health
    theta = r * prev + (1.0 - r) * m + coef[23] * np.sqrt(1.0 - r * r) * eps
    rs = coef[5] if a <= 5 else coef[6]
    ms = coef[25] + w * stim - (coef[16] if unsupervised else 0.0) - (
        coef[26] if both_away else 0.0) + (coef[17] if pre else 0.0)
    psi = rs * prev_se + (1.0 - rs) * ms + coef[24] * np.sqrt(1.0 - rs * rs) * eps_se
    return theta, psi


@njit(cache=True, inline="always")
def _score(a, theta, pid, score_keys, coef):
    """This year's measured score on the instrument of the age."""
    if a <= 2:
        return theta + coef[27] * ppnd16(uniform_at(score_keys[0], pid))
    if a <= 5:
        return theta + coef[28] * ppnd16(uniform_at(score_keys[1], pid))
    return theta + coef[29] * ppnd16(uniform_at(score_keys[2], pid))


@threaded(4, cache=True, nogil=True)  # rows: ids (the first arrays are keys)
def _development_pass(k_pre, k_skill, k_se, score_keys, ids, age, hh, h_village, p_pre, stim,
                      cs_term, log_inc, log_mean, remote, haz, anaemic, unsupervised,
                      both_away, enrolled, preschool, skill, skill_se, score, at5, at10, at17,
                      earnings, earn_sum, earn_years, coef, stim_shift, p_pre_person):
    """Preschool (3-5), one year of skill formation (0-17), scores and records, in place.

    ``stim_shift`` (extra stimulation) and ``p_pre_person`` (preschool probability) are per
    person from the interventions' modifiers, or empty.
    """
    has_shift = stim_shift.shape[0] > 0
    has_pre = p_pre_person.shape[0] > 0
    for i in prange(ids.shape[0]):
        a = age[i]
        h = hh[i]
        pid = ids[i]
        pre = (a >= 3) & (a <= 5)
        if pre:
            pp = p_pre_person[i] if has_pre else p_pre[h_village[h]]
            pre = uniform_at(k_pre, pid) < pp
        preschool[i] = pre
        if a >= 18:
            if 30 <= a <= 40 and earnings[i] > 0.0:
                earn_sum[i] += np.float32(np.log(float(earnings[i])))
                earn_years[i] += 1
            continue
        st = stim[i] + stim_shift[i] if has_shift else stim[i]
        v = h_village[h]
        theta, psi = _develop(
            a, float(skill[i]), float(skill_se[i]), st, float(cs_term[h]),
            float(log_inc[h]) - log_mean, remote[v], float(haz[i]), anaemic[i],
            unsupervised[i], both_away[i], pre, enrolled[i],
            ppnd16(uniform_at(k_skill, pid)), ppnd16(uniform_at(k_se, pid)), coef)
        skill[i] = np.float32(theta)
        skill_se[i] = np.float32(psi)
        score[i] = np.float32(_score(a, theta, pid, score_keys, coef))
        if a == 5:
            at5[i] = np.float32(theta)
        elif a == 10:
            at10[i] = np.float32(theta)
        elif a == 17:
            at17[i] = np.float32(theta)


@threaded(4, cache=True, nogil=True)  # rows: ids (the first arrays are keys)
def _spin_up(k_pre, k_skill, k_se, score_keys, ids, age, hh, h_village, p_pre, stim, cs_term,
             log_inc, log_mean, remote, haz, anaemic, unsupervised, both_away, enrolled,
             school_years, preschool, skill, skill_se, score, at5, at10, coef):
    """Skills of the initial children (0-17) from birth to their age now, in place.

    ``k_skill[k]``/``k_se[k]`` are the keys of calendar year ``y0 - 17 + k``.  Every year
    of a childhood uses today's household inputs; preschool at 3-5 by the child's fixed
    key; school from 6 for the years of school completed (and this year if enrolled).
    """
    off = k_skill.shape[0] - 1  # index of the start year
    for i in prange(ids.shape[0]):
        a_now = age[i]
        if a_now >= 18:
            continue
        h = hh[i]
        pid = ids[i]
        v = h_village[h]
        pre_key = uniform_at(k_pre, pid) < p_pre[v]
        theta = 0.0
        psi = 0.0
        for a in range(a_now + 1):
            k = off - (a_now - a)
            pre = (a >= 3) & (a <= 5) & pre_key
            if a == a_now:
                enr = enrolled[i]
            else:
                enr = (a >= 6) & (a - 6 < school_years[i])
            theta, psi = _develop(
                a, theta, psi, stim[i], float(cs_term[h]), float(log_inc[h]) - log_mean,
                remote[v], float(haz[i]), anaemic[i], unsupervised[i], both_away[i], pre, enr,
                ppnd16(uniform_at(k_skill[k], pid)), ppnd16(uniform_at(k_se[k], pid)), coef)
            if a == 5:
                at5[i] = np.float32(theta)
            elif a == 10:
                at10[i] = np.float32(theta)
        preschool[i] = (a_now >= 3) & (a_now <= 5) & pre_key
        skill[i] = np.float32(theta)
        skill_se[i] = np.float32(psi)
        score[i] = np.float32(_score(a_now, theta, pid, score_keys, coef))


@njit(cache=True, nogil=True)
def _development_sums(kids, cell, n_cells, age, skill, skill_se, score):
    num = np.zeros((9, n_cells))
    den = np.zeros((9, n_cells))
    for i in kids:
        a = age[i]
        c = cell[i]
        s = float(skill[i])
        base = 0 if a <= 5 else 2
        den[base, c] += 1.0
        num[base, c] += s
        den[base + 1, c] += 1.0
        num[base + 1, c] += s < -1.0
        k = 4 if a <= 2 else (5 if a <= 5 else 6)
        den[k, c] += 1.0
        num[k, c] += score[i] < -1.0
        k = 7 if a <= 5 else 8
        den[k, c] += 1.0
        num[k, c] += float(skill_se[i])
    return num, den


@njit(cache=True, nogil=True)
def _skill_by_age(kids, age, skill, skill_se, score):
    num = np.zeros((5, 18))
    den = np.zeros((5, 18))
    for i in kids:
        a = age[i]
        z = float(score[i])
        for j in range(5):
            den[j, a] += 1.0
        num[0, a] += float(skill[i])
        num[1, a] += z
        num[2, a] += z * z
        num[3, a] += z < -1.0
        num[4, a] += float(skill_se[i])
    return num, den
