"""Effects read off a results folder: paired differences between scenarios (common random
numbers, :func:`povsim.compare.paired_interval`) and, within one run, pilot minus comparison
villages as a difference-in-differences from the start year.

Years are ``start + k`` for the offsets a brief reports (+5, +10, +30); an offset past the
run's last year is *not reached* and never replaced by the last year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from povsim.brief.context import Context
from povsim.brief.outcomes import Outcome
from povsim.compare import paired_interval, replicate_values
from povsim.moda import default_moda_config_path, load_moda_config
from povsim.moda.views import service_indicators

__all__ = ["OFFSETS", "SERVICE_INDICATORS", "Effect", "arm_effect", "dimension_decomposition", "scenario_effect",
           "subgroup_effects"]

#: years after the start at which effects are reported
OFFSETS = (5, 10, 30)
#: MODA indicators that record the receipt of a service (a check-up, insurance, a transfer):
#: the service flips them by itself; those tagged ``kind = "service"`` in the MODA
#: configuration (``src/povsim/data/moda_hubei.toml``, :mod:`povsim.moda.views`)
SERVICE_INDICATORS = frozenset(service_indicators(load_moda_config(default_moda_config_path())))


@dataclass(frozen=True)
class Effect:
    """A difference ``alt - base`` (or pilot minus comparison) with its 95% interval."""

    outcome: Outcome
    scenario: str
    year: int
    base: float
    alt: float
    diff: float
    lo: float
    hi: float
    n: int

    @property
    def has_interval(self) -> bool:
        return self.n >= 2 and np.isfinite(self.lo) and np.isfinite(self.hi)

    @property
    def clear(self) -> bool:
        """The 95% interval excludes zero."""
        return self.has_interval and (self.lo > 0 or self.hi < 0)


def _effect(outcome: Outcome, scenario: str, year: int, base: pd.Series | None,
            alt: pd.Series | None) -> Effect | None:
    if base is None or alt is None:
        return None
    b, a, d, lo, hi, n = paired_interval(base, alt)
    if n == 0:
        return None
    return Effect(outcome, scenario, year, b, a, d, lo, hi, n)


def _within(ctx: Context, year: int) -> bool:
    return ctx.start <= year <= ctx.end


def scenario_effect(ctx: Context, alt: str, outcome: Outcome, year: int, by: str = "all",
                    group: str = "all") -> Effect | None:
    """Paired difference ``alt - base`` of ``outcome`` in ``year`` (``None``: not in the tables
    or past the run's end)."""
    tb, ta = ctx.table(ctx.base, outcome.table), ctx.table(alt, outcome.table)
    if tb is None or ta is None or not _within(ctx, year):
        return None
    return _effect(outcome, alt, year, replicate_values(tb, outcome.measure, year, by, group),
                   replicate_values(ta, outcome.measure, year, by, group))


def arm_effect(ctx: Context, scenario: str, outcome: Outcome, year: int) -> Effect | None:
    """Pilot minus comparison villages of one run, change from the start year to ``year``
    (difference-in-differences, paired within each replicate)."""
    t = ctx.table(scenario, outcome.table)
    if t is None or not _within(ctx, year) or year == ctx.start:
        return None
    vals = {(arm, y): replicate_values(t, outcome.measure, y, "arm", arm)
            for arm in ("pilot", "comparison") for y in (ctx.start, year)}
    if any(v is None for v in vals.values()):
        return None
    pilot = vals["pilot", year] - vals["pilot", ctx.start]
    comparison = vals["comparison", year] - vals["comparison", ctx.start]
    return _effect(outcome, scenario, year, comparison, pilot)


def subgroup_effects(ctx: Context, alt: str, outcome: Outcome, year: int, by: str) -> list[tuple[str, Effect]]:
    """``(group, effect)`` for every group of ``by`` that both scenarios tabulate."""
    tb, ta = ctx.table(ctx.base, outcome.table), ctx.table(alt, outcome.table)
    if tb is None or ta is None or "by" not in tb.columns:
        return []
    groups = list(dict.fromkeys(tb.loc[tb["by"] == by, "group"].astype(str)))
    out = []
    for g in groups:
        e = scenario_effect(ctx, alt, outcome, year, by, g)
        if e is not None:
            out.append((g, e))
    return out


def _m0_by_dimension(summary: pd.DataFrame, dims: pd.DataFrame, year: int, age_group: str) -> pd.DataFrame | None:
    """Per replicate and dimension: contribution x M0 (the dimension's part of M0)."""
    s = summary[(summary["by"] == "all") & (summary["measure"] == "M0") & (summary["age_group"] == age_group)]
    d = dims[(dims["by"] == "all") & (dims["measure"] == "contribution") & (dims["age_group"] == age_group)]
    if s.empty or d.empty:
        return None
    years = np.sort(d["year"].unique())
    if not (years <= year).any():
        return None
    y = years[years <= year].max()
    m0 = s[s["year"] == y].set_index("replicate")["value"]
    d = d[d["year"] == y]
    part = d["value"].to_numpy() * m0.reindex(d["replicate"]).to_numpy()
    return pd.DataFrame({"replicate": d["replicate"].to_numpy(), "dimension": d["dimension"].to_numpy(),
                         "part": part})


def dimension_decomposition(ctx: Context, alt: str, year: int, age_group: str = "0-5") -> pd.DataFrame | None:
    """The change in M0 (``alt - base``) split exactly into dimensions (M0 = sum of each
    dimension's contribution x M0), mean over replicates, with the dimension's indicators and
    whether they record a service's receipt (:data:`SERVICE_INDICATORS`).

    Columns: ``dimension, change, indicators, service`` (``"all"``, ``"some"`` or ``"none"``).
    """
    parts = []
    for name in (ctx.base, alt):
        s, d = ctx.table(name, "moda_summary"), ctx.table(name, "moda_dimensions")
        if s is None or d is None or not _within(ctx, year):
            return None
        p = _m0_by_dimension(s, d, year, age_group)
        if p is None:
            return None
        parts.append(p.groupby("dimension")["part"].mean())
    change = (parts[1] - parts[0]).rename("change")
    ind = ctx.table(ctx.base, "moda_indicators")
    members: dict[str, list[str]] = {}
    if ind is not None:
        sel = ind[ind["age_group"] == age_group]
        for dim, g in sel.groupby("dimension"):
            members[str(dim)] = list(dict.fromkeys(g["indicator"].astype(str)))
    rows = []
    for dim, v in change.items():
        inds = members.get(str(dim), [])
        n_service = sum(i in SERVICE_INDICATORS for i in inds)
        kind = "none" if n_service == 0 else "all" if n_service == len(inds) else "some"
        rows.append((str(dim), float(v), inds, kind))
    return pd.DataFrame(rows, columns=["dimension", "change", "indicators", "service"])
