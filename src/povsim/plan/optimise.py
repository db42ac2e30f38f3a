"""The allocation problem as a mixed-integer linear program, solved exactly with HiGHS.

Decision: for every unit ``u`` (village, township or county) and intervention ``i`` one
level from a declared set — a coverage (0.25, 0.5 ...) or "on" for a discrete item such
as a centre — or none (level 0).  Binary ``z[u, i, l]`` picks level ``l``; at most one
per ``(u, i)`` (exactly one when a minimum level is required).

Responses are piecewise linear in the decision: the benefit of each level (and its cost
per year) is a number per unit, so any response curve — concave or not, with fixed
costs per site — is represented exactly at the declared levels.  Interactions between
two interventions enter as ``g[u] * c_i * c_k`` with ``c`` the chosen coverage; the
product of a binary and a coverage in [0, 1] is linearised exactly (McCormick bounds
are tight when one factor is binary).

Objectives (:class:`Objective`):

* ``expected``: maximise the probability-weighted mean benefit over scenarios;
* ``cvar``: maximise the conditional value at risk of the benefit at level ``alpha``
  (the mean of the worst ``1 - alpha`` share of scenarios), by the linearisation of
  Rockafellar & Uryasev (2000): ``max t - sum_s p_s eta_s / (1 - alpha)`` with
  ``eta_s >= t - B_s(z)``, ``eta_s >= 0``;
* ``min_cost``: minimise total cost subject to the expected (or CVaR) benefit reaching a
  target;
* ``simplicity``: minimise the number of sites (unit x intervention served) or of
  interventions used, subject to the benefit staying within a share of a given value
  (near-optimal alternatives that are simpler to administer).

Constraints (:class:`Problem`): total budget over the programme and per year;
earmarked funders (a funder pays only for its interventions, up to its amount); floors
and caps on spending by group (counties); capacity per year (volunteers, visits);
minimum levels; "requires" (parent training needs a centre); a floor on the benefit of
each village (e.g. "no village worse off than under the current allocation"); a floor
on the share of spending going to the worst-off villages.

``scipy.optimize.milp`` returns the solver's dual bound, so every solution comes with
its optimality gap.  :func:`relaxation` solves the LP relaxation with
``scipy.optimize.linprog`` (HiGHS) for the dual values (shadow prices) of the budget and
other constraints.

References
----------
Rockafellar, R. T. & Uryasev, S. (2000). Optimization of conditional value-at-risk.
Journal of Risk 2(3):21-41. doi:10.21314/JOR.2000.038
McCormick, G. P. (1976). Computability of global solutions to factorable nonconvex
programs: Part I. Mathematical Programming 10:147-175. doi:10.1007/BF01580665
Huangfu, Q. & Hall, J. A. J. (2018). Parallelizing the dual revised simplex method.
Mathematical Programming Computation 10:119-142. doi:10.1007/s12532-017-0130-5 (HiGHS)
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import optimize, sparse

from povsim.errors import PovsimError

__all__ = [
    "CapacityLimit",
    "Funder",
    "GroupLimit",
    "Objective",
    "PlanError",
    "Problem",
    "Solution",
    "relaxation",
    "solve",
]


class PlanError(PovsimError):
    """A plan that cannot be built or solved as asked."""


@dataclass(frozen=True)
class Funder:
    """A funder: pays up to ``amount`` for the interventions listed (``None``: any)."""

    name: str
    amount: float
    interventions: tuple[int, ...] | None = None


@dataclass(frozen=True)
class GroupLimit:
    """Share of total spending going to a group of units: between ``floor`` and ``cap``."""

    name: str
    units: np.ndarray  # bool (U,)
    floor: float = 0.0
    cap: float = 1.0


@dataclass(frozen=True)
class CapacityLimit:
    """``sum usage[u, i, l, y] z[u, i, l] <= available[y]`` for every programme year."""

    name: str
    usage: np.ndarray  # (U, I, L, Y)
    available: np.ndarray  # (Y,)


@dataclass
class Problem:
    """An allocation problem (see the module docstring).

    Attributes
    ----------
    units, interventions
        Names (``U`` units, ``I`` interventions).
    levels
        ``(I, L)``: the non-zero levels of each intervention (coverage in (0, 1]; 1 for
        an on/off item), padded with NaN where an intervention has fewer than ``L``.
    benefit
        ``(S, U, I, L)``: benefit of each level in each scenario (relative to level 0).
    probs
        ``(S,)`` scenario probabilities (sum to 1).
    cost
        ``(U, I, L, Y)``: cost of each level in each programme year (the same in every
        scenario: expected costs).
    interactions
        ``(i, k, g)`` with ``g`` of shape ``(S, U)``: benefit ``g[s, u] * c_i * c_k``.
    budget, budget_per_year
        Programme total and yearly limits (``None``: none).
    funders, groups, capacity
        See :class:`Funder`, :class:`GroupLimit` (shares of spending, e.g. county floors
        and caps), :class:`CapacityLimit`.
    min_level
        ``(I,)`` smallest allowed non-zero coverage (0: the intervention may be off).
    requires
        ``(i, k)``: intervention ``i`` only where ``k`` is chosen.
    village_benefit, village_interaction, village_unit, village_floor
        Per village ``v``: benefit ``(V, I, L)``, interaction coefficients ``(P, V)``
        (aligned with ``interactions``), its unit ``(V,)`` and a floor ``(V,)`` on its
        benefit (NaN: none).
    village_cost, worst_off, worst_off_share
        ``(V, I, L)`` programme cost of each level in each village; the worst-off
        villages ``(V,)``; they must get at least this share of total spending.
    """

    units: list[str]
    interventions: list[str]
    levels: np.ndarray
    benefit: np.ndarray
    probs: np.ndarray
    cost: np.ndarray
    interactions: list[tuple[int, int, np.ndarray]] = field(default_factory=list)
    budget: float | None = None
    budget_per_year: np.ndarray | None = None
    funders: list[Funder] = field(default_factory=list)
    groups: list[GroupLimit] = field(default_factory=list)
    capacity: list[CapacityLimit] = field(default_factory=list)
    min_level: np.ndarray | None = None
    requires: list[tuple[int, int]] = field(default_factory=list)
    village_benefit: np.ndarray | None = None
    village_interaction: np.ndarray | None = None
    village_unit: np.ndarray | None = None
    village_floor: np.ndarray | None = None
    village_cost: np.ndarray | None = None
    worst_off: np.ndarray | None = None
    worst_off_share: float = 0.0

    @property
    def shape(self) -> tuple[int, int, int, int, int]:
        """``(S, U, I, L, Y)``."""
        s, u, i, lv = self.benefit.shape
        return s, u, i, lv, self.cost.shape[3]

    def check(self) -> None:
        """Raise :class:`PlanError` when the arrays do not fit together."""
        s, u, i, lv, y = self.shape
        if self.levels.shape != (i, lv):
            raise PlanError(f"levels has shape {self.levels.shape}, expected {(i, lv)}")
        if self.cost.shape[:3] != (u, i, lv):
            raise PlanError(f"cost has shape {self.cost.shape}, expected {(u, i, lv, y)}")
        if self.probs.shape != (s,) or abs(float(self.probs.sum()) - 1.0) > 1e-9:
            raise PlanError("probs must have one probability per scenario, summing to 1")
        for a, b, g in self.interactions:
            if g.shape != (s, u) or a == b:
                raise PlanError(f"interaction ({a}, {b}) has coefficients of shape {g.shape}, expected {(s, u)}")
        if not np.all(np.isfinite(self.benefit[:, :, np.isfinite(self.levels)])):
            raise PlanError("benefits must be finite at every declared level")

    def allowed(self) -> np.ndarray:
        """``(U, I, L)``: which ``z`` exist (declared levels at or above the minimum)."""
        ok = np.isfinite(self.levels)
        if self.min_level is not None:
            ok &= np.nan_to_num(self.levels, nan=-1.0) >= self.min_level[:, None] - 1e-12
        return np.broadcast_to(ok, self.benefit.shape[1:]).copy()


@dataclass(frozen=True)
class Objective:
    """What to optimise.

    Attributes
    ----------
    kind
        ``"expected"``, ``"cvar"``, ``"min_cost"`` or ``"simplicity"``.
    alpha
        CVaR level (the worst ``1 - alpha`` share of scenarios), for ``cvar`` and for the
        benefit floor of ``min_cost`` / ``simplicity`` when ``risk = "cvar"``.
    risk
        For ``min_cost`` and ``simplicity``: the benefit floor is on the ``expected``
        benefit or on its ``cvar``.
    target
        ``min_cost``: the benefit to reach; ``simplicity``: the benefit to keep.
    simplicity
        ``"sites"`` (units x interventions served) or ``"interventions"`` (used anywhere).
    scenario
        Only this scenario (its probability taken as 1): the scenario-wise optimum.
    """

    kind: Literal["expected", "cvar", "min_cost", "simplicity"] = "expected"
    alpha: float = 0.8
    risk: Literal["expected", "cvar"] = "expected"
    target: float | None = None
    simplicity: Literal["sites", "interventions"] = "sites"
    scenario: int | None = None


@dataclass
class Solution:
    """A solved allocation.

    Attributes
    ----------
    status, message
        ``"optimal"``, ``"time limit"`` (with a feasible solution), ``"infeasible"``...
    level_index
        ``(U, I)``: chosen level index into ``levels`` (-1: level 0).
    coverage
        ``(U, I)``: the chosen coverage (0 when off).
    objective, bound, gap
        Objective value (in the objective's own sense: benefit, or cost for
        ``min_cost``, or the count for ``simplicity``), the solver's bound on the best
        possible value, and the relative gap ``|bound - objective| / max(|objective|, 1e-9)``.
    benefit
        ``(S,)`` benefit in each scenario; ``expected`` and ``cvar`` of it.
    cost_by_year
        ``(Y,)`` cost of the allocation per programme year.
    rows
        Named constraint groups -> ``(activity, lower, upper)`` arrays at the solution.
    """

    status: str
    message: str
    level_index: np.ndarray
    coverage: np.ndarray
    objective: float
    bound: float
    gap: float
    benefit: np.ndarray
    expected: float
    cvar: float
    cost_by_year: np.ndarray
    funding: np.ndarray | None
    seconds: float
    nodes: int
    rows: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def cost(self) -> float:
        return float(self.cost_by_year.sum())

    @property
    def ok(self) -> bool:
        return self.status in ("optimal", "time limit")


@contextlib.contextmanager
def _quiet_stdout():
    """Silence the solver library's own prints (HiGHS writes some diagnostics straight to
    file descriptor 1 even with ``disp=False``)."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no real stdout (e.g. captured): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def cvar(values: np.ndarray, probs: np.ndarray, alpha: float) -> float:
    """CVaR of a benefit: the mean of its worst ``1 - alpha`` probability mass.

    Computed from the sorted scenarios (the definition), not from the linear program:
    the two agree at the optimum (Rockafellar & Uryasev 2000, Theorem 1).
    """
    order = np.argsort(values, kind="stable")
    v, p = np.asarray(values, float)[order], np.asarray(probs, float)[order]
    mass = 1.0 - alpha
    if mass <= 0:
        return float(v[0])
    take = np.minimum(p, np.maximum(mass - np.concatenate([[0.0], np.cumsum(p)[:-1]]), 0.0))
    return float((take * v).sum() / mass)


