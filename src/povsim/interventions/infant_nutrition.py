"""Infant nutrition: Ying Yang Bao (YYB) micronutrient-fortified soybean powder, 6-24 months.

Children aged 0-1 in targeted villages receive a daily sachet.  The supplement is a
nutrition input: it raises the target height-for-age z of the year (named value
``growth.haz_input``) and the child's haemoglobin (``haemoglobin.shift``), each by the
nominal effect times the delivery fidelity; stunting and anaemia follow from HAZ and
haemoglobin.
"""

from __future__ import annotations

import numpy as np

from povsim.interventions.base import Intervention, InterventionConfig
from povsim.params import Param

PARAMS = (
    Param("yyb_haz_effect", 0.1, "SD of target HAZ per year", (0.0, 0.2),
          "Causal evidence on growth is weak: quasi-experimental meta-analysis stunting RR 0.60 "
          "(0.44-0.81) and height +2.46 cm (Li Z. et al. 2019, Nutrients 11:2404) but no HAZ "
          "effect in a controlled study (Qinghai: stunting 9.7->7.1% vs 17.0->15.0%, p=0.80; "
          "Zhang Y. et al. 2016, BMJ Open 6:e011234) [E]", "Rise of the target "
          "height-for-age z of a supplemented child", bounds=(0.0, 2.0)),
    Param("yyb_hb_effect", 3.0, "g/L", (1.5, 5.0),
          "Micronutrient powder RCT +1.77 g/L (0.02-3.52) after 6 months (Luo R. et al. 2017, "
          "BMC Public Health 17); YYB meta-analysis +4.43 g/L (1.55-7.30), quasi-experimental "
          "(Li Z. et al. 2019, Nutrients 11:2404) [E]", "Haemoglobin gain of a "
          "supplemented child", bounds=(0.0, 30.0)),
    Param("yyb_cost_per_child_year", 250.0, "RMB per child-year (2014 prices)", (150.0, 450.0),
          "Assumption: ~0.7 RMB per daily sachet incl. distribution; Li, Fawzi et al. 2020 "
          "(Nutrients 12:2643) cost 5.4-6.2 bn RMB for 75% coverage of 6-36 months [E]",
          "Cost of YYB per child per year", bounds=(0.0, 1e5)),
)


class InfantNutrition(Intervention):
    name = "infant_nutrition"
    Config = InterventionConfig
    unit = "person"
    ages = (0, 1)
    EFFECTS = (("growth.haz_input", "_growth"), ("haemoglobin.shift", "_haemoglobin"))
    description = "Ying Yang Bao sachets for children aged 6-24 months"

    def eligible_default(self, world):
        return np.flatnonzero(world.age() <= 1)

    def per_unit_cost(self):
        return self.params.yyb_cost_per_child_year

    def _growth(self, world, rows, value):
        return self.on_reached(rows, value, lambda v, _: v + self.fidelity * self.params.yyb_haz_effect)

    def _haemoglobin(self, world, rows, value):
        return self.on_reached(rows, value, lambda v, _: v + self.fidelity * self.params.yyb_hb_effect)
