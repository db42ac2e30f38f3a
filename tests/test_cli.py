"""End-to-end tests of the command line (run in-process through ``povsim.cli.main``)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from povsim.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    f = tmp_path / "tiny.toml"
    f.write_text(
        f'[scenario]\nname = "tiny"\nextends = "{(ROOT / "scenarios" / "baseline.toml").as_posix()}"\n'
        "[population]\ngeography = \"synthetic\"\npersons = 1500\npilot_villages = 2\ncomparison_villages = 2\n"
        "townships = 8\n"
        "[time]\nyears = 6\n"
    )
    return f


def _tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_csv(p) for p in sorted((folder / "tables").glob("*.csv"))}


def test_run_twice_gives_identical_tables(tiny: Path, tmp_path: Path, capsys) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["run", str(tiny), "--out", str(a), "--no-figures", "-q", "--replicates", "2"]) == 0
    assert main(["run", str(tiny), "--out", str(b), "--no-figures", "-q", "--replicates", "2"]) == 0
    ta, tb = _tables(a), _tables(b)
    assert set(ta) == set(tb) and {"population", "income_poverty", "stunting"} <= set(ta)
    for k in ta:
        pd.testing.assert_frame_equal(ta[k], tb[k], check_exact=True)
    assert sorted(ta["population"]["replicate"].unique()) == [0, 1]
    man = json.loads((a / "manifest.json").read_text())
    for key in ("seeds", "package_versions", "scenario", "input_files", "command_line", "git"):
        assert key in man
    assert len(man["seeds"]) == 2
    assert (a / "scenario.resolved.toml").read_text().count("[population]") == 1
    assert (a / "summary.txt").stat().st_size > 0


def test_run_with_figures_and_summary(tiny: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "fig"
    assert main(["run", str(tiny), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "income_poverty_rate" in printed and "results:" in printed
    png = out / "figures" / "headline.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "figures" / "headline.svg").stat().st_size > 1000


def test_force_replaces_only_a_complete_povsim_results_folder(tiny: Path, tmp_path: Path, capsys,
                                                             monkeypatch) -> None:
    """issue 12 item 1: `run --force` never deletes a user's folder, the current folder or a file."""
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("my notes")
    note = tmp_path / "note.txt"
    note.write_text("a file")
    for out in (precious, note):
        assert main(["run", str(tiny), "--out", str(out), "--no-figures", "-q", "--force"]) == 2
        err = capsys.readouterr().err
        assert "never deletes or replaces" in err and str(out) in err and "Traceback" not in err
    assert (precious / "keep.txt").read_text() == "my notes" and note.read_text() == "a file"
    monkeypatch.chdir(precious)
    assert main(["run", str(tiny), "--out", ".", "--no-figures", "-q", "--force"]) == 2
    assert sorted(p.name for p in precious.iterdir()) == ["keep.txt"]
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "r"
    assert main(["run", str(tiny), "--out", str(out), "--no-figures", "-q"]) == 0
    assert main(["run", str(tiny), "--out", str(out), "--no-figures", "-q"]) == 2
    assert "--force" in capsys.readouterr().err
    first = (out / "manifest.json").read_text()
    assert main(["run", str(tiny), "--out", str(out), "--no-figures", "-q", "--force"]) == 0
    assert (out / "manifest.json").read_text() != first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.txt", "precious", "r", "tiny.toml"]


