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
pupils over-age), else is promoted.  Leaving fixes years of schooling (completed grades).

*Transitions.*  Completing grade 6, 9 or 12 requires a decision to go on::

    P(go on) = expit(logit(c(year)) + b_k (skill - peers) + b_p poor
                     + b_s (S_caregivers - S_peers) / 3 - kappa max(0, ln(cost / resources)))

Selection is relative: skill and caregivers' schooling are taken against their means
among the year's pupils aged 10-17 (entrance examinations rank pupils against their
peers) and ``poor`` is relative poverty (household income below 40% of the national rural
median of the year), so that the period path means the same thing in every decade.
``c(year)`` is the historical expansion of schooling: a period path through declared
anchors (entry to junior high in 1985, 1995 and 2005, after the 1986 Compulsory Education
Law and the "two basics" push; continuation to senior high in 1990, 2000 and 2006, then the
expansion of vocational schooling to its level of 2011; to tertiary in 1995, then the 2014
value), and after those years a yearly logit trend for the two upper levels.
The last term is the credit constraint of post-compulsory schooling: the yearly cost of
senior high or college (tuition, fees, board; moving with mean income over the years; the
senior-high fees are waived for registered poor households while the targeted measures
run) against the resources the household can put to it, a budget share of its income and
of the liquid part of its wealth.  Entry to junior high has no cost term (compulsory, tuition-free).  The
continuation to senior high is further multiplied by the modifier
``school.continuation_rr``.

References
----------
Yi, H. et al. (2012). Dropping out: why are students leaving junior high in China's poor
rural areas? International Journal of Educational Development 32:555-563.
Mo, D. et al. (2013). Transfer paths and academic performance: the primary school merger
program in China. / Mo et al. (2013) CCT, Journal of Development Studies 49(2):190-207.
Golley, J., & Kong, S. T. (2013). Inequality in intergenerational mobility of education
in China. China & World Economy 21(2):15-37.
Ministry of Education, Educational Statistics: promotion rates of graduates, 1990-2004
(primary -> junior 74.6% in 1990, 90.8% in 1995, 98.1% in 2004; junior -> senior 40.6%,
50.3%, 63.8%; senior -> higher 27.3%, 49.9%, 82.5%).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from scipy.special import expit, logit

from povsim._threads import threaded
from povsim.declare import Measure, OutcomeTable, Value, person
from povsim.outcomes import tidy
from povsim.params import Param
from povsim.periods import REFERENCE_YEAR, path
from povsim.rng import uniform_at
from povsim.state import World

