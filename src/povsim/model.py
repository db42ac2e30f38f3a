"""`PovertyModel`: one simulated world; ``step()`` advances one year.

The model owns the population tables (:class:`povsim.state.World`), one
:class:`Village` Mesa agent per village, the ordered list of yearly processes and the
outcome collector.  Randomness comes only from the run's named streams
(:class:`povsim.rng.Streams`); Mesa's own ``model.rng`` is seeded from the same seed but
no process draws from it.
"""

from __future__ import annotations

from collections.abc import Callable

import mesa
import numpy as np

from povsim._malloc import tune_malloc
from povsim.outcomes import Collector, final_tables
from povsim.params import Parameters
from povsim.population import make_geography, synthesize
from povsim.processes.demography import demography
from povsim.processes.development import caregivers, development
from povsim.processes.earnings import calibrate_level, household_income
from povsim.processes.living_conditions import housing, living_conditions
from povsim.processes.migration import migration, update_family_status
from povsim.processes.nutrition_health import nutrition_health
from povsim.processes.schooling import schooling
from povsim.rng import Streams
from povsim.scenario import Scenario
from povsim.state import World


class Village(mesa.Agent):
    """A village: location, arm and infrastructure (services arrive with interventions).

    Attributes mirror the village's row in the geography columns; ``water_coverage`` and
    ``sanitation_coverage`` are refreshed from the households each year.
    """

    def __init__(self, model: PovertyModel, index: int) -> None:
        super().__init__(model)
        geo = model.world.geo
        self.index = index
        self.name = geo.names[index]
        self.county = geo.counties[int(geo.county[index])]
        self.township = int(geo.township[index])
        self.pilot = bool(geo.pilot[index])
        self.remoteness_km = float(geo.remoteness_km[index])
        self.water_coverage = float(geo.water_coverage[index])
        self.sanitation_coverage = float(geo.sanitation_coverage[index])
        self.households = 0

    def step(self) -> None:
        s = self.model.world.scratch
        if "village_water" in s:
            self.water_coverage = float(s["village_water"][self.index])
            self.sanitation_coverage = float(s["village_sanitation"][self.index])
            self.households = int(s["village_households"][self.index])


Process = Callable[[World, Parameters, Streams], None]


