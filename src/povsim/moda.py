"""MODA deprivation analysis and Alkire–Foster multidimensional poverty measures.

The child is the unit of analysis. For each age group, indicator deprivations are
combined into dimension deprivations with the *union rule* (a child deprived in any
indicator of a dimension is deprived in that dimension). The Alkire–Foster (AF)
dual cut-off method then runs over the dimensions: a child's *score* is the weighted
sum of its dimension deprivations, and the child is multidimensionally poor when the
score reaches the poverty cut-off ``k`` (in the units of the dimension weights).

Measures
--------
H
    Headcount ratio: the (sample-weighted) share of poor children.
A
    Intensity: the mean, over the poor, of ``score / sum(weights)``.
M0
    Adjusted headcount ratio, ``M0 = H * A``. It is the weighted mean of the censored
    headcounts and is decomposable by population subgroup and by dimension.

Public functions
----------------
:func:`alkire_foster`
    H, A, M0, uncensored and censored headcounts, contributions for one
    deprivation matrix.
:func:`overlaps`, :func:`upset_counts`
    Overlaps of 2 or 3 deprivations, and the counts per pattern that an UpSet plot
    needs.
:func:`income_overlap`
    How multidimensional poverty and income poverty overlap.
:func:`decompose`
    Decomposition of M0 by population subgroup.
:func:`load_moda_config`, :func:`parse_moda_config`
    Read and validate a MODA configuration.
:func:`moda_tables`
    The full set of tables for a frame of children: the simulation model and the
    survey mode (:mod:`povsim.moda_survey`) share this code path.

Implementation: a child's deprivation pattern (which dimensions it is deprived in)
is packed into an integer code. One weighted ``np.bincount`` over ``(group, income
state, pattern)`` gives a small table, and every measure is computed from that table
(see :func:`_measures_from_table`). Nothing loops over children in Python.

Configuration (TOML)
--------------------
::

    [moda]
    name = "hubei_2015"
    k = 3                    # poverty cut-off, in dimension-weight units (> 0)
    missing = "drop"         # "drop" | "not_deprived": what to do with missing values
    income_poverty = "income_poor"   # optional 0/1 column for the income overlap
    groups = ["sex", "arm"]  # optional default subgroup columns for decomposition
    description = "..."      # optional

    [[age_groups]]           # one or more; the age ranges must not overlap
    name = "0-5"
    min_age = 0              # a child belongs when min_age <= age < max_age + 1
    max_age = 5
    k = 3                    # optional override of moda.k

    [dimensions.nutrition]   # one table per dimension, in reporting order
    weight = 1.0             # > 0; default 1 (equal weights)
    label = "Nutrition"      # optional
    description = ""         # optional

    [[indicators]]
    name = "stunting"        # unique
    dimension = "nutrition"  # must be a key of [dimensions]
    age_groups = ["0-5"]     # optional; default: every age group
    column = "haz"           # column of the child frame or survey
    rule = "< -2"            # optional: "< x", "<= x", "> x", ">= x", "== x", "!= x".
                             # Without a rule the column must be 0/1 (1 = deprived).
    min_age = 3              # optional: the indicator applies only at these ages
    max_age = 5              # (same convention as the age groups); others count as
                             # not deprived in it
    source = "WHO Child Growth Standards: stunting = HAZ < -2 SD"
    description = ""         # optional

Unknown keys are errors. The dimensions of an age group are the dimensions that have
at least one indicator for that age group. The cut-off ``k`` of an age group must lie
in ``(0, sum of the weights of its dimensions]``.

Missing values (NaN in a float column) are handled as the ``missing`` policy says:
``"drop"`` removes a child from its age group when any indicator that applies to it is
missing; ``"not_deprived"`` counts the missing indicator as not deprived. Either way,
the number of children affected is reported in the ``summary`` table (measure
``missing_drop`` or ``missing_not_deprived``, after the policy).

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
import itertools
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from povsim.errors import ScenarioError, did_you_mean

__all__ = [
    "TABLE_COLUMNS",
    "AFResult",
    "MODAConfig",
    "MODAConfigError",
    "alkire_foster",
    "compute_moda_tables",
    "decompose",
    "default_moda_config_path",
    "income_overlap",
    "load_moda_config",
    "moda_tables",
    "overlaps",
    "parse_moda_config",
    "parse_rule",
    "upset_counts",
]

#: Absolute tolerance (scaled by ``max(1, sum(weights))``) when comparing scores with k.
SCORE_TOLERANCE = 1e-9

#: Columns of every table returned by :func:`moda_tables`.
TABLE_COLUMNS: tuple[str, ...] = (
    "age_group",
    "by",
    "group",
    "measure",
    "dimension",
    "indicator",
    "value",
    "n",
)

#: Names of the tables returned by :func:`moda_tables`.
TABLE_NAMES: tuple[str, ...] = (
    "summary",
    "dimensions",
    "distribution",
    "indicators",
    "income",
    "overlaps",
    "patterns",
)

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


def _is_poor(scores: NDArray[np.float64], k: float, total_weight: float) -> NDArray[np.bool_]:
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
    poor = _is_poor(scores, kk, total_w)
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


def _pattern_codes(x: NDArray[np.bool_]) -> NDArray[np.intp]:
    """Pack each row of a bool matrix into an integer (bit j = column j)."""
    d = x.shape[1]
    if d > _MAX_PATTERN_BITS:
        raise ValueError(f"at most {_MAX_PATTERN_BITS} indicators are supported; got {d}")
    packed = np.packbits(x, axis=1, bitorder="little")
    codes = packed[:, 0].astype(np.int64)
    for b in range(1, packed.shape[1]):
        codes |= packed[:, b].astype(np.int64) << (8 * b)
    return codes


def _pattern_index(codes: NDArray[np.int64], d: int) -> tuple[NDArray[np.intp], NDArray[np.int64]]:
    """Map codes to table columns: (index per unit, code of each column)."""
    if d <= _DIRECT_PATTERN_BITS:
        return codes.astype(np.intp, copy=False), np.arange(1 << d, dtype=np.int64)
    uniq, inverse = np.unique(codes, return_inverse=True)
    return inverse.astype(np.intp, copy=False), uniq


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


def _measures_from_table(
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
    poor = _is_poor(scores, k, total_w)
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


def _check_names(names: Sequence[str], d: int, reserved: Sequence[str] = ()) -> list[str]:
    names = [str(s) for s in names]
    if len(names) != d:
        raise ValueError(f"names must have one entry per indicator ({d}); got {len(names)}")
    if len(set(names)) != d:
        raise ValueError(f"names must be unique; got {names}")
    clash = sorted(set(names) & set(reserved))
    if clash:
        raise ValueError(f"names must not be any of {list(reserved)}; got {clash}")
    return names


# ---------------------------------------------------------------------------------------
# Further measures
# ---------------------------------------------------------------------------------------


def _pattern_table_1d(
    deprivations: ArrayLike, sample_weights: ArrayLike | None
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Validated matrix, pattern weights, unit counts and codes of the observed patterns."""
    x = _as_deprivation_matrix(deprivations)
    n_units, d = x.shape
    sw = _as_sample_weights(sample_weights, n_units)
    codes = _pattern_codes(x)
    index, pattern_codes = _pattern_index(codes, d)
    size = len(pattern_codes)
    weight = _grouped_table(index, size, sw)
    count = np.bincount(index, minlength=size).astype(np.float64)
    return x, weight, count, pattern_codes