class _Builder:
    """Sparse rows ``lo <= A x <= hi`` with named groups."""

    def __init__(self) -> None:
        self.n = 0
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.integer: list[int] = []
        self.rows_i: list[int] = []
        self.rows_j: list[int] = []
        self.rows_v: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.groups: dict[str, list[int]] = {}

    def var(self, k: int, lb: float = 0.0, ub: float = np.inf, integer: bool = False) -> np.ndarray:
        idx = np.arange(self.n, self.n + k)
        self.n += k
        self.lb += [lb] * k
        self.ub += [ub] * k
        self.integer += [int(integer)] * k
        return idx

    def row(self, group: str, cols: Sequence[int] | np.ndarray, vals: Sequence[float] | np.ndarray,
            lo: float = -np.inf, hi: float = np.inf) -> int:
        r = len(self.lo)
        cols = np.asarray(cols, dtype=np.int64)
        vals = np.asarray(vals, dtype=np.float64)
        keep = vals != 0
        self.rows_i += [r] * int(keep.sum())
        self.rows_j += cols[keep].tolist()
        self.rows_v += vals[keep].tolist()
        self.lo.append(float(lo))
        self.hi.append(float(hi))
        self.groups.setdefault(group, []).append(r)
        return r

    def matrix(self) -> sparse.csr_array:
        return sparse.csr_array((self.rows_v, (self.rows_i, self.rows_j)), shape=(len(self.lo), self.n))


