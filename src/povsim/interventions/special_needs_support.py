"""Support for children with disabilities / special needs: enrolment and retention.

Children with a disability aged 3-17 get support (case management by volunteers, special
education or inclusive-school aides): the probability of *not* entering school at 6-8 and
the dropout probability are multiplied by delivered risk ratios.
"""

from __future__ import annotations

import numpy as np

from povsim.interventions.base import Intervention, InterventionConfig
from povsim.params import Param

PARAMS = (
    Param("special_needs_nonentry_rr", 0.4, "risk ratio", (0.2, 0.8),
          "Assumption (the Hubei pilot helped 4,126 children with special needs; brochure "
          "case of a refused child later enrolled); no trial estimate found",
          "Risk ratio of not entering school for supported children", bounds=(0.0, 2.0)),
    Param("special_needs_dropout_rr", 0.5, "risk ratio", (0.25, 0.9),
          "Assumption (no trial estimate found)", "Risk ratio of dropout for supported "
          "children", bounds=(0.0, 2.0)),
    Param("special_needs_cost_per_child", 3000.0, "RMB per child-year (2014 prices)",
          (1000.0, 8000.0), "Assumption (aide time, transport, devices)",
          "Cost of support per child per year", bounds=(0.0, 1e6)),
)


class SpecialNeedsSupport(Intervention):
    name = "special_needs_support"
    Config = InterventionConfig
    unit = "person"
    ages = (3, 17)
    EFFECTS = (("school.entry_rr", "_entry"), ("school.dropout_rr", "_dropout"))
    description = "Enrolment and retention support for children with disabilities"

    def eligible_default(self, world):
        return np.flatnonzero(world.P.disabled & (world.age() < 18))

    def per_unit_cost(self):
        return self.params.special_needs_cost_per_child

    def _entry(self, world, rows, value):
        return self.on_reached(rows, value,
                               lambda v, _: v * self.rr(self.params.special_needs_nonentry_rr))

    def _dropout(self, world, rows, value):
        return self.on_reached(rows, value,
                               lambda v, _: v * self.rr(self.params.special_needs_dropout_rr))
