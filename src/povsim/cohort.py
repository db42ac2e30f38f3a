"""Lifetime records of children, for effects on the treated cohort.

One row per person born in or after a given year (alive or dead): whether any
intervention reached them as a child (and first when), and their records at ages 2, 5,
10, 17 and 30-40 (:mod:`povsim.processes.growth`, :mod:`povsim.processes.development`):
stunting at 2, height-for-age z at 5, cognitive skill at 5, 10 and 17, completed
schooling, mean own log earnings at 30-40.  Records not reached by the end of the run are
missing (NaN), so the comparison reports each age only where the horizon allows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ("id", "birth_year", "stunted_ever", "haz_at5", "skill_at5", "skill_at10",
           "skill_at17", "school_years", "log_earnings_30_40", "earnings_years_30_40")


def child_records(model, born_from: int) -> pd.DataFrame:
    """Records of everyone born in ``born_from`` or later, with their treatment status in
    ``model``'s programme (``treated``, ``first_treated_year``; -1 if never)."""
    w = model.world
    P = w.P
    arc = w.archived()
    data = {c: np.concatenate([np.asarray(P[c]), np.asarray(arc[c])]) for c in COLUMNS}
    death = np.concatenate([np.full(P.n, -1), np.asarray(arc["death_year"])])
    done = np.concatenate([P.school_done, np.ones(len(arc["id"]), dtype=bool)])
    keep = data["birth_year"] >= born_from
    df = pd.DataFrame({c: v[keep] for c, v in data.items()})
    df["death_year"] = death[keep]
    df["school_done"] = done[keep]
    first = np.full(len(df), -1, dtype=np.int64)
    ids = df["id"].to_numpy()
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    for iv in model.interventions:
        for (year, _, _), kids in zip(iv.reach_log, iv.children_ids, strict=False):
            if not iv.effective(year) or len(kids) == 0:
                continue
            pos = np.clip(np.searchsorted(sorted_ids, kids), 0, max(len(sorted_ids) - 1, 0))
            hit = sorted_ids[pos] == kids
            rows = order[pos[hit]]
            first[rows] = np.where((first[rows] < 0) | (first[rows] > year), year, first[rows])
    df["treated"] = first >= 0
    df["first_treated_year"] = first
    with np.errstate(invalid="ignore", divide="ignore"):
        n = df["earnings_years_30_40"].to_numpy(dtype=float)
        df["log_earnings_30_40"] = np.where(n >= 5, df["log_earnings_30_40"] / n, np.nan)
    df["year_end"] = w.year
    return df.reset_index(drop=True)
