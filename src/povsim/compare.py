"""Paired scenario comparison with common random numbers, and cost-effectiveness.

Every scenario runs the same replicate seeds (:func:`povsim.runner.replicate_seed`), so
replicate ``r`` of the alternative and of the base share every random draw that the
interventions do not change.  For each outcome the replicate-wise difference
``d_r = alt_r - base_r`` is summarised by its mean and a 95% t interval (Student t with
``R - 1`` degrees of freedom); with one replicate no interval is given.

Outcomes compared (``measure``, ``when``):

* MODA H and M0 by age group at +5 years, at the end of the programme, at the horizon,
  and per generation of the children (child-weighted mean over the years observed);
* income poverty (all persons, children), stunting under 5, mean years of schooling of
  the birth cohorts that were children during the programme;
* adult outcomes of those treated cohorts: absolute and relative adult poverty, and
  intergenerational transmission ``P(poor adult | poor child)`` (relative);
* the children the programme reached, paired by person: stunting at 2, HAZ and skill at
  5, skill at 10 and 17, completed schooling, own log earnings at 30-40
  (:func:`treated_cohort_effects`, where the horizon allows);
* costs: total and discounted (at the scenario's ``[budget] discount_rate``).

Cost-effectiveness (:func:`cost_effectiveness`): discounted incremental cost over outcome
measures by default -- child-years of MODA poverty averted on the *outcome* indicators
(``(H_base - H_alt) x children`` summed over years and age groups, discounted), stunting-
years and child-years of developmental delay averted, additional years of schooling and
adult relative-poverty cases averted in the treated cohorts -- and, labelled, child-years
of MODA poverty averted on all indicators including the service indicators (check-up,
insurance, Dibao: flipped by the service itself).  Ratios of replicate means with delta-
method intervals.  :func:`moda_decomposition` splits each MODA effect into the part from
the dimensions of the interventions' own indicators and the rest.

In a sampled run (``[population] scale`` < 1) MODA and lineage counts are the sample's, so
they are multiplied by the sampling weight ``1 / scale`` (:func:`weight`); costs and the
tidy tables' counts are full-area estimates already.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from povsim.programme import programme_window
from povsim.runner import RunResult, run_scenario
from povsim.scenario import Scenario
from povsim.stats import mean_interval


@dataclass
class CompareResult:
    base: RunResult
    alternatives: list[RunResult]
    differences: pd.DataFrame
    cost_effectiveness: pd.DataFrame
    ce_points: pd.DataFrame
    decomposition: pd.DataFrame | None = None


def programme_end(s: Scenario) -> int:
    """Last year any intervention of ``s`` is active (start + 5 years if none)."""
    window = programme_window(s)
    return window[1] if window else s.time.start_year + 5


def union_window(scenarios) -> tuple[int, int] | None:
    """The years any of the scenarios' programmes runs (shaded in comparison figures)."""
    spans = [w for w in map(programme_window, scenarios) if w is not None]
    return (min(a for a, _ in spans), max(b for _, b in spans)) if spans else None


def replicate_values(tab: pd.DataFrame, measure: str, year: int, by: str = "all",
                     group: str = "all") -> pd.Series | None:
    """Per-replicate value of a tidy measure in a year (nearest earlier year if absent;
    ``None`` when the table has no such rows)."""
    d = tab[(tab["measure"] == measure) & (tab["by"] == by) & (tab["group"] == group)]
    if d.empty:
        return None
    years = np.sort(d["year"].unique())
    y = years[years <= year].max() if (years <= year).any() else years.min()
    d = d[d["year"] == y]
    return d.set_index("replicate")["value"].sort_index()


def _cohort_outcomes(tables: dict, cohorts: tuple[int, int]) -> dict[str, pd.Series]:
    """Adult outcomes of persons born in ``cohorts`` (lineage records per replicate)."""
    lin = tables.get("lineage")
    if lin is None:
        return {}
    d = lin[(lin["birth_year"] >= cohorts[0]) & (lin["birth_year"] <= cohorts[1])]
    out = {}
    adult = d["adult_log_income"].notna()
    g = d[adult].groupby("replicate")
    out["adult_poor_relative_share"] = g["adult_poor_relative"].mean()
    out["adult_poor_absolute_share"] = g["adult_poor_absolute"].mean()
    cp = d[adult & (d["child_poor_share"] >= 0.5)]
    out["transmission_relative"] = cp.groupby("replicate")["adult_poor_relative"].mean()
    done = d[d["school_done"] & ((d["year_end"] - d["birth_year"]) >= 25)]
    out["mean_school_years"] = done.groupby("replicate")["school_years"].mean()
    out["school_years_total"] = done.groupby("replicate")["school_years"].sum()
    out["adult_poor_relative_cases"] = g["adult_poor_relative"].sum()
    return out


