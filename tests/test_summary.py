"""Tests for povsim.summary: replicate summaries and their text and rich renderings."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from povsim.errors import PovsimError
from povsim.summary import (
    SUMMARY_COLUMNS,
    TIDY_COLUMNS,
    is_rate_measure,
    print_summary,
    render_summary,
    summarize,
)


def row(rep, year, measure, num, den, by="all", group="all", value=None):
    value = num / den if value is None else value
    return (rep, year, by, group, measure, float(num), float(den), float(value))


def tidy(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(TIDY_COLUMNS))


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    """Two replicates, years 2015 and 2020 (no 2016-2019), a county breakdown."""
    moda = tidy(
        [
            row(0, 2015, "stunting_prevalence", 200, 1000),
            row(1, 2015, "stunting_prevalence", 240, 1000),
            row(0, 2020, "stunting_prevalence", 100, 1000),
            row(1, 2020, "stunting_prevalence", 120, 1000),
            row(0, 2015, "stunting_prevalence", 30, 100, by="county", group="Yangxin"),
            row(1, 2015, "stunting_prevalence", 50, 100, by="county", group="Yangxin"),
            row(0, 2015, "stunting_prevalence", 10, 100, by="county", group="Zhuxi"),
            row(1, 2015, "stunting_prevalence", 20, 100, by="county", group="Zhuxi"),
        ]
    )
    people = tidy(
        [
            row(0, 2015, "persons", 12000, 1, value=12000),
            row(1, 2015, "persons", 14000, 1, value=14000),
            row(0, 2020, "persons", 13000, 1, value=13000),
            row(1, 2020, "persons", 15000, 1, value=15000),
            row(0, 2015, "mean_years_schooling", 7.5 * 10, 10, value=7.5),
            row(1, 2015, "mean_years_schooling", 8.5 * 10, 10, value=8.5),
        ]
    )
    return {"moda": moda, "people": people}


def test_mean_and_interval_two_replicates(tables) -> None:
    s = summarize(tables, years=[2015], measures=[("moda", "stunting_prevalence")])
    assert list(s.columns) == list(SUMMARY_COLUMNS)
    assert len(s) == 1
    r = s.iloc[0]
    assert (r["table"], r["measure"], r["group"], r["year"]) == (
        "moda",
        "stunting_prevalence",
        "all",
        2015,
    )
    assert r["mean"] == pytest.approx(0.22)
    # linear interpolation between the two replicates: 0.20 + 0.025 * 0.04, 0.20 + 0.975 * 0.04
    assert r["lo"] == pytest.approx(0.201)
    assert r["hi"] == pytest.approx(0.239)
    assert r["replicates"] == 2


def test_interval_matches_numpy_for_many_replicates() -> None:
    values = np.linspace(0.1, 0.3, 11)
    t = tidy([row(i, 2015, "x_rate", v * 100, 100) for i, v in enumerate(values)])
    r = summarize({"t": t}, years=[2015]).iloc[0]
    assert r["mean"] == pytest.approx(values.mean())
    assert (r["lo"], r["hi"]) == pytest.approx(tuple(np.percentile(values, [2.5, 97.5])))


def test_single_replicate_has_degenerate_interval() -> None:
    t = tidy([row(0, 2015, "x_rate", 25, 100)])
    r = summarize({"t": t}, years=[2015]).iloc[0]
    assert r["mean"] == r["lo"] == r["hi"] == 0.25
    assert r["replicates"] == 1
    text = render_summary(summarize({"t": t}, years=[2015]), "one")
    assert "25.0%" in text and "[" not in text.splitlines()[5]


def test_nearest_year(tables) -> None:
    s = summarize(tables, years=[2017, 2019, 2030], measures=[("moda", "stunting_prevalence")])
    assert list(s["year"]) == [2017, 2019, 2030]
    assert list(s["data_year"]) == [2015, 2020, 2020]
    assert s["mean"].tolist() == pytest.approx([0.22, 0.11, 0.11])


def test_nearest_year_tie_takes_earlier() -> None:
    t = tidy([row(0, 2014, "x_rate", 1, 10), row(0, 2016, "x_rate", 3, 10)])
    assert summarize({"t": t}, years=[2015]).iloc[0]["data_year"] == 2014


def test_all_measures_by_default_in_table_order(tables) -> None:
    s = summarize(tables, years=[2015, 2020])
    keys = list(dict.fromkeys(zip(s["table"], s["measure"], strict=True)))
    assert keys == [
        ("moda", "stunting_prevalence"),
        ("people", "persons"),
        ("people", "mean_years_schooling"),
    ]
    assert len(s) == 6


def test_by_county(tables) -> None:
    s = summarize(tables, years=[2015], measures=[("moda", "stunting_prevalence")], by="county")
    assert list(s["group"]) == ["Yangxin", "Zhuxi"]
    assert s["mean"].tolist() == pytest.approx([0.4, 0.15])


def test_missing_values_are_not_counted() -> None:
    t = tidy([row(0, 2015, "x_rate", 1, 10), row(1, 2015, "x_rate", 0, 0, value=math.nan)])
    r = summarize({"t": t}, years=[2015]).iloc[0]
    assert r["replicates"] == 1 and r["mean"] == pytest.approx(0.1)


def test_unknown_names_suggest_a_fix(tables) -> None:
    with pytest.raises(PovsimError, match="did you mean 'moda'"):
        summarize(tables, years=[2015], measures=[("mod", "stunting_prevalence")])
    with pytest.raises(PovsimError, match="did you mean 'stunting_prevalence'"):
        summarize(tables, years=[2015], measures=[("moda", "stunting_prevalance")])
    with pytest.raises(PovsimError, match="no rows with by == 'sex'"):
        summarize(tables, years=[2015], measures=[("moda", "stunting_prevalence")], by="sex")


def test_untidy_or_duplicated_tables_are_refused(tables) -> None:
    with pytest.raises(PovsimError, match="lacks the column"):
        summarize({"bad": tables["moda"].drop(columns="numerator")}, years=[2015])
    doubled = pd.concat([tables["moda"], tables["moda"].iloc[:1]])
    with pytest.raises(PovsimError, match="more than one row for replicate 0, year 2015"):
        summarize({"moda": doubled}, years=[2015])
    with pytest.raises(PovsimError, match="at least one year"):
        summarize(tables, years=[])


def test_render_summary_formats(tables) -> None:
    s = summarize(tables, years=[2015, 2018])
    text = render_summary(s, "Baseline, 2 replicates")
    lines = text.splitlines()
    assert lines[0] == "Baseline, 2 replicates"
    assert "2015" in lines[3] and "2018" in lines[3]
    assert "22.0% [20.1–23.9]" in text
    assert "11.0% [10.1–11.9] *2020" in text  # 2018 -> nearest simulated year 2020
    assert "13,000 [12,050–13,950]" in text
    assert "8.00 [7.53–8.47]" in text
    assert "nearest year" in text
    # fixed width: every row of the table is as wide as the header or narrower
    width = len(lines[4])
    assert all(len(line) <= width for line in lines[3:-2])


def test_render_summary_by_group_labels(tables) -> None:
    s = summarize(tables, years=[2015], measures=[("moda", "stunting_prevalence")], by="county")
    text = render_summary(s, "by county")
    assert "stunting_prevalence · Yangxin" in text
    assert "40.0% [30.5–49.5]" in text


def test_print_summary_uses_rich(tables) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=120, color_system=None)
    print_summary(summarize(tables, years=[2015]), "Baseline", console=console)
    out = buffer.getvalue()
    assert "Baseline" in out and "stunting_prevalence" in out and "22.0% [20.1–23.9]" in out


def test_is_rate_measure() -> None:
    assert is_rate_measure("income_poverty_rate")
    assert is_rate_measure("stunting_prevalence")
    assert is_rate_measure("left_behind_share")
    assert not is_rate_measure("persons")
    assert not is_rate_measure("rate_of_growth")
