"""Comparison figures: paired differences with intervals, trajectories by scenario, and
the cost-effectiveness plane."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from povsim.plots.trajectories import HATCHES, LINESTYLES, OKABE_ITO, add_footer, shade_window, share_axis
from povsim.summary import is_share, measure_label

_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def plot_differences(differences: pd.DataFrame, *, when_contains: str = "+5 years",
                     provenance: str | None = None) -> Figure:
    """Paired differences (alternative - base) with 95% intervals, one row per measure."""
    d = differences[differences["when"].str.contains(when_contains, regex=False)
                    & differences["measure"].str.contains("rate|prevalence|M0")]
    measures = list(dict.fromkeys(d["measure"]))
    scenarios = list(dict.fromkeys(d["scenario"]))
    fig = Figure(figsize=(8, 0.45 * max(len(measures), 3) * max(len(scenarios), 1) ** 0.5 + 1.5),
                 layout="constrained")
    ax = fig.subplots()
    y0 = np.arange(len(measures))
    step = 0.7 / max(len(scenarios), 1)
    for i, sc in enumerate(scenarios):
        s = d[d["scenario"] == sc].set_index("measure").reindex(measures)
        y = y0 + i * step - 0.35 + step / 2
        err = np.vstack([s["diff_mean"] - s["ci_lo"], s["ci_hi"] - s["diff_mean"]])
        ax.errorbar(s["diff_mean"], y, xerr=np.nan_to_num(err), fmt=_MARKERS[i % 8],
                    color=OKABE_ITO[(i + 1) % 8], capsize=3, label=sc)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_yticks(y0, [measure_label(m) for m in measures])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:+.1f} pp"))
    ax.set_xlabel("Difference from base (percentage points; M0 x 100), mean and 95% interval")
    ax.set_title(f"Paired differences at {when_contains}", fontsize=11)
    ax.legend(frameon=False, fontsize=8)
    ax.grid(axis="x", color="0.9")
    add_footer(fig, provenance)
    return fig


def plot_scenario_trajectories(tables: Mapping[str, Mapping[str, pd.DataFrame]], table: str,
                               measure: str, *, title: str | None = None, provenance: str | None = None,
                               window: tuple[int, int] | None = None) -> Figure:
    """One measure over time for several scenarios (mean, min-max band over replicates);
    shares on an axis from zero, the programme years (``window``) shaded."""
    fig = Figure(figsize=(8, 4.5), layout="constrained")
    ax = fig.subplots()
    shade_window(ax, window)
    for i, (name, tabs) in enumerate(tables.items()):
        t = tabs[table]
        d = t[(t["measure"] == measure) & (t["by"] == "all")]
        g = d.groupby("year")["value"]
        m, lo, hi = g.mean(), g.min(), g.max()
        c = OKABE_ITO[i % 8]
        ax.plot(m.index, m.values, color=c, linestyle=LINESTYLES[i % 8], label=name)
        if d["replicate"].nunique() > 1:
            ax.fill_between(m.index, lo.values, hi.values, color=c, alpha=0.15, linewidth=0)
    ax.set_xlabel("Year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # a few years must not tick at 2014.5
    if is_share(measure):
        share_axis(ax)
        ax.set_ylabel(f"{measure_label(measure)} (%)")
    else:
        ax.set_ylabel(measure_label(measure))
    ax.set_title(title or measure_label(measure), fontsize=11)
    ax.legend(frameon=False, fontsize=8)
    ax.grid(color="0.9")
    add_footer(fig, provenance)
    return fig


def plot_costs(costs: Mapping[str, pd.DataFrame], *, by: str = "intervention", provenance: str | None = None
               ) -> Figure:
    """Programme costs by year, stacked by intervention (or funder, county, item), one panel
    per scenario that has costs.

    Parameters
    ----------
    costs
        Scenario name -> ``costs.csv`` (``replicate, year, intervention, funder, county, item,
        cost_rmb, ...``; RMB at 2014 prices, undiscounted).
    by
        The column whose values stack.

    Returns
    -------
    Figure
        Bars: mean over replicates of the yearly cost, in million RMB.
    """
    sel = {n: d for n, d in costs.items() if d is not None and not d.empty}
    if not sel:
        raise ValueError("no scenario has programme costs (costs.csv is empty or missing)")
    keys = list(dict.fromkeys(str(v) for d in sel.values() for v in d[by]))
    fig = Figure(figsize=(4.8 * len(sel) + 2.2, 4.2), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(sel), sharey=True, squeeze=False)).ravel()
    for ax, (name, d) in zip(axes, sel.items(), strict=True):
        reps = max(int(d["replicate"].nunique()), 1)
        tot = d.assign(k=d[by].astype(str)).groupby(["year", "k"])["cost_rmb"].sum().unstack("k", fill_value=0.0)
        tot = tot.reindex(columns=[k for k in keys if k in tot.columns]) / reps / 1e6
        bottom = np.zeros(len(tot))
        for k in tot.columns:
            i = keys.index(k)
            ax.bar(tot.index, tot[k].to_numpy(), bottom=bottom, color=OKABE_ITO[(i + 1) % 8], edgecolor="black",
                   linewidth=0.4, hatch=HATCHES[i % len(HATCHES)], label=k.replace("_", " "))
            bottom += tot[k].to_numpy()
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("Year")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", color="0.9")
        ax.set_axisbelow(True)
    axes[0].set_ylabel("Cost (million RMB, 2014 prices)")
    handles: dict = {}  # one legend entry per key, in the order of first appearance
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(lab, h)
    axes[-1].legend(list(handles.values()), list(handles), frameon=False, fontsize=8, title=by.replace("_", " "),
                    loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.suptitle(f"Programme costs by year and {by.replace('_', ' ')} (mean over replicates)", fontsize=11)
    add_footer(fig, provenance)
    return fig


def plot_ce_plane(points: pd.DataFrame, *, provenance: str | None = None) -> Figure:
    """Cost-effectiveness plane: incremental discounted cost vs child-years of MODA
    deprivation averted, one point per replicate (the uncertainty cloud) per scenario."""
    fig = Figure(figsize=(7, 5), layout="constrained")
    ax = fig.subplots()
    for i, (sc, d) in enumerate(points.groupby("scenario", sort=False)):
        ax.scatter(d["effect"], d["cost"] / 1e6, marker=_MARKERS[i % 8], color=OKABE_ITO[(i + 1) % 8],
                   label=sc, alpha=0.8, edgecolor="black", linewidth=0.4)
        ax.scatter([d["effect"].mean()], [d["cost"].mean() / 1e6], marker=_MARKERS[i % 8], s=150,
                   facecolor="none", edgecolor=OKABE_ITO[(i + 1) % 8], linewidth=2)
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel("Child-years of multidimensional deprivation averted (discounted)")
    ax.set_ylabel("Incremental cost (million RMB, 2014 prices, discounted)")
    ax.set_title("Cost-effectiveness plane (each point a replicate; ring = mean)", fontsize=11)
    ax.legend(frameon=False, fontsize=8)
    ax.grid(color="0.9")
    add_footer(fig, provenance)
    return fig
