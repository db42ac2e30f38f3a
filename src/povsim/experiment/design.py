"""Experiment design files (``experiments/*.toml``): scenarios x parameter points x seeds.

A design file has three tables::

    [experiment]   name (required), description, scenarios (files, relative to this
                   file), replicates, seed, outputs
    [overrides]    population / time / parameters set in every scenario (optional)
    [design]       method = "none" | "grid" | "lhs" | "draws", n (lhs, draws),
                   [design.parameters.<name>]: range, distribution, values, levels

The parameter points are generated here, once, from the experiment's seed:

* ``grid``: the Cartesian product (:func:`itertools.product`) of each parameter's
  ``values``, or of ``levels`` evenly spaced values over its range (log-spaced for a
  ``loguniform`` parameter), in the order the parameters are written;
* ``lhs``: a Latin hypercube of ``n`` points (:class:`scipy.stats.qmc.LatinHypercube`)
  over the ranges, log-scaled for ``loguniform`` parameters (McKay, Beckman & Conover
  1979, Technometrics 21:239, doi:10.2307/1268522);
* ``draws``: ``n`` independent draws from each parameter's declared distribution.
  Draws are made row by row, so the first ``n`` points of a design with ``n + k`` draws
  are the points of the design with ``n``: ``--extend`` can add draws.

A parameter's range defaults to its declared plausible range (:attr:`Param.range`); a
range given in the file must lie within the hard bounds (:attr:`Param.bounds`).  Every
problem is reported as a :class:`~povsim.errors.ScenarioError` naming the file, key,
value, what was expected and a fix; all problems found are raised together as
:class:`~povsim.errors.ScenarioErrors`.

Examples
--------
>>> exp = load_experiment("experiments/small_lhs.toml")     # doctest: +SKIP
>>> len(exp.points), exp.replicates                          # doctest: +SKIP
(12, 4)
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import Field, StrictFloat, StrictInt, StrictStr

from povsim.config import StrictModel, check_range, load_model, missing_file_hint
from povsim.errors import ParameterError, ScenarioError, ScenarioErrors, did_you_mean
from povsim.mobility import MOBILITY_TABLES
from povsim.params import Param, registry
from povsim.runner import replicate_seed
from povsim.scenario import OUTPUT_TABLES, Scenario, load_scenario
from povsim.spinup import HISTORY_TABLES

__all__ = [
    "KNOWN_OUTPUTS",
    "METHODS",
    "MODA_DETAIL_TABLES",
    "Experiment",
    "design_rng",
    "distribution_draws",
    "from_unit",
    "grid_points",
    "is_tidy",
    "latin_hypercube",
    "load_experiment",
]

#: Design methods.
METHODS: tuple[str, ...] = ("none", "grid", "lhs", "draws")

#: The large yearly MODA detail tables (age group x dimension x subgroup).
MODA_DETAIL_TABLES: tuple[str, ...] = (
    "moda_summary", "moda_dimensions", "moda_distribution", "moda_indicators", "moda_income",
    "moda_overlaps", "moda_patterns",
)
#: MODA on outcome indicators only (:mod:`povsim.moda.views`): tidy headline measures and
#: the kept detail tables.
MODA_OUTCOME_TABLES: tuple[str, ...] = ("moda_outcome", "moda_outcome_summary", "moda_outcome_patterns")
#: Tables a run produces that a design may name in ``outputs``.
#: (``history_<table>``: the spin-up's historical years; ``mobility_*``: end of run)
KNOWN_OUTPUTS: tuple[str, ...] = tuple(dict.fromkeys((
    *OUTPUT_TABLES, "generations_final", "moda", "programme", "costs", "budget", "reach",
    *MOBILITY_TABLES, *MODA_DETAIL_TABLES, *MODA_OUTCOME_TABLES, *(f"history_{t}" for t in HISTORY_TABLES))))


def is_tidy(table: str) -> bool:
    """Whether a table is kept by default: every table except the large ``moda_*`` detail tables."""
    return not table.startswith("moda_")

_NAME_PATTERN = r"^[A-Za-z0-9_-]+$"
#: File-relative paths of a design file (made absolute against the file holding them).
PATH_KEYS = (("experiment", "scenarios"),)
_ALIASES = {"latin": "lhs", "hypercube": "lhs", "lhc": "lhs", "factorial": "grid", "product": "grid",
            "random": "draws", "monte": "draws", "sample": "draws", "draw": "draws"}
_DESIGN_TAG = int.from_bytes(hashlib.sha256(b"povsim.experiment.design").digest()[:4], "little")


# --------------------------------------------------------------------------- file schema


class _ExperimentMeta(StrictModel):
    name: str = Field(pattern=_NAME_PATTERN)
    description: str = ""
    scenarios: Annotated[tuple[StrictStr, ...], Field(strict=False, min_length=1)]
    replicates: StrictInt = 1
    seed: StrictInt = 1
    outputs: Annotated[tuple[StrictStr, ...], Field(strict=False, min_length=1)] | None = None


class _ParameterSpec(StrictModel):
    range: Annotated[tuple[StrictFloat, StrictFloat], Field(strict=False)] | None = None
    distribution: StrictStr | None = None
    values: Annotated[tuple[StrictFloat, ...], Field(strict=False, min_length=1)] | None = None
    levels: StrictInt | None = None


class _Design(StrictModel):
    method: StrictStr = "none"
    n: StrictInt | None = None
    parameters: dict[str, _ParameterSpec] = Field(default_factory=dict)


class _Overrides(StrictModel):
    population: dict[str, Any] = Field(default_factory=dict)
    time: dict[str, Any] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)


class _ExperimentFile(StrictModel):
    experiment: _ExperimentMeta
    design: _Design = _Design()
    overrides: _Overrides = _Overrides()


# --------------------------------------------------------------------------- the design


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: scenarios (with overrides applied), points and seeds.

    Attributes
    ----------
    name, description
        From ``[experiment]``.
    file
        Absolute path of the design file.
    scenarios
        ``(file, scenario)`` pairs, in the order listed; overrides applied.
    seed
        The experiment's seed: replicate ``r`` runs with ``replicate_seed(seed, r)``
        (the same seed in every scenario and point: paired comparisons), and the
        parameter points are drawn from :func:`design_rng` ``(seed)``.
    replicates
        Number of replicates (seeds) per scenario and point.
    outputs
        Tables to keep from each run, or ``None`` for the default: every table a run
        produces except the ``moda_*`` detail tables (:func:`is_tidy`).
    method
        One of :data:`METHODS`.
    parameters
        Names of the varied parameters, in file order.
    points
        One mapping ``{parameter: value}`` per parameter point (one empty mapping for
        ``method = "none"``).
    design
        The resolved ``[design]`` table (ranges and distributions filled in).
    """

    name: str
    description: str
    file: str
    scenarios: tuple[tuple[str, Scenario], ...]
    seed: int
    replicates: int
    outputs: tuple[str, ...] | None
    method: str
    parameters: tuple[str, ...]
    points: tuple[Mapping[str, float], ...]
    design: Mapping[str, Any]

    @property
    def seeds(self) -> list[int]:
        """Root seed of each replicate."""
        return [replicate_seed(self.seed, r) for r in range(self.replicates)]

    @property
    def source_files(self) -> list[str]:
        """The design file and every scenario file read (``extends`` chains included)."""
        files = [self.file]
        for _, sc in self.scenarios:
            files += [f for f in sc.source_files if f not in files]
        return files

    def resolved_dict(self) -> dict[str, Any]:
        """The experiment as plain JSON-able data (for the manifest and ``design.json``)."""
        return {
            "name": self.name,
            "description": self.description,
            "file": self.file,
            "scenarios": [{"file": f, "name": sc.name} for f, sc in self.scenarios],
            "seed": self.seed,
            "replicates": self.replicates,
            "seeds": self.seeds,
            "outputs": list(self.outputs) if self.outputs is not None else None,
            "design": dict(self.design),
            "points": [dict(p) for p in self.points],
        }


