"""Global sensitivity analysis with SALib: which uncertain parameters drive the answer.

A sensitivity file (``experiments/sensitivity_*.toml``) names scenarios, the uncertain
parameters (declared parameters; ranges default to their plausible ranges; optional
groups), a method, ``n`` and the outputs (any tidy outcome, or a paired difference
between two scenarios, or a ratio of two outputs)::

    [sensitivity]
    name = "sobol_small"
    scenarios = ["../scenarios/small.toml"]   # relative to this file
    replicates = 2                            # the same seeds at every point, averaged
    seed = 1
    method = "sobol"                          # "sobol" | "morris" | "fast" | "delta" | "pawn"
    n = 16                                    # base sample size (trajectories for Morris)

    [overrides.population]                    # optional, as in a batch design file
    persons = 1500

    [parameters.migration_out_men]            # range defaults to the plausible range
    range = [0.03, 0.12]
    group = "migration"                       # optional (Sobol', Morris)

    [[outputs]]
    name = "M0_6_17"
    table = "moda"
    measure = "moda_M0_6_17"
    year = "+10"                              # "last" (default), "+k" after the start, or a year
    scenario = "full_package"                 # default: the first scenario
    minus = "baseline"                        # optional: paired difference scenario - minus

Sampling and analysis are SALib's (seeded); evaluation is pluggable: a
:class:`ModelEvaluator` runs every point through the batch machinery of
:mod:`povsim.experiment` (run store, local pool or Dask, resumable: a point already run
is never run again), a :class:`FunctionEvaluator` calls a plain function (tests, the
Ishigami function).  Parameters with a ``loguniform`` distribution are sampled on the
log scale (the indices then refer to the log of the parameter).

References
----------
Saltelli, A. (2002). Making best use of model evaluations to compute sensitivity
indices. Computer Physics Communications 145(2):280-297. doi:10.1016/S0010-4655(02)00280-1
Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. & Tarantola, S. (2010).
Variance based sensitivity analysis of model output. Computer Physics Communications
181(2):259-270. doi:10.1016/j.cpc.2009.09.018
Sobol', I. M. (2001). Global sensitivity indices for nonlinear mathematical models and
their Monte Carlo estimates. Mathematics and Computers in Simulation 55:271-280.
doi:10.1016/S0378-4754(00)00270-6
Morris, M. D. (1991). Factorial sampling plans for preliminary computational
experiments. Technometrics 33(2):161-174. doi:10.1080/00401706.1991.10484804
Campolongo, F., Cariboni, J. & Saltelli, A. (2007). An effective screening design for
sensitivity analysis of large models. Environmental Modelling & Software
22(10):1509-1518. doi:10.1016/j.envsoft.2006.10.004
Saltelli, A., Tarantola, S. & Chan, K. P.-S. (1999). A quantitative model-independent
method for global sensitivity analysis of model output. Technometrics 41(1):39-56.
doi:10.1080/00401706.1999.10485594 (extended FAST; Cukier et al. 1973 for FAST)
Borgonovo, E. (2007). A new uncertainty importance measure. Reliability Engineering &
System Safety 92(6):771-784. doi:10.1016/j.ress.2006.04.015
Pianosi, F. & Wagener, T. (2015). A simple and efficient method for global sensitivity
analysis based on cumulative distribution functions. Environmental Modelling & Software
67:1-11. doi:10.1016/j.envsoft.2015.01.004
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol

import numpy as np
import pandas as pd
from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr

from povsim.config import StrictModel, check_range, load_model
from povsim.errors import PovsimError, ScenarioError, ScenarioErrors, did_you_mean
from povsim.experiment.design import _Overrides  # shared with batch designs
from povsim.params import Param, registry
from povsim.scenario import Scenario

__all__ = [
    "METHODS",
    "Evaluation",
    "Evaluator",
    "FunctionEvaluator",
    "ModelEvaluator",
    "OutputSpec",
    "SensitivityError",
    "SensitivityResult",
    "Study",
    "analyse",
    "convergence",
    "load_study",
    "noise_table",
    "problem",
    "rank",
    "run_sensitivity",
    "sample",
]

#: Sensitivity methods.
METHODS: tuple[str, ...] = ("sobol", "morris", "fast", "delta", "pawn")
_ALIASES = {"saltelli": "sobol", "sobol'": "sobol", "variance": "sobol", "ee": "morris",
            "elementary": "morris", "efast": "fast", "fourier": "fast", "borgonovo": "delta",
            "moment": "delta"}
_NAME_PATTERN = r"^[A-Za-z0-9_-]+$"
_FIELDS = ("value", "numerator", "denominator")


class SensitivityError(PovsimError):
    """A sensitivity study that cannot be run or analysed (exit code 2 from the CLI)."""


# --------------------------------------------------------------------------- file schema


class _Meta(StrictModel):
    name: str = Field(pattern=_NAME_PATTERN)
    description: str = ""
    scenarios: Annotated[tuple[StrictStr, ...], Field(strict=False)] = ()
    replicates: StrictInt = 1
    seed: StrictInt = 1
    method: StrictStr
    n: StrictInt
    second_order: StrictBool = False
    num_levels: StrictInt = 4
    m: StrictInt = 4
    num_resamples: StrictInt = 100
    conf_level: StrictFloat = 0.95
    pawn_slides: StrictInt = 10


class _ParamSpec(StrictModel):
    range: Annotated[tuple[StrictFloat, StrictFloat], Field(strict=False)] | None = None
    distribution: StrictStr | None = None
    group: StrictStr | None = None


class OutputSpec(StrictModel):
    """One output of a study: how to read a number from the runs of one sample point.

    Attributes
    ----------
    name
        Column name of the output.
    table, measure, year, by, group, intervention, field
        The tidy row: ``year`` is ``"last"``, ``"+k"`` (k years after the start year) or
        a calendar year; ``intervention`` is used for tables without years (``programme``);
        ``field`` is ``value``, ``numerator`` or ``denominator``.
    scenario, minus
        The scenario to read; with ``minus``, the paired difference ``scenario - minus``
        (the same seeds: common random numbers).
    ratio
        Names of two other outputs: this output is their ratio (of replicate means).
    scale
        Multiplier (e.g. 1000 for "per 1,000").
    """

    name: str = Field(pattern=_NAME_PATTERN)
    table: StrictStr | None = None
    measure: StrictStr | None = None
    year: StrictInt | StrictStr = "last"
    by: StrictStr = "all"
    group: StrictStr = "all"
    intervention: StrictStr = "all"
    field: StrictStr = "value"
    scenario: StrictStr | None = None
    minus: StrictStr | None = None
    ratio: Annotated[tuple[StrictStr, StrictStr], Field(strict=False)] | None = None
    scale: StrictFloat = 1.0


class _File(StrictModel):
    sensitivity: _Meta
    parameters: dict[str, _ParamSpec] = Field(min_length=1)
    outputs: Annotated[tuple[OutputSpec, ...], Field(strict=False, min_length=1)]
    overrides: _Overrides = _Overrides()


# --------------------------------------------------------------------------- the study


@dataclass(frozen=True)
class Study:
    """A validated sensitivity study.

    Attributes
    ----------
    name, description, file
        From ``[sensitivity]``; ``file`` is the absolute path of the study file.
    scenarios
        ``(file, scenario)`` pairs, overrides applied (empty for a function evaluator).
    seed, replicates
        Seed of the samplers, and of replicate ``r`` (``replicate_seed(seed, r)``: the
        same seeds at every sample point).
    method, n
        One of :data:`METHODS`, and the base sample size (trajectories for Morris).
    options
        Method options: ``second_order``, ``num_levels``, ``m``, ``num_resamples``,
        ``conf_level``, ``pawn_slides``.
    parameters
        Names of the uncertain parameters, in file order.
    bounds
        Shape ``(d, 2)``: the ranges in parameter units.
    log
        Shape ``(d,)``: sampled on the log scale (``loguniform``).
    integer
        Shape ``(d,)``: values rounded to whole numbers before a run.
    groups
        Group of each parameter (its own name where none is given), or ``None``.
    outputs
        The outputs; the first is the one the summary ranks by.
    """

    name: str
    description: str
    file: str
    scenarios: tuple[tuple[str, Scenario], ...]
    seed: int
    replicates: int
    method: str
    n: int
    options: Mapping[str, Any]
    parameters: tuple[str, ...]
    bounds: np.ndarray
    log: np.ndarray
    integer: np.ndarray
    groups: tuple[str, ...] | None
    outputs: tuple[OutputSpec, ...]

    @property
    def factors(self) -> list[str]:
        """Names the indices are reported for: the groups, or the parameters."""
        return list(dict.fromkeys(self.groups)) if self.groups else list(self.parameters)

    def resolved_dict(self) -> dict[str, Any]:
        """The study as JSON-able data (manifest)."""
        return {
            "name": self.name, "description": self.description, "file": self.file,
            "scenarios": [{"file": f, "name": sc.name} for f, sc in self.scenarios],
            "seed": self.seed, "replicates": self.replicates, "method": self.method, "n": self.n,
            "options": dict(self.options),
            "parameters": {p: {"range": [float(b[0]), float(b[1])],
                               "distribution": "loguniform" if lg else "uniform",
                               **({"group": self.groups[i]} if self.groups else {})}
                           for i, (p, b, lg) in enumerate(zip(self.parameters, self.bounds, self.log, strict=True))},
            "outputs": [{k: v for k, v in o.__dict__.items() if v is not None} for o in self.outputs],
        }


def _minimum_n(method: str, d: int, opts: Mapping[str, Any]) -> tuple[int, str]:
    if method == "sobol":
        return 2, "a power of 2 (2, 4, 8, ..., 256): the Sobol' sequence is balanced only then"
    if method == "morris":
        return 2, "the number of trajectories, an integer >= 2"
    if method == "fast":
        m = int(opts["m"])
        return 4 * m * m + 1, f"an integer > 4 M^2 = {4 * m * m} (M = {m}, the interference factor)"
    return max(10, d + 1), f"an integer >= {max(10, d + 1)}"


def load_study(path: str | os.PathLike[str], *, params: Mapping[str, Param] | None = None,
               need_scenarios: bool = True) -> Study:
    """Read and validate a sensitivity file and load its scenarios.

    Parameters
    ----------
    path
        The study file (TOML).
    params
        Parameter declarations; default :func:`povsim.params.registry` (tests pass
        others, e.g. the three inputs of the Ishigami function).
    need_scenarios
        Require at least one scenario (``False`` for a function evaluator).

    Returns
    -------
    Study

    Raises
    ------
    ScenarioErrors
        Every problem found, each naming the file, key, value, expectation and a fix.
    """
    from povsim.experiment.design import _load_scenarios

    reg = params if params is not None else registry()
    file = Path(os.path.normpath(Path(path).absolute()))
    errors: list[ScenarioError] = []
    spec = load_model(file, _File, meta="sensitivity", path_keys=(("sensitivity", "scenarios"),),
                      what="sensitivity file")
    meta = spec.sensitivity

    def fail(key: str, value: object, expected: str, suggestion: str = "") -> None:
        errors.append(ScenarioError(str(file), key, value, expected, suggestion))

    method = meta.method.lower()
    if method not in METHODS:
        alias = next((m for w, m in _ALIASES.items() if w in method), None)
        fail("sensitivity.method", meta.method, "one of " + ", ".join(repr(m) for m in METHODS),
             f"did you mean {alias!r}?" if alias else did_you_mean(method, METHODS))
    if meta.replicates < 1:
        fail("sensitivity.replicates", meta.replicates, "an integer >= 1", "e.g. replicates = 2")
    if meta.seed < 0:
        fail("sensitivity.seed", meta.seed, "a non-negative integer", "e.g. seed = 1")
    if not 0 < meta.conf_level < 1:
        fail("sensitivity.conf_level", meta.conf_level, "a number between 0 and 1", "e.g. conf_level = 0.95")
    if meta.m < 1:
        fail("sensitivity.m", meta.m, "an integer >= 1", "e.g. m = 4")
    if meta.num_levels < 2 or meta.num_levels % 2:
        fail("sensitivity.num_levels", meta.num_levels, "an even integer >= 2", "e.g. num_levels = 4")
    opts = {"second_order": meta.second_order, "num_levels": meta.num_levels, "m": meta.m,
            "num_resamples": meta.num_resamples, "conf_level": meta.conf_level,
            "pawn_slides": meta.pawn_slides}

    names: list[str] = []
    bounds: list[tuple[float, float]] = []
    log: list[bool] = []
    integer: list[bool] = []
    groups: list[str] = []
    for name, ps in spec.parameters.items():
        key = f"parameters.{name}"
        p = reg.get(name)
        if p is None:
            fail(key, name, "the name of a declared parameter", did_you_mean(name, reg))
            continue
        lo, hi, dist, _ = check_range(p, key, ps.range, ps.distribution, fail)
        names.append(name)
        bounds.append((float(lo), float(hi)))
        log.append(dist == "loguniform")
        integer.append(bool(p.integer))
        groups.append(ps.group if ps.group is not None else name)
    has_groups = any(ps.group is not None for ps in spec.parameters.values())
    if has_groups and method in ("fast", "delta", "pawn"):
        fail("parameters", sorted({g for g in groups}), f"no groups for method {method!r}",
             "groups are supported by 'sobol' and 'morris'; remove group = ...")
    if has_groups and len(set(groups)) < 2:
        fail("parameters", sorted(set(groups)), "at least two groups", "put the parameters in two or more groups")
    if not has_groups and len(names) < 2 and method in METHODS:
        fail("parameters", names, "at least two uncertain parameters", "add another [parameters.<name>] table")

    if method in METHODS:
        d = len(set(groups)) if has_groups else len(names)
        low, what = _minimum_n(method, d, opts)
        bad = meta.n < low or (method == "sobol" and meta.n & (meta.n - 1) != 0)
        if bad:
            if method == "sobol" and meta.n >= 1:
                below = 2 ** math.floor(math.log2(meta.n))
                hint = f"use n = {max(below, 2)} or n = {max(below * 2, 2)}"
            else:
                hint = f"use n = {max(low, 2)} or more"
            fail("sensitivity.n", meta.n, what, hint)

    scenario_names: list[str] = []
    scenarios: tuple[tuple[str, Scenario], ...] = ()
    if meta.scenarios:
        scenarios = _load_scenarios(meta.scenarios, file, spec.overrides, errors)
        for err in errors:  # the experiment loader names [overrides] keys the same way
            if err.key.startswith("experiment."):
                err.key = "sensitivity." + err.key.removeprefix("experiment.")
        scenario_names = [sc.name for _, sc in scenarios]
    elif need_scenarios:
        fail("sensitivity.scenarios", [], "at least one scenario file", 'add scenarios = ["../scenarios/small.toml"]')

    outputs = _check_outputs(spec.outputs, scenario_names, bool(meta.scenarios), fail)
    if errors:
        raise ScenarioErrors(errors)
    return Study(
        name=meta.name, description=meta.description, file=str(file), scenarios=scenarios, seed=meta.seed,
        replicates=meta.replicates, method=method, n=meta.n, options=opts, parameters=tuple(names),
        bounds=np.asarray(bounds, dtype=float).reshape(len(names), 2), log=np.asarray(log, dtype=bool),
        integer=np.asarray(integer, dtype=bool), groups=tuple(groups) if has_groups else None,
        outputs=outputs)


def _check_outputs(specs: Sequence[OutputSpec], scenarios: list[str], model: bool, fail) -> tuple[OutputSpec, ...]:
    from povsim.experiment.design import KNOWN_OUTPUTS

    out: list[OutputSpec] = []
    seen: set[str] = set()
    for i, o in enumerate(specs):
        key = f"outputs[{i}]"
        if o.name in seen:
            fail(f"{key}.name", o.name, "distinct output names", "rename one of them")
        if o.ratio is not None:
            for j, ref in enumerate(o.ratio):
                if ref not in seen:
                    fail(f"{key}.ratio[{j}]", ref, "the name of an output listed before this one",
                         did_you_mean(ref, seen) if seen else "list the two outputs first")
        elif model:
            if o.table is None or o.measure is None:
                fail(key, o.name, "table = ... and measure = ... (or ratio = [a, b])",
                     'e.g. table = "moda", measure = "moda_M0_6_17"')
            elif o.table not in KNOWN_OUTPUTS:
                fail(f"{key}.table", o.table, "the name of an output table", did_you_mean(o.table, KNOWN_OUTPUTS))
            if isinstance(o.year, str) and not re.fullmatch(r"last|\+\d+", o.year):
                fail(f"{key}.year", o.year, '"last", "+k" (years after the start) or a calendar year',
                     'e.g. year = "+10"')
            if o.field not in _FIELDS:
                fail(f"{key}.field", o.field, " or ".join(_FIELDS), did_you_mean(o.field, _FIELDS))
            for which in ("scenario", "minus"):
                sc = getattr(o, which)
                if sc is not None and sc not in scenarios:
                    fail(f"{key}.{which}", sc, "the [scenario] name of a listed scenario",
                         did_you_mean(sc, scenarios))
            if o.minus is not None and (o.scenario or (scenarios[0] if scenarios else None)) == o.minus:
                fail(f"{key}.minus", o.minus, "a scenario other than the one subtracted from",
                     "set scenario = ... to the other one")
        seen.add(o.name)
        out.append(o.model_copy(update={
            "scenario": o.scenario or (scenarios[0] if scenarios and o.ratio is None else None)}))
    return tuple(out)


# --------------------------------------------------------------------------- sampling


def problem(study: Study) -> dict[str, Any]:
    """The SALib problem: names, bounds (log of the bounds for ``loguniform``), groups."""
    b = np.where(study.log[:, None], np.log(np.where(study.log[:, None], study.bounds, 1.0)), study.bounds)
    prob: dict[str, Any] = {"num_vars": len(study.parameters), "names": list(study.parameters),
                            "bounds": b.tolist()}
    if study.groups:
        prob["groups"] = list(study.groups)
    return prob


def sample(study: Study) -> np.ndarray:
    """The SALib sample of the study's method (seeded), in SALib's space.

    Sobol': :func:`SALib.sample.sobol.sample` (Saltelli 2002, 2010), ``n * (D + 2)``
    rows, ``n * (2D + 2)`` with second-order indices; Morris:
    :func:`SALib.sample.morris.sample` (``n`` trajectories, Morris 1991; Campolongo 2007);
    FAST: :func:`SALib.sample.fast_sampler.sample` (``n * D`` rows, Saltelli 1999);
    delta and PAWN: a Latin hypercube of ``n`` rows.
    """
    from SALib.sample import fast_sampler, latin, morris
    from SALib.sample import sobol as sobol_sample

    prob, o = problem(study), study.options
    if study.method == "sobol":
        return sobol_sample.sample(prob, study.n, calc_second_order=bool(o["second_order"]), seed=study.seed)
    if study.method == "morris":
        return morris.sample(prob, study.n, num_levels=int(o["num_levels"]), seed=study.seed)
    if study.method == "fast":
        return fast_sampler.sample(prob, study.n, M=int(o["m"]), seed=study.seed)
    return latin.sample(prob, study.n, seed=study.seed)


def to_parameters(study: Study, X: np.ndarray) -> np.ndarray:
    """SALib sample rows -> parameter values (exp of log-sampled columns, integers rounded)."""
    vals = np.where(study.log, np.exp(np.where(study.log, X, 0.0)), X)
    return np.where(study.integer, np.rint(vals), vals)


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class Evaluation:
    """Outputs at every sample point.

    Attributes
    ----------
    replicates
        Shape ``(n_points, n_outputs, replicates)``: each replicate's value.
    names
        Output names.
    """

    replicates: np.ndarray
    names: tuple[str, ...]

    @property
    def Y(self) -> np.ndarray:
        """Shape ``(n_points, n_outputs)``: the mean over replicates (common random numbers)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(self.replicates, axis=2)


