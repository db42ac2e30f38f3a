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

Cost-effectiveness (discounted incremental cost over):

* child-years of multidimensional deprivation averted (sum over years and age groups of
  ``(H_base - H_alt) x children``, discounted at the same rate);
* children lifted out of MODA poverty at +5 years (``(H_base - H_alt) x children``);
* adult poverty cases averted among the treated cohorts (relative poverty).
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


@dataclass
class CompareResult:
    base: RunResult
    alternatives: list[RunResult]
    differences: pd.DataFrame
    cost_effectiveness: pd.DataFrame
    ce_points: pd.DataFrame


def programme_end(s: Scenario) -> int:
    """Last year any intervention of ``s`` is active (start + 5 years if none)."""
    window = programme_window(s)
    return window[1] if window else s.time.start_year + 5


def union_window(scenarios) -> tuple[int, int] | None:
    """The years any of the scenarios' programmes runs (shaded in comparison figures)."""
    spans = [w for w in map(programme_window, scenarios) if w is not None]
    return (min(a for a, _ in spans), max(b for _, b in spans)) if spans else None


def ratio_of_means(cost: np.ndarray, effect: np.ndarray) -> tuple[float, float, float]:
    """Ratio of mean cost to mean effect over replicates, with a 95% delta-method interval.

    ``R = mean(C) / mean(E)``; ``Var(R) ~ (s_C^2 - 2 R s_CE + R^2 s_E^2) / (n mean(E)^2)``
    (first-order Taylor expansion of the ratio of two sample means), and the interval is
    ``R +- t(0.975, n - 1) sqrt(Var(R))``: it always contains ``R``, unlike the range of
    the per-replicate ratios.  NaN when the mean effect is not positive (no benefit: the
    ratio means nothing) and no interval with fewer than two replicates.

    References
    ----------
    Willan, A. R. & O'Brien, B. J. (1996). Confidence intervals for cost-effectiveness
    ratios: an application of Fieller's theorem. Health Economics 5(4):297-305 (delta method
    as the first-order approximation). doi:10.1002/(SICI)1099-1050(199607)5:4<297::AID-HEC216>3.0.CO;2-T
    """
    c, e = np.asarray(cost, dtype=float), np.asarray(effect, dtype=float)
    n = len(c)
    if n == 0 or not e.mean() > 0:
        return np.nan, np.nan, np.nan
    r = float(c.mean() / e.mean())
    if n < 2:
        return r, np.nan, np.nan
    cov = np.cov(c, e, ddof=1)
    var = max(cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1], 0.0) / (n * e.mean() ** 2)
    half = float(stats.t.ppf(0.975, n - 1) * np.sqrt(var))
    return r, r - half, r + half


#: How the cost-effectiveness interval is computed (stated beside every interval).
CE_INTERVAL = "ratio of means over replicates, 95% delta-method interval (t, R-1 df)"


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


def _moda_children(tables: dict, age_group: str) -> pd.DataFrame:
    s = tables["moda_summary"]
    d = s[(s["by"] == "all") & (s["measure"] == "H") & (s["age_group"] == age_group)]
    return d[["replicate", "year", "value", "n"]]


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
    out["adult_poor_relative_cases"] = g["adult_poor_relative"].sum()
    return out


def _costs(tables: dict, rate: float, start: int) -> tuple[pd.Series, pd.Series]:
    c = tables.get("costs")
    if c is None or c.empty:
        return None, None
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
    d = (alt - base).to_numpy(dtype=float)
    r = len(d)
    mean = float(d.mean()) if r else np.nan
    if r >= 2 and np.std(d, ddof=1) > 0:
        half = float(stats.t.ppf(0.975, r - 1) * np.std(d, ddof=1) / np.sqrt(r))
        lo, hi = mean - half, mean + half
    elif r >= 2:
        lo = hi = mean
    else:
        lo = hi = np.nan
    return float(base.mean()), float(alt.mean()), mean, lo, hi, r


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
        for tab, m in (("income_poverty", "income_poverty_rate"),
                       ("income_poverty", "child_income_poverty_rate"),
                       ("stunting", "stunting_prevalence")):
            _summ(m, f"{label} ({year})", replicate_values(bt[tab], m, year), replicate_values(at[tab], m, year),
                  rows, s.name)
    # per generation of the children
    for tabs, _key in ((bt, "base"), (at, "alt")):
        g = tabs["moda_summary"]
        g = g[(g["by"] == "generation") & (g["measure"] == "H")].copy()
        g["wv"] = g["value"] * g["n"]
        tabs["_gen"] = g.groupby(["replicate", "age_group", "group"])[["wv", "n"]].sum()
    bg, ag_ = bt.pop("_gen"), at.pop("_gen")
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
    b_tot, b_disc = _costs(bt, rate, start)
    a_tot, a_disc = _costs(at, rate, start)
    zero = pd.Series(0.0, index=sorted(at["population"]["replicate"].unique()))
    _summ("cost_rmb", "total", b_tot if b_tot is not None else zero,
          a_tot if a_tot is not None else zero, rows, s.name)
    _summ("cost_discounted_rmb", f"discounted to {start} at {rate:.0%}",
          b_disc if b_disc is not None else zero, a_disc if a_disc is not None else zero, rows,
          s.name)
    cols = ["scenario", "measure", "when", "base_mean", "alt_mean", "diff_mean", "ci_lo", "ci_hi",
            "replicates"]
    return pd.DataFrame(rows, columns=cols)


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