@dataclass
class _Layout:
    b: _Builder
    z: np.ndarray  # (U, I, L) variable index or -1
    q: dict[tuple[int, int], np.ndarray]  # (pair, unit) -> var index per level of i
    f: np.ndarray | None  # (F, I) funder amounts or -1
    used: np.ndarray | None  # (I,) intervention used
    t: int | None
    eta: np.ndarray | None
    benefit_terms: list[tuple[np.ndarray, np.ndarray]]  # per scenario: (cols, vals)
    cost_cols: np.ndarray
    cost_vals: np.ndarray  # (Y, nnz) per year over cost_cols


def _benefit_expr(p: Problem, z: np.ndarray, q: dict, s: int) -> tuple[np.ndarray, np.ndarray]:
    mask = z >= 0
    cols = [z[mask]]
    vals = [p.benefit[s][mask]]
    for pi, (a, _b, g) in enumerate(p.interactions):
        ca = np.nan_to_num(p.levels[a])
        for u in range(len(p.units)):
            qv = q.get((pi, u))
            if qv is None or g[s, u] == 0:
                continue
            ok = qv >= 0
            cols.append(qv[ok])
            vals.append(g[s, u] * ca[ok])
    return np.concatenate(cols), np.concatenate(vals)


def _build(p: Problem, obj: Objective) -> _Layout:
    p.check()
    S, U, NI, L, Y = p.shape
    b = _Builder()
    allowed = p.allowed()
    z = np.full((U, NI, L), -1, dtype=np.int64)
    z[allowed] = b.var(int(allowed.sum()), 0.0, 1.0, integer=True)
    required = np.zeros(NI, bool) if p.min_level is None else p.min_level > 0
    for u in range(U):
        for i in range(NI):
            cols = z[u, i][z[u, i] >= 0]
            if required[i]:
                if len(cols) == 0:
                    raise PlanError(f"{p.interventions[i]}: no declared level reaches the minimum")
                b.row("one level", cols, np.ones(len(cols)), 1.0, 1.0)
            elif len(cols) > 1:
                b.row("one level", cols, np.ones(len(cols)), hi=1.0)
    for i, k in p.requires:
        for u in range(U):
            ci, ck = z[u, i][z[u, i] >= 0], z[u, k][z[u, k] >= 0]
            if len(ci):
                b.row(f"{p.interventions[i]} requires {p.interventions[k]}", np.concatenate([ci, ck]),
                      np.concatenate([np.ones(len(ci)), -np.ones(len(ck))]), hi=0.0)
    # interactions: q[l] = z[u, a, l] * c_b(u), exact for binary z
    q: dict[tuple[int, int], np.ndarray] = {}
    for pi, (a, bb, g) in enumerate(p.interactions):
        cb = np.nan_to_num(p.levels[bb])
        for u in range(U):
            if not np.any(g[:, u]):
                continue
            za, zb = z[u, a], z[u, bb]
            qa = np.full(L, -1, dtype=np.int64)
            okb = zb >= 0
            for lvl in np.flatnonzero(za >= 0):
                qv = int(b.var(1, 0.0, 1.0)[0])
                qa[lvl] = qv
                name = f"interaction {p.interventions[a]} x {p.interventions[bb]}"
                b.row(name, [qv, za[lvl]], [1.0, -1.0], hi=0.0)
                b.row(name, np.concatenate([[qv], zb[okb]]), np.concatenate([[1.0], -cb[okb]]), hi=0.0)
                b.row(name, np.concatenate([[qv], zb[okb], [za[lvl]]]),
                      np.concatenate([[-1.0], cb[okb], [1.0]]), hi=1.0)
            q[(pi, u)] = qa
    # costs
    mask = z >= 0
    cost_cols = z[mask]
    cost_vals = np.stack([p.cost[..., y][mask] for y in range(Y)]) if Y else np.zeros((0, len(cost_cols)))
    total = cost_vals.sum(axis=0)
    if p.budget is not None:
        b.row("budget", cost_cols, total, hi=p.budget)
    if p.budget_per_year is not None:
        for y in range(Y):
            if np.isfinite(p.budget_per_year[y]):
                b.row("budget per year", cost_cols, cost_vals[y], hi=float(p.budget_per_year[y]))
    f = None
    if p.funders:
        f = np.full((len(p.funders), NI), -1, dtype=np.int64)
        for fi, fu in enumerate(p.funders):
            for i in range(NI):
                if fu.interventions is None or i in fu.interventions:
                    f[fi, i] = int(b.var(1, 0.0, np.inf)[0])
            cols = f[fi][f[fi] >= 0]
            if len(cols):
                b.row(f"funder {fu.name}", cols, np.ones(len(cols)), hi=fu.amount)
        for i in range(NI):
            zi = z[:, i, :]
            ok = zi >= 0
            cols = np.concatenate([zi[ok], f[:, i][f[:, i] >= 0]])
            vals = np.concatenate([p.cost[:, i, :, :].sum(axis=-1)[ok], -np.ones(int((f[:, i] >= 0).sum()))])
            if not (f[:, i] >= 0).any() and p.cost[:, i].sum() > 0:
                b.row(f"no funder may pay for {p.interventions[i]}", zi[ok], p.cost[:, i, :, :].sum(axis=-1)[ok],
                      hi=0.0)
            else:
                b.row("funders pay the costs", cols, vals, 0.0, 0.0)
    for gl in p.groups:
        inside = np.broadcast_to(gl.units[:, None, None], mask.shape)[mask].astype(float)
        if gl.floor > 0:  # group cost - floor x total cost >= 0
            b.row(f"group floor {gl.name}", cost_cols, (inside - gl.floor) * total, lo=0.0)
        if gl.cap < 1:
            b.row(f"group cap {gl.name}", cost_cols, (inside - gl.cap) * total, hi=0.0)
    for cap in p.capacity:
        for y in range(Y):
            if np.isfinite(cap.available[y]):
                b.row(f"capacity {cap.name}", cost_cols, cap.usage[..., y][mask], hi=float(cap.available[y]))
    if p.village_floor is not None and p.village_benefit is not None and p.village_unit is not None:
        for v in np.flatnonzero(np.isfinite(p.village_floor)):
            u = int(p.village_unit[v])
            zz = z[u]
            ok = zz >= 0
            cols, vals = [zz[ok]], [p.village_benefit[v][ok]]
            for pi, (a, _bb, _g) in enumerate(p.interactions):
                qv = q.get((pi, u))
                if qv is None or p.village_interaction is None or p.village_interaction[pi, v] == 0:
                    continue
                okq = qv >= 0
                cols.append(qv[okq])
                vals.append(p.village_interaction[pi, v] * np.nan_to_num(p.levels[a])[okq])
            b.row("village benefit floor", np.concatenate(cols), np.concatenate(vals), lo=float(p.village_floor[v]))
    if p.worst_off is not None and p.worst_off_share > 0 and p.village_cost is not None:
        vu = p.village_unit
        vcols, vvals = [], []
        for v in range(len(vu)):
            zz = z[int(vu[v])]
            ok = zz >= 0
            w = (1.0 if p.worst_off[v] else 0.0) - p.worst_off_share
            vcols.append(zz[ok])
            vvals.append(w * p.village_cost[v][ok])
        b.row("worst-off share of spending", np.concatenate(vcols), np.concatenate(vvals), lo=0.0)
    terms = [_benefit_expr(p, z, q, s) for s in range(S)]
    used = None
    if obj.kind == "simplicity" and obj.simplicity == "interventions":
        used = b.var(NI, 0.0, 1.0, integer=True)
        for i in range(NI):
            for col in z[:, i][z[:, i] >= 0]:
                b.row("intervention used", [col, used[i]], [1.0, -1.0], hi=0.0)
    t = eta = None
    risk = "cvar" if obj.kind == "cvar" else obj.risk
    if obj.kind in ("cvar", "min_cost", "simplicity") and risk == "cvar":
        t = int(b.var(1, -np.inf, np.inf)[0])
        eta = b.var(S, 0.0, np.inf)
        for s in range(S):
            cols, vals = terms[s]
            # eta_s >= t - B_s  <=>  eta_s - t + B_s >= 0
            b.row("cvar shortfall", np.concatenate([[eta[s], t], cols]), np.concatenate([[1.0, -1.0], vals]), lo=0.0)
    if obj.kind in ("min_cost", "simplicity"):
        if obj.target is None:
            raise PlanError(f"objective {obj.kind!r} needs a target benefit")
        if risk == "cvar":
            scale = 1.0 / (1.0 - obj.alpha)
            b.row("benefit target", np.concatenate([[t], eta]),
                  np.concatenate([[1.0], -scale * p.probs]), lo=obj.target)
        else:
            cols, vals = _expected_terms(p, terms, obj.scenario)
            b.row("benefit target", cols, vals, lo=obj.target)
    return _Layout(b=b, z=z, q=q, f=f, used=used, t=t, eta=eta, benefit_terms=terms, cost_cols=cost_cols,
                   cost_vals=cost_vals)


