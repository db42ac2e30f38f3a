"""MODA tables from survey microdata (one CSV row per child).

:func:`survey_moda` reads a CSV, checks every column it needs, and computes the same
tables as the simulation model through the same code path
(:func:`povsim.moda.tables.compute_moda_tables`). The command ``povsim moda SURVEY.csv
--config MODA.toml --out DIR`` is a thin wrapper around it.

CSV layout
----------
One row per child, with a header row. Columns used:

``age``
    Age in years (numeric). Needed when the configuration has more than one age
    group; a child belongs to a group when ``min_age <= age < max_age + 1``. Children
    outside every age group, or with a missing age, are left out and counted in the
    notes.
indicator columns
    The ``column`` of every indicator of the age groups present. Numeric; a column
    used by an indicator without a ``rule`` must hold 0 or 1.
``weight``
    Optional survey weight per child (number >= 0); default 1.
income-poverty column
    Optional (named by ``moda.income_poverty``); 0/1. Without it the income overlap is
    skipped, with a note.
subgroup columns
    Labels for the decomposition (``groups``); every row needs a label.

Missing values are empty cells or one of ``NA``, ``NaN``, ``N/A``, ``null``,
``None``, ``.`` (any case). They are handled as the configuration's ``missing`` policy
says, and the number of children affected is reported in :attr:`SurveyResult.notes`.

References
----------
de Neubourg, C., Chai, J., de Milliano, M., Plavgo, I. and Wei, Z. (2012).
*Step-by-Step Guidelines to the Multiple Overlapping Deprivation Analysis (MODA)*.
UNICEF Office of Research Working Paper WP-2012-10.

Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement.
*Journal of Public Economics* 95(7-8): 476-487. doi:10.1016/j.jpubeco.2010.11.006
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from povsim.errors import ScenarioError, did_you_mean
from povsim.moda.config import MODAConfig
from povsim.moda.tables import TABLE_NAMES, compute_moda_tables

__all__ = ["MISSING_TOKENS", "SurveyError", "SurveyResult", "survey_moda"]

#: Cell contents read as a missing value (compared after strip() and lower()).
MISSING_TOKENS: frozenset[str] = frozenset({"", "na", "nan", "n/a", "null", "none", "."})

#: Name of the optional survey-weight column.
WEIGHT_COLUMN = "weight"
#: Name of the age column.
AGE_COLUMN = "age"


class SurveyError(ScenarioError):
    """A survey file that cannot be used, naming the row and column at fault (the message
    reads as every input error: file, where, value, what was expected, a fix).

    Parameters
    ----------
    file
        Path of the survey CSV.
    row
        1-based data row (the header is line 1, so row ``r`` is line ``r + 1``), or
        ``None`` when the problem is not in one row.
    column
        Column name, or ``""``.
    value, expected, suggestion
        As for :class:`povsim.errors.ScenarioError`.
    """

    def __init__(self, file: str, row: int | None, column: str, value: object, expected: str,
                 suggestion: str = "") -> None:
        self.row, self.column = row, column
        where = [f"row {row} (line {row + 1})"] if row is not None else []
        where += [f"column {column!r}"] if column else []
        super().__init__(file, ", ".join(where), value, expected, suggestion)


@dataclass(frozen=True, eq=False)
class SurveyResult:
    """Outcome of :func:`survey_moda`.

    Attributes
    ----------
    tables
        The tables of :func:`povsim.moda.moda_tables` (long format).
    notes
        Human-readable notes: the missing-value policy and how many children it
        affected, children outside every age group, skipped parts.
    n_rows
        Data rows in the CSV.
    n_outside
        Rows left out because their age is missing or outside every age group.
    files
        CSV (and notes) files written to ``out_dir`` (empty when none was given).
    config_name
        ``moda.name`` of the configuration used.
    """

    tables: dict[str, pd.DataFrame]
    notes: tuple[str, ...]
    n_rows: int
    n_outside: int
    files: tuple[Path, ...]
    config_name: str


#: Delimiters recognised in a survey's header line (Excel writes ';' in many locales).
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def _read_csv(path: Path, encoding: str | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The survey as strings, and notes on how it was read (delimiter, encoding)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SurveyError(str(path), None, "", None, "an existing CSV file") from None
    except OSError as exc:
        raise SurveyError(str(path), None, "", exc.strerror, "a readable CSV file") from None
    try:
        text = raw.decode(encoding or "utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise SurveyError(
            str(path), None, "", f"byte {raw[exc.start:exc.start + 1]!r} on line {line}",
            f"a text file in {encoding or 'UTF-8'}",
            "save it as UTF-8 (Excel: 'CSV UTF-8'), or name its encoding, e.g. --encoding latin-1 "
            "or --encoding gbk") from None
    except LookupError:
        raise SurveyError(str(path), None, "", encoding, "a known text encoding",
                          "e.g. --encoding utf-8, latin-1, cp1252 or gbk") from None
    header = text.lstrip().split("\n", 1)[0]
    sep = max(DELIMITERS, key=header.count) if any(d in header for d in DELIMITERS) else ","
    notes = [f"read as {DELIMITERS[sep]}-delimited"] if sep != "," else []
    if encoding:
        notes.append(f"read in the {encoding} encoding")
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise SurveyError(
            str(path), None, "", "an empty file", "a header row and one row per child"
        ) from None
    except pd.errors.ParserError as exc:
        m = re.search(r"line (\d+)", str(exc))
        where = f"line {m.group(1)}" if m else "a row"
        raise SurveyError(str(path), None, "", f"{where} has more cells than the header",
                          f"a {DELIMITERS[sep]}-delimited CSV with one cell per header column",
                          "check the quoting of cells that contain the delimiter") from None
    df.columns = [str(c).strip() for c in df.columns]
    dup = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if dup:
        raise SurveyError(str(path), None, dup[0], "a duplicated column", "unique column names")
    if len(df) == 0:
        raise SurveyError(str(path), None, "", "no data rows", "one row per child")
    return df, notes


def _missing_mask(raw: pd.Series) -> NDArray[np.bool_]:
    s = raw.astype(str).str.strip().str.lower()
    return s.isin(MISSING_TOKENS).to_numpy(dtype=bool)


def _numeric(raw: pd.Series, file: str, column: str, expected: str) -> NDArray[np.float64]:
    """Parse a column of strings as floats; missing cells become NaN."""
    missing = _missing_mask(raw)
    stripped = raw.astype(str).str.strip()
    values = pd.to_numeric(stripped.where(~missing), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values) & ~missing
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        comma = re.fullmatch(r"[-+]?\d+,\d+", str(raw.iloc[i]).strip())
        raise SurveyError(file, i + 1, column, raw.iloc[i], expected,
                          "decimal comma? write the number with a point" if comma else "")
    return values


def _refuse_first(bad: NDArray[np.bool_], raw: pd.Series, file: str, column: str, expected: str) -> None:
    """Raise a :class:`SurveyError` naming the first row of ``column`` where ``bad`` holds, if any."""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SurveyError(file, i + 1, column, raw.iloc[i], expected)


def _require(df: pd.DataFrame, file: str, column: str, purpose: str) -> pd.Series:
    if column not in df.columns:
        cols = [str(c) for c in df.columns]
        shown = ", ".join(cols[:12]) + (f", ... ({len(cols)} in all)" if len(cols) > 12 else "")
        hint = did_you_mean(column, cols, listing="")
        hint = hint if hint.startswith("did you mean") else (
            f"the file's columns are {shown}; add a column {column!r}, or point `column = ...` of the "
            "indicator in the MODA configuration (--config) at one of them")
        raise SurveyError(file, None, column, "no such column", f"a column {column!r} ({purpose})", hint)
    return df[column]


def survey_moda(
    survey_csv: str | os.PathLike[str],
    config: MODAConfig,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    groups: Sequence[str] | None = None,
    encoding: str | None = None,
) -> SurveyResult:
    """MODA tables for a survey CSV (one row per child).

    Parameters
    ----------
    survey_csv
        Path of the CSV (see the module docstring for the columns).
    config
        MODA configuration from :func:`povsim.moda.load_moda_config`.
    out_dir
        If given, the tables are written there as ``moda_<table>.csv`` plus
        ``moda_notes.txt`` (each written to a temporary file in the folder, then moved
        into place); the folder is created if needed.
    groups
        Subgroup columns to decompose by; every one must exist. Default: those of
        ``config.moda.groups`` present in the CSV (the others are named in the notes).
    encoding
        Text encoding of the CSV (default UTF-8, with or without a byte-order mark).
        The delimiter (comma, semicolon, tab or pipe) is read off the header line.

    Returns
    -------
    SurveyResult
        Tables, notes and the files written.

    Raises
    ------
    SurveyError
        A missing column, a non-numeric or non-0/1 value (naming row and column), a
        negative or missing weight, an empty subgroup label, or no child in any age
        group.
    """
    if not isinstance(config, MODAConfig):
        raise TypeError(
            "config must be a MODAConfig (use povsim.moda.load_moda_config(path)); "
            f"got {type(config).__name__}"
        )
    path = Path(survey_csv)
    file = str(path)
    df, read_notes = _read_csv(path, encoding)
    n_rows = len(df)
    notes: list[str] = [*read_notes, f"missing-value policy: {config.moda.missing!r}"]
    frame: dict[str, NDArray[np.float64] | NDArray[np.object_]] = {}

    # ages and age groups present
    if AGE_COLUMN in df.columns:
        age = _numeric(df[AGE_COLUMN], file, AGE_COLUMN, "an age in years (a number)")
        _refuse_first(age < 0, df[AGE_COLUMN], file, AGE_COLUMN, "an age >= 0")
        n_age_missing = int(np.isnan(age).sum())
        if n_age_missing:
            notes.append(f"{n_age_missing} row(s) with a missing age were left out")
    elif len(config.age_groups) == 1:
        age = np.full(n_rows, float(config.age_groups[0].min_age))
        notes.append(
            f"no {AGE_COLUMN!r} column: every row taken to be in age group "
            f"{config.age_groups[0].name!r}"
        )
    else:
        raise SurveyError(
            file, None, AGE_COLUMN, "no such column",
            f"a column {AGE_COLUMN!r} to assign children to the age groups "
            + ", ".join(repr(a) for a in config.age_group_names),
            did_you_mean(AGE_COLUMN, [str(c) for c in df.columns]),
        )
    frame[AGE_COLUMN] = age
    present = [ag for ag in config.age_groups if ag.contains(age).any()]
    in_any = np.zeros(n_rows, dtype=bool)
    for ag in config.age_groups:
        in_any |= ag.contains(age)
    if not present:
        spans = ", ".join(f"{ag.name}: {ag.min_age}-{ag.max_age}" for ag in config.age_groups)
        raise SurveyError(
            file, None, AGE_COLUMN, "no row in any age group",
            f"at least one child with an age in an age group ({spans})",
        )

    # indicator columns: strictest requirement per column
    needs_01: dict[str, str] = {}
    numeric_cols: dict[str, str] = {}
    for ag in present:
        for ind in config.indicators_for(ag.name):
            numeric_cols.setdefault(ind.column, ind.name)
            if ind.rule is None:
                needs_01.setdefault(ind.column, ind.name)
    for col, ind_name in numeric_cols.items():
        raw = _require(df, file, col, f"indicator {ind_name!r}")
        if col in needs_01:
            expected = (f"0 or 1 (indicator {needs_01[col]!r} has no rule, so 1 = deprived), "
                        "or an empty cell for a missing value")
        else:
            expected = f"a number for indicator {ind_name!r}, or an empty cell for a missing value"
        values = _numeric(raw, file, col, expected)
        if col in needs_01:
            _refuse_first(~(np.isnan(values) | (values == 0) | (values == 1)), raw, file, col, expected)
        frame[col] = values

    # survey weights
    weights = None
    if WEIGHT_COLUMN in df.columns:
        expected = "a survey weight: a finite number >= 0"
        weights = _numeric(df[WEIGHT_COLUMN], file, WEIGHT_COLUMN, expected)
        _refuse_first(~np.isfinite(weights) | (weights < 0), df[WEIGHT_COLUMN], file, WEIGHT_COLUMN, expected)
        if not (weights[in_any] > 0).any():
            raise SurveyError(file, None, WEIGHT_COLUMN, "0 for every child in an age group",
                              "at least one positive survey weight", "a weight of 0 leaves the child out; "
                              "remove the column to weight every child equally")

    # income poverty
    inc_col = config.moda.income_poverty
    cfg = config
    if inc_col is not None:
        if inc_col in df.columns:
            expected = "0 or 1 (1 = income poor), or an empty cell for a missing value"
            values = _numeric(df[inc_col], file, inc_col, expected)
            _refuse_first(~(np.isnan(values) | (values == 0) | (values == 1)), df[inc_col], file, inc_col, expected)
            frame[inc_col] = values
        else:
            notes.append(f"no income-poverty column {inc_col!r}: income overlap skipped")
            cfg = config.model_copy(
                update={"moda": config.moda.model_copy(update={"income_poverty": None})}
            )

    # subgroup columns
    if groups is None:
        group_cols = [g for g in config.moda.groups if g in df.columns]
        absent = [g for g in config.moda.groups if g not in df.columns]
        if absent:
            notes.append(
                "subgroup column(s) not in the survey, no decomposition by them: "
                + ", ".join(absent)
            )
    else:
        group_cols = list(groups)
        for g in group_cols:
            _require(df, file, g, "subgroup decomposition")
    for g in group_cols:
        if g == "all":
            raise SurveyError(file, None, g, g, "a subgroup column not named 'all'")
        raw = df[g]
        _refuse_first(_missing_mask(raw) & in_any, raw, file, g,
                      "a group label (every child needs one for the decomposition)")
        frame[g] = raw.astype(str).str.strip().to_numpy(dtype=object)

    try:
        tables, more_notes = compute_moda_tables(frame, cfg, groups=group_cols,
                                                 sample_weights=weights)
    except ValueError as exc:  # pragma: no cover - the checks above should catch these
        raise SurveyError(file, None, "", str(exc), "a valid survey") from None
    notes.extend(more_notes)
    n_outside = int(n_rows - np.count_nonzero(in_any))

    files: list[Path] = []
    if out_dir is not None:
        from povsim.output import atomic_write_csv, atomic_write_text

        out = Path(out_dir)
        files += [atomic_write_csv(out / f"moda_{name}.csv", tables[name]) for name in TABLE_NAMES]
        files.append(atomic_write_text(out / "moda_notes.txt", f"survey: {file}\nconfig: {config.moda.name} "
                                       f"({config.source})\n" + "".join(f"{note}\n" for note in notes)))

    return SurveyResult(
        tables=tables,
        notes=tuple(notes),
        n_rows=n_rows,
        n_outside=n_outside,
        files=tuple(files),
        config_name=config.moda.name,
    )
