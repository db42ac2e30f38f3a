"""Mobility measured within birth cohorts (known answers) and the run's mobility tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from povsim.mobility import mobility_tables, transition, within_cohort_slope
from povsim.model import PovertyModel
from povsim.scenario import scenario_from_dict


def _cohorts(n=60_000, beta=0.4, growth=0.5, seed=0):
    """Pairs from 6 cohorts: each cohort's parents and children richer by ``growth``."""
    rng = np.random.default_rng(seed)
    c = rng.integers(0, 6, n)
    x = growth * c + rng.normal(0, 0.6, n)
    y = 2 * growth * c + beta * (x - growth * c) + rng.normal(0, 0.5, n)
    return x, y, c


def test_within_cohort_slope_recovers_the_elasticity_that_pooling_inflates():
    x, y, c = _cohorts()
    r = within_cohort_slope(x, y, c)
    # SE of the slope ~ 0.5 / (0.6 sqrt(n)) = 0.0034
    assert abs(r["b"] - 0.4) < 5 * r["se"], r
    assert r["se"] == pytest.approx(0.5 / 0.6 / np.sqrt(len(x)), rel=0.1)
    assert r["b"] == pytest.approx(r["sxy"] / r["sxx"])
    pooled = np.polyfit(x, y, 1)[0]
    assert pooled > 0.9  # cohorts that share income growth inflate the pooled slope


def test_grandparent_term_is_zero_when_only_parents_matter():
    rng = np.random.default_rng(1)
    n = 40_000
    c = rng.integers(0, 4, n)
    g = rng.normal(0, 1, n)
    x = 0.5 * g + rng.normal(0, 1, n)
    y = 0.4 * x + rng.normal(0, 1, n)
    r = within_cohort_slope(x, y, c, g)
    assert abs(r["b"] - 0.4) < 5 * r["se"]
    assert abs(r["b_z"]) < 5 * r["se_z"]


def test_transition_matrix_rows_and_perfect_persistence():
    ranks = np.linspace(0.001, 1, 1000)
    d = pd.DataFrame({"parent_rank": ranks, "child_rank": ranks})
    m = transition(d)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.diag(m), 1.0)
    rng = np.random.default_rng(2)
    d = pd.DataFrame({"parent_rank": rng.random(50_000), "child_rank": rng.random(50_000)})
    m = transition(d)
    assert np.abs(m - 0.2).max() < 0.03  # independence: 0.2 everywhere (SE ~0.004)


@pytest.fixture(scope="module")
def run_tables():
    s = scenario_from_dict({"scenario": {"name": "mob"}, "population": {"persons": 6000},
                            "time": {"start_year": 2014, "years": 40}})
    m = PovertyModel(s, seed=4)
    m.run()
    return mobility_tables(m.world, m.params.poverty_line)


def test_run_mobility_tables_carry_definitions_and_consistent_tidy_values(run_tables):
    mob = run_tables["mobility"].set_index("measure")
    for k in ("ige_within_cohort", "rank_rank_within_cohort", "schooling_slope_within_cohort",
              "ige_pooled", "transition_mean_diagonal", "top_top_minus_top_bottom"):
        assert k in mob.index
        assert isinstance(mob.loc[k, "definition"], str) and mob.loc[k, "definition"]
    assert "POOLED" in mob.loc["ige_pooled", "definition"]
    assert 0.0 < mob.loc["ige_within_cohort", "value"] < 1.0
    coh = run_tables["mobility_cohorts"]
    sl = coh[coh["measure"].isin(["ige", "rank_rank"])].dropna(subset=["value"])
    np.testing.assert_allclose(sl["value"], sl["numerator"] / sl["denominator"])
    trans = run_tables["mobility_transition"]
    rows = trans.groupby(["by", "group"])["value"].sum()
    np.testing.assert_allclose(rows, 1.0)
    groups = run_tables["mobility_groups"]
    assert {"sex", "county", "arm"} <= set(groups["by"])