class Evaluator(Protocol):
    """Turns parameter points (rows of values, in parameter units) into outputs."""

    def evaluate(self, study: Study, values: np.ndarray) -> Evaluation:
        """Evaluate every row of ``values`` (shape ``(n, d)``)."""


class FunctionEvaluator:
    """Evaluate a plain function ``fn(values) -> (n,) or (n, k)`` (tests, analytic functions).

    Parameters
    ----------
    fn
        Vectorised function of the parameter values.
    """

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray]) -> None:
        self.fn = fn

    def evaluate(self, study: Study, values: np.ndarray) -> Evaluation:
        """Call the function once on all rows."""
        y = np.asarray(self.fn(values), dtype=float)
        y = y.reshape(len(values), -1)
        names = tuple(o.name for o in study.outputs)
        if y.shape[1] != len(names):
            raise SensitivityError(f"the function returned {y.shape[1]} output(s); the study lists {len(names)}")
        return Evaluation(replicates=y[:, :, None], names=names)


class ModelEvaluator:
    """Evaluate points by running the model through the batch machinery.

    Every unique point x scenario x replicate is one run of a
    :class:`~povsim.experiment.keyspace.Keyspace` (the same run keys as ``povsim batch``),
    kept in a :class:`~povsim.experiment.store.RunStore` in ``folder``: a study that is
    stopped and started again runs only what is missing.  Runs go to a local process
    pool or a Dask cluster (:func:`~povsim.experiment.executors.make_executor`).  The
    first point is run first and the outputs are checked against its tables, so a
    misspelt measure stops the study after one run per scenario.

    Parameters
    ----------
    folder
        The run store folder.
    workers, scheduler, dask_local
        As for :func:`povsim.experiment.run_batch`.
    reporter
        A :class:`povsim.experiment.batch.Reporter` (progress), or ``None``.
    executor
        An executor to use instead (tests).
    """

    def __init__(self, folder: str | os.PathLike[str], *, workers: int | None = None, scheduler: str | None = None,
                 dask_local: int | None = None, reporter: Any = None, executor: Any = None) -> None:
        self.folder = Path(folder)
        self.workers, self.scheduler, self.dask_local = workers, scheduler, dask_local
        self.reporter = reporter
        self.executor = executor
        self.runs = 0

    def evaluate(self, study: Study, values: np.ndarray) -> Evaluation:
        """Run every point (unique points once), then read each output of each run."""
        from povsim.experiment.batch import SilentReporter, Tally, collect_batch_store, open_store, run_missing
        from povsim.experiment.design import Experiment
        from povsim.experiment.executors import make_executor
        from povsim.experiment.keyspace import expand
        from povsim.experiment.store import RunStore

        unique, inverse = np.unique(values, axis=0, return_inverse=True)
        inverse = np.asarray(inverse).reshape(-1)
        points = tuple({n: float(v) for n, v in zip(study.parameters, row, strict=True)} for row in unique)
        tables = tuple(dict.fromkeys(o.table for o in study.outputs if o.table is not None))
        exp = Experiment(name=study.name, description=study.description, file=study.file,
                         scenarios=study.scenarios, seed=study.seed, replicates=study.replicates,
                         outputs=tables, method="points", parameters=study.parameters, points=points,
                         design={"method": study.method, "n": len(points)})
        ks = expand(exp)
        store = RunStore(self.folder)
        rep = self.reporter if self.reporter is not None else SilentReporter()
        with open_store(store, exp, ks) as (_, state):
            tally = Tally.of(state)
            todo = [e for e in ks if e.key not in tally.done]
            rep.message(f"{len(ks)} runs ({len(points)} points x {len(study.scenarios)} scenario(s) x "
                        f"{study.replicates} replicate(s)); {len(tally.done)} done, {len(todo)} to run; "
                        f"store {store.folder}")
            if state.other_model:
                rep.message(state.other_model_message())
            if todo:
                ex = self.executor if self.executor is not None else make_executor(
                    self.workers, self.scheduler, self.dask_local)
                first_point = [e for e in ks if e.point == 0 and e.replicate == 0]
                pilot = [e for e in first_point if e.key not in tally.done]

                def after_pilot(_: object, rest: list[Any]) -> None:
                    _check_pilot(study, store, first_point, tally.failed)
                    if pilot and rest:
                        per = (time.perf_counter() - t0) / len(pilot)
                        rep.message(f"pilot: {per:.2f} s a run; {len(rest)} runs to go on {ex.slots} worker(s), "
                                    f"about {per * len(rest) / max(ex.slots, 1) / 60:.1f} min")

                with ex:
                    t0 = time.perf_counter()
                    run_missing(ex, store, ks, exp.outputs, tally, rep, todo, pilot, after_pilot)
                self.runs += tally.ran
            if tally.failed:
                first = next(iter(tally.failed.items()))
                raise SensitivityError(f"{len(tally.failed)} of {len(ks)} runs failed (e.g. {first[0]}: {first[1]}); "
                                       f"failure records in {store.runs}; run the same command again to retry")
            collect_batch_store(store, ks.to_json()["runs"], list(ks.parameters), exp.outputs, tally.done)
            reps = _extract(study, store, ks, len(points))
        return Evaluation(replicates=reps[inverse], names=tuple(o.name for o in study.outputs))


