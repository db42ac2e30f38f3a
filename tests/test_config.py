"""The configuration layer (povsim.config): one reader, one error translation and the same
messages for every kind of input file (issue 13, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from povsim.config import FILE_KINDS, detect_kind, validate_files
from povsim.errors import ScenarioErrors

ROOT = Path(__file__).resolve().parents[1]
MODA = ROOT / "src" / "povsim" / "data" / "moda_hubei.toml"

#: A quoted number in each kind of file: (kind, text before, the quoted line, its key)
QUOTED = [
    ("scenario", '[scenario]\nname = "s"\n[time]\n', 'years = "12"', "time.years"),
    ("experiment design", '[experiment]\nname = "e"\nscenarios = ["s.toml"]\n', 'replicates = "12"',
     "experiment.replicates"),
    ("sensitivity study", '[sensitivity]\nname = "x"\nmethod = "sobol"\nn = 4\n', 'replicates = "12"',
     "sensitivity.replicates"),
    ("MODA configuration", MODA.read_text().replace("k = 3\n", ""), None, "moda.k"),
]


@pytest.mark.parametrize(("kind", "text", "line", "key"), QUOTED, ids=[q[0] for q in QUOTED])
def test_the_same_mistake_reads_the_same_in_every_kind_of_file(tmp_path: Path, kind: str, text: str,
                                                               line: str | None, key: str) -> None:
    f = tmp_path / "f.toml"
    if line is None:  # the MODA table is first in its file
        text = text.replace('missing = "drop"', 'missing = "drop"\nk = "12"')
    f.write_text(text + (line + "\n" if line else ""))
    ((_, found, errors),) = validate_files([f])
    assert found == kind
    e = next(e for e in errors if e.key == key)
    assert e.file == str(f) and e.value == "12"
    assert e.suggestion.startswith("remove the quotes:") and e.suggestion.endswith("= 12")


def test_unknown_keys_get_did_you_mean_in_every_kind(tmp_path: Path) -> None:
    files = {
        "scenario": '[scenario]\nname = "s"\n[time]\nyaers = 3\n',
        "experiment design": '[experiment]\nname = "e"\nscenarios = ["s.toml"]\nreplicats = 2\n',
        "calibration targets": '[calibration]\nname = "c"\nscenario = "s.toml"\nreplicats = 2\n',
    }
    for kind, text in files.items():
        f = tmp_path / f"{kind.split()[0]}.toml"
        f.write_text(text)
        ((_, found, errors),) = validate_files([f])
        assert found == kind
        assert any("did you mean" in e.suggestion and e.expected.startswith("a known key") for e in errors), errors


def test_kinds_are_detected_by_their_table() -> None:
    for kind, (table, loader) in FILE_KINDS.items():
        assert detect_kind({table: {}}) == kind and ":" in loader
    assert detect_kind({"scenario": {}, "calibration": {}}) == "scenario"  # a fitted parameter set
    assert detect_kind({"parameters": {}}) is None


def test_extends_works_for_a_design_and_a_moda_configuration(tmp_path: Path) -> None:
    from povsim.experiment import load_experiment
    from povsim.moda import load_moda_config

    sub = tmp_path / "sub"
    sub.mkdir()
    (tmp_path / "small.toml").write_text((ROOT / "scenarios" / "small.toml").read_text().replace(
        'extends = "baseline.toml"', f'extends = "{(ROOT / "scenarios" / "baseline.toml").as_posix()}"'))
    (sub / "parent.toml").write_text('[experiment]\nname = "p"\nscenarios = ["../small.toml"]\nreplicates = 3\n'
                                     'seed = 5\n')
    (tmp_path / "child.toml").write_text('[experiment]\nname = "c"\nextends = "sub/parent.toml"\nreplicates = 2\n')
    exp = load_experiment(tmp_path / "child.toml")
    assert (exp.name, exp.replicates, exp.seed) == ("c", 2, 5)
    assert exp.scenarios[0][0] == str(tmp_path / "small.toml")  # the parent's path, read from its folder
    (tmp_path / "moda.toml").write_text(f'[moda]\nextends = "{MODA.as_posix()}"\nk = 2\n')
    cfg = load_moda_config(tmp_path / "moda.toml")
    assert cfg.moda.k == 2 and cfg.moda.name == load_moda_config(MODA).moda.name
    (tmp_path / "bad.toml").write_text('[moda]\nextends = "nope.toml"\n')
    with pytest.raises(ScenarioErrors, match=r"moda\.extends"):
        load_moda_config(tmp_path / "bad.toml")


def test_shipped_trials_and_plans_validate_and_a_broken_trial_names_its_keys(tmp_path: Path) -> None:
    shipped = sorted((ROOT / "trials").glob("*.toml")) + sorted((ROOT / "plans").glob("*.toml"))
    results = validate_files(shipped)
    assert {kind for _, kind, _ in results} == {"virtual trial", "budget plan"}
    assert all(not errors for _, _, errors in results), [r for r in results if r[2]]
    bad = tmp_path / "t.toml"
    bad.write_text('[trial]\nname = "x"\nsoruce = "a paper"\n')
    ((_, found, errors),) = validate_files([bad])
    assert found == "virtual trial"
    keys = {e.key for e in errors}
    assert {"trial.source", "trial.soruce"} <= keys
