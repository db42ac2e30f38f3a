"""The sections a brief is made of, one function per planner's question.

Each reads what the folder has and says plainly what is missing (a :class:`Missing` block)
rather than leaving a section out; the kinds (:mod:`povsim.brief.kinds`) put them in order.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from povsim.brief import sentences as S
from povsim.brief.captions import QUESTIONS
from povsim.brief.context import Context
from povsim.brief.document import Bullets, FigureBlock, Heading, Missing, Para, Section, Table
from povsim.brief.effects import (
    OFFSETS,
    SERVICE_INDICATORS,
    Effect,
    arm_effect,
    dimension_decomposition,
    scenario_effect,
    subgroup_effects,
)
from povsim.brief.i18n import join, term
from povsim.brief.numbers import fmt_count, fmt_diff, fmt_level, fmt_pct, fmt_rmb, isnum
from povsim.brief.outcomes import COHORT, HEADLINE, Outcome, outcome
from povsim.compare import replicate_values

__all__ = ["costs", "effects_arms", "effects_compare", "figures", "method", "outcomes_levels", "sure",
           "target_table", "what_compare", "what_run", "where_run", "who_compare"]

#: outcomes that get a sentence (the rest are in the table)
KEY_OUTCOMES = ("moda_headcount_rate_0_5", "moda_headcount_rate_6_17", "child_income_poverty_rate",
                "stunting_prevalence")
WHO_OUTCOMES = ("moda_headcount_rate_0_5", "moda_headcount_rate_6_17", "child_income_poverty_rate")
WHO_BY = ("county", "arm", "left_behind", "sex")


def _cell(e: Effect | None, ctx: Context, missing: str = "") -> str:
    if e is None:
        return missing or ctx.t("n/a")
    s = fmt_diff(e.diff, e.outcome.unit, ctx.lang)
    if e.has_interval:
        s += f" [{fmt_diff(e.lo, e.outcome.unit, ctx.lang, with_unit=False)}, " \
             f"{fmt_diff(e.hi, e.outcome.unit, ctx.lang, with_unit=False)}]"
    return s


def _offset_columns(ctx: Context) -> tuple[list[int], list[str], list[int]]:
    reached = [k for k in OFFSETS if ctx.start + k <= ctx.end]
    cols = [ctx.t("col.at", k=k, year=ctx.start + k) if k in reached else ctx.t("col.at_missing", k=k)
            for k in OFFSETS]
    return reached, cols, [k for k in OFFSETS if k not in reached]


def _not_reached(ctx: Context, missing: list[int]) -> Missing | None:
    if not missing:
        return None
    return Missing(ctx.t("effects.not_reached", end=ctx.end, offsets=join([f"+{k}" for k in missing], ctx.lang)))


# -- what was compared / run -------------------------------------------------------------
def _area(ctx: Context, scenario: str) -> Para | None:
    r = ctx.resolved(scenario)
    pop, time = r.get("population") or {}, r.get("time") or {}
    if not pop or not time:
        return None
    counties = pop.get("counties") or []
    text = ctx.t("what.area", counties=len(counties),
                 county_names=join([term("county", c, ctx.lang) for c in counties], ctx.lang),
                 pilot=pop.get("pilot_villages", "?"), comparison=pop.get("comparison_villages", "?"),
                 persons=fmt_count(pop.get("persons") or np.nan, ctx.lang), start=ctx.start, end=ctx.end,
                 years=time.get("years", ctx.end - ctx.start))
    if pop.get("scale", 1.0) not in (1, 1.0):
        text += " " + ctx.t("what.scale", scale=pop["scale"])
    return Para(text)


def _scenario_rows(ctx: Context, names: Sequence[str]) -> Table:
    rows = []
    for n in names:
        desc = ((ctx.resolved(n).get("scenario") or {}).get("description") or "") if ctx.lang == "en" else ""
        if ctx.lang == "zh":
            from povsim.brief.i18n import SCENARIO_DESCRIPTIONS_ZH

            desc = SCENARIO_DESCRIPTIONS_ZH.get(n, "")
        ivs = ctx.interventions(n)
        span = ctx.years_active(n)
        rows.append([ctx.scenario_name(n), desc,
                     join([term("intervention", i, ctx.lang) for i in ivs], ctx.lang) if ivs else "—",
                     f"{span[0]}–{span[1]}" if span else "—"])
    return Table([ctx.t("col.scenario"), ctx.t("col.description"), ctx.t("col.interventions"),
                  ctx.t("col.years_active")], rows)


def what_compare(ctx: Context) -> Section:
    sec = Section("what", ctx.t("sec.what.compare"))
    alts = ctx.alternatives
    sec.add(Para(ctx.t("what.compare", n=1 + len(alts), reps=ctx.replicates, base=ctx.scenario_name(ctx.base),
                       alts=join([ctx.scenario_name(a) for a in alts], ctx.lang),
                       verb="is" if len(alts) == 1 else "are")),
            _area(ctx, ctx.base), _scenario_rows(ctx, [ctx.base, *alts]))
    return sec


def what_run(ctx: Context) -> Section:
    name = ctx.scenario_names[0]
    sec = Section("what", ctx.t("sec.what.run"))
    sec.add(Para(ctx.t("what.run", name=ctx.scenario_name(name), reps=ctx.replicates)), _area(ctx, name),
            _scenario_rows(ctx, [name]))
    if ctx.interventions(name):
        sec.add(Para(ctx.t("what.arms", start=ctx.start)))
    return sec


# -- headline effects --------------------------------------------------------------------
def _effects_table(ctx: Context, rows: list[tuple[Outcome, list[Effect | None]]], cols: list[str],
                   reached: list[int]) -> Table:
    out = []
    for o, effects in rows:
        cells = [_cell(e, ctx) if (ctx.start + k) <= ctx.end else ctx.t("not_reached", end=ctx.end)
                 for k, e in zip(OFFSETS, effects, strict=True)]
        out.append([o.short(ctx.lang), *cells])
    return Table([ctx.t("col.outcome"), *cols], out)


def effects_compare(ctx: Context) -> tuple[Section, list[Effect]]:
    """Per alternative: a table of headline outcomes at +5, +10, +30 years, a sentence per key
    outcome, the treated cohorts and every further comparison of ``differences.csv``."""
    sec = Section("effects", ctx.t("sec.effects"))
    sec.add(Para(ctx.t("effects.intro", base=ctx.scenario_name(ctx.base))))
    reached, cols, missing = _offset_columns(ctx)
    shown: list[Effect] = []
    diffs = ctx.csv("differences.csv")
    for alt in ctx.alternatives:
        rows = []
        for o in HEADLINE:
            effects = [scenario_effect(ctx, alt, o, ctx.start + k) for k in OFFSETS]
            if any(e is not None for e in effects):
                rows.append((o, effects))
        sec.add(Heading(ctx.scenario_name(alt)))
        if not rows:
            sec.add(Missing(ctx.t("missing", what=ctx.t("missing.effects"))))
            continue
        sec.add(_effects_table(ctx, rows, cols, reached))
        items = []
        for o, effects in rows:
            shown.extend(e for e in effects if e is not None)
            if o.measure not in KEY_OUTCOMES:
                continue
            for k, e in zip(OFFSETS, effects, strict=True):
                if e is not None and (k == OFFSETS[0] or o.measure == KEY_OUTCOMES[0]):
                    items.append(S.effect_sentence(ctx, e))
        if items:
            sec.add(Bullets(items))
        if diffs is not None:
            sec.add(*_cohort_and_more(ctx, diffs[diffs["scenario"].astype(str) == alt]))
    sec.add(_not_reached(ctx, missing))
    return sec, shown


def _diff_row_cell(ctx: Context, r) -> str:
    """The cell of a row of ``differences.csv`` (a named tuple)."""
    return _cell(Effect(outcome(r.measure), str(r.scenario), 0, r.base_mean, r.alt_mean, r.diff_mean, r.ci_lo,
                        r.ci_hi, int(r.replicates)), ctx)


def _when_label(ctx: Context, when: str) -> str:
    """``"born 1997-2017"`` / ``"end of programme (2017)"`` / ``"generation 2"`` in the brief's language."""
    if ctx.lang != "zh":
        return when
    w = when.replace("end of programme", "项目结束").replace("horizon", "模拟期末").replace("+5 years", "+5年")
    if w.startswith("born ") and ", treated: " in w:  # the children the programme reached, at an age
        born, age = w.removeprefix("born ").split(", treated: ", 1)
        age = age.removeprefix("ages ").removeprefix("age ")
        age = age[:-1] + "岁及以上" if age.endswith("+") else age + "岁"
        return f"{born}年出生的受干预儿童，{age}"
    if w.startswith("born "):
        return w.replace("born ", "") + "年出生"
    if w.startswith("generation "):
        return "第" + w.removeprefix("generation ") + "代"
    return w.replace("total", "合计").replace("discounted to", "贴现到").replace(" at ", "，贴现率")


