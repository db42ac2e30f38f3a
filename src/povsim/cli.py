"""Command line: ``povsim run | compare | validate | describe | moda | batch | sensitivity |
calibrate | plan | report | dashboard``.

Argument parsing and dispatch: each command checks its options (the same way in every
command, :func:`check_options`), calls the library and prints.  Exit codes: 0 success, 2
bad input (files, options, an output folder that may not be written or replaced, a run
that would not fit in memory), 1 a failure inside a run.  No traceback unless ``--debug``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from povsim.errors import PovsimError, RunError, ScenarioError, ScenarioErrors

EPILOG = """\
examples:
  povsim run scenarios/hubei_pilot.toml                 one replicate, default seed 1
  povsim run scenarios/baseline.toml --replicates 8 --workers 2 --seed 7
  povsim compare scenarios/baseline.toml scenarios/hubei_pilot.toml --replicates 4
                                                        paired differences (CRN), costs, CE
  povsim validate scenarios/*.toml experiments/*.toml   check input files of any kind, list every error
  povsim describe                                       every parameter: default, unit, range, source
  povsim describe --scenario scenarios/baseline.toml    the values a scenario runs (fitted ones included)
  povsim describe --values                              quantities interventions can modify
  povsim moda survey.csv --config moda.toml --out results/survey
  povsim batch experiments/small_lhs.toml --workers 2    scenarios x parameter points x seeds
  povsim batch status experiments/small_lhs.toml         done / failed / pending runs
  povsim report results/<folder> --format png,svg,pdf    figure pack and HTML brief from saved tables
  povsim calibrate calibration/targets/hubei_baseline.toml --workers 2
                                                        refit (a new fitted file; the shipped one is kept)
  povsim plan plans/hubei_pilot.toml --workers 2        allocate a budget across villages x
                                                        interventions (exact, verified); resumable
  povsim trial trials/jamaica_stimulation.toml --workers 2
                                                        a published trial re-run in the model

Results land in results/<scenario>-<timestamp>/ unless --out is given; an existing
results folder is replaced only with --force, and nothing povsim did not write is ever
replaced.  See README.md for a tour.
"""


def option_ranges() -> dict[str, tuple[int, int | None, str]]:
    """Numeric options shared by the commands: ``dest -> (low, high or None, hint)``."""
    from povsim.experiment.executors import default_workers

    cores = default_workers()
    most = 4 * cores
    cap = f"at most {most} (4 x the {cores} core(s) here)"
    return {"replicates": (1, 100_000, "e.g. --replicates 4"),
            "seed": (0, 2**63 - 1, "e.g. --seed 1"),
            "workers": (0, most, f"0 runs in this process; {cap}"),
            "dask_local": (1, most, f"e.g. --dask-local 2; {cap}"),
            "max_evaluations": (2, None, "e.g. --max-evaluations 50")}


def check_options(args: argparse.Namespace) -> None:
    """The numeric options of any command, checked the same way (exit 2, no traceback)."""
    errors = []
    for dest, (low, high, hint) in option_ranges().items():
        value = getattr(args, dest, None)
        if value is not None and not (low <= value and (high is None or value <= high)):
            expected = f"an integer from {low} to {high}" if high is not None else f"an integer >= {low}"
            errors.append(ScenarioError("<command line>", "--" + dest.replace("_", "-"), value, expected, hint))
    step = getattr(args, "step", None)
    if step is not None and not 0 < step <= 0.5:
        errors.append(ScenarioError("<command line>", "--step", step, "a share in (0, 0.5]",
                                    "e.g. 0.05: 5% of each parameter's range"))
    if errors:
        raise ScenarioErrors(errors)


def _common(p: argparse.ArgumentParser, writes: bool = True) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    p.add_argument("-v", "--verbose", action="store_true", help="print more detail")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    if writes:
        p.add_argument("--out", metavar="DIR", help="results folder (default: results/<name>-<time>)")
        p.add_argument("--force", action="store_true",
                       help="replace an existing povsim results folder (only once the new one is complete; never a "
                            "folder or file povsim did not write)")


def _executor_args(p: argparse.ArgumentParser) -> None:
    """Where batch runs execute: local processes, or a Dask cluster (shared by batch and
    sensitivity)."""
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: all cores; 0: in this process, for debugging)")
    dask = p.add_mutually_exclusive_group()
    dask.add_argument("--scheduler", metavar="ADDRESS", help="run on this Dask scheduler (tcp://host:8786)")
    dask.add_argument("--dask-local", type=int, metavar="N", help="start a local Dask cluster with N workers")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="povsim",
        description="Agent-based simulation of child poverty across generations in rural "
                    "China, with MODA outcomes (Hubei integrated child poverty reduction pilot).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    from povsim import __version__

    ap.add_argument("--version", action="version", version=f"povsim {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    r = sub.add_parser("run", help="run a scenario: replicates, tables, summary, figures",
                       description="Run one scenario for N replicates and write a results "
                                   "folder: manifest.json, tables/*.csv, summary, figures.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="example: povsim run scenarios/hubei_pilot.toml --replicates 4")
    r.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    r.add_argument("--replicates", type=int, default=1, metavar="N",
                   help="independent replicates (default 1)")
    r.add_argument("--seed", type=int, default=1, metavar="S",
                   help="run seed; replicate seeds derive from it (default 1)")
    r.add_argument("--workers", type=int, default=1, metavar="W",
                   help="parallel processes (default 1); results do not depend on it")
    r.add_argument("--no-figures", action="store_true", help="skip figures")
    r.add_argument("--skip-memory-check", action="store_true",
                   help="run even if the estimated peak memory exceeds what this machine has")
    _common(r)

    c = sub.add_parser(
        "compare", help="paired comparison of scenarios (common random numbers), costs, CE",
        description="Run BASE and each ALT with identical replicate seeds and report paired "
                    "differences with 95%% intervals (MODA H and M0, income poverty, stunting, "
                    "schooling, adult poverty of treated cohorts, transmission), costs and "
                    "cost-effectiveness; tables and figures in the results folder.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: povsim compare scenarios/baseline.toml scenarios/hubei_pilot.toml "
               "scenarios/full_package.toml --replicates 4 --workers 2")
    c.add_argument("base", metavar="BASE", help="base scenario file")
    c.add_argument("alternatives", nargs="+", metavar="ALT", help="alternative scenario files")
    c.add_argument("--replicates", type=int, default=4, metavar="N",
                   help="replicates per scenario, same seeds in each (default 4)")
    c.add_argument("--seed", type=int, default=1, metavar="S", help="run seed (default 1)")
    c.add_argument("--workers", type=int, default=1, metavar="W", help="parallel processes")
    c.add_argument("--no-figures", action="store_true", help="skip figures")
    c.add_argument("--skip-memory-check", action="store_true",
                   help="run even if the estimated peak memory exceeds what this machine has")
    _common(c)

    tr = sub.add_parser(
        "trial", help="virtual trial: a published trial re-run inside the simulated population",
        description="Draw the source study's sample in the simulated population, randomise at "
                    "its unit, deliver its intervention for its duration, measure its outcomes "
                    "at its follow-up ages with its estimator, over replicates; print the "
                    "model's estimates beside the published ones (trials/*.toml).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example: povsim trial trials/jamaica_stimulation.toml --workers 2")
    tr.add_argument("trial", metavar="TRIAL", help="trial file (TOML)")
    tr.add_argument("--replicates", type=int, default=None, metavar="N",
                    help="replicates (default: the trial file's)")
    tr.add_argument("--seed", type=int, default=None, metavar="S",
                    help="seed (default: the trial file's)")
    tr.add_argument("--workers", type=int, default=1, metavar="W",
                    help="parallel processes (default 1); results do not depend on it")
    tr.add_argument("--no-figures", action="store_true", help="skip figures")
    _common(tr)

    v = sub.add_parser("validate", help="check input files of any kind and report every error",
                       description="Check input files -- scenarios, experiment designs, sensitivity studies, "
                                   "calibration target files, MODA configurations -- say which kind each is, and "
                                   "report all errors (exit 2 if any).")
    v.add_argument("files", nargs="+", metavar="FILE")
    _common(v, writes=False)

    d = sub.add_parser("describe", help="list parameters (default, unit, range, source)",
                       description="List every declared parameter (with --scenario: the value that scenario "
                                   "runs, fitted values included, and the file that sets it), or the named "
                                   "quantities interventions can modify (--values).")
    d.add_argument("names", nargs="*", metavar="NAME", help="only these parameters (substring)")
    d.add_argument("--scenario", metavar="FILE", help="show the values this scenario runs")
    d.add_argument("--values", action="store_true", help="list modifiable named values")
    d.add_argument("--interventions", action="store_true",
                   help="list the intervention catalogue: unit, what it modifies, settings")
    d.add_argument("--format", choices=["table", "csv", "markdown"], default="table")
    _common(d, writes=False)

    m = sub.add_parser("moda", help="MODA measures on survey microdata (one row per child)",
                       description="Compute MODA / Alkire-Foster measures from a survey CSV "
                                   "with the same code the model uses.")
    m.add_argument("survey", metavar="SURVEY.csv")
    m.add_argument("--config", metavar="MODA.toml", help="MODA configuration (default: the "
                   "Hubei 2015 study's dimensions, packaged with povsim)")
    m.add_argument("--encoding", metavar="NAME", help="text encoding of the survey (default UTF-8; e.g. latin-1, "
                   "gbk); the delimiter (comma, semicolon, tab) is read off the header")
    _common(m)

    b = sub.add_parser(
        "batch", help="batch experiment: scenarios x parameter points x seeds (resumable)",
        usage="povsim batch [run|status|collect] FILE [--out DIR] [--workers N] "
              "[--scheduler ADDRESS | --dask-local N] [--extend] [--skip-memory-check] [-q] [-v] [--debug]",
        description="Run the batch of an experiment design (experiments/*.toml) into a folder that never "
                    "loses finished runs: run the same command again to resume.  `batch status FILE` lists "
                    "done / failed / pending runs; `batch collect FILE` writes the tables of the finished runs.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  povsim batch experiments/small_lhs.toml                  run (or resume), all cores\n"
               "  povsim batch experiments/small_lhs.toml --workers 2 --out results/lhs\n"
               "  povsim batch experiments/small_lhs.toml --extend         after adding replicates/points\n"
               "  povsim batch experiments/small_lhs.toml --dask-local 2   on a local Dask cluster\n"
               "  povsim batch experiments/small_lhs.toml --scheduler tcp://head:8786\n"
               "  povsim batch status experiments/small_lhs.toml\n"
               "  povsim batch collect experiments/small_lhs.toml")
    b.add_argument("words", nargs="+", metavar="[run|status|collect] FILE",
                   help="what to do (default: run) and the experiment design file")
    b.add_argument("--out", metavar="DIR", help="batch folder (default: results/<experiment name>)")
    _executor_args(b)
    b.add_argument("--extend", action="store_true",
                   help="accept a changed design (more replicates or points); finished runs are kept")
    b.add_argument("--skip-memory-check", action="store_true",
                   help="run even if the estimated peak memory exceeds what the workers have")
    _common(b, writes=False)

    s = sub.add_parser(
        "sensitivity", help="global sensitivity analysis (SALib: Sobol', Morris, FAST, delta, PAWN)",
        description="Sample the uncertain parameters of a sensitivity file (experiments/sensitivity_*.toml) "
                    "with SALib, run every point through the batch machinery (resumable: run the same command "
                    "again to continue), and write indices with confidence intervals, a convergence check, "
                    "seed noise against parameter variance, a ranked summary, figures and a manifest.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  povsim sensitivity experiments/sensitivity_small.toml --workers 2\n"
               "  povsim sensitivity experiments/sensitivity_policy_sobol.toml --dask-local 2\n"
               "  povsim sensitivity experiments/sensitivity_morris_all.toml --scheduler tcp://head:8786")
    s.add_argument("file", metavar="FILE", help="sensitivity file (TOML)")
    s.add_argument("--out", metavar="DIR", help="results folder (default: results/<name>); runs are kept in DIR/batch")
    _executor_args(s)
    s.add_argument("--no-figures", action="store_true", help="skip figures")
    _common(s, writes=False)

    cal = sub.add_parser(
        "calibrate", help="fit free parameters to published targets (scipy.optimize; resumable)",
        description="Fit the free parameters of a target file (calibration/targets/*.toml) to its fitting "
                    "targets: the objective is the weighted sum of squared standardised distances between "
                    "simulated and target values, averaged over replicates with common random numbers.  Every "
                    "run is cached in the results folder, so an interrupted calibration resumes when the same "
                    "command is run again.  Writes the fitted parameter set -- calibration/fitted/<name>.toml when "
                    "there is none yet, else a new file beside it (<name>-<UTC time>.toml), so that the fit the "
                    "scenarios take in with `extends` changes only with --replace-fitted -- and a fit report: "
                    "target vs simulated with intervals, standardised residuals, held-out targets, parameters at "
                    "their bounds, parameter correlations.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  povsim calibrate calibration/targets/hubei_baseline.toml --workers 2\n"
               "  povsim calibrate calibration/targets/hubei_baseline.toml --method nelder-mead\n"
               "  povsim calibrate calibration/targets/hubei_baseline.toml --replace-fitted\n"
               "                        (replaces the shipped fit only by a converged fit that is no worse)\n"
               "  povsim calibrate calibration/targets/hubei_baseline.toml --dask-local 2 --replicates 4\n"
               "methods: least-squares (default; trust-region reflective with a parallel finite-difference\n"
               "Jacobian), nelder-mead, powell, differential-evolution (global; many evaluations).")
    cal.add_argument("file", metavar="TARGETS", help="calibration target file (TOML)")
    cal.add_argument("--method", default="least-squares", metavar="METHOD",
                     help="least-squares (default), nelder-mead, powell or differential-evolution")
    cal.add_argument("--replicates", type=int, metavar="R", help="replicates per point (default: the target file's)")
    cal.add_argument("--max-evaluations", type=int, metavar="N",
                     help="budget of parameter points (default 25 + 15 x free parameters)")
    cal.add_argument("--step", type=float, default=0.05, metavar="H",
                     help="finite-difference step, share of each parameter's range (default 0.05)")
    cal.add_argument("--seed", type=int, metavar="S",
                     help="root of the replicate seeds (default: the target file's seed)")
    cal.add_argument("--no-fitted", action="store_true", help="do not write a fitted parameter set (report only)")
    cal.add_argument("--replace-fitted", action="store_true",
                     help="replace calibration/fitted/<name>.toml, which scenarios extend, instead of writing a new "
                          "file beside it -- only with a fit that converged and is no worse than the one it replaces")
    cal.add_argument("--accept-worse-fit", action="store_true",
                     help="with --replace-fitted: replace it even with a worse or non-converged fit")
    cal.add_argument("--no-figures", action="store_true", help="skip figures")
    _executor_args(cal)
    _common(cal, writes=False)
    cal.add_argument("--out", metavar="DIR",
                     help="cache and report folder (default: results/calibrate-<name>; an unfinished one resumes)")
    cal.add_argument("--force", action="store_true",
                     help="replace a finished report in the calibration folder (cached runs are reused)")

    from povsim.plan.cli import add_parser as add_plan_parser

    add_plan_parser(sub, _executor_args, _common)

    rp = sub.add_parser(
        "report", help="figure pack and policy brief (HTML, Markdown, A4 PDF) from a results folder",
        description="Re-render, from the saved tables (nothing is re-run), a figure pack (300 dpi PNG plus "
                    "vector formats) and a self-contained HTML brief (plus brief.md) of a `run`, `compare` or "
                    "`sensitivity` results folder.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  povsim report results/hubei_pilot-20261129T120000Z            -> <folder>/report\n"
               "  povsim report results/compare-baseline-vs-hubei_pilot --format png,svg,pdf\n"
               "  povsim report results/run --lang zh --out brief_zh --force     (needs a CJK font)")
    rp.add_argument("folder", metavar="RESULTS_DIR", help="results folder written by run, compare or sensitivity")
    rp.add_argument("--format", default="png,svg", metavar="FORMATS",
                    help="figure formats, comma-separated, from png, svg, pdf (default png,svg; png always); "
                         "pdf also prints the brief as an A4 PDF (brief.pdf)")
    rp.add_argument("--lang", choices=["en", "zh"], default="en", help="language of labels and brief (default en)")
    _common(rp)
    _dashboard_parser(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    if args.command is None:
        ap.print_help()
        return 2
    commands = {"run": cmd_run, "compare": cmd_compare, "validate": cmd_validate,
                "describe": cmd_describe, "moda": cmd_moda, "batch": cmd_batch,
                "sensitivity": cmd_sensitivity, "report": cmd_report, "calibrate": cmd_calibrate,
                "dashboard": cmd_dashboard, "plan": cmd_plan, "trial": cmd_trial}
    handler = logging.StreamHandler(sys.stderr)  # the library's notes (stale folders removed, ...)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    logger = logging.getLogger("povsim")
    logger.addHandler(handler)
    logger.setLevel(logging.ERROR if args.quiet else logging.WARNING)
    try:
        check_options(args)
        return commands[args.command](args)
    except PovsimError as e:
        if args.debug:
            raise
        if isinstance(e, RunError):
            print(f"run failed: {e}", file=sys.stderr)
            return 1
        for line in [err.message() for err in e.errors] if isinstance(e, ScenarioErrors) else [str(e)]:
            print(f"error: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing was written to the results folder", file=sys.stderr)
        return 130
    finally:
        logger.removeHandler(handler)


def _warn(scenario, args: argparse.Namespace) -> None:
    for w in scenario.warnings:
        if not args.quiet:
            print(f"warning: {w}", file=sys.stderr)


def _check_size(scenarios, args: argparse.Namespace) -> None:
    """Print the time and memory estimate of a large run; refuse one that would not fit."""
    from povsim.experiment.estimate import check_run_memory, estimate_run
    from povsim.experiment.executors import available_memory

    ests = [estimate_run(sc, args.replicates, args.workers) for sc in scenarios]
    est = max(ests, key=lambda e: e.peak_bytes)
    est = type(est)(sum(e.seconds for e in ests), est.peak_bytes, est.replicate_seconds, est.replicate_bytes)
    if not args.quiet and (est.seconds >= 10 or est.peak_bytes >= 2**30):
        print(est.describe(), file=sys.stderr)
    if not args.skip_memory_check:
        check_run_memory(est, available_memory(), max(sc.total_persons for sc in scenarios))


def _progress_bar(label: str, counted: str, **kw):
    """A rich progress bar: ``label``, the bar, done/total ``counted``, elapsed time and ETA."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn(counted), TimeElapsedColumn(),
                    TextColumn("ETA"), TimeRemainingColumn(), **kw)


def _progress(label: str, total: int):
    """A rich progress bar (``with``) and its callback ``tick(done)``."""
    prog = _progress_bar("[bold]{task.description}", "replicate-years")
    task = prog.add_task(label, total=total)
    return prog, lambda done, description=label: prog.update(task, completed=done, description=description)


# -- run ---------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from povsim.output import prepare_results_dir
    from povsim.runner import run_scenario
    from povsim.runs import calibration_checks, run_summary, summary_blocks, write_run_results
    from povsim.scenario import load_scenario
    from povsim.summary import print_summary

    scenario = load_scenario(args.scenario)
    _warn(scenario, args)
    prepare_results_dir(args.out, scenario.name, force=args.force)  # fail now, not after the run
    _check_size([scenario], args)
    kw = {"replicates": args.replicates, "seed": args.seed, "workers": args.workers}
    if args.quiet:
        result = run_scenario(scenario, **kw)
    else:
        prog, tick = _progress(scenario.name, scenario.time.years * args.replicates)
        with prog:
            result = run_scenario(scenario, progress=lambda done, total: tick(done), **kw)
    checks = calibration_checks(result)
    folder = write_run_results(result, out=args.out, force=args.force, input_files=[args.scenario],
                               command_line=sys.argv, figures=not args.no_figures, workers=args.workers,
                               checks=checks)
    if not args.quiet:
        print_summary(*run_summary(result))
        for block in summary_blocks(result, checks):
            print(block)
        rate = result.person_years / max(result.seconds, 1e-9)
        frac = scenario.population.sampling_fraction
        scale = "" if frac >= 1.0 else f" (a {frac:.1%} sample of villages: counts are x {1 / frac:.4g})"
        print(f"{len(result.seeds)} replicate(s), {result.person_years:,} person-years{scale} in "
              f"{result.seconds:.1f} s ({rate / 1e6:.2f} M person-years/s)")
        for note in result.notes:
            print(f"note: {note}")
        print(f"results: {folder}")
    return 0


# -- compare ---------------------------------------------------------------------
def cmd_compare(args: argparse.Namespace) -> int:
    from povsim.compare import compare, write_compare_results
    from povsim.output import final_path, prepare_results_dir, results_dir
    from povsim.report import ce_table, comparison_table, decomposition_table
    from povsim.scenario import load_scenario
    from povsim.summary import print_table

    errors, scenarios = [], []
    for f in [args.base, *args.alternatives]:
        try:
            scenarios.append(load_scenario(f))
        except ScenarioErrors as e:
            errors.extend(e.errors)
    if errors:
        raise ScenarioErrors(errors)
    base, alts = scenarios[0], scenarios[1:]
    for a in alts:
        if (a.population, a.time) != (base.population, base.time) and not args.quiet:
            print(f"warning: {a.name} differs from {base.name} in population or time settings; "
                  "differences then mix programme and setting effects", file=sys.stderr)
    name = f"compare-{base.name}-vs-{'-'.join(a.name for a in alts)}"[:120]
    prepare_results_dir(args.out, name, force=args.force)
    _check_size(scenarios, args)
    kw = {"replicates": args.replicates, "seed": args.seed, "workers": args.workers}
    if args.quiet:
        res = compare(base, alts, **kw)
    else:
        done: dict[str, int] = {}
        prog, tick = _progress("compare", len(scenarios) * args.replicates * base.time.years)
        with prog:
            def progress(scenario: str, d: int, t: int) -> None:
                done[scenario] = d
                tick(sum(done.values()), f"compare: {scenario}")

            res = compare(base, alts, progress=progress, **kw)
    with results_dir(args.out, name, kind="compare", force=args.force) as d:
        write_compare_results(res, d, command_line=sys.argv, input_files=[args.base, *args.alternatives],
                              figures=not args.no_figures)
        staging = d
    if not args.quiet:
        print_table(comparison_table(res.differences), f"Paired differences vs {res.base.scenario.name} (mean "
                    f"[95% interval], {len(res.base.seeds)} replicates, common random numbers)")
        print_table(ce_table(res.cost_effectiveness), "Cost-effectiveness (discounted incremental cost per "
                    "unit of outcome; outcome measures by default)")
        dec = decomposition_table(res.decomposition)
        if dec is not None:
            print_table(dec, "MODA effect by indicator: discounted child-years of adjusted headcount M0 averted, "
                        "share from the dimensions of the interventions' own indicators (exact M0 breakdown)")
        print(f"results: {final_path(staging)}")
    return 0


# -- trial -----------------------------------------------------------------------
def cmd_trial(args: argparse.Namespace) -> int:
    """``povsim trial TRIAL.toml``: a published trial re-run in the model (logic in povsim.trial)."""
    from povsim.output import final_path, prepare_results_dir, results_dir
    from povsim.trial import load_trial, print_trial, run_trial, write_trial_results

    spec = load_trial(args.trial)
    name = f"trial-{spec.name}"
    prepare_results_dir(args.out, name, force=args.force)
    res = run_trial(spec, replicates=args.replicates, seed=args.seed, workers=args.workers)
    with results_dir(args.out, name, kind="trial", force=args.force) as d:
        write_trial_results(res, d, command_line=sys.argv, figures=not args.no_figures)
    if not args.quiet:
        print_trial(res, final_path(d))
    return 0


# -- validate --------------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    from povsim.config import validate_files

    n_bad = n_errors = 0
    for file, kind, errors in validate_files(args.files):
        for e in errors:
            print(f"error: {e.message()}", file=sys.stderr)
        n_bad, n_errors = n_bad + bool(errors), n_errors + len(errors)
        if not args.quiet:
            print(f"{'FAILED' if errors else 'ok'}: {file} ({kind or 'unknown kind'})")
    if n_bad:
        print(f"{n_errors} error(s) in {n_bad} of {len(args.files)} file(s)", file=sys.stderr)
        return 2
    if not args.quiet:
        print(f"ok: {len(args.files)} file(s) valid")
    return 0


# -- describe --------------------------------------------------------------------
def cmd_describe(args: argparse.Namespace) -> int:
    import csv

    if args.interventions:
        from povsim.interventions import CLASSES

        rows = [(name, cls.description, cls.unit, ", ".join(cls.modifies), ", ".join(cls.Config.model_fields))
                for name, cls in CLASSES.items()]
        header = ("intervention", "what", "unit", "modifies", "settings ([interventions.<name>])")
    elif args.values:
        from povsim.state import VALUE_NAMES

        rows = [(k, u, d) for k, (u, d) in VALUE_NAMES.items()]
        header = ("value", "unit", "meaning")
    else:
        from povsim.errors import ParameterError, did_you_mean
        from povsim.params import registry

        reg = registry()
        values, origins = {}, {}
        if args.scenario:
            from povsim.scenario import load_scenario, parameter_origins

            values = dict(load_scenario(args.scenario).parameters)
            origins = parameter_origins(args.scenario)
        rows = [(p.name, f"{values.get(p.name, p.default):g}",
                 *((Path(origins[p.name]).name if p.name in origins else "default",) if args.scenario else ()),
                 f"{p.default:g}", p.unit, f"{p.range[0]:g} - {p.range[1]:g}", p.module.rsplit(".", 1)[-1],
                 p.description, p.source)
                for p in reg.values() if not args.names or any(n in p.name for n in args.names)]
        if args.names and not rows:
            raise ParameterError(f"no parameter matches {args.names} ({did_you_mean(args.names[0], reg)})")
        header = ("name", "value", *(("set in",) if args.scenario else ()), "default", "unit", "plausible range",
                  "module", "description", "source")
    if args.format == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(header)
        w.writerows(rows)
    elif args.format == "markdown":
        import pandas as pd

        from povsim.report import md_table

        print(md_table(pd.DataFrame(rows, columns=header)))
    else:
        from rich.console import Console
        from rich.table import Table

        t = Table(title="povsim interventions" if args.interventions else
                  "povsim modifiable values" if args.values else
                  f"povsim parameters as {Path(args.scenario).name} runs them" if args.scenario
                  else "povsim parameters", show_lines=True)
        for h in header:
            t.add_column(h, overflow="fold")
        for r in rows:
            t.add_row(*[str(c) for c in r])
        Console(width=200).print(t)
    return 0


# -- moda ------------------------------------------------------------------------
def cmd_moda(args: argparse.Namespace) -> int:
    from povsim import __version__
    from povsim.moda import default_moda_config_path, load_moda_config
    from povsim.moda.survey import survey_moda
    from povsim.output import final_path, results_dir, save_figure, write_manifest
    from povsim.plots import moda_figures

    cfg = load_moda_config(args.config or default_moda_config_path())
    with results_dir(args.out, f"moda-{Path(args.survey).stem}", kind="moda", force=args.force) as d:
        res = survey_moda(args.survey, cfg, out_dir=d, encoding=args.encoding)
        prov = f"povsim {__version__} · survey {Path(args.survey).name} · MODA config {cfg.moda.name}"
        for stem, fig in moda_figures({f"moda_{k}": v for k, v in res.tables.items()}, provenance=prov).items():
            save_figure(fig, d / "figures" / stem)
        write_manifest(d, kind="moda", scenario_dict={"moda_config": str(args.config or "default")}, seeds=[],
                       input_files=[args.survey, *([args.config] if args.config else [])], command_line=sys.argv,
                       extra={"notes": list(res.notes)})
        staging = d
    if not args.quiet:
        summ = res.tables.get("summary")
        if summ is not None:
            sel = summ[(summ["by"] == "all") & summ["measure"].isin(["H", "A", "M0"])]
            print(sel[["age_group", "measure", "value", "n"]].to_string(index=False))
        for n in res.notes:
            print(f"note: {n}")
        print(f"results: {final_path(staging)}")
    return 0


# -- batch -----------------------------------------------------------------------
BATCH_ACTIONS = ("run", "status", "collect")


def _batch_words(words: list[str]) -> tuple[str, str]:
    """``[action] FILE`` -> (action, file); ``run`` when only a file is given."""
    if len(words) == 1 and words[0] not in BATCH_ACTIONS:
        return "run", words[0]
    if len(words) == 2 and words[0] in BATCH_ACTIONS:
        return words[0], words[1]
    raise ScenarioErrors([ScenarioError("<command line>", "batch", " ".join(words), "[run|status|collect] FILE",
                                        "e.g. povsim batch status experiments/small_lhs.toml")])


class _BatchReporter:
    """Messages on stdout and a rich progress bar with ETA (nothing with --quiet)."""

    def __init__(self, quiet: bool) -> None:
        from rich.console import Console

        self.quiet = quiet
        self.console = Console(soft_wrap=True)
        self.progress = None
        self.task = None
        self.failed = 0

    def message(self, text: str) -> None:
        if not self.quiet:
            self.console.print(text, markup=False, highlight=False)

    def start(self, total: int, completed: int) -> None:
        if self.quiet:
            return
        self.progress = _progress_bar("[bold]runs", "{task.fields[failed]} failed", console=self.console)
        self.progress.start()
        self.task = self.progress.add_task("runs", total=total, completed=completed, failed=0)

    def advance(self, outcome) -> None:
        if self.progress is None:
            return
        if not outcome.ok:
            self.failed += 1
        self.progress.update(self.task, advance=1, failed=self.failed)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """Within the block, SIGTERM (a scheduler's time limit, e.g. SLURM's) stops the command
    like Ctrl-C, so that finished runs are kept and the same command resumes."""

    def on_term(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cmd_batch(args: argparse.Namespace) -> int:
    from povsim.experiment import BatchInterrupted, batch_status, collect_batch, run_batch
    from povsim.experiment.estimate import format_seconds

    action, file = _batch_words(args.words)
    if action == "status":
        print(batch_status(file, args.out).describe(file, args.verbose))
        return 0
    if action == "collect":
        tables, status = collect_batch(file, args.out)
        if not args.quiet:
            c = status.counts()
            print(f"collected {c['done']} of {status.total} runs ({c['failed']} failed, {c['pending']} pending "
                  f"not included) into {status.folder / 'tables'}:")
            for name, rows in tables.items():
                print(f"  {name}: {rows:,} rows")
        return 0

    try:
        with sigterm_interrupts():
            res = run_batch(file, out=args.out, workers=args.workers, scheduler=args.scheduler,
                            dask_local=args.dask_local, extend=args.extend, memory_check=not args.skip_memory_check,
                            reporter=_BatchReporter(args.quiet), command_line=sys.argv)
    except BatchInterrupted as e:
        print(str(e), file=sys.stderr)
        return 130
    except KeyboardInterrupt:  # outside the runs: saving the design, collecting the tables
        print(f"interrupted: finished runs are kept; run the same command again to resume (or `povsim batch "
              f"collect {file}` for the tables)", file=sys.stderr)
        return 130
    if not args.quiet:
        print(f"done: {res.done} of {res.total} runs; failed: {len(res.failed)}; pending: {res.pending} "
              f"({res.ran} executed now, {format_seconds(res.seconds)})")
        for key, err in list(res.failed.items())[:10]:
            print(f"  failed {key}: {err}")
        if len(res.failed) > 10:
            print(f"  ... and {len(res.failed) - 10} more: povsim batch status {file}")
        if res.tables:
            print(f"tables: {res.folder / 'tables'} ({', '.join(res.tables)})")
        print(f"batch folder: {res.folder}")
    if res.failed:
        print(f"{len(res.failed)} run(s) failed; see `povsim batch status {file}`; run the same command again to "
              "retry them", file=sys.stderr)
        return 1
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``povsim sensitivity FILE``: sample, run (resumable), analyse, print the ranked summary."""
    from povsim.sensitivity import run_sensitivity

    try:
        with sigterm_interrupts():
            res = run_sensitivity(args.file, out=args.out, workers=args.workers, scheduler=args.scheduler,
                                  dask_local=args.dask_local, figures=not args.no_figures,
                                  reporter=_BatchReporter(args.quiet), command_line=sys.argv)
    except KeyboardInterrupt:
        print("interrupted: finished runs are kept; run the same command again to resume", file=sys.stderr)
        return 130
    if not args.quiet:
        print(res.text, end="")
        print(f"results: {res.folder}")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    """``povsim plan PLAN.toml``: the logic is in :mod:`povsim.plan.cli`."""
    from povsim.plan.cli import run_command

    return run_command(args, _BatchReporter(args.quiet))


# -- calibrate -------------------------------------------------------------------
def cmd_calibrate(args: argparse.Namespace) -> int:
    """``povsim calibrate TARGETS``: fit, report, write the fitted parameter set."""
    from rich.console import Console

    from povsim.calibration import FitNotReplaced, run_calibration
    from povsim.calibration.report import calibration_text

    console = Console(stderr=True, quiet=args.quiet)
    status = console.status("calibrating") if not args.quiet else None
    state = {"points": 0, "best": float("nan"), "runs": ""}

    def show() -> None:
        if status is not None:
            status.update(f"calibrating: {state['points']} points, best objective {state['best']:.4g}{state['runs']}")

    def on_point(n: int, obj: float, best: float) -> None:
        state.update(points=n, best=best)
        if args.verbose:
            console.print(f"point {n}: objective {obj:.4g} (best {best:.4g})")
        show()

    def progress(done: int, total: int) -> None:
        state["runs"] = f"; runs {done}/{total} of this step" if done < total else ""
        show()

    try:
        if status is not None:
            status.start()
        with sigterm_interrupts():
            run = run_calibration(args.file, method=args.method, replicates=args.replicates, workers=args.workers,
                                  scheduler=args.scheduler, dask_local=args.dask_local, out=args.out,
                                  force=args.force, max_evaluations=args.max_evaluations, step=args.step,
                                  seed=args.seed, write_fitted=not args.no_fitted, replace_fitted=args.replace_fitted,
                                  accept_worse=args.accept_worse_fit, figures=not args.no_figures,
                                  on_point=on_point, progress=progress)
    except FitNotReplaced as e:
        if status is not None:
            status.stop()
        if not args.quiet:
            print(calibration_text(e.run))
        raise
    except KeyboardInterrupt:
        print("interrupted: finished runs are cached; run the same command again to resume", file=sys.stderr)
        return 130
    finally:
        if status is not None:
            status.stop()
    if not args.quiet:
        print(calibration_text(run))
    return 0


# -- report ----------------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    """``povsim report RESULTS_DIR``: figures and brief from the saved tables."""
    from povsim.report import write_report

    folder = write_report(args.folder, out=args.out, formats=args.format, lang=args.lang, force=args.force)
    if not args.quiet:
        extra = ", brief.pdf (A4)" if (folder / "brief.pdf").is_file() else ""
        print(f"brief: {folder / 'brief.html'} (and brief.md{extra})")
        print(f"figures: {folder / 'figures'}")
    return 0



# -- dashboard -------------------------------------------------------------------
def _dashboard_parser(sub) -> None:
    db = sub.add_parser(
        "dashboard", help="explore and compare results folders in a local web app (needs povsim[dashboard])",
        description="Start a local web app on 127.0.0.1 over results folders written by run, compare, batch, "
                    "sensitivity and calibrate: trajectories, MODA, overlaps, mobility, subgroups, paired "
                    "differences, costs, cost-effectiveness, sensitivity indices, calibration targets; export of "
                    "each figure (PNG 300 dpi, SVG) and its data (CSV).  Offline: every asset is served locally. "
                    'Needs the optional extra: pip install "povsim[dashboard]".',
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  povsim dashboard results/hubei_pilot-20261129T120000Z\n"
               "  povsim dashboard results/base8 results/compare-baseline-vs-hubei_pilot --port 8600\n"
               "  povsim dashboard --no-browser --lang zh             (pick folders under results/ in the app)")
    db.add_argument("folders", nargs="*", metavar="RESULTS_DIR", help="results folders to open")
    db.add_argument("--port", type=int, metavar="N", help="port on 127.0.0.1 (default: first free from 8501)")
    db.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    db.add_argument("--lang", choices=["en", "zh"], default="en", help="language of labels (default en)")
    db.add_argument("--results-root", default="results", metavar="DIR",
                    help="folder whose results folders the app offers (default results/)")
    db.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    db.add_argument("--debug", action="store_true", help="show a traceback on error")


def cmd_dashboard(args: argparse.Namespace) -> int:
    """``povsim dashboard [RESULTS_DIR ...]``: the local web app (logic in povsim.dashboard)."""
    from povsim.dashboard import serve

    return serve(args.folders, port=args.port, open_browser=not args.no_browser, lang=args.lang,
                 results_root=args.results_root, quiet=args.quiet)


if __name__ == "__main__":
    raise SystemExit(main())
