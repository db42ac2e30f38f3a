"""Calibration target files: targets with sources, free parameters with bounds.

A target file (``calibration/targets/<name>.toml``) says what the model should reproduce
and which parameters may move to get there::

    [calibration]
    name = "hubei_baseline"
    description = "..."
    scenario = "../../scenarios/baseline.toml"  # the scenario being fitted
    persons = 30000                              # population while fitting
    replicates = 4                               # common random numbers across points
    seed = 2014

    [parameters.stunting_onset_0]               # free parameters and their bounds
    bounds = [0.02, 0.12]

    [[target]]
    name = "stunting_under5"
    value = 0.121
    se = 0.02                   # or: range = [0.08, 0.20]   (read as a 95% interval)
    tolerance = 0.04            # |simulated - value| <= tolerance passes
    weight = 1.0
    use = "fit"                 # or "holdout": reported, never in the objective
    source = "Chen C. et al. (2011) ..."
    note = "..."
    [target.outcome]            # how to read it off a run
    table = "stunting"
    measure = "stunting_prevalence"
    years = [2015, 2015]        # inclusive; the mean over the years is taken (omit: all)
    # by = "all", group = "all"; age_group, dimension, indicator for the moda_* tables
    # [target.per] divides by a second outcome (a conditional share)

Every problem is a :class:`~povsim.errors.ScenarioError` naming file, key, value, what
was expected and a fix; :func:`load_targets` reports all of them at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, StrictInt, StrictStr

from povsim.config import StrictModel, check_interval, load_model, missing_file_hint
from povsim.errors import ScenarioError, ScenarioErrors, did_you_mean
from povsim.params import Param, registry

__all__ = [
    "CalibrationSpec",
    "FreeParameter",
    "Outcome",
    "Target",
    "catalogue_of",
    "extract",
    "load_targets",
    "outcome_catalogue",
]

#: Selection columns of the tidy tables, with the value meaning "no selection".
_SELECTORS = ("by", "group", "age_group", "dimension", "indicator")


class _OutcomeSpec(StrictModel):
    table: StrictStr
    measure: StrictStr
    years: tuple[StrictInt, StrictInt] | None = Field(default=None, strict=False)
    by: StrictStr = "all"
    group: StrictStr = "all"
    age_group: StrictStr | None = None
    dimension: StrictStr | None = None
    indicator: StrictStr | None = None


class _TargetSpec(StrictModel):
    name: StrictStr = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: StrictStr = ""
    value: float = Field(strict=False)
    se: float | None = Field(default=None, strict=False, gt=0)
    range: tuple[float, float] | None = Field(default=None, strict=False)
    tolerance: float = Field(strict=False, gt=0)
    weight: float = Field(default=1.0, strict=False, ge=0)
    use: Literal["fit", "holdout"] = "fit"
    source: StrictStr = Field(min_length=1)
    note: StrictStr = ""
    outcome: _OutcomeSpec
    per: _OutcomeSpec | None = None


class _ParameterSpec(StrictModel):
    bounds: tuple[float, float] = Field(strict=False)
    start: float | None = Field(default=None, strict=False)


class _Meta(StrictModel):
    name: StrictStr = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: StrictStr = ""
    scenario: StrictStr
    persons: StrictInt | None = Field(default=None, gt=0)
    years: StrictInt | None = Field(default=None, gt=0)
    replicates: StrictInt = Field(default=4, ge=1)
    seed: StrictInt = 1
    fitted: StrictStr | None = None


class _File(StrictModel):
    calibration: _Meta
    parameters: dict[str, _ParameterSpec] = Field(min_length=1)
    target: tuple[_TargetSpec, ...] = Field(min_length=1, strict=False)


@dataclass(frozen=True)
class Outcome:
    """Where a number is read off a run's tidy tables.

    ``years`` is an inclusive range; the value is the mean over the selected years
    (``None``: every year, e.g. for ``schooling_by_cohort`` written once at the end, or
    for tables without a year such as ``mobility``).
    """

    table: str
    measure: str
    years: tuple[int, int] | None = None
    by: str = "all"
    group: str = "all"
    age_group: str | None = None
    dimension: str | None = None
    indicator: str | None = None

    def describe(self) -> str:
        """Short human-readable locator (``table/measure [years] selection``)."""
        parts = [f"{self.table}/{self.measure}"]
        if self.years is not None:
            a, b = self.years
            parts.append(str(a) if a == b else f"{a}-{b}")
        for key in ("age_group", "dimension", "indicator"):
            v = getattr(self, key)
            if v:
                parts.append(f"{key}={v}")
        if self.by != "all":
            parts.append(f"{self.by}={self.group}")
        return " ".join(parts)


@dataclass(frozen=True)
class Target:
    """One calibration target.

    Attributes
    ----------
    sigma
        The target's standard error: ``se``, or the width of ``range`` / 3.92 (the range
        read as a 95% interval).  Standardised distances divide by it.
    """

    name: str
    value: float
    sigma: float
    tolerance: float
    weight: float
    use: str
    source: str
    outcome: Outcome
    per: Outcome | None = None
    description: str = ""
    note: str = ""
    range: tuple[float, float] | None = None

    def passes(self, simulated: float) -> bool:
        """Whether ``simulated`` lies within the tolerance of the target value."""
        return bool(np.isfinite(simulated) and abs(simulated - self.value) <= self.tolerance + 1e-12)


@dataclass(frozen=True)
class FreeParameter:
    """A parameter the calibration may move, with its bounds and starting value."""

    name: str
    lower: float
    upper: float
    start: float | None
    param: Param


@dataclass(frozen=True)
class CalibrationSpec:
    """A parsed, checked target file."""

    file: str
    name: str
    description: str
    scenario_file: str
    persons: int | None
    years: int | None
    replicates: int
    seed: int
    fitted_file: str
    parameters: tuple[FreeParameter, ...]
    targets: tuple[Target, ...]

    @property
    def fit_targets(self) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.use == "fit")

    @property
    def outcomes(self) -> tuple[Outcome, ...]:
        """Every outcome the targets read (numerators and denominators), deduplicated."""
        seen: dict[Outcome, None] = {}
        for t in self.targets:
            seen[t.outcome] = None
            if t.per is not None:
                seen[t.per] = None
        return tuple(seen)

    def scenario(self):
        """The fitted scenario at the fitting scale (free parameters at their base values)."""
        from povsim.scenario import load_scenario

        s = load_scenario(self.scenario_file)
        over: dict[str, Any] = {}
        if self.persons is not None:
            over["population"] = {"persons": self.persons}
        if self.years is not None:
            over["time"] = {"years": self.years}
        return s.with_overrides(**over) if over else s


# --------------------------------------------------------------------------- catalogue


@cache
def outcome_catalogue() -> Mapping[str, Mapping[str, frozenset[str]]]:
    """What a run produces: table -> selector column -> the values it takes.

    The ``measure`` entry lists a table's measures.  Read off a short run of a small
    population (about a second, once per process), so the catalogue always agrees with
    what the collectors write rather than with a hand-kept list.
    """
    from povsim.runner import run_replicate
    from povsim.scenario import Scenario

    # a short spin-up, so that the history tables of a spun-up run are in the catalogue
    s = Scenario.default().with_overrides(
        population={"persons": 1500, "start": "spinup", "spinup_from": 2010}, time={"years": 2},
        outputs={"by": ["county", "arm", "sex", "age_group", "left_behind"]})
    tables, _ = run_replicate(s, 1)
    return catalogue_of(tables)


def catalogue_of(tables: Mapping[str, pd.DataFrame]) -> dict[str, dict[str, frozenset[str]]]:
    """The catalogue (table -> selector column -> values) of one run's tables."""
    out: dict[str, dict[str, frozenset[str]]] = {}
    for name, df in tables.items():
        if not isinstance(df, pd.DataFrame) or "measure" not in df.columns:
            continue
        cols: dict[str, frozenset[str]] = {"measure": frozenset(df["measure"].astype(str).unique())}
        for c in _SELECTORS:
            if c in df.columns:
                cols[c] = frozenset(df[c].astype(str).unique())
        cols["_has_year"] = frozenset(["yes"] if "year" in df.columns else [])
        out[name] = cols
    return out