def _cohort_and_more(ctx: Context, d: pd.DataFrame) -> list:
    """The treated cohorts' adult outcomes, and the rows of ``differences.csv`` no other table
    shows (end of programme, generations, and any comparison a newer povsim adds)."""
    if d.empty:
        return []
    when = d["when"].astype(str)
    cohort_measures = {o.measure for o in COHORT}
    cohort = d[when.str.startswith("born") & d["measure"].isin(cohort_measures)]
    skip = when.str.startswith(("+5 years", "horizon", "total", "discounted")) | d["measure"].str.contains("rmb") \
        | d["measure"].str.endswith("_cases")
    more = d[~skip & ~d.index.isin(cohort.index)]
    blocks: list = []
    for part, caption in ((cohort, ""), (more, ctx.t("sub.more_comparisons"))):
        if not part.empty:
            rows = [[outcome(r.measure).short(ctx.lang), _when_label(ctx, r.when), _diff_row_cell(ctx, r)]
                    for r in part.itertuples()]
            blocks.append(Table([ctx.t("col.outcome"), ctx.t("col.when"), ctx.t("col.difference")], rows, caption))
    return blocks


def effects_arms(ctx: Context) -> tuple[Section, list[Effect]]:
    """A run with interventions: pilot minus comparison villages (difference-in-differences)."""
    name = ctx.scenario_names[0]
    sec = Section("effects", ctx.t("sec.effects"))
    sec.add(Para(ctx.t("effects.intro_arm", start=ctx.start)))
    reached, cols, missing = _offset_columns(ctx)
    rows, shown, items = [], [], []
    for o in HEADLINE:
        effects = [arm_effect(ctx, name, o, ctx.start + k) for k in OFFSETS]
        if any(e is not None for e in effects):
            rows.append((o, effects))
            shown.extend(e for e in effects if e is not None)
            if o.measure in KEY_OUTCOMES and effects[0] is not None:
                items.append(S.arm_effect_sentence(ctx, effects[0]))
    if rows:
        sec.add(_effects_table(ctx, rows, cols, reached), Bullets(items) if items else None)
    else:
        sec.add(Missing(ctx.t("missing", what=ctx.t("missing.effects") + " (by = arm)")))
    sec.add(_not_reached(ctx, missing))
    return sec, shown


