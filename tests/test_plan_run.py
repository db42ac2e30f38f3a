"""``povsim plan`` end to end on the small shipped plan: outputs, constraints honoured,
resumption (a rerun executes nothing and gives the same plan), and kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from povsim.experiment.executors import SerialExecutor
from povsim.plan.run import run_plan

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "plans" / "small.toml"
#: Tables that must be identical between two runs of the same plan (solver times left out).
SAME = ("allocation", "villages", "plans", "frontier", "alternatives", "stability", "rollout", "verification",
        "verification_pairs", "surrogate", "cost_model", "marginal_returns")


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("plan") / "small"
    t0 = time.perf_counter()
    res = run_plan(SMALL, out=out, executor=SerialExecutor(), figures=True, command_line=["test"])
    return res, time.perf_counter() - t0


def _read(folder: Path, name: str) -> str:
    """A table as CSV text, without the solver's run times."""
    df = pd.read_csv(folder / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)
    return df.drop(columns=[c for c in df.columns if c == "seconds"]).to_csv(index=False)


def test_small_plan_writes_a_complete_plan(small_plan):
    res, _ = small_plan
    d = res.folder
    for name in (*SAME, "optimality", "binding_constraints", "shadow_price", "timings", "probabilities"):
        assert (d / "tables" / f"{name}.csv").is_file(), name
    for fig in ("frontier", "allocation", "verification", "marginal_returns", "stability"):
        assert (d / "figures" / f"{fig}.png").is_file(), fig
    manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"]["plan"]["name"] == "small"
    assert any(f["path"].endswith("small.toml") for f in manifest["input_files"])
    assert (d / "summary.txt").read_text(encoding="utf-8").startswith("plan small")
    assert not list(d.parent.glob("plan.partial-*"))  # built under a staging name, renamed when complete


def test_small_plan_is_optimal_within_budget_and_constraints(small_plan):
    res, _ = small_plan
    plans = res.tables["plans"]
    assert (plans["status"] == "optimal").all()
    assert (plans["cost_rmb_simulated"] <= plans["budget_rmb_simulated"] * (1 + 1e-9)).all()
    opt = res.tables["optimality"]
    done = opt[opt["status"] == "optimal"]
    assert len(done) >= 10 and (done["gap"] <= 1e-6 + 1e-12).all()
    alloc = res.tables["allocation"]
    for label, a in alloc.groupby("allocation"):
        served = a.groupby("name")["intervention"].agg(set)
        # parent training only where the village has a centre ("requires")
        assert all("child_service_centre" in s for s in served if "parent_training" in s), label
        # the earmarked fund pays only for its interventions
        fund = a[a["funder"] == "bestseller_fund"]
        assert set(fund["intervention"]) <= {"child_service_centre", "home_visits"}, label
    # the allocation table's cost equals the solver's cost of the plan
    for _, row in plans.iterrows():
        lab = f"plan_{row['budget_rmb_plan'] / 1e6:g}M"
        assert alloc.loc[alloc["allocation"] == lab, "cost_rmb_simulated"].sum() == pytest.approx(
            row["cost_rmb_simulated"], rel=1e-9)


def test_small_plan_verification_pairs_with_the_current_allocation(small_plan):
    res, _ = small_plan
    v = res.tables["verification"]
    assert {"current", "plan_275M", "plan_137.5M"} <= set(v["allocation"])
    assert np.isfinite(v[["surrogate", "model", "model_lo", "model_hi", "error"]].to_numpy()).all()
    assert (v["replicates"] == 3).all()
    pairs = res.tables["verification_pairs"]
    row = pairs[(pairs["allocation"] == "plan_275M") & (pairs["versus"] == "current")
                & (pairs["measure"] == "objective")]
    assert len(row) == 1 and row["lo"].iloc[0] <= row["difference"].iloc[0] <= row["hi"].iloc[0]
    # the surrogate predicts the model's result for the same allocation: the right sign, and
    # an error within half the effect plus the verification's own noise (the half-width of
    # its 95% interval over 3 replicates; the design has 3 draws x 2 runs, so it is loose)
    main = v[v["allocation"] == "plan_275M"].iloc[0]
    assert np.sign(main["surrogate"]) == np.sign(main["model"])
    noise = 0.5 * (main["model_hi"] - main["model_lo"])
    assert abs(main["error"]) < 0.5 * abs(main["model"]) + noise, (main["surrogate"], main["model"], noise)


def test_rerun_resumes_and_gives_the_same_plan(small_plan, tmp_path):
    res, _ = small_plan
    first = {n: _read(res.folder, n) for n in SAME}
    # folders named like staging folders but not povsim's (no marker; earlier results set
    # aside) are left alone: only povsim's own unfinished folders of ended processes go
    foreign = [res.folder.parent / "plan.partial-1", res.folder.parent / "plan.old-1"]
    for d in foreign:
        d.mkdir()
        (d / "notes.txt").write_text("mine", encoding="utf-8")
    again = run_plan(SMALL, out=res.folder.parent, executor=SerialExecutor(), figures=False, command_line=["test"])
    assert again.runs_executed == 0
    for n in SAME:
        assert _read(again.folder, n) == first[n], n
    for d in foreign:
        assert (d / "notes.txt").read_text(encoding="utf-8") == "mine", d


@pytest.mark.slow
def test_kill_9_then_rerun_gives_the_same_plan(small_plan, tmp_path):
    res, _ = small_plan
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "povsim.cli", "plan", str(SMALL), "--out", str(out), "--workers", "0", "-q",
           "--no-figures"]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while time.time() < deadline and len(list((out / "runs").glob("*.run"))) < 8:
            time.sleep(0.1)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = len(list((out / "runs").glob("*.run")))
    assert 8 <= done < 27 and not (out / "plan").exists()
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    for n in SAME:
        assert _read(out / "plan", n) == _read(res.folder, n), n


def test_cli_main_entry_point_exists():
    # the kill test runs `python -m povsim.cli`: the module must run main() as a script
    text = (ROOT / "src" / "povsim" / "cli.py").read_text(encoding="utf-8")
    assert 'if __name__ == "__main__":' in text


def test_plan_timing_recorded(small_plan):
    res, seconds = small_plan
    t = res.tables["timings"].set_index("phase")["seconds"]
    assert t["total"] <= seconds + 1.0
    assert pd.Series(res.timings).ge(0).all()


def test_a_folder_that_is_not_a_plan_is_refused(tmp_path):
    from povsim.errors import OutputError

    (tmp_path / "thesis.docx").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="not a povsim plan folder"):
        run_plan(SMALL, out=tmp_path, executor=SerialExecutor())
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.docx"]
    (tmp_path / "thesis.docx").unlink()
    (tmp_path / "plan").mkdir()
    (tmp_path / "plan" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="not a plan written by povsim"):
        run_plan(SMALL, out=tmp_path, executor=SerialExecutor())
    assert (tmp_path / "plan" / "notes.txt").is_file()
