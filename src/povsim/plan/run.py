"""``povsim plan``: design runs -> surrogate -> exact optimisation -> verification -> results.

:func:`run_plan` is resumable by construction: every model run is kept in the plan
folder's run store (``<out>/runs/<key>.run``, written atomically by the batch machinery
of :mod:`povsim.experiment`) under a key that depends only on what the run computes;
everything after the runs (fitting, optimisation, tables) is a deterministic function of
the stored runs.  Running the same command again — after Ctrl-C, a scheduler's time
limit or ``kill -9`` — runs only what is missing and gives the same plan.

Layout of the plan folder (``--out``, default ``results/plan-<name>``)::

    <out>/
      runs/<key>.run         every model run (design, current, baseline, verification)
      keyspace.csv           every run: key, phase, role, scenario / replicate, seed, draw
      .lock                  held while a plan process runs in the folder
      plan/                  the plan, built in plan.partial-<pid> and renamed when complete
                             (output.results_dir; it removes only its own staging folders):
        manifest.json, plan.toml, summary.txt, tables/*.csv, figures/*
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from povsim.errors import RunError
from povsim.experiment.batch import SilentReporter, Tally, run_specs
from povsim.experiment.executors import Executor, make_executor
from povsim.experiment.store import RunStore
from povsim.plan import design as dsg
from povsim.plan.analysis import (
    Solver,
    alternatives,
    band,
    binding_constraints,
    frontier,
    marginal_by_intervention,
    marginal_returns,
    rollout,
    shadow_price,
    stability,
)
from povsim.plan.measures import MEASURES
from povsim.plan.optimise import PlanError, cvar, evaluate, greedy
from povsim.plan.problem import PlanModel, equity_weights
from povsim.plan.schema import Plan, load_plan, plan_label
from povsim.plan.surrogate import DesignData, fit_costs, fit_surrogate, improvement, village_outcomes, village_types
from povsim.plan.verify import measured_objective, pairs_table, verification_table
from povsim.plan.worker import PlanRunSpec, execute

__all__ = ["PlanResult", "plan_folder", "run_plan"]

#: Tables every plan run keeps.
RUN_TABLES = ("villages", "village_years", "village_cohort", "village_programme")


@dataclass
class PlanResult:
    """What :func:`run_plan` produced (tables also written under ``folder / "plan"``)."""

    folder: Path
    tables: dict[str, pd.DataFrame]
    summary: str
    runs_executed: int
    timings: dict[str, float] = field(default_factory=dict)


def plan_folder(plan: Plan, out: str | os.PathLike[str] | None = None) -> Path:
    """The plan folder: ``out``, or ``results/plan-<name>``."""
    return Path(out).absolute() if out is not None else Path("results").absolute() / f"plan-{plan.name}"


# --------------------------------------------------------------------------- running


class _Runner:
    """Runs specs through an executor into the store (skipping finished runs)."""

    def __init__(self, store: RunStore, reporter, make: Any) -> None:
        self.store, self.reporter, self.make = store, reporter, make
        self.executed = 0
        self.seconds = 0.0

    def run(self, specs: Sequence[PlanRunSpec], phase: str) -> None:
        unique = list({s.key: s for s in specs}.values())
        state = self.store.scan([s.key for s in unique], RUN_TABLES)
        todo = [s for s in unique if s.key not in state.done]
        self.reporter.message(f"{phase}: {len(unique)} model runs, {len(unique) - len(todo)} done, {len(todo)} to run")
        if state.other_model:
            self.reporter.message(state.other_model_message())
        if not todo:
            return
        tally = Tally()
        t0 = time.perf_counter()
        ex: Executor = self.make()
        with ex:
            self.reporter.start(len(unique), len(unique) - len(todo))
            try:
                run_specs(ex, todo, self.store, tally, self.reporter.advance, fn=execute)
            finally:
                self.executed += tally.ran
                self.reporter.stop()
        self.seconds += time.perf_counter() - t0
        if tally.failed:
            key, err = next(iter(tally.failed.items()))
            raise RunError(f"{len(tally.failed)} of {len(todo)} model runs of the {phase} failed (e.g. {key}: {err}); "
                            f"tracebacks in {self.store.runs}/<key>.failed.json; run the same command again to retry")


# --------------------------------------------------------------------------- design data


@dataclass
class _Design:
    specs: list[PlanRunSpec]
    base: list[PlanRunSpec]
    current: list[PlanRunSpec | None]
    runs: list[list[PlanRunSpec]]
    levels: np.ndarray  # (W, J, V, I)


def _design_specs(plan: Plan, area: dsg.Area, draws: list[dict[str, float]]) -> _Design:
    spd, J = plan.design.seeds_per_draw, plan.design.runs_per_seed
    W = len(draws) * spd
    base_sc = dsg.baseline_scenario(plan)
    names = plan.names
    base, current, runs = [], [], []
    levels = np.zeros((W, J, len(area.decided), len(names)))
    for w in range(W):
        point, seed = draws[w // spd], dsg.design_seed(plan, w)
        base.append(dsg.spec(plan, base_sc, point, seed, "baseline", phase="design", scenario=w, draw=w // spd))
        current.append(dsg.spec(plan, plan.current, point, seed, "current", phase="design", scenario=w,
                                draw=w // spd) if plan.current is not None else None)
        row = []
        for j in range(J):
            lv = dsg.design_levels(plan, area, w, j)
            levels[w, j] = np.column_stack([lv[n] for n in names])
            sc = dsg.allocation_scenario(plan, area, lv, f"{plan.name}_design_{w}_{j}")
            row.append(dsg.spec(plan, sc, point, seed, "design", phase="design", scenario=w, draw=w // spd, run=j))
        runs.append(row)
    specs = [*base, *(c for c in current if c is not None), *(s for row in runs for s in row)]
    return _Design(specs=specs, base=base, current=current, runs=runs, levels=levels)


def _programme(tables: dict[str, pd.DataFrame], villages: np.ndarray, names: list[str],
               years: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(V, I, Y)`` cost, units reached and eligible units of one run."""
    V, NI, Y = len(villages), len(names), len(years)
    cost, units, elig = np.zeros((V, NI, Y)), np.zeros((V, NI, Y)), np.zeros((V, NI, Y))
    prog = tables["village_programme"]
    if prog.empty:
        return cost, units, elig
    pos = pd.Series(np.arange(V), index=villages)
    ypos = pd.Series(np.arange(Y), index=years)
    d = prog[prog["village"].isin(villages) & prog["intervention"].isin(names) & prog["year"].isin(years)]
    vi = pos.reindex(d["village"]).to_numpy()
    ii = np.array([names.index(n) for n in d["intervention"]], dtype=np.int64)
    yi = ypos.reindex(d["year"]).to_numpy()
    np.add.at(cost, (vi, ii, yi), (d["cost_fixed"] + d["cost_per_unit"]).to_numpy())
    np.add.at(units, (vi, ii, yi), d["reached"].to_numpy())
    np.add.at(elig, (vi, ii, yi), d["eligible"].to_numpy())
    return cost, units, elig


