"""Registries derived from the model's declarations (:mod:`povsim.declare`).

Nothing here is kept by hand: the parameter registry, the modifiable values, the person,
household and village schemas, the archive columns, the random streams and the outcome
tables are read off the process modules the model lists (:data:`povsim.model.PROCESSES`),
the population module, the intervention modules (discovered in
:mod:`povsim.interventions`) and the outcome modules (discovered in
:mod:`povsim.outcomes`).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from types import MappingProxyType, ModuleType

from povsim.declare import Column, OutcomeTable, Value


@cache
def process_modules() -> tuple[ModuleType, ...]:
    """The yearly process modules, in the model's order."""
    from povsim.model import PROCESSES

    return PROCESSES


def discover(package: str) -> tuple[ModuleType, ...]:
    """The public modules of a package (not starting with ``_``), in name order."""
    pkg = importlib.import_module(package)
    names = sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))
    return tuple(importlib.import_module(f"{package}.{n}") for n in names)


def model_modules() -> Iterator[ModuleType]:
    """The geography and population modules, then every process module in order."""
    from povsim import geography, population

    yield geography
    yield population
    yield from process_modules()


@cache
def parameter_modules() -> tuple[ModuleType, ...]:
    """Modules that declare parameters, in the order ``povsim describe`` lists them."""
    from povsim import interventions

    return (*model_modules(), interventions, *interventions.MODULES)


@cache
def columns() -> tuple[Column, ...]:
    """Every declared column (core columns first), checked for duplicates."""
    out: dict[tuple[str, str], Column] = {}
    for mod in model_modules():
        for c in getattr(mod, "CORE_COLUMNS", ()) + getattr(mod, "COLUMNS", ()):
            key = (c.table, c.name)
            if key in out:
                raise RuntimeError(f"{c.table} column {c.name!r} declared twice ({mod.__name__})")
            out[key] = c
    return tuple(out.values())


def schema(table: str) -> dict[str, tuple[object, object]]:
    """Column name -> ``(dtype, fill)`` of the ``person``, ``household`` or ``village`` table."""
    return {c.name: (c.dtype, c.fill) for c in columns() if c.table == table}


@cache
def archive_columns() -> tuple[str, ...]:
    """Person columns kept for the dead (lineage and lifetime records)."""
    return tuple(c.name for c in columns() if c.table == "person" and c.archive)


def _by_name(modules, attr: str, what: str) -> Mapping:
    """The entries of every module's ``attr`` by their name, read-only; a name declared
    twice is an error."""
    out = {}
    for mod in modules:
        for d in getattr(mod, attr, ()):
            if d.name in out:
                raise RuntimeError(f"{what} {d.name!r} declared twice ({mod.__name__})")
            out[d.name] = d
    return MappingProxyType(out)


@cache
def value_names() -> Mapping[str, Value]:
    """Every modifiable value by name."""
    return _by_name(process_modules(), "VALUES", "value")


@cache
def declared_streams() -> frozenset[str]:
    """Names of the random streams the model's modules declare."""
    out: set[str] = set()
    for mod in model_modules():
        out.update(getattr(mod, "STREAMS", ()))
    return frozenset(out)


@cache
def outcome_tables() -> Mapping[str, OutcomeTable]:
    """Every outcome table: those of the process modules, then the outcome modules'."""
    from povsim import outcomes

    return _by_name((*model_modules(), *outcomes.MODULES), "TABLES", "outcome table")


def hooks(name: str) -> tuple[Callable, ...]:
    """The functions called ``name`` of the process modules, in order (e.g. ``initialise``,
    ``on_births``, ``on_new_households``)."""
    return tuple(f for mod in model_modules() if (f := getattr(mod, name, None)) is not None)
