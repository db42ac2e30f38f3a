"""The programme as delivered: calendar dates and partial-year exposure, township- and
county-level targeting, trainings and management costs, the programme fidelity table,
and MODA on outcome indicators."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from povsim.errors import ScenarioErrors
from povsim.interventions.base import year_share
from povsim.model import PovertyModel
from povsim.programme import HUBEI_FIGURES, fidelity_table, render_fidelity
from povsim.scenario import scenario_from_dict

POP = {"persons": 4000, "pilot_villages": 4, "comparison_villages": 4, "townships": 8}


def _model(interventions, years=3, parameters=None, start=2013):
    s = scenario_from_dict({"scenario": {"name": "p"}, "population": POP,
                            "time": {"start_year": start, "years": years},
                            "interventions": interventions, "parameters": parameters or {}})
    m = PovertyModel(s, seed=3)
    m.run()
    return m


def test_year_share_counts_days():
    launch, end = dt.date(2014, 2, 18), dt.date(2017, 7, 31)
    assert year_share(2014, launch, end) == pytest.approx(317 / 365)
    assert year_share(2015, launch, end) == 1.0
    assert year_share(2017, launch, end) == pytest.approx(212 / 365)
    assert year_share(2018, launch, end) == 0.0
    assert year_share(2016, None, None) == 1.0
    # the Hubei pilot ran 3.45 years
    assert sum(year_share(y, launch, end) for y in range(2014, 2018)) == pytest.approx(3.45, abs=0.01)


def test_dates_set_the_years_and_partial_years_scale_running_costs_not_set_up():
    cfg = {"start_date": dt.date(2014, 7, 1), "end_date": dt.date(2015, 3, 31),
           "days_open_per_week": 2.0, "activities_per_year": 10}
    m = _model({"child_service_centre": cfg}, parameters={"programme_management_share": 0.0})
    iv = m.interventions[0]
    assert (iv.cfg.start_year, iv.cfg.end_year) == (2014, 2015)
    assert not iv.active(2016)
    c = m.tables()["costs"]
    p = m.params
    yearly = p.centre_operating_cost + 10 * p.centre_activity_cost
    share14, share15 = 184 / 365, 90 / 365
    run = c[c.item == "running"].groupby("year").cost_rmb.sum()
    centres = len(m.villages.centres())
    assert centres == 4
    assert run[2014] == pytest.approx(centres * yearly * share14)
    assert run[2015] == pytest.approx(centres * yearly * share15)
    assert c[c.item == "set-up"].cost_rmb.sum() == pytest.approx(centres * p.centre_setup_cost)
    # open days follow the share of the year the centres ran
    days = sum(a.open_days for a in m.villages.centres())
    assert days == pytest.approx(centres * 2 * 52 * (share14 + share15))
    # the effect of a partial year's service is scaled too: fidelity x exposure while active
    m.world.year = 2015
    assert iv.fidelity == pytest.approx(iv.nominal_fidelity * share15)
    m.world.year = 2020
    assert iv.fidelity == iv.nominal_fidelity  # later years: lasting effects at full fidelity


@pytest.mark.parametrize("cfg,expect", [
    ({"start_date": dt.date(2014, 2, 18), "start_year": 2015}, "start_year equal to the year of start_date"),
    ({"start_date": dt.date(2015, 1, 1), "end_date": dt.date(2014, 12, 31)}, "end_date on or after start_date"),
])
def test_inconsistent_dates_are_reported(cfg, expect):
    with pytest.raises(ScenarioErrors) as info:
        scenario_from_dict({"scenario": {"name": "bad"}, "interventions": {"home_visits": cfg}})
    assert expect in str(info.value)


def test_resolved_scenario_with_dates_reloads_identically():
    s = scenario_from_dict({"scenario": {"name": "d"}, "population": POP, "interventions": {
        "home_visits": {"start_date": dt.date(2014, 2, 18), "end_date": dt.date(2017, 7, 31)}}})
    again = scenario_from_dict(s.resolved_dict())
    assert again.interventions == s.interventions
    assert again.interventions["home_visits"]["end_year"] == 2017


def test_township_level_targeting_and_trainings_and_management():
    iv = {"health_services": {"start_year": 2014, "targeting": {"villages": "project"},
                              "trainings_per_year": 12}}
    m = _model(iv, years=2)
    geo = m.world.geo
    h = m.interventions[0]
    served = np.unique(m.world.H.village[m.world.P.hh[np.flatnonzero(h.reached)]])
    assert geo.project[served].all()
    assert geo.project.sum() > geo.pilot.sum()  # whole townships, not only pilot villages
    c = m.tables()["costs"]
    tr = c[c.item == "training"]
    assert set(tr.village) == {"county/township level"} and set(tr.county) == {"all"}
    assert tr.units.sum() == pytest.approx(24)
    assert tr.cost_rmb.sum() == pytest.approx(24 * m.params.training_session_cost)
    direct = c[c.item != "management"].cost_rmb.sum()
    assert c[c.item == "management"].cost_rmb.sum() == pytest.approx(direct * m.params.programme_management_share)
    prog = m.tables()["programme"].set_index(["measure", "intervention"]).value
    assert prog[("training_sessions", "all")] == pytest.approx(24)


def test_fidelity_table_compares_each_figure_and_flags_the_10_percent_band():
    rows = []
    for rep, factor in ((0, 1.02), (1, 1.06)):
        for f in HUBEI_FIGURES:
            measure = f.measure
            rows.append((rep, measure, f.intervention, f.value * factor))
    prog = pd.DataFrame(rows, columns=["replicate", "measure", "intervention", "value"])
    t = fidelity_table(prog)
    assert len(t) == len(HUBEI_FIGURES)
    row = t.set_index("figure").loc["children benefiting"]
    assert row.simulated == pytest.approx(219_000 * 1.04) and row["min"] == pytest.approx(219_000 * 1.02)
    assert row.check == "within 10%"
    held = t[t.kind.isin(["persons", "money"])]
    assert set(held.check) == {"within 10%"} and set(t[~t.kind.isin(["persons", "money"])].check) == {"n/a"}
    far = prog.assign(value=np.where(prog.measure == "centres", 60.0, prog.value))
    assert fidelity_table(far).set_index("figure").loc["child service centres"].check == "OUTSIDE 10%"
    text = render_fidelity(t, 0.1)
    assert "219,000" in text and "10% sample" in text and "definitions" in text


def test_moda_outcome_view_drops_service_indicators():
    from povsim.moda import default_moda_config_path, load_moda_config
    from povsim.moda.views import outcome_view, service_indicators

    cfg = load_moda_config(default_moda_config_path())
    assert set(service_indicators(cfg)) == {"no_checkup", "uninsured", "dibao_gap"}
    assert all(ind.kind in ("outcome", "service") for ind in cfg.indicators)
    view = outcome_view(cfg)
    assert {ind.name for ind in view.indicators} == {ind.name for ind in cfg.indicators} - {
        "no_checkup", "uninsured", "dibao_gap"}
    assert "health" not in view.dimensions and "social_protection" in view.dimensions
    # a run collects both views; the outcome view's H cannot exceed the full view's
    m = _model({}, years=2, start=2014)
    t = m.tables()
    full, out = t["moda"], t["moda_outcome"]
    sel = lambda d: d[(d.by == "all") & (d.measure == "moda_headcount_rate_0_5")].value.to_numpy()  # noqa: E731
    assert len(sel(out)) == 3 and (sel(out) <= sel(full) + 1e-12).all()
    assert "moda_outcome_patterns" in t


@pytest.mark.slow
def test_shipped_pilot_lands_within_10_percent_of_the_brochure():
    """The full-scale hubei_pilot scenario (every person of the 8 counties), to 2018."""
    from povsim.runner import run_scenario
    from povsim.scenario import load_scenario

    s = load_scenario("scenarios/hubei_pilot.toml").with_overrides(time={"years": 5})
    res = run_scenario(s, replicates=1, seed=1)
    t = fidelity_table(res.tables["programme"]).set_index("figure")
    for figure in ("children benefiting", "programme investment (RMB)", "child service centres",
                   "children reached by home visits", "children with special needs helped"):
        assert t.loc[figure, "check"] == "within 10%", (figure, t.loc[figure, "simulated"])
