"""Conditional cash transfer for junior-high students (grades 7-9).

Students stay enrolled to keep the transfer: the amount is an incentive to stay in school
(named value ``school.stay_incentive``; it lowers the dropout log-odds relative to the
household's income per capita, :mod:`povsim.processes.schooling`), and the household
receives it (per capita over present members) as income.  Both are scaled by the
delivery fidelity.  Default targeting: income-poor households.
"""

from __future__ import annotations

import numpy as np

from povsim.interventions.base import Intervention, InterventionConfig, Targeting
from povsim.params import Param

PARAMS = (
    Param("cct_amount", 1000.0, "RMB per student-year (2014 prices)", (500.0, 2000.0),
          "Assumption (Mo et al. 2013 paid a conditional transfer per semester; amount not read)",
          "Transfer paid per student per year", bounds=(0.0, 1e5)),
    Param("cct_income_share", 1.0, "share", (0.0, 1.0),
          "Accounting: the transfer counts as household income (set 0 to switch its income "
          "effect off)", "Share of the transfer that adds to household income",
          bounds=(0.0, 1.0)),
    Param("cct_admin_share", 0.05, "share of transfers", (0.02, 0.15),
          "Assumption", "Administration cost as a share of transfers", bounds=(0.0, 1.0)),
)


class CCTConfig(InterventionConfig):
    targeting: Targeting = Targeting(income_poor=True)


class ConditionalCashTransfer(Intervention):
    name = "conditional_cash_transfer"
    Config = CCTConfig
    unit = "person"
    ages = (11, 17)
    EFFECTS = (("school.stay_incentive", "_incentive"), ("household.transfer_pc", "_transfer"))
    description = "Cash for junior-high students who stay in school"

    def eligible_default(self, world):
        P = world.P
        return np.flatnonzero(P.enrolled & (P.grade >= 7) & (P.grade <= 9))

    def per_unit_cost(self):
        return self.params.cct_amount * (1.0 + self.params.cct_admin_share)

    def _incentive(self, world, rows, value):
        return self.on_reached(rows, value, lambda v, _: v + self.fidelity * self.params.cct_amount)

    def _transfer(self, world, rows, value):
        if not self.effective(world.year) or len(self.reached) != world.P.n:
            return value
        P, H = world.P, world.H
        amount = self.params.cct_amount * self.params.cct_income_share * self.fidelity
        per_hh = np.bincount(P.hh[self.reached_rows], minlength=H.n) * amount
        return value + (per_hh / np.maximum(H.present, 1).astype(np.float64))[rows]