def outcomes_levels(ctx: Context) -> Section:
    """A run without interventions: levels at the start, +5, +10 and +30 years."""
    name = ctx.scenario_names[0]
    sec = Section("outcomes", ctx.t("sec.outcomes"))
    sec.add(Para(ctx.t("outcomes.intro")))
    years = [ctx.start] + [ctx.start + k for k in OFFSETS]
    cols = [ctx.t("col.outcome"), str(ctx.start)] + _offset_columns(ctx)[1]
    rows, items = [], []
    for o in HEADLINE:
        t = ctx.table(name, o.table)
        if t is None:
            continue
        cells = []
        for y in years:
            v = replicate_values(t, o.measure, y) if y <= ctx.end else None
            if v is None or v.empty:
                cells.append(ctx.t("not_reached", end=ctx.end) if y > ctx.end else ctx.t("n/a"))
                continue
            s = fmt_level(v.mean(), o.unit, ctx.lang)
            if len(v) > 1:
                lo, hi = np.percentile(v, [2.5, 97.5])
                s += f" [{fmt_level(lo, o.unit, ctx.lang)}–{fmt_level(hi, o.unit, ctx.lang)}]"
            cells.append(s)
        rows.append([o.short(ctx.lang), *cells])
        if o.measure in KEY_OUTCOMES:
            first, last = replicate_values(t, o.measure, ctx.start), replicate_values(t, o.measure, ctx.end)
            if first is not None and last is not None:
                items.append(S.level_sentence(ctx, name, o, first.mean(), last.mean(), ctx.start, ctx.end))
    if rows:
        sec.add(Table(cols, rows), Bullets(items) if items else None)
    else:
        sec.add(Missing(ctx.t("missing", what=ctx.t("missing.effects"))))
    sec.add(_not_reached(ctx, _offset_columns(ctx)[2]))
    return sec


