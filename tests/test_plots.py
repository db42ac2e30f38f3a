"""Tests for povsim.plots: trajectory figures from tidy tables."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from povsim.errors import PovsimError
from povsim.output import save_figure
from povsim.plots import OKABE_ITO, plot_panel, plot_trajectory, provenance_line
from povsim.summary import TIDY_COLUMNS

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
COUNTIES = ["Yangxin", "Tongshan", "Zhuxi"]


def make_table(replicates: int, years=range(2015, 2021)) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for rep in range(replicates):
        for year in years:
            for by, groups in (("all", ["all"]), ("county", COUNTIES)):
                for group in groups:
                    den = 500.0
                    num = float(rng.binomial(500, 0.3 - 0.02 * (year - 2015)))
                    rows.append((rep, year, by, group, "stunting_prevalence", num, den, num / den))
                    rows.append((rep, year, by, group, "persons", den, 1.0, den))
    return pd.DataFrame(rows, columns=list(TIDY_COLUMNS))


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return make_table(3)


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.texts]


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_trajectory_all(table, tmp_path: Path) -> None:
    provenance = provenance_line("baseline", [1], version="0.1.0", when=datetime(2026, 11, 29))
    fig = plot_trajectory(table, "stunting_prevalence", provenance=provenance)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert len(ax.get_lines()) == 1
    assert len(ax.collections) == 1  # the replicate band
    assert ax.get_xlabel() == "Year"
    assert ax.get_ylabel() == "Stunting, under 5 (%)"  # readable names, not ids
    assert ax.get_title() == "Stunting, under 5"
    assert ax.get_ylim()[0] == 0  # shares from zero
    assert "range of 3 replicates" in legend_texts(ax)
    assert texts(fig) == ["povsim 0.1.0 · scenario baseline · seed 1 · 2026-11-29"]
    assert ax.yaxis.get_major_formatter().__class__.__name__ == "PercentFormatter"
    # the mean line is the replicate mean
    mean = (
        table.query("by == 'all' and measure == 'stunting_prevalence'")
        .groupby("year")["value"]
        .mean()
    )
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), mean.to_numpy())

    png, svg = save_figure(fig, tmp_path / "traj", dpi=40)
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 1000
    assert svg.stat().st_size > 1000 and b"<svg" in svg.read_bytes()[:500]


def test_trajectory_by_group_has_one_line_per_group(table, tmp_path: Path) -> None:
    fig = plot_trajectory(table, "stunting_prevalence", by="county", title="T", ylabel="Y")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == COUNTIES
    assert [line.get_color() for line in lines] == list(OKABE_ITO[:3])
    assert len({str(line.get_linestyle()) for line in lines}) == 3  # greyscale-safe
    assert (ax.get_title(), ax.get_ylabel()) == ("T", "Y")
    assert fig.texts == []  # no provenance given, no footer
    paths = save_figure(fig, tmp_path / "by_county", formats=("png",), dpi=40)
    assert paths[0].read_bytes()[:8] == PNG_MAGIC


def test_band_label_and_counts() -> None:
    many = make_table(6, years=range(2015, 2018))
    ax = plot_trajectory(many, "stunting_prevalence").axes[0]
    assert "5th–95th percentile of 6 replicates" in legend_texts(ax)
    one = make_table(1, years=range(2015, 2018))
    ax = plot_trajectory(one, "stunting_prevalence").axes[0]
    assert len(ax.collections) == 0 and legend_texts(ax) == ["mean"]


def test_percent_override_and_plain_measures(table) -> None:
    ax = plot_trajectory(table, "persons").axes[0]
    assert ax.get_ylabel() == "Persons"
    assert ax.yaxis.get_major_formatter().__class__.__name__ != "PercentFormatter"
    ax = plot_trajectory(table, "stunting_prevalence", percent=False).axes[0]
    assert ax.get_ylabel() == "Stunting, under 5"


def test_unknown_measure_or_breakdown(table) -> None:
    with pytest.raises(PovsimError, match="did you mean 'persons'"):
        plot_trajectory(table, "person")
    with pytest.raises(PovsimError, match="available: all, county"):
        plot_trajectory(table, "persons", by="sex")


def test_panel(table, tmp_path: Path) -> None:
    specs = [
        ("moda", "stunting_prevalence", "Stunting"),
        ("moda", "persons", "Children"),
        ("moda", "stunting_prevalence", "Stunting again"),
        ("moda", "persons", "Children again"),
    ]
    fig = plot_panel({"moda": table}, specs, provenance="povsim test")
    drawn = [ax for ax in fig.axes if ax.axison]
    assert len(fig.axes) == 6 and len(drawn) == 4  # 2 x 3 grid, two empty cells hidden
    assert [ax.get_title() for ax in drawn] == [label for _, _, label in specs]
    assert sum(len(ax.get_lines()) for ax in fig.axes) == len(specs)
    assert texts(fig) == ["povsim test"]
    png, svg = save_figure(fig, tmp_path / "panel", dpi=30)
    assert png.read_bytes()[:8] == PNG_MAGIC and svg.stat().st_size > 1000


def test_panel_errors(table) -> None:
    with pytest.raises(PovsimError, match="did you mean 'moda'"):
        plot_panel({"moda": table}, [("mod", "persons", "P")])
    with pytest.raises(PovsimError, match="expected"):
        plot_panel({"moda": table}, [("moda", "persons")])  # type: ignore[list-item]
    with pytest.raises(PovsimError, match="at least one"):
        plot_panel({"moda": table}, [])


def test_provenance_line_seeds() -> None:
    when = datetime(2026, 1, 2)
    assert provenance_line("b", [1, 2, 3], version="1", when=when).endswith(
        "seeds 1–3 · 2026-01-02"
    )
    assert "· 3 seeds ·" in provenance_line("b", [5, 1, 9], version="1", when=when)


def test_no_pyplot_figures_are_left_open(table) -> None:
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_trajectory(table, "persons")
    plot_panel({"m": table}, [("m", "persons", "P")])
    assert plt.get_fignums() == before
    assert matplotlib.get_backend()  # importable without a display
