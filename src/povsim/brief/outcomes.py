"""The outcomes a brief reports: where each is tabulated, its unit, its name in a sentence.

The headline list follows what the pilot's baseline study measured (MODA H and M0 of children
0–5 and 6–17, income poverty, stunting, anaemia) plus the model's development and schooling
outcomes.  A measure not listed (e.g. a new row of ``differences.csv``) gets its declared
description from the outcome tables (:func:`povsim.registry.outcome_tables`) and a unit
guessed from its name, so a new outcome never breaks a brief.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COHORT", "HEADLINE", "Outcome", "outcome"]


@dataclass(frozen=True)
class Outcome:
    """One outcome: its table and measure, unit, and noun phrases (``{k}`` is the MODA cut-off)."""

    table: str
    measure: str
    unit: str  # share | index | sd | years | rmb | count
    en: str
    zh: str
    short_en: str
    short_zh: str
    lower_is_better: bool = True

    def name(self, lang: str, k: str = "three") -> str:
        return (self.zh if lang == "zh" else self.en).format(k=k)

    def short(self, lang: str) -> str:
        return self.short_zh if lang == "zh" else self.short_en


HEADLINE: tuple[Outcome, ...] = (
    Outcome("moda", "moda_headcount_rate_0_5", "share",
            "the share of children aged 0–5 deprived in {k} or more dimensions (MODA H)",
            "0–5岁儿童中在{k}个或以上维度被剥夺的比例（MODA H）", "MODA H, ages 0–5", "MODA H，0–5岁"),
    Outcome("moda", "moda_headcount_rate_6_17", "share",
            "the share of children aged 6–17 deprived in {k} or more dimensions (MODA H)",
            "6–17岁儿童中在{k}个或以上维度被剥夺的比例（MODA H）", "MODA H, ages 6–17", "MODA H，6–17岁"),
    Outcome("moda", "moda_M0_0_5", "index", "the adjusted headcount ratio M0 of children aged 0–5",
            "0–5岁儿童的调整后贫困指数M0", "MODA M0, ages 0–5", "MODA M0，0–5岁"),
    Outcome("moda", "moda_M0_6_17", "index", "the adjusted headcount ratio M0 of children aged 6–17",
            "6–17岁儿童的调整后贫困指数M0", "MODA M0, ages 6–17", "MODA M0，6–17岁"),
    Outcome("income_poverty", "child_income_poverty_rate", "share", "the income poverty rate of children aged 0–17",
            "0–17岁儿童的收入贫困率", "Income poverty, children 0–17", "儿童收入贫困率，0–17岁"),
    Outcome("income_poverty", "income_poverty_rate", "share", "the income poverty rate of all persons",
            "全体人口的收入贫困率", "Income poverty, all persons", "收入贫困率，全体人口"),
    Outcome("stunting", "stunting_prevalence", "share", "stunting among children aged 0–4",
            "0–4岁儿童发育迟缓率", "Stunting, ages 0–4", "发育迟缓率，0–4岁"),
    Outcome("anaemia", "anaemia_prevalence_infant", "share", "anaemia among children aged 0–1",
            "0–1岁儿童贫血率", "Anaemia, ages 0–1", "贫血率，0–1岁"),
    Outcome("development", "mean_skill_0_5", "sd", "the mean development score of children aged 0–5",
            "0–5岁儿童的平均发展得分", "Development score, ages 0–5", "发展得分，0–5岁", lower_is_better=False),
    Outcome("enrolment", "enrolment_rate_15_17", "share", "school enrolment at ages 15–17",
            "15–17岁在学率", "Enrolment, ages 15–17", "在学率，15–17岁", lower_is_better=False),
)

#: outcomes of the treated cohorts in adulthood (rows ``born YYYY-YYYY`` of differences.csv)
COHORT: tuple[Outcome, ...] = (
    Outcome("differences", "mean_school_years", "years", "the mean years of schooling of the treated cohorts",
            "受干预队列的平均受教育年限", "Years of schooling, treated cohorts", "受教育年限，受干预队列",
            lower_is_better=False),
    Outcome("differences", "adult_poor_relative_share", "share",
            "the share of the treated cohorts in relative poverty as adults",
            "受干预队列成年后处于相对贫困的比例", "Adult relative poverty, treated cohorts",
            "成年相对贫困，受干预队列"),
    Outcome("differences", "adult_poor_absolute_share", "share",
            "the share of the treated cohorts in absolute poverty as adults",
            "受干预队列成年后处于绝对贫困的比例", "Adult absolute poverty, treated cohorts",
            "成年绝对贫困，受干预队列"),
    Outcome("differences", "transmission_relative", "share",
            "the chance that a child who grew up poor is poor as an adult (treated cohorts)",
            "受干预队列中儿童期贫困者成年后仍贫困的概率", "Poor child → poor adult", "儿童期贫困→成年贫困"),
)

_BY_MEASURE = {o.measure: o for o in (*HEADLINE, *COHORT)}


def _guess_unit(measure: str, declared: str | None) -> str:
    m = measure.lower()
    if "rmb" in m or "income_pc" in m:
        return "rmb"
    if declared == "SD" or "skill" in m:
        return "sd"
    if "years" in m:
        return "years"
    if "m0" in m:
        return "index"
    if declared == "share" or (declared is None and any(k in m for k in ("rate", "share", "prevalence",
                                                                           "transmission"))):
        return "share"
    return "count" if "cases" in m or "count" in m else "index"


def outcome(measure: str, table: str = "") -> Outcome:
    """The :class:`Outcome` of ``measure``: listed, or built from its declaration."""
    if measure in _BY_MEASURE:
        return _BY_MEASURE[measure]
    from povsim.registry import outcome_tables

    desc, unit = None, None
    for t in outcome_tables().values():
        for m in t.measures:
            if m.name == measure:
                desc, unit, table = m.description, m.unit, table or t.name
    text = desc or measure.replace("_", " ")
    return Outcome(table, measure, _guess_unit(measure, unit), text, measure, text, measure,
                   lower_is_better=not any(k in measure for k in ("enrol", "skill", "income_pc", "school_years")))
