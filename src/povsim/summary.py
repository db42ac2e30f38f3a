"""Run summary: replicate means and intervals of the tidy yearly tables, as text or rich.

A run yields one tidy table per outcome family (``{"moda": df, "income": df, ...}``).
Every table has the columns of :data:`TIDY_COLUMNS`, one row per replicate × year ×
subgroup × measure; ``value`` is a rate (``numerator / denominator``) or a mean or count.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from povsim.errors import PovsimError, did_you_mean

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "MEASURE_LABELS",
    "RATE_SUFFIXES",
    "SUMMARY_COLUMNS",
    "TIDY_COLUMNS",
    "check_tidy",
    "format_interval",
    "format_value",
    "is_rate_measure",
    "is_share",
    "measure_label",
    "print_summary",
    "print_table",
    "render_summary",
    "summarize",
]

TIDY_COLUMNS: tuple[str, ...] = (
    "replicate",
    "year",
    "by",
    "group",
    "measure",
    "numerator",
    "denominator",
    "value",
)
SUMMARY_COLUMNS: tuple[str, ...] = (
    "table",
    "measure",
    "group",
    "year",
    "data_year",
    "mean",
    "lo",
    "hi",
    "replicates",
)
RATE_SUFFIXES: tuple[str, ...] = ("_rate", "_prevalence", "_share")

_NEAREST_MARK = "*"


def is_rate_measure(measure: str) -> bool:
    """True when a measure is a proportion in [0, 1] (its name contains ``_rate``,
    ``_prevalence`` or ``_share`` as a word, e.g. ``anaemia_prevalence_infant``), shown as a
    percentage."""
    return measure.endswith(RATE_SUFFIXES) or any(f"{s}_" in measure for s in RATE_SUFFIXES)


#: Readable names of the measures (figures, briefs, summaries); an ``_<a>_<b>`` age
#: suffix is read as "ages a-b" (``moda_M0_0_5`` -> "MODA adjusted headcount M0, ages 0-5").
MEASURE_LABELS: dict[str, str] = {
    "moda_headcount_rate": "MODA multidimensional poverty H",
    "moda_outcome_headcount_rate": "MODA poverty H on outcome indicators",
    "moda_intensity_share": "MODA intensity A",
    "moda_M0": "MODA adjusted headcount M0",
    "moda_deprived_and_poor_share": "MODA-deprived and income-poor",
    "moda_deprived_only_share": "MODA-deprived, not income-poor",
    "moda_poor_only_share": "income-poor, not MODA-deprived",
    "moda_neither_share": "neither MODA-deprived nor income-poor",
    "income_poverty_rate": "Income poverty (all persons)",
    "child_income_poverty_rate": "Income poverty, children 0-17",
    "stunting_prevalence": "Stunting, under 5",
    "anaemia_prevalence_infant": "Anaemia, ages 0-1",
    "anaemia_prevalence_school": "Anaemia, ages 6-17",
    "enrolment_rate_15_17": "Enrolment, ages 15-17",
    "junior_high_dropout_rate": "Junior-high dropout (annual)",
    "left_behind_share": "Left-behind children",
    "mean_skill_0_5": "Mean skill 0-5 (SD)",
    "no_safe_water_share": "Children without safe water",
    "mean_income_pc": "Income per capita (RMB, 2014 prices)",
    "persons": "Persons",
    "mean_school_years": "Years of schooling (treated cohorts)",
    "adult_poor_relative_share": "Adult relative poverty (treated cohorts)",
    "adult_poor_absolute_share": "Adult absolute poverty (treated cohorts)",
    "transmission_relative": "P(poor adult | poor child), relative line",
    "adult_poor_relative_cases": "Adult relative-poverty cases (treated cohorts)",
    "school_years_total": "Years of schooling, total (treated cohorts)",
    "cost_rmb": "Cost (RMB, 2014 prices)",
    "cost_discounted_rmb": "Discounted cost (RMB, 2014 prices)",
}
_AGE_SUFFIX = re.compile(r"_(\d+)_(\d+)$")


def measure_label(measure: str) -> str:
    """A readable name for a measure id (:data:`MEASURE_LABELS`, else the id in words)."""
    if measure in MEASURE_LABELS:
        return MEASURE_LABELS[measure]
    m = _AGE_SUFFIX.search(measure)
    if m and measure[: m.start()] in MEASURE_LABELS:
        return f"{MEASURE_LABELS[measure[: m.start()]]}, ages {m[1]}-{m[2]}"
    text = measure.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def is_share(measure: str) -> bool:
    """A proportion shown in percent: a rate measure, or a transmission probability."""
    return is_rate_measure(measure) or "transmission" in measure


def format_value(measure: str, value: float, *, difference: bool = False) -> str:
    """A value as shown in summaries and briefs: shares in % (differences of shares in
    percentage points, ``pp``), RMB without decimals, indices with three decimals."""
    if value != value:
        return "n/a"
    sign = "+" if difference else ""
    if "rmb" in measure:
        return f"{value:{sign},.0f}"
    if is_share(measure):
        return f"{100 * value:{sign}.1f} pp" if difference else f"{100 * value:.1f}%"
    return f"{value:{sign}.3f}"


def format_interval(measure: str, mean: float, lo: float, hi: float, *, difference: bool = False) -> str:
    """``mean [lo, hi]`` in the units of :func:`format_value` (the unit written once)."""
    text = format_value(measure, mean, difference=difference)
    if lo == lo and hi == hi:
        unit = " pp" if text.endswith(" pp") else ""
        low, high = (format_value(measure, v, difference=difference).removesuffix(" pp") for v in (lo, hi))
        text = f"{text.removesuffix(' pp')} [{low}, {high}]{unit}"
    return text


def check_tidy(table: pd.DataFrame, name: str) -> None:
    """Raise :class:`PovsimError` when ``table`` lacks a column of :data:`TIDY_COLUMNS`."""
    missing = [c for c in TIDY_COLUMNS if c not in table.columns]
    if missing:
        raise PovsimError(
            f"table {name!r} lacks the column(s) {', '.join(missing)}; a tidy table has "
            f"{', '.join(TIDY_COLUMNS)}"
        )


def _nearest(available: np.ndarray, year: int) -> int:
    """The available year closest to ``year`` (the earlier one on a tie)."""
    order = np.sort(available)
    return int(order[np.argmin(np.abs(order - year))])


def summarize(
    tables: Mapping[str, pd.DataFrame],
    *,
    years: Sequence[int],
    measures: Sequence[tuple[str, str]] | None = None,
    by: str = "all",
) -> pd.DataFrame:
    """Mean across replicates and a 95 % interval of each measure at chosen years.

    Parameters
    ----------
    tables
        Tidy tables by name (columns :data:`TIDY_COLUMNS`).
    years
        Years to report. A year absent for a measure is replaced by the nearest year
        present (the earlier on a tie); ``data_year`` says which year was used.
    measures
        ``(table_name, measure)`` pairs, in the order wanted; ``None`` means every
        measure of every table that has rows with ``by == by``.
    by
        Breakdown: ``"all"`` (whole population) or a subgroup dimension such as
        ``"county"``; each group of it is summarised separately.

    Returns
    -------
    DataFrame
        Columns :data:`SUMMARY_COLUMNS`: ``table, measure, group, year`` (as requested),
        ``data_year`` (used), ``mean``, ``lo``, ``hi`` (2.5th and 97.5th percentiles
        across replicates, linear interpolation; both equal the value when there is a
        single replicate), ``replicates`` (replicates with a non-missing value). Rows
        follow the order of ``measures`` (or of the tables), then groups in order of
        first appearance, then ``years``.

    Raises
    ------
    PovsimError
        An unknown table or measure, a table that is not tidy, or two rows for the same
        replicate, year, group and measure.
    """
    if len(years) == 0:
        raise PovsimError("summarize needs at least one year in `years`")
    for name, table in tables.items():
        check_tidy(table, name)

    if measures is None:
        pairs = [
            (name, str(m))
            for name, table in tables.items()
            for m in pd.unique(table.loc[table["by"] == by, "measure"])
        ]
    else:
        pairs = [(str(t), str(m)) for t, m in measures]

    rows: list[dict[str, object]] = []
    for name, measure in pairs:
        if name not in tables:
            raise PovsimError(f"no table {name!r}; {did_you_mean(name, tables)}")
        table = tables[name]
        sel = table[(table["measure"] == measure) & (table["by"] == by)]
        if sel.empty:
            here = table.loc[table["by"] == by, "measure"].unique()
            if measure in set(table["measure"]):
                hint = f"it has no rows with by == {by!r}"
            else:
                hint = did_you_mean(measure, map(str, here))
            raise PovsimError(f"table {name!r} has no measure {measure!r} ({hint})")
        dup = sel.duplicated(["replicate", "year", "group"])
        if dup.any():
            first = sel[dup].iloc[0]
            raise PovsimError(
                f"table {name!r}, measure {measure!r}: more than one row for replicate "
                f"{first['replicate']}, year {first['year']}, group {first['group']!r} "
                f"(by == {by!r})"
            )
        for group, rows_g in sel.groupby("group", sort=False):
            available = rows_g["year"].unique()
            for year in years:
                data_year = _nearest(available, int(year))
                values = rows_g.loc[rows_g["year"] == data_year, "value"].astype(float)
                values = values[values.notna()].to_numpy()
                if values.size == 0:
                    mean = lo = hi = math.nan
                elif values.size == 1:
                    mean = lo = hi = float(values[0])
                else:
                    mean = float(values.mean())
                    lo, hi = (float(q) for q in np.percentile(values, [2.5, 97.5]))
                rows.append(
                    {
                        "table": name,
                        "measure": measure,
                        "group": str(group),
                        "year": int(year),
                        "data_year": data_year,
                        "mean": mean,
                        "lo": lo,
                        "hi": hi,
                        "replicates": int(values.size),
                    }
                )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


# --------------------------------------------------------------------------------------
# formatting
# --------------------------------------------------------------------------------------


def _decimals(values: Iterable[float]) -> int:
    """Decimals for plain numbers: none for whole numbers or >= 100, else by magnitude."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite or all(float(v).is_integer() for v in finite):
        return 0
    size = max(abs(v) for v in finite)
    if size >= 100:
        return 0
    if size >= 1:
        return 2
    return 3


