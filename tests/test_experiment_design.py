"""Experiment design files: validation, parameter points, run keys (no simulation runs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from povsim.cli import main
from povsim.errors import ScenarioErrors
from povsim.experiment.design import (
    distribution_draws,
    grid_points,
    latin_hypercube,
    load_experiment,
)
from povsim.experiment.keyspace import expand, run_key
from povsim.params import registry

ROOT = Path(__file__).resolve().parents[1]
SMALL = (ROOT / "scenarios" / "small.toml").as_posix()


def write(tmp_path: Path, body: str, name: str = "exp.toml") -> Path:
    f = tmp_path / name
    f.write_text(body)
    return f


def design(tmp_path: Path, design_body: str = "", experiment_extra: str = "", name: str = "exp.toml") -> Path:
    return write(tmp_path, f'[experiment]\nname = "t"\nscenarios = ["{SMALL}"]\nreplicates = 2\nseed = 3\n'
                           f"{experiment_extra}\n{design_body}", name)


def errors_of(path: Path) -> list:
    with pytest.raises(ScenarioErrors) as info:
        load_experiment(path)
    return info.value.errors


# --------------------------------------------------------------------------- shipped designs


@pytest.mark.parametrize("name, runs", [("small_lhs.toml", 160), ("grid_small.toml", 12)])
def test_shipped_designs_are_valid(name: str, runs: int) -> None:
    exp = load_experiment(ROOT / "experiments" / name)
    assert len(expand(exp)) == runs
    assert str(ROOT / "scenarios" / "baseline.toml") in exp.source_files  # extends chain recorded


def test_default_design_is_scenarios_times_seeds(tmp_path: Path) -> None:
    exp = load_experiment(design(tmp_path))
    assert exp.method == "none" and exp.points == ({},) and len(expand(exp)) == 2
    assert exp.outputs is None  # every table a run produces except the moda_* detail tables
    assert len(set(exp.seeds)) == 2


# --------------------------------------------------------------------------- validation errors


def test_unknown_parameter_did_you_mean(tmp_path: Path) -> None:
    errs = errors_of(design(tmp_path, '[design]\nmethod = "lhs"\nn = 4\n[design.parameters.migraton_out_men]\n'))
    assert len(errs) == 1
    e = errs[0]
    assert e.file.endswith("exp.toml") and e.key == "design.parameters.migraton_out_men"
    assert e.value == "migraton_out_men" and "did you mean 'migration_out_men'" in e.suggestion


def test_inverted_and_out_of_bounds_ranges(tmp_path: Path) -> None:
    errs = errors_of(design(tmp_path, '[design]\nmethod = "lhs"\nn = 4\n'
                                      "[design.parameters.migration_out_men]\nrange = [0.1, 0.05]\n"
                                      "[design.parameters.dibao_takeup]\nrange = [0.5, 1.5]\n"))
    by_key = {e.key: e for e in errs}
    inv = by_key["design.parameters.migration_out_men.range"]
    assert inv.value == [0.1, 0.05] and "low < high" in inv.expected and "[0.05, 0.1]" in inv.suggestion
    out = by_key["design.parameters.dibao_takeup.range"]
    assert "bounds [0, 1]" in out.expected


def test_unknown_scenario_file(tmp_path: Path) -> None:
    f = write(tmp_path, f'[experiment]\nname = "t"\nscenarios = ["{(ROOT / "scenarios" / "smal.toml").as_posix()}"]\n')
    (e,) = errors_of(f)
    assert e.key == "experiment.scenarios[0]" and "an existing scenario file" in e.expected
    assert "did you mean 'small.toml'" in e.suggestion


def test_unknown_method_replicates_and_keys(tmp_path: Path) -> None:
    f = design(tmp_path, '[design]\nmethod = "latin"\n[design.parameters.dibao_takeup]\n',
               experiment_extra="replicate = 3\n")
    errs = errors_of(f)
    (e,) = errs  # pydantic rejects the unknown key first
    assert e.key == "experiment.replicate" and "did you mean 'replicates'" in e.suggestion
    f = write(tmp_path, f'[experiment]\nname = "t"\nscenarios = ["{SMALL}"]\nreplicates = 0\n'
                        '[design]\nmethod = "latin"\n[design.parameters.dibao_takeup]\n', "b.toml")
    by_key = {e.key: e for e in errors_of(f)}
    assert "integer >= 1" in by_key["experiment.replicates"].expected
    assert "'grid'" in by_key["design.method"].expected
    assert by_key["design.method"].suggestion == "did you mean 'lhs'?"


def test_method_specific_keys(tmp_path: Path) -> None:
    by_key = {e.key: e for e in errors_of(design(
        tmp_path, '[design]\nmethod = "grid"\nn = 3\n[design.parameters.dibao_takeup]\n'
                  '[design.parameters.poverty_line]\nvalues = [2000.0, 2000.0]\n'))}
    assert "design.n" in by_key
    assert "levels" in by_key["design.parameters.dibao_takeup"].suggestion
    assert "distinct" in by_key["design.parameters.poverty_line.values"].expected
    by_key = {e.key: e for e in errors_of(design(tmp_path, '[design]\nmethod = "lhs"\n'
                                                           "[design.parameters.dibao_takeup]\nlevels = 3\n"))}
    assert "design.n" in by_key and "design.parameters.dibao_takeup.levels" in by_key


def test_unknown_output_and_bad_override(tmp_path: Path) -> None:
    f = design(tmp_path, "[overrides.population]\npersns = 1000\n", experiment_extra='outputs = ["income_povrty"]\n')
    by_key = {e.key: e for e in errors_of(f)}
    assert "did you mean 'income_poverty'" in by_key["experiment.outputs[0]"].suggestion
    ov = by_key["overrides.population.persns"]
    assert ov.file.endswith("exp.toml") and "did you mean 'persons'" in ov.suggestion


def test_cli_reports_design_errors_exit_2(tmp_path: Path, capsys) -> None:
    f = design(tmp_path, '[design]\nmethod = "lhs"\nn = 4\n[design.parameters.migraton_out_men]\n')
    assert main(["batch", str(f), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "design.parameters.migraton_out_men" in err and "migration_out_men" in err
    assert not (tmp_path / "out").exists()  # nothing written for an invalid design
    assert main(["batch", "status"]) == 2
    assert "[run|status|collect] FILE" in capsys.readouterr().err


# --------------------------------------------------------------------------- points


def test_latin_hypercube_strata_and_seed() -> None:
    b = np.array([[0.0, 1.0], [10.0, 20.0], [1.0, 100.0]])
    log = np.array([False, False, True])
    x = latin_hypercube(b, 8, seed=5, log=log)
    assert x.shape == (8, 3)
    for j in range(2):  # one point per stratum of each linear parameter
        strata = np.floor((x[:, j] - b[j, 0]) / (b[j, 1] - b[j, 0]) * 8).astype(int)
        assert sorted(strata) == list(range(8))
    logstrata = np.floor(np.log(x[:, 2]) / np.log(100.0) * 8).astype(int)
    assert sorted(logstrata) == list(range(8))
    np.testing.assert_array_equal(x, latin_hypercube(b, 8, seed=5, log=log))
    assert not np.array_equal(x, latin_hypercube(b, 8, seed=6, log=log))


def test_draws_extend_and_grid_order() -> None:
    b = np.array([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(distribution_draws(b, 5, 1), distribution_draws(b, 9, 1)[:5])
    g = grid_points([[1.0, 2.0], [10.0, 20.0, 30.0]])
    assert g.tolist() == [[1, 10], [1, 20], [1, 30], [2, 10], [2, 20], [2, 30]]


def test_default_range_is_plausible_range(tmp_path: Path) -> None:
    exp = load_experiment(design(tmp_path, '[design]\nmethod = "draws"\nn = 50\n[design.parameters.return_skill]\n'))
    lo, hi = registry()["return_skill"].range
    vals = [p["return_skill"] for p in exp.points]
    assert len(vals) == 50 and lo <= min(vals) and max(vals) <= hi


# --------------------------------------------------------------------------- keys


def test_keys_depend_only_on_scenario_point_seed(tmp_path: Path) -> None:
    a = load_experiment(design(tmp_path, '[design]\nmethod = "grid"\n[design.parameters.poverty_line]\n'
                                         "values = [2300.0, 2800.0]\n", name="a.toml"))
    b = write(tmp_path, f'[experiment]\nname = "other"\ndescription = "x"\nscenarios = ["{SMALL}"]\nreplicates = 3\n'
                        'seed = 3\n[design]\nmethod = "grid"\n[design.parameters.poverty_line]\n'
                        "values = [2300.0, 2800.0, 3300.0]\n", "b.toml")
    ka, kb = set(expand(a).keys), set(expand(load_experiment(b)).keys)
    assert len(ka) == 4 and len(kb) == 9 and ka < kb
    sc = a.scenarios[0][1]
    k = run_key(sc, {"poverty_line": 2300.0}, a.seeds[0])
    assert len(k) == 16 and k in ka
    assert run_key(sc.model_copy(update={"description": "another text"}), {"poverty_line": 2300.0}, a.seeds[0]) == k
    assert run_key(sc, {"poverty_line": 2300.0}, a.seeds[1]) != k
