"""Intergenerational metrics from lineage: transmission of poverty, IGE, rank-rank, schooling.

Every person who ever lived (alive or archived) carries lifetime records: the share of
childhood years (0-17) spent in an income-poor household, mean log household income per
capita at ages 30-45, and completed schooling.  Parent-child pairs are linked by the
mother and father ids.

Measures
--------
* transition matrix of childhood income poverty (poor in at least half of the childhood
  years) to adult poverty -- absolute (adult income below the poverty line) and relative
  (below half the median adult income of the same 5-year birth cohort) -- and
  ``P(poor adult | poor child)``;
* intergenerational income elasticity (IGE): OLS slope of the child's adult log income on
  the parents' mean adult log income (Solon 1992, AER 82(3):393);
* rank-rank slope: OLS slope of the child's percentile rank on the parents' rank, within
  birth cohorts (Chetty et al. 2014, QJE 129(4):1553);
* parent-child schooling slope: OLS slope of the child's years of schooling on the mean
  of the parents' years.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from povsim.state import World


def lineage_records(world: World) -> pd.DataFrame:
    """One row per person who ever lived, with lifetime records."""
    P = world.P
    arc = world.archived()
    cols = ("id", "mother", "father", "birth_year", "generation", "school_years",
            "child_poor_years", "child_years_observed", "adult_log_income_sum",
            "adult_income_years")
    data = {c: np.concatenate([np.asarray(P[c]), np.asarray(arc[c])]) for c in cols}
    df = pd.DataFrame(data)
    df["alive"] = np.concatenate([np.ones(P.n, bool), np.zeros(len(arc["id"]), bool)])
    df["school_done"] = np.concatenate([P.school_done, np.ones(len(arc["id"]), bool)])
    with np.errstate(invalid="ignore", divide="ignore"):
        df["child_poor_share"] = df["child_poor_years"] / df["child_years_observed"]
        df["adult_log_income"] = df["adult_log_income_sum"] / df["adult_income_years"]
    df.loc[df["adult_income_years"] < 5, "adult_log_income"] = np.nan
    df.loc[df["child_years_observed"] < 18, "child_poor_share"] = np.nan
    return df


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


def _with_parents(rec: pd.DataFrame) -> pd.DataFrame:
    """Children joined with the mean of their known parents' records."""
    par = rec.set_index("id")[["adult_log_income", "school_years", "child_poor_share",
                               "school_done"]]
    out = rec.copy()
    for who in ("mother", "father"):
        j = par.reindex(out[who].to_numpy())
        out[f"{who}_log_income"] = j["adult_log_income"].to_numpy()
        out[f"{who}_school"] = np.where(j["school_done"].fillna(False).to_numpy(),
                                        j["school_years"].to_numpy(), np.nan)
    out["parent_log_income"] = out[["mother_log_income", "father_log_income"]].mean(axis=1)
    out["parent_school"] = out[["mother_school", "father_school"]].mean(axis=1)
    return out


def _pct_rank(v: pd.Series, group: pd.Series) -> pd.Series:
    return v.groupby(group).rank(pct=True)


def mobility_table(world: World, poverty_line: float) -> pd.DataFrame:
    """Tidy end-of-run mobility measures (``measure, value, se, n``)."""
    rec = _with_parents(lineage_records(world))
    cohort = (rec["birth_year"] // 5) * 5
    rows = []
    # transmission of poverty (persons with a full childhood and an adult income)
    full = rec["child_poor_share"].notna() & rec["adult_log_income"].notna()
    d = rec[full]
    child_poor = d["child_poor_share"] >= 0.5
    adult_abs = d["adult_log_income"] < np.log(poverty_line)
    med = d.groupby(cohort[full])["adult_log_income"].transform("median")
    adult_rel = d["adult_log_income"] < med + np.log(0.5)
    n = len(d)
    rows.append(("persons_with_childhood_and_adult_income", float(n), np.nan, n))
    for label, adult in (("absolute", adult_abs), ("relative", adult_rel)):
        for cp in (True, False):
            sel = child_poor == cp
            k = int(sel.sum())
            p = float(adult[sel].mean()) if k else np.nan
            se = float(np.sqrt(p * (1 - p) / k)) if k else np.nan
            tag = "poor" if cp else "nonpoor"
            rows.append((f"p_adult_poor_{label}_given_child_{tag}", p, se, k))
    rows.append(("child_poverty_share", float(child_poor.mean()) if n else np.nan, np.nan, n))
    # IGE and rank-rank slope
    b, se, k = _ols_slope(rec["parent_log_income"].to_numpy(), rec["adult_log_income"].to_numpy())
    rows.append(("ige", b, se, k))
    ok = rec["parent_log_income"].notna() & rec["adult_log_income"].notna()
    r = rec[ok]
    rc = _pct_rank(r["adult_log_income"], cohort[ok])
    rp = _pct_rank(r["parent_log_income"], cohort[ok])
    b, se, k = _ols_slope(rp.to_numpy(), rc.to_numpy())
    rows.append(("rank_rank_slope", b, se, k))
    # schooling persistence (children with completed schooling, aged 25+)
    own = np.where(rec["school_done"], rec["school_years"], np.nan).astype(float)
    old = (world.year - rec["birth_year"]) >= 25
    b, se, k = _ols_slope(rec["parent_school"].to_numpy()[old], own[old])
    rows.append(("schooling_slope", b, se, k))
    return pd.DataFrame(rows, columns=["measure", "value", "se", "n"])


def lineage_outcomes(world: World, poverty_line: float, born_from: int) -> pd.DataFrame:
    """Lifetime outcomes of persons born in ``born_from`` or later (for comparisons).

    Columns: ``id, birth_year, generation, child_poor_share, adult_log_income,
    adult_poor_absolute, adult_poor_relative, school_done, school_years, year_end``.
    Relative adult poverty: below half the median adult income of the 5-year birth cohort
    (all persons of the run with an adult income, any birth year).
    """
    rec = lineage_records(world)
    cohort = (rec["birth_year"] // 5) * 5
    med = rec.groupby(cohort)["adult_log_income"].transform("median")
    rec["adult_poor_absolute"] = rec["adult_log_income"] < np.log(poverty_line)
    rec["adult_poor_relative"] = rec["adult_log_income"] < med + np.log(0.5)
    d = rec[rec["birth_year"] >= born_from]
    out = d[["id", "birth_year", "generation", "child_poor_share", "adult_log_income",
             "adult_poor_absolute", "adult_poor_relative", "school_done", "school_years"]].copy()
    out.loc[out["adult_log_income"].isna(), ["adult_poor_absolute", "adult_poor_relative"]] = False
    out["year_end"] = world.year
    return out.reset_index(drop=True)