def _costs(tables: dict, rate: float, start: int, none: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Total and discounted programme cost per replicate (``none`` for both: a run without costs)."""
    c = tables.get("costs")
    if c is None or c.empty:
        return none, none
    disc = c["cost_rmb"] / (1.0 + rate) ** (c["year"] - start)
    return c.groupby("replicate")["cost_rmb"].sum(), disc.groupby(c["replicate"]).sum()


def paired_interval(base: pd.Series, alt: pd.Series) -> tuple[float, float, float, float, float, int]:
    """Paired difference ``alt - base`` over the replicates observed in both.

    Parameters
    ----------
    base, alt
        Values indexed by replicate (missing or NaN in either: that replicate is left out;
        an outcome missing in one run is not zero).

    Returns
    -------
    tuple
        ``(base_mean, alt_mean, diff_mean, ci_lo, ci_hi, replicates)``: the 95% interval is
        Student t with ``R - 1`` degrees of freedom; NaN with one replicate.
    """
    idx = alt.index.intersection(base.index)
    base, alt = base.reindex(idx), alt.reindex(idx)
    ok = base.notna() & alt.notna()
    base, alt = base[ok], alt[ok]
    mean, lo, hi = mean_interval((alt - base).to_numpy(dtype=float), missing="propagate")
    return float(base.mean()), float(alt.mean()), mean, lo, hi, len(base)


def _summ(name, when, base, alt, rows, scenario):
    if base is None or alt is None or (len(base) == 0 and len(alt) == 0):
        return  # not observed in this run (e.g. adult outcomes beyond the horizon)
    rows.append((scenario, name, str(when), *paired_interval(base, alt)))


def paired_differences(base: RunResult, alt: RunResult) -> pd.DataFrame:
    """Paired differences (alt - base) of the comparison outcomes."""
    s = alt.scenario
    start, end, horizon = s.time.start_year, programme_end(s), s.end_year
    times = {"+5 years": start + 5, "end of programme": end, "horizon": horizon}
    rows: list[tuple] = []
    bt, at = base.tables, alt.tables
    for label, year in times.items():
        for ag in ("0_5", "6_17"):
            for m in (f"moda_headcount_rate_{ag}", f"moda_M0_{ag}"):
                _summ(m, f"{label} ({year})", replicate_values(bt["moda"], m, year),
                      replicate_values(at["moda"], m, year), rows, s.name)
            if "moda_outcome" in at and "moda_outcome" in bt:  # MODA on outcome indicators
                m = f"moda_headcount_rate_{ag}"
                _summ(f"moda_outcome_headcount_rate_{ag}", f"{label} ({year})",
                      replicate_values(bt["moda_outcome"], m, year), replicate_values(at["moda_outcome"], m, year),
                      rows, s.name)
        for tab, m in (("income_poverty", "income_poverty_rate"),
                       ("income_poverty", "child_income_poverty_rate"),
                       ("stunting", "stunting_prevalence")):
            _summ(m, f"{label} ({year})", replicate_values(bt[tab], m, year), replicate_values(at[tab], m, year),
                  rows, s.name)
    # per generation of the children
    def by_generation(tabs: dict) -> pd.DataFrame:
        g = tabs["moda_summary"]
        g = g[(g["by"] == "generation") & (g["measure"] == "H")]
        return g.assign(wv=g["value"] * g["n"]).groupby(["replicate", "age_group", "group"])[["wv", "n"]].sum()

    bg, ag_ = by_generation(bt), by_generation(at)
    for (agroup, gen) in sorted({(a, g) for _, a, g in ag_.index}):
        b = (bg["wv"] / bg["n"]).xs((agroup, gen), level=("age_group", "group")) \
            if (agroup, gen) in {(a, g) for _, a, g in bg.index} else None
        a = (ag_["wv"] / ag_["n"]).xs((agroup, gen), level=("age_group", "group"))
        _summ(f"moda_headcount_rate_{agroup.replace('-', '_')}", f"generation {gen}", b, a, rows,
              s.name)
    # treated cohorts in adulthood
    cohorts = (start - 17, end)
    bc, ac = _cohort_outcomes(bt, cohorts), _cohort_outcomes(at, cohorts)
    for m in ac:
        _summ(m, f"born {cohorts[0]}-{cohorts[1]}", bc.get(m), ac.get(m), rows, s.name)
    # costs
    rate = s.budget.discount_rate
    zero = pd.Series(0.0, index=sorted(at["population"]["replicate"].unique()))
    b_tot, b_disc = _costs(bt, rate, start, zero)
    a_tot, a_disc = _costs(at, rate, start, zero)
    _summ("cost_rmb", "total", b_tot, a_tot, rows, s.name)
    _summ("cost_discounted_rmb", f"discounted to {start} at {rate:.0%}", b_disc, a_disc, rows, s.name)
    return pd.DataFrame(rows, columns=_DIFF_COLUMNS)


#: Treated-cohort outcomes: (record column, label of the age, measure name)
TREATED_COHORT_OUTCOMES = (
    ("stunted_ever", "age 2", "stunted_share"),
    ("haz_at5", "age 5", "mean_haz"),
    ("skill_at5", "age 5", "mean_skill"),
    ("skill_at10", "age 10", "mean_skill"),
    ("skill_at17", "age 17", "mean_skill"),
    ("school_years", "age 25+", "mean_school_years"),
    ("log_earnings_30_40", "ages 30-40", "mean_log_earnings"),
)


def treated_cohort_effects(base: RunResult, alt: RunResult) -> pd.DataFrame:
    """Effects on the children the alternative's programme reached, at ages 2, 5, 10, 17,
    25+ (schooling) and 30-40 (own log earnings), where the horizon allows.

    The treated cohort of each replicate is the set of persons some intervention reached
    as a child in the alternative run; with common random numbers the same persons exist
    in the base run, so the comparison is paired by person: per replicate, the mean over
    the treated persons observed at that age in both runs of (alt - base), then the mean
    and t interval over replicates (rows in the layout of :func:`paired_differences`).
    """
    s = alt.scenario
    rows: list[tuple] = []
    b_rec, a_rec = base.tables.get("child_records"), alt.tables.get("child_records")
    if b_rec is None or a_rec is None:
        return pd.DataFrame(rows, columns=_DIFF_COLUMNS)
    treated = a_rec[a_rec["treated"]]
    if treated.empty:
        return pd.DataFrame(rows, columns=_DIFF_COLUMNS)
    born = (int(treated["birth_year"].min()), int(treated["birth_year"].max()))
    key = ["replicate", "id"]
    j = treated.merge(b_rec, on=key, suffixes=("_alt", "_base"), how="inner")
    for col, when, measure in TREATED_COHORT_OUTCOMES:
        a, b = j[f"{col}_alt"].astype(float), j[f"{col}_base"].astype(float)
        ok = a.notna() & b.notna()
        if col == "school_years":  # completed schooling, observed at 25 or later
            ok &= (j["year_end_alt"] - j["birth_year_alt"] >= 25) & j["school_done_alt"] \
                & j["school_done_base"]
        if not ok.any():
            continue  # not reached within the horizon
        d = j[ok]
        ba = b[ok].groupby(d["replicate"]).mean()
        aa = a[ok].groupby(d["replicate"]).mean()
        _summ(f"treated_{measure}", f"born {born[0]}-{born[1]}, treated: {when}", ba, aa,
              rows, s.name)
    return pd.DataFrame(rows, columns=_DIFF_COLUMNS)


_DIFF_COLUMNS = ["scenario", "measure", "when", "base_mean", "alt_mean", "diff_mean", "ci_lo",
                 "ci_hi", "replicates"]



#: Named values (povsim.declare.Value) -> the child-frame columns of MODA they move directly:
#: an intervention's "own" indicators are those whose column its effects move.
VALUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "checkup.probability": ("checkup",), "insurance.probability": ("insured",),
    "water.upgrade_rate": ("safe_water",), "sanitation.upgrade_rate": ("sanitation",),
    "info.gain_rate": ("info_access",), "supervision.adequate": ("unsupervised",),
    "parenting.practice": ("stimulation",), "preschool.probability": ("preschool",),
    "growth.haz_input": ("stunted",), "haemoglobin.shift": ("anaemic",),
    "school.entry_rr": ("enrolled", "overage"), "school.dropout_rr": ("enrolled",),
    "school.stay_incentive": ("enrolled",), "school.continuation_rr": ("enrolled",),
    "dibao.takeup": ("dibao_gap",), "household.transfer_pc": ("dibao_gap",),
}


def weight(result: RunResult) -> float:
    """Sampling weight of a run's sample counts (``1 / scale``; MODA and lineage tables count
    the simulated children)."""
    return 1.0 / result.scenario.population.sampling_fraction


def moda_config_of(s: Scenario, view: str = "all"):
    """The MODA configuration of a scenario (``view="outcome"``: its outcome indicators)."""
    from povsim.moda import default_moda_config_path, load_moda_config
    from povsim.moda.views import outcome_view

    cfg = load_moda_config(s.outputs.moda_config or default_moda_config_path())
    if view == "outcome":
        return outcome_view(cfg) or cfg
    return cfg


def own_indicators(s: Scenario, config) -> list[str]:
    """Indicators of ``config`` whose column the enabled interventions of ``s`` move directly
    (:data:`VALUE_COLUMNS` of the named values in their ``EFFECTS``)."""
    from povsim.interventions import CLASSES

    cols = {c for name, v in s.interventions.items() if v.get("enabled", True)
            for value in CLASSES[name].modifies for c in VALUE_COLUMNS.get(value, ())}
    return [ind.name for ind in config.indicators if ind.column in cols]


def _patterns(patterns: pd.DataFrame | None) -> pd.DataFrame:
    """The ``pattern_share`` rows of a ``moda_patterns`` table for all children (by = all)."""
    if patterns is None or patterns.empty:
        return pd.DataFrame(columns=["replicate", "year", "age_group", "dimension", "value", "n"])
    return patterns[(patterns["by"] == "all") & (patterns["measure"] == "pattern_share")]


def _pattern_groups(patterns: pd.DataFrame | None, config):
    """Per age group of the deprivation-pattern table (share of children by the set of
    dimensions they are deprived in): the age group, its rows, each row's set of dimensions,
    whether that set makes a child MODA-poor, the dimensions' weights, and the number of
    children ``n`` by (replicate, year)."""
    p = _patterns(patterns)
    for ag in p["age_group"].unique():
        w = {d: config.dimensions[d].weight for d in config.dimensions_for(ag)}
        q = p[p["age_group"] == ag]
        sets = q["dimension"].astype(str).str.split("+")
        poor = (sets.map(lambda ds, w=w: sum(w.get(d, 0.0) for d in ds)) >= config.k_for(ag) - 1e-9).to_numpy()
        yield ag, q, sets, poor, w, q.groupby(["replicate", "year"])["n"].first()


def _pattern_h(patterns: pd.DataFrame | None, config) -> pd.DataFrame:
    """MODA headcount H by (replicate, year, age group) from the deprivation-pattern table,
    and the number of children ``n``."""
    out = [pd.DataFrame(columns=["replicate", "year", "age_group", "H", "n"])]
    for ag, q, _, poor, _, n in _pattern_groups(patterns, config):
        h = (q["value"] * poor).groupby([q["replicate"], q["year"]]).sum()
        out.append(pd.DataFrame({"H": h, "n": n}).reset_index().assign(age_group=ag))
    return pd.concat(out, ignore_index=True)


def _pattern_m0_terms(patterns: pd.DataFrame | None, config) -> pd.DataFrame:
    """Each dimension's term of the adjusted headcount, ``M0 = sum_d (w_d / W) x CH_d``, by
    (replicate, year, age group): ``CH_d`` is the censored headcount (share of children who
    are MODA-poor and deprived in ``d``), read off the pattern table (Alkire & Foster 2011,
    J Public Econ 95:476, sec. 4: M0 breaks down exactly by dimension)."""
    out = [pd.DataFrame(columns=["replicate", "year", "age_group", "dimension", "term", "n"])]
    for ag, q, sets, poor, w, n in _pattern_groups(patterns, config):
        total = sum(w.values())
        for d in w:
            has = sets.map(lambda ds, d=d: d in ds).to_numpy()
            term = (q["value"] * (poor & has) * w[d] / total).groupby([q["replicate"], q["year"]]).sum()
            out.append(pd.DataFrame({"term": term, "n": n}).reset_index().assign(age_group=ag, dimension=d))
    return pd.concat(out, ignore_index=True)


def _moda_child_years(base: RunResult, alt: RunResult, table: str, config, start: int,
                      rate: float) -> pd.Series:
    """Discounted child-years of MODA poverty averted per replicate (sum over simulated
    years and age groups of ``(H_base - H_alt) x children``, full-area estimate)."""
    b = _pattern_h(base.tables.get(table), config)
    a = _pattern_h(alt.tables.get(table), config)
    j = a.merge(b, on=["replicate", "year", "age_group"], suffixes=("_a", "_b"))
    j = j[j["year"] > start]
    averted = (j["H_b"] - j["H_a"]) * j["n_a"] * weight(alt) / (1.0 + rate) ** (j["year"] - start)
    return averted.groupby(j["replicate"]).sum().astype(float)


def _tidy_years_averted(base: RunResult, alt: RunResult, table: str, measures: tuple[str, ...],
                        start: int, rate: float) -> pd.Series:
    """Discounted child-years averted per replicate from the numerators of tidy yearly
    measures (counts of children, already full-area estimates): ``sum (num_base - num_alt)``."""
    def num(res):
        t = res.tables.get(table)
        if t is None:
            return None
        d = t[(t["by"] == "all") & t["measure"].isin(measures) & (t["year"] > start)]
        return d.groupby(["replicate", "year"])["numerator"].sum()

    b, a = num(base), num(alt)
    if a is None or b is None:
        return pd.Series(dtype=float)
    d = (b - a).dropna()
    yrs = d.index.get_level_values("year").to_numpy()
    return (d / (1.0 + rate) ** (yrs - start)).groupby(level="replicate").sum()


def ratio_interval(cost: np.ndarray, effect: np.ndarray, level: float = 0.95
                   ) -> tuple[float, float, float, str]:
    """Ratio of mean incremental cost to mean effect with a delta-method interval.

    ``R = mean(cost) / mean(effect)``; ``se(R)^2 = (var(c) + R^2 var(e) - 2 R cov(c, e))
    / (n mean(e)^2)`` over the ``n`` paired replicates (Willan & O'Brien 1996, Health Econ
    5:297; Glick et al. 2014, *Economic Evaluation in Clinical Trials*, ch. 7), with a
    Student t quantile on ``n - 1`` degrees of freedom.  The interval always contains
    ``R``.  When the effect's own interval includes zero the ratio is not bounded: the
    interval is ``(nan, nan)`` and the note says so.
    """
    c, e = np.asarray(cost, float), np.asarray(effect, float)
    n = len(e)
    me, mc = float(e.mean()) if n else np.nan, float(c.mean()) if n else np.nan
    if n == 0 or me <= 0:
        return np.nan, np.nan, np.nan, "no mean benefit"
    r = mc / me
    if n < 2:
        return r, np.nan, np.nan, "one replicate: no interval"
    t = float(stats.t.ppf(0.5 + level / 2, n - 1))
    se_e = float(np.std(e, ddof=1)) / np.sqrt(n)
    if me - t * se_e <= 0:
        return r, np.nan, np.nan, "effect interval includes zero: ratio not bounded"
    cov = np.cov(c, e, ddof=1)
    var = (cov[0, 0] + r * r * cov[1, 1] - 2 * r * cov[0, 1]) / (n * me * me)
    half = t * np.sqrt(max(var, 0.0))
    return r, r - half, r + half, f"delta method, t({n - 1})"


#: Cost-effectiveness measures: key, label (the ratio's unit), whether it is an outcome
#: measure (the default view) or counts service indicators (labelled, not the default).
CE_MEASURES = (
    ("moda_outcome_child_years", "per child-year of MODA poverty averted (outcome indicators)", True),
    ("stunting_years", "per stunting-year averted (children 0-5)", True),
    ("delay_years", "per child-year of developmental delay averted (skill < -1 SD, 0-17)", True),
    ("school_years", "per additional year of schooling (treated cohorts)", True),
    ("adult_poverty", "per adult relative-poverty case averted (treated cohorts)", True),
    ("moda_all_child_years", "per child-year of MODA poverty averted (all indicators, incl. "
     "service indicators: check-up, insurance, Dibao)", False),
)


def cost_effectiveness(base: RunResult, alt: RunResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Incremental discounted cost per unit of outcome, for outcome measures by default.

    Outcomes (discounted at the scenario's rate to the start year, full-area estimates):
    child-years of MODA poverty averted on the *outcome* indicators; stunting-years and
    child-years of developmental delay averted; additional years of schooling and adult
    relative-poverty cases averted in the treated cohorts (born from 17 years before the
    start to the end of the programme); and, labelled as such, child-years of MODA
    poverty averted on all indicators including the service indicators.  Each ratio is a
    ratio of replicate means with a delta-method interval (:func:`ratio_interval`).

    Returns the table and the per-replicate (cost, effect) points of the default measure.
    """
    s = alt.scenario
    start, end = s.time.start_year, programme_end(s)
    rate = s.budget.discount_rate
    reps = sorted(alt.tables["population"]["replicate"].unique())
    zero = pd.Series(0.0, index=reps)
    b_disc, a_disc = _costs(base.tables, rate, start, zero)[1], _costs(alt.tables, rate, start, zero)[1]
    inc = a_disc.reindex(reps).fillna(0) - b_disc.reindex(reps).fillna(0)
    cfg_all, cfg_out = moda_config_of(s), moda_config_of(s, "outcome")
    out_table = "moda_outcome_patterns" if "moda_outcome_patterns" in alt.tables else "moda_patterns"
    bc = _cohort_outcomes(base.tables, (start - 17, end))
    ac = _cohort_outcomes(alt.tables, (start - 17, end))
    w = weight(alt)

    def cohort_diff(key: str, sign: float) -> pd.Series:
        b = bc.get(key, zero).reindex(reps).fillna(0)
        a = ac.get(key, zero).reindex(reps).fillna(0)
        return sign * (a - b) * w

    effects = {
        "moda_outcome_child_years": _moda_child_years(base, alt, out_table, cfg_out, start, rate),
        "stunting_years": _tidy_years_averted(base, alt, "stunting", ("stunting_prevalence",), start, rate),
        "delay_years": _tidy_years_averted(base, alt, "development",
                                           ("low_skill_share_0_5", "low_skill_share_6_17"), start, rate),
        "school_years": cohort_diff("school_years_total", 1.0),
        "adult_poverty": cohort_diff("adult_poor_relative_cases", -1.0),
        "moda_all_child_years": _moda_child_years(base, alt, "moda_patterns", cfg_all, start, rate),
    }
    rows = []
    c = inc.reindex(reps).to_numpy()
    for key, label, outcome in CE_MEASURES:
        e = effects[key].reindex(reps).fillna(0.0).to_numpy()
        r, lo, hi, note = ratio_interval(c, e)
        mc, clo, chi = mean_interval(c, missing="propagate")
        me, elo, ehi = mean_interval(e, missing="propagate")
        rows.append((s.name, key, label, "outcome" if outcome else "incl. service indicators",
                     mc, clo, chi, me, elo, ehi, r, lo, hi, note, len(reps), int((e <= 0).sum())))
    table = pd.DataFrame(rows, columns=[
        "scenario", "measure", "ratio", "view", "incremental_cost_discounted_rmb", "cost_lo", "cost_hi",
        "outcome_averted", "outcome_lo", "outcome_hi", "rmb_per_unit", "ci_lo", "ci_hi",
        "interval", "replicates", "replicates_no_benefit"])
    points = pd.DataFrame({"scenario": s.name, "replicate": reps, "cost": c,
                           "effect": effects["moda_outcome_child_years"].reindex(reps).fillna(0.0).to_numpy()})
    return table, points


