"""Cognitive skill formation (SD units), ages 0-17, and caregiver parenting practice.

Skill follows a first-order technology of skill formation with self-productivity::

    skill_{t+1} = rho(a) skill_t + (1 - rho(a)) m_t + sqrt(1 - rho(a)^2) sigma eps_t
    m_t = b_p (stim + mods("skill.stimulation")) + b_e (caregiver schooling - 9)/3
          + b_y ln(income/mean) - b_s stunted - b_a anaemic - b_u unsupervised
          + b_q preschool + b_z enrolled

``rho(a)`` rises with age, so the weight ``1 - rho`` on current inputs is largest in the
earliest years ("earliest years most productive").  With constant inputs the skill of a
cohort settles at ``m`` with unit-free SD ``sigma``.  Skill is frozen at 18.
``stim`` is the caregivers' parenting practice (a fixed household trait that depends on
caregiver schooling, lower when both parents are away); intervention inputs
(``skill.stimulation``, in SD of stimulation) add to it and are scaled by ``b_p``.

References
----------
Cunha, F., & Heckman, J. J. (2007). The technology of skill formation. American
Economic Review 97(2):31-47.
"""

from __future__ import annotations

import numpy as np

from povsim import kernels
from povsim.params import Param
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
    Param("parenting_mean", -0.4, "SD", (-0.8, 0.0),
          "Assumption: poor rural caregivers below the reference (40% of rural infants "
          "developmentally delayed; AEARCTR-0003351)", "Mean parenting practice of caregivers "
          "with 9 years of schooling", bounds=(-3.0, 3.0)),
    Param("parenting_school", 0.25, "SD per 3 years", (0.1, 0.4),
          "Assumption", "Gradient of parenting practice in caregiver schooling",
          bounds=(0.0, 2.0)),
    Param("parenting_grandparent", 0.4, "SD", (0.2, 0.7),
          "Assumption (grandparent caregivers of left-behind children)", "Lower stimulation "
          "when both parents are away", bounds=(0.0, 3.0)),
    Param("preschool_base", 0.55, "probability", (0.35, 0.75),
          "Preschool GER 77.4% nationally in 2016 (MoE); lower in poor remote villages [E]",
          "Probability a child aged 3-5 attends preschool at the mean remoteness",
          bounds=(0.0, 1.0)),
)


def caregivers(world: World, params, streams) -> None:
    """Caregiver schooling and parenting practice of each household (and per child)."""
    P, H = world.P, world.H
    # mean schooling of present adults (18-75); in households with no present adult the
    # migrant parents' schooling still shapes care
    cs = kernels.caregiver_school(P.hh, world.age(), P.migrant, P.school_years, H.n)
    H["caregiver_school"] = cs
    trait = H.parenting_z  # fixed household trait, N(0, 1), drawn when the household forms
    par = params.parenting_mean + params.parenting_school * (cs - 9.0) / 3.0 + 0.8 * trait
    if world.values.active():
        par = world.values("parenting.practice", world, np.arange(H.n), par)
    H["parenting"] = par
    world.scratch["parenting_eff"] = kernels.stimulation_received(
        P.hh, H.parenting.astype(np.float64), world.scratch["both_parents_away"],
        params.parenting_grandparent)


def development(world: World, params, streams) -> None:
    """One year of skill formation for children 0-17; preschool attendance at 3-5."""
    P, H, geo = world.P, world.H, world.geo
    age = world.age()
    yr = world.year
    act = world.values.active()
    if not world.values.modifies("preschool.probability", "skill.stimulation"):
        _development_compiled(world, params, streams)
        return
    # preschool (3-5): fixed per-child key against a remoteness-dependent probability
    pre = np.flatnonzero((age >= 3) & (age <= 5))
    remote = geo.remoteness_km[H.village[P.hh[pre]]]
    p = np.clip(params.preschool_base - 0.02 * (remote - params.remoteness_median_km), 0.0, 1.0)
    if act:
        p = world.values("preschool.probability", world, pre, p)
    preschool = np.zeros(P.n, dtype=bool)
    preschool[pre] = streams.uniform("preschool", 0, P.id[pre]) < p
    P["preschool"] = preschool

    kids = np.flatnonzero(age < 18)
    a = age[kids]
    rho = np.where(a <= 5, params.skill_persistence_0_5,
                   np.where(a <= 11, params.skill_persistence_6_11, params.skill_persistence_12_17))
    hh = P.hh[kids]
    stim = world.scratch["parenting_eff"][kids]
    if act:
        stim = stim + world.values("skill.stimulation", world, kids, np.zeros(len(kids)))
    m = (params.skill_parenting * stim
         + params.skill_caregiver_school * (H.caregiver_school[hh] - 9.0) / 3.0
         + params.skill_income * (np.log(np.maximum(H.income_pc[hh], 100.0))
                                  - np.log(params.income_mean_start))
         - params.skill_stunting * P.stunted[kids]
         - params.skill_anaemia * P.anaemic[kids]
         - params.skill_unsupervised * world.scratch["unsupervised"][kids]
         + params.skill_preschool * P.preschool[kids]
         + params.skill_schooling * P.enrolled[kids])
    eps = streams.normal("skill", yr, P.id[kids])
    # newborns (age 0) start from the input level plus their own draw
    prev = np.where(a == 0, m, P.skill[kids])
    new = rho * prev + (1 - rho) * m + np.sqrt(1 - rho**2) * params.skill_sd * eps
    P.skill[kids] = new.astype(np.float32)


def _development_compiled(world: World, params, streams) -> None:
    """:func:`development` in one compiled pass (no modifier on its values).

    The per-household terms are computed by numpy exactly as the per-child expressions
    compute them (float32 where those are float32), so the results are identical.
    """
    P, H, geo = world.P, world.H, world.geo
    p_pre = np.clip(params.preschool_base - 0.02 * (geo.remoteness_km - params.remoteness_median_km),
                    0.0, 1.0)
    cs_term = params.skill_caregiver_school * (H.caregiver_school - 9.0) / 3.0
    log_inc = np.log(np.maximum(H.income_pc, 100.0))
    rho = np.array([params.skill_persistence_0_5, params.skill_persistence_6_11,
                    params.skill_persistence_12_17])
    coef = np.array([params.skill_parenting, params.skill_income, params.skill_stunting,
                     params.skill_anaemia, params.skill_unsupervised, params.skill_preschool,
                     params.skill_schooling, params.skill_sd])
    kernels.development_pass(
        streams._key("preschool", 0, 0), streams._key("skill", world.year, 0), P.id,
        world.age(), P.hh, H.village, np.ascontiguousarray(p_pre, dtype=np.float64),
        world.scratch["parenting_eff"], cs_term, log_inc, float(np.log(params.income_mean_start)),
        P.stunted, P.anaemic, world.scratch["unsupervised"], P.enrolled, P.preschool, P.skill,
        rho, np.sqrt(1 - rho**2), coef)