def overlaps(
    deprivations: ArrayLike,
    names: Sequence[str],
    sample_weights: ArrayLike | None = None,
    order: Sequence[int] = (2, 3),
) -> pd.DataFrame:
    """Share of units deprived in *all* indicators of each combination.

    Parameters
    ----------
    deprivations
        ``(n_units, d)`` 0/1 matrix.
    names
        One name per column.
    sample_weights
        Population weight per unit; default 1 each.
    order
        Sizes of the combinations (each in ``1..d``): ``(2, 3)`` gives all pairs and
        triples.

    Returns
    -------
    pandas.DataFrame
        One row per combination: ``order``, ``combination`` (names joined by ``" & "``),
        ``weight`` (population weight deprived in all of them) and ``share``
        (``weight / n``).

    References
    ----------
    de Neubourg et al. (2012), MODA Step-by-Step Guidelines, UNICEF Office of Research
    WP-2012-10 (overlap analysis).
    """
    x, weight, _count, pattern_codes = _pattern_table_1d(deprivations, sample_weights)
    d = x.shape[1]
    labels = _check_names(names, d)
    orders = [int(r) for r in order]
    bad = [r for r in orders if not 1 <= r <= d]
    if bad:
        raise ValueError(f"order must be combination sizes in 1..{d}; got {list(order)}")
    combos = [c for r in orders for c in itertools.combinations(range(d), r)]
    n = weight.sum()
    if not combos:
        return pd.DataFrame({"order": [], "combination": [], "weight": [], "share": []})
    masks = np.array([sum(1 << j for j in c) for c in combos], dtype=np.int64)
    contains = (pattern_codes[None, :] & masks[:, None]) == masks[:, None]
    w_all = contains.astype(np.float64) @ weight
    return pd.DataFrame(
        {
            "order": np.array([len(c) for c in combos], dtype=np.int64),
            "combination": [" & ".join(labels[j] for j in c) for c in combos],
            "weight": w_all,
            "share": w_all / n if n > 0 else np.full(len(combos), np.nan),
        }
    )


def upset_counts(
    deprivations: ArrayLike,
    names: Sequence[str],
    sample_weights: ArrayLike | None = None,
) -> pd.DataFrame:
    """Population weight of each observed deprivation pattern (the data of an UpSet plot).

    Parameters
    ----------
    deprivations
        ``(n_units, d)`` 0/1 matrix.
    names
        One name per column (not ``"weight"`` or ``"share"``).
    sample_weights
        Population weight per unit; default 1 each.

    Returns
    -------
    pandas.DataFrame
        One row per pattern observed in at least one unit: one bool column per name
        (deprived or not), ``weight`` and ``share``; sorted by share, largest first
        (ties by pattern code).

    References
    ----------
    Lex, A., Gehlenborg, N., Strobelt, H., Vuillemot, R. and Pfister, H. (2014). UpSet:
    visualization of intersecting sets. IEEE TVCG 20(12): 1983-1992.
    doi:10.1109/TVCG.2014.2346248
    """
    x, weight, count, pattern_codes = _pattern_table_1d(deprivations, sample_weights)
    d = x.shape[1]
    labels = _check_names(names, d, reserved=("weight", "share"))
    seen = count > 0
    codes = pattern_codes[seen]
    w = weight[seen]
    n = weight.sum()
    share = w / n if n > 0 else np.full(len(w), np.nan)
    order = np.lexsort((codes, -np.nan_to_num(share, nan=0.0)))
    bits = _pattern_bits(codes[order], d)
    out: dict[str, Any] = {name: bits[:, j] for j, name in enumerate(labels)}
    out["weight"] = w[order]
    out["share"] = share[order]
    return pd.DataFrame(out)


