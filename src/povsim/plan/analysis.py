"""What a planner reads off the optimum: frontier, shadow price, marginal returns,
binding constraints, near-optimal alternatives, stability across draws, roll-out order.

Every function takes a :class:`~povsim.plan.problem.PlanModel` (and solutions) and
returns a tidy table; nothing here runs the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from povsim.plan.optimise import Objective, Problem, Solution, cvar, evaluate, greedy, relaxation, solve
from povsim.plan.problem import PlanModel

__all__ = [
    "alternatives",
    "band",
    "binding_constraints",
    "frontier",
    "marginal_returns",
    "rollout",
    "shadow_price",
    "stability",
]


@dataclass
class Solver:
    """Solves problems with the plan's solver settings and keeps a log of every solve."""

    time_limit: float
    mip_rel_gap: float

    def __post_init__(self) -> None:
        self.log: list[dict] = []

    def __call__(self, p: Problem, obj: Objective, what: str) -> Solution:
        s = solve(p, obj, time_limit=self.time_limit, mip_rel_gap=self.mip_rel_gap)
        self.log.append({"solve": what, "objective_kind": obj.kind, "status": s.status, "objective": s.objective,
                         "bound": s.bound, "gap": s.gap, "seconds": s.seconds, "nodes": s.nodes,
                         "budget_rmb_simulated": p.budget if p.budget is not None else np.nan})
        return s

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.log)


def band(values: np.ndarray) -> tuple[float, float]:
    """The 5-95 % band of an outcome across scenarios (the value itself for one scenario)."""
    lo, hi = np.percentile(values, [5, 95]) if len(values) > 1 else (values[0], values[0])
    return float(lo), float(hi)


def frontier(pm: PlanModel, solver: Solver, budgets: list[float], alpha: float) -> pd.DataFrame:
    """Efficiency frontier: the best expected (and CVaR) outcome at each budget, with the
    5-95 % band of the optimal allocation's outcome across scenarios, and the greedy split."""
    rows = []
    for B in budgets:
        p = pm.problem(B)
        for kind in ("expected", "cvar"):
            s = solver(p, Objective(kind=kind, alpha=alpha), f"frontier {kind}")
            if not s.ok:
                rows.append({"budget_rmb_simulated": B, "budget_rmb_plan": B / pm.scale, "objective": kind,
                             "status": s.status})
                continue
            lo, hi = band(s.benefit)
            rows.append({"budget_rmb_simulated": B, "budget_rmb_plan": B / pm.scale, "objective": kind,
                         "status": s.status, "expected": s.expected, "cvar": s.cvar, "band_lo": lo, "band_hi": hi,
                         "cost_rmb_simulated": s.cost, "gap": s.gap, "bound": s.bound,
                         "sites": int((s.level_index >= 0).sum())})
        g = greedy(p)
        gb = evaluate(p, g)
        rows.append({"budget_rmb_simulated": B, "budget_rmb_plan": B / pm.scale, "objective": "greedy split",
                     "status": "heuristic", "expected": float(p.probs @ gb), "cvar": cvar(gb, p.probs, alpha),
                     "band_lo": band(gb)[0], "band_hi": band(gb)[1],
                     "cost_rmb_simulated": float(_cost(p, g)), "sites": int((g >= 0).sum())})
    return pd.DataFrame(rows)


def _cost(p: Problem, li: np.ndarray) -> float:
    from povsim.plan.optimise import allocation_cost

    return float(allocation_cost(p, li).sum())


def shadow_price(pm: PlanModel, solver: Solver, budget: float, value: float, step: float = 0.05) -> dict:
    """The budget's shadow price at ``budget``: the LP relaxation's dual and the central
    finite difference of the exact optimum at ``budget x (1 +- step)``; outcome per
    million RMB, simulated and in the plan file's RMB."""
    obj = pm.objective()
    rel = relaxation(pm.problem(budget), obj)
    dual = rel.duals.get("budget", np.array([np.nan]))
    lp = float(dual[0]) if len(dual) else np.nan
    up = solver(pm.problem(budget * (1 + step)), obj, "shadow price +")
    dn = solver(pm.problem(budget * (1 - step)), obj, "shadow price -")
    fd = (up.objective - dn.objective) / (2 * step * budget) if up.ok and dn.ok else np.nan
    fd_up = (up.objective - value) / (step * budget) if up.ok else np.nan
    return {"budget_rmb_simulated": budget, "budget_rmb_plan": budget / pm.scale,
            "lp_dual_per_million_simulated": lp * 1e6, "finite_difference_per_million_simulated": fd * 1e6,
            "next_step_per_million_simulated": fd_up * 1e6,
            "lp_dual_per_million_plan": lp * 1e6 * pm.scale, "finite_difference_per_million_plan": fd * 1e6 * pm.scale,
            "relaxation_objective": rel.objective, "step": step}


