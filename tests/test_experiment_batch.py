"""Batches end to end on a tiny world: executors, resume, extend, failures, full disk, CLI."""

from __future__ import annotations

import errno
import importlib.util
import json
import os
import shutil
import signal
from pathlib import Path

import pandas as pd
import pytest

from povsim import output as povsim_output
from povsim.cli import main
from povsim.errors import OutputError
from povsim.experiment import BatchError, batch_status, collect_batch, run_batch
from povsim.experiment.executors import LocalPool, SerialExecutor
from povsim.experiment.runfile import RunFile
from povsim.experiment.worker import RunOutcome, RunSpec

ROOT = Path(__file__).resolve().parents[1]
SMALL = (ROOT / "scenarios" / "small.toml").as_posix()


def tiny_design(folder: Path, replicates: int = 3, values: str = "2300.0, 3300.0", years: int = 5,
                outputs: str = '["income_poverty", "population", "moda"]', name: str = "tiny") -> Path:
    f = folder / f"{name}.toml"
    f.write_text(
        f'[experiment]\nname = "{name}"\nscenarios = ["{SMALL}"]\nreplicates = {replicates}\nseed = 11\n'
        f"outputs = {outputs}\n"
        "[overrides.population]\npersons = 1500\npilot_villages = 2\ncomparison_villages = 2\n"
        f"[overrides.time]\nyears = {years}\n"
        f'[design]\nmethod = "grid"\n[design.parameters.poverty_line]\nvalues = [{values}]\n')
    return f


def tables_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "tables").glob("*.csv"))}


def run_checksums(folder: Path) -> dict[str, str]:
    return {p.stem: RunFile(p).sha256 for p in sorted((folder / "runs").glob("*.run"))}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Path]:
    """An uninterrupted batch of the tiny design, run in this process."""
    d = tmp_path_factory.mktemp("ref")
    f = tiny_design(d)
    res = run_batch(f, out=d / "out", workers=0)
    assert res.done == 6 and not res.failed and res.ran == 6
    return f, d / "out"


def test_reference_layout_and_tables(reference) -> None:
    _f, out = reference
    for name in ("design.json", "keyspace.csv", "keyspace.json", "manifest.json", "experiment.toml"):
        assert (out / name).is_file()
    ks = pd.read_csv(out / "keyspace.csv")
    assert len(ks) == 6 and ks["run_key"].is_unique
    inc = pd.read_csv(out / "tables" / "income_poverty.csv")
    assert list(inc.columns[:7]) == ["run_key", "scenario", "point", "poverty_line", "replicate", "seed", "year"]
    assert list(inc.columns[7:]) == ["by", "group", "measure", "numerator", "denominator", "value"]
    assert {p.name for p in (out / "tables").glob("*.csv")} == {"income_poverty.csv", "population.csv", "moda.csv"}
    assert inc["run_key"].drop_duplicates().tolist() == ks["run_key"].tolist()  # keyspace order
    man = json.loads((out / "manifest.json").read_text())
    files = {Path(i["path"]).name: i["checksum"] for i in man["input_files"]}
    assert {"tiny.toml", "small.toml", "baseline.toml"} <= set(files)
    assert all(c.startswith("sha256:") for c in files.values())
    assert len(man["seeds"]) == 3 and man["extra"]["status"] == "finished" and man["command_line"]
    assert "dask" in man["extra"]["extra_package_versions"] and "git" in man
    assert len(list((out / "history").glob("manifest-*.json"))) >= 2
    if importlib.util.find_spec("pyarrow") is not None:
        pq = pd.read_parquet(out / "tables" / "income_poverty.parquet")
        pd.testing.assert_frame_equal(pq.astype({c: "object" for c in pq.columns if pq[c].dtype != float}),
                                      inc.astype({c: "object" for c in inc.columns if inc[c].dtype != float}),
                                      check_dtype=False)


