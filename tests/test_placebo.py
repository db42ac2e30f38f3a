"""True placebos: every intervention at fidelity 0, and at coverage 0, leaves every outcome
table bit-identical to the baseline (same seed); at coverage 0 it also books no cost and
builds nothing (issue 16 item 4; shared/notes/validation.md, "Placebos").

Each intervention runs alone, from the first simulated year, in every village of a small
synthetic world, so its targeting, rationing, capacity and costing all run.
"""

from __future__ import annotations

import functools

import pandas as pd
import pytest

from povsim.interventions import CLASSES
from povsim.model import PovertyModel
from povsim.scenario import scenario_from_dict

POP = {"persons": 4000, "pilot_villages": 4, "comparison_villages": 4, "townships": 8}
YEARS = 4
SEED = 7
PROGRAMME_TABLES = ("costs", "reach", "budget", "programme")



def _scenario(interventions: dict) -> object:
    return scenario_from_dict({
        "scenario": {"name": "placebo"}, "population": POP,
        "time": {"start_year": 2014, "years": YEARS}, "interventions": interventions})


def _run(interventions: dict) -> PovertyModel:
    m = PovertyModel(_scenario(interventions), seed=SEED)
    m.run()
    return m


@functools.cache
def _baseline_tables() -> dict[str, pd.DataFrame]:
    return _run({}).tables()


def _assert_outcomes_identical(model: PovertyModel) -> None:
    base = _baseline_tables()
    tables = {k: v for k, v in model.tables().items() if k not in PROGRAMME_TABLES}
    assert set(tables) == set(base)
    for name, df in tables.items():
        pd.testing.assert_frame_equal(df, base[name], check_exact=True, obj=name)


def _config(name: str, **settings) -> dict:
    return {name: {"start_year": 2014, "targeting": {"villages": "all"}, **settings}}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_fidelity_zero_is_a_placebo(name):
    m = _run(_config(name, fidelity=0.0))
    iv = m.interventions[0]
    # the programme was delivered (someone reached; costed) ...
    assert sum(units for _y, units, _k in iv.reach_log) > 0
    assert m.tables()["programme"].query("measure == 'cost_rmb' and intervention == 'all'").value.iloc[0] > 0
    # ... and changed nothing
    _assert_outcomes_identical(m)


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_coverage_zero_is_a_placebo_and_costs_nothing(name):
    m = _run(_config(name, coverage=0.0))
    _assert_outcomes_identical(m)
    iv = m.interventions[0]
    assert iv.costs == []
    assert all(units == 0 for _y, units, _k in iv.reach_log)
    prog = m.tables()["programme"]
    totals = prog[prog.intervention == "all"].set_index("measure").value
    assert totals["cost_rmb"] == 0 and totals["children_reached"] == 0 and totals["centres"] == 0
    assert m.villages.centres() == []
