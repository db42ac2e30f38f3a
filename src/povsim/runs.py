"""A run's results folder: tables, summary, figures and the target check (``povsim run``).

:func:`write_run_results` writes a :class:`~povsim.runner.RunResult` into a typed, sealed
results folder (:func:`povsim.output.results_dir`); :func:`summary_blocks` gives the
summary that is both printed and saved as ``summary.txt``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from povsim.errors import PovsimError
from povsim.summary import measure_label

__all__ = ["HEADLINE", "PANEL", "calibration_checks", "fidelity", "generation_summary", "programme_figures",
           "summary_blocks", "summary_years", "write_run_results"]

log = logging.getLogger("povsim")

# headline measures of the run summary and the trajectory panel: (table, measure, label)
HEADLINE = [(t, m, measure_label(m)) for t, m in (
    ("moda", "moda_headcount_rate_0_5"), ("moda", "moda_headcount_rate_6_17"), ("moda", "moda_intensity_share_0_5"),
    ("moda", "moda_M0_0_5"), ("moda", "moda_M0_6_17"), ("moda", "moda_deprived_and_poor_share_0_5"),
    ("moda", "moda_deprived_only_share_0_5"), ("income_poverty", "income_poverty_rate"),
    ("income_poverty", "child_income_poverty_rate"), ("stunting", "stunting_prevalence"),
    ("anaemia", "anaemia_prevalence_infant"), ("anaemia", "anaemia_prevalence_school"),
    ("enrolment", "enrolment_rate_15_17"), ("enrolment", "junior_high_dropout_rate"),
    ("left_behind", "left_behind_share"), ("development", "mean_skill_0_5"),
    ("living_conditions", "no_safe_water_share"), ("income_poverty", "mean_income_pc"), ("population", "persons"))]

# the nine panels of figures/headline.png
PANEL = ["moda_headcount_rate_0_5", "moda_headcount_rate_6_17", "moda_M0_0_5",
         "child_income_poverty_rate", "stunting_prevalence", "anaemia_prevalence_infant",
         "enrolment_rate_15_17", "left_behind_share", "no_safe_water_share"]

#: tables that are not in the tidy yearly layout
_NOT_TIDY = ("costs", "reach", "budget", "programme", "mobility", "lineage")


def _tidy(tables: dict) -> dict:
    """The tables in the standard tidy layout (the detailed ``moda_*`` tables are not)."""
    return {k: v for k, v in tables.items() if not k.startswith("moda_") and k not in _NOT_TIDY}


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
        log.warning("calibration check skipped: %s", e)
        return None
    if table is None:
        return None
    fit = sc.calibration.fit
    fitted_at = (f"{fit['persons']:,} persons x {fit.get('replicates', '?')}" if isinstance(fit.get("persons"), int)
                 else "unknown scale")
    heading = (f"Calibration check against {Path(sc.calibration.targets).name} "
               f"({len(result.seeds)} replicate(s) at {sc.total_persons:,} persons; fitted at {fitted_at})")
    return table, heading


def programme_figures(result) -> pd.DataFrame | None:
    """Programme totals (mean over replicates; see :func:`povsim.programme.overview`)."""
    from povsim.programme import overview

    return overview(result.tables.get("programme"))


def fidelity(result) -> tuple[pd.DataFrame, str] | None:
    """The programme fidelity table and its text, where it applies (:mod:`povsim.programme`)."""
    from povsim import programme

    if not programme.applies(result.scenario):
        return None
    table = programme.fidelity_table(result.tables.get("programme"))
    if table is None:
        return None
    return table, programme.render_fidelity(table, result.scenario.population.sampling_fraction)


def summary_years(scenario) -> list[int]:
    """Start year, +5, +10, +30 and the last year (those within the horizon)."""
    s, e = scenario.time.start_year, scenario.end_year
    return sorted({y for y in (s, s + 5, s + 10, s + 30, e) if y <= e})


def run_summary(result) -> tuple[pd.DataFrame, str]:
    """The headline summary table of a run and its title."""
    from povsim.summary import summarize

    specs = [h for h in HEADLINE if h[0] in result.tables]
    summ = summarize(_tidy(result.tables), years=summary_years(result.scenario),
                     measures=[(t, m) for t, m, _ in specs])
    return summ, f"{result.scenario.name}: mean [95% interval] over {len(result.seeds)} replicate(s)"


def summary_blocks(result, checks: tuple[pd.DataFrame, str] | None = None) -> list[str]:
    """What follows the headline table in the summary: MODA by generation, programme
    totals, the calibration check (each block a text with its heading)."""
    from povsim.calibration.report import render_checks

    blocks = []
    gen = generation_summary(result.tables)
    if gen is not None:
        blocks.append("MODA by generation of the children (mean over the years observed)\n"
                      + gen.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    prog = programme_figures(result)
    if prog is not None:
        blocks.append("Programme (full-area estimates; mean [min-max] over replicates)\n"
                      + prog.to_string(index=False, float_format=lambda x: f"{x:,.0f}"))
    fid = fidelity(result)
    if fid is not None:
        blocks.append(fid[1])
    sc = result.scenario
    if checks is not None:
        blocks.append(f"{checks[1]}\n{render_checks(checks[0])}")
    elif sc.calibration.targets and sc.interventions:
        blocks.append(f"Calibration targets ({Path(sc.calibration.targets).name}) not checked: they describe the "
                      "no-programme baseline, which this scenario's interventions change; run the baseline "
                      "scenario for the check.")
    return blocks


def write_run_results(result, *, out: str | Path | None, force: bool, input_files: Sequence[str],
                      command_line: Sequence[str], figures: bool = True, workers: int = 1,
                      checks: tuple[pd.DataFrame, str] | None = None) -> Path:
    """Write manifest, resolved scenario, tables, summary and figures atomically; returns
    the results folder."""
    from povsim import __version__
    from povsim.output import atomic_write_csv, atomic_write_text, final_path, results_dir, save_figure, write_manifest
    from povsim.programme import programme_window
    from povsim.summary import render_summary

    sc = result.scenario
    with results_dir(out, sc.name, kind="run", force=force) as d:
        extra = {"replicates": len(result.seeds), "seed": result.seed, "workers": workers,
                 "seconds": round(result.seconds, 3), "person_years": result.person_years,
                 "notes": list(result.notes)}
        write_manifest(d, kind="run", scenario_dict=sc.resolved_dict(), seeds=result.seeds,
                       input_files=[*input_files, *sc.source_files], command_line=command_line, extra=extra)
        atomic_write_text(d / "scenario.resolved.toml", sc.to_toml())
        for name, df in result.tables.items():
            atomic_write_csv(d / "tables" / f"{name}.csv", df)
        summ, title = run_summary(result)
        atomic_write_csv(d / "summary.csv", summ)
        gen, prog = generation_summary(result.tables), programme_figures(result)
        if gen is not None:
            atomic_write_csv(d / "generation_summary.csv", gen)
        if prog is not None:
            atomic_write_csv(d / "programme_summary.csv", prog)
        fid = fidelity(result)
        if fid is not None:
            atomic_write_csv(d / "fidelity.csv", fid[0])
        if checks is not None:
            atomic_write_csv(d / "target_checks.csv", checks[0], index=False)
        atomic_write_text(d / "summary.txt", "\n\n".join([render_summary(summ, title).rstrip(),
                                                          *summary_blocks(result, checks)]) + "\n")
        if figures:
            from povsim.plots import moda_figures, plot_panel, plot_trajectory, provenance_line

            prov = provenance_line(sc.name, result.seeds, version=__version__)
            window = programme_window(sc)
            specs = [h for h in HEADLINE if h[0] in result.tables]
            panel = [h for m in PANEL for h in specs if h[1] == m]
            save_figure(plot_panel(_tidy(result.tables), panel, provenance=prov, window=window),
                        d / "figures" / "headline")
            if checks is not None:
                from povsim.plots.calibration import plot_targets

                save_figure(plot_targets(checks[0], title=f"{sc.name}: calibration targets vs simulated",
                                         provenance=prov), d / "figures" / "calibration_check")
            for stem, fig in moda_figures(result.tables, provenance=prov).items():
                save_figure(fig, d / "figures" / stem)
            by_arm = "arm" in sc.outputs.by
            for t, m, label in specs:
                fig = plot_trajectory(result.tables[t], m, by="arm" if by_arm else "all", provenance=prov,
                                      title=f"{label}, pilot vs comparison" if by_arm else label, window=window)
                save_figure(fig, d / "figures" / (f"{m}_by_arm" if by_arm else m))
        staging = d
    return final_path(staging)