def test_bad_scenario_exit_2_no_traceback(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nname = "bad"\n[population]\npersns = 100\n[parameters]\nfertility_frist_birth = 0.3\n')
    assert main(["run", str(bad), "-q"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "persns" in err and "did you mean 'persons'" in err
    assert "fertility_frist_birth" in err and "fertility_first_birth" in err
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "2 error(s)" in err
    from povsim.errors import ScenarioErrors

    with pytest.raises(ScenarioErrors):
        main(["run", str(bad), "-q", "--debug"])


def test_validate_shipped_scenarios(capsys) -> None:
    files = sorted(str(p) for p in (ROOT / "scenarios").glob("*.toml"))
    assert main(["validate", *files]) == 0
    assert "valid" in capsys.readouterr().out


def test_describe_lists_parameters_with_sources(capsys) -> None:
    assert main(["describe", "--format", "csv"]) == 0
    df = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert {"name", "default", "unit", "plausible range", "source"} <= set(df.columns)
    assert len(df) > 80
    assert df["source"].str.len().min() > 5
    assert main(["describe", "nonexistent_param_xyz"]) == 2
    assert main(["describe", "--values"]) == 0


def test_moda_survey_command(tmp_path: Path, capsys) -> None:
    survey = ROOT / "tests" / "data" / "moda_survey_example.csv"
    out = tmp_path / "m"
    assert main(["moda", str(survey), "--out", str(out)]) == 0
    assert any(out.glob("moda_*.csv"))
    missing = tmp_path / "nope.csv"
    assert main(["moda", str(missing), "--out", str(tmp_path / "m2")]) == 2


def test_scale_setting_scales_population(tmp_path: Path) -> None:
    from povsim.scenario import load_scenario, scenario_from_dict

    f = tmp_path / "scaled.toml"
    f.write_text(f'[scenario]\nname = "scaled"\nextends = "{(ROOT / "scenarios" / "baseline.toml").as_posix()}"\n'
                 "[population]\nscale = 0.01\n")
    s = load_scenario(f)
    # scale samples 1% of the pilot area's villages (3.69 M persons at full scale)
    assert s.population.sampling_fraction == 0.01
    assert s.total_persons == round(0.01 * s.population.frame_persons)
    assert 36_000 < s.total_persons < 38_000
    again = scenario_from_dict(s.resolved_dict())
    assert again.total_persons == s.total_persons and again.population.scale == 0.01


def test_compare_command(tiny: Path, tmp_path: Path, capsys) -> None:
    alt = tmp_path / "alt.toml"
    alt.write_text(f'[scenario]\nname = "alt"\nextends = "{tiny.as_posix()}"\n'
                   "[interventions.home_visits]\n[interventions.infant_nutrition]\n")
    out = tmp_path / "cmp"
    assert main(["compare", str(tiny), str(alt), "--replicates", "2", "--out", str(out),
                 "--no-figures"]) == 0
    printed = capsys.readouterr().out
    assert "Paired differences" in printed and "Cost-effectiveness" in printed
    d = pd.read_csv(out / "differences.csv")
    assert {"scenario", "measure", "diff_mean", "ci_lo", "ci_hi"} <= set(d.columns)
    assert (out / "tables" / "alt" / "costs.csv").exists()
    assert main(["compare", str(tiny), str(tmp_path / "missing.toml"), "--out",
                 str(tmp_path / "c2")]) == 2


def test_describe_interventions(capsys) -> None:
    assert main(["describe", "--interventions", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    for name in ("child_service_centre", "home_visits", "wash_upgrade", "dibao"):
        assert name in out


@pytest.mark.parametrize(("command", "target"), [("sensitivity", "povsim.sensitivity.run_sensitivity"),
                                                 ("calibrate", "povsim.calibration.run_calibration"),
                                                 ("batch", "povsim.experiment.run_batch")])
def test_sigterm_stops_long_commands_like_ctrl_c(command, target, tmp_path, monkeypatch, capsys) -> None:
    """A scheduler's SIGTERM (time limit) stops a resumable command as Ctrl-C does: exit 130
    and the resume hint, no traceback; the previous handler is back afterwards."""
    import os
    import signal
    import time

    def terminated(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler interrupts this
        raise AssertionError("SIGTERM did not interrupt the command")

    def unhandled(signum, frame):
        raise AssertionError("the command left SIGTERM to the previous handler")

    monkeypatch.setattr(target, terminated)
    before = signal.signal(signal.SIGTERM, unhandled)  # not the default, which would end pytest
    try:
        f = tmp_path / "study.toml"
        f.write_text("", encoding="utf-8")
        assert main([command, str(f)]) == 130
        assert "run the same command again to resume" in capsys.readouterr().err
        assert signal.getsignal(signal.SIGTERM) is unhandled
    finally:
        signal.signal(signal.SIGTERM, before)
