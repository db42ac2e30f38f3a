"""Figures of a batch: headline trajectories by scenario across all runs of the design.

The band spans the runs of a scenario (parameter points x seeds), so it shows the spread
the design's parameter uncertainty and seed noise produce together.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from povsim.plots.compare import plot_scenario_trajectories

#: (table, measure, title) drawn when the batch kept the table
BATCH_FIGURES = (
    ("moda", "moda_headcount_rate_0_5", "MODA multidimensional poverty H, ages 0-5 (all runs)"),
    ("moda", "moda_headcount_rate_6_17", "MODA multidimensional poverty H, ages 6-17 (all runs)"),
    ("income_poverty", "child_income_poverty_rate", "Income poverty, children 0-17 (all runs)"),
    ("stunting", "stunting_prevalence", "Stunting, under 5 (all runs)"),
)


def plot_batch_trajectory(collected: pd.DataFrame, table: str, measure: str, *, title: str | None = None,
                          provenance: str | None = None) -> Figure:
    """One measure over the years by scenario, the band over all runs of each scenario.

    Parameters
    ----------
    collected
        Rows of a collected table (``run_key, scenario, ..., year, by, group, measure, value``);
        the rows with ``by == "all"`` and ``measure`` are drawn.
    table, measure
        The table's name and the measure drawn.
    """
    df = collected[(collected["measure"] == measure) & (collected["by"] == "all")]
    by_scenario = {}
    for name, d in df.groupby("scenario", sort=False):
        d = d.copy()
        d["replicate"] = pd.factorize(d["run_key"])[0]  # each run is one member of the band
        by_scenario[str(name)] = {table: d}
    return plot_scenario_trajectories(by_scenario, table, measure, title=title, provenance=provenance)


def batch_figures(tables_dir: str | Path, *, provenance: str | None = None) -> dict[str, Figure]:
    """Figures from a batch's collected ``tables/*.csv`` (by file stem)."""
    tables_dir = Path(tables_dir)
    out: dict[str, Figure] = {}
    for table, measure, title in BATCH_FIGURES:
        f = tables_dir / f"{table}.csv"
        if not f.exists():
            continue
        df = pd.read_csv(f)
        if df[(df["measure"] == measure) & (df["by"] == "all")].empty:
            continue
        out[measure] = plot_batch_trajectory(df, table, measure, title=title, provenance=provenance)
    return out
