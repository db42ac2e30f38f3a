"""MODA figures: deprivation by dimension, number of deprivations, income overlap.

Each function takes the MODA tables of :func:`povsim.moda.moda_tables` (optionally with
``year`` and ``replicate`` columns, as a run writes them) and returns a Figure.  When a
table spans several years, ``year`` picks one (default: the first).  Bars are hatched as
well as coloured, so they stay distinguishable in greyscale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from povsim.plots.trajectories import HATCHES, OKABE_ITO, add_footer, subgroup_suffix


def _pick(df: pd.DataFrame, year: int | None, by: str = "all",
          group: str = "all") -> tuple[pd.DataFrame, int | None]:
    df = df[df["by"] == by]
    if by != "all":
        df = df[df["group"].astype(str) == str(group)]
    if "year" in df.columns:
        y = int(df["year"].min()) if year is None else int(year)
        df = df[df["year"] == y]
        return df, y
    return df, None


def _mean(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Mean over replicates (if any) of ``value`` by ``keys``."""
    return df.groupby(keys, sort=False, as_index=False)["value"].mean()


def _finish(fig: Figure, ax, title: str, year: int | None, provenance: str | None) -> Figure:
    ax.set_title(title + (f", {year}" if year is not None else ""), fontsize=11)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.grid(axis="y", color="0.85", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    return add_footer(fig, provenance)


def plot_dimension_headcounts(dimensions: pd.DataFrame, *, year: int | None = None,
                              censored: bool = False, by: str = "all", group: str = "all",
                              provenance: str | None = None) -> Figure:
    """Share of children deprived in each dimension, one bar group per age group (of all
    children, or of the subgroup ``by``/``group``, e.g. ``by="sex", group="female"``)."""
    measure = "censored_headcount" if censored else "uncensored_headcount"
    df, y = _pick(dimensions, year, by, group)
    df = _mean(df[df["measure"] == measure], ["age_group", "dimension"])
    ages = list(dict.fromkeys(df["age_group"]))
    dims = list(dict.fromkeys(df["dimension"]))
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(len(ages), 1)
    x = np.arange(len(dims))
    for i, ag in enumerate(ages):
        vals = df[df["age_group"] == ag].set_index("dimension")["value"].reindex(dims)
        ax.bar(x + i * width - 0.4 + width / 2, vals.to_numpy(), width,
               color=OKABE_ITO[(i + 1) % len(OKABE_ITO)], edgecolor="black", linewidth=0.5,
               hatch=HATCHES[i % len(HATCHES)], label=f"ages {ag}")
    ax.set_xticks(x, [d.replace("_", " ") for d in dims], rotation=30, ha="right")
    ax.set_ylabel("Share of children deprived (%)")
    ax.set_ylim(0, 1)
    ax.legend(frameon=False, fontsize=8)
    kind = "censored (MODA-poor only)" if censored else "uncensored"
    return _finish(fig, ax, f"Deprivation by dimension, {kind}{subgroup_suffix(by, group)}", y, provenance)


def plot_deprivation_distribution(distribution: pd.DataFrame, *, year: int | None = None,
                                  by: str = "all", group: str = "all",
                                  provenance: str | None = None) -> Figure:
    """Distribution of the number of dimensions a child is deprived in (all children, or
    the subgroup ``by``/``group``)."""
    df, y = _pick(distribution, year, by, group)
    df = _mean(df[df["measure"] == "deprivation_count_share"], ["age_group", "dimension"])
    ages = list(dict.fromkeys(df["age_group"]))
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    width = 0.8 / max(len(ages), 1)
    for i, ag in enumerate(ages):
        d = df[df["age_group"] == ag]
        j = d["dimension"].astype(int).to_numpy()
        ax.bar(j + i * width - 0.4 + width / 2, d["value"].to_numpy(), width,
               color=OKABE_ITO[(i + 1) % len(OKABE_ITO)], edgecolor="black", linewidth=0.5,
               hatch=HATCHES[i % len(HATCHES)], label=f"ages {ag}")
    ax.set_xlabel("Number of dimensions deprived")
    ax.set_ylabel("Share of children (%)")
    ax.legend(frameon=False, fontsize=8)
    return _finish(fig, ax, f"Number of deprivations per child{subgroup_suffix(by, group)}", y, provenance)


def plot_income_overlap(income: pd.DataFrame, *, year: int | None = None,
                        by: str = "all", group: str = "all",
                        provenance: str | None = None) -> Figure:
    """Stacked shares: MODA-deprived and income-poor, deprived only, poor only, neither (all
    children, or the subgroup ``by``/``group``)."""
    parts = ["deprived_and_poor", "deprived_only", "poor_only", "neither"]
    labels = ["deprived and income-poor", "deprived only", "income-poor only", "neither"]
    df, y = _pick(income, year, by, group)
    df = _mean(df[df["measure"].isin(parts)], ["age_group", "measure"])
    ages = list(dict.fromkeys(df["age_group"]))
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax = fig.subplots()
    left = np.zeros(len(ages))
    for i, (p, lab) in enumerate(zip(parts, labels, strict=True)):
        vals = np.array([df[(df["age_group"] == a) & (df["measure"] == p)]["value"].sum()
                         for a in ages])
        ax.barh(ages, vals, left=left, color=OKABE_ITO[(i + 1) % len(OKABE_ITO)],
                edgecolor="black", linewidth=0.5, hatch=HATCHES[i], label=lab)
        left += vals
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Share of children (%)")
    ax.set_ylabel("Age group")
    ax.legend(frameon=False, fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_title("MODA deprivation and income poverty" + subgroup_suffix(by, group) + (f", {y}" if y else ""),
                 fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    return add_footer(fig, provenance)


def moda_figures(tables: dict[str, pd.DataFrame], *, provenance: str | None = None) -> dict[str, Figure]:
    """All MODA figures that the tables (``moda_dimensions``, ``moda_distribution``,
    ``moda_income``) allow, by file stem; each in the tables' first year."""
    out: dict[str, Figure] = {}
    dims = tables.get("moda_dimensions")
    if dims is not None and not dims.empty:
        out["moda_dimensions"] = plot_dimension_headcounts(dims, provenance=provenance)
        out["moda_dimensions_censored"] = plot_dimension_headcounts(dims, censored=True, provenance=provenance)
    dist = tables.get("moda_distribution")
    if dist is not None and not dist.empty:
        out["moda_distribution"] = plot_deprivation_distribution(dist, provenance=provenance)
    inc = tables.get("moda_income")
    if inc is not None and not inc.empty:
        out["moda_income_overlap"] = plot_income_overlap(inc, provenance=provenance)
    return out
