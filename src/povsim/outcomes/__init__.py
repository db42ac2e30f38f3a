"""Yearly outcome collection into tidy tables.

Every measure is a ratio ``numerator / denominator`` over a set of persons (or a mean,
with the denominator counting persons, or a count).  In a sampled run (``[population]
scale`` < 1, see :mod:`povsim.geography`) numerators, denominators and counts are
Horvitz-Thompson estimates for the full area: the sample's sums times the sampling weight
``1 / scale`` (one weight for every village: the sample is self-weighting), so rates and
means are unchanged and counts estimate the full-scale counts.  Each year the collector puts every
person into a cell of the cross-classification of the requested subgroups (county, arm,
sex, age group, left-behind: :class:`Cells`); each outcome table
(:class:`povsim.declare.OutcomeTable`, declared by the process module that owns the state
it reads, or by a module of this package) adds its measures' sums by cell, and the cells
are aggregated to rows ``(year, by, group, measure, numerator, denominator, value)`` for
the whole population and for each subgroup dimension.  The runner adds the ``replicate``
column.

A new output table is one module in this package with a ``TABLES`` declaration.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
from numba import njit

from povsim.geography import AREA_KINDS
from povsim.registry import discover
from povsim.state import World

#: Age groups of the ``age_group`` subgroup and of the population table.
AGE_GROUPS = ((0, 5, "0-5"), (6, 17, "6-17"), (18, 64, "18-64"), (65, 200, "65+"))

COLUMNS = ("year", "by", "group", "measure", "numerator", "denominator", "value")


class Cells:
    """This year's cells: every person's cell code and the rows the tables append to.

    Attributes
    ----------
    cell
        Cell code of every person (int32).
    n_cells
        Number of cells.
    year
        The year collected.
    weight
        Sampling weight of every simulated person (``1 / scale``; 1 at full scale).
    """

    def __init__(self, world: World, by: Sequence[str], tables: Sequence[str] | None,
                 rows: dict[str, list[tuple]]) -> None:
        self.world = world
        self.year = world.year
        self.weight = float(world.geo.weight)
        self._wanted = None if tables is None else frozenset(tables)
        self._rows = rows
        geo, P, H = world.geo, world.P, world.H
        labels: list[tuple[str, list[str]]] = []
        village_level = {"county": (geo.county, list(geo.counties)),
                         "arm": (geo.pilot, ["comparison", "pilot"]),
                         "area": (geo.area_kind, list(AREA_KINDS))}
        household_level = set(by) <= set(village_level)
        if household_level:
            # every subgroup is a village attribute: the cell of each village, then of
            # each household and person by one compiled gather
            v_cell = np.zeros(geo.n, dtype=np.int64)
            for b in by:
                codes, lab = village_level[b]
                v_cell = v_cell * len(lab) + codes.astype(np.int64)
                labels.append((b, lab))
            self.cell = _person_cells(H.village, v_cell, P.hh)
        else:
            cell = np.zeros(P.n, dtype=np.int64)
            hv = None
            for b in by:
                if b in village_level:
                    hv = H.village[P.hh] if hv is None else hv
                    codes, lab = village_level[b]
                    codes = codes[hv]
                elif b == "sex":
                    codes, lab = P.sex, ["female", "male"]
                elif b == "left_behind":
                    codes, lab = P.left_behind, ["not left behind", "left behind"]
                else:  # age_group
                    codes, lab = np.digitize(world.age(), [6, 18, 65]), [g[2] for g in AGE_GROUPS]
                cell = cell * len(lab) + codes.astype(np.int64)
                labels.append((b, lab))
            self.cell = cell.astype(np.int32)
        self.n_cells = int(np.prod([len(lab) for _, lab in labels], dtype=np.int64))
        # label index of each cell along each dimension; "all" first
        self._aggs: list[tuple[str, list[str], np.ndarray]] = [
            ("all", ["all"], np.zeros(self.n_cells, dtype=np.int64))]
        stride = self.n_cells
        for name, lab in labels:
            stride //= len(lab)
            self._aggs.append((name, lab, (np.arange(self.n_cells) // stride) % len(lab)))

    def wants(self, table: str) -> bool:
        """Whether ``table`` is among the tables the scenario keeps."""
        return self._wanted is None or table in self._wanted

    def add(self, table: str, measure: str, num: np.ndarray, den: np.ndarray,
            count: bool = False) -> None:
        """Append a measure's rows from its numerator and denominator by cell (``value`` =
        numerator / denominator, or the numerator itself for a count)."""
        out = self._rows.setdefault(table, [])
        w = self.weight
        for name, labels, lab in self._aggs:
            k = len(labels)
            n = np.bincount(lab, weights=num, minlength=k)
            d = np.bincount(lab, weights=den, minlength=k)
            if w != 1.0:  # full-scale estimates of a sampled run (rates unchanged)
                n, d = n * w, d * w
            val = n if count else n / d  # 0/0 is NaN (errors ignored by collect)
            out.extend(zip([self.year] * k, [name] * k, labels, [measure] * k, n.tolist(),
                           d.tolist(), val.tolist(), strict=True))

    def add_all(self, table: str, measures: Sequence[str], num: np.ndarray,
                den: np.ndarray) -> None:
        """:meth:`add` for several rate/mean measures (rows of ``num`` and ``den``)."""
        for j, measure in enumerate(measures):
            self.add(table, measure, num[j], den[j])

    def add_groups(self, table: str, measure: str, by: str, labels: Sequence[str],
                   num: np.ndarray, den: np.ndarray) -> None:
        """Append one row per group of a dimension the cells do not carry (e.g. single
        years of age, ``by = "age"``) from the whole population's sums by group."""
        num = np.asarray(num, dtype=np.float64)
        den = np.asarray(den, dtype=np.float64)
        val = num / den  # 0/0 is NaN (errors ignored by collect)
        k = len(labels)
        self._rows.setdefault(table, []).extend(zip(
            [self.year] * k, [by] * k, list(labels), [measure] * k, num.tolist(), den.tolist(),
            val.tolist(), strict=True))

    def count(self, table: str, measure: str, value: float, by: str = "all",
              group: str = "all", weighted: bool = True) -> None:
        """Append one count row (no denominator); a sampled run's count is multiplied by
        the sampling weight unless ``weighted`` is false (a value that is not a count)."""
        v = float(value) * (self.weight if weighted else 1.0)
        self._rows.setdefault(table, []).append((self.year, by, group, measure, v, np.nan, v))