def _expected_terms(p: Problem, terms, scenario: int | None) -> tuple[np.ndarray, np.ndarray]:
    if scenario is not None:
        return terms[scenario]
    cols = np.concatenate([c for c, _ in terms])
    vals = np.concatenate([v * p.probs[s] for s, (_, v) in enumerate(terms)])
    return cols, vals


def _objective_vector(p: Problem, lay: _Layout, obj: Objective) -> np.ndarray:
    """Coefficients to *minimise*."""
    c = np.zeros(lay.b.n)
    if obj.kind == "expected":
        cols, vals = _expected_terms(p, lay.benefit_terms, obj.scenario)
        np.add.at(c, cols, -vals)
    elif obj.kind == "cvar":
        c[lay.t] = -1.0
        c[lay.eta] = p.probs / (1.0 - obj.alpha)
    elif obj.kind == "min_cost":
        np.add.at(c, lay.cost_cols, lay.cost_vals.sum(axis=0))
    elif obj.kind == "simplicity":
        if obj.simplicity == "interventions":
            c[lay.used] = 1.0
        else:
            c[lay.z[lay.z >= 0]] = 1.0
    return c


def solve(p: Problem, obj: Objective | None = None, *, time_limit: float | None = None,
          mip_rel_gap: float = 1e-6) -> Solution:
    """Solve the allocation problem exactly (up to ``mip_rel_gap``) with HiGHS.

    Parameters
    ----------
    p
        The problem.
    obj
        The objective (default: expected benefit).
    time_limit
        Seconds; the best allocation found is returned with its gap when reached.
    mip_rel_gap
        Relative gap at which the solver stops (HiGHS's default is 1e-4).

    Returns
    -------
    Solution
        With ``status == "infeasible"`` (and no allocation) when no allocation meets the
        constraints.
    """
    obj = obj or Objective()
    lay = _build(p, obj)
    b = lay.b
    c = _objective_vector(p, lay, obj)
    A = b.matrix()
    cons = [optimize.LinearConstraint(A, np.asarray(b.lo), np.asarray(b.hi))] if len(b.lo) else []
    opts: dict = {"mip_rel_gap": float(mip_rel_gap), "presolve": True}
    if time_limit is not None:
        opts["time_limit"] = float(time_limit)
    t0 = time.perf_counter()
    with _quiet_stdout():
        res = optimize.milp(c, integrality=np.asarray(b.integer), bounds=optimize.Bounds(b.lb, b.ub),
                            constraints=cons, options=opts)
    seconds = time.perf_counter() - t0
    return _solution(p, obj, lay, res, A, seconds)