def marginal_returns(pm: PlanModel, p: Problem, s: Solution) -> pd.DataFrame:
    """For every unit and intervention at the chosen allocation: the outcome gained per
    million RMB by moving one level up, and lost per million RMB saved by moving one
    level down (expected over scenarios, interactions included)."""
    base = float(p.probs @ s.benefit)
    cost0 = _cost(p, s.level_index)
    lv = p.levels
    rows = []
    for u, unit in enumerate(p.units):
        for i, name in enumerate(p.interventions):
            cur = int(s.level_index[u, i])
            row = {"unit": unit, "intervention": name, "level": 0.0 if cur < 0 else float(lv[i, cur])}
            for tag, nxt in (("up", cur + 1), ("down", cur - 1)):
                if tag == "up" and (nxt >= lv.shape[1] or not np.isfinite(lv[i, nxt])):
                    continue
                if tag == "down" and cur < 0:
                    continue
                trial = s.level_index.copy()
                trial[u, i] = nxt
                db = float(p.probs @ evaluate(p, trial)) - base
                dc = _cost(p, trial) - cost0
                row[f"{tag}_level"] = 0.0 if nxt < 0 else float(lv[i, nxt])
                row[f"{tag}_outcome"] = db
                row[f"{tag}_cost_rmb_simulated"] = dc
                row[f"{tag}_per_million_simulated"] = db / dc * 1e6 if dc != 0 else np.nan
            rows.append(row)
    df = pd.DataFrame(rows)
    for col in ("up_per_million_simulated", "down_per_million_simulated"):
        if col in df:
            df[col.replace("simulated", "plan")] = df[col] * pm.scale
    return df


def marginal_by_intervention(mr: pd.DataFrame) -> pd.DataFrame:
    """Per intervention: units served, the best and median return of one more level."""
    out = []
    for name, g in mr.groupby("intervention", sort=False):
        up = g["up_per_million_plan"].dropna() if "up_per_million_plan" in g else pd.Series(dtype=float)
        dn = g["down_per_million_plan"].dropna() if "down_per_million_plan" in g else pd.Series(dtype=float)
        out.append({"intervention": name, "units_served": int((g["level"] > 0).sum()),
                    "best_next_level_per_million_plan": up.max() if len(up) else np.nan,
                    "median_next_level_per_million_plan": up.median() if len(up) else np.nan,
                    "median_last_level_per_million_plan": dn.median() if len(dn) else np.nan})
    return pd.DataFrame(out)


def binding_constraints(pm: PlanModel, p: Problem, s: Solution, tol: float = 1e-3) -> pd.DataFrame:
    """Every constraint group at the chosen allocation: rows, how many bind (slack within
    ``tol`` of the bound, relative), the smallest slack, and the LP relaxation's dual
    (outcome per unit of the constraint)."""
    rel = relaxation(p, pm.objective())
    rows = []
    for group, (act, lo, hi) in s.rows.items():
        if group in ("one level", "cvar shortfall") or group.startswith("interaction"):
            continue
        scale = np.maximum(np.maximum(np.abs(np.where(np.isfinite(hi), hi, 0)),
                                      np.abs(np.where(np.isfinite(lo), lo, 0))), 1.0)
        slack = np.minimum(np.where(np.isfinite(hi), hi - act, np.inf), np.where(np.isfinite(lo), act - lo, np.inf))
        binding = slack <= tol * scale
        dual = rel.duals.get(group, np.zeros(0))
        rows.append({"constraint": group, "rows": len(act), "binding_rows": int(binding.sum()),
                     "binding": bool(binding.any()), "min_slack": float(np.min(slack)) if len(slack) else np.nan,
                     "activity": float(act.sum()) if len(act) == 1 else np.nan,
                     "bound": float(hi[0] if np.isfinite(hi[0]) else lo[0]) if len(act) == 1 else np.nan,
                     "lp_dual_max_abs": float(np.max(np.abs(dual))) if len(dual) else 0.0})
    return pd.DataFrame(rows)


