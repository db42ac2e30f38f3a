"""docs/validation.md is generated from a run (povsim.validation)."""

from __future__ import annotations

from pathlib import Path

import pytest

from povsim.runner import run_scenario
from povsim.scenario import load_scenario
from povsim.validation import build, main

ROOT = Path(__file__).parents[1]


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("POVSIM_CACHE_DIR", str(tmp_path / "cache"))


def test_document_lists_targets_transients_mobility_and_the_fit(tmp_path, cache):
    s = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(
        population={"geography": "synthetic", "persons": 3000, "pilot_villages": 4,
                    "comparison_villages": 4, "townships": 8, "spinup_from": 2000}, time={"years": 8})
    res = run_scenario(s, replicates=1, seed=3)
    text = build(res.tables, s, {"scenario": "test"}, tmp_path / "figures")
    for heading in ("## Fitting targets", "## Held-out targets", "## Checks that fail on a transient",
                    "## Intergenerational mobility", "### By birth cohort"):
        assert heading in text, heading
    # every target of the file is listed with its source
    from povsim.calibration.targets import load_targets

    spec = load_targets(ROOT / "calibration" / "targets" / "hubei_baseline.toml")
    for t in spec.targets:
        assert f"**{t.name}**" in text
    assert "POOLED" in text  # pooled estimators are labelled


def test_state_of_the_fit_reports_bounds_and_wide_ses_as_facts_not_checks():
    """'at bound' and 'SE > half range' read yes/no from the numbers (a boolean column would
    be rendered pass/FAIL, the wrong way round for both)."""
    import numpy as np

    from povsim.validation import _fitted_state

    s = load_scenario(ROOT / "scenarios" / "baseline.toml")
    t = _fitted_state(s)
    # the fit's own lists (FitResult.at_bounds, wide_se) ...
    fit = s.calibration.fit
    assert set(t.loc[t["at bound"] == "yes", "parameter"]) == set(fit["parameters_at_bounds"])
    assert set(t.loc[t["SE > half range"] == "yes", "parameter"]) == set(fit["parameters_se_over_half_range"])
    # ... agree with the numbers of the file's header
    span = t["upper"] - t["lower"]
    at_bound = (t["fitted"] <= t["lower"] + 0.01 * span) | (t["fitted"] >= t["upper"] - 0.01 * span)
    wide = ~np.isfinite(t["approx SE"]) | (t["approx SE"] > 0.5 * span)
    assert (t["at bound"] == np.where(at_bound, "yes", "no")).all()
    assert (t["SE > half range"] == np.where(wide, "yes", "no")).all()
    assert set(t["SE > half range"]) == {"yes", "no"}  # the shipped fit has both


def test_command_writes_the_document_from_a_results_folder(tmp_path, cache):
    from povsim.cli import main as povsim

    scen = tmp_path / "small.toml"
    scen.write_text(f'[scenario]\nname = "small"\nextends = "{ROOT / "scenarios" / "baseline.toml"}"\n'
                    '[population]\ngeography = "synthetic"\npersons = 2000\n'
                    'pilot_villages = 2\ncomparison_villages = 2\n'
                    'townships = 8\nspinup_from = 2006\ncounties = ["Yangxin", "Wufeng"]\n'
                    '[time]\nyears = 3\n')
    out = tmp_path / "run"
    assert povsim(["run", str(scen), "--out", str(out), "-q", "--no-figures"]) in (0,)
    doc = tmp_path / "validation.md"
    assert main(["--run", str(out), "--scenario", str(scen), "--out", str(doc)]) == 0
    text = doc.read_text()
    assert text.startswith("# Validation of the baseline")
    assert "python -m povsim.validation" in text


@pytest.mark.slow
def test_the_shipped_baseline_passes_every_target():
    """Issue 14's done-when: every fitting and held-out target of the baseline at its
    default size with 2 replicates (to 2030: every target is read by then)."""
    from povsim.calibration import target_checks

    s = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(time={"years": 16})
    res = run_scenario(s, replicates=2, seed=1, workers=2)
    checks = target_checks(s, res.tables)
    failing = checks[~checks["passes"].astype(bool)]
    assert failing.empty, failing[["name", "value", "simulated", "tolerance"]].to_string()