#: Year the rapid expansion of senior secondary schooling reached its level (national
#: junior -> senior promotion ~76% in 2006, 88% in 2011 [M]; free tuition for rural students
#: in secondary vocational schools from 2009 [M]); after it the yearly trend
#: ``senior_continuation_trend``
SENIOR_EXPANSION_END = 2011
#: Years of the anchors ``senior_continuation_1990``, ``_2000`` and ``_2006``
SENIOR_ANCHOR_YEARS = (1990, 2000, 2006)

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
    Param("dropout_senior", 0.08, "per year", (0.02, 0.12),
          "Rural students leave secondary vocational schools at high rates, up to a third "
          "before graduating (Yi H. et al. 2015, International Journal of Educational "
          "Development 42:115-123) [M]; academic senior high lower [E]", "Annual "
          "senior-high dropout probability (academic and vocational)", bounds=(0.0, 1.0)),
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
    Param("senior_continuation", 0.8, "probability", (0.5, 0.95),
          "Junior -> senior promotion 94.9% nationally in 2017 (NBS via China Education "
          "Online 2019) [S]; senior-secondary GER 87.5% in 2016 (MoE); fewer than 20% of "
          "rural youth completed high school in the late 2000s (Golley & Kong 2013, citing "
          "REAP): poor families face the cost term [E]",
          "Probability of entering senior high (academic or vocational) after grade 9 in "
          "2011, when the rapid expansion ended, at mean skill and no risk factors",
          bounds=(0.0, 1.0)),
    Param("senior_continuation_trend", 0.04, "logit per year", (0.0, 0.08),
          "Assumption (expansion of senior secondary schooling)", "Yearly rise of the logit "
          "of senior-high continuation", bounds=(-1.0, 1.0)),
    Param("continuation_or_skill", 2.2, "odds ratio per SD", (1.5, 3.0),
          "Assumption (high-school entrance exam)", "Odds ratio of going on per SD of skill "
          "above the mean of the year's pupils aged 10-17", bounds=(0.1, 20.0)),
    Param("continuation_or_poverty", 0.6, "odds ratio", (0.4, 0.85),
          "Assumption (opportunity cost of schooling for the poorest families, beyond the "
          "cost term)", "Odds ratio of going on for households below 40% of the national "
          "rural median", bounds=(0.01, 10.0)),
    Param("tertiary_continuation", 0.35, "probability", (0.2, 0.6),
          "Assumption; 1.3% of rural youth reached tertiary in the late 2000s (Golley & Kong "
          "2013); expanded since", "Probability of entering tertiary after grade 12",
          bounds=(0.0, 1.0)),
    Param("junior_entry", 0.995, "probability", (0.98, 1.0),
          "Primary graduates' promotion rate ~99% since 2006 (MoE via China Education Online "
          "2019: 98.8% in 2017) [S]", "Probability of entering junior high after grade 6 in "
          "2014, at mean skill and no risk factors", bounds=(0.0, 1.0)),
    Param("junior_entry_1985", 0.85, "probability", (0.7, 0.95),
          "Primary -> junior promotion 68.4% nationally in 1985 [M], 74.6% in 1990 (MoE "
          "educational statistics); the anchor is for a child who is not income-poor, and "
          "almost every rural household was poor by the 2010 line in 1985 [E]",
          "Probability of entering junior high after grade 6 in 1985 (period path)",
          bounds=(0.0, 1.0)),
    Param("junior_entry_1995", 0.95, "probability", (0.88, 0.99),
          "Primary -> junior promotion 90.8% in 1995 (MoE educational statistics) [R]; rural "
          "lower [E]", "Probability of entering junior high after grade 6 in 1995",
          bounds=(0.0, 1.0)),
    Param("junior_entry_2005", 0.99, "probability", (0.96, 0.998),
          "Primary -> junior promotion 98.1% in 2004 (MoE) [R]; rural fees abolished from "
          "spring 2007 in central China (Xinhua 2007) [S]", "Probability of entering junior "
          "high after grade 6 in 2005", bounds=(0.0, 1.0)),
    Param("senior_continuation_1990", 0.4, "probability", (0.25, 0.6),
          "Junior -> senior promotion 40.6% nationally in 1990 (MoE) [R]; rural and poor "
          "counties far lower [E]", "Probability of entering senior high after grade 9 in "
          "1990, at mean skill and no risk factors (period path)", bounds=(0.0, 1.0)),
    Param("senior_continuation_2000", 0.5, "probability", (0.25, 0.7),
          "Junior -> senior promotion 51.2% in 2000 (MoE) [R]; fewer than 20% of rural youth "
          "completed high school in the late 2000s (Golley & Kong 2013): poor counties far "
          "below the national rate [E]",
          "Probability of entering senior high after grade 9 in 2000", bounds=(0.0, 1.0)),
    Param("senior_continuation_2006", 0.45, "probability", (0.25, 0.75),
          "Junior -> senior promotion 63.8% in 2004 (MoE) [R], about 76% in 2006 [M]; national "
          "grants to 90% of secondary-vocational students from 2007 (Xinhua 22 May 2007) [S] "
          "and free tuition for rural vocational students from 2009 [M] before the rapid "
          "expansion to 2011; poor counties far below the national rate [E]",
          "Probability of entering senior high after grade 9 in 2006", bounds=(0.0, 1.0)),
    Param("tertiary_continuation_1995", 0.2, "probability", (0.08, 0.4),
          "Senior -> higher promotion 49.9% nationally in 1995 (MoE) [R]; rural youth from "
          "poor counties 7 times less likely to reach college in 2003 (Li et al. 2015, China "
          "Quarterly 221) [E]", "Probability of entering tertiary after grade 12 in 1995",
          bounds=(0.0, 1.0)),
    Param("continuation_or_parent_school", 1.5, "odds ratio per 3 years", (1.0, 2.2),
          "Assumption; causal effect of parental schooling on sons' schooling in rural China "
          "(Emran & Sun 2015, WB PRWP 7316)", "Odds ratio of going on per 3 years of "
          "caregiver schooling above the mean of the year's pupils' caregivers",
          bounds=(0.1, 10.0)),
    Param("continuation_credit", 1.0, "logit per log of cost/resources", (0.0, 2.5),
          "Credit constraints of poor rural families: three years of senior high cost ~15 "
          "times per-capita income at the poverty line; opportunity cost triples it (REAP, "
          "Stanford) [E]", "Fall of the log-odds of going on per log of the yearly cost "
          "over the household's resources, when the cost exceeds them", bounds=(0.0, 10.0)),
    Param("senior_high_cost", 4000.0, "RMB per year (2014 prices)", (2500.0, 5500.0),
          "Tuition, room, board and fees ~4,000 RMB a year in poor rural areas (REAP 2007 "
          "survey) [R]", "Yearly cost of senior high in 2014 (moves with mean income over "
          "the years)", bounds=(0.0, 1e5)),
    Param("tertiary_cost", 10000.0, "RMB per year (2014 prices)", (7000.0, 14000.0),
          "10,000-12,000 RMB a year all-in (REAP; Xinhua 22 May 2007) net of the national "
          "grant of 2,000 RMB to 20% of students [R/S]", "Yearly cost of college in 2014 "
          "(moves with mean income over the years)",
          bounds=(0.0, 1e6)),
    Param("schooling_budget_share", 0.3, "share of household income", (0.15, 0.5),
          "Families spend 46-52% of income on a child's secondary to university schooling "
          "(Dong & Wan 2012, cited by pishu.com.cn) [S]; share a poor family can spare [E]",
          "Share of household income (and liquid wealth) available for a child's "
          "post-compulsory schooling",
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

    # -- progression of pupils enrolled at the start of the year (not this year's entrants):
    # dropout probability of each pupil, then draws, dropouts (who leave with completed
    # grades), repetitions and promotions, in two compiled passes
    p_drop, lvl = _dropout_probabilities(
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
        vals.shift("school.stay_incentive", world, pupils), vals.ratio("school.dropout_rr", world, pupils))
    # promoted pupils move up a grade, except those completing a level's last grade, who
    # need a transition decision (``finished``: the grade completed, 0 for the others)
    finished = _school_progress(
        streams.key("school.progress", yr), P.id, pupils, age, lvl, p_drop,
        np.array([logit(params.repetition), np.log(params.repetition_or_skill)]), P.skill,
        P.grade, P.enrolled, P.school_done, P.school_years, P.junior_pupil, P.junior_dropout,
        P.grade_start, P.repeated)
    pr = pupils[finished > 0]
    gp = finished[finished > 0]
    stop = [pr[gp == 16]]
    peers = _peer_means(pupils, age, P.skill, P.hh, H.caregiver_school)
    for level, nxt in ((6, 7), (9, 10), (12, 13)):
        at = pr[gp == level]
        p_go = transition_probability(world, params, at, level, peers)
        if level == 9:
            rr = vals.ratio("school.continuation_rr", world, at)
            if rr.size:
                p_go = np.clip(rr * p_go, 0, 1)
        go = streams.uniform("school.transition", yr, P.id[at]) < p_go
        P.grade[at[go]] = nxt
        stop.append(at[~go])
        if level == 9:
            world.events["grade9_completers"] = float(len(at))
            world.events["senior_entrants"] = float(go.sum())
        elif level == 12:
            world.events["senior_completers"] = float(len(at))
    stop = np.concatenate(stop)
    P.enrolled[stop] = False
    P.school_done[stop] = True


def base_transition(year: int, params, level: int) -> float:
    """Probability of going on after grade ``level`` (6, 9, 12) in ``year`` at mean skill,
    not poor, caregivers with 9 years and no cost constraint: the period path to the year
    its expansion ended (2014 for junior entry and tertiary, ``SENIOR_EXPANSION_END`` for
    senior high), then the yearly logit trend for the upper levels."""
    if level == 6:
        return path(year, [(1985, params.junior_entry_1985), (1995, params.junior_entry_1995),
                           (2005, params.junior_entry_2005),
                           (REFERENCE_YEAR, params.junior_entry)], "logit")
    if level == 9:
        end = SENIOR_EXPANSION_END
        anchors = [*zip(SENIOR_ANCHOR_YEARS, (params.senior_continuation_1990,
                                              params.senior_continuation_2000,
                                              params.senior_continuation_2006), strict=True),
                   (end, params.senior_continuation)]
    else:
        end = REFERENCE_YEAR
        anchors = [(1995, params.tertiary_continuation_1995),
                   (REFERENCE_YEAR, params.tertiary_continuation)]
    p = path(year, anchors, "logit")
    if year > end:
        p = float(expit(logit(p) + params.senior_continuation_trend * (year - end)))
    return p


def transition_probability(world: World, params, rows: np.ndarray, level: int,
                           peers: tuple[float, float] = (0.0, 9.0)) -> np.ndarray:
    """Probability that the pupils ``rows``, completing grade ``level`` (6, 9 or 12), go on
    (see the module doc: period path, skill and caregivers' schooling relative to the
    ``peers`` means, relative poverty, credit constraint of post-compulsory schooling)."""
    from povsim.processes.earnings import cumulative_growth
    from povsim.processes.poverty_policy import fee_waived

    P, H = world.P, world.H
    cost = 0.0
    waiver = 1.0
    if level > 6:
        cost = (params.senior_high_cost if level == 9 else params.tertiary_cost) * float(
            np.exp(cumulative_growth(world.year, params)))
        if level == 9 and fee_waived(world.year, params):
            waiver = 1.0 - params.tpa_fee_waiver
    coef = np.array([logit(base_transition(world.year, params, level)),
                     np.log(params.continuation_or_skill), np.log(params.continuation_or_poverty),
                     np.log(params.continuation_or_parent_school), params.continuation_credit,
                     cost, waiver, params.schooling_budget_share, params.wealth_liquid_share,
                     peers[0], peers[1]])
    return _transition_p(np.ascontiguousarray(rows, dtype=np.int64), P.hh, P.skill,
                         H.relative_poor_40, H.caregiver_school, H.income_pc, H.present, H.wealth,
                         H.registered_poor, coef)


@threaded(cache=True, nogil=True)
def _transition_p(rows, hh, skill, rel_poor, caregiver_school, income_pc, present, wealth,
                  registered, coef):
    """Probabilities of going on (see :func:`transition_probability`); ``coef`` = [base
    logit, ln OR skill, ln OR poverty, ln OR caregiver schooling (per 3 years), credit
    penalty, yearly cost (0: no cost term), share of the cost paid by registered
    households, budget share, liquid share of wealth, peers' mean skill, their caregivers'
    mean schooling]."""
    out = np.empty(rows.shape[0])
    for j in prange(rows.shape[0]):
        i = rows[j]
        h = hh[i]
        lo = (coef[0] + coef[1] * (float(skill[i]) - coef[9])
              + coef[2] * (1.0 if rel_poor[h] else 0.0)
              + coef[3] * (float(caregiver_school[h]) - coef[10]) / 3.0)
        if coef[5] > 0.0:
            cost = coef[5] * (coef[6] if registered[h] else 1.0)
            res = coef[7] * (float(income_pc[h]) * max(present[h], 1) + coef[8] * float(wealth[h]))
            gap = math.log(max(cost, 1.0) / max(res, 1.0))
            if gap > 0.0:
                lo -= coef[4] * gap
        out[j] = 1.0 / (1.0 + math.exp(-lo))
    return out


def overage(world: World, rows: np.ndarray) -> np.ndarray:
    """Years behind the normal grade for age (0 when not enrolled) of the persons ``rows``
    (MODA reads it for the children)."""
    P = world.P
    return _overage(np.asarray(rows, dtype=np.int64), world.age(), P.grade, P.enrolled)


@njit(cache=True, inline="always")
def years_behind(age, grade, enrolled):
    """One person's :func:`overage` (grade 1 is the grade of age 6); the MODA pass over
    persons computes it in place (:func:`povsim.moda.score.model_scores`)."""
    return max(np.int64(age) - 5 - np.int64(grade), 0) if enrolled else 0


@njit(cache=True, nogil=True)
def _overage(rows, age, grade, enrolled):
    out = np.empty(rows.shape[0], dtype=np.int64)
    for t in range(rows.shape[0]):
        i = rows[t]
        out[t] = years_behind(age[i], grade[i], enrolled[i])
    return out


@njit(cache=True, nogil=True)
def _peer_means(pupils, age, skill, hh, caregiver_school):
    """Mean skill of the pupils aged 10-17 and mean schooling of their caregivers: the
    peers and parents a pupil is ranked against."""
    total = 0.0
    school = 0.0
    n = 0
    for i in pupils:
        a = age[i]
        if a >= 10 and a <= 17:
            total += skill[i]
            school += caregiver_school[hh[i]]
            n += 1
    return (total / n, school / n) if n else (0.0, 9.0)


@njit(cache=True, nogil=True)
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


@threaded(cache=True, nogil=True)
def _dropout_probabilities(pupils, age, grade, sex, skill, skill_se, disabled, left_behind, hh,
                           h_village, income_poor, income_pc, caregiver_school, remote, logit_level,
                           c, incentive, rr):
    """Dropout probability and school level (0 primary .. 3 tertiary) of each pupil.

    ``caregiver_school - 9`` is taken in float32 (the column's type).  ``c`` = [log odds
    ratios of poverty, skill, left behind, male, remoteness, parent schooling, disabled,
    over-age; logit step of grades 8-9 over grade 7; log odds ratio per SD of
    socio-emotional skill; incentive coefficient].  ``incentive`` (RMB a year, per pupil,
    from the interventions) or empty; it enters relative to the household's income per
    capita (at least 500 RMB), capped at twice that income.  ``rr`` (per pupil, from the
    interventions) or empty multiplies the probability.
    """
    k = pupils.shape[0]
    p = np.empty(k, dtype=np.float64)
    lvl = np.empty(k, dtype=np.int64)
    nine = np.float32(9.0)
    has_inc = incentive.shape[0] > 0
    has_rr = rr.shape[0] > 0
    for j in prange(k):
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
        p[j] = 1.0 / (1.0 + math.exp(-x))  # scipy.special.expit's formula
        if has_rr:
            p[j] = min(max(rr[j] * p[j], 0.0), 1.0)
        lvl[j] = lv
    return p, lvl


@threaded(cache=True, nogil=True)
def _school_progress(key, ids, pupils, age, lvl, p_drop, rep, skill, grade, enrolled,
                     school_done, school_years, junior, junior_drop, grade_start, repeated):
    """Dropout, repetition or promotion of each pupil (one uniform each from the
    ``school.progress`` stream), in place: dropouts leave school, promoted pupils complete
    their grade and move up one unless it was a level's last grade (6, 9, 12, 16).

    ``rep`` = [logit of repetition at mean skill, log odds ratio per SD of skill] (primary
    and junior).  Returns, over ``pupils``, the last grade of a level completed (0 for
    every other pupil); ``junior`` and ``junior_drop``
    (person columns) are set to this year's junior-high pupils and their dropouts,
    ``grade_start`` to the grade at the start of the year (0 for non-pupils) and
    ``repeated`` to this year's repeaters.
    """
    k = pupils.shape[0]
    finished = np.zeros(k, dtype=np.int8)
    junior[:] = False
    junior_drop[:] = False
    grade_start[:] = 0
    repeated[:] = False
    for j in prange(k):
        i = pupils[j]
        u = uniform_at(key, ids[i])
        pd = p_drop[j]
        pr = 1.0 / (1.0 + math.exp(-(rep[0] + rep[1] * float(skill[i])))) if lvl[j] <= 1 else 0.0
        drop = (u < pd) | (age[i] >= 25)
        repeat = (not drop) & (u < pd + pr)
        g = grade[i]
        if not drop and not repeat:
            school_years[i] = g
            if g == 6 or g == 9 or g == 12 or g == 16:
                finished[j] = g
            else:
                grade[i] = g + 1
        grade_start[i] = g
        repeated[i] = repeat
        if lvl[j] == 1:
            junior[i] = True
            junior_drop[i] = drop
        if drop:
            enrolled[i] = False
            school_done[i] = True
            school_years[i] = g - 1
    return finished


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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