def _cell(measure: str, mean: float, lo: float, hi: float, replicates: int) -> str:
    """One formatted cell: ``12.3% [11.8–12.9]`` or ``1,234 [1,200–1,270]``."""
    if not math.isfinite(mean):
        return "n/a"
    show_interval = replicates >= 2 and math.isfinite(lo) and math.isfinite(hi) and lo != hi
    if is_rate_measure(measure):
        text = f"{100 * mean:.1f}%"
        if show_interval:
            text += f" [{100 * lo:.1f}–{100 * hi:.1f}]"
        return text
    d = _decimals([mean, lo, hi] if show_interval else [mean])
    text = f"{mean:,.{d}f}"
    if show_interval:
        text += f" [{lo:,.{d}f}–{hi:,.{d}f}]"
    return text


def _grid(summary_df: pd.DataFrame) -> tuple[list[str], list[str], list[list[str]], bool]:
    """Row labels, column headers (years) and cells of a summary; plus "nearest used"."""
    missing = [c for c in SUMMARY_COLUMNS if c not in summary_df.columns]
    if missing:
        raise PovsimError(f"not a summary table (from summarize): lacks {', '.join(missing)}")
    years = [int(y) for y in pd.unique(summary_df["year"])]
    tables_of = summary_df.groupby("measure")["table"].nunique()
    grouped = summary_df["group"].astype(str).ne("all").any()
    labels: list[str] = []
    cells: list[list[str]] = []
    nearest_used = False
    keys = summary_df[["table", "measure", "group"]].drop_duplicates()
    for table, measure, group in keys.itertuples(index=False):
        label = str(measure)
        if tables_of[measure] > 1:
            label += f" ({table})"
        if grouped:
            label += f" · {group}"
        part = summary_df[
            (summary_df["table"] == table)
            & (summary_df["measure"] == measure)
            & (summary_df["group"] == group)
        ]
        row: list[str] = []
        for year in years:
            hit = part[part["year"] == year]
            if hit.empty:
                row.append("")
                continue
            r = hit.iloc[0]
            text = _cell(str(measure), r["mean"], r["lo"], r["hi"], int(r["replicates"]))
            if int(r["data_year"]) != year:
                text += f" {_NEAREST_MARK}{int(r['data_year'])}"
                nearest_used = True
            row.append(text)
        labels.append(label)
        cells.append(row)
    return labels, [str(y) for y in years], cells, nearest_used


