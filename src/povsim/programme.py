"""Programme accounting of a run: costs, reach and budget as tidy tables, and the
programme fidelity table (the Hubei pilot brochure's figures beside the simulated ones).

``costs``: one row per year x intervention x village x item x funder, in RMB (2014
prices), with county and area (pilot / project / non_project; ``all`` for county- and
township-level items such as trainings).  ``reach``: units and children reached per
intervention and year.  ``budget``: requested, funded and cut costs per intervention and
year.  ``programme``: totals -- children reached (unique), centres, spend over the
programme's window (``spend_<first>_<last>_rmb``), discounted totals, cost per child
reached, and the measures of the fidelity table.

A sampled run (``[population] scale`` < 1) simulates a sample of whole villages (see
:mod:`povsim.geography`): every amount and count here is the Horvitz-Thompson estimate for
the full area (the sample's value x ``1 / scale``), so costs per child are ratios of full-
scale estimates; the ``programme`` table states the sampling fraction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from povsim.geography import AREA_KINDS

#: Source of every reference figure.
BROCHURE = ("UNICEF China / IPRCC / Hubei Poverty Alleviation Office, 'Hubei Model' programme "
            "brochure (2017)")

#: The brochure reports totals "by the end of July 2017".
REFERENCE_DATE = dt.date(2017, 7, 31)


@dataclass(frozen=True)
class Figure:
    """A brochure figure and how the simulated counterpart is read off a run.

    ``kind`` is ``persons`` or ``money`` (held to within ``tolerance`` of the brochure), or
    ``activity`` / ``participations`` (reported for comparison: the brochure counts
    participations or activities whose simulated counterpart is defined differently).
    """

    label: str
    value: float
    kind: str
    measure: str
    intervention: str
    definition: str
    tolerance: float = 0.10


#: The Hubei pilot as reported (brochure, pages "Introduction", "Top-down and bottom-up
#: joint efforts" and "Be child activity oriented"); definitions as documented in
#: scenarios/hubei_pilot.toml.
HUBEI_FIGURES: tuple[Figure, ...] = (
    Figure("children benefiting", 219_000, "persons", "children_reached_ref", "all",
           "distinct children aged 0-17 reached by any component (centre attendance, township "
           "parent sessions or health check-ups in a trained household or township, home visits, "
           "special-needs support) from 18 Feb 2014 to 31 Jul 2017; a child counts once"),
    Figure("programme investment (RMB)", 275e6, "money", "cost_ref_rmb", "all",
           "all programme costs incurred 18 Feb 2014 - 31 Jul 2017 (running costs for the "
           "months run, set-up, practitioner trainings, management), all funders, undiscounted"),
    Figure("domestic investment (RMB)", 239e6, "money", "cost_ref_rmb:domestic", "all",
           "the costs of the same window booked to the funder 'domestic'"),
    Figure("Bestseller Fund (RMB)", 35.585e6, "money",
           "cost_ref_rmb:bestseller_fund", "all",
           "the costs of the same window booked to the funder 'bestseller_fund'"),
    Figure("child service centres", 80, "persons", "centres", "all",
           "village centres built (a centre that would serve nobody is not built)"),
    Figure("children reached by home visits", 4_642, "persons",
           "children_reached_ref", "home_visits",
           "distinct children visited at home by the 240 volunteers, 2014 - Jul 2017"),
    Figure("children with special needs helped", 4_126, "persons",
           "children_reached_ref", "special_needs_support",
           "distinct children with a disability aged 3-17 given enrolment and retention support"),
    Figure("child participations in centre activities", 248_000,
           "participations", "centre_participations", "child_service_centre",
           "simulated: child-years of centre attendance x the centre's themed activities a "
           "year (an upper bound: every attending child at every activity); the brochure counts "
           "a child once per activity attended"),
    Figure("parents reached", 100_000, "participations", "caregivers_reached_ref",
           "parent_training",
           "simulated: distinct adults of the households in township parent sessions; the "
           "brochure's 'more than 100,000 parents' counts parents at centre and township sessions"),
    Figure("centre-open days", 15_140, "activity", "centre_open_days",
           "child_service_centre", "days open a week x 52 x share of the year run, summed over "
           "centres and years to Jul 2017"),
    Figure("themed centre activities", 3_391, "activity", "centre_activities",
           "child_service_centre", "activities a year x share of the year run, summed over centres"),
    Figure("practitioner training sessions", 709, "activity", "training_sessions",
           "all", "county and township training sessions on health, nutrition and child "
           "protection (components' trainings_per_year x share of the year run)"),
    Figure("volunteers (80 county backbone + 160 village)", 240, "activity",
           "volunteers", "home_visits", "home-visit volunteers posted in the pilot villages"),
    Figure("poor families reached by trainings", 28_600, "activity",
           "households_reached_ref", "parent_training",
           "distinct households reached by the township parent and health-nutrition sessions"),
)


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
    spans = [(_year(v, "start", first), _year(v, "end", last))
             for v in interventions.values() if v.get("enabled", True)]
    if not spans:
        return None
    return max(min(a for a, _ in spans), first), min(max(b for _, b in spans), last)


def _year(settings: dict, end: str, default: int) -> int:
    """An intervention's ``<end>_year``, or the year of its ``<end>_date`` (a TOML date or,
    in a resolved scenario, an ISO string), or ``default``."""
    year, date = settings.get(f"{end}_year"), settings.get(f"{end}_date")
    if year is not None:
        return int(year)
    if isinstance(date, str):
        return dt.date.fromisoformat(date).year
    return date.year if isinstance(date, dt.date) else default


def discount(cost: pd.Series, year: pd.Series, base_year: int, rate: float) -> pd.Series:
    """Present value in ``base_year`` of costs incurred in ``year``."""
    return cost / (1.0 + rate) ** (year - base_year)


def _window_share(iv, year: int) -> float:
    """Share of an intervention's running in ``year`` that falls on or before the
    reference date (1 before it, 0 after it)."""
    from povsim.interventions.base import year_share

    full = year_share(year, iv.cfg.start_date, iv.cfg.end_date)
    if full <= 0.0:
        return 0.0
    upto = min(iv.cfg.end_date or REFERENCE_DATE, REFERENCE_DATE)
    return year_share(year, iv.cfg.start_date, upto) / full


def programme_tables(model) -> dict[str, pd.DataFrame]:
    """Costs, reach, budget and programme totals of a model run (full-area estimates)."""
    geo = model.world.geo
    w = float(geo.weight)
    funders = dict(model.config.budget.funders)
    frames = [iv.cost_frame(funders) for iv in model.interventions]
    frames = [f for f in frames if not f.empty]
    costs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["year", "intervention", "village", "item", "units", "funder", "cost_rmb"])
    if not costs.empty:
        v = costs["village"].astype(int).to_numpy()
        here = v >= 0
        vv = np.where(here, v, 0)
        costs["county"] = np.where(here, np.asarray(geo.counties)[geo.county[vv]], "all")
        costs["area"] = np.where(here, np.asarray(AREA_KINDS)[geo.area_kind[vv]], "all")
        costs["arm"] = np.where(here, np.where(geo.pilot[vv], "pilot", "comparison"), "all")
        costs["village"] = np.where(here, np.asarray(geo.names, dtype=object)[vv],
                                    "county/township level")
        costs["cost_rmb"] = costs["cost_rmb"].astype(float) * w
        costs["units"] = costs["units"].astype(float) * w
    reach = pd.DataFrame(
        [(yr, iv.name, units * w, kids * w) for iv in model.interventions
         for yr, units, kids in iv.reach_log],
        columns=["year", "intervention", "units_reached", "children_reached"])
    budget = pd.DataFrame(model.budget_log, columns=[
        "year", "intervention", "priority", "requested_rmb", "funded_rmb", "cut_rmb",
        "units_planned", "units_funded"])
    for col in ("requested_rmb", "funded_rmb", "cut_rmb", "units_planned", "units_funded"):
        budget[col] = budget[col].astype(float) * w
    summary = programme_summary(model, costs)
    if model.config.budget.cap_rmb is not None:
        extra = [("budget_cap_rmb_per_year", "all", float(model.config.budget.cap_rmb)),
                 ("budget_cut_rmb", "all", float(budget["cut_rmb"].sum()))]
        extra += [("budget_cut_rmb", name, float(v))
                  for name, v in budget.groupby("intervention")["cut_rmb"].sum().items() if v > 0]
        summary = pd.concat([summary, pd.DataFrame(extra, columns=summary.columns)],
                            ignore_index=True)
    return {"costs": costs, "reach": reach, "budget": budget, "programme": summary}


def _unique_ids(parts: list[np.ndarray]) -> np.ndarray:
    return np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)


def programme_summary(model, costs: pd.DataFrame) -> pd.DataFrame:
    """Tidy programme totals (``measure, intervention, value``) for the whole run, and the
    measures of the fidelity table (suffix ``_ref``: up to the reference date, 31 Jul 2017),
    as full-area estimates."""
    geo = model.world.geo
    w = float(geo.weight)
    start = model.world.start_year
    rate = model.config.budget.discount_rate
    ref_year = REFERENCE_DATE.year
    rows = [("sampling_fraction", "all", float(geo.sampling_fraction))]
    all_children, ref_children = [], []
    ref_cost = 0.0
    ref_by_funder: dict[str, float] = {}
    for iv in model.interventions:
        kids = _unique_ids(iv.children_ids)
        ref = _unique_ids([ids for (yr, _u, _k), ids in zip(iv.reach_log, iv.children_ids, strict=True)
                           if yr <= ref_year])
        all_children.append(kids)
        ref_children.append(ref)
        c = costs[costs["intervention"] == iv.name]
        total = float(c["cost_rmb"].sum())
        disc = float(discount(c["cost_rmb"], c["year"], start, rate).sum())
        in_window = c["cost_rmb"] * c["year"].map(lambda y, iv=iv: _window_share(iv, int(y)))
        in_ref = float(in_window.sum())
        ref_cost += in_ref
        for f, v in in_window.groupby(c["funder"]).sum().items():
            ref_by_funder[str(f)] = ref_by_funder.get(str(f), 0.0) + float(v)
        n_kids = len(kids) * w
        rows += [("children_reached", iv.name, n_kids),
                 ("children_reached_ref", iv.name, len(ref) * w),
                 ("cost_rmb", iv.name, total),
                 ("cost_ref_rmb", iv.name, in_ref),
                 ("cost_discounted_rmb", iv.name, disc),
                 ("cost_per_child_reached_rmb", iv.name, total / n_kids if n_kids else np.nan)]
        if iv.unit == "household":
            hh_ref = _unique_ids([ids for (yr, _u, _k), ids in zip(iv.reach_log, iv.reached_ids, strict=True)
                                  if yr <= ref_year])
            adults = _unique_ids([ids for (yr, _u, _k), ids in zip(iv.reach_log, iv.caregiver_ids, strict=True)
                                  if yr <= ref_year])
            rows += [("households_reached_ref", iv.name, len(hh_ref) * w),
                     ("caregivers_reached_ref", iv.name, len(adults) * w)]
        if iv.name == "home_visits":
            posted = sum(a.staff.get("home_visits", 0) for a in model.villages.agents)
            rows.append(("volunteers", iv.name, posted * w))
    kids = _unique_ids(all_children)
    ref_kids = _unique_ids(ref_children)
    total = float(costs["cost_rmb"].sum())
    disc = float(discount(costs["cost_rmb"], costs["year"], start, rate).sum())
    centres = model.villages.centres()
    trainings = float(costs.loc[costs["item"] == "training", "units"].sum())
    n_kids = len(kids) * w
    first, last = programme_window(model.config) or (start, start)
    window = costs[(costs["year"] >= first) & (costs["year"] <= last)]
    rows += [("children_reached", "all", n_kids),
             ("children_reached_ref", "all", len(ref_kids) * w),
             ("centres", "all", len(centres) * w),
             ("cost_rmb", "all", total),
             ("cost_ref_rmb", "all", ref_cost),
             *((f"cost_ref_rmb:{f}", "all", v) for f, v in sorted(ref_by_funder.items())),
             ("cost_discounted_rmb", "all", disc),
             ("cost_per_child_reached_rmb", "all", total / n_kids if n_kids else np.nan),
             ("training_sessions", "all", trainings),
             (f"spend_{first}_{last}_rmb", "all", float(window["cost_rmb"].sum()))]
    if centres:
        # participations: every attending child at every themed activity (an upper bound)
        per_child = next(iv.cfg.activities_per_year for iv in model.interventions
                         if iv.name == "child_service_centre")
        rows += [("centre_open_days", "child_service_centre", sum(c.open_days for c in centres) * w),
                 ("centre_activities", "child_service_centre", sum(c.activities for c in centres) * w),
                 ("centre_attendance_child_years", "child_service_centre",
                  sum(c.attendances for c in centres) * w),
                 ("centre_participations", "child_service_centre",
                  sum(c.attendances for c in centres) * per_child * w)]
    return pd.DataFrame(rows, columns=["measure", "intervention", "value"])


def fidelity_table(programme: pd.DataFrame) -> pd.DataFrame | None:
    """Each brochure figure (:data:`HUBEI_FIGURES`) beside the simulated one (mean, min and max over replicates),
    with the definition used and, for counts of persons and money, whether the mean lies
    within the figure's tolerance.

    Parameters
    ----------
    programme
        The ``programme`` table of a run (with a ``replicate`` column when there are
        several).
    """
    if programme is None or programme.empty:
        return None
    p = programme
    if "replicate" not in p.columns:
        p = p.assign(replicate=0)
    reps = sorted(p["replicate"].unique())
    rows = []
    for f in HUBEI_FIGURES:
        d = p[(p["measure"] == f.measure) & (p["intervention"] == f.intervention)]
        vals = d.groupby("replicate")["value"].sum().reindex(reps, fill_value=0.0)
        has = not d.empty
        mean = float(vals.mean()) if has else np.nan
        ratio = mean / f.value if has else np.nan
        held = f.kind in ("persons", "money")
        rows.append({
            "figure": f.label, "brochure": f.value, "simulated": mean,
            "min": float(vals.min()) if has else np.nan, "max": float(vals.max()) if has else np.nan,
            "ratio": ratio, "kind": f.kind,
            "check": ("n/a" if not held else "not simulated" if not has
                      else "within 10%" if abs(ratio - 1) <= f.tolerance else "OUTSIDE 10%"),
            "definition": f.definition, "source": BROCHURE})
    return pd.DataFrame(rows)


def overview(programme: pd.DataFrame) -> pd.DataFrame | None:
    """Programme totals of every intervention together (mean, min and max over replicates)."""
    if programme is None or programme.empty:
        return None
    keep = ("children_reached", "centres", "cost_rmb", "cost_discounted_rmb",
            "cost_per_child_reached_rmb", "budget_cap_rmb_per_year", "budget_cut_rmb")
    p = programme[(programme["intervention"] == "all") & programme["measure"].isin(keep)]
    return p.groupby("measure", sort=False)["value"].agg(["mean", "min", "max"]).reset_index()


def applies(scenario) -> bool:
    """Whether the fidelity table applies: interventions in the Hubei pilot area."""
    return bool(scenario.interventions) and scenario.population.geography == "hubei_pilot_area"


def render_fidelity(table: pd.DataFrame, sampling_fraction: float = 1.0) -> str:
    """The fidelity table as text (printed at the end of ``povsim run``)."""

    def num(x: float) -> str:
        if x != x:
            return "-"
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}"

    head = ("Programme fidelity: 'Hubei Model' brochure (by 31 Jul 2017) vs simulated "
            "(mean [min-max] over replicates)")
    if sampling_fraction < 1.0:
        head += (f"; a {sampling_fraction:.0%} sample of villages, figures are full-area "
                 "estimates (sample x 1/scale)")
    lines = [head]
    w = max(len(r) for r in table["figure"])
    for r in table.itertuples():
        lines.append(f"  {r.figure:<{w}}  {num(r.brochure):>12}  {num(r.simulated):>12} "
                     f"[{num(r.min)}-{num(r.max)}]  {r.check}")
    lines.append("  definitions: fidelity.csv in the results folder (column 'definition').")
    return "\n".join(lines)