# -- who benefits ------------------------------------------------------------------------
def _who_year(ctx: Context) -> int:
    return ctx.start + 5 if ctx.start + 5 <= ctx.end else ctx.end


def _subgroup_blocks(ctx: Context, rows: list[list[str]], items: list[str | None], headers: list[str]) -> list:
    """The table of subgroups (subgroup, group, one column an outcome) and its sentences."""
    items = [i for i in items if i]
    return [Table([ctx.t("col.subgroup"), ctx.t("col.group"), *headers], rows) if rows else None,
            Bullets(items) if items else None]


def who_compare(ctx: Context) -> Section:
    sec = Section("who", ctx.t("sec.who"))
    year = _who_year(ctx)
    sec.add(Para(ctx.t("who.intro", base=ctx.scenario_name(ctx.base), when=f"{year}")))
    found_by: set[str] = set()
    for alt in ctx.alternatives:
        rows, items = [], []
        for by in WHO_BY:
            per_outcome = {m: subgroup_effects(ctx, alt, outcome(m, t), year, by)
                           for m, t in (("moda_headcount_rate_0_5", "moda"), ("moda_headcount_rate_6_17", "moda"),
                                        ("child_income_poverty_rate", "income_poverty"))}
            groups = list(dict.fromkeys(g for v in per_outcome.values() for g, _ in v))
            if not groups:
                continue
            found_by.add(by)
            for g in groups:
                cells = [_cell(dict(per_outcome[m]).get(g), ctx) for m in WHO_OUTCOMES]
                rows.append([ctx.t(f"by.{by}"), term(by, g, ctx.lang), *cells])
            eff = per_outcome["moda_headcount_rate_0_5"]
            o = outcome("moda_headcount_rate_0_5")
            items.append(S.who_county_sentence(ctx, alt, o, year, eff) if by == "county"
                         else S.who_pair_sentence(ctx, alt, o, year, by, eff))
        sec.add(Heading(ctx.scenario_name(alt)),
                *_subgroup_blocks(ctx, rows, items, [outcome(m).short(ctx.lang) for m in WHO_OUTCOMES]))
    sec.add(Para(ctx.t("who.age")))
    for by in WHO_BY:
        if by not in found_by:
            sec.add(Missing(ctx.t("who.missing_by", by=ctx.t(f"by.{by}"))))
    sec.add(Missing(ctx.t("who.quintile")))
    return sec


