"""Calibration folders (``povsim calibrate``): targets against simulated values, standardised
residuals, the objective trace and the fitted parameters."""

from __future__ import annotations

from collections.abc import Iterator

from povsim.dashboard.folder import Kind
from povsim.dashboard.view import Control, Drawn, Selection, View, no_controls
from povsim.report import Results, calibration_table, load_results

__all__ = ["KIND", "views"]


def _uses(res: Results, sel: Selection) -> Iterator[Control]:
    uses = tuple(dict.fromkeys(res.extra["fit_targets"]["use"].astype(str)))
    if len(uses) > 1:
        yield Control("use", "Targets", ("all", *uses), "all")


def _targets(res: Results, sel: Selection):
    t = res.extra["fit_targets"]
    return t if sel.get("use", "all") == "all" else t[t["use"].astype(str) == sel["use"]]


def _targets_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.calibration import plot_targets

    t = _targets(res, sel)
    table = calibration_table(res)
    if table is not None and sel.get("use", "all") != "all":
        table = table[table["target"].isin(t["name"])]
    return Drawn(plot_targets(t), t, "Calibration targets (value, tolerance band and 95% interval) against the "
                 "simulated value with its replicate interval, relative to the target; fitting and held-out "
                 "targets.", table=table)


def _residuals_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.calibration import plot_residuals

    t = _targets(res, sel)
    return Drawn(plot_residuals(t), t, "Standardised residuals (simulated - target) / sigma of every calibration "
                 "target; the shaded band is +-2.")


def _trace_draw(res: Results, sel: Selection) -> Drawn:
    from povsim.plots.calibration import plot_trace

    tr = res.extra["trace"]
    return Drawn(plot_trace(tr), tr, "Calibration objective at each evaluated parameter point and best so far.",
                 table=res.extra.get("parameters"))


def views(res: Results) -> list[View]:
    return [
        View("targets", "Calibration targets", _uses, _targets_draw),
        View("residuals", "Standardised residuals", _uses, _residuals_draw),
        View("trace", "Objective and fitted parameters", no_controls, _trace_draw, lambda r: "trace" in r.extra),
    ]


KIND = Kind("calibration", "Calibration", lambda folder: (folder / "fit_targets.csv").is_file(),
            lambda folder: load_results(folder, lazy=True), views)
