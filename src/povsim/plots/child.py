"""Child-development figures from a run's tidy tables: height-for-age distribution and
stunting by single year of age and calendar year, developmental delay by age, anaemia by
age.  Each function takes the run's tables and returns a Figure (nothing is shown)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from povsim.plots.trajectories import OKABE_ITO, add_footer


def _by_age(tables: Mapping[str, pd.DataFrame], table: str, measure: str) -> pd.DataFrame:
    """Year x age (0-17) of a by-age measure, mean over replicates."""
    d = tables[table]
    d = d[(d["by"] == "age") & (d["measure"] == measure)]
    out = d.pivot_table(index="year", columns="group", values="value", aggfunc="mean")
    out.columns = out.columns.astype(int)
    return out.sort_index(axis=1)


def _years(index: Sequence[int]) -> list[int]:
    """The years drawn: the first, +1, +3, +6, +16 and the last (those simulated)."""
    idx = sorted(index)
    picks = [idx[0], idx[0] + 1, idx[0] + 3, idx[0] + 6, idx[0] + 16, idx[-1]]
    return sorted({y for y in picks if y in set(idx)})


def _percent_by_age(ax, frame: pd.DataFrame, ylabel: str, title: str) -> list[int]:
    """One line per selected year of a year x age share (in %); returns the years drawn."""
    ys = _years(frame.index)
    for i, y in enumerate(ys):
        ax.plot(frame.columns, 100 * frame.loc[y], marker="o", ms=3,
                color=OKABE_ITO[(i + 1) % 8], label=str(y))
    ax.set_xlabel("age (completed years)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(color="0.92")
    return ys


def plot_stunting_by_age_and_year(tables: Mapping[str, pd.DataFrame], *, provenance: str | None = None) -> Figure:
    """Left: stunting (HAZ < -2) by single year of age 0-17, one line per selected year.
    Right: stunting by age band over the calendar years."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    _percent_by_age(ax, _by_age(tables, "growth_by_age", "stunting_prevalence"), "stunted (HAZ < -2), %",
                    "Stunting by age")
    t = tables["stunting"]
    t = t[t["by"] == "all"]
    for i, (m, label) in enumerate((("stunting_prevalence", "0-4"),
                                    ("stunting_prevalence_5_9", "5-9"),
                                    ("stunting_prevalence_10_17", "10-17"))):
        s = t[t["measure"] == m].groupby("year")["value"].mean()
        ax2.plot(s.index, 100 * s.values, color=OKABE_ITO[(i + 1) % 8], label=f"ages {label}")
    ax2.set_xlabel("year")
    ax2.set_title("Stunting by age band and year", fontsize=10)
    ax2.legend(fontsize=8, frameon=False)
    ax2.grid(color="0.92")
    add_footer(fig, provenance, margin=0.04)
    return fig


def plot_haz_distribution(tables: Mapping[str, pd.DataFrame], *, provenance: str | None = None) -> Figure:
    """HAZ by single year of age in the run's first simulated year: mean with +-1 SD, and the
    shares below -1, -2 and -3 (mild, moderate and severe stunting)."""
    mean = _by_age(tables, "growth_by_age", "mean_haz")
    sq = _by_age(tables, "growth_by_age", "mean_haz_sq")
    y = int(mean.index.min()) + 1
    m, sd = mean.loc[y], np.sqrt(np.maximum(sq.loc[y] - mean.loc[y] ** 2, 0.0))
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    ax.plot(m.index, m.values, color=OKABE_ITO[5], marker="o", ms=3, label="mean")
    ax.fill_between(m.index, (m - sd).values, (m + sd).values, color=OKABE_ITO[5], alpha=0.2,
                    linewidth=0, label="mean +- 1 SD")
    ax.axhline(-2, color="0.4", linestyle="--", linewidth=0.8)
    ax.set_xlabel("age (completed years)")
    ax.set_ylabel("height-for-age z (WHO)")
    ax.set_title(f"Height-for-age by age, {y}", fontsize=10)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(color="0.92")
    ages = m.index.to_numpy()
    low = 0.0
    for i, (meas, label) in enumerate((("severe_stunting_prevalence", "< -3"),
                                       ("stunting_prevalence", "-3 to -2"),
                                       ("mild_stunting_prevalence", "-2 to -1"))):
        share = _by_age(tables, "growth_by_age", meas).loc[y].to_numpy()
        ax2.bar(ages, 100 * (share - low), bottom=100 * low, color=OKABE_ITO[(6, 1, 4)[i]],
                label=f"HAZ {label}")
        low = share
    ax2.set_xlabel("age (completed years)")
    ax2.set_ylabel("% of children")
    ax2.set_title(f"HAZ distribution by age, {y}", fontsize=10)
    ax2.legend(fontsize=8, frameon=False)
    add_footer(fig, provenance, margin=0.04)
    return fig


