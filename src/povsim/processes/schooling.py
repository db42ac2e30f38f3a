"""Schooling: entry at 6, yearly promotion / repetition / dropout, transitions.

Grades 1-6 primary, 7-9 junior high, 10-12 senior high, 13-16 tertiary.  Each year an
enrolled pupil drops out with probability ``expit(a_level + s [g >= 8] + b' x - c r)``
times the modifier ``school.dropout_rr``: dropout rises from grade 7 to grades 8-9
(``dropout_grade_step``); ``x`` = income poverty, cognitive and socio-emotional skill,
left-behind, sex, log remoteness, caregiver schooling, disability and being two or more
years over age; ``r`` is the incentive to stay (named value ``school.stay_incentive``:
conditional transfers, the value of meals) relative to the household's income per
capita.  Otherwise a primary or junior-high pupil repeats with a probability that falls
with skill (``repetition``, ``repetition_or_skill``: repetition and late entry make
pupils over-age), else is promoted.  Promotion out of
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
from numba import njit
from scipy.special import expit, logit

from povsim.declare import Measure, OutcomeTable, Value, person
from povsim.outcomes import tidy
from povsim.params import Param
from povsim.rng import uniform_at
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
    Param("dropout_grade_step", 0.5, "logit per grade", (0.2, 0.8),
          "Junior-high dropout rises by grade: 5.7% (grade 7->8), 9.0% (8->9) (Yi et al. 2012, "
          "IJED 32:555): logit +0.49 [E]", "Rise of the dropout log-odds in grades 8 and 9 "
          "over grade 7", bounds=(-2.0, 3.0)),
    Param("dropout_or_skill_se", 0.8, "odds ratio per SD", (0.6, 1.0),
          "Cognitive and non-cognitive skills at 9-21 'strongly influence' staying in school "
          "(Glewwe, Huang & Park 2017, IZA DP 10566); poor mental health and dropout (Shi Y. et "
          "al. 2015, China Quarterly 224:1048) [E]", "Odds ratio of dropout per SD of "
          "socio-emotional skill", bounds=(0.01, 10.0)),
    Param("dropout_incentive", 2.0, "log-odds per unit of incentive / income per capita",
          (0.8, 3.0),
          "Calibrated to Mo et al. 2013 (J Dev Stud 49(2):190): a conditional transfer "
          "(assumed 1,000 RMB a year, amount not read) cut dropout of the poorest junior-high "
          "students from 13.3% to 5.3% (household income per capita ~2,000 RMB assumed) "
          "[E]; the Mo et al. virtual trial is therefore an in-sample check",
          "Fall of the dropout log-odds per unit of the incentive to stay in school (conditional "
          "transfers, meals) relative to the household's income per capita",
          bounds=(0.0, 10.0)),
    Param("repetition", 0.02, "per year", (0.005, 0.05),
          "Assumption; grade-6 pupils >= 1 year over-age 10-30% in poor counties after the "
          "entry-age push, 30-70% in the late 2000s (Wang L. & Lewin K. 2016, Two Decades of "
          "Basic Education in Rural China, ch. 3-4) [E]",
          "Annual probability of repeating a grade (primary and junior) at mean skill",
          bounds=(0.0, 0.5)),
    Param("repetition_or_skill", 0.5, "odds ratio per SD", (0.3, 0.8),
          "Assumption: low achievers repeat (stunted at 1 y more likely over-age for grade at "
          "8, Crookston et al. 2013, AJCN 98:1555)", "Odds ratio of repeating per SD of "
          "cognitive skill", bounds=(0.01, 10.0)),
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


COLUMNS = (
    person("enrolled", np.bool_, False, "enrolled in school"),
    person("grade", np.int8, 0, "current grade when enrolled (1-16)"),
    person("school_years", np.int8, 0, "completed years of schooling", archive=True),
    person("school_done", np.bool_, False, "has left school for good"),
    person("junior_pupil", np.bool_, False, "a junior-high pupil at the start of this year"),
    person("junior_dropout", np.bool_, False, "a junior-high pupil who dropped out this year"),
    person("grade_start", np.int8, 0, "grade at the start of this school year (0: not a pupil)"),
    person("repeated", np.bool_, False, "repeats the grade this year"),
)

VALUES = (
    Value("school.entry_rr", "ratio", "multiplier on the probability of not entering school at "
          "age 6"),
    Value("school.dropout_rr", "ratio", "multiplier on the annual dropout probability"),
    Value("school.stay_incentive", "RMB per pupil-year", "incentive to stay in school "
          "(conditional transfers, the value of school meals); lowers the dropout log-odds in "
          "proportion to the household's income per capita", kind="shift"),
    Value("school.continuation_rr", "ratio", "multiplier on the probability of continuing after "
          "grade 9"),
)

STREAMS = ("school.entry", "school.progress", "school.transition")


_ENROLMENT = (
    Measure("enrolment_rate_6_11", "enrolled, ages 6-11"),
    Measure("enrolment_rate_12_14", "enrolled, ages 12-14"),
    Measure("enrolment_rate_15_17", "enrolled, ages 15-17"),
    Measure("enrolment_rate_18_22", "enrolled, ages 18-22"),
    Measure("preschool_rate_3_5", "attending preschool, ages 3-5"),
    Measure("junior_high_dropout_rate", "junior-high pupils who dropped out this year"),
    Measure("overage_2plus_share", "pupils two or more years behind the normal grade"),
)


def _collect_enrolment(world: World, cells) -> None:
    P = world.P
    num, den = _enrolment_sums(cells.cell, cells.n_cells, world.age(), P.enrolled, P.preschool,
                               P.grade, P.junior_pupil, P.junior_dropout)
    names = [m.name for m in _ENROLMENT]
    if world.t == 0:  # no school year has run: no dropout rate yet
        keep = [j for j, m in enumerate(names) if m != "junior_high_dropout_rate"]
        num, den, names = num[keep], den[keep], [names[j] for j in keep]
    cells.add_all("enrolment", names, num, den)


def _schooling_by_cohort(world: World) -> dict:
    """Years of schooling at exit by 5-year birth cohort and by generation, of everyone
    who lived to 25 (alive, or died after 25)."""
    P = world.P
    arc = world.archived()
    by = np.concatenate([P.birth_year, arc["birth_year"]]).astype(np.int64)
    gen = np.concatenate([P.generation, arc["generation"]]).astype(np.int64)
    sy = np.concatenate([P.school_years, arc["school_years"]]).astype(np.float64)
    death = np.concatenate([np.full(P.n, world.year + 1), arc["death_year"]]).astype(np.int64)
    done = np.concatenate([P.school_done, np.ones(len(arc["id"]), dtype=bool)])
    reached = done & ((np.minimum(death - 1, world.year) - by) >= 25)
    recs = []
    cohort = (by // 5) * 5
    for dim, codes in (("birth_cohort", cohort), ("generation", gen)):
        keys, inv = np.unique(codes[reached], return_inverse=True)
        n = np.bincount(inv).astype(np.float64)
        x = sy[reached]
        for measure, vals in (("mean_school_years", x), ("junior_high_completion_share", x >= 9),
                              ("senior_high_completion_share", x >= 12),
                              ("tertiary_share", x >= 13)):
            num = np.bincount(inv, weights=vals.astype(np.float64))
            for i, k in enumerate(keys):
                label = f"{k}-{k + 4}" if dim == "birth_cohort" else str(k)
                recs.append((world.year, dim, label, measure, num[i], n[i], num[i] / n[i]))
    return {"schooling_by_cohort": tidy(recs)}


_PROGRESS = (
    Measure("repetition_rate_primary", "primary pupils (grades 1-6) repeating their grade"),
    Measure("repetition_rate_junior", "junior-high pupils (grades 7-9) repeating their grade"),
    Measure("overage_grade6_share", "grade-6 pupils one or more years over the normal age"),
    Measure("dropout_rate_primary", "primary pupils who dropped out this year"),
    Measure("dropout_rate_grade7", "grade-7 pupils who dropped out this year"),
    Measure("dropout_rate_grade8", "grade-8 pupils who dropped out this year"),
    Measure("dropout_rate_grade9", "grade-9 pupils who dropped out this year"),
)


def _collect_progress(world: World, cells) -> None:
    if world.t == 0:  # no school year has run
        return
    P = world.P
    num, den = _progress_sums(cells.cell, cells.n_cells, world.age(), P.enrolled, P.grade,
                              P.grade_start, P.repeated, P.school_years)
    cells.add_all("school_progress", [m.name for m in _PROGRESS], num, den)


TABLES = (
    OutcomeTable("school_progress", "repetition, over-age in grade 6 and dropout by grade",
                 _PROGRESS, _collect_progress),
    OutcomeTable("enrolment", "enrolment by age, preschool attendance, junior-high dropout",
                 _ENROLMENT, _collect_enrolment),
    OutcomeTable("schooling_by_cohort", "years of schooling at exit by birth cohort and generation",
                 (Measure("mean_school_years", "mean completed years", "mean", "years"),
                  Measure("junior_high_completion_share", "completed grade 9"),
                  Measure("senior_high_completion_share", "completed grade 12"),
                  Measure("tertiary_share", "entered tertiary education")),
                 final=_schooling_by_cohort),
)



def step(world: World, params, streams) -> None:
    """Entry, progression, repetition, dropout and transitions for the year."""
    P, H, geo = world.P, world.H, world.geo
    age = world.age()
    yr = world.year
    vals = world.values
    # -- entry at 6 (retried at 7 and 8)
    # entry candidates, and the pupils enrolled at the start of the year (before entries)
    cand, pupils = _school_rows(age, P.enrolled, P.school_done)
    # probability of NOT entering; the modifier multiplies it (exact when it is 1)
    q = 1.0 - np.where(P.disabled[cand], params.school_entry_disabled, params.school_entry)
    rr = vals.ratio("school.entry_rr", world, cand)
    if rr.size:
        q = rr * q
    enter = streams.uniform("school.entry", yr, P.id[cand]) >= q
    P.enrolled[cand[enter]] = True
    P.grade[cand[enter]] = 1
    never = cand[~enter & (age[cand] == 8)]
    P.school_done[never] = True

    # -- progression of pupils enrolled at the start of the year (not this year's entrants)
    g = P.grade[pupils].astype(np.int64)
    # dropout log-odds and level of each pupil in one compiled pass
    lo, lvl = _dropout_logits(
        pupils, age, P.grade, P.sex, P.skill, P.skill_se, P.disabled, P.left_behind, P.hh,
        H.village, H.income_poor, H.income_pc, H.caregiver_school,
        np.log(geo.remoteness_km / params.remoteness_median_km),
        logit(np.array([params.dropout_primary, params.dropout_junior, params.dropout_senior,
                        params.dropout_tertiary])),
        np.array([np.log(params.dropout_or_poverty), np.log(params.dropout_or_skill),
                  np.log(params.dropout_or_left_behind), np.log(params.dropout_or_male),
                  np.log(params.dropout_or_remoteness), np.log(params.dropout_or_parent_school),
                  np.log(params.dropout_or_disabled), np.log(params.dropout_or_overage),
                  params.dropout_grade_step, np.log(params.dropout_or_skill_se),
                  params.dropout_incentive]),
        vals.shift("school.stay_incentive", world, pupils))
    p_drop = expit(lo)
    rr = vals.ratio("school.dropout_rr", world, pupils)
    if rr.size:
        p_drop = np.clip(rr * p_drop, 0, 1)
    # repetition (primary and junior): lower for pupils with more skill
    p_rep = expit(logit(params.repetition)
                  + np.log(params.repetition_or_skill) * P.skill[pupils].astype(np.float64))
    # draws, dropouts (who leave with completed grades) and repetitions: one compiled pass
    promote = _school_progress(
        streams.key("school.progress", yr), P.id, pupils, age, lvl,
        np.ascontiguousarray(p_drop, dtype=np.float64), np.ascontiguousarray(p_rep), P.grade,
        P.enrolled, P.school_done, P.school_years, P.junior_pupil, P.junior_dropout,
        P.grade_start, P.repeated)

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
    rr = vals.ratio("school.continuation_rr", world, at9)
    if rr.size:
        p9 = np.clip(rr * p9, 0, 1)
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


@njit(cache=True)
def _school_rows(age, enrolled, school_done):
    """Rows of school-entry candidates (6-8, never enrolled) and of pupils (enrolled),
    ascending, in one pass."""
    n = age.shape[0]
    cand = np.empty(n, dtype=np.int64)
    pupils = np.empty(n, dtype=np.int64)
    k = 0
    m = 0
    for i in range(n):
        a = age[i]
        e = enrolled[i]
        cand[k] = i
        k += (a >= 6) & (a <= 8) & (not e) & (not school_done[i])
        pupils[m] = i
        m += e
    return cand[:k].copy(), pupils[:m].copy()


@njit(cache=True)
def _dropout_logits(pupils, age, grade, sex, skill, skill_se, disabled, left_behind, hh,
                    h_village, income_poor, income_pc, caregiver_school, remote, logit_level, c,
                    incentive):
    """School level (0 primary .. 3 tertiary) and dropout log-odds of each pupil.

    ``caregiver_school - 9`` is taken in float32 (the column's type).  ``c`` = [log odds
    ratios of poverty, skill, left behind, male, remoteness, parent schooling, disabled,
    over-age; logit step of grades 8-9 over grade 7; log odds ratio per SD of
    socio-emotional skill; incentive coefficient].  ``incentive`` (RMB a year, per pupil,
    from the interventions) or empty; it enters relative to the household's income per
    capita (at least 500 RMB), capped at twice that income.
    """
    k = pupils.shape[0]
    lo = np.empty(k, dtype=np.float64)
    lvl = np.empty(k, dtype=np.int64)
    nine = np.float32(9.0)
    has_inc = incentive.shape[0] > 0
    for j in range(k):
        i = pupils[j]
        g = np.int64(grade[i])
        lv = np.int64(g >= 7) + np.int64(g >= 10) + np.int64(g >= 13)
        h = hh[i]
        over = (np.int64(age[i]) - 6 - (g - 1)) >= 2
        x = logit_level[lv]
        if lv == 1 and g >= 8:  # grades 8 and 9 above grade 7 (Yi et al. 2012)
            x = x + c[8]
        x = x + c[0] * (1.0 if income_poor[h] else 0.0)
        x = x + c[1] * float(skill[i])
        x = x + c[2] * (1.0 if left_behind[i] else 0.0)
        x = x + c[3] * (1.0 if sex[i] == 1 else 0.0)
        x = x + c[4] * remote[h_village[h]]
        x = x + c[5] * float(caregiver_school[h] - nine) / 3.0
        x = x + c[6] * (1.0 if disabled[i] else 0.0)
        x = x + c[7] * (1.0 if over else 0.0)
        x = x + c[9] * float(skill_se[i])
        if has_inc:
            ratio = incentive[j] / max(float(income_pc[h]), 500.0)
            x = x - c[10] * min(ratio, 2.0)
        lo[j] = x
        lvl[j] = lv
    return lo, lvl


@njit(cache=True)
def _school_progress(key, ids, pupils, age, lvl, p_drop, p_rep, grade, enrolled, school_done,
                     school_years, junior, junior_drop, grade_start, repeated):
    """Dropout, repetition or promotion of each pupil (one uniform each from the
    ``school.progress`` stream); dropouts leave school in place.

    Returns the mask of promoted pupils (over ``pupils``); ``junior`` and ``junior_drop``
    (person columns) are set to this year's junior-high pupils and their dropouts,
    ``grade_start`` to the grade at the start of the year (0 for non-pupils) and
    ``repeated`` to this year's repeaters.
    """
    k = pupils.shape[0]
    promoted = np.empty(k, dtype=np.bool_)
    junior[:] = False
    junior_drop[:] = False
    grade_start[:] = 0
    repeated[:] = False
    for j in range(k):
        i = pupils[j]
        u = uniform_at(key, ids[i])
        pd = p_drop[j]
        pr = p_rep[j] if lvl[j] <= 1 else 0.0
        drop = (u < pd) | (age[i] >= 25)
        repeat = (not drop) & (u < pd + pr)
        promoted[j] = (not drop) & (not repeat)
        grade_start[i] = grade[i]
        repeated[i] = repeat
        if lvl[j] == 1:
            junior[i] = True
            junior_drop[i] = drop
        if drop:
            enrolled[i] = False
            school_done[i] = True
            school_years[i] = grade[i] - 1
    return promoted


@njit(cache=True)
def _enrolment_sums(cell, n_cells, age, enrolled, preschool, grade, junior, junior_drop):
    num = np.zeros((7, n_cells))
    den = np.zeros((7, n_cells))
    for i in range(age.shape[0]):
        a = age[i]
        if a > 22 or a < 3:
            continue
        c = cell[i]
        if a >= 18:
            den[3, c] += 1.0
            num[3, c] += enrolled[i]
            continue
        if 6 <= a <= 11:
            den[0, c] += 1.0
            num[0, c] += enrolled[i]
        elif 12 <= a <= 14:
            den[1, c] += 1.0
            num[1, c] += enrolled[i]
        elif a >= 15:
            den[2, c] += 1.0
            num[2, c] += enrolled[i]
        if 3 <= a <= 5:
            den[4, c] += 1.0
            num[4, c] += preschool[i]
        if junior[i]:
            den[5, c] += 1.0
            num[5, c] += junior_drop[i]
        if enrolled[i]:
            den[6, c] += 1.0
            num[6, c] += (a - 6 - (grade[i] - 1)) >= 2
    return num, den


@njit(cache=True)
def _progress_sums(cell, n_cells, age, enrolled, grade, grade_start, repeated, school_years):
    num = np.zeros((7, n_cells))
    den = np.zeros((7, n_cells))
    for i in range(age.shape[0]):
        c = cell[i]
        g0 = grade_start[i]
        if 1 <= g0 <= 9:
            k = 0 if g0 <= 6 else 1
            den[k, c] += 1.0
            num[k, c] += repeated[i]
            dropped = (not enrolled[i]) and school_years[i] == g0 - 1
            k = 3 if g0 <= 6 else 4 + (g0 - 7)
            den[k, c] += 1.0
            num[k, c] += dropped
        if enrolled[i] and grade[i] == 6:
            den[2, c] += 1.0
            num[2, c] += age[i] >= 12
    return num, den
