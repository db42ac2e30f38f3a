"""School meals: the rural compulsory-education nutrition improvement programme.

Enrolled pupils in grades 1-9 get a meal on school days (3 RMB a day from Nov 2011, 4 RMB
from 2015).  The meal is a nutrition input (haemoglobin, named value
``haemoglobin.shift``) and part of its value is an incentive to stay in school
(``school.stay_incentive``, relative to the household's income per capita), each scaled
by the delivery fidelity; anaemia and dropout follow.
"""

from __future__ import annotations

import numpy as np

from povsim.interventions.base import Intervention, InterventionConfig
from povsim.params import Param

PARAMS = (
    Param("school_meals_hb_effect", 1.0, "g/L", (0.0, 2.5),
          "School multivitamins +1.7 to >2 g/L (Zhang L. et al. 2013, J Nutr; Luo R. et al. "
          "2012, Econ Dev Cult Change 60(4)); one egg a day: no significant Hb effect "
          "(Kleiman-Weiner et al. 2013, China Econ Rev 24:165) [E]",
          "Haemoglobin gain of a pupil with school meals", bounds=(0.0, 30.0)),
    Param("school_meals_incentive_share", 0.25, "share of the meal subsidy", (0.0, 0.5),
          "Assumption: the meal replaces food the household would give; the rest is an "
          "incentive to attend", "Share of the meals' value that acts as an incentive to "
          "stay in school", bounds=(0.0, 1.0)),
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
    EFFECTS = (("haemoglobin.shift", "_haemoglobin"), ("school.stay_incentive", "_incentive"))
    description = "Meals for pupils in compulsory education (grades 1-9)"

    def eligible_default(self, world):
        P = world.P
        return np.flatnonzero(P.enrolled & (P.grade >= 1) & (P.grade <= 9))

    def per_unit_cost(self):
        # 3 RMB a day until 2014, 4 RMB from 2015 (gov.cn, Jan 2017)
        per_day = (self.params.school_meals_cost_per_day_2011 if self.world.year < 2015
                   else self.params.school_meals_cost_per_day)
        return per_day * self.params.school_days_per_year

    def _haemoglobin(self, world, rows, value):
        return self.on_reached(rows, value,
                               lambda v, _: v + self.fidelity * self.params.school_meals_hb_effect)

    def _incentive(self, world, rows, value):
        value_of_meals = (self.per_unit_cost() * self.params.school_meals_incentive_share
                          * self.fidelity)
        return self.on_reached(rows, value, lambda v, _: v + value_of_meals)