def _solution(p: Problem, obj: Objective, lay: _Layout, res, A, seconds: float) -> Solution:
    S, U, NI, L, Y = p.shape
    status = {0: "optimal", 1: "time limit", 2: "infeasible", 3: "unbounded"}.get(res.status, "failed")
    if res.x is None:
        empty = np.full((U, NI), -1)
        return Solution(status="infeasible" if status in ("optimal", "time limit") else status,
                        message=str(res.message), level_index=empty, coverage=np.zeros((U, NI)),
                        objective=np.nan, bound=np.nan, gap=np.nan, benefit=np.full(S, np.nan), expected=np.nan,
                        cvar=np.nan, cost_by_year=np.full(Y, np.nan), funding=None, seconds=seconds, nodes=0)
    x = np.round(res.x, 9)
    zval = np.where(lay.z >= 0, x[np.maximum(lay.z, 0)], 0.0) > 0.5
    level_index = np.where(zval.any(axis=2), zval.argmax(axis=2), -1)
    coverage = np.where(level_index >= 0, np.take_along_axis(
        np.broadcast_to(np.nan_to_num(p.levels), (U, NI, L)), np.maximum(level_index, 0)[..., None], 2)[..., 0], 0.0)
    benefit = evaluate(p, level_index)
    cost_by_year = np.array([p.cost[..., y][zval].sum() for y in range(Y)])
    sign = -1.0 if obj.kind in ("expected", "cvar") else 1.0
    value = sign * float(res.fun)
    bound = sign * float(res.mip_dual_bound) if res.mip_dual_bound is not None else np.nan
    gap = abs(bound - value) / max(abs(value), 1e-9) if np.isfinite(bound) else np.nan
    funding = None
    if lay.f is not None:
        funding = np.where(lay.f >= 0, res.x[np.maximum(lay.f, 0)], 0.0)
    act = A @ res.x if A.shape[0] else np.zeros(0)
    lo, hi = np.asarray(lay.b.lo), np.asarray(lay.b.hi)
    rows = {g: (act[r], lo[r], hi[r]) for g, r in lay.b.groups.items()}
    probs = p.probs if obj.scenario is None else np.eye(S)[obj.scenario]
    return Solution(status=status, message=str(res.message), level_index=level_index, coverage=coverage,
                    objective=value, bound=bound, gap=gap, benefit=benefit,
                    expected=float(probs @ benefit), cvar=cvar(benefit, probs, obj.alpha),
                    cost_by_year=cost_by_year, funding=funding, seconds=seconds,
                    nodes=int(res.mip_node_count or 0), rows=rows)