def _select(df: pd.DataFrame, o: OutputSpec, start_year: int) -> pd.DataFrame:
    sel = df[df["measure"] == o.measure]
    if "intervention" in sel.columns:
        sel = sel[sel["intervention"] == o.intervention]
    if "by" in sel.columns:
        sel = sel[(sel["by"] == o.by) & (sel["group"] == o.group)]
    if "year" in sel.columns and len(sel):
        if o.year == "last":
            year = sel["year"].max()
        elif isinstance(o.year, str):
            year = start_year + int(o.year[1:])
        else:
            year = o.year
        sel = sel[sel["year"] == year]
    return sel


def _check_pilot(study: Study, store: Any, entries: Sequence[Any], failed: Mapping[str, str]) -> None:
    errs: list[ScenarioError] = []
    by_scenario = {e.scenario: e for e in entries}
    for i, o in enumerate(study.outputs):
        if o.ratio is not None:
            continue
        for sc_name in filter(None, (o.scenario, o.minus)):
            e = by_scenario[sc_name]
            if e.key in failed:
                raise SensitivityError(f"the first run of scenario {sc_name!r} failed: {failed[e.key]}")
            df = store.read(e.key, [o.table]).get(o.table)
            if df is None:
                errs.append(ScenarioError(study.file, f"outputs[{i}].table", o.table,
                                          f"a table scenario {sc_name!r} produces",
                                          "'programme' needs interventions in the scenario"))
                break
            measures = sorted(df["measure"].unique())
            if o.measure not in measures:
                errs.append(ScenarioError(study.file, f"outputs[{i}].measure", o.measure,
                                          f"a measure of table {o.table!r}", did_you_mean(o.measure, measures)))
                break
            start = study.scenarios[[s.name for _, s in study.scenarios].index(sc_name)][1].time.start_year
            if _select(df, o, start).empty:
                errs.append(ScenarioError(study.file, f"outputs[{i}]", {"year": o.year, "by": o.by, "group": o.group},
                                          f"a year, by and group present in table {o.table!r}",
                                          f"years {df['year'].min()}-{df['year'].max()}" if "year" in df else ""))
                break
    if errs:
        raise ScenarioErrors(errs)


