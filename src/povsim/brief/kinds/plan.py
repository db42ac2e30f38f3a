"""Brief of a ``povsim plan`` folder: what was planned (budget, area, interventions,
objective, method), the recommended allocation by intervention, funder and place, what each
budget buys (the frontier, the shadow price), the expected gains verified in the full model
with intervals, the comparison with the real programme's allocation, the caveats, figures,
method and provenance.

Every number is read from the plan's tables (``<out>/plan/tables``, :mod:`povsim.plan.run`):
``plans``, ``villages``, ``allocation``, ``frontier``, ``shadow_price``,
``binding_constraints``, ``alternatives``, ``rollout``, ``stability``, ``verification``,
``verification_pairs``, ``verification_measures``, ``probabilities``, ``optimality``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from povsim.brief import sections as S
from povsim.brief.context import Context
from povsim.brief.document import Bullets, FigureBlock, Missing, Para, Section, Table
from povsim.brief.i18n import join, term
from povsim.brief.kinds import BriefKind
from povsim.brief.numbers import fmt_pct, fmt_rmb, isnum
from povsim.plan.schema import main_budget_of, main_label_of, plan_label
from povsim.stats import t_half_width

__all__ = ["KIND", "main_label", "plan_settings"]


# -- what the folder says about the plan ---------------------------------------------------
def plan_settings(ctx: Context) -> dict:
    """The plan as resolved when it ran (``manifest.json``: ``scenario.plan``)."""
    return (ctx.manifest.get("scenario") or {}).get("plan") or {}


def main_label(ctx: Context) -> str:
    """Name of the main plan in the tables (``plan_275M``), by the planner's own rule."""
    return main_label_of(plan_settings(ctx))


def _main_budget(ctx: Context) -> float:
    p = plan_settings(ctx)
    b = p.get("budget") or {}
    plans = ctx.extra("plans")
    levels = b.get("levels_rmb") or (list(plans["budget_rmb_plan"]) if plans is not None else [])
    return main_budget_of(levels, b.get("main_rmb")) if levels else np.nan


def _scale(ctx: Context) -> float:
    """Simulated RMB per RMB of the plan file."""
    plans = ctx.extra("plans")
    if plans is None:
        return 1.0
    r = plans.iloc[0]
    return float(r["budget_rmb_simulated"] / r["budget_rmb_plan"]) if r["budget_rmb_plan"] else 1.0


def _names(ctx: Context) -> list[str]:
    return list(plan_settings(ctx).get("interventions") or {})


def alloc_name(ctx: Context, label: str) -> str:
    """An allocation of the tables in words: ``plan_275M`` -> "the plan at 275.00 million RMB"."""
    if label == "current":
        return ctx.t("plan.alloc.current")
    if label == "plan_min_cost":
        return ctx.t("plan.alloc.min_cost")
    if label.startswith("plan_") and label.endswith("M"):
        try:
            return ctx.t("plan.alloc.plan", budget=fmt_rmb(float(label[5:-1]) * 1e6, ctx.lang))
        except ValueError:
            return label
    if label.startswith("alternative_"):
        try:
            return ctx.t("plan.alloc.alternative", within=fmt_pct(float(label.removeprefix("alternative_")), ctx.lang,
                                                                   0))
        except ValueError:
            return label
    return label


def _num(v: float) -> str:
    return f"{v:,.1f}" if isnum(v) else "—"


