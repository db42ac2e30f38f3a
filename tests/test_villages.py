"""Village agents: the services they hold and the village part of an intervention's year."""

from __future__ import annotations

import numpy as np

from povsim.model import PovertyModel
from povsim.scenario import scenario_from_dict
from povsim.villages import Village, VillageLedger


class _Stub:
    """A minimal intervention: a fixed number of places per village."""

    name = "stub"
    village_limited = True  # has a village_capacity rule

    def __init__(self, places):
        self.places = places

    def village_capacity(self, village):
        return self.places.get(village.index)


class _Agent(Village):
    def __init__(self, index):  # no model needed for admit()
        self.index = index


def test_admit_keeps_the_first_candidates_of_each_village_in_rationing_order():
    ledger = VillageLedger([_Agent(i) for i in range(3)])
    villages = np.array([2, 0, 2, 1, 0, 2, 0, 2])
    rows = np.arange(8) * 10
    keep = ledger.admit(_Stub({0: 1, 2: 2}), rows, villages)
    # village 0 admits its first candidate (row 10), village 1 has no limit (row 30),
    # village 2 its first two (rows 0 and 20)
    assert rows[keep].tolist() == [0, 10, 20, 30]


def _scenario(interventions, years=3):
    return scenario_from_dict({
        "scenario": {"name": "v"},
        "population": {"persons": 8000, "pilot_villages": 6, "comparison_villages": 2,
                       "townships": 8},
        "time": {"start_year": 2014, "years": years},
        "interventions": interventions})


def test_home_visit_volunteers_cap_each_village_separately():
    cfg = {"start_year": 2014, "volunteers": 12, "visits_per_volunteer": 24,
           "visits_per_child": 24, "targeting": {"villages": "pilot", "max_age": 5}}
    m = PovertyModel(_scenario({"home_visits": cfg}, years=1), seed=2)
    m.run()
    agents = m.villages.agents
    pilot = [a for a in agents if a.pilot]
    assert [a.staff["home_visits"] for a in pilot] == [2] * 6
    assert all(a.staff["home_visits"] == 0 for a in agents if not a.pilot)
    # two volunteers x 24 visits / 24 visits a child = 2 children per village
    iv = m.interventions[0]
    assert iv.reach_log[-1][1] == 2 * 6


def test_centres_are_built_where_children_are_served_and_count_open_days():
    cfg = {"start_year": 2014, "days_open_per_week": 2.0, "activities_per_year": 10}
    m = PovertyModel(_scenario({"child_service_centre": cfg}, years=2), seed=4)
    m.run()
    built = [a for a in m.villages.agents if a.centre is not None]
    assert {a.index for a in built} == {a.index for a in m.villages.agents if a.pilot}
    for a in built:
        assert a.centre.built == 2015
        assert a.centre.open_days == 2 * 104  # 2 days a week, 2 years
        assert a.centre.activities == 20
        assert a.centre.attendances > 0


def test_a_centre_that_would_serve_nobody_is_neither_built_nor_costed():
    cfg = {"start_year": 2014, "coverage": 0.0}
    m = PovertyModel(_scenario({"child_service_centre": cfg}, years=2), seed=4)
    m.run()
    assert m.villages.centres() == []
    assert m.interventions[0].costs == []
