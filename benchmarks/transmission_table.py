"""The measurement table of issue 14 (intergenerational transmission), re-measured from a run.

Usage::

    povsim run scenarios/baseline.toml --replicates 2 --out results/base
    python benchmarks/transmission_table.py results/base

Reads the run's tables (mean over replicates) and prints one Markdown row per measure of
the issue's table, with the target or sourced figure beside it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {f.stem: pd.read_csv(f) for f in (folder / "tables").glob("*.csv")}


def _yearly(t: dict, table: str, measure: str, year: int, by: str = "all", group: str = "all") -> float:
    for name in (table, f"history_{table}"):
        d = t.get(name)
        if d is None:
            continue
        d = d[(d["measure"] == measure) & (d["year"] == year)]
        if "by" in d:
            d = d[(d["by"] == by) & (d["group"] == group)]
        if len(d):
            return float(d["value"].mean())
    return float("nan")


def _mob(t: dict, measure: str) -> float:
    d = t["mobility"]
    return float(d.loc[d["measure"] == measure, "value"].mean())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    a = ap.parse_args(argv)
    t = _tables(a.folder)
    sc = t["schooling_by_cohort"]
    sen9094 = float(sc[(sc["by"] == "birth_cohort") & (sc["group"] == "1990-1994")
                       & (sc["measure"] == "senior_high_completion_share")]["value"].mean())
    rows = [
        ("IGE pooled over cohorts (`ige_pooled`, labelled)", _mob(t, "ige_pooled"), "not comparable: pooled"),
        ("IGE within 5-year birth cohorts, all cohorts", _mob(t, "ige_within_cohort"), ""),
        ("IGE within cohorts, born 1970-1989", _mob(t, "ige_within_cohort_1970_1989"),
         "0.39-0.44 (Fan, Yi & Zhang 2021); target 0.44 +- 0.10"),
        ("schooling slope, pooled / within cohort (1970-1989)",
         f"{_mob(t, 'schooling_slope_pooled'):.2f} / {_mob(t, 'schooling_slope_within_cohort_1970_1989'):.2f}",
         "0.33-0.37 (Fan, Yi & Zhang 2013)"),
        ("rank-rank slope within cohorts, 1970-1989", _mob(t, "rank_rank_within_cohort_1970_1989"),
         "held out: 0.35-0.65"),
        ("quintile transition matrix, mean diagonal (1970-1989)",
         _mob(t, "transition_mean_diagonal_1970_1989"), "0.28-0.40 (copula stand-in)"),
        ("P(child top \\| parent top) - P(child top \\| parent bottom), 1970-1989",
         _mob(t, "top_top_minus_top_bottom_1970_1989"), "+28 to +55 pp (copula stand-in)"),
        ("senior-high completion, 1990-94 cohort", sen9094, "0.20 +- 0.05 (held out; poor-county stand-in 0.15-0.25)"),
    ]
    pov = [_yearly(t, "income_poverty", "income_poverty_rate", y) for y in range(2014, 2021)]
    rows.append(("income poverty 2014..2020 (absolute line)", " ".join(f"{100 * v:.1f}" for v in pov),
                 "poverty blocks ~17.6, 14.0, 11.0, 7.9, 4.3, 1.35 (2014-2019)"))
    rows.append(("income poverty 2030 / 2040 / 2074; relative (40% median) 2030",
                 f"{100 * _yearly(t, 'income_poverty', 'income_poverty_rate', 2030):.1f} / "
                 f"{100 * _yearly(t, 'income_poverty', 'income_poverty_rate', 2040):.1f} / "
                 f"{100 * _yearly(t, 'income_poverty', 'income_poverty_rate', 2074):.1f}; "
                 f"{100 * _yearly(t, 'income_poverty', 'relative_poverty_rate_40', 2030):.1f}", ""))
    rows.append(("share of the poor aged 65+, 2040",
                 _yearly(t, "income_poverty", "poor_aged_65plus_share", 2040), ""))
    rows.append(("adult (18-64) absolute poverty, 2040",
                 _yearly(t, "income_poverty", "adult_income_poverty_rate", 2040), ""))
    hc = [(y, [_yearly(t, "household_composition", f"{k}_share", y) for k in
               ("one_generation", "two_generation", "three_plus_generation")]) for y in (2005, 2010, 2014, 2020, 2030)]
    rows.append(("households by generations (1 / 2 / 3+), 2005, 2010, 2014, 2020, 2030",
                 "; ".join(f"{y}: " + "/".join(f"{100 * v:.0f}" for v in vs) for y, vs in hc),
                 "rural Hubei 2005: 28/51/22 (NBS 1% survey)"))
    rows.append(("women 45-49 in 2014: completed fertility / childless",
                 f"{_yearly(t, 'demography', 'completed_fertility_45_49', 2014):.2f} / "
                 f"{100 * _yearly(t, 'demography', 'childless_45_49', 2014):.1f}%", "~2.0 / 1-2%"))
    e0 = np.nanmean([_yearly(t, "demography", "life_expectancy", y) for y in range(2008, 2013)])
    afb = np.nanmean([_yearly(t, "demography", "mean_age_first_birth", y) for y in range(2008, 2013)])
    rows.append(("life expectancy at birth (2008-2012); mean age at first birth (2008-2012); both parents away (2010)",
                 f"{e0:.1f}; {afb:.1f}; {100 * _yearly(t, 'left_behind', 'both_parents_away_share', 2010):.1f}%",
                 "73 (national 74.8); ~25; 17.6%"))
    print("| measure | model | sourced figure or target |")
    print("|---|---|---|")
    for name, v, ref in rows:
        vv = f"{v:.3f}" if isinstance(v, float) else str(v)
        print(f"| {name} | {vv} | {ref} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