def evaluate(p: Problem, level_index: np.ndarray) -> np.ndarray:
    """``(S,)`` benefit of an allocation (level index per unit and intervention, -1 off)."""
    S, U, NI, L, _ = p.shape
    on = level_index >= 0
    li = np.maximum(level_index, 0)
    take = np.take_along_axis(p.benefit, np.broadcast_to(li[None, :, :, None], (S, U, NI, 1)), 3)[..., 0]
    total = np.where(on[None], take, 0.0).sum(axis=(1, 2))
    levels = np.broadcast_to(np.nan_to_num(p.levels), (U, NI, L))
    cov = np.where(on, np.take_along_axis(levels, li[..., None], 2)[..., 0], 0.0)
    for a, b, g in p.interactions:
        total = total + (g * (cov[:, a] * cov[:, b])[None]).sum(axis=1)
    return total


def allocation_cost(p: Problem, level_index: np.ndarray) -> np.ndarray:
    """``(Y,)`` cost per programme year of an allocation."""
    on = level_index >= 0
    li = np.maximum(level_index, 0)
    take = np.take_along_axis(p.cost, np.broadcast_to(li[..., None, None], (*li.shape, 1, p.cost.shape[3])), 2)[:, :, 0]
    return np.where(on[..., None], take, 0.0).sum(axis=(0, 1))


