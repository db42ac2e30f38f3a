"""Home visits to vulnerable young children by trained village volunteers.

Children aged 0-3 (default targeting: most deprived first, which puts left-behind,
stunted, poor and special-needs children at the front) receive regular visits that add
to the stimulation input of skill formation, and in adulthood earn more than the skill
channel alone implies (``home_visit_earnings_effect``, from the Jamaica trial's earnings
gain).  Capacity = volunteers x visits each per year / visits per child.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from povsim.interventions.base import Intervention, InterventionConfig
from povsim.params import Param

PARAMS = (
    Param("home_visit_stimulation", 1.0, "SD of stimulation input", (0.4, 1.6),
          "Calibrated so two years of visits raise skill by ~0.3 SD (skill_parenting 0.35): "
          "Jamaica stimulation trial IQ +0.38 SD at 17 (Walker et al. 2005, Lancet 366:1804), "
          "earnings +25% (Gertler et al. 2014, Science 344:998); China REACH comparable gains "
          "(Zhou, Heckman et al. 2022) [E]", "Extra stimulation received by visited children",
          bounds=(0.0, 5.0)),
    Param("home_visit_earnings_effect", 0.10, "log points", (0.0, 0.3),
          "Jamaica stimulation trial: adult earnings +25% (ln 1.25 = 0.22) for treated stunted "
          "toddlers (Gertler et al. 2014, Science 344:998), of which part runs through "
          "cognitive skill (modelled separately); the remainder (non-cognitive skills) is an "
          "assumption with a wide range [E]", "Extra log earnings in adulthood of children "
          "who received home visits (beyond the skill channel)", bounds=(0.0, 2.0)),
    Param("home_visit_cost_per_child_year", 3100.0, "RMB per child-year (2014 prices)",
          (1500.0, 5000.0), "China REACH ~US$500 per child (2015 USD) at ~6.2 RMB/USD "
          "(Zhou, Heckman et al. 2022)", "Cost of home visiting per child per year",
          bounds=(0.0, 1e6)),
)


class HomeVisitsConfig(InterventionConfig):
    volunteers: Annotated[int | None, Field(ge=0)] = None  # default: 2 per targeted village
    visits_per_volunteer: Annotated[int, Field(ge=1)] = 300
    visits_per_child: Annotated[int, Field(ge=1)] = 24


class HomeVisits(Intervention):
    name = "home_visits"
    Config = HomeVisitsConfig
    unit = "person"
    ages = (0, 3)
    EFFECTS = (("skill.stimulation", "_stimulation"), ("earnings.log_shift", "_earnings"))
    description = "Home visits by village volunteers to vulnerable children 0-3"

    def eligible_default(self, world):
        return np.flatnonzero(world.age() <= 3)

    def village_capacity(self, village):
        """Children the village's volunteers can visit this year."""
        if "home_visits" not in village.staff:
            self._post_volunteers()
        c = self.cfg
        return village.staff.get("home_visits", 0) * c.visits_per_volunteer // c.visits_per_child

    def _post_volunteers(self) -> None:
        """Post the volunteers in the targeted villages (evenly, the first villages taking
        one more when they do not divide; default 2 a village); other villages get none.
        A sampled run posts the sampled villages' share (``volunteers x scale``)."""
        agents = self.model.villages.agents
        targets = self.target_villages()
        total = (self.scaled(self.cfg.volunteers) if self.cfg.volunteers is not None
                 else 2 * len(targets))
        each, extra = divmod(total, max(len(targets), 1))
        for a in agents:
            a.staff.setdefault("home_visits", 0)
        for j, v in enumerate(targets.tolist()):
            agents[v].staff["home_visits"] = each + (j < extra)

    def per_unit_cost(self):
        return self.params.home_visit_cost_per_child_year

    def _stimulation(self, world, rows, value):
        return np.where(self.mask_rows(rows),
                        value + self.fidelity * self.params.home_visit_stimulation, value)

    def _earnings(self, world, rows, value):
        ever = self.reached_unique()  # sorted ids of every child ever visited
        if len(ever) == 0:
            return value
        ids = world.P.id[rows]
        pos = np.clip(np.searchsorted(ever, ids), 0, len(ever) - 1)
        hit = ever[pos] == ids
        return np.where(hit, value + self.fidelity * self.params.home_visit_earnings_effect, value)