# --------------------------------------------------------------------------- loading


def load_targets(path: str | Path, *,
                 catalogue: Mapping[str, Mapping[str, frozenset[str]]] | None = None,
                 check_horizon: bool = True) -> CalibrationSpec:
    """Read and check a calibration target file.

    Parameters
    ----------
    path
        The TOML file.
    catalogue
        The outcomes to check the targets against (:func:`catalogue_of` a run's tables);
        default :func:`outcome_catalogue`, everything the model can write.
    check_horizon
        Check that every target's years lie within the simulated years of the fitted
        scenario (at the file's ``years``); a target outside could never be read off a run.

    Returns
    -------
    CalibrationSpec

    Raises
    ------
    ScenarioErrors
        Every problem found (unknown outcome, missing source, inverted bounds, unknown
        parameter, ...), each naming file, key, value, expectation and a fix.
    """
    file = Path(path)
    fname = str(path)
    errors: list[ScenarioError] = []

    def fail(key: str, value: object, expected: str, suggestion: str = "") -> None:
        errors.append(ScenarioError(fname, key, value, expected, suggestion))

    spec = load_model(file, _File, meta="calibration", path_keys=(("calibration", "scenario"),
                                                                  ("calibration", "fitted")),
                      what="calibration target file")
    meta = spec.calibration
    folder = file.resolve().parent
    scen = (folder / meta.scenario).resolve()
    if not scen.is_file():
        fail("calibration.scenario", meta.scenario, "a scenario file (path relative to the target file)",
             missing_file_hint(scen))
    fitted = (folder / meta.fitted).resolve() if meta.fitted else (folder.parent / "fitted" / f"{meta.name}.toml")

    reg = registry()
    free: list[FreeParameter] = []
    for pname, ps in spec.parameters.items():
        key = f"parameters.{pname}"
        p = reg.get(pname)
        if p is None:
            fail(key, pname, "a declared model parameter (see `povsim describe`)", did_you_mean(pname, reg))
            continue
        lo, hi = ps.bounds
        if not check_interval(p, key, lo, hi, fail, field="bounds"):
            continue
        if ps.start is not None and not lo <= ps.start <= hi:
            fail(f"{key}.start", ps.start, f"a start within the bounds [{lo:g}, {hi:g}]")
            continue
        free.append(FreeParameter(pname, float(lo), float(hi), ps.start, p))

    names = [t.name for t in spec.target]
    dupes = sorted({n for n in names if names.count(n) > 1})
    for n in dupes:
        fail("target", n, "unique target names", "rename one of the targets")
    if not any(t.use == "fit" for t in spec.target):
        fail("target", [t.use for t in spec.target], 'at least one target with use = "fit"')

    horizon = _horizon(scen, meta.years) if check_horizon and scen.is_file() else None
    if catalogue is None:
        catalogue = outcome_catalogue()
    targets: list[Target] = []
    for i, ts in enumerate(spec.target):
        key = f"target[{i}]({ts.name!r})"
        if ts.se is None and ts.range is None:
            fail(f"{key}.se", None, "an uncertainty: se = <standard error> or range = [low, high]",
                 "give the source's standard error, or a range read as a 95% interval")
            continue
        if ts.range is not None and not ts.range[0] < ts.range[1]:
            fail(f"{key}.range", list(ts.range), "[low, high] with low < high")
            continue
        if not ts.source.strip():
            fail(f"{key}.source", ts.source, "a full citation of where the value comes from")
            continue
        sigma = ts.se if ts.se is not None else (ts.range[1] - ts.range[0]) / 3.92
        out = _outcome(ts.outcome, f"{key}.outcome", catalogue, fail, horizon)
        per = _outcome(ts.per, f"{key}.per", catalogue, fail, horizon) if ts.per is not None else None
        if out is None or (ts.per is not None and per is None):
            continue
        targets.append(Target(
            name=ts.name, value=float(ts.value), sigma=float(sigma), tolerance=float(ts.tolerance),
            weight=float(ts.weight), use=ts.use, source=ts.source.strip(), outcome=out, per=per,
            description=ts.description, note=ts.note, range=ts.range))

    if errors:
        raise ScenarioErrors(errors)
    return CalibrationSpec(
        file=str(file.resolve()), name=meta.name, description=meta.description, scenario_file=str(scen),
        persons=meta.persons, years=meta.years, replicates=meta.replicates, seed=meta.seed,
        fitted_file=str(fitted), parameters=tuple(free), targets=tuple(targets))


