"""From a plan, its fitted surrogate and cost model to the optimiser's :class:`Problem`.

:class:`PlanModel` holds everything the optimiser needs in the plan's own terms (units,
villages, interventions, levels, measures) and translates a budget level into a
:class:`~povsim.plan.optimise.Problem`: benefits per unit, intervention and level in
every scenario (the plan's weighted objective, equity-weighted), costs per programme
year, and the plan's constraints.

Budgets: with ``budget.scale = "current_cost"`` a budget level in real RMB becomes
``level x (simulated cost of the current allocation / budget.reference_rmb)`` in the
simulated area: the real programme's 275 M RMB becomes what the model says the real
allocation costs there, so the planned and the real allocation are compared at equal
cost, and the factor tends to 1 as the simulated area reaches the real one (issue 16).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from povsim.plan.design import Area
from povsim.plan.optimise import CapacityLimit, Funder, GroupLimit, Objective, Problem
from povsim.plan.schema import Plan
from povsim.plan.surrogate import CostModel, Surrogate

__all__ = ["PlanModel", "equity_weights"]


def equity_weights(burden: np.ndarray, aversion: float) -> np.ndarray:
    """Weight of each village's outcome: ``(burden / mean burden) ^ aversion``.

    With ``aversion = 0`` every village counts the same; with ``aversion > 0`` an outcome
    in a village with twice the average baseline burden (outcome-MODA M0 per child)
    counts ``2 ^ aversion`` times as much (a prioritarian weighting in the spirit of
    Atkinson's inequality aversion).

    References
    ----------
    Atkinson, A. B. (1970). On the measurement of inequality. Journal of Economic Theory
    2(3):244-263. doi:10.1016/0022-0531(70)90039-6
    """
    b = np.asarray(burden, dtype=float)
    if aversion == 0:
        return np.ones(len(b))
    return (np.maximum(b, 0.0) / max(float(b.mean()), 1e-12)) ** aversion


@dataclass
class PlanModel:
    """A plan ready to optimise.

    Attributes
    ----------
    plan, area, surrogate, costs
        The plan, its area, the fitted response surfaces and cost model.
    years
        Programme years (columns of the cost model).
    scale
        Simulated RMB per plan-file RMB (see the module docstring).
    equity
        ``(V,)`` equity weight of each decided village.
    baseline_m0
        ``(V,)`` baseline outcome-MODA M0 per child-year of each village (worst-off rule).
    current_cov
        ``(V, I)`` effective coverage of the current allocation (``None``: no current).
    current_cost
        ``(V, I, Y)`` costs the current allocation booked (mean over scenarios).
    current_total
        Simulated cost of the current allocation (all its interventions, programme years).
    """

    plan: Plan
    area: Area
    surrogate: Surrogate
    costs: CostModel
    years: np.ndarray
    scale: float
    equity: np.ndarray
    baseline_m0: np.ndarray
    current_cov: np.ndarray | None
    current_cost: np.ndarray | None
    current_total: float

    # -- shapes -------------------------------------------------------------------
    @property
    def interventions(self) -> list[str]:
        return self.plan.names

    @property
    def weights(self) -> dict[str, float]:
        return {m: float(w) for m, w in self.plan.objective.weights.items()}

    @property
    def levels(self) -> np.ndarray:
        """``(I, L)`` non-zero levels, NaN-padded."""
        nz = [[x for x in iv.levels if x > 0] for iv in self.plan.interventions]
        L = max(len(x) for x in nz)
        out = np.full((len(nz), L), np.nan)
        for i, x in enumerate(nz):
            out[i, :len(x)] = x
        return out

    def unit_matrix(self) -> np.ndarray:
        """``(U, V)`` 0/1: which villages make up each unit."""
        U, V = len(self.area.units), len(self.area.decided)
        m = np.zeros((U, V))
        m[self.area.unit_of, np.arange(V)] = 1.0
        return m

    def coverage(self, level_index: np.ndarray) -> np.ndarray:
        """``(V, I)`` coverage of every village for a unit allocation ``(U, I)``."""
        lv = np.nan_to_num(self.levels)
        li = level_index[self.area.unit_of]
        NI = lv.shape[0]
        return np.where(li >= 0, lv[np.arange(NI)[None, :], np.maximum(li, 0)], 0.0)

    # -- benefits -------------------------------------------------------------------
    def _main_per_child(self, measure: str, i: int, c: float) -> np.ndarray:
        """``(W, V)`` main effect per child of intervention ``i`` alone at coverage ``c``."""
        V, NI = len(self.area.decided), len(self.interventions)
        cov = np.zeros((V, NI))
        cov[:, i] = c
        return self.surrogate.per_child(measure, cov, intercept=False)

    def village_benefit(self) -> np.ndarray:
        """``(W, V, I, L)`` weighted main-effect benefit of each level in each village
        (before equity weights)."""
        lv = self.levels
        NI, L = lv.shape
        V = len(self.area.decided)
        W = self.surrogate.scenarios
        out = np.zeros((W, V, NI, L))
        for i in range(NI):
            for lvl in range(L):
                if not np.isfinite(lv[i, lvl]):
                    continue
                for m, w in self.weights.items():
                    if w:
                        out[:, :, i, lvl] += w * self._main_per_child(m, i, lv[i, lvl])
        return out * self.surrogate.exposure[None, :, None, None]

    def interaction_coefficients(self) -> np.ndarray:
        """``(P, W, V)`` weighted interaction coefficient of each selected pair and village."""
        pairs = self.surrogate.basis.pairs
        base = self.surrogate.basis.size - len(pairs)
        W, V = self.surrogate.scenarios, len(self.area.decided)
        out = np.zeros((len(pairs), W, V))
        for j in range(len(pairs)):
            for m, w in self.weights.items():
                if w:
                    out[j] += w * self.surrogate.coef[m][:, base + j][:, None]
        return out * self.surrogate.exposure[None, None, :]

    def benefit_of(self, cov: np.ndarray, intercept: bool = False, equity: bool = True) -> np.ndarray:
        """``(W, V)`` objective of every village at coverages ``cov`` ``(V, I)``."""
        return self.surrogate.objective(self.weights, cov, self.equity if equity else None, intercept=intercept)

    # -- the optimiser's problem ---------------------------------------------------------
    def problem(self, budget: float | None, *, constraints: bool = True) -> Problem:
        """The :class:`Problem` at a budget (simulated RMB, programme total; ``None``: no
        budget), with the plan's constraints (``constraints=False``: budget only)."""
        p = self.plan
        U = len(self.area.units)
        lv = self.levels
        NI, L = lv.shape
        Y = len(self.years)
        UM = self.unit_matrix()
        vb = self.village_benefit()  # (W, V, I, L)
        benefit = np.einsum("uv,wvil->wuil", UM, vb * self.equity[None, :, None, None])
        inter = self.interaction_coefficients()
        interactions = [(a, b, (inter[j] * self.equity[None, :]) @ UM.T)
                        for j, (a, b) in enumerate(self.surrogate.basis.pairs)]
        vcost = np.zeros((len(self.area.decided), NI, L, Y))
        vunits = np.zeros_like(vcost)
        for lvl in range(L):
            cov = np.where(np.isfinite(lv[:, lvl]), np.nan_to_num(lv[:, lvl]), 0.0)
            cv = np.broadcast_to(cov, (len(self.area.decided), NI))
            vcost[:, :, lvl] = self.costs.cost(cv)
            vunits[:, :, lvl] = self.costs.units(cv)
        cost = np.einsum("uv,vily->uily", UM, vcost)
        W = benefit.shape[0]
        prob = Problem(units=list(self.area.units), interventions=self.interventions, levels=lv,
                       benefit=benefit, probs=np.full(W, 1.0 / W), cost=cost, interactions=interactions,
                       budget=budget)
        names = self.interventions
        prob.requires = [(names.index(iv.name), names.index(r)) for iv in p.interventions for r in iv.requires]
        if not constraints:
            return prob
        b = p.budget
        if b.per_year_rmb is not None:
            prob.budget_per_year = np.full(Y, b.per_year_rmb * self.scale)
        if b.funders and budget is not None:
            prob.funders = [Funder(f.name, f.share * budget,
                                   None if f.interventions is None else tuple(names.index(n) for n in f.interventions))
                            for f in b.funders]
        c = p.constraints
        if c.county_floor_share > 0 or c.county_cap_share < 1:
            unit_county = np.zeros(U, dtype=np.int64)
            unit_county[self.area.unit_of] = self.area.county[self.area.decided]
            for code in np.unique(unit_county):
                prob.groups.append(GroupLimit(self.area.counties[code], unit_county == code,
                                              c.county_floor_share, c.county_cap_share))
        for cap in c.capacity:
            i = names.index(cap.intervention)
            usage = np.zeros_like(cost)
            usage[:, i] = np.einsum("uv,vly->uly", UM, vunits[:, i]) * cap.per_unit
            prob.capacity.append(CapacityLimit(cap.name, usage, np.full(Y, cap.available)))
        if c.minimum_level:
            prob.min_level = np.array([c.minimum_level.get(n, 0.0) for n in names])
        prob.village_benefit = vb.mean(axis=0)
        prob.village_interaction = inter.mean(axis=1)
        prob.village_unit = self.area.unit_of
        if c.no_village_worse_off and self.current_cov is not None:
            floor = self.benefit_of(self.current_cov, equity=False).mean(axis=0)
            prob.village_floor = floor - 1e-6 * np.maximum(np.abs(floor), 1.0)
        if c.worst_off_share > 0 and c.worst_off_min_spend_share > 0:
            V = len(self.area.decided)
            k = max(1, round(c.worst_off_share * V))
            worst = np.zeros(V, bool)
            worst[np.argsort(-self.baseline_m0, kind="stable")[:k]] = True
            prob.worst_off, prob.worst_off_share = worst, c.worst_off_min_spend_share
            prob.village_cost = vcost.sum(axis=-1)
        return prob

    def objective(self) -> Objective:
        """The plan's objective (at a budget level)."""
        o = self.plan.objective
        if o.sense == "minimise_cost":
            return Objective(kind="min_cost", risk=o.risk, alpha=o.cvar_level, target=o.target)
        return Objective(kind=o.risk, alpha=o.cvar_level)

    # -- tables ----------------------------------------------------------------------------
    def allocation_table(self, level_index: np.ndarray, funding: np.ndarray | None, label: str) -> pd.DataFrame:
        """One row per village x intervention x programme year x funder served, with cost."""
        cov = self.coverage(level_index)
        cost = self.costs.cost(cov)  # (V, I, Y)
        area = self.area.frame()
        names = self.interventions
        shares = self._funder_shares(funding, cost)
        rows = []
        for v in range(len(area)):
            for i, n in enumerate(names):
                if cov[v, i] <= 0:
                    continue
                for y, yr in enumerate(self.years):
                    for fname, share in shares[i]:
                        c = cost[v, i, y] * share
                        rows.append((label, area["village"].iat[v], area["name"].iat[v], area["county"].iat[v],
                                     int(area["township"].iat[v]), area["unit"].iat[v], int(self.surrogate.types[v]),
                                     n, float(cov[v, i]), int(yr), fname, c, c / self.scale))
        return pd.DataFrame(rows, columns=["allocation", "village", "name", "county", "township", "unit", "type",
                                           "intervention", "level", "year", "funder", "cost_rmb_simulated",
                                           "cost_rmb_plan"])

    def _funder_shares(self, funding: np.ndarray | None, cost: np.ndarray) -> list[list[tuple[str, float]]]:
        names = self.interventions
        funders = self.plan.budget.funders
        if not funders or funding is None:
            return [[("all", 1.0)] for _ in names]
        out = []
        for i in range(len(names)):
            col = funding[:, i]
            tot = col.sum()
            out.append([(f.name, col[k] / tot) for k, f in enumerate(funders) if tot > 0 and col[k] > 0]
                       or [("none", 1.0)])
        return out