def _footnote(summary_df: pd.DataFrame, nearest_used: bool) -> list[str]:
    notes = []
    reps = sorted({int(r) for r in summary_df["replicates"]}) if len(summary_df) else []
    if reps and max(reps) >= 2:
        count = str(reps[0]) if len(reps) == 1 else f"{reps[0]}–{reps[-1]}"
        notes.append(f"mean across {count} replicates [2.5th–97.5th percentile across replicates]")
    elif reps:
        notes.append("one replicate: no interval")
    if nearest_used:
        notes.append(f"{_NEAREST_MARK}YYYY: year not simulated, nearest year shown")
    return notes


def render_summary(summary_df: pd.DataFrame, title: str) -> str:
    """A fixed-width text table of a summary: measures as rows, years as columns.

    Parameters
    ----------
    summary_df
        Output of :func:`summarize`.
    title
        First line of the text.

    Returns
    -------
    str
        The table, ending with a newline. Rates (``_rate``, ``_prevalence``,
        ``_share``) read ``12.3% [11.8–12.9]``; other measures ``1,234 [1,200–1,270]``.
        The interval is left out when there is one replicate (or all replicates agree);
        a value taken from the nearest simulated year is marked ``*YYYY``.
    """
    labels, headers, cells, nearest_used = _grid(summary_df)
    first = "measure"
    widths = [max([len(first), *(len(s) for s in labels)])]
    for j, head in enumerate(headers):
        widths.append(max([len(head), *(len(row[j]) for row in cells)]))
    sep = "  "

    def line(items: list[str]) -> str:
        parts = [items[0].ljust(widths[0])]
        parts += [item.rjust(w) for item, w in zip(items[1:], widths[1:], strict=True)]
        return sep.join(parts).rstrip()

    header = line([first, *headers])
    rule = "-" * len(header)
    out = [title, "=" * max(len(title), 1), "", header, rule]
    out += [line([label, *row]) for label, row in zip(labels, cells, strict=True)]
    out.append(rule)
    out += _footnote(summary_df, nearest_used)
    return "\n".join(out) + "\n"


