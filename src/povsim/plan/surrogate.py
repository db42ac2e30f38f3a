"""Response surfaces fitted to the design runs, and the cost model of each village.

For every outcome measure ``m``, scenario ``w`` (parameter draw and seed) and village
type ``t`` the effect of a village's levels, per child of the village, is

    y[v] / n[v] = a[t] + sum_i (b1[t, i] c_i + b2[t, i] c_i^2) + sum_(i,k) g[i, k] c_i c_k + e

with ``c_i`` the coverage of intervention ``i`` in the village (1 for an item that is
on), ``n[v]`` its children (0-17) at the start, ``y[v]`` its improvement over the
baseline run of the same scenario (common random numbers) and ``e`` noise; weighted
least squares with weights ``n[v]``.  ``b2`` is left out for an on/off item (``c^2 =
c``).  ``a[t]`` absorbs spillovers between villages of the same run (it is the same for
every allocation that does anything, so it never changes a decision).

Village types are clusters (k-means, seeded) of the villages' baseline characteristics:
the per-child baseline burden of each measure in the objective, income poverty,
left-behind children, remoteness, water and sanitation.  Interaction terms ``g`` enter
for the pairs whose pooled estimate on the plan's objective has ``|t| >=
design.interaction_t`` (``design.interactions = "auto"``), or for the pairs listed.

Uncertainty: one fit per scenario; the scenario fits are shrunk towards their mean by
empirical Bayes (each coefficient keeps the share ``tau^2 / (tau^2 + se^2)`` of its
deviation, ``tau^2`` the between-scenario variance net of the sampling variance), so
that the spread across scenarios is the spread the parameter draws and seeds cause, not
the noise of a few runs.

Cost model: for each village, intervention and programme year, ``cost(c) = F 1[c > 0]
+ G c`` (a fixed cost per site and a cost proportional to coverage), fitted to the costs
the runs booked (the intervention modules' unit costs applied to who was reached);
units reached likewise (for capacity constraints).

References
----------
Efron, B. & Morris, C. (1975). Data analysis using Stein's estimator and its
generalizations. JASA 70(350):311-319. doi:10.1080/01621459.1975.10479864
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from povsim.plan.measures import MEASURES, YEARLY_MEASURES
from povsim.plan.optimise import PlanError

__all__ = ["CostModel", "DesignData", "Surrogate", "fit_costs", "fit_surrogate", "village_outcomes",
           "village_types"]


def village_outcomes(tables: Mapping[str, pd.DataFrame], villages: np.ndarray, start_year: int,
                     rate: float = 0.0) -> dict[str, np.ndarray]:
    """Totals of every measure for ``villages`` from one run's recorder tables.

    Yearly measures are summed over the simulated years (after the start year),
    discounted to the start year at ``rate``.
    """
    yy = tables["village_years"]
    y = yy[yy["year"] > start_year]
    disc = (1.0 + rate) ** -(y["year"].to_numpy() - start_year)
    out = {}
    for m in YEARLY_MEASURES:
        s = pd.Series(y[m].to_numpy() * disc).groupby(y["village"].to_numpy()).sum()
        out[m] = s.reindex(villages, fill_value=0.0).to_numpy(dtype=float)
    coh = tables["village_cohort"].set_index("village")
    for m in (n for n in MEASURES if MEASURES[n].source == "cohort"):
        out[m] = coh[m].reindex(villages, fill_value=0.0).to_numpy(dtype=float)
    return out


def improvement(run: Mapping[str, np.ndarray], base: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run minus baseline for goods, baseline minus run for bads (positive = better)."""
    return {m: (run[m] - base[m]) if MEASURES[m].good else (base[m] - run[m]) for m in run}


@dataclass
class DesignData:
    """What the design runs measured (``W`` scenarios, ``J`` design runs, ``V`` decided
    villages, ``I`` interventions, ``Y`` programme years).

    Attributes
    ----------
    effect
        Measure -> ``(W, J, V)`` improvement over the baseline run of the same scenario.
    levels
        ``(W, J, V, I)`` coverage of each intervention in each village.
    cost, units
        ``(W, J, V, I, Y)`` costs booked and units reached.
    base
        Measure -> ``(W, V)`` baseline totals.
    exposure
        ``(V,)`` children 0-17 at the start (mean over scenarios).
    features
        Baseline characteristics of the villages (one row each).
    """

    interventions: tuple[str, ...]
    on_off: np.ndarray
    years: np.ndarray
    effect: dict[str, np.ndarray]
    levels: np.ndarray
    cost: np.ndarray
    units: np.ndarray
    base: dict[str, np.ndarray]
    exposure: np.ndarray
    features: pd.DataFrame


