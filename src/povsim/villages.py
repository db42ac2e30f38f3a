"""Villages as Mesa agents: the services a programme sets up in them, and the village part
of each intervention's year (capacity and rationing).

A :class:`Village` owns its services — a child service centre (:class:`Centre`: year
built, days open a week, places, days open and activities so far), the programme staff
posted there (village volunteers, trainers) and its water and sanitation schemes — and
decides each year how many of the children or households an intervention wants to reach
in the village it can serve (:meth:`Village.admit`), from the intervention's rule for
turning the village's resources into places (``Intervention.village_capacity``).  What
each intervention delivered this year is tallied for all villages at once
(:meth:`VillageLedger.deliver`, read by a village as :attr:`Village.served`); at the end
of the year a village whose centre served children adds the days its centre was open and
the activities held (:meth:`Village.step`): the counts the programme's own monitoring
reports (the Hubei brochure's centre-open days and themed activities).

The village's population state (occupied households, amenity shares, income effect) is
in the village table ``world.V``, updated by the processes; the agent reads it there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from povsim.model import PovertyModel


@dataclass
class Centre:
    """A village child service centre."""

    built: int  # year it opened
    days_open_per_week: float
    places: int | None  # children it can take in a year (None: no limit)
    activities_per_year: int
    open_days: float = 0.0  # days open so far
    activities: float = 0.0  # themed activities held so far
    attendances: float = 0.0  # child-years of attendance so far (children x share of the year)


@dataclass
class Scheme:
    """A water or sanitation scheme: the village's coverage rises to ``target`` by ``end``."""

    start: int
    end: int
    target: float


class Village(mesa.Agent):
    """A village: its arm, and the programme's services in it.

    Attributes
    ----------
    index
        Its row of ``world.geo`` and ``world.V`` (where the village is, and its state).
    pilot
        Pilot village (the programme arm).
    centre
        Its child service centre, once built.
    staff
        Programme staff posted in the village, by intervention (e.g. home-visit
        volunteers).
    schemes
        Water/sanitation schemes by amenity (``"safe_water"``, ``"sanitation"``).
    served
        Units each intervention reached in the village this year.
    """

    def __init__(self, model: PovertyModel, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.pilot = bool(model.world.geo.pilot[index])
        self.centre: Centre | None = None
        self.staff: dict[str, int] = {}
        self.schemes: dict[str, Scheme] = {}

    # -- the village part of an intervention's year ---------------------------
    def admit(self, intervention, candidates: int) -> int:
        """How many of ``candidates`` (in rationing order) the village can serve this year."""
        cap = intervention.village_capacity(self)
        return candidates if cap is None else min(candidates, max(int(cap), 0))

    @property
    def served(self) -> dict[str, int]:
        """Units each intervention reached in the village this year."""
        tally = self.model.villages.served
        return {name: int(units[self.index]) for name, units in tally.items() if units[self.index]}

    def build_centre(self, year: int, days_open_per_week: float, places: int | None,
                     activities_per_year: int) -> None:
        """Open the village's child service centre (once)."""
        if self.centre is None:
            self.centre = Centre(year, days_open_per_week, places, activities_per_year)

    # -- end of the year ---------------------------------------------------------
    def step(self, attended: int, share: float) -> None:
        """The year's centre days and activities, for the ``share`` of the year the centre
        programme ran, when its centre served ``attended`` children (a centre that served
        nobody this year was closed)."""
        c = self.centre
        if c is not None and attended > 0:
            c.open_days += c.days_open_per_week * 52 * share
            c.activities += c.activities_per_year * share
            c.attendances += attended * share


@dataclass
class VillageLedger:
    """The village agents of a model, with vectorised helpers over them.

    ``served`` holds this year's units reached by intervention, one count per village, and
    ``exposure`` the share of this year each intervention ran.
    """

    agents: list[Village] = field(default_factory=list)
    served: dict[str, np.ndarray] = field(default_factory=dict)
    exposure: dict[str, float] = field(default_factory=dict)

    def places(self, intervention, villages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Candidates and units each village can serve (``villages``: the village of each
        candidate), by village."""
        counts = np.bincount(villages, minlength=len(self.agents))
        admitted = counts.copy()
        for v in np.flatnonzero(counts) if intervention.village_limited else ():
            admitted[v] = self.agents[v].admit(intervention, int(counts[v]))
        return counts, admitted

    def admit(self, intervention, rows: np.ndarray, villages: np.ndarray) -> np.ndarray:
        """Mask over ``rows`` (in rationing order) of those their village can serve: each
        village admits the first of its candidates up to what it can serve."""
        counts, admitted = self.places(intervention, villages)
        if (admitted == counts).all():
            return np.ones(len(rows), dtype=bool)
        # rank of each row among its village's candidates, in rationing order
        order = np.argsort(villages, kind="stable")
        first = np.zeros(len(counts) + 1, dtype=np.int64)
        first[1:] = np.cumsum(counts)
        rank = np.empty(len(rows), dtype=np.int64)
        rank[order] = np.arange(len(rows)) - first[villages[order]]
        return rank < admitted[villages]

    def deliver(self, intervention, villages: np.ndarray) -> None:
        """Record each village's units reached (``villages``: the village of each unit)."""
        counts = np.bincount(villages, minlength=len(self.agents))
        name = intervention.name
        self.served[name] = counts + self.served[name] if name in self.served else counts
        self.exposure[name] = float(intervention.exposure(intervention.world.year))

    def step(self) -> None:
        """End of the year: the villages whose centre served children record its days and
        activities (:meth:`Village.step`); then a fresh tally."""
        attended = self.served.get("child_service_centre")
        if attended is not None:
            share = self.exposure.get("child_service_centre", 1.0)
            for v in np.flatnonzero(attended).tolist():
                self.agents[v].step(int(attended[v]), share)
        self.served = {}
        self.exposure = {}

    def centres(self) -> list[Centre]:
        """The centres built so far."""
        return [a.centre for a in self.agents if a.centre is not None]