# -- sections ---------------------------------------------------------------------------------
def _what(ctx: Context) -> Section:
    sec = Section("what", ctx.t("sec.what.plan"))
    p = plan_settings(ctx)
    villages = ctx.extra("villages")
    if not p or villages is None:
        return sec.add(Missing(ctx.t("missing", what=ctx.t("missing.plan"))))
    b, o, d = p.get("budget") or {}, p.get("objective") or {}, p.get("design") or {}
    ivs = [term("intervention", n, ctx.lang) for n in _names(ctx)]
    decide = str(p.get("decide", "pilot"))
    sec.add(Para(ctx.t("what.plan", name=p.get("name", ctx.folder.name), villages=len(villages),
                       decide=term("arm", decide, ctx.lang) if decide in ("pilot", "comparison") else decide,
                       unit=term("plan_unit", str(p.get("unit", "village")), ctx.lang), n=len(ivs),
                       interventions=join(ivs, ctx.lang), horizon=p.get("horizon_years", "?"),
                       rate=fmt_pct(float(p.get("discount_rate", 0.03)), ctx.lang, 0))))
    levels = b.get("levels_rmb") or []
    if levels:
        sec.add(Para(ctx.t("what.plan_budget", levels=join([fmt_rmb(v, ctx.lang) for v in levels], ctx.lang),
                           main=fmt_rmb(_main_budget(ctx), ctx.lang))))
    scale = _scale(ctx)
    ref = b.get("reference_rmb")
    if b.get("scale") == "current_cost" and ref and abs(scale - 1.0) > 1e-9:
        sec.add(Para(ctx.t("what.plan_scale", simulated=fmt_rmb(float(ref) * scale, ctx.lang),
                           reference=fmt_rmb(float(ref), ctx.lang), factor=f"{scale:.4f}")))
    weights = [ctx.t("plan.weight", measure=term("plan_measure", m, ctx.lang), weight=f"{w:g}")
               for m, w in (o.get("weights") or {}).items() if w]
    risk = str(o.get("risk", "expected"))
    level = float(o.get("cvar_level", 0.8))
    risk_text = (ctx.t("plan.risk.cvar", level=f"{level:g}", tail=fmt_pct(1 - level, ctx.lang, 0)) if risk == "cvar"
                 else ctx.t("plan.risk.expected"))
    sense = str(o.get("sense", "maximise_outcome"))
    sec.add(Para(ctx.t("what.plan_objective", sense=ctx.t(f"plan.sense.{sense}"), weights=join(weights, ctx.lang),
                       risk=risk_text)))
    ver = ctx.extra("verification")
    sec.add(Para(ctx.t("what.plan_method", runs=(ctx.manifest.get("extra") or {}).get("runs", "?"),
                       draws=d.get("draws", "?"), seeds=d.get("seeds_per_draw", "?"),
                       types=d.get("village_types", "?"),
                       reps=int(ver["replicates"].max()) if ver is not None else 0)))
    return sec


def _alloc_rows(ctx: Context) -> pd.DataFrame | None:
    a = ctx.extra("allocation")
    return None if a is None else a[a["allocation"].astype(str) == main_label(ctx)]


