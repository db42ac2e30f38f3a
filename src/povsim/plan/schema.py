"""The plan file (``plans/*.toml``): schema, validation and the resolved :class:`Plan`.

A plan file names the area and the programme it plans for (a scenario), the allocation
to beat (by default the scenario's own), the interventions with their levels, the
budget, the constraints, the objective, the design of the model runs, the uncertainty,
the verification and the near-optimal alternatives.  ``povsim plan --help`` and the
shipped examples (``plans/small.toml``, ``plans/hubei_pilot.toml``) show every key.

Validation is strict: an unknown key, a value of the wrong type or outside its range, an
unknown intervention, measure or parameter is reported with the file, the key, the
value, what was expected and a suggestion (``did you mean ...``), every problem at once
(:class:`~povsim.errors.ScenarioErrors`, exit code 2 from the command line).

The pydantic models mirror the file one table each and are deliberately plain, so they
can move onto a shared configuration layer without changing the file format.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr, ValidationError

from povsim.config import StrictModel, read_toml_text, translate
from povsim.errors import ScenarioError, ScenarioErrors, did_you_mean
from povsim.scenario import Scenario, load_scenario

__all__ = ["Plan", "load_plan", "main_budget_of", "main_label_of", "plan_label"]

Num = Annotated[float, Field(strict=False)]
Share = Annotated[float, Field(strict=False, ge=0.0, le=1.0)]
Money = Annotated[float, Field(strict=False, gt=0.0)]


def main_budget_of(levels_rmb: Sequence[float], main_rmb: float | None) -> float:
    """The budget level of the main plan: ``main_rmb``, else the middle of ``levels_rmb``
    (also read back from a plan folder's manifest by ``povsim report`` and the dashboard)."""
    levels = sorted(levels_rmb)
    return float(main_rmb if main_rmb is not None else levels[len(levels) // 2])


def plan_label(sense: str, level: float) -> str:
    """Name of the plan at a budget level in the plan's tables (``plan_275M``; ``plan_min_cost``)."""
    return "plan_min_cost" if sense == "minimise_cost" else f"plan_{level / 1e6:g}M"


def main_label_of(resolved: Mapping[str, Any]) -> str:
    """Name of the main plan in the tables of a plan folder, from the plan as resolved in its
    manifest (``scenario.plan``)."""
    b = resolved.get("budget") or {}
    sense = str((resolved.get("objective") or {}).get("sense", "maximise_outcome"))
    levels = b.get("levels_rmb") or []
    return plan_label(sense, main_budget_of(levels, b.get("main_rmb")) if levels else 0.0)


class _Meta(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    description: str = ""
    scenario: StrictStr
    current: StrictStr | None = None
    decide: Literal["pilot", "comparison", "all"] = "pilot"
    unit: Literal["village", "township", "county"] = "village"
    horizon_years: Annotated[int, Field(ge=1, le=200)] = 40
    discount_rate: Annotated[float, Field(strict=False, ge=0.0, le=0.2)] = 0.03
    programme_years: Annotated[tuple[StrictInt, StrictInt], Field(strict=False)] | None = None
    seed: Annotated[int, Field(ge=0)] = 1
    world_seed: Annotated[int, Field(ge=0)] = 1
    population: dict[StrictStr, Any] = Field(default_factory=dict)


class _Intervention(StrictModel):
    levels: Annotated[tuple[Share, ...], Field(strict=False, min_length=2)]
    requires: Annotated[tuple[StrictStr, ...], Field(strict=False)] = ()
    settings: dict[StrictStr, Any] = Field(default_factory=dict)


class _Funder(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    share: Share
    interventions: Annotated[tuple[StrictStr, ...], Field(strict=False)] | None = None


class _Budget(StrictModel):
    levels_rmb: Annotated[tuple[Money, ...], Field(strict=False, min_length=1)]
    main_rmb: Money | None = None
    per_year_rmb: Money | None = None
    scale: Literal["none", "current_cost"] = "none"
    reference_rmb: Money | None = None
    frontier_rmb: Annotated[tuple[Money, ...], Field(strict=False)] | None = None
    frontier_points: Annotated[int, Field(ge=2, le=200)] = 12
    funders: Annotated[tuple[_Funder, ...], Field(strict=False)] = ()


class _Capacity(StrictModel):
    name: StrictStr
    intervention: StrictStr
    per_unit: Annotated[float, Field(strict=False, gt=0.0)]
    available: Annotated[float, Field(strict=False, ge=0.0)]


class _Constraints(StrictModel):
    county_floor_share: Share = 0.0
    county_cap_share: Share = 1.0
    minimum_level: dict[StrictStr, Share] = Field(default_factory=dict)
    no_village_worse_off: StrictBool = False
    worst_off_share: Share = 0.0
    worst_off_min_spend_share: Share = 0.0
    capacity: Annotated[tuple[_Capacity, ...], Field(strict=False)] = ()


class _Objective(StrictModel):
    sense: Literal["maximise_outcome", "minimise_cost"] = "maximise_outcome"
    risk: Literal["expected", "cvar"] = "expected"
    cvar_level: Annotated[float, Field(strict=False, gt=0.0, lt=1.0)] = 0.8
    weights: dict[StrictStr, Num] = Field(min_length=1)
    equity_aversion: Annotated[float, Field(strict=False, ge=0.0, le=10.0)] = 0.0
    target: Num | None = None
    discount_outcomes: StrictBool = False


class _Design(StrictModel):
    draws: Annotated[int, Field(ge=1, le=1000)] = 8
    seeds_per_draw: Annotated[int, Field(ge=1, le=100)] = 1
    runs_per_seed: Annotated[int, Field(ge=1, le=100)] = 3
    village_types: Annotated[int, Field(ge=1, le=50)] = 3
    interactions: Literal["auto", "none"] | Annotated[tuple[tuple[StrictStr, StrictStr], ...], Field(strict=False)] \
        = "auto"
    interaction_t: Annotated[float, Field(strict=False, gt=0.0)] = 3.0


class _Uncertainty(StrictModel):
    calibration: StrictStr | None = None
    correlations: StrictStr | None = None
    parameters: Annotated[tuple[StrictStr, ...], Field(strict=False)] = ()


class _Verify(StrictModel):
    replicates: Annotated[int, Field(ge=0, le=1000)] = 8
    alternative: StrictBool = True


class _Alternatives(StrictModel):
    within: Annotated[tuple[Annotated[float, Field(strict=False, gt=0.0, lt=1.0)], ...], Field(strict=False)] = \
        (0.02, 0.05, 0.10)
    simplicity: Literal["sites", "interventions"] = "sites"


class _Rollout(StrictModel):
    new_sites_per_year: Annotated[int, Field(ge=1)] | None = None


class _Solver(StrictModel):
    time_limit: Annotated[float, Field(strict=False, gt=0.0)] = 120.0
    mip_rel_gap: Annotated[float, Field(strict=False, ge=0.0, le=0.1)] = 1e-6


class _PlanFile(StrictModel):
    plan: _Meta
    interventions: dict[StrictStr, _Intervention] = Field(min_length=1)
    budget: _Budget
    constraints: _Constraints = _Constraints()
    objective: _Objective
    design: _Design = _Design()
    uncertainty: _Uncertainty = _Uncertainty()
    verify: _Verify = _Verify()
    alternatives: _Alternatives = _Alternatives()
    rollout: _Rollout = _Rollout()
    solver: _Solver = _Solver()


@dataclass(frozen=True)
class PlannedIntervention:
    """One intervention of the plan: its levels (0 first), what it requires, its settings."""

    name: str
    levels: tuple[float, ...]
    requires: tuple[str, ...]
    settings: dict[str, Any]

    @property
    def on_off(self) -> bool:
        """A discrete item (a centre): one non-zero level."""
        return len(self.levels) == 2


@dataclass(frozen=True)
class Plan:
    """A validated plan file (see the module docstring; attributes mirror its tables).

    ``scenario`` is the area and programme (horizon applied); ``current`` the allocation
    to beat (``None``: none).  ``budget_levels`` etc. are in the plan file's RMB (real
    RMB when ``budget.scale = "current_cost"``: they are scaled to the simulated area
    once the current allocation's simulated cost is known).
    """

    file: str
    text: str
    name: str
    description: str
    scenario: Scenario
    current: Scenario | None
    decide: str
    unit: str
    horizon_years: int
    discount_rate: float
    programme_years: tuple[int, int]
    seed: int
    world_seed: int
    interventions: tuple[PlannedIntervention, ...]
    budget: _Budget
    constraints: _Constraints
    objective: _Objective
    design: _Design
    uncertainty: _Uncertainty
    verify: _Verify
    alternatives: _Alternatives
    rollout: _Rollout
    solver: _Solver
    calibration_file: str | None
    correlations_file: str | None

    @property
    def names(self) -> list[str]:
        return [iv.name for iv in self.interventions]

    @property
    def main_budget(self) -> float:
        """The budget level of the main plan (``main_rmb``, else the middle level)."""
        return main_budget_of(self.budget.levels_rmb, self.budget.main_rmb)

    @property
    def source_files(self) -> list[str]:
        files = [self.file, *self.scenario.source_files]
        if self.current is not None:
            files += list(self.current.source_files)
        files += [f for f in (self.calibration_file, self.correlations_file) if f]
        return list(dict.fromkeys(files))

    def resolved_dict(self) -> dict[str, Any]:
        """The plan as JSON-able data (manifest)."""
        return {
            "name": self.name, "description": self.description, "file": self.file,
            "scenario": self.scenario.name, "current": self.current.name if self.current else None,
            "decide": self.decide, "unit": self.unit, "horizon_years": self.horizon_years,
            "discount_rate": self.discount_rate, "programme_years": list(self.programme_years),
            "seed": self.seed, "world_seed": self.world_seed,
            "interventions": {iv.name: {"levels": list(iv.levels), "requires": list(iv.requires),
                                        "settings": iv.settings} for iv in self.interventions},
            "budget": self.budget.model_dump(mode="json"), "constraints": self.constraints.model_dump(mode="json"),
            "objective": self.objective.model_dump(mode="json"), "design": self.design.model_dump(mode="json"),
            "uncertainty": {**self.uncertainty.model_dump(mode="json"), "calibration": self.calibration_file,
                            "correlations": self.correlations_file},
            "verify": self.verify.model_dump(mode="json"), "alternatives": self.alternatives.model_dump(mode="json"),
            "rollout": self.rollout.model_dump(mode="json"), "solver": self.solver.model_dump(mode="json"),
        }


def _resolve(base: Path, rel: str) -> Path:
    return Path(os.path.normpath(base.parent / rel))


def load_plan(path: str | os.PathLike[str]) -> Plan:
    """Read and validate a plan file and load the scenarios it names.

    Raises
    ------
    ScenarioErrors
        Every problem found (in the plan file or in the scenario files it names).
    """
    from povsim.interventions import CATALOGUE
    from povsim.params import registry
    from povsim.plan.measures import MEASURES

    file = Path(os.path.normpath(Path(path).absolute()))
    if not file.is_file():
        raise ScenarioErrors([ScenarioError(str(file), "", str(path), "an existing plan file",
                                            "paths are relative to the current folder; see plans/ for examples")])
    errors: list[ScenarioError] = []
    # syntax errors name their line and column; the text is kept with the plan (written
    # beside its results), read once with what was parsed
    data, text = read_toml_text(file, errors, what="plan file")
    if data is None:
        raise ScenarioErrors(errors)
    try:
        spec = _PlanFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioErrors(translate(exc, _PlanFile, file=str(file), data=data)) from None

    def fail(key: str, value: object, expected: str, suggestion: str = "") -> None:
        errors.append(ScenarioError(str(file), key, value, expected, suggestion))

    meta = spec.plan
    scenario = _scenario(file, "plan.scenario", meta.scenario, meta, errors)
    current = None
    if meta.current != "none":
        current = _scenario(file, "plan.current", meta.current or meta.scenario, meta, errors)
    if scenario is not None and current is not None:
        for table in ("population", "time", "parameters"):
            a = scenario.resolved_dict()[table]
            b = current.resolved_dict()[table]
            if a != b:
                fail("plan.current", meta.current, f"a scenario with the same [{table}] as plan.scenario "
                     "(the same area and world, so that the allocations are comparable)",
                     "let it extend the plan's scenario and change only [interventions]")

    names = list(spec.interventions)
    ivs: list[PlannedIntervention] = []
    base_tables = scenario.interventions if scenario is not None else {}
    for name, iv in spec.interventions.items():
        key = f"interventions.{name}"
        if name not in CATALOGUE:
            fail(key, name, "the name of an intervention (povsim describe --interventions)",
                 did_you_mean(name, CATALOGUE))
            continue
        levels = sorted(set(iv.levels))
        if levels[0] != 0.0:
            fail(f"{key}.levels", list(iv.levels), "a list of coverage levels that includes 0 (the intervention off)",
                 f"levels = [0, {', '.join(f'{x:g}' for x in levels)}]")
        if len(levels) < 2:
            fail(f"{key}.levels", list(iv.levels), "at least one level above 0", "e.g. levels = [0, 0.5, 1]")
        for j, r in enumerate(iv.requires):
            if r not in spec.interventions or r == name:
                fail(f"{key}.requires[{j}]", r, "another intervention of this plan",
                     did_you_mean(r, [n for n in names if n != name]))
        settings = dict(base_tables.get(name, {}))
        settings.pop("village_coverage", None)
        settings.update(iv.settings)
        given = set(iv.settings)
        if name not in base_tables and meta.programme_years is None and not (
                given & {"start_year", "start_date"} and given & {"end_year", "end_date"}):
            fail(f"{key}.settings", dict(iv.settings),
                 f"start_year and end_year, or start_date and end_date ({name} is not in the scenario)",
                 "add settings = { start_year = 2014, end_year = 2017 } or plan.programme_years = [2014, 2017]")
        if name not in base_tables and meta.programme_years is not None:
            settings.setdefault("start_year", meta.programme_years[0])
            settings.setdefault("end_year", meta.programme_years[1])
        settings["enabled"] = True
        try:
            settings = CATALOGUE[name].model_validate(settings).model_dump(mode="json")
        except ValidationError as exc:
            for e in translate(exc, CATALOGUE[name], file=str(file)):
                errors.append(ScenarioError(str(file), f"{key}.settings.{e.key}", e.value, e.expected, e.suggestion))
            continue
        ivs.append(PlannedIntervention(name=name, levels=tuple(levels), requires=tuple(iv.requires),
                                       settings=settings))

    b = spec.budget
    if b.main_rmb is not None and b.main_rmb not in b.levels_rmb:
        fail("budget.main_rmb", b.main_rmb, "one of budget.levels_rmb", f"levels: {list(b.levels_rmb)}")
    if b.scale == "current_cost" and (b.reference_rmb is None or current is None):
        fail("budget.reference_rmb" if b.reference_rmb is None else "plan.current", b.reference_rmb,
             "the real cost of the current allocation (scale = \"current_cost\" maps it onto its simulated cost)",
             "add reference_rmb = 275e6, or set scale = \"none\"")
    if b.funders:
        total = sum(f.share for f in b.funders)
        if abs(total - 1.0) > 1e-6:
            fail("budget.funders", [f.share for f in b.funders], "funder shares that sum to 1",
                 f"they sum to {total:g}; rescale them")
        for j, fu in enumerate(b.funders):
            for k, n in enumerate(fu.interventions or ()):
                if n not in spec.interventions:
                    fail(f"budget.funders[{j}].interventions[{k}]", n, "an intervention of this plan",
                         did_you_mean(n, names))
    c = spec.constraints
    for n in c.minimum_level:
        if n not in spec.interventions:
            fail(f"constraints.minimum_level.{n}", n, "an intervention of this plan", did_you_mean(n, names))
    if c.county_floor_share > c.county_cap_share:
        fail("constraints.county_floor_share", c.county_floor_share, "a floor below county_cap_share",
             f"county_cap_share is {c.county_cap_share}")
    for j, cap in enumerate(c.capacity):
        if cap.intervention not in spec.interventions:
            fail(f"constraints.capacity[{j}].intervention", cap.intervention, "an intervention of this plan",
                 did_you_mean(cap.intervention, names))
    o = spec.objective
    for m in o.weights:
        if m not in MEASURES:
            fail(f"objective.weights.{m}", m, "an outcome measure", did_you_mean(m, MEASURES))
    if not any(w != 0 for w in o.weights.values()):
        fail("objective.weights", dict(o.weights), "at least one non-zero weight", "e.g. stunting_years = 1")
    if o.sense == "minimise_cost" and o.target is None:
        fail("objective.target", None, "the weighted outcome to reach (with sense = \"minimise_cost\")",
             "e.g. target = 500.0")
    d = spec.design
    if not isinstance(d.interactions, str):
        for j, pair in enumerate(d.interactions):
            for n in pair:
                if n not in spec.interventions:
                    fail(f"design.interactions[{j}]", list(pair), "pairs of interventions of this plan",
                         did_you_mean(n, names))
    u = spec.uncertainty
    reg = registry()
    for j, n in enumerate(u.parameters):
        if n not in reg:
            fail(f"uncertainty.parameters[{j}]", n, "the name of a declared parameter", did_you_mean(n, reg))
    cal = corr = None
    for key, rel in (("calibration", u.calibration), ("correlations", u.correlations)):
        if rel is None:
            continue
        p = _resolve(file, rel)
        if not p.is_file():
            fail(f"uncertainty.{key}", rel, f"an existing file (looked for {p})", "paths are relative to the plan file")
        elif key == "calibration":
            cal = str(p)
        else:
            corr = str(p)
    if corr is not None and cal is None:
        fail("uncertainty.correlations", u.correlations, "correlations with a calibration file",
             "add calibration = \"../calibration/fitted/hubei_baseline.toml\"")

    programme = meta.programme_years
    if programme is None and ivs:
        starts = [iv.settings["start_year"] for iv in ivs]
        ends = [iv.settings.get("end_year") or (scenario.end_year if scenario else 0) for iv in ivs]
        programme = (min(starts), max(ends))
    if programme is not None and programme[1] < programme[0]:
        fail("plan.programme_years", list(programme), "[first year, last year] with first <= last", "")
    if scenario is not None and programme is not None and programme[1] >= scenario.end_year:
        fail("plan.horizon_years", meta.horizon_years, f"a horizon beyond the programme's last year {programme[1]}",
             f"horizon_years = {programme[1] - scenario.time.start_year + 20} or more")
    if errors or scenario is None or programme is None:
        raise ScenarioErrors(errors or [ScenarioError(str(file), "interventions", names, "at least one intervention")])
    return Plan(
        file=str(file), text=text, name=meta.name, description=meta.description, scenario=scenario,
        current=current, decide=meta.decide, unit=meta.unit, horizon_years=meta.horizon_years,
        discount_rate=meta.discount_rate, programme_years=(int(programme[0]), int(programme[1])), seed=meta.seed,
        world_seed=meta.world_seed, interventions=tuple(ivs), budget=b, constraints=c, objective=o, design=d,
        uncertainty=u, verify=spec.verify, alternatives=spec.alternatives, rollout=spec.rollout, solver=spec.solver,
        calibration_file=cal, correlations_file=corr)


def _scenario(file: Path, key: str, rel: str, meta: _Meta, errors: list[ScenarioError]) -> Scenario | None:
    path = _resolve(file, rel)
    if not path.is_file():
        errors.append(ScenarioError(str(file), key, rel, f"an existing scenario file (looked for {path})",
                                    "paths are relative to the plan file"))
        return None
    try:
        sc = load_scenario(path)
        return sc.with_overrides(time={"years": meta.horizon_years}, population=meta.population or None)
    except ScenarioErrors as exc:
        for e in exc.errors:
            if e.file == "<overrides>":
                errors.append(ScenarioError(str(file), f"plan.{e.key}" if e.key.startswith("population") else
                                            "plan.horizon_years", e.value, e.expected, e.suggestion))
            else:
                errors.append(e)
        return None
