"""The model runs of a plan: parameter draws, randomised village designs, run keys.

Response estimation treats villages as the experimental units of one run.  Each
*scenario* ``w`` of the uncertainty (a parameter draw and a seed) gets

* a **baseline** run (no programme),
* a **current** run (the allocation to beat, as its scenario file describes it), and
* ``runs_per_seed`` **design** runs in which every decided village gets, for every
  intervention of the plan, a level drawn at random — balanced within the run (each
  level goes to the same number of villages), independently across interventions, and
  respecting "requires" (parent training only where the village got a centre).

All runs of a scenario share the seed, the parameter draw and the planning area (the
same villages, households and persons: ``world_seed``), so a village's outcome in a
design run minus its outcome in the baseline run is the effect of its levels, with the
noise of everything the programme did not change cancelled (common random numbers).

Design runs lift every capacity limit of the interventions (volunteers, places, trained
staff): otherwise villages would compete for places inside a run and one village's
level would change another's response.  The plan's capacity constraints ration instead.

Parameter draws: the fitted parameters of a calibration (``uncertainty.calibration``)
from a normal distribution with their approximate standard errors (and correlations,
``uncertainty.correlations``: the ``correlations.csv`` of the fit report), truncated to
the calibration bounds; and any declared parameter listed in ``uncertainty.parameters``
(effect sizes, costs) uniformly (or log-uniformly) over its plausible range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from povsim.experiment.design import from_unit
from povsim.experiment.keyspace import run_key, scenario_identity
from povsim.plan.schema import Plan
from povsim.plan.worker import RECORDER_VERSION, PlanRunSpec
from povsim.runner import replicate_seed
from povsim.scenario import Scenario, scenario_from_dict

__all__ = [
    "Area",
    "allocation_scenario",
    "baseline_scenario",
    "calibration_uncertainty",
    "design_levels",
    "parameter_draws",
    "plan_area",
    "plan_run_key",
]

#: Capacity settings lifted in the planner's runs (key -> value that never binds).
UNLIMITED: dict[str, object] = {"capacity": None, "volunteers": 10_000_000, "trained_staff": None,
                                "places_per_centre": None}
#: Offset of the verification replicates' seeds (distinct from the design's).
VERIFY_SEED_OFFSET = 100_000


@dataclass(frozen=True)
class Area:
    """The villages of the planning area and the units decisions are made for.

    Attributes
    ----------
    names, county, township, pilot
        Every village of the geography.
    counties
        County names.
    decided
        Indices of the villages the plan decides for.
    unit_of
        Unit index of each decided village; ``units`` their names.
    """

    names: list[str]
    county: np.ndarray
    township: np.ndarray
    pilot: np.ndarray
    counties: tuple[str, ...]
    decided: np.ndarray
    unit_of: np.ndarray
    units: list[str]

    def frame(self) -> pd.DataFrame:
        """One row per decided village: village, name, county, township, unit."""
        d = self.decided
        return pd.DataFrame({"village": d, "name": [self.names[v] for v in d],
                             "county": [self.counties[c] for c in self.county[d]],
                             "township": self.township[d], "unit": [self.units[u] for u in self.unit_of]})


def plan_area(plan: Plan) -> Area:
    """The geography of the planning area (cheap: no population is built)."""
    from povsim.geography import build_geography
    from povsim.params import Parameters
    from povsim.rng import Streams

    sc = plan.scenario
    # the villages the model builds from the same world seed (the whole area, or the sample
    # of whole villages of ``scale``)
    geo = build_geography(sc.population, Parameters(sc.parameters), Streams(plan.world_seed))
    pilot = np.asarray(geo.pilot, dtype=bool)
    sel = {"pilot": pilot, "comparison": ~pilot, "all": np.ones(geo.n, bool)}[plan.decide]
    decided = np.flatnonzero(sel)
    if plan.unit == "village":
        keys = [geo.names[v] for v in decided]
    elif plan.unit == "township":
        keys = [f"{geo.counties[geo.county[v]]}-T{int(geo.township[v]):03d}" for v in decided]
    else:
        keys = [geo.counties[geo.county[v]] for v in decided]
    units = list(dict.fromkeys(keys))
    unit_of = np.array([units.index(k) for k in keys], dtype=np.int64)
    return Area(names=list(geo.names), county=np.asarray(geo.county), township=np.asarray(geo.township),
                pilot=pilot, counties=tuple(geo.counties), decided=decided, unit_of=unit_of, units=units)


# --------------------------------------------------------------------------- scenarios


def baseline_scenario(plan: Plan) -> Scenario:
    """The plan's area with no programme."""
    data = plan.scenario.resolved_dict()
    data["scenario"] = {"name": f"{plan.name}_baseline", "description": "planning area without a programme"}
    data["interventions"] = {}
    return scenario_from_dict(data, file=f"<plan {plan.name}: baseline>")


def allocation_scenario(plan: Plan, area: Area, levels: Mapping[str, np.ndarray], name: str) -> Scenario:
    """The plan's area with the interventions at the given level in each decided village.

    Parameters
    ----------
    levels
        Intervention -> level of each decided village (aligned with ``area.decided``);
        villages not decided get 0.
    """
    data = plan.scenario.resolved_dict()
    data["scenario"] = {"name": name, "description": f"allocation of plan {plan.name}"}
    ivs = {}
    for iv in plan.interventions:
        cfg = dict(iv.settings)
        for k, v in UNLIMITED.items():
            if k in cfg:
                cfg[k] = v
        cfg["targeting"] = {**cfg.get("targeting", {}), "villages": "all"}
        cover = {n: 0.0 for n in area.names}
        for v, c in zip(area.decided, np.asarray(levels[iv.name], dtype=float), strict=True):
            cover[area.names[v]] = float(c)
        cfg["village_coverage"] = cover
        ivs[iv.name] = {k: v for k, v in cfg.items() if v is not None}
    data["interventions"] = ivs
    return scenario_from_dict(data, file=f"<plan {plan.name}: {name}>")


