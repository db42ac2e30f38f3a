"""Sensitivity analysis (issue 7): SALib sampling/analysis, pluggable evaluators, files, CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from povsim.cli import main
from povsim.errors import ScenarioErrors
from povsim.params import Param
from povsim.sensitivity import (
    FunctionEvaluator,
    ModelEvaluator,
    load_study,
    noise_table,
    run_sensitivity,
    sample,
)

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "scenarios" / "small.toml"
ISHIGAMI_S1 = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_ST = np.array([0.5576, 0.4424, 0.2437])
ISHIGAMI_PARAMS = {f"x{i}": Param(name=f"x{i}", default=0.0, unit="1", range=(-math.pi, math.pi),
                                  source="Ishigami & Homma 1990", description="Ishigami input")
                   for i in (1, 2, 3)}

TINY = """
[overrides.population]
persons = 300
pilot_villages = 1
comparison_villages = 1

[overrides.time]
years = 3
"""


def write(tmp_path: Path, text: str, name: str = "study.toml") -> Path:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def ishigami_file(tmp_path: Path, method: str = "sobol", n: int = 1024, extra: str = "num_resamples = 100") -> Path:
    return write(tmp_path, f"""
[sensitivity]
name = "ishigami"
method = "{method}"
n = {n}
seed = 11
{extra}

[parameters.x1]
[parameters.x2]
[parameters.x3]

[[outputs]]
name = "y"
""")


def test_ishigami_sobol_recovers_analytic_indices(tmp_path: Path) -> None:
    f = ishigami_file(tmp_path, extra="second_order = true\nnum_resamples = 100")
    res = run_sensitivity(f, out=tmp_path / "out", evaluator=FunctionEvaluator(Ishigami.evaluate),
                          params=ISHIGAMI_PARAMS, command_line=["test"])
    idx = res.indices.set_index("parameter").loc[["x1", "x2", "x3"]]
    assert np.all(np.abs(idx["S1"].to_numpy() - ISHIGAMI_S1) <= idx["S1_conf"].to_numpy())
    assert np.all(np.abs(idx["ST"].to_numpy() - ISHIGAMI_ST) <= idx["ST_conf"].to_numpy())
    assert list(res.summary["parameter"]) == ["x1", "x2", "x3"]          # ranked by ST
    conv = res.convergence
    assert sorted(conv["n"].unique()) == [256, 512, 1024]
    full = conv[conv["n"] == 1024]
    assert full["settled"].isin([True, False]).all() and conv.loc[conv["n"] < 1024, "settled"].isna().all()
    assert full["settled"].astype(bool).sum() >= 2          # x1 may not have settled at this N and seed
    for name in ("indices.csv", "second_order.csv", "convergence.csv", "noise.csv", "summary.csv", "summary.txt",
                 "samples.csv", "manifest.json", "figures/indices_y.png", "figures/second_order_y.png"):
        assert (tmp_path / "out" / name).is_file(), name
    s2 = pd.read_csv(tmp_path / "out" / "second_order.csv")
    x13 = s2[(s2["parameter"] == "x1") & (s2["other"] == "x3")].iloc[0]
    assert abs(x13["S2"] - 0.2437) <= max(x13["S2_conf"], 0.05)          # the x1-x3 interaction


def test_sampling_is_seeded_and_morris_fast_delta_rank_ishigami(tmp_path: Path) -> None:
    study = load_study(ishigami_file(tmp_path, n=64), params=ISHIGAMI_PARAMS, need_scenarios=False)
    assert np.array_equal(sample(study), sample(study))
    for method, n, top in (("morris", 40, "x1"), ("fast", 257, "x1"), ("delta", 256, "x2"), ("pawn", 256, None)):
        (tmp_path / method).mkdir()
        f = ishigami_file(tmp_path / method, method=method, n=n, extra="num_resamples = 20")
        res = run_sensitivity(f, out=tmp_path / method / "out", evaluator=FunctionEvaluator(Ishigami.evaluate),
                              params=ISHIGAMI_PARAMS, figures=method == "morris", command_line=["test"])
        if top is not None:
            assert res.summary["parameter"].iloc[0] in (top, "x1", "x2"), method
        assert res.summary["parameter"].iloc[-1] == "x3" or method in ("morris", "pawn"), method
    fast = pd.read_csv(tmp_path / "fast" / "out" / "indices.csv").set_index("parameter")
    assert np.allclose(fast.loc[["x1", "x2", "x3"], "ST"], ISHIGAMI_ST, atol=0.08)
    assert np.allclose(fast.loc[["x1", "x2"], "S1"], ISHIGAMI_S1[:2], atol=0.08)
    morris = pd.read_csv(tmp_path / "morris" / "out" / "indices.csv")
    assert {"mu", "mu_star", "mu_star_conf", "sigma"} <= set(morris.columns)
    delta = pd.read_csv(tmp_path / "delta" / "out" / "indices.csv")
    assert {"delta", "delta_conf", "S1", "S1_conf"} <= set(delta.columns)
    assert (tmp_path / "morris" / "out" / "figures" / "morris_y.png").is_file()


def test_noise_table_separates_seed_noise() -> None:
    from povsim.sensitivity import Evaluation

    rng = np.random.default_rng(3)
    signal = np.linspace(0, 10, 50)
    reps = signal[:, None, None] + rng.normal(0, 1.0, (50, 1, 4))
    t = noise_table(Evaluation(replicates=reps, names=("y",))).iloc[0]
    assert t["within_point_variance"] == pytest.approx(1.0, rel=0.3)
    assert t["point_mean_variance"] == pytest.approx(np.var(signal, ddof=1) + 0.25, rel=0.1)
    assert 0 < t["mean_noise_to_parameter_ratio"] < 0.05


def model_study(tmp_path: Path, method: str, n: int, params: str, extra: str = "", outputs: str = "",
                scenarios: str = f'["{SMALL}"]', replicates: int = 1) -> Path:
    outputs = outputs or """
