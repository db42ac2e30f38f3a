"""Fitting free parameters to targets with :mod:`scipy.optimize`.

The objective is the weighted sum of squared standardised distances over the fitting
targets,

.. math:: S(\\theta) = \\sum_i w_i \\left(\\frac{\\bar y_i(\\theta) - y_i^*}{\\sigma_i}\\right)^2,

where :math:`\\bar y_i(\\theta)` is the mean of target :math:`i` over the replicates
(the same replicate seeds at every point: common random numbers), :math:`y_i^*` the
target value and :math:`\\sigma_i` its standard error.  Held-out targets never enter it.

The optimiser works on the free parameters scaled to the unit box (bounds -> [0, 1]).
Methods:

* ``least-squares`` (default): :func:`scipy.optimize.least_squares`, trust-region
  reflective, with a forward-difference Jacobian whose columns are evaluated in
  parallel.  The step is wide (5% of each parameter's range by default) because a
  simulated objective is rough at small scale; CRN makes it smooth enough at that step.
* ``nelder-mead``, ``powell``: :func:`scipy.optimize.minimize` with bounds; replicates
  run in parallel.
* ``differential-evolution``: :func:`scipy.optimize.differential_evolution`, each
  generation evaluated in parallel (global, but needs many evaluations).

Near the optimum the Jacobian :math:`J` of the standardised residuals gives the
approximate covariance :math:`(J^T J)^{-1}` of the estimates (Gauss-Newton), and from it
the parameter correlations and standard errors reported in the fit report.

References
----------
Branch, M. A., Coleman, T. F., & Li, Y. (1999). A subspace, interior, and conjugate
gradient method for large-scale bound-constrained minimization problems. SIAM J. Sci.
Comput., 21(1), 1-23.
Kennedy, M. C., & O'Hagan, A. (2001). Bayesian calibration of computer models. JRSS B,
63(3), 425-464 (on calibration targets with uncertainty).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from povsim.calibration.evaluate import Evaluator
from povsim.calibration.targets import CalibrationSpec
from povsim.errors import PovsimError, did_you_mean

__all__ = ["METHODS", "CalibrationError", "FitResult", "check_method", "covariance", "fit", "residuals"]

#: Optimisation methods ``povsim calibrate --method`` accepts.
METHODS: tuple[str, ...] = ("least-squares", "nelder-mead", "powell", "differential-evolution")

#: Residual given to a target the run did not produce (a NaN outcome), so the optimiser
#: moves away from such points instead of failing.
_MISSING = 1e3


class CalibrationError(PovsimError):
    """A calibration that cannot run as asked (bad method, budget, ...)."""


@dataclass
class FitResult:
    """The outcome of a calibration.

    Attributes
    ----------
    x, x0
        Fitted and starting parameter values (parameter units).
    stats
        Simulated values at ``x``, ``replicates x targets`` (all targets).
    objective, objective0
        :math:`S` at the fit and at the start.
    jacobian
        Jacobian of the standardised fit residuals w.r.t. the parameters (parameter units).
    covariance
        Approximate covariance of the estimates, ``(J^T J)^-1`` (pseudo-inverse).
    trace
        ``(evaluation, objective)`` for each distinct point in the order evaluated.
    """

    spec: CalibrationSpec
    method: str
    x: np.ndarray
    x0: np.ndarray
    stats: np.ndarray
    objective: float
    objective0: float
    jacobian: np.ndarray
    covariance: np.ndarray
    evaluations: int
    runs: int
    cached_runs: int
    seconds: float
    compute_seconds: float
    converged: bool
    message: str
    trace: list[tuple[np.ndarray, float]] = field(default_factory=list)

    @property
    def correlation(self) -> np.ndarray:
        """Parameter correlations near the optimum (NaN where a variance is zero)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.sqrt(np.clip(np.diag(self.covariance), 0, None))
            return self.covariance / np.outer(d, d)

    @property
    def standard_errors(self) -> np.ndarray:
        """Approximate standard errors of the fitted parameters (local linearisation; NaN:
        not identified at the finite-difference step)."""
        with np.errstate(invalid="ignore"):
            return np.sqrt(np.clip(np.diag(self.covariance), 0, None))

    def wide_se(self) -> list[str]:
        """Free parameters whose approximate SE exceeds half their range (or is unknown):
        not identified by the targets."""
        out = []
        for p, se in zip(self.spec.parameters, self.standard_errors, strict=True):
            if not np.isfinite(se) or se > 0.5 * (p.upper - p.lower):
                out.append(p.name)
        return out

    def at_bounds(self, rel: float = 0.01) -> list[str]:
        """Free parameters within ``rel`` of their range from a bound."""
        out = []
        for p, v in zip(self.spec.parameters, self.x, strict=True):
            span = p.upper - p.lower
            if v <= p.lower + rel * span or v >= p.upper - rel * span:
                out.append(p.name)
        return out