def village_types(data: DesignData, weights: Mapping[str, float], k: int, seed: int) -> np.ndarray:
    """Village type (0 .. k-1) by k-means on standardised baseline characteristics;
    types are numbered by increasing baseline burden of the objective per child."""
    from scipy.cluster.vq import kmeans2

    V = len(data.exposure)
    k = max(1, min(int(k), V))
    burden = np.zeros(V)
    cols = []
    for m, w in weights.items():
        if w == 0:
            continue
        per_child = data.base[m].mean(axis=0) / np.maximum(data.exposure, 1.0)
        cols.append(per_child)
        burden += abs(w) * per_child * (1.0 if not MEASURES[m].good else -1.0)
    for c in ("income_poor_share", "left_behind_share", "remoteness_km", "safe_water_share", "sanitation_share"):
        if c in data.features:
            cols.append(data.features[c].to_numpy(dtype=float))
    X = np.column_stack(cols) if cols else np.zeros((V, 1))
    sd = X.std(axis=0)
    X = (X[:, sd > 0] - X[:, sd > 0].mean(axis=0)) / sd[sd > 0] if (sd > 0).any() else np.zeros((V, 1))
    if k == 1 or X.shape[1] == 0:
        return np.zeros(V, dtype=np.int64)
    _, label = kmeans2(X, k, minit="++", seed=np.random.default_rng(np.random.SeedSequence([seed, 3])))
    present = np.unique(label)
    order = present[np.argsort([burden[label == t].mean() for t in present], kind="stable")]
    remap = np.full(label.max() + 1, -1)
    remap[order] = np.arange(len(order))
    return remap[label].astype(np.int64)


@dataclass(frozen=True)
class Basis:
    """The regression terms: type intercepts, per-type coverage terms, pooled interactions."""

    n_types: int
    on_off: np.ndarray  # (I,)
    pairs: tuple[tuple[int, int], ...]

    @property
    def powers(self) -> list[tuple[int, int]]:
        """(intervention, power) of the per-type coverage terms."""
        out = []
        for i, oo in enumerate(self.on_off):
            out.append((i, 1))
            if not oo:
                out.append((i, 2))
        return out

    @property
    def size(self) -> int:
        return self.n_types * (1 + len(self.powers)) + len(self.pairs)

    def names(self, interventions: Sequence[str]) -> list[str]:
        out = []
        for t in range(self.n_types):
            out.append(f"type{t}:intercept")
            out += [f"type{t}:{interventions[i]}" + ("" if p == 1 else "^2") for i, p in self.powers]
        out += [f"{interventions[i]} x {interventions[k]}" for i, k in self.pairs]
        return out

    def matrix(self, cov: np.ndarray, types: np.ndarray) -> np.ndarray:
        """``(N, size)`` design matrix for coverages ``(N, I)`` of villages of ``types``."""
        n = len(cov)
        per = 1 + len(self.powers)
        X = np.zeros((n, self.size))
        for t in range(self.n_types):
            on = types == t
            X[on, t * per] = 1.0
            for j, (i, p) in enumerate(self.powers):
                X[on, t * per + 1 + j] = cov[on, i] ** p
        base = self.n_types * per
        for j, (i, k) in enumerate(self.pairs):
            X[:, base + j] = cov[:, i] * cov[:, k]
        return X


@dataclass
class Fit:
    """Weighted least squares fit: coefficients, their covariance, R^2."""

    coef: np.ndarray
    cov: np.ndarray
    r2: float