def _allocation(ctx: Context) -> Section:
    sec = Section("allocation", ctx.t("sec.allocation"))
    villages, a = ctx.extra("villages"), _alloc_rows(ctx)
    plans = ctx.extra("plans")
    if villages is None or a is None or a.empty or plans is None:
        return sec.add(Missing(ctx.t("missing", what=ctx.t("missing.plan"))))
    names = _names(ctx) or [c.removeprefix("level_") for c in villages.columns if c.startswith("level_")]
    label = main_label(ctx)
    row = plans[[plan_label("maximise_outcome", b) == label for b in plans["budget_rmb_plan"]]]
    row = row.iloc[0] if len(row) else plans.iloc[-1]
    budget = float(row["budget_rmb_plan"])
    total = float(a["cost_rmb_plan"].sum())
    by_iv = a.groupby("intervention")["cost_rmb_plan"].sum().sort_values(ascending=False)
    plan_cols = [f"level_{n}" for n in names if f"level_{n}" in villages.columns]
    cur_cols = [f"current_{n}" for n in names if f"current_{n}" in villages.columns]
    served = int((villages[plan_cols] > 0).any(axis=1).sum())
    sec.add(Para(ctx.t("plan.alloc", budget=fmt_rmb(budget, ctx.lang), served=served, villages=len(villages),
                       sites=int(row["sites"]), cost=fmt_rmb(total, ctx.lang),
                       share=fmt_pct(total / budget if budget else np.nan, ctx.lang, 0),
                       top=term("intervention", str(by_iv.index[0]), ctx.lang),
                       top_share=fmt_pct(by_iv.iloc[0] / total if total else np.nan, ctx.lang, 0))))
    if cur_cols:
        sec.add(Para(ctx.t("plan.alloc_current", served=int((villages[cur_cols] > 0).any(axis=1).sum()),
                           sites=int((villages[cur_cols] > 0).to_numpy().sum()))))
    rows = []
    for n in names:
        lv = villages.get(f"level_{n}")
        cur = villages.get(f"current_{n}")
        if lv is None:
            continue
        cost = float(by_iv.get(n, 0.0))
        rows.append([term("intervention", n, ctx.lang), str(int((lv > 0).sum())),
                     f"{lv[lv > 0].mean():.2f}" if (lv > 0).any() else "—",
                     str(int((cur > 0).sum())) if cur is not None else ctx.t("n/a"), fmt_rmb(cost, ctx.lang),
                     fmt_pct(cost / total if total else np.nan, ctx.lang, 0)])
    sec.add(Table([ctx.t("col.intervention"), ctx.t("col.served_plan"), ctx.t("col.level_plan"),
                   ctx.t("col.served_current"), ctx.t("col.cost_plan"), ctx.t("col.share")], rows,
                  caption=ctx.t("sub.by_intervention")))
    if "funder" in a.columns:
        by_f = a.groupby("funder")["cost_rmb_plan"].sum().sort_values(ascending=False)
        sec.add(Table([ctx.t("col.funder"), ctx.t("col.cost_plan"), ctx.t("col.share")],
                      [[term("funder", f, ctx.lang), fmt_rmb(v, ctx.lang), fmt_pct(v / total, ctx.lang, 0)]
                       for f, v in by_f.items()], caption=ctx.t("sub.by_funder")))
    if "county" in villages.columns:
        cost_c = a.groupby("county")["cost_rmb_plan"].sum()
        rows = []
        for c, g in villages.groupby("county", sort=False):
            rows.append([term("county", str(c), ctx.lang), str(len(g)), str(int((g[plan_cols] > 0).any(axis=1).sum())),
                         str(int((g[cur_cols] > 0).any(axis=1).sum())) if cur_cols else ctx.t("n/a"),
                         fmt_rmb(float(cost_c.get(c, 0.0)), ctx.lang),
                         fmt_pct(float(cost_c.get(c, 0.0)) / total if total else np.nan, ctx.lang, 0)])
        sec.add(Table([ctx.t("col.county"), ctx.t("col.villages"), ctx.t("col.served_plan"),
                       ctx.t("col.served_current"), ctx.t("col.cost_plan"), ctx.t("col.share")], rows,
                      caption=ctx.t("sub.by_place")))
        cost_v = a.groupby("name")["cost_rmb_plan"].sum()
        vrows = []
        for r in villages.itertuples():
            cells = []
            for n in names:
                lv = getattr(r, f"level_{n}", np.nan)
                cur = getattr(r, f"current_{n}", None)
                cells.append(f"{lv:.2g}" + (f" ({cur:.2g})" if cur is not None and isnum(cur) else ""))
            vrows.append([str(r.name), term("county", str(r.county), ctx.lang), *cells,
                          fmt_rmb(float(cost_v.get(r.name, 0.0)), ctx.lang)])
        sec.add(Table([ctx.t("col.village"), ctx.t("col.county"), *[term("intervention", n, ctx.lang) for n in names],
                       ctx.t("col.cost_plan")], vrows, caption=ctx.t("sub.by_village"), code_columns=(0,)))
    alt = ctx.extra("alternatives")
    if alt is not None:
        for r in alt[alt["status"].astype(str) == "optimal"].itertuples():
            sec.add(Para(ctx.t("plan.alternative", within=fmt_pct(float(r.within), ctx.lang, 0), sites=int(r.sites),
                               sites_opt=int(r.sites_optimum), interventions=int(r.interventions_used),
                               expected=_num(r.expected), expected_opt=_num(float(row["expected"])))))
    roll = ctx.extra("rollout")
    if roll is not None:
        first = list(roll.sort_values("rank")["unit"].astype(str).head(3))
        sec.add(Para(ctx.t("plan.rollout", names=join([f"`{n}`" for n in first], ctx.lang))))
    return sec