def plot_delay_by_age(tables: Mapping[str, pd.DataFrame], *, provenance: str | None = None) -> Figure:
    """Measured developmental delay (score below -1 SD on the instrument of the age: Bayley
    0-2, preschool IQ 3-5, school test 6-17) by single year of age, and mean latent
    cognitive and socio-emotional skill."""
    delay = _by_age(tables, "development_by_age", "delay_share")
    skill = _by_age(tables, "development_by_age", "mean_skill")
    se = _by_age(tables, "development_by_age", "mean_skill_se")
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    ys = _percent_by_age(ax, delay, "score < -1 SD, %", "Developmental delay by age (measured)")
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    for x in (2.5, 5.5):
        ax.axvline(x, color="0.75", linewidth=0.8)
    ax.text(0.5, 1.0, "Bayley", transform=ax.get_xaxis_transform(), fontsize=7, va="bottom")
    ax.text(3.2, 1.0, "WPPSI", transform=ax.get_xaxis_transform(), fontsize=7, va="bottom")
    ax.text(9.0, 1.0, "school tests", transform=ax.get_xaxis_transform(), fontsize=7,
            va="bottom")
    y = ys[-1]
    ax2.plot(skill.columns, skill.loc[ys[0]], color=OKABE_ITO[5], label=f"cognitive, {ys[0]}")
    ax2.plot(skill.columns, skill.loc[y], color=OKABE_ITO[5], linestyle="--",
             label=f"cognitive, {y}")
    ax2.plot(se.columns, se.loc[ys[0]], color=OKABE_ITO[6], label=f"socio-emotional, {ys[0]}")
    ax2.plot(se.columns, se.loc[y], color=OKABE_ITO[6], linestyle="--",
             label=f"socio-emotional, {y}")
    ax2.axhline(0, color="0.5", linewidth=0.8)
    ax2.set_xlabel("age (completed years)")
    ax2.set_ylabel("mean latent skill (SD)")
    ax2.set_title("Skill by age", fontsize=10)
    ax2.legend(fontsize=8, frameon=False)
    ax2.grid(color="0.92")
    add_footer(fig, provenance, margin=0.04)
    return fig


def plot_anaemia_by_age(tables: Mapping[str, pd.DataFrame], *, provenance: str | None = None) -> Figure:
    """Anaemia (haemoglobin below the WHO threshold of age and sex) by single year of age."""
    fig = Figure(figsize=(6, 4), layout="constrained")
    _percent_by_age(fig.subplots(), _by_age(tables, "anaemia_by_age", "anaemia_prevalence"), "anaemic, %",
                    "Anaemia by age")
    add_footer(fig, provenance, margin=0.04)
    return fig


def child_figures(tables: Mapping[str, pd.DataFrame], *,
                  provenance: str | None = None) -> dict[str, Figure]:
    """Every child-development figure of a run (file stem -> figure)."""
    return {
        "stunting_by_age_and_year": plot_stunting_by_age_and_year(tables, provenance=provenance),
        "haz_distribution": plot_haz_distribution(tables, provenance=provenance),
        "delay_by_age": plot_delay_by_age(tables, provenance=provenance),
        "anaemia_by_age": plot_anaemia_by_age(tables, provenance=provenance),
    }