def wls(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> Fit:
    """Weighted least squares (coefficients by ``lstsq``, covariance ``s^2 (X'WX)^+``)."""
    sw = np.sqrt(w)
    Xw, yw = X * sw[:, None], y * sw
    coef, *_ = np.linalg.lstsq(Xw, yw, rcond=None)
    resid = yw - Xw @ coef
    dof = max(len(y) - np.linalg.matrix_rank(Xw), 1)
    s2 = float(resid @ resid) / dof
    cov = s2 * np.linalg.pinv(Xw.T @ Xw)
    ybar = np.average(y, weights=w) if w.sum() > 0 else 0.0
    tss = float(((y - ybar) ** 2 * w).sum())
    r2 = 1.0 - float(resid @ resid) / tss if tss > 0 else np.nan
    return Fit(coef=coef, cov=cov, r2=r2)


def shrink(coefs: np.ndarray, ses: np.ndarray) -> np.ndarray:
    """Empirical-Bayes shrinkage of per-scenario coefficients ``(W, P)`` to their mean."""
    W = coefs.shape[0]
    if W < 2:
        return coefs.copy()
    mean = coefs.mean(axis=0)
    tau2 = np.maximum(coefs.var(axis=0, ddof=1) - (ses ** 2).mean(axis=0), 0.0)
    keep = np.where(tau2 + ses ** 2 > 0, tau2 / np.maximum(tau2 + ses ** 2, 1e-300), 0.0)
    return mean + keep * (coefs - mean)


@dataclass
class Surrogate:
    """Fitted response surfaces (see the module docstring).

    Attributes
    ----------
    coef
        Measure -> ``(W, P)`` shrunk coefficients per scenario.
    pooled
        Measure -> fit on all scenarios together.
    types
        ``(V,)`` village type.
    """

    basis: Basis
    interventions: tuple[str, ...]
    measures: tuple[str, ...]
    coef: dict[str, np.ndarray]
    pooled: dict[str, Fit]
    types: np.ndarray
    exposure: np.ndarray
    interaction_tests: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def scenarios(self) -> int:
        return next(iter(self.coef.values())).shape[0]

    def per_child(self, measure: str, cov: np.ndarray, scenario: int | None = None,
                  intercept: bool = True) -> np.ndarray:
        """Effect per child of each village at coverages ``(V, I)`` (``(W, V)`` when
        ``scenario`` is None, else ``(V,)``)."""
        X = self.basis.matrix(cov, self.types)
        if not intercept:
            per = 1 + len(self.basis.powers)
            X[:, [t * per for t in range(self.basis.n_types)]] = 0.0
        c = self.coef[measure]
        return X @ c[scenario] if scenario is not None else c @ X.T

    def effect(self, measure: str, cov: np.ndarray, intercept: bool = True) -> np.ndarray:
        """``(W, V)`` predicted improvement of every village at coverages ``cov`` (V, I)."""
        return self.per_child(measure, cov, intercept=intercept) * self.exposure[None, :]

    def objective(self, weights: Mapping[str, float], cov: np.ndarray, equity: np.ndarray | None = None,
                  intercept: bool = True) -> np.ndarray:
        """``(W, V)`` weighted improvement (the plan's objective) per village."""
        e = np.ones(len(self.exposure)) if equity is None else equity
        total = np.zeros((self.scenarios, len(self.exposure)))
        for m, w in weights.items():
            if w:
                total += w * self.effect(m, cov, intercept)
        return total * e[None, :]

    def table(self) -> pd.DataFrame:
        """Coefficients per measure and term: pooled, mean of the scenario fits, SE, spread."""
        names = self.basis.names(self.interventions)
        rows = []
        for m in self.measures:
            f = self.pooled[m]
            se = np.sqrt(np.clip(np.diag(f.cov), 0, None))
            c = self.coef[m]
            for j, n in enumerate(names):
                rows.append({"measure": m, "term": n, "pooled": f.coef[j], "pooled_se": se[j],
                             "scenario_mean": c[:, j].mean(), "scenario_sd": c[:, j].std(ddof=1) if len(c) > 1 else 0.0,
                             "r2_pooled": f.r2, "unit": f"{MEASURES[m].unit} per child"})
        return pd.DataFrame(rows)


def _candidate_pairs(data: DesignData, requires: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    req = {tuple(sorted(p)) for p in requires}
    NI = len(data.interventions)
    out = []
    for i in range(NI):
        for k in range(i + 1, NI):
            if (i, k) in req:
                continue
            both = (data.levels[..., i] > 0) & (data.levels[..., k] > 0)
            if both.sum() >= 10 and (~both).sum() >= 10:
                out.append((i, k))
    return out


def fit_surrogate(data: DesignData, weights: Mapping[str, float], *, types: np.ndarray,
                  interactions: str | Sequence[tuple[int, int]] = "auto", t_threshold: float = 3.0,
                  requires: Sequence[tuple[int, int]] = ()) -> Surrogate:
    """Fit the response surfaces of every measure (see the module docstring)."""
    W, J, V, NI = data.levels.shape
    n_types = int(types.max()) + 1 if len(types) else 1
    exposure = np.maximum(data.exposure, 1.0)
    cov = data.levels.reshape(W * J * V, NI)
    typ = np.tile(types, W * J)
    wts = np.tile(exposure, W * J)
    measures = tuple(m for m in MEASURES if m in data.effect)
    tests = pd.DataFrame(columns=["pair", "estimate", "se", "t", "selected"])
    if isinstance(interactions, str):
        pairs: list[tuple[int, int]] = []
        if interactions == "auto":
            cands = _candidate_pairs(data, requires)
            if cands:
                full = Basis(n_types, data.on_off, tuple(cands))
                y = sum(w * data.effect[m] for m, w in weights.items() if w).reshape(-1) / wts
                f = wls(full.matrix(cov, typ), y, wts)
                base = full.size - len(cands)
                est = f.coef[base:]
                se = np.sqrt(np.clip(np.diag(f.cov)[base:], 0, None))
                t = np.where(se > 0, est / np.maximum(se, 1e-300), 0.0)
                sel = np.abs(t) >= t_threshold
                pairs = [p for p, s in zip(cands, sel, strict=True) if s]
                tests = pd.DataFrame({"pair": [f"{data.interventions[i]} x {data.interventions[k]}" for i, k in cands],
                                      "estimate": est, "se": se, "t": t, "selected": sel})
    else:
        pairs = [tuple(p) for p in interactions]
    basis = Basis(n_types, data.on_off, tuple(pairs))
    X_all = basis.matrix(cov, typ)
    Xs = X_all.reshape(W, J * V, basis.size)
    coef, pooled = {}, {}
    for m in measures:
        y_all = data.effect[m].reshape(-1) / wts
        pooled[m] = wls(X_all, y_all, wts)
        ys = y_all.reshape(W, J * V)
        ws = wts.reshape(W, J * V)
        fits = [wls(Xs[w], ys[w], ws[w]) for w in range(W)]
        coef[m] = shrink(np.stack([f.coef for f in fits]),
                         np.stack([np.sqrt(np.clip(np.diag(f.cov), 0, None)) for f in fits]))
    return Surrogate(basis=basis, interventions=data.interventions, measures=measures, coef=coef, pooled=pooled,
                     types=types, exposure=exposure, interaction_tests=tests)


@dataclass
class CostModel:
    """``cost(c) = fixed 1[c > 0] + per_coverage c`` per village, intervention and year
    (RMB), and units reached ``units_fixed 1[c > 0] + units_per_coverage c``."""

    fixed: np.ndarray  # (V, I, Y)
    per_coverage: np.ndarray
    units_fixed: np.ndarray
    units_per_coverage: np.ndarray

    def cost(self, cov: np.ndarray) -> np.ndarray:
        """``(V, I, Y)`` cost at coverages ``(V, I)``."""
        on = (cov > 0)[..., None]
        return np.where(on, self.fixed + self.per_coverage * cov[..., None], 0.0)

    def units(self, cov: np.ndarray) -> np.ndarray:
        on = (cov > 0)[..., None]
        return np.where(on, self.units_fixed + self.units_per_coverage * cov[..., None], 0.0)


def _two_term(c: np.ndarray, y: np.ndarray, on_off: bool) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative least squares of ``y = F 1[c>0] + G c`` along the first axis (vectorised
    over the rest); ``G = 0`` for an on/off item."""
    on = (c > 0).astype(float)
    n_on = on.sum(axis=0)
    if on_off:
        F = np.where(n_on > 0, (y * on).sum(axis=0) / np.maximum(n_on, 1), 0.0)
        return np.maximum(F, 0.0), np.zeros_like(F)
    s11, s12, s22 = n_on, (on * c).sum(axis=0), (c * c).sum(axis=0)
    t1, t2 = (on * y).sum(axis=0), (c * y).sum(axis=0)
    det = s11 * s22 - s12 * s12
    with np.errstate(invalid="ignore", divide="ignore"):
        g_only = np.where(s22 > 0, t2 / np.maximum(s22, 1e-300), 0.0)
        f_only = np.where(n_on > 0, t1 / np.maximum(n_on, 1), 0.0)
        F = np.where(det > 1e-12, (s22 * t1 - s12 * t2) / det, 0.0)
        G = np.where(det > 1e-12, (s11 * t2 - s12 * t1) / det, g_only)
    F_neg, G_neg = F < 0, G < 0
    F, G = np.where(F_neg, 0.0, F), np.where(F_neg, g_only, G)
    F, G = np.where(G_neg & ~F_neg, f_only, F), np.where(G_neg, 0.0, G)
    return np.maximum(F, 0.0), np.maximum(G, 0.0)


def fit_costs(data: DesignData) -> CostModel:
    """Fit the cost model of every village, intervention and year (module docstring)."""
    W, J, V, NI = data.levels.shape
    Y = data.cost.shape[-1]
    c = data.levels.reshape(W * J, V, NI)
    cost = data.cost.reshape(W * J, V, NI, Y)
    units = data.units.reshape(W * J, V, NI, Y)
    out = [np.zeros((V, NI, Y)) for _ in range(4)]
    for i in range(NI):
        ci = np.repeat(c[:, :, i][..., None], Y, axis=2)
        F, G = _two_term(ci, cost[:, :, i, :], bool(data.on_off[i]))
        Fu, Gu = _two_term(ci, units[:, :, i, :], bool(data.on_off[i]))
        out[0][:, i], out[1][:, i], out[2][:, i], out[3][:, i] = F, G, Fu, Gu
    if not np.all(np.isfinite(out[0])) or not np.all(np.isfinite(out[1])):
        raise PlanError("the cost model could not be fitted (no costs booked in the design runs?)")
    return CostModel(fixed=out[0], per_coverage=out[1], units_fixed=out[2], units_per_coverage=out[3])