def moda_decomposition(base: RunResult, alt: RunResult) -> pd.DataFrame:
    """Each MODA effect split into the part from the alternative's own indicators and the rest.

    The effect is measured as discounted child-years of adjusted headcount M0 averted
    (``sum (M0_base - M0_alt) x children`` over simulated years and age groups, full-area
    estimate), which breaks down exactly by dimension: ``M0 = sum_d (w_d / W) CH_d``, with
    ``CH_d`` the censored headcount of dimension ``d`` (Alkire & Foster 2011, J Public Econ
    95:476).  The part "from own indicators" is the sum over the dimensions that hold the
    interventions' own indicators (:func:`own_indicators`: those whose column their effects
    move directly); the rest comes through the other dimensions.  A child lifted below the
    cut-off by a change in an own indicator takes its other deprivations out of the censored
    count too, and those show under the other dimensions: the outcome view (service
    indicators dropped) is the measure of how much of an effect is the service flipping its
    own indicator.  Both MODA views
    are decomposed: all indicators, and outcome indicators only.  Means over replicates
    with t intervals.  The headcount H is not additive by dimension; the H-based child-years
    of the same runs are in :func:`cost_effectiveness`.

    Returns one row per scenario, view and dimension (``dimension = "all"``: the total and
    the part from own dimensions; ``share``: of the total).
    """
    s = alt.scenario
    start, rate = s.time.start_year, s.budget.discount_rate
    reps = sorted(alt.tables["population"]["replicate"].unique())
    rows = []
    for view, table in (("all indicators", "moda_patterns"),
                        ("outcome indicators", "moda_outcome_patterns")):
        if table not in alt.tables or table not in base.tables:
            continue
        cfg = moda_config_of(s, "outcome" if view.startswith("outcome") else "all")
        own = own_indicators(s, cfg)
        own_dims = {ind.dimension for ind in cfg.indicators if ind.name in own}
        b = _pattern_m0_terms(base.tables[table], cfg)
        a = _pattern_m0_terms(alt.tables[table], cfg)
        j = a.merge(b, on=["replicate", "year", "age_group", "dimension"], suffixes=("_a", "_b"))
        j = j[j["year"] > start]
        j["averted"] = ((j["term_b"] - j["term_a"]) * j["n_a"] * weight(alt)
                        / (1.0 + rate) ** (j["year"] - start))
        by_dim = j.groupby(["dimension", "replicate"])["averted"].sum().unstack("dimension")
        by_dim = by_dim.reindex(reps).fillna(0.0).astype(float)
        total = by_dim.sum(axis=1)
        from_own = by_dim[[d for d in by_dim.columns if d in own_dims]].sum(axis=1)
        m, lo, hi = mean_interval(total.to_numpy(), missing="propagate")
        o, olo, ohi = mean_interval(from_own.to_numpy(), missing="propagate")
        r, rlo, rhi = mean_interval((total - from_own).to_numpy(), missing="propagate")
        rows.append((s.name, view, "all", ", ".join(own) or "-", ", ".join(sorted(own_dims)) or "-",
                     m, lo, hi, o, olo, ohi, r, rlo, rhi, o / m if m else np.nan, len(reps)))
        for d in by_dim.columns:
            dm, dlo, dhi = mean_interval(by_dim[d].to_numpy(), missing="propagate")
            rows.append((s.name, view, d, "", "own" if d in own_dims else "other", dm, dlo, dhi,
                         np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, dm / m if m else np.nan,
                         len(reps)))
    return pd.DataFrame(rows, columns=[
        "scenario", "moda", "dimension", "own_indicators", "own_dimensions", "m0_child_years_averted",
        "ci_lo", "ci_hi", "from_own_dimensions", "own_lo", "own_hi", "from_other_dimensions",
        "rest_lo", "rest_hi", "share", "replicates"])