def _extract(study: Study, store: Any, ks: Any, n_points: int) -> np.ndarray:
    starts = {sc.name: sc.time.start_year for _, sc in study.scenarios}
    index = {o.name: j for j, o in enumerate(study.outputs)}
    raw = np.full((n_points, len(study.outputs), study.replicates), np.nan)
    per_run: dict[tuple[str, int, int], dict[str, pd.DataFrame]] = {}
    tables = [t for t in dict.fromkeys(o.table for o in study.outputs) if t is not None]
    for e in ks:
        per_run[(e.scenario, e.point, e.replicate)] = store.read(e.key, tables)

    def read(o: OutputSpec, scenario: str, p: int, r: int) -> float:
        df = per_run[(scenario, p, r)].get(o.table)
        if df is None:
            return math.nan
        sel = _select(df, o, starts[scenario])
        return float(sel[o.field].iloc[0]) if len(sel) else math.nan

    for o in study.outputs:
        if o.ratio is not None:
            continue
        j = index[o.name]
        for p in range(n_points):
            for r in range(study.replicates):
                v = read(o, o.scenario, p, r)
                if o.minus is not None:
                    v -= read(o, o.minus, p, r)
                raw[p, j, r] = v * o.scale
    for o in study.outputs:
        if o.ratio is not None:
            a, b = raw[:, index[o.ratio[0]], :], raw[:, index[o.ratio[1]], :]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.nanmean(a, axis=1) / np.nanmean(b, axis=1) * o.scale
            raw[:, index[o.name], :] = ratio[:, None]
    return raw