def alternatives(pm: PlanModel, solver: Solver, p: Problem, s: Solution) -> tuple[pd.DataFrame, list[Solution]]:
    """Near-optimal allocations that are simpler: fewest sites (or interventions) with the
    plan's objective within ``within`` of the optimum, under the same constraints."""
    o = pm.plan.objective
    risk = o.risk if o.sense == "maximise_outcome" else "expected"
    best = s.cvar if risk == "cvar" else s.expected
    rows, sols = [], []
    for x in pm.plan.alternatives.within:
        obj = Objective(kind="simplicity", simplicity=pm.plan.alternatives.simplicity, risk=risk,
                        alpha=o.cvar_level, target=best - x * abs(best))
        a = solver(p, obj, f"alternative within {x:.0%}")
        sols.append(a)
        if not a.ok:
            rows.append({"within": x, "status": a.status})
            continue
        rows.append({"within": x, "status": a.status, "expected": a.expected, "cvar": a.cvar,
                     "cost_rmb_simulated": a.cost, "sites": int((a.level_index >= 0).sum()),
                     "interventions_used": int((a.level_index >= 0).any(axis=0).sum()),
                     "units_served": int((a.level_index >= 0).any(axis=1).sum()), "gap": a.gap,
                     "sites_optimum": int((s.level_index >= 0).sum()),
                     "interventions_optimum": int((s.level_index >= 0).any(axis=0).sum())})
    return pd.DataFrame(rows), sols


def stability(pm: PlanModel, solver: Solver, p: Problem, s: Solution) -> tuple[pd.DataFrame, np.ndarray]:
    """Each unit's stability across scenarios: the share of scenario-wise optimal
    allocations (each scenario's surfaces alone) that give it the chosen levels.

    Returns the table and the ``(W, U, I)`` scenario-wise allocations.
    """
    W = len(p.probs)
    each = np.empty((W, *s.level_index.shape), dtype=np.int64)
    obj = pm.objective()
    for w in range(W):
        o = Objective(kind="expected" if obj.kind in ("expected", "cvar") else obj.kind, alpha=obj.alpha,
                      risk="expected", target=obj.target, scenario=w)
        sw = solver(p, o, f"scenario {w}")
        each[w] = sw.level_index if sw.ok else -2
    same = each == s.level_index[None]
    rows = []
    for u, unit in enumerate(p.units):
        row = {"unit": unit, "stability": float(same[:, u, :].all(axis=1).mean()),
               "served": bool((s.level_index[u] >= 0).any()),
               "served_share_of_scenarios": float((each[:, u, :] >= 0).any(axis=1).mean())}
        for i, name in enumerate(p.interventions):
            row[f"same_{name}"] = float(same[:, u, i].mean())
        rows.append(row)
    return pd.DataFrame(rows), each


def rollout(pm: PlanModel, p: Problem, s: Solution) -> pd.DataFrame:
    """Roll-out order: units ranked by expected outcome per RMB of their allocation; with
    ``rollout.new_sites_per_year`` the first ``k`` start in the first programme year, the
    next ``k`` a year later, ... (a unit's outcome accrues while it is served, so the
    units that return most per site go first)."""
    served = np.flatnonzero((s.level_index >= 0).any(axis=1))
    rows = []
    for u in served:
        alone = np.full_like(s.level_index, -1)
        alone[u] = s.level_index[u]
        b = float(p.probs @ evaluate(p, alone))
        c = _cost(p, alone)
        rows.append({"unit": p.units[u], "outcome": b, "cost_rmb_simulated": c,
                     "outcome_per_million_simulated": b / c * 1e6 if c > 0 else np.inf,
                     "sites": int((s.level_index[u] >= 0).sum())})
    df = pd.DataFrame(rows, columns=["unit", "outcome", "cost_rmb_simulated", "outcome_per_million_simulated",
                                     "sites"])
    df = df.sort_values("outcome_per_million_simulated", ascending=False, kind="stable").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    pace = pm.plan.rollout.new_sites_per_year
    years = list(pm.years)
    if pace is None:
        df["start_year"] = years[0] if years else np.nan
        df["within_programme"] = True
    else:
        k = np.arange(len(df)) // pace
        first = years[0] if years else pm.plan.programme_years[0]
        df["start_year"] = first + k
        df["within_programme"] = df["start_year"] <= (years[-1] if years else pm.plan.programme_years[1])
    return df