def design_rng(seed: int) -> np.random.Generator:
    """The generator parameter points are drawn from (never the replicate seeds' stream)."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), _DESIGN_TAG, 0]))


def grid_points(values: Sequence[Sequence[float]]) -> np.ndarray:
    """Every combination of the given values (first parameter varies slowest).

    Parameters
    ----------
    values
        One sequence of values per parameter.

    Returns
    -------
    numpy.ndarray
        Shape ``(prod(len(v)), len(values))``.
    """
    rows = list(itertools.product(*values))
    return np.asarray(rows, dtype=float).reshape(len(rows), len(values))


def from_unit(unit: np.ndarray, bounds: np.ndarray, log: np.ndarray) -> np.ndarray:
    """Points of the unit cube ``(n, d)`` mapped onto ``bounds`` ``(d, 2)``: linearly, or
    on the log scale where ``log`` ``(d,)`` is set (``loguniform`` parameters)."""
    lo, hi = bounds[:, 0], bounds[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        lin = lo + unit * (hi - lo)
        logged = np.exp(np.log(np.where(log, lo, 1.0)) + unit * (np.log(np.where(log, hi, 1.0))
                                                                  - np.log(np.where(log, lo, 1.0))))
    return np.where(log, logged, lin)


def latin_hypercube(bounds: np.ndarray, n: int, seed: int, log: np.ndarray | None = None) -> np.ndarray:
    """``n`` points of a Latin hypercube over ``bounds``.

    Parameters
    ----------
    bounds
        Shape ``(d, 2)``: low and high of each parameter.
    n
        Number of points.
    seed
        Experiment seed (see :func:`design_rng`).
    log
        Shape ``(d,)`` booleans: stratify on the log scale (``loguniform`` parameters).

    Returns
    -------
    numpy.ndarray
        Shape ``(n, d)``.

    References
    ----------
    McKay, M. D., Beckman, R. J. & Conover, W. J. (1979). A comparison of three methods
    for selecting values of input variables in the analysis of output from a computer
    code. Technometrics 21(2):239-245. doi:10.2307/1268522
    """
    from scipy.stats import qmc

    bounds = np.asarray(bounds, dtype=float).reshape(-1, 2)
    log = np.zeros(len(bounds), dtype=bool) if log is None else np.asarray(log, dtype=bool)
    unit = qmc.LatinHypercube(d=len(bounds), seed=design_rng(seed)).random(n)
    return from_unit(unit, bounds, log)


def distribution_draws(bounds: np.ndarray, n: int, seed: int, log: np.ndarray | None = None) -> np.ndarray:
    """``n`` independent draws, uniform (or log-uniform) over each parameter's bounds.

    Draws are made point by point, so the first ``n`` rows of ``distribution_draws(b, n
    + k, seed)`` equal ``distribution_draws(b, n, seed)``.

    Parameters
    ----------
    bounds, seed, log
        As for :func:`latin_hypercube`.
    n
        Number of points.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, d)``.
    """
    bounds = np.asarray(bounds, dtype=float).reshape(-1, 2)
    log = np.zeros(len(bounds), dtype=bool) if log is None else np.asarray(log, dtype=bool)
    unit = design_rng(seed).random((n, len(bounds)))
    return from_unit(unit, bounds, log)


# --------------------------------------------------------------------------- loading


def load_experiment(path: str | os.PathLike[str], *, params: Mapping[str, Param] | None = None) -> Experiment:
    """Read and validate a design file, load its scenarios and generate its points.

    Parameters
    ----------
    path
        The design file (TOML).
    params
        Parameter declarations; default :func:`povsim.params.registry`.

    Returns
    -------
    Experiment

    Raises
    ------
    ScenarioErrors
        Every problem found, in the design file or in the scenario files it names.
    """
    reg = params if params is not None else registry()
    file = Path(os.path.normpath(Path(path).absolute()))
    errors: list[ScenarioError] = []
    spec = load_model(file, _ExperimentFile, meta="experiment", path_keys=PATH_KEYS, what="experiment file")
    meta, design = spec.experiment, spec.design

    def fail(key: str, value: object, expected: str, suggestion: str = "") -> None:
        errors.append(ScenarioError(str(file), key, value, expected, suggestion))

    if meta.replicates < 1:
        fail("experiment.replicates", meta.replicates, "an integer >= 1", "e.g. replicates = 4")
    if meta.seed < 0:
        fail("experiment.seed", meta.seed, "a non-negative integer", "e.g. seed = 1")
    outputs = meta.outputs
    for i, name in enumerate(outputs or ()):
        if name not in KNOWN_OUTPUTS:
            fail(f"experiment.outputs[{i}]", name, "the name of an output table", did_you_mean(name, KNOWN_OUTPUTS))
        elif name in outputs[:i]:
            fail(f"experiment.outputs[{i}]", name, "a list of distinct table names", f"remove the second {name!r}")

    names, bounds, log, values = _check_design(design, reg, fail)
    scenarios = _load_scenarios(meta.scenarios, file, spec.overrides, errors)
    if errors:
        raise ScenarioErrors(errors)

    points = _points(design.method, design.n, names, bounds, log, values, meta.seed)
    for j, name in enumerate(names):
        if reg[name].integer:
            points[:, j] = np.rint(points[:, j])
    point_maps = tuple({n: float(v) for n, v in zip(names, row, strict=True)} for row in points)
    if not point_maps or not scenarios:  # guarded by the checks above; a batch must never "succeed" empty
        raise ScenarioErrors([ScenarioError(str(file), "design", 0, "a design with at least one run",
                                            "give at least one scenario and one parameter point")])
    if len(set(map(lambda p: tuple(p.values()), point_maps))) != len(point_maps):
        raise ScenarioErrors([ScenarioError(str(file), "design.parameters", list(names),
                                            "parameter points that are all different",
                                            "remove repeated grid values")])
    resolved_design = {
        "method": design.method,
        "n": len(point_maps),
        "parameters": {
            n: {"range": [float(b[0]), float(b[1])], "distribution": "loguniform" if lg else "uniform",
                **({"values": [float(x) for x in v]} if v is not None else {})}
            for n, b, lg, v in zip(names, bounds, log, values, strict=True)
        },
    }
    return Experiment(
        name=meta.name, description=meta.description, file=str(file), scenarios=scenarios,
        seed=meta.seed, replicates=meta.replicates, outputs=outputs, method=design.method,
        parameters=tuple(names), points=point_maps, design=resolved_design,
    )


def _check_design(design: _Design, reg: Mapping[str, Param], fail) -> tuple[list[str], np.ndarray, np.ndarray,
                                                                              list[np.ndarray | None]]:
    """Check ``[design]``; return names, bounds ``(d, 2)``, log flags and grid values."""
    method = design.method
    if method not in METHODS:
        hint = did_you_mean(method, METHODS)
        alias = next((m for word, m in _ALIASES.items() if word in method.lower()), None)
        if alias is not None:
            hint = f"did you mean {alias!r}?"
        elif not hint.startswith("did"):
            hint = "grid (all combinations), lhs (Latin hypercube) or draws (random draws)"
        fail("design.method", method, "one of " + ", ".join(repr(m) for m in METHODS), hint)
    if method in ("lhs", "draws"):
        if design.n is None:
            fail("design.n", None, f"the number of points for method {method!r}", "add n = 10")
        elif design.n < 1:
            fail("design.n", design.n, "an integer >= 1", "e.g. n = 10")
    elif design.n is not None and method in METHODS:
        fail("design.n", design.n, f"no n for method {method!r} (it sets the number of points itself)",
             "remove n" if method == "grid" else 'use method = "lhs" or "draws" to sample n points')
    if method == "none" and design.parameters:
        fail("design.method", method, "a method that varies the parameters listed in [design.parameters]",
             'set method = "grid", "lhs" or "draws"')
    if method in ("grid", "lhs", "draws") and not design.parameters:
        fail("design.parameters", {}, f"at least one [design.parameters.<name>] table for method {method!r}",
             'add e.g. [design.parameters.migration_out_men] or set method = "none"')

    names: list[str] = []
    bounds: list[tuple[float, float]] = []
    log: list[bool] = []
    values: list[np.ndarray | None] = []
    for name, ps in design.parameters.items():
        key = f"design.parameters.{name}"
        p = reg.get(name)
        if p is None:
            fail(key, name, "the name of a declared parameter", did_you_mean(name, reg))
            continue
        lo, hi, dist, ok = check_range(p, key, ps.range, ps.distribution, fail)
        grid_values = _check_grid(method, name, key, ps, p, (lo, hi), dist, ok, fail)
        if method not in ("grid",) and (ps.values is not None or ps.levels is not None):
            which = "values" if ps.values is not None else "levels"
            fail(f"{key}.{which}", getattr(ps, which), f"no {which} for method {method!r}",
                 f"remove {which}, or use method = \"grid\"")
        names.append(name)
        bounds.append((lo, hi))
        log.append(dist == "loguniform")
        values.append(grid_values)
    arr = np.asarray(bounds, dtype=float).reshape(len(bounds), 2)
    return names, arr, np.asarray(log, dtype=bool), values


def _check_grid(method: str, name: str, key: str, ps: _ParameterSpec, p: Param, rng: tuple[float, float],
                dist: str, ok: bool, fail) -> np.ndarray | None:
    if method != "grid":
        return None
    if ps.values is not None and ps.levels is not None:
        fail(f"{key}.levels", ps.levels, "either values or levels, not both", "remove one of them")
        return None
    if ps.values is not None:
        vals = np.asarray(ps.values, dtype=float)
        for i, v in enumerate(vals):
            try:
                p.check(float(v))
            except ParameterError:
                whole = "whole numbers " if p.integer else ""
                fail(f"{key}.values[{i}]", float(v), f"{whole}within the bounds [{p.bounds[0]:g}, "
                     f"{p.bounds[1]:g}] ({p.unit})", f"the plausible range is [{p.range[0]:g}, {p.range[1]:g}]")
        if len(set(vals.tolist())) != len(vals):
            fail(f"{key}.values", list(ps.values), "distinct values", "remove the repeated value")
        return vals
    if ps.levels is None:
        fail(key, None, "values = [...] or levels = k for a grid", "add levels = 3, or values = [a, b, c]")
        return None
    if ps.levels < 2:
        fail(f"{key}.levels", ps.levels, "an integer >= 2", "e.g. levels = 3")
        return None
    if not ok:
        return None
    lo, hi = rng
    vals = np.geomspace(lo, hi, ps.levels) if dist == "loguniform" else np.linspace(lo, hi, ps.levels)
    if p.integer:
        vals = np.unique(np.rint(vals))
    return vals


def _points(method: str, n: int | None, names: list[str], bounds: np.ndarray, log: np.ndarray,
            values: list[np.ndarray | None], seed: int) -> np.ndarray:
    if method == "grid":
        return grid_points([v if v is not None else np.empty(0) for v in values])
    if method == "lhs":
        return latin_hypercube(bounds, int(n or 0), seed, log)
    if method == "draws":
        return distribution_draws(bounds, int(n or 0), seed, log)
    return np.empty((1, 0))


def _load_scenarios(files: Sequence[str], exp_file: Path, overrides: _Overrides,
                    errors: list[ScenarioError]) -> tuple[tuple[str, Scenario], ...]:
    out: list[tuple[str, Scenario]] = []
    seen: dict[str, int] = {}
    for i, rel in enumerate(files):
        path = Path(os.path.normpath(exp_file.parent / rel))
        key = f"experiment.scenarios[{i}]"
        if not path.is_file():
            errors.append(ScenarioError(str(exp_file), key, rel, f"an existing scenario file (looked for {path})",
                                        missing_file_hint(path)))
            continue
        try:
            sc = load_scenario(path)
        except ScenarioErrors as exc:
            errors.extend(exc.errors)
            continue
        try:
            sc = sc.with_overrides(parameters=overrides.parameters or None,
                                   population=overrides.population or None, time=overrides.time or None)
        except ScenarioErrors as exc:
            for e in exc.errors:
                if e.file == "<overrides>":
                    errors.append(ScenarioError(str(exp_file), f"overrides.{e.key}", e.value, e.expected,
                                                e.suggestion))
                else:
                    errors.append(e)
            continue
        if sc.name in seen:
            errors.append(ScenarioError(str(exp_file), key, rel, "scenarios with different names",
                                        f"scenario {sc.name!r} is listed twice (also at experiment.scenarios"
                                        f"[{seen[sc.name]}]); remove one or give it another [scenario] name"))
            continue
        seen[sc.name] = i
        out.append((str(path), sc))
    return tuple(out)
