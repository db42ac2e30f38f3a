"""Yearly outcome collection into tidy tables.

Every measure is a ratio ``numerator / denominator`` over a set of persons (or a mean,
with the denominator counting persons).  For each measure the collector computes grouped
sums with ``np.bincount`` for the whole population and for each requested subgroup
dimension (county, pilot vs comparison arm, sex, age group, left-behind), and appends
rows ``(year, by, group, measure, numerator, denominator, value)`` to the table the
measure belongs to.  The runner adds the ``replicate`` column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from povsim import kernels
from povsim.state import World

#: Table name -> what it holds (the tables a run writes; ``[outputs].tables`` picks).
TABLES: dict[str, str] = {
    "population": "persons by age group, households, births and deaths",
    "income_poverty": "income poverty rates, mean income per capita, Dibao coverage",
    "stunting": "stunting prevalence under 5",
    "anaemia": "anaemia prevalence of infants, preschool and school-age children",
    "health": "health shocks, disability, check-ups and insurance of children",
    "enrolment": "enrolment by age, preschool attendance, junior-high dropout",
    "left_behind": "left-behind, both-parents-away and unsupervised children",
    "development": "cognitive skill of children (SD units) and low-skill share",
    "living_conditions": "children without safe water, sanitation, information; poor housing",
    "schooling_by_cohort": "years of schooling at exit by birth cohort and generation",
    "generations": "persons by generation and childhood income poverty by generation",
}

AGE_GROUPS = ((0, 5, "0-5"), (6, 17, "6-17"), (18, 64, "18-64"), (65, 200, "65+"))


@dataclass
class _By:
    name: str
    codes: np.ndarray  # per person
    labels: list[str]


@dataclass
class Collector:
    """Accumulates tidy rows, one list per table."""

    by: Sequence[str] = ("county", "arm")
    tables: Sequence[str] | None = None
    rows: dict[str, list[tuple]] = field(default_factory=dict)

    def _groups(self, world: World) -> list[_By]:
        P, H, geo = world.P, world.H, world.geo
        out = []
        hv = None
        for b in self.by:
            if b in ("county", "arm"):
                if hv is None:
                    hv = H.village[P.hh]  # one gather for every village-level subgroup
                if b == "county":
                    out.append(_By(b, geo.county.astype(np.int64)[hv], list(geo.counties)))
                else:
                    out.append(_By(b, geo.pilot.astype(np.int64)[hv], ["comparison", "pilot"]))
            elif b == "sex":
                out.append(_By(b, P.sex.astype(np.int64), ["female", "male"]))
            elif b == "left_behind":
                out.append(_By(b, world.scratch["left_behind"].astype(np.int64),
                               ["not left behind", "left behind"]))
            elif b == "age_group":
                age = world.age()
                codes = np.digitize(age, [6, 18, 65]).astype(np.int64)
                out.append(_By(b, codes, [g[2] for g in AGE_GROUPS]))
        return out

    def _prepare(self, world: World) -> None:
        """One cell code per person (cross-classification of all requested subgroups)."""
        H, geo = world.H, world.geo
        if set(self.by) <= {"county", "arm"}:
            # every subgroup is a household attribute: the cell of a household, and each
            # person's cell by one gather (the same codes as the person-level loop below)
            groups = [_By(b, np.empty(0, dtype=np.int64),
                          list(geo.counties) if b == "county" else ["comparison", "pilot"])
                      for b in self.by]
            # the cell of each village, then of each household and person (int32: half the
            # bytes of int64 for the passes that read them)
            n_cells = 1
            v_cell = np.zeros(geo.n, dtype=np.int64)
            for g in groups:
                codes = geo.county if g.name == "county" else geo.pilot
                v_cell = v_cell * len(g.labels) + codes.astype(np.int64)
                n_cells *= len(g.labels)
            self._hcell, cell = kernels.household_cells(H.village, v_cell, world.P.hh)
        else:
            groups = self._groups(world)
            n_cells = 1
            cell = None
            for g in groups:
                cell = g.codes if cell is None else cell * len(g.labels) + g.codes
                n_cells *= len(g.labels)
            if cell is None:
                cell = np.zeros(world.P.n, dtype=np.int64)
            self._hcell = None
        # label index of each cell along each dimension
        self._cell = cell
        self._n_cells = n_cells
        self._dims = []
        stride = n_cells
        for g in groups:
            stride //= len(g.labels)
            lab = (np.arange(n_cells) // stride) % len(g.labels)
            self._dims.append((g.name, g.labels, lab))
        self._aggs = [("all", ["all"], np.zeros(n_cells, dtype=np.int64)), *self._dims]

    def _emit(self, table: str, year: int, measure: str, rows: np.ndarray | None,
              x: np.ndarray | float = 1.0, count: bool = False) -> None:
        """Grouped numerator and denominator of a measure over persons ``rows`` (a mean when
        ``x`` is a value, a rate when it is a flag, a count with ``count=True``)."""
        if self.tables is not None and table not in self.tables:
            return
        c = self._cell if rows is None else self._cell[rows]
        den_c = np.bincount(c, minlength=self._n_cells).astype(np.float64)
        if np.isscalar(x):
            num_c = den_c * float(x)
        else:
            num_c = np.bincount(c, weights=np.asarray(x, dtype=np.float64), minlength=self._n_cells)
        self._append(table, year, measure, num_c, den_c, count)

    def _append_selected(self, table: str, year: int, measure: str, num_c: np.ndarray,
                         den_c: np.ndarray) -> None:
        """:meth:`_append` of a ratio measure, if its table is selected."""
        if self.tables is None or table in self.tables:
            self._append(table, year, measure, num_c, den_c, False)

    def _append(self, table, year, measure, num_c, den_c, count) -> None:
        out = self.rows.setdefault(table, [])
        for name, labels, lab in self._aggs:
            k = len(labels)
            num = np.bincount(lab, weights=num_c, minlength=k)
            den = np.bincount(lab, weights=den_c, minlength=k)
            val = num if count else num / den  # 0/0 is NaN (errors ignored by collect)
            out.extend(zip([year] * k, [name] * k, labels, [measure] * k, num.tolist(),
                           den.tolist(), val.tolist(), strict=True))

    def _count(self, table: str, year: int, measure: str, value: float) -> None:
        if self.tables is not None and table not in self.tables:
            return
        self.rows.setdefault(table, []).append(
            (year, "all", "all", measure, value, np.nan, value))

    def collect(self, world: World) -> None:
        """Append this year's measures."""
        # ratios of empty cells are NaN: one error-state context for all of them
        with np.errstate(invalid="ignore", divide="ignore"):
            self._collect(world)

    def _collect(self, world: World) -> None:
        P, H = world.P, world.H
        yr = world.year
        s = world.scratch
        self._prepare(world)
        age = world.age()
        everyone = None
        hh = P.hh

        # population: one compiled pass counts persons by cell x age group (and by
        # generation, and children per household, used below)
        by_age, n_gen, n_kids = kernels.population_counts(self._cell, self._n_cells, age,
                                                          P.generation, hh, H.n)
        by_age = by_age.astype(np.float64)
        total = by_age.sum(axis=1)
        self._append("population", yr, "persons", total, total, True)
        for i, (_, _, lab) in enumerate(AGE_GROUPS):
            name = lab.replace("-", "_").replace("+", "plus")
            self._append("population", yr, f"persons_{name}", by_age[:, i], total, True)
            self._append("population", yr, f"share_{name}", by_age[:, i], total, False)
        if self._hcell is not None:
            # household measures (constant within households) summed over households with
            # person weights, all in one compiled pass
            h_num, h_den = kernels.household_measures(self._hcell, self._n_cells, H.size, n_kids,
                                                      H.income_poor, H.income_pc, H.dibao)
            self._append_selected("population", yr, "mean_household_size", h_num[0], h_den[0])
        else:
            self._emit("population", yr, "mean_household_size", everyone, H.size[hh])
        self._count("population", yr, "households", float((H.size > 0).sum()))
        for ev in ("births", "deaths", "infant_deaths", "marriages", "new_households"):
            self._count("population", yr, ev, world.events.get(ev, 0.0))
        # income poverty
        poor = H.income_poor[hh] if self._hcell is None else None
        if self._hcell is not None:
            for j, measure in enumerate(("income_poverty_rate", "child_income_poverty_rate",
                                         "mean_income_pc", "dibao_share"), start=1):
                self._append_selected("income_poverty", yr, measure, h_num[j], h_den[j])
        else:
            kids = np.flatnonzero(age < 18)
            self._emit("income_poverty", yr, "income_poverty_rate", everyone, poor)
            self._emit("income_poverty", yr, "child_income_poverty_rate", kids, poor[kids])
            self._emit("income_poverty", yr, "mean_income_pc", everyone,
                       H.income_pc[hh].astype(np.float64))
            self._emit("income_poverty", yr, "dibao_share", everyone, H.dibao[hh])
        # child measures (and enrolment 18-22): one compiled pass over persons
        junior = s.get("junior_pupil")
        if junior is None or len(junior) != P.n:
            junior = np.zeros(P.n, dtype=bool)
            junior_drop = junior
        else:
            junior_drop = s["junior_dropout"]
        num, den = kernels.child_measures(
            self._cell, self._n_cells, age, P.stunted, P.anaemic, P.health_shock, P.disabled,
            P.checkup, P.enrolled, P.preschool, P.grade, P.skill, hh, H.insured, H.safe_water,
            H.sanitation, H.info_access, H.housing_poor, junior, junior_drop,
            s["left_behind"], s["both_parents_away"], s["unsupervised"])
        for j, (table, measure, _kind) in enumerate(kernels.CHILD_MEASURES):
            if measure == "junior_high_dropout_rate" and "junior_pupil" not in s:
                continue
            if self.tables is None or table in self.tables:
                self._append(table, yr, measure, num[j], den[j], False)
        # generations alive
        if self.tables is None or "generations" in self.tables:
            out = self.rows.setdefault("generations", [])
            n = n_gen
            for gi in np.flatnonzero(n):
                out.append((yr, "generation", str(gi), "persons", float(n[gi]), np.nan,
                            float(n[gi])))

    def frames(self) -> dict[str, pd.DataFrame]:
        cols = ["year", "by", "group", "measure", "numerator", "denominator", "value"]
        return {k: pd.DataFrame.from_records(v, columns=cols) for k, v in self.rows.items()}


