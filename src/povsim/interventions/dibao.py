"""Dibao expansion: better coverage of the rural minimum living guarantee.

Targeted households that are eligible (market income below the Dibao standard) receive
Dibao with probability ``1 - exclusion error`` instead of the baseline take-up; the cost
is the extra transfers paid to households that receive Dibao only because of the
programme.  Inclusion errors keep their baseline rate.
"""

from __future__ import annotations

import numpy as np

from povsim.interventions.base import Intervention, InterventionConfig, cost_rows, in_row_order
from povsim.params import Param

PARAMS = (
    Param("dibao_programme_exclusion_error", 0.2, "share of eligible", (0.05, 0.5),
          "Rural Dibao has high targeting error (He et al. 2021, CAER 13(1):54; Golan et al. "
          "2017) [E]; the programme reduces exclusion to this share",
          "Share of eligible targeted households still missed", bounds=(0.0, 1.0)),
    Param("dibao_programme_admin_per_household", 100.0, "RMB per household-year",
          (30.0, 300.0), "Assumption (means test, village review)",
          "Administration cost per targeted household", bounds=(0.0, 1e5)),
)


class Dibao(Intervention):
    name = "dibao"
    Config = InterventionConfig
    unit = "household"
    EFFECTS = (("dibao.takeup", "_takeup"),)
    description = "Extended coverage of rural Dibao (unconditional transfer)"

    def eligible_default(self, world):
        return np.arange(world.H.n)

    def per_unit_cost(self):
        return self.params.dibao_programme_admin_per_household

    def _takeup(self, world, rows, value):
        target = 1.0 - self.params.dibao_programme_exclusion_error
        return self.on_reached(rows, value,
                               lambda v, _: v + self.fidelity * np.maximum(target - v, 0.0))

    def finish(self, world):
        """Extra transfers paid because of the programme (receipt above baseline take-up)."""
        if not self.effective(world.year) or len(self.reached) != world.H.n:
            return
        H, r = world.H, in_row_order(self.reached_rows)  # the sums' order
        key = self.streams.uniform("dibao.takeup", 0, H.id[r])
        extra = H.dibao[r] & (key >= self.params.dibao_takeup)
        paid = H.dibao_pc[r] * np.maximum(H.present[r], 1) * extra
        units = np.bincount(H.village[r], weights=extra, minlength=world.geo.n)
        cost = np.bincount(H.village[r], weights=paid, minlength=world.geo.n)
        if len(v := np.flatnonzero(units)):
            self.costs.append(cost_rows(world.year, v, "transfers", units[v], cost[v]))
