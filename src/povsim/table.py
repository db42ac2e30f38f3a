"""A columnar table: named numpy columns of equal length with amortised appends.

Persons and households are :class:`Table` objects.  Rows are appended in blocks (births,
new households) and removed by :meth:`Table.compact`, which returns the old-to-new row
map so that columns holding row pointers (``hh``, ``mother_row``...) can be remapped in
one fancy-indexing step.  No operation loops over rows in Python.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numba import njit, prange

from povsim._threads import over_columns, threaded
from povsim.rng import _mix


class Table:
    """Columns of equal length, grown geometrically.

    Parameters
    ----------
    schema
        Column name -> ``(dtype, fill value)`` for new rows.
    capacity
        Initial number of allocated rows.
    """

    __slots__ = ("_cols", "_fill", "n", "schema")

    def __init__(self, schema: Mapping[str, tuple[np.dtype | type, object]], capacity: int = 0):
        self.schema = dict(schema)
        self.n = 0
        cap = max(int(capacity), 16)
        self._cols = {k: np.empty(cap, dtype=dt) for k, (dt, _) in self.schema.items()}
        self._fill = {k: fill for k, (_, fill) in self.schema.items()}

    # -- access ---------------------------------------------------------------
    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self._cols[name][: self.n]
        except KeyError:
            raise AttributeError(f"table has no column {name!r}") from None

    def __getitem__(self, name: str) -> np.ndarray:
        return self._cols[name][: self.n]

    def __setitem__(self, name: str, values: np.ndarray) -> None:
        self._cols[name][: self.n] = values

    def __len__(self) -> int:
        return self.n

    @property
    def columns(self) -> list[str]:
        return list(self._cols)

    @property
    def capacity(self) -> int:
        return len(next(iter(self._cols.values())))

    # -- growth -------------------------------------------------------------
    def _reserve(self, total: int) -> None:
        cap = self.capacity
        if total <= cap:
            return
        new_cap = max(total, int(cap * 1.25) + 16)
        for k, col in self._cols.items():
            grown = np.empty(new_cap, dtype=col.dtype)
            grown[: self.n] = col[: self.n]
            self._cols[k] = grown

    def append(self, count: int, **values: np.ndarray | object) -> slice:
        """Add ``count`` rows filled with the schema defaults, then ``values``.

        Returns the slice of the new rows.
        """
        count = int(count)
        unknown = set(values) - set(self._cols)
        if unknown:
            raise KeyError(f"unknown columns {sorted(unknown)}")
        start = self.n
        self._reserve(start + count)
        self.n = start + count
        rows = slice(start, start + count)
        for k, col in self._cols.items():
            col[rows] = values[k] if k in values else self._fill[k]
        return rows

    def compact(self, keep: np.ndarray) -> np.ndarray:
        """Drop rows where ``keep`` is False; return ``old_row -> new_row`` (-1 if dropped)."""
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (self.n,):
            raise ValueError(f"keep mask has shape {keep.shape}, table has {self.n} rows")
        mapping = np.cumsum(keep, dtype=np.int64) - 1
        mapping[~keep] = -1
        n_new = int(np.count_nonzero(keep))
        for col in self._cols.values():
            compact_inplace(col[: self.n], keep)  # in place: no temporary copy
        self.n = n_new
        return mapping

    def remove(self, rows: np.ndarray) -> np.ndarray:
        """Remove ``rows`` by moving rows from the end of the table into the holes.

        Costs O(len(rows)) per column instead of a full copy; row order changes, which
        nothing in povsim depends on (draws are keyed by id, outcomes are sums).  Returns
        ``old_row -> new_row`` (-1 for removed rows).
        """
        n = self.n
        tail_map = self.remove_tail(rows)
        mapping = np.arange(n, dtype=np.int64)
        if n > self.n:
            mapping[np.asarray(rows, dtype=np.int64)] = -1
            mapping[self.n:] = tail_map
        return mapping

    def remove_tail(self, rows: np.ndarray) -> np.ndarray:
        """:meth:`remove`, returning only the new rows of the old tail rows (those at or
        after the new length; -1 for removed ones).

        Every other row stays where it was unless removed, so this is the whole map
        without an array as long as the table (used by compaction every year).
        """
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) > 1 and not (rows[1:] > rows[:-1]).all():  # already sorted and unique
            rows = np.unique(rows)
        n, k = self.n, len(rows)
        new_n = n - k
        tail_map = np.full(k, -1, dtype=np.int64)
        if k == 0:
            return tail_map
        removed_tail = np.zeros(k, dtype=bool)
        removed_tail[rows[rows >= new_n] - new_n] = True
        holes = rows[rows < new_n]
        sources = new_n + np.flatnonzero(~removed_tail)
        over_columns(lambda col: move_rows(col, holes, sources), self._cols.values(), n)
        tail_map[sources - new_n] = holes
        self.n = new_n
        return tail_map

    def permute(self, dest: np.ndarray) -> None:
        """Move every row ``i`` to row ``dest[i]`` (``dest`` a permutation of the rows).

        Each column is gathered into a new array that replaces it (no copy back), so the
        extra memory is one column at a time.  Views of the columns taken before do not
        see the new order.
        """
        dest = np.asarray(dest)
        if dest.shape != (self.n,):
            raise ValueError(f"permutation has shape {dest.shape}, table has {self.n} rows")
        source = inverse_permutation(dest)
        for k, col in self._cols.items():
            new = np.empty(len(col), dtype=col.dtype)
            gather_into(new, col, source)
            self._cols[k] = new

    def take(self, rows: np.ndarray | slice, columns: list[str] | None = None) -> dict:
        """Copy of selected rows as a dict of arrays."""
        cols = columns if columns is not None else self.columns
        return {k: self._cols[k][: self.n][rows].copy() for k in cols}


def remap(pointers: np.ndarray, mapping: np.ndarray) -> np.ndarray:
    """Apply an old->new row map to a pointer column, keeping -1 as -1."""
    return _remap(pointers, mapping.astype(pointers.dtype, copy=False))


@njit(cache=True, nogil=True)
def compact_inplace(col, keep):
    """Move the kept elements of ``col`` to its front, in order; return their number."""
    j = 0
    for i in range(keep.shape[0]):
        if keep[i]:
            col[j] = col[i]
            j += 1
    return j


@njit(cache=True, nogil=True)
def move_rows(col, holes, sources):
    """``col[holes] = col[sources]`` without temporaries (holes and sources are disjoint).
    Serial: a few thousand rows, less than waking the threads costs."""
    for j in range(holes.shape[0]):
        col[holes[j]] = col[sources[j]]


@threaded(cache=True, nogil=True)
def inverse_permutation(dest):
    """``source`` with ``source[dest[i]] = i``."""
    source = np.empty(dest.shape[0], dtype=np.int64)
    for i in prange(dest.shape[0]):  # a permutation: no two rows write the same place
        source[dest[i]] = i
    return source


@threaded(cache=True, nogil=True)
def gather_into(out, col, source):
    """``out[j] = col[source[j]]`` for the rows of ``source``."""
    for j in prange(source.shape[0]):
        out[j] = col[source[j]]


@threaded(1, cache=True, nogil=True)  # rows: the queries
def index_of(keys, query):
    """Position of each ``query`` value in ``keys`` (unique int64), or -1 when absent.

    An open-addressing hash table over ``keys`` (SplitMix64 of the value), so each lookup
    costs about one cache access instead of a binary search's twenty: the modifiers look
    every person's id up among the few reached by a programme in earlier years.  The table
    is built on one thread, the lookups (each on its own) run on the threads.
    """
    n = keys.shape[0]
    size = 1
    while size < 2 * n:
        size *= 2
    mask = np.uint64(size - 1)
    slot = np.full(size, -1, dtype=np.int64)
    for j in range(n):
        h = _mix(np.uint64(keys[j])) & mask
        while slot[h] >= 0:
            h = (h + np.uint64(1)) & mask
        slot[h] = j
    out = np.empty(query.shape[0], dtype=np.int64)
    for i in prange(query.shape[0]):
        q = query[i]
        h = _mix(np.uint64(q)) & mask
        r = -1
        while slot[h] >= 0:
            if keys[slot[h]] == q:
                r = slot[h]
                break
            h = (h + np.uint64(1)) & mask
        out[i] = r
    return out


@threaded(cache=True, nogil=True)
def _remap(pointers, mapping):
    """Row pointers through an old->new map; -1 stays -1 (a new array)."""
    out = np.empty_like(pointers)
    for i in prange(pointers.shape[0]):
        p = pointers[i]
        out[i] = -1 if p < 0 else mapping[p]
    return out


@threaded(cache=True, nogil=True)
def remap_inplace(pointers, mapping):
    """Row pointers through an old->new map, in place; -1 stays -1."""
    for i in prange(pointers.shape[0]):
        p = pointers[i]
        if p >= 0:
            pointers[i] = mapping[p]