def _frontier(ctx: Context) -> Section:
    sec = Section("frontier", ctx.t("sec.frontier"))
    f, plans = ctx.extra("frontier"), ctx.extra("plans")
    if f is None or plans is None:
        return sec.add(Missing(ctx.t("missing", what="frontier.csv, plans.csv")))
    e = f[f["objective"] == "expected"].sort_values("budget_rmb_plan")
    if len(e):
        top = e.iloc[-1]
        sec.add(Para(ctx.t("plan.frontier", lo=fmt_rmb(e["budget_rmb_plan"].iloc[0], ctx.lang),
                           hi=fmt_rmb(top["budget_rmb_plan"], ctx.lang), e_lo=_num(e["expected"].iloc[0]),
                           e_hi=_num(top["expected"]), b_lo=_num(top["band_lo"]), b_hi=_num(top["band_hi"]))))
    rows = []
    for r in plans.itertuples():
        rows.append([plan_label("maximise_outcome", r.budget_rmb_plan) if isnum(r.budget_rmb_plan) else "",
                     fmt_rmb(r.budget_rmb_plan, ctx.lang), fmt_rmb(r.cost_rmb_plan, ctx.lang), _num(r.expected),
                     _num(r.cvar), str(int(r.sites)), f"{r.gap:.1e}" if isnum(r.gap) else "—",
                     _num(r.greedy_expected_same_budget)])
    sec.add(Table([ctx.t("col.plan"), ctx.t("col.budget"), ctx.t("col.cost"), ctx.t("col.expected"),
                   ctx.t("col.cvar"), ctx.t("col.sites"), ctx.t("col.gap"), ctx.t("col.greedy")], rows,
                  code_columns=(0,)))
    main = plans[[plan_label("maximise_outcome", b) == main_label(ctx) for b in plans["budget_rmb_plan"]]]
    if len(main):
        m = main.iloc[0]
        g = m["greedy_expected_same_budget"]
        if isnum(g) and abs(g - m["expected"]) > 1e-9 * max(abs(m["expected"]), 1.0):
            sec.add(Para(ctx.t("plan.frontier_greedy", budget=fmt_rmb(m["budget_rmb_plan"], ctx.lang), greedy=_num(g),
                               expected=_num(m["expected"]))))
        sh = ctx.extra("shadow_price")
        b = ctx.extra("binding_constraints")
        binding = list(b.loc[b["binding"].astype(bool), "constraint"].astype(str)) if b is not None else []
        if sh is not None:
            r = sh[np.isclose(sh["budget_rmb_plan"], m["budget_rmb_plan"])]
            if len(r):
                v = float(r["finite_difference_per_million_plan"].iloc[0])
                if isnum(v) and v > 0:
                    sec.add(Para(ctx.t("plan.shadow", budget=fmt_rmb(m["budget_rmb_plan"], ctx.lang),
                                       value=f"{v:,.3g}")))
                else:
                    sec.add(Para(ctx.t("plan.shadow_zero", budget=fmt_rmb(m["budget_rmb_plan"], ctx.lang),
                                       cost=fmt_rmb(m["cost_rmb_plan"], ctx.lang),
                                       binding=join([f"`{x}`" for x in binding], ctx.lang) or ctx.t("n/a"))))
                    binding = []
        if binding:
            sec.add(Para(ctx.t("plan.binding", names=join([f"`{x}`" for x in binding], ctx.lang))))
    return sec


def _gain_sentence(ctx: Context, label: str, measure: str, value: float, lo: float, hi: float,
                   surrogate: float) -> str:
    common = {"alloc": alloc_name(ctx, label), "measure": term("plan_measure", measure, ctx.lang),
              "value": _num(value), "lo": _num(lo), "hi": _num(hi), "surrogate": _num(surrogate)}
    clear = isnum(lo) and lo > 0
    return ctx.t("plan.gain" if clear else "plan.gain_unclear", **common)


