"""The ``povsim plan`` subcommand: its parser (with the help that teaches) and its action.

:mod:`povsim.cli` only registers the parser and calls :func:`run_command` with its
progress reporter; everything else about planning lives in :mod:`povsim.plan`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

__all__ = ["DESCRIPTION", "add_parser", "run_command"]

DESCRIPTION = """\
Allocate a budget across villages x interventions, under uncertainty, and prove it.

A plan file (plans/*.toml) names the area and programme (a scenario), the allocation to
beat (by default the scenario's own: the real pilot), the interventions with their
levels (coverage 0 / 0.5 / 1, or on/off for a centre), the budget levels, the
constraints and the objective.  The planner then

  1. runs the model with village levels randomised inside each run (villages are the
     experimental units; every run of a scenario shares its seed and parameter draw with
     a baseline run: common random numbers), for parameter draws from the calibration's
     uncertainty and the effect sizes' plausible ranges x seeds;
  2. fits response surfaces per village type (with interaction terms where the runs
     show them) and a cost model per village (fixed cost per site + cost per coverage);
  3. solves the allocation exactly as a mixed-integer program (scipy.optimize.milp /
     HiGHS) and reports the optimality gap; expected outcome or CVaR over the draws;
     budget per year and in total, earmarked funders, county floors and caps,
     capacity (volunteers), minimum levels, "no village worse off", worst-off floor;
  4. re-runs the chosen allocations in the full model on fresh seeds, paired with the
     baseline and the real allocation, and reports the surrogate's prediction beside
     the model's result with intervals, and the probability the plan beats the others.

Outputs (<out>/plan/): tables/allocation.csv (village x intervention x year x funder,
cost), frontier.csv (outcome vs budget with bands), shadow_price.csv, marginal_returns.csv,
binding_constraints.csv, alternatives.csv (simpler plans within x %), rollout.csv,
stability.csv, verification.csv, optimality.csv; summary.txt; figures/; manifest.json.

Resumable: every model run is kept in <out>/runs; run the same command again after an
interruption (Ctrl-C, a time limit, kill -9) and it continues where it stopped and gives
the same plan.
"""

EPILOG = """\
examples:
  povsim plan plans/small.toml --workers 2              a 12-village demo, ~20 s
  povsim plan plans/hubei_pilot.toml --workers 2        80 pilot villages x 6 interventions, ~6-10 min
  povsim plan plans/hubei_pilot.toml --out results/pilot-plan --dask-local 2
  povsim plan plans/hubei_pilot.toml --scheduler tcp://head-node:8786

Budgets are the plan file's RMB; with budget.scale = "current_cost" they are mapped onto
the simulated area by the model's cost of the real allocation (275 M RMB -> its simulated
cost), so the plan and the real allocation compete at equal cost.
"""


def add_parser(sub: argparse._SubParsersAction, executor_args: Callable[[argparse.ArgumentParser], None],
               common: Callable[..., None]) -> argparse.ArgumentParser:
    """Register ``povsim plan`` on the subcommand parser ``sub``."""
    p = sub.add_parser("plan", help="allocate a budget across villages x interventions (exact, under uncertainty, "
                                    "verified; resumable)",
                       description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="PLAN.toml", help="plan file (see plans/small.toml, plans/hubei_pilot.toml)")
    p.add_argument("--out", metavar="DIR",
                   help="plan folder (default results/plan-<name>); runs are kept in DIR/runs, the plan in DIR/plan")
    executor_args(p)
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    common(p, writes=False)
    return p


def run_command(args: argparse.Namespace, reporter) -> int:
    """Run ``povsim plan`` with parsed arguments; returns the exit code."""
    from povsim.cli import sigterm_interrupts
    from povsim.plan.run import run_plan

    # --workers and --dask-local are checked by povsim.cli.check_options before this runs
    try:
        with sigterm_interrupts():
            res = run_plan(args.file, out=args.out, workers=args.workers, scheduler=args.scheduler,
                           dask_local=args.dask_local, reporter=reporter, command_line=sys.argv,
                           figures=not args.no_figures)
    except KeyboardInterrupt:
        print("interrupted: finished model runs are kept; run the same command again to resume", file=sys.stderr)
        return 130
    if not args.quiet:
        print(res.summary, end="")
        print(f"plan: {res.folder}")
    return 0
