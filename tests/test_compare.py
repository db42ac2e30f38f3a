"""Paired comparison with common random numbers; cost-effectiveness; mobility metrics."""

from __future__ import annotations

import numpy as np
import pytest

from povsim.compare import compare, write_compare_results
from povsim.mobility import mobility_table
from povsim.model import PovertyModel
from povsim.scenario import scenario_from_dict

POP = {"persons": 3000, "pilot_villages": 3, "comparison_villages": 3, "townships": 8}


def sc(name, interventions=None, parameters=None, years=6):
    return scenario_from_dict({"scenario": {"name": name}, "population": POP,
                               "time": {"start_year": 2014, "years": years},
                               "interventions": interventions or {},
                               "parameters": parameters or {}})


@pytest.fixture(scope="module")
def result():
    base = sc("base")
    placebo = sc("placebo", {"infant_nutrition": {}},
                 {"yyb_haz_effect": 0.0, "yyb_hb_effect": 0.0})
    package = sc("package", {"wash_upgrade": {}, "home_visits": {}, "health_services": {}})
    return compare(base, [placebo, package], replicates=3, seed=11)


def test_placebo_differences_are_exactly_zero_but_cost_positive(result):
    d = result.differences
    p = d[(d.scenario == "placebo") & ~d.measure.str.startswith("cost")]
    assert len(p) > 10
    assert (p.diff_mean == 0).all() and (p.ci_lo == 0).all() and (p.ci_hi == 0).all()
    c = d[(d.scenario == "placebo") & (d.measure == "cost_rmb")]
    assert c.diff_mean.iloc[0] > 0


def test_package_lowers_moda_poverty_with_interval_below_zero(result):
    d = result.differences
    row = d[(d.scenario == "package") & (d.measure == "moda_headcount_rate_0_5")
            & d["when"].str.startswith("+5 years")].iloc[0]
    assert row.diff_mean < 0 and row.ci_hi < 0
    assert row.replicates == 3
    # the interval is the t interval of the replicate differences
    assert row.ci_lo < row.diff_mean < row.ci_hi


def test_treated_cohort_effects_at_ages_the_horizon_allows(result):
    d = result.differences
    t = d[(d.scenario == "package") & d.measure.str.startswith("treated_")]
    whens = " ".join(t["when"])
    for age in ("age 2", "age 5", "age 10", "age 17"):
        assert f"treated: {age}" in whens
    assert "ages 30-40" not in whens  # beyond a 6-year horizon
    assert (t.replicates == 3).all()
    # the placebo's treated children are the same persons with the same outcomes
    p = d[(d.scenario == "placebo") & d.measure.str.startswith("treated_")]
    assert len(p) >= 3 and (p.diff_mean == 0).all()


def test_cost_effectiveness_ratio_is_cost_over_effect(result):
    ce = result.cost_effectiveness
    row = ce[(ce.scenario == "package") & ce.ratio.str.startswith("per child-year")].iloc[0]
    assert row.outcome_averted > 0 and row.incremental_cost_discounted_rmb > 0
    assert row.rmb_per_unit == pytest.approx(row.incremental_cost_discounted_rmb
                                             / row.outcome_averted)
    pts = result.ce_points[result.ce_points.scenario == "package"]
    assert len(pts) == 3 and (pts.effect > 0).all()
    assert pts.cost.mean() == pytest.approx(row.incremental_cost_discounted_rmb)


def test_compare_writes_tables_figures_and_manifest(result, tmp_path):
    write_compare_results(result, tmp_path, command_line=["povsim", "compare"], input_files=[])
    assert (tmp_path / "differences.csv").stat().st_size > 0
    assert (tmp_path / "tables" / "package" / "moda.csv").exists()
    assert (tmp_path / "figures" / "ce_plane.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "manifest.json").exists()


def test_mobility_measures_in_plausible_ranges():
    s = scenario_from_dict({"scenario": {"name": "mob"}, "population": {"persons": 8000},
                            "time": {"start_year": 2014, "years": 45}})
    m = PovertyModel(s, seed=2)
    m.run()
    t = mobility_table(m.world, m.params.poverty_line).set_index("measure")
    # intergenerational income elasticity and schooling persistence within birth cohorts:
    # positive, below 1 (a 45-year run from a synthetic start: cohorts born 2014 on)
    for k in ("ige_within_cohort", "schooling_slope_within_cohort", "rank_rank_within_cohort"):
        assert 0.05 < t.loc[k, "value"] < 0.95, k
        assert t.loc[k, "n"] > 300
    # transmission: children growing up poor are more often relatively poor as adults
    poor = t.loc["p_adult_poor_relative_given_child_poor"]
    nonpoor = t.loc["p_adult_poor_relative_given_child_nonpoor"]
    if poor["n"] >= 30:
        assert poor["value"] > nonpoor["value"] - 2 * np.hypot(poor["se"], nonpoor["se"])