def final_tables(world: World, tables: Sequence[str] | None = None) -> dict[str, pd.DataFrame]:
    """End-of-run tables over everyone who ever lived: schooling by cohort, generations."""
    P = world.P
    arc = world.archived()
    by = np.concatenate([P.birth_year, arc["birth_year"]]).astype(np.int64)
    gen = np.concatenate([P.generation, arc["generation"]]).astype(np.int64)
    sy = np.concatenate([P.school_years, arc["school_years"]]).astype(np.float64)
    death = np.concatenate([np.full(P.n, world.year + 1), arc["death_year"]]).astype(np.int64)
    done = np.concatenate([P.school_done, np.ones(len(arc["id"]), dtype=bool)])
    cpy = np.concatenate([P.child_poor_years, arc["child_poor_years"]]).astype(np.float64)
    cyo = np.concatenate([P.child_years_observed, arc["child_years_observed"]]).astype(np.float64)
    # schooling observed for persons who reached 25 (alive or died after 25)
    reached = done & ((np.minimum(death - 1, world.year) - by) >= 25)
    yr = world.year
    recs = []
    cohort = (by // 5) * 5
    for dim, codes in (("birth_cohort", cohort), ("generation", gen)):
        sel = reached
        keys, inv = np.unique(codes[sel], return_inverse=True)
        n = np.bincount(inv).astype(np.float64)
        x = sy[sel]
        for measure, vals in (("mean_school_years", x), ("junior_high_completion_share", x >= 9),
                              ("senior_high_completion_share", x >= 12),
                              ("tertiary_share", x >= 13)):
            num = np.bincount(inv, weights=vals.astype(np.float64))
            for i, k in enumerate(keys):
                label = f"{k}-{k + 4}" if dim == "birth_cohort" else str(k)
                recs.append((yr, dim, label, measure, num[i], n[i], num[i] / n[i]))
    out = {}
    cols = ["year", "by", "group", "measure", "numerator", "denominator", "value"]
    if tables is None or "schooling_by_cohort" in tables:
        out["schooling_by_cohort"] = pd.DataFrame.from_records(recs, columns=cols)
    # childhood income poverty by generation (persons with a full childhood observed)
    full = cyo >= 18
    recs = []
    if full.any():
        keys, inv = np.unique(gen[full], return_inverse=True)
        n = np.bincount(inv).astype(np.float64)
        share = np.bincount(inv, weights=cpy[full] / cyo[full])
        ever = np.bincount(inv, weights=(cpy[full] > 0).astype(np.float64))
        for i, k in enumerate(keys):
            recs.append((yr, "generation", str(k), "childhood_poverty_years_share",
                         share[i], n[i], share[i] / n[i]))
            recs.append((yr, "generation", str(k), "ever_poor_in_childhood_share",
                         ever[i], n[i], ever[i] / n[i]))
    if tables is None or "generations" in tables:
        out["generations_final"] = pd.DataFrame.from_records(recs, columns=cols)
    return out