@dataclass
class _Collected:
    data: DesignData
    current_cov: np.ndarray | None
    current_cost: np.ndarray | None
    current_total: float
    base_m0: np.ndarray


def _collect(plan: Plan, area: dsg.Area, des: _Design, store: RunStore) -> _Collected:
    start = plan.scenario.time.start_year
    rate = plan.discount_rate if plan.objective.discount_outcomes else 0.0
    vill = area.decided
    names = plan.names
    W, J = len(des.base), plan.design.runs_per_seed
    base_out, effect = [], {m: np.zeros((W, J, len(vill))) for m in MEASURES}
    exposure, feats = [], []
    read = {s.key: store.read(s.key, RUN_TABLES) for row in des.runs for s in row}
    years = np.asarray(sorted({int(y) for t in read.values() for y in t["village_programme"]["year"].unique()}),
                       dtype=np.int64)
    if len(years) == 0:
        raise PlanError("the design runs booked no programme activity: check the interventions' start and end years "
                        "against the horizon")
    Y = len(years)
    cost = np.zeros((W, J, len(vill), len(names), Y))
    units = np.zeros_like(cost)
    cur_cov = np.zeros((W, len(vill), len(names)))
    cur_cost = np.zeros((W, len(vill), len(names), Y))
    cur_total = np.zeros(W)
    on_off = np.array([iv.on_off for iv in plan.interventions])
    for w in range(W):
        bt = store.read(des.base[w].key, RUN_TABLES)
        b = village_outcomes(bt, vill, start, rate)
        base_out.append(b)
        v0 = bt["villages"].set_index("village").reindex(vill)
        exposure.append(v0["children"].to_numpy(dtype=float))
        feats.append(v0)
        for j, s in enumerate(des.runs[w]):
            t = read[s.key]
            imp = improvement(village_outcomes(t, vill, start, rate), b)
            for m in MEASURES:
                effect[m][w, j] = imp[m]
            cost[w, j], units[w, j], _ = _programme(t, vill, names, years)
        cs = des.current[w]
        if cs is not None:
            ct = store.read(cs.key, RUN_TABLES)
            c, u, e = _programme(ct, vill, names, years)
            cur_cost[w] = c
            reached, eligible = u.sum(axis=2), e.sum(axis=2)
            # effective coverage: share of the eligible reached (undefined where nobody was
            # eligible in this scenario: left out of the mean over scenarios)
            frac = np.where(eligible > 0, reached / np.maximum(eligible, 1e-12), np.nan)
            cur_cov[w] = np.where(on_off[None, :], (c.sum(axis=2) > 0).astype(float), np.clip(frac, 0.0, 1.0))
            prog = ct["village_programme"]
            cur_total[w] = float((prog["cost_fixed"] + prog["cost_per_unit"]).sum())
    features = pd.concat(feats).groupby(level=0).mean(numeric_only=True).reindex(vill).reset_index()
    data = DesignData(interventions=tuple(names), on_off=on_off, years=years, effect=effect, levels=des.levels,
                      cost=cost, units=units, base={m: np.stack([b[m] for b in base_out]) for m in MEASURES},
                      exposure=np.mean(exposure, axis=0), features=features)
    m0 = data.base["moda_m0_child_years"].mean(axis=0) / np.maximum(data.exposure, 1.0)
    has_current = plan.current is not None
    return _Collected(data=data, current_cov=_nanmean0(cur_cov) if has_current else None,
                      current_cost=cur_cost.mean(axis=0) if has_current else None,
                      current_total=float(cur_total.mean()) if has_current else 0.0, base_m0=m0)


