"""Plan folders (``povsim plan``): the efficiency frontier, the allocation by village, the
verification in the full model, marginal returns and stability.

Accepts the plan itself (``<out>/plan``, the sealed folder) or the folder given to ``povsim
plan --out`` (its model runs are never read).  Every figure is drawn by the function of
:mod:`povsim.plots.plan` that ``povsim plan`` and ``povsim report`` use
(:func:`~povsim.plots.plan.plan_figure_makers`), so an exported figure is the brief's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from povsim.dashboard.folder import Kind
from povsim.dashboard.view import (
    Control,
    Drawn,
    Selection,
    View,
    chosen_rows,
    has_extra,
    no_controls,
    values_control,
)
from povsim.report import Results, load_results, plan_results_folder

__all__ = ["KIND", "views"]


def _figure(res: Results, stem: str, tables=None):
    from povsim.plots.plan import plan_figure_makers

    return plan_figure_makers(tables if tables is not None else res.extra)[stem]()


def _main(res: Results) -> str:
    from povsim.plan.schema import main_label_of

    return main_label_of((res.manifest.get("scenario") or {}).get("plan") or {})


def _plans_table(res: Results) -> pd.DataFrame | None:
    """The plan at each budget level: budget and cost (plan RMB), expected outcome, CVaR,
    sites, optimality gap, the greedy split at the same budget."""
    p = res.extra.get("plans")
    if p is None:
        return None
    return pd.DataFrame({
        "budget (million RMB)": (p["budget_rmb_plan"] / 1e6).round(2),
        "cost (million RMB)": (p["cost_rmb_plan"] / 1e6).round(2),
        "expected outcome": p["expected"].round(2), "CVaR": p["cvar"].round(2), "sites": p["sites"],
        "optimality gap": p["gap"].map(lambda g: f"{g:.1e}"),
        "greedy split, same budget": p["greedy_expected_same_budget"].round(2)})


def _frontier_draw(res: Results, sel: Selection) -> Drawn:
    return Drawn(_figure(res, "frontier"), res.extra["frontier"],
                 "Efficiency frontier: the best expected outcome at each budget (band: 5-95 % across parameter "
                 "draws and seeds), the CVaR-optimal allocation, the greedy split and the current allocation; the "
                 "table gives the plan at each budget level.", table=_plans_table(res))


def _county_controls(res: Results, sel: Selection) -> Iterator[Control]:
    yield from values_control(res.extra["villages"], "county", "counties", "Counties")


def _allocation_draw(res: Results, sel: Selection) -> Drawn:
    v = chosen_rows(res.extra["villages"], "county", sel, "counties")
    a = res.extra.get("allocation")
    table = None
    if a is not None:
        a = a[(a["allocation"].astype(str) == _main(res)) & a["name"].isin(v["name"])]
        table = (a.groupby(["intervention", "funder"], sort=False)["cost_rmb_plan"].sum() / 1e6).round(2) \
            .rename("cost (million RMB)").reset_index()
    return Drawn(_figure(res, "allocation", {"villages": v}), v,
                 f"Level of every intervention in {len(v)} villages under the main plan ({_main(res)}), beside the "
                 "current allocation; the table gives the main plan's cost by intervention and funder.", table=table)


def _verification_draw(res: Results, sel: Selection) -> Drawn:
    ver = res.extra["verification"]
    return Drawn(_figure(res, "verification"), ver, "The chosen allocations re-run in the full model (mean and 95 % "
                 "interval over replicates, paired with the baseline) beside the surrogate's prediction.", table=ver)


def _marginal_draw(res: Results, sel: Selection) -> Drawn:
    m = res.extra["marginal_by_intervention"]
    return Drawn(_figure(res, "marginal_returns"), m, "Outcome per extra million RMB of one more level of each "
                 "intervention at the main plan.", table=m)


def _stability_draw(res: Results, sel: Selection) -> Drawn:
    s = res.extra["stability"]
    return Drawn(_figure(res, "stability"), s, "Share of parameter draws and seeds whose own optimal allocation "
                 "gives a unit the plan's levels.")


def views(res: Results) -> list[View]:
    return [
        View("frontier", "Efficiency frontier", no_controls, _frontier_draw, has_extra("frontier")),
        View("allocation", "Allocation by village", _county_controls, _allocation_draw, has_extra("villages")),
        View("verification", "Verification in the full model", no_controls, _verification_draw,
             has_extra("verification")),
        View("marginal_returns", "Marginal returns", no_controls, _marginal_draw,
             has_extra("marginal_by_intervention")),
        View("stability", "Stability of the allocation", no_controls, _stability_draw, has_extra("stability")),
    ]


def _detect(folder: Path) -> bool:
    from povsim.output import read_manifest  # None when unreadable: the picker skips such a folder

    return (read_manifest(plan_results_folder(folder)) or {}).get("kind") == "plan"


KIND = Kind("plan", "Plan", _detect, lambda folder: load_results(folder, lazy=True), views)
