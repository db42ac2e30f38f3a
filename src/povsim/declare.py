"""What a model module declares: its columns, its modifiable values and its outcome tables.

Every process module (``povsim.processes.<name>``) states at module level, as plain
data, what it owns (the Starsim idea):

``PARAMS``
    its parameters (:class:`povsim.params.Param`: default, unit, plausible range, source);
``COLUMNS``
    the person and household columns it owns (:class:`Column`), with their dtype, the
    value of a new row, and whether the column is kept for the dead (``archive``) for
    lineage metrics;
``VALUES``
    the named quantities interventions may modify (:class:`Value`);
``STREAMS``
    the names of the random streams it draws from;
``TABLES``
    the outcome tables it contributes (:class:`OutcomeTable`);
``step(world, params, streams)``
    its yearly update, and optionally ``initialise(world, params, streams)`` for the
    derived state of the start year.

The model lists the process modules once, in order (:data:`povsim.model.PROCESSES`);
the parameter registry, the value names, the person and household schemas, the archive
columns and the output-table catalogue are derived from these declarations
(:mod:`povsim.registry`), so a new process is its module, its test and one line in the
model's list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np


@dataclass(frozen=True)
class Column:
    """A column of the person or household table.

    Parameters
    ----------
    name
        Column name (``P.<name>`` / ``H.<name>``).
    dtype
        numpy dtype.
    fill
        Value of a new row (a newborn, a new household).
    description
        What the column holds, with its unit.
    table
        ``"person"``, ``"household"`` or ``"village"``.
    archive
        Whether the value is kept when a person dies (lifetime records, lineage).
    """

    name: str
    dtype: Any
    fill: object
    description: str
    table: Literal["person", "household", "village"] = "person"
    archive: bool = False


def person(name: str, dtype: Any, fill: object, description: str, *,
           archive: bool = False) -> Column:
    """A person column (see :class:`Column`)."""
    return Column(name, np.dtype(dtype), fill, description, "person", archive)


def household(name: str, dtype: Any, fill: object, description: str) -> Column:
    """A household column (see :class:`Column`)."""
    return Column(name, np.dtype(dtype), fill, description, "household")


def village(name: str, dtype: Any, fill: object, description: str) -> Column:
    """A village column (see :class:`Column`)."""
    return Column(name, np.dtype(dtype), fill, description, "village")


@dataclass(frozen=True)
class Value:
    """A named quantity interventions may modify (Vivarium's value pipelines).

    ``kind`` says how a process applies the modified value:

    * ``"ratio"``: a multiplier (1 = no change); the process asks for the ratios of its
      rows (:meth:`povsim.state.Values.ratio`) and multiplies its own probability;
    * ``"shift"``: an additive shift (0 = no change), likewise;
    * ``"probability"`` / ``"rate"`` / ``"amount"``: the modifier receives the process's
      own value for each row and returns the new one.
    """

    name: str
    unit: str
    description: str
    kind: Literal["ratio", "shift", "probability", "rate", "amount"] = "ratio"
    table: Literal["person", "household"] = "person"


@dataclass(frozen=True)
class Measure:
    """One measure of an outcome table: ``numerator / denominator`` over a set of persons."""

    name: str
    description: str
    kind: Literal["rate", "mean", "count"] = "rate"
    unit: str = "share"


@dataclass(frozen=True)
class OutcomeTable:
    """An outcome table: its measures and the functions that collect them.

    ``collect(world, cells)`` is called once a year with the year's
    :class:`povsim.outcomes.Cells` and adds the measures' sums by cell through it;
    ``final(world)`` returns end-of-run frames (over everyone who ever lived).  Either
    may be absent.
    """

    name: str
    description: str
    measures: tuple[Measure, ...]
    collect: Callable[..., Any] | None = field(default=None, compare=False)
    final: Callable[..., Any] | None = field(default=None, compare=False)
