"""Figures of the policy brief (``povsim report``) that the run and compare figures lack.

Every function takes tables as a results folder holds them and returns a
:class:`matplotlib.figure.Figure` (object-oriented API, never ``plt.show()``); save with
:func:`povsim.output.save_figure`.  Colours are the Okabe-Ito palette, paired with hatches
and line styles so the figures survive greyscale printing.

References
----------
Lex, A., Gehlenborg, N., Strobelt, H., Vuillemot, R. & Pfister, H. (2014). UpSet:
visualization of intersecting sets. IEEE TVCG 20(12):1983-1992. doi:10.1109/TVCG.2014.2346248
de Neubourg, C. et al. (2012). Step-by-step guidelines to the Multiple Overlapping
Deprivation Analysis (MODA). UNICEF Office of Research Working Paper 2012-10.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from povsim.errors import PovsimError
from povsim.plots.trajectories import HATCHES, LINESTYLES, OKABE_ITO, add_footer, share_axis, subgroup_suffix, tidy_axes
from povsim.summary import is_rate_measure, measure_label

__all__ = [
    "add_footer",
    "plot_county_bars",
    "plot_moda_trajectories",
    "plot_transition_heatmap",
    "plot_transmission_by_generation",
    "plot_upset",
]

def plot_moda_trajectories(
    summaries: Mapping[str, pd.DataFrame],
    measure: str = "H",
    *,
    by: str = "all",
    group: str = "all",
    title: str | None = None,
    ylabel: str | None = None,
    provenance: str | None = None,
) -> Figure:
    """MODA ``H`` or ``M0`` over the years, one panel per age group, one line per scenario.

    Parameters
    ----------
    summaries
        Scenario name -> ``moda_summary`` table (``replicate, year, age_group, by, group,
        measure, value``); the rows of one subgroup are drawn (default: all children).
    measure
        ``"H"`` (headcount ratio), ``"M0"`` (adjusted headcount) or ``"A"``.
    by, group
        The subgroup drawn, e.g. ``by="arm", group="pilot"``; named in the default title.
    title, ylabel
        Figure title and y-axis label (defaults in English).
    provenance
        Footer text.

    Returns
    -------
    Figure
        Mean over replicates with the min-max band across replicates (when more than one).
    """
    sel = {}
    for name, t in summaries.items():
        d = t[(t["by"] == by) & (t["measure"] == measure)]
        if by != "all":
            d = d[d["group"].astype(str) == str(group)]
        if not d.empty:
            sel[name] = d
    if not sel:
        where = "by == 'all'" if by == "all" else f"by == {by!r} and group == {group!r}"
        raise PovsimError(f"no moda_summary rows with measure {measure!r} and {where}")
    ages = list(dict.fromkeys(a for d in sel.values() for a in d["age_group"]))
    fig = Figure(figsize=(4.2 * len(ages) + 1.6, 4.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(ages), sharey=True, squeeze=False)).ravel()
    for j, (ax, age) in enumerate(zip(axes, ages, strict=True)):
        for i, (name, d) in enumerate(sel.items()):
            g = d[d["age_group"] == age].groupby("year")["value"]
            m, lo, hi = g.mean(), g.min(), g.max()
            c = OKABE_ITO[i % len(OKABE_ITO)]
            ax.plot(m.index, m.to_numpy(), color=c, linestyle=LINESTYLES[i % len(LINESTYLES)], lw=1.8,
                    label=name)
            if d["replicate"].nunique() > 1:
                ax.fill_between(m.index, lo.to_numpy(), hi.to_numpy(), color=c, alpha=0.18, linewidth=0)
        ax.set_title(f"ages {age}", fontsize=10)
        ax.set_xlabel("Year")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # a few years must not tick at 2014.5
        if measure in ("H", "A"):
            share_axis(ax)
        tidy_axes(ax, "0.88")
        if j == 0:
            ax.set_ylabel(ylabel or ("Share of children (%)" if measure == "H" else f"MODA {measure}"))
    handles, labels = axes[0].get_legend_handles_labels()
    if any(d["replicate"].nunique() > 1 for d in sel.values()):
        handles.append(Patch(facecolor="0.5", alpha=0.3, linewidth=0))
        labels.append("range over replicates")
    axes[-1].legend(handles, labels, frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.suptitle(title or f"MODA {measure} by age group{subgroup_suffix(by, group)}", fontsize=11)
    return add_footer(fig, provenance)


def plot_upset(
    patterns: pd.DataFrame,
    *,
    age_group: str | None = None,
    year: int | None = None,
    top: int = 12,
    provenance: str | None = None,
) -> Figure:
    """UpSet-style overlap figure: bars of the largest deprivation patterns, a dot matrix below.

    Parameters
    ----------
    patterns
        ``moda_patterns`` table: ``measure == "pattern_share"``, ``dimension`` a pattern such
        as ``"education+water+sanitation"``, ``value`` the share of children with exactly
        that set of deprivations.
    age_group
        Age group to draw (default: the first).
    year
        Year to draw (default: the last in the table).
    top
        Number of patterns shown (largest mean share first).

    Returns
    -------
    Figure
        Top: bar per pattern (mean over replicates, share of children); bottom: which
        dimensions make the pattern (filled dots joined by a line).
    """
    d = patterns[(patterns["measure"] == "pattern_share") & (patterns["by"] == "all")]
    if d.empty:
        raise PovsimError("moda_patterns has no pattern_share rows with by == 'all'")
    age = age_group if age_group is not None else str(d["age_group"].iloc[0])
    d = d[d["age_group"].astype(str) == age]
    y = int(d["year"].max()) if year is None else int(year)
    d = d[(d["year"] == y) & ~d["dimension"].astype(str).isin(["none", ""])]  # the empty set is not an overlap
    if d.empty:
        raise PovsimError(f"moda_patterns has no rows for age group {age!r} in {y}")
    reps = max(int(d["replicate"].nunique()), 1) if "replicate" in d.columns else 1
    share = (d.groupby("dimension")["value"].sum() / reps).sort_values(ascending=False).head(top)
    pats = [str(p) for p in share.index]
    dims = list(dict.fromkeys(x for p in pats for x in p.split("+") if x))
    fig = Figure(figsize=(max(6.0, 0.55 * len(pats) + 3), 5.4), layout="constrained")
    ax_bar, ax_dot = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2.2, 1.0]})
    x = np.arange(len(pats))
    ax_bar.bar(x, share.to_numpy(), color=OKABE_ITO[5], edgecolor="black", linewidth=0.5, hatch="//")
    for xi, v in zip(x, share.to_numpy(), strict=True):
        ax_bar.annotate(f"{100 * v:.1f}", (xi, v), xytext=(0, 2), textcoords="offset points", ha="center",
                        fontsize=7)
    ax_bar.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax_bar.set_ylabel("Share of children (%)")
    ax_bar.grid(axis="y", color="0.88", linewidth=0.6)
    ax_bar.spines[["top", "right"]].set_visible(False)
    ax_bar.set_title(f"Overlapping deprivations, ages {age}, {y}", fontsize=11)
    for i in range(len(dims)):
        if i % 2 == 0:
            ax_dot.axhspan(i - 0.5, i + 0.5, color="0.94", linewidth=0)
    for xi, p in enumerate(pats):
        members = [dims.index(m) for m in p.split("+") if m in dims]
        ax_dot.scatter(np.full(len(dims), xi), np.arange(len(dims)), s=28, color="0.8", zorder=2)
        if members:
            ax_dot.scatter(np.full(len(members), xi), members, s=36, color=OKABE_ITO[0], zorder=3)
            ax_dot.plot([xi, xi], [min(members), max(members)], color=OKABE_ITO[0], lw=1.5, zorder=2)
    ax_dot.set_yticks(np.arange(len(dims)), [m.replace("_", " ") for m in dims], fontsize=8)
    ax_dot.set_ylim(len(dims) - 0.5, -0.5)
    ax_dot.set_xticks(x, [str(i + 1) for i in x], fontsize=7)
    ax_dot.set_xlabel("Deprivation pattern (rank)")
    ax_dot.spines[["top", "right"]].set_visible(False)
    return add_footer(fig, provenance)


def _bars(ax, m: pd.Series, lo: pd.Series, hi: pd.Series, *, whiskers: bool = True) -> np.ndarray:
    """One coloured, hatched bar per value of ``m``, with ``lo``-``hi`` whiskers; the bars' x."""
    x = np.arange(len(m))
    for i, xi in enumerate(x):
        ax.bar(xi, m.iloc[i], color=OKABE_ITO[(i + 1) % len(OKABE_ITO)], edgecolor="black", linewidth=0.5,
               hatch=HATCHES[i % len(HATCHES)])
    if whiskers:
        ax.errorbar(x, m.to_numpy(), yerr=np.vstack([m - lo, hi - m]), fmt="none", ecolor="black", capsize=3)
    return x