def compare(base: Scenario, alternatives: Sequence[Scenario], *, replicates: int = 2,
            seed: int = 1, workers: int = 1,
            progress: Callable[[str, int, int], None] | None = None) -> CompareResult:
    """Run the base and each alternative with the same seeds; paired differences and CE.

    Parameters
    ----------
    base, alternatives
        Resolved scenarios; they should share population and time settings (differences
        are then due to the interventions only).
    replicates, seed, workers
        As for :func:`povsim.runner.run_scenario`; the replicate seeds are identical
        across scenarios (common random numbers).
    progress
        Called as ``progress(scenario_name, done, total)``.
    """
    def run(s: Scenario) -> RunResult:
        cb = (lambda d, t: progress(s.name, d, t)) if progress else None
        return run_scenario(s, replicates=replicates, seed=seed, workers=workers, progress=cb, keep_lineage=True)

    b = run(base)
    alts = [run(a) for a in alternatives]
    diffs = pd.concat([pd.concat([paired_differences(b, a), treated_cohort_effects(b, a)],
                                 ignore_index=True) for a in alts], ignore_index=True)
    ces = [cost_effectiveness(b, a) for a in alts]
    ce = pd.concat([c[0] for c in ces], ignore_index=True)
    pts = pd.concat([c[1] for c in ces], ignore_index=True)
    dec = pd.concat([moda_decomposition(b, a) for a in alts], ignore_index=True)
    return CompareResult(base=b, alternatives=alts, differences=diffs, cost_effectiveness=ce,
                         ce_points=pts, decomposition=dec)