def _gains(ctx: Context) -> Section:
    sec = Section("gains", ctx.t("sec.gains"))
    ver = ctx.extra("verification")
    if ver is None:
        return sec.add(Missing(ctx.t("missing", what=ctx.t("missing.verification"))))
    reps = int(ver["replicates"].max())
    sec.add(Para(ctx.t("plan.gains_intro", reps=reps)))
    scale = _scale(ctx)
    main = main_label(ctx)
    order = [main, "current", *[a for a in ver["allocation"].astype(str) if a not in (main, "current")]]
    v = ver.set_index(ver["allocation"].astype(str))
    sec.add(Bullets([_gain_sentence(ctx, a, "objective", v.at[a, "model"], v.at[a, "model_lo"], v.at[a, "model_hi"],
                                    v.at[a, "surrogate"]) for a in order[:2] if a in v.index]))
    rows = [[a, alloc_name(ctx, a), fmt_rmb(v.at[a, "cost_rmb_simulated"] / scale, ctx.lang),
             _num(v.at[a, "surrogate"]),
             f"{_num(v.at[a, 'model'])} [{_num(v.at[a, 'model_lo'])}, {_num(v.at[a, 'model_hi'])}]",
             f"{v.at[a, 'error']:+,.1f}"] for a in order if a in v.index]
    sec.add(Table([ctx.t("col.allocation"), ctx.t("col.description"), ctx.t("col.cost"), ctx.t("col.surrogate"),
                   ctx.t("col.model"), ctx.t("col.error")], rows, code_columns=(0,)))
    vm = ctx.extra("verification_measures")
    if vm is not None:
        shown = [a for a in (main, "current") if a in set(vm["allocation"].astype(str))]
        rows = []
        for meas, g in vm.groupby("measure", sort=False):
            g = g.set_index(g["allocation"].astype(str))
            cells = []
            for a in shown:
                n = int(v.at[a, "replicates"]) if a in v.index else 0
                half = t_half_width(float(g.at[a, "model_sd"]), n)
                lo, hi = float(g.at[a, "model"]) - half, float(g.at[a, "model"]) + half
                cells.append(f"{_num(g.at[a, 'model'])} [{_num(lo)}, {_num(hi)}]")
            rows.append([term("plan_measure", str(meas), ctx.lang), *cells])
        sec.add(Table([ctx.t("col.measure"), *[alloc_name(ctx, a) for a in shown]], rows,
                      caption=ctx.t("plan.by_measure")))
    return sec


def _versus(ctx: Context) -> Section:
    sec = Section("versus", ctx.t("sec.versus"))
    p = plan_settings(ctx)
    villages, ver = ctx.extra("villages"), ctx.extra("verification")
    cur_cols = [c for c in villages.columns if c.startswith("current_")] if villages is not None else []
    if villages is not None and cur_cols and ver is not None and "current" in set(ver["allocation"].astype(str)):
        cost = float(ver.loc[ver["allocation"].astype(str) == "current", "cost_rmb_simulated"].iloc[0])
        sec.add(Para(ctx.t("plan.versus_intro", scenario=ctx.scenario_name(str(p.get("current") or "?")),
                           served=int((villages[cur_cols] > 0).any(axis=1).sum()), villages=len(villages),
                           cost=fmt_rmb(cost / _scale(ctx), ctx.lang))))
    scen = ((ctx.manifest.get("scenario") or {}).get("scenarios") or {}).get(str(p.get("current") or ""), {})
    used = [k for k, s in (scen.get("interventions") or {}).items()
            if not isinstance(s, dict) or s.get("enabled", True)]
    extra = [k for k in used if k not in _names(ctx)]
    if extra:
        sec.add(Para(ctx.t("plan.versus_extra", extra=join([term("intervention", k, ctx.lang) for k in extra],
                                                           ctx.lang))))
    pairs = ctx.extra("verification_pairs")
    main = main_label(ctx)
    q = None if pairs is None else pairs[(pairs["allocation"].astype(str) == main)
                                         & (pairs["versus"].astype(str) == "current")]
    if q is None or q.empty:
        sec.add(Missing(ctx.t("plan.no_versus")))
    else:
        o = q[q["measure"] == "objective"].iloc[0]
        key = "plan.beats" if o["lo"] > 0 else "plan.worse" if o["hi"] < 0 else "plan.not_beats"
        sec.add(Para(ctx.t(key, main=alloc_name(ctx, main), diff=f"{o['difference']:+,.1f}", lo=f"{o['lo']:+,.1f}",
                           hi=f"{o['hi']:+,.1f}", p=fmt_pct(float(o["p_better"]), ctx.lang, 0))))
        rows = [[term("plan_measure", str(r.measure), ctx.lang),
                 f"{r.difference:+,.1f} [{r.lo:+,.1f}, {r.hi:+,.1f}]" if isnum(r.lo) else f"{r.difference:+,.1f}",
                 fmt_pct(float(r.p_better), ctx.lang, 0)] for r in q.itertuples()]
        sec.add(Table([ctx.t("col.measure"), ctx.t("col.main_minus_current"), ctx.t("col.p_better")], rows))
    prob = ctx.extra("probabilities")
    if prob is not None:
        items = []
        for r in prob.itertuples():
            vs = str(r.versus)
            if vs.startswith("alternative within "):
                name = ctx.t("plan.versus.alternative", within=vs.removeprefix("alternative within "))
            else:
                name = ctx.t(f"plan.versus.{vs}") if vs in _VERSUS else vs
            items.append(ctx.t("plan.surrogate_p", versus=name, p=fmt_pct(float(r.p_plan_better), ctx.lang, 0),
                               n=int(r.scenarios)))
        sec.add(Bullets(items))
    return sec


