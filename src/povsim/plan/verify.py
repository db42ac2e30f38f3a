"""Verification: the chosen allocations re-run in the full model, paired with common
random numbers against the baseline, the current allocation and each other.

Each verification replicate ``r`` is a fresh seed (not one the surrogate was fitted on)
with parameter draw ``r mod draws``; the baseline, the current allocation and every
verified allocation run with that seed and draw in the same planning area.  For every
allocation the plan's objective is measured over the decided villages as the surrogate
predicts it (improvement over the baseline run of the same replicate, weighted), and

* the surrogate's prediction (the scenario surfaces of the replicate's draw) is reported
  beside the model's result, with the error;
* paired differences (allocation minus current, minus the other allocations) get their
  mean and a 95 % t interval over replicates, and the share of replicates in which the
  allocation is better (the probability that it beats the other).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from povsim.plan.measures import MEASURES
from povsim.plan.surrogate import improvement
from povsim.stats import mean_interval

__all__ = ["interval", "measured_objective", "pairs_table", "verification_table"]


def interval(d: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t interval of paired differences, over the finite ones (NaN interval for fewer than 2)."""
    return mean_interval(d, missing="omit", level=level)


def measured_objective(run: Mapping[str, np.ndarray], base: Mapping[str, np.ndarray], weights: Mapping[str, float],
                       equity: np.ndarray) -> tuple[float, dict[str, float]]:
    """The plan's objective of one run against its baseline (decided villages), and the
    improvement in each measure."""
    imp = improvement(run, base)
    total = sum(w * float((imp[m] * equity).sum()) for m, w in weights.items() if w)
    return total, {m: float(v.sum()) for m, v in imp.items()}


def verification_table(measured: dict[str, np.ndarray], predicted: dict[str, np.ndarray],
                       costs: dict[str, float], labels: dict[str, str]) -> pd.DataFrame:
    """One row per allocation: surrogate prediction, model result with interval, error."""
    rows = []
    for name, abm in measured.items():
        pred = predicted.get(name, np.full(len(abm), np.nan))
        m, lo, hi = interval(abm)
        err = abm - pred
        em, elo, ehi = interval(err)
        rows.append({"allocation": name, "what": labels.get(name, ""), "replicates": int(np.isfinite(abm).sum()),
                     "cost_rmb_simulated": costs.get(name, np.nan), "surrogate": float(np.nanmean(pred)),
                     "model": m, "model_lo": lo, "model_hi": hi, "error": em, "error_lo": elo, "error_hi": ehi,
                     "relative_error": em / float(np.nanmean(pred)) if np.nanmean(pred) else np.nan,
                     "mean_abs_replicate_error": float(np.nanmean(np.abs(err)))})
    return pd.DataFrame(rows)


def pairs_table(measured: dict[str, np.ndarray], per_measure: dict[str, dict[str, np.ndarray]]) -> pd.DataFrame:
    """Paired differences between every two verified allocations (``a - b``), on the
    objective and on each measure, with intervals and ``P(a better than b)``."""
    rows = []
    names = list(measured)
    for a in names:
        for b in names:
            if a == b:
                continue
            diffs = {"objective": measured[a] - measured[b]}
            diffs.update((meas, per_measure[a][meas] - per_measure[b][meas])
                         for meas in MEASURES if meas in per_measure.get(a, {}))
            for meas, d in diffs.items():
                m, lo, hi = interval(d)
                rows.append({"allocation": a, "versus": b, "measure": meas, "difference": m, "lo": lo, "hi": hi,
                             "p_better": float(np.mean(d > 0)) if len(d) else np.nan,
                             "excludes_zero": bool(np.isfinite(lo) and (lo > 0 or hi < 0))})
    return pd.DataFrame(rows)
