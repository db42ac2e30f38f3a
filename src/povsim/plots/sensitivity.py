"""Figures of a sensitivity study: index bars, Morris mu*-sigma, second-order heatmap.

Every function takes the tables of :mod:`povsim.sensitivity` and returns a
:class:`matplotlib.figure.Figure` (object-oriented API, never ``plt.show()``); save with
:func:`povsim.output.save_figure`.  Colours are the colour-blind-safe Okabe-Ito palette.

References
----------
Morris, M. D. (1991). Technometrics 33(2):161-174. doi:10.1080/00401706.1991.10484804
(mu*-sigma plane: Campolongo, Cariboni & Saltelli 2007, doi:10.1016/j.envsoft.2006.10.004)
Saltelli, A. et al. (2010). Computer Physics Communications 181(2):259-270.
doi:10.1016/j.cpc.2009.09.018
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from povsim.plots.trajectories import OKABE_ITO

__all__ = ["plot_indices", "plot_morris", "plot_output", "plot_second_order", "sensitivity_figures"]


def plot_indices(indices: pd.DataFrame, output: str, keys: tuple[str, ...] = ("S1", "ST")) -> Figure:
    """Horizontal bars of first-order and total indices with their confidence intervals.

    Parameters
    ----------
    indices
        ``indices.csv``: ``output, parameter`` and the index columns (``S1``, ``S1_conf``, ...).
    output
        The output to show.
    keys
        Index columns to draw side by side (``<key>_conf`` gives the half-width).

    Returns
    -------
    matplotlib.figure.Figure
    """
    df = indices[indices["output"] == output]
    keys = tuple(k for k in keys if k in df.columns)
    order = df.sort_values(keys[-1], ascending=True, kind="stable") if keys else df
    fig = Figure(figsize=(6.5, 1.2 + 0.35 * len(order)), layout="constrained")
    ax = fig.add_subplot()
    y = np.arange(len(order))
    h = 0.8 / max(len(keys), 1)
    for i, k in enumerate(keys):
        conf = order[f"{k}_conf"].to_numpy() if f"{k}_conf" in order else None
        ax.barh(y + (i - (len(keys) - 1) / 2) * h, order[k].to_numpy(), height=h, xerr=conf,
                color=OKABE_ITO[(i + 5) % len(OKABE_ITO)] if i else OKABE_ITO[1], label=k,
                error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": OKABE_ITO[0]})
    ax.set_yticks(y, order["parameter"].tolist())
    ax.axvline(0, color=OKABE_ITO[0], linewidth=0.6)
    ax.set_xlabel("sensitivity index (bars: estimate; whiskers: confidence interval)")
    ax.set_title(f"Sensitivity of {output}", loc="left", fontsize=10)
    if keys:
        ax.legend(frameon=False, fontsize=8, loc="lower right")
    return fig


def plot_morris(indices: pd.DataFrame, output: str) -> Figure:
    """Morris screening: mu* (importance) against sigma (non-linearity, interactions)."""
    df = indices[indices["output"] == output]
    fig = Figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.errorbar(df["mu_star"], df["sigma"], xerr=df.get("mu_star_conf"), fmt="o", color=OKABE_ITO[5],
                ecolor=OKABE_ITO[0], elinewidth=0.7, capsize=2, markersize=5)
    for _, r in df.iterrows():
        ax.annotate(str(r["parameter"]), (r["mu_star"], r["sigma"]), xytext=(4, 3), textcoords="offset points",
                    fontsize=7)
    top = float(np.nanmax(np.r_[df["mu_star"].to_numpy(), df["sigma"].to_numpy(), 0.0])) or 1.0
    ax.plot([0, top], [0, top], color=OKABE_ITO[0], linewidth=0.6, linestyle="--", label="sigma = mu*")
    ax.set_xlabel("mu* (mean absolute elementary effect)")
    ax.set_ylabel("sigma (spread of the elementary effects)")
    ax.set_title(f"Morris screening of {output}", loc="left", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    return fig


def plot_second_order(second: pd.DataFrame, output: str) -> Figure:
    """Heatmap of the second-order Sobol' indices S2 (upper triangle)."""
    df = second[second["output"] == output]
    names = list(dict.fromkeys([*df["parameter"], *df["other"]]))
    mat = np.full((len(names), len(names)), np.nan)
    for _, r in df.iterrows():
        mat[names.index(r["parameter"]), names.index(r["other"])] = r["S2"]
    fig = Figure(figsize=(1.5 + 0.6 * len(names), 1.2 + 0.5 * len(names)), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(mat, cmap="cividis", vmin=min(0.0, float(np.nanmin(mat)) if df.size else 0.0))
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    fig.colorbar(im, ax=ax, label="S2")
    ax.set_title(f"Second-order indices of {output}", loc="left", fontsize=10)
    return fig


def plot_output(method: str, indices: pd.DataFrame, output: str) -> Figure:
    """The index figure of one output as the study's method reports it: Morris mu*-sigma, or
    bars of S1/ST (Sobol', FAST), S1/delta (delta) or the PAWN median/maximum."""
    if method == "morris":
        return plot_morris(indices, output)
    keys = {"sobol": ("S1", "ST"), "fast": ("S1", "ST"), "delta": ("S1", "delta")}.get(method, ("median", "maximum"))
    return plot_indices(indices, output, keys)


def sensitivity_figures(method: str, indices: pd.DataFrame, second: pd.DataFrame | None = None
                        ) -> dict[str, Figure]:
    """Every figure of a study: file stem -> Figure."""
    figs: dict[str, Figure] = {}
    for output in dict.fromkeys(indices["output"]):
        figs[f"{'morris' if method == 'morris' else 'indices'}_{output}"] = plot_output(method, indices, output)
        if second is not None and len(second) and output in set(second["output"]):
            figs[f"second_order_{output}"] = plot_second_order(second, output)
    return figs