def _nanmean0(x: np.ndarray) -> np.ndarray:
    """Mean over the first axis ignoring NaN; 0 where every value is NaN."""
    n = np.isfinite(x).sum(axis=0)
    return np.where(n > 0, np.nansum(x, axis=0) / np.maximum(n, 1), 0.0)


# --------------------------------------------------------------------------- the pipeline


def _money(x: float) -> str:
    return f"{x / 1e6:,.2f} M"


def _label(plan: Plan, level: float) -> str:
    """Name of the plan at a budget level (``plan_275M``; ``plan_min_cost``)."""
    return plan_label(plan.objective.sense, level)


def run_plan(file: str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None,
             workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None,
             reporter: Any = None, command_line: Sequence[str] | None = None, figures: bool = True,
             executor: Executor | None = None) -> PlanResult:
    """Plan (or resume planning) the allocation of a plan file.

    Parameters
    ----------
    file
        The plan file (``plans/*.toml``).
    out
        Plan folder (default ``results/plan-<name>``); model runs are kept in
        ``<out>/runs``, the plan in ``<out>/plan``.
    workers, scheduler, dask_local
        Where model runs execute (see :func:`povsim.experiment.executors.make_executor`).
    reporter
        Messages and progress (a :class:`povsim.experiment.batch.Reporter`).
    command_line
        Recorded in the manifest (default ``sys.argv``).
    figures
        Draw the figures.
    executor
        Use this executor instead (tests).

    Returns
    -------
    PlanResult

    Raises
    ------
    ScenarioErrors
        The plan file (or a scenario it names) is invalid; nothing is written.
    RunError
        Model runs failed (exit code 1 from the command line; rerun to retry them).
    PlanError
        The plan is infeasible, or the folder is taken by another process.
    """
    from povsim.output import atomic_write_text

    t_start = time.perf_counter()
    rep = reporter if reporter is not None else SilentReporter()
    plan = load_plan(file)
    folder = plan_folder(plan, out)
    _check_folder(folder)
    store = RunStore(folder)
    store.create()
    timings: dict[str, float] = {}
    with store.locked():
        store.clean_temporary()

        def make() -> Executor:
            return executor if executor is not None else make_executor(workers, scheduler, dask_local)

        runner = _Runner(store, rep, make)
        area = dsg.plan_area(plan)
        draws = dsg.parameter_draws(plan)
        des = _design_specs(plan, area, draws)
        # every run of the design is listed before any runs (the verification's are added later)
        atomic_write_text(folder / "keyspace.csv", _keyspace(des, []).to_csv(index=False, lineterminator="\n"))
        rep.message(f"plan {plan.name}: {len(area.decided)} villages in {len(area.units)} {plan.unit} unit(s) x "
                    f"{len(plan.interventions)} interventions; {len(des.base)} scenario(s) "
                    f"({plan.design.draws} parameter draw(s) x {plan.design.seeds_per_draw} seed(s)); folder {folder}")
        t = time.perf_counter()
        runner.run(des.specs, "design runs")
        timings["design_runs"] = time.perf_counter() - t

        t = time.perf_counter()
        col = _collect(plan, area, des, store)
        weights = {m: float(w) for m, w in plan.objective.weights.items()}
        types = village_types(col.data, weights, plan.design.village_types, plan.seed)
        names = plan.names
        requires = [(names.index(iv.name), names.index(r)) for iv in plan.interventions for r in iv.requires]
        inter = plan.design.interactions
        if not isinstance(inter, str):
            inter = [(names.index(a), names.index(b)) for a, b in inter]
        sur = fit_surrogate(col.data, weights, types=types, interactions=inter,
                            t_threshold=plan.design.interaction_t, requires=requires)
        costs = fit_costs(col.data)
        scale = 1.0
        if plan.budget.scale == "current_cost":
            if col.current_total <= 0:
                raise PlanError("budget.scale = \"current_cost\" but the current allocation booked no cost")
            scale = col.current_total / float(plan.budget.reference_rmb)
        equity = equity_weights(col.base_m0, plan.objective.equity_aversion)
        pm = PlanModel(plan=plan, area=area, surrogate=sur, costs=costs, years=col.data.years, scale=scale,
                       equity=equity, baseline_m0=col.base_m0, current_cov=col.current_cov,
                       current_cost=col.current_cost, current_total=col.current_total)
        timings["fitting"] = time.perf_counter() - t

        t = time.perf_counter()
        solver = Solver(time_limit=plan.solver.time_limit, mip_rel_gap=plan.solver.mip_rel_gap)
        opt = _optimise(pm, solver, rep)
        timings["optimisation"] = time.perf_counter() - t

        t = time.perf_counter()
        ver = _verify(plan, area, pm, opt, draws, runner, store) if plan.verify.replicates > 0 else {}
        timings["verification_runs_and_analysis"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - t_start

        keyspace = _keyspace(des, ver.get("specs", []))
        atomic_write_text(folder / "keyspace.csv", keyspace.to_csv(index=False, lineterminator="\n"))
        tables = _tables(plan, pm, col, sur, costs, opt, ver, solver, timings)
        summary = _summary(plan, pm, opt, ver, timings, runner)
        final = _write(plan, folder, tables, summary, figures, command_line, timings, runner, len(keyspace))
    return PlanResult(folder=final, tables=tables, summary=summary, runs_executed=runner.executed, timings=timings)


def _check_folder(folder: Path) -> None:
    """Refuse a folder that holds something other than a plan (nothing else is replaced)."""
    from povsim.errors import OutputError

    if not folder.exists():
        return
    if not folder.is_dir():
        raise OutputError(f"{folder} exists and is not a folder; choose another --out")
    entries = {p.name for p in folder.iterdir()}
    if entries and not entries & {"runs", "plan"}:
        raise OutputError(f"{folder} exists and is not a povsim plan folder ({', '.join(sorted(entries)[:5])} ...); "
                          "choose another --out")
    previous = folder / "plan"
    if previous.exists() and not (previous / "manifest.json").is_file():
        raise OutputError(f"{previous} exists and is not a plan written by povsim (no manifest.json); move it or "
                          "choose another --out")


def _keyspace(des: _Design, vspecs: list[PlanRunSpec]) -> pd.DataFrame:
    rows = [{"run_key": s.key, "role": s.role, "seed": s.seed, **dict(s.info), "scenario_name": s.scenario.name}
            for s in [*des.specs, *vspecs]]
    return pd.DataFrame(rows).drop_duplicates("run_key")


def _optimise(pm: PlanModel, solver: Solver, rep) -> dict[str, Any]:
    plan = pm.plan
    o = plan.objective
    levels = sorted(plan.budget.levels_rmb)
    main_level = plan.main_budget
    out: dict[str, Any] = {"levels": {}, "problems": {}}
    minimise = o.sense == "minimise_cost"
    for lv in levels:
        B = lv * pm.scale
        p = pm.problem(None if minimise else B)
        s = solver(p, pm.objective(), _label(plan, lv))
        if not s.ok:
            at = "" if minimise else f" at a budget of {_money(lv)} RMB"
            raise PlanError(f"no allocation meets the plan's constraints{at} ({s.status}: {s.message}); relax a "
                            "constraint" + ("" if minimise else " or raise the budget"))
        out["levels"][lv] = s
        out["problems"][lv] = p
        simulated = _money(B) if not minimise else "none"
        rep.message(f"{_label(plan, lv)} (simulated budget {simulated}): expected outcome {s.expected:,.1f}, "
                    f"CVaR {s.cvar:,.1f}, cost {_money(s.cost)}, {int((s.level_index >= 0).sum())} sites, "
                    f"optimality gap {s.gap:.2e} ({s.status}, {s.seconds:.1f} s)")
        if minimise:
            break
    if main_level not in out["levels"]:  # minimise_cost: the one plan
        main_level = next(iter(out["levels"]))
    main, p_main = out["levels"][main_level], out["problems"][main_level]
    out["main"], out["p_main"], out["main_level"] = main, p_main, main_level
    alpha = o.cvar_level
    fr = plan.budget.frontier_rmb
    grid = list(fr) if fr else list(np.linspace(max(levels) * 1.5 / plan.budget.frontier_points, max(levels) * 1.5,
                                                plan.budget.frontier_points))
    out["frontier"] = frontier(pm, solver, [g * pm.scale for g in grid], alpha)
    out["shadow"] = pd.DataFrame([shadow_price(pm, solver, lv * pm.scale, out["levels"][lv].objective)
                                  for lv in out["levels"]]) if not minimise else pd.DataFrame()
    out["marginal"] = marginal_returns(pm, p_main, main)
    out["marginal_by_intervention"] = marginal_by_intervention(out["marginal"])
    out["binding"] = binding_constraints(pm, p_main, main)
    out["alternatives"], out["alt_solutions"] = alternatives(pm, solver, p_main, main)
    out["stability"], out["each"] = stability(pm, solver, p_main, main)
    out["rollout"] = rollout(pm, p_main, main)
    out["greedy"] = greedy(pm.problem(None if minimise else main_level * pm.scale, constraints=False))
    return out


def _allocations(pm: PlanModel, opt: dict[str, Any]) -> dict[str, tuple[str, np.ndarray, float]]:
    """Verified allocations: name -> (description, village coverage (V, I), cost)."""
    out = {}
    for lv, s in opt["levels"].items():
        what = (f"cheapest allocation reaching {pm.plan.objective.target:g}"
                if pm.plan.objective.sense == "minimise_cost" else f"optimal allocation at {_money(lv)} RMB")
        out[_label(pm.plan, lv)] = (what, pm.coverage(s.level_index), s.cost)
    if pm.plan.verify.alternative:
        for x, a in zip(pm.plan.alternatives.within, opt["alt_solutions"], strict=True):
            if a.ok:
                out[f"alternative_{x:g}"] = (f"simplest allocation within {x:.0%} of the optimum at "
                                             f"{_money(opt['main_level'])} RMB", pm.coverage(a.level_index), a.cost)
                break
    return out


def _verify(plan: Plan, area: dsg.Area, pm: PlanModel, opt: dict[str, Any], draws: list[dict[str, float]],
            runner: _Runner, store: RunStore) -> dict[str, Any]:
    allocs = _allocations(pm, opt)
    firsts: dict[bytes, str] = {}
    for n, (what, cov, cost) in list(allocs.items()):
        first = firsts.setdefault(cov.tobytes(), n)
        if first != n:  # the same runs (same keys) serve both: say so
            allocs[n] = (f"{what} (the same allocation as {first})", cov, cost)
    R, D, spd = plan.verify.replicates, len(draws), plan.design.seeds_per_draw
    base_sc = dsg.baseline_scenario(plan)
    scen = {n: dsg.allocation_scenario(plan, area, {iv: cov[:, i] for i, iv in enumerate(plan.names)},
                                       f"{plan.name}_{n}".replace(".", "_"))
            for n, (_, cov, _) in allocs.items()}
    specs, by = [], {}
    runs = {"baseline": base_sc, **({"current": plan.current} if plan.current is not None else {}), **scen}
    for r in range(R):
        point, seed = draws[r % D], dsg.verify_seed(plan, r)
        for n, sc in runs.items():
            by[(n, r)] = dsg.spec(plan, sc, point, seed, n, phase="verify", replicate=r, draw=r % D)
            specs.append(by[(n, r)])
    runner.run(specs, "verification runs")
    start = plan.scenario.time.start_year
    rate = plan.discount_rate if plan.objective.discount_outcomes else 0.0
    vill = area.decided
    weights = pm.weights
    names = [*(["current"] if plan.current is not None else []), *allocs]
    measured = {n: np.zeros(R) for n in names}
    per_measure = {n: {m: np.zeros(R) for m in MEASURES} for n in names}
    predicted = {n: np.zeros(R) for n in names}
    pred_measure = {n: {m: np.zeros(R) for m in MEASURES} for n in names}
    covs = {n: a[1] for n, a in allocs.items()}
    if plan.current is not None:
        covs["current"] = pm.current_cov
    W = pm.surrogate.scenarios
    for r in range(R):
        base = village_outcomes(store.read(by[("baseline", r)].key, RUN_TABLES), vill, start, rate)
        ws = [w for w in range(W) if w // spd == r % D]
        for n in names:
            run = village_outcomes(store.read(by[(n, r)].key, RUN_TABLES), vill, start, rate)
            measured[n][r], per = measured_objective(run, base, weights, pm.equity)
            for m in MEASURES:
                per_measure[n][m][r] = per[m]
                pred_measure[n][m][r] = pm.surrogate.effect(m, covs[n])[ws].sum(axis=1).mean()
            predicted[n][r] = pm.benefit_of(covs[n], intercept=True)[ws].sum(axis=1).mean()
    costs = {n: a[2] for n, a in allocs.items()}
    labels = {n: a[0] for n, a in allocs.items()}
    if plan.current is not None:
        costs["current"] = pm.current_total
        labels["current"] = "the current allocation (as its scenario file describes it)"
    vt = verification_table(measured, predicted, costs, labels)
    pt = pairs_table(measured, per_measure)
    mrows = []
    for n in names:
        for m in MEASURES:
            vals = per_measure[n][m]
            mrows.append({"allocation": n, "measure": m, "unit": MEASURES[m].unit,
                          "surrogate": pred_measure[n][m].mean(),
                          "model": vals.mean(), "model_sd": vals.std(ddof=1) if R > 1 else np.nan,
                          "error": (vals - pred_measure[n][m]).mean()})
    return {"specs": specs, "table": vt, "pairs": pt, "measures": pd.DataFrame(mrows), "measured": measured,
            "predicted": predicted, "allocations": allocs}


# --------------------------------------------------------------------------- tables and files


def _tables(plan: Plan, pm: PlanModel, col: _Collected, sur, costs, opt, ver, solver: Solver,
            timings) -> dict[str, pd.DataFrame]:
    t: dict[str, pd.DataFrame] = {}
    alloc = []
    for lv, s in opt["levels"].items():
        funding = s.funding
        alloc.append(pm.allocation_table(s.level_index, funding, _label(plan, lv)))
    for x, a in zip(plan.alternatives.within, opt["alt_solutions"], strict=True):
        if a.ok:
            alloc.append(pm.allocation_table(a.level_index, a.funding, f"alternative_{x:g}"))
    t["allocation"] = pd.concat(alloc, ignore_index=True)
    vf = pm.area.frame()
    vf["type"] = sur.types
    vf["children"] = sur.exposure
    vf["baseline_outcome_m0_per_child"] = col.base_m0
    vf["equity_weight"] = pm.equity
    main = opt["main"]
    cov = pm.coverage(main.level_index)
    for i, n in enumerate(plan.names):
        vf[f"level_{n}"] = cov[:, i]
        if pm.current_cov is not None:
            vf[f"current_{n}"] = pm.current_cov[:, i]
    vf["objective_plan"] = pm.benefit_of(cov).mean(axis=0)
    if pm.current_cov is not None:
        vf["objective_current"] = pm.benefit_of(pm.current_cov).mean(axis=0)
    vf["cost_plan_rmb_simulated"] = costs.cost(cov).sum(axis=(1, 2))
    if pm.current_cost is not None:
        vf["cost_current_rmb_simulated"] = pm.current_cost.sum(axis=(1, 2))
    t["villages"] = vf
    t["frontier"] = opt["frontier"]
    cur = _current_point(pm, opt["p_main"])
    if cur is not None:
        t["frontier"] = pd.concat([t["frontier"], pd.DataFrame([cur])], ignore_index=True)
    t["shadow_price"] = opt["shadow"]
    t["marginal_returns"] = opt["marginal"]
    t["marginal_by_intervention"] = opt["marginal_by_intervention"]
    t["binding_constraints"] = opt["binding"]
    t["alternatives"] = opt["alternatives"]
    t["stability"] = opt["stability"]
    t["rollout"] = opt["rollout"]
    t["surrogate"] = sur.table()
    t["interactions"] = sur.interaction_tests
    t["probabilities"] = _probabilities(pm, opt)
    t["optimality"] = solver.table()
    t["cost_model"] = _cost_table(pm)
    levels = []
    for lv, s in opt["levels"].items():
        p = opt["problems"][lv]
        g = greedy(pm.problem(lv * pm.scale, constraints=False)) if plan.objective.sense == "maximise_outcome" else None
        gb = float(p.probs @ evaluate(p, g)) if g is not None else np.nan
        levels.append({"budget_rmb_plan": lv, "budget_rmb_simulated": lv * pm.scale, "status": s.status,
                       "expected": s.expected, "cvar": s.cvar, "objective": s.objective, "bound": s.bound,
                       "gap": s.gap, "cost_rmb_simulated": s.cost, "cost_rmb_plan": s.cost / pm.scale,
                       "sites": int((s.level_index >= 0).sum()),
                       "units_served": int((s.level_index >= 0).any(axis=1).sum()),
                       "greedy_expected_same_budget": gb, "seconds": s.seconds})
    t["plans"] = pd.DataFrame(levels)
    if ver:
        t["verification"] = ver["table"]
        t["verification_pairs"] = ver["pairs"]
        t["verification_measures"] = ver["measures"]
    t["timings"] = pd.DataFrame([{"phase": k, "seconds": round(v, 3)} for k, v in timings.items()])
    return t


def _current_point(pm: PlanModel, p) -> dict | None:
    if pm.current_cov is None:
        return None
    b = pm.benefit_of(pm.current_cov).sum(axis=1)
    lo, hi = band(b)
    return {"budget_rmb_simulated": pm.current_total, "budget_rmb_plan": pm.current_total / pm.scale,
            "objective": "current allocation", "status": "surrogate", "expected": float(b.mean()),
            "cvar": cvar(b, p.probs, pm.plan.objective.cvar_level), "band_lo": lo, "band_hi": hi,
            "cost_rmb_simulated": pm.current_total}


def _probabilities(pm: PlanModel, opt: dict[str, Any]) -> pd.DataFrame:
    """Surrogate-based: share of scenarios in which the main plan beats each alternative."""
    p, main = opt["p_main"], opt["main"]
    rows = []
    others = {"greedy split": evaluate(p, opt["greedy"])}
    if pm.current_cov is not None:
        others["current allocation"] = pm.benefit_of(pm.current_cov).sum(axis=1)
    for x, a in zip(pm.plan.alternatives.within, opt["alt_solutions"], strict=True):
        if a.ok:
            others[f"alternative within {x:.0%}"] = a.benefit
    for name, b in others.items():
        d = main.benefit - b
        rows.append({"versus": name, "p_plan_better": float(np.mean(d > 0)), "mean_difference": float(d.mean()),
                     "scenarios": len(d)})
    return pd.DataFrame(rows)


def _cost_table(pm: PlanModel) -> pd.DataFrame:
    area = pm.area.frame()
    rows = []
    for v in range(len(area)):
        for i, n in enumerate(pm.interventions):
            for y, yr in enumerate(pm.years):
                rows.append((area["name"].iat[v], n, int(yr), pm.costs.fixed[v, i, y], pm.costs.per_coverage[v, i, y],
                             pm.costs.units_per_coverage[v, i, y]))
    return pd.DataFrame(rows, columns=["village", "intervention", "year", "fixed_rmb", "rmb_per_full_coverage",
                                       "units_per_full_coverage"])


def _summary(plan: Plan, pm: PlanModel, opt, ver, timings, runner: _Runner) -> str:
    L = [f"plan {plan.name}: {len(pm.area.decided)} villages ({plan.decide}) in {len(pm.area.units)} {plan.unit} "
         f"unit(s) x {len(plan.interventions)} interventions ({', '.join(plan.names)})"]
    w = ", ".join(f"{m} x {v:g}" for m, v in plan.objective.weights.items() if v)
    L.append(f"objective: {plan.objective.sense} ({plan.objective.risk}"
             + (f", CVaR at {plan.objective.cvar_level:g}" if plan.objective.risk == "cvar" else "")
             + f"); outcome = {w}" + (f"; equity aversion {plan.objective.equity_aversion:g}"
                                      if plan.objective.equity_aversion else ""))
    if plan.current is not None:
        extra = sorted(set(n for n, c in plan.current.interventions.items() if c.get("enabled", True))
                       - set(plan.names))
        if extra:
            L.append(f"note: the current allocation also uses {', '.join(extra)}, which this plan does not decide; "
                     "its surrogate prediction leaves them out (its model result and cost include them)")
    if plan.budget.scale == "current_cost":
        L.append(f"budget scale: the current allocation costs {_money(pm.current_total)} RMB in the simulated area "
                 f"for {_money(plan.budget.reference_rmb)} RMB in reality: 1 RMB of the plan = {pm.scale:.4f} "
                 "simulated RMB")
    L.append("")
    L.append("plan                budget (plan RMB)   expected   CVaR   cost (plan RMB)   sites   optimality gap")
    for lv, s in opt["levels"].items():
        budget = "-" if plan.objective.sense == "minimise_cost" else _money(lv)
        L.append(f"{_label(plan, lv):<18}  {budget:>17}   {s.expected:8,.1f}   {s.cvar:6,.1f}   "
                 f"{_money(s.cost / pm.scale):>15}   {int((s.level_index >= 0).sum()):5d}   {s.gap:.2e} ({s.status})")
    sh = opt["shadow"]
    if len(sh):
        r = sh[sh["budget_rmb_plan"] == opt["main_level"]]
        if len(r):
            r = r.iloc[0]
            L.append(f"shadow price of the budget at {_money(opt['main_level'])} RMB: "
                     f"{r['finite_difference_per_million_plan']:,.2f} outcome units per extra million RMB "
                     f"(exact, +-5 %); LP relaxation dual {r['lp_dual_per_million_plan']:,.2f}")
    b = opt["binding"]
    if len(b):
        L.append("binding constraints: " + (", ".join(b.loc[b["binding"], "constraint"]) or "none"))
    L.append("")
    if ver:
        vt = ver["table"]
        L.append("verification in the full model "
                 f"({plan.verify.replicates} fresh replicates, paired with the baseline: common random numbers)")
        L.append("allocation              surrogate   model [95% interval]              error")
        for _, r in vt.iterrows():
            L.append(f"{r['allocation']:<22} {r['surrogate']:10,.1f}   {r['model']:9,.1f} [{r['model_lo']:9,.1f}, "
                     f"{r['model_hi']:9,.1f}]   {r['error']:+9,.1f} ({r['relative_error']:+.1%})")
        pt = ver["pairs"]
        if plan.current is not None:
            main_name = _label(plan, opt["main_level"])
            q = pt[(pt["allocation"] == main_name) & (pt["versus"] == "current") & (pt["measure"] == "objective")]
            if len(q):
                q = q.iloc[0]
                verdict = ("beats the current allocation: the interval excludes zero" if q["lo"] > 0 else
                           "does NOT beat the current allocation with an interval that excludes zero")
                L.append(f"{main_name} - current: {q['difference']:+,.1f} [{q['lo']:+,.1f}, {q['hi']:+,.1f}], "
                         f"better in {q['p_better']:.0%} of replicates: the plan {verdict}")
    L.append("")
    L.append(f"model runs: {runner.executed} executed now ({runner.seconds:.0f} s); timings: "
             + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return "\n".join(L) + "\n"


def _write(plan: Plan, folder: Path, tables, summary: str, figures: bool, command_line, timings, runner,
           n_runs: int) -> Path:
    from povsim.output import atomic_write_csv, atomic_write_text, results_dir, save_figure, write_manifest

    with results_dir(folder / "plan", plan.name, kind="plan", force=True) as d:
        for name, df in tables.items():
            atomic_write_csv(d / "tables" / f"{name}.csv", df)
        atomic_write_text(d / "summary.txt", summary)
        atomic_write_text(d / "plan.toml", plan.text)
        for f in (plan.scenario, plan.current):
            if f is not None:
                atomic_write_text(d / "scenarios" / f"{f.name}.resolved.toml", f.to_toml())
        if figures:
            from povsim import __version__
            from povsim.plots.plan import plan_figures

            prov = f"povsim {__version__} · plan {plan.name}"
            for stem, fig in plan_figures(tables, provenance=prov).items():
                save_figure(fig, d / "figures" / stem)
        write_manifest(d, kind="plan", scenario_dict={"plan": plan.resolved_dict(),
                                         "scenarios": {s.name: s.resolved_dict() for s in (plan.scenario, plan.current)
                                                       if s is not None}},
                       seeds=[dsg.design_seed(plan, w) for w in range(plan.design.draws * plan.design.seeds_per_draw)]
                       + [dsg.verify_seed(plan, r) for r in range(plan.verify.replicates)],
                       input_files=plan.source_files,
                       command_line=list(command_line) if command_line is not None else list(sys.argv),
                       extra={"runs": n_runs, "runs_executed_now": runner.executed, "timings": timings,
                              "world_seed": plan.world_seed, "run_folder": str(folder)})
    return folder / "plan"
