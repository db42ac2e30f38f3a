"""`PovertyModel`: one simulated world; ``step()`` advances one year.

The model owns the population tables (:class:`povsim.state.World`), one
:class:`Village` Mesa agent per village, the ordered list of yearly processes and the
outcome collector.  Randomness comes only from the run's named streams
(:class:`povsim.rng.Streams`); Mesa's own ``model.rng`` is seeded from the same seed but
no process draws from it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import mesa

from povsim import registry
from povsim._malloc import tune_malloc
from povsim._threads import configure as configure_threads
from povsim._threads import pool
from povsim.geography import build_geography
from povsim.outcomes import Collector, final_tables
from povsim.params import Parameters
from povsim.processes import (
    anaemia,
    caregivers,
    development,
    earnings,
    fertility,
    growth,
    households,
    housing,
    living_conditions,
    migration,
    mortality,
    nutrition_health,
    partnership,
    poverty_policy,
    programme,
    schooling,
    wealth,
)
from povsim.rng import Streams
from povsim.scenario import Scenario
from povsim.spinup import initial_state
from povsim.villages import Village, VillageLedger

#: The yearly processes, in order: each module declares its parameters, columns,
#: modifiable values, random streams and outcome tables (povsim.declare), and the
#: registries are derived from this list (povsim.registry).
PROCESSES = (
    mortality,          # deaths, widowhood; the dead move to the archive
    partnership,        # marriage market, household formation
    households,         # household splits
    fertility,          # births
    migration,          # departures and returns; left-behind children
    programme,          # interventions: plan, budget pass, commit reach
    living_conditions,  # water, sanitation, information, insurance
    caregivers,         # caregiver schooling, parenting practice, stimulation
    poverty_policy,     # registration of poor households, targeted measures 2016-2025
    wealth,             # savings and depreciation of household wealth
    growth,             # height-for-age z, stunting (last year's income and illness)
    earnings,           # earnings, transfers, household income, poverty
    housing,            # poor housing
    nutrition_health,   # health shocks, disability, check-ups
    anaemia,            # haemoglobin, anaemia onset and recovery
    development,        # preschool, skill formation, measured scores, records
    schooling,          # entry, progression, dropout, transitions
)


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
        #: threads of the compiled kernels (and whether the outcome tables are collected
        #: on threads, :meth:`_collect`)
        self.threads = configure_threads()
        self.config = scenario if scenario is not None else Scenario.default()
        self.seed = int(seed)
        self.params = Parameters(self.config.parameters)
        self.streams = Streams(self.seed)
        pop, tm = self.config.population, self.config.time
        start = self.streams if world_seed is None else Streams(int(world_seed))
        #: the simulated villages: the whole area, or a sample of whole villages (``scale``)
        geo = build_geography(pop, self.params, start)
        if pop.start == "spinup" and pop.spinup_from >= tm.start_year:
            from povsim.errors import RunError

            raise RunError(f"[population] spinup_from = {pop.spinup_from} must be before "
                           f"[time] start_year = {tm.start_year}")
        # a full-scale synthetic area keeps its configured size exactly; otherwise the
        # villages' own population targets
        persons = pop.frame_persons if (pop.geography == "synthetic"
                                        and geo.sampling_fraction == 1.0) else geo.persons
        #: the start year's world: spun up from history (cached) or synthetic, drawn from
        #: the world seed (the planner holds it fixed while the run seed varies)
        self.initial = initial_state(self.config, geo, self.params,
                                     self.seed if world_seed is None else int(world_seed), persons)
        self.world = self.initial.world
        self.end_year = tm.start_year + tm.years
        #: one Village agent per village: the services in it, capacity and rationing
        self.villages = VillageLedger([Village(self, i) for i in range(geo.n)])
        self._moda_config = None
        self.interventions = self._build_interventions()
        if self.interventions:
            from povsim.interventions._programme import Programme

            self.world.programme = Programme(self.interventions, self.config.budget.cap_rmb)
        #: the yearly process modules, in order (see PROCESSES)
        self.processes = PROCESSES
        out = self.config.outputs
        self.collector = Collector(by=tuple(out.by), tables=out.tables) if collect else None
        self.moda = None
        if collect and out.moda:
            from povsim.moda.model import MODACollector

            self.moda = MODACollector.from_path(out.moda_config, groups=(), every=out.moda_every)
            groups = dict.fromkeys([*self.moda.config.moda.groups, *out.by, "generation"])
            # MODA has no "area" subgroup (pilot / project / non_project): the yearly tables do
            self.moda.groups = tuple(g for g in groups if g not in ("age_group", "area"))
        from povsim.moda import views as moda_views

        #: MODA on outcome indicators only, beside the full MODA (povsim.moda.views)
        self.moda_views = moda_views.collectors(self.moda, out.moda_every)
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

    @property
    def budget_log(self) -> list[tuple]:
        """The yearly budget pass (see :class:`povsim.interventions._programme.Programme`)."""
        return self.world.programme.budget_log if self.world.programme is not None else []

    # -- set-up ---------------------------------------------------------------
    def _initialise(self) -> None:
        """Derived state of the start year (each module's ``initialise``; a spun-up world
        has it from its own last step), then outcomes."""
        w, p, s = self.world, self.params, self.streams
        if self.initial.start == "synthetic":
            for init in registry.hooks("initialise"):
                init(w, p, s)
        self._collect()

    def _collect(self) -> None:
        """This year's outcome tables.  With more than one thread they are collected on
        the collection threads, one table (or MODA's tables) per job: the
        jobs only read the world, and their rows are merged in the order of the jobs, so the
        results do not depend on the timing."""
        w = self.world
        # MODA (and its views, from the same scores) first: the longest job
        jobs = [partial(self.moda.collect, w, self.moda_views)] if self.moda is not None else []
        n_moda = len(jobs)
        if self.collector is not None:
            jobs += self.collector.jobs(w)
        if self.threads > 1 and len(jobs) > 1:
            w.age(), w.children()  # the shared per-row caches, built before they are shared
            results = [done.result() for done in [pool().submit(job) for job in jobs]]
        else:
            results = [job() for job in jobs]
        if self.collector is not None:
            self.collector.merge(results[n_moda:])

    # -- one year -------------------------------------------------------------
    def step(self) -> None:
        """Advance the world by one year: every process in order, then outcomes."""
        w, p, s = self.world, self.params, self.streams
        w.year += 1
        w.events = {}
        for process in self.processes:
            process.step(w, p, s)
        for hook in registry.hooks("end_of_year"):
            hook(w, p, s)
        self.villages.step()
        self._collect()
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
        if self.collector is not None:
            # the spin-up's historical years (whole population), beside the run's tables
            out.update({f"history_{k}": v for k, v in self.initial.history.items()})
        out.update(final_tables(self.world, self.config.outputs.tables))
        from povsim.mobility import mobility_tables

        out.update(mobility_tables(self.world, self.params.poverty_line))
        if lineage:
            from povsim.mobility import lineage_outcomes

            out["lineage"] = lineage_outcomes(self.world, self.params.poverty_line,
                                              self.world.start_year - 17)
            from povsim.cohort import child_records

            out["child_records"] = child_records(self, self.world.start_year - 17)
        if self.moda is not None:
            from povsim.moda.model import tidy_moda

            detail = self.moda.tables()
            out.update(detail)
            out["moda"] = tidy_moda(detail)
            from povsim.moda import views as moda_views

            out.update(moda_views.tables(self.moda_views))
        if self.interventions:
            from povsim.programme import programme_tables

            out.update(programme_tables(self))
        return out

    @property
    def persons(self) -> int:
        return int(self.world.P.n)
