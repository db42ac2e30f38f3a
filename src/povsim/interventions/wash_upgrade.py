"""Water and sanitation upgrade: village coverage rises to a target over a few years.

For households in targeted villages without safe water (or improved sanitation) the
yearly upgrade probability is raised to the rate that brings the village to the target
by ``start_year + years_to_target``: ``r = 1 - ((1 - target) / (1 - coverage))^(1/years
left)``.  A share ``wash_effectiveness`` x fidelity of planned connections is delivered.
Child growth responds through the WASH terms of the height-for-age target
(:mod:`povsim.processes.growth`).  Cost: per household
connected (planned at the start of the year, so the budget pass sees it).
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from numba import njit
from pydantic import Field

from povsim.interventions.base import Intervention, InterventionConfig, Ratio
from povsim.params import Param
from povsim.villages import Scheme

PARAMS = (
    Param("wash_effectiveness", 0.9, "share of planned connections", (0.6, 1.0),
          "Assumption (construction completed and in use)", "Share of planned water and "
          "toilet connections delivered and used", bounds=(0.0, 1.0)),
    Param("wash_water_cost_per_household", 1500.0, "RMB per household (2014 prices)",
          (800.0, 3000.0), "Assumption (piped rural water connection)",
          "Cost of a safe-water connection", bounds=(0.0, 1e6)),
    Param("wash_toilet_cost_per_household", 1200.0, "RMB per household (2014 prices)",
          (600.0, 2500.0), "Assumption (rural toilet revolution subsidy levels)",
          "Cost of an improved toilet", bounds=(0.0, 1e6)),
)


class WashConfig(InterventionConfig):
    water_target: Ratio = 0.9
    sanitation_target: Ratio = 0.85
    years_to_target: Annotated[int, Field(ge=1, le=50)] = 5


class WashUpgrade(Intervention):
    name = "wash_upgrade"
    Config = WashConfig
    unit = "household"
    EFFECTS = (("water.upgrade_rate", "_water"), ("sanitation.upgrade_rate", "_sanitation"))
    description = "Safe water and improved sanitation for targeted villages"

    def __init__(self, config, model):
        super().__init__(config, model)
        self._extra: dict[str, np.ndarray] = {}  # planned extra upgrade rate per household
        #: the villages' schemes as arrays (target, due year, has one), by amenity
        self._schemes_by_village: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def eligible_default(self, world):
        return np.arange(world.H.n)

    def per_unit_cost(self):
        return 0.0  # priced per planned connection, by village, in plan()

    def _schemes(self, attr: str, target: float) -> tuple[np.ndarray, np.ndarray]:
        """Each targeted village's scheme for ``attr`` (set up the first time): the target
        coverage and the year it is due, by village (target 0 elsewhere)."""
        agents = self.model.villages.agents
        c = self.cfg
        if attr not in self._schemes_by_village:
            self._schemes_by_village[attr] = (np.zeros(len(agents)),
                                              np.full(len(agents), c.start_year, dtype=np.int64),
                                              np.zeros(len(agents), dtype=bool))
        tgt, end, has = self._schemes_by_village[attr]
        targets = self.target_villages()
        for v in targets[~has[targets]].tolist():  # villages whose scheme starts now
            scheme = agents[v].schemes.setdefault(
                attr, Scheme(c.start_year, c.start_year + c.years_to_target, target))
            tgt[v], end[v], has[v] = scheme.target, scheme.end, True
        return tgt, end

    def _rate(self, world, have, attr, target, size):
        """The upgrade rate that brings each village's coverage to its scheme's target by
        the year the scheme is due (``size``: households of each village, at least 1)."""
        cov = np.bincount(world.H.village, weights=have, minlength=world.geo.n) / size
        tgt, end = self._schemes(attr, target)
        left = np.maximum(end - world.year + 1, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = 1.0 - ((1.0 - tgt) / np.maximum(1.0 - cov, 1e-12)) ** (1.0 / left)
        return np.clip(np.nan_to_num(r), 0.0, 1.0)

    def plan(self, world):
        """Planned connections of the year (expected number by village) and their cost."""
        H, p = world.H, self.params
        plan = super().plan(world)
        reached = np.zeros(H.n, dtype=bool)
        reached[plan.rows] = True
        self._extra = {}
        fixed: dict[int, float] = {}
        size = np.maximum(np.bincount(H.village, minlength=world.geo.n), 1)
        for attr, target, base, price in (
                ("safe_water", self.cfg.water_target, p.water_upgrade_rate,
                 p.wash_water_cost_per_household),
                ("sanitation", self.cfg.sanitation_target, p.sanitation_upgrade_rate,
                 p.wash_toilet_cost_per_household)):
            have = getattr(H, attr)
            extra, units = _planned(self._rate(world, have, attr, target, size), float(base), H.village,
                                    reached, have, world.geo.n)
            self._extra[attr] = extra
            for v in np.flatnonzero(units > 0):
                fixed[int(v)] = fixed.get(int(v), 0.0) + float(units[v]) * price
        plan.fixed_by_village = fixed
        return plan

    def commit(self, world, plan, n_funded, funded_fixed):
        super().commit(world, plan, n_funded, funded_fixed)
        if not funded_fixed:
            self._extra = {}

    def _water(self, world, rows, value):
        return self._upgrade("safe_water", world, rows, value)

    def _sanitation(self, world, rows, value):
        return self._upgrade("sanitation", world, rows, value)

    def _upgrade(self, attr, world, rows, value):
        extra = self._extra.get(attr)
        if not self.effective(world.year) or extra is None or len(extra) != world.H.n:
            return value
        return value + self.fidelity * self.params.wash_effectiveness * extra[rows]


@njit(cache=True, nogil=True)
def _planned(rate, base, village, reached, have, n_v):
    """Extra upgrade rate of each household planned this year (reached households without
    the amenity: the village's rate above the secular ``base``) and its sum by village."""
    extra = np.zeros(village.shape[0])
    units = np.zeros(n_v)
    for h in range(village.shape[0]):
        if reached[h] and not have[h]:
            x = max(rate[village[h]] - base, 0.0)
            extra[h] = x
            units[village[h]] += x
    return extra, units
