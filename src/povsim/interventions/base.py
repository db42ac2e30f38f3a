"""The intervention framework: configuration, targeting, coverage, capacity, costs, effects.

An intervention is one module declaring

* ``PARAMS``: effect sizes (with source and plausible range) and unit costs (RMB, 2014
  prices), registered like every model parameter so scenarios and the sensitivity
  analysis can vary them;
* a pydantic ``Config`` (the ``[interventions.<name>]`` table): start and end year,
  targeting, coverage with ramp-up, capacity and rationing, budget priority, funders,
  fidelity and roll-out lag, plus its own settings;
* an :class:`Intervention` subclass whose ``plan`` picks who is reached this year and
  prices it, and whose ``effects`` register modifiers on the named values the processes
  expose (:data:`povsim.state.VALUE_NAMES`).  Interventions never edit process code; the
  baseline has no modifiers.

Yearly cycle (:class:`povsim.model.PovertyModel`): after demography and migration every
enabled intervention plans (eligible -> covered -> rationed to capacity); the budget pass
funds plans in priority order; each funded plan commits its reach; processes then read
the modified values; at the end of the year interventions record costs that depend on
what happened (transfers paid, connections made).

Randomness: participation uses a fixed per-person key (stream ``iv.<name>.participation``,
so the same families take part every year), rationing a yearly priority key; effects
never change anyone else's draws (common random numbers).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd
from numba import njit, prange
from pydantic import BaseModel, ConfigDict, Field, StrictStr, model_serializer, model_validator
from pydantic_core import PydanticCustomError

from povsim._threads import threaded
from povsim.params import Param
from povsim.programme import REFERENCE_DATE
from povsim.state import World, is_all_rows

DELIVERY_PARAMS = (
    Param("delivery_fidelity", 0.8, "share of nominal effect", (0.5, 1.0),
          "Assumption: the Hubei pilot's five-tier management chain (provincial office, county "
          "leading group, county office, township coordination group, village committee; "
          "'Hubei Model' brochure, 2017) delivers part of the nominal effect of trial-based "
          "effect sizes at scale", "Default share of an intervention's nominal effect that "
          "reaches the children it covers (per-intervention 'fidelity' overrides it)",
          bounds=(0.0, 1.0)),
    Param("programme_management_share", 0.10, "share of direct costs", (0.05, 0.25),
          "Assumption: planning, supervision, monitoring and evaluation by the pilot's five-tier "
          "management mechanism (provincial office, county leading group and office, township "
          "coordination group, village committee; 'Hubei Model' brochure, 2017); NGO programme "
          "overheads are commonly 5-25% of direct costs", "Management costs booked with each "
          "intervention, as a share of its direct costs (zero when it costs nothing)",
          bounds=(0.0, 1.0)),
    Param("training_session_cost", 12000.0, "RMB per session (2014 prices)", (5000.0, 30000.0),
          "Assumption: a one- to two-day county or township training of about 40 practitioners "
          "(village doctors, teachers, cadres, volunteers: trainers, venue, materials, travel and "
          "per diem); the pilot held 709 such sessions on health, nutrition and child protection "
          "('Hubei Model' brochure, 2017)", "Cost of one practitioner training session",
          bounds=(0.0, 1e7)),
)

#: Items of the cost log, by their code in it.
COST_ITEMS = ("per_unit", "running", "set-up", "training", "management", "transfers")
#: A row of the cost log: village -1 is county or township level; RMB, 2014 prices.
COST_DTYPE = np.dtype([("year", np.int64), ("village", np.int64), ("item", np.int8),
                       ("units", np.float64), ("cost_rmb", np.float64)])


def cost_rows(year: int, villages, item: str, units, cost) -> np.ndarray:
    """Rows of the cost log (:data:`COST_DTYPE`): ``item`` in ``villages`` (``units`` and
    ``cost`` per village, or one number for all)."""
    out = np.empty(len(villages), dtype=COST_DTYPE)
    out["year"], out["village"], out["item"] = year, villages, COST_ITEMS.index(item)
    out["units"], out["cost_rmb"] = units, cost
    return out


#: Calendar of a programme year: the share of ``year`` in ``[start, end]`` (days).
def year_share(year: int, start: dt.date | None, end: dt.date | None) -> float:
    """Share of calendar year ``year`` (by days) inside ``[start, end]`` (open ends: the
    whole year).  E.g. a programme launched on 18 Feb 2014 runs 0.87 of 2014; one ending on
    31 Jul 2017 runs 0.58 of 2017."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    lo = max(first, start) if start is not None else first
    hi = min(last, end) if end is not None else last
    if hi < lo:
        return 0.0
    return ((hi - lo).days + 1) / ((last - first).days + 1)