def check_method(method: str) -> None:
    """Refuse a method that is not one of :data:`METHODS` (:class:`CalibrationError`)."""
    if method not in METHODS:
        raise CalibrationError(f"unknown method {method!r}; expected one of {', '.join(METHODS)} "
                               f"({did_you_mean(method, METHODS)})")


def covariance(jac: np.ndarray) -> np.ndarray:
    """Gauss-Newton covariance ``(J^T J)^-1`` of the estimates from the residual Jacobian.

    A parameter whose column is zero (no target moved at the finite-difference step) is
    not identified there: its row and column are NaN rather than the zero a
    pseudo-inverse would give, which would read as perfect precision.
    """
    n = jac.shape[1]
    cov = np.full((n, n), np.nan)
    ok = np.flatnonzero(np.any(jac != 0, axis=0) & np.all(np.isfinite(jac), axis=0))
    if len(ok):
        sub = jac[:, ok]
        cov[np.ix_(ok, ok)] = np.linalg.pinv(sub.T @ sub)
    return cov


def residuals(spec: CalibrationSpec, stats: np.ndarray) -> np.ndarray:
    """Standardised, weighted residuals of the fitting targets from ``replicates x targets``."""
    mean = np.nanmean(stats, axis=0) if np.isfinite(stats).any() else np.full(stats.shape[1], np.nan)
    r = []
    for j, t in enumerate(spec.targets):
        if t.use != "fit":
            continue
        v = mean[j]
        r.append(_MISSING if not np.isfinite(v) else math.sqrt(t.weight) * (v - t.value) / t.sigma)
    return np.asarray(r, dtype=float)


