"""Period paths: values that change with the calendar year, from declared anchors.

The declared parameters of the yearly processes describe the reference year
(:data:`REFERENCE_YEAR`, the start of targeted poverty alleviation and of the Hubei
pilot).  Before it, a process follows a *period path*: its value in a few historical
years (each an anchor declared as a parameter with its source and range), interpolated
between anchors and flat before the first one.  The spin-up from history
(:mod:`povsim.spinup`) runs the processes through these years; a run that starts in the
reference year from the synthetic population never sees them.

Interpolation is linear in the log (hazards, ratios), in the logit (probabilities) or in
the value itself (ages, growth rates).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

#: The year the declared (non-anchor) parameter values describe.
REFERENCE_YEAR = 2014


def _fwd(x: float, scale: str) -> float:
    if scale == "log":
        return math.log(max(x, 1e-300))
    if scale == "logit":
        x = min(max(x, 1e-12), 1 - 1e-12)
        return math.log(x / (1 - x))
    return x


def _inv(y: float, scale: str) -> float:
    if scale == "log":
        return math.exp(y)
    if scale == "logit":
        return 1.0 / (1.0 + math.exp(-y))
    return y


def path(year: int, anchors: Sequence[tuple[int, float]], scale: str = "linear") -> float:
    """Value in ``year`` of the path through ``anchors`` (``(year, value)``, ascending).

    Flat before the first and after the last anchor; between two anchors linear on the
    ``scale`` (``"linear"``, ``"log"`` or ``"logit"``).

    Examples
    --------
    >>> path(1990, [(1980, 0.04), (2000, 0.01)], "log")
    0.02
    >>> path(1970, [(1980, 0.5), (2014, 0.9)])
    0.5
    """
    if not anchors:
        raise ValueError("a period path needs at least one anchor")
    ys = [a[0] for a in anchors]
    if any(b <= a for a, b in itertools.pairwise(ys)):
        raise ValueError(f"period anchors must be in ascending years, got {ys}")
    if year <= ys[0]:
        return float(anchors[0][1])
    if year >= ys[-1]:
        return float(anchors[-1][1])
    j = bisect.bisect_left(ys, year)  # ys[j - 1] < year <= ys[j]
    (y0, v0), (y1, v1) = anchors[j - 1], anchors[j]
    w = (year - y0) / (y1 - y0)
    return float(round(_inv((1 - w) * _fwd(v0, scale) + w * _fwd(v1, scale), scale), 15))


def ramp(year: int, start: int, full: int) -> float:
    """Share of a programme rolled out in ``year``: 0 before ``start``, 1 from ``full``,
    linear in between (``full == start``: a step)."""
    if year < start:
        return 0.0
    if year >= full or full <= start:
        return 1.0
    return (year - start + 1) / (full - start + 1)
