"""Interrupt a real ``povsim batch`` process (SIGINT, SIGTERM, SIGKILL of its process group)
at a random point, resume it, and check the result equals an uninterrupted batch."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from povsim.experiment import batch_status, run_batch

ROOT = Path(__file__).resolve().parents[1]
SMALL = (ROOT / "scenarios" / "small.toml").as_posix()
N_RUNS = 16


def design(folder: Path) -> Path:
    f = folder / "interrupt.toml"
    f.write_text(
        f'[experiment]\nname = "interrupt"\nscenarios = ["{SMALL}"]\nreplicates = 4\nseed = 5\n'
        'outputs = ["income_poverty", "moda"]\n'
        "[overrides.population]\npersons = 1500\npilot_villages = 2\ncomparison_villages = 2\n"
        "[overrides.time]\nyears = 8\n"
        '[design]\nmethod = "draws"\nn = 4\n[design.parameters.migration_out_men]\n')
    return f


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("whole")
    f = design(d)
    res = run_batch(f, out=d / "out", workers=0)
    assert res.done == N_RUNS
    return f, d / "out"


def _finished(out: Path) -> int:
    runs = out / "runs"
    return len(list(runs.glob("*.run"))) if runs.is_dir() else 0


# SIGTERM takes the same path as SIGINT in the batch process (sigterm_interrupts), and
# tests/test_cli.py checks it for batch, sensitivity and calibrate: here only with -m slow
@pytest.mark.parametrize("how", ["SIGINT", pytest.param("SIGTERM", marks=pytest.mark.slow), "SIGKILL"])
def test_interrupt_then_resume(uninterrupted, tmp_path: Path, how: str) -> None:
    f, whole = uninterrupted
    out = tmp_path / "out"
    rng = random.Random()
    wait_for = rng.randint(1, N_RUNS // 2)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "povsim.cli", "batch", str(f), "--out", str(out), "--workers", "2"],
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 120
        while _finished(out) < wait_for and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.3))
        sig = getattr(signal, how)
        if how == "SIGTERM":
            os.kill(proc.pid, sig)          # the batch process only, as a scheduler's time limit
        else:
            os.killpg(proc.pid, sig)        # the whole process group, workers included (SIGINT: as Ctrl-C)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    done_before = _finished(out)
    info = f"{how} after {wait_for} runs; {done_before} finished; rc={proc.returncode}; stderr={stderr[-2000:]!r}"
    if proc.returncode != 0:  # it may have finished before the signal on a fast machine
        if how == "SIGKILL":
            assert proc.returncode == -signal.SIGKILL, info
        else:
            assert proc.returncode == 130, info
            assert b"run the same command again to resume" in stderr and b"Traceback" not in stderr, info
    time.sleep(0.2)  # let orphaned workers of a killed group exit
    st = batch_status(f, out)
    assert st.running is None, info
    assert st.counts()["done"] == done_before and not st.state.failed, info

    res = run_batch(f, out=out, workers=2)
    assert res.done == N_RUNS and not res.failed, info
    assert res.ran == N_RUNS - done_before, info                 # every run exactly once
    assert len(list((out / "runs").glob("*.run"))) == N_RUNS
    assert not list((out / "runs").glob(".*.tmp")) and not list(out.glob("*.partial-*"))
    for name in ("income_poverty", "moda"):
        a = (out / "tables" / f"{name}.csv").read_bytes()
        b = (whole / "tables" / f"{name}.csv").read_bytes()
        assert a == b, f"{name}: {info}"
    keys = pd.read_csv(out / "tables" / "income_poverty.csv", usecols=["run_key"])["run_key"]
    assert keys.nunique() == N_RUNS
