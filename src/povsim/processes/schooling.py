"""Schooling: entry at 6, yearly promotion / repetition / dropout, transitions.

Grades 1-6 primary, 7-9 junior high, 10-12 senior high, 13-16 tertiary.  Each year an
enrolled pupil drops out with probability ``expit(a_level + b' x)`` times the modifier
``school.dropout_rr``, where ``x`` = income poverty, skill, left-behind, sex, log
remoteness, caregiver schooling, disability and being two or more years over age;
otherwise repeats with a level-specific probability, else is promoted.  Promotion out of
grade 9 continues to senior high with probability ``expit(c_0 + c_t t + b' x)`` times
``school.continuation_rr``; out of grade 12 to tertiary with ``expit(c_12 + c_t t +
b' x)`` (the same yearly trend; no modifier).  Leaving fixes years of
schooling (completed grades).

References
----------
Yi, H. et al. (2012). Dropping out: why are students leaving junior high in China's poor
rural areas? International Journal of Educational Development 32:555-563.
Mo, D. et al. (2013). Transfer paths and academic performance: the primary school merger
program in China. / Mo et al. (2013) CCT, Journal of Development Studies 49(2):190-207.
Golley, J., & Kong, S. T. (2013). Inequality in intergenerational mobility of education
in China. China & World Economy 21(2):15-37.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit

from povsim import kernels
from povsim.params import Param
from povsim.state import World

PARAMS = (
    Param("school_entry", 0.98, "probability", (0.93, 0.995),
          "Near-universal primary entry; 9-year retention 93.4% in 2016 (MoE 2017)",
          "Probability a child enters grade 1 in the year it turns 6 (retried at 7-8)",
          bounds=(0.0, 1.0)),
    Param("school_entry_disabled", 0.6, "probability", (0.3, 0.85),
          "Assumption (children with disabilities often kept out of mainstream schools; Hubei "
          "pilot brochure case of a refused child)", "Entry probability for children with "
          "a disability", bounds=(0.0, 1.0)),
    Param("dropout_primary", 0.004, "per year", (0.001, 0.01),
          "Assumption (primary dropout rare by 2014)", "Annual dropout probability in primary "
          "school, no risk factors", bounds=(0.0, 1.0)),
    Param("dropout_junior", 0.022, "per year", (0.01, 0.06),
          "Grade 7->8 5.7%, 8->9 9.0%, cumulative 14.2% in poor rural areas (Yi et al. 2012, "
          "IJED 32:555); 7.8% a year in one poor county (Mo et al. 2013) [E]",
          "Annual junior-high dropout probability, no risk factors", bounds=(0.0, 1.0)),
    Param("dropout_senior", 0.04, "per year", (0.01, 0.08),
          "Assumption", "Annual senior-high dropout probability", bounds=(0.0, 1.0)),
    Param("dropout_tertiary", 0.03, "per year", (0.01, 0.06),
          "Assumption", "Annual tertiary dropout probability", bounds=(0.0, 1.0)),
    Param("dropout_or_poverty", 1.8, "odds ratio", (1.2, 2.5),
          "Mo et al. 2013: 13.3% among the poor vs 7.8% overall [E]",
          "Odds ratio of dropout in income-poor households", bounds=(0.1, 10.0)),
    Param("dropout_or_skill", 0.55, "odds ratio per SD", (0.4, 0.75),
          "Yi et al. 2012: low achievers drop out more [E]", "Odds ratio of dropout per SD "
          "of skill", bounds=(0.01, 10.0)),
    Param("dropout_or_left_behind", 1.2, "odds ratio", (1.0, 1.6),
          "Assumption (mixed evidence on left-behind status and dropout)",
          "Odds ratio of dropout for left-behind children", bounds=(0.1, 10.0)),
    Param("dropout_or_male", 1.1, "odds ratio", (0.8, 1.4), "Assumption",
          "Odds ratio of dropout for boys", bounds=(0.1, 10.0)),
    Param("dropout_or_remoteness", 1.2, "odds ratio per log km", (1.0, 1.5),
          "Assumption (distance to boarding junior high)", "Odds ratio of dropout per log "
          "of village remoteness (relative to the median)", bounds=(0.1, 10.0)),
    Param("dropout_or_parent_school", 0.8, "odds ratio per 3 years", (0.65, 0.95),
          "Assumption (Emran & Sun 2015)", "Odds ratio of dropout per 3 years of caregiver "
          "schooling above 9", bounds=(0.01, 10.0)),
    Param("dropout_or_disabled", 3.0, "odds ratio", (1.5, 6.0),
          "Assumption", "Odds ratio of dropout for children with a disability",
          bounds=(0.1, 50.0)),
    Param("dropout_or_overage", 1.8, "odds ratio", (1.2, 3.0),
          "Assumption (over-age pupils drop out more)", "Odds ratio when two or more years "
          "behind the normal grade", bounds=(0.1, 20.0)),
    Param("repetition", 0.02, "per year", (0.005, 0.05), "Assumption",
          "Annual probability of repeating a grade (primary and junior)", bounds=(0.0, 0.5)),
    Param("senior_continuation", 0.5, "probability", (0.3, 0.7),
          "Fewer than 20% of rural youth completed high school in the late 2000s (Golley & "
          "Kong 2013, citing REAP); senior-secondary GER 87.5% nationally in 2016 (MoE) [E]",
          "Probability of entering senior high (academic or vocational) after grade 9 in the "
          "start year, at mean skill and no risk factors", bounds=(0.0, 1.0)),
    Param("senior_continuation_trend", 0.04, "logit per year", (0.0, 0.08),
          "Assumption (expansion of senior secondary schooling)", "Yearly rise of the logit "
          "of senior-high continuation", bounds=(-1.0, 1.0)),
    Param("continuation_or_skill", 2.2, "odds ratio per SD", (1.5, 3.0),
          "Assumption (high-school entrance exam)", "Odds ratio of continuation per SD of "
          "skill", bounds=(0.1, 20.0)),
    Param("continuation_or_poverty", 0.6, "odds ratio", (0.4, 0.85),
          "Assumption (fees of senior high)", "Odds ratio of continuation for income-poor "
          "households", bounds=(0.01, 10.0)),
    Param("tertiary_continuation", 0.35, "probability", (0.2, 0.6),
          "Assumption; 1.3% of rural youth reached tertiary in the late 2000s (Golley & Kong "
          "2013); expanded since", "Probability of entering tertiary after grade 12",
          bounds=(0.0, 1.0)),
)

_LEVEL_FIRST = np.array([1, 7, 10, 13])


def schooling(world: World, params, streams) -> None:
    """Entry, progression, repetition, dropout and transitions for the year."""
    P, H, geo = world.P, world.H, world.geo
    age = world.age()
    yr = world.year
    act = world.values.active()
    s = world.scratch
    # -- entry at 6 (retried at 7 and 8)
    # entry candidates, and the pupils enrolled at the start of the year (before entries)
    cand, pupils = kernels.school_rows(age, P.enrolled, P.school_done)
    # probability of NOT entering; the modifier multiplies it (exact when it is 1)
    q = 1.0 - np.where(P.disabled[cand], params.school_entry_disabled, params.school_entry)
    if act:
        q = world.values("school.entry_rr", world, cand, np.ones(len(cand))) * q
    enter = streams.uniform("school.entry", yr, P.id[cand]) >= q
    P.enrolled[cand[enter]] = True
    P.grade[cand[enter]] = 1
    never = cand[~enter & (age[cand] == 8)]
    P.school_done[never] = True

    # -- progression of pupils enrolled at the start of the year (not this year's entrants)
    g = P.grade[pupils].astype(np.int64)
    # dropout log-odds and level of each pupil in one compiled pass (identical arithmetic)
    lo, lvl = kernels.dropout_logits(
        pupils, age, P.grade, P.sex, P.skill, P.disabled, s["left_behind"], P.hh, H.village,
        H.income_poor, H.caregiver_school,
        np.log(geo.remoteness_km / params.remoteness_median_km),
        logit(np.array([params.dropout_primary, params.dropout_junior, params.dropout_senior,
                        params.dropout_tertiary])),
        np.array([np.log(params.dropout_or_poverty), np.log(params.dropout_or_skill),
                  np.log(params.dropout_or_left_behind), np.log(params.dropout_or_male),
                  np.log(params.dropout_or_remoteness), np.log(params.dropout_or_parent_school),
                  np.log(params.dropout_or_disabled), np.log(params.dropout_or_overage)]))
    p_drop = expit(lo)
    if act:
        p_drop = np.clip(world.values("school.dropout_rr", world, pupils,
                                      np.ones(len(pupils))) * p_drop, 0, 1)
    # draws, dropouts (who leave with completed grades) and repetitions: one compiled pass
    promote, junior, junior_drop = kernels.school_progress(
        streams._key("school.progress", yr, 0), P.id, pupils, age, lvl,
        np.ascontiguousarray(p_drop, dtype=np.float64), params.repetition, P.grade,
        P.enrolled, P.school_done, P.school_years)
    s["junior_pupil"] = junior
    s["junior_dropout"] = junior_drop

    # promotions: completing a level's last grade requires a transition decision
    pr = pupils[promote]
    gp = g[promote]
    P.school_years[pr] = gp.astype(np.int8)
    finishing = (gp == 9) | (gp == 12) | (gp == 16)
    at9 = pr[gp == 9]
    at12 = pr[gp == 12]
    # after grade 9
    hh9 = P.hh[at9]
    lo9 = (logit(params.senior_continuation) + params.senior_continuation_trend * world.t
           + np.log(params.continuation_or_skill) * P.skill[at9]
           + np.log(params.continuation_or_poverty) * H.income_poor[hh9])
    p9 = expit(lo9)
    if act:
        p9 = np.clip(world.values("school.continuation_rr", world, at9, np.ones(len(at9))) * p9,
                     0, 1)
    go9 = streams.uniform("school.transition", yr, P.id[at9]) < p9
    hh12 = P.hh[at12]
    lo12 = (logit(params.tertiary_continuation) + params.senior_continuation_trend * world.t
            + np.log(params.continuation_or_skill) * P.skill[at12]
            + np.log(params.continuation_or_poverty) * H.income_poor[hh12])
    go12 = streams.uniform("school.transition", yr, P.id[at12]) < expit(lo12)
    cont = np.ones(len(pr), dtype=bool)
    cont[finishing] = False
    P.grade[pr[cont]] = (gp[cont] + 1).astype(np.int8)
    stop = np.concatenate([pr[gp == 16], at9[~go9], at12[~go12]])
    P.grade[at9[go9]] = 10
    P.grade[at12[go12]] = 13
    P.enrolled[stop] = False
    P.school_done[stop] = True
    world.events["grade9_completers"] = float(len(at9))
    world.events["senior_entrants"] = float(go9.sum())
    world.events["senior_completers"] = float(len(at12))


def overage(world: World, rows: np.ndarray | None = None) -> np.ndarray:
    """Years behind the normal grade for age (0 when not enrolled), of every person or of
    ``rows`` (MODA reads it for the children only)."""
    P = world.P
    age, grade, enrolled = world.age(), P.grade, P.enrolled
    if rows is not None:
        age, grade, enrolled = age[rows], grade[rows], enrolled[rows]
    behind = age.astype(np.int64) - 6 - (grade.astype(np.int64) - 1)
    return np.where(enrolled, np.maximum(behind, 0), 0)