# --------------------------------------------------------------------------- analysis


def _frame(study: Study, si: Mapping[str, Any], keys: Sequence[str], output: str) -> pd.DataFrame:
    names = list(si.get("names", study.factors))
    data = {"output": output, "parameter": names}
    for k in keys:
        if k in si:
            data[k] = np.asarray(si[k], dtype=float).reshape(-1)[: len(names)]
    return pd.DataFrame(data)


def analyse(study: Study, X: np.ndarray, Y: np.ndarray, output: str) -> dict[str, pd.DataFrame]:
    """Analyse one output with the study's method (SALib, seeded bootstrap).

    Parameters
    ----------
    study
        The study.
    X
        The sample (SALib space), shape ``(rows, d)``.
    Y
        The output at each row (replicate mean), shape ``(rows,)``.
    output
        Name written in the ``output`` column.

    Returns
    -------
    dict
        ``"indices"``: one row per parameter (or group) with the method's indices
        (Sobol': ``S1, S1_conf, ST, ST_conf``; Morris: ``mu, mu_star, mu_star_conf,
        sigma``; FAST: ``S1, S1_conf, ST, ST_conf``; delta: ``delta, delta_conf, S1,
        S1_conf``; PAWN: ``minimum, mean, median, maximum, CV``); and for Sobol' with
        ``second_order``: ``"second_order"`` (``parameter, other, S2, S2_conf``).
    """
    from SALib.analyze import delta, fast, morris, pawn
    from SALib.analyze import sobol as sobol_analyze

    prob, o = problem(study), study.options
    Y = np.asarray(Y, dtype=float)
    if not np.all(np.isfinite(Y)):
        raise SensitivityError(f"output {output!r} is missing or not finite at {int(np.sum(~np.isfinite(Y)))} of "
                               f"{len(Y)} sample points (e.g. a ratio with a zero denominator); choose another output")
    kw = {"num_resamples": int(o["num_resamples"]), "conf_level": float(o["conf_level"]), "seed": study.seed}
    out: dict[str, pd.DataFrame] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if study.method == "sobol":
            si = sobol_analyze.analyze(prob, Y, calc_second_order=bool(o["second_order"]), **kw)
            out["indices"] = _frame(study, si, ("S1", "S1_conf", "ST", "ST_conf"), output)
            if o["second_order"]:
                names = study.factors
                rows = [{"output": output, "parameter": a, "other": names[j], "S2": si["S2"][i, j],
                         "S2_conf": si["S2_conf"][i, j]}
                        for i, a in enumerate(names) for j in range(i + 1, len(names))]
                out["second_order"] = pd.DataFrame(rows)
        elif study.method == "morris":
            si = morris.analyze(prob, X, Y, num_levels=int(o["num_levels"]), **kw)
            out["indices"] = _frame(study, si, ("mu", "mu_star", "mu_star_conf", "sigma"), output)
        elif study.method == "fast":
            si = fast.analyze(prob, Y, M=int(o["m"]), **kw)
            out["indices"] = _frame(study, si, ("S1", "S1_conf", "ST", "ST_conf"), output)
        elif study.method == "delta":
            si = dict(delta.analyze(prob, X, Y, **kw))
            if "delta" not in si:  # SALib >= 1.5: the raw estimator of Borgonovo (2007) and variants
                si["delta"], si["delta_conf"] = si["delta_raw"], si["delta_raw_conf"]
            out["indices"] = _frame(study, si, ("delta", "delta_conf", "delta_balanced", "delta_balanced_conf",
                                                "S1", "S1_conf"), output)
        else:
            si = pawn.analyze(prob, X, Y, S=int(o["pawn_slides"]), seed=study.seed)
            out["indices"] = _frame(study, si, ("minimum", "mean", "median", "maximum", "CV"), output)
    return out


