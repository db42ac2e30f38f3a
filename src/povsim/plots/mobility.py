"""Mobility figures: the rank-rank binned scatter and the quintile transition heat map.

Both take the tidy end-of-run tables of :mod:`povsim.mobility` (``mobility_rank_bins``,
``mobility_transition``; several replicates are averaged) and return a
:class:`matplotlib.figure.Figure`; save with :func:`povsim.output.save_figure`.

References
----------
Chetty, R., Hendren, N., Kline, P., & Saez, E. (2014). Where is the land of opportunity?
QJE 129(4):1553-1623 (the binned scatter of child on parent ranks).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from povsim.errors import PovsimError
from povsim.plots.trajectories import OKABE_ITO

__all__ = ["plot_rank_rank", "plot_transition_matrix", "transition_matrix_of"]

_SAMPLES = {"all_cohorts": "all birth cohorts", "cohorts_1970_1989": "born 1970-1989"}


def plot_rank_rank(bins: pd.DataFrame, slopes: dict[str, float] | None = None) -> Figure:
    """Mean child rank in 20 bins of the parents' rank, one series per sample.

    ``slopes`` (sample -> rank-rank slope) are written in the legend.
    """
    if bins is None or bins.empty:
        raise PovsimError("no rank-rank bins (mobility_rank_bins is empty: no parent-child pairs)")
    fig = Figure(figsize=(5.2, 4.4))
    ax = fig.add_subplot()
    for k, (sample, d) in enumerate(bins.groupby("by", sort=False)):
        wide = d.pivot_table(index="group", columns="measure", values="value", aggfunc="mean")
        wide.index = wide.index.astype(int)
        wide = wide.sort_index()
        label = _SAMPLES.get(sample, sample)
        if slopes and sample in slopes and np.isfinite(slopes[sample]):
            label += f" (slope {slopes[sample]:.2f})"
        ax.plot(100 * wide["mean_parent_rank"], 100 * wide["mean_child_rank"], "o",
                color=OKABE_ITO[k % len(OKABE_ITO)], ms=4, label=label)
    ax.plot([0, 100], [0, 100], color="0.7", lw=0.8, ls=":")
    ax.axhline(50, color="0.85", lw=0.8)
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("parents' income rank (childhood household income, within cohort)")
    ax.set_ylabel("child's earnings rank at 30-40 (within cohort and sex)")
    ax.set_title("Rank-rank relation, 20 bins of the parents' rank", fontsize=10)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig


def transition_matrix_of(trans: pd.DataFrame, sample: str) -> pd.DataFrame:
    """The 5x5 matrix (rows parent quintile, columns child quintile) of one sample,
    averaged over replicates."""
    d = trans[trans["by"] == sample]
    if d.empty:
        raise PovsimError(f"no transition matrix for {sample!r} in mobility_transition")
    m = d.pivot_table(index="group", columns="measure", values="value", aggfunc="mean")
    m.index = [f"parent Q{q}" for q in m.index.astype(int)]
    m = m[[f"child_quintile_{j}" for j in range(1, 6)]]
    m.columns = [f"child Q{j}" for j in range(1, 6)]
    return m


def plot_transition_matrix(trans: pd.DataFrame, sample: str = "cohorts_1970_1989") -> Figure:
    """Heat map of the quintile transition matrix of ``sample``."""
    m = transition_matrix_of(trans, sample)
    fig = Figure(figsize=(5.0, 4.2))
    ax = fig.add_subplot()
    im = ax.imshow(m.to_numpy(), cmap="Blues", vmin=0, vmax=max(0.5, float(np.nanmax(m.to_numpy()))))
    for i in range(5):
        for j in range(5):
            v = m.iat[i, j]
            ax.text(j, i, f"{100 * v:.0f}%", ha="center", va="center", fontsize=8,
                    color="white" if v > 0.35 else "black")
    ax.set_xticks(range(5), [f"Q{j}" for j in range(1, 6)])
    ax.set_yticks(range(5), [f"Q{j}" for j in range(1, 6)])
    ax.set_xlabel("child's earnings quintile")
    ax.set_ylabel("parents' income quintile")
    ax.set_title(f"Quintile transitions, {_SAMPLES.get(sample, sample)}", fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="share of the parents' quintile")
    fig.tight_layout()
    return fig
