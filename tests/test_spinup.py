"""Spin-up from history: size, consistency, cache (bit-identical, keyed), common random
numbers, history tables, and the labelled synthetic start."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povsim.interventions import CLASSES
from povsim.model import PovertyModel
from povsim.runner import run_scenario
from povsim.scenario import scenario_from_dict

POP = {"persons": 3000, "pilot_villages": 4, "comparison_villages": 4, "townships": 8,
       "start": "spinup", "spinup_from": 2004}


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("POVSIM_CACHE_DIR", str(folder))
    return folder / "spinup"


def scenario(population=None, interventions=None, parameters=None, years=3):
    return scenario_from_dict({
        "scenario": {"name": "s"}, "population": {**POP, **(population or {})},
        "time": {"start_year": 2014, "years": years}, "interventions": interventions or {},
        "parameters": parameters or {}})


def test_spun_up_world_has_the_scenario_size_and_is_consistent(cache):
    m = PovertyModel(scenario(), seed=3)
    w = m.world
    assert m.initial.start == "spinup" and not m.initial.cached
    # trimmed whole households at a time: at most one household over per village
    assert 3000 <= w.P.n <= 3000 + 8 * 12, w.P.n
    assert w.year == 2014
    w.check_invariants()
    assert (w.P.origin_village >= 0).all()
    # lineage reaches back into history: persons born in the spin-up, and the dead of it
    assert (w.P.birth_year > 2004).sum() > 100
    assert len(w.archived()["id"]) > 0
    hist = m.tables()["history_population"]
    assert sorted(hist["year"].unique()) == list(range(2004, 2014))


def test_cached_spinup_is_bit_identical_to_a_fresh_one(cache):
    a = PovertyModel(scenario(), seed=7)
    b = PovertyModel(scenario(), seed=7)
    assert not a.initial.cached and b.initial.cached
    assert len(list(cache.glob("spinup-*.npz"))) == 1
    for col in a.world.P.columns:
        np.testing.assert_array_equal(a.world.P[col], b.world.P[col], err_msg=col)
    for col in a.world.H.columns:
        np.testing.assert_array_equal(a.world.H[col], b.world.H[col], err_msg=col)
    a.run()
    b.run()
    ta, tb = a.tables(), b.tables()
    assert set(ta) == set(tb)
    for k in ta:
        pd.testing.assert_frame_equal(ta[k], tb[k], check_exact=True, obj=k)


def test_cache_key_follows_seed_parameters_and_size_but_not_interventions(cache):
    base = PovertyModel(scenario(), seed=1).initial
    assert PovertyModel(scenario(), seed=2).initial.key != base.key
    assert PovertyModel(scenario(parameters={"household_split": 0.05}), seed=1).initial.key != base.key
    assert PovertyModel(scenario(population={"persons": 3200}), seed=1).initial.key != base.key
    # an intervention acts only from the start year: the same spun-up world
    iv = PovertyModel(scenario(interventions={"home_visits": {"start_year": 2014}}), seed=1).initial
    assert iv.key == base.key and iv.cached


def _null_effects() -> dict:
    """The zero-effect parameter set of tests/test_interventions.py (one list of them)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "_interventions_tests", Path(__file__).with_name("test_interventions.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.NULL_EFFECTS


def test_zero_effect_interventions_on_a_spun_up_world_are_bit_identical(cache):
    # every intervention targeted, rationed and costed, with all its effects at zero
    null = _null_effects()
    everything = {name: {"start_year": 2014} for name in CLASSES}
    base = PovertyModel(scenario(parameters=null), seed=5)
    alt = PovertyModel(scenario(interventions=everything, parameters=null), seed=5)
    assert alt.initial.cached and alt.initial.key == base.initial.key
    base.run()
    alt.run()
    skip = {"costs", "reach", "budget", "programme", "programme_summary"}
    tb, ta = base.tables(), alt.tables()
    for k in tb:
        if k not in skip:
            pd.testing.assert_frame_equal(tb[k], ta[k], check_exact=True, obj=k)


def test_history_moves_the_way_history_did(cache):
    m = PovertyModel(scenario(population={"persons": 6000, "spinup_from": 1980}, years=1), seed=2)
    t = m.tables()

    def series(table, measure):
        d = t[f"history_{table}"]
        return d[d["measure"] == measure].set_index("year")["value"]

    # migration waves: few children left behind in the 1980s, about a third by 2010
    lb = series("left_behind", "left_behind_share")
    assert lb[1985] < 0.1 < 0.2 < lb[2010]
    # rural poverty at the 2010 line: nearly everyone in 1980, a fraction in 2010
    pov = series("income_poverty", "income_poverty_rate")
    assert pov[1981] > 0.8 and pov[2010] < 0.45
    # schooling expansion: enrolment at 12-14 rises
    e = series("enrolment", "enrolment_rate_12_14")
    assert e[2010] > e[1990] + 0.1
    # completed fertility of women 45-49 falls from the high-fertility cohorts
    cfr = series("demography", "completed_fertility_45_49")
    assert cfr[1985] > cfr[2010] + 1.0


def test_synthetic_start_is_still_available_and_labelled(cache, tmp_path):
    import json

    from povsim.runs import write_run_results

    s = scenario(population={"start": "synthetic"}, years=1)
    res = run_scenario(s, replicates=1, seed=1)
    assert any("synthetic" in n for n in res.notes)
    assert not any(k.startswith("history_") for k in res.tables)
    spun = run_scenario(scenario(years=1), replicates=1, seed=1)
    assert [n for n in spun.notes if "initial population" in n] == [
        f"initial population: spun up from {spun.scenario.population.spinup_from} to "
        f"{spun.scenario.time.start_year} by the model's own processes (povsim.spinup)"]
    assert "history_population" in spun.tables
    # the label travels with the results folder
    folder = write_run_results(res, out=tmp_path / "r", force=False, input_files=[],
                               command_line=["test"], figures=False)
    notes = json.loads((folder / "manifest.json").read_text())["extra"]["notes"]
    assert any("synthetic draw" in n for n in notes)


def test_spinup_year_must_precede_the_start(cache):
    from povsim.errors import RunError

    with pytest.raises(RunError, match="spinup_from"):
        PovertyModel(scenario(population={"spinup_from": 2013}, years=1)
                     .with_overrides(time={"start_year": 2013}), seed=1)
