"""Parent training: group sessions (at village centres, or at the township seat:
``delivery = "township"``) or home visits teaching caregivers of children 0-3 to talk, read
and play with them.  Township sessions are group sessions and have the centre-based effect.

Trained households' parenting practice rises by the delivery's effect (SD) and the gain
decays by a share each year after training stops; it feeds skill formation (and feeding
practices through the stunting odds).  Capacity = trained staff x households each.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from povsim.interventions.base import Intervention, InterventionConfig
from povsim.params import Param
from povsim.table import index_of

PARAMS = (
    Param("parent_training_effect_home", 0.3, "SD of parenting practice", (0.1, 0.5),
          "Home-based parenting (Sylvia et al. 2021, Econ J 131:1365): significant skill gains; "
          "home-visit effects 0.2-0.4 SD (Jamaica, China REACH) [E]",
          "Gain in parenting practice from home-based training", bounds=(0.0, 3.0)),
    Param("parent_training_effect_centre", 0.1, "SD of parenting practice", (0.0, 0.25),
          "Centre-based parenting (Sylvia et al. 2022, World Dev 149:105686): parenting "
          "investment rose, no significant effect on child development [E]",
          "Gain in parenting practice from centre-based training", bounds=(0.0, 3.0)),
    Param("parent_training_decay", 0.3, "share per year", (0.1, 0.6),
          "Assumption (fade-out of parenting programme effects)", "Share of the gain lost each "
          "year after training", bounds=(0.0, 1.0)),
    Param("parent_training_cost_per_session", 30.0, "RMB per household-session (2014 prices)",
          (15.0, 80.0), "Assumption (trainer time, materials)", "Cost of one session for one "
          "household", bounds=(0.0, 1e5)),
)


class ParentTrainingConfig(InterventionConfig):
    delivery: Literal["centre", "township", "home"] = "centre"
    sessions_per_year: Annotated[int, Field(ge=1, le=100)] = 12
    trained_staff: Annotated[int | None, Field(ge=0)] = None
    households_per_staff: Annotated[int, Field(ge=1)] = 40


class ParentTraining(Intervention):
    name = "parent_training"
    Config = ParentTrainingConfig
    unit = "household"
    EFFECTS = (("parenting.practice", "_parenting"),)
    description = "Parenting sessions for caregivers of children 0-3"

    def __init__(self, config, model):
        super().__init__(config, model)
        self._stock_ids = np.empty(0, dtype=np.int64)
        self._stock = np.empty(0, dtype=np.float64)

    def eligible_default(self, world):
        P, H = world.P, world.H
        hh = np.flatnonzero(np.bincount(P.hh[world.age() <= 3], minlength=H.n))  # with a child 0-3
        if self.cfg.delivery == "centre":
            # centre-based sessions need a venue: villages with a child service centre (built,
            # or targeted by this year's centre programme), when the scenario has centres
            centres = [iv for iv in self.model.interventions
                       if iv.name == "child_service_centre" and iv.active(world.year)]
            if centres:
                venue = np.array([a.centre is not None for a in self.model.villages.agents])
                venue[centres[0].target_villages()] = True
                hh = hh[venue[H.village[hh]]]
        return hh

    def capacity(self, world):
        """Households the trained staff can serve this year (for the simulated villages)."""
        c = self.cfg
        staff = c.capacity if c.trained_staff is None else c.trained_staff * c.households_per_staff
        return self.scaled(staff)

    def per_unit_cost(self):
        return self.params.parent_training_cost_per_session * self.cfg.sessions_per_year

    def _effect(self) -> float:
        p = self.params
        return p.parent_training_effect_home if self.cfg.delivery == "home" else \
            p.parent_training_effect_centre

    def commit(self, world, plan, n_funded, funded_fixed):
        super().commit(world, plan, n_funded, funded_fixed)
        # decay last year's gains, then trained households get the full effect
        self._stock = self._stock * (1.0 - self.params.parent_training_decay)
        if self.effective(world.year):
            ids = world.H.id[plan.rows[:n_funded]]
            gain = self.fidelity * self._effect()
            all_ids = np.concatenate([self._stock_ids, ids])
            all_val = np.concatenate([self._stock, np.full(len(ids), gain)])
            order = np.argsort(all_ids, kind="stable")
            all_ids, all_val = all_ids[order], all_val[order]
            uniq, first = np.unique(all_ids, return_index=True)
            best = np.maximum.reduceat(all_val, first) if len(all_val) else all_val
            self._stock_ids, self._stock = uniq, best

    def _parenting(self, world, rows, value):
        if len(self._stock_ids) == 0:
            return value
        pos = index_of(self._stock_ids, world.H.id[rows])
        hit = pos >= 0
        return np.where(hit, value + self._stock[pos], value)
