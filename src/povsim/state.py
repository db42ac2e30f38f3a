"""The state one run carries from year to year, and named modifiable values.

:class:`World` bundles the population tables, the village geography, the clock and the
archive of persons who died.  Processes are functions ``process(world, params, streams)``
that read and update it.

:class:`Values` is the modifier registry through which interventions act (Vivarium's
value pipelines): a process asks ``world.values("stunting.onset_rr", rows, base)`` and
gets ``base`` transformed by every registered modifier; with none registered (the
baseline) it gets ``base`` itself, untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numba import njit, prange

from povsim._threads import threaded
from povsim.errors import RunError
from povsim.geography import Geography
from povsim.population import age_of
from povsim.registry import archive_columns, hooks
from povsim.table import Table, remap_inplace

Modifier = Callable[["World", np.ndarray, np.ndarray], np.ndarray]

_NONE = np.empty(0, dtype=np.float64)


def __getattr__(name: str):
    # VALUE_NAMES is derived from the process modules' declarations (povsim.registry);
    # computed on first use because the process modules import this module
    if name == "VALUE_NAMES":
        from povsim.registry import value_names

        return {v.name: (v.unit, v.description) for v in value_names().values()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Values:
    """Registry of modifiers on named quantities (:class:`povsim.declare.Value`)."""

    def __init__(self) -> None:
        self._mods: dict[str, list[Modifier]] = {}

    def register(self, name: str, modifier: Modifier) -> None:
        """Add ``modifier(world, rows, value) -> value`` to the pipeline of ``name``."""
        from povsim.registry import value_names

        if name not in value_names():
            from povsim.errors import did_you_mean

            raise RunError(f"unknown modifiable value {name!r} ({did_you_mean(name, value_names())})")
        self._mods.setdefault(name, []).append(modifier)

    def __call__(self, name: str, world: World, rows: np.ndarray, base: np.ndarray) -> np.ndarray:
        """``base`` (the process's value for ``rows``) through every modifier of ``name``;
        ``base`` itself, untouched, when there is none."""
        if not self._mods.get(name):
            return base
        return self._apply(name, world, rows, np.array(base, dtype=np.float64, copy=True))

    def _apply(self, name: str, world: World, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
        for m in self._mods[name]:
            out = m(world, rows, out)
        return out

    def ratio(self, name: str, world: World, rows: np.ndarray | None = None) -> np.ndarray:
        """Per-row multipliers of a ``ratio`` value for ``rows`` (default: every row of its
        table), or an empty array when no modifier is registered.

        Compiled passes take the result as an argument and multiply by it only when it is
        not empty, so every scenario runs the same code and a placebo (ratios exactly 1)
        gives bit-identical probabilities.
        """
        return self._per_row(name, world, rows, lambda r: np.full(len(r), 1.0))

    def shift(self, name: str, world: World, rows: np.ndarray | None = None,
              size: int | None = None) -> np.ndarray:
        """Per-row additive shifts of a ``shift`` value (see :meth:`ratio`; empty when none); with
        ``size``, at ``rows`` of ``size`` zeros (a pass over a table reading some rows, e.g. children)."""
        return _scatter(self._per_row(name, world, rows, lambda r: np.full(len(r), 0.0)), rows, size)

    def override(self, name: str, world: World, rows: np.ndarray | None,
                 base: Callable[[np.ndarray], np.ndarray], size: int | None = None) -> np.ndarray:
        """Modified per-row values of a probability/rate/amount value, or an empty array
        when no modifier is registered (``base(rows)`` gives the process's own values as
        a new array, computed only when needed; ``size`` as in :meth:`shift`)."""
        return _scatter(self._per_row(name, world, rows, base), rows, size)

    def _per_row(self, name: str, world: World, rows: np.ndarray | None,
                 start: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        if not self._mods.get(name):
            return _NONE
        if rows is None:
            rows = all_rows(self._table_size(name, world))
        # start(rows) is a new array: the modifiers may start from it
        values = np.asarray(start(rows), dtype=np.float64)
        return np.ascontiguousarray(self._apply(name, world, rows, values), dtype=np.float64)

    @staticmethod
    def _table_size(name: str, world: World) -> int:
        from povsim.registry import value_names

        return world.H.n if value_names()[name].table == "household" else world.P.n

    def active(self) -> list[str]:
        """Names with at least one modifier."""
        return sorted(n for n, mods in self._mods.items() if mods)


_ALL_ROWS = np.arange(0, dtype=np.int64)


def all_rows(n: int) -> np.ndarray:
    """The rows ``0 .. n-1`` of a whole table, as a read-only view of one shared array:
    modifiers that recognise it (:func:`is_all_rows`) use their per-row arrays as they are
    instead of indexing them."""
    global _ALL_ROWS
    if len(_ALL_ROWS) < n:
        _ALL_ROWS = np.arange(max(n, 2 * len(_ALL_ROWS)), dtype=np.int64)
        _ALL_ROWS.flags.writeable = False
    return _ALL_ROWS[:n]


def is_all_rows(rows: np.ndarray, n: int) -> bool:
    """Whether ``rows`` is :func:`all_rows` ``(n)``."""
    return len(rows) == n and rows.base is _ALL_ROWS and rows.ctypes.data == _ALL_ROWS.ctypes.data


def _scatter(part: np.ndarray, rows: np.ndarray | None, size: int | None) -> np.ndarray:
    """``part`` at the positions ``rows`` of ``size`` zeros (without ``size``, or empty: itself)."""
    if size is None or len(part) == 0:
        return part
    out = np.zeros(size)
    out[rows] = part
    return out


@dataclass
class World:
    """Everything a run carries between years."""

    P: Table  # persons
    H: Table  # households
    V: Table  # villages (one row per village of geo)
    geo: Geography
    year: int
    start_year: int
    values: Values = field(default_factory=Values)
    archive: list[dict[str, np.ndarray]] = field(default_factory=list)
    events: dict[str, float] = field(default_factory=dict)  # per-year counters (births...)
    #: memo of values derived from the current year's state (e.g. the MODA deprivation
    #: of children); never used to pass data between processes (those are columns)
    scratch: dict[str, np.ndarray] = field(default_factory=dict)
    #: log level of earnings fixed at the start (povsim.processes.earnings)
    income_level: float = 0.0
    #: the run's interventions and budget (povsim.interventions._programme), if any
    programme: object | None = None

    #: years between re-sorts of the person rows into household order (0: never); see
    #: :meth:`sort_persons`
    sort_every: int = 3

    _age_key: tuple[int, int, int] = (-1, -1, -1)  # (year, rows, buffer) of the cached ages
    _age: np.ndarray | None = None
    _children: tuple[np.ndarray, np.ndarray] | None = None  # (ages, rows under 18)

    def age(self) -> np.ndarray:
        """Age in completed years of every person (cached until the table or year changes)."""
        key = (self.year, self.P.n, id(self.P._cols["birth_year"]))
        if key != self._age_key or self._age is None:
            self._age = age_of(self.P, self.year)
            self._age_key = key
        return self._age

    def children(self) -> np.ndarray:
        """Rows of the persons aged 0-17, ascending (cached with :meth:`age`)."""
        age = self.age()
        if self._children is None or self._children[0] is not age:
            self._children = (age, np.flatnonzero(age < 18))
        return self._children[1]

    @property
    def t(self) -> int:
        """Years since the start year."""
        return self.year - self.start_year

    # -- births, new households and the archive ----------------------------
    def new_households(self, ids: np.ndarray, village: np.ndarray, params, streams) -> np.ndarray:
        """Append empty households with these ids in these villages; every process module
        initialises its own columns of them (``on_new_households``).  Returns their rows."""
        rows = self.H.append(len(ids), id=ids, village=village)
        out = np.arange(rows.start, rows.stop, dtype=np.int32)
        for hook in hooks("on_new_households"):
            hook(self, params, streams, out)
        return out

    def archive_newborns(self, ids: np.ndarray, sex: np.ndarray, mother: np.ndarray,
                         father: np.ndarray, generation: np.ndarray) -> None:
        """Archive children who died in their year of birth (never in the person table)."""
        n = len(ids)
        schema = self.P.schema
        rec = {k: np.full(n, schema[k][1], dtype=schema[k][0]) for k in archive_columns()}
        rec.update(id=ids, sex=sex, mother=mother, father=father, generation=generation)
        rec["birth_year"][:] = self.year
        rec["death_year"][:] = self.year
        self.archive.append(rec)

    # -- removal of dead persons and empty households ----------------------
    def compact(self) -> None:
        """Move dead persons to the archive, drop empty households, remap row pointers."""
        P, H = self.P, self.H
        self._age = None
        dead = ~P.alive
        dead_rows = np.flatnonzero(dead)
        if len(dead_rows):
            self.archive.append(P.take(dead_rows, list(archive_columns())))
            tail_map = P.remove_tail(dead_rows)
            size = remap3_count(P.mother_row, P.father_row, P.partner_row, tail_map,
                                        dead, P.hh, H.n)
        else:
            size = np.bincount(P.hh, minlength=H.n)
        # the sizes move with their rows when empty households are removed
        H["size"] = size
        empty = np.flatnonzero(size == 0)
        if len(empty):
            hmap = H.remove(empty)
            remap_inplace(P.hh, hmap)
        # on a fixed schedule of the clock (not of the disorder, which would make the
        # layout depend on more than the year), so every run with the same seed sorts in
        # the same years whatever the worker count
        if self.sort_every > 0 and self.t > 0 and self.t % self.sort_every == 0:
            self.sort_persons()

    def sort_persons(self) -> None:
        """Re-sort the person rows into household order, stable within a household.

        Births, deaths and moves scatter the members of a household over the person table
        (removal fills holes from the tail, newborns and movers are appended), so the
        per-person gathers of household columns (``H.x[P.hh]``) and the household sums
        turn into random memory reads.  Sorting brings them back to sequential ones.

        Row pointers (``mother_row``, ``father_row``, ``partner_row``) are remapped;
        ``hh`` and household rows are unchanged.  Draws are keyed by person id, so no
        random number changes; only floating-point sums taken in row order change, at
        round-off level.  Per-row caches are dropped.
        """
        P = self.P
        dest = household_order(P.hh, self.H.n)
        P.permute(dest)
        for col in ("mother_row", "father_row", "partner_row"):
            remap_inplace(P[col], dest)
        # per-row caches: the ages (rebuilt on demand) and the MODA deprivation of the
        # year; the other per-row scratch columns are recomputed after demography
        self._age = None
        self._age_key = (-1, -1, -1)
        self.scratch.pop("_child_deprivation", None)

    def archived(self) -> dict[str, np.ndarray]:
        """All archived (dead) persons' lineage columns concatenated."""
        if not self.archive:
            return {k: np.empty(0, dtype=self.P[k].dtype) for k in archive_columns()}
        return {k: np.concatenate([a[k] for a in self.archive]) for k in archive_columns()}

    def check_invariants(self) -> None:
        """Raise :class:`RunError` if the tables are inconsistent (used in tests)."""
        P, H = self.P, self.H
        if (P.hh < 0).any() or (P.hh >= H.n).any():
            raise RunError("a living person is not in exactly one existing household")
        if len(np.unique(P.id)) != P.n:
            raise RunError("duplicate person ids")
        for col in ("mother_row", "father_row", "partner_row"):
            r = P[col]
            if ((r < -1) | (r >= P.n)).any():
                raise RunError(f"{col} points outside the table")
        pr = P.partner_row
        has = pr >= 0
        if (P.partner_row[pr[has]] != np.flatnonzero(has)).any():
            raise RunError("partnership is not symmetric")
        m = P.mother_row
        ok = m >= 0
        if (P.id[m[ok]] != P.mother[ok]).any():
            raise RunError("mother_row disagrees with mother id")
        if (P.sex[m[ok]] != 0).any():
            raise RunError("a mother is not female")
        if (H.income_pc < 0).any() or (P.earnings < 0).any():
            raise RunError("negative income")


@threaded(cache=True, nogil=True)
def remap3_count(a, b, c, tail_map, dead, hh, n_h):
    """Row pointers of three columns through the old->new row map of a removal, in place
    (-1 stays -1), and the number of persons per household (``hh``).

    :meth:`povsim.table.Table.remove_tail` only moves rows from the old tail
    (``>= len(a)``) into holes, and ``tail_map`` holds their new rows: a pointer below the
    tail stays as it is unless its row was removed (``dead``, the old removal mask).
    """
    new_n = a.shape[0]
    for i in prange(new_n):  # each row's own pointers: on the threads
        a[i] = _remapped(a[i], new_n, tail_map, dead)
        b[i] = _remapped(b[i], new_n, tail_map, dead)
        c[i] = _remapped(c[i], new_n, tail_map, dead)
    size = np.zeros(n_h, dtype=np.int64)
    for i in range(new_n):
        size[hh[i]] += 1
    return size


@njit(cache=True, inline="always")
def _remapped(p, new_n, tail_map, dead):
    if p >= new_n:  # rare: predictable
        return tail_map[p - new_n]
    return -1 if (p >= 0) & dead[max(p, 0)] else p


@njit(cache=True, nogil=True)
def household_order(hh, n_h):
    """New row of every person when persons are sorted by household, stable within a
    household (a counting sort: two passes, no comparison sort).

    Returns ``dest`` (int32, ``old row -> new row``).
    """
    n = hh.shape[0]
    start = np.zeros(n_h + 1, dtype=np.int64)
    for i in range(n):
        start[hh[i] + 1] += 1
    for h in range(n_h):
        start[h + 1] += start[h]
    dest = np.empty(n, dtype=np.int32)
    for i in range(n):
        h = hh[i]
        dest[i] = start[h]
        start[h] += 1
    return dest