class PovertyModel(mesa.Model):
    """The povsim world for one scenario and one seed.

    Parameters
    ----------
    scenario
        A resolved :class:`povsim.scenario.Scenario` (default: ``Scenario.default()``).
    seed
        The run's seed (non-negative integer); every random draw derives from it.
    collect
        Whether to collect yearly outcome tables.
    world_seed
        Seed of the geography and the initial population (default: ``seed``).  Holding it
        fixed while ``seed`` varies keeps the same villages, households and persons and
        varies only what happens to them afterwards (the planner's planning area,
        :mod:`povsim.plan`).

    Examples
    --------
    >>> from povsim.scenario import Scenario
    >>> s = Scenario.default().with_overrides(population={"persons": 1000}, time={"years": 2})
    >>> m = PovertyModel(s, seed=1)
    >>> m.run()
    >>> m.world.year
    2016
    """

    def __init__(self, scenario: Scenario | None = None, *, seed: int = 0,
                 collect: bool = True, world_seed: int | None = None) -> None:
        super().__init__(rng=int(seed))
        tune_malloc()
        self.config = scenario if scenario is not None else Scenario.default()
        self.seed = int(seed)
        self.params = Parameters(self.config.parameters)
        self.streams = Streams(self.seed)
        pop, tm = self.config.population, self.config.time
        start = self.streams if world_seed is None else Streams(int(world_seed))
        geo = make_geography(tuple(pop.counties), pop.pilot_villages, pop.comparison_villages,
                             pop.townships, self.params, start)
        P, H = synthesize(geo, self.config.total_persons, tm.start_year, self.params, start)
        self.world = World(P=P, H=H, geo=geo, year=tm.start_year, start_year=tm.start_year)
        self.end_year = tm.start_year + tm.years
        self.village_agents = [Village(self, i) for i in range(geo.n)]
        self._moda_config = None
        self.interventions = self._build_interventions()
        self.budget_log: list[tuple] = []
        #: the yearly processes, in order (name, function)
        self.processes: list[tuple[str, Process]] = [
            ("demography", demography),
            ("migration", migration),
            ("interventions", self._allocate),
            ("living_conditions", living_conditions),
            ("caregivers", caregivers),
            ("income", self._income),
            ("housing", housing),
            ("nutrition_health", nutrition_health),
            ("development", development),
            ("schooling", schooling),
        ]
        out = self.config.outputs
        self.collector = Collector(by=tuple(out.by), tables=out.tables) if collect else None
        self.moda = None
        if collect and out.moda:
            from povsim.moda_model import MODACollector

            self.moda = MODACollector.from_path(out.moda_config, groups=(), every=out.moda_every)
            groups = dict.fromkeys([*self.moda.config.moda.groups, *out.by, "generation"])
            self.moda.groups = tuple(g for g in groups if g != "age_group")
        self._initialise()

    # -- interventions -----------------------------------------------------------
    def _build_interventions(self) -> list:
        """Instantiate the scenario's enabled interventions and register their effects."""
        if not self.config.interventions:
            return []
        from povsim.interventions import CLASSES

        out = []
        for name, cfg in self.config.interventions.items():
            iv = CLASSES[name](cfg, self)
            if not iv.cfg.enabled:
                continue
            for value_name, modifier in iv.effects():
                self.world.values.register(value_name, modifier)
            out.append(iv)
        return sorted(out, key=lambda iv: (iv.cfg.priority, iv.name))

    def moda_config(self):
        """The MODA configuration of the run (for outcomes, targeting and rationing)."""
        if self._moda_config is None:
            from povsim.moda import default_moda_config_path, load_moda_config

            self._moda_config = (self.moda.config if self.moda is not None else
                                 load_moda_config(self.config.outputs.moda_config
                                                  or default_moda_config_path()))
        return self._moda_config

    def _allocate(self, world: World, params: Parameters, streams: Streams) -> None:
        """Plan every active intervention, fund plans in priority order under the budget
        cap, and commit the funded reach (see :mod:`povsim.interventions.base`)."""
        cap = self.config.budget.cap_rmb
        remaining = np.inf if cap is None else float(cap)
        for iv in self.interventions:
            iv.reached = np.zeros(0, dtype=bool)
            if not iv.active(world.year):
                continue
            plan = iv.plan(world)
            fixed = float(sum(plan.fixed_by_village.values()))
            n = len(plan.rows)
            requested = plan.cost()
            if requested <= remaining:
                n_funded, funded_fixed = n, True
            elif fixed <= remaining:
                n_funded = int((remaining - fixed) // plan.per_unit) if plan.per_unit > 0 else n
                n_funded, funded_fixed = min(n_funded, n), True
            else:
                n_funded, funded_fixed = 0, False
            spent = (fixed if funded_fixed else 0.0) + plan.per_unit * n_funded
            remaining -= spent
            self.budget_log.append((world.year, iv.name, iv.cfg.priority, requested, spent,
                                    requested - spent, n, n_funded))
            iv.commit(world, plan, n_funded, funded_fixed)

    # -- set-up ---------------------------------------------------------------
    def _income(self, world: World, params: Parameters, streams: Streams) -> None:
        household_income(world, params, streams, self.income_level)

    def _initialise(self) -> None:
        """Derived state of the start year: family status, amenities, caregivers, income."""
        w, p, s = self.world, self.params, self.streams
        update_family_status(w, s, p)
        living_conditions(w, p, s)
        caregivers(w, p, s)
        self.income_level = calibrate_level(w, p, s)
        household_income(w, p, s, self.income_level)
        housing(w, p, s)
        for v in self.village_agents:
            v.step()
        if self.collector is not None:
            self.collector.collect(w)
        if self.moda is not None:
            self.moda.collect(w)

    # -- one year -------------------------------------------------------------
    def step(self) -> None:
        """Advance the world by one year: every process in order, then outcomes."""
        w = self.world
        w.year += 1
        w.events = {}
        for _, process in self.processes:
            process(w, self.params, self.streams)
        for iv in self.interventions:
            if iv.active(w.year):
                iv.finish(w)
        self.agents_by_type[Village].do("step")
        if self.collector is not None:
            self.collector.collect(w)
        if self.moda is not None:
            self.moda.collect(w)
        if w.year >= self.end_year:
            self.running = False

    def run(self, progress: Callable[[int], None] | None = None) -> None:
        """Step until the scenario's end year; ``progress(year)`` after each year."""
        while self.world.year < self.end_year:
            self.step()
            if progress is not None:
                progress(self.world.year)

    # -- results --------------------------------------------------------------
    def tables(self, lineage: bool = False) -> dict:
        """Tidy yearly tables collected so far, plus end-of-run tables.

        With ``lineage=True`` also a ``lineage`` table: lifetime outcomes of everyone born
        up to 17 years before the start or later (used by scenario comparisons).
        """
        out = self.collector.frames() if self.collector is not None else {}
        out.update(final_tables(self.world, self.config.outputs.tables))
        from povsim.mobility import mobility_table

        out["mobility"] = mobility_table(self.world, self.params.poverty_line)
        if lineage:
            from povsim.mobility import lineage_outcomes

            out["lineage"] = lineage_outcomes(self.world, self.params.poverty_line,
                                              self.world.start_year - 17)
        if self.moda is not None:
            from povsim.moda_model import tidy_moda

            detail = self.moda.tables()
            out.update(detail)
            out["moda"] = tidy_moda(detail)
        if self.interventions:
            from povsim.programme import programme_tables

            out.update(programme_tables(self))
        return out

    @property
    def persons(self) -> int:
        return int(self.world.P.n)

    def memory_bytes(self) -> int:
        w = self.world
        return w.P.nbytes() + w.H.nbytes() + sum(
            sum(a.nbytes for a in chunk.values()) for chunk in w.archive)
