"""The allocation solver against known answers: analytic optima of concave response
curves, fixed costs where the greedy split fails, CVaR and every constraint against
brute-force enumeration of tiny problems."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from povsim.plan.optimise import (
    CapacityLimit,
    Funder,
    GroupLimit,
    Objective,
    Problem,
    allocation_cost,
    cvar,
    evaluate,
    greedy,
    relaxation,
    solve,
)

# --------------------------------------------------------------------------- analytic optima


def sqrt_problem(a: np.ndarray, budget: float, unit_cost: float = 100.0, steps: int = 100) -> Problem:
    """Unit u spends x = unit_cost * c on a grid of coverages c and gains a_u sqrt(x)."""
    lv = np.arange(1, steps + 1) / steps
    U = len(a)
    benefit = np.zeros((1, U, 1, steps))
    cost = np.zeros((U, 1, steps, 1))
    for u in range(U):
        benefit[0, u, 0] = a[u] * np.sqrt(unit_cost * lv)
        cost[u, 0, :, 0] = unit_cost * lv
    return Problem(units=[f"u{u}" for u in range(U)], interventions=["x"], levels=lv[None], benefit=benefit,
                   probs=np.ones(1), cost=cost, budget=budget)


@pytest.mark.parametrize("a, budget", [((1.0, 2.0, 3.0), 150.0), ((0.5, 1.0, 1.5, 4.0), 110.0)])
def test_concave_curves_reach_the_analytic_optimum(a, budget):
    # max sum a_u sqrt(x_u) s.t. sum x_u = B: equal marginal returns a_u / (2 sqrt(x_u)) = lambda
    # give x_u = B a_u^2 / sum a^2 and the optimum sqrt(B sum a^2) (all interior: 1 <= x_u <= 100)
    a = np.asarray(a)
    p = sqrt_problem(a, budget)
    s = solve(p)
    assert s.status == "optimal" and s.gap <= 1e-6
    x_star = budget * a**2 / (a**2).sum()
    x = s.coverage[:, 0] * 100.0
    # on a grid of 1 RMB the solution is within a couple of grid steps of the analytic one
    assert np.all(np.abs(x - x_star) <= 2.0 + 1e-9)
    value_star = np.sqrt(budget * (a**2).sum())
    assert s.objective == pytest.approx(value_star, rel=2e-4)
    assert s.objective <= value_star + 1e-9  # the grid cannot beat the continuous optimum
    # discrete KKT: no unit's next step returns more per RMB than any unit's last step
    up = a * (np.sqrt(x + 1.0) - np.sqrt(x))
    down = a * (np.sqrt(x) - np.sqrt(x - 1.0))
    assert up.max() <= down.min() + 1e-9
    # the budget's shadow price is the common marginal return lambda = sqrt(sum a^2 / B) / 2
    lam = np.sqrt((a**2).sum() / budget) / 2
    dual = relaxation(p).duals["budget"][0]
    assert dual == pytest.approx(lam, rel=0.02)


def test_fixed_costs_defeat_the_greedy_split_but_not_the_solver():
    # a centre in village A: cost 100 (set-up included), benefit 100; two cheap items with a
    # better ratio (1.5, 1.0) in B and C.  Greedy buys B and C first and then cannot afford A.
    benefit = np.array([100.0, 15.0, 10.0]).reshape(1, 3, 1, 1)
    cost = np.array([100.0, 10.0, 10.0]).reshape(3, 1, 1, 1)
    p = Problem(units=["A", "B", "C"], interventions=["centre"], levels=np.array([[1.0]]), benefit=benefit,
                probs=np.ones(1), cost=cost, budget=100.0)
    g = greedy(p)
    assert evaluate(p, g)[0] == pytest.approx(25.0)
    s = solve(p)
    assert s.level_index[:, 0].tolist() == [0, -1, -1]
    assert s.objective == pytest.approx(100.0)


# --------------------------------------------------------------------------- brute force


def random_problem(seed: int, S: int = 5, U: int = 3, Y: int = 2) -> Problem:
    """Two interventions: 'cov' at coverage 0.5 or 1, 'site' on/off with a fixed cost."""
    rng = np.random.default_rng(seed)
    levels = np.array([[0.5, 1.0], [1.0, np.nan]])
    benefit = rng.normal(2.0, 1.5, (S, U, 2, 2))
    benefit[..., 1, 1] = 0.0
    cost = rng.uniform(1.0, 3.0, (U, 2, 2, Y))
    cost[:, 0, 1] = cost[:, 0, 0] * rng.uniform(1.2, 2.2, (U, 1))  # full coverage costs more
    cost[:, 1, 1] = 0.0
    g = rng.normal(0.0, 1.0, (S, U))
    return Problem(units=[f"u{u}" for u in range(U)], interventions=["cov", "site"], levels=levels,
                   benefit=benefit, probs=np.full(S, 1.0 / S), cost=cost, interactions=[(0, 1, g)])


def allocations(p: Problem):
    U = len(p.units)
    choices = [(-1, 0, 1), (-1, 0)] * U
    for combo in itertools.product(*choices):
        yield np.array(combo).reshape(U, 2)


def feasible(p: Problem, li: np.ndarray) -> bool:
    """Every constraint checked directly (independent of the solver's rows)."""
    on = li >= 0
    if p.min_level is not None:
        for i, m in enumerate(p.min_level):
            if m > 0 and not np.all(np.nan_to_num(p.levels[i])[np.maximum(li[:, i], 0)] * on[:, i] >= m - 1e-12):
                return False
    for i, k in p.requires:
        if np.any(on[:, i] & ~on[:, k]):
            return False
    per = np.array([[p.cost[u, i, li[u, i]] if on[u, i] else np.zeros(p.cost.shape[3]) for i in range(2)]
                    for u in range(len(p.units))])  # (U, I, Y)
    total = per.sum()
    if p.budget is not None and total > p.budget + 1e-9:
        return False
    if p.budget_per_year is not None and np.any(per.sum(axis=(0, 1)) > p.budget_per_year + 1e-9):
        return False
    by_iv = per.sum(axis=(0, 2))
    if p.funders:  # Hall's condition for paying every intervention from eligible funders
        for r in range(1, 3):
            for sub in itertools.combinations(range(2), r):
                cap = sum(f.amount for f in p.funders if f.interventions is None or set(sub) & set(f.interventions))
                if by_iv[list(sub)].sum() > cap + 1e-9:
                    return False
    for gl in p.groups:
        share = per[gl.units].sum()
        if share < gl.floor * total - 1e-9 or share > gl.cap * total + 1e-9:
            return False
    for cap in p.capacity:
        use = np.array([[cap.usage[u, i, li[u, i]] if on[u, i] else np.zeros(p.cost.shape[3]) for i in range(2)]
                        for u in range(len(p.units))]).sum(axis=(0, 1))
        if np.any(use > cap.available + 1e-9):
            return False
    if p.village_floor is not None:
        cov = np.where(on, np.nan_to_num(p.levels)[np.arange(2)[None, :], np.maximum(li, 0)], 0.0)
        for v in range(len(p.village_unit)):
            u = p.village_unit[v]
            b = sum(p.village_benefit[v, i, li[u, i]] for i in range(2) if on[u, i])
            b += p.village_interaction[0, v] * cov[u, 0] * cov[u, 1]
            if b < p.village_floor[v] - 1e-9:
                return False
    if p.worst_off is not None and p.worst_off_share > 0:
        spend = np.array([sum(p.village_cost[v, i, li[p.village_unit[v], i]] for i in range(2)
                              if on[p.village_unit[v], i]) for v in range(len(p.village_unit))])
        if spend[p.worst_off].sum() < p.worst_off_share * spend.sum() - 1e-9:
            return False
    return True


def brute(p: Problem, value) -> tuple[float, np.ndarray | None]:
    best, arg = -np.inf, None
    for li in allocations(p):
        if feasible(p, li):
            v = value(li)
            if v > best + 1e-12:
                best, arg = v, li
    return best, arg


def constrain(p: Problem, kind: str) -> Problem:
    Y = p.cost.shape[3]
    if kind == "budget":
        p.budget = 8.0
    elif kind == "per_year":
        p.budget_per_year = np.full(Y, 3.5)
    elif kind == "funders":
        p.budget = 10.0
        p.funders = [Funder("earmarked", 6.0, (1,)), Funder("any", 2.5)]
    elif kind == "groups":
        p.budget = 12.0
        p.groups = [GroupLimit("first", np.array([True, False, False]), floor=0.3, cap=0.6)]
    elif kind == "capacity":
        usage = np.zeros_like(p.cost)
        usage[:, 0] = np.array([1.0, 2.0])[None, :, None]  # coverage 0.5 uses 1, full uses 2 per year
        p.capacity = [CapacityLimit("volunteers", usage, np.full(Y, 3.0))]
    elif kind == "minimum":
        p.budget = 24.0
        p.min_level = np.array([1.0, 0.0])
    elif kind == "requires":
        p.budget = 8.0
        p.requires = [(0, 1)]
    elif kind == "village_floor":
        p.budget = 9.0
        p.village_unit = np.arange(len(p.units))
        p.village_benefit = p.benefit.mean(axis=0)
        p.village_interaction = p.interactions[0][2].mean(axis=0)[None, :]
        p.village_floor = np.array([1.0, np.nan, 0.5])
    elif kind == "worst_off":
        p.budget = 9.0
        p.village_unit = np.arange(len(p.units))
        p.village_cost = p.cost.sum(axis=-1)
        p.worst_off = np.array([False, False, True])
        p.worst_off_share = 0.4
    return p


KINDS = ["budget", "per_year", "funders", "groups", "capacity", "minimum", "requires", "village_floor", "worst_off"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", [1, 2])
def test_expected_optimum_equals_brute_force_under_each_constraint(kind, seed):
    p = constrain(random_problem(seed), kind)
    best, _ = brute(p, lambda li: float(p.probs @ evaluate(p, li)))
    assert np.isfinite(best)  # the case is feasible
    s = solve(p)
    assert s.status == "optimal"
    assert feasible(p, s.level_index)
    assert s.objective == pytest.approx(best, abs=1e-6)
    assert s.expected == pytest.approx(s.objective, abs=1e-6)  # the interaction linearisation is exact
    assert s.gap <= 1e-6


@pytest.mark.parametrize("alpha", [0.5, 0.7, 0.9])
@pytest.mark.parametrize("seed", [3, 4])
def test_cvar_optimum_equals_brute_force(alpha, seed):
    p = constrain(random_problem(seed, S=6), "budget")
    best, _ = brute(p, lambda li: cvar(evaluate(p, li), p.probs, alpha))
    s = solve(p, Objective(kind="cvar", alpha=alpha))
    assert s.status == "optimal"
    assert s.objective == pytest.approx(best, abs=1e-6)  # Rockafellar-Uryasev value = CVaR by definition
    assert s.cvar == pytest.approx(best, abs=1e-6)


def test_cvar_of_sorted_scenarios():
    v = np.array([5.0, 1.0, 3.0, 2.0])
    p = np.full(4, 0.25)
    assert cvar(v, p, 0.5) == pytest.approx(1.5)  # mean of the worst half: 1 and 2
    assert cvar(v, p, 0.625) == pytest.approx((1.0 * 0.25 + 2.0 * 0.125) / 0.375)  # a fractional scenario
    assert cvar(v, p, 0.0) == pytest.approx(v.mean())


def test_minimum_cost_to_reach_a_target_equals_brute_force():
    p = random_problem(5)
    target = 6.0
    costs = {}
    for li in allocations(p):
        if float(p.probs @ evaluate(p, li)) >= target - 1e-12:
            costs[li.tobytes()] = allocation_cost(p, li).sum()
    s = solve(p, Objective(kind="min_cost", target=target))
    assert s.status == "optimal"
    assert s.objective == pytest.approx(min(costs.values()), abs=1e-6)
    assert s.expected >= target - 1e-6


def test_simpler_alternative_keeps_the_outcome_with_fewer_sites():
    p = constrain(random_problem(6), "budget")
    s = solve(p)
    alt = solve(p, Objective(kind="simplicity", simplicity="sites", target=0.9 * s.objective))
    assert alt.status == "optimal"
    assert alt.expected >= 0.9 * s.objective - 1e-6
    assert (alt.level_index >= 0).sum() <= (s.level_index >= 0).sum()
    # brute force: no allocation within 10 % of the optimum uses fewer sites
    fewest = min(int((li >= 0).sum()) for li in allocations(p)
                 if feasible(p, li) and float(p.probs @ evaluate(p, li)) >= 0.9 * s.objective - 1e-9)
    assert (alt.level_index >= 0).sum() == fewest


def test_infeasible_problem_is_reported():
    p = random_problem(7)
    p.min_level = np.array([1.0, 1.0])
    p.budget = 0.5
    s = solve(p)
    assert s.status == "infeasible" and not s.ok


@pytest.mark.parametrize("kind", KINDS)
def test_each_brute_force_case_is_shaped_by_its_constraint(kind):
    # the cases above would pass vacuously if the constraint never changed the optimum
    changed = False
    for seed in (1, 2):
        free = random_problem(seed)
        free.budget = constrain(random_problem(seed), kind).budget
        p = constrain(random_problem(seed), kind)
        if kind in ("budget", "per_year"):
            free.budget = None
        changed |= solve(p).objective < solve(free).objective - 1e-9
    assert changed