@dataclass
class Collector:
    """Accumulates each year's tidy rows of the selected outcome tables."""

    by: Sequence[str] = ("county", "arm")
    tables: Sequence[str] | None = None
    rows: dict[str, list[tuple]] = field(default_factory=dict)

    def collect(self, world: World) -> None:
        """Append this year's measures of every selected yearly table."""
        self.merge([job() for job in self.jobs(world)])

    def jobs(self, world: World) -> list[Callable[[], dict[str, list[tuple]]]]:
        """This year's collection as one job per table, to run in any order or on several
        threads: each only reads the world and returns its own rows (:meth:`merge`)."""
        from povsim.registry import outcome_tables

        cells = Cells(world, self.by, self.tables, {})
        return [partial(_collect_table, t.collect, world, cells) for t in outcome_tables().values()
                if t.collect is not None and cells.wants(t.name)]

    def merge(self, parts: Sequence[dict[str, list[tuple]]]) -> None:
        """Append the jobs' rows in the order of the jobs: the tables and rows come out as
        a collection one table after the other gives them, whatever order they finished in."""
        for part in parts:
            for table, rows in part.items():
                self.rows.setdefault(table, []).extend(rows)

    def frames(self) -> dict[str, pd.DataFrame]:
        return {k: tidy(v) for k, v in self.rows.items()}


def _collect_table(collect: Callable, world: World, cells: Cells) -> dict[str, list[tuple]]:
    """One table's rows of the year (in rows of its own, so jobs can run side by side)."""
    own = copy.copy(cells)
    own._rows = {}
    # ratios of empty cells are NaN (the error state is per thread)
    with np.errstate(invalid="ignore", divide="ignore"):
        collect(world, own)
    return own._rows


def final_tables(world: World, tables: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """End-of-run tables of the selected outcome tables (over everyone who ever lived)."""
    from povsim.registry import outcome_tables

    out: dict[str, pd.DataFrame] = {}
    for t in outcome_tables().values():
        if t.final is not None and (tables is None or t.name in tables):
            out.update(t.final(world))
    return out


def catalogue() -> Mapping[str, str]:
    """Output table name -> what it holds (the tables ``[outputs] tables`` may name)."""
    from povsim.registry import outcome_tables

    return {name: t.description for name, t in outcome_tables().items()}


def tidy(records: list[tuple]) -> pd.DataFrame:
    """A tidy frame from ``(year, by, group, measure, numerator, denominator, value)`` rows."""
    return pd.DataFrame.from_records(records, columns=list(COLUMNS))


@njit(cache=True, nogil=True)
def _person_cells(h_village, v_cell, hh):
    """Cell of every person (its household's village's, ``v_cell[village]``), as int32."""
    hcell = np.empty(h_village.shape[0], dtype=np.int32)
    for h in range(h_village.shape[0]):
        hcell[h] = v_cell[h_village[h]]
    cell = np.empty(hh.shape[0], dtype=np.int32)
    for i in range(hh.shape[0]):
        cell[i] = hcell[hh[i]]
    return cell


#: The outcome modules of this package (each declares ``TABLES``).
MODULES = discover(__name__)
