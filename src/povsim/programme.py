"""Programme accounting of a run: costs, reach and budget, as tidy tables.

``costs``: one row per year x intervention x village x item x funder, in RMB (2014
prices), with county and arm.  ``reach``: units and children reached per intervention
and year.  ``budget``: requested, funded and cut costs per intervention and year.
``programme``: totals -- children reached (unique), centres, spend over the programme's
window (``spend_<first>_<last>_rmb``), discounted totals and cost per child reached.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: The Hubei pilot as reported (UNICEF China / IPRCC, 'Hubei Model' brochure, 2017):
#: 219,000 child beneficiaries, 80 centres, 275 M RMB by July 2017 (239 M domestic, 35.585 M
#: Bestseller Fund); the spend is compared with the spend of a 2014-2017 programme only.
HUBEI_REFERENCE = {"children_reached": 219_000, "centres": 80, "spend_2014_2017_rmb": 275e6}


def programme_window(scenario) -> tuple[int, int] | None:
    """First and last year of a scenario's programme: the earliest ``start_year`` and the
    latest ``end_year`` (the horizon when open) of its enabled interventions, within the
    simulated years; ``None`` without interventions.  ``scenario`` is a
    :class:`~povsim.scenario.Scenario` or its resolved dict (a results folder's manifest)."""
    if isinstance(scenario, dict):
        interventions, time = scenario.get("interventions") or {}, scenario.get("time") or {}
        first = int(time.get("start_year", 2014))
        last = first + int(time.get("years", 0))
    else:
        interventions, first, last = scenario.interventions, scenario.time.start_year, scenario.end_year
    spans = [(int(v.get("start_year", first)), int(v.get("end_year") or last))
             for v in interventions.values() if v.get("enabled", True)]
    if not spans:
        return None
    return max(min(a for a, _ in spans), first), min(max(b for _, b in spans), last)


def discount(cost: pd.Series, year: pd.Series, base_year: int, rate: float) -> pd.Series:
    """Present value in ``base_year`` of costs incurred in ``year``."""
    return cost / (1.0 + rate) ** (year - base_year)


def programme_tables(model) -> dict[str, pd.DataFrame]:
    """Costs, reach, budget and programme totals of a model run."""
    geo = model.world.geo
    funders = dict(model.config.budget.funders)
    frames = [iv.cost_frame(funders) for iv in model.interventions]
    costs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if not costs.empty:
        v = costs["village"].astype(int).to_numpy()
        costs["county"] = np.asarray(geo.counties)[geo.county[v]]
        costs["arm"] = np.where(geo.pilot[v], "pilot", "comparison")
        costs["village"] = np.asarray(geo.names)[v]
    reach = pd.DataFrame(
        [(yr, iv.name, units, kids) for iv in model.interventions for yr, units, kids in iv.reach_log],
        columns=["year", "intervention", "units_reached", "children_reached"])
    budget = pd.DataFrame(model.budget_log, columns=[
        "year", "intervention", "priority", "requested_rmb", "funded_rmb", "cut_rmb",
        "units_planned", "units_funded"])
    summary = programme_summary(model, costs)
    if model.config.budget.cap_rmb is not None:
        extra = [("budget_cap_rmb_per_year", "all", float(model.config.budget.cap_rmb)),
                 ("budget_cut_rmb", "all", float(budget["cut_rmb"].sum()))]
        extra += [("budget_cut_rmb", name, float(v))
                  for name, v in budget.groupby("intervention")["cut_rmb"].sum().items() if v > 0]
        summary = pd.concat([summary, pd.DataFrame(extra, columns=summary.columns)],
                            ignore_index=True)
    out = {"costs": costs, "reach": reach, "budget": budget, "programme": summary}
    return out


def programme_summary(model, costs: pd.DataFrame) -> pd.DataFrame:
    """Tidy programme totals (``measure, intervention, value``) for the whole run."""
    start = model.world.start_year
    rate = model.config.budget.discount_rate
    rows = []
    all_children = []
    for iv in model.interventions:
        ids = np.unique(np.concatenate(iv.children_ids)) if iv.children_ids else np.empty(0)
        all_children.append(ids)
        c = costs[costs["intervention"] == iv.name] if not costs.empty else costs
        total = float(c["cost_rmb"].sum()) if len(c) else 0.0
        disc = float(discount(c["cost_rmb"], c["year"], start, rate).sum()) if len(c) else 0.0
        rows += [("children_reached", iv.name, float(len(ids))),
                 ("cost_rmb", iv.name, total),
                 ("cost_discounted_rmb", iv.name, disc),
                 ("cost_per_child_reached_rmb", iv.name, total / len(ids) if len(ids) else np.nan)]
    kids = np.unique(np.concatenate(all_children)) if all_children else np.empty(0)
    total = float(costs["cost_rmb"].sum()) if not costs.empty else 0.0
    disc = float(discount(costs["cost_rmb"], costs["year"], start, rate).sum()) \
        if not costs.empty else 0.0
    centres = sum(getattr(iv, "centres", 0) for iv in model.interventions)
    first, last = programme_window(model.config) or (start, start)
    window = costs[(costs["year"] >= first) & (costs["year"] <= last)] if not costs.empty else costs
    rows += [("children_reached", "all", float(len(kids))),
             ("centres", "all", float(centres)),
             ("cost_rmb", "all", total),
             ("cost_discounted_rmb", "all", disc),
             ("cost_per_child_reached_rmb", "all", total / len(kids) if len(kids) else np.nan),
             (f"spend_{first}_{last}_rmb", "all", float(window["cost_rmb"].sum()) if len(window) else 0.0)]
    return pd.DataFrame(rows, columns=["measure", "intervention", "value"])