def where_run(ctx: Context) -> Section:
    """A run: levels by county and by arm in the last year (subgroup effects need a compare)."""
    name = ctx.scenario_names[0]
    sec = Section("who", ctx.t("sec.who") if ctx.interventions(name) else ctx.t("sec.where"))
    if ctx.interventions(name):
        sec.add(Para(ctx.t("who.run", year=ctx.end)))
    rows, items = [], []
    for by in WHO_BY:
        t = ctx.table(name, "moda")
        if t is None or by not in set(t["by"]):
            if by != "arm" or ctx.interventions(name):
                sec.add(Missing(ctx.t("who.missing_by", by=ctx.t(f"by.{by}"))))
            continue
        groups = list(dict.fromkeys(t.loc[t["by"] == by, "group"].astype(str)))
        levels = {}
        for g in groups:
            cells = []
            for m in WHO_OUTCOMES:
                o = outcome(m)
                tt = ctx.table(name, o.table)
                v = replicate_values(tt, m, ctx.end, by, g) if tt is not None else None
                cells.append(fmt_level(v.mean(), o.unit, ctx.lang) if v is not None and not v.empty else
                             ctx.t("n/a"))
                if m == WHO_OUTCOMES[0] and v is not None and not v.empty:
                    levels[g] = float(v.mean())
            rows.append([ctx.t(f"by.{by}"), term(by, g, ctx.lang), *cells])
        if by == "county":
            items.append(S.where_sentence(ctx, outcome(WHO_OUTCOMES[0]), ctx.end, levels))
    sec.add(*_subgroup_blocks(ctx, rows, items, [f"{outcome(m).short(ctx.lang)} ({ctx.end})" for m in WHO_OUTCOMES]))
    sec.add(Missing(ctx.t("who.quintile")))
    return sec


# -- what it costs -----------------------------------------------------------------------
def _children_reached(ctx: Context, name: str) -> dict[str, float]:
    p = ctx.table(name, "programme")
    if p is None:
        return {}
    d = p[p["measure"] == "children_reached"]
    return d.groupby("intervention")["value"].mean().to_dict()


def costs(ctx: Context, names: Sequence[str], *, with_ce: bool) -> Section:
    sec = Section("costs", ctx.t("sec.costs"))
    for name in names:
        c = ctx.table(name, "costs")
        if len(names) > 1:
            sec.add(Heading(ctx.scenario_name(name)))
        if c is None:
            sec.add(Para(ctx.t("costs.none", name=ctx.scenario_name(name))) if not ctx.interventions(name)
                    else Missing(ctx.t("missing", what=ctx.t("missing.costs"))))
            continue
        reps = max(int(c["replicate"].nunique()), 1)
        rate = ctx.discount_rate(name)
        disc = c["cost_rmb"] / (1.0 + rate) ** (c["year"] - ctx.start)
        reached = _children_reached(ctx, name)
        total = float(c["cost_rmb"].sum()) / reps
        sec.add(Para(S.cost_sentence(ctx, name, total, float(disc.sum()) / reps, int(c["year"].min()),
                                     int(c["year"].max()), reached.get("all"))))
        by_iv = (c.groupby("intervention")["cost_rmb"].sum() / reps).sort_values(ascending=False)
        disc_iv = disc.groupby(c["intervention"]).sum() / reps
        rows = [[term("intervention", iv, ctx.lang), fmt_rmb(v, ctx.lang), fmt_rmb(disc_iv[iv], ctx.lang),
                 fmt_pct(v / total if total else np.nan, ctx.lang, 0), fmt_count(reached.get(iv, np.nan), ctx.lang),
                 fmt_rmb(v / reached[iv], ctx.lang) if reached.get(iv) else ctx.t("n/a")]
                for iv, v in by_iv.items()]
        sec.add(Table([ctx.t("col.intervention"), ctx.t("col.total"), ctx.t("col.discounted"), ctx.t("col.share"),
                       ctx.t("col.children"), ctx.t("col.per_child")], rows, caption=ctx.t("sub.by_intervention")))
        by_f: dict[str, float] = {}
        if "funder" in c.columns:
            by_f = (c.groupby("funder")["cost_rmb"].sum() / reps).sort_values(ascending=False).to_dict()
            sec.add(Table([ctx.t("col.funder"), ctx.t("col.total"), ctx.t("col.share")],
                          [[term("funder", f, ctx.lang), fmt_rmb(v, ctx.lang), fmt_pct(v / total, ctx.lang, 0)]
                           for f, v in by_f.items()], caption=ctx.t("sub.by_funder")))
        else:
            sec.add(Missing(ctx.t("costs.no_funder")))
        top = S.cost_top_sentence(ctx, name, by_iv.to_dict(), by_f)
        if top:
            sec.add(Para(top))
    if with_ce:
        sec.add(*_cost_effectiveness(ctx))
    else:
        sec.add(Missing(ctx.t("costs.no_ce")))
    return sec


