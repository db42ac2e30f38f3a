"""Virtual-trial folders (``povsim trial``): the model beside the published trial (forest
plot and the table with pass or fail against the published interval), the arms over time,
and the replicate estimates.

The figures are drawn by :mod:`povsim.plots.trial`, as ``povsim trial`` and ``povsim report``
draw them (:func:`povsim.report.build_figures`), so an exported figure is the brief's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from povsim.dashboard.folder import Kind
from povsim.dashboard.view import (
    Control,
    Drawn,
    Selection,
    View,
    chosen_rows,
    has_extra,
    no_controls,
    values_control,
)
from povsim.report import Results, load_results

__all__ = ["KIND", "model_beside_source", "views"]


def model_beside_source(summary: pd.DataFrame) -> pd.DataFrame:
    """Per outcome: the model's mean with its 95 % replicate interval, the published estimate
    with its CI, and the check (``pass`` when the mean lies within the published CI)."""
    from povsim.brief.kinds.trial import verdicts

    def g(v: float) -> str:
        return f"{v:.3g}" if pd.notna(v) else "n/a"

    check = verdicts(summary).map(lambda v: "n/a" if v is None else "pass" if v else "FAIL")
    return pd.DataFrame({
        "outcome": summary["outcome"], "estimator": summary["estimator"],
        "model mean [95% replicate interval]": [f"{g(m)} [{g(lo)}, {g(hi)}]" for m, lo, hi in
                                                zip(summary["model_mean"], summary["model_lo"], summary["model_hi"],
                                                    strict=True)],
        "published [95% CI]": [g(s) + (f" [{g(lo)}, {g(hi)}]" if pd.notna(lo) else "") for s, lo, hi in
                               zip(summary["source_estimate"], summary["source_lo"], summary["source_hi"],
                                   strict=True)],
        "check": check, "n control / treated": [f"{c:.0f} / {t:.0f}" for c, t in
                                                zip(summary["n_control"], summary["n_treated"], strict=True)]})


def _meta(res: Results) -> dict:
    return (res.manifest.get("scenario") or {}).get("trial") or {}


def _forest_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.trial import plot_trial_forest

    s = res.extra["trial_summary"]
    m = _meta(res)
    return Drawn(plot_trial_forest(s, title=str(m.get("title") or m.get("name") or "")), s,
                 "The model's estimate (circle: mean, 95 % replicate interval) beside the published estimate "
                 "(square: 95 % CI) for each outcome; the table says whether the model's mean lies within the "
                 "published interval.", table=model_beside_source(s))


def _arm_controls(res: Results, sel: Selection) -> Iterator[Control]:
    yield from values_control(res.extra["trajectories"], "arm", "arms", "Arms")


def _trajectories_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.trial import plot_trial_trajectories

    t = chosen_rows(res.extra["trajectories"], "arm", sel, "arms")
    return Drawn(plot_trial_trajectories(t), t, "Measured score, latent cognitive skill and height-for-age of each "
                 "arm's children by years since the start (mean over replicates, min-max band).")


def _outcome_controls(res: Results, sel: Selection) -> Iterator[Control]:
    outs = tuple(str(o) for o in dict.fromkeys(res.extra["trial_estimates"]["outcome"].astype(str)))
    if outs:
        yield Control("outcome", "Outcome", outs, outs[0])


def _estimates_draw(res: Results, sel: Selection) -> Drawn:
    e = res.extra["trial_estimates"]
    e = e[e["outcome"].astype(str) == sel["outcome"]] if "outcome" in sel else e
    return Drawn(None, e, f"The study's estimator in each replicate ({sel.get('outcome', 'every outcome')}): "
                          "the spread the replicate interval summarises.", table=e)


def views(res: Results) -> list[View]:
    return [
        View("forest", "Model beside the published trial", no_controls, _forest_draw, has_extra("trial_summary")),
        View("trial_trajectories", "Trial arms over time", _arm_controls, _trajectories_draw,
             has_extra("trajectories")),
        View("estimates", "Replicate estimates", _outcome_controls, _estimates_draw, has_extra("trial_estimates")),
    ]


def _detect(folder: Path) -> bool:
    return (folder / "trial_summary.csv").is_file()


KIND = Kind("trial", "Virtual trial", _detect, lambda folder: load_results(folder, lazy=True), views)
