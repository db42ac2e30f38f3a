"""``scale`` is a sampling fraction (issue 12 item 11): a scaled run simulates an equal-
probability sample of whole villages and weights it, so per-capita outcomes, costs per
child and totals estimate the full-scale ones; caps and capacities scale with it; every
output states the scale.

The statistical checks compare one full-scale run with R runs at scale 0.1 (each a
different sample of villages): the sampled estimates' mean must lie within 4 standard
errors of the full-scale value, the standard error combining the sampled runs' spread
(s / sqrt(R)) and the full-scale run's own simulation noise (about s x sqrt(scale), since
the variance of a village-sample estimate falls in proportion to the villages simulated).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povsim.geography import build_geography, sample_villages
from povsim.model import PovertyModel
from povsim.params import Parameters
from povsim.rng import Streams
from povsim.scenario import load_scenario, scenario_from_dict

SCALE = 0.1
R = 8


def _area(scale: float, years: int = 4, persons: int = 60_000, villages: int = 200):
    """A synthetic area of ``villages`` villages (half pilot) with a costed programme in
    the pilot villages: centres (per-centre fixed costs), home visits (volunteers), and
    school meals (per child)."""
    return scenario_from_dict({
        "scenario": {"name": "area"},
        "population": {"persons": persons, "pilot_villages": villages // 2,
                       "comparison_villages": villages // 2, "townships": 40, "scale": scale},
        "time": {"start_year": 2014, "years": years},
        "interventions": {
            "child_service_centre": {"start_year": 2014},
            "home_visits": {"start_year": 2014, "volunteers": 200},
            "school_meals": {"start_year": 2014, "capacity": 3000}}})


def _measures(m: PovertyModel) -> dict[str, float]:
    t = m.tables()
    prog = t["programme"]
    tot = prog[prog.intervention == "all"].set_index("measure").value
    last = m.world.year

    def rate(table, measure):
        d = t[table]
        return float(d[(d.by == "all") & (d.measure == measure) & (d.year == last)].value.iloc[0])

    return {
        "cost_per_child_reached_rmb": tot["cost_per_child_reached_rmb"],
        "cost_rmb": tot["cost_rmb"],
        "children_reached": tot["children_reached"],
        "centres": tot["centres"],
        "persons": rate("population", "persons"),
        "income_poverty_rate": rate("income_poverty", "income_poverty_rate"),
        "stunting_prevalence": rate("stunting", "stunting_prevalence"),
        "moda_headcount_rate_0_5": rate("moda", "moda_headcount_rate_0_5"),
    }


@pytest.fixture(scope="module")
def runs():
    full = PovertyModel(_area(1.0), seed=1)
    full.run()
    sampled = []
    for r in range(R):
        m = PovertyModel(_area(SCALE), seed=100 + r)
        m.run()
        sampled.append(_measures(m))
    return _measures(full), pd.DataFrame(sampled), full


def test_scaled_runs_estimate_the_full_scale_run_within_sampling_error(runs):
    full, sampled, _ = runs
    for key, value in full.items():
        s = sampled[key].std(ddof=1)
        se = s * np.sqrt(1.0 / R + SCALE)
        assert abs(sampled[key].mean() - value) <= 4 * se + 1e-9 * abs(value), (
            f"{key}: full scale {value:.6g}, scale {SCALE}: {sampled[key].mean():.6g} "
            f"(sd {s:.3g} over {R} samples)")


def test_cost_per_child_does_not_inflate_with_small_scale(runs):
    # the shrinking-ray bug (issue 12): every village at a tenth of its size made per-centre
    # costs weigh ten times as much per child (cost per child 9x the full-scale value)
    full, sampled, _ = runs
    ratio = sampled["cost_per_child_reached_rmb"].mean() / full["cost_per_child_reached_rmb"]
    assert 0.8 < ratio < 1.25
    assert (sampled["centres"] % 10 == 0).all()  # whole centres x 1 / scale


def test_outputs_state_the_scale_and_sampled_villages_keep_their_size(runs):
    _, _, full = runs
    m = PovertyModel(_area(SCALE, years=1), seed=3)
    m.run()
    t = m.tables()
    pop = t["population"]
    frac = pop[(pop.measure == "sampling_fraction") & (pop.by == "all")].value
    assert (frac == SCALE).all()
    prog = t["programme"]
    assert prog.set_index("measure").value["sampling_fraction"] == SCALE
    # whole villages: the sampled villages are as large as at full scale
    per_village = m.world.P.n / m.world.geo.n
    assert per_village == pytest.approx(full.world.P.n / full.world.geo.n, rel=0.15)
    assert m.world.geo.n == pytest.approx(0.1 * full.world.geo.n, abs=1)


def test_capacities_and_caps_scale_with_the_sample():
    m = PovertyModel(_area(SCALE, years=1), seed=4)
    hv = next(iv for iv in m.interventions if iv.name == "home_visits")
    meals = next(iv for iv in m.interventions if iv.name == "school_meals")
    m.run()
    posted = sum(a.staff.get("home_visits", 0) for a in m.villages.agents)
    assert posted == round(200 * SCALE)
    assert meals.capacity(m.world) == round(3000 * SCALE)
    assert hv.scaled(240) == 24


def test_systematic_sample_has_equal_inclusion_probabilities():
    s = _area(1.0)
    params = Parameters(s.parameters)
    frame = build_geography(s.population, params, Streams(1))
    counts = np.zeros(frame.n)
    n_draws = 400
    for seed in range(n_draws):
        g = sample_villages(frame, 0.25, Streams(seed))
        counts[[frame.names.index(v) for v in g.names]] += 1
        # every stratum keeps its share to within one village
        assert abs(int(g.pilot.sum()) - 0.25 * frame.pilot.sum()) <= 1
    p = counts / n_draws
    # each village is drawn with probability 0.25 (binomial SE sqrt(.25 x .75 / 400) = 0.022)
    assert np.abs(p - 0.25).max() < 5 * np.sqrt(0.25 * 0.75 / n_draws)


def test_area_geography_is_the_hubei_pilot_at_one_to_one():
    s = load_scenario("scenarios/baseline.toml")
    geo = build_geography(s.population, Parameters(s.parameters), Streams(1))
    assert geo.counties == ("Yangxin", "Wufeng", "Tongshan", "Xuan'en", "Dawu", "Yunyang",
                            "Luotian", "Baokang")
    assert int(geo.pilot.sum()) == 80
    assert np.bincount(geo.county[geo.pilot]).tolist() == [10] * 8
    assert int(geo.project_township.sum()) == 66 and len(geo.township_names) == 104
    assert geo.project[geo.pilot].all()
    # every project township holds at least one pilot village; the seat townships none
    assert set(np.unique(geo.township[geo.pilot])) == set(np.flatnonzero(geo.project_township))
    # the file's county populations (2014 residents), up to rounding village by village
    assert 3.6e6 < geo.persons < 3.8e6
    assert abs(geo.persons - s.population.frame_persons) < 0.001 * geo.persons
    assert geo.sampling_fraction == 1.0 and geo.n == geo.frame_villages > 2000


def test_townships_a_scenario_may_name_are_those_of_the_counties_it_simulates(monkeypatch):
    """An area file sharing only some counties with the default (Hubei) list simulates all
    of its counties: ``targeting.townships`` may name the townships of every one."""
    import dataclasses

    from povsim import geography

    hubei = geography.load_area("hubei_pilot_area")
    other = dataclasses.replace(hubei, counties=(dataclasses.replace(hubei.counties[0], name="Elsewhere"),
                                                 *hubei.counties[1:]))
    monkeypatch.setattr(geography, "load_area", lambda name: other)
    s = load_scenario("scenarios/baseline.toml")
    geo = build_geography(s.population, Parameters(s.parameters), Streams(1))
    names = geography.township_names(s.population)
    assert "Elsewhere" in geo.counties and len(geo.counties) == 8
    assert len(names) == len(geo.township_names) == 104
    assert any(n.startswith("Elsewhere/") for n in names)


@pytest.mark.slow
def test_hubei_pilot_at_scale_1_and_0_1_agree_within_sampling_error():
    """The shipped pilot at full scale and at scale 0.1 (4 samples), to 2018."""
    s = load_scenario("scenarios/hubei_pilot.toml")

    def measures(scale, seed):
        m = PovertyModel(s.with_overrides(population={"scale": scale}, time={"years": 5}), seed=seed)
        m.run()
        return _measures(m)

    full = measures(1.0, 1)
    sampled = pd.DataFrame([measures(SCALE, 50 + r) for r in range(4)])
    for key in ("cost_per_child_reached_rmb", "children_reached", "cost_rmb",
                "income_poverty_rate", "moda_headcount_rate_0_5"):
        sd = sampled[key].std(ddof=1)
        assert abs(sampled[key].mean() - full[key]) <= 4 * sd * np.sqrt(1 / 4 + SCALE) + 1e-9, key


def test_rates_and_means_of_a_sampled_run_are_not_weighted():
    """Life expectancy, fertility and the poverty lines are not counts: a 5% sample
    reports them as a full-scale run does (they were multiplied by 1 / scale)."""
    def tables(scale: float) -> dict[str, pd.DataFrame]:
        m = PovertyModel(_area(scale, years=3, persons=40_000, villages=100), seed=4)
        m.run()
        return m.tables()

    full, sampled = tables(1.0), tables(0.05)

    def value(t, table, measure):
        d = t[table]
        d = d[(d.by == "all") & (d.measure == measure)]
        return float(d.value.iloc[-1])

    for measure, lo, hi in (("life_expectancy", 40, 95), ("tfr", 0.5, 4.0)):
        v_full, v_sample = value(full, "demography", measure), value(sampled, "demography", measure)
        assert lo < v_full < hi and lo < v_sample < hi, (measure, v_full, v_sample)
    line = "poverty_lines"
    if line in full and len(full[line]):
        m = full[line].measure.iloc[0]
        assert value(sampled, line, m) == pytest.approx(value(full, line, m))
    # counts are weighted: the sample's persons estimate the area's
    assert value(sampled, "population", "persons") == pytest.approx(value(full, "population", "persons"), rel=0.25)
