"""Run, inspect and collect a batch: the functions behind ``povsim batch``.

:func:`run_batch` is resumable by construction: the design and keyspace are saved
before anything runs, each run's result is written atomically as it finishes, and
running the same command again runs only what is not done (failed runs are retried;
truncated or altered result files are detected and recomputed).  A design file that
changed since the batch started is refused unless ``extend=True``, which keeps every
finished run whose key is still in the design.

Examples
--------
>>> from povsim.experiment import run_batch, batch_status
>>> res = run_batch("experiments/small_lhs.toml", workers=2)     # doctest: +SKIP
>>> batch_status("experiments/small_lhs.toml").counts()          # doctest: +SKIP
{'done': 160, 'failed': 0, 'pending': 0}
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from povsim import output as _output
from povsim.errors import OutputError
from povsim.experiment.collect import collect_tables
from povsim.experiment.design import Experiment, load_experiment
from povsim.experiment.errors import BatchError, BatchInterrupted
from povsim.experiment.estimate import Estimate, check_memory, estimate_from_runs, estimate_run, format_seconds
from povsim.experiment.executors import Executor, RunFunction, make_executor
from povsim.experiment.keyspace import Keyspace, RunEntry, expand
from povsim.experiment.store import RunStore, StoreState
from povsim.experiment.worker import RunOutcome, RunSpec, execute

__all__ = [
    "BatchResult",
    "BatchStatus",
    "Reporter",
    "Tally",
    "batch_folder",
    "batch_status",
    "collect_batch",
    "open_store",
    "run_batch",
    "run_missing",
    "run_specs",
]

EXTRA_PACKAGES = ("dask", "distributed", "pyarrow")


class Reporter(Protocol):
    """Receives messages and progress of a batch (the CLI draws a progress bar)."""

    def message(self, text: str) -> None:
        """A line of information."""

    def start(self, total: int, completed: int) -> None:
        """The main phase starts: ``completed`` of ``total`` runs are already finished."""

    def advance(self, outcome: RunOutcome) -> None:
        """One run finished (``outcome.ok``) or failed."""

    def stop(self) -> None:
        """The main phase ended (normally or not)."""


class SilentReporter:
    """A :class:`Reporter` that says nothing (library use without a reporter)."""

    def message(self, text: str) -> None:
        pass

    def start(self, total: int, completed: int) -> None:
        pass

    def advance(self, outcome: RunOutcome) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass
class BatchResult:
    """What a call of :func:`run_batch` did.

    Attributes
    ----------
    folder
        The batch folder.
    total
        Runs in the design.
    done
        Runs with a result (before and during this call).
    failed
        Key -> error line, for runs whose last attempt failed.
    pending
        Runs neither done nor failed (non-zero only if the batch stopped early).
    ran
        Runs executed by this call (the pilot included).
    seconds
        Wall time of this call.
    tables
        Collected output -> rows.
    estimate
        The runtime and memory estimate, if one was made.
    """

    folder: Path
    total: int
    done: int
    failed: dict[str, str]
    pending: int
    ran: int
    seconds: float
    tables: dict[str, int] = field(default_factory=dict)
    estimate: Estimate | None = None


@dataclass
class BatchStatus:
    """Where a batch stands (``povsim batch status``)."""

    folder: Path
    total: int
    state: StoreState
    running: str | None
    design_changed: bool
    outside: int

    def counts(self) -> dict[str, int]:
        """``{"done", "failed", "pending"}`` (corrupt, stale and other models' results count as
        pending)."""
        return {"done": len(self.state.done), "failed": len(self.state.failed),
                "pending": len(self.state.pending)}

    def describe(self, file: str, verbose: bool = False) -> str:
        """What ``povsim batch status`` prints (failed runs: 20 unless ``verbose``)."""
        c, st = self.counts(), self.state
        lines = [f"batch {self.folder}: {self.total} runs — done {c['done']}, failed {c['failed']}, "
                 f"pending {c['pending']}"]
        if self.running:
            lines.append(f"a batch process (pid {self.running}) is running in this folder now")
        if self.design_changed:
            lines.append(f"note: {file} has changed since the batch started; `povsim batch {file} --extend` runs "
                         "the new design")
        if st.corrupt:
            lines.append(f"{len(st.corrupt)} damaged result file(s), counted as pending (they are run again):")
            lines += [f"  {key}: {why}" for key, why in st.corrupt.items()]
        if st.stale:
            lines.append(f"{len(st.stale)} result(s) lack a table the design keeps, counted as pending")
        if st.other_model:
            lines.append(f"{len(st.other_model)} result(s) were made by another version of the model, counted as "
                         "pending (they are run again)")
        if self.outside:
            lines.append(f"{self.outside} finished run(s) in the folder are not in the current design (kept, not "
                         "collected)")
        limit = None if verbose else 20
        failed = list(st.failed.items())
        if failed:
            lines.append("failed runs (key: error):")
            lines += [f"  {key}: {rec.get('error', '')}" for key, rec in failed[:limit]]
            if limit is not None and len(failed) > limit:
                lines.append(f"  ... and {len(failed) - limit} more (-v lists all; tracebacks in "
                             "runs/<key>.failed.json)")
        return "\n".join(lines)


def batch_folder(experiment: Experiment, out: str | os.PathLike[str] | None = None) -> Path:
    """The batch folder: ``out``, or ``results/<experiment name>`` (relative to the current folder)."""
    return Path(out).absolute() if out is not None else Path("results").absolute() / experiment.name


def _spec(entry: RunEntry, ks: Keyspace, outputs: tuple[str, ...] | None) -> RunSpec:
    return RunSpec(key=entry.key, scenario=ks.scenarios[entry.scenario], parameters=dict(entry.parameters),
                   seed=entry.seed, outputs=outputs, replicate=entry.replicate, point=entry.point)


def _design_doc(exp: Experiment, ks: Keyspace) -> dict[str, Any]:
    return {
        "experiment": exp.resolved_dict(),
        "fingerprint": ks.fingerprint(exp.outputs),
        "n_runs": len(ks),
        "parameters": list(ks.parameters),
        "scenarios": {name: sc.resolved_dict() for name, sc in ks.scenarios.items()},
        "saved": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _changed(old: dict[str, Any], ks: Keyspace, exp: Experiment, folder: Path) -> str:
    try:
        old_keys = {r["run_key"] for r in json.loads((folder / "keyspace.json").read_text("utf-8"))["runs"]}
    except (OSError, ValueError, KeyError, TypeError):
        old_keys = set()
    new_keys = set(ks.keys)
    parts = [f"{len(new_keys - old_keys)} new run(s)", f"{len(old_keys - new_keys)} run(s) no longer in it"]
    old_out = old.get("experiment", {}).get("outputs")
    if (old_out is None) != (exp.outputs is None) or (old_out and sorted(old_out) != sorted(exp.outputs or ())):
        parts.append("other outputs")
    return (f"the design in {exp.file} differs from the one the batch in {folder} was started with "
            f"({', '.join(parts)}); rerun with --extend to run the new design there (finished runs that are "
            "still in it are kept), or choose another folder with --out")


def _write_manifest(store: RunStore, exp: Experiment, command_line: Sequence[str], extra: dict[str, Any]) -> None:
    """``manifest.json`` (latest invocation) and ``history/manifest-<time>.json``."""
    path = _output.write_manifest(
        store.folder, kind="batch",
        scenario_dict={"experiment": exp.resolved_dict(),
                       "scenarios": {sc.name: sc.resolved_dict() for _, sc in exp.scenarios}},
        seeds=exp.seeds, input_files=exp.source_files, command_line=command_line,
        extra={**extra, "extra_package_versions": _output.package_versions(EXTRA_PACKAGES)},
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
    _output.atomic_write_text(store.folder / "history" / f"manifest-{stamp}.json", path.read_text("utf-8"))


def run_batch(
    file: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    dask_local: int | None = None,
    extend: bool = False,
    memory_check: bool = True,
    collect: bool = True,
    reporter: Reporter | None = None,
    command_line: Sequence[str] | None = None,
    executor: Executor | None = None,
) -> BatchResult:
    """Run (or resume) the batch of a design file.

    Parameters
    ----------
    file
        The design file (``experiments/*.toml``).
    out
        Batch folder; default ``results/<experiment name>``.
    workers
        Local worker processes (default: all cores).
    scheduler
        Address of a Dask scheduler to run on instead.
    dask_local
        Start a local Dask cluster with this many workers instead.
    extend
        Accept a design that changed since the batch started in ``out``.
    memory_check
        Refuse a batch whose estimated peak memory exceeds what the workers have.
    collect
        Write the collected tables at the end.
    reporter
        Receives messages and progress; default silent.
    command_line
        Recorded in the manifest; default ``sys.argv``.
    executor
        Use this executor instead of the one ``workers``/``scheduler``/``dask_local`` ask for.

    Returns
    -------
    BatchResult

    Raises
    ------
    ScenarioErrors
        The design or a scenario file is invalid (nothing is written).
    BatchError
        The design changed (without ``extend``), another batch holds the folder, or the
        runs would not fit in memory.
    OutputError
        The folder cannot be written (disk full, permission); finished runs are kept.
    BatchInterrupted
        Ctrl-C or SIGTERM; finished runs are kept and the same command resumes.
    """
    rep: Reporter = reporter if reporter is not None else SilentReporter()
    t_start = time.perf_counter()
    exp = load_experiment(file)
    ks = expand(exp)
    store = RunStore(_output.claim_workspace(batch_folder(exp, out), "batch", markers=("design.json",)))

    def changed(old: dict[str, Any]) -> None:
        if not extend:
            raise BatchError(_changed(old, ks, exp, store.folder))
        rep.message(f"extending the batch in {store.folder}: the design changed")

    with open_store(store, exp, ks, on_change=changed) as (design, state):
        _report_state(rep, state, len(ks), store.folder)
        todo = [e for e in ks if e.key not in state.done]
        argv = list(command_line) if command_line is not None else list(sys.argv)
        ex = executor if executor is not None else make_executor(workers, scheduler, dask_local)
        base = {"experiment_file": exp.file, "batch_folder": str(store.folder), "runs": len(ks),
                "fingerprint": design["fingerprint"], "extend": extend}
        _write_manifest(store, exp, argv, {**base, "status": "running", "to_run": len(todo)})

        tally = Tally.of(state)
        done, failed = tally.done, tally.failed  # updated as runs finish
        estimate: Estimate | None = None
        status = "finished"
        try:
            if todo:
                with ex:
                    base["executor"] = ex.info()
                    estimate = estimate_from_runs(state.done.values(), ks.scenarios,
                                                  f"{len(state.done)} finished run(s) of this batch")
                    if estimate is None and memory_check:  # a pilot too large to run is refused first
                        # the batch's runs are in worker processes: one kernel thread each
                        prior = {n: estimate_run(sc, threads=1) for n, sc in ks.scenarios.items()}
                        _report_estimate(rep, Estimate({n: e.replicate_seconds for n, e in prior.items()},
                                                       {n: e.replicate_bytes for n, e in prior.items()},
                                                       "cost model of this machine"), todo, ex, True, ks)
                    pilot = todo[:1] if estimate is None else []
                    if pilot:
                        rep.message(f"pilot run {pilot[0].key} (scenario {pilot[0].scenario}, full size) to "
                                    "estimate the runtime and memory; its result is kept")

                    def after_pilot(outcomes: list[RunOutcome], rest: list[RunEntry]) -> None:
                        nonlocal estimate
                        for outcome in outcomes:  # the pilot run, when there is one
                            if outcome.ok:
                                estimate = estimate_from_runs(
                                    [{"scenario": pilot[0].scenario, "seconds": outcome.seconds,
                                      "peak_rss": outcome.peak_rss, "rss_before": outcome.rss_before}],
                                    ks.scenarios, f"pilot run {outcome.key} at full size ({outcome.seconds:.2f} s)")
                            else:
                                rep.message(f"the pilot run failed ({outcome.error}); going on without an estimate")
                        if estimate is not None:
                            _report_estimate(rep, estimate, rest, ex, memory_check, ks)

                    run_missing(ex, store, ks, exp.outputs, tally, rep, todo, pilot, after_pilot)
        except KeyboardInterrupt:
            status = "interrupted"
            raise BatchInterrupted(
                f"interrupted: {len(done)} of {len(ks)} runs are finished and kept in {store.folder}; run the "
                "same command again to resume") from None
        except OutputError as exc:
            status = "stopped: cannot write"
            raise OutputError(f"{exc}. The batch stopped; the {len(done)} finished runs are kept in "
                              f"{store.folder}; fix this and run the same command again to resume") from exc
        except Exception as exc:  # e.g. the memory guard, a lost Dask scheduler
            status = f"stopped: {type(exc).__name__}: {exc}"
            raise
        finally:
            if status != "finished":
                _safe_manifest(store, exp, argv, {**base, "status": status, "done": len(done),
                                                  "failed": len(failed), "ran": tally.ran})
        tables: dict[str, int] = {}
        if collect and done:
            tables = collect_batch_store(store, ks.to_json()["runs"], list(ks.parameters), exp.outputs, done)
        seconds = time.perf_counter() - t_start
        pending = len(ks) - len(done) - len(failed)
        _write_manifest(store, exp, argv, {**base, "status": status, "done": len(done), "failed": len(failed),
                                           "pending": pending, "ran": tally.ran, "seconds": round(seconds, 3),
                                           "estimate": estimate.as_dict() if estimate else None,
                                           "tables": tables})
    return BatchResult(folder=store.folder, total=len(ks), done=len(done), failed=failed, pending=pending,
                       ran=tally.ran, seconds=seconds, tables=tables, estimate=estimate)


def _safe_manifest(store: RunStore, exp: Experiment, argv: list[str], extra: dict[str, Any]) -> None:
    try:
        _write_manifest(store, exp, argv, extra)
    except (OutputError, OSError):  # the disk may be full: the earlier manifest stays
        pass


@dataclass
class Tally:
    """Keys of the finished runs, errors of the failed ones (key -> error line) and the
    number of outcomes recorded, kept up to date as outcomes come in."""

    done: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    ran: int = 0

    @classmethod
    def of(cls, state: StoreState) -> Tally:
        """Start from what a store holds: its finished runs and the errors of its failed ones."""
        return cls(set(state.done), {k: str(v.get("error", "")) for k, v in state.failed.items()})

    def record(self, store: RunStore, outcome: RunOutcome) -> None:
        """Write ``outcome`` to ``store`` and count it (a success clears an earlier failure)."""
        self.ran += 1
        store.write_outcome(outcome)
        if outcome.ok:
            self.done.add(outcome.key)
            self.failed.pop(outcome.key, None)
        else:
            self.failed[outcome.key] = outcome.error


@contextmanager
def open_store(store: RunStore, exp: Experiment, ks: Keyspace, on_change: Callable[[dict[str, Any]], None] | None = None
               ) -> Iterator[tuple[dict[str, Any], StoreState]]:
    """Create and lock ``store`` (until the ``with`` ends), remove its temporary files, save
    the design of ``exp`` and yield it with the state of the runs of ``ks``.  A saved design
    that differs is passed to ``on_change`` (which may raise), or replaced silently without it."""
    store.create()
    with store.locked():
        store.clean_temporary()
        design = _design_doc(exp, ks)
        old = store.load_design() if on_change is not None else None
        if old is not None and old.get("fingerprint") != design["fingerprint"]:
            on_change(old)
        store.save_design(design, ks.to_json(), ks.to_frame().to_csv(index=False, lineterminator="\n"),
                          Path(exp.file).read_text(encoding="utf-8"))
        yield design, store.scan(ks.keys, exp.outputs)


def run_specs(ex: Executor, specs: Iterable[Any], store: RunStore, tally: Tally,
              on_outcome: Callable[[RunOutcome], None] | None = None, fn: RunFunction = execute) -> None:
    """Run ``specs`` with ``fn`` on the started executor ``ex``; record each outcome in
    ``store`` and ``tally`` as it finishes, then hand it to ``on_outcome``."""
    for outcome in ex.imap_unordered(specs, fn):
        tally.record(store, outcome)
        if on_outcome is not None:
            on_outcome(outcome)


def run_missing(ex: Executor, store: RunStore, ks: Keyspace, outputs: tuple[str, ...] | None, tally: Tally,
                reporter: Reporter, todo: Sequence[RunEntry], pilot: Sequence[RunEntry] = (),
                after_pilot: Callable[[list[RunOutcome], list[RunEntry]], None] | None = None) -> None:
    """Run the unfinished runs ``todo`` of ``ks`` on the started executor ``ex``, ``pilot`` first.

    After the pilot runs (some of ``todo``), ``after_pilot(their outcomes, the other runs)``
    estimates the time or checks the pilot's tables (it may raise to stop); then the other
    runs go, with progress in ``reporter``.  Each outcome is recorded as it finishes.
    """
    pilot_outcomes: list[RunOutcome] = []
    run_specs(ex, [_spec(e, ks, outputs) for e in pilot], store, tally, pilot_outcomes.append)
    rest = [e for e in todo if e not in pilot]
    if after_pilot is not None:
        after_pilot(pilot_outcomes, rest)
    reporter.start(len(ks), len(ks) - len(rest))
    try:
        run_specs(ex, (_spec(e, ks, outputs) for e in rest), store, tally, reporter.advance)
    finally:
        reporter.stop()


def _report_state(rep: Reporter, state: StoreState, total: int, folder: Path) -> None:
    retried = f", {len(state.failed)} failed earlier (run again)" if state.failed else ""
    rep.message(f"batch folder {folder}: {total} runs — {len(state.done)} done{retried}, {len(state.pending)} "
                "to run")
    if state.corrupt:
        rep.message(f"{len(state.corrupt)} result file(s) were truncated or damaged and are run again: "
                    + ", ".join(f"{k} ({v})" for k, v in list(state.corrupt.items())[:5])
                    + (" ..." if len(state.corrupt) > 5 else ""))
    if state.stale:
        rep.message(f"{len(state.stale)} finished run(s) lack a table the design now keeps and are run again")
    if state.other_model:
        rep.message(state.other_model_message())


def _report_estimate(rep: Reporter, est: Estimate, todo: list[RunEntry], ex: Executor, memory_check: bool,
                     ks: Keyspace) -> None:
    names = [e.scenario for e in todo]
    slots = ex.slots
    wall = est.total_seconds(names, slots)
    per = ", ".join(f"{n} {s:.2f} s" for n, s in est.seconds.items())
    rep.message(f"{len(todo)} run(s) to go on {slots} worker(s): about {format_seconds(wall)} "
                f"(per run: {per}; from the {est.source})")
    slot_mem, where = ex.slot_memory() if memory_check else (None, "memory check skipped")  # None: not checked
    persons = {n: sc.total_persons for n, sc in ks.scenarios.items()}
    rep.message(check_memory(est, names, slots, slot_mem, where, dask=ex.name == "dask", persons=persons))


def collect_batch_store(store: RunStore, runs: Sequence[dict[str, Any]], parameters: list[str],
                        outputs: Iterable[str] | None, done: set[str]) -> dict[str, int]:
    """Collect the finished runs among ``runs`` (keyspace rows) into ``tables/``."""
    finished = [r for r in runs if r["run_key"] in done]
    written = collect_tables(store, finished, parameters, outputs)
    _draw_figures(store)
    return written


def _draw_figures(store: RunStore) -> None:
    """Headline trajectories by scenario across the runs (figures/), drawn from the tables."""
    from povsim import __version__
    from povsim.output import save_figure
    from povsim.plots.batch import batch_figures

    prov = f"povsim {__version__} · batch {store.folder.name}"
    for stem, fig in batch_figures(store.folder / "tables", provenance=prov).items():
        save_figure(fig, store.folder / "figures" / stem)


def _open_existing(file: str | os.PathLike[str], out: str | os.PathLike[str] | None
                   ) -> tuple[Experiment, RunStore, dict[str, Any], dict[str, Any]]:
    exp = load_experiment(file)
    store = RunStore(batch_folder(exp, out))
    design = store.load_design()
    if design is None:
        raise BatchError(f"no batch in {store.folder}; start it with: povsim batch {file}"
                         + (f" --out {out}" if out is not None else ""))
    try:
        ks_json = json.loads((store.folder / "keyspace.json").read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise BatchError(f"cannot read {store.folder / 'keyspace.json'}: {exc}; the batch folder is damaged, "
                         "run the batch again") from exc
    return exp, store, design, ks_json


def _lock_holder(store: RunStore) -> str | None:
    import fcntl

    path = store.folder / ".lock"
    if not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return path.read_text("utf-8", errors="replace").strip() or "?"
    finally:
        os.close(fd)
    return None


def _status(exp: Experiment, store: RunStore, design: dict[str, Any], ks_json: dict[str, Any]) -> BatchStatus:
    keys = [r["run_key"] for r in ks_json["runs"]]
    state = store.scan(keys, design["experiment"]["outputs"])
    changed = expand(exp).fingerprint(exp.outputs) != design.get("fingerprint")
    on_disk = {p.name.split(".")[0] for p in store.runs.glob("*.run")} if store.runs.is_dir() else set()
    return BatchStatus(folder=store.folder, total=len(keys), state=state, running=_lock_holder(store),
                       design_changed=changed, outside=len(on_disk - set(keys)))


def batch_status(file: str | os.PathLike[str], out: str | os.PathLike[str] | None = None) -> BatchStatus:
    """Done, failed and pending runs of the batch of ``file`` (in ``out``).

    The batch is the one saved in the folder; ``design_changed`` tells whether ``file``
    has changed since it was started.

    Raises
    ------
    BatchError
        No batch was started in that folder.
    """
    return _status(*_open_existing(file, out))


def collect_batch(file: str | os.PathLike[str], out: str | os.PathLike[str] | None = None
                  ) -> tuple[dict[str, int], BatchStatus]:
    """Collect the finished runs of the batch of ``file`` into ``<out>/tables``.

    Returns
    -------
    tuple
        Output -> rows written, and the status the collection was made from.

    Raises
    ------
    BatchError
        No batch was started in that folder.
    OutputError
        A table cannot be written.
    """
    exp, store, design, ks_json = _open_existing(file, out)
    status = _status(exp, store, design, ks_json)
    tables = collect_batch_store(store, ks_json["runs"], list(ks_json["parameters"]),
                                 design["experiment"]["outputs"], set(status.state.done))
    return tables, status
