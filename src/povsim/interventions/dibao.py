"""Dibao expansion: better coverage of the rural minimum living guarantee.

Targeted households that are eligible (market income below the Dibao standard) receive
Dibao with probability ``1 - exclusion error`` instead of the baseline take-up; the cost
is the extra transfers paid to households that receive Dibao only because of the
programme.  Inclusion errors keep their baseline rate.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from povsim.interventions.base import Intervention, InterventionConfig, cost_rows, in_row_order
from povsim.params import Param
from povsim.rng import uniform_at

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
        units, cost = _extra_transfers(self.streams.key("dibao.takeup", 0), r, H.id, H.dibao,
                                       H.dibao_pc, H.present, H.village,
                                       self.params.dibao_takeup, world.geo.n)
        if len(v := np.flatnonzero(units)):
            self.costs.append(cost_rows(world.year, v, "transfers", units[v], cost[v]))


@njit(cache=True, nogil=True)
def _extra_transfers(key, rows, hid, receives, dibao_pc, present, village, takeup, n_v):
    """Households among ``rows`` receiving Dibao only because of the programme (their fixed
    take-up key at or above the baseline take-up) and their transfers, by village, summed
    in row order."""
    units = np.zeros(n_v)
    cost = np.zeros(n_v)
    for r in rows:
        if receives[r] and uniform_at(key, hid[r]) >= takeup:
            v = village[r]
            units[v] += 1.0
            cost[v] += dibao_pc[r] * max(present[r], 1)
    return units, cost
