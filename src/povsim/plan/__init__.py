"""Planning (``povsim plan``): allocate a budget across villages x interventions, exactly,
under uncertainty, and verify the result in the full model.

The package talks to the model through a thin interface: per-village coverage in the
intervention configuration (``village_coverage``), a fixed planning area
(``PovertyModel(world_seed=...)``), the public process list (a recorder step after the
interventions) and the end-of-run world.  Pieces, in the order they run:

* :mod:`~povsim.plan.schema` — the plan file (``plans/*.toml``) and its validation;
* :mod:`~povsim.plan.design` — parameter draws, randomised village designs, run keys;
* :mod:`~povsim.plan.worker` and :mod:`~povsim.plan.measures` — one run with the village
  recorder: per-village outcomes (stunting-, delay- and outcome-MODA child-years,
  schooling, adult poverty of the treated cohorts) and programme accounting;
* :mod:`~povsim.plan.surrogate` — response surfaces per village type and the cost model;
* :mod:`~povsim.plan.problem` and :mod:`~povsim.plan.optimise` — the mixed-integer
  program (HiGHS), CVaR, shadow prices, the greedy split for comparison;
* :mod:`~povsim.plan.analysis` — frontier, marginal returns, binding constraints,
  alternatives, stability, roll-out;
* :mod:`~povsim.plan.verify` — paired verification in the full model;
* :mod:`~povsim.plan.run` — the resumable pipeline and the results folder;
* :mod:`~povsim.plan.cli` — the subcommand.

Examples
--------
>>> from povsim.plan import run_plan
>>> res = run_plan("plans/small.toml", workers=2)   # doctest: +SKIP
>>> res.tables["allocation"].head()                  # doctest: +SKIP
"""

from __future__ import annotations

from povsim.plan.optimise import Objective, PlanError, Problem, Solution, solve
from povsim.plan.run import PlanResult, run_plan
from povsim.plan.schema import Plan, load_plan

__all__ = ["Objective", "Plan", "PlanError", "PlanResult", "Problem", "Solution", "load_plan", "run_plan", "solve"]
