"""School meals: the rural compulsory-education nutrition improvement programme.

Enrolled pupils in grades 1-9 get a meal on school days (3 RMB a day from Nov 2011, 4 RMB
from 2015); anaemia and dropout probabilities are multiplied by delivered risk ratios.
"""

from __future__ import annotations

import numpy as np

from povsim.interventions.base import Intervention, InterventionConfig
from povsim.params import Param

PARAMS = (
    Param("school_meals_anaemia_rr", 0.75, "risk ratio", (0.6, 0.95),
          "Student anaemia fell 8.9 pp 2012-2015 under the NIPRCES (CDC monitoring, not causal; "
          "Zhang F. et al. 2014, PHN); school multivitamins -7.0 pp (Zhang et al. 2013, J Nutr) "
          "[E]", "Risk ratio of anaemia for pupils with school meals", bounds=(0.0, 2.0)),
    Param("school_meals_dropout_rr", 0.9, "risk ratio", (0.75, 1.0),
          "Assumption (attendance effects of school feeding; wide range)",
          "Risk ratio of dropout for pupils with school meals", bounds=(0.0, 2.0)),
    Param("school_meals_cost_per_day", 4.0, "RMB per pupil-day", (3.0, 5.0),
          "4 RMB a day from 2015 (gov.cn, Jan 2017)",
          "Meal subsidy per pupil per school day from 2015", bounds=(0.0, 100.0)),
    Param("school_meals_cost_per_day_2011", 3.0, "RMB per pupil-day", (2.5, 3.5),
          "3 RMB a day from Nov 2011 (gov.cn, Jan 2017)", "Meal subsidy per pupil per school "
          "day before 2015", bounds=(0.0, 100.0)),
    Param("school_days_per_year", 200.0, "days", (180.0, 220.0),
          "Assumption (Chinese school calendar, ~40 weeks)", "School days per year",
          bounds=(0.0, 366.0)),
)


class SchoolMeals(Intervention):
    name = "school_meals"
    Config = InterventionConfig
    unit = "person"
    ages = (6, 17)
    EFFECTS = (("anaemia.rr", "_anaemia"), ("school.dropout_rr", "_dropout"))
    description = "Meals for pupils in compulsory education (grades 1-9)"

    def eligible_default(self, world):
        P = world.P
        return np.flatnonzero(P.enrolled & (P.grade >= 1) & (P.grade <= 9))

    def per_unit_cost(self):
        # 3 RMB a day until 2014, 4 RMB from 2015 (gov.cn, Jan 2017)
        per_day = (self.params.school_meals_cost_per_day_2011 if self.world.year < 2015
                   else self.params.school_meals_cost_per_day)
        return per_day * self.params.school_days_per_year

    def _anaemia(self, world, rows, value):
        return np.where(self.mask_rows(rows), value * self.rr(self.params.school_meals_anaemia_rr),
                        value)

    def _dropout(self, world, rows, value):
        return np.where(self.mask_rows(rows), value * self.rr(self.params.school_meals_dropout_rr),
                        value)
