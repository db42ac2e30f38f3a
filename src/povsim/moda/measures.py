"""Alkire-Foster multidimensional poverty measures on a deprivation matrix.

The child is the unit of analysis.  A child's *score* is the weighted sum of its (dimension)
deprivations, and the child is multidimensionally poor when the score reaches the poverty
cut-off ``k`` (in the units of the weights): the dual cut-off method.

Measures
--------
H
    Headcount ratio: the (sample-weighted) share of poor children.
A
    Intensity: the mean, over the poor, of ``score / sum(weights)``.
M0
    Adjusted headcount ratio, ``M0 = H * A``. It is the weighted mean of the censored
    headcounts and is decomposable by population subgroup and by dimension.

Implementation: a child's deprivation pattern (which dimensions it is deprived in) is
packed into an integer code.  One weighted ``np.bincount`` over ``(group, income state,
pattern)`` gives a small table, and every measure is computed from that table
(:func:`measures_from_table`); nothing loops over children in Python.  :func:`is_poor`
is the one poverty cut-off every path uses.

References
----------
Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement.
*Journal of Public Economics* 95(7-8): 476-487. doi:10.1016/j.jpubeco.2010.11.006

Alkire, S., Foster, J. E., Seth, S., Santos, M. E., Roche, J. M. and Ballon, P. (2015).
*Multidimensional Poverty Measurement and Analysis*. Oxford University Press, ch. 5.

de Neubourg, C., Chai, J., de Milliano, M., Plavgo, I. and Wei, Z. (2012).
*Step-by-Step Guidelines to the Multiple Overlapping Deprivation Analysis (MODA)*.
UNICEF Office of Research Working Paper WP-2012-10, Florence.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

__all__ = ["SCORE_TOLERANCE", "AFResult", "alkire_foster", "is_poor"]

#: Absolute tolerance (scaled by ``max(1, sum(weights))``) when comparing scores with k.
SCORE_TOLERANCE = 1e-9


# Pattern tables are indexed directly by the pattern code up to this many dimensions;
# above it, the observed patterns are compressed with np.unique first.
_DIRECT_PATTERN_BITS = 12
_MAX_PATTERN_BITS = 62


# ---------------------------------------------------------------------------------------
# Alkire–Foster core
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AFResult:
    """Alkire–Foster measures for one deprivation matrix.

    Attributes
    ----------
    H, A, M0
        Headcount ratio, intensity among the poor, adjusted headcount ratio
        (``M0 = H * A``). ``A`` is NaN when nobody is poor (the intensity is undefined);
        ``H`` and ``M0`` are then 0.
    k
        Poverty cut-off, in the units of ``weights``.
    weights
        Indicator weights (length ``d``).
    n
        Sum of the sample weights (the population size).
    poor
        Boolean per unit: weighted score ``>= k`` (with tolerance :data:`SCORE_TOLERANCE`).
    scores
        Weighted deprivation score per unit, ``deprivations @ weights``.
    uncensored_headcounts
        Per indicator, the weighted share of all units deprived in it.
    censored_headcounts
        Per indicator, the weighted share of all units that are poor *and* deprived in it.
    contributions
        Per indicator, ``w_j * censored_j / (M0 * sum(w))``; sums to 1. All NaN when
        ``M0 == 0`` (no poor units: the contributions are undefined).
    deprivation_count_distribution
        Weighted share of units deprived in exactly ``0, 1, ..., d`` indicators
        (unweighted count of indicators).
    """

    H: float
    A: float
    M0: float
    k: float
    weights: NDArray[np.float64]
    n: float
    poor: NDArray[np.bool_]
    scores: NDArray[np.float64]
    uncensored_headcounts: NDArray[np.float64]
    censored_headcounts: NDArray[np.float64]
    contributions: NDArray[np.float64]
    deprivation_count_distribution: NDArray[np.float64]


def _readonly(a: NDArray[Any]) -> NDArray[Any]:
    a.setflags(write=False)
    return a


def _as_deprivation_matrix(deprivations: ArrayLike) -> NDArray[np.bool_]:
    """Validate a 0/1 matrix and return it as bool."""
    x = np.asarray(deprivations)
    if x.ndim != 2:
        raise ValueError(
            f"deprivations must be a 2-D array (n_units, n_indicators); got shape {x.shape}"
        )
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(
            f"deprivations must have at least one unit and one indicator; got shape {x.shape}"
        )
    if x.dtype == np.bool_:
        return x
    if x.dtype.kind not in "iuf":
        raise ValueError(
            f"deprivations must hold 0/1 values (bool or numbers); got dtype {x.dtype}"
        )
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        if nan.any():
            i, j = np.argwhere(nan)[0]
            raise ValueError(
                f"deprivations[{i}, {j}] is NaN; resolve missing values first "
                "(drop the unit or count it as not deprived)"
            )
    bad = (x != 0) & (x != 1)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(f"deprivations[{i}, {j}] = {x[i, j].item()!r}; expected 0 or 1")
    return x != 0


def _as_weights(weights: ArrayLike | None, d: int) -> NDArray[np.float64]:
    if weights is None:
        return np.ones(d)
    try:
        w = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"weights must be numbers; got {weights!r}") from exc
    if w.shape != (d,):
        raise ValueError(f"weights must have one value per indicator ({d}); got shape {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"weights must be finite; got {w.tolist()}")
    if (w < 0).any():
        raise ValueError(f"weights must be >= 0; got {w.tolist()}")
    if w.sum() <= 0:
        raise ValueError("weights must not all be zero")
    return w


def _as_sample_weights(
    sample_weights: ArrayLike | None, n_units: int
) -> NDArray[np.float64] | None:
    """Validate per-unit population weights; ``None`` means 1 each."""
    if sample_weights is None:
        return None
    try:
        sw = np.asarray(sample_weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError("sample_weights must be numbers") from exc
    if sw.shape != (n_units,):
        raise ValueError(
            f"sample_weights must have one value per unit ({n_units}); got shape {sw.shape}"
        )
    bad = ~np.isfinite(sw) | (sw < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"sample_weights[{i}] = {sw[i].item()!r}; expected a finite number >= 0")
    return sw


def _check_k(k: float, total_weight: float) -> float:
    if isinstance(k, bool) or not isinstance(k, int | float | np.integer | np.floating):
        raise ValueError(f"k must be a number; got {k!r}")
    kf = float(k)
    tol = SCORE_TOLERANCE * max(1.0, total_weight)
    if not math.isfinite(kf) or kf <= 0 or kf > total_weight + tol:
        raise ValueError(
            f"k = {k!r} is outside (0, {total_weight:g}]: the poverty cut-off must be positive "
            "and at most the sum of the weights"
        )
    return kf


def is_poor(scores: NDArray[np.float64], k: float, total_weight: float) -> NDArray[np.bool_]:
    """The poverty cut-off: a score of at least ``k`` (within :data:`SCORE_TOLERANCE`, scaled
    by the total weight, so that sums of fractional weights that equal ``k`` count)."""
    tol = SCORE_TOLERANCE * max(1.0, total_weight)
    return (scores >= k - tol) & (scores > 0)


def alkire_foster(
    deprivations: ArrayLike,
    weights: ArrayLike | None = None,
    k: float = 2,
    sample_weights: ArrayLike | None = None,
) -> AFResult:
    """Alkire–Foster adjusted headcount ratio M0 and its partial indices.

    Parameters
    ----------
    deprivations
        ``(n_units, n_indicators)`` array of 0/1 (bool or numbers): 1 = deprived.
    weights
        Non-negative weight per indicator; default 1 each.
    k
        Poverty cut-off in the units of the weights: a unit is poor when its weighted
        score is ``>= k`` (within :data:`SCORE_TOLERANCE`). ``0 < k <= sum(weights)``.
        ``k = min(weights)`` is the union approach and ``k = sum(weights)`` the
        intersection approach.
    sample_weights
        Non-negative population weight per unit; default 1 each.

    Returns
    -------
    AFResult
        H, A, M0 and the per-indicator headcounts and contributions.

    Raises
    ------
    ValueError
        Non-0/1 values, NaN, negative or non-finite weights, a shape mismatch, or
        ``k`` outside ``(0, sum(weights)]``.

    References
    ----------
    Alkire, S. and Foster, J. (2011). Counting and multidimensional poverty measurement.
    J. Public Econ. 95(7-8): 476-487. doi:10.1016/j.jpubeco.2010.11.006

    Examples
    --------
    The worked example of Alkire and Foster (2011), with ``k = 2``:

    >>> x = np.array([[13.1, 14, 4, 1], [15.2, 7, 5, 0], [12.5, 10, 1, 0], [20, 11, 3, 1]])
    >>> r = alkire_foster(x < np.array([13, 12, 3, 1]), k=2)
    >>> float(r.H), float(r.A), float(r.M0)
    (0.5, 0.75, 0.375)
    """
    x = _as_deprivation_matrix(deprivations)
    n_units, d = x.shape
    w = _as_weights(weights, d)
    total_w = float(w.sum())
    sw = _as_sample_weights(sample_weights, n_units)
    kk = _check_k(k, total_w)
    n = float(n_units) if sw is None else float(sw.sum())
    if n <= 0:
        raise ValueError("sample_weights sum to zero: there is no population to measure")

    scores = x @ w
    poor = is_poor(scores, kk, total_w)
    unit_w = np.ones(n_units) if sw is None else sw
    uncensored = (unit_w @ x) / n
    censored = (np.where(poor, unit_w, 0.0) @ x) / n
    h = float(unit_w[poor].sum() / n)
    m0 = float(censored @ w / total_w)
    a = m0 / h if h > 0 else math.nan
    if m0 > 0:
        contributions = w * censored / (m0 * total_w)
    else:
        contributions = np.full(d, np.nan)
    counts = np.count_nonzero(x, axis=1)
    dist = np.bincount(counts, weights=unit_w, minlength=d + 1) / n
    return AFResult(
        H=h,
        A=a,
        M0=m0,
        k=kk,
        weights=_readonly(w.copy()),
        n=n,
        poor=_readonly(poor),
        scores=_readonly(scores),
        uncensored_headcounts=_readonly(uncensored),
        censored_headcounts=_readonly(censored),
        contributions=_readonly(contributions),
        deprivation_count_distribution=_readonly(dist),
    )


# ---------------------------------------------------------------------------------------
# Pattern tables: the vectorised engine behind the grouped measures
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Measures:
    """AF measures for G groups, computed from a (G, P) table of pattern weights."""

    n: NDArray[np.float64]  # (G,)
    H: NDArray[np.float64]  # (G,)
    A: NDArray[np.float64]  # (G,)
    M0: NDArray[np.float64]  # (G,)
    uncensored: NDArray[np.float64]  # (G, d)
    censored: NDArray[np.float64]  # (G, d)
    contributions: NDArray[np.float64]  # (G, d)
    distribution: NDArray[np.float64]  # (G, d + 1)
    poor_pattern: NDArray[np.bool_]  # (P,)


def _pattern_bits(pattern_codes: NDArray[np.int64], d: int) -> NDArray[np.bool_]:
    """(P, d) bool matrix: which columns each pattern is deprived in."""
    return ((pattern_codes[:, None] >> np.arange(d, dtype=np.int64)) & 1).astype(bool)


def _grouped_table(
    index: NDArray[np.intp],
    size: int,
    sample_weights: NDArray[np.float64] | None,
    keep: NDArray[np.bool_] | None = None,
) -> NDArray[np.float64]:
    """Weighted counts of ``index`` in ``[0, size)``; units with ``keep == False`` ignored."""
    if keep is not None:
        index = np.where(keep, index, size)
    counts = np.bincount(index, weights=sample_weights, minlength=size + 1)
    return counts[:size].astype(np.float64, copy=False)


def measures_from_table(
    table: NDArray[np.float64],
    bits: NDArray[np.bool_],
    weights: NDArray[np.float64],
    k: float,
) -> _Measures:
    """AF measures per row of a ``(G, P)`` table of weights per deprivation pattern.

    Row ``g`` column ``p`` holds the population weight of the units of group ``g``
    whose deprivation pattern is ``bits[p]``. Groups with no weight get NaN.
    """
    total_w = float(weights.sum())
    d = bits.shape[1]
    bits_f = bits.astype(np.float64)
    scores = bits_f @ weights
    poor = is_poor(scores, k, total_w)
    n = table.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_n = np.where(n > 0, 1.0 / n, np.nan)[:, None]
        uncensored = (table @ bits_f) * inv_n
        poor_table = table[:, poor]
        censored = (poor_table @ bits_f[poor]) * inv_n
        h = poor_table.sum(axis=1) * inv_n[:, 0]
        m0 = censored @ weights / total_w
        a = np.where(h > 0, m0 / h, np.nan)
        contributions = np.where(
            m0[:, None] > 0, weights * censored / (m0[:, None] * total_w), np.nan
        )
        counts = bits.sum(axis=1)
        onehot = (counts[:, None] == np.arange(d + 1)).astype(np.float64)
        distribution = (table @ onehot) * inv_n
    return _Measures(
        n=n,
        H=h,
        A=a,
        M0=m0,
        uncensored=uncensored,
        censored=censored,
        contributions=contributions,
        distribution=distribution,
        poor_pattern=poor,
    )


def _factorize(values: Any, name: str) -> tuple[NDArray[np.intp], list[Any]]:
    """Integer codes and labels of a per-unit label array (hash-based, no sort of units)."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        values = values.array
    if isinstance(values, pd.Categorical):
        codes = np.asarray(values.codes, dtype=np.intp)
        labels = list(values.categories)
    else:
        arr = np.asarray(values)
        if arr.ndim != 1:
            raise ValueError(f"{name} must be 1-D; got shape {arr.shape}")
        codes, uniques = pd.factorize(arr, sort=True, use_na_sentinel=True)
        codes = np.asarray(codes, dtype=np.intp)
        labels = [u.item() if isinstance(u, np.generic) else u for u in np.asarray(uniques)]
    if codes.size and codes.min() < 0:
        i = int(np.flatnonzero(codes < 0)[0])
        raise ValueError(f"{name} has a missing label at index {i}; every unit needs a group")
    return codes, labels


@functools.cache
def _pattern_names(dims: tuple[str, ...]) -> tuple[str, ...]:
    """Label of every pattern code over ``dims`` ("nutrition+water", or "none"); cached,
    since runs label the same patterns every year."""
    return tuple("+".join(dims[j] for j in range(len(dims)) if code >> j & 1) or "none"
                 for code in range(1 << len(dims)))
