"""Trajectory figures: a measure over the years, mean across replicates with a band.

Functions take tidy tables (see :mod:`povsim.summary`) and return a
:class:`matplotlib.figure.Figure` built with the object-oriented API; nothing here uses
pyplot state or shows a window. Save with :func:`povsim.output.save_figure`.

Colours are the Okabe–Ito palette (safe for the common colour-vision deficiencies),
paired with distinct line styles so the figures survive greyscale printing.

References
----------
Okabe, M. & Ito, K. (2008). Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from povsim.errors import PovsimError, did_you_mean
from povsim.summary import check_tidy, is_rate_measure, measure_label

__all__ = [
    "HATCHES",
    "LINESTYLES",
    "OKABE_ITO",
    "WINDOW_LABEL",
    "add_footer",
    "plot_panel",
    "plot_trajectory",
    "provenance_line",
]

OKABE_ITO: tuple[str, ...] = (
    "#000000",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
)
LINESTYLES: tuple[str | tuple[int, tuple[int, ...]], ...] = (
    "-",
    "--",
    "-.",
    ":",
    (0, (5, 1, 1, 1, 1, 1)),
    (0, (8, 2)),
    (0, (1, 3)),
    (0, (3, 1, 3, 1, 1, 1)),
)
#: hatches of bars, so that they stay distinguishable in greyscale
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")

_FOOTER_HEIGHT = 0.045  # share of the figure height kept free for the provenance line


@dataclass(frozen=True)
class _Drawn:
    lines: int
    replicates: int
    band_label: str | None
    percent: bool


def provenance_line(
    scenario: str,
    seeds: Sequence[int],
    *,
    version: str | None = None,
    when: datetime | None = None,
) -> str:
    """The footer text of a figure: ``"povsim 0.1.0 · scenario baseline · seed 1 · 2026-11-29"``.

    Parameters
    ----------
    scenario
        Scenario name.
    seeds
        Replicate seeds; shown as ``seed 1``, ``seeds 1–10`` (consecutive) or ``20 seeds``.
    version
        povsim version; looked up when ``None``.
    when
        Date shown; today (UTC) when ``None``.
    """
    if version is None:
        from povsim.output import povsim_version

        version = povsim_version() or "dev"
    seeds = [int(s) for s in seeds]
    if len(seeds) == 1:
        seed_text = f"seed {seeds[0]}"
    elif seeds and seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        seed_text = f"seeds {seeds[0]}–{seeds[-1]}"
    else:
        seed_text = f"{len(seeds)} seeds"
    day = (when or datetime.now(UTC)).strftime("%Y-%m-%d")
    return f"povsim {version} · scenario {scenario} · {seed_text} · {day}"


#: Legend entry of the shaded programme window.
WINDOW_LABEL = "programme years"


def shade_window(ax: Axes, window: tuple[int, int] | None) -> None:
    """Shade the years a programme runs (inclusive), behind the lines."""
    if window is not None:
        ax.axvspan(window[0], window[1], color="#e8e8e8", zorder=0, linewidth=0, label=WINDOW_LABEL)


def subgroup_suffix(by: str, group: object) -> str:
    """``", arm pilot"`` for a subgroup, ``""`` for all children (the suffix of a title)."""
    return "" if by == "all" else f", {by.replace('_', ' ')} {group}"


def tidy_axes(ax: Axes, grey: str) -> None:
    """A light grid of colour ``grey`` behind the data, and no top or right spine."""
    ax.grid(color=grey, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)


def share_axis(ax: Axes) -> None:
    """Percent ticks on an axis of shares, from zero: shares compared by eye need the
    zero baseline (a cut-off axis makes a small gap look large)."""
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=None))
    ax.set_ylim(bottom=0)


def _select(table: pd.DataFrame, measure: str, by: str, name: str) -> pd.DataFrame:
    check_tidy(table, name)
    sel = table[(table["measure"] == measure) & (table["by"] == by)]
    if sel.empty:
        if measure not in set(table["measure"]):
            hint = did_you_mean(measure, map(str, table["measure"].unique()))
            raise PovsimError(f"table {name!r} has no measure {measure!r} ({hint})")
        bys = sorted(map(str, table.loc[table["measure"] == measure, "by"].unique()))
        raise PovsimError(
            f"table {name!r}: measure {measure!r} has no rows with by == {by!r} "
            f"(available: {', '.join(bys)})"
        )
    return sel


def _draw(ax: Axes, sel: pd.DataFrame, measure: str, by: str, percent: bool | None) -> _Drawn:
    """Draw one line (and band) per group of ``sel`` on ``ax``."""
    percent = is_rate_measure(measure) if percent is None else bool(percent)
    replicates = int(sel["replicate"].nunique())
    if replicates <= 1:
        band_label = None
        qlo, qhi = 0.0, 1.0
    elif replicates <= 5:
        band_label = f"range of {replicates} replicates"
        qlo, qhi = 0.0, 1.0
    else:
        band_label = f"5th–95th percentile of {replicates} replicates"
        qlo, qhi = 0.05, 0.95
    values = sel.assign(value=sel["value"].astype(float))
    grouped = values.groupby(["group", "year"], sort=False)["value"]
    stats = pd.DataFrame(
        {"mean": grouped.mean(), "lo": grouped.quantile(qlo), "hi": grouped.quantile(qhi)}
    )
    groups = list(pd.unique(values["group"]))
    for k, group in enumerate(groups):
        g = stats.xs(group, level="group").sort_index()
        years = g.index.to_numpy(dtype=float)
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        style = LINESTYLES[k % len(LINESTYLES)]
        if by == "all":
            label = "mean" if replicates <= 1 else f"mean of {replicates} replicates"
        else:
            label = str(group)
        ax.plot(years, g["mean"].to_numpy(), color=colour, linestyle=style, lw=1.8, label=label)
        if band_label is not None:
            ax.fill_between(
                years,
                g["lo"].to_numpy(),
                g["hi"].to_numpy(),
                color=colour,
                alpha=0.15 if by != "all" else 0.25,
                linewidth=0,
            )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if percent:
        share_axis(ax)
    tidy_axes(ax, "#dddddd")
    return _Drawn(len(groups), replicates, band_label, percent)


def _legend(ax: Axes, drawn: _Drawn, by: str, fontsize: float = 8) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if drawn.band_label is not None:
        handles.append(Patch(facecolor="#888888", alpha=0.3, linewidth=0))
        labels.append(drawn.band_label)
    style = {"fontsize": fontsize, "title_fontsize": fontsize, "frameon": False}
    if by == "all":
        ax.legend(handles, labels, loc="best", **style)
    else:  # one entry per group: beside the axes, off the data
        title = by.replace("_", " ")
        ax.legend(handles, labels, title=title, loc="upper left", bbox_to_anchor=(1.01, 1), **style)


def add_footer(fig: Figure, provenance: str | None, margin: float = _FOOTER_HEIGHT) -> Figure:
    """Add the provenance line at the bottom left of ``fig`` (once), keeping it clear of the axes.

    ``margin`` is the share of the figure's height kept free below the axes for it.
    """
    if not provenance or getattr(fig, "_povsim_footer", False):
        return fig
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0, margin, 1, 1 - margin))
    fig.text(0.01, 0.005, provenance, ha="left", va="bottom", fontsize=6.5, color="0.35")
    fig._povsim_footer = True  # type: ignore[attr-defined]
    return fig


def plot_trajectory(
    table: pd.DataFrame,
    measure: str,
    *,
    by: str = "all",
    title: str | None = None,
    ylabel: str | None = None,
    percent: bool | None = None,
    provenance: str | None = None,
    window: tuple[int, int] | None = None,
) -> Figure:
    """One measure over the years: mean across replicates with a replicate band.

    Parameters
    ----------
    table
        A tidy table (columns of :data:`povsim.summary.TIDY_COLUMNS`).
    measure
        The measure to draw.
    by
        ``"all"`` draws one line; a breakdown such as ``"county"`` draws one line per
        group (in order of first appearance).
    title
        Axes title; defaults to the measure's readable name
        (:func:`povsim.summary.measure_label`), e.g. "Stunting, under 5 by county".
    ylabel
        Y-axis label; defaults to the readable name with its unit, e.g.
        "Stunting, under 5 (%)".
    percent
        Format the y axis as a percentage of 1, from zero. By default, true for measures
        whose name ends ``_rate``, ``_prevalence`` or ``_share``.
    provenance
        Small footer at the bottom left (see :func:`provenance_line`).
    window
        First and last year of a programme, shaded.

    Returns
    -------
    Figure
        One line per group. The band is the min–max range across replicates when there
        are at most 5, else the 5th–95th percentiles (the legend says which); no band for
        a single replicate.

    Raises
    ------
    PovsimError
        The table is not tidy, or has no rows for ``measure`` and ``by``.
    """
    sel = _select(table, measure, by, "table")
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.subplots()
    shade_window(ax, window)
    drawn = _draw(ax, sel, measure, by, percent)
    name = measure_label(measure)
    if title is None:
        title = name if by == "all" else f"{name} by {by.replace('_', ' ')}"
    if ylabel is None:
        ylabel = f"{name} (%)" if drawn.percent else name
    ax.set_title(title)
    ax.set_xlabel("Year")
    ax.set_ylabel(ylabel)
    _legend(ax, drawn, by)
    add_footer(fig, provenance)
    return fig


def plot_panel(
    tables: Mapping[str, pd.DataFrame],
    specs: Sequence[tuple[str, str, str]],
    *,
    provenance: str | None = None,
    window: tuple[int, int] | None = None,
) -> Figure:
    """A grid of small trajectory panels for a run's headline measures.

    Parameters
    ----------
    tables
        Tidy tables by name.
    specs
        ``(table_name, measure, label)`` for each panel, in reading order; ``label`` is
        the panel title. Rates are shown in percent.
    provenance
        Small footer at the bottom left (see :func:`provenance_line`).
    window
        First and last year of a programme, shaded in every panel.

    Returns
    -------
    Figure
        One axes per panel, three to a row (6 panels make a 2 × 3 grid), each with one line
        (whole population, ``by == "all"``) and its label as title; rates show percent tick
        labels, from zero; the band legend is shown on the first panel.

    Raises
    ------
    PovsimError
        No specs, a malformed spec, an unknown table or measure.
    """
    if len(specs) == 0:
        raise PovsimError("plot_panel needs at least one (table, measure, label) spec")
    checked: list[tuple[pd.DataFrame, str, str]] = []
    for spec in specs:
        if len(spec) != 3:
            raise PovsimError(f"plot_panel spec {spec!r}: expected (table_name, measure, label)")
        name, measure, label = (str(s) for s in spec)
        if name not in tables:
            raise PovsimError(f"no table {name!r}; {did_you_mean(name, tables)}")
        checked.append((_select(tables[name], measure, "all", name), measure, label))

    ncols = min(3, len(checked))
    nrows = math.ceil(len(checked) / ncols)
    fig = Figure(figsize=(3.6 * ncols, 2.9 * nrows + 0.3), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for k, (sel, measure, label) in enumerate(checked):
        ax = axes[k]
        shade_window(ax, window)
        drawn = _draw(ax, sel, measure, "all", None)
        ax.set_title(label, fontsize=10)
        ax.tick_params(labelsize=8)
        if k + ncols >= len(checked):  # no panel below this one
            ax.set_xlabel("Year", fontsize=9)
        if k == 0:
            _legend(ax, drawn, "all", fontsize=7)
    for ax in axes[len(checked) :]:
        ax.set_axis_off()
    add_footer(fig, provenance)
    return fig
