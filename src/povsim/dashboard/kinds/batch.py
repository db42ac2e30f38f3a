"""Batch folders (``povsim batch``): outcomes by scenario across every run of the design, and
the design itself.

Only the collected tables (``tables/<output>.parquet`` or ``.csv``), ``keyspace.csv`` and
``manifest.json`` are read, never the run files under ``runs/``: a batch of thousands of
runs opens in the time it takes to list its tables.  With the Parquet copy (written when
pyarrow is installed, as it is with the dashboard extra) a figure reads only the rows of its
measure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

import pandas as pd

from povsim.dashboard.folder import Kind, read_manifest
from povsim.dashboard.view import Control, Drawn, Selection, View, apply_filters, no_controls, years_control
from povsim.report import LazyTables, Results

__all__ = ["KIND", "CollectedTables", "views"]

#: Columns a trajectory needs from a collected table (the run's parameters are in keyspace.csv,
#: by run_key and point): reading only these, with the text columns kept dictionary-encoded,
#: is what makes a table of millions of rows quick to filter.
TRAJECTORY_COLUMNS = ("run_key", "scenario", "point", "year", "by", "group", "measure", "value")
_TEXT = ["run_key", "scenario", "by", "group", "measure"]


class CollectedTables(Mapping[str, pd.DataFrame]):
    """The collected tables of a batch, read lazily; Parquet is preferred over CSV.

    ``rows(name, measure)`` reads only the whole-population rows of one measure (a filtered
    Parquet read), which is what the trajectory figure needs; ``[name]`` reads a whole table.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        tables = self.folder / "tables"
        files = [*tables.glob("*.parquet"), *tables.glob("*.csv")] if tables.is_dir() else []
        self._names = sorted({p.stem for p in files})
        self._csv = LazyTables(tables)
        self.keyspace = LazyTables(self.folder, ["keyspace"])

    def _parquet(self, name: str) -> Path | None:
        p = self.folder / "tables" / f"{name}.parquet"
        if not p.is_file():
            return None
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            return None
        return p

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        p = self._parquet(name)
        return _read_parquet(p, p.stat().st_mtime_ns) if p is not None else self._csv[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def columns(self, name: str) -> list[str]:
        """Column names of a table, without reading its rows."""
        p = self._parquet(name)
        if p is not None:
            import pyarrow.parquet as papq

            return list(papq.read_schema(p).names)
        return list(pd.read_csv(self.folder / "tables" / f"{name}.csv", nrows=0).columns)

    def measures(self, name: str) -> tuple[str, ...]:
        """The measures of a tidy table, in order of appearance (reads one column)."""
        p = self._parquet(name)
        if p is not None:
            return _measures(p, p.stat().st_mtime_ns)
        return tuple(str(m) for m in pd.unique(self._csv[name]["measure"].astype(str)))

    def rows(self, name: str, measure: str) -> pd.DataFrame:
        """The rows of ``measure`` for the whole population (``by == "all"``)."""
        p = self._parquet(name)
        if p is not None:
            return _rows(p, p.stat().st_mtime_ns, measure)
        d = self._csv[name]
        return d[(d["measure"] == measure) & (d["by"] == "all")]


# The caches below are keyed by the file's modification time: collecting the batch again renews them.
@lru_cache(maxsize=4)
def _read_parquet(path: Path, mtime_ns: int) -> pd.DataFrame:
    return pd.read_parquet(path)


@lru_cache(maxsize=32)
def _measures(path: Path, mtime_ns: int) -> tuple[str, ...]:
    import pyarrow.parquet as papq

    col = papq.read_table(path, columns=["measure"], read_dictionary=["measure"]).column("measure")
    return tuple(str(m) for m in col.unique().to_pylist())


@lru_cache(maxsize=32)
def _rows(path: Path, mtime_ns: int, measure: str) -> pd.DataFrame:
    import pyarrow.parquet as papq

    cols = [c for c in TRAJECTORY_COLUMNS if c in papq.read_schema(path).names]
    d = pd.read_parquet(path, columns=cols, filters=[("measure", "==", measure), ("by", "==", "all")],
                        read_dictionary=[c for c in _TEXT if c in cols])
    return d.astype({c: str for c in _TEXT if c in cols})


def _load(folder: Path) -> Results:
    return Results(Path(folder), "batch", read_manifest(Path(folder)), {}, CollectedTables(folder))


def _tidy(res: Results) -> list[str]:
    tables: CollectedTables = res.extra  # type: ignore[assignment]
    return [n for n in tables if {"measure", "year", "by", "value"} <= set(tables.columns(n))]


def _trajectory_controls(res: Results, sel: Selection) -> Iterator[Control]:
    tables: CollectedTables = res.extra  # type: ignore[assignment]
    names = tuple(_tidy(res))
    if not names:
        return
    yield Control("table", "Table", names, "moda" if "moda" in names else names[0])
    ms = tables.measures(sel["table"])
    first = next((m for m in ("moda_headcount_rate_0_5", "child_income_poverty_rate") if m in ms), ms[0])
    yield Control("measure", "Measure", ms, first)
    d = tables.rows(sel["table"], sel["measure"])
    scen = tuple(str(s) for s in dict.fromkeys(d["scenario"].astype(str)))
    if len(scen) > 1:
        yield Control("scenarios", "Scenarios", scen, scen, "multiselect")
    yield from years_control(d)


def _trajectory_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.batch import plot_batch_trajectory

    tables: CollectedTables = res.extra  # type: ignore[assignment]
    d = apply_filters(tables.rows(sel["table"], sel["measure"]), sel)
    if "scenarios" in sel:
        d = d[d["scenario"].astype(str).isin(sel["scenarios"])]
    runs = d["run_key"].nunique()
    title = f"{sel['measure'].replace('_', ' ')} ({runs} runs)"
    fig = plot_batch_trajectory(d, sel["table"], sel["measure"], title=title)
    return Drawn(fig, d, f"{sel['measure']} by scenario: mean over the {runs} runs of each scenario (parameter "
                         "points and seeds) with their min-max band.")


def _runs_draw(res: Results, sel: Selection) -> Drawn:
    tables: CollectedTables = res.extra  # type: ignore[assignment]
    ks = tables.keyspace["keyspace"] if "keyspace" in tables.keyspace else pd.DataFrame()
    ex = res.manifest.get("extra") or {}
    status = ", ".join(f"{k} {ex[k]}" for k in ("status", "done", "failed", "pending") if ex.get(k) is not None)
    return Drawn(None, ks, f"The design: {len(ks)} runs (scenario x parameter point x replicate seed); when the "
                           f"batch last ran: {status or 'no status recorded'} (`povsim batch status` gives the "
                           "current one).", table=ks)


def views(res: Results) -> list[View]:
    return [
        View("batch_trajectories", "Outcomes across runs", _trajectory_controls, _trajectory_draw,
             lambda r: bool(_tidy(r))),
        View("design", "Design and runs", no_controls, _runs_draw),
    ]


def _detect(folder: Path) -> bool:
    return (folder / "keyspace.csv").is_file() and (folder / "design.json").is_file()


KIND = Kind("batch", "Batch", _detect, _load, views)
