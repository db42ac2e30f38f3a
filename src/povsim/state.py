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

from povsim import kernels
from povsim.errors import RunError
from povsim.population import ARCHIVE_COLUMNS, Geography, age_of
from povsim.table import Table

Modifier = Callable[["World", np.ndarray, np.ndarray], np.ndarray]

#: Named quantities processes expose to interventions: name -> (unit, meaning).
VALUE_NAMES: dict[str, tuple[str, str]] = {
    "mortality.rr": ("ratio", "multiplier on each person's annual death probability"),
    "stunting.onset_rr": ("ratio", "multiplier on the annual stunting onset probability, ages 0-2"),
    "stunting.recovery_rr": ("ratio", "multiplier on the annual probability of recovering"),
    "anaemia.rr": ("ratio", "multiplier on the annual anaemia probability, ages 0-17"),
    "health_shock.rr": ("ratio", "multiplier on the annual serious illness/injury probability"),
    "checkup.probability": ("probability", "probability of a health check-up this year, 0-17"),
    "insurance.probability": ("probability", "household medical insurance enrolment"),
    "skill.stimulation": ("SD", "extra stimulation input to skill formation, ages 0-17"),
    "parenting.practice": ("SD", "additive shift of the caregiver parenting practice score"),
    "supervision.adequate": ("probability", "probability an unsupervised left-behind child gets "
                             "adequate adult care (e.g. from a child service centre)"),
    "preschool.probability": ("probability", "probability a child aged 3-5 attends preschool"),
    "school.entry_rr": ("ratio", "multiplier on the probability of not entering school at age 6"),
    "school.dropout_rr": ("ratio", "multiplier on the annual dropout probability"),
    "school.continuation_rr": ("ratio", "multiplier on the probability of continuing after grade 9"),
    "earnings.log_shift": ("log points", "additive shift of a person's log earnings (e.g. adult "
                           "returns to early-childhood programmes)"),
    "household.transfer_pc": ("RMB per person per year", "transfers added to household income"),
    "dibao.takeup": ("probability", "probability an eligible household receives Dibao"),
    "water.upgrade_rate": ("per year", "annual probability a household gains safe water"),
    "sanitation.upgrade_rate": ("per year", "annual probability a household gains sanitation"),
    "info.gain_rate": ("per year", "annual probability a household gains information access"),
}


class Values:
    """Registry of modifiers on named quantities."""

    def __init__(self) -> None:
        self._mods: dict[str, list[Modifier]] = {}

    def register(self, name: str, modifier: Modifier) -> None:
        """Add ``modifier(world, rows, value) -> value`` to the pipeline of ``name``."""
        if name not in VALUE_NAMES:
            from povsim.errors import did_you_mean

            raise RunError(f"unknown modifiable value {name!r} ({did_you_mean(name, VALUE_NAMES)})")
        self._mods.setdefault(name, []).append(modifier)

    def __call__(self, name: str, world: World, rows: np.ndarray, base: np.ndarray) -> np.ndarray:
        mods = self._mods.get(name)
        if not mods:
            return base
        out = np.array(base, dtype=np.float64, copy=True)
        for m in mods:
            out = m(world, rows, out)
        return out

    def active(self) -> list[str]:
        return sorted(self._mods)

    def modifies(self, *names: str) -> bool:
        """Whether any modifier is registered on one of ``names`` (compiled fast paths of
        the processes apply only where none is)."""
        return any(self._mods.get(n) for n in names)


@dataclass
class World:
    """Everything a run carries between years."""

    P: Table
    H: Table
    geo: Geography
    year: int
    start_year: int
    values: Values = field(default_factory=Values)
    archive: list[dict[str, np.ndarray]] = field(default_factory=list)
    events: dict[str, float] = field(default_factory=dict)  # per-year counters (births...)
    scratch: dict[str, np.ndarray] = field(default_factory=dict)  # per-year derived columns

    #: years between re-sorts of the person rows into household order (0: never); see
    #: :meth:`sort_persons`
    sort_every: int = 3

    _age_key: tuple[int, int, int] = (-1, -1, -1)  # (year, rows, buffer) of the cached ages
    _age: np.ndarray | None = None

    def age(self) -> np.ndarray:
        """Age in completed years of every person (cached until the table or year changes)."""
        key = (self.year, self.P.n, id(self.P._cols["birth_year"]))
        if key != self._age_key or self._age is None:
            self._age = age_of(self.P, self.year)
            self._age_key = key
        return self._age

    @property
    def t(self) -> int:
        """Years since the start year."""
        return self.year - self.start_year

    # -- removal of dead persons and empty households ----------------------
    def compact(self) -> None:
        """Move dead persons to the archive, drop empty households, remap row pointers."""
        P, H = self.P, self.H
        self._age = None
        dead = ~P.alive
        dead_rows = np.flatnonzero(dead)
        if len(dead_rows):
            self.archive.append(P.take(dead_rows, list(ARCHIVE_COLUMNS)))
            tail_map = P.remove_tail(dead_rows)
            size = kernels.remap3_count(P.mother_row, P.father_row, P.partner_row, tail_map,
                                        dead, P.hh, H.n)
        else:
            size = np.bincount(P.hh, minlength=H.n)
        # the sizes move with their rows when empty households are removed
        H["size"] = size
        empty = np.flatnonzero(size == 0)
        if len(empty):
            hmap = H.remove(empty)
            kernels.remap_inplace(P.hh, hmap)
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
        dest = kernels.household_order(P.hh, self.H.n)
        P.permute(dest)
        for col in ("mother_row", "father_row", "partner_row"):
            kernels.remap_inplace(P[col], dest)
        # per-row caches: the ages (rebuilt on demand) and the MODA deprivation of the
        # year; the other per-row scratch columns are recomputed after demography
        self._age = None
        self._age_key = (-1, -1, -1)
        self.scratch.pop("_child_deprivation", None)

    def archived(self) -> dict[str, np.ndarray]:
        """All archived (dead) persons' lineage columns concatenated."""
        if not self.archive:
            return {k: np.empty(0, dtype=self.P[k].dtype) for k in ARCHIVE_COLUMNS}
        return {k: np.concatenate([a[k] for a in self.archive]) for k in ARCHIVE_COLUMNS}

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
