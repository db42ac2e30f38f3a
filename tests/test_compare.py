"""Paired comparison with common random numbers; cost-effectiveness; mobility metrics."""

from __future__ import annotations

import numpy as np
import pytest

from povsim.compare import compare, write_compare_results
from povsim.mobility import mobility_tables
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
    t = mobility_tables(m.world, m.params.poverty_line)["mobility"].set_index("measure")
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


def test_ratio_interval_contains_the_ratio_and_flags_unbounded_ratios():
    from povsim.compare import ratio_interval

    rng = np.random.default_rng(4)
    cost = 1000 + rng.normal(0, 50, 6)
    effect = 10 + rng.normal(0, 1, 6)
    r, lo, hi, note = ratio_interval(cost, effect)
    assert r == pytest.approx(cost.mean() / effect.mean())
    assert lo < r < hi and "delta method" in note
    # an effect whose interval includes zero: the ratio has no finite interval
    _r2, lo2, hi2, note2 = ratio_interval(cost, np.array([1.0, -1.0, 2.0, -1.5, 0.5, 0.2]))
    assert np.isnan(lo2) and np.isnan(hi2) and "not bounded" in note2
    assert np.isnan(ratio_interval(cost, -np.abs(effect))[0])


def test_cost_effectiveness_defaults_to_outcome_measures_and_labels_the_service_view(result):
    ce = result.cost_effectiveness
    pkg = ce[ce.scenario == "package"].reset_index(drop=True)
    assert pkg.loc[0, "measure"] == "moda_outcome_child_years" and pkg.loc[0, "view"] == "outcome"
    svc = pkg[pkg.view != "outcome"]
    assert list(svc.measure) == ["moda_all_child_years"] and "service" in svc.ratio.iloc[0]
    # check-ups flip a service indicator: counted, they make the package look cheaper
    by = pkg.set_index("measure")
    assert by.loc["moda_all_child_years", "outcome_averted"] > by.loc["moda_outcome_child_years", "outcome_averted"]
    for r in pkg.itertuples():  # every interval contains its ratio
        if r.ci_lo == r.ci_lo:
            assert r.ci_lo <= r.rmb_per_unit <= r.ci_hi


def test_decomposition_credits_the_health_effect_to_its_own_indicators(result):
    d = result.decomposition
    tot = d[(d.scenario == "package") & (d.moda == "all indicators") & (d.dimension == "all")].iloc[0]
    assert "no_checkup" in tot.own_indicators and "health" in tot.own_dimensions
    assert tot.from_own_dimensions + tot.from_other_dimensions == pytest.approx(tot.m0_child_years_averted)
    dims = d[(d.scenario == "package") & (d.moda == "all indicators") & (d.dimension != "all")]
    # M0 breaks down exactly by dimension; the check-ups' own dimension carries part of it
    assert dims.m0_child_years_averted.sum() == pytest.approx(tot.m0_child_years_averted)
    by = dims.set_index("dimension")
    assert by.loc["health", "m0_child_years_averted"] > 0 and by.loc["health", "own_dimensions"] == "own"
    assert by.loc["housing", "own_dimensions"] == "other"
    out = d[(d.scenario == "package") & (d.moda == "outcome indicators") & (d.dimension == "all")].iloc[0]
    assert "no_checkup" not in out.own_indicators and "health" not in out.own_dimensions
    assert "health" not in set(d[(d.scenario == "package") & (d.moda == "outcome indicators")].dimension)
    # the placebo changes nothing, whichever view
    pl = d[d.scenario == "placebo"]
    assert (pl.m0_child_years_averted == 0).all()


def test_own_indicator_map_names_declared_values_and_moda_columns():
    """VALUE_COLUMNS (an intervention's own MODA indicators) stays in step with the named
    values the modules declare and the columns the MODA configuration reads."""
    from povsim.compare import VALUE_COLUMNS
    from povsim.moda import default_moda_config_path, load_moda_config
    from povsim.registry import value_names

    assert set(VALUE_COLUMNS) <= set(value_names())
    columns = {ind.column for ind in load_moda_config(default_moda_config_path()).indicators}
    assert {c for cols in VALUE_COLUMNS.values() for c in cols} <= columns