def convergence(study: Study, Y: np.ndarray, output: str) -> pd.DataFrame:
    """Sobol' indices re-estimated on the first ``N/4``, ``N/2`` and ``N`` base samples.

    SALib's Saltelli sample is laid out in blocks of ``D + 2`` (``2D + 2``) rows per base
    sample, and the first ``2^k`` points of a Sobol' sequence are themselves balanced,
    so the first rows of the sample are a valid smaller design.  A parameter's indices
    have ``settled`` when ``|ST(N) - ST(N/2)| <= max(0.05, ST_conf(N))`` (and the same
    for ``S1``).

    Returns
    -------
    pandas.DataFrame
        ``output, parameter, n, S1, S1_conf, ST, ST_conf, settled`` (``settled`` on the
        rows at ``N``); empty for other methods or ``N < 8``.
    """
    if study.method != "sobol" or study.n < 8:
        return pd.DataFrame(columns=["output", "parameter", "n", "S1", "S1_conf", "ST", "ST_conf", "settled"])
    from SALib.analyze import sobol as sobol_analyze

    d = len(study.factors)
    step = 2 * d + 2 if study.options["second_order"] else d + 2
    frames = []
    prob = problem(study)
    for n in (study.n // 4, study.n // 2, study.n):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            si = sobol_analyze.analyze(prob, np.asarray(Y[: n * step], dtype=float),
                                       calc_second_order=bool(study.options["second_order"]),
                                       num_resamples=int(study.options["num_resamples"]),
                                       conf_level=float(study.options["conf_level"]), seed=study.seed)
        f = _frame(study, si, ("S1", "S1_conf", "ST", "ST_conf"), output)
        f.insert(2, "n", n)
        frames.append(f)
    half, full = frames[1], frames[2]
    tol_t = np.maximum(0.05, full["ST_conf"].to_numpy())
    tol_1 = np.maximum(0.05, full["S1_conf"].to_numpy())
    settled = ((np.abs(full["ST"].to_numpy() - half["ST"].to_numpy()) <= tol_t)
               & (np.abs(full["S1"].to_numpy() - half["S1"].to_numpy()) <= tol_1))
    for f in frames[:2]:
        f["settled"] = pd.NA
    full = full.assign(settled=settled)
    return pd.concat([*frames[:2], full], ignore_index=True)