#: the rivals of ``probabilities.csv`` named in words (alternatives are named by their share)
_VERSUS = ("greedy split", "current allocation")


def _sure(ctx: Context) -> Section:
    sec = Section("sure", ctx.t("sec.sure"))
    p = plan_settings(ctx)
    ver = ctx.extra("verification")
    if ver is not None:
        sec.add(Para(ctx.t("plan.sure_error", lo=f"{ver['error'].min():+,.1f}", hi=f"{ver['error'].max():+,.1f}",
                           rlo=fmt_pct(float(ver["relative_error"].min()), ctx.lang, 0),
                           rhi=fmt_pct(float(ver["relative_error"].max()), ctx.lang, 0))))
    opt = ctx.extra("optimality")
    if opt is not None:
        gap = float(opt["gap"].max())
        open_ = opt[opt["status"].astype(str) != "optimal"]
        sec.add(Para(ctx.t("plan.sure_gap", gap=f"{gap:.1e}") if open_.empty else
                     ctx.t("plan.sure_gap_open", n=len(open_), total=len(opt), gap=f"{gap:.1e}")))
    st = ctx.extra("stability")
    if st is not None:
        sec.add(Para(ctx.t("plan.sure_stability", n=int((st["stability"] < 0.5).sum()), total=len(st))))
    d = p.get("design") or {}
    reps = int(ver["replicates"].max()) if ver is not None else 0
    scen = int(d.get("draws", 0)) * int(d.get("seeds_per_draw", 0))
    if reps < 4 or scen < 10:
        sec.add(Para(ctx.t("plan.sure_few", reps=reps, scen=scen)))
    u = p.get("uncertainty") or {}
    if u.get("calibration") or u.get("parameters"):
        cal = str(u.get("calibration") or "")
        file = "calibration/fitted/" + cal.rsplit("/", 1)[-1] if cal else ctx.t("n/a")
        sec.add(Para(ctx.t("plan.sure_draws", file=f"`{file}`",
                           params=join([f"`{x}`" for x in u.get("parameters") or []], ctx.lang) or ctx.t("n/a"))))
    sec.add(Para(ctx.t("plan.sure_model")))
    return sec


def _sections(ctx: Context, figs: dict[str, list[FigureBlock]], rest: Sequence[str]) -> list[Section]:
    return [_what(ctx), _allocation(ctx), _frontier(ctx), _gains(ctx), _versus(ctx), _sure(ctx),
            S.figures(ctx, figs, rest), S.method(ctx)]


def _title(ctx: Context) -> str:
    return ctx.t("title.plan", name=plan_settings(ctx).get("name") or ctx.folder.name)


KIND = BriefKind("plan", detect=lambda res: res.kind == "plan", title=_title, sections=_sections, priority=10)