def fit(spec: CalibrationSpec, evaluator: Evaluator, *, method: str = "least-squares",
        max_evaluations: int | None = None, step: float = 0.05,
        start: np.ndarray | None = None,
        on_point: Callable[[int, float, float], None] | None = None) -> FitResult:
    """Fit the free parameters of ``spec`` to its fitting targets.

    Parameters
    ----------
    spec
        The calibration.
    evaluator
        Evaluates (and caches) points.
    method
        One of :data:`METHODS`.
    max_evaluations
        Budget of distinct parameter points (each costs ``replicates`` runs).  Default:
        ``25 + 15 n`` for local methods, ``10 n`` generations' worth for differential
        evolution, with ``n`` free parameters.
    step
        Finite-difference step as a share of each parameter's range.
    start
        Starting point (parameter units); default each parameter's ``start`` in the target
        file or its declared default, clipped into the bounds.
    on_point
        Called as ``on_point(evaluations, objective, best)`` after each point.
    """
    check_method(method)
    n = len(spec.parameters)
    lo = np.array([p.lower for p in spec.parameters])
    hi = np.array([p.upper for p in spec.parameters])
    span = hi - lo
    if start is None:
        # the declared defaults (not the scenario's current values, which may be an earlier
        # fit): a calibration's path then depends on the target file alone
        start = np.array([p.start if p.start is not None else p.param.default for p in spec.parameters])
    x0 = np.clip(np.asarray(start, dtype=float), lo, hi)
    u0 = (x0 - lo) / span
    budget = max_evaluations or (25 + 15 * n)
    if budget < 2:
        raise CalibrationError(f"--max-evaluations {budget}: expected at least 2")

    seen: dict[bytes, float] = {}
    trace: list[tuple[np.ndarray, float]] = []
    best = [math.inf]

    def to_x(u: np.ndarray) -> np.ndarray:
        # rounding keeps cache keys stable across optimiser round-off
        return np.round(lo + np.clip(u, 0.0, 1.0) * span, 12)

    def batch(us: list[np.ndarray]) -> list[np.ndarray]:
        xs = [to_x(u) for u in us]
        stats = evaluator.evaluate(xs)
        res = [residuals(spec, s) for s in stats]
        for x, r in zip(xs, res, strict=True):
            k = x.tobytes()
            if k not in seen:
                obj = float(r @ r)
                seen[k] = obj
                best[0] = min(best[0], obj)
                trace.append((x, obj))
                if on_point:
                    on_point(len(trace), obj, best[0])
        return res

    class _Budget(Exception):
        pass

    def res_fn(u: np.ndarray) -> np.ndarray:
        if len(seen) >= budget and to_x(u).tobytes() not in seen:
            raise _Budget
        return batch([u])[0]

    def obj_fn(u: np.ndarray) -> float:
        r = res_fn(u)
        return float(r @ r)

    def jac_fn(u: np.ndarray, *_: object) -> np.ndarray:
        h = np.where(u + step <= 1.0, step, -step)
        pts = [u] + [u + h[j] * np.eye(n)[j] for j in range(n)]
        rs = batch(pts)
        return np.column_stack([(rs[j + 1] - rs[0]) / h[j] for j in range(n)])

    converged, message = False, ""
    try:
        batch([u0])  # the start is always evaluated: the report compares fit and start
        if method == "least-squares":
            r = optimize.least_squares(res_fn, u0, jac=jac_fn, bounds=(0.0, 1.0), method="trf",
                                       x_scale=1.0, xtol=1e-3, ftol=1e-4, gtol=1e-6, max_nfev=budget)
            converged, message = bool(r.status > 0), str(r.message)
        elif method in ("nelder-mead", "powell"):
            opts = {"maxfev": budget, "xatol": 1e-3, "fatol": 1e-3} if method == "nelder-mead" else \
                {"maxfev": budget, "xtol": 1e-3, "ftol": 1e-4}
            if method == "nelder-mead":
                # an initial simplex of 10% of each range: finer steps only see simulation noise
                simplex = np.vstack([u0] + [np.clip(u0 + np.where(u0 + 0.1 <= 1, 0.1, -0.1) * np.eye(n)[j], 0, 1)
                                            for j in range(n)])
                opts["initial_simplex"] = simplex
            r = optimize.minimize(obj_fn, u0, method="Nelder-Mead" if method == "nelder-mead" else "Powell",
                                  bounds=[(0.0, 1.0)] * n, options=opts)
            converged, message = bool(r.success), str(r.message)
        else:
            def parallel_map(_func, population):
                pts = [np.asarray(u) for u in population]
                if len(seen) + len(pts) > budget:
                    raise _Budget
                return [float(r @ r) for r in batch(pts)]

            popsize = 8
            r = optimize.differential_evolution(
                obj_fn, [(0.0, 1.0)] * n, x0=u0, popsize=popsize, maxiter=max(1, budget // (popsize * n) - 1),
                seed=spec.seed, polish=False, updating="deferred", workers=parallel_map, tol=1e-3)
            converged, message = bool(r.success), str(r.message)
    except _Budget:
        converged, message = False, f"stopped at the budget of {budget} evaluations"

    # the best point seen (an optimiser may end on a worse trial point)
    xb, objb = min(trace, key=lambda t: t[1])
    ub = (xb - lo) / span
    jac_u = jac_fn(ub)
    jac = jac_u / span  # per parameter unit
    cov = covariance(jac)
    stats = evaluator.evaluate([xb])[0]
    return FitResult(
        spec=spec, method=method, x=xb, x0=to_x(u0), stats=stats, objective=objb,
        objective0=seen.get(to_x(u0).tobytes(), math.nan), jacobian=jac, covariance=cov,
        evaluations=len(seen), runs=evaluator.runs, cached_runs=evaluator.cached, seconds=evaluator.seconds,
        compute_seconds=evaluator.compute,
        converged=converged, message=message, trace=trace)
