"""Brief of a ``povsim trial`` folder: what was tested (the published study, the host world,
the sample), the model beside the published trial per outcome (estimate with its replicate
interval, the published estimate with its confidence interval, pass or fail), the
assumptions, how sure we are, figures, method and provenance.

Every number is read from ``trial_summary.csv`` (:func:`povsim.trial.summarise`): per
outcome the model's mean over replicates, its 95 % replicate interval (``model_lo``,
``model_hi``: the spread of the study's estimator at the study's sample size), the 95 %
interval of the mean, the published estimate and CI, and ``within_source_ci``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from povsim.brief import sections as S
from povsim.brief.context import Context
from povsim.brief.document import Bullets, FigureBlock, Missing, Para, Section, Table
from povsim.brief.kinds import BriefKind
from povsim.brief.numbers import fmt_count, isnum

__all__ = ["KIND", "trial_meta", "verdicts"]


def trial_meta(ctx: Context) -> dict:
    """The trial as recorded in ``manifest.json`` (``scenario.trial``: name, title, source,
    host scenario, persons, replicates, seed, assumptions, notes)."""
    return (ctx.manifest.get("scenario") or {}).get("trial") or {}


def verdicts(summary: pd.DataFrame) -> pd.Series:
    """Per outcome: ``True`` (model mean within the published 95 % CI), ``False`` (outside),
    ``None`` (no published interval); as ``povsim trial`` decided it."""
    def one(v: object) -> bool | None:
        if isinstance(v, bool):
            return v
        s = str(v).strip().lower()
        return True if s in ("true", "1") else False if s in ("false", "0") else None

    return summary["within_source_ci"].map(one)


def _g(v: float) -> str:
    return f"{v:.3g}" if isnum(v) else "—"


def _outcome(ctx: Context, r) -> str:
    """The outcome as the brief names it: the trial file's label in English; its name (an
    identifier) in Chinese, the labels being typed in English."""
    return str(r.label or r.outcome) if ctx.lang == "en" else f"`{r.outcome}`"


def _what(ctx: Context) -> Section:
    sec = Section("what", ctx.t("sec.what.trial"))
    m, summ = trial_meta(ctx), ctx.extra("trial_summary")
    if not m or summ is None:
        return sec.add(Missing(ctx.t("missing", what=ctx.t("missing.trial"))))
    title = str(m.get("title") or m.get("name") or "")
    scen = str(m.get("scenario") or "?").rsplit("/", 1)[-1].removesuffix(".toml")
    sec.add(Para(ctx.t("what.trial", name=m.get("name", "?"), title=f" ({title})" if ctx.lang == "en" and title else "",
                       scenario=ctx.scenario_name(scen), persons=fmt_count(float(m.get("persons") or 0), ctx.lang),
                       reps=ctx.replicates, seed=m.get("seed", "?"),
                       n_c=fmt_count(float(summ["n_control"].mean()), ctx.lang),
                       n_t=fmt_count(float(summ["n_treated"].mean()), ctx.lang))))
    sec.add(Para(ctx.t("what.trial_source", source=f"`{m.get('source', '?')}`")))
    return sec


def _results(ctx: Context) -> Section:
    sec = Section("results", ctx.t("sec.trial_results"))
    summ = ctx.extra("trial_summary")
    if summ is None:
        return sec.add(Missing(ctx.t("missing", what=ctx.t("missing.trial"))))
    ok = verdicts(summ)
    checked = ok.notna()
    sec.add(Para(ctx.t("trial.summary", passed=int(ok.map(lambda v: v is True).sum()), n=int(checked.sum()),
                       total=len(summ))))
    items, rows = [], []
    for r, v in zip(summ.itertuples(index=False), ok, strict=True):
        common = {"outcome": _outcome(ctx, r), "model": _g(r.model_mean), "lo": _g(r.model_lo), "hi": _g(r.model_hi)}
        if v is None:
            items.append(ctx.t("trial.no_source", **common))
        else:
            items.append(ctx.t("trial.pass" if v else "trial.fail", source=_g(r.source_estimate),
                               slo=_g(r.source_lo), shi=_g(r.source_hi), **common))
        published = ctx.t("n/a")
        if isnum(r.source_estimate):
            published = _g(r.source_estimate) + (f" [{_g(r.source_lo)}, {_g(r.source_hi)}]" if isnum(r.source_lo)
                                                  else "")
        rows.append([str(r.outcome), str(r.estimator), f"{_g(r.model_mean)} [{_g(r.model_lo)}, {_g(r.model_hi)}]",
                     f"[{_g(r.model_mean_lo)}, {_g(r.model_mean_hi)}]", published,
                     ctx.t("n/a") if v is None else ctx.t("check.pass") if v else ctx.t("check.fail"),
                     f"{fmt_count(r.n_control, ctx.lang)} / {fmt_count(r.n_treated, ctx.lang)}"])
    sec.add(Bullets(items))
    sec.add(Table([ctx.t("col.outcome"), ctx.t("col.estimator"), ctx.t("col.model_replicates"),
                   ctx.t("col.model_mean_ci"), ctx.t("col.published"), ctx.t("col.check"), ctx.t("col.n_arms")],
                  rows, code_columns=(0, 1)))
    sec.add(Para(ctx.t("trial.criterion")))
    return sec


def _assumptions(ctx: Context) -> Section:
    sec = Section("assumptions", ctx.t("sec.assumptions"))
    m = trial_meta(ctx)
    typed = [*map(str, m.get("assumptions") or ()), *map(str, m.get("notes") or ())]
    run_notes = [str(n) for n in (ctx.manifest.get("extra") or {}).get("notes") or ()]
    if ctx.lang == "en":
        if typed or run_notes:
            sec.add(Bullets(typed + run_notes))
        else:
            sec.add(Missing(ctx.t("trial.no_assumptions")))
    else:  # typed in English in the trial file: pointed to, not translated by guesswork
        files = ctx.input_files
        sec.add(Para(ctx.t("trial.assumptions_elsewhere", n=len(typed) + len(run_notes),
                           file=f"`{files[0] if files else 'trials/'}`")))
    return sec


def _sure(ctx: Context) -> Section:
    sec = Section("sure", ctx.t("sec.sure"))
    reps = ctx.replicates
    if reps < 2:
        sec.add(Para(ctx.t("sure.one_replicate")))
    elif reps < 4:
        sec.add(Para(ctx.t("sure.few_replicates", reps=reps, df=reps - 1)))
    sec.add(Para(ctx.t("trial.sure_model")))
    return sec


def _sections(ctx: Context, figs: dict[str, list[FigureBlock]], rest: Sequence[str]) -> list[Section]:
    return [_what(ctx), _results(ctx), _assumptions(ctx), _sure(ctx), S.figures(ctx, figs, rest), S.method(ctx)]


def _title(ctx: Context) -> str:
    return ctx.t("title.trial", name=trial_meta(ctx).get("name") or ctx.folder.name)


KIND = BriefKind("trial", detect=lambda res: res.kind == "trial", title=_title, sections=_sections, priority=10)