def print_summary(summary_df: pd.DataFrame, title: str, console: Console | None = None) -> None:
    """Print a summary to the terminal as a :class:`rich.table.Table`.

    Parameters
    ----------
    summary_df
        Output of :func:`summarize`.
    title
        Table title.
    console
        Where to print; a new :class:`rich.console.Console` (standard output) if ``None``.
        When it is not a terminal (output piped or redirected) the plain text of
        :func:`render_summary` is printed, so no number is ever shortened to fit a width.
    """
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    if not console.is_terminal:  # piped or redirected: plain text, never a cut-off number
        console.print(render_summary(summary_df, title), markup=False, highlight=False, soft_wrap=True, end="")
        return
    labels, headers, cells, nearest_used = _grid(summary_df)
    table = Table(
        title=title,
        caption="; ".join(_footnote(summary_df, nearest_used)) or None,
        caption_justify="left",
    )
    # labels never wrap; cells wrap at the space before the interval when the terminal is narrow
    table.add_column(
        "measure", style="bold", no_wrap=True, min_width=min(max(map(len, labels), default=7), 40)
    )
    for head in headers:
        table.add_column(head, justify="right", overflow="fold")
    for label, row in zip(labels, cells, strict=True):
        table.add_row(label, *row)
    console.print(table)


def print_table(df: pd.DataFrame, title: str) -> None:
    """A table of text cells on the terminal (cells wrap, never cut), or as plain text when
    the output is piped or redirected."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console.print(f"{title}\n{df.to_string(index=False)}", markup=False, highlight=False, soft_wrap=True)
        return
    table = Table(title=title)
    for col in df.columns:
        table.add_column(str(col), overflow="fold")
    for row in df.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    console.print(table)