def transition_matrix(mobility: pd.DataFrame, kind: str = "relative") -> pd.DataFrame:
    """The 2 x 2 childhood-poverty -> adult-poverty matrix of joint shares.

    Rows: poor / not poor in childhood; columns: poor / not poor as an adult.  Built from
    ``p_adult_poor_<kind>_given_child_poor``, ``..._given_child_nonpoor`` and
    ``child_poverty_share`` of ``mobility.csv`` (means over replicates).

    Raises
    ------
    PovsimError
        The table has none of these measures or they are all missing (too few persons
        observed both as children and as adults).
    """
    m = mobility.assign(value=pd.to_numeric(mobility["value"], errors="coerce")).groupby("measure")["value"].mean()
    pp = m.get(f"p_adult_poor_{kind}_given_child_poor", np.nan)
    pn = m.get(f"p_adult_poor_{kind}_given_child_nonpoor", np.nan)
    s = m.get("child_poverty_share", np.nan)
    if not all(np.isfinite([pp, pn, s])):
        raise PovsimError("mobility.csv has no childhood-to-adult poverty transition (no person observed both "
                          "as a child and as an adult; run more years)")
    mat = np.array([[s * pp, s * (1 - pp)], [(1 - s) * pn, (1 - s) * (1 - pn)]])
    return pd.DataFrame(mat, index=["poor as child", "not poor as child"],
                        columns=["poor as adult", "not poor as adult"])