def cost_effectiveness(base: RunResult, alt: RunResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Incremental cost per outcome averted (ratio of means over replicates with a 95%
    delta-method interval, :func:`ratio_of_means`), and the per-replicate (cost,
    child-years averted) points."""
    s = alt.scenario
    start, end = s.time.start_year, programme_end(s)
    rate = s.budget.discount_rate
    reps = sorted(alt.tables["population"]["replicate"].unique())
    _b_tot, b_disc = _costs(base.tables, rate, start)
    _a_tot, a_disc = _costs(alt.tables, rate, start)
    inc = (a_disc if a_disc is not None else pd.Series(0.0, index=reps)).reindex(reps).fillna(0) - (
        b_disc if b_disc is not None else pd.Series(0.0, index=reps)).reindex(reps).fillna(0)
    # child-years of multidimensional deprivation averted (discounted)
    cy = pd.Series(0.0, index=reps)
    lifted = pd.Series(0.0, index=reps)
    for ag in ("0-5", "6-17"):
        b = _moda_children(base.tables, ag).set_index(["replicate", "year"])
        a = _moda_children(alt.tables, ag).set_index(["replicate", "year"])
        j = a.add_suffix("_a").join(b.add_suffix("_b"), how="inner")
        j = j[j.index.get_level_values("year") > start]
        yrs = j.index.get_level_values("year").to_numpy()
        averted = (j["value_b"] - j["value_a"]) * j["n_a"] / (1.0 + rate) ** (yrs - start)
        cy = cy.add(averted.groupby(level="replicate").sum(), fill_value=0.0)
        t5 = j[j.index.get_level_values("year") == start + 5]
        lifted = lifted.add(((t5["value_b"] - t5["value_a"]) * t5["n_a"]).groupby(
            level="replicate").sum(), fill_value=0.0)
    bc = _cohort_outcomes(base.tables, (start - 17, end))
    ac = _cohort_outcomes(alt.tables, (start - 17, end))
    adult = (bc.get("adult_poor_relative_cases", pd.Series(0.0, index=reps)).reindex(reps)
             .fillna(0) - ac.get("adult_poor_relative_cases", pd.Series(0.0, index=reps))
             .reindex(reps).fillna(0))
    rows = []
    points = pd.DataFrame({"scenario": s.name, "replicate": reps, "cost": inc.to_numpy(),
                           "effect": cy.reindex(reps).fillna(0.0).to_numpy()})
    for name, eff in (("per child-year of multidimensional deprivation averted", cy),
                      ("per child lifted out of MODA poverty (+5 years)", lifted),
                      ("per adult relative-poverty case averted (treated cohorts)", adult)):
        eff = eff.reindex(reps).fillna(0.0)
        icer, lo, hi = ratio_of_means(inc.to_numpy(), eff.to_numpy())
        rows.append((s.name, name, float(inc.mean()), float(eff.mean()), icer, lo, hi, CE_INTERVAL, len(reps),
                     int((eff <= 0).sum())))
    table = pd.DataFrame(rows, columns=[
        "scenario", "ratio", "incremental_cost_discounted_rmb", "outcome_averted", "rmb_per_unit",
        "ci_lo", "ci_hi", "interval", "replicates", "replicates_no_benefit"])
    return table, points


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
        res = run_scenario(s, replicates=replicates, seed=seed, workers=workers, progress=cb,
                           keep_lineage=True)
        return res

    b = run(base)
    alts = [run(a) for a in alternatives]
    diffs = pd.concat([pd.concat([paired_differences(b, a), treated_cohort_effects(b, a)],
                                 ignore_index=True) for a in alts], ignore_index=True)
    ces = [cost_effectiveness(b, a) for a in alts]
    ce = pd.concat([c[0] for c in ces], ignore_index=True)
    pts = pd.concat([c[1] for c in ces], ignore_index=True)
    return CompareResult(base=b, alternatives=alts, differences=diffs, cost_effectiveness=ce,
                         ce_points=pts)


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