def write_compare_results(result: CompareResult, folder, *, command_line: list[str],
                          input_files: list[str], figures: bool = True) -> None:
    """Tables (per scenario and comparisons), figures and manifest into ``folder``."""
    from povsim import __version__
    from povsim.output import atomic_write_csv, atomic_write_text, save_figure, write_manifest

    runs = [result.base, *result.alternatives]
    for r in runs:
        for name, df in r.tables.items():
            if name in ("lineage", "child_records"):  # per-person records: not written
                continue
            atomic_write_csv(folder / "tables" / r.scenario.name / f"{name}.csv", df)
        atomic_write_text(folder / "scenarios" / f"{r.scenario.name}.resolved.toml",
                          r.scenario.to_toml())
    atomic_write_csv(folder / "differences.csv", result.differences)
    atomic_write_csv(folder / "cost_effectiveness.csv", result.cost_effectiveness)
    atomic_write_csv(folder / "ce_points.csv", result.ce_points)
    if result.decomposition is not None:
        atomic_write_csv(folder / "moda_decomposition.csv", result.decomposition)
    write_manifest(folder, kind="compare", scenario_dict={r.scenario.name: r.scenario.resolved_dict()
                                          for r in runs},
                   seeds=result.base.seeds, input_files=input_files, command_line=command_line,
                   extra={"base": result.base.scenario.name,
                          "alternatives": [r.scenario.name for r in result.alternatives],
                          "replicates": len(result.base.seeds),
                          "common_random_numbers": "identical replicate seeds in every scenario"})
    if not figures:
        return
    from povsim.plots.compare import plot_ce_plane, plot_differences, plot_scenario_trajectories

    prov = (f"povsim {__version__} · compare {result.base.scenario.name} vs "
            f"{', '.join(r.scenario.name for r in result.alternatives)} · "
            f"{len(result.base.seeds)} replicates (CRN)")
    save_figure(plot_differences(result.differences, provenance=prov),
                folder / "figures" / "differences_plus5")
    save_figure(plot_differences(result.differences, when_contains="end of programme",
                                 provenance=prov), folder / "figures" / "differences_end")
    tabs = {r.scenario.name: r.tables for r in runs}
    window = union_window(r.scenario for r in runs)
    for m, label in (("moda_headcount_rate_0_5", "MODA multidimensional poverty H, ages 0-5"),
                     ("moda_headcount_rate_6_17", "MODA multidimensional poverty H, ages 6-17"),
                     ("moda_M0_0_5", "MODA adjusted headcount M0, ages 0-5")):
        save_figure(plot_scenario_trajectories(tabs, "moda", m, title=label, provenance=prov, window=window),
                    folder / "figures" / m)
    save_figure(plot_scenario_trajectories(tabs, "income_poverty", "child_income_poverty_rate",
                                           title="Income poverty, children 0-17", provenance=prov, window=window),
                folder / "figures" / "child_income_poverty_rate")
    save_figure(plot_ce_plane(result.ce_points, provenance=prov), folder / "figures" / "ce_plane")
