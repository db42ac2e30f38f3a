"""Virtual trials: trial files, sampling and randomisation at the study's unit, delivery
to the arm only, estimators, the command line, and (slow) the shipped trials against
their sources."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from povsim.errors import ScenarioErrors
from povsim.trial import _draw_sample, load_trial, run_trial, run_trial_replicate

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "trials").glob("*.toml"))

SMALL = """
[trial]
name = "small_home_visits"
source = "test file"
scenario = "{scenario}"
persons = 12000
population = {{ geography = "synthetic", pilot_villages = 8, comparison_villages = 8, townships = 8 }}
replicates = 2
seed = 3

[sample]
ages = [0, 1]
unit = "{unit}"
size = {size}
clusters = {clusters}

[arms.control]
[arms.visits]
interventions.home_visits = {{ visits_per_child = 50 }}

[delivery]
years = 1

[[outcome]]
name = "score"
measure = "score"
instrument = "bayley"
years_after_start = 1
estimator = "itt_sd"
source_estimate = 0.2
source_ci = [0.0, 0.4]

[[outcome]]
name = "skill_diff"
measure = "skill"
years_after_start = 1
estimator = "itt_diff"
"""


def _write(tmp_path, unit="village", size=0, clusters=10, text=None):
    f = tmp_path / "t.toml"
    f.write_text(text if text is not None else SMALL.format(
        scenario=(ROOT / "scenarios" / "baseline.toml").as_posix(), unit=unit, size=size,
        clusters=clusters))
    return f


def test_shipped_trials_load_and_cite_their_source():
    assert {p.stem for p in SHIPPED} >= {"jamaica_stimulation", "china_chw_parenting",
                                         "sylvia_fpc_home_visits", "qinghai_yyb",
                                         "mo_cct_dropout"}
    for f in SHIPPED:
        spec = load_trial(f)
        assert len(spec.meta.source) > 40 and spec.meta.assumptions
        assert any(o.source_estimate is not None for o in spec.outcomes)


def test_village_randomisation_keeps_each_village_in_one_arm(tmp_path):
    from povsim.model import PovertyModel
    from povsim.rng import Streams

    spec = load_trial(_write(tmp_path, "village", clusters=10))
    m = PovertyModel(spec.scenario(), seed=5, collect=False)
    ids, arm_of, unit_arm, _ = _draw_sample(m.world, spec, Streams(5))
    P = m.world.P
    rows = pd.Series(np.arange(P.n), index=P.id).loc[ids].to_numpy()
    village = m.world.H.village[P.hh[rows]]
    assert len(np.unique(village)) == 10
    per_village = pd.Series(arm_of).groupby(village).nunique()
    assert (per_village == 1).all()
    assert sorted(np.bincount(unit_arm[:, 1])) == [5, 5]  # balanced allocation of clusters
    assert (m.world.age()[rows] <= 1).all()


def test_child_sample_has_the_study_size_and_balanced_arms(tmp_path):
    from povsim.model import PovertyModel
    from povsim.rng import Streams

    spec = load_trial(_write(tmp_path, "child", size=120, clusters=0))
    m = PovertyModel(spec.scenario(), seed=5, collect=False)
    ids, arm_of, _, _ = _draw_sample(m.world, spec, Streams(5))
    assert len(ids) == 120 and len(np.unique(ids)) == 120
    assert np.bincount(arm_of).tolist() == [60, 60]


def test_only_the_treated_arm_is_reached_and_gains(tmp_path):
    spec = load_trial(_write(tmp_path, "child", size=150, clusters=0))
    out = run_trial_replicate(spec, 7)
    est = out["estimates"].set_index("outcome")
    # one year of weekly visits at ages 0-1: latent skill gain (1 - rho) w dose x 0.85 > 0
    assert est.loc["skill_diff", "estimate"] > 0.1
    assert est.loc["score", "n_control"] + est.loc["score", "n_treated"] <= 150
    traj = out["trajectories"]
    assert set(traj["arm"]) == {"control", "visits"}


def test_trial_summary_sets_model_beside_source(tmp_path):
    spec = load_trial(_write(tmp_path, "child", size=150, clusters=0))
    res = run_trial(spec, replicates=2)
    s = res.summary.set_index("outcome")
    assert s.loc["score", "replicates"] == 2
    assert s.loc["score", "source_estimate"] == 0.2
    v = res.estimates[res.estimates.outcome == "score"].estimate
    assert s.loc["score", "model_mean"] == pytest.approx(v.mean())
    assert s.loc["score", "within_source_ci"] == (0.0 <= v.mean() <= 0.4)
    assert s.loc["skill_diff", "within_source_ci"] is None


@pytest.mark.parametrize("edit,key,hint", [
    (("[sample]", "[sampel]"), "sampel", "did you mean 'sample'"),
    (('estimator = "itt_sd"', 'estimator = "itt_sdd"'), "estimator", "itt_sd"),
    (('instrument = "bayley"', 'instrument = "bayly"'), "instrument", "did you mean 'bayley'"),
    (("interventions.home_visits", "interventions.home_visit"), "home_visit",
     "did you mean 'home_visits'"),
    # the shared translator (povsim.config) words every kind of file's errors alike
    (("visits_per_child = 50", "visits_per_chld = 50"),
     "arms.visits.interventions.home_visits.visits_per_chld", "did you mean 'visits_per_child'"),
    (("replicates = 2", 'replicates = "2"'), "trial.replicates", "remove the quotes: replicates = 2"),
])
def test_bad_trial_file_names_key_and_suggestion(tmp_path, edit, key, hint):
    text = SMALL.format(scenario=(ROOT / "scenarios" / "baseline.toml").as_posix(),
                        unit="child", size=10, clusters=0).replace(*edit)
    f = _write(tmp_path, text=text)
    with pytest.raises(ScenarioErrors) as info:
        load_trial(f)
    msg = str(info.value)
    assert "t.toml" in msg and key in msg and hint in msg


def test_trial_command_writes_results_and_exit_code_2_on_bad_file(tmp_path, capsys):
    from povsim.cli import main

    f = _write(tmp_path, "child", size=100, clusters=0)
    out = tmp_path / "res"
    assert main(["trial", str(f), "--replicates", "2", "--out", str(out), "-q"]) == 0
    for name in ("trial_summary.csv", "trial_estimates.csv", "trajectories.csv", "report.md",
                 "manifest.json", "figures/forest.png", "figures/trajectories.png"):
        assert (out / name).exists(), name
    assert "Model beside the source" in (out / "report.md").read_text()
    assert main(["trial", str(tmp_path / "missing.toml")]) == 2
    assert "an existing trial file" in capsys.readouterr().err


@pytest.mark.slow
def test_trial_results_do_not_depend_on_workers(tmp_path):
    spec = load_trial(_write(tmp_path, "village", clusters=8))
    a = run_trial(spec, replicates=2, workers=1)
    b = run_trial(spec, replicates=2, workers=2)
    pd.testing.assert_frame_equal(a.estimates, b.estimates, check_exact=True)


#: outcomes whose source the model is not expected to reproduce, with the reason (each is
#: explained in its trial file and in docs/child_development.md)
NOT_REPRODUCED = {
    ("jamaica_stimulation", "earnings_22"): "no socio-emotional earnings channel; selection "
                                             "of 22-year-old workers on schooling",
}


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_trial_reproduces_its_source(path):
    spec = load_trial(path)
    res = run_trial(spec, workers=2)
    assert res.seconds < 240  # each trial within 2 minutes on 2 cores (slack for load)
    for r in res.summary.itertuples():
        if r.within_source_ci is None or (spec.name, r.outcome) in NOT_REPRODUCED:
            continue
        assert r.within_source_ci, (spec.name, r.outcome, r.model_mean, r.source_lo,
                                    r.source_hi)
