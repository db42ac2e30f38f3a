"""Collect the finished runs of a batch into one tidy table per output.

Each table has the run's identity first — ``run_key, scenario, point, <parameters>,
replicate, seed`` — then the columns of the run's table (``year, by, group, measure,
numerator, denominator, value`` for the tidy tables).  Rows follow the keyspace order,
never the order in which runs finished, so the tables are identical whichever executor
and however many workers produced the runs.

Runs are read in chunks and appended to the CSV and Parquet files as they are read, so
memory holds one chunk, not the whole batch.  Each file is written to a temporary file
and renamed into place only when complete.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from povsim import output as _output
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


class _TableWriter:
    """CSV (and Parquet) of one output, appended chunk by chunk."""

    def __init__(self, folder: Path, name: str, parquet: bool) -> None:
        self.rows = 0
        self.csv = _AtomicSink(folder / f"{name}.csv")
        self.pq = _AtomicSink(folder / f"{name}.parquet") if parquet else None
        self._pq_writer: Any = None
        self._schema: Any = None

    def write(self, df: pd.DataFrame) -> None:
        buf = io.StringIO()
        df.to_csv(buf, header=self.rows == 0, index=False, lineterminator="\n")
        try:
            self.csv.fh.write(buf.getvalue().encode("utf-8"))
        except OSError as exc:
            raise _output._output_error(self.csv.path, exc, "write") from exc
        if self.pq is not None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            if self._schema is None:
                self._schema = pa.Schema.from_pandas(df, preserve_index=False)
            table = pa.Table.from_pandas(df, schema=self._schema, preserve_index=False)
            try:
                if self._pq_writer is None:
                    self._pq_writer = pq.ParquetWriter(self.pq.fh, self._schema)
                self._pq_writer.write_table(table)
            except OSError as exc:
                raise _output._output_error(self.pq.path, exc, "write") from exc
        self.rows += len(df)

    def commit(self) -> None:
        if self._pq_writer is not None:
            try:
                self._pq_writer.close()
            except OSError as exc:
                raise _output._output_error(self.pq.path, exc, "write") from exc
        self.csv.commit()
        if self.pq is not None:
            self.pq.commit()

    def abort(self) -> None:
        if self._pq_writer is not None:
            with contextlib.suppress(Exception):
                self._pq_writer.close()
        self.csv.abort()
        if self.pq is not None:
            self.pq.abort()


def _have_pyarrow() -> bool:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def collect_tables(store: RunStore, runs: Sequence[Mapping[str, Any]], parameters: Sequence[str],
                   outputs: Iterable[str], *, folder: str | os.PathLike[str] | None = None,
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
        Tables to collect.
    folder
        Where to write; default ``<batch>/tables``.
    parquet
        Also write Parquet; default: when pyarrow is installed.
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
    parquet = _have_pyarrow() if parquet is None else parquet
    wanted = list(outputs)
    id_cols = ["run_key", "scenario", "point", *parameters, "replicate", "seed"]
    writers: dict[str, _TableWriter] = {}
    try:
        for start in range(0, len(runs), chunk):
            parts: dict[str, list[pd.DataFrame]] = {}
            for run in runs[start:start + chunk]:
                tables = store.read(str(run["run_key"]), wanted)
                for name in wanted:
                    df = tables.get(name)
                    if df is None:
                        continue
                    ident = pd.DataFrame({c: [run[c]] * len(df) for c in id_cols}, index=df.index)
                    ident["point"] = ident["point"].astype("int64")
                    ident["replicate"] = ident["replicate"].astype("int64")
                    ident["seed"] = ident["seed"].astype("int64")
                    for p in parameters:
                        ident[p] = ident[p].astype("float64")
                    parts.setdefault(name, []).append(pd.concat([ident, df], axis=1))
            for name in wanted:
                if name not in parts:
                    continue
                if name not in writers:
                    writers[name] = _TableWriter(out, name, parquet)
                writers[name].write(pd.concat(parts[name], ignore_index=True))
        for w in writers.values():
            w.commit()
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    return {name: w.rows for name, w in writers.items()}