def _horizon(scenario_file: Path, years: int | None) -> tuple[int, int, int | None] | None:
    """First and last simulated year of the fitted scenario and the first year of its
    spin-up (``None`` for a synthetic start; the ``history_<table>`` tables cover the
    spin-up's years up to the year before the start); ``None`` if the scenario cannot be
    read: its own errors are reported where it is used."""
    from povsim.scenario import load_scenario

    try:
        sc = load_scenario(scenario_file)
    except ScenarioErrors:
        return None
    pop = sc.population
    return (sc.time.start_year, sc.time.start_year + (years if years is not None else sc.time.years),
            pop.spinup_from if pop.start == "spinup" else None)


def _outcome(spec: _OutcomeSpec, key: str, catalogue: Mapping[str, Mapping[str, frozenset[str]]],
             fail, horizon: tuple[int, int] | None = None) -> Outcome | None:
    ok = True
    cols = catalogue.get(spec.table)
    if cols is None:
        fail(f"{key}.table", spec.table, f"one of the run's tables: {', '.join(sorted(catalogue))}",
             did_you_mean(spec.table, catalogue))
        return None
    if spec.measure not in cols["measure"]:
        fail(f"{key}.measure", spec.measure, f"a measure of table {spec.table!r}: {', '.join(sorted(cols['measure']))}",
             did_you_mean(spec.measure, cols["measure"]))
        ok = False
    has_year = bool(cols["_has_year"])
    if not has_year and spec.years is not None:
        fail(f"{key}.years", list(spec.years), f"no years: table {spec.table!r} has one value per run",
             "remove years")
        ok = False
    if spec.years is not None and spec.years[0] > spec.years[1]:
        fail(f"{key}.years", list(spec.years), "[first, last] with first <= last")
        ok = False
    elif spec.years is not None and horizon is not None and spec.table.startswith("history_"):
        if horizon[2] is None:
            fail(f"{key}.table", spec.table, "a table of the simulated years: the fitted scenario starts "
                 "from a synthetic population and has no spin-up history",
                 'set [population] start = "spinup" in the fitted scenario, or read the start year\'s table')
            ok = False
        elif not (horizon[2] <= spec.years[0] and spec.years[1] < horizon[0]):
            fail(f"{key}.years", list(spec.years), f"years within the spin-up years {horizon[2]}-{horizon[0] - 1} "
                 "of the fitted scenario", "give the years the source measured, or start the spin-up earlier")
            ok = False
    elif spec.years is not None and horizon is not None and not (
            horizon[0] <= spec.years[0] and spec.years[1] <= horizon[1]):
        fail(f"{key}.years", list(spec.years), f"years within the simulated years {horizon[0]}-{horizon[1]} of "
             "the fitted scenario", "give the years the source measured, or lengthen [calibration] years")
        ok = False
    for c in _SELECTORS:
        v = getattr(spec, c)
        if v is None or (c in ("by", "group") and v == "all" and c not in cols):
            continue
        allowed = cols.get(c)
        if allowed is None:
            fail(f"{key}.{c}", v, f"no {c}: table {spec.table!r} has no {c} column", f"remove {c}")
            ok = False
        elif c != "group" and v not in allowed:
            fail(f"{key}.{c}", v, f"one of {', '.join(sorted(allowed))}", did_you_mean(v, allowed))
            ok = False
    if not ok:
        return None
    return Outcome(**spec.model_dump())