def noise_table(evaluation: Evaluation) -> pd.DataFrame:
    """Seed noise against parameter-driven variation, per output.

    With ``R >= 2`` replicates per point: ``within_point_variance`` is the mean over
    points of the variance between replicates (seed noise of one run);
    ``point_mean_variance`` the variance of the point means (driven by the parameters,
    plus the noise of the mean); ``noise_to_parameter_ratio`` = ``within /
    point_mean_variance`` (one run) and ``mean_noise_to_parameter_ratio`` = ``(within / R)
    / point_mean_variance`` (the analysed replicate means; small is good).  With common
    random numbers the noise is correlated between points and partly cancels, so the
    second ratio is an upper bound on the noise in the indices; above about 0.5 the
    indices reflect seed noise: raise ``replicates`` or the population.
    """
    rows = []
    reps = evaluation.replicates
    R = reps.shape[2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for j, name in enumerate(evaluation.names):
            y = reps[:, j, :]
            within = float(np.nanmean(np.nanvar(y, axis=1, ddof=1))) if R >= 2 else math.nan
            between = float(np.nanvar(np.nanmean(y, axis=1), ddof=1)) if len(y) > 1 else math.nan
            share = within / R / between if R >= 2 and between > 0 else math.nan
            rows.append({"output": name, "replicates": R, "points": len(y), "within_point_variance": within,
                         "point_mean_variance": between, "noise_to_parameter_ratio": within / between
                         if R >= 2 and between > 0 else math.nan, "mean_noise_to_parameter_ratio": share})
    return pd.DataFrame(rows)


#: The index each method ranks parameters by.
RANK_BY = {"sobol": "ST", "fast": "ST", "morris": "mu_star", "delta": "delta", "pawn": "median"}
_CONF = {"ST": "ST_conf", "mu_star": "mu_star_conf", "delta": "delta_conf"}


def rank(study: Study, indices: pd.DataFrame) -> pd.DataFrame:
    """Parameters ranked by ST (Sobol', FAST), mu* (Morris), delta or the PAWN median, per output."""
    metric = RANK_BY[study.method]
    conf = _CONF.get(metric)
    frames = []
    for output, df in indices.groupby("output", sort=False):
        df = df.sort_values(metric, ascending=False, kind="stable")
        top = float(df[metric].max()) if len(df) else 0.0
        frames.append(pd.DataFrame({
            "output": output, "rank": np.arange(1, len(df) + 1), "parameter": df["parameter"].to_numpy(),
            "metric": metric, "value": df[metric].to_numpy(),
            "conf": df[conf].to_numpy() if conf else np.nan,
            "relative": df[metric].to_numpy() / top if top > 0 else np.nan}))
    return pd.concat(frames, ignore_index=True)


def summary_text(study: Study, ranked: pd.DataFrame, noise: pd.DataFrame, conv: pd.DataFrame) -> str:
    """The ranked summary as text (printed at the end and written as ``summary.txt``)."""
    lines = [f"sensitivity study {study.name!r}: method {study.method}, n = {study.n}, "
             f"{len(study.factors)} factor(s), {study.replicates} replicate(s) per point"]
    for output, df in ranked.groupby("output", sort=False):
        lines.append(f"\n{output} — ranked by {df['metric'].iloc[0]}:")
        for _, r in df.iterrows():
            conf = f" ± {r['conf']:.3f}" if pd.notna(r["conf"]) else ""
            flag = "  (matters)" if pd.notna(r["relative"]) and r["relative"] >= 0.1 else ""
            lines.append(f"  {int(r['rank']):>2}. {r['parameter']:<32} {r['value']:.3f}{conf}{flag}")
        nz = noise[noise["output"] == output]
        if len(nz) and pd.notna(nz["mean_noise_to_parameter_ratio"].iloc[0]):
            ratio = float(nz["mean_noise_to_parameter_ratio"].iloc[0])
            warn = "  WARNING: the indices may reflect seed noise; raise replicates or persons" if ratio > 0.5 else ""
            lines.append(f"  seed noise of the point means / their variance: {ratio:.2f}{warn}")
        cv = conv[(conv["output"] == output) & conv["settled"].notna()] if len(conv) else conv
        if len(cv):
            unsettled = cv.loc[~cv["settled"].astype(bool), "parameter"].tolist()
            lines.append("  convergence: " + ("indices settled at N/2 -> N" if not unsettled else
                                                "NOT settled for " + ", ".join(unsettled) + " (raise n)"))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the whole study


@dataclass
class SensitivityResult:
    """What :func:`run_sensitivity` produced.

    Attributes
    ----------
    folder
        The results folder (``None`` when nothing was written).
    indices, second_order, convergence, noise, summary
        The tables (``second_order`` empty unless computed).
    X, evaluation
        The sample (SALib space) and the outputs at each row.
    text
        The ranked summary.
    """

    folder: Path | None
    indices: pd.DataFrame
    second_order: pd.DataFrame
    convergence: pd.DataFrame
    noise: pd.DataFrame
    summary: pd.DataFrame
    X: np.ndarray
    evaluation: Evaluation
    text: str
    files: list[Path] = field(default_factory=list)


def analyse_study(study: Study, evaluator: Evaluator) -> SensitivityResult:
    """Sample, evaluate and analyse every output (nothing written)."""
    X = sample(study)
    ev = evaluator.evaluate(study, to_parameters(study, X))
    Y = ev.Y
    idx, s2, conv = [], [], []
    for j, name in enumerate(ev.names):
        res = analyse(study, X, Y[:, j], name)
        idx.append(res["indices"])
        if "second_order" in res:
            s2.append(res["second_order"])
        conv.append(convergence(study, Y[:, j], name))
    indices = pd.concat(idx, ignore_index=True)
    second = pd.concat(s2, ignore_index=True) if s2 else pd.DataFrame()
    convs = pd.concat(conv, ignore_index=True)
    noise = noise_table(ev)
    ranked = rank(study, indices)
    return SensitivityResult(folder=None, indices=indices, second_order=second, convergence=convs, noise=noise,
                             summary=ranked, X=X, evaluation=ev, text=summary_text(study, ranked, noise, convs))


def run_sensitivity(
    file: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    evaluator: Evaluator | None = None,
    params: Mapping[str, Param] | None = None,
    figures: bool = True,
    reporter: Any = None,
    command_line: Sequence[str] | None = None,
) -> SensitivityResult:
    """Run a sensitivity study and write its results folder.

    Parameters
    ----------
    file
        The study file.
    out
        Results folder; default ``results/<name>``.  The runs are kept in ``<out>/batch``
        (rerunning the command resumes).
    workers, scheduler, dask_local
        Where the model runs (see :func:`povsim.experiment.run_batch`).
    evaluator
        Use this evaluator instead of the model (e.g. :class:`FunctionEvaluator`).
    params
        Parameter declarations (default: the registry).
    figures
        Write the figures.
    reporter
        Messages and progress (a :class:`povsim.experiment.batch.Reporter`).
    command_line
        Recorded in the manifest (default ``sys.argv``).

    Returns
    -------
    SensitivityResult
        Files written: ``indices.csv``, ``second_order.csv`` (Sobol' with second order),
        ``convergence.csv`` (Sobol'), ``noise.csv``, ``summary.csv``, ``summary.txt``,
        ``samples.csv`` (parameter values and outputs), ``figures/``, ``manifest.json``.

    Raises
    ------
    ScenarioErrors
        The study file is invalid.
    SensitivityError
        Runs failed, or an output cannot be analysed.
    """
    from povsim import output as _output

    study = load_study(file, params=params, need_scenarios=evaluator is None)
    folder = Path(out).absolute() if out is not None else Path("results").absolute() / study.name
    folder = _output.claim_workspace(folder, "sensitivity", markers=("study.json", "batch"))
    folder.mkdir(parents=True, exist_ok=True)
    from povsim.runner import replicate_seed

    def manifest(extra: dict[str, Any]) -> None:
        _output.write_manifest(
            folder, kind="sensitivity",
            scenario_dict={"sensitivity": study.resolved_dict(),
                           "scenarios": {sc.name: sc.resolved_dict() for _, sc in study.scenarios}},
            seeds=[replicate_seed(study.seed, r) for r in range(study.replicates)],
            input_files=[study.file, *dict.fromkeys(f for _, sc in study.scenarios for f in sc.source_files)],
            command_line=list(command_line) if command_line is not None else list(sys.argv),
            extra={"method": study.method, "n": study.n, **extra})

    manifest({})  # not complete until sealed at the end: readers refuse it meanwhile
    if evaluator is None:
        evaluator = ModelEvaluator(folder / "batch", workers=workers, scheduler=scheduler, dask_local=dask_local,
                                   reporter=reporter)
    t0 = time.perf_counter()
    res = analyse_study(study, evaluator)
    files: list[Path] = []

    def write(name: str, df: pd.DataFrame) -> None:
        files.append(_output.atomic_write_text(folder / name, df.to_csv(index=False, lineterminator="\n")))

    write("indices.csv", res.indices)
    if len(res.second_order):
        write("second_order.csv", res.second_order)
    if len(res.convergence):
        write("convergence.csv", res.convergence)
    write("noise.csv", res.noise)
    write("summary.csv", res.summary)
    files.append(_output.atomic_write_text(folder / "summary.txt", res.text))
    samples = pd.DataFrame(to_parameters(study, res.X), columns=list(study.parameters))
    for j, name in enumerate(res.evaluation.names):
        samples[name] = res.evaluation.Y[:, j]
    write("samples.csv", samples)
    if figures:
        from povsim.plots.sensitivity import sensitivity_figures

        for stem, fig in sensitivity_figures(study.method, res.indices, res.second_order).items():
            files.extend(_output.save_figure(fig, folder / "figures" / stem, formats=("png",), dpi=150))
    files.append(_output.atomic_write_text(folder / "study.json",
                                           json.dumps(study.resolved_dict(), indent=1, default=str) + "\n"))
    manifest({"sample_rows": len(res.X), "runs": getattr(evaluator, "runs", None),
              "seconds": round(time.perf_counter() - t0, 3), "files": [str(p.relative_to(folder)) for p in files]})
    _output.seal_results(folder, kind="sensitivity", skip=("batch",))
    res.folder, res.files = folder, files
    return res