@dataclass
class Relaxation:
    """The LP relaxation: its value and the dual value of each constraint group."""

    status: str
    objective: float
    duals: dict[str, np.ndarray]


def relaxation(p: Problem, obj: Objective | None = None) -> Relaxation:
    """Solve the LP relaxation (binaries in [0, 1]) for its dual values.

    The dual of the budget row is the shadow price of the budget in the relaxation:
    benefit gained per extra RMB (for a maximisation; sign made positive for a binding
    budget).  Duals are reported per constraint group, in the objective's units per unit
    of the row (e.g. benefit per RMB, per volunteer).
    """
    obj = obj or Objective()
    lay = _build(p, obj)
    b = lay.b
    c = _objective_vector(p, lay, obj)
    A = b.matrix().tocsr()
    lo, hi = np.asarray(b.lo), np.asarray(b.hi)
    eq = np.isfinite(lo) & np.isfinite(hi) & (lo == hi)
    up = np.isfinite(hi) & ~eq
    dn = np.isfinite(lo) & ~eq
    A_ub = sparse.vstack([A[up], -A[dn]]).tocsr() if (up.any() or dn.any()) else None
    b_ub = np.concatenate([hi[up], -lo[dn]]) if A_ub is not None else None
    res = optimize.linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A[eq] if eq.any() else None,
                           b_eq=lo[eq] if eq.any() else None, bounds=list(zip(b.lb, b.ub, strict=True)),
                           method="highs")
    if res.status != 0:
        return Relaxation(status="infeasible" if res.status == 2 else str(res.message), objective=np.nan, duals={})
    sign = -1.0 if obj.kind in ("expected", "cvar") else 1.0
    dual = np.zeros(len(lo))
    m_ub = res.ineqlin.marginals if A_ub is not None else np.zeros(0)
    nu = int(up.sum())
    # marginals are d(min objective)/d(b); turn them into d(value in its own sense)/d(row bound)
    dual[np.flatnonzero(up)] += sign * m_ub[:nu]
    dual[np.flatnonzero(dn)] += -sign * m_ub[nu:]
    if eq.any():
        dual[np.flatnonzero(eq)] += sign * res.eqlin.marginals
    duals = {g: dual[r] for g, r in b.groups.items()}
    return Relaxation(status="optimal", objective=sign * float(res.fun), duals=duals)


