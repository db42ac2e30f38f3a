"""Virtual trials: a published trial re-run inside the simulated population.

A trial file (``trials/<name>.toml``) states the source study's design::

    [trial]
    name = "jamaica_stimulation"
    title = "..."
    source = "Grantham-McGregor et al. (1991) Lancet 338:1-5; ..."  # full citations
    scenario = "../scenarios/baseline.toml"   # the host world
    persons = 80000                           # host population per replicate
    replicates = 20
    seed = 1986
    assumptions = ["what had to be assumed", ...]
    notes = ["why an outcome is not expected to match, with evidence", ...]

    [sample]                  # eligibility in the host world's start year
    ages = [0, 1]             # completed years
    haz_below = -2.0          # optional: stunted; also income_poor, enrolled, grades, ...
    unit = "child"            # randomisation unit: child, household, village, county
    size = 129                # children (unit child/household) to sample
    clusters = 0              # villages/counties to sample (0: all with eligible children)
    per_cluster = 0           # children per cluster (0: all eligible)

    [arms.control]
    [arms.stimulation.interventions.home_visits]   # the intervention and its settings
    visits_per_child = 50

    [delivery]
    years = 2                 # delivered in the first `years` simulated years
    population = "sample"     # or "clusters": every eligible child of the arm's clusters

    [[outcome]]
    name = "dq_end"
    measure = "score"         # score, skill, skill_se, haz, stunted, hb, anaemic, dropout,
                              # enrolled, school_years, log_earnings
    instrument = "griffiths"  # for measure = "score" (povsim.processes.development)
    years_after_start = 2     # or: age = 17 (each child measured in the year it is 17)
    estimator = "itt_sd"      # itt_sd, itt_diff, itt_pct, did
    scale = 1.0               # multiplier of the estimate (e.g. 15: SD -> score points)
    treated = "stimulation"   # arm compared with `control` (default: the other arm)
    source_estimate = 0.38
    source_ci = [0.06, 0.71]
    source_note = "Walker et al. (2005) Lancet 366:1804, full-scale IQ at 17-18"

Each replicate builds the host world (its own seed), draws the sample with the study's
eligibility, randomises at the study's unit, delivers each arm's interventions for the
study's duration through the model's own intervention effects (only the arm's children,
or every eligible child of the arm's clusters, are reached; fidelity 1 unless the file
says otherwise), and measures the outcomes at the follow-up ages with the study's
estimator: the difference of arm means (in SD of the control group for ``itt_sd``, as a
proportional change of a log outcome for ``itt_pct``), or for ``did`` the
difference-in-differences of fresh cross-sections of the arms' clusters at the start and
at the follow-up.  Children who die are lost to follow-up.  The replicate estimates give
the model's mean and a 95% replicate interval (the spread of the study's estimator at
its own sample size), printed beside the published estimate and its confidence interval.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, StrictBool, StrictInt, StrictStr, ValidationError

from povsim.config import StrictModel, read_toml, translate
from povsim.errors import ScenarioError, ScenarioErrors, did_you_mean


class _Meta(StrictModel):
    name: StrictStr = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    title: StrictStr = ""
    source: StrictStr = Field(min_length=1)
    scenario: StrictStr
    persons: StrictInt = Field(default=60000, gt=0)
    population: dict[str, Any] = Field(default_factory=dict)
    replicates: StrictInt = Field(default=20, ge=1)
    seed: StrictInt = Field(default=1, ge=0)
    assumptions: tuple[StrictStr, ...] = Field(default=(), strict=False)
    notes: tuple[StrictStr, ...] = Field(default=(), strict=False)


class _Sample(StrictModel):
    ages: tuple[StrictInt, StrictInt] = Field(strict=False)
    haz_below: float | None = Field(default=None, strict=False)
    income_poor: StrictBool | None = None
    enrolled: StrictBool | None = None
    grades: tuple[StrictInt, StrictInt] | None = Field(default=None, strict=False)
    villages: Literal["all", "pilot", "comparison"] = "all"
    poorest_share: float | None = Field(default=None, strict=False, gt=0, le=1)
    unit: Literal["child", "household", "village", "county"] = "child"
    size: StrictInt = Field(default=0, ge=0)
    clusters: StrictInt = Field(default=0, ge=0)
    per_cluster: StrictInt = Field(default=0, ge=0)


class _Arm(StrictModel):
    share: float = Field(default=1.0, strict=False, gt=0)
    interventions: dict[str, dict[str, Any]] = Field(default_factory=dict)


class _Delivery(StrictModel):
    years: StrictInt = Field(ge=1, le=30)
    population: Literal["sample", "clusters"] = "sample"


class _Outcome(StrictModel):
    name: StrictStr = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    label: StrictStr = ""
    measure: Literal["score", "skill", "skill_se", "haz", "stunted", "hb", "anaemic", "dropout",
                     "enrolled", "school_years", "log_earnings"]
    instrument: StrictStr | None = None
    years_after_start: StrictInt | None = Field(default=None, ge=0)
    age: StrictInt | None = Field(default=None, ge=0, le=90)
    ages: tuple[StrictInt, StrictInt] | None = Field(default=None, strict=False)
    estimator: Literal["itt_sd", "itt_diff", "itt_pct", "did"]
    scale: float = Field(default=1.0, strict=False)
    control: StrictStr = "control"
    treated: StrictStr | None = None
    source_estimate: float | None = Field(default=None, strict=False)
    source_ci: tuple[float, float] | None = Field(default=None, strict=False)
    source_note: StrictStr = ""


class _File(StrictModel):
    trial: _Meta
    sample: _Sample
    arms: dict[str, _Arm] = Field(min_length=2)
    delivery: _Delivery
    outcome: tuple[_Outcome, ...] = Field(min_length=1, strict=False)


@dataclass(frozen=True)
class TrialSpec:
    """A parsed, checked trial file."""

    file: str
    meta: _Meta
    sample: _Sample
    arms: Mapping[str, _Arm]
    delivery: _Delivery
    outcomes: tuple[_Outcome, ...]
    scenario_file: str

    @property
    def name(self) -> str:
        return self.meta.name

    def horizon(self) -> int:
        """Simulated years needed to reach every follow-up."""
        need = self.delivery.years
        young = self.sample.ages[0]
        for o in self.outcomes:
            if o.years_after_start is not None:
                need = max(need, o.years_after_start)
            if o.age is not None:
                need = max(need, o.age - young)
        return need

    def scenario(self):
        """The host world: the trial's scenario at its population size and horizon, with
        no programme of its own."""
        from povsim.scenario import load_scenario

        s = load_scenario(self.scenario_file)
        s = s.with_overrides(population={"persons": self.meta.persons, **self.meta.population},
                             time={"years": self.horizon()})
        return s.model_copy(update={"interventions": {}})


def load_trial(path: str | Path) -> TrialSpec:
    """Read and check a trial file; every problem is reported at once.

    Raises
    ------
    ScenarioErrors
        Each error names the file, key, value, what was expected and a fix.
    """
    file = Path(path)
    fname = str(path)
    errors: list[ScenarioError] = []
    data = read_toml(file, errors, what="trial file")
    if data is None:
        raise ScenarioErrors(errors)
    try:
        spec = _File.model_validate(data)
    except ValidationError as exc:
        raise ScenarioErrors(translate(exc, _File, file=fname, data=data)) from None

    def fail(key: str, value: object, expected: str, suggestion: str = "") -> None:
        errors.append(ScenarioError(fname, key, value, expected, suggestion))

    scen = (file.resolve().parent / spec.trial.scenario).resolve()
    if not scen.is_file():
        fail("trial.scenario", spec.trial.scenario, "a scenario file (relative to the trial file)",
             "e.g. ../scenarios/baseline.toml")
    a0, a1 = spec.sample.ages
    if a1 < a0:
        fail("sample.ages", list(spec.sample.ages), "[youngest, oldest]", f"write [{a1}, {a0}]")
    if spec.sample.unit in ("child", "household") and spec.sample.size == 0:
        fail("sample.size", 0, "the number of children to sample (> 0)", "e.g. size = 300")
    if "control" not in spec.arms:
        fail("arms", sorted(spec.arms), "an arm named 'control'",
             did_you_mean("control", spec.arms) or "add [arms.control]")
    from povsim.interventions import CLASSES

    for arm, a in spec.arms.items():
        for name, cfg in a.interventions.items():
            if name not in CLASSES:
                fail(f"arms.{arm}.interventions.{name}", name, "a known intervention",
                     did_you_mean(name, CLASSES) or "see `povsim describe --interventions`")
                continue
            try:
                CLASSES[name].Config.model_validate(_config(cfg, 2015, spec.delivery.years))
            except ValidationError as exc:
                errors += translate(exc, CLASSES[name].Config, prefix=("arms", arm, "interventions", name),
                                    file=fname)
    from povsim.processes.development import INSTRUMENTS

    for i, o in enumerate(spec.outcome):
        key = f"outcome[{i}] ({o.name})"
        if (o.years_after_start is None) == (o.age is None):
            fail(key, None, "exactly one of years_after_start or age",
                 "e.g. years_after_start = 2, or age = 17")
        if o.measure == "score" and o.instrument not in INSTRUMENTS:
            fail(f"{key}.instrument", o.instrument, "an instrument: " + ", ".join(INSTRUMENTS),
                 did_you_mean(str(o.instrument), INSTRUMENTS) or "e.g. instrument = \"bayley\"")
        if o.estimator == "did" and (o.ages is None or o.years_after_start is None
                                     or spec.sample.unit not in ("village", "county")):
            fail(f"{key}.estimator", "did", "cross-sections: ages = [a, b], years_after_start "
                 "and a village or county unit", "set ages and years_after_start")
        if o.control not in spec.arms:
            fail(f"{key}.control", o.control, "an arm of the trial", did_you_mean(o.control, spec.arms))
        if o.treated is not None and o.treated not in spec.arms:
            fail(f"{key}.treated", o.treated, "an arm of the trial", did_you_mean(o.treated, spec.arms))
        if o.source_ci is not None and o.source_ci[0] > o.source_ci[1]:
            fail(f"{key}.source_ci", list(o.source_ci), "[lower, upper]",
                 f"write [{o.source_ci[1]}, {o.source_ci[0]}]")
    if errors:
        raise ScenarioErrors(errors)
    return TrialSpec(file=fname, meta=spec.trial, sample=spec.sample, arms=dict(spec.arms),
                     delivery=spec.delivery, outcomes=spec.outcome, scenario_file=str(scen))


def _config(cfg: Mapping[str, Any], start: int, years: int) -> dict[str, Any]:
    """An intervention's configuration in a trial: active for the delivery years, in every
    village, at trial fidelity 1 unless the file says otherwise."""
    out = {"start_year": start, "end_year": start + years - 1, "fidelity": 1.0,
           "targeting": {"villages": "all"}}
    out.update(cfg)
    return out


# --------------------------------------------------------------------------- one replicate


def _trial_class(cls, rows_fn: Callable):
    """The intervention ``cls`` reaching exactly the trial arm (``rows_fn(world)``: its
    person or household rows this year) with no coverage, rationing or capacity limits."""

    def eligible(self, world):
        return rows_fn(self, world)

    def identity(self, world, rows):
        return rows

    def no_limit(self, *args):
        return None

    return type(f"Trial{cls.__name__}", (cls,), {
        "eligible": eligible, "covered": identity, "ration_order": identity,
        "capacity": no_limit, "village_capacity": no_limit})


def _cluster_codes(world, unit: str) -> np.ndarray:
    """Cluster of every person: village row, county code, household row or own row."""
    P, H = world.P, world.H
    if unit == "village":
        return H.village[P.hh].astype(np.int64)
    if unit == "county":
        return world.geo.county[H.village[P.hh]].astype(np.int64)
    if unit == "household":
        return H.id[P.hh].astype(np.int64)
    return P.id.astype(np.int64)


def _eligible_rows(world, s: _Sample, ages: tuple[int, int] | None = None) -> np.ndarray:
    P, H = world.P, world.H
    age = world.age()
    lo, hi = ages if ages is not None else s.ages
    ok = (age >= lo) & (age <= hi)
    if s.haz_below is not None:
        ok &= P.haz < s.haz_below
    if s.income_poor is not None:
        ok &= H.income_poor[P.hh] == s.income_poor
    if s.enrolled is not None:
        ok &= P.enrolled == s.enrolled
    if s.grades is not None:
        ok &= (P.grade >= s.grades[0]) & (P.grade <= s.grades[1]) & P.enrolled
    if s.villages != "all":
        pilot = world.geo.pilot[H.village[P.hh]]
        ok &= pilot if s.villages == "pilot" else ~pilot
    if s.poorest_share is not None:
        inc = H.income_pc[P.hh]
        cut = np.quantile(inc[ok], s.poorest_share) if ok.any() else 0.0
        ok &= inc <= cut
    return np.flatnonzero(ok)


def _assign(keys: np.ndarray, arms: list[str], shares: np.ndarray) -> np.ndarray:
    """Arm index of each unit: units in random order (``keys``), arms in blocks of their
    shares (balanced allocation, as in a stratified randomisation)."""
    order = np.argsort(keys, kind="stable")
    n = len(keys)
    cuts = np.round(np.cumsum(shares / shares.sum()) * n).astype(np.int64)
    arm = np.empty(n, dtype=np.int64)
    start = 0
    for k, c in enumerate(cuts):
        arm[order[start:c]] = k
        start = c
    return arm


def _draw_sample(world, spec: TrialSpec, sampler) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                           list[str]]:
    """Sample and randomise: ids of the sampled children, their arm, the arm of each
    cluster code (for cluster delivery and cross-sections), arm names."""
    s = spec.sample
    arms = list(spec.arms)
    shares = np.array([spec.arms[a].share for a in arms], dtype=np.float64)
    rows = _eligible_rows(world, s)
    P = world.P
    codes = _cluster_codes(world, s.unit)[rows]
    ids = P.id[rows]
    if s.unit == "child":
        u = sampler.uniform("trial.sample", 0, ids)
        take = np.argsort(u, kind="stable")[:s.size]
        rows, ids, codes = rows[take], ids[take], codes[take]
    units = np.unique(codes)
    if s.unit == "household" and s.size:
        # households in random order until `size` children are sampled
        uk = sampler.uniform("trial.sample", 1, units)
        order = units[np.argsort(uk, kind="stable")]
        counts = pd.Series(codes).value_counts().reindex(order).to_numpy()
        units = order[: int(np.searchsorted(np.cumsum(counts), s.size) + 1)]
    elif s.unit in ("village", "county") and s.clusters:
        uk = sampler.uniform("trial.sample", 2, units)
        units = units[np.argsort(uk, kind="stable")][: s.clusters]
    units = np.sort(units)
    keep = np.isin(codes, units)
    rows, ids, codes = rows[keep], ids[keep], codes[keep]
    if s.unit in ("village", "county") and s.per_cluster:
        u = sampler.uniform("trial.sample", 3, ids)
        order = np.lexsort((u, codes))
        rank = np.empty(len(order), dtype=np.int64)
        sorted_codes = codes[order]
        first = np.r_[0, np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1]) + 1]
        starts = np.repeat(first, np.diff(np.r_[first, len(order)]))
        rank[order] = np.arange(len(order)) - starts
        keep = rank < s.per_cluster
        rows, ids, codes = rows[keep], ids[keep], codes[keep]
    unit_arm = _assign(sampler.uniform("trial.assign", 0, units), arms, shares)
    arm_of = unit_arm[np.searchsorted(units, codes)]
    return ids, arm_of, np.column_stack([units, unit_arm]), arms


def _outcome_values(world, params, streams, rows: np.ndarray, o: _Outcome, k: int) -> np.ndarray:
    """The measured outcome of ``rows`` this year (NaN where not observed)."""
    P = world.P
    m = o.measure
    if m == "score":
        from povsim.processes.development import measured

        return measured(world, params, streams, rows, o.instrument, sub=k + 1)
    if m == "dropout":
        # left school without completing junior high
        return ((~P.enrolled[rows]) & (P.school_years[rows] < 9)).astype(np.float64)
    if m == "log_earnings":
        e = P.earnings[rows].astype(np.float64)
        return np.where(e > 0, np.log(np.maximum(e, 1e-9)), np.nan)
    return P[m][rows].astype(np.float64)  # a column of that name: skill, haz, stunted, school_years, ...


def _estimate(o: _Outcome, y_c: np.ndarray, y_t: np.ndarray) -> float:
    y_c, y_t = y_c[np.isfinite(y_c)], y_t[np.isfinite(y_t)]
    if len(y_c) < 2 or len(y_t) < 1:
        return math.nan
    d = float(y_t.mean() - y_c.mean())
    if o.estimator == "itt_sd":
        sd = float(y_c.std(ddof=1))
        return d / sd * o.scale if sd > 0 else math.nan
    if o.estimator == "itt_pct":
        return (math.exp(d) - 1.0) * o.scale
    return d * o.scale


def run_trial_replicate(spec: TrialSpec, seed: int) -> dict[str, pd.DataFrame]:
    """One replicate of the trial: ``{"estimates", "trajectories", "sample"}`` frames."""
    from povsim.interventions import CLASSES
    from povsim.interventions._programme import Programme
    from povsim.model import PovertyModel
    from povsim.rng import Streams

    model = PovertyModel(spec.scenario(), seed=seed, collect=False)
    world, params, streams = model.world, model.params, model.streams
    sampler = Streams(seed)  # the trial's own draws, apart from the model's streams
    y0 = world.year
    ids, arm_of, unit_arm, arms = _draw_sample(world, spec, sampler)
    order = np.argsort(ids, kind="stable")
    ids_sorted, arm_sorted = ids[order], arm_of[order]
    unit_codes, unit_arms = unit_arm[:, 0], unit_arm[:, 1]
    s = spec.sample

    def arm_rows(k: int, by_cluster: bool, ages=None):
        """This year's rows of arm ``k``: its sampled children, or every eligible child
        of its clusters (``ages``: the cross-section's ages)."""
        P = world.P
        if by_cluster:
            rows = _eligible_rows(world, s, ages)
            codes = _cluster_codes(world, s.unit)[rows]
            pos = np.clip(np.searchsorted(unit_codes, codes), 0, len(unit_codes) - 1)
            hit = (unit_codes[pos] == codes) & (unit_arms[pos] == k)
            return rows[hit]
        pos = np.clip(np.searchsorted(ids_sorted, P.id), 0, max(len(ids_sorted) - 1, 0))
        hit = (ids_sorted[pos] == P.id) & (arm_sorted[pos] == k) if len(ids_sorted) else \
            np.zeros(P.n, dtype=bool)
        return np.flatnonzero(hit)

    ivs = []
    clusters = spec.delivery.population == "clusters"
    for k, arm in enumerate(arms):
        for name, cfg in spec.arms[arm].interventions.items():
            cls = CLASSES[name]

            def rows_fn(iv, w, k=k, cls=cls):
                if clusters:
                    own = iv.eligible_default(w)  # the intervention's own ages and rules
                    mine = arm_rows(k, True, iv.ages)
                    persons = np.intersect1d(own, mine) if cls.unit == "person" else mine
                else:
                    persons = arm_rows(k, False)
                if cls.unit == "household":
                    return np.unique(w.P.hh[persons])
                return persons

            iv = _trial_class(cls, rows_fn)(_config(cfg, y0 + 1, spec.delivery.years), model)
            for value, modifier in iv.effects():
                world.values.register(value, modifier)
            ivs.append(iv)
    if ivs:
        model.interventions = ivs
        world.programme = Programme(ivs, None)

    est_rows: list[tuple] = []
    traj_rows: list[tuple] = []
    values: dict[int, list[list[np.ndarray]]] = {
        j: [[] for _ in arms] for j, o in enumerate(spec.outcomes) if o.age is not None}
    did_base: dict[int, list[float]] = {}

    def observe(t: int) -> None:
        P = world.P
        age = world.age()
        for k, arm in enumerate(arms):
            r = arm_rows(k, False)
            if len(r):
                traj_rows.append((t, arm, len(r), float(age[r].mean()),
                                  float(P.skill_score[r].mean()), float(P.skill[r].mean()),
                                  float(P.skill_se[r].mean()), float(P.haz[r].mean()),
                                  float(P.stunted[r].mean()), float(P.anaemic[r].mean())))
        for j, o in enumerate(spec.outcomes):
            if o.estimator == "did":
                if t in (0, o.years_after_start):
                    prev = [float(np.nanmean(_outcome_values(world, params, streams,
                                                             arm_rows(k, True, o.ages), o, j)))
                            for k in range(len(arms))]
                    if t == 0:
                        did_base[j] = prev
                    else:
                        c, tr = _arm_index(o, arms)
                        b = did_base[j]
                        est = ((prev[tr] - b[tr]) - (prev[c] - b[c])) * o.scale
                        est_rows.append((o.name, est, len(arm_rows(c, True, o.ages)),
                                         len(arm_rows(tr, True, o.ages)), prev[c], prev[tr]))
                continue
            if o.years_after_start is not None and t == o.years_after_start:
                c, tr = _arm_index(o, arms)
                yc = _outcome_values(world, params, streams, arm_rows(c, False), o, j)
                yt = _outcome_values(world, params, streams, arm_rows(tr, False), o, j)
                est_rows.append((o.name, _estimate(o, yc, yt), int(np.isfinite(yc).sum()),
                                 int(np.isfinite(yt).sum()), _mean(yc), _mean(yt)))
            elif o.age is not None:
                for k in range(len(arms)):
                    r = arm_rows(k, False)
                    r = r[age[r] == o.age]
                    if len(r):
                        values[j][k].append(_outcome_values(world, params, streams, r, o, j))

    observe(0)
    for t in range(1, spec.horizon() + 1):
        model.step()
        observe(t)
    for j, per_arm in values.items():
        o = spec.outcomes[j]
        c, tr = _arm_index(o, arms)
        yc = np.concatenate(per_arm[c]) if per_arm[c] else np.empty(0)
        yt = np.concatenate(per_arm[tr]) if per_arm[tr] else np.empty(0)
        est_rows.append((o.name, _estimate(o, yc, yt), int(np.isfinite(yc).sum()),
                         int(np.isfinite(yt).sum()), _mean(yc), _mean(yt)))
    est = pd.DataFrame(est_rows, columns=["outcome", "estimate", "n_control", "n_treated",
                                          "mean_control", "mean_treated"])
    traj = pd.DataFrame(traj_rows, columns=["years_since_start", "arm", "children", "mean_age",
                                            "mean_score", "mean_skill", "mean_skill_se",
                                            "mean_haz", "stunted_share", "anaemic_share"])
    sample = pd.DataFrame({"arm": [arms[k] for k in range(len(arms))],
                           "children": [int((arm_of == k).sum()) for k in range(len(arms))],
                           "units": [int((unit_arms == k).sum()) for k in range(len(arms))]})
    return {"estimates": est, "trajectories": traj, "sample": sample}


def _mean(y: np.ndarray) -> float:
    y = y[np.isfinite(y)]
    return float(y.mean()) if len(y) else math.nan


def _arm_index(o: _Outcome, arms: list[str]) -> tuple[int, int]:
    c = arms.index(o.control)
    if o.treated is not None:
        return c, arms.index(o.treated)
    return c, next(k for k in range(len(arms)) if k != c)


# --------------------------------------------------------------------------- replicates


@dataclass
class TrialResult:
    """Replicate estimates, their summary beside the source, and arm trajectories."""

    spec: TrialSpec
    seeds: list[int]
    estimates: pd.DataFrame
    summary: pd.DataFrame
    trajectories: pd.DataFrame
    samples: pd.DataFrame
    seconds: float
    notes: list[str] = field(default_factory=list)


def _worker(args: tuple[TrialSpec, int]) -> dict[str, pd.DataFrame]:
    spec, seed = args
    return run_trial_replicate(spec, seed)


def run_trial(spec: TrialSpec, *, replicates: int | None = None, seed: int | None = None,
              workers: int = 1, progress: Callable[[int, int], None] | None = None) -> TrialResult:
    """Run the trial's replicates (results do not depend on ``workers``)."""
    from povsim.runner import in_processes, replicate_seed, stack_replicates

    n = replicates or spec.meta.replicates
    base = spec.meta.seed if seed is None else seed
    seeds = [replicate_seed(base, r) for r in range(n)]
    t0 = time.perf_counter()
    workers = max(1, min(int(workers), n, os.cpu_count() or 1))
    if workers == 1:
        results = []
        for r, s in enumerate(seeds):
            results.append(run_trial_replicate(spec, s))
            if progress:
                progress(r + 1, n)
    else:
        results = in_processes(_worker, [(spec, s) for s in seeds], workers,
                               (lambda done: progress(done, n)) if progress else None)
    frames = stack_replicates(results)
    est, traj, samples = frames["estimates"], frames["trajectories"], frames["sample"]
    notes = []
    s = spec.sample
    if s.size and s.unit in ("child", "household"):
        short = samples.groupby("replicate")["children"].sum() < s.size
        if short.any():
            notes.append(f"{int(short.sum())} of {n} replicates had fewer eligible children than "
                         f"sample.size = {s.size}; raise trial.persons")
    return TrialResult(spec=spec, seeds=seeds, estimates=est, summary=summarise(spec, est),
                       trajectories=traj, samples=samples,
                       seconds=time.perf_counter() - t0, notes=notes)


def summarise(spec: TrialSpec, est: pd.DataFrame) -> pd.DataFrame:
    """Per outcome: the model's mean over replicates, its 95% replicate interval (2.5-97.5
    percentiles: the spread of the study's estimator at the study's size), the 95%
    interval of the mean, the source's estimate and CI, and whether the model's mean lies
    within the source's CI."""
    rows = []
    for o in spec.outcomes:
        v = est.loc[est["outcome"] == o.name, "estimate"].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        r = len(v)
        mean = float(v.mean()) if r else math.nan
        lo, hi = (np.percentile(v, [2.5, 97.5]) if r >= 2 else (math.nan, math.nan))
        half = (1.96 * float(v.std(ddof=1)) / math.sqrt(r)) if r >= 2 else math.nan
        slo, shi = o.source_ci if o.source_ci is not None else (math.nan, math.nan)
        within = (bool(slo <= mean <= shi) if o.source_ci is not None and r else None)
        n_c = est.loc[est["outcome"] == o.name, "n_control"].mean()
        n_t = est.loc[est["outcome"] == o.name, "n_treated"].mean()
        rows.append((o.name, o.label or o.name, o.estimator, o.scale, mean, float(lo), float(hi),
                     mean - half, mean + half, r, float(n_c), float(n_t),
                     o.source_estimate if o.source_estimate is not None else math.nan,
                     slo, shi, within, o.source_note))
    return pd.DataFrame(rows, columns=[
        "outcome", "label", "estimator", "scale", "model_mean", "model_lo", "model_hi",
        "model_mean_lo", "model_mean_hi", "replicates", "n_control", "n_treated",
        "source_estimate", "source_lo", "source_hi", "within_source_ci", "source_note"])


def write_trial_results(result: TrialResult, folder: Path, *, command_line: list[str],
                        figures: bool = True) -> None:
    """Tables, figures and the manifest of a trial into ``folder``."""
    from povsim.output import atomic_write_csv, atomic_write_text, save_figure, write_manifest

    atomic_write_csv(folder / "trial_summary.csv", result.summary)
    atomic_write_csv(folder / "trial_estimates.csv", result.estimates)
    atomic_write_csv(folder / "trajectories.csv", result.trajectories)
    atomic_write_csv(folder / "samples.csv", result.samples)
    atomic_write_text(folder / "report.md", report_markdown(result))
    write_manifest(folder, kind="trial", scenario_dict={"trial": result.spec.meta.model_dump()},
                   seeds=result.seeds, input_files=[result.spec.file, result.spec.scenario_file],
                   command_line=command_line,
                   extra={"trial": result.spec.name, "seconds": round(result.seconds, 2),
                          "notes": result.notes})
    if not figures:
        return
    from povsim.plots.trial import plot_trial_forest, plot_trial_trajectories

    prov = f"povsim trial {result.spec.name} · {len(result.seeds)} replicates"
    save_figure(plot_trial_forest(result.summary, title=result.spec.meta.title or result.spec.name,
                                  provenance=prov), folder / "figures" / "forest")
    save_figure(plot_trial_trajectories(result.trajectories, provenance=prov),
                folder / "figures" / "trajectories")


def _source_text(r: Any) -> str:
    """The source's estimate and CI of a summary row (``n/a`` when the source gives none)."""
    if not np.isfinite(r.source_estimate):
        return "n/a"
    return f"{r.source_estimate:.3g}" + (f" [{r.source_lo:.3g}, {r.source_hi:.3g}]" if np.isfinite(r.source_lo) else "")


def report_markdown(result: TrialResult) -> str:
    """The trial's report: design, sources, assumptions, model beside the source."""
    from povsim.report import md_table

    spec = result.spec
    m = spec.meta
    lines = [f"# Virtual trial: {m.title or m.name}", "", f"Source: {m.source}", "",
             "## Assumptions", ""]
    lines += [f"- {a}" for a in m.assumptions] or ["- none stated"]
    s = spec.sample
    lines += ["", "## Design", "",
              f"- Host world: `{Path(spec.scenario_file).name}`, {m.persons:,} persons per "
              f"replicate, {len(result.seeds)} replicates (seed {m.seed}).",
              f"- Eligibility: ages {s.ages[0]}-{s.ages[1]} (completed years) in the start year"
              + (f", HAZ < {s.haz_below}" if s.haz_below is not None else "")
              + (", income-poor" if s.income_poor else "")
              + (f", grades {s.grades[0]}-{s.grades[1]}" if s.grades else "") + ".",
              f"- Randomisation unit: {s.unit}; arms: {', '.join(spec.arms)}.",
              f"- Delivery: {spec.delivery.years} year(s) to the "
              + ("sampled children." if spec.delivery.population == "sample"
                 else "eligible children of the arm's clusters."),
              "", "## Model beside the source", ""]
    tab = result.summary
    rows = []
    for r in tab.itertuples():
        rows.append([r.label, r.estimator, f"{r.model_mean:.3g} [{r.model_lo:.3g}, {r.model_hi:.3g}]",
                     _source_text(r), "n/a" if r.within_source_ci is None else ("yes" if r.within_source_ci else "no"),
                     f"{r.n_control:.0f} / {r.n_treated:.0f}"])
    lines.append(md_table(pd.DataFrame(rows, columns=[
        "outcome", "estimator", "model mean [95% replicate interval]", "source [95% CI]",
        "model mean within source CI", "n control / treated"])))
    notes = [*m.notes, *result.notes]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def print_trial(result: TrialResult, folder: Path | None = None) -> None:
    """The model's estimates beside the source's, as a table on the terminal."""
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"{result.spec.meta.title or result.spec.name}: model (mean [95% replicate "
                    f"interval], {len(result.seeds)} replicates) beside the source")
    for col in ("outcome", "estimator", "model", "source [95% CI]", "within CI", "n C/T"):
        t.add_column(col, overflow="fold")
    for r in result.summary.itertuples():
        t.add_row(r.label, r.estimator, f"{r.model_mean:.3g} [{r.model_lo:.3g}, {r.model_hi:.3g}]",
                  _source_text(r), "-" if r.within_source_ci is None else ("yes" if r.within_source_ci else "NO"),
                  f"{r.n_control:.0f}/{r.n_treated:.0f}")
    con = Console(width=160)
    con.print(t)
    for n in result.notes:
        print(f"note: {n}")
    print(f"{result.seconds:.1f} s" + (f"; results: {folder}" if folder else ""))