def _as_01_vector(values: ArrayLike, name: str) -> NDArray[np.bool_]:
    v = np.asarray(values)
    if v.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {v.shape}")
    if v.dtype == np.bool_:
        return v
    if v.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold 0/1 values; got dtype {v.dtype}")
    bad = ~((v == 0) | (v == 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{i}] = {v[i].item()!r}; expected 0 or 1")
    return v != 0


def income_overlap(
    md_poor: ArrayLike,
    income_poor: ArrayLike,
    sample_weights: ArrayLike | None = None,
) -> dict[str, float]:
    """Overlap of multidimensional poverty (deprivation) and income poverty.

    Parameters
    ----------
    md_poor
        0/1 per unit: multidimensionally poor (e.g. :attr:`AFResult.poor`).
    income_poor
        0/1 per unit: below the income poverty line.
    sample_weights
        Population weight per unit; default 1 each.

    Returns
    -------
    dict
        Shares ``deprived_and_poor``, ``deprived_only``, ``poor_only`` and ``neither``
        (they sum to 1).

    References
    ----------
    de Neubourg et al. (2012), MODA Step-by-Step Guidelines, UNICEF Office of Research
    WP-2012-10 (overlap of monetary poverty and deprivation).
    """
    md = _as_01_vector(md_poor, "md_poor")
    inc = _as_01_vector(income_poor, "income_poor")
    if md.shape != inc.shape:
        raise ValueError(
            f"md_poor and income_poor must have the same length; got {md.size} and {inc.size}"
        )
    if md.size == 0:
        raise ValueError("md_poor is empty")
    sw = _as_sample_weights(sample_weights, md.size)
    cell = md.astype(np.intp) * 2 + inc.astype(np.intp)
    t = np.bincount(cell, weights=sw, minlength=4).astype(np.float64)
    n = t.sum()
    if n <= 0:
        raise ValueError("sample_weights sum to zero: there is no population to measure")
    t /= n
    return {
        "deprived_and_poor": float(t[3]),
        "deprived_only": float(t[2]),
        "poor_only": float(t[1]),
        "neither": float(t[0]),
    }


def decompose(
    deprivations: ArrayLike,
    groups: ArrayLike,
    weights: ArrayLike | None = None,
    k: float = 2,
    sample_weights: ArrayLike | None = None,
) -> pd.DataFrame:
    """Decompose M0 by population subgroup.

    M0 is subgroup decomposable: ``M0 = sum_g (n_g / n) * M0_g``; the contribution of
    subgroup g to the total is ``(n_g / n) * M0_g / M0``.

    Parameters
    ----------
    deprivations
        ``(n_units, d)`` 0/1 matrix.
    groups
        Group label per unit (any hashable values, or a pandas Categorical).
    weights, k, sample_weights
        As in :func:`alkire_foster`.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty group (sorted by label): ``group``, ``n`` (population
        weight), ``population_share``, ``H``, ``A``, ``M0`` and ``contribution`` (NaN
        when the total M0 is 0).

    References
    ----------
    Alkire and Foster (2011), section 4 (decomposability).
    doi:10.1016/j.jpubeco.2010.11.006
    """
    x = _as_deprivation_matrix(deprivations)
    n_units, d = x.shape
    w = _as_weights(weights, d)
    kk = _check_k(k, float(w.sum()))
    sw = _as_sample_weights(sample_weights, n_units)
    gcodes, labels = _factorize(groups, "groups")
    if gcodes.shape != (n_units,):
        raise ValueError(f"groups must have one label per unit ({n_units}); got {gcodes.size}")
    index, pattern_codes = _pattern_index(_pattern_codes(x), d)
    size = len(pattern_codes)
    n_groups = len(labels)
    table = _grouped_table(gcodes * size + index, n_groups * size, sw).reshape(n_groups, size)
    bits = _pattern_bits(pattern_codes, d)
    m = _measures_from_table(table, bits, w, kk)
    total = _measures_from_table(table.sum(axis=0, keepdims=True), bits, w, kk)
    if not total.n[0] > 0:
        raise ValueError("sample_weights sum to zero: there is no population to measure")
    share = m.n / total.n[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        contrib = share * m.M0 / total.M0[0] if total.M0[0] > 0 else np.full(n_groups, np.nan)
    keep = m.n > 0
    return pd.DataFrame(
        {
            "group": [lab for lab, kp in zip(labels, keep, strict=True) if kp],
            "n": m.n[keep],
            "population_share": share[keep],
            "H": m.H[keep],
            "A": m.A[keep],
            "M0": m.M0[keep],
            "contribution": contrib[keep],
        }
    )


# ---------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------


class MODAConfigError(ScenarioError):
    """A MODA configuration that cannot be used: file, dotted key, value, what was expected
    and a suggestion (the same fields and message as :class:`povsim.errors.ScenarioError`)."""


_RULE_RE = re.compile(
    r"^\s*(<=|>=|==|!=|<|>)\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*$"
)
_OPS = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


def parse_rule(rule: str) -> tuple[str, float]:
    """Parse a deprivation rule such as ``"< -2"`` into ``("<", -2.0)``.

    Raises
    ------
    ValueError
        When the rule is not ``OP NUMBER`` with OP one of ``< <= > >= == !=``.
    """
    m = _RULE_RE.match(rule) if isinstance(rule, str) else None
    if m is None:
        raise ValueError(
            f"rule {rule!r} is not understood; expected 'OP NUMBER' with OP one of "
            "<, <=, >, >=, ==, != (e.g. '< -2')"
        )
    return m.group(1), float(m.group(2))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class MODASection(_Strict):
    """The ``[moda]`` table."""

    name: str
    k: float = Field(gt=0)
    missing: Literal["drop", "not_deprived"] = "drop"
    income_poverty: str | None = None
    groups: list[str] = Field(default_factory=list)
    description: str = ""


class AgeGroupSpec(_Strict):
    """One ``[[age_groups]]`` entry: ``min_age <= age < max_age + 1``."""

    name: str
    min_age: int = Field(ge=0)
    max_age: int = Field(ge=0)
    k: float | None = Field(default=None, gt=0)

    def contains(self, age: NDArray[np.float64]) -> NDArray[np.bool_]:
        return (age >= self.min_age) & (age < self.max_age + 1)


class DimensionSpec(_Strict):
    """One ``[dimensions.NAME]`` table."""

    weight: float = Field(default=1.0, gt=0)
    label: str = ""
    description: str = ""


class IndicatorSpec(_Strict):
    """One ``[[indicators]]`` entry."""

    name: str
    dimension: str
    column: str
    source: str
    age_groups: list[str] | None = None
    rule: str | None = None
    min_age: int | None = Field(default=None, ge=0)
    max_age: int | None = Field(default=None, ge=0)
    description: str = ""
    #: "outcome" (a child's state) or "service" (receipt of a service); see povsim.moda_views
    kind: Literal["outcome", "service"] = "outcome"


class MODAConfig(_Strict):
    """A validated MODA configuration (see the module docstring for the TOML format)."""

    moda: MODASection
    age_groups: list[AgeGroupSpec] = Field(min_length=1)
    dimensions: dict[str, DimensionSpec] = Field(min_length=1)
    indicators: list[IndicatorSpec] = Field(min_length=1)
    _source: str = PrivateAttr(default="<dict>")

    @property
    def source(self) -> str:
        """File the configuration was read from (``"<dict>"`` when built from a mapping)."""
        return self._source

    def age_group(self, name: str) -> AgeGroupSpec:
        """The age group called ``name``."""
        for ag in self.age_groups:
            if ag.name == name:
                return ag
        raise KeyError(f"no age group {name!r}; {did_you_mean(name, self.age_group_names)}")

    @property
    def age_group_names(self) -> list[str]:
        return [ag.name for ag in self.age_groups]

    def indicators_for(self, age_group: str) -> list[IndicatorSpec]:
        """Indicators that apply to an age group, in configuration order."""
        return [
            ind
            for ind in self.indicators
            if ind.age_groups is None or age_group in ind.age_groups
        ]

    def dimensions_for(self, age_group: str) -> list[str]:
        """Dimensions with at least one indicator for the age group, in configuration order."""
        used = {ind.dimension for ind in self.indicators_for(age_group)}
        return [d for d in self.dimensions if d in used]

    def weights_for(self, age_group: str) -> NDArray[np.float64]:
        """Dimension weights of an age group, aligned with :meth:`dimensions_for`."""
        return np.array([self.dimensions[d].weight for d in self.dimensions_for(age_group)])

    def k_for(self, age_group: str) -> float:
        """Poverty cut-off of an age group (its override, or ``moda.k``)."""
        ag = self.age_group(age_group)
        return float(ag.k if ag.k is not None else self.moda.k)


def default_moda_config_path() -> Path:
    """Path of the shipped default configuration (``data/moda_hubei.toml``)."""
    return Path(__file__).resolve().parent / "data" / "moda_hubei.toml"


def _loc_key(loc: tuple[Any, ...], data: Mapping[str, Any]) -> str:
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int):
            name = ""
            if isinstance(node, list) and 0 <= item < len(node):
                node = node[item]
                if isinstance(node, Mapping) and isinstance(node.get("name"), str):
                    name = f"({node['name']!r})"
            else:
                node = None
            parts.append(f"[{item}]{name}")
        else:
            node = node.get(item) if isinstance(node, Mapping) else None
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


_SECTION_MODELS: dict[str, type[BaseModel]] = {
    "moda": MODASection,
    "age_groups": AgeGroupSpec,
    "dimensions": DimensionSpec,
    "indicators": IndicatorSpec,
}


def _valid_keys(loc: tuple[Any, ...]) -> list[str]:
    if len(loc) <= 1:
        model: type[BaseModel] = MODAConfig
    else:
        model = _SECTION_MODELS.get(str(loc[0]), MODAConfig)
    return sorted(model.model_fields)


def _from_validation_error(
    exc: ValidationError, file: str, data: Mapping[str, Any]
) -> MODAConfigError:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    key = _loc_key(loc, data)
    value = err.get("input")
    kind = err["type"]
    n_more = len(exc.errors()) - 1
    more = f"{n_more} more problem(s) after this one" if n_more else ""

    def _join(*parts: str) -> str:
        return "; ".join(p for p in parts if p)

    if kind == "extra_forbidden":
        keys = _valid_keys(loc)
        return MODAConfigError(
            file, key, str(loc[-1]), "one of the keys " + ", ".join(keys),
            _join(did_you_mean(str(loc[-1]), keys), more),
        )
    if kind == "missing":
        return MODAConfigError(file, key, None, "this required key to be set", more)
    suggestion = ""
    if kind == "literal_error" and isinstance(value, str):
        suggestion = did_you_mean(value, ["drop", "not_deprived"])
    expected = str(err["msg"]).removeprefix("Input should be ")
    expected = expected[:1].lower() + expected[1:]
    return MODAConfigError(file, key, value, expected, _join(suggestion, more))


def _check_semantics(cfg: MODAConfig, file: str) -> None:
    """Cross-checks pydantic cannot express: references, ranges, rules, overlaps."""
    ag_names = cfg.age_group_names
    for i, name in enumerate(ag_names):
        if ag_names.index(name) != i:
            raise MODAConfigError(file, f"age_groups[{i}].name", name, "a unique age-group name")
    for i, ag in enumerate(cfg.age_groups):
        if ag.max_age < ag.min_age:
            raise MODAConfigError(
                file, f"age_groups[{i}]({ag.name!r}).max_age", ag.max_age,
                f"an age >= min_age ({ag.min_age})",
            )
    spans = sorted((ag.min_age, ag.max_age + 1, ag.name) for ag in cfg.age_groups)
    for (_lo1, hi1, n1), (lo2, _hi2, n2) in itertools.pairwise(spans):
        if lo2 < hi1:
            raise MODAConfigError(
                file, "age_groups", f"{n1!r} and {n2!r} overlap",
                "age groups with disjoint age ranges (a child belongs to one group)",
            )
    seen: set[str] = set()
    for i, ind in enumerate(cfg.indicators):
        where = f"indicators[{i}]({ind.name!r})"
        if ind.name in seen:
            raise MODAConfigError(file, f"{where}.name", ind.name, "a unique indicator name")
        seen.add(ind.name)
        if ind.dimension not in cfg.dimensions:
            raise MODAConfigError(
                file, f"{where}.dimension", ind.dimension,
                "one of the dimensions declared under [dimensions]",
                did_you_mean(ind.dimension, cfg.dimensions),
            )
        for ag in ind.age_groups or []:
            if ag not in ag_names:
                raise MODAConfigError(
                    file, f"{where}.age_groups", ag, "names of [[age_groups]] entries",
                    did_you_mean(ag, ag_names),
                )
        if ind.age_groups is not None and not ind.age_groups:
            raise MODAConfigError(
                file, f"{where}.age_groups", [], "at least one age group (or omit the key)"
            )
        if ind.rule is not None:
            try:
                parse_rule(ind.rule)
            except ValueError:
                raise MODAConfigError(
                    file, f"{where}.rule", ind.rule,
                    "'OP NUMBER' with OP one of <, <=, >, >=, ==, != (e.g. '< -2'), "
                    "or no rule for a 0/1 column",
                ) from None
        if (ind.min_age is not None and ind.max_age is not None
                and ind.max_age < ind.min_age):
            raise MODAConfigError(
                file, f"{where}.max_age", ind.max_age, f"an age >= min_age ({ind.min_age})"
            )
    used = {ind.dimension for ind in cfg.indicators}
    for dim in cfg.dimensions:
        if dim not in used:
            raise MODAConfigError(
                file, f"dimensions.{dim}", dim, "a dimension with at least one indicator",
                "add an [[indicators]] entry with dimension = " + repr(dim) + " or remove it",
            )
    for i, ag in enumerate(cfg.age_groups):
        dims = cfg.dimensions_for(ag.name)
        if not dims:
            raise MODAConfigError(
                file, f"age_groups[{i}]({ag.name!r})", ag.name,
                "an age group with at least one indicator",
            )
        total = float(cfg.weights_for(ag.name).sum())
        k = cfg.k_for(ag.name)
        if k > total + SCORE_TOLERANCE * max(1.0, total):
            key = f"age_groups[{i}]({ag.name!r}).k" if ag.k is not None else "moda.k"
            raise MODAConfigError(
                file, key, k,
                f"a cut-off in (0, {total:g}] for age group {ag.name!r} (the sum of the "
                f"weights of its {len(dims)} dimensions)",
            )


def parse_moda_config(data: Mapping[str, Any], source: str = "<dict>") -> MODAConfig:
    """Validate a MODA configuration given as a mapping (e.g. parsed TOML).

    Raises
    ------
    MODAConfigError
        Naming the key, the bad value, what was expected and a suggestion.
    """
    if not isinstance(data, Mapping):
        raise MODAConfigError(source, "", type(data).__name__, "a table of MODA settings")
    try:
        cfg = MODAConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise _from_validation_error(exc, source, data) from None
    cfg._source = source
    _check_semantics(cfg, source)
    return cfg


def load_moda_config(path: str | os.PathLike[str]) -> MODAConfig:
    """Read and validate a MODA configuration file (TOML).

    Parameters
    ----------
    path
        TOML file; :func:`default_moda_config_path` gives the shipped Hubei default.

    Raises
    ------
    MODAConfigError
        When the file is missing, not valid TOML, or not a valid configuration.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise MODAConfigError(str(p), "", None, f"a readable TOML file ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MODAConfigError(str(p), "", "invalid TOML", f"valid TOML ({exc})") from None
    return parse_moda_config(data, source=str(p))


# ---------------------------------------------------------------------------------------
# Tables for a frame of children
# ---------------------------------------------------------------------------------------


def _get_column(frame: Any, name: str, purpose: str) -> Any:
    try:
        col = frame[name]
    except (KeyError, IndexError, ValueError):
        available = list(frame.keys()) if hasattr(frame, "keys") else []
        raise ValueError(
            f"child frame has no column {name!r} (needed for {purpose}); "
            f"{did_you_mean(name, [str(a) for a in available])}"
        ) from None
    return col


def _evaluate_indicator(
    values: Any, ind: IndicatorSpec
) -> tuple[NDArray[np.bool_], NDArray[np.bool_] | None]:
    """Deprived (bool) and missing (bool or None when nothing is missing) per child."""
    x = np.asarray(values)
    purpose = f"indicator {ind.name!r}"
    if x.ndim != 1:
        raise ValueError(f"column {ind.column!r} ({purpose}) must be 1-D; got shape {x.shape}")
    if x.dtype.kind not in "biuf":
        try:
            x = x.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"column {ind.column!r} ({purpose}) must be numeric; got dtype {x.dtype}"
            ) from None
    missing = np.isnan(x) if x.dtype.kind == "f" else None
    if missing is not None and not missing.any():
        missing = None
    if ind.rule is not None:
        op, threshold = parse_rule(ind.rule)
        dep = _OPS[op](x, threshold)
        if missing is not None:
            dep &= ~missing
        return dep, missing
    if x.dtype == np.bool_:
        return x, None
    ok = (x == 0) | (x == 1)
    if missing is not None:
        ok |= missing
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise ValueError(
            f"column {ind.column!r} ({purpose}): value {x[i].item()!r} at index {i}; "
            "expected 0 or 1 (or NaN for missing) because the indicator has no rule"
        )
    return x == 1, missing


class _Rows:
    """Accumulates blocks of long-format rows for one table.

    Blocks keep their labels as Python lists; the object columns are built once, in
    :meth:`arrays` (building small object arrays per block cost more than the measures).
    """

    def __init__(self) -> None:
        self.blocks: list[tuple] = []

    def add(
        self,
        age_group: str,
        by: str,
        groups: Sequence[str],
        n: NDArray[np.float64],
        measures: Sequence[str],
        dimensions: Sequence[str],
        values: NDArray[np.float64],
        indicators: Sequence[str] | None = None,
    ) -> None:
        """Add ``values[g, m]`` for groups ``g`` and items ``m`` (measure, dimension)."""
        g = len(groups)
        m = len(measures)
        if g == 0 or m == 0:
            return
        self.blocks.append((
            age_group, by, list(groups), list(measures), list(dimensions),
            list(indicators) if indicators is not None else [""] * m,
            np.asarray(values, dtype=np.float64).reshape(g * m),
            np.repeat(np.asarray(n, dtype=np.float64), m),
        ))

    def arrays(self) -> dict[str, NDArray[Any]] | None:
        """The rows as one array per column (``None`` when empty)."""
        if not self.blocks:
            return None
        age_group: list[str] = []
        by: list[str] = []
        group: list[str] = []
        measure: list[str] = []
        dimension: list[str] = []
        indicator: list[str] = []
        for ag, b, groups, measures, dims, inds, _, _ in self.blocks:
            g, m = len(groups), len(measures)
            age_group += [ag] * (g * m)
            by += [b] * (g * m)
            for label in groups:
                group += [label] * m
            measure += measures * g
            dimension += dims * g
            indicator += inds * g
        cols = {"age_group": age_group, "by": by, "group": group, "measure": measure,
                "dimension": dimension, "indicator": indicator}
        out: dict[str, NDArray[Any]] = {}
        for c in TABLE_COLUMNS:
            if c in cols:
                arr = np.empty(len(cols[c]), dtype=object)
                arr[:] = cols[c]
                out[c] = arr
            else:
                out[c] = np.concatenate([blk[6 if c == "value" else 7] for blk in self.blocks])
        return out

    def frame(self) -> pd.DataFrame:
        cols = self.arrays()
        if cols is None:
            return pd.DataFrame(
                {c: pd.Series([], dtype=float if c in ("value", "n") else object)
                 for c in TABLE_COLUMNS}
            )
        return pd.DataFrame(cols)


def _numeric_column(frame: Any, name: str, purpose: str) -> NDArray[np.float64]:
    col = np.asarray(_get_column(frame, name, purpose))
    try:
        return col.astype(np.float64, copy=False)
    except (TypeError, ValueError):
        raise ValueError(f"column {name!r} ({purpose}) must be numeric; got {col.dtype}") from None


def moda_tables(
    child_frame: Any,
    config: MODAConfig,
    groups: Sequence[str] | None = None,
    sample_weights: ArrayLike | None = None,
) -> dict[str, pd.DataFrame]:
    """MODA tables for a frame of children, per age group.

    Parameters
    ----------
    child_frame
        Mapping of column name to per-child array (a dict of numpy arrays or a pandas
        DataFrame). Needs ``age`` (years), every indicator column of the age groups
        present, the ``income_poverty`` column if configured, and the subgroup columns.
    config
        MODA configuration (:func:`load_moda_config`).
    groups
        Subgroup columns to decompose by (e.g. ``["sex", "county", "arm"]``);
        default ``config.moda.groups``.
    sample_weights
        Population weight per child; default 1 each.

    Returns
    -------
    dict of str to pandas.DataFrame
        Long-format tables with columns :data:`TABLE_COLUMNS` (``age_group, by, group,
        measure, dimension, indicator, value, n``). ``by`` is ``"all"`` (with group
        ``"all"``) or a subgroup column; ``n`` is the population weight of the cell.

        ``summary``
            ``H``, ``A``, ``M0``, ``population_share`` and ``contribution_to_M0`` (the
            subgroup's share of the age group's M0) per group; for ``by == "all"``
            also ``k``, ``n_dimensions``, ``n_children`` (unweighted count of the
            children measured) and the number of children with a missing indicator
            value (``missing_drop`` or ``missing_not_deprived``, after the policy).
        ``dimensions``
            ``uncensored_headcount``, ``censored_headcount`` and ``contribution`` per
            dimension (contributions are NaN when M0 is 0).
        ``distribution``
            ``deprivation_count_share`` (deprived in exactly j dimensions) and
            ``deprived_in_at_least`` (in j or more); ``dimension`` holds j.
        ``indicators``
            ``indicator_headcount`` per indicator (``by == "all"``).
        ``income``
            ``deprived_and_poor``, ``deprived_only``, ``poor_only``, ``neither``,
            ``income_poor`` (empty when no ``income_poverty`` column is configured).
            Children with a missing income status are left out under
            ``missing = "drop"`` and counted as not income poor otherwise.
        ``overlaps``
            ``overlap_2`` / ``overlap_3``: share deprived in all dimensions of each pair
            and triple (``dimension`` holds ``"a & b"``).
        ``patterns``
            ``pattern_share`` per observed dimension pattern (``dimension`` holds the
            deprived dimensions joined by ``"+"``, or ``"none"``), largest first.

    Raises
    ------
    ValueError
        A missing column, a non-0/1 value in an indicator column without a rule, bad
        sample weights or a subgroup column with missing labels.

    References
    ----------
    de Neubourg et al. (2012), MODA Step-by-Step Guidelines, UNICEF Office of Research
    WP-2012-10. Alkire and Foster (2011), doi:10.1016/j.jpubeco.2010.11.006.
    """
    tables, _notes = compute_moda_tables(child_frame, config, groups, sample_weights)
    return tables


def compute_moda_tables(
    child_frame: Any,
    config: MODAConfig,
    groups: Sequence[str] | None = None,
    sample_weights: ArrayLike | None = None,
    as_arrays: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """:func:`moda_tables` plus human-readable notes (missing values, empty age groups).

    With ``as_arrays=True`` each table is a dict of column arrays (or ``None`` when empty)
    instead of a DataFrame -- cheaper when many years are collected and concatenated.
    """
    if not isinstance(config, MODAConfig):
        raise TypeError(
            f"config must be a MODAConfig (use load_moda_config(path)); got {type(config).__name__}"
        )
    age = _numeric_column(child_frame, "age", "assigning children to age groups")
    if age.ndim != 1:
        raise ValueError(f"column 'age' must be 1-D; got shape {age.shape}")
    n_total = age.size
    sw = _as_sample_weights(sample_weights, n_total)
    policy = config.moda.missing
    group_cols = list(config.moda.groups if groups is None else groups)
    group_codes: dict[str, tuple[NDArray[np.intp], list[str]]] = {}
    if "all" in group_cols or len(set(group_cols)) != len(group_cols):
        raise ValueError(f"subgroup columns must be unique and not 'all'; got {group_cols}")
    for col in group_cols:
        codes, labels = _factorize(
            _get_column(child_frame, col, "subgroup decomposition"), f"column {col!r}"
        )
        if codes.shape != (n_total,):
            raise ValueError(f"column {col!r} must have one value per child ({n_total})")
        group_codes[col] = (codes, [str(lab) for lab in labels])

    income_state: NDArray[np.intp] | None = None
    n_income_missing = 0
    if config.moda.income_poverty is not None:
        inc_name = config.moda.income_poverty
        inc = _numeric_column(child_frame, inc_name, "the income-poverty overlap")
        inc_missing = np.isnan(inc)
        ok = (inc == 0) | (inc == 1) | inc_missing
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise ValueError(
                f"column {inc_name!r}: value {inc[i].item()!r} at index {i}; expected 0 or 1"
            )
        income_state = (inc == 1).astype(np.intp)
        if inc_missing.any():
            n_income_missing = int(np.count_nonzero(inc_missing))
            income_state[inc_missing] = 2 if policy == "drop" else 0
    n_states = 1 if income_state is None else 3

    rows = {name: _Rows() for name in TABLE_NAMES}
    notes: list[str] = []
    cache: dict[str, tuple[NDArray[np.bool_], NDArray[np.bool_] | None]] = {}
    in_any = np.zeros(n_total, dtype=bool)

    for ag in config.age_groups:
        in_ag = ag.contains(age)
        in_any |= in_ag
        n_in = int(np.count_nonzero(in_ag))
        if n_in == 0:
            notes.append(f"age group {ag.name}: no children in the frame; no tables")
            continue
        dims = config.dimensions_for(ag.name)
        w = config.weights_for(ag.name)
        k = config.k_for(ag.name)
        d = len(dims)
        if d > _MAX_PATTERN_BITS:
            raise ValueError(f"at most {_MAX_PATTERN_BITS} dimensions per age group; got {d}")
        inds = config.indicators_for(ag.name)
        dim_dep = {dim: np.zeros(n_total, dtype=bool) for dim in dims}
        missing_any = np.zeros(n_total, dtype=bool)
        ind_deps: list[NDArray[np.bool_]] = []
        for ind in inds:
            if ind.name not in cache:
                col = _get_column(child_frame, ind.column, f"indicator {ind.name!r}")
                cache[ind.name] = _evaluate_indicator(col, ind)
            dep, miss = cache[ind.name]
            if ind.min_age is not None or ind.max_age is not None:
                lo = ind.min_age if ind.min_age is not None else -math.inf
                hi = ind.max_age + 1 if ind.max_age is not None else math.inf
                applies = (age >= lo) & (age < hi)
                dep = dep & applies
                if miss is not None:
                    miss = miss & applies
            if miss is not None:
                n_miss = int(np.count_nonzero(miss & in_ag))
                if n_miss:
                    missing_any |= miss
                    notes.append(
                        f"age group {ag.name}: {n_miss} missing value(s) in column "
                        f"{ind.column!r} (indicator {ind.name!r}); policy {policy!r}"
                    )
            dim_dep[ind.dimension] |= dep
            ind_deps.append(dep)
        affected = missing_any & in_ag
        n_affected = int(np.count_nonzero(affected))
        used = in_ag & ~affected if policy == "drop" else in_ag
        n_used = n_in - n_affected if policy == "drop" else n_in
        if n_affected:
            what = "dropped" if policy == "drop" else "counted as not deprived where missing"
            notes.append(
                f"age group {ag.name}: {n_affected} of {n_in} children with missing "
                f"indicator values {what} (missing = {policy!r})"
            )
        if n_used == 0:
            notes.append(f"age group {ag.name}: no children left after missing values; no tables")
            continue

        # pattern code per child over this age group's dimensions
        code = np.zeros(n_total, dtype=np.intp)
        for j, dim in enumerate(dims):
            code |= dim_dep[dim].astype(np.intp) << j
        if d <= _DIRECT_PATTERN_BITS:
            pattern_codes = np.arange(1 << d, dtype=np.int64)
        else:
            pattern_codes, inverse = np.unique(code[used], return_inverse=True)
            code = np.zeros(n_total, dtype=np.intp)
            code[used] = inverse
        size = len(pattern_codes)
        bits = _pattern_bits(pattern_codes, d)
        base = code if income_state is None else income_state * size + code
        cell = n_states * size

        partitions = {"all": (np.zeros(n_total, dtype=np.intp), ["all"])} | group_codes
        total: _Measures | None = None
        for by, (gcodes, labels) in partitions.items():
            n_groups = len(labels)
            if by == "all":
                index = base
            else:
                index = gcodes * cell + base
            t = _grouped_table(index, n_groups * cell, sw, keep=used)
            t = t.reshape(n_groups, n_states, size)
            total = _add_partition_rows(rows, ag.name, by, labels, t, dims, pattern_codes, bits,
                                        w, k, income_state is not None, total,
                                        (policy, n_used, n_affected))

        if total is None or not total.n[0] > 0:
            notes.append(f"age group {ag.name}: the sample weights sum to zero; no tables")
            continue
        # indicator headcounts among the children used
        if sw is None:
            ind_vals = [np.count_nonzero(dep & used) for dep in ind_deps]
        else:
            ind_vals = [float(sw[dep & used].sum()) for dep in ind_deps]
        _add_indicator_rows(rows, ag.name, inds, ind_vals, total.n[:1])

    n_out = int(n_total - np.count_nonzero(in_any))
    if n_out:
        spans = ", ".join(f"{ag.name!r}: ages {ag.min_age}-{ag.max_age}"
                          for ag in config.age_groups)
        notes.append(
            f"{n_out} of {n_total} children are outside every age group ({spans}) "
            "and were left out"
        )
    if n_income_missing:
        notes.append(
            f"{n_income_missing} missing value(s) in income column "
            f"{config.moda.income_poverty!r}; "
            + ("left out of the income overlap" if policy == "drop"
               else "counted as not income poor")
        )
    if as_arrays:
        return {name: r.arrays() for name, r in rows.items()}, notes
    return {name: r.frame() for name, r in rows.items()}, notes


def _add_partition_rows(
    rows: dict[str, _Rows],
    age_group: str,
    by: str,
    labels: list[str],
    t: NDArray[np.float64],
    dims: list[str],
    pattern_codes: NDArray[np.int64],
    bits: NDArray[np.bool_],
    w: NDArray[np.float64],
    k: float,
    has_income: bool,
    total: _Measures | None,
    counts: tuple[str, int, int],
) -> _Measures | None:
    """Summary, dimension, distribution, income and (for ``by == "all"``) overlap rows of
    one partition of an age group, from its ``(groups, income states, patterns)`` table
    ``t``.  Returns the measures of the whole age group (``total``, set by "all").

    Shared by :func:`compute_moda_tables` and the compiled path of the model
    (:mod:`povsim.moda_model`), so that both give the same rows from the same table.
    """
    d = len(dims)
    t_pat = t.sum(axis=1)
    m = _measures_from_table(t_pat, bits, w, k)
    if by == "all":
        total = m
    present = m.n > 0
    if not present.any():
        return total
    glabels = [lab for lab, p in zip(labels, present, strict=True) if p]
    n = m.n[present]
    if total is None:  # pragma: no cover - "all" always comes first
        raise RuntimeError("internal error: totals missing")
    tot_n = total.n[0]
    tot_m0 = total.M0[0]
    share = n / tot_n
    with np.errstate(divide="ignore", invalid="ignore"):
        contrib = share * m.M0[present] / tot_m0 if tot_m0 > 0 else np.full(n.size, np.nan)
    rows["summary"].add(
        age_group, by, glabels, n,
        ["H", "A", "M0", "population_share", "contribution_to_M0"],
        [""] * 5,
        np.column_stack([m.H[present], m.A[present], m.M0[present], share, contrib]),
    )
    measures = (["uncensored_headcount"] * d + ["censored_headcount"] * d
                + ["contribution"] * d)
    rows["dimensions"].add(
        age_group, by, glabels, n, measures, dims * 3,
        np.hstack([m.uncensored[present], m.censored[present],
                   m.contributions[present]]),
    )
    dist = m.distribution[present]
    at_least = np.cumsum(dist[:, ::-1], axis=1)[:, ::-1]
    count_labels = [str(j) for j in range(d + 1)]
    rows["distribution"].add(
        age_group, by, glabels, n,
        ["deprivation_count_share"] * (d + 1) + ["deprived_in_at_least"] * (d + 1),
        count_labels * 2, np.hstack([dist, at_least]),
    )
    if has_income:
        poor = m.poor_pattern
        known = t[present][:, :2, :]
        dp = known[:, 1, poor].sum(axis=1)
        donly = known[:, 0, poor].sum(axis=1)
        ponly = known[:, 1, ~poor].sum(axis=1)
        neither = known[:, 0, ~poor].sum(axis=1)
        n_known = dp + donly + ponly + neither
        with np.errstate(divide="ignore", invalid="ignore"):
            vals = np.column_stack([dp, donly, ponly, neither, dp + ponly]) / n_known[
                :, None
            ]
        keep = n_known > 0
        rows["income"].add(
            age_group, by, [g for g, kp in zip(glabels, keep, strict=True) if kp],
            n_known[keep],
            ["deprived_and_poor", "deprived_only", "poor_only", "neither",
             "income_poor"],
            [""] * 5, vals[keep],
        )
    if by == "all":
        policy, n_used, n_affected = counts
        extra = {
            "k": k,
            "n_dimensions": float(d),
            "n_children": float(n_used),
            f"missing_{policy}": float(n_affected),
        }
        rows["summary"].add(
            age_group, "all", ["all"], n, list(extra), [""] * len(extra),
            np.array([list(extra.values())]),
        )
        _add_overlap_rows(rows, age_group, dims, pattern_codes, t_pat[0], n[0])
    return total


def _add_indicator_rows(
    rows: dict[str, _Rows],
    age_group: str,
    inds: Sequence[IndicatorSpec],
    ind_vals: Sequence[float],
    n_all: NDArray[np.float64],
) -> None:
    """Indicator headcounts (among the children used) of an age group."""
    rows["indicators"].add(
        age_group, "all", ["all"], n_all,
        ["indicator_headcount"] * len(inds), [ind.dimension for ind in inds],
        np.array([ind_vals], dtype=np.float64) / n_all[0],
        indicators=[ind.name for ind in inds],
    )


def _add_overlap_rows(
    rows: dict[str, _Rows],
    age_group: str,
    dims: list[str],
    pattern_codes: NDArray[np.int64],
    pattern_weight: NDArray[np.float64],
    n: float,
) -> None:
    """Pair/triple overlaps and pattern shares for the whole age group."""
    d = len(dims)
    combos = [c for r in (2, 3) if r <= d for c in itertools.combinations(range(d), r)]
    if combos:
        masks = np.array([sum(1 << j for j in c) for c in combos], dtype=np.int64)
        contains = (pattern_codes[None, :] & masks[:, None]) == masks[:, None]
        w_all = contains.astype(np.float64) @ pattern_weight
        rows["overlaps"].add(
            age_group, "all", ["all"], np.array([n]),
            [f"overlap_{len(c)}" for c in combos],
            [" & ".join(dims[j] for j in c) for c in combos],
            (w_all / n)[None, :],
        )
    seen = pattern_weight > 0
    codes = pattern_codes[seen]
    share = pattern_weight[seen] / n
    order = np.lexsort((codes, -share))
    if d <= 12:
        names = _pattern_names(tuple(dims))
        labels = [names[c] for c in codes[order].tolist()]
    else:
        labels = ["+".join(dims[j] for j in np.flatnonzero(b)) or "none"
                  for b in _pattern_bits(codes[order], d)]
    rows["patterns"].add(
        age_group, "all", ["all"], np.array([n]), ["pattern_share"] * len(labels), labels,
        share[order][None, :],
    )
