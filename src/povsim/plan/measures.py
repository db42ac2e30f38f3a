"""Outcome measures of a plan, recorded per village inside a model run.

The planner compares allocations village by village, so every measure is a total per
village (not a rate), attributed to the village a person lived in when first observed
(at the start of the run, or at birth): an effect then follows the child who received
the programme, wherever the child lives later.

Measures (``MEASURES``; each a "bad" to avert or a "good" to gain):

* ``stunting_years``: child-years of stunting under 5 (ages 0-4, as the ``stunting``
  table), summed over the simulated years;
* ``delay_years``: child-years of low skill / developmental delay, skill < -1 SD at ages
  0-5 (as ``low_skill_share_0_5`` of the ``development`` table);
* ``moda_m0_child_years``: the adjusted headcount M0 of MODA computed on *outcome*
  indicators only (see :func:`outcome_moda_config`), summed over children and years: a
  child deprived in 3 of the 7 outcome dimensions for one year adds 3/7;
* ``moda_poor_child_years``: child-years MODA-poor on outcome indicators (H numerator);
* ``school_years``: completed years of schooling of the treated cohorts (persons born
  from 17 years before the programme to its last year), summed;
* ``junior_high_completers``: persons of the treated cohorts with 9 or more years;
* ``adult_poor``: persons of the treated cohorts who are relatively poor as adults: mean
  household income per capita at ages 30-45 (5 or more years observed) below half the
  median of their 5-year birth cohort, as in :mod:`povsim.compare` — only when the horizon
  reaches their adulthood (``adult_observed`` counts who could be measured).  Absolute
  poverty at the poverty line is recorded too (``adult_poor_absolute``) but is almost nil
  by the 2040s in the model's income growth, so it cannot rank allocations.

Outcome and service indicators of MODA
--------------------------------------
A *service* indicator records the receipt of a service; an intervention that delivers the
service flips it by construction (health services flip ``no_checkup``; 93 % of the pilot's
effect on MODA H at 6-17 came from it, issue 16).  The planner's MODA keeps *outcome*
indicators only — a child's own state or the state of the child's home — and drops the
service indicators (those tagged ``kind = "service"`` in the MODA configuration: check-up,
insurance, Dibao) and a dimension left without indicators (health).  The cut-off k and
the dimension weights stay as configured (k = 3 of the 7 remaining dimensions).

References
----------
Alkire, S. & Foster, J. (2011). Counting and multidimensional poverty measurement.
Journal of Public Economics 95(7-8):476-487. doi:10.1016/j.jpubeco.2010.11.006
de Neubourg, C. et al. (2012). Step-by-step guidelines to the Multiple Overlapping
Deprivation Analysis (MODA). UNICEF Office of Research WP-2012-10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from povsim.moda import MODAConfig
from povsim.state import World

__all__ = [
    "MEASURES",
    "YEARLY_MEASURES",
    "Measure",
    "VillageRecorder",
    "outcome_moda_config",
]


@dataclass(frozen=True)
class Measure:
    """One outcome measure: name, unit, whether more is better, and where it is recorded."""

    name: str
    unit: str
    good: bool
    source: str  # "yearly" (village x year totals) or "cohort" (end of run, treated cohorts)
    description: str


MEASURES: dict[str, Measure] = {m.name: m for m in (
    Measure("stunting_years", "child-years", False, "yearly",
            "child-years of stunting under 5 (height-for-age < -2 SD, ages 0-4)"),
    Measure("delay_years", "child-years", False, "yearly",
            "child-years of low skill / delay (skill < -1 SD, ages 0-5)"),
    Measure("moda_m0_child_years", "child-years", False, "yearly",
            "outcome-MODA M0 summed over children and years (censored deprivation share)"),
    Measure("moda_poor_child_years", "child-years", False, "yearly",
            "child-years MODA-poor on outcome indicators (k = 3)"),
    Measure("school_years", "years", True, "cohort",
            "completed years of schooling of the treated cohorts"),
    Measure("junior_high_completers", "persons", True, "cohort",
            "persons of the treated cohorts with 9 or more years of schooling"),
    Measure("adult_poor", "persons", False, "cohort",
            "persons of the treated cohorts relatively income-poor as adults (ages 30-45)"),
)}
YEARLY_MEASURES = tuple(n for n, m in MEASURES.items() if m.source == "yearly")


def outcome_moda_config(config: MODAConfig) -> MODAConfig:
    """``config`` without its service indicators (and without dimensions left empty): the
    indicators tagged ``kind = "service"`` in the MODA configuration
    (:func:`povsim.moda.views.outcome_view`, the one classification of the project)."""
    from povsim.moda.views import outcome_view

    return outcome_view(config) or config


class _Origins:
    """Village of every person when first observed (ids sorted for lookups)."""

    def __init__(self) -> None:
        self.ids = np.empty(0, dtype=np.int64)
        self.village = np.empty(0, dtype=np.int32)

    def update(self, ids: np.ndarray, village: np.ndarray) -> np.ndarray:
        """Add unseen ids with their current village; return the origin of each id."""
        origin = self.of(ids)
        new = origin < 0
        if new.any():
            all_ids = np.concatenate([self.ids, ids[new]])
            all_v = np.concatenate([self.village, village[new].astype(np.int32)])
            order = np.argsort(all_ids, kind="stable")
            self.ids, self.village = all_ids[order], all_v[order]
            origin = np.where(new, village, origin)
        return origin

    def of(self, ids: np.ndarray) -> np.ndarray:
        """Origin village of each id (-1 when never observed)."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(self.ids) == 0:
            return np.full(len(ids), -1, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.ids, ids), 0, len(self.ids) - 1)
        hit = self.ids[pos] == ids
        return np.where(hit, self.village[pos], -1).astype(np.int64)