def test_same_results_with_1_and_2_workers(reference, tmp_path: Path) -> None:
    f, ref = reference
    r1 = run_batch(f, out=tmp_path / "w1", workers=1)
    r2 = run_batch(f, out=tmp_path / "w2", workers=2)
    assert r1.done == r2.done == 6 and r1.ran == r2.ran == 6
    for out in (tmp_path / "w1", tmp_path / "w2"):
        assert run_checksums(out) == run_checksums(ref)
        assert tables_bytes(out) == tables_bytes(ref)


def test_same_results_on_a_dask_local_cluster(reference, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    f, ref = reference
    res = run_batch(f, out=tmp_path / "dask", dask_local=2)
    assert res.done == 6 and not res.failed
    assert run_checksums(tmp_path / "dask") == run_checksums(ref)
    assert tables_bytes(tmp_path / "dask") == tables_bytes(ref)
    man = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert man["extra"]["executor"]["executor"] == "dask"


def test_dask_cluster_fixture_style(reference, tmp_path: Path) -> None:
    """An existing cluster (as with --scheduler): LocalCluster(n_workers=2, processes=True)."""
    distributed = pytest.importorskip("distributed")
    f, ref = reference
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster:
        res = run_batch(f, out=tmp_path / "sched", scheduler=cluster.scheduler_address)
    assert res.done == 6 and tables_bytes(tmp_path / "sched") == tables_bytes(ref)


@pytest.mark.slow
def test_example_design_end_to_end(tmp_path: Path, capsys) -> None:
    f = ROOT / "experiments" / "small_lhs.toml"
    assert main(["batch", str(f), "--out", str(tmp_path / "lhs"), "--workers", "2"]) == 0
    assert "done: 160 of 160 runs" in capsys.readouterr().out
    inc = pd.read_csv(tmp_path / "lhs" / "tables" / "income_poverty.csv")
    assert inc["run_key"].nunique() == 160 and {"migration_out_men", "return_schooling", "dibao_takeup"} <= set(inc)


def test_resume_runs_only_what_is_missing(reference, tmp_path: Path) -> None:
    f, ref = reference
    out = tmp_path / "b"
    run_batch(f, out=out, workers=0)
    runs = sorted((out / "runs").glob("*.run"))
    runs[0].unlink()                                           # lost
    runs[1].write_bytes(runs[1].read_bytes()[:1000])           # truncated
    blob = bytearray(runs[2].read_bytes())
    blob[-10] ^= 0xFF
    runs[2].write_bytes(bytes(blob))                           # altered
    untouched = {p: p.stat().st_mtime_ns for p in runs[3:]}
    st = batch_status(f, out)
    assert st.counts() == {"done": 3, "failed": 0, "pending": 3} and len(st.state.corrupt) == 2
    res = run_batch(f, out=out, workers=0)
    assert res.ran == 3 and res.done == 6
    assert {p: p.stat().st_mtime_ns for p in runs[3:]} == untouched
    assert tables_bytes(out) == tables_bytes(ref)
    assert run_batch(f, out=out, workers=0).ran == 0           # nothing left


def test_runs_of_another_model_version_are_run_again(reference, tmp_path: Path, monkeypatch, capsys) -> None:
    """A batch resumed after the model code changed never mixes the two models' results:
    every run of the old one is run again (and gives the same tables when, as here, the
    change leaves the results as they were)."""
    import povsim.experiment.store as store_mod
    import povsim.experiment.worker as worker_mod

    f, ref = reference
    out = tmp_path / "b"
    shutil.copytree(ref, out)  # the finished batch of the current model
    monkeypatch.setattr(store_mod, "model_fingerprint", lambda: "another version")
    st = batch_status(f, out)
    assert st.counts() == {"done": 0, "failed": 0, "pending": 6} and len(st.state.other_model) == 6
    assert "6 result(s) were made by another version of the model" in st.describe(str(f))
    monkeypatch.undo()
    assert main(["batch", str(f), "--out", str(out), "--workers", "0"]) == 0
    assert "another version of the model" not in "".join(capsys.readouterr())
    monkeypatch.setattr(store_mod, "model_fingerprint", lambda: "another version")
    monkeypatch.setattr(worker_mod, "model_fingerprint", lambda: "another version")
    assert main(["batch", str(f), "--out", str(out), "--workers", "0"]) == 0
    assert all(RunFile(p).meta["model"] == "another version" for p in (out / "runs").glob("*.run"))
    captured = capsys.readouterr()
    assert "6 finished run(s) were made by another version of the model code and are run again" in (
        captured.out + captured.err)
    assert tables_bytes(out) == tables_bytes(ref)


def test_changed_design_needs_extend(reference, tmp_path: Path) -> None:
    f, ref = reference
    out = tmp_path / "b"
    run_batch(f, out=out, workers=0)
    before = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.run")}
    g = tiny_design(tmp_path, replicates=4, values="2300.0, 3300.0, 2800.0")
    with pytest.raises(BatchError, match="--extend"):
        run_batch(g, out=out, workers=0)
    res = run_batch(g, out=out, workers=0, extend=True)
    assert res.total == 12 and res.ran == 6 and res.done == 12
    after = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.run")}
    assert all(after[k] == v for k, v in before.items())       # earlier runs not recomputed
    # the earlier runs' rows are unchanged in the extended tables
    old = pd.read_csv(ref / "tables" / "income_poverty.csv")
    new = pd.read_csv(out / "tables" / "income_poverty.csv")
    merged = new[new["run_key"].isin(old["run_key"])]
    pd.testing.assert_frame_equal(
        merged.sort_values(["run_key", "year", "by", "group", "measure"]).reset_index(drop=True),
        old.sort_values(["run_key", "year", "by", "group", "measure"]).reset_index(drop=True))
    assert len(list((out / "history").glob("design-*.json"))) == 1


def test_failing_run_is_recorded_and_batch_goes_on(reference, tmp_path: Path, monkeypatch, capsys) -> None:
    f, _ = reference
    out = tmp_path / "b"
    import povsim.runner

    real = povsim.runner.run_replicate
    bad_seed = json.loads((reference[1] / "keyspace.json").read_text())["runs"][1]["seed"]

    def flaky(scenario, seed, progress=None):
        if seed == bad_seed and scenario.parameters.get("poverty_line") == 3300.0:
            raise ValueError("simulated failure in a run")
        return real(scenario, seed, progress)

    monkeypatch.setattr(povsim.runner, "run_replicate", flaky)
    assert main(["batch", str(f), "--out", str(out), "--workers", "0", "-q"]) == 1
    assert "1 run(s) failed" in capsys.readouterr().err
    st = batch_status(f, out)
    assert st.counts() == {"done": 5, "failed": 1, "pending": 0}
    (key, rec), = st.state.failed.items()
    assert rec["error"] == "ValueError: simulated failure in a run" and "Traceback" in rec["traceback"]
    assert main(["batch", "status", str(f), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "failed 1" in printed and f"{key}: ValueError: simulated failure in a run" in printed
    monkeypatch.setattr(povsim.runner, "run_replicate", real)
    res = run_batch(f, out=out, workers=0)                     # retried
    assert res.ran == 1 and res.done == 6 and not res.failed
    assert not (out / "runs" / f"{key}.failed.json").exists()
    assert tables_bytes(out) == tables_bytes(reference[1])


def _die_on_second(spec: RunSpec) -> RunOutcome:
    from povsim.experiment.worker import execute

    if spec.replicate == 1 and spec.point == 0:
        os._exit(3)
    return execute(spec)


def test_worker_death_fails_only_its_runs(reference, tmp_path: Path) -> None:
    f, _ = reference
    from povsim.experiment.design import load_experiment
    from povsim.experiment.keyspace import expand

    exp = load_experiment(f)
    ks = expand(exp)
    specs = [RunSpec(e.key, ks.scenarios[e.scenario], e.parameters, e.seed, exp.outputs, e.replicate, e.point)
             for e in ks]
    with LocalPool(1) as pool:
        outcomes = list(pool.imap_unordered(specs, _die_on_second))
    failed = [o for o in outcomes if not o.ok]
    # every run came back although the only worker died: the pool was rebuilt
    assert len(outcomes) == 6 and {o.key for o in outcomes} == set(ks.keys)
    assert any("died" in o.error for o in failed) and 1 <= len(failed) <= 2


def _signal_state(spec: RunSpec) -> RunOutcome:
    import signal as sig

    mask = sig.pthread_sigmask(sig.SIG_BLOCK, [])
    return RunOutcome(spec.key, ok=True, extra={"held": sig.SIGINT in mask, "term_held": sig.SIGTERM in mask,
                                                "handler": str(sig.getsignal(sig.SIGINT))})


def test_spawned_workers_never_see_sigint() -> None:
    # A Ctrl-C while a new worker still imports povsim (before its initializer runs) used
    # to print the worker's KeyboardInterrupt traceback: workers start with SIGINT held.
    # SIGTERM is held while a worker is spawned too (a batch stopped half-way through a
    # spawn waited at exit for the worker it never listed), and free again in the worker,
    # so that the pool can stop it.
    from povsim.experiment.executors import _signals_held

    with _signals_held():
        assert {signal.SIGINT, signal.SIGTERM} <= signal.pthread_sigmask(signal.SIG_BLOCK, [])
    spec = RunSpec("k", "x", {}, 1, ("moda",), 0, 0)
    with LocalPool(1) as pool:
        (outcome,) = pool.imap_unordered([spec], _signal_state)
    assert outcome.extra == {"held": True, "term_held": False, "handler": str(signal.SIG_IGN)}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    assert signal.SIGINT not in mask and signal.SIGTERM not in mask  # this process is free again


def test_full_disk_stops_cleanly_and_resumes(reference, tmp_path: Path, monkeypatch) -> None:
    f, ref = reference
    out = tmp_path / "b"
    real = povsim_output._atomic_write
    written = []

    def disk_fills(path, write):
        if str(path).endswith(".run"):
            if len(written) >= 2:  # the third result file does not fit
                def failing(fh):
                    fh.write(b"partial")
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return real(path, failing)
            written.append(path)
        return real(path, write)

    monkeypatch.setattr(povsim_output, "_atomic_write", disk_fills)
    with pytest.raises(OutputError, match="No space left on device") as info:
        run_batch(f, out=out, workers=0)
    assert "finished runs are kept" in str(info.value) and "resume" in str(info.value)
    assert len(list((out / "runs").glob("*.run"))) == 2 and not list((out / "runs").glob(".*.tmp"))
    monkeypatch.setattr(povsim_output, "_atomic_write", real)
    res = run_batch(f, out=out, workers=0)
    assert res.ran == 4 and res.done == 6
    assert tables_bytes(out) == tables_bytes(ref)


def test_full_disk_through_the_cli(reference, tmp_path: Path, monkeypatch, capsys) -> None:
    f, _ = reference
    real = povsim_output._atomic_write

    def enospc(path, write):
        if str(path).endswith(".run"):
            def failing(fh):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(path, failing)
        return real(path, write)

    monkeypatch.setattr(povsim_output, "_atomic_write", enospc)
    assert main(["batch", str(f), "--out", str(tmp_path / "b"), "--workers", "0", "-q"]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err and "free some disk space" in err
    assert not list((tmp_path / "b" / "runs").glob("*.tmp")) and not list((tmp_path / "b" / "runs").glob(".*"))


def test_unwritable_folder(reference, tmp_path: Path, monkeypatch, capsys) -> None:
    f, _ = reference
    out = tmp_path / "b"
    out.mkdir()
    import povsim.experiment.store as store_mod

    monkeypatch.setattr(store_mod.os, "access", lambda path, mode: False)
    assert main(["batch", str(f), "--out", str(out), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert "permission denied" in err and "--out" in err and "Traceback" not in err
    assert list(out.iterdir()) == []  # nothing created
    monkeypatch.undo()

    real = povsim_output._atomic_write

    def denied(path, write):
        def failing(fh):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))
        return real(path, failing)

    monkeypatch.setattr(povsim_output, "_atomic_write", denied)
    with pytest.raises(OutputError, match="Permission denied"):
        run_batch(f, out=out, workers=0)
    assert not (out / "design.json").exists()


def test_memory_guard_refuses_and_keeps_pilot(reference, tmp_path: Path, monkeypatch) -> None:
    f, _ = reference
    out = tmp_path / "b"
    monkeypatch.setattr(SerialExecutor, "slot_memory", lambda self: (10 * 2**20, "10 MB available (test)"))
    # the cost model refuses before the pilot runs ...
    with pytest.raises(BatchError, match=r"out of memory.*cost model"):
        run_batch(f, out=out, workers=0)
    assert not list((out / "runs").glob("*.run"))
    # ... and when it underestimates, the pilot's measured memory refuses, keeping the pilot
    import povsim.experiment.batch as batch_mod
    from povsim.experiment.estimate import RunEstimate

    monkeypatch.setattr(batch_mod, "estimate_run", lambda sc, **kw: RunEstimate(0.1, 2**20, 0.1, 2**20))
    with pytest.raises(BatchError) as info:
        run_batch(f, out=out, workers=0)
    msg = str(info.value)
    assert "out of memory" in msg and "smaller" in msg and "persons" in msg
    assert len(list((out / "runs").glob("*.run"))) == 1       # the pilot's result is kept
    res = run_batch(f, out=out, workers=0, memory_check=False)
    assert res.ran == 5


def test_cli_batch_status_collect(reference, tmp_path: Path, capsys) -> None:
    f, ref = reference
    out = tmp_path / "b"
    assert main(["batch", "status", str(f), "--out", str(out)]) == 2
    assert "no batch in" in capsys.readouterr().err
    assert main(["batch", "run", str(f), "--out", str(out), "--workers", "0"]) == 0
    printed = capsys.readouterr().out
    assert "pilot run" in printed and "estimated peak memory" in printed and "about" in printed
    assert "done: 6 of 6 runs; failed: 0; pending: 0" in printed
    (out / "tables" / "population.csv").unlink()
    assert main(["batch", "collect", str(f), "--out", str(out)]) == 0
    assert "population:" in capsys.readouterr().out
    assert tables_bytes(out) == tables_bytes(ref)
    assert main(["batch", "status", str(f), "--out", str(out)]) == 0
    assert "done 6, failed 0, pending 0" in capsys.readouterr().out
    tables, st = collect_batch(f, out)
    assert tables["income_poverty"] > 0 and st.total == 6


def test_collect_without_pyarrow_gives_the_same_values(reference, tmp_path: Path) -> None:
    from povsim.experiment.collect import collect_tables
    from povsim.experiment.store import RunStore

    _f, ref = reference
    runs = json.loads((ref / "keyspace.json").read_text())["runs"]
    rows = collect_tables(RunStore(ref), runs, ["poverty_line"], ["income_poverty", "moda"], folder=tmp_path,
                          parquet=False)
    assert rows["income_poverty"] > 0 and not list(tmp_path.glob("*.parquet"))
    for name in ("income_poverty", "moda"):
        a = pd.read_csv(tmp_path / f"{name}.csv")
        b = pd.read_csv(ref / "tables" / f"{name}.csv")
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=True)


def test_default_outputs_and_changed_outputs(tmp_path: Path) -> None:
    f = tiny_design(tmp_path, replicates=1, values="2300.0", outputs="[\"moda\"]")
    out = tmp_path / "b"
    assert run_batch(f, out=out, workers=0).ran == 1
    text = f.read_text().replace('outputs = ["moda"]\n', "")
    f.write_text(text)                                       # now the default outputs
    with pytest.raises(BatchError, match="other outputs"):
        run_batch(f, out=out, workers=0)
    res = run_batch(f, out=out, workers=0, extend=True)    # the run lacks tables: run again
    assert res.ran == 1
    names = {p.stem for p in (out / "tables").glob("*.csv")}
    assert {"population", "income_poverty", "moda", "generations"} <= names
    assert not any(n.startswith("moda_") for n in names)
    assert run_batch(f, out=out, workers=0).ran == 0
