"""Health services: child health check-ups and rural medical insurance enrolment.

For children in targeted villages the yearly check-up probability rises toward
``checkup_target``; their households' insurance enrolment rises toward
``insurance_target`` (premium subsidised).  The MODA health and social-protection
dimensions respond, and insured households pay less for health shocks.
"""

from __future__ import annotations

import numpy as np

from povsim.interventions.base import Intervention, InterventionConfig, Ratio
from povsim.params import Param

PARAMS = (
    Param("health_services_effectiveness", 1.0, "share of the gap closed", (0.5, 1.0),
          "Assumption", "Share of the gap to the check-up and insurance targets that the "
          "service closes", bounds=(0.0, 1.0)),
    Param("checkup_cost", 60.0, "RMB per check-up (2014 prices)", (30.0, 150.0),
          "Assumption (basic public health service package)", "Cost of a child check-up",
          bounds=(0.0, 1e5)),
    Param("insurance_premium_subsidy", 120.0, "RMB per person-year (2014 prices)",
          (90.0, 200.0), "NCMS individual contribution ~90-120 RMB in 2014 [M]",
          "Premium paid for each member of a newly insured household", bounds=(0.0, 1e5)),
)


class HealthConfig(InterventionConfig):
    checkup_target: Ratio = 0.9
    insurance_target: Ratio = 0.99


class HealthServices(Intervention):
    name = "health_services"
    Config = HealthConfig
    unit = "person"
    ages = (0, 17)
    EFFECTS = (("checkup.probability", "_checkup"), ("insurance.probability", "_insurance"))
    description = "Child check-ups and medical insurance enrolment"

    def eligible_default(self, world):
        return world.children()

    def per_unit_cost(self):
        return self.params.checkup_cost * self.cfg.checkup_target

    def plan(self, world):
        """Check-ups per child; premiums for the expected newly insured, by village."""
        plan = super().plan(world)
        H, P, p = world.H, world.P, self.params
        hh = np.zeros(H.n, dtype=bool)
        hh[P.hh[plan.rows]] = True
        boost = p.health_services_effectiveness * max(self.cfg.insurance_target
                                                      - p.insurance_coverage, 0.0)
        persons = np.bincount(H.village, weights=hh * H.size * boost, minlength=world.geo.n)
        plan.fixed_by_village = {int(v): float(persons[v]) * p.insurance_premium_subsidy
                                 for v in np.flatnonzero(persons > 0)}
        return plan

    def _checkup(self, world, rows, value):
        eff = self.params.health_services_effectiveness * self.fidelity
        return self.on_reached(rows, value,
                               lambda v, _: v + eff * np.maximum(self.cfg.checkup_target - v, 0.0))

    def _insurance(self, world, rows, value):
        eff = self.params.health_services_effectiveness * self.fidelity
        return self.on_households(rows, value,
                                  lambda v: v + eff * np.maximum(self.cfg.insurance_target - v, 0.0))