[[outputs]]
name = "M0_6_17"
table = "moda"
measure = "moda_M0_6_17"
year = "+2"
"""
    return write(tmp_path, f"""
[sensitivity]
name = "tiny_{method}"
scenarios = {scenarios}
replicates = {replicates}
seed = 5
method = "{method}"
n = {n}
{extra}
{TINY}
{params}
{outputs}
""", f"{method}.toml")


TWO = "[parameters.migration_out_men]\n[parameters.dibao_takeup]\n"
THREE = TWO + "[parameters.return_schooling]\n"


@pytest.mark.parametrize(("method", "n", "params", "extra"), [
    ("sobol", 4, TWO, ""),
    ("morris", 2, THREE, ""),
    # FAST and delta run the same model path as Sobol and Morris (the batch store, the outputs);
    # their analyses are checked on Ishigami in CI: whole-model runs of them only with -m slow
    pytest.param("fast", 17, TWO, "m = 2", marks=pytest.mark.slow),
    pytest.param("delta", 16, TWO, "", marks=pytest.mark.slow),
])
def test_small_model_end_to_end(tmp_path: Path, method: str, n: int, params: str, extra: str) -> None:
    f = model_study(tmp_path, method, n, params, extra)
    res = run_sensitivity(f, out=tmp_path / "out", workers=0, figures=False, command_line=["test"])
    assert np.all(np.isfinite(res.evaluation.Y))
    assert set(res.indices["parameter"]) == set(load_study(f).parameters)
    assert len(list((tmp_path / "out" / "batch" / "runs").glob("*.run"))) == len(np.unique(res.X, axis=0))
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_paired_difference_ratio_replicates_and_resume(tmp_path: Path, capsys) -> None:
    sc_dir = tmp_path / "sc"
    sc_dir.mkdir()
    (sc_dir / "a.toml").write_text(f'[scenario]\nname = "a"\nextends = "{SMALL}"\n', encoding="utf-8")
    (sc_dir / "b.toml").write_text(f'[scenario]\nname = "b"\nextends = "{SMALL}"\n[parameters]\n'
                                   'poverty_line = 3300.0\n', encoding="utf-8")
    # read in the start year: later, the targeted poverty-alleviation measures register
    # households against the line, so a higher line also brings more help
    outputs = """
[[outputs]]
name = "poverty_a"
table = "income_poverty"
measure = "income_poverty_rate"
scenario = "a"
year = "+0"

[[outputs]]
name = "poverty_b_minus_a"
table = "income_poverty"
measure = "income_poverty_rate"
scenario = "b"
minus = "a"
year = "+0"