def _cost_effectiveness(ctx: Context) -> list:
    ce = ctx.csv("cost_effectiveness.csv")
    if ce is None:
        return [Missing(ctx.t("missing", what=ctx.t("sub.ce")))]
    known = {"scenario", "ratio", "rmb_per_unit", "ci_lo", "ci_hi", "replicates", "replicates_no_benefit"}
    if not known <= set(ce.columns):  # a newer layout: shown as written rather than misread
        return [Heading(ctx.t("sub.ce")), Table.as_written(ce, "cost_effectiveness.csv")]
    items, rows = [], []
    for r in ce.itertuples():
        name, ratio = str(r.scenario), str(r.ratio)
        measure = str(getattr(r, "measure", "")) or None
        items.append(S.ce_sentence(ctx, name, ratio, r.rmb_per_unit, r.ci_lo, r.ci_hi, measure))
        rng = (f"{fmt_rmb(r.ci_lo, ctx.lang)} – {fmt_rmb(r.ci_hi, ctx.lang)}"
               if isnum(r.ci_lo) else ctx.t("n/a"))
        rows.append([ctx.scenario_name(name), S.ce_unit(ctx, ratio, measure), fmt_rmb(r.rmb_per_unit, ctx.lang), rng,
                     f"{r.replicates_no_benefit}/{r.replicates}"])
    return [Heading(ctx.t("sub.ce")), Table([ctx.t("col.scenario"), ctx.t("col.ratio"), ctx.t("col.value"),
                                             ctx.t("col.range"), ctx.t("col.no_benefit")], rows),
            Bullets(items), Para(ctx.t("ce.interval_note")), Para(ctx.t("ce.outcome_note"))]


# -- how sure are we ---------------------------------------------------------------------
def _calibration(ctx: Context, name: str) -> list:
    cal = ctx.resolved(name).get("calibration") or {}
    fit = cal.get("fit") or {}
    blocks: list = [Heading(ctx.t("sub.calibration"))]
    if fit:
        prov = cal.get("provenance") or {}
        from povsim.calibration.report import fitted_file  # (only a calibrated scenario needs it)

        # the fitted file the scenario extends (an input file); else the targets' default name
        own = fitted_file(ctx.input_files)
        targets = str(cal.get("targets") or "")
        source = own if own is not None else targets
        fitted = "calibration/fitted/" + (source.replace("\\", "/").rsplit("/", 1)[-1] if source else "?")
        blocks.append(Para(ctx.t("sure.calibration", file=fitted, fit=fit.get("fitting_targets_passed", "?"),
                                 holdout=fit.get("holdout_targets_passed", "?"),
                                 method=term("method", fit.get("method", "?"), ctx.lang),
                                 created=str(prov.get("created", "?"))[:10])))
        held = str(fit.get("holdout_targets_passed", ""))
        if "/" in held:
            a, b = (int(x) for x in held.split("/"))
            if a < b:
                blocks.append(Para(ctx.t("sure.holdout_failed", failed=b - a)))
        if fit.get("parameters_at_bounds"):
            blocks.append(Para(ctx.t("sure.at_bounds", params=join(list(fit["parameters_at_bounds"]), ctx.lang))))
    else:
        blocks.append(Missing(ctx.t("sure.no_calibration")))
    checks = ctx.extra("target_checks")
    if checks is not None:
        passed = checks["passes"].astype(bool)
        blocks.append(Para(ctx.t("sure.targets", passed=int(passed.sum()), total=len(checks))))
        if (~passed).any():
            blocks.append(Para(ctx.t("sure.targets_failed", names=join(list(checks.loc[~passed, "name"].astype(str)),
                                                                         ctx.lang))))
        blocks.append(target_table(ctx, checks))
    return blocks


