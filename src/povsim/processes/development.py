"""Cognitive skill formation (SD units), ages 0-17, and preschool attendance.

Skill follows a first-order technology of skill formation with self-productivity::

    skill_{t+1} = rho(a) skill_t + (1 - rho(a)) m_t + sqrt(1 - rho(a)^2) sigma eps_t
    m_t = b_p (stim + mods("skill.stimulation")) + b_e (caregiver schooling - 9)/3
          + b_y ln(income/mean) - b_s stunted - b_a anaemic - b_u unsupervised
          + b_q preschool + b_z enrolled

``rho(a)`` rises with age, so the weight ``1 - rho`` on current inputs is largest in the
earliest years ("earliest years most productive").  With constant inputs the skill of a
cohort settles at ``m`` with unit-free SD ``sigma``.  Skill is frozen at 18.
``stim`` is the stimulation the child receives from its caregivers
(:mod:`povsim.processes.caregivers`); intervention inputs (``skill.stimulation``, in SD
of stimulation) add to it and are scaled by ``b_p``.  Children aged 3-5 attend preschool
by a fixed per-child key against a probability that falls with village remoteness
(``preschool.probability``).

References
----------
Cunha, F., & Heckman, J. J. (2007). The technology of skill formation. American
Economic Review 97(2):31-47.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from povsim.declare import Measure, OutcomeTable, Value, person
from povsim.params import Param
from povsim.rng import ppnd16, uniform_at
from povsim.state import World

PARAMS = (
    Param("skill_persistence_0_5", 0.6, "per year", (0.4, 0.8),
          "Cunha & Heckman 2007 (AER 97(2):31): self-productivity; early years most malleable "
          "[assumption on the value]", "Weight of last year's skill, ages 0-5",
          bounds=(0.0, 0.99)),
    Param("skill_persistence_6_11", 0.85, "per year", (0.75, 0.93),
          "Assumption (Cunha & Heckman 2007)", "Weight of last year's skill, ages 6-11",
          bounds=(0.0, 0.999)),
    Param("skill_persistence_12_17", 0.93, "per year", (0.85, 0.97),
          "Assumption (Cunha & Heckman 2007)", "Weight of last year's skill, ages 12-17",
          bounds=(0.0, 0.999)),
    Param("skill_sd", 0.9, "SD", (0.7, 1.0), "Assumption (skill in reference SD units)",
          "Stationary SD of skill given inputs", bounds=(0.0, 3.0)),
    Param("skill_parenting", 0.35, "SD per SD", (0.15, 0.5),
          "Home-visit parenting programmes raise cognition 0.2-0.4 SD (Jamaica: Walker et al. "
          "2005, Lancet 366:1804; China REACH; Sylvia et al. 2021, Econ J 131:1365) [E]",
          "Effect of caregiver stimulation on the skill input", bounds=(0.0, 2.0)),
    Param("skill_caregiver_school", 0.25, "SD per 3 years", (0.1, 0.4),
          "Assumption (parental education gradient of child development)", "Effect of "
          "caregiver schooling on the skill input", bounds=(0.0, 2.0)),
    Param("skill_income", 0.1, "SD per log RMB", (0.0, 0.25),
          "Assumption (income gradient net of parenting)", "Effect of log income per "
          "capita on the skill input", bounds=(0.0, 2.0)),
    Param("skill_stunting", 0.4, "SD", (0.2, 0.6),
          "Hoddinott et al. 2013 (AJCN 98:1170): +1 SD HAZ -> reading +0.28 SD [E]",
          "Skill input penalty while stunted", bounds=(0.0, 3.0)),
    Param("skill_anaemia", 0.15, "SD", (0.05, 0.3),
          "Luo et al. 2017 (BMC PH): micronutrient powder +2.23 Bayley points (~0.15 SD); "
          "school anaemia and test scores (REAP) [E]", "Skill input penalty while anaemic",
          bounds=(0.0, 3.0)),
    Param("skill_unsupervised", 0.3, "SD", (0.1, 0.5),
          "Assumption (left-behind children without adequate care)", "Skill input penalty "
          "for unsupervised left-behind children", bounds=(0.0, 3.0)),
    Param("skill_preschool", 0.2, "SD", (0.05, 0.35),
          "Assumption (preschool attendance in rural China)", "Skill input from preschool "
          "attendance, ages 3-5", bounds=(0.0, 2.0)),
    Param("skill_schooling", 0.0, "SD", (-0.2, 0.2),
          "Skill is relative to enrolled peers: zero by construction [assumption]",
          "Skill input from school enrolment relative to the reference", bounds=(-2.0, 2.0)),
    Param("preschool_base", 0.55, "probability", (0.35, 0.75),
          "Preschool GER 77.4% nationally in 2016 (MoE); lower in poor remote villages [E]",
          "Probability a child aged 3-5 attends preschool at the mean remoteness",
          bounds=(0.0, 1.0)),
)


COLUMNS = (
    person("skill", np.float32, 0.0, "cognitive skill (SD units of the reference)"),
    person("preschool", np.bool_, False, "attends preschool (ages 3-5)"),
)

VALUES = (
    Value("skill.stimulation", "SD", "extra stimulation input to skill formation, ages 0-17",
          kind="shift"),
    Value("preschool.probability", "probability", "probability a child aged 3-5 attends "
          "preschool", kind="probability"),
)

STREAMS = ("preschool", "skill")

_DEVELOPMENT = (
    Measure("mean_skill_0_5", "mean cognitive skill, ages 0-5", "mean", "SD"),
    Measure("low_skill_share_0_5", "skill below -1 SD, ages 0-5"),
    Measure("mean_skill_6_17", "mean cognitive skill, ages 6-17", "mean", "SD"),
    Measure("low_skill_share_6_17", "skill below -1 SD, ages 6-17"),
)


def _collect_development(world: World, cells) -> None:
    num, den = _development_sums(cells.kids, cells.cell, cells.n_cells, world.age(), world.P.skill)
    cells.add_all("development", [m.name for m in _DEVELOPMENT], num, den)


TABLES = (OutcomeTable("development", "cognitive skill of children (SD units) and low-skill share",
                       _DEVELOPMENT, _collect_development),)


def step(world: World, params, streams) -> None:
    """Preschool attendance at 3-5 and one year of skill formation for children 0-17.

    The per-household terms are computed by numpy (float32 where the columns are), the
    per-child arithmetic in one compiled pass.
    """
    P, H, geo = world.P, world.H, world.geo
    p_pre = np.ascontiguousarray(
        np.clip(params.preschool_base - 0.02 * (geo.remoteness_km - params.remoteness_median_km),
                0.0, 1.0), dtype=np.float64)
    cs_term = params.skill_caregiver_school * (H.caregiver_school - 9.0) / 3.0
    log_inc = np.log(np.maximum(H.income_pc, 100.0))
    rho = np.array([params.skill_persistence_0_5, params.skill_persistence_6_11,
                    params.skill_persistence_12_17])
    coef = np.array([params.skill_parenting, params.skill_income, params.skill_stunting,
                     params.skill_anaemia, params.skill_unsupervised, params.skill_preschool,
                     params.skill_schooling, params.skill_sd])
    vals = world.values
    pre = vals.override("preschool.probability", world, None,
                        lambda rows: p_pre[H.village[P.hh[rows]]])
    _development_pass(
        streams.key("preschool", 0), streams.key("skill", world.year), P.id, world.age(), P.hh,
        H.village, p_pre, P.stimulation, cs_term, log_inc, float(np.log(params.income_mean_start)),
        P.stunted, P.anaemic, P.unsupervised, P.enrolled, P.preschool, P.skill, rho,
        np.sqrt(1 - rho**2), coef, vals.shift("skill.stimulation", world), pre)


@njit(cache=True)
def _development_pass(k_pre, k_skill, ids, age, hh, h_village, p_pre, stim, cs_term, log_inc,
                     log_mean, stunted, anaemic, unsupervised, enrolled, preschool, skill,
                     rho, noise, coef, stim_shift, p_pre_person):
    """Preschool attendance (3-5) and one year of skill formation (0-17), in place.

    The arithmetic follows ``development`` term by term: ``cs_term`` (float32, per
    household) and ``log_inc`` (float32 log of income, per household) are computed by numpy
    as there; ``rho`` and ``noise`` (``sqrt(1 - rho**2)``) by age class 0-5, 6-11, 12-17.
    ``coef`` = [parenting, income, stunting, anaemia, unsupervised, preschool, schooling,
    skill SD].  ``stim_shift`` (extra stimulation) and ``p_pre_person`` (preschool
    probability) are per person from the interventions' modifiers, or empty.
    """
    has_shift = stim_shift.shape[0] > 0
    has_pre = p_pre_person.shape[0] > 0
    for i in range(ids.shape[0]):
        a = age[i]
        h = hh[i]
        pre = (a >= 3) & (a <= 5)
        if pre:
            pp = p_pre_person[i] if has_pre else p_pre[h_village[h]]
            pre = uniform_at(k_pre, ids[i]) < pp
        preschool[i] = pre
        if a >= 18:
            continue
        c = 0 if a <= 5 else (1 if a <= 11 else 2)
        st = stim[i] + stim_shift[i] if has_shift else stim[i]
        m = coef[0] * st + float(cs_term[h])
        m = m + coef[1] * (float(log_inc[h]) - log_mean)
        m = m - coef[2] * (1.0 if stunted[i] else 0.0)
        m = m - coef[3] * (1.0 if anaemic[i] else 0.0)
        m = m - coef[4] * (1.0 if unsupervised[i] else 0.0)
        m = m + coef[5] * (1.0 if pre else 0.0)
        m = m + coef[6] * (1.0 if enrolled[i] else 0.0)
        eps = ppnd16(uniform_at(k_skill, ids[i]))
        prev = m if a == 0 else float(skill[i])
        r = rho[c]
        skill[i] = np.float32(r * prev + (1 - r) * m + noise[c] * coef[7] * eps)


@njit(cache=True)
def _development_sums(kids, cell, n_cells, age, skill):
    num = np.zeros((4, n_cells))
    den = np.zeros((4, n_cells))
    for i in kids:
        c = cell[i]
        s = skill[i]
        base = 0 if age[i] <= 5 else 2
        den[base, c] += 1.0
        num[base, c] += s
        den[base + 1, c] += 1.0
        num[base + 1, c] += s < -1.0
    return num, den
