"""Village child service centres ("children's homes"): a venue for play, learning,
protection and services, open several days a week, run by village volunteers.

Children 0-17 in villages with a centre attend with probability
``a * min(1, days/3.5) * exp(-d_km * decay)`` (remoter homesteads attend less; a fixed
per-child key decides who attends), up to the centre's places.  Attending children get
extra stimulation (more for 0-5), unsupervised left-behind attendees get adequate adult
care with a probability, and attendees' households gain information access (books, TV,
computers at the centre).  Costs: set-up in the first year, operation and themed
activities every year.  A centre is also the venue of centre-based parent training.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from povsim.interventions.base import Intervention, InterventionConfig
from povsim.params import Param

PARAMS = (
    Param("centre_attendance", 0.5, "probability", (0.25, 0.8),
          "Assumption: Hubei centres were open >2 days a week; 248,000 child attendances "
          "and 15,140 opening days over 80 centres ('Hubei Model' brochure, 2017) imply "
          "regular use by a large share of village children [E]",
          "Share of children at mean remoteness attending a centre open 3.5+ days a week",
          bounds=(0.0, 1.0)),
    Param("centre_remoteness_decay", 0.05, "per km", (0.0, 0.15),
          "Assumption (attendance falls with distance)", "Decline of attendance per km of "
          "village remoteness above the median", bounds=(0.0, 2.0)),
    Param("centre_stimulation_0_5", 0.3, "SD of stimulation input", (0.0, 0.6),
          "Centre-based early stimulation: small or null child effects (Sylvia et al. 2022, "
          "World Dev 149:105686) [E]", "Extra stimulation for attending children 0-5",
          bounds=(0.0, 5.0)),
    Param("centre_stimulation_6_17", 0.1, "SD of stimulation input", (0.0, 0.3),
          "Assumption (after-school activities, reading)", "Extra stimulation for attending "
          "children 6-17", bounds=(0.0, 5.0)),
    Param("centre_supervision", 0.6, "probability", (0.3, 0.9),
          "Assumption (volunteers' care of left-behind children; Hubei pilot case reports)",
          "Probability an unsupervised left-behind attendee gets adequate adult care",
          bounds=(0.0, 1.0)),
    Param("centre_information", 0.5, "probability per year", (0.2, 0.9),
          "Assumption (books, TV, computers at the centre)", "Yearly probability an "
          "attendee's household without information access gains it", bounds=(0.0, 1.0)),
    Param("centre_activity_cost", 500.0, "RMB per themed activity (2014 prices)",
          (200.0, 1500.0), "Assumption (materials, volunteer time); 3,391 themed activities in "
          "80 Hubei centres ('Hubei Model' brochure, 2017)", "Cost of one themed activity",
          bounds=(0.0, 1e7)),
    Param("centre_setup_cost", 80000.0, "RMB per centre (2014 prices)", (30000.0, 200000.0),
          "Assumption (room refurbishment, books, LEGO, TVs, computers, fitness equipment)",
          "Set-up cost of a village centre", bounds=(0.0, 1e8)),
    Param("centre_operating_cost", 40000.0, "RMB per centre-year (2014 prices)",
          (15000.0, 100000.0), "Assumption (volunteer stipends, activities, utilities)",
          "Yearly operating cost of a centre", bounds=(0.0, 1e8)),
)


class CentreConfig(InterventionConfig):
    days_open_per_week: Annotated[float, Field(strict=False, gt=0, le=7)] = 3.0
    activities_per_year: Annotated[int, Field(ge=0)] = 20
    places_per_centre: Annotated[int | None, Field(ge=0)] = None


class ChildServiceCentre(Intervention):
    name = "child_service_centre"
    Config = CentreConfig
    unit = "person"
    ages = (0, 17)
    EFFECTS = (("skill.stimulation", "_stimulation"), ("supervision.adequate", "_supervision"),
               ("info.gain_rate", "_information"))
    description = "Village child service centres (play, learning, protection, information)"

    def eligible_default(self, world):
        return world.children()

    def covered(self, world, rows):
        # attendance: coverage x days factor x remoteness decay, by a fixed per-child key
        geo, P, H = world.geo, world.P, world.H
        d = geo.remoteness_km[H.village[P.hh[rows]]] - self.params.remoteness_median_km
        p = (self.coverage_of(world, rows) * self.params.centre_attendance
             * min(1.0, self.cfg.days_open_per_week / 3.5)
             * np.exp(-self.params.centre_remoteness_decay * np.maximum(d, 0.0)))
        u = self.streams.uniform(f"iv.{self.name}.participation", 0, P.id[rows])
        return rows[u < p]

    def village_capacity(self, village):
        """The centre's places (a centre not built yet would have ``places_per_centre``)."""
        return village.centre.places if village.centre is not None else self.cfg.places_per_centre

    def per_unit_cost(self):
        return 0.0

    def fixed_costs(self, world, rows):
        """Operation and activities for a year of every centre the plan serves children in
        (a centre that would serve nobody costs nothing)."""
        yearly = (self.params.centre_operating_cost
                  + self.cfg.activities_per_year * self.params.centre_activity_cost)
        return dict.fromkeys(np.unique(self.village_of(world, rows)).tolist(), yearly)

    def setup_costs(self, world, rows):
        """Set-up of the centres the plan serves children in that are not built yet."""
        agents = self.model.villages.agents
        return {v: self.params.centre_setup_cost for v in np.unique(self.village_of(world, rows)).tolist()
                if agents[v].centre is None}

    def commit(self, world, plan, n_funded, funded_fixed):
        super().commit(world, plan, n_funded, funded_fixed)
        if funded_fixed and n_funded:
            agents = self.model.villages.agents
            c = self.cfg
            for v in np.unique(plan.unit_villages[:n_funded]).tolist():
                agents[v].build_centre(world.year, c.days_open_per_week, c.places_per_centre,
                                       c.activities_per_year)

    def _stimulation(self, world, rows, value):
        p = self.params
        return self.on_reached(rows, value, lambda v, on: v + self.fidelity * np.where(
            world.age()[rows[on]] <= 5, p.centre_stimulation_0_5, p.centre_stimulation_6_17))

    def _supervision(self, world, rows, value):
        return self.on_reached(rows, value, lambda v, _: v + (1.0 - v) * self.fidelity
                               * self.params.centre_supervision)

    def _information(self, world, rows, value):
        target = self.params.centre_information
        return self.on_households(rows, value, lambda v: v + self.fidelity * np.maximum(target - v, 0.0))