def target_table(ctx: Context, checks: pd.DataFrame) -> Table:
    """Calibration targets (``fit_targets.csv`` or a run's ``target_checks.csv``): use, target,
    simulated value with its replicate interval, tolerance, pass or fail."""
    rows = []
    for r in checks.itertuples():
        sim = f"{r.simulated:.3g}" + (f" [{r.sim_lo:.3g}, {r.sim_hi:.3g}]" if isnum(r.sim_se) else "")
        rows.append([str(r.name), ctx.t("use.fit") if r.use == "fit" else ctx.t("use.holdout"), f"{r.value:.3g}", sim,
                     f"±{r.tolerance:.3g}", ctx.t("check.pass") if r.passes else ctx.t("check.fail")])
    return Table([ctx.t("col.target"), ctx.t("col.use"), ctx.t("col.observed"), ctx.t("col.simulated"),
                  ctx.t("col.tolerance"), ctx.t("col.check")], rows, code_columns=(0,))


def _decomposition(ctx: Context) -> list:
    blocks: list = [Heading(ctx.t("sub.decomposition"))]
    year = _who_year(ctx)
    any_table = False
    for alt in ctx.alternatives:
        dec = dimension_decomposition(ctx, alt, year)
        if dec is None or dec.empty:
            continue
        any_table = True
        total = float(dec["change"].sum())
        service = dec[dec["service"] != "none"]
        share = float(service["change"].sum() / total) if total else np.nan
        blocks.append(Para(S.decomposition_sentence(ctx, alt, year, total, share, list(service["dimension"]))))
        rows = [[term("dimension", r.dimension, ctx.lang),
                 join([i + ("*" if i in SERVICE_INDICATORS else "") for i in r.indicators], ctx.lang),
                 ctx.t("sure.service") if r.service == "all" else
                 (ctx.t("sure.service") + " / " + ctx.t("sure.state")) if r.service == "some" else ctx.t("sure.state"),
                 fmt_diff(r.change, "index", ctx.lang)]
                for r in dec.sort_values("change").itertuples()]
        blocks.append(Table([ctx.t("col.dimension"), ctx.t("col.indicators"),
                             ctx.t("col.kind"), ctx.t("col.change")], rows,
                            caption=ctx.t("sure.decomposition_table", alt=ctx.scenario_name(alt),
                                          base=ctx.scenario_name(ctx.base), year=year), code_columns=(1,)))
    own = ctx.csv("moda_decomposition.csv")  # written by `povsim compare`: the exact M0 breakdown
    if own is not None and {"scenario", "moda", "dimension", "share", "own_dimensions"} <= set(own.columns):
        for r in own[own["dimension"] == "all"].itertuples():
            dims = [d for d in str(r.own_dimensions).split(", ") if d and d != "-"]
            blocks.append(Para(S.own_share_sentence(ctx, str(r.scenario), str(r.moda), r.m0_child_years_averted,
                                                    r.share, dims)))
            any_table = True
    extra = [p for p in ("decomposition.csv", "indicator_decomposition.csv") if ctx.csv(p) is not None]
    for p in extra:  # a decomposition table written by `povsim compare` itself: shown as it is
        blocks.append(Table.as_written(ctx.csv(p), p))
        any_table = True
    if not any_table:
        blocks.append(Missing(ctx.t("sure.no_decomposition")))
    return blocks


