"""The programme of a run: its interventions, the yearly budget pass, the budget log.

Each year, after demography and migration, every active intervention plans (eligible ->
covered -> rationed to capacity); plans are funded in priority order under the
scenario's yearly budget cap, times the sampling fraction in a sampled run (a plan whose
fixed costs fit but not all its units is funded for as many units as fit); each
intervention commits its funded reach.  At the
end of the year interventions record the costs that depend on what happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Programme:
    """The interventions of a run, in funding order, and the budget they share."""

    interventions: list
    cap_rmb: float | None = None
    #: (year, intervention, priority, requested, funded, cut, units planned, units funded)
    budget_log: list[tuple] = field(default_factory=list)

    def allocate(self, world) -> None:
        """Plan every active intervention, fund plans in priority order under the budget
        cap, and commit the funded reach (see :mod:`povsim.interventions.base`)."""
        # a sampled run funds the sampled villages' share of the yearly cap
        remaining = (np.inf if self.cap_rmb is None
                     else float(self.cap_rmb) * float(world.geo.sampling_fraction))
        for iv in self.interventions:
            iv.reached = np.zeros(0, dtype=bool)
            if not iv.active(world.year):
                continue
            plan = iv.plan(world)
            fixed = plan.fixed_cost()
            unit = plan.unit_cost()
            n = len(plan.rows)
            requested = fixed + unit * n
            if requested <= remaining:
                n_funded, funded_fixed = n, True
            elif fixed <= remaining:
                n_funded = int((remaining - fixed) // unit) if unit > 0 else n
                n_funded, funded_fixed = min(n_funded, n), True
            else:
                n_funded, funded_fixed = 0, False
            if n_funded < n:
                plan.in_ration_order()  # the budget leaves some out: the order decides who
            spent = (fixed if funded_fixed else 0.0) + unit * n_funded
            remaining -= spent
            self.budget_log.append((world.year, iv.name, iv.cfg.priority, requested, spent,
                                    requested - spent, n, n_funded))
            iv.commit(world, plan, n_funded, funded_fixed)

    def finish(self, world) -> None:
        """End-of-year costs of the active interventions."""
        for iv in self.interventions:
            if iv.active(world.year):
                iv.finish(world)
