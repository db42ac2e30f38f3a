"""Which figures of the pack go into the brief, which question each answers, and its caption:
one sentence computed from the folder's tables.

A figure enters the brief only through a rule here (so every caption exists in both
languages); the rest of the pack stays in ``figures/`` and is listed by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from povsim.brief.context import Context
from povsim.brief.document import FigureBlock
from povsim.brief.i18n import join, term
from povsim.brief.numbers import fmt_count, fmt_diff, fmt_level, fmt_pct, fmt_rmb, isnum
from povsim.brief.outcomes import outcome
from povsim.compare import replicate_values
from povsim.report import ReportFigure

__all__ = ["QUESTIONS", "brief_figures"]

#: order of the questions figures answer
QUESTIONS = ("q.effects", "q.who", "q.costs", "q.sure", "q.context")


@dataclass(frozen=True)
class _Rule:
    pattern: str  # regular expression on the figure's stem (full match)
    question: str
    caption: Callable[[Context, re.Match], str | None]


def _mean_at(t: pd.DataFrame | None, measure: str, year: int, by: str = "all", group: str = "all") -> float:
    """Mean over replicates in ``year`` (the nearest earlier year in the table; NaN: no rows)."""
    v = None if t is None else replicate_values(t, measure, year, by, group)
    return np.nan if v is None else float(v.mean())


def _trend(ctx: Context, table: str, measure: str) -> str | None:
    o = outcome(measure, table)
    first = _mean_at(ctx.table(ctx.scenario_names[0], table), measure, ctx.start)
    ends = [ctx.t("cap.trend_item", value=fmt_level(_mean_at(ctx.table(n, table), measure, ctx.end), o.unit,
                                                    ctx.lang), name=ctx.scenario_name(n))
            for n in ctx.scenario_names if ctx.table(n, table) is not None]
    if not isnum(first) or not ends:
        return None
    return ctx.t("cap.trend", what=o.short(ctx.lang), first=fmt_level(first, o.unit, ctx.lang), start=ctx.start,
                 end=ctx.end, ends=join(ends, ctx.lang))


def _cap_differences(ctx: Context, m: re.Match) -> str | None:
    d = ctx.csv("differences.csv")
    if d is None:
        return None
    d = d[d["when"].astype(str).str.startswith("end of programme")]
    if d.empty:
        return None
    clear = ((d["ci_lo"] > 0) | (d["ci_hi"] < 0)).sum()
    signed = [(r.diff_mean if not outcome(r.measure).lower_is_better else -r.diff_mean) for r in d.itertuples()]
    best = d.iloc[int(np.nanargmax(signed))]
    o = outcome(str(best["measure"]))
    return ctx.t("cap.differences", base=ctx.scenario_name(ctx.base), n_clear=int(clear), n=len(d),
                 outcome=o.short(ctx.lang), alt=ctx.scenario_name(str(best["scenario"])),
                 amount=fmt_diff(float(best["diff_mean"]), o.unit, ctx.lang))


def _cap_ce(ctx: Context, m: re.Match) -> str | None:
    p = ctx.csv("ce_points.csv")
    if p is None:
        return None
    items = [ctx.t("cap.ce_item", alt=ctx.scenario_name(str(a)), cost_lo=fmt_rmb(g["cost"].min(), ctx.lang),
                   cost_hi=fmt_rmb(g["cost"].max(), ctx.lang), eff_lo=fmt_count(g["effect"].min(), ctx.lang),
                   eff_hi=fmt_count(g["effect"].max(), ctx.lang))
             for a, g in p.groupby("scenario", sort=False)]
    return ctx.t("cap.ce_plane", items="; ".join(items) if ctx.lang == "en" else "；".join(items))


def _cap_costs(ctx: Context, m: re.Match) -> str | None:
    """The costs figure: each scenario's undiscounted total and its largest item (mean over
    replicates)."""
    items = []
    for name in ctx.scenario_names:
        c = ctx.table(name, "costs")
        if c is None or c.empty:
            continue
        reps = c["replicate"].nunique() if "replicate" in c.columns else 1
        by_iv = c.groupby("intervention")["cost_rmb"].sum() / reps
        items.append(ctx.t("cap.costs_item", name=ctx.scenario_name(name),
                           total=fmt_rmb(float(by_iv.sum()), ctx.lang),
                           largest=term("intervention", str(by_iv.idxmax()), ctx.lang),
                           share=fmt_pct(float(by_iv.max() / by_iv.sum()), ctx.lang)))
    if not items:
        return None
    return ctx.t("cap.costs", items="; ".join(items) if ctx.lang == "en" else "；".join(items))


def _scenario_of(ctx: Context, m: re.Match) -> str:
    s = (m.groupdict().get("scenario") or "").lstrip("_")
    return s if s in ctx.scenario_names else ctx.scenario_names[0]


def _cap_by_arm(ctx: Context, m: re.Match) -> str | None:
    name = _scenario_of(ctx, m)
    meas = m.group("measure")
    o = outcome(meas, "moda")
    t = ctx.table(name, "moda")
    p, c = _mean_at(t, meas, ctx.end, "arm", "pilot"), _mean_at(t, meas, ctx.end, "arm", "comparison")
    if not (isnum(p) and isnum(c)):
        return None
    return ctx.t("cap.by_arm", outcome=o.short(ctx.lang), name=ctx.scenario_name(name),
                 pilot=fmt_level(p, o.unit, ctx.lang), comparison=fmt_level(c, o.unit, ctx.lang), year=ctx.end)


def _cap_by_county(ctx: Context, m: re.Match) -> str | None:
    from povsim.brief.sentences import where_sentence

    name = _scenario_of(ctx, m)
    t = ctx.table(name, "moda")
    if t is None:
        return None
    meas = "moda_headcount_rate_0_5"
    counties = list(dict.fromkeys(t.loc[t["by"] == "county", "group"].astype(str)))
    levels = {c: _mean_at(t, meas, ctx.end, "county", c) for c in counties}
    return where_sentence(ctx, outcome(meas, "moda"), ctx.end, levels)


def _cap_dimensions(ctx: Context, m: re.Match) -> str | None:
    name = _scenario_of(ctx, m)
    d = ctx.table(name, "moda_dimensions")
    if d is None:
        return None
    year = int(d["year"].max())
    d = d[(d["by"] == "all") & (d["measure"] == "uncensored_headcount") & (d["age_group"] == "0-5")
          & (d["year"] == year)]
    if d.empty:
        return None
    v = d.groupby("dimension")["value"].mean()
    hi, lo = str(v.idxmax()), str(v.idxmin())
    return ctx.t("cap.dimensions", year=year, name=ctx.scenario_name(name), dim=term("dimension", hi, ctx.lang),
                 value=fmt_pct(v[hi], ctx.lang), dim2=term("dimension", lo, ctx.lang), value2=fmt_pct(v[lo], ctx.lang))


def _cap_transition(ctx: Context, m: re.Match) -> str | None:
    name = _scenario_of(ctx, m)
    t = ctx.table(name, "mobility")
    if t is None:
        return None
    g = t.groupby("measure")["value"].mean()
    p, q = g.get("p_adult_poor_relative_given_child_poor"), g.get("p_adult_poor_relative_given_child_nonpoor")
    if not (isnum(p) and isnum(q)):
        return None
    return ctx.t("cap.transition", name=ctx.scenario_name(name), poor=fmt_pct(p, ctx.lang),
                 nonpoor=fmt_pct(q, ctx.lang))


def _cap_calibration(ctx: Context, m: re.Match) -> str | None:
    c = ctx.res.extra.get("fit_targets", ctx.res.extra.get("target_checks"))
    if c is None or c.empty:
        return None
    return ctx.t("cap.calibration", passed=int(c["passes"].astype(bool).sum()), n=len(c))


def _cap_indices(ctx: Context, m: re.Match) -> str | None:
    idx = ctx.res.extra.get("indices")
    out = m.group("output")
    if idx is None:
        return None
    d = idx[idx["output"].astype(str) == out]
    key = next((k for k in ("ST", "delta", "S1") if k in d.columns and d[k].notna().any()), None)
    if d.empty or key is None:
        return None
    top = d.loc[d[key].idxmax()]
    return ctx.t("cap.indices", output=out, param=str(top["parameter"]), index=key, value=f"{top[key]:.2f}")


def _table_of(kind: str, ctx: Context, name: str) -> pd.DataFrame | None:
    """Table ``name`` of a results folder of ``kind`` (``None`` for another kind, or when missing or empty)."""
    return ctx.extra(name) if ctx.res.kind == kind else None


def _cap_frontier(ctx: Context, m: re.Match) -> str | None:
    f = _table_of("plan", ctx, "frontier")
    if f is None:
        return None
    e = f[f["objective"] == "expected"].sort_values("budget_rmb_plan")
    if e.empty:
        return None
    return ctx.t("cap.frontier", lo=fmt_rmb(e["budget_rmb_plan"].iloc[0], ctx.lang),
                 hi=fmt_rmb(e["budget_rmb_plan"].iloc[-1], ctx.lang), e_lo=f"{e['expected'].iloc[0]:,.1f}",
                 e_hi=f"{e['expected'].iloc[-1]:,.1f}")


def _cap_allocation(ctx: Context, m: re.Match) -> str | None:
    v = _table_of("plan", ctx, "villages")
    if v is None:
        return None
    cols = [c for c in v.columns if c.startswith("level_")]
    return ctx.t("cap.allocation", villages=len(v), served=int((v[cols] > 0).any(axis=1).sum()))


def _cap_verification(ctx: Context, m: re.Match) -> str | None:
    v = _table_of("plan", ctx, "verification")
    if v is None:
        return None
    return ctx.t("cap.verification", reps=int(v["replicates"].max()), n=len(v), lo=f"{v['error'].min():+,.1f}",
                 hi=f"{v['error'].max():+,.1f}")


def _cap_marginal(ctx: Context, m: re.Match) -> str | None:
    d = _table_of("plan", ctx, "marginal_by_intervention")
    if d is None or d["median_last_level_per_million_plan"].notna().sum() == 0:
        return None
    r = d.loc[d["median_last_level_per_million_plan"].idxmax()]
    return ctx.t("cap.marginal", top=term("intervention", str(r["intervention"]), ctx.lang),
                 value=f"{r['median_last_level_per_million_plan']:,.3g}")


def _cap_stability(ctx: Context, m: re.Match) -> str | None:
    s = _table_of("plan", ctx, "stability")
    if s is None:
        return None
    return ctx.t("cap.stability", median=fmt_pct(float(s["stability"].median()), ctx.lang, 0),
                 low=fmt_pct(float(s["stability"].min()), ctx.lang, 0))


def _cap_forest(ctx: Context, m: re.Match) -> str | None:
    from povsim.brief.kinds.trial import verdicts

    s = _table_of("trial", ctx, "trial_summary")
    if s is None:
        return None
    ok = verdicts(s)
    return ctx.t("cap.forest", n=len(s), passed=int(ok.map(lambda v: v is True).sum()), checked=int(ok.notna().sum()))


def _cap_trial_trajectories(ctx: Context, m: re.Match) -> str | None:
    t = _table_of("trial", ctx, "trajectories")
    if t is None or "arm" not in t.columns:
        return None
    arms = [f"`{a}`" for a in dict.fromkeys(t["arm"].astype(str))]
    return ctx.t("cap.trial_trajectories", arms=join(arms, ctx.lang), reps=ctx.replicates)


_SCEN = r"(?P<scenario>_.+)?"
RULES: tuple[_Rule, ...] = (
    _Rule("differences_end", "q.effects", _cap_differences),
    _Rule("moda_H", "q.effects", lambda ctx, m: _trend(ctx, "moda", "moda_headcount_rate_0_5")),
    _Rule("child_income_poverty_rate", "q.effects", lambda ctx, m: _trend(ctx, "income_poverty",
                                                                         "child_income_poverty_rate")),
    _Rule(rf"(?P<measure>moda_headcount_rate_0_5)_by_arm{_SCEN}", "q.context", _cap_by_arm),
    _Rule(rf"moda_headcount_rate_0_5_by_county{_SCEN}", "q.context", _cap_by_county),
    _Rule("ce_plane", "q.costs", _cap_ce),
    _Rule("costs", "q.costs", _cap_costs),
    _Rule("calibration_targets", "q.sure", _cap_calibration),
    _Rule(r"indices_(?P<output>.+)", "q.sure", _cap_indices),
    _Rule("moda_M0", "q.context", lambda ctx, m: _trend(ctx, "moda", "moda_M0_0_5")),
    _Rule(rf"moda_dimensions{_SCEN}", "q.context", _cap_dimensions),
    _Rule(rf"transition{_SCEN}", "q.context", _cap_transition),
    # a plan (povsim.plots.plan)
    _Rule("frontier", "q.effects", _cap_frontier),
    _Rule("allocation", "q.who", _cap_allocation),
    _Rule("marginal_returns", "q.costs", _cap_marginal),
    _Rule("verification", "q.sure", _cap_verification),
    _Rule("stability", "q.sure", _cap_stability),
    # a virtual trial (povsim.plots.trial)
    _Rule("forest", "q.effects", _cap_forest),
    _Rule("trajectories", "q.context", _cap_trial_trajectories),
)


def brief_figures(ctx: Context, figures: Sequence[ReportFigure],
                  keep: Callable[[str], bool] = lambda stem: True) -> tuple[dict[str, list[FigureBlock]], list[str]]:
    """The figures of the brief grouped by question (in :data:`QUESTIONS` order), and the stems
    of the pack left out.  ``keep(stem)`` lets a kind drop figures (e.g. one scenario's detail
    figures of many)."""
    chosen: dict[str, list[FigureBlock]] = {q: [] for q in QUESTIONS}
    rest: list[str] = []
    for rf in figures:
        caption, question = None, None
        if keep(rf.stem):
            for rule in RULES:
                m = re.fullmatch(rule.pattern, rf.stem)
                if m is None:
                    continue
                caption, question = rule.caption(ctx, m), rule.question
                break
        if caption:
            chosen[question].append(FigureBlock(rf.stem, rf.figure, caption))
        else:
            rest.append(rf.stem)
    k = 0
    for q in QUESTIONS:
        for fb in chosen[q]:
            k += 1
            fb.number = k
    return chosen, rest

