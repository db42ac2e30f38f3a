"""Figures of a plan (``povsim plan``): efficiency frontier, allocation, verification,
marginal returns, stability.

Every function takes the plan's tables (as written to ``<out>/plan/tables``) and
returns a :class:`matplotlib.figure.Figure`; save with :func:`povsim.output.save_figure`.
Colours are the Okabe-Ito palette.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from povsim.plots.report import add_footer
from povsim.plots.trajectories import OKABE_ITO, tidy_axes

__all__ = [
    "plan_figure_makers",
    "plan_figures",
    "plot_allocation",
    "plot_frontier",
    "plot_marginal_returns",
    "plot_stability",
    "plot_verification",
]


def plot_frontier(frontier: pd.DataFrame, plans: pd.DataFrame | None = None, *, provenance: str | None = None
                  ) -> Figure:
    """Best outcome against budget: expected (with the 5-95 % band across scenarios of the
    optimal allocation), CVaR, the greedy split, and the current allocation."""
    fig = Figure(figsize=(8, 4.8), layout="constrained")
    ax = fig.subplots()
    x_of = lambda d: d["budget_rmb_plan"].to_numpy() / 1e6  # noqa: E731
    e = frontier[frontier["objective"] == "expected"].sort_values("budget_rmb_plan")
    if len(e):
        ax.fill_between(x_of(e), e["band_lo"], e["band_hi"], color=OKABE_ITO[1], alpha=0.2, linewidth=0,
                        label="5-95 % across scenarios")
        ax.plot(x_of(e), e["expected"], color=OKABE_ITO[1], marker="o", ms=3, label="optimal allocation: expected")
    c = frontier[frontier["objective"] == "cvar"].sort_values("budget_rmb_plan")
    if len(c):
        ax.plot(x_of(c), c["cvar"], color=OKABE_ITO[5], linestyle="--", marker="s", ms=3,
                label="CVaR-optimal allocation: CVaR")
    g = frontier[frontier["objective"] == "greedy split"].sort_values("budget_rmb_plan")
    if len(g):
        ax.plot(x_of(g), g["expected"], color="0.45", linestyle=":", label="greedy split (heuristic): expected")
    cur = frontier[frontier["objective"] == "current allocation"]
    if len(cur):
        r = cur.iloc[0]
        ax.errorbar([r["budget_rmb_plan"] / 1e6], [r["expected"]],
                    yerr=[[r["expected"] - r["band_lo"]], [r["band_hi"] - r["expected"]]], fmt="D",
                    color=OKABE_ITO[6], capsize=3, label="current allocation")
    if plans is not None and len(plans):
        for _, r in plans.iterrows():
            ax.axvline(r["budget_rmb_plan"] / 1e6, color="0.6", linewidth=0.7, linestyle="-.")
    ax.set_xlabel("Budget over the programme (million RMB, plan file's money)")
    ax.set_ylabel("Outcome (plan's weighted objective)")
    ax.set_title("Efficiency frontier", fontsize=11)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    tidy_axes(ax, "0.9")
    return add_footer(fig, provenance)


def plot_allocation(villages: pd.DataFrame, *, provenance: str | None = None) -> Figure:
    """Level of every intervention in every village of the main plan (and the current
    allocation beside it), villages sorted by type and objective."""
    plan_cols = [c for c in villages.columns if c.startswith("level_")]
    cur_cols = [c for c in villages.columns if c.startswith("current_")]
    names = [c.removeprefix("level_") for c in plan_cols]
    d = villages.sort_values(["type", "objective_plan"], ascending=[True, False], kind="stable")
    panels = [("main plan", plan_cols)] + ([("current allocation", cur_cols)] if cur_cols else [])
    fig = Figure(figsize=(3.2 * len(panels) + 1.5, max(4.0, 0.09 * len(d) + 1.5)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True))
    im = None
    for ax, (label, cols) in zip(axes, panels, strict=True):
        im = ax.imshow(d[cols].to_numpy(dtype=float), aspect="auto", cmap="viridis", vmin=0, vmax=1,
                       interpolation="nearest")
        ax.set_xticks(range(len(names)), [n.replace("_", " ") for n in names], rotation=45, ha="right", fontsize=7)
        ax.set_title(label, fontsize=10)
    axes[0].set_yticks(range(len(d)), d["name"], fontsize=max(3.5, min(7, 400 / max(len(d), 1))))
    axes[0].set_ylabel("village (by type, then objective)")
    if im is not None:
        fig.colorbar(im, ax=list(axes), shrink=0.6, label="coverage (1 = on)")
    return add_footer(fig, provenance)


def plot_verification(verification: pd.DataFrame, *, provenance: str | None = None) -> Figure:
    """The surrogate's prediction beside the full model's result (mean, 95 % interval over
    replicates) for every verified allocation."""
    fig = Figure(figsize=(8, 0.55 * max(len(verification), 3) + 1.5), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(verification))
    v = verification
    ax.errorbar(v["model"], y, xerr=np.nan_to_num(np.vstack([v["model"] - v["model_lo"], v["model_hi"] - v["model"]])),
                fmt="o", color=OKABE_ITO[5], capsize=3, label="full model (mean, 95 % interval)")
    ax.scatter(v["surrogate"], y + 0.15, marker="x", color=OKABE_ITO[6], label="surrogate prediction", zorder=3)
    ax.set_yticks(y, v["allocation"])
    ax.invert_yaxis()
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.set_xlabel("Outcome over the baseline (plan's weighted objective)")
    ax.set_title("Verification in the full model (common random numbers)", fontsize=11)
    ax.legend(frameon=False, fontsize=8)
    tidy_axes(ax, "0.9")
    return add_footer(fig, provenance)


def plot_marginal_returns(by_intervention: pd.DataFrame, *, provenance: str | None = None) -> Figure:
    """Outcome per extra million RMB of one more level, by intervention (best and median
    over units), and of the last level bought (median)."""
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.subplots()
    d = by_intervention
    x = np.arange(len(d))
    for k, (col, label) in enumerate((("best_next_level_per_million_plan", "best next level"),
                                      ("median_next_level_per_million_plan", "median next level"),
                                      ("median_last_level_per_million_plan", "median last level bought"))):
        ax.bar(x + (k - 1) * 0.27, d[col].fillna(0.0), width=0.27, color=OKABE_ITO[k + 1], label=label)
    ax.set_xticks(x, [n.replace("_", " ") for n in d["intervention"]], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("Outcome per million RMB (plan file's money)")
    ax.set_title("Marginal returns at the main plan", fontsize=11)
    ax.legend(frameon=False, fontsize=8)
    tidy_axes(ax, "0.9")
    return add_footer(fig, provenance)


def plot_stability(stability: pd.DataFrame, *, provenance: str | None = None) -> Figure:
    """Share of scenario-wise optimal allocations that agree with the plan, per unit."""
    d = stability.sort_values("stability", kind="stable")
    fig = Figure(figsize=(8, 3.8), layout="constrained")
    ax = fig.subplots()
    colors = [OKABE_ITO[2] if s else "0.7" for s in d["served"]]
    ax.bar(np.arange(len(d)), d["stability"], color=colors, width=0.9)
    ax.set_xticks([])
    ax.set_xlabel(f"units ({int(d['served'].sum())} served by the plan, coloured; others grey), sorted")
    ax.set_ylabel("share of scenarios with the same levels")
    ax.set_ylim(0, 1)
    ax.set_title("Stability of each unit's allocation across parameter draws and seeds", fontsize=11)
    tidy_axes(ax, "0.9")
    return add_footer(fig, provenance)


def plan_figure_makers(tables: Mapping[str, pd.DataFrame], *, provenance: str | None = None
                       ) -> dict[str, Callable[[], Figure]]:
    """Every figure of a plan that its tables allow: stem -> a function that draws it.

    One list for every reader of a plan folder (``povsim plan``, ``povsim report``, the
    dashboard), so a figure of the brief is the figure the plan command saved."""
    def has(name: str) -> bool:
        return name in tables and len(tables[name]) > 0

    out: dict[str, Callable[[], Figure]] = {}
    if has("frontier"):
        out["frontier"] = lambda: plot_frontier(tables["frontier"], tables.get("plans"), provenance=provenance)
    if has("villages"):
        out["allocation"] = lambda: plot_allocation(tables["villages"], provenance=provenance)
    if has("verification"):
        out["verification"] = lambda: plot_verification(tables["verification"], provenance=provenance)
    if has("marginal_by_intervention"):
        out["marginal_returns"] = lambda: plot_marginal_returns(tables["marginal_by_intervention"],
                                                                provenance=provenance)
    if has("stability"):
        out["stability"] = lambda: plot_stability(tables["stability"], provenance=provenance)
    return out


def plan_figures(tables: Mapping[str, pd.DataFrame], *, provenance: str | None = None) -> dict[str, Figure]:
    """Every figure of a plan that its tables allow: stem -> Figure."""
    return {stem: make() for stem, make in plan_figure_makers(tables, provenance=provenance).items()}
