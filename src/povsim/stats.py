"""Student t intervals of a mean over replicates (comparison, plan verification, briefs):
``mean ± t(0.5 + level/2, n - 1) · sd / √n`` (Student 1908; Law 2015, *Simulation Modeling
and Analysis*, 5th ed., section 9.4.1), with NaN bounds below two values."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from scipy import stats

__all__ = ["mean_interval", "t_half_width"]


def t_half_width(sd: float, n: int, level: float = 0.95) -> float:
    """Half width of the ``level`` t interval of a mean of ``n`` values of standard deviation
    ``sd`` (``ddof=1``); NaN when ``n < 2`` or ``sd`` is not finite."""
    if n < 2 or not math.isfinite(sd):
        return math.nan
    return float(stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n))


def mean_interval(x: np.ndarray, *, missing: Literal["propagate", "omit"],
                  level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, lo, hi)`` of the values ``x``: the mean (NaN without values) and its t interval.

    ``missing`` says what a NaN or infinite value does: ``"propagate"``, it makes the mean
    and the interval NaN (or infinite), as in plain arithmetic; ``"omit"``, it is left out.
    """
    x = np.asarray(x, dtype=float)
    if missing == "omit":
        x = x[np.isfinite(x)]
    elif missing != "propagate":
        raise ValueError(f"missing: 'propagate' or 'omit', not {missing!r}")
    n = len(x)
    m = float(x.mean()) if n else math.nan
    half = t_half_width(float(x.std(ddof=1)) if n >= 2 else math.nan, n, level)
    return m, m - half, m + half
