"""Collect the finished runs of a batch into one tidy table per output.

Each table has the run's identity first — ``run_key, scenario, point, <parameters>,
replicate, seed`` — then the columns of the run's table (``year, by, group, measure,
numerator, denominator, value`` for the tidy tables).  Rows follow the keyspace order,
never the order in which runs finished, so the tables are identical whichever executor
and however many workers produced the runs.

Runs are read in chunks and appended to the CSV and Parquet files as they are read, so
memory holds one chunk, not the whole batch.  Each file is written to a temporary file
and renamed into place only when complete.  With pyarrow installed both files are
written from Arrow tables straight from the run files (missing values are empty fields,
strings are quoted); without it the CSV is written by pandas and there is no Parquet.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from povsim import output as _output
from povsim.experiment.runfile import RunFile, read_table_names
from povsim.experiment.store import RunStore

__all__ = ["RUN_COLUMNS", "collect_tables"]

#: Identity columns prepended to every collected table (parameters go after ``point``).
RUN_COLUMNS: tuple[str, ...] = ("run_key", "scenario", "point", "replicate", "seed")


class _AtomicSink:
    """A file written under a temporary name and renamed into place by :meth:`commit`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fh = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
        except OSError as exc:
            raise _output._output_error(path, exc, "write") from exc
        self.fh: IO[bytes] = fh
        self.tmp = fh.name

    def commit(self) -> None:
        try:
            self.fh.flush()
            os.fsync(self.fh.fileno())
            self.fh.close()
            os.chmod(self.tmp, 0o644)
            os.replace(self.tmp, self.path)
        except OSError as exc:
            self.abort()
            raise _output._output_error(self.path, exc, "write") from exc

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self.fh.close()
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)


class _PandasWriter:
    """CSV of one output from DataFrames (used when pyarrow is not installed)."""

    def __init__(self, folder: Path, name: str) -> None:
        self.rows = 0
        self.csv = _AtomicSink(folder / f"{name}.csv")

    def write(self, df: pd.DataFrame) -> None:
        buf = io.StringIO()
        df.to_csv(buf, header=self.rows == 0, index=False, lineterminator="\n")
        try:
            self.csv.fh.write(buf.getvalue().encode("utf-8"))
        except OSError as exc:
            raise _output._output_error(self.csv.path, exc, "write") from exc
        self.rows += len(df)

    def commit(self) -> None:
        self.csv.commit()

    def abort(self) -> None:
        self.csv.abort()


class _ArrowWriter:
    """CSV and Parquet of one output from Arrow tables (fast; missing values are empty)."""

    def __init__(self, folder: Path, name: str) -> None:
        self.rows = 0
        self.csv = _AtomicSink(folder / f"{name}.csv")
        self.pq = _AtomicSink(folder / f"{name}.parquet")
        self._csv_writer: Any = None
        self._pq_writer: Any = None
        self._schema: Any = None

    def write(self, table: Any) -> None:
        import pyarrow.csv as pacsv
        import pyarrow.parquet as papq

        try:
            if self._schema is None:
                self._schema = table.schema
                self.csv.fh.write((",".join(table.schema.names) + "\n").encode("utf-8"))
                self._csv_writer = pacsv.CSVWriter(self.csv.fh, self._schema, write_options=pacsv.WriteOptions(
                    include_header=False, quoting_style="needed"))
                self._pq_writer = papq.ParquetWriter(self.pq.fh, self._schema)
            elif table.schema != self._schema:
                table = table.cast(self._schema)
            self._csv_writer.write_table(table)
            self._pq_writer.write_table(table)
        except OSError as exc:
            raise _output._output_error(self.csv.path, exc, "write") from exc
        self.rows += table.num_rows

    def commit(self) -> None:
        try:
            if self._csv_writer is not None:
                self._csv_writer.close()
                self._pq_writer.close()
        except OSError as exc:
            raise _output._output_error(self.pq.path, exc, "write") from exc
        self.csv.commit()
        self.pq.commit()

    def abort(self) -> None:
        for w in (self._csv_writer, self._pq_writer):
            if w is not None:
                with contextlib.suppress(Exception):
                    w.close()
        self.csv.abort()
        self.pq.abort()


_STRING_DTYPES = ("str", "string", "object")


