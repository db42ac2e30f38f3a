"""The planner's pieces: plan files, per-village coverage in the model, the village
recorder, the outcome MODA, response surfaces and the cost model."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from povsim.errors import ScenarioErrors
from povsim.moda import default_moda_config_path, load_moda_config
from povsim.model import PovertyModel
from povsim.plan.measures import outcome_moda_config
from povsim.plan.schema import load_plan
from povsim.plan.surrogate import Basis, DesignData, fit_costs, fit_surrogate, shrink
from povsim.runner import run_replicate
from povsim.scenario import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "plans"

# --------------------------------------------------------------------------- plan files


@pytest.mark.parametrize("name", ["small.toml", "hubei_pilot.toml"])
def test_shipped_plans_load(name):
    plan = load_plan(PLANS / name)
    assert plan.current is not None
    assert all(iv.levels[0] == 0.0 for iv in plan.interventions)
    assert plan.programme_years[0] <= plan.programme_years[1] < plan.scenario.end_year


def _plan_text(**replace: str) -> str:
    text = (PLANS / "small.toml").read_text(encoding="utf-8")
    text = text.replace('"../scenarios/', f'"{ROOT}/scenarios/').replace('"../calibration/', f'"{ROOT}/calibration/')
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize("old, new, key, fragment", [
    ("horizon_years = 25", "horizon_yeras = 25", "plan.horizon_yeras", "did you mean 'horizon_years'?"),
    ("[interventions.home_visits]", "[interventions.home_visit]", "interventions.home_visit",
     "did you mean 'home_visits'?"),
    ("levels = [0, 0.5, 1]\nrequires", "levels = [0.5, 1]\nrequires", "interventions.parent_training.levels",
     "levels = [0, 0.5, 1]"),
    ("delay_years = 1", "delay_yaers = 1", "objective.weights.delay_yaers", "did you mean 'delay_years'?"),
    ('scale = "current_cost"', 'scale = "current_cots"', "budget.scale", "did you mean 'current_cost'?"),
    ("share = 0.1294", "share = 0.2", "budget.funders", "rescale"),
    ('requires = ["child_service_centre"]', 'requires = ["centre"]', "interventions.parent_training.requires[0]",
     "child_service_centre"),
    ('parameters = ["yyb_haz_effect"', 'parameters = ["yyb_haz_effec"', "uncertainty.parameters[0]",
     "did you mean 'yyb_haz_effect'?"),
])
def test_plan_file_errors_name_file_key_value_and_a_fix(tmp_path, old, new, key, fragment):
    f = tmp_path / "plan.toml"
    f.write_text(_plan_text(**{old: new}), encoding="utf-8")
    with pytest.raises(ScenarioErrors) as exc:
        load_plan(f)
    errs = [e for e in exc.value.errors if e.key == key]
    assert errs, [e.message() for e in exc.value.errors]
    assert errs[0].file == str(f)
    assert fragment in errs[0].message()


def test_plan_file_syntax_error_names_line_and_column(tmp_path):
    f = tmp_path / "plan.toml"
    f.write_text(_plan_text(**{"horizon_years = 25": "horizon_years = 25 25"}), encoding="utf-8")
    line = 1 + [ln.startswith("horizon_years = 25") for ln in _plan_text().splitlines()].index(True)
    with pytest.raises(ScenarioErrors) as exc:
        load_plan(f)
    (err,) = exc.value.errors
    assert err.file == str(f) and err.key.startswith(f"line {line}, column "), err.message()
    assert "valid TOML" in err.message()


def test_cli_plan_bad_file_exit_code_2(tmp_path, capsys):
    from povsim.cli import main

    f = tmp_path / "plan.toml"
    f.write_text(_plan_text(**{"horizon_years = 25": "horizon_years = '25'"}), encoding="utf-8")
    assert main(["plan", str(f)]) == 2
    err = capsys.readouterr().err
    assert "plan.horizon_years" in err and "Traceback" not in err


def test_cli_plan_help_teaches(capsys):
    from povsim.cli import main

    with pytest.raises(SystemExit):
        main(["plan", "--help"])
    out = capsys.readouterr().out
    for word in ("mixed-integer", "CVaR", "common random numbers", "run the same command again", "allocation.csv"):
        assert word in out


# --------------------------------------------------------------------------- model hooks


def _pilot_small(persons: int = 3000, years: int = 4):
    pil = load_scenario(ROOT / "scenarios" / "hubei_pilot.toml")
    return pil.with_overrides(population={"geography": "synthetic", "persons": persons, "pilot_villages": 4,
                                          "comparison_villages": 2, "townships": 8}, time={"years": years})


def _with_village_coverage(sc, cover) -> object:
    data = sc.resolved_dict()
    for name, cfg in data["interventions"].items():
        cfg["village_coverage"] = cover(name, cfg)
    return scenario_from_dict(data, file="<test>")


def test_village_coverage_equal_to_the_scalar_is_bit_identical():
    sc = _pilot_small()
    names = PovertyModel(sc, seed=2).world.geo.names
    same = _with_village_coverage(sc, lambda name, cfg: {n: cfg["coverage"] for n in names})
    a, _ = run_replicate(sc, 2)
    b, _ = run_replicate(same, 2)
    for table in ("stunting", "development", "costs", "reach", "enrolment"):
        pd.testing.assert_frame_equal(a[table], b[table])


def test_village_coverage_zero_removes_a_village_and_its_costs():
    sc = _pilot_small()
    names = PovertyModel(sc, seed=2).world.geo.names
    off = names[0]
    cut = _with_village_coverage(sc, lambda name, cfg: {off: 0.0})
    t, _ = run_replicate(cut, 2)
    costs = t["costs"]
    assert off not in set(costs["village"])
    assert set(costs[costs["intervention"] == "child_service_centre"]["village"]) == {n for n in names[1:4]}
    base, _ = run_replicate(sc, 2)
    assert off in set(base["costs"]["village"])


def test_unknown_village_name_is_a_scenario_error():
    sc = _with_village_coverage(_pilot_small(), lambda name, cfg: {"Yangxin-P999": 0.5})
    with pytest.raises(ScenarioErrors) as exc:
        PovertyModel(sc, seed=1)
    assert "village_coverage" in exc.value.errors[0].key
    assert "did you mean" in exc.value.errors[0].message()


def test_scenarios_without_village_coverage_resolve_as_before():
    # run keys of existing batches hash the resolved scenario: no new key may appear in it
    sc = load_scenario(ROOT / "scenarios" / "hubei_pilot.toml")
    assert all("village_coverage" not in cfg for cfg in sc.resolved_dict()["interventions"].values())


def test_world_seed_fixes_the_area_and_not_what_happens_in_it():
    sc = _pilot_small(years=3)
    a = PovertyModel(sc, seed=1, world_seed=9)
    b = PovertyModel(sc, seed=2, world_seed=9)
    c = PovertyModel(sc, seed=9)
    for m in (b, c):
        np.testing.assert_array_equal(a.world.geo.remoteness_km, m.world.geo.remoteness_km)
        np.testing.assert_array_equal(a.world.P.id, m.world.P.id)
        np.testing.assert_array_equal(a.world.H.village, m.world.H.village)
        np.testing.assert_array_equal(a.world.P.birth_year, m.world.P.birth_year)
    a.run()
    b.run()
    assert not np.array_equal(a.world.P.skill[:100], b.world.P.skill[:100])  # different futures


# --------------------------------------------------------------------------- outcome measures


def test_outcome_moda_drops_service_indicators_and_the_empty_health_dimension():
    cfg = load_moda_config(default_moda_config_path())
    out = outcome_moda_config(cfg)
    kept = {i.name for i in out.indicators}
    services = {i.name for i in cfg.indicators if i.kind == "service"}
    assert kept == {i.name for i in cfg.indicators} - services
    assert {"no_checkup", "uninsured", "dibao_gap"} == services
    assert "health" not in out.dimensions and len(out.dimensions) == 7
    assert out.moda.k == cfg.moda.k


def test_the_planner_reads_the_kind_of_each_indicator_from_the_configuration():
    cfg = load_moda_config(default_moda_config_path())
    data = cfg.model_dump(mode="python")
    for ind in data["indicators"]:
        if ind["name"] == "unsafe_water":
            ind["kind"] = "service"
    from povsim.moda import parse_moda_config

    out = outcome_moda_config(parse_moda_config(data))
    assert "unsafe_water" not in {i.name for i in out.indicators}
    assert "no_preschool" in {i.name for i in out.indicators}


def test_child_deprivation_cache_tells_configurations_apart():
    from povsim.moda.model import child_deprivation

    sc = _pilot_small(years=1)
    m = PovertyModel(sc, seed=4)
    full = load_moda_config(default_moda_config_path())
    outcome = outcome_moda_config(full)
    _, s_full, _ = child_deprivation(m.world, full)
    _, s_out, _ = child_deprivation(m.world, outcome)
    _, s_full2, _ = child_deprivation(m.world, full)
    assert s_out.sum() < s_full.sum()  # fewer indicators, fewer deprivations
    np.testing.assert_array_equal(s_full, s_full2)


def test_village_recorder_totals_match_the_world():
    from povsim.plan.worker import PlanRunSpec, simulate

    sc = _pilot_small(years=3)
    t = simulate(PlanRunSpec(key="k", scenario=sc, parameters={}, seed=5, world_seed=5, cohorts=(1997, 2017)))
    m = PovertyModel(sc, seed=5)
    m.run()
    yy = t["village_years"]
    last = yy[yy["year"] == m.world.year]
    age = m.world.age()
    # every living person has an origin village: totals over villages are world totals
    assert last["persons"].sum() == m.world.P.n
    assert last["children"].sum() == (age < 18).sum()
    assert last["stunting_years"].sum() == (m.world.P.stunted & (age <= 4)).sum()
    assert last["delay_years"].sum() == ((m.world.P.skill < -1) & (age <= 5)).sum()
    prog = t["village_programme"]
    assert set(prog["intervention"]) == set(sc.interventions)
    assert (prog["reached"] <= prog["eligible"] + 1e-9).all()
    costs, _ = run_replicate(sc, 5)
    assert prog[["cost_fixed", "cost_per_unit"]].to_numpy().sum() == pytest.approx(costs["costs"]["cost_rmb"].sum())


# --------------------------------------------------------------------------- surrogate and costs


def synthetic_design(seed: int, W: int = 4, J: int = 6, V: int = 60, interaction: float = 0.0):
    """Known per-child responses (two village types) plus noise of SD 1/sqrt(children)."""
    rng = np.random.default_rng(seed)
    types = (np.arange(V) >= V // 2).astype(np.int64)
    n = rng.integers(150, 400, V).astype(float)
    levels = np.zeros((W, J, V, 2))
    levels[..., 0] = rng.integers(0, 2, (W, J, V))  # on/off item
    levels[..., 1] = rng.choice([0.0, 0.5, 1.0], (W, J, V))
    truth = {0: (0.02, 0.20, 0.30, -0.10), 1: (-0.01, 0.10, 0.50, -0.20)}  # intercept, item, c, c^2
    per = np.zeros((W, J, V))
    for t, (a, b_on, b1, b2) in truth.items():
        sel = types == t
        c, on = levels[..., 1][..., sel], levels[..., 0][..., sel]
        per[..., sel] = a + b_on * on + b1 * c + b2 * c**2
    per += interaction * levels[..., 0] * levels[..., 1]
    effect = (per + rng.normal(0.0, 1.0, per.shape) / np.sqrt(n)) * n
    F = rng.uniform(1000, 5000, (V, 2, 3))
    F[:, 1] = 0.0
    G = rng.uniform(100, 900, (V, 2, 3))
    G[:, 0] = 0.0
    on = (levels > 0)[..., None]
    cost = np.where(on, F[None, None] + G[None, None] * levels[..., None], 0.0)
    data = DesignData(interventions=("item", "cov"), on_off=np.array([True, False]), years=np.array([2015, 2016, 2017]),
                      effect={"stunting_years": effect}, levels=levels, cost=cost, units=cost / 100.0,
                      base={"stunting_years": np.tile(n, (W, 1))}, exposure=n, features=pd.DataFrame({"v": range(V)}))
    return data, types, truth, F, G


def test_surrogate_recovers_known_responses_within_their_standard_errors():
    data, types, truth, _, _ = synthetic_design(11)
    sur = fit_surrogate(data, {"stunting_years": 1.0}, types=types, interactions="none")
    fit = sur.pooled["stunting_years"]
    se = np.sqrt(np.diag(fit.cov))
    expected = np.concatenate([np.asarray(truth[0]), np.asarray(truth[1])])
    z = (fit.coef - expected) / se
    assert np.all(np.abs(z) < 4.0)  # 8 coefficients, fixed seed: |z| < 4 at the 1e-4 level each
    # 1,440 village-runs of ~275 children identify every term (c and c^2 are correlated, so
    # theirs are the widest) to well within the coefficients' size
    assert np.all(se < 0.03)


def test_interaction_selected_only_where_the_runs_show_it():
    with_it = synthetic_design(12, interaction=0.15)
    without = synthetic_design(12, interaction=0.0)
    s1 = fit_surrogate(with_it[0], {"stunting_years": 1.0}, types=with_it[1])
    s0 = fit_surrogate(without[0], {"stunting_years": 1.0}, types=without[1])
    assert s1.basis.pairs == ((0, 1),)
    assert s0.basis.pairs == ()
    base = s1.basis.size - 1
    assert s1.pooled["stunting_years"].coef[base] == pytest.approx(0.15, abs=4 * np.sqrt(
        s1.pooled["stunting_years"].cov[base, base]))


def test_shrinkage_removes_noise_between_identical_scenarios():
    rng = np.random.default_rng(3)
    truth = np.array([1.0, -0.5, 0.2])
    se = np.full((12, 3), 0.3)
    raw = truth + rng.normal(0.0, 0.3, (12, 3))
    shrunk = shrink(raw, se)
    assert np.abs(shrunk - truth).mean() < np.abs(raw - truth).mean()
    # genuinely different scenarios keep their differences
    spread = truth + np.linspace(-3, 3, 12)[:, None]
    kept = shrink(spread, np.full((12, 3), 0.01))
    np.testing.assert_allclose(kept, spread, atol=1e-3)


def test_cost_model_recovers_fixed_and_per_coverage_costs():
    data, _, _, F, G = synthetic_design(13)
    cm = fit_costs(data)
    np.testing.assert_allclose(cm.fixed, F, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(cm.per_coverage, G, rtol=1e-9, atol=1e-6)
    cov = np.zeros((60, 2))
    cov[:, 1] = 0.5
    np.testing.assert_allclose(cm.cost(cov)[:, 1], F[:, 1] + 0.5 * G[:, 1])
    np.testing.assert_allclose(cm.cost(cov)[:, 0], 0.0)


def test_basis_columns():
    b = Basis(2, np.array([True, False]), ((0, 1),))
    X = b.matrix(np.array([[1.0, 0.5], [0.0, 1.0]]), np.array([0, 1]))
    assert X.shape == (2, b.size) and b.size == 2 * 4 + 1
    np.testing.assert_allclose(X[0], [1, 1, 0.5, 0.25, 0, 0, 0, 0, 0.5])
    np.testing.assert_allclose(X[1], [0, 0, 0, 0, 1, 0, 1, 1, 0])


# --------------------------------------------------------------------------- small pieces


def test_equity_weights():
    from povsim.plan.problem import equity_weights

    m0 = np.array([0.1, 0.2, 0.3])
    np.testing.assert_allclose(equity_weights(m0, 0.0), 1.0)
    w = equity_weights(m0, 1.0)
    np.testing.assert_allclose(w, m0 / m0.mean())
    assert equity_weights(m0, 2.0)[2] / equity_weights(m0, 2.0)[0] == pytest.approx(9.0)


def test_paired_interval_is_the_t_interval():
    from scipy import stats

    from povsim.plan.verify import interval

    d = np.array([1.0, 2.0, 3.0, 4.0])
    m, lo, hi = interval(d)
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2.0
    assert (m, lo, hi) == pytest.approx((2.5, 2.5 - half, 2.5 + half))
    assert np.isnan(interval(np.array([1.0]))[1])


def test_calibration_uncertainty_and_parameter_draws():
    from povsim.params import registry
    from povsim.plan.design import calibration_uncertainty, parameter_draws

    fitted = ROOT / "calibration" / "fitted" / "hubei_baseline.toml"
    cal = calibration_uncertainty(fitted)
    assert len(cal) == len(tomllib.loads(fitted.read_text())["parameters"]) and (cal["se"] > 0).all()
    assert ((cal["value"] >= cal["lower"]) & (cal["value"] <= cal["upper"])).all()
    plan = load_plan(PLANS / "hubei_pilot.toml")
    draws = parameter_draws(plan)
    assert draws == parameter_draws(plan)  # a pure function of the plan's seed
    assert len(draws) == plan.design.draws
    bounds = cal.set_index("parameter")
    reg = registry()
    for d in draws:
        for name, v in d.items():
            lo, hi = (bounds.loc[name, "lower"], bounds.loc[name, "upper"]) if name in bounds.index else reg[name].range
            assert lo <= v <= hi, name
    values = np.array([[d[n] for n in plan.uncertainty.parameters] for d in draws])
    assert (values.std(axis=0) > 0).all()  # the draws vary
