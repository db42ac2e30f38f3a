"""Intergenerational mobility measured the way the literature measures it.

Every person who ever lived (alive or archived) carries lifetime records
(:mod:`povsim.processes.earnings`): the years of childhood (0-17) observed, those spent in
an income-poor household and the sum of log household income per capita over them; log
household income per capita at 30-45; log own earnings at 30-40 in years with earnings;
completed schooling.  Parent-child pairs are linked by the mother and father ids.

Estimators (the definition is written beside each number, in the ``definition`` column
of ``mobility``):

* **IGE** (intergenerational income elasticity): OLS slope of the child's own adult
  earnings -- mean log earnings at ages 30-40, at least 5 years with earnings, whether or
  not the child still lives with the parents -- on the income of the household the child
  grew up in -- mean log income per capita over the child's observed childhood (0-17), at
  least 8 years -- **within 5-year birth cohorts** (cohort fixed effects; Solon 1992).  The
  ``_pooled`` variants regress across all cohorts without fixed effects: decades of
  income growth make a later cohort richer than its parents' for everyone, which
  inflates them; they are kept, labelled, for comparison only.
* **Rank-rank slope**: the same pairs, percentile ranks of the parents' income within
  birth cohort and of the child's earnings within birth cohort and sex (own earnings
  differ by sex; a pooled rank would mix the two distributions), Chetty et al. (2014).
  The IGE's cohort fixed effects are likewise by cohort and sex.
* **Schooling slope**: child's years of schooling (aged 25+) on the mean of the parents'
  years, within birth cohorts.
* **Quintile transition matrix** of within-cohort ranks (``mobility_transition``), its
  mean diagonal, ``P(child top | parent top) - P(child top | parent bottom)``, upward
  mobility from the bottom quintile and the expected child rank at the parents' 25th
  percentile; a **rank-rank binned scatter** (``mobility_rank_bins``, 20 bins).
* **Grandparent terms**: the coefficient on the grandparents' mean log adult household
  income (30-45) in a regression of the child's earnings on parents' and grandparents'
  income, within cohorts; likewise for schooling (Zeng & Xie 2014 find co-resident
  grandparents' schooling matters as much as parents').
* By cohort (``mobility_cohorts``), by sex of the child, county and arm of the village
  the child was born in (``mobility_groups``).
* Childhood income poverty (poor in at least half of the childhood years) against adult
  poverty, absolute and relative (below half the cohort median), as before.

Headline values are given for all cohorts with data and for the cohorts born 1970-1989,
those of the published China estimates (Fan, Yi & Zhang 2021: 0.390 for 1970-80, 0.442
for 1981-88).

References
----------
Solon, G. (1992). Intergenerational income mobility in the United States. AER 82(3):393.
Chetty, R., Hendren, N., Kline, P., & Saez, E. (2014). Where is the land of opportunity?
QJE 129(4):1553-1623.
Fan, Y., Yi, J., & Zhang, J. (2021). Rising intergenerational income persistence in
China. AEJ: Economic Policy 13(1):202-230.
Zeng, Z., & Xie, Y. (2014). The effects of grandparents on children's schooling: evidence
from rural China. Demography 51(2):599-617.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from povsim.outcomes import tidy
from povsim.state import World

#: Birth cohorts of the published China estimates (Fan, Yi & Zhang 2021)
SOURCE_COHORTS = (1970, 1989)
#: The end-of-run tables :func:`mobility_tables` writes
MOBILITY_TABLES = ("mobility", "mobility_cohorts", "mobility_groups", "mobility_transition",
                   "mobility_rank_bins")
#: Minimum years observed for the parents' childhood income and the child's earnings
MIN_CHILD_YEARS = 8
MIN_EARN_YEARS = 5

_DEF_IGE = ("slope of mean log own earnings at 30-40 (>= 5 years) on mean log household "
            "income per capita over the child's childhood (>= 8 years)")
_DEF_RANK = ("slope of percentile ranks of the same pairs (parents within birth cohort, child "
             "within birth cohort and sex)")
_DEF_SCHOOL = "slope of years of schooling (aged 25+) on the parents' mean years"


def lineage_records(world: World) -> pd.DataFrame:
    """One row per person who ever lived, with lifetime records."""
    P = world.P
    arc = world.archived()
    cols = ("id", "mother", "father", "sex", "birth_year", "generation", "school_years",
            "child_poor_years", "child_years_observed", "child_log_income_sum",
            "adult_log_income_sum", "adult_income_years", "adult_log_earn_sum",
            "adult_earn_years", "origin_village")
    data = {c: np.concatenate([np.asarray(P[c]), np.asarray(arc[c])]) for c in cols}
    df = pd.DataFrame(data)
    n_arc = len(arc["id"])
    df["alive"] = np.concatenate([np.ones(P.n, bool), np.zeros(n_arc, bool)])
    df["school_done"] = np.concatenate([P.school_done, np.ones(n_arc, bool)])
    death = np.concatenate([np.full(P.n, world.year + 1), arc["death_year"]]).astype(np.int64)
    df["age_reached"] = np.minimum(death - 1, world.year) - df["birth_year"].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        df["child_poor_share"] = df["child_poor_years"] / df["child_years_observed"]
        df["child_log_income"] = df["child_log_income_sum"] / df["child_years_observed"]
        df["adult_log_income"] = df["adult_log_income_sum"] / df["adult_income_years"]
        df["adult_log_earnings"] = df["adult_log_earn_sum"] / df["adult_earn_years"]
    df.loc[df["adult_income_years"] < 5, "adult_log_income"] = np.nan
    df.loc[df["adult_earn_years"] < MIN_EARN_YEARS, "adult_log_earnings"] = np.nan
    df.loc[df["child_years_observed"] < 18, "child_poor_share"] = np.nan
    df.loc[df["child_years_observed"] < MIN_CHILD_YEARS, "child_log_income"] = np.nan
    df["cohort"] = (df["birth_year"].astype(np.int64) // 5) * 5
    return df


def _with_parents(rec: pd.DataFrame) -> pd.DataFrame:
    """Children joined with the mean of their known parents' and grandparents' records."""
    base = rec.set_index("id")
    par = base[["adult_log_income", "school_years", "child_poor_share", "school_done",
                "mother", "father"]]
    out = rec.copy()
    gp_inc, gp_school = [], []
    for who in ("mother", "father"):
        j = par.reindex(out[who].to_numpy())
        out[f"{who}_log_income"] = j["adult_log_income"].to_numpy()
        out[f"{who}_school"] = np.where(j["school_done"].fillna(False).to_numpy(dtype=bool),
                                        j["school_years"].to_numpy(), np.nan)
        for gp in ("mother", "father"):
            g = par.reindex(j[gp].to_numpy())
            gp_inc.append(g["adult_log_income"].to_numpy())
            gp_school.append(np.where(g["school_done"].fillna(False).to_numpy(dtype=bool),
                                      g["school_years"].to_numpy(), np.nan))
    out["parent_log_income"] = out[["mother_log_income", "father_log_income"]].mean(axis=1)
    out["parent_school"] = out[["mother_school", "father_school"]].mean(axis=1)
    with warnings.catch_warnings():  # persons with no known grandparent: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        out["grandparent_log_income"] = np.nanmean(np.vstack(gp_inc), axis=0)
        out["grandparent_school"] = np.nanmean(np.vstack(gp_school), axis=0)
    return out


def _ols_slope(x: np.ndarray, y: np.ndarray) -> tuple[float, float, int]:
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = len(x)
    if n < 3 or np.var(x) == 0:
        return np.nan, np.nan, n
    xc = x - x.mean()
    b = float((xc * (y - y.mean())).sum() / (xc**2).sum())
    resid = y - y.mean() - b * xc
    se = float(np.sqrt((resid**2).sum() / (n - 2) / (xc**2).sum()))
    return b, se, n


def within_cohort_slope(x: np.ndarray, y: np.ndarray, cohort: np.ndarray,
                        z: np.ndarray | None = None) -> dict[str, float]:
    """OLS of ``y`` on ``x`` (and ``z``) with cohort fixed effects: both demeaned within
    cohort.  Returns the slope of ``x`` (``b``, ``se``; with ``z`` also ``b_z``,
    ``se_z``), ``n``, and ``sxy``/``sxx`` (the slope's numerator and denominator)."""
    ok = np.isfinite(x) & np.isfinite(y)
    if z is not None:
        ok &= np.isfinite(z)
    x, y, c = x[ok], y[ok], cohort[ok]
    n = len(x)
    out = {"b": np.nan, "se": np.nan, "n": n, "sxy": np.nan, "sxx": np.nan}
    if z is not None:
        out.update(b_z=np.nan, se_z=np.nan)
    if n < 10:
        return out
    keys, inv = np.unique(c, return_inverse=True)
    k = len(keys)

    def demean(v):
        m = np.bincount(inv, weights=v, minlength=k) / np.bincount(inv, minlength=k)
        return v - m[inv]

    xd, yd = demean(x.astype(float)), demean(y.astype(float))
    if z is None:
        sxx = float((xd * xd).sum())
        if sxx <= 0:
            return out
        sxy = float((xd * yd).sum())
        b = sxy / sxx
        resid = yd - b * xd
        dof = max(n - k - 1, 1)
        out.update(b=b, se=float(np.sqrt((resid**2).sum() / dof / sxx)), sxy=sxy, sxx=sxx)
        return out
    zd = demean(z[ok].astype(float))
    X = np.column_stack([xd, zd])
    xtx = X.T @ X
    if np.linalg.matrix_rank(xtx) < 2:
        return out
    beta = np.linalg.solve(xtx, X.T @ yd)
    resid = yd - X @ beta
    dof = max(n - k - 2, 1)
    cov = np.linalg.inv(xtx) * (resid**2).sum() / dof
    out.update(b=float(beta[0]), se=float(np.sqrt(cov[0, 0])), b_z=float(beta[1]),
               se_z=float(np.sqrt(cov[1, 1])))
    return out


def _pairs(rec: pd.DataFrame) -> pd.DataFrame:
    """Parent-child income pairs with within-cohort percentile ranks."""
    ok = rec["child_log_income"].notna() & rec["adult_log_earnings"].notna()
    d = rec.loc[ok, ["id", "sex", "cohort", "birth_year", "origin_village", "child_log_income",
                     "adult_log_earnings", "grandparent_log_income"]].copy()
    d["parent_rank"] = d.groupby("cohort")["child_log_income"].rank(pct=True)
    d["child_rank"] = d.groupby(["cohort", "sex"])["adult_log_earnings"].rank(pct=True)
    # fixed-effect cells of the within-cohort estimators: birth cohort x sex
    d["cell"] = d["cohort"].to_numpy() * 2 + d["sex"].to_numpy()
    return d


def _in_source_cohorts(d: pd.DataFrame) -> pd.Series:
    return (d["birth_year"] >= SOURCE_COHORTS[0]) & (d["birth_year"] <= SOURCE_COHORTS[1])


def _quintile_counts(d: pd.DataFrame) -> np.ndarray:
    """5x5 counts of pairs: row = parent quintile, column = child quintile (within-cohort ranks)."""
    pq = np.minimum((d["parent_rank"].to_numpy() * 5).astype(int), 4)
    cq = np.minimum((d["child_rank"].to_numpy() * 5).astype(int), 4)
    m = np.zeros((5, 5))
    np.add.at(m, (pq, cq), 1.0)
    return m


def transition(d: pd.DataFrame) -> np.ndarray:
    """5x5 shares: row = parent quintile, column = child quintile (within-cohort ranks)."""
    m = _quintile_counts(d)
    with np.errstate(invalid="ignore"):
        return m / m.sum(axis=1, keepdims=True)


def _summaries(d: pd.DataFrame, tag: str) -> list[tuple]:
    """IGE, rank-rank, transition summaries and grandparent term of one sample."""
    rows = []
    c = d["cell"].to_numpy()
    r = within_cohort_slope(d["child_log_income"].to_numpy(), d["adult_log_earnings"].to_numpy(), c)
    rows.append((f"ige_within_cohort{tag}", r["b"], r["se"], r["n"], _DEF_IGE + ", within 5-year "
                 "birth cohorts (fixed effects of cohort x sex)"))
    r = within_cohort_slope(d["parent_rank"].to_numpy(), d["child_rank"].to_numpy(), c)
    rows.append((f"rank_rank_within_cohort{tag}", r["b"], r["se"], r["n"], _DEF_RANK))
    n = len(d)
    m = transition(d) if n >= 25 else np.full((5, 5), np.nan)
    se = lambda p, k: float(np.sqrt(p * (1 - p) / max(k, 1)))  # noqa: E731
    k5 = n / 5
    rows += [
        (f"transition_mean_diagonal{tag}", float(np.trace(m) / 5), np.nan, n,
         "mean of P(child quintile = parent quintile), ranks as for the rank-rank slope"),
        (f"p_top_given_top{tag}", m[4, 4], se(m[4, 4], k5), n, "P(child Q5 | parent Q5)"),
        (f"p_top_given_bottom{tag}", m[0, 4], se(m[0, 4], k5), n,
         "P(child Q5 | parent Q1): upward mobility from the bottom quintile"),
        (f"p_bottom_given_bottom{tag}", m[0, 0], se(m[0, 0], k5), n, "P(child Q1 | parent Q1)"),
        (f"top_top_minus_top_bottom{tag}", m[4, 4] - m[0, 4],
         float(np.hypot(se(m[4, 4], k5), se(m[0, 4], k5))), n,
         "P(child Q5 | parent Q5) - P(child Q5 | parent Q1)"),
    ]
    low = (d["parent_rank"] <= 0.5).to_numpy()
    b, _, _ = _ols_slope(d["parent_rank"].to_numpy()[low], d["child_rank"].to_numpy()[low])
    p25 = (float(d["child_rank"].to_numpy()[low].mean() - b * d["parent_rank"].to_numpy()[low].mean())
           + b * 0.25) if low.sum() >= 3 else np.nan
    rows.append((f"expected_rank_at_p25{tag}", p25, np.nan, int(low.sum()),
                 "expected child rank at the parents' 25th percentile (fit over the bottom half)"))
    g = within_cohort_slope(d["child_log_income"].to_numpy(), d["adult_log_earnings"].to_numpy(),
                            c, d["grandparent_log_income"].to_numpy())
    rows.append((f"grandparent_income_term{tag}", g.get("b_z", np.nan), g.get("se_z", np.nan), g["n"],
                 "coefficient on grandparents' mean log household income (30-45) given the "
                 "parents', within cohorts"))
    return rows


def mobility_tables(world: World, poverty_line: float) -> dict[str, pd.DataFrame]:
    """End-of-run mobility tables: ``mobility`` (headline, with SE, n and definition),
    ``mobility_cohorts``, ``mobility_groups``, ``mobility_transition`` and
    ``mobility_rank_bins`` (tidy)."""
    rec = _with_parents(lineage_records(world))
    cohort = rec["cohort"]
    rows: list[tuple] = []
    # transmission of poverty (persons with a full childhood and an adult income)
    full = rec["child_poor_share"].notna() & rec["adult_log_income"].notna()
    d = rec[full]
    child_poor = d["child_poor_share"] >= 0.5
    adult_abs = d["adult_log_income"] < np.log(poverty_line)
    med = d.groupby(cohort[full])["adult_log_income"].transform("median")
    adult_rel = d["adult_log_income"] < med + np.log(0.5)
    n = len(d)
    rows.append(("persons_with_childhood_and_adult_income", float(n), np.nan, n,
                 "persons with all 18 childhood years and 5+ years of household income at 30-45"))
    for label, adult in (("absolute", adult_abs), ("relative", adult_rel)):
        for cp in (True, False):
            sel = child_poor == cp
            k = int(sel.sum())
            p = float(adult[sel].mean()) if k else np.nan
            se = float(np.sqrt(p * (1 - p) / k)) if k else np.nan
            tag = "poor" if cp else "nonpoor"
            rows.append((f"p_adult_poor_{label}_given_child_{tag}", p, se, k,
                         f"adult household income (30-45) below the {label} line, by "
                         "childhood poverty (poor in half the childhood years or more)"))
    rows.append(("child_poverty_share", float(child_poor.mean()) if n else np.nan, np.nan, n,
                 "share poor in at least half of the childhood years"))
    # income mobility: within cohorts (all cohorts; the sources' cohorts) and pooled
    pairs = _pairs(rec)
    rows += _summaries(pairs, "")
    rows += _summaries(pairs[_in_source_cohorts(pairs)], "_1970_1989")
    b, se, k = _ols_slope(pairs["child_log_income"].to_numpy(), pairs["adult_log_earnings"].to_numpy())
    rows.append(("ige_pooled", b, se, k, _DEF_IGE + ", POOLED over birth cohorts (inflated by "
                 "income growth; not comparable with published estimates)"))
    rk = pairs["child_log_income"].rank(pct=True).to_numpy()
    rc = pairs["adult_log_earnings"].rank(pct=True).to_numpy()
    b, se, k = _ols_slope(rk, rc)
    rows.append(("rank_rank_pooled", b, se, k, "rank-rank slope with ranks over all cohorts "
                 "POOLED (labelled: not within cohort)"))
    hh = rec["child_log_income"].notna() & rec["adult_log_income"].notna()
    r = within_cohort_slope(rec.loc[hh, "child_log_income"].to_numpy(),
                            rec.loc[hh, "adult_log_income"].to_numpy(), cohort[hh].to_numpy())
    rows.append(("ige_household_income_within_cohort", r["b"], r["se"], r["n"],
                 "slope of mean log household income per capita at 30-45 (the adult's own "
                 "household, which may still be the parents') on childhood household income, "
                 "within cohorts"))
    # schooling persistence (children with completed schooling, aged 25+)
    own = np.where(rec["school_done"], rec["school_years"], np.nan).astype(float)
    old = (rec["age_reached"] >= 25).to_numpy()
    ps = rec["parent_school"].to_numpy()
    coh = cohort.to_numpy()
    src = _in_source_cohorts(rec).to_numpy()
    for tag, sel in (("", old), ("_1970_1989", old & src)):
        r = within_cohort_slope(ps[sel], own[sel], coh[sel])
        rows.append((f"schooling_slope_within_cohort{tag}", r["b"], r["se"], r["n"],
                     _DEF_SCHOOL + ", within 5-year birth cohorts"))
    b, se, k = _ols_slope(ps[old], own[old])
    rows.append(("schooling_slope_pooled", b, se, k, _DEF_SCHOOL + ", POOLED over cohorts"))
    g = within_cohort_slope(ps[old], own[old], coh[old], rec["grandparent_school"].to_numpy()[old])
    rows.append(("grandparent_schooling_term", g.get("b_z", np.nan), g.get("se_z", np.nan), g["n"],
                 "coefficient on grandparents' mean schooling given the parents', within cohorts"))
    mobility = pd.DataFrame(rows, columns=["measure", "value", "se", "n", "definition"])
    return {"mobility": mobility, **_tidy_tables(world, rec, pairs, old)}


def _tidy_tables(world: World, rec: pd.DataFrame, pairs: pd.DataFrame,
                 old: np.ndarray) -> dict[str, pd.DataFrame]:
    yr = world.year
    geo = world.geo
    cohorts, groups, trans, bins = [], [], [], []

    def slopes(recs, by, label, d):
        c = d["cell"].to_numpy()
        for meas, x, y in (("ige", "child_log_income", "adult_log_earnings"),
                           ("rank_rank", "parent_rank", "child_rank")):
            r = within_cohort_slope(d[x].to_numpy(), d[y].to_numpy(), c)
            recs.append((yr, by, label, meas, r["sxy"], r["sxx"], r["b"]))
        recs.append((yr, by, label, "pairs", float(len(d)), np.nan, float(len(d))))

    for k, d in pairs.groupby("cohort"):
        slopes(cohorts, "birth_cohort", f"{k}-{k + 4}", d)
    ps = rec["parent_school"].to_numpy()
    own = np.where(rec["school_done"], rec["school_years"], np.nan).astype(float)
    coh = rec["cohort"].to_numpy()
    for k in np.unique(coh[old]):
        sel = old & (coh == k)
        r = within_cohort_slope(ps[sel], own[sel], coh[sel])
        cohorts.append((yr, "birth_cohort", f"{k}-{k + 4}", "schooling_slope", r["sxy"], r["sxx"],
                        r["b"]))
    v = pairs["origin_village"].to_numpy()
    known = v >= 0
    vv = np.where(known, v, 0)
    dims = {
        "sex": np.where(pairs["sex"].to_numpy() == 1, "male", "female"),
        "county": np.where(known, np.asarray(geo.counties, dtype=object)[geo.county[vv]], "unknown"),
        "arm": np.where(known, np.where(geo.pilot[vv], "pilot", "comparison"), "unknown"),
    }
    for by, lab in dims.items():
        for g in sorted(set(lab.tolist())):
            slopes(groups, by, g, pairs[lab == g])
    for sample, d in (("all_cohorts", pairs), ("cohorts_1970_1989", pairs[_in_source_cohorts(pairs)])):
        if len(d) < 25:
            continue
        counts = _quintile_counts(d)
        for i in range(5):
            for j in range(5):
                trans.append((yr, sample, str(i + 1), f"child_quintile_{j + 1}", counts[i, j],
                              counts[i].sum(), counts[i, j] / max(counts[i].sum(), 1)))
        pb = np.minimum((d["parent_rank"].to_numpy() * 20).astype(int), 19)
        cr = d["child_rank"].to_numpy()
        for i in range(20):
            sel = pb == i
            bins.append((yr, sample, str(i + 1), "mean_child_rank", float(cr[sel].sum()),
                         float(sel.sum()), float(cr[sel].mean()) if sel.any() else np.nan))
            bins.append((yr, sample, str(i + 1), "mean_parent_rank",
                         float(d["parent_rank"].to_numpy()[sel].sum()), float(sel.sum()),
                         float(d["parent_rank"].to_numpy()[sel].mean()) if sel.any() else np.nan))
    return {"mobility_cohorts": tidy(cohorts), "mobility_groups": tidy(groups),
            "mobility_transition": tidy(trans), "mobility_rank_bins": tidy(bins)}


def lineage_outcomes(world: World, poverty_line: float, born_from: int) -> pd.DataFrame:
    """Lifetime outcomes of persons born in ``born_from`` or later (for comparisons).

    Columns: ``id, birth_year, generation, child_poor_share, adult_log_income,
    adult_poor_absolute, adult_poor_relative, school_done, school_years, year_end``.
    Relative adult poverty: below half the median adult income of the 5-year birth cohort
    (all persons of the run with an adult income, any birth year).
    """
    rec = lineage_records(world)
    cohort = rec["cohort"]
    med = rec.groupby(cohort)["adult_log_income"].transform("median")
    rec["adult_poor_absolute"] = rec["adult_log_income"] < np.log(poverty_line)
    rec["adult_poor_relative"] = rec["adult_log_income"] < med + np.log(0.5)
    d = rec[rec["birth_year"] >= born_from]
    out = d[["id", "birth_year", "generation", "child_poor_share", "adult_log_income",
             "adult_poor_absolute", "adult_poor_relative", "school_done", "school_years"]].copy()
    out.loc[out["adult_log_income"].isna(), ["adult_poor_absolute", "adult_poor_relative"]] = False
    out["year_end"] = world.year
    return out.reset_index(drop=True)