def greedy(p: Problem, budget: float | None = None) -> np.ndarray:
    """The incremental greedy split (as budget-outcome heuristics do): start from nothing
    (or the minimum levels) and repeatedly buy the upgrade with the best ratio of expected
    benefit to cost that still fits the budget; stop when none does.

    Kept for comparison: with fixed costs per site it can be far from optimal (the
    :func:`solve` result is the reference).  The budget, yearly budgets, capacity limits,
    minimum levels and "requires" are respected; funders, group shares and village
    floors are not.

    Returns
    -------
    numpy.ndarray
        ``(U, I)`` level index (-1 off).
    """
    _, U, NI, L, Y = p.shape
    allowed = p.allowed()
    budget = p.budget if budget is None else budget
    budget = np.inf if budget is None else float(budget)
    per_year = p.budget_per_year if p.budget_per_year is not None else np.full(Y, np.inf)
    mean_b = np.tensordot(p.probs, p.benefit, axes=1)  # (U, I, L)
    mean_g = [(a, b, p.probs @ g) for a, b, g in p.interactions]  # (U,)
    levels = np.nan_to_num(p.levels)
    li = np.full((U, NI), -1, dtype=np.int64)
    if p.min_level is not None:
        for i in np.flatnonzero(p.min_level > 0):
            first = np.flatnonzero(allowed[0, i])
            li[:, i] = first[0] if len(first) else -1
    req = {i: [k for a, k in p.requires if a == i] for i in range(NI)}
    spent = allocation_cost(p, li)

    def usage_at(arr: np.ndarray, li: np.ndarray) -> np.ndarray:
        cur = np.maximum(li, 0)
        take = np.take_along_axis(arr, cur[..., None, None].repeat(Y, 3), 2)[:, :, 0]
        return np.where((li >= 0)[..., None], take, 0.0)

    while True:
        on = li >= 0
        cur = np.maximum(li, 0)
        cov = np.where(on, levels[np.arange(NI)[None, :], cur], 0.0)  # (U, I)
        cur_b = np.where(on, np.take_along_axis(mean_b, cur[..., None], 2)[..., 0], 0.0)
        cur_c = usage_at(p.cost, li)  # (U, I, Y)
        gain = mean_b - cur_b[..., None]  # (U, I, L)
        for a, b, g in mean_g:
            gain[:, a, :] += g[:, None] * (levels[a][None, :] - cov[:, a][:, None]) * cov[:, b][:, None]
            gain[:, b, :] += g[:, None] * (levels[b][None, :] - cov[:, b][:, None]) * cov[:, a][:, None]
        extra = p.cost - cur_c[:, :, None, :]  # (U, I, L, Y)
        new_total = spent.sum() + extra.sum(axis=-1)
        new_year = spent[None, None, None, :] + extra
        ok = allowed & (np.arange(L)[None, None, :] > li[..., None]) & (gain > 0)
        ok &= new_total <= budget + 1e-9
        ok &= np.all(new_year <= per_year + 1e-9, axis=-1)
        for i, ks in req.items():
            for k in ks:
                ok[:, i, :] &= on[:, k][:, None]
        for cap in p.capacity:
            cur_u = usage_at(cap.usage, li)
            new_use = cur_u.sum(axis=(0, 1))[None, None, None, :] + cap.usage - cur_u[:, :, None, :]
            ok &= np.all(new_use <= cap.available + 1e-9, axis=-1)
        if not ok.any():
            return li
        dc = extra.sum(axis=-1)
        ratio = np.where(dc > 0, gain / np.where(dc > 0, dc, 1.0), np.inf)
        ratio = np.where(ok, ratio, -np.inf)
        u, i, lvl = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        li[u, i] = lvl
        spent = spent + extra[u, i, lvl]