Ratio = Annotated[float, Field(strict=False, ge=0.0, le=1.0)]


class Targeting(BaseModel):
    """Reusable targeting rules; a person or household must satisfy all that are set.

    Attributes
    ----------
    villages
        ``"pilot"`` villages, ``"comparison"`` (every non-pilot village), ``"project"``
        (every village of the project townships: township-level activities), ``"non_project"``
        (villages outside the project townships) or ``"all"`` (county-level activities).
    counties
        Only these counties (names as in ``[population] counties``).
    townships
        Only these townships (names ``County/township`` as in the area file, e.g.
        ``"Xuan'en/珠山镇"``).
    poorest_share
        Only the poorest share of households by income per capita (within the villages).
    income_poor
        Only income-poor households.
    moda_deprived
        Only children who are MODA-poor (score >= k in their age group).
    left_behind
        Only left-behind children (at least one parent a migrant).
    special_needs
        Only children with a disability / special need.
    min_age, max_age
        Age window (defaults to the intervention's own).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    villages: Literal["pilot", "comparison", "project", "non_project", "all"] = "pilot"
    counties: tuple[StrictStr, ...] | None = Field(default=None, strict=False)
    townships: tuple[StrictStr, ...] | None = Field(default=None, strict=False)
    poorest_share: Annotated[float | None, Field(strict=False, gt=0.0, le=1.0)] = None
    income_poor: bool = False
    moda_deprived: bool = False
    left_behind: bool = False
    special_needs: bool = False
    min_age: Annotated[int | None, Field(ge=0, le=120)] = None
    max_age: Annotated[int | None, Field(ge=0, le=120)] = None


class InterventionConfig(BaseModel):
    """Settings every intervention shares (the ``[interventions.<name>]`` table).

    Attributes
    ----------
    enabled
        Whether the intervention runs.
    start_year, end_year
        Active in the simulated years ``start_year .. end_year`` (inclusive; ``end_year``
        absent = to the horizon).  The scenario's start year is the initial state, so an
        intervention starting then acts from the first simulated year.
    start_date, end_date
        Calendar dates of the programme (TOML dates, e.g. ``2014-02-18``); they set
        ``start_year`` / ``end_year`` and the share of each year the programme runs
        (partial-year exposure: that year's costs, and the effect of that year's service,
        are scaled by it).
    trainings_per_year
        Practitioner training sessions held per (full) year at county or township level to
        deliver the service; costed at ``training_session_cost`` each.
    targeting
        Who is eligible (:class:`Targeting`).
    coverage
        Share of the eligible reached at full scale, in [0, 1].
    ramp_up_years
        Coverage rises linearly to ``coverage`` over this many years (0 = at once).
    capacity
        Most units reached per year (children, households or centres, as the intervention
        states); absent = no limit.
    rationing
        When capacity binds: ``"most_deprived"`` first (MODA score, then poorest) or
        ``"random"``.
    priority
        Order of funding under a budget cap (lower is funded first).
    funders
        Funder -> share of this intervention's costs (default: the scenario's ``[budget]``).
    fidelity
        Share of the nominal effect delivered (default: ``delivery_fidelity``).
    rollout_lag
        Years between the start (when costs begin) and the first effects.
    village_coverage
        Village name -> coverage, overriding ``coverage`` in the villages listed (the
        planner's per-village allocation, :mod:`povsim.plan`); a village listed with 0 is
        not targeted at all (no eligible, no fixed costs, no centre built).  The targeting
        rules still apply.  Absent: ``coverage`` everywhere.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    enabled: bool = True
    start_year: Annotated[int, Field(ge=1990, le=2200)] = 2014
    end_year: Annotated[int | None, Field(ge=1990, le=2200)] = None
    targeting: Targeting = Targeting()
    coverage: Ratio = 1.0
    ramp_up_years: Annotated[int, Field(ge=0, le=50)] = 0
    capacity: Annotated[int | None, Field(ge=0)] = None
    rationing: Literal["most_deprived", "random"] = "most_deprived"
    priority: int = 100
    funders: dict[StrictStr, Ratio] | None = None
    fidelity: Annotated[float | None, Field(strict=False, ge=0.0, le=1.0)] = None
    rollout_lag: Annotated[int, Field(ge=0, le=20)] = 0
    start_date: Annotated[dt.date | None, Field(strict=False)] = None
    end_date: Annotated[dt.date | None, Field(strict=False)] = None
    trainings_per_year: Annotated[float, Field(strict=False, ge=0.0)] = 0.0
    village_coverage: dict[StrictStr, Ratio] | None = None

    @model_validator(mode="before")
    @classmethod
    def _years_from_dates(cls, data: Any) -> Any:
        # the dates set the years (a year given as well must agree: checked below)
        if isinstance(data, dict):
            data = dict(data)
            for d, y in (("start_date", "start_year"), ("end_date", "end_year")):
                v = data.get(d)
                if isinstance(v, str):  # a resolved scenario stores dates as ISO strings
                    try:
                        v = dt.date.fromisoformat(v)
                    except ValueError:
                        continue  # reported by the field's validation
                if isinstance(v, dt.date) and not isinstance(v, dt.datetime) and y not in data:
                    data[y] = v.year
        return data

    @model_serializer(mode="wrap")
    def _drop_absent_village_coverage(self, handler):
        # without a per-village table the resolved scenario (and so every run key) stays
        # what it was before the key existed
        data = handler(self)
        if isinstance(data, dict) and data.get("village_coverage") is None:
            data.pop("village_coverage", None)
        return data

    @model_validator(mode="after")
    def _check(self) -> Self:
        for d, y in (("start_date", "start_year"), ("end_date", "end_year")):
            date, year = getattr(self, d), getattr(self, y)
            if date is not None and year != date.year:
                raise PydanticCustomError(
                    "date_year", "{y} equal to the year of {d}",
                    {"key": y, "value": year, "y": y, "d": d,
                     "suggestion": f"drop {y} (the date sets it) or set it to {date.year}"})
        if self.start_date is not None and self.end_date is not None and self.end_date < self.start_date:
            raise PydanticCustomError(
                "end_before_start", "end_date on or after start_date",
                {"key": "end_date", "value": str(self.end_date),
                 "suggestion": f"set end_date after {self.start_date}"})
        if self.end_year is not None and self.end_year < self.start_year:
            raise PydanticCustomError(
                "end_before_start", "end_year >= start_year",
                {"key": "end_year", "value": self.end_year,
                 "suggestion": f"set end_year to {self.start_year} or later, or start earlier"})
        if self.funders is not None and abs(sum(self.funders.values()) - 1.0) > 1e-6:
            raise PydanticCustomError(
                "funder_shares", "funder shares that sum to 1",
                {"key": "funders", "value": dict(self.funders),
                 "suggestion": "rescale the shares so that they sum to 1"})
        return self


@dataclass
class Plan:
    """What an intervention wants to do this year, and what it would cost.

    ``rows`` are the units it would reach, in rationing order (the intervention's ``unit``:
    persons, households or villages); ``ration``, when set, puts them into it (they are in
    row order because nobody was left out, and the order is needed only if the budget
    leaves someone out: :meth:`in_ration_order`).  Cost = (``exposure`` x (``fixed_by_village`` + ``per_unit`` x units)
    + ``setup_by_village`` + ``trainings`` x ``training_cost``) x (1 + ``management``):
    running costs for the share of the year the programme runs, one-off set-up in full,
    practitioner trainings, and management as a share of all of it.
    """

    rows: np.ndarray
    per_unit: float
    fixed_by_village: dict[int, float] = field(default_factory=dict)
    unit_villages: np.ndarray | None = None  # village of each row, for costs by village
    setup_by_village: dict[int, float] = field(default_factory=dict)
    exposure: float = 1.0
    management: float = 0.0
    trainings: float = 0.0  # practitioner training sessions this year (simulated villages)
    training_cost: float = 0.0
    ration: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None

    def in_ration_order(self) -> None:
        """Sort ``rows`` and ``unit_villages`` into rationing order (if not yet)."""
        if self.ration is not None:
            self.rows, self.unit_villages = self.ration()
            self.ration = None

    def fixed_cost(self) -> float:
        """Costs that do not depend on the number of units reached."""
        direct = (self.exposure * sum(self.fixed_by_village.values())
                  + sum(self.setup_by_village.values()) + self.trainings * self.training_cost)
        return float(direct * (1.0 + self.management))

    def unit_cost(self) -> float:
        """Cost of one more unit reached this year."""
        return float(self.per_unit * self.exposure * (1.0 + self.management))


class Intervention:
    """Base class of the catalogue's interventions (see the module docstring).

    Subclasses set ``name``, ``Config``, ``unit`` (``"person"``, ``"household"`` or
    ``"village"``), ``ages`` (default age window) and ``EFFECTS`` (pairs of a named value
    and the method that modifies it: ``method(world, rows, value) -> value``), and
    implement :meth:`eligible_default`, :meth:`per_unit_cost`, and optionally
    :meth:`fixed_costs` and :meth:`finish`.  ``modifies`` (the named values) is derived
    from ``EFFECTS``.
    """

    name: ClassVar[str] = ""
    Config: ClassVar[type[InterventionConfig]] = InterventionConfig
    unit: ClassVar[str] = "person"
    ages: ClassVar[tuple[int, int]] = (0, 17)
    EFFECTS: ClassVar[tuple[tuple[str, str], ...]] = ()
    modifies: ClassVar[tuple[str, ...]] = ()
    description: ClassVar[str] = ""
    village_limited: ClassVar[bool] = False  # whether it has a village_capacity rule

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.modifies = tuple(dict.fromkeys(value for value, _ in cls.EFFECTS))
        cls.village_limited = cls.village_capacity is not Intervention.village_capacity

    def __init__(self, config: dict[str, Any], model) -> None:
        self.cfg = self.Config.model_validate(config)
        self.model = model
        self.params = model.params
        self.streams = model.streams
        self.world: World = model.world
        self.reached = np.zeros(0, dtype=bool)  # mask over person or household rows
        self.reached_rows = np.empty(0, dtype=np.int64)  # the same as rows (commit)
        self.reached_ids: list[np.ndarray] = []  # ids reached, by year
        self.costs: list[np.ndarray] = []  # the cost log (cost_rows), a part a booking
        self.children_ids: list[np.ndarray] = []  # children reached, by year
        self.caregiver_ids: list[np.ndarray] = []  # adults of households reached, by year
        self.reach_log: list[tuple] = []  # (year, units reached, children reached)
        self._village_cov: np.ndarray | None = None
        self.village_coverage()  # unknown village names fail when the model is built

    # -- timing -------------------------------------------------------------------
    def active(self, year: int) -> bool:
        c = self.cfg
        return c.enabled and c.start_year <= year and (c.end_year is None or year <= c.end_year)

    def effective(self, year: int) -> bool:
        """Effects flow (after the roll-out lag) and the plan was funded this year."""
        return self.active(year) and year >= self.cfg.start_year + self.cfg.rollout_lag

    def _ramp(self, year: int) -> float:
        """Share of full coverage reached in ``year`` (linear ramp-up)."""
        c = self.cfg
        if c.ramp_up_years == 0:
            return 1.0
        years_in = year - max(c.start_year, self.world.start_year + 1) + 1
        return min(1.0, max(years_in, 0) / c.ramp_up_years)

    def village_coverage(self) -> np.ndarray | None:
        """Full-scale coverage of every village (``village_coverage``, else ``coverage``),
        or ``None`` when the scenario sets no per-village coverage."""
        table = self.cfg.village_coverage
        if table is None:
            return None
        if self._village_cov is None:
            names = self.world.geo.names
            index = {n: i for i, n in enumerate(names)}
            unknown = [n for n in table if n not in index]
            if unknown:
                from povsim.errors import ScenarioError, ScenarioErrors, did_you_mean

                raise ScenarioErrors([ScenarioError(
                    "<scenario>", f"interventions.{self.name}.village_coverage", n,
                    f"the name of a village of the geography ({names[0]} ... {names[-1]})",
                    did_you_mean(n, names)) for n in unknown])
            cov = np.full(len(names), float(self.cfg.coverage))
            for n, value in table.items():
                cov[index[n]] = value
            self._village_cov = cov
        return self._village_cov

    def coverage_of(self, world: World, rows: np.ndarray) -> float | np.ndarray:
        """This year's coverage for each of ``rows`` (one number without ``village_coverage``)."""
        cov = self.village_coverage()
        full = self.cfg.coverage if cov is None else cov[self.village_of(world, rows)]
        return full * self._ramp(world.year)

    def exposure(self, year: int) -> float:
        """Share of ``year`` the programme runs: 1 in a whole year, less in the years of
        ``start_date`` / ``end_date``, 0 when inactive."""
        if not self.active(year):
            return 0.0
        return year_share(year, self.cfg.start_date, self.cfg.end_date)

    @property
    def nominal_fidelity(self) -> float:
        """Share of the nominal effect delivered (``fidelity``, default ``delivery_fidelity``)."""
        f = self.cfg.fidelity
        return self.params.delivery_fidelity if f is None else f

    @property
    def fidelity(self) -> float:
        """Share of the nominal effect delivered this year: ``nominal_fidelity`` times the
        share of the year the programme runs while it is active (partial-year exposure); in
        later years (lasting effects of past service) ``nominal_fidelity``."""
        year = self.world.year
        if self.active(year):
            return self.nominal_fidelity * self.exposure(year)
        return self.nominal_fidelity

    @property
    def sampling_fraction(self) -> float:
        """Share of the area's villages the run simulates (``[population] scale``):
        programme-wide caps and capacities are multiplied by it."""
        return float(self.world.geo.sampling_fraction)

    def scaled(self, amount: float | int | None) -> int | None:
        """A programme-wide count (capacity, staff) for the sampled villages: ``amount x
        sampling_fraction``, rounded (``None`` stays ``None``)."""
        if amount is None:
            return None
        return round(amount * self.sampling_fraction)

    def rr(self, nominal: float) -> float:
        """Risk ratio delivered: ``1 - fidelity (1 - RR)`` (exactly 1 when RR = 1)."""
        return 1.0 - self.fidelity * (1.0 - nominal)

    # -- targeting ------------------------------------------------------------------
    def _village_mask(self) -> np.ndarray:
        geo = self.world.geo
        t = self.cfg.targeting
        ok = np.ones(geo.n, dtype=bool)
        if t.villages != "all":
            ok &= {"pilot": geo.pilot, "comparison": ~geo.pilot, "project": geo.project,
                   "non_project": ~geo.project}[t.villages]
        if t.counties is not None:
            codes = [geo.counties.index(c) for c in t.counties if c in geo.counties]
            ok &= np.isin(geo.county, codes)
        if t.townships is not None:
            codes = [i for i, n in enumerate(geo.township_names) if n in set(t.townships)]
            ok &= np.isin(geo.township, codes)
        cov = self.village_coverage()
        if cov is not None:
            ok &= cov > 0
        return ok

    def target_villages(self) -> np.ndarray:
        return np.flatnonzero(self._village_mask())

    def eligible_default(self, world: World) -> np.ndarray:
        """Rows eligible by the intervention's own definition (before targeting rules)."""
        raise NotImplementedError

    def eligible(self, world: World) -> np.ndarray:
        """Eligible rows after the targeting rules."""
        P, H = world.P, world.H
        t = self.cfg.targeting
        vmask = self._village_mask()
        rows = self.eligible_default(world)
        person = self.unit != "household"
        flags = []  # person flags a child must have
        if self.unit == "person":
            if t.left_behind:
                flags.append(P.left_behind)
            if t.special_needs:
                flags.append(P.disabled)
            if t.moda_deprived:
                flags.append(self._moda_poor(world))
        cut = np.inf
        if t.poorest_share is not None:
            cut = float(np.quantile(H.income_pc[vmask[H.village]], t.poorest_share)) if vmask.any() else 0.0
        return _eligible_rows(
            rows, person, P.hh, H.village, vmask, world.age(),
            self.ages[0] if t.min_age is None else t.min_age,
            self.ages[1] if t.max_age is None else t.max_age, t.income_poor, H.income_poor,
            t.poorest_share is not None, cut, H.income_pc, np.stack(flags) if flags else _NO_FLAGS)

    def _moda_poor(self, world: World) -> np.ndarray:
        from povsim.moda.model import child_deprivation

        rows, _, poor = child_deprivation(world, self.model.moda_config())
        out = np.zeros(world.P.n, dtype=bool)
        out[rows] = poor
        return out

    # -- coverage and rationing ---------------------------------------------------------
    def _ids(self, world: World, rows: np.ndarray) -> np.ndarray:
        return world.H.id[rows] if self.unit == "household" else world.P.id[rows]

    def covered(self, world: World, rows: np.ndarray) -> np.ndarray:
        """The eligible who take part this year: a fixed per-unit key below the coverage."""
        cov = self.coverage_of(world, rows)
        if np.ndim(cov) == 0 and cov >= 1.0:
            return rows
        u = self.streams.uniform(f"iv.{self.name}.participation", 0, self._ids(world, rows))
        return rows[u < cov]

    def ration_order(self, world: World, rows: np.ndarray) -> np.ndarray:
        """Rows in the order capacity is filled."""
        key = self.streams.priority(f"iv.{self.name}.priority", world.year,
                                    self._ids(world, rows))
        if self.cfg.rationing == "random":
            return rows[np.argsort(key, kind="stable")]
        # most deprived first: MODA score (children) descending, then income ascending
        H, P = world.H, world.P
        if self.unit == "household":
            income = H.income_pc[rows]
            return rows[np.lexsort((key, income))]
        from povsim.moda.model import child_deprivation

        # the score of the candidates only (children; adults score 0)
        s = np.zeros(len(rows))
        child = np.flatnonzero(world.age()[rows] < 18)
        s[child] = child_deprivation(world, self.model.moda_config(), rows[child])[1]
        return rows[np.lexsort((key, H.income_pc[P.hh[rows]], -s))]

    def capacity(self, world: World) -> int | None:
        """Most units reached this year over the whole programme (``None``: no limit), for
        the simulated villages (``capacity x sampling_fraction``)."""
        return self.scaled(self.cfg.capacity)

    def village_capacity(self, village) -> int | None:
        """Most units a village (:class:`povsim.villages.Village`) can serve this year, from
        its resources (``None``: no village limit).  The village admits its candidates
        up to it (:meth:`povsim.villages.Village.admit`)."""
        return None

    # -- planning and costs -----------------------------------------------------------
    def per_unit_cost(self) -> float:
        raise NotImplementedError

    def fixed_costs(self, world: World, rows: np.ndarray) -> dict[int, float]:
        """Running costs by village for a whole year that do not depend on the number of
        units (scaled by the year's exposure)."""
        return {}

    def setup_costs(self, world: World, rows: np.ndarray) -> dict[int, float]:
        """One-off costs by village this year (not scaled by exposure)."""
        return {}

    def plan(self, world: World) -> Plan:
        """Eligible -> covered -> in rationing order -> admitted by their villages ->
        within the programme's capacity; priced.

        Who is reached, and every cost, depends on the rationing order only when someone
        is left out, so the rows are sorted only then (by a village or the capacity here,
        by the budget in :meth:`Plan.in_ration_order`); otherwise they stay in row order.
        """
        rows = self.covered(world, self.eligible(world))
        villages = self.village_of(world, rows)
        cap = self.capacity(world)

        def ration() -> tuple[np.ndarray, np.ndarray]:
            ordered = self.ration_order(world, rows)
            return ordered, self.village_of(world, ordered)

        counts, places = self.model.villages.places(self, villages)
        order = ration
        if (places < counts).any() or (cap is not None and cap < places.sum()):
            rows, villages = ration()
            keep = self.model.villages.admit(self, rows, villages)
            rows, villages = rows[keep][:cap], villages[keep][:cap]
            order = None
        return Plan(rows=rows, per_unit=self.per_unit_cost(),
                    fixed_by_village=self.fixed_costs(world, rows), unit_villages=villages,
                    setup_by_village=self.setup_costs(world, rows),
                    exposure=self.exposure(world.year),
                    management=self.params.programme_management_share,
                    trainings=self.trainings(world.year),
                    training_cost=self.params.training_session_cost, ration=order)

    def trainings(self, year: int) -> float:
        """Practitioner training sessions this year for the simulated villages (the
        configured yearly number x exposure x sampling fraction)."""
        return self.cfg.trainings_per_year * self.exposure(year) * self.sampling_fraction

    def village_of(self, world: World, rows: np.ndarray) -> np.ndarray:
        if self.unit == "household":
            return world.H.village[rows]
        if self.unit == "village":
            return rows
        return world.H.village[world.P.hh[rows]]

    def commit(self, world: World, plan: Plan, n_funded: int, funded_fixed: bool) -> None:
        """Record the funded part of the plan as this year's reach, and its costs."""
        rows = plan.rows[:n_funded]
        self.reached = np.zeros(self._units(world), dtype=bool)
        self.reached[rows] = True
        # children reached (0-17; of a household programme, the members 0-17), in row order
        P, age, yr = world.P, world.age(), world.year
        kid_ids = np.empty(0, dtype=np.int64)
        if self.unit == "household":
            self.reached_ids.append(world.H.id[rows])
            kid_ids, adult_ids = _members_of(self.reached, P.hh, age, P.id)
            # the adults only up to the reference date (the one figure counting them)
            self.caregiver_ids.append(adult_ids if yr <= REFERENCE_DATE.year else kid_ids[:0])
        elif self.unit == "person":
            # ids in row order, one array for both logs when every unit reached is a child
            rows = in_row_order(rows)
            self.reached_ids.append(ids := P.id[rows])
            kid_ids = ids if (kid := age[rows] < 18).all() else ids[kid]
        self.children_ids.append(kid_ids)
        self.reached_rows = rows  # valid while the table keeps its rows, as ``reached``
        self.reach_log.append((yr, len(rows), len(kid_ids)))
        if n_funded:
            self.model.villages.deliver(self, plan.unit_villages[:n_funded])
        self._book(yr, plan, n_funded, funded_fixed)

    def _book(self, year: int, plan: Plan, n_funded: int, funded_fixed: bool) -> None:
        """Record the year's funded costs by village and item: ``per_unit`` (units reached
        x unit cost x exposure), ``running`` (fixed running costs x exposure), ``set-up``,
        ``training`` (village -1: county and township level) and ``management`` (a share
        of each of them).  A plan that reaches nobody and has no fixed costs books
        nothing."""
        parts = []
        if n_funded and plan.per_unit:
            units = np.bincount(plan.unit_villages[:n_funded], minlength=self.world.geo.n)
            vi = np.flatnonzero(units)
            parts.append(cost_rows(year, vi, "per_unit", units[vi],
                                   units[vi] * plan.per_unit * plan.exposure))
        if funded_fixed:
            for item, by_village, scale in (("running", plan.fixed_by_village, plan.exposure),
                                            ("set-up", plan.setup_by_village, 1.0)):
                paid = {int(v): float(a) for v, a in by_village.items() if a}
                parts.append(cost_rows(year, np.fromiter(paid, np.int64, len(paid)), item, 1,
                                       np.fromiter(paid.values(), np.float64, len(paid)) * scale))
            if plan.trainings > 0:
                parts.append(cost_rows(year, [-1], "training", plan.trainings, plan.trainings * plan.training_cost))
        booked = np.concatenate([cost_rows(year, [], "per_unit", 0, 0.0), *parts])
        if plan.management > 0:
            mg = booked[booked["cost_rmb"] > 0]
            mg = cost_rows(year, mg["village"], "management", 0, mg["cost_rmb"] * plan.management)
            booked = np.concatenate([booked, mg])
        if len(booked):
            self.costs.append(booked)

    def effects(self) -> list[tuple[str, Any]]:
        """``(value name, modifier)`` pairs registered once when the model starts (from
        ``EFFECTS``)."""
        return [(value, getattr(self, method)) for value, method in self.EFFECTS]

    def finish(self, world: World) -> None:
        """End-of-year hook (costs that depend on what happened)."""

    # -- results --------------------------------------------------------------------
    def reached_unique(self) -> np.ndarray:
        if not self.reached_ids:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(self.reached_ids))

    def cost_frame(self, funders: dict[str, float]) -> pd.DataFrame:
        """The costs booked, one row per year x village x item x funder (RMB, 2014 prices;
        amounts of the simulated villages: :mod:`povsim.programme` weights them)."""
        cols = ["year", "intervention", "village", "item", "units", "funder", "cost_rmb"]
        df = self.cost_log().assign(intervention=self.name)
        return pd.concat([df.assign(funder=f, cost_rmb=df["cost_rmb"] * share)
                          for f, share in (self.cfg.funders or funders).items()], ignore_index=True)[cols]

    def cost_log(self) -> pd.DataFrame:
        """The costs booked (``year, village, item, units, cost_rmb``), in booking order."""
        log = np.concatenate([cost_rows(0, [], "per_unit", 0, 0.0), *self.costs])
        return pd.DataFrame({k: log[k] for k in COST_DTYPE.names}).assign(
            item=np.asarray(COST_ITEMS, dtype=object)[log["item"]])

    # -- helpers for modifiers ----------------------------------------------------------
    def on_reached(self, rows: np.ndarray, value: np.ndarray,
                   change: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
        """A copy of ``value`` with ``change(value[on], on)`` at the positions ``on`` of
        ``rows`` reached this year (computed for those only: a programme reaches few of
        the rows a process asks about)."""
        on = np.flatnonzero(self.mask_rows(rows))
        out = value.copy()
        out[on] = change(value[on], on)
        return out

    def on_households(self, rows: np.ndarray, value: np.ndarray,
                      change: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``value`` of the households ``rows``, ``change(value)`` where a member was reached
        this year (a person programme; ``change`` acts element by element)."""
        world = self.world
        if not self.effective(world.year) or len(self.reached) != world.P.n:
            return value
        hh = np.zeros(world.H.n, dtype=bool)
        hh[world.P.hh[self.reached_rows]] = True
        on = np.flatnonzero(hh[rows])
        out = value.copy()
        out[on] = change(value[on])
        return out

    def _units(self, world: World) -> int:
        """Rows of the table of the intervention's units (persons, households, villages)."""
        return world.H.n if self.unit == "household" else (
            world.geo.n if self.unit == "village" else world.P.n)

    def mask_rows(self, rows: np.ndarray) -> np.ndarray:
        """Reached flag for ``rows`` (all false when the intervention is not effective; the
        reach array itself for :func:`povsim.state.all_rows`: read it, do not change it)."""
        n = len(self.reached)
        if not self.effective(self.world.year) or n == 0:
            return np.zeros(len(rows), dtype=bool)
        if is_all_rows(rows, n):  # the whole table as it was when the reach was committed
            return self.reached
        # every row of the table as it was when the reach was committed is in range
        if n == self._units(self.world) or len(rows) == 0 or rows.max() < n:
            return self.reached[rows]
        ok = rows < n
        out = np.zeros(len(rows), dtype=bool)
        out[ok] = self.reached[rows[ok]]
        return out


def in_row_order(rows: np.ndarray) -> np.ndarray:
    """``rows`` sorted (themselves when they already are: a plan nobody rationed)."""
    return rows if _ascending(rows) else np.sort(rows)


@njit(cache=True, nogil=True)
def _ascending(rows):
    for j in range(1, rows.shape[0]):
        if rows[j] < rows[j - 1]:
            return False
    return True


_BLOCK = 1 << 16


@threaded(1, cache=True, nogil=True)  # rows: the persons (hh), not the households reached
def _members_of(reached, hh, age, ids):
    """Ids of the members aged 0-17 and 18+ of the ``reached`` households, each in row
    order: blocks of rows counted on the threads, then filled at their offsets."""
    n = hh.shape[0]
    n_blocks = (n + _BLOCK - 1) // _BLOCK
    counts = np.zeros((n_blocks + 1, 2), dtype=np.int64)
    for b in prange(n_blocks):
        k = 0
        m = 0
        for i in range(b * _BLOCK, min(n, (b + 1) * _BLOCK)):
            r = reached[hh[i]]
            child = age[i] < 18
            k += r & child
            m += r & (not child)
        counts[b + 1, 0] = k
        counts[b + 1, 1] = m
    for b in range(n_blocks):  # offsets of each block's members
        counts[b + 1, 0] += counts[b, 0]
        counts[b + 1, 1] += counts[b, 1]
    kids = np.empty(counts[n_blocks, 0], dtype=np.int64)
    adults = np.empty(counts[n_blocks, 1], dtype=np.int64)
    for b in prange(n_blocks):  # each block fills only its own slots
        k = counts[b, 0]
        m = counts[b, 1]
        for i in range(b * _BLOCK, min(n, (b + 1) * _BLOCK)):
            if reached[hh[i]]:
                if age[i] < 18:
                    kids[k] = ids[i]
                    k += 1
                else:
                    adults[m] = ids[i]
                    m += 1
    return kids, adults


_NO_FLAGS = np.ones((0, 0), dtype=bool)


@njit(cache=True, nogil=True)
def _eligible_rows(rows, person, hh, h_village, vmask, age, lo, hi, poor_only, income_poor,
                   has_cut, cut, income_pc, flags):
    """The ``rows`` (persons, or households when not ``person``) that pass the targeting
    rules: the village, the age (persons), income poverty, the poorest share (household
    income per capita at most ``cut``) and the person flags (rows of ``flags``: left
    behind, special needs, MODA-deprived; empty when none is asked for), in order."""
    out = np.empty(rows.shape[0], dtype=rows.dtype)
    k = 0
    for j in range(rows.shape[0]):
        r = rows[j]
        h = hh[r] if person else r
        ok = vmask[h_village[h]]
        if person:
            ok = ok & (age[r] >= lo) & (age[r] <= hi)
        if poor_only:
            ok = ok & income_poor[h]
        if has_cut:
            ok = ok & (income_pc[h] <= cut)
        for f in range(flags.shape[0]):
            ok = ok & flags[f, r]
        out[k] = r
        k += ok
    return out[:k].copy()