def sure(ctx: Context, shown: Sequence[Effect], *, compare: bool) -> Section:
    sec = Section("sure", ctx.t("sec.sure"))
    sec.add(Heading(ctx.t("sub.replicates")))
    if ctx.replicates < 2:
        sec.add(Para(ctx.t("sure.one_replicate")))
    elif shown:
        key = next((e for e in shown if e.outcome.measure == KEY_OUTCOMES[0] and e.has_interval), shown[0])
        width = fmt_diff(key.hi - key.lo, key.outcome.unit, ctx.lang, signed=False)
        sec.add(Para(ctx.t("sure.replicates", reps=ctx.replicates, n_clear=sum(e.clear for e in shown),
                           n_all=len(shown), outcome=key.outcome.short(ctx.lang), when=str(key.year), width=width)))
    else:
        name = ctx.scenario_names[0] if ctx.scenario_names else ""
        t = ctx.table(name, "moda")
        v = replicate_values(t, KEY_OUTCOMES[0], ctx.end) if t is not None else None
        if v is not None and len(v) > 1:
            o = outcome(KEY_OUTCOMES[0])
            sec.add(Para(ctx.t("sure.replicates_run", reps=ctx.replicates, outcome=o.short(ctx.lang), year=ctx.end,
                               lo=fmt_level(v.min(), o.unit, ctx.lang), hi=fmt_level(v.max(), o.unit, ctx.lang))))
    if 2 <= ctx.replicates < 4:
        sec.add(Para(ctx.t("sure.few_replicates", reps=ctx.replicates, df=ctx.replicates - 1)))
    sec.add(Para(ctx.t("sure.intervals")))
    sec.add(*_calibration(ctx, ctx.base if compare else (ctx.scenario_names or [""])[0]))
    sec.add(Heading(ctx.t("sub.sensitivity")), Missing(ctx.t("sure.no_sensitivity")))
    if compare:
        sec.add(*_decomposition(ctx))
    return sec


# -- figures and method ------------------------------------------------------------------
def figures(ctx: Context, chosen: dict[str, list[FigureBlock]], rest: Sequence[str]) -> Section:
    sec = Section("figures", ctx.t("sec.figures"))
    n = sum(len(v) for v in chosen.values()) + len(rest)
    if not n:
        return sec.add(Missing(ctx.t("figures.none")))
    sec.add(Para(ctx.t("figures.intro", n=n)))
    for q in QUESTIONS:
        if chosen.get(q):
            sec.add(Heading(ctx.t(q)), *chosen[q])
    if rest:
        sec.add(Para(ctx.t("figures.more", stems=", ".join(rest))))
    return sec


def method(ctx: Context) -> Section:
    m = ctx.manifest
    git = m.get("git") or {}
    commit = str(git.get("commit") or ctx.t("n/a")) + (ctx.t("dirty") if git.get("dirty") else "")
    files = list(dict.fromkeys(ctx.input_files))
    seeds = [str(s) for s in (m.get("seeds") or [])]
    rows = [[ctx.t("prov.version"), str(m.get("povsim_version", ctx.t("n/a")))],
            [ctx.t("prov.commit"), commit],
            [ctx.t("prov.created"), str(m.get("created", ctx.t("n/a")))],
            [ctx.t("prov.scenario_files"), "; ".join(files) or ctx.t("n/a")],
            [ctx.t("prov.seeds"), ", ".join(seeds[:6]) + (f" … ({len(seeds)})" if len(seeds) > 6 else "")],
            [ctx.t("prov.command"), " ".join(str(a) for a in m.get("command_line", []))],
            [ctx.t("prov.folder"), str(ctx.folder.absolute())],
            [ctx.t("prov.odd"), "docs/model.md"]]
    return Section("method", ctx.t("sec.method")).add(
        Para(ctx.t("method.text")), Table([ctx.t("col.item"), ctx.t("col.detail")], rows, code_columns=(1,)))
