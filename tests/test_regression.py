"""Regression baseline: headline measures of small runs, stored, updated only on purpose.

A change to the model that moves any of these numbers fails this test.  When the change is
intended, regenerate the baseline and commit it with the change (say why in the message)::

    POVSIM_UPDATE_BASELINE=1 python -m pytest tests/test_regression.py

The runs: the small world (8 villages, 4,000 persons, 12 years), seeds 1 and 2, without
interventions (the fitted baseline) and with every intervention in the pilot villages.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from povsim.interventions import CLASSES
from povsim.model import PovertyModel
from povsim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = Path(__file__).parent / "data" / "regression_baseline.csv"

#: (table, measure) of the stored headline measures (all persons / all children)
MEASURES = (
    ("population", "persons"), ("population", "mean_household_size"),
    ("income_poverty", "income_poverty_rate"), ("income_poverty", "child_income_poverty_rate"),
    ("income_poverty", "mean_income_pc"), ("stunting", "stunting_prevalence"),
    ("anaemia", "anaemia_prevalence_infant"), ("health", "checkup_rate_children"),
    ("enrolment", "enrolment_rate_15_17"), ("left_behind", "left_behind_share"),
    ("development", "mean_skill_0_5"), ("living_conditions", "no_safe_water_share"),
    ("moda", "moda_headcount_rate_0_5"), ("moda", "moda_M0_6_17"),
)
YEARS = 12


def _headline(with_interventions: bool, seed: int) -> pd.DataFrame:
    s = load_scenario(ROOT / "scenarios" / "small.toml")
    if with_interventions:
        s = s.model_copy(update={"interventions": {name: {"start_year": 2014} for name in CLASSES}})
        s = type(s).model_validate(s.model_dump())
    s = s.with_overrides(time={"years": YEARS})
    m = PovertyModel(s, seed=seed)
    m.run()
    t = m.tables()
    rows = []
    for table, measure in MEASURES:
        df = t[table]
        df = df[(df["measure"] == measure) & (df["by"] == "all")]
        for year in (2014, 2019, 2014 + YEARS):
            v = df.loc[df["year"] == year, "value"]
            rows.append((int(with_interventions), seed, table, measure, year, float(v.iloc[0])))
    if with_interventions:
        prog = t["programme"]
        for measure in ("children_reached", "cost_rmb"):
            v = prog.loc[(prog["measure"] == measure) & (prog["intervention"] == "all"), "value"]
            rows.append((1, seed, "programme", measure, 2014 + YEARS, float(v.iloc[0])))
    return pd.DataFrame(rows, columns=["interventions", "seed", "table", "measure", "year", "value"])


@pytest.fixture(scope="module")
def current() -> pd.DataFrame:
    return pd.concat([_headline(iv, seed) for iv in (False, True) for seed in (1, 2)],
                     ignore_index=True)


def test_headline_measures_match_the_stored_baseline(current):
    if os.environ.get("POVSIM_UPDATE_BASELINE"):
        BASELINE.parent.mkdir(exist_ok=True)
        current.to_csv(BASELINE, index=False, float_format="%.12g")
        pytest.skip(f"baseline rewritten: {BASELINE}")
    stored = pd.read_csv(BASELINE)
    keys = ["interventions", "seed", "table", "measure", "year"]
    merged = stored.merge(current, on=keys, how="outer", suffixes=("_stored", "_now"),
                          indicator=True)
    missing = merged[merged["_merge"] != "both"]
    assert missing.empty, f"measures added or removed:\n{missing[keys]}"
    a, b = merged["value_stored"].to_numpy(), merged["value_now"].to_numpy()
    # the stored values are printed to 12 significant digits
    bad = ~(np.isclose(a, b, rtol=1e-9, atol=1e-12) | (np.isnan(a) & np.isnan(b)))
    assert not bad.any(), ("headline measures moved (regenerate the baseline only if the "
                           f"change is intended):\n{merged.loc[bad, [*keys, 'value_stored', 'value_now']]}")