def plot_transition_heatmap(mobility: pd.DataFrame, *, kind: str = "relative", provenance: str | None = None) -> Figure:
    """Heatmap of the intergenerational transition: childhood poverty -> adult poverty.

    Cells show the row (conditional) probability; the annotation adds the joint share of
    persons.  See :func:`transition_matrix`.
    """
    joint = transition_matrix(mobility, kind)
    cond = joint.div(joint.sum(axis=1), axis=0).to_numpy()
    fig = Figure(figsize=(5.6, 4.4), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(cond, cmap="cividis", vmin=0, vmax=1)
    for i in range(2):
        for j in range(2):
            ax.text(j, i, f"{100 * cond[i, j]:.0f}%\n({100 * joint.iat[i, j]:.1f}% of all)", ha="center",
                    va="center", fontsize=9, color="white" if cond[i, j] < 0.55 else "black")
    ax.set_xticks([0, 1], list(joint.columns))
    ax.set_yticks([0, 1], list(joint.index))
    ax.set_xlabel(f"Adult income poverty ({kind} line)")
    ax.set_ylabel("Childhood income poverty")
    fig.colorbar(im, ax=ax, label="P(adult status | childhood status)", format=PercentFormatter(1.0))
    ax.set_title("Intergenerational transmission of poverty", fontsize=11)
    return add_footer(fig, provenance)


def plot_transmission_by_generation(generations: pd.DataFrame, measure: str = "ever_poor_in_childhood_share", *,
                                    provenance: str | None = None) -> Figure:
    """A share by generation (``generations_final.csv``): bars with the replicate range."""
    d = generations[(generations["by"] == "generation") & (generations["measure"] == measure)]
    if d.empty:
        raise PovsimError(f"no rows with by == 'generation' and measure {measure!r}")
    g = d.groupby("group", sort=True)["value"]
    m, lo, hi = g.mean(), g.min(), g.max()
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    x = _bars(ax, m, lo, hi)
    ax.set_xticks(x, [str(v) for v in m.index])
    ax.set_xlabel("Generation")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(f"{measure_label(measure)} (%)")
    ax.set_ylim(bottom=0)
    ax.set_title("Childhood poverty by generation (whiskers: replicate range)", fontsize=11)
    tidy_axes(ax, "0.88")
    return add_footer(fig, provenance)


def plot_county_bars(
    table: pd.DataFrame,
    measure: str,
    *,
    year: int | None = None,
    by: str = "county",
    title: str | None = None,
    ylabel: str | None = None,
    xlabel: str | None = None,
    provenance: str | None = None,
) -> Figure:
    """One bar per group (county by default) in one year (default: the last), with the
    replicate range as whiskers; rates are shown in percent."""
    d = table[(table["by"] == by) & (table["measure"] == measure)]
    if d.empty:
        raise PovsimError(f"no rows with by == {by!r} and measure {measure!r}")
    y = int(d["year"].max()) if year is None else int(year)
    d = d[d["year"] == y]
    g = d.groupby("group", sort=False)["value"]
    m, lo, hi = g.mean(), g.min(), g.max()
    order = m.sort_values(ascending=False).index
    m, lo, hi = m[order], lo[order], hi[order]
    fig = Figure(figsize=(max(6.0, 0.7 * len(m) + 2), 4.2), layout="constrained")
    ax = fig.subplots()
    x = _bars(ax, m, lo, hi, whiskers=d["replicate"].nunique() > 1)
    ax.set_xticks(x, [str(v) for v in m.index], rotation=30, ha="right")
    ax.set_xlabel(xlabel or by.replace("_", " ").capitalize())
    rate = is_rate_measure(measure)
    if rate:
        share_axis(ax)
    ax.set_ylim(bottom=min(0.0, float(lo.min())))
    ax.set_ylabel(ylabel or (measure_label(measure) + (" (%)" if rate else "")))
    ax.set_title(title or f"{measure_label(measure)} by {by}, {y}", fontsize=11)
    tidy_axes(ax, "0.88")
    return add_footer(fig, provenance)