def _arrow_table(columns: list[tuple[dict[str, Any], np.ndarray]], ident: list[tuple[str, Any, str]]) -> Any:
    """An Arrow table from a run's raw columns, with the run's identity columns first."""
    import pyarrow as pa

    n = len(columns[0][1]) if columns else 0
    names, arrays = [], []
    for col, value, kind in ident:
        names.append(col)
        if kind == "str":
            arrays.append(pa.DictionaryArray.from_arrays(np.zeros(n, np.int32), pa.array([value], pa.string()))
                          .dictionary_decode())
        else:
            arrays.append(pa.array(np.full(n, value, dtype=kind)))
    for entry, arr in columns:
        names.append(entry["name"])
        if entry["kind"] == "num":
            arrays.append(pa.array(arr, from_pandas=True))  # NaN -> missing (empty in the CSV)
            continue
        cats = entry["categories"]
        stringy = entry["pandas_dtype"] in _STRING_DTYPES and all(c is None or isinstance(c, str) for c in cats)
        dictionary = pa.array(cats, type=pa.string() if stringy else None)
        indices = pa.array(arr, type=pa.int32(), mask=arr < 0)
        arrays.append(pa.DictionaryArray.from_arrays(indices, dictionary).dictionary_decode())
    return pa.Table.from_arrays(arrays, names=names)


def _have_pyarrow() -> bool:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def collect_tables(store: RunStore, runs: Sequence[Mapping[str, Any]], parameters: Sequence[str],
                   outputs: Iterable[str] | None, *, folder: str | os.PathLike[str] | None = None,
                   parquet: bool | None = None, chunk: int = 64) -> dict[str, int]:
    """Write ``tables/<output>.csv`` (and ``.parquet``) from the finished runs.

    Parameters
    ----------
    store
        The run store.
    runs
        Rows of the keyspace (``run_key, scenario, point, <parameters>, replicate, seed``)
        of the finished runs, in keyspace order.
    parameters
        Names of the parameter columns.
    outputs
        Tables to collect; ``None``: every table stored in any of the runs.
    folder
        Where to write; default ``<batch>/tables``.
    parquet
        Write Parquet too, through pyarrow (faster, also for the CSV); default: when
        pyarrow is installed.  Without it the CSV is written by pandas.
    chunk
        Runs read at a time.

    Returns
    -------
    dict
        Output name -> number of rows written (outputs no run produced are left out).

    Raises
    ------
    OutputError
        A file cannot be written; files of earlier collections are left as they were.
    """
    out = Path(folder) if folder is not None else store.folder / "tables"
    arrow = _have_pyarrow() if parquet is None else parquet
    if outputs is None:  # the default set: whatever the runs kept (scenarios may differ)
        names: dict[str, None] = {}
        for run in runs:
            names.update(dict.fromkeys(read_table_names(store.result_path(str(run["run_key"])))))
        wanted = list(names)
    else:
        wanted = list(outputs)
    kinds = {"run_key": "str", "scenario": "str", "point": "int64", "replicate": "int64", "seed": "int64",
             **{p: "float64" for p in parameters}}
    id_cols = ["run_key", "scenario", "point", *parameters, "replicate", "seed"]
    writers: dict[str, Any] = {}
    try:
        for start in range(0, len(runs), chunk):
            parts: dict[str, list[Any]] = {}
            for run in runs[start:start + chunk]:
                rf = RunFile(store.result_path(str(run["run_key"])))
                ident = [(c, run[c], kinds[c]) for c in id_cols]
                for name in wanted:
                    if arrow:
                        cols = rf.raw_columns(name)
                        if cols is not None:
                            parts.setdefault(name, []).append(_arrow_table(cols, ident))
                        continue
                    df = rf.tables([name]).get(name)
                    if df is not None:
                        head = pd.DataFrame({c: pd.Series([v] * len(df), dtype=k if k != "str" else "str")
                                             for c, v, k in ident}, index=df.index)
                        parts.setdefault(name, []).append(pd.concat([head, df], axis=1))
            for name in wanted:
                if name not in parts:
                    continue
                if name not in writers:
                    writers[name] = _ArrowWriter(out, name) if arrow else _PandasWriter(out, name)
                if arrow:
                    import pyarrow as pa

                    writers[name].write(pa.concat_tables(parts[name], promote_options="permissive"))
                else:
                    writers[name].write(pd.concat(parts[name], ignore_index=True))
        for w in writers.values():
            w.commit()
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    return {name: w.rows for name, w in writers.items()}
