"""Command line: ``povsim run | validate | describe | moda | batch``.

Thin: parse arguments, call the library, print, exit.  Exit codes: 0 success, 2 bad
input (scenario, parameters, survey, output folder), 1 a failure inside a run.  No
traceback unless ``--debug``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from povsim.errors import PovsimError, RunError, ScenarioErrors

EPILOG = """\
examples:
  povsim run scenarios/hubei_pilot.toml                 one replicate, default seed 1
  povsim run scenarios/baseline.toml --replicates 8 --workers 2 --seed 7
  povsim compare scenarios/baseline.toml scenarios/hubei_pilot.toml --replicates 4
                                                        paired differences (CRN), costs, CE
  povsim validate scenarios/*.toml                      check files, list every error
  povsim describe                                       every parameter: default, unit, range, source
  povsim describe --values                              quantities interventions can modify
  povsim moda survey.csv --config moda.toml --out results/survey
  povsim batch experiments/small_lhs.toml --workers 2    scenarios x parameter points x seeds
  povsim batch status experiments/small_lhs.toml         done / failed / pending runs
  povsim report results/<folder> --format png,svg,pdf    figure pack and HTML brief from saved tables
  povsim calibrate calibration/targets/hubei_baseline.toml --workers 2
                                                        fit parameters to targets; resumable

Results land in results/<scenario>-<timestamp>/ unless --out is given; an existing
folder is never overwritten without --force.  See README.md for a tour.
"""

# headline measures of the run summary and the trajectory panel: (table, measure, label)
HEADLINE = [
    ("moda", "moda_headcount_rate_0_5", "MODA multidimensional poverty H, ages 0-5"),
    ("moda", "moda_headcount_rate_6_17", "MODA multidimensional poverty H, ages 6-17"),
    ("moda", "moda_intensity_share_0_5", "MODA intensity A, ages 0-5"),
    ("moda", "moda_M0_0_5", "MODA adjusted headcount M0, ages 0-5"),
    ("moda", "moda_M0_6_17", "MODA adjusted headcount M0, ages 6-17"),
    ("moda", "moda_deprived_and_poor_share_0_5", "MODA-deprived and income-poor, 0-5"),
    ("moda", "moda_deprived_only_share_0_5", "MODA-deprived, not income-poor, 0-5"),
    ("income_poverty", "income_poverty_rate", "Income poverty (all persons)"),
    ("income_poverty", "child_income_poverty_rate", "Income poverty, children 0-17"),
    ("stunting", "stunting_prevalence", "Stunting, under 5"),
    ("anaemia", "anaemia_prevalence_infant", "Anaemia, ages 0-1"),
    ("anaemia", "anaemia_prevalence_school", "Anaemia, ages 6-17"),
    ("enrolment", "enrolment_rate_15_17", "Enrolment, ages 15-17"),
    ("enrolment", "junior_high_dropout_rate", "Junior-high dropout (annual)"),
    ("left_behind", "left_behind_share", "Left-behind children"),
    ("development", "mean_skill_0_5", "Mean skill 0-5 (SD)"),
    ("living_conditions", "no_safe_water_share", "Children without safe water"),
    ("income_poverty", "mean_income_pc", "Income per capita (RMB, 2014 prices)"),
    ("population", "persons", "Persons"),
]


# the nine panels of figures/headline.png
PANEL = ["moda_headcount_rate_0_5", "moda_headcount_rate_6_17", "moda_M0_0_5",
         "child_income_poverty_rate", "stunting_prevalence", "anaemia_prevalence_infant",
         "enrolment_rate_15_17", "left_behind_share", "no_safe_water_share"]


def generation_summary(tables: dict) -> pd.DataFrame | None:
    """MODA H, A, M0 and the deprived-and-income-poor share of children by generation,
    averaged (child-weighted) over the years observed; A is weighted by children, not by
    the MODA-poor, so it is indicative."""
    summ = tables.get("moda_summary")
    if summ is None:
        return None
    parts = [summ[(summ["by"] == "generation") & summ["measure"].isin(["H", "A", "M0"])]]
    inc = tables.get("moda_income")
    if inc is not None:
        parts.append(inc[(inc["by"] == "generation") & (inc["measure"] == "deprived_and_poor")])
    g = pd.concat(parts, ignore_index=True)
    if g.empty:
        return None
    g["wv"] = g["value"] * g["n"]
    keys = ["age_group", "group", "measure"]
    rep = "replicate" if "replicate" in g.columns else None
    per = g.groupby(([rep] if rep else []) + keys, as_index=False)[["wv", "n"]].sum()
    per["value"] = per["wv"] / per["n"]
    out = per.groupby(keys, as_index=False).agg(mean=("value", "mean"), lo=("value", "min"),
                                                 hi=("value", "max"), child_years=("n", "mean"))
    years = g.groupby(["age_group", "group"])["year"].agg(["min", "max"]).reset_index()
    out = out.merge(years, on=["age_group", "group"])
    return out.rename(columns={"group": "generation", "min": "first_year", "max": "last_year"})


def _common(p: argparse.ArgumentParser, writes: bool = True) -> None:
    p.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    p.add_argument("-v", "--verbose", action="store_true", help="print more detail")
    p.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    if writes:
        p.add_argument("--out", metavar="DIR", help="results folder (default: results/<name>-<time>)")
        p.add_argument("--force", action="store_true",
                       help="replace an existing results folder (only once the new one is complete)")


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
    _common(c)

    v = sub.add_parser("validate", help="check scenario files and report every error",
                       description="Check scenario files; report all errors (exit 2 if any).")
    v.add_argument("files", nargs="+", metavar="FILE")
    _common(v, writes=False)

    d = sub.add_parser("describe", help="list parameters (default, unit, range, source)",
                       description="List every declared parameter, or the named quantities "
                                   "interventions can modify (--values).")
    d.add_argument("names", nargs="*", metavar="NAME", help="only these parameters (substring)")
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
                    "command is run again.  Writes calibration/fitted/<name>.toml (which scenarios take in with "
                    "`extends`) and a fit report: target vs simulated with intervals, standardised residuals, "
                    "held-out targets, parameters at their bounds, parameter correlations.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  povsim calibrate calibration/targets/hubei_baseline.toml --workers 2\n"
               "  povsim calibrate calibration/targets/hubei_baseline.toml --method nelder-mead --force\n"
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
    cal.add_argument("--no-fitted", action="store_true",
                     help="do not write calibration/fitted/<name>.toml (report only)")
    cal.add_argument("--no-figures", action="store_true", help="skip figures")
    _executor_args(cal)
    _common(cal)
    cal.set_defaults(out=None)
    for action in cal._actions:
        if action.dest == "out":
            action.help = "cache and report folder (default: results/calibrate-<name>; an unfinished one resumes)"
        if action.dest == "force":
            action.help = "replace a finished report and the fitted parameter file (cached runs are reused)"

    rp = sub.add_parser(
        "report", help="figure pack and policy brief (HTML, Markdown) from a results folder",
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
                    help="figure formats, comma-separated, from png, svg, pdf (default png,svg; png always)")
    rp.add_argument("--lang", choices=["en", "zh"], default="en", help="language of labels and brief (default en)")
    _common(rp)
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    if args.command is None:
        ap.print_help()
        return 2
    commands = {"run": cmd_run, "compare": cmd_compare, "validate": cmd_validate,
                "describe": cmd_describe, "moda": cmd_moda, "batch": cmd_batch,
                "sensitivity": cmd_sensitivity, "report": cmd_report, "calibrate": cmd_calibrate}
    try:
        if args.command in commands:
            return commands[args.command](args)
    except ScenarioErrors as e:
        if getattr(args, "debug", False):
            raise
        for err in e.errors:
            print(f"error: {err.message()}", file=sys.stderr)
        return 2
    except RunError as e:
        if getattr(args, "debug", False):
            raise
        print(f"run failed: {e}", file=sys.stderr)
        return 1
    except PovsimError as e:
        if getattr(args, "debug", False):
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing was written to the results folder", file=sys.stderr)
        return 130
    return 2


# -- run ---------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    from povsim.errors import ScenarioError
    from povsim.scenario import load_scenario

    if args.replicates < 1:
        raise ScenarioErrors([ScenarioError("<command line>", "--replicates", args.replicates,
                                            "an integer >= 1")])
    if args.seed < 0:
        raise ScenarioErrors([ScenarioError("<command line>", "--seed", args.seed,
                                            "a non-negative integer")])
    scenario = load_scenario(args.scenario)
    for w in scenario.warnings:
        if not args.quiet:
            print(f"warning: {w}", file=sys.stderr)
    from povsim.output import prepare_results_dir

    # fail early (before the run) if the folder exists or cannot be written
    prepare_results_dir(args.out, scenario.name, force=args.force)
    result = _run_with_progress(scenario, args)
    checks = calibration_checks(result)
    folder = write_run_results(result, args, [args.scenario], checks=checks)
    if not args.quiet:
        _print_run_summary(result, folder, checks)
    return 0


def calibration_checks(result) -> tuple[pd.DataFrame, str] | None:
    """Check a run against the targets of the fitted parameter set its scenario takes in.

    Returns ``(table, heading)``, or ``None`` when the scenario carries no fitted set or
    runs interventions (the targets describe the no-programme baseline, which an
    intervention changes on purpose).
    """
    sc = result.scenario
    if not sc.calibration.targets or sc.interventions:
        return None
    from povsim.calibration import target_checks

    try:
        table = target_checks(sc, result.tables)
    except PovsimError as e:  # the run is written all the same; only the check is skipped
        print(f"warning: calibration check skipped: {e}", file=sys.stderr)
        return None
    if table is None:
        return None
    fit = sc.calibration.fit
    fitted_at = (f"{fit['persons']:,} persons x {fit.get('replicates', '?')}" if isinstance(fit.get("persons"), int)
                 else "unknown scale")
    heading = (f"Calibration check against {Path(sc.calibration.targets).name} "
               f"({len(result.seeds)} replicate(s) at {sc.total_persons:,} persons; fitted at {fitted_at})")
    return table, heading


def _run_with_progress(scenario, args):
    from povsim.runner import run_scenario

    if args.quiet:
        return run_scenario(scenario, replicates=args.replicates, seed=args.seed,
                            workers=args.workers)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    cols = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("replicate-years"), TimeElapsedColumn(), TextColumn("ETA"),
            TimeRemainingColumn())
    with Progress(*cols, transient=False) as prog:
        task = prog.add_task(f"{scenario.name}", total=scenario.time.years * args.replicates)

        def tick(done: int, total: int) -> None:
            prog.update(task, completed=done)

        return run_scenario(scenario, replicates=args.replicates, seed=args.seed,
                            workers=args.workers, progress=tick)


#: tables that are not in the tidy yearly layout
_NOT_TIDY = ("costs", "reach", "budget", "programme", "mobility", "lineage")


def _tidy(tables: dict) -> dict:
    """The tables in the standard tidy layout (the detailed ``moda_*`` tables are not)."""
    return {k: v for k, v in tables.items() if not k.startswith("moda_") and k not in _NOT_TIDY}


def programme_figures(result) -> pd.DataFrame | None:
    """Programme totals (mean over replicates; see :func:`povsim.programme.overview`)."""
    from povsim.programme import overview

    return overview(result.tables.get("programme"))


def fidelity(result) -> tuple[pd.DataFrame, str] | None:
    """The programme fidelity table and its text, where it applies (povsim.programme)."""
    from povsim import programme

    if not programme.applies(result.scenario):
        return None
    table = programme.fidelity_table(result.tables.get("programme"))
    if table is None:
        return None
    return table, programme.render_fidelity(table, result.scenario.population.sampling_fraction)


def summary_years(scenario) -> list[int]:
    s, e = scenario.time.start_year, scenario.end_year
    years = [s, s + 5, s + 10, s + 30, e]
    return sorted({y for y in years if y <= e})


def write_run_results(result, args, input_files: list[str],
                      checks: tuple[pd.DataFrame, str] | None = None) -> Path:
    """Write manifest, resolved scenario, tables, summary and figures atomically."""
    from povsim import __version__
    from povsim.output import (
        atomic_write_csv,
        atomic_write_text,
        results_dir,
        save_figure,
        write_manifest,
    )
    from povsim.summary import render_summary, summarize

    sc = result.scenario
    with results_dir(args.out, sc.name, force=args.force) as d:
        extra = {"replicates": len(result.seeds), "seed": result.seed,
                 "workers": args.workers, "seconds": round(result.seconds, 3),
                 "person_years": result.person_years}
        write_manifest(d, scenario_dict=sc.resolved_dict(), seeds=result.seeds,
                       input_files=[*input_files, *sc.source_files],
                       command_line=sys.argv, extra=extra)
        atomic_write_text(d / "scenario.resolved.toml", sc.to_toml())
        for name, df in result.tables.items():
            atomic_write_csv(d / "tables" / f"{name}.csv", df)
        specs = [h for h in HEADLINE if h[0] in result.tables]
        summ = summarize(_tidy(result.tables), years=summary_years(sc),
                         measures=[(t, m) for t, m, _ in specs])
        atomic_write_csv(d / "summary.csv", summ)
        title = f"{sc.name}: mean [95% interval] over {len(result.seeds)} replicate(s)"
        text = render_summary(summ, title) + "\n"
        gen = generation_summary(result.tables)
        if gen is not None:
            atomic_write_csv(d / "generation_summary.csv", gen)
            text += "\nMODA by generation of the children (mean over the years observed)\n"
            text += gen.to_string(index=False, float_format=lambda x: f"{x:.3f}") + "\n"
        prog = programme_figures(result)
        if prog is not None:
            atomic_write_csv(d / "programme_summary.csv", prog)
            text += "\nProgramme (full-area estimates; mean over replicates)\n"
            text += prog.to_string(index=False, float_format=lambda x: f"{x:,.0f}") + "\n"
        fid = fidelity(result)
        if fid is not None:
            atomic_write_csv(d / "fidelity.csv", fid[0])
            text += "\n" + fid[1] + "\n"
        if checks is not None:
            atomic_write_csv(d / "target_checks.csv", checks[0], index=False)
            text += f"\n{checks[1]}\n{render_checks(checks[0])}\n"
        atomic_write_text(d / "summary.txt", text)
        if not args.no_figures:
            from povsim.plots import plot_panel, plot_trajectory, provenance_line

            prov = provenance_line(sc.name, result.seeds, version=__version__)
            panel = [h for m in PANEL for h in specs if h[1] == m]
            save_figure(plot_panel(_tidy(result.tables), panel, provenance=prov),
                        d / "figures" / "headline")
            if checks is not None:
                from povsim.plots.calibration import plot_targets

                save_figure(plot_targets(checks[0], title=f"{sc.name}: calibration targets vs simulated",
                                         provenance=prov), d / "figures" / "calibration_check")
            from povsim.plots import moda_figures

            for stem, fig in moda_figures(result.tables, provenance=prov).items():
                save_figure(fig, d / "figures" / stem)
            for t, m, label in specs:
                if "arm" not in sc.outputs.by:
                    save_figure(plot_trajectory(result.tables[t], m, title=label,
                                                provenance=prov), d / "figures" / m)
                else:
                    save_figure(plot_trajectory(result.tables[t], m, by="arm",
                                                title=f"{label}, pilot vs comparison",
                                                provenance=prov),
                                d / "figures" / f"{m}_by_arm")
        final = d
    # results_dir renamed the staging folder; report the final path
    from povsim.output import prepare_results_dir  # noqa: F401  (documented convention)

    return Path(str(final).split(".partial-")[0])


def _print_run_summary(result, folder: Path, checks: tuple[pd.DataFrame, str] | None = None) -> None:
    from povsim.summary import print_summary, summarize

    sc = result.scenario
    specs = [h for h in HEADLINE if h[0] in result.tables]
    summ = summarize(_tidy(result.tables), years=summary_years(sc),
                     measures=[(t, m) for t, m, _ in specs])
    print_summary(summ, f"{sc.name}: mean [95% interval] over {len(result.seeds)} replicate(s)")
    gen = generation_summary(result.tables)
    if gen is not None:
        print("MODA by generation of the children (averaged over the years observed):")
        print(gen.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    prog = programme_figures(result)
    if prog is not None:
        print("Programme (full-area estimates; mean [min-max] over replicates):")
        print(prog.to_string(index=False, float_format=lambda x: f"{x:,.0f}"))
    if checks is not None:
        print(checks[1])
        print(render_checks(checks[0]))
    elif sc.calibration.targets and sc.interventions:
        print(f"Calibration targets ({Path(sc.calibration.targets).name}) not checked: they describe the "
              "no-programme baseline, which this scenario's interventions change; run the baseline scenario "
              "for the check.")
    rate = result.person_years / max(result.seconds, 1e-9)
    frac = sc.population.sampling_fraction
    scale = "" if frac >= 1.0 else f" (a {frac:.1%} sample of villages: counts are x {1 / frac:.4g})"
    print(f"{len(result.seeds)} replicate(s), {result.person_years:,} person-years{scale} in "
          f"{result.seconds:.1f} s ({rate / 1e6:.2f} M person-years/s)")
    fid = fidelity(result)
    if fid is not None:
        print(fid[1])
    print(f"results: {folder}")


# -- compare ---------------------------------------------------------------------
def cmd_compare(args: argparse.Namespace) -> int:
    from povsim.compare import compare, write_compare_results
    from povsim.errors import ScenarioError
    from povsim.output import prepare_results_dir, results_dir
    from povsim.scenario import load_scenario

    if args.replicates < 1:
        raise ScenarioErrors([ScenarioError("<command line>", "--replicates", args.replicates,
                                            "an integer >= 1", "use 2 or more for intervals")])
    errors = []
    scenarios = []
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
    total = (len(alts) + 1) * args.replicates * base.time.years
    if args.quiet:
        res = compare(base, alts, replicates=args.replicates, seed=args.seed, workers=args.workers)
    else:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        done: dict[str, int] = {}
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      TextColumn("{task.percentage:>3.0f}%"), TextColumn("ETA"),
                      TimeRemainingColumn()) as prog:
            task = prog.add_task("compare", total=total)

            def tick(scenario: str, d: int, t: int) -> None:
                done[scenario] = d
                prog.update(task, completed=sum(done.values()),
                            description=f"compare: {scenario}")

            res = compare(base, alts, replicates=args.replicates, seed=args.seed,
                          workers=args.workers, progress=tick)
    with results_dir(args.out, name, force=args.force) as d:
        write_compare_results(res, d, command_line=sys.argv,
                              input_files=[args.base, *args.alternatives],
                              figures=not args.no_figures)
        staging = d
    folder = Path(str(staging).split(".partial-")[0])
    if not args.quiet:
        _print_compare(res, folder)
    return 0


def _print_compare(res, folder: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    d = res.differences
    key = d[d["when"].str.startswith(("+5 years", "end of programme", "generation", "born",
                                      "total", "discounted"))]
    t = Table(title=f"Paired differences vs {res.base.scenario.name} (mean [95% interval], "
                    f"{len(res.base.seeds)} replicates, common random numbers)")
    for col in ("scenario", "measure", "when", "base", "alternative", "difference"):
        t.add_column(col, overflow="fold")

    def fmt(m: str, v: float) -> str:
        if v != v:  # NaN
            return "n/a"
        if "rmb" in m:
            return f"{v:,.0f}"
        if "rate" in m or "share" in m or "prevalence" in m or "transmission" in m:
            return f"{100 * v:.1f}%"
        return f"{v:.3f}"

    for r in key.itertuples():
        diff = fmt(r.measure, r.diff_mean)
        if r.ci_lo == r.ci_lo and r.replicates > 1:
            unit = " pp" if "%" in diff else ""
            diff = diff.replace("%", " pp") + (f" [{fmt(r.measure, r.ci_lo)}, {fmt(r.measure, r.ci_hi)}]"
                                               .replace("%", unit))
        t.add_row(r.scenario, r.measure, r.when, fmt(r.measure, r.base_mean),
                  fmt(r.measure, r.alt_mean), diff)
    con = Console(width=160)
    con.print(t)
    from povsim.compare import render_cost_effectiveness

    print(render_cost_effectiveness(res.cost_effectiveness, res.decomposition))
    print(f"results: {folder}")


# -- validate --------------------------------------------------------------------
def cmd_validate(args: argparse.Namespace) -> int:
    from povsim.scenario import validate_files

    errors = validate_files(args.files)
    for e in errors:
        print(f"error: {e.message()}", file=sys.stderr)
    if errors:
        print(f"{len(errors)} error(s) in {len({e.file for e in errors})} file(s)",
              file=sys.stderr)
        return 2
    if not args.quiet:
        print(f"ok: {len(args.files)} file(s) valid")
    return 0


# -- describe --------------------------------------------------------------------
def cmd_describe(args: argparse.Namespace) -> int:
    import csv

    if args.interventions:
        from povsim.interventions import CLASSES

        rows = []
        for name, cls in CLASSES.items():
            fields = ", ".join(f for f in cls.Config.model_fields)
            rows.append((name, cls.description, cls.unit, ", ".join(cls.modifies), fields))
        header = ("intervention", "what", "unit", "modifies", "settings ([interventions.<name>])")
    elif args.values:
        from povsim.state import VALUE_NAMES

        rows = [(k, u, d) for k, (u, d) in VALUE_NAMES.items()]
        header = ("value", "unit", "meaning")
    else:
        from povsim.params import registry

        reg = registry()
        rows = [(p.name, _fmt(p.default), p.unit, f"{_fmt(p.range[0])} - {_fmt(p.range[1])}",
                 p.module.rsplit(".", 1)[-1], p.description, p.source)
                for p in reg.values()
                if not args.names or any(n in p.name for n in args.names)]
        if args.names and not rows:
            from povsim.errors import ParameterError, did_you_mean

            raise ParameterError(f"no parameter matches {args.names} "
                                 f"({did_you_mean(args.names[0], reg)})")
        header = ("name", "default", "unit", "plausible range", "module", "description",
                  "source")
    if args.format == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(header)
        w.writerows(rows)
    elif args.format == "markdown":
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for r in rows:
            print("| " + " | ".join(str(c).replace("|", "/") for c in r) + " |")
    else:
        from rich.console import Console
        from rich.table import Table

        t = Table(title="povsim interventions" if args.interventions else
                  "povsim modifiable values" if args.values else "povsim parameters",
                  show_lines=True)
        for h in header:
            t.add_column(h, overflow="fold")
        for r in rows:
            t.add_row(*[str(c) for c in r])
        Console(width=200).print(t)
    return 0


def _fmt(x: float) -> str:
    return f"{x:g}"


# -- moda ------------------------------------------------------------------------
def cmd_moda(args: argparse.Namespace) -> int:
    from povsim.moda import default_moda_config_path, load_moda_config
    from povsim.moda_survey import survey_moda
    from povsim.output import results_dir

    cfg = load_moda_config(args.config or default_moda_config_path())
    name = Path(args.survey).stem
    with results_dir(args.out, f"moda-{name}", force=args.force) as d:
        res = survey_moda(args.survey, cfg, out_dir=d)
        from povsim import __version__
        from povsim.output import save_figure
        from povsim.plots import moda_figures

        prov = f"povsim {__version__} · survey {Path(args.survey).name} · MODA config {cfg.moda.name}"
        tabs = {f"moda_{k}": v for k, v in res.tables.items()}
        for stem, fig in moda_figures(tabs, provenance=prov).items():
            save_figure(fig, d / "figures" / stem)
        from povsim.output import write_manifest

        write_manifest(d, scenario_dict={"moda_config": str(args.config or "default")},
                       seeds=[], input_files=[args.survey] + ([args.config] if args.config
                                                               else []),
                       command_line=sys.argv, extra={"notes": list(res.notes)})
        staging = d
    folder = Path(str(staging).split(".partial-")[0])
    if not args.quiet:
        summ = res.tables.get("summary")
        if summ is not None:
            sel = summ[(summ["by"] == "all") & summ["measure"].isin(["H", "A", "M0"])]
            print(sel[["age_group", "measure", "value", "n"]].to_string(index=False))
        for n in res.notes:
            print(f"note: {n}")
        print(f"results: {folder}")
    return 0


# -- batch -----------------------------------------------------------------------
BATCH_ACTIONS = ("run", "status", "collect")


def _batch_words(words: list[str]) -> tuple[str, str]:
    """``[action] FILE`` -> (action, file); ``run`` when only a file is given."""
    from povsim.errors import ScenarioError

    if len(words) == 1 and words[0] not in BATCH_ACTIONS:
        return "run", words[0]
    if len(words) == 2 and words[0] in BATCH_ACTIONS:
        return words[0], words[1]
    raise ScenarioErrors([ScenarioError("<command line>", "batch", " ".join(words),
                                        "[run|status|collect] FILE", "e.g. povsim batch status "
                                        "experiments/small_lhs.toml")])


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
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(TextColumn("[bold]runs"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                                 TextColumn("ETA"), TimeRemainingColumn(), console=self.console)
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


def cmd_batch(args: argparse.Namespace) -> int:
    import signal

    from povsim.errors import ScenarioError
    from povsim.experiment import BatchInterrupted, batch_status, collect_batch, run_batch

    action, file = _batch_words(args.words)
    for opt, value, low in (("--workers", args.workers, 0), ("--dask-local", args.dask_local, 1)):
        if value is not None and value < low:
            raise ScenarioErrors([ScenarioError("<command line>", opt, value, f"an integer >= {low}",
                                                "e.g. 2, or leave it out to use all cores")])
    if action == "status":
        return _print_batch_status(batch_status(file, args.out), file, args)
    if action == "collect":
        tables, status = collect_batch(file, args.out)
        if not args.quiet:
            c = status.counts()
            print(f"collected {c['done']} of {status.total} runs ({c['failed']} failed, {c['pending']} pending "
                  f"not included) into {status.folder / 'tables'}:")
            for name, rows in tables.items():
                print(f"  {name}: {rows:,} rows")
        return 0

    def on_term(signum, frame):  # SIGTERM (e.g. a SLURM time limit) stops the batch like Ctrl-C
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    reporter = _BatchReporter(args.quiet)
    try:
        res = run_batch(file, out=args.out, workers=args.workers, scheduler=args.scheduler,
                        dask_local=args.dask_local, extend=args.extend,
                        memory_check=not args.skip_memory_check, reporter=reporter, command_line=sys.argv)
    except BatchInterrupted as e:
        print(str(e), file=sys.stderr)
        return 130
    except KeyboardInterrupt:  # outside the runs: saving the design, collecting the tables
        print(f"interrupted: finished runs are kept; run the same command again to resume (or `povsim batch "
              f"collect {file}` for the tables)", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not args.quiet:
        from povsim.experiment.estimate import format_seconds

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


def _print_batch_status(st, file: str, args: argparse.Namespace) -> int:
    c = st.counts()
    print(f"batch {st.folder}: {st.total} runs — done {c['done']}, failed {c['failed']}, pending {c['pending']}")
    if st.running:
        print(f"a batch process (pid {st.running}) is running in this folder now")
    if st.design_changed:
        print(f"note: {file} has changed since the batch started; `povsim batch {file} --extend` runs the new design")
    if st.state.corrupt:
        print(f"{len(st.state.corrupt)} damaged result file(s), counted as pending (they are run again):")
        for key, why in st.state.corrupt.items():
            print(f"  {key}: {why}")
    if st.state.stale:
        print(f"{len(st.state.stale)} result(s) lack a table the design keeps, counted as pending")
    if st.outside:
        print(f"{st.outside} finished run(s) in the folder are not in the current design (kept, not collected)")
    limit = None if args.verbose else 20
    failed = list(st.state.failed.items())
    if failed:
        print("failed runs (key: error):")
        for key, rec in failed[:limit]:
            print(f"  {key}: {rec.get('error', '')}")
        if limit is not None and len(failed) > limit:
            print(f"  ... and {len(failed) - limit} more (-v lists all; tracebacks in runs/<key>.failed.json)")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``povsim sensitivity FILE``: sample, run (resumable), analyse, print the ranked summary."""
    from povsim.errors import ScenarioError
    from povsim.sensitivity import run_sensitivity

    for opt, value, low in (("--workers", args.workers, 0), ("--dask-local", args.dask_local, 1)):
        if value is not None and value < low:
            raise ScenarioErrors([ScenarioError("<command line>", opt, value, f"an integer >= {low}",
                                                "e.g. 2, or leave it out to use all cores")])
    reporter = _BatchReporter(args.quiet)
    try:
        res = run_sensitivity(args.file, out=args.out, workers=args.workers, scheduler=args.scheduler,
                              dask_local=args.dask_local, figures=not args.no_figures, reporter=reporter,
                              command_line=sys.argv)
    except KeyboardInterrupt:
        print("interrupted: finished runs are kept; run the same command again to resume", file=sys.stderr)
        return 130
    if not args.quiet:
        print(res.text, end="")
        print(f"results: {res.folder}")
    return 0


# -- calibrate -------------------------------------------------------------------
def cmd_calibrate(args: argparse.Namespace) -> int:
    """``povsim calibrate TARGETS``: fit, report, write the fitted parameter set."""
    from povsim.calibration import run_calibration
    from povsim.errors import ScenarioError

    for opt, value, low in (("--workers", args.workers, 0), ("--dask-local", args.dask_local, 1),
                            ("--replicates", args.replicates, 1), ("--max-evaluations", args.max_evaluations, 2)):
        if value is not None and value < low:
            raise ScenarioErrors([ScenarioError("<command line>", opt, value, f"an integer >= {low}")])
    if not 0 < args.step <= 0.5:
        raise ScenarioErrors([ScenarioError("<command line>", "--step", args.step, "a share in (0, 0.5]",
                                            "e.g. 0.05: 5% of each parameter's range")])
    from rich.console import Console

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
        run = run_calibration(args.file, method=args.method, replicates=args.replicates, workers=args.workers,
                              scheduler=args.scheduler, dask_local=args.dask_local, out=args.out, force=args.force,
                              max_evaluations=args.max_evaluations, step=args.step, seed=args.seed,
                              write_fitted=not args.no_fitted, figures=not args.no_figures,
                              on_point=on_point, progress=progress)
    except KeyboardInterrupt:
        print("interrupted: finished runs are cached; run the same command again to resume", file=sys.stderr)
        return 130
    finally:
        if status is not None:
            status.stop()
    if not args.quiet:
        _print_calibration(run)
    return 0


def _print_calibration(run) -> None:
    from povsim.calibration.fit import FitResult

    r: FitResult = run.result
    print(f"calibration {r.spec.name}: {r.method}, {r.evaluations} points ({r.runs} runs, {r.cached_runs} cached); "
          f"objective {r.objective0:.4g} -> {r.objective:.4g}; {'converged' if r.converged else r.message}")
    print(render_checks(run.checks))
    print("parameters:")
    for p, x0, x in zip(r.spec.parameters, r.x0, r.x, strict=True):
        flag = "  (at a bound)" if p.name in r.at_bounds() else ""
        print(f"  {p.name:28s} {x0:10.4g} -> {x:10.4g}   [{p.lower:g}, {p.upper:g}]{flag}")
    print(f"report: {run.folder / 'report.md'}")
    if run.fitted_file is not None:
        print(f"fitted parameter set: {run.fitted_file}")


def render_checks(checks: pd.DataFrame) -> str:
    """Target checks as text: target, simulated [interval], tolerance, pass/fail."""
    lines = []
    for use, title in (("fit", "Fitting targets"), ("holdout", "Held-out targets (not used in fitting)")):
        g = checks[checks["use"] == use]
        if g.empty:
            continue
        lines.append(f"{title}: {int(g['passes'].sum())}/{len(g)} within tolerance")
        lines.append(f"  {'target':30s} {'value':>8s} {'simulated':>10s} {'95% interval':>19s} {'tol':>7s}  check")
        for _, row in g.iterrows():
            iv = (f"[{row['sim_lo']:.3f}, {row['sim_hi']:.3f}]" if np.isfinite(row["sim_se"]) else "")
            lines.append(f"  {row['name']:30s} {row['value']:8.3f} {row['simulated']:10.3f} {iv:>19s} "
                         f"{row['tolerance']:7.3f}  {'pass' if row['passes'] else 'FAIL'}")
    return "\n".join(lines)


# -- report ----------------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    """``povsim report RESULTS_DIR``: figures and brief from the saved tables."""
    from povsim.report import write_report

    folder = write_report(args.folder, out=args.out, formats=args.format, lang=args.lang, force=args.force)
    if not args.quiet:
        print(f"brief: {folder / 'brief.html'} (and brief.md)")
        print(f"figures: {folder / 'figures'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
