"""Compare folders (``povsim compare``): paired differences with intervals, costs,
cost-effectiveness and the CE plane, scenarios side by side; then each scenario's run views."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from povsim.dashboard.folder import Kind
from povsim.dashboard.kinds import run
from povsim.dashboard.view import (
    Control,
    Drawn,
    Selection,
    View,
    ages_control,
    apply_filters,
    no_controls,
    subgroup_controls,
    subgroup_rows,
    years_control,
)
from povsim.report import Results, ce_table, comparison_table, load_results

__all__ = ["KIND", "scenario_views", "views"]


# -- paired differences -------------------------------------------------------------------------
def _whens(res: Results) -> tuple[str, ...]:
    """The times of the differences, without their year (``"end of programme"``, as the brief
    names them): the figure of a choice is then the brief's figure."""
    d = res.extra["differences"]
    d = d[d["measure"].str.contains("rate|prevalence|M0")]  # what plot_differences draws
    return tuple(dict.fromkeys(re.sub(r"\s*\(\d{4}\)$", "", w) for w in d["when"].astype(str)))


def _differences_controls(res: Results, sel: Selection) -> Iterator[Control]:
    whens = _whens(res)
    if whens:
        yield Control("when", "When", whens, "end of programme" if "end of programme" in whens else whens[0])


def _differences_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.compare import plot_differences

    diff = res.extra["differences"]
    when = sel["when"]
    fig = plot_differences(diff, when_contains=when)
    data = diff[diff["when"].str.contains(when, regex=False)]
    table = comparison_table(res.extra.get("differences"))
    if table is not None:
        table = table[table["when"].astype(str).str.contains(when, regex=False)]
    return Drawn(fig, data, f"Paired differences (alternative - base) at {when}: mean and 95% interval over "
                            "replicates run with common random numbers.", table=table, labels=("", "Measure"))


# -- cost-effectiveness ---------------------------------------------------------------------------
def _ce_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.compare import plot_ce_plane

    pts = res.extra["ce_points"]
    if pts.empty:
        return Drawn(None, res.extra["cost_effectiveness"], table=ce_table(res.extra.get("cost_effectiveness")),
                     note="Not drawn: no replicate has both an incremental cost and an effect (ce_points.csv is "
                          "empty).")
    return Drawn(plot_ce_plane(pts), pts, "Cost-effectiveness plane: incremental discounted cost against "
                 "child-years of multidimensional deprivation averted; one point per replicate, ring = mean.",
                 table=ce_table(res.extra.get("cost_effectiveness")))


# -- scenarios side by side -----------------------------------------------------------------------
def _with(table: str):
    return lambda res: sum(table in t for t in res.scenarios.values()) >= 1 and len(res.scenarios) > 1


def _costs_controls(res: Results, sel: Selection) -> Iterator[Control]:
    yield Control("stack", "Stack by", ("intervention", "funder", "county", "item"), "intervention")
    first = next(t["costs"] for t in res.scenarios.values() if "costs" in t)
    yield from years_control(first)


def _costs_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.compare import plot_costs

    costs = {n: apply_filters(t["costs"], sel) for n, t in res.scenarios.items() if "costs" in t}
    data = pd.concat([c.assign(scenario=n) for n, c in costs.items()], ignore_index=True)
    return Drawn(plot_costs(costs, by=sel["stack"]), data, f"Programme costs by year and {sel['stack']} (million "
                 "RMB at 2014 prices, undiscounted; mean over replicates).")


def _measures(res: Results) -> dict[str, tuple[str, str]]:
    return {m: (tab, label) for tab, m, label in run.headline() if all(tab in t for t in res.scenarios.values())}


def _trajectories_controls(res: Results, sel: Selection) -> Iterator[Control]:
    ms = _measures(res)
    if not ms:
        return
    yield Control("measure", "Measure", tuple(ms), next(iter(ms)))
    yield Control("scenarios", "Scenarios", tuple(res.scenarios), tuple(res.scenarios), "multiselect")
    yield from years_control(next(iter(res.scenarios.values()))[ms[sel["measure"]][0]])


def _trajectories_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.compare import plot_scenario_trajectories

    tab, label = _measures(res)[sel["measure"]]
    chosen = [n for n in res.scenarios if n in sel["scenarios"]]
    tables = {n: {tab: apply_filters(res.scenarios[n][tab], sel)} for n in chosen}
    fig = plot_scenario_trajectories(tables, tab, sel["measure"], title=label)
    data = pd.concat([t[tab][(t[tab]["measure"] == sel["measure"]) & (t[tab]["by"] == "all")].assign(scenario=n)
                      for n, t in tables.items()], ignore_index=True)
    return Drawn(fig, data, f"{label} by scenario: mean over replicates with the min-max band.")


def _moda_controls(res: Results, sel: Selection) -> Iterator[Control]:
    first = next(t["moda_summary"] for t in res.scenarios.values() if "moda_summary" in t)
    yield Control("measure", "Measure", ("H", "M0", "A"), "H")
    yield Control("scenarios", "Scenarios", tuple(res.scenarios), tuple(res.scenarios), "multiselect")
    yield from ages_control(first)
    yield from subgroup_controls(first, sel, measure=sel["measure"])
    yield from years_control(first)


def _moda_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.report import plot_moda_trajectories

    m = sel["measure"]
    summ = {n: apply_filters(t["moda_summary"], sel) for n, t in res.scenarios.items()
            if "moda_summary" in t and n in sel["scenarios"]}
    title = run.MODA_MEASURES[m] + run.where(sel)
    fig = plot_moda_trajectories(summ, m, by=sel.get("by", "all"), group=sel.get("group", "all"), title=title,
                                 ylabel="M0 (index, 0-1)" if m == "M0" else None)
    data = pd.concat([subgroup_rows(s[s["measure"] == m], sel).assign(scenario=n) for n, s in summ.items()],
                     ignore_index=True)
    return Drawn(fig, data, f"{title} by age group and scenario: mean over replicates with the replicate range.")


def scenario_views(res: Results) -> list[View]:
    """Views that put the scenarios of ``res`` side by side (a compare folder; several folders)."""
    return [
        View("scenario_moda", "MODA by scenario", _moda_controls, _moda_draw, _with("moda_summary")),
        View("scenario_trajectories", "Trajectories by scenario", _trajectories_controls, _trajectories_draw,
             lambda r: len(r.scenarios) > 1),
        View("scenario_costs", "Costs by scenario", _costs_controls, _costs_draw, _with("costs")),
    ]


def views(res: Results) -> list[View]:
    return [
        View("differences", "Paired differences", _differences_controls, _differences_draw,
             lambda r: "differences" in r.extra),
        View("cost_effectiveness", "Cost-effectiveness", no_controls, _ce_draw,
             lambda r: "ce_points" in r.extra and "cost_effectiveness" in r.extra),
        *scenario_views(res),
        *run.views(res),
    ]


KIND = Kind("compare", "Scenario comparison", lambda folder: (folder / "differences.csv").is_file(),
            lambda folder: load_results(folder, lazy=True), views)