class VillageRecorder:
    """Per-village outcomes and programme accounting of one model run.

    Call :meth:`observe` on the initial state and after every year; install
    :meth:`record_programme` as a yearly process right after the interventions (see
    :func:`povsim.plan.worker.simulate`); call :meth:`tables` at the end.

    Parameters
    ----------
    model
        The :class:`povsim.model.PovertyModel` being run.
    moda_config
        The outcome-only MODA configuration (:func:`outcome_moda_config`).
    cohorts
        First and last birth year of the treated cohorts.
    """

    def __init__(self, model, moda_config: MODAConfig, cohorts: tuple[int, int]) -> None:
        self.model = model
        self.moda_config = moda_config
        self.cohorts = cohorts
        self.origins = _Origins()
        self.n_villages = model.world.geo.n
        self.years: list[tuple[int, dict[str, np.ndarray]]] = []
        self.programme: list[tuple[int, str, np.ndarray, np.ndarray]] = []
        self.initial: dict[str, np.ndarray] | None = None
        ag_weight = {ag.name: float(moda_config.weights_for(ag.name).sum()) for ag in moda_config.age_groups}
        self._age_groups = [(ag.min_age, ag.max_age, ag_weight[ag.name]) for ag in moda_config.age_groups]

    # -- yearly -------------------------------------------------------------------
    def observe(self, world: World) -> None:
        """Record the year's village totals (the start year's too: the initial state)."""
        from povsim.moda.model import child_deprivation

        P, H = world.P, world.H
        alive = P.alive
        village = H.village[P.hh]
        origin = self.origins.update(P.id, village)
        age = world.age()
        n = self.n_villages

        def total(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
            w = mask.astype(np.float64) if weights is None else np.where(mask, weights, 0.0)
            return np.bincount(origin, weights=w, minlength=n)

        rows, score, poor = child_deprivation(world, self.moda_config)
        share = np.zeros(len(rows))
        for lo, hi, weight in self._age_groups:
            a = age[rows]
            in_ag = (a >= lo) & (a <= hi)
            share[in_ag] = score[in_ag] / weight
        kid_alive = alive[rows]
        out = {
            "stunting_years": total(alive & (age <= 4) & P.stunted),
            "delay_years": total(alive & (age <= 5) & (P.skill < -1.0)),
            "moda_m0_child_years": np.bincount(origin[rows], weights=np.where(poor & kid_alive, share, 0.0),
                                               minlength=n),
            "moda_poor_child_years": np.bincount(origin[rows], weights=(poor & kid_alive).astype(np.float64),
                                                 minlength=n),
            "children": total(alive & (age < 18)),
            "children_0_5": total(alive & (age <= 5)),
            "persons": total(alive),
        }
        self.years.append((world.year, out))
        if self.initial is None:
            geo = world.geo
            hv = np.bincount(H.village, minlength=n)
            self.initial = {
                "persons": np.bincount(village[alive], minlength=n).astype(np.float64),
                "children": np.bincount(village[alive & (age < 18)], minlength=n).astype(np.float64),
                "children_0_5": np.bincount(village[alive & (age <= 5)], minlength=n).astype(np.float64),
                "households": hv.astype(np.float64),
                **{f"{c}_share": np.bincount(H.village, weights=H[c].astype(float), minlength=n) / np.maximum(hv, 1)
                   for c in ("income_poor", "safe_water", "sanitation")},
                "left_behind_share": np.bincount(village[rows], weights=world.P.left_behind[rows]
                                                 .astype(float), minlength=n)
                / np.maximum(np.bincount(village[rows], minlength=n), 1),
                "remoteness_km": np.asarray(geo.remoteness_km, dtype=np.float64),
                "county": np.asarray(geo.county, dtype=np.int64),
                "township": np.asarray(geo.township, dtype=np.int64),
                "pilot": np.asarray(geo.pilot, dtype=bool),
            }

    def record_programme(self, world: World, params, streams) -> None:
        """Eligible and reached units per village of every active intervention (a yearly
        process placed right after the interventions' budget pass)."""
        n = self.n_villages
        for iv in self.model.interventions:
            if not iv.active(world.year):
                continue
            eligible = iv.eligible(world)
            reached = np.flatnonzero(iv.reached)
            self.programme.append((
                world.year, iv.name,
                np.bincount(iv.village_of(world, eligible), minlength=n).astype(np.float64),
                np.bincount(iv.village_of(world, reached), minlength=n).astype(np.float64)))

    # -- end of run ----------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        """``villages`` (initial state), ``village_years``, ``village_cohort`` and
        ``village_programme`` (eligible, reached, costs per intervention and year)."""
        from povsim.mobility import lineage_outcomes

        m = self.model
        world = m.world
        n = self.n_villages
        geo = world.geo
        villages = pd.DataFrame({"village": np.arange(n), "name": list(geo.names), **(self.initial or {})})
        years = pd.concat([pd.DataFrame({"village": np.arange(n), "year": yr, **cols}) for yr, cols in self.years],
                          ignore_index=True)
        lo, hi = self.cohorts
        rec = lineage_outcomes(world, m.params.poverty_line, lo)
        rec = rec[rec["birth_year"] <= hi]
        origin = self.origins.of(rec["id"].to_numpy())
        keep = origin >= 0
        rec, origin = rec[keep], origin[keep]
        done = rec["school_done"].to_numpy(dtype=bool)
        school = rec["school_years"].to_numpy(dtype=np.float64)
        adult = rec["adult_log_income"].notna().to_numpy()

        def count(mask: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
            return np.bincount(origin, weights=np.where(mask, 1.0 if w is None else w, 0.0), minlength=n)

        cohort = pd.DataFrame({
            "village": np.arange(n),
            "cohort_persons": count(np.ones(len(rec), bool)),
            "school_done": count(done),
            "school_years": count(done, school),
            "junior_high_completers": count(done & (school >= 9)),
            "adult_observed": count(adult),
            "adult_poor": count(adult & rec["adult_poor_relative"].to_numpy(dtype=bool)),
            "adult_poor_absolute": count(adult & rec["adult_poor_absolute"].to_numpy(dtype=bool)),
        })
        prog_rows = []
        for yr, name, elig, reach in self.programme:
            prog_rows.append(pd.DataFrame({"village": np.arange(n), "intervention": name, "year": yr,
                                           "eligible": elig, "reached": reach}))
        logs = [iv.cost_log().assign(intervention=iv.name) for iv in m.interventions if iv.costs]
        prog = (pd.concat(prog_rows, ignore_index=True) if prog_rows else
                pd.DataFrame(columns=["village", "intervention", "year", "eligible", "reached"]))
        if logs:
            c = pd.concat(logs, ignore_index=True)
            # per unit reached vs everything else (running, set-up, management); county- and
            # township-level trainings are booked at village -1 and kept there
            c["item"] = np.where(c["item"] == "per_unit", "cost_per_unit", "cost_fixed")
            c = c.pivot_table(index=["village", "intervention", "year"], columns="item", values="cost_rmb",
                              aggfunc="sum", fill_value=0.0).reset_index()
            for item in ("cost_fixed", "cost_per_unit"):
                if item not in c.columns:
                    c[item] = 0.0
            c = c[["village", "intervention", "year", "cost_fixed", "cost_per_unit"]]
            prog = prog.merge(c, on=["village", "intervention", "year"], how="outer")
        for col in ("eligible", "reached", "cost_fixed", "cost_per_unit"):
            if col not in prog.columns:
                prog[col] = 0.0
            prog[col] = prog[col].astype(np.float64).fillna(0.0)
        prog = prog.sort_values(["intervention", "year", "village"], kind="stable").reset_index(drop=True)
        prog["village"] = prog["village"].astype(np.int64)
        prog["year"] = prog["year"].astype(np.int64)
        prog["intervention"] = prog["intervention"].astype(str)
        return {"villages": villages, "village_years": years, "village_cohort": cohort,
                "village_programme": prog}
