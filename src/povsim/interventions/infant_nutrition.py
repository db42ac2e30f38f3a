"""Infant nutrition: Ying Yang Bao (YYB) micronutrient-fortified soybean powder, 6-24 months.

Children aged 0-1 in targeted villages receive a daily sachet; the stunting onset
probability is multiplied by the delivered risk ratio ``1 - f (1 - RR)`` and so is the
anaemia probability.
"""

from __future__ import annotations

import numpy as np

from povsim.interventions.base import Intervention, InterventionConfig
from povsim.params import Param

PARAMS = (
    Param("yyb_stunting_rr", 0.60, "risk ratio", (0.44, 0.81),
          "YYB meta-analysis: stunting RR 0.60 (0.44-0.81), quasi-experimental evidence "
          "(Nutrients 2019, PMC6835467)", "Risk ratio of stunting onset for children given YYB",
          bounds=(0.0, 2.0)),
    Param("yyb_anaemia_rr", 0.55, "risk ratio", (0.45, 0.67),
          "YYB meta-analysis: anaemia RR 0.55 (0.45-0.67) (Nutrients 2019, PMC6835467)",
          "Risk ratio of anaemia for children given YYB", bounds=(0.0, 2.0)),
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
    EFFECTS = (("stunting.onset_rr", "_stunting"), ("anaemia.rr", "_anaemia"))
    description = "Ying Yang Bao sachets for children aged 6-24 months"

    def eligible_default(self, world):
        return np.flatnonzero(world.age() <= 1)

    def per_unit_cost(self):
        return self.params.yyb_cost_per_child_year

    def _stunting(self, world, rows, value):
        return np.where(self.mask_rows(rows), value * self.rr(self.params.yyb_stunting_rr), value)

    def _anaemia(self, world, rows, value):
        return np.where(self.mask_rows(rows), value * self.rr(self.params.yyb_anaemia_rr), value)
