"""Home visits to vulnerable young children by trained village volunteers.

Children aged 0-3 (default targeting: most deprived first, which puts left-behind,
stunted, poor and special-needs children at the front) receive regular visits.  The
visits act only as an input to skill formation (named value ``skill.stimulation``): in a
year of visits the child's stimulation rises by ``home_visit_stimulation`` x the dose
(visits per child / 50: weekly visits = 1); after the visits end the caregivers keep part
of the practice (``home_visit_parenting``, fading by ``home_visit_parenting_decay`` a
year).  Adult outcomes follow from skill, schooling and earnings; there is no direct
earnings effect.  Every effect is scaled by the delivery fidelity.  Capacity =
volunteers x visits each per year / visits per child.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from povsim.interventions.base import Intervention, InterventionConfig
from povsim.params import Param
from povsim.table import index_of

PARAMS = (
    Param("home_visit_stimulation", 0.85, "SD of stimulation per year of weekly visits",
          (0.5, 1.5),
          "Weekly home visits for 2 years: cognition +0.324 SD (0.152-0.496) at 7-16 months "
          "in Odisha (cluster RCT, Pediatrics 2020, PMC7786825) with skill_stimulation_0_2 = 1 "
          "[E]; checked against the shipped virtual trials (Jamaica, Luo R. et al. 2019, "
          "Sylvia et al. 2021)", "Extra stimulation a visited child receives in a year of "
          "weekly visits", bounds=(0.0, 5.0)),
    Param("home_visit_parenting", 0.3, "SD of stimulation", (0.0, 0.5),
          "Parenting skills +0.32 SD after 6 months of visits (Sylvia et al. 2021, Econ J "
          "131:1365); Jamaica mothers were asked to continue the activities after the visits "
          "(AEARCTR-0001284) [E]", "Stimulation the caregivers keep giving a visited child "
          "after the visits end", bounds=(0.0, 3.0)),
    Param("home_visit_parenting_decay", 0.2, "share per year", (0.05, 0.5),
          "Assumption (fade-out of parenting gains; AEARCTR-0011549 expects cognitive effects "
          "to fade in the medium run)", "Share of the kept stimulation lost each year after "
          "the visits end", bounds=(0.0, 1.0)),
    Param("home_visit_cost_per_child_year", 3100.0, "RMB per child-year (2014 prices)",
          (1500.0, 5000.0), "China REACH ~US$500 per child (2015 USD) at ~6.2 RMB/USD "
          "(Zhou, Heckman et al. 2022)", "Cost of home visiting per child per year",
          bounds=(0.0, 1e6)),
)


class HomeVisitsConfig(InterventionConfig):
    volunteers: Annotated[int | None, Field(ge=0)] = None  # default: 2 per targeted village
    visits_per_volunteer: Annotated[int, Field(ge=1)] = 300
    visits_per_child: Annotated[int, Field(ge=1)] = 24


class HomeVisits(Intervention):
    name = "home_visits"
    Config = HomeVisitsConfig
    unit = "person"
    ages = (0, 3)
    EFFECTS = (("skill.stimulation", "_stimulation"),)
    description = "Home visits by village volunteers to vulnerable children 0-3"
    #: (entries of reach_log folded in, ids visited, last year visited): see _last_visits
    _visits = (0, np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64))

    def eligible_default(self, world):
        return np.flatnonzero(world.age() <= 3)

    def village_capacity(self, village):
        """Children the village's volunteers can visit this year."""
        if "home_visits" not in village.staff:
            self._post_volunteers()
        c = self.cfg
        return village.staff.get("home_visits", 0) * c.visits_per_volunteer // c.visits_per_child

    def _post_volunteers(self) -> None:
        """Post the volunteers in the targeted villages (evenly, the first villages taking
        one more when they do not divide; default 2 a village); other villages get none.
        A sampled run posts the sampled villages' share (``volunteers x scale``)."""
        agents = self.model.villages.agents
        targets = self.target_villages()
        total = (self.scaled(self.cfg.volunteers) if self.cfg.volunteers is not None
                 else 2 * len(targets))
        each, extra = divmod(total, max(len(targets), 1))
        for a in agents:
            a.staff.setdefault("home_visits", 0)
        for j, v in enumerate(targets.tolist()):
            agents[v].staff["home_visits"] = each + (j < extra)

    def per_unit_cost(self):
        return self.params.home_visit_cost_per_child_year

    def dose(self) -> float:
        """Visits per child in a year relative to weekly visits (50 a year), at most 1."""
        return min(self.cfg.visits_per_child / 50.0, 1.0)

    def _last_visits(self) -> tuple[np.ndarray, np.ndarray]:
        """Ids of every child visited in a year with effects, and the last such year
        (sorted by id).  Kept from year to year: each year's visits are folded in once."""
        n, ids, last = self._visits
        for (year, _, _), reached in zip(self.reach_log[n:], self.reached_ids[n:], strict=False):
            if self.effective(year) and len(reached):
                # later years come last: a stable sort by id puts each child's last year last
                ids = np.concatenate([ids, reached])
                last = np.concatenate([last, np.full(len(reached), year, dtype=np.int64)])
                order = np.argsort(ids, kind="stable")
                ids, last = ids[order], last[order]
                keep = np.r_[ids[1:] != ids[:-1], True]
                ids, last = ids[keep], last[keep]
        self._visits = (len(self.reach_log), ids, last)
        return ids, last

    def _stimulation(self, world, rows, value):
        """This year's visits, and the stimulation kept after earlier visits."""
        p, f = self.params, self.fidelity
        out = self.on_reached(rows, value, lambda v, _: v + f * self.dose() * p.home_visit_stimulation)
        ids, last = self._last_visits()
        if len(ids) == 0 or p.home_visit_parenting == 0.0:
            return out
        pos = index_of(ids, world.P.id[rows])
        hit = np.flatnonzero(pos >= 0)
        hit = hit[world.year > last[pos[hit]]]
        years_after = world.year - last[pos[hit]]
        out[hit] += (f * self.dose() * p.home_visit_parenting
                     * (1.0 - p.home_visit_parenting_decay) ** np.maximum(years_after - 1, 0))
        return out