[[outputs]]
name = "ratio"
ratio = ["poverty_b_minus_a", "poverty_a"]
"""
    f = model_study(tmp_path, "sobol", 4, TWO, outputs=outputs, replicates=2,
                    scenarios=f'["{sc_dir / "a.toml"}", "{sc_dir / "b.toml"}"]')
    out = tmp_path / "out"
    assert main(["sensitivity", str(f), "--out", str(out), "--workers", "0", "--no-figures"]) == 0
    printed = capsys.readouterr().out
    assert "ranked by ST" in printed and "poverty_b_minus_a" in printed
    samples = pd.read_csv(out / "samples.csv")
    assert (samples["poverty_b_minus_a"] > 0).all()          # a higher poverty line: more poor, paired
    assert np.allclose(samples["ratio"], samples["poverty_b_minus_a"] / samples["poverty_a"])
    noise = pd.read_csv(out / "noise.csv").set_index("output")
    assert noise.loc["poverty_a", "replicates"] == 2 and noise.loc["poverty_a", "within_point_variance"] >= 0
    n_runs = len(list((out / "batch" / "runs").glob("*.run")))
    assert n_runs == 16 * 2 * 2
    ev = ModelEvaluator(out / "batch", workers=0)          # resume: nothing is run again
    study = load_study(f)
    from povsim.sensitivity import to_parameters
    ev.evaluate(study, to_parameters(study, sample(study)))
    assert ev.runs == 0
    assert (out / "summary.txt").read_text("utf-8").startswith("sensitivity study 'tiny_sobol'")


@pytest.mark.parametrize(("body", "key", "fragment"), [
    ("[parameters.migration_out_mn]\n[parameters.dibao_takeup]\n", "parameters.migration_out_mn",
     "did you mean 'migration_out_men'"),
    ("[parameters.migration_out_men]\nrange = [0.1, 0.05]\n[parameters.dibao_takeup]\n",
     "parameters.migration_out_men.range", "low < high"),
])
def test_bad_parameters(tmp_path: Path, capsys, body: str, key: str, fragment: str) -> None:
    f = model_study(tmp_path, "sobol", 4, body)
    with pytest.raises(ScenarioErrors) as err:
        load_study(f)
    assert any(e.key == key for e in err.value.errors)
    assert main(["sensitivity", str(f), "--out", str(tmp_path / "o")]) == 2
    stderr = capsys.readouterr().err
    assert fragment in stderr and "Traceback" not in stderr and str(f) in stderr


@pytest.mark.parametrize(("method", "n", "fragment"), [
    ("sobol", 6, "power of 2"),
    ("sobol", 6, "use n = 4 or n = 8"),
    ("fast", 40, "4 M^2 = 64"),
    ("saltelli", 8, "did you mean 'sobol'"),
    ("kriging", 8, "one of 'sobol'"),
])
def test_bad_method_or_n(tmp_path: Path, capsys, method: str, n: int, fragment: str) -> None:
    f = model_study(tmp_path, method, n, TWO)
    assert main(["sensitivity", str(f), "--out", str(tmp_path / "o")]) == 2
    stderr = capsys.readouterr().err
    assert fragment in stderr and "Traceback" not in stderr


def test_bad_outputs(tmp_path: Path, capsys) -> None:
    bad_table = """
[[outputs]]
name = "x"
table = "mooda"
measure = "moda_M0_6_17"
"""
    f = model_study(tmp_path, "sobol", 4, TWO, outputs=bad_table)
    assert main(["sensitivity", str(f), "--out", str(tmp_path / "o")]) == 2
    assert "did you mean 'moda'" in capsys.readouterr().err
    bad_measure = """
[[outputs]]
name = "x"
table = "moda"
measure = "moda_M0_6_71"
"""
    f = model_study(tmp_path, "sobol", 4, TWO, outputs=bad_measure)
    out = tmp_path / "o2"
    assert main(["sensitivity", str(f), "--out", str(out), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert "outputs[0].measure" in err and "did you mean 'moda_M0_6_17'" in err and "Traceback" not in err
    assert len(list((out / "batch" / "runs").glob("*.run"))) == 1          # stopped after the pilot run


def test_shipped_studies_are_valid() -> None:
    small = load_study(ROOT / "experiments" / "sensitivity_small.toml")
    assert small.method == "sobol" and len(small.parameters) == 3
    policy = load_study(ROOT / "experiments" / "sensitivity_policy_sobol.toml")
    assert len(policy.parameters) == 10 and policy.n == 256 and policy.options["second_order"]
    assert len(sample(policy)) == 5632
    assert any(o.minus == "full_package" for o in policy.outputs)
    from povsim.params import registry

    morris = load_study(ROOT / "experiments" / "sensitivity_morris_all.toml")
    assert set(morris.parameters) == set(registry())
