"""Run folders (``povsim run``): trajectories, MODA, overlaps, income overlap, mobility and
subgroups of one scenario.

The same views serve the scenarios of a compare folder and folders side by side: a
``scenario`` control picks one when a folder holds several.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd

from povsim.dashboard.folder import Kind
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
    year_control,
    years_control,
)
from povsim.errors import PovsimError
from povsim.report import Results, calibration_table, load_results

__all__ = ["KIND", "MODA_MEASURES", "headline", "scenario_tables", "views", "where"]


def headline() -> list[tuple[str, str, str]]:
    """``(table, measure, label)`` of the run summary's headline measures, and the nine of
    its headline panel (as ``povsim run`` draws them)."""
    from povsim.runs import HEADLINE  # the run summary's list: one list for the CLI and the dashboard

    return list(HEADLINE)


def panel() -> list[tuple[str, str, str]]:
    from povsim.runs import PANEL

    heads = headline()
    return [h for m in PANEL for h in heads if h[1] == m]


# -- which scenario ------------------------------------------------------------------------
def scenario_control(res: Results) -> Iterator[Control]:
    names = tuple(res.scenarios)
    if len(names) > 1:
        yield Control("scenario", "Scenario", names, names[-1])  # a compare folder: the alternative


def scenario_tables(res: Results, sel: Selection) -> Mapping[str, pd.DataFrame]:
    """The tables of the chosen scenario (the only one of a run folder)."""
    return res.scenarios[_scenario_name(res, sel)]


def _scenario_name(res: Results, sel: Selection) -> str:
    return str(sel.get("scenario", next(iter(res.scenarios))))


def _has(*tables: str):
    return lambda res: any(all(t in tabs for t in tables) for tabs in res.scenarios.values())


def _rows(table: str):
    """Whether a scenario has rows in ``table`` (for small end-of-run tables, which a short run
    writes empty: reading them to know is cheap)."""
    return lambda res: any(table in tabs and not tabs[table].empty for tabs in res.scenarios.values())


def where(sel: Selection) -> str:
    """``", arm pilot"`` for a chosen subgroup (titles and captions)."""
    from povsim.plots.trajectories import subgroup_suffix

    return subgroup_suffix(sel.get("by", "all"), sel.get("group"))


# -- headline panel -------------------------------------------------------------------------
def _panel_controls(res: Results, sel: Selection) -> Iterator[Control]:
    yield from scenario_control(res)
    t = scenario_tables(res, sel)
    first = next((h[0] for h in panel() if h[0] in t), None)
    if first is not None:
        yield from years_control(t[first])


def _panel_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots import plot_panel

    t = scenario_tables(res, sel)
    specs = [h for h in panel() if h[0] in t]
    names = dict.fromkeys(h[0] for h in specs)
    tables = {n: apply_filters(t[n], sel) for n in names}
    fig = plot_panel(tables, specs)
    data = pd.concat([tables[tab][(tables[tab]["measure"] == m) & (tables[tab]["by"] == "all")].assign(table=tab)
                      for tab, m, _ in specs], ignore_index=True)
    return Drawn(fig, data, f"Headline measures of {_scenario_name(res, sel)}: mean over replicates with the "
                            "replicate band, whole population.")


# -- trajectories by subgroup -----------------------------------------------------------------
def _measures(t: Mapping[str, pd.DataFrame]) -> dict[str, tuple[str, str]]:
    return {m: (tab, label) for tab, m, label in headline() if tab in t}


def _trajectory_controls(res: Results, sel: Selection) -> Iterator[Control]:
    yield from scenario_control(res)
    ms = _measures(scenario_tables(res, sel))
    if not ms:
        return
    yield Control("measure", "Measure", tuple(ms), next(iter(ms)))
    tab = scenario_tables(res, sel)[ms[sel["measure"]][0]]
    yield from subgroup_controls(tab, sel, measure=sel["measure"], groups="many")
    yield from years_control(tab)


def _trajectory_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots import plot_trajectory

    t = scenario_tables(res, sel)
    tab, label = _measures(t)[sel["measure"]]
    by = sel.get("by", "all")
    d = apply_filters(t[tab], sel, keep_by=(by,))
    d = d[(d["measure"] == sel["measure"]) & (d["by"] == by)]
    title = label if by == "all" else f"{label} by {by.replace('_', ' ')}"
    fig = plot_trajectory(d, sel["measure"], by=by, title=title)
    return Drawn(fig, d, f"{label}: mean over replicates with the replicate band"
                         + ("" if by == "all" else f", one line per {by.replace('_', ' ')}") + ".")


# -- MODA by age group ------------------------------------------------------------------------
MODA_MEASURES = {"H": "MODA multidimensional poverty H", "M0": "MODA adjusted headcount M0",
                  "A": "MODA intensity A"}


def _moda_controls(res: Results, sel: Selection) -> Iterator[Control]:
    yield from scenario_control(res)
    s = scenario_tables(res, sel)["moda_summary"]
    yield Control("measure", "Measure", tuple(MODA_MEASURES), "H")
    yield from ages_control(s)
    yield from subgroup_controls(s, sel, measure=sel["measure"])
    yield from years_control(s)


def _moda_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.report import plot_moda_trajectories

    name = _scenario_name(res, sel)
    s = apply_filters(scenario_tables(res, sel)["moda_summary"], sel)
    m = sel["measure"]
    fig = plot_moda_trajectories({name: s}, m, by=sel.get("by", "all"), group=sel.get("group", "all"),
                                 title=MODA_MEASURES[m] + where(sel),
                                 ylabel="M0 (index, 0-1)" if m == "M0" else None)
    data = subgroup_rows(s[s["measure"] == m], sel)
    return Drawn(fig, data, f"{MODA_MEASURES[m]} by age group{where(sel)}: mean over replicates with the range "
                            "across replicates.")


# -- MODA in one year: dimensions, number of deprivations, income overlap -------------------------
def _snapshot_controls(table: str, *, censored: bool = False):
    def controls(res: Results, sel: Selection) -> Iterator[Control]:
        yield from scenario_control(res)
        d = scenario_tables(res, sel)[table]
        if censored:
            yield Control("headcount", "Headcount", ("uncensored", "censored"), "uncensored")
        yield from ages_control(d)
        yield from subgroup_controls(d, sel)
        yield from year_control(d)
    return controls


def _dimensions_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots import plot_dimension_headcounts

    d = apply_filters(scenario_tables(res, sel)["moda_dimensions"], sel)
    cens = sel.get("headcount") == "censored"
    fig = plot_dimension_headcounts(d, year=sel.get("year"), censored=cens, by=sel.get("by", "all"),
                                    group=sel.get("group", "all"))
    m = "censored_headcount" if cens else "uncensored_headcount"
    return Drawn(fig, subgroup_rows(d[d["measure"] == m], sel),
                 f"Share of children deprived in each dimension by age group, {sel.get('year')}{where(sel)}"
                 + (" (censored: among the MODA-poor only)." if cens else "."), labels=("Dimension", ""))


def _distribution_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots import plot_deprivation_distribution

    d = apply_filters(scenario_tables(res, sel)["moda_distribution"], sel)
    fig = plot_deprivation_distribution(d, year=sel.get("year"), by=sel.get("by", "all"),
                                        group=sel.get("group", "all"))
    return Drawn(fig, subgroup_rows(d[d["measure"] == "deprivation_count_share"], sel),
                 f"Distribution of the number of deprivations per child, {sel.get('year')}{where(sel)}.")


def _income_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots import plot_income_overlap

    d = apply_filters(scenario_tables(res, sel)["moda_income"], sel)
    fig = plot_income_overlap(d, year=sel.get("year"), by=sel.get("by", "all"), group=sel.get("group", "all"))
    return Drawn(fig, subgroup_rows(d, sel),
                 f"Overlap of MODA deprivation and income poverty, {sel.get('year')}{where(sel)}.")


# -- overlapping deprivations (UpSet) -------------------------------------------------------------
def _overlaps_controls(res: Results, sel: Selection) -> Iterator[Control]:
    yield from scenario_control(res)
    d = scenario_tables(res, sel)["moda_patterns"]
    yield from ages_control(d, multi=False)
    yield from year_control(d)
    yield Control("top", "Patterns shown", (6, 8, 10, 12, 15, 20), 12, "slider")


def _overlaps_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.report import plot_upset

    d = scenario_tables(res, sel)["moda_patterns"]
    fig = plot_upset(d, age_group=sel["age"], year=sel["year"], top=int(sel["top"]))
    data = apply_filters(d[(d["by"] == "all") & (d["measure"] == "pattern_share")], sel)
    return Drawn(fig, data, f"Largest patterns of overlapping deprivations, ages {sel['age']}, {sel['year']} "
                            "(bars: share of children with exactly that set; dots: the dimensions in the set).")


# -- intergenerational transmission -----------------------------------------------------------
def _transition_controls(res: Results, sel: Selection) -> Iterator[Control]:
    yield from scenario_control(res)
    yield Control("line", "Poverty line", ("relative", "absolute"), "relative")


def _transition_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.report import plot_transition_heatmap

    mob = scenario_tables(res, sel)["mobility"]
    means = (mob.assign(value=pd.to_numeric(mob["value"], errors="coerce")).groupby("measure", sort=False)
             .agg(mean=("value", "mean"), low=("value", "min"), high=("value", "max"), n=("n", "mean"))
             .reset_index())
    try:
        fig = plot_transition_heatmap(mob, kind=sel["line"])
    except PovsimError as e:  # too short a run: no child observed as an adult yet; the table still shows
        return Drawn(None, mob, table=means, note=f"Not drawn: {e}")
    return Drawn(fig, mob, f"Childhood income poverty -> adult income poverty ({sel['line']} line): conditional "
                           "probabilities, with the joint share of persons.", table=means)


def _generations_controls(res: Results, sel: Selection) -> Iterator[Control]:
    yield from scenario_control(res)
    g = scenario_tables(res, sel)["generations_final"]
    ms = tuple(dict.fromkeys(g.loc[g["by"] == "generation", "measure"].astype(str)))
    if ms:
        yield Control("measure", "Measure", ms, "ever_poor_in_childhood_share" if "ever_poor_in_childhood_share"
                      in ms else ms[0])


def _generations_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.report import plot_transmission_by_generation

    g = scenario_tables(res, sel)["generations_final"]
    fig = plot_transmission_by_generation(g, sel["measure"])
    data = g[(g["by"] == "generation") & (g["measure"] == sel["measure"])]
    return Drawn(fig, data, f"{sel['measure'].replace('_', ' ')} by generation of the children; whiskers: "
                            "replicate range.")


# -- one measure by subgroup in one year ------------------------------------------------------------
def _bars_controls(res: Results, sel: Selection) -> Iterator[Control]:
    yield from scenario_control(res)
    t = scenario_tables(res, sel)
    ms = _measures(t)
    if not ms:
        return
    yield Control("measure", "Measure", tuple(ms), next(iter(ms)))
    tab = t[ms[sel["measure"]][0]]
    yield from subgroup_controls(tab, sel, measure=sel["measure"], with_all=False, groups="none")
    yield from year_control(tab)


def _bars_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.report import plot_county_bars

    t = scenario_tables(res, sel)
    tab, label = _measures(t)[sel["measure"]]
    by = sel["by"]
    fig = plot_county_bars(t[tab], sel["measure"], year=sel.get("year"), by=by,
                           title=f"{label} by {by.replace('_', ' ')}, {sel.get('year')}",
                           xlabel=by.replace("_", " ").capitalize())
    d = t[tab]
    data = apply_filters(d[(d["by"] == by) & (d["measure"] == sel["measure"])], sel)
    return Drawn(fig, data, f"{label} by {by.replace('_', ' ')} in {sel.get('year')}: mean over replicates; "
                            "whiskers: replicate range.")


# -- programme costs --------------------------------------------------------------------------------
def _costs_controls(res: Results, sel: Selection) -> Iterator[Control]:
    yield from scenario_control(res)
    yield Control("stack", "Stack by", ("intervention", "funder", "county", "item"), "intervention")
    c = scenario_tables(res, sel)["costs"]
    yield from years_control(c)


def _costs_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.compare import plot_costs

    name = _scenario_name(res, sel)
    c = apply_filters(scenario_tables(res, sel)["costs"], sel)
    fig = plot_costs({name: c}, by=sel["stack"])
    return Drawn(fig, c, f"Programme costs of {name} by year and {sel['stack']} (million RMB at 2014 prices, "
                         "undiscounted; mean over replicates).")


# -- calibration targets of a baseline run ---------------------------------------------------------
def _targets_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.calibration import plot_targets

    checks = res.extra["target_checks"]
    return Drawn(plot_targets(checks), checks, "Calibration targets (value, tolerance band and 95% interval) "
                 "against the simulated value with its replicate interval, relative to the target.",
                 table=calibration_table(res))


def views(res: Results) -> list[View]:
    """The views of the scenario tables of ``res`` (a run; a compare folder's scenarios)."""
    return [
        View("headline", "Headline panel", _panel_controls, _panel_draw),
        View("trajectory", "Trajectories by subgroup", _trajectory_controls, _trajectory_draw),
        View("moda", "MODA by age group", _moda_controls, _moda_draw, _has("moda_summary")),
        View("dimensions", "Deprivation by dimension", _snapshot_controls("moda_dimensions", censored=True),
             _dimensions_draw, _has("moda_dimensions")),
        View("distribution", "Number of deprivations", _snapshot_controls("moda_distribution"),
             _distribution_draw, _has("moda_distribution")),
        View("overlaps", "Overlapping deprivations", _overlaps_controls, _overlaps_draw, _has("moda_patterns")),
        View("income", "MODA and income poverty", _snapshot_controls("moda_income"), _income_draw,
             _has("moda_income")),
        View("mobility", "Intergenerational transmission", _transition_controls, _transition_draw,
             _has("mobility")),
        View("generations", "Childhood poverty by generation", _generations_controls, _generations_draw,
             _rows("generations_final")),
        View("subgroups", "Subgroups in one year", _bars_controls, _bars_draw),
        View("costs", "Programme costs", _costs_controls, _costs_draw, _rows("costs")),
        View("targets", "Calibration targets", no_controls, _targets_draw,
             lambda r: "target_checks" in r.extra),
    ]


def _detect(folder: Path) -> bool:
    tables = folder / "tables"
    return tables.is_dir() and any(tables.glob("*.csv"))


KIND = Kind("run", "Run", _detect, lambda folder: load_results(folder, lazy=True), views)