# --------------------------------------------------------------------------- extraction


def _select(tables: Mapping[str, pd.DataFrame], o: Outcome) -> float:
    df = tables.get(o.table)
    if df is None or len(df) == 0:
        return math.nan
    m = df["measure"].to_numpy() == o.measure
    if "by" in df.columns:
        m &= df["by"].astype(str).to_numpy() == o.by
        m &= df["group"].astype(str).to_numpy() == o.group
    for c in ("age_group", "dimension", "indicator"):
        v = getattr(o, c)
        if v is not None:
            m &= df[c].astype(str).to_numpy() == v
    if o.years is not None:
        y = df["year"].to_numpy()
        m &= (y >= o.years[0]) & (y <= o.years[1])
    vals = df["value"].to_numpy(dtype=float)[m]
    vals = vals[np.isfinite(vals)]
    return float(vals.mean()) if len(vals) else math.nan


def extract(tables: Mapping[str, pd.DataFrame], targets: Sequence[Target]) -> np.ndarray:
    """The simulated value of each target in one replicate's tables (NaN where absent)."""
    out = np.empty(len(targets))
    for i, t in enumerate(targets):
        v = _select(tables, t.outcome)
        if t.per is not None:
            d = _select(tables, t.per)
            v = v / d if d and np.isfinite(d) else math.nan
        out[i] = v
    return out