def design_levels(plan: Plan, area: Area, scenario: int, run: int) -> dict[str, np.ndarray]:
    """Random, balanced levels of every intervention in every decided village for one
    design run (a pure function of the plan's seed, the scenario and the run index)."""
    rng = np.random.default_rng(np.random.SeedSequence([plan.seed, 2, scenario, run]))
    n = len(area.decided)
    out: dict[str, np.ndarray] = {}
    for iv in plan.interventions:
        levels = np.asarray(iv.levels, dtype=float)
        out[iv.name] = rng.permutation(np.resize(levels, n))
    for iv in plan.interventions:  # requires: no level where the required item is absent
        for r in iv.requires:
            out[iv.name] = np.where(out[r] > 0, out[iv.name], 0.0)
    return out


# --------------------------------------------------------------------------- uncertainty

def calibration_uncertainty(path: str | Path) -> pd.DataFrame:
    """Fitted value, bounds and approximate SE of each parameter of a fitted file.

    ``povsim calibrate`` writes them in the header of ``calibration/fitted/<name>.toml``
    (:func:`povsim.calibration.report.fitted_parameters` reads them back).  Parameters
    whose SE is not finite or zero (not identified) are left out.
    """
    from povsim.calibration.report import fitted_parameters

    df = fitted_parameters(path)[["parameter", "value", "lower", "upper", "se"]]
    return df[np.isfinite(df["se"]) & (df["se"] > 0)].reset_index(drop=True)


def parameter_draws(plan: Plan) -> list[dict[str, float]]:
    """``design.draws`` parameter points (empty dicts without any uncertainty declared)."""
    from scipy import stats

    from povsim.params import registry

    n = plan.design.draws
    rng = np.random.default_rng(np.random.SeedSequence([plan.seed, 1]))
    points: list[dict[str, float]] = [{} for _ in range(n)]
    if plan.calibration_file is not None:
        cal = calibration_uncertainty(plan.calibration_file)
        cal = cal[~cal["parameter"].isin(plan.uncertainty.parameters)]
        mu, se = cal["value"].to_numpy(), cal["se"].to_numpy()
        lo, hi = cal["lower"].to_numpy(), cal["upper"].to_numpy()
        corr = None
        if plan.correlations_file is not None:
            c = pd.read_csv(plan.correlations_file, index_col=0)
            names = cal["parameter"].tolist()
            c = c.reindex(index=names, columns=names)
            corr = np.nan_to_num(c.to_numpy(dtype=float), nan=0.0)
            np.fill_diagonal(corr, 1.0)
        if corr is None:
            a, b = (lo - mu) / se, (hi - mu) / se
            x = stats.truncnorm.rvs(a, b, loc=mu, scale=se, size=(n, len(mu)), random_state=rng)
        else:
            cov = corr * np.outer(se, se)
            x = np.empty((n, len(mu)))
            for k in range(n):  # rejection: correlated normal inside the bounds
                for _ in range(1000):
                    cand = rng.multivariate_normal(mu, cov, method="eigh")
                    if np.all((cand >= lo) & (cand <= hi)):
                        break
                x[k] = np.clip(cand, lo, hi)
        for k in range(n):
            points[k].update({p: float(v) for p, v in zip(cal["parameter"], x[k], strict=True)})
    reg = registry()
    for name in plan.uncertainty.parameters:
        p = reg[name]
        vals = from_unit(rng.random((n, 1)), np.array([p.range]), np.array([p.distribution == "loguniform"]))[:, 0]
        for k in range(n):
            points[k][name] = float(np.rint(vals[k]) if p.integer else vals[k])
    return points


# --------------------------------------------------------------------------- keys and specs


def cohorts(plan: Plan) -> tuple[int, int]:
    """Treated cohorts: children (0-17) at some time during the programme."""
    return plan.scenario.time.start_year - 17, plan.programme_years[1]


def plan_run_key(plan: Plan, scenario: Scenario, point: Mapping[str, float], seed: int) -> str:
    """The key of a plan run: the batch's run key of (scenario, point, seed), with the
    planning area's seed, the treated cohorts and the recorder version in the identity."""
    ident = {"scenario": scenario_identity(scenario),
             "plan_run": {"world_seed": plan.world_seed, "cohorts": list(cohorts(plan)), "recorder": RECORDER_VERSION}}
    return run_key(ident, point, seed)


def spec(plan: Plan, sc: Scenario, point: Mapping[str, float], seed: int, role: str,
         **info: object) -> PlanRunSpec:
    """A :class:`PlanRunSpec` with its key (``info``: metadata such as the scenario index)."""
    return PlanRunSpec(key=plan_run_key(plan, sc, point, seed), scenario=sc, parameters=dict(point),
                       seed=int(seed), world_seed=plan.world_seed, cohorts=cohorts(plan), role=role, info=info)


def design_seed(plan: Plan, scenario: int) -> int:
    return replicate_seed(plan.seed, scenario)


def verify_seed(plan: Plan, replicate: int) -> int:
    return replicate_seed(plan.seed, VERIFY_SEED_OFFSET + replicate)
